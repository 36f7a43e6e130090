"""
# Joint Ads (`mdbf_envs/joint_ads-v0`)

| Import | `mdbf_envs.joint_ads_v0.parallel_env()`, `pettingzoo.make("parallel", "mdbf_envs/joint_ads-v0")` |
|---|---|
| Agents | `merchant`, `brand` (buyers 1 and 2 of paper 2) |
| Action Space | `Box(0.0, 1.0, (1,), float32)`: the bid |
| Observation Space | `Box(0.0, 1.0, (5,), float32)` |
| Reward | v_i x(b) - p_i(b), the buyer's utility |
| Episode end | truncation after ``horizon`` rounds (default 1000), or after each round with ``persistent=False`` |

Each round the learner (the seller) posts a DSIC mechanism M_t, learned from the bids of past
rounds; a valuation pair v_t arrives from the chosen sequence; each buyer sees only its own
value and bids; the ad is shown iff the bids lie in M_t's region and each pays its critical
price. The learner then observes the bids (full information, as in the paper).

Two modes:

* ``persistent=True`` (default): the same two buyers play all ``horizon`` rounds, so today's
  bids shape tomorrow's mechanism. The paper's learners assume fresh buyers each round; this
  mode lets users test what happens when they are not.
* ``persistent=False``: one episode is one round with a fresh pair of buyers. The learner and
  the valuation sequence carry over between episodes (``reset()`` without a seed starts the
  next round) until ``horizon`` rounds have been played; ``reset(seed=...)`` restarts
  everything.

## Observation Space
``Box(0, 1, (5,), float32)``:

| Field | Width | Meaning |
|---|---|---|
| `value` | 1 | own value v_i this round |
| `time` | 1 | t / T |
| `last_bid` | 1 | own bid last round (0 with fresh buyers) |
| `last_allocated` | 1 | 1 if the ad was shown last round (0 with fresh buyers) |
| `last_payment` | 1 | own payment last round (0 with fresh buyers) |

## Action Space
``Box(0, 1, (1,), float32)``: the bid.

## Info
Own ``utility``, ``payment``, ``allocated``; with ``designer_info=True`` also
``designer``: the round's revenue, the cumulative revenue and, where the law is known, the
regret against the Bayesian optimum.

## Version History
* v0: initial release.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec_wrapper
from pettingzoo.utils.wrappers import OrderEnforcingWrapper

from mdbf_envs.core.checks import (
    check_action,
    check_bool,
    check_choice,
    check_horizon,
    check_seed,
    check_size,
)
from mdbf_envs.envs.render import finish, new_figure
from mdbf_envs.joint_ads.batched import batched
from mdbf_envs.joint_ads.market import decode, observe, settle
from mdbf_envs.joint_ads.mechanism import Staircase
from mdbf_envs.joint_ads.valuations import SEQUENCES, probe_sequence
from mdbf_envs.registry import learner_factory

AGENTS = ("merchant", "brand")


class JointAdsParallelEnv(ParallelEnv):
    """Repeated joint ads (paper 2) as a PettingZoo ParallelEnv (module docstring has details).

    Args:
        sequence: the valuation sequence: "stochastic", "smooth", "adversarial",
            "equal-revenue" or "lower-bound".
        learner: a registered learner (:func:`mdbf_envs.register_learner`): "augment_the_best",
            "path_learning", "follow_the_leader", "posted_price_leader", "fixed",
            "epoch_augment_the_best", or yours.
        horizon: rounds T (``max_cycles`` is accepted as PettingZoo's alias).
        persistent: the same buyers every round (True) or a fresh pair per episode (False).
        sequence_kwargs, learner_kwargs: passed to the builders.
        designer_info: add the seller's revenue and regret to every agent's info.
        render_mode: None, "rgb_array" or "human".
    """

    metadata = {
        "name": "joint_ads_v0",
        "render_modes": ["rgb_array", "human"],
        "render_fps": 4,
        "is_parallelizable": True,
    }

    def __init__(
        self,
        sequence: str = "stochastic",
        learner: str = "augment_the_best",
        horizon: int = 1000,
        persistent: bool = True,
        sequence_kwargs: Mapping[str, Any] | None = None,
        learner_kwargs: Mapping[str, Any] | None = None,
        designer_info: bool = False,
        max_cycles: int | None = None,
        render_mode: str | None = None,
    ):
        probe_sequence(sequence, sequence_kwargs)
        self.horizon = check_horizon(horizon, max_cycles)
        check_size("horizon" if max_cycles is None else "max_cycles", self.horizon, 16)  # the (T, 2) values
        check_bool("persistent", persistent)
        check_bool("designer_info", designer_info)
        check_choice("render_mode", render_mode, [None, *self.metadata["render_modes"]])
        self.sequence, self.learner_name, self.persistent = sequence, learner, persistent
        self.sequence_kwargs, self.learner_kwargs = dict(sequence_kwargs or {}), dict(learner_kwargs or {})
        self._learner_factory = learner_factory(learner, **self.learner_kwargs)  # an unknown name fails here
        self.designer_info, self.render_mode = designer_info, render_mode
        self.possible_agents = list(AGENTS)
        self.observation_spaces = {a: spaces.Box(0.0, 1.0, (5,), np.float32) for a in AGENTS}
        self.action_spaces = {a: spaces.Box(0.0, 1.0, (1,), np.float32) for a in AGENTS}
        self.agents: list[str] = []
        self._np_random: np.random.Generator | None = None
        self._t = self.horizon  # forces a restart at the first reset

    def observation_space(self, agent: str) -> spaces.Box:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Box:
        return self.action_spaces[agent]

    def decode(self, observation: np.ndarray) -> dict[str, np.ndarray]:
        """Split observations ``(k, 5)`` into their named fields (for batch strategies)."""
        return decode(np.asarray(observation, dtype=np.float64))

    def _restart(self) -> None:
        rng = self._np_random
        seq = SEQUENCES[self.sequence](self.horizon, rng, **self.sequence_kwargs)
        # values at the action space's float32 precision: a truthful bid is then the value
        # itself, so truthful play is exactly individually rational
        self._values, self._bayes = seq.values.astype(np.float32).astype(np.float64), seq.bayes_revenue
        learner_rng = np.random.default_rng(int(rng.integers(2**63)))  # as the paired game seeds it
        self.learner = batched(self._learner_factory, self.horizon, [learner_rng])
        self._t, self._revenue = 0, 0.0

    def reset(self, seed: int | None = None, options: dict | None = None):
        seed = check_seed(seed)
        if seed is not None or self._np_random is None:
            self._np_random, _ = seeding.np_random(seed)
            self._t = self.horizon
        if self.persistent or self._t >= self.horizon:
            self._restart()
        self._last = np.zeros((2, 3))  # per agent: last bid, allocated, payment
        self._frame = None  # what render() draws: the last round played
        self.agents = list(self.possible_agents)
        self._begin_round()
        return self._observations(), {a: {} for a in self.agents}

    def _begin_round(self) -> None:
        self._mechanisms = self.learner.post()  # a batch of one
        self._mechanism = self._mechanisms[0]
        self._v = self._values[self._t]

    def _observations(self) -> dict[str, np.ndarray]:
        obs = observe(self._v, self._t / self.horizon, self._last).astype(np.float32)
        return {a: obs[k] for k, a in enumerate(self.possible_agents)}

    def step(self, actions: Mapping[str, Any]):
        if self._np_random is None:
            raise RuntimeError("call reset() before step()")
        if not isinstance(actions, Mapping):
            raise TypeError(f"actions must be a dict agent -> bid, got {type(actions).__name__}")
        if not self.agents:
            if actions:
                raise RuntimeError("the episode is over: call reset() before step()")
            return {}, {}, {}, {}, {}
        extra, missing = set(actions) - set(self.agents), set(self.agents) - set(actions)
        if extra or missing:
            raise KeyError(
                f"actions must name exactly {self.agents}; unknown {sorted(extra)}, missing {sorted(missing)}"
            )
        bids = np.empty(2)
        for k, a in enumerate(self.possible_agents):
            b = check_action(f"bid of {a}", actions[a])
            if not 0 <= b <= 1:
                raise ValueError(f"bid of {a} = {b} must be one number in [0, 1]")
            bids[k] = b
        sold, pay, utility = (x[0] for x in settle(self._mechanisms, self.learner, self._v[None], bids[None]))
        sold = bool(sold)
        self._revenue += pay.sum()
        if self.persistent:  # a fresh buyer knows nothing of the last round
            self._last = np.stack([bids, np.full(2, float(sold)), pay], axis=1)
        self._t += 1
        rewards = {a: float(utility[k]) for k, a in enumerate(self.possible_agents)}
        infos = {
            a: {"utility": float(utility[k]), "payment": float(pay[k]), "allocated": sold}
            for k, a in enumerate(self.possible_agents)
        }
        if self.designer_info:
            view = {"revenue": float(pay.sum()), "cumulative_revenue": float(self._revenue)}
            if self._bayes is not None:
                view["regret_bayes"] = float(self._bayes * self._t - self._revenue)
            for a in infos:
                infos[a]["designer"] = view
        done = self._t >= self.horizon or not self.persistent
        if self.render_mode is not None:
            self._frame = (self._mechanism, self._v.copy(), bids, pay)
        if not done:
            self._begin_round()
        observations = self._observations()
        if done:
            self.agents = []
        truncations = {a: done for a in AGENTS}
        terminations = {a: False for a in AGENTS}
        if self.render_mode == "human":
            self.render()
        return observations, rewards, terminations, truncations, infos

    def truthful_action(self, agent: str) -> np.ndarray:
        """Bid the own value."""
        return np.float32([self._v[self.possible_agents.index(agent)]])

    def render(self):
        """The posted region in the unit square, the valuation pair, the bids and prices."""
        if self.render_mode is None:
            return None
        mech, v, bids, pay = self._frame if self._frame is not None else (self._mechanism, self._v, None, None)
        fig = new_figure(self.render_mode, (4.2, 4.2))
        ax = fig.subplots()
        nodes = mech.boundary() if isinstance(mech, Staircase) else np.zeros((0, 2))
        if len(nodes):
            region = np.r_[nodes, [[1.0, 1.0]]]
            ax.fill(region[:, 0], region[:, 1], alpha=0.3, label="allocation region")
            ax.plot(nodes[:, 0], nodes[:, 1], "k-", lw=1)
        ax.plot(*v, "r*", ms=12, label="values")
        if bids is not None:
            ax.plot(*bids, "bx", ms=9, label=f"bids, prices ({pay[0]:.2f}, {pay[1]:.2f})")
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="merchant", ylabel="brand", title=f"round {self._t} / {self.horizon}")
        ax.legend(fontsize=7, loc="lower left")
        return finish(fig, self.render_mode)

    def close(self) -> None:
        pass


def parallel_env(**kwargs) -> JointAdsParallelEnv:
    """The ParallelEnv."""
    return JointAdsParallelEnv(**kwargs)


def raw_env(**kwargs):
    """The AEC env, converted from the ParallelEnv."""
    return parallel_to_aec_wrapper(JointAdsParallelEnv(**kwargs))


def env(**kwargs):
    """The AEC env with PettingZoo's order-enforcing wrapper."""
    return OrderEnforcingWrapper(raw_env(**kwargs))
