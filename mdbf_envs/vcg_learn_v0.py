"""Versioned entry point of the vcg_learn environment: `env`, `parallel_env`, `raw_env`."""

from mdbf_envs.envs.vcg_learn import env, parallel_env, raw_env

__all__ = ["env", "parallel_env", "raw_env"]
