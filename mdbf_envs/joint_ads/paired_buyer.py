"""The paired game of repeated joint ads: a buyer who stays, beside its truthful shadow.

*Selling Joint Ads* assumes fresh buyers each round; its learners (Secs. 4-5) are DSIC round by
round but learn from the bids they receive, so a buyer who stays may lie today to face lower
prices tomorrow. Pair r runs two learners on the same valuation sequence: in replication r the
audited buyer bids by its policy, in replication P + r it bids its value; learners with their
own randomness (PathLearning) get identically seeded generators in both. The other buyer bids
its value or follows a batch strategy (called on both halves with identically seeded
generators). Every bid is learned from, so every round is a decision.

The buyer sees what the joint-ads env shows it: its value, t / T, and its last bid, allocation
and payment (all in [0, 1]). Its action a in [-1, 1] bids clip(v + ``deviation_scale`` a, 0, 1),
so a = 0 is truthful and a = -1 with the default scale 1 bids 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mdbf_envs.core.checks import check_int, check_real, check_size
from mdbf_envs.core.paired_engine import BatchStrategy, PairedGame
from mdbf_envs.core.streams import ReplicationStreams
from mdbf_envs.joint_ads.batched import batched
from mdbf_envs.joint_ads.learners import LearnerFactory
from mdbf_envs.joint_ads.market import FIELDS, decode, observe, settle
from mdbf_envs.joint_ads.valuations import SEQUENCES, probe_sequence

AGENTS = ("merchant", "brand")


class JointAdsPairedGame(PairedGame):
    """P pairs of repeated joint ads (module docstring).

    Args:
        pairs: P.
        learner: ``(horizon, rng) -> Learner``, the seller of each replication (by name:
            :func:`mdbf_envs.envs.manipulation.joint_ads_game`).
        sequence: "stochastic", "smooth", "adversarial", "equal-revenue" or "lower-bound".
        horizon: T rounds.
        agent: the audited buyer, "merchant" or "brand".
        others: the other buyer's batch strategy (default: bid its value).
        deviation_scale: bid = clip(v + scale a, 0, 1).
        sequence_kwargs: passed to the sequence's builder.
        arrays: play the learners' array versions (:func:`~mdbf_envs.joint_ads.batched.batched`);
            False plays one learner per replication (the reference; same results).
    """

    draws = ("random",)
    n_agents = 2
    feature_size = len(FIELDS)
    feature_bounds = (0.0, 1.0)

    def __init__(
        self,
        pairs: int,
        learner: LearnerFactory,
        sequence: str = "stochastic",
        horizon: int = 200,
        agent: str = "merchant",
        others: BatchStrategy | None = None,
        deviation_scale: float = 1.0,
        sequence_kwargs: Mapping[str, Any] | None = None,
        arrays: bool = True,
    ):
        check_int("pairs", pairs, 1)
        check_size("horizon", horizon, 16 * 2 * pairs)  # the (2P, T, 2) values
        probe_sequence(sequence, sequence_kwargs)
        if agent not in AGENTS:
            raise ValueError(f"unknown agent {agent!r}; agents: {list(AGENTS)}")
        check_real("deviation_scale", deviation_scale, positive=True)
        if others is not None and not callable(others):
            raise TypeError(f"others = {others!r}: give a batch strategy for the other buyer")
        self.pairs, self.make_learner, self.sequence, self.horizon = int(pairs), learner, sequence, int(horizon)
        self.agent, self.other = AGENTS.index(agent), 1 - AGENTS.index(agent)
        self.others, self.scale = others, float(deviation_scale)
        self.sequence_kwargs, self.arrays = dict(sequence_kwargs or {}), bool(arrays)
        batched(learner, self.horizon, [np.random.default_rng(0)])  # a bad learner fails here, before any episode
        self.done = True

    def _start(self, rng: np.random.Generator | ReplicationStreams) -> None:
        P = self.pairs
        sources, repeats = (rng.sources, rng.repeats) if isinstance(rng, ReplicationStreams) else (rng.spawn(P), 1)
        if len(sources) * repeats != P:
            raise ValueError(f"{len(sources) * repeats} streams for {P} pairs")
        values, seeds = [], []
        for g in sources:  # each source once; its repeats repeat its sequence and seeds
            values.append(SEQUENCES[self.sequence](self.horizon, g, **self.sequence_kwargs).values)
            seeds.append(int(g.integers(2**63)))
        self.values = np.tile(np.stack(values), (repeats, 1, 1))  # (P, T, 2)
        seeds *= repeats
        self.learner = batched(
            self.make_learner, self.horizon, [np.random.default_rng(s) for s in seeds + seeds], self.arrays
        )
        self._last = np.zeros((2 * P, 2, 3))  # per replication and buyer: last bid, allocated, payment

    def _fields(self, buyer: int, rows: slice | np.ndarray) -> dict[str, np.ndarray]:
        return decode(observe(self._v[rows, buyer], self._played / self.horizon, self._last[rows, buyer]))

    def _begin_round(self) -> None:
        P = self.pairs
        self._v = np.tile(self.values[:, self._played], (2, 1))  # (2P, 2)
        self._mechanisms = self.learner.post()
        self._bids = self._v.copy()
        if self.others is not None:
            for half, rng in zip((slice(0, P), slice(P, 2 * P)), self._policy_rngs, strict=True):
                bids = np.asarray(self.others(self._fields(self.other, half), rng), dtype=np.float64)
                if not np.all(np.isfinite(bids)):
                    raise ValueError(f"the other buyer's strategy bid a non-finite value in round {self._played + 1}")
                self._bids[half, self.other] = np.clip(bids, 0.0, 1.0)
        self._deciding = np.ones(P, bool)

    def features(self) -> np.ndarray:
        P = self.pairs
        return observe(self._v[:P, self.agent], self._played / self.horizon, self._last[:P, self.agent])

    def strategy_fields(self) -> dict[str, np.ndarray]:
        return self._fields(self.agent, slice(0, self.pairs))

    def _finish_round(self, actions: np.ndarray | None, reports: np.ndarray | None = None) -> None:
        P, i = self.pairs, self.agent
        if actions is not None or reports is not None:
            wanted = self._v[:P, i] + self.scale * actions if reports is None else reports
            clipped = np.clip(wanted, 0.0, 1.0)
            self._bids[:P, i] = clipped
            self._record_decisions(actions, wanted, clipped)
        self.since += 1
        sold, pay, utility = settle(self._mechanisms, self.learner, self._v, self._bids)
        self.utility += utility
        self.seller += pay.sum(axis=1)
        self._last[:, :, 0], self._last[:, :, 1], self._last[:, :, 2] = self._bids, sold[:, None], pay
        self._next_round()
