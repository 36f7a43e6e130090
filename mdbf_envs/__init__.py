"""mdbf-envs: multi-agent environments for repeated mechanism design with learning."""

from mdbf_envs.registration import register_envs
from mdbf_envs.registry import make_mechanism, make_scenario, register_mechanism, register_scenario
from mdbf_envs.scenario import Scenario, ScenarioError

__version__ = "0.1.0"
__all__ = [
    "Scenario",
    "ScenarioError",
    "make_mechanism",
    "make_scenario",
    "register_envs",
    "register_mechanism",
    "register_scenario",
]

register_envs()
