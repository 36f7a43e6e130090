"""Scenario builders for paper 1 (VCG-Learn)."""

from mdbf_envs.scenarios.lower_bound import lower_bound
from mdbf_envs.scenarios.online_ads import online_ads
from mdbf_envs.scenarios.paas import paas
from mdbf_envs.scenarios.single_item import single_item

__all__ = ["lower_bound", "online_ads", "paas", "single_item"]
