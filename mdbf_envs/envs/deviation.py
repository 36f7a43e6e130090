"""Every agent's action as a deviation from truthful play, for any PettingZoo client.

The PettingZoo envs take raw reports (VCG-Learn: ``Box(report_low, report_high)``) or bids
(joint ads: ``Box(0, 1)``). A learner that starts from a zero-mean policy on that box (RLlib's
``normalize_actions`` maps [-1, 1] onto it; SuperSuit and TorchRL pass it through) starts far
from truthful play. :class:`DeviationWrapper` gives every agent the action space
``Box(-1, 1, (1,), float32)`` of the Gymnasium views instead: a = 0 is the truthful report,
and an agent's report is truthful + ``deviation_scale`` a, clipped to the env's own action
space (as :func:`mdbf_envs.envs.single_agent.deviation_to_action` maps it).

    env = DeviationWrapper(mdbf_envs.vcg_learn_v0.parallel_env(zeta="etc"), deviation_scale=1.0)

It is a PettingZoo ``BaseParallelWrapper`` and passes ``parallel_api_test``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils.wrappers import BaseParallelWrapper

from mdbf_envs.core.checks import check_action, check_real
from mdbf_envs.envs.single_agent import deviation_to_action


class DeviationWrapper(BaseParallelWrapper):
    """A ParallelEnv whose agents act by deviations a in [-1, 1] from truthful play (module
    docstring); the inner env must offer ``truthful_action(agent)`` (both mdbf_envs envs do)."""

    def __init__(self, env: ParallelEnv, deviation_scale: float = 1.0):
        super().__init__(env)
        if not hasattr(env.unwrapped, "truthful_action"):
            raise TypeError(f"{type(env.unwrapped).__name__} has no truthful_action(agent) to deviate from")
        self.deviation_scale = check_real("deviation_scale", deviation_scale, positive=True)
        self._box = spaces.Box(-1.0, 1.0, (1,), np.float32)

    def action_space(self, agent: str) -> spaces.Box:
        return self._box

    def step(self, actions: dict[str, Any]):
        inner = self.env.unwrapped
        reports = {}
        for agent, action in actions.items():
            a = np.array([check_action(f"action of {agent}", action)], np.float32)
            if not -1 <= a[0] <= 1:
                raise ValueError(f"action of {agent} = {a.tolist()} must be one number in [-1, 1]")
            space = self.env.action_space(agent)
            reports[agent] = deviation_to_action(
                inner.truthful_action(agent), a, self.deviation_scale, space.low, space.high
            )
        return self.env.step(reports)
