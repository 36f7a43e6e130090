"""A Gymnasium vector env as a stable-baselines3 VecEnv (SB3 ships no such adapter; its
maintainers leave it to users, DLR-RM/stable-baselines3#1745).

    venv = SB3VecEnv(gymnasium.make_vec("mdbf_envs/VCGLearnOPT-v0", num_envs=16, autoreset_mode="SameStep"))

SB3 resets a finished copy in the same step and hands its last observation over in
``info["terminal_observation"]``: Gymnasium's ``AutoresetMode.SAME_STEP``, which this adapter
requires. Batched infos (``key`` -> array, ``_key`` -> mask) become SB3's list of per-copy
dicts, with ``TimeLimit.truncated`` in every one, as DummyVecEnv sets it for bootstrapping.
With the same seed, a native vector env wrapped here steps exactly like ``DummyVecEnv`` of
single envs (tested).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env import VecEnv


def unbatch_info(infos: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """The ``n`` copies' infos from Gymnasium's batched form (nested dicts included), with
    Python scalars as single envs give them."""
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, value in infos.items():
        if key.startswith("_"):
            continue
        values = (
            unbatch_info(value, n)
            if isinstance(value, dict)
            else value.tolist()
            if value.dtype != object
            else list(value)
        )
        mask = infos.get(f"_{key}")
        for info, v, has in zip(out, values, [True] * n if mask is None else mask.tolist(), strict=True):
            if has:
                info[key] = v
    return out


class SB3VecEnv(VecEnv):
    """``env``, a Gymnasium :class:`~gymnasium.vector.VectorEnv` with SAME_STEP autoreset, as an
    SB3 VecEnv. ``seed()`` seeds copy r with ``seed + r`` at the next reset, as DummyVecEnv does."""

    def __init__(self, env: gym.vector.VectorEnv):
        if env.metadata.get("autoreset_mode") != AutoresetMode.SAME_STEP:
            raise ValueError(f"SB3 needs autoreset_mode SAME_STEP; the env has {env.metadata.get('autoreset_mode')}")
        self.env = env
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        seeds = None if all(s is None for s in self._seeds) else list(self._seeds)
        options = self._options[0] or None  # the vector env takes one dict for all copies
        obs, infos = self.env.reset(seed=seeds, options=options)
        self.reset_infos = unbatch_info(infos, self.num_envs)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        obs, rewards, terminated, truncated, infos = self.env.step(self._actions)
        dones = terminated | truncated
        out = unbatch_info(infos, self.num_envs)
        if dones.any():
            finals = unbatch_info(infos["final_info"], self.num_envs)
            for i in np.flatnonzero(dones):
                out[i] = {**finals[i], "terminal_observation": infos["final_obs"][i]}
        for info, cut in zip(out, (truncated & ~terminated).tolist(), strict=True):
            info["TimeLimit.truncated"] = cut  # in every info, as DummyVecEnv sets it
        return obs, rewards.astype(np.float32), dones, out

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        """The vector env's attribute, once per copy (the copies share one env)."""
        return [getattr(self.env, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        raise NotImplementedError("the copies share one vector env: set attributes on SB3VecEnv.env")

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        raise NotImplementedError("the copies share one vector env: call methods on SB3VecEnv.env")

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * len(self._get_indices(indices))
