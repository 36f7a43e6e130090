"""Gymnasium single-agent views: one controlled agent, the others follow given policies.

The controlled agent's action is a *deviation from truthful play*, a in [-1, 1]: VCG-Learn
reports Y_it = X_it + ``deviation_scale`` a and Joint Ads bids v_i + ``deviation_scale`` a, both
clipped to the inner env's action bounds. a = 0 is truthful, so a policy starts from the
theorems' benchmark and the action space is the symmetric Box SB3 recommends.

The other agents follow batch strategies (:data:`mdbf_envs.core.paired_engine.BatchStrategy`,
e.g. :mod:`baselines.strategies`), as in the manipulation envs: ``strategy(fields, rng) ->
reports`` on the agent's decoded observation, clipped to the inner env's action space; the
default (None) is truthful.

These are the plain ids (``VCGLearn-v0``, ``VCGLearnETC-v0``, ``VCGLearnOPT-v0``,
``JointAds-v0``): a step is a round, the reward the round's own utility, and the episode is
truncated after ``horizon`` rounds. A manipulator's paired episodes are other ids
(:mod:`mdbf_envs.envs.manipulation`); the keywords that used to select them here are refused
with the new id's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from pettingzoo import ParallelEnv

from mdbf_envs.core.checks import check_action, check_int, check_real
from mdbf_envs.core.paired_engine import BatchStrategy
from mdbf_envs.envs.joint_ads import JointAdsParallelEnv
from mdbf_envs.envs.vcg_learn import VCGLearnParallelEnv


def deviation_to_action(truthful_action: np.ndarray, deviation: np.ndarray, scale: float, low, high) -> np.ndarray:
    """The inner action for a deviation a: clip(truthful + scale a, low, high)."""
    return np.minimum(np.maximum(truthful_action + scale * deviation, low), high)


def controlled_agent(inner: ParallelEnv, agent: str | None, deviation_scale: float) -> tuple[str, float]:
    """The validated controlled agent (default: the first) and deviation scale of a view."""
    agent = inner.possible_agents[0] if agent is None else agent
    if agent not in inner.possible_agents:
        raise ValueError(f"unknown agent {agent!r}; agents: {inner.possible_agents}")
    return agent, check_real("deviation_scale", deviation_scale, positive=True)


def strategy_action(
    env: ParallelEnv, agent: str, strategy: BatchStrategy, obs: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """``agent``'s action when it follows ``strategy`` on its observation ``obs``: the strategy's
    report, clipped to the agent's action space (the report, not a deviation, is clipped)."""
    space = env.action_space(agent)
    report = np.asarray(strategy(env.decode(np.asarray(obs)[None]), rng), dtype=np.float64).reshape(-1)[:1]
    return np.clip(report.astype(np.float32), space.low, space.high)


class SingleAgentView(gym.Env):
    """A ParallelEnv seen by one agent (base class; subclasses fix the inner env class).

    Args:
        agent: the controlled agent (default: the first of ``possible_agents``).
        others: one batch strategy for every other agent, or a mapping agent -> strategy
            (None, or an agent left out: truthful).
        deviation_scale: the report/bid moves by at most this much from truthful.
        render_mode: passed to the inner env.
        **env_kwargs: the inner env's arguments.
    """

    parallel_env_class: type = ParallelEnv
    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 4}

    def __init__(
        self,
        agent: str | None = None,
        others: BatchStrategy | Mapping[str, BatchStrategy] | None = None,
        deviation_scale: float = 1.0,
        render_mode: str | None = None,
        **env_kwargs: Any,
    ):
        self.inner = self.parallel_env_class(render_mode=render_mode, **env_kwargs)
        self.render_mode = render_mode
        self.agent, self.deviation_scale = controlled_agent(self.inner, agent, deviation_scale)
        rest = [a for a in self.inner.possible_agents if a != self.agent]
        if others is None or callable(others):
            self.others = {a: others for a in rest} if others is not None else {}
        elif not isinstance(others, Mapping):
            raise TypeError(
                f"others = {others!r}: give a batch strategy (fields, rng) -> reports, or a dict agent -> strategy"
            )
        else:
            unknown = set(others) - set(rest)
            if unknown:
                raise ValueError(f"strategies for unknown agents {sorted(unknown)}; others: {rest}")
            bad = {a: s for a, s in others.items() if s is not None and not callable(s)}
            if bad:
                raise TypeError(f"others = {bad!r}: each strategy must be callable (fields, rng) -> reports")
            self.others = {a: s for a, s in others.items() if s is not None}
        self.observation_space = self.inner.observation_space(self.agent)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self._obs: dict[str, np.ndarray] = {}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        inner_seed = int(self.np_random.integers(2**31 - 1))
        self._obs, infos = self.inner.reset(seed=inner_seed, options=options)
        return self._obs[self.agent], infos[self.agent]

    def action_to_inner(self, action: Any, truthful_action: np.ndarray | None = None) -> np.ndarray:
        """The inner env's action for a deviation a in [-1, 1] (validated, never clipped);
        ``truthful_action`` saves asking the inner env for it."""
        a = np.array([check_action("action", action)])
        if not -1 <= a[0] <= 1:
            raise ValueError(f"action = {a.tolist()} must be one number in [-1, 1]")
        space = self.inner.action_space(self.agent)
        if truthful_action is None:
            truthful_action = self.inner.truthful_action(self.agent)
        return deviation_to_action(truthful_action, np.float32(a), self.deviation_scale, space.low, space.high)

    def _check_running(self) -> None:
        """Refuse a step before the first reset or after the episode's end."""
        if not self._obs:
            raise RuntimeError("call reset() before step()")
        if not self.inner.agents:
            raise RuntimeError("the episode is over: call reset() before step()")

    def step(self, action: Any):
        self._check_running()
        inner = self.inner
        actions = {a: inner.truthful_action(a) for a in inner.agents}
        actions[self.agent] = self.action_to_inner(action)
        for other, strategy in self.others.items():
            if other in inner.agents:
                actions[other] = strategy_action(inner, other, strategy, self._obs[other], self.np_random)
        obs, rewards, terms, truncs, infos = inner.step(actions)
        self._obs = obs
        return obs[self.agent], rewards[self.agent], terms[self.agent], truncs[self.agent], infos[self.agent]

    def render(self):
        return self.inner.render()

    def close(self) -> None:
        self.inner.close()


class VCGLearnSingleAgentEnv(SingleAgentView):
    """One agent's view of :class:`VCGLearnParallelEnv` (``mdbf_envs/VCGLearn-v0``).

    Steps through the inner env's array form (:meth:`VCGLearnParallelEnv.play`): truthful
    agents' reports come as one vector and no per-agent dicts are built, so a step costs about
    what the round itself costs (``benchmarks/run.py --only ppo``).
    """

    parallel_env_class = VCGLearnParallelEnv

    def step(self, action: Any):
        self._check_running()
        inner = self.inner
        own = inner.agent_index[self.agent]
        observation, truthful_reports = inner.observation[0], inner.truthful_reports()
        reports = truthful_reports.astype(np.float64)  # (1, n)
        reports[0, own] = self.action_to_inner(action, truthful_reports[0, own, None])[0]
        for other, strategy in self.others.items():
            i = inner.agent_index[other]
            reports[0, i] = strategy_action(inner, other, strategy, observation[i], self.np_random)[0]
        done = inner.play(reports)
        return inner.observation[0, own], float(inner.rewards()[0, own]), False, done, inner.info(own)


class JointAdsSingleAgentEnv(SingleAgentView):
    """One buyer's view of :class:`JointAdsParallelEnv` (``mdbf_envs/JointAds-v0``)."""

    parallel_env_class = JointAdsParallelEnv


MANIPULATION_KEYWORDS = ("reward_mode", "decisions")


def refuse_manipulation_keywords(game: str, kwargs: Mapping[str, Any]) -> None:
    """Refuse the keywords that used to turn a plain id into a manipulator's paired env, naming
    the id that is that env now."""
    new_id = {
        "vcg_learn": "mdbf_envs/VCGLearnManipulation-v0 (Appendix F: VCGLearnManipulationETC-v0, "
        "VCGLearnManipulationOPT-v0)",
        "joint_ads": "mdbf_envs/JointAdsManipulation-v0",
    }[game]
    if kwargs.get("reward_mode") == "gain" or "decisions" in kwargs:
        given = {k: kwargs[k] for k in MANIPULATION_KEYWORDS if k in kwargs}
        raise ValueError(
            f"{given} asks for a manipulator's paired episodes, which have their own id since 0.2.0: "
            f"gymnasium.make({new_id!s}, ...)"
        )


def vcg_learn_env(**kwargs: Any) -> VCGLearnSingleAgentEnv:
    """Entry point of the plain VCG-Learn ids."""
    refuse_manipulation_keywords("vcg_learn", kwargs)
    return VCGLearnSingleAgentEnv(**kwargs)


def vcg_learn_vector_env(num_envs: int = 1, **kwargs: Any) -> VectorEnv:
    """Vector entry point of the plain VCG-Learn ids: N copies as one batched market
    (:class:`mdbf_envs.envs.vcg_learn_vector.VCGLearnVectorEnv`)."""
    from mdbf_envs.envs.vcg_learn_vector import VCGLearnVectorEnv

    refuse_manipulation_keywords("vcg_learn", kwargs)
    return VCGLearnVectorEnv(num_envs, **kwargs)


def joint_ads_env(**kwargs: Any) -> JointAdsSingleAgentEnv:
    """Entry point of ``JointAds-v0``."""
    refuse_manipulation_keywords("joint_ads", kwargs)
    return JointAdsSingleAgentEnv(**kwargs)


def joint_ads_vector_env(
    num_envs: int = 1, autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP, **kwargs: Any
) -> VectorEnv:
    """Vector entry point of ``JointAds-v0``: Gymnasium's ``SyncVectorEnv`` of plain views (the
    learners are Python objects either way, so batching them gains nothing)."""
    from mdbf_envs.envs.vector import MAX_NUM_ENVS

    refuse_manipulation_keywords("joint_ads", kwargs)
    check_int("num_envs", num_envs, 1, MAX_NUM_ENVS)
    return gym.vector.SyncVectorEnv(
        [partial(JointAdsSingleAgentEnv, **kwargs) for _ in range(num_envs)],
        autoreset_mode=AutoresetMode(autoreset_mode),
    )
