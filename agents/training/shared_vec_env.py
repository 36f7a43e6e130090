"""Parameter sharing: every agent of a PettingZoo ParallelEnv as one sub-env of an SB3 VecEnv.

One SB3 policy then acts for all agents at once, so they learn at the same time (the others
are non-stationary for each of them). Like the Gymnasium view, an action a in [-1, 1] moves
an agent's report (or bid) to truthful + ``deviation_scale`` a. Written instead of SuperSuit's
``pettingzoo_env_to_vec_env_v1`` to avoid its known pitfalls: copies get distinct seeds,
``seed=`` works with SB3, and truncation is reported as ``TimeLimit.truncated`` so PPO
bootstraps instead of treating the time limit as a terminal state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from mdbf_envs.envs.single_agent import deviation_to_action


class SharedPolicyVecEnv(VecEnv):
    """``num_envs`` copies of a ParallelEnv, each agent of each copy one VecEnv index.

    Args:
        make_env: a zero-argument factory of the ParallelEnv (its agents must share spaces
            and never leave before the episode ends, as in the mdbf_envs envs).
        num_envs: independent copies, seeded ``seed + k``.
        deviation_scale: see the module docstring.
        seed: base seed.
    """

    def __init__(
        self, make_env: Callable[[], ParallelEnv], num_envs: int = 1, deviation_scale: float = 0.5, seed: int = 0
    ):
        self.envs = [make_env() for _ in range(num_envs)]
        self.agents = list(self.envs[0].possible_agents)
        obs_space = self.envs[0].observation_space(self.agents[0])
        for a in self.agents:
            if self.envs[0].observation_space(a).shape != obs_space.shape:
                raise ValueError(f"agent {a} has a different observation space: parameter sharing needs equal spaces")
        self.deviation_scale, self._seed = deviation_scale, seed
        self._actions: np.ndarray | None = None
        self._obs: list[dict[str, np.ndarray]] = [{} for _ in self.envs]
        super().__init__(len(self.envs) * len(self.agents), obs_space, spaces.Box(-1.0, 1.0, (1,), np.float32))

    def _stack(self) -> np.ndarray:
        return np.stack([obs[a] for obs in self._obs for a in self.agents])

    def reset(self) -> np.ndarray:
        for k, env in enumerate(self.envs):
            self._obs[k], _ = env.reset(seed=self._seed + k)
        self._seed += len(self.envs)  # the next reset draws new episodes
        return self._stack()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions, dtype=np.float32).reshape(self.num_envs, 1)

    def step_wait(self):
        n = len(self.agents)
        rewards = np.zeros(self.num_envs, np.float32)
        dones = np.zeros(self.num_envs, bool)
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for k, env in enumerate(self.envs):
            acts = {}
            for j, agent in enumerate(self.agents):
                space = env.action_space(agent)
                acts[agent] = deviation_to_action(
                    env.truthful_action(agent), self._actions[k * n + j], self.deviation_scale, space.low, space.high
                )
            obs, rew, term, trunc, info = env.step(acts)
            for j, agent in enumerate(self.agents):
                idx = k * n + j
                rewards[idx] = rew[agent]
                dones[idx] = term[agent] or trunc[agent]
                infos[idx] = dict(info[agent])
                if dones[idx]:
                    infos[idx]["terminal_observation"] = obs[agent]
                    infos[idx]["TimeLimit.truncated"] = bool(trunc[agent] and not term[agent])
            if not env.agents:
                obs, _ = env.reset(seed=self._seed)
                self._seed += 1
            self._obs[k] = obs
        return self._stack(), rewards, dones, infos

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return [getattr(self.envs[i // len(self.agents)], attr_name) for i in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        for i in self._get_indices(indices):
            setattr(self.envs[i // len(self.agents)], attr_name, value)

    def env_method(self, method_name: str, *args, indices=None, **kwargs) -> list[Any]:
        return [
            getattr(self.envs[i // len(self.agents)], method_name)(*args, **kwargs) for i in self._get_indices(indices)
        ]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]

    def seed(self, seed: int | None = None) -> Sequence[None]:
        if seed is not None:
            self._seed = seed
        return [None] * self.num_envs
