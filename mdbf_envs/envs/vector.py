"""The base of the native vector envs: N copies that share one batched game's clock.

Both native vector envs (the plain VCG-Learn view's and the paired games') step N copies as the
N replications of one batched object, so their episodes end together. This base holds what they
share: seeding copy r with ``seed + r`` (as Gymnasium's own vector envs do), checking the
actions, and Gymnasium's two autoreset modes (``NEXT_STEP``, the default, where the step after
an episode's end only starts the next; ``SAME_STEP``, stable-baselines3's, where the new
episode's first observation is returned at once and the last one goes into ``final_obs``).
"""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from mdbf_envs.core.checks import check_int
from mdbf_envs.core.streams import copy_generators

MAX_NUM_ENVS = 2**16
"""The most copies a vector env takes (each has its own random generator, made in Python)."""


class SharedClockVectorEnv(VectorEnv):
    """N copies of one batched game with actions in [-1, 1] (module docstring). Subclasses set
    ``single_observation_space`` in :meth:`__init__` (then call :meth:`_spaces`) and implement
    :meth:`_start` and :meth:`_play`."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int, autoreset_mode: AutoresetMode | str):
        self.num_envs = check_int("num_envs", num_envs, 1, MAX_NUM_ENVS)
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        if self.autoreset_mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"autoreset_mode = {self.autoreset_mode}; use NEXT_STEP or SAME_STEP")
        self.metadata = {"autoreset_mode": self.autoreset_mode}
        self.single_action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self._rngs: list[np.random.Generator] = []
        self._autoreset = False

    def _spaces(self) -> None:
        """Batch the single spaces."""
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        """Reset every copy; copy r is seeded with ``seed + r`` (or ``seed[r]``)."""
        self._rngs = copy_generators(seed, self.num_envs, self._rngs)
        self._autoreset = False
        return self._start(options), {}

    def step(self, actions: np.ndarray):
        a = np.asarray(actions, dtype=np.float64)
        if a.shape != (self.num_envs, 1):
            raise ValueError(f"actions have shape {a.shape}, expected ({self.num_envs}, 1)")
        bad = ~((a >= -1) & (a <= 1))  # NaN is bad too
        if bad.any():
            r = int(np.argmax(bad[:, 0]))
            raise ValueError(f"action of env {r} = {a[r].tolist()} must be one number in [-1, 1]")
        if not self._rngs:
            raise RuntimeError("call reset() before step()")
        if self._autoreset:  # NEXT_STEP: this step only starts the new episodes
            self._autoreset = False
            zeros = np.zeros(self.num_envs, bool)
            return self._start(None), np.zeros(self.num_envs), zeros, zeros.copy(), {}
        obs, rewards, terminated, truncated, infos = self._play(a[:, 0])
        if terminated.any() or truncated.any():  # the copies end together
            if self.autoreset_mode == AutoresetMode.SAME_STEP:
                final_obs = np.empty(self.num_envs, dtype=object)
                final_obs[:] = list(obs)
                mask = np.ones(self.num_envs, bool)
                infos = {"final_obs": final_obs, "_final_obs": mask, "final_info": infos, "_final_info": mask.copy()}
                obs = self._start(None)
            else:
                self._autoreset = True
        return obs, rewards, terminated, truncated, infos

    @abstractmethod
    def _start(self, options: dict | None) -> np.ndarray:
        """Start a new episode in every copy (drawing from ``self._rngs``); its observations."""

    @abstractmethod
    def _play(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        """One step with ``actions`` ``(N,)`` in [-1, 1]: observations, rewards, terminated,
        truncated, infos."""
