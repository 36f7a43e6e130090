"""mdbf-envs: multi-agent environments for repeated mechanism design with learning.

Layout: a paper-agnostic core (:mod:`mdbf_envs.core`: the mechanism protocol, the paired
engine, statistics, random streams, checks, parallel backends); one room per paper above it
(:mod:`mdbf_envs.vcg_learn` for *Mechanism Design with Bandit Feedback*, :mod:`mdbf_envs.joint_ads`
for *Selling Joint Ads*); above both the envs, registries and registration. ``mdbf_envs.vcg_learn_v0`` and ``mdbf_envs.joint_ads_v0`` are the versioned
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

__version__ = "0.1.0"
__all__ = [
    "joint_ads_v0",
    "vcg_learn_v0",
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
