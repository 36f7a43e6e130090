"""Parameter sharing through SuperSuit for stable-baselines3, with SuperSuit's pitfalls mended.

SuperSuit's documented recipe (``pettingzoo_env_to_vec_env_v1`` then ``concat_vec_envs_v1(...,
base_class="stable_baselines3")``) trains one SB3 policy for every agent, but ``PPO(seed=...)``
fails on it (``'ConcatVecEnv' object has no attribute 'seed'``: SB3 seeds through ``venv.seed``,
which SuperSuit's vector envs lack), and it reports the time limit as a terminal state, so PPO
never bootstraps past it. :func:`shared_policy_vec_env` builds the same chain with
:class:`SeededSB3VecEnv` on top, which seeds copy k with ``seed + k`` at the next reset (as
SuperSuit's ``ConcatVecEnv.reset(seed)`` does) and marks truncations ``TimeLimit.truncated``:

    env = shared_policy_vec_env(mdbf_envs.vcg_learn_v0.parallel_env(zeta="etc"), num_envs=4)
    PPO("MlpPolicy", env, seed=0).learn(10_000)

Agents act by deviations from truthful play (:class:`mdbf_envs.envs.deviation.DeviationWrapper`).
The package's own :class:`agents.training.shared_vec_env.SharedPolicyVecEnv` does the same
without SuperSuit.
"""

from __future__ import annotations

import numpy as np
from pettingzoo import ParallelEnv
from stable_baselines3.common.vec_env import VecEnvWrapper

from mdbf_envs.core.checks import check_int
from mdbf_envs.envs.deviation import DeviationWrapper


class SeededSB3VecEnv(VecEnvWrapper):
    """SuperSuit's concatenated vector env (gymnasium base class) as an SB3 ``VecEnv`` that
    takes ``seed()`` and reports truncation as ``TimeLimit.truncated`` (module docstring)."""

    def __init__(self, venv):
        super().__init__(venv, venv.observation_space, venv.action_space)
        self._seed: int | None = None
        self.reset_infos: list[dict] = []

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Seed the next reset: copy k gets ``seed + k``."""
        self._seed = seed
        return [None if seed is None else seed + k for k in range(self.num_envs)]

    def reset(self) -> np.ndarray:
        observations, self.reset_infos = self.venv.reset(seed=self._seed)
        self._seed = None
        return observations

    def step_wait(self):
        observations, rewards, terminations, truncations, infos = self.venv.step_wait()
        dones = np.logical_or(terminations, truncations)
        for k in np.flatnonzero(np.logical_and(truncations, np.logical_not(terminations))):
            infos[k]["TimeLimit.truncated"] = True
        return observations, rewards, dones, infos

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * self.num_envs

    def get_attr(self, attr_name: str, indices=None) -> list:
        if attr_name == "render_mode":
            return [None] * self.num_envs
        raise AttributeError(f"SuperSuit's vector env has no per-copy attribute {attr_name!r}")


def shared_policy_vec_env(
    env: ParallelEnv, num_envs: int = 1, num_cpus: int = 0, deviation_scale: float = 1.0
) -> SeededSB3VecEnv:
    """``num_envs`` copies of ``env``, every agent of every copy one index of an SB3 VecEnv."""
    import supersuit as ss

    check_int("num_envs", num_envs, 1)
    vec = ss.pettingzoo_env_to_vec_env_v1(DeviationWrapper(env, deviation_scale))
    return SeededSB3VecEnv(ss.concat_vec_envs_v1(vec, num_envs, num_cpus=num_cpus, base_class="gymnasium"))
