"""A native Gymnasium vector env of the VCG-Learn single-agent view: N copies, one batched market.

``gymnasium.make_vec("mdbf_envs/VCGLearnOPT-v0", num_envs=N)`` builds this (the ids register it
as their ``vector_entry_point``). The N copies are the R = N replications of one
:class:`VCGLearnParallelEnv`, so a step runs one batched mechanism round instead of N rounds.
Copy r plays exactly as ``gymnasium.make_vec(..., vectorization_mode="sync")``'s copy r does:
the same seeds (``seed + r``), realisations, observations, rewards and infos, step by step
(tested), because each replication draws from its own generator seeded as the view seeds its
inner env. The controlled agent's action is a deviation from truthful play, as in
:class:`VCGLearnSingleAgentEnv`; the other agents report truthfully (scripted others need the
``"sync"`` mode, which steps one view per copy).

The copies share the mechanism's clock, so their episodes (``horizon`` rounds) end together.
``autoreset_mode`` is Gymnasium's ``NEXT_STEP`` by default, or ``SAME_STEP`` (what
stable-baselines3 expects, see :class:`agents.sb3_vec_env.SB3VecEnv`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from mdbf_envs.core.checks import check_int
from mdbf_envs.envs.single_agent import controlled_agent, deviation_to_action
from mdbf_envs.envs.vcg_learn import VCGLearnParallelEnv
from mdbf_envs.core.streams import copy_generators


class VCGLearnVectorEnv(VectorEnv):
    """N copies of ``mdbf_envs/VCGLearn-v0``'s view, stepped as one batched market.

    Args:
        num_envs: N.
        agent: the controlled agent (default: the first).
        deviation_scale: the report moves by at most this much from truthful.
        autoreset_mode: ``AutoresetMode.NEXT_STEP`` (default) or ``SAME_STEP``.
        others: accepted for the single view's signature; only None (truthful others) is
            supported here.
        **env_kwargs: :class:`VCGLearnParallelEnv`'s arguments.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        agent: str | None = None,
        deviation_scale: float = 1.0,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        others: None = None,
        **env_kwargs: Any,
    ):
        if others is not None:
            raise ValueError("the vector env plays truthful others; for scripted others use "
                             "gymnasium.make_vec(..., vectorization_mode='sync')")
        if env_kwargs.get("render_mode") is not None:
            raise ValueError("the vector env does not render; render a single env")
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        if self.autoreset_mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"autoreset_mode = {self.autoreset_mode}; use NEXT_STEP or SAME_STEP")
        self.metadata = {"autoreset_mode": self.autoreset_mode}
        self.num_envs = check_int("num_envs", num_envs, 1)
        self.inner = VCGLearnParallelEnv(replications=self.num_envs, **env_kwargs)
        self.agent, self.deviation_scale = controlled_agent(self.inner, agent, deviation_scale)
        self._own = self.inner.agent_index[self.agent]
        self.single_observation_space = self.inner.observation_space(self.agent)
        self.single_action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._view_rngs: list[np.random.Generator] = []
        self._autoreset = False

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        """Reset every copy; copy r is seeded with ``seed + r`` (or ``seed[r]``)."""
        self._view_rngs = copy_generators(seed, self.num_envs, self._view_rngs)
        return self._start(options), {}

    def _start(self, options: dict | None = None) -> np.ndarray:
        """A new episode in every copy; its inner seeds come from the copies' own generators,
        as :meth:`SingleAgentView.reset` draws them."""
        self.inner.reset(seed=[int(rng.integers(2**31 - 1)) for rng in self._view_rngs], options=options)
        self._autoreset = False
        return self.inner.observation[:, self._own].copy()

    def step(self, actions: np.ndarray):
        a = np.asarray(actions, dtype=np.float64)
        if a.shape != (self.num_envs, 1):
            raise ValueError(f"actions have shape {a.shape}, expected ({self.num_envs}, 1)")
        bad = ~((a >= -1) & (a <= 1))  # NaN is bad too
        if bad.any():
            r = int(np.argmax(bad[:, 0]))
            raise ValueError(f"action of env {r} = {a[r].tolist()} must be one number in [-1, 1]")
        if not self._view_rngs:
            raise RuntimeError("call reset() before step()")
        if self._autoreset:  # NEXT_STEP: this step only starts the new episodes
            zeros = np.zeros(self.num_envs, bool)
            return self._start(), np.zeros(self.num_envs), zeros, zeros.copy(), {}
        inner, own = self.inner, self._own
        truthful_reports = inner.truthful_reports()
        reports = truthful_reports.astype(np.float64)
        space = inner.action_space(self.agent)
        reports[:, own] = deviation_to_action(truthful_reports[:, own], a[:, 0].astype(np.float32),
                                              self.deviation_scale, space.low[0], space.high[0])
        done = inner.play(reports)
        obs = inner.observation[:, own].copy()
        rewards = inner.rewards()[:, own].astype(np.float64)
        truncated = np.full(self.num_envs, done)
        infos = self._infos()
        if done and self.autoreset_mode == AutoresetMode.SAME_STEP:
            final_obs = np.empty(self.num_envs, dtype=object)
            final_obs[:] = list(obs)
            mask = np.ones(self.num_envs, bool)
            infos = {"final_obs": final_obs, "_final_obs": mask, "final_info": infos, "_final_info": mask.copy()}
            obs = self._start()
        elif done:
            self._autoreset = True
        return obs, rewards, np.zeros(self.num_envs, bool), truncated, infos

    def _infos(self) -> dict[str, Any]:
        """The controlled agent's infos as Gymnasium batches them: ``key`` -> ``(N,)`` array and
        ``_key`` -> its mask (every copy has every key)."""
        own, every = self._own, np.ones(self.num_envs, bool)  # one mask array serves every key
        infos: dict[str, Any] = {}
        for key, table in self.inner.info_table().items():
            infos[key], infos[f"_{key}"] = table[:, own].copy(), every
        if self.inner.designer_info:
            infos["designer"] = {}
            for key, value in self.inner.designer_view().items():
                infos["designer"][key], infos["designer"][f"_{key}"] = value, every
            infos["_designer"] = every
        return infos
