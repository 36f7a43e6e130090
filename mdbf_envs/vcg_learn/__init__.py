"""Paper 1: *Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica).

One room for the paper: the :class:`Scenario` and its builders (Sec. 2, Examples 1-2, App. F),
exact VCG over Omega and the slot-assignment solver (Sec. 2), VCG-Learn and its schedules
(Algorithm 1, eqs. 4-7), regret accounting (eq. 3), and the numpy and compiled simulation loops.
The decisions the paper leaves open are recorded in ``docs/decisions.md``.
"""

from mdbf_envs.vcg_learn.mechanism import Estimates, VCGLearn, confidence_width
from mdbf_envs.vcg_learn.pay_your_estimate import PayYourEstimate
from mdbf_envs.vcg_learn.scenario import Scenario, ScenarioError
from mdbf_envs.vcg_learn.schedule import BracketClock, covering_schedule, exploit_length

__all__ = [
    "BracketClock",
    "Estimates",
    "PayYourEstimate",
    "Scenario",
    "ScenarioError",
    "VCGLearn",
    "confidence_width",
    "covering_schedule",
    "exploit_length",
]
