"""Scenario builders of *Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica):
Examples 1-2, Appendix F and Theorem 1's instance."""

from mdbf_envs.vcg_learn.scenarios.lower_bound import lower_bound
from mdbf_envs.vcg_learn.scenarios.online_ads import online_ads
from mdbf_envs.vcg_learn.scenarios.paas import paas
from mdbf_envs.vcg_learn.scenarios.single_item import single_item

__all__ = ["lower_bound", "online_ads", "paas", "single_item"]
