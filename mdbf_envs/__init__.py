"""mdbf-envs: multi-agent environments for repeated mechanism design with learning.

Layout: a paper-agnostic core (:mod:`mdbf_envs.core`: the mechanism protocol, the paired
engine, statistics, random streams, checks, parallel backends); one room per paper above it
(:mod:`mdbf_envs.vcg_learn` for *Mechanism Design with Bandit Feedback*, :mod:`mdbf_envs.joint_ads`
for *Selling Joint Ads*); above both the envs and :mod:`mdbf_envs.registry` (every id and name).
``mdbf_envs.vcg_learn_v0`` and ``mdbf_envs.joint_ads_v0`` are the versioned PettingZoo env
modules. Importing the package registers the ids and loads nothing else: the rooms, the envs
and numba load when first used.
"""

import importlib

from mdbf_envs.registry import (
    make_learner,
    make_mechanism,
    make_scenario,
    register_envs,
    register_learner,
    register_mechanism,
    register_scenario,
    register_sequence,
)

__version__ = "0.2.0"
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
    "register_sequence",
]

register_envs()

_ENV_MODULES = ("joint_ads_v0", "vcg_learn_v0")


def __getattr__(name: str):
    """The versioned env modules, imported on first access (``mdbf_envs.vcg_learn_v0``)."""
    if name in _ENV_MODULES:
        return importlib.import_module(f"mdbf_envs.{name}")
    raise AttributeError(f"module 'mdbf_envs' has no attribute {name!r}")
