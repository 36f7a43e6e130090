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
stable-baselines3 expects, see :class:`agents.training.sb3_vec_env.SB3VecEnv`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode

from mdbf_envs.envs.single_agent import controlled_agent, deviation_to_action
from mdbf_envs.envs.vcg_learn import VCGLearnParallelEnv
from mdbf_envs.envs.vector import SharedClockVectorEnv


class VCGLearnVectorEnv(SharedClockVectorEnv):
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
            raise ValueError(
                "the vector env plays truthful others; for scripted others use "
                "gymnasium.make_vec(..., vectorization_mode='sync')"
            )
        if env_kwargs.get("render_mode") is not None:
            raise ValueError("the vector env does not render; render a single env")
        super().__init__(num_envs, autoreset_mode)
        self.inner = VCGLearnParallelEnv(replications=self.num_envs, **env_kwargs)
        self.agent, self.deviation_scale = controlled_agent(self.inner, agent, deviation_scale)
        self._own = self.inner.agent_index[self.agent]
        self.single_observation_space = self.inner.observation_space(self.agent)
        self._spaces()

    def _start(self, options: dict | None) -> np.ndarray:
        """A new episode in every copy; its inner seeds come from the copies' own generators,
        as :meth:`SingleAgentView.reset` draws them."""
        self.inner.reset(seed=[int(rng.integers(2**31 - 1)) for rng in self._rngs], options=options)
        return self.inner.observation[:, self._own].copy()

    def _play(self, actions: np.ndarray):
        inner, own = self.inner, self._own
        truthful_reports = inner.truthful_reports()
        reports = truthful_reports.astype(np.float64)
        space = inner.action_space(self.agent)
        reports[:, own] = deviation_to_action(
            truthful_reports[:, own], actions.astype(np.float32), self.deviation_scale, space.low[0], space.high[0]
        )
        done = inner.play(reports)
        obs = inner.observation[:, own].copy()
        rewards = inner.rewards()[:, own].astype(np.float64)
        return obs, rewards, np.zeros(self.num_envs, bool), np.full(self.num_envs, done), self._infos()

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
