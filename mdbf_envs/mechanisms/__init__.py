"""Learning mechanisms: VCG-Learn (paper 1) and its schedules."""

from mdbf_envs.mechanisms.schedule import BracketClock, covering_schedule, exploit_length
from mdbf_envs.mechanisms.vcg_learn import Estimates, Round, VCGLearn, confidence_width

__all__ = [
    "BracketClock",
    "Estimates",
    "Round",
    "VCGLearn",
    "confidence_width",
    "covering_schedule",
    "exploit_length",
]
