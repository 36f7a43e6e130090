"""mdbf-envs: multi-agent environments for repeated mechanism design with learning.

Layout: one room per paper (:mod:`mdbf_envs.vcg_learn` for *Mechanism Design with Bandit
Feedback*, :mod:`mdbf_envs.joint_ads` for *Selling Joint Ads*); above them what both use: the
mechanism protocol, the paired rollout, the envs, registries, registration, random streams and
parallel backends. ``mdbf_envs.vcg_learn_v0`` and ``mdbf_envs.joint_ads_v0`` are the versioned
PettingZoo env modules.
"""

from mdbf_envs.registration import register_envs
from mdbf_envs.registry import (
    make_learner,
    make_mechanism,
    make_scenario,
    register_learner,
    register_mechanism,
    register_scenario,
)
from mdbf_envs.vcg_learn.scenario import Scenario, ScenarioError

__version__ = "0.1.0"
__all__ = [
    "Scenario",
    "joint_ads_v0",
    "vcg_learn_v0",
    "ScenarioError",
    "make_learner",
    "make_mechanism",
    "make_scenario",
    "register_envs",
    "register_learner",
    "register_mechanism",
    "register_scenario",
]

register_envs()

from mdbf_envs import joint_ads_v0, vcg_learn_v0  # noqa: E402  (versioned env modules)
