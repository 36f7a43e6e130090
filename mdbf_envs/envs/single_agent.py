"""Gymnasium single-agent views: one controlled agent, the others follow given policies.

The controlled agent's action is a *deviation from truthful play*, a in [-1, 1]: VCG-Learn
reports Y_it = X_it + ``deviation_scale`` a and Joint Ads bids v_i + ``deviation_scale`` a, both
clipped to the inner env's action bounds. a = 0 is truthful, so a policy starts from the
theorems' benchmark and the action space is the symmetric Box SB3 recommends.

A policy for the other agents is any callable ``policy(env, agent, obs, rng) -> action`` in the
inner ParallelEnv's action space (see :mod:`baselines.strategies`); the default is truthful.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from pettingzoo import ParallelEnv

from mdbf_envs.core.checks import check_action, check_real
from mdbf_envs.envs.joint_ads import JointAdsParallelEnv
from mdbf_envs.envs.vcg_learn import VCGLearnParallelEnv

Policy = Callable[[ParallelEnv, str, np.ndarray, np.random.Generator], Any]


def deviation_to_action(truthful_action: np.ndarray, deviation: np.ndarray, scale: float, low, high) -> np.ndarray:
    """The inner action for a deviation a: clip(truthful + scale a, low, high)."""
    return np.minimum(np.maximum(truthful_action + scale * deviation, low), high)


def controlled_agent(inner: ParallelEnv, agent: str | None, deviation_scale: float) -> tuple[str, float]:
    """The validated controlled agent (default: the first) and deviation scale of a view."""
    agent = inner.possible_agents[0] if agent is None else agent
    if agent not in inner.possible_agents:
        raise ValueError(f"unknown agent {agent!r}; agents: {inner.possible_agents}")
    return agent, check_real("deviation_scale", deviation_scale, positive=True)


def truthful(env: ParallelEnv, agent: str, obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Report the realised value (VCG-Learn) or bid the value (Joint Ads)."""
    return env.truthful_action(agent)


class SingleAgentView(gym.Env):
    """A ParallelEnv seen by one agent (base class; subclasses fix the inner env class).

    Args:
        agent: the controlled agent (default: the first of ``possible_agents``).
        others: one policy for every other agent, or a mapping agent -> policy.
        deviation_scale: the report/bid moves by at most this much from truthful.
        render_mode: passed to the inner env.
        **env_kwargs: the inner env's arguments.
    """

    parallel_env_class: type = ParallelEnv
    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 4}

    def __init__(
        self,
        agent: str | None = None,
        others: Policy | Mapping[str, Policy] | None = None,
        deviation_scale: float = 1.0,
        render_mode: str | None = None,
        **env_kwargs: Any,
    ):
        self.inner = self.parallel_env_class(render_mode=render_mode, **env_kwargs)
        self.render_mode = render_mode
        self.agent, self.deviation_scale = controlled_agent(self.inner, agent, deviation_scale)
        rest = [a for a in self.inner.possible_agents if a != self.agent]
        if others is None or callable(others):
            self.others = {a: others or truthful for a in rest}
        elif not isinstance(others, Mapping):
            raise TypeError(f"others = {others!r}: give a policy (env, agent, obs, rng) -> action, or a dict "
                            "agent -> policy")
        else:
            unknown = set(others) - set(rest)
            if unknown:
                raise ValueError(f"policies for unknown agents {sorted(unknown)}; others: {rest}")
            self.others = {a: others.get(a, truthful) for a in rest}
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
        actions = {self.agent: self.action_to_inner(action)}
        for other, policy in self.others.items():
            if other in self.inner.agents:
                actions[other] = policy(self.inner, other, self._obs[other], self.np_random)
        obs, rewards, terms, truncs, infos = self.inner.step(actions)
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
        for other, policy in self.others.items():
            if policy is not truthful:
                i = inner.agent_index[other]
                reports[0, i] = inner.check_action(other, policy(inner, other, observation[i], self.np_random))
        done = inner.play(reports)
        return inner.observation[0, own], float(inner.rewards()[0, own]), False, done, inner.info(own)


class JointAdsSingleAgentEnv(SingleAgentView):
    """One buyer's view of :class:`JointAdsParallelEnv` (``mdbf_envs/JointAds-v0``)."""

    parallel_env_class = JointAdsParallelEnv
