"""Versioned entry point of the joint_ads environment: `env`, `parallel_env`, `raw_env`."""

from mdbf_envs.envs.joint_ads import env, parallel_env, raw_env

__all__ = ["env", "parallel_env", "raw_env"]
