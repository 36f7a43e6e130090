"""The paired engine: each replication beside its truthful shadow, on the same random draws.

The manipulator's question is a paired one: how much more does agent i get by following a
policy than by reporting truthfully, *in the same world* (the same noise, the same randomness
of the other agents' strategies)? A :class:`PairedGame` answers it with P pairs of
replications (R = 2P in all): replication r is the world where agent i follows its policy, replication P + r
its shadow, where agent i reports truthfully. Both halves draw the same numbers each round
(:class:`PairedDraws`), and the other agents' strategies get identically seeded generators in
the two halves, so the paired gain ``gain[r] = U_iT(r) - U_iT(P + r)`` is exact per
replication: an action of 0 (truthful) gives a gain of exactly 0 at every round.

A game steps from one *decision* of the agent to the next (a round whose report the mechanism
keeps); the rounds in between are played at once. Each paper brings its own game
(``mdbf_envs.vcg_learn.paired_market``, ``mdbf_envs.joint_ads.paired_buyer``); this module knows none of
them. :meth:`PairedGame.run` plays whole episodes with a batch policy or a scripted strategy;
the Gymnasium envs of :mod:`mdbf_envs.envs.manipulation` step a game one decision at a time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from mdbf_envs.core.streams import ReplicationStreams

BatchPolicy = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Features ``(k, d)`` of the deciding replications and their indices ``(k,)`` -> actions
``(k,)`` in [-1, 1] (the indices let one batch hold several policies, e.g. CMA-ES candidates)."""
BatchStrategy = Callable[[dict[str, np.ndarray], np.random.Generator], np.ndarray]
"""Decoded observation fields ``{name: (P, width)}`` of one agent -> its reports ``(P,)``."""
DECISIONS = ("every", "influential")


def by_strategy(strategies: Mapping[int, BatchStrategy]) -> list[tuple[BatchStrategy, np.ndarray]]:
    """The agents that share a strategy object, in agent order: ``[(strategy, agents), ...]``.
    A shared strategy is called once per round on its agents' rows stacked replication by
    replication, so every loop that plays it draws its randomness in the same order."""
    groups: dict[int, tuple[BatchStrategy, list[int]]] = {}
    for j, strategy in sorted(strategies.items()):
        groups.setdefault(id(strategy), (strategy, []))[1].append(j)
    return [(strategy, np.array(agents)) for strategy, agents in groups.values()]


@runtime_checkable
class LinearBatchPolicy(Protocol):
    """A batch policy a = clip(phi . w_r + b_r, -1, 1) with its weights (w_r, b_r) for each
    replication r in the open, so a game may play it without calling back into Python."""

    def __call__(self, features: np.ndarray, rows: np.ndarray) -> np.ndarray: ...

    def linear_weights(self, replications: int) -> np.ndarray:
        """``(P, d + 1)``: row r is (w_r, b_r)."""


@runtime_checkable
class ReportBlind(Protocol):
    """A batch strategy that says whether it reads its own past reports (``report_count``,
    ``report_mean``) and whether it draws randomness. One with ``reads_own_reports = False``
    and ``stochastic = False`` loses nothing when a round whose reports the mechanism discards
    is skipped for it (neither its later reports nor its random stream change), which lets a
    game fast-forward such rounds beside it."""

    reads_own_reports: bool
    stochastic: bool


class PairedDraws:
    """The random source of a paired market: each call draws ``(P, n)`` from ``base`` and hands
    the same numbers to both halves, ``(2P, n)``."""

    def __init__(self, base: np.random.Generator | ReplicationStreams, pairs: int):
        self.base, self.pairs = base, pairs

    def _pair(self, method: str, shape: tuple[int, int]) -> np.ndarray:
        if shape[0] != 2 * self.pairs:
            raise ValueError(f"a paired draw of {shape[0]} rows; expected 2 x {self.pairs}")
        z = getattr(self.base, method)((self.pairs, shape[1]))
        return np.concatenate([z, z])

    def standard_normal(self, shape: tuple[int, int]) -> np.ndarray:
        return self._pair("standard_normal", shape)

    def random(self, shape: tuple[int, int]) -> np.ndarray:
        return self._pair("random", shape)


@dataclass(frozen=True)
class PairedResult:
    """An episode of P pairs: the agent's utility with the policy and truthful ``(P,)``, their
    difference (the paired gain), the per-round mean cumulative gain and its standard error over
    the pairs ``(T, 2)`` if tracked, and how many
    decisions were taken and how many of them sat at the action bound."""

    utility: np.ndarray
    truthful_utility: np.ndarray
    gain: np.ndarray
    seller_change: np.ndarray  # (P,) the seller's utility (revenue) with the policy minus truthful
    curve: np.ndarray | None
    decisions: int
    at_bound: int


class PairedGame(ABC):
    """The engine every paired game shares: P pairs of replications (r with the agent's policy,
    P + r with truthful reports), stepped from one decision of the agent to the next.

    A game fills in how an episode starts (:meth:`_start`), how a round begins (the agents
    experience it, the others choose; sets ``_deciding``) and ends (:meth:`_finish_round`, which
    adds to ``utility`` and ``seller`` and sets ``done``), and what the agent sees
    (:meth:`features` for policies, :meth:`strategy_fields` for scripted strategies).
    """

    pairs: int
    horizon: int
    agent: int
    feature_size: int
    feature_bounds: tuple[float, float] = (-np.inf, np.inf)
    """Bounds of every feature (the manipulation envs' observation space)."""
    draws: tuple[str, ...]  # the stream methods a round draws from (see ReplicationStreams)
    n_agents: int

    def reset(self, rng: np.random.Generator | ReplicationStreams, policy_seed: int = 0, track: bool = False) -> None:
        """Start an episode: the world's randomness from ``rng`` (P streams' worth: each draw is
        shared by the two halves), the others' strategy randomness from ``policy_seed``."""
        self._policy_rngs = (np.random.default_rng(policy_seed), np.random.default_rng(policy_seed))
        self.clear(track)
        self._start(rng)
        self._begin_round()
        self._advance()

    def clear(self, track: bool) -> None:
        """Zero the episode's utilities, curve and decision counts."""
        self.utility = np.zeros((2 * self.pairs, self.n_agents))
        self.seller = np.zeros(2 * self.pairs)
        self.curve = np.zeros((self.horizon, 2)) if track else None
        self.since = np.zeros(self.pairs)  # rounds since the agent's last decision
        self.decision_counts = np.zeros(self.pairs, np.int64)  # decisions of each pair so far
        self.at_bound, self._played = 0, 0
        self.done = False

    def result(self) -> PairedResult:
        """The episode's :class:`PairedResult` (after :meth:`run`, or a stepped episode's end)."""
        i, P = self.agent, self.pairs
        return PairedResult(
            self.utility[:P, i].copy(),
            self.utility[P:, i].copy(),
            self.gain,
            self.seller[:P] - self.seller[P:],
            self.curve,
            self.decisions_taken,
            self.at_bound,
        )

    @property
    def rounds_played(self) -> int:
        """Rounds of the episode played so far (a game's rounds read it; only the engine moves it)."""
        return self._played

    @property
    def decisions_taken(self) -> int:
        """Decisions taken so far, over all pairs."""
        return int(self.decision_counts.sum())

    @property
    def gain(self) -> np.ndarray:
        """``(P,)`` the agent's cumulative paired gain so far."""
        i, P = self.agent, self.pairs
        return self.utility[:P, i] - self.utility[P:, i]

    @property
    def deciding(self) -> np.ndarray:
        """``(P,)`` bool: the replications whose current round awaits the agent's action."""
        return self._deciding

    def step(self, actions: np.ndarray) -> np.ndarray:
        """Play the current round with ``actions`` ``(P,)`` in [-1, 1] (used where
        :attr:`deciding`; ignored elsewhere) and the rounds up to the next decision; returns
        each pair's gain over them ``(P,)``."""
        if self.done:
            raise RuntimeError("the episode is over: call reset() before step()")
        a = np.asarray(actions, dtype=np.float64).reshape(-1)
        if a.shape != (self.pairs,) or not np.all((a >= -1) & (a <= 1)):  # NaN fails too
            bad = a.tolist() if a.size != self.pairs else a[~((a >= -1) & (a <= 1))].tolist()
            raise ValueError(f"actions {bad} must be {self.pairs} numbers in [-1, 1]")
        before = self.gain
        self._finish_round(a)
        self._advance()
        return self.gain - before

    def run(
        self,
        policy: BatchPolicy | None,
        rng: np.random.Generator | ReplicationStreams,
        policy_seed: int = 0,
        track: bool = False,
        strategy: BatchStrategy | None = None,
    ) -> PairedResult:
        """A whole episode where the agent follows ``policy`` (called on the deciding
        replications' features and indices) or a scripted ``strategy`` (called on their
        :meth:`strategy_fields`, reports as it returns them); ``track`` records the mean gain
        curve."""
        if (policy is None) == (strategy is None):
            raise ValueError("give a policy or a strategy")
        self.reset(rng, policy_seed, track)
        own_rng = np.random.default_rng([policy_seed, self.agent])
        actions = np.zeros(self.pairs)
        while not self.done:
            rows = self._deciding
            if strategy is not None:
                self._finish_round(None, np.asarray(strategy(self.strategy_fields(), own_rng), dtype=np.float64))
                self._advance()
                continue
            actions[:] = 0.0
            actions[rows] = policy(self.features()[rows], np.flatnonzero(rows))
            self.step(actions)
        return self.result()

    def _advance(self) -> None:
        """Play truthful rounds until some replication decides or the episode ends."""
        while not self.done and not self._deciding.any():
            self._finish_round(None)

    def _record_curve(self, start: int, gains: np.ndarray) -> None:
        """Mean and standard error over the pairs of the cumulative gains ``(rounds, P)`` of
        rounds ``start + 1 ..``."""
        if self.curve is None:
            return
        rounds = slice(start, start + len(gains))
        self.curve[rounds, 0] = gains.mean(axis=1)
        if self.pairs > 1:
            self.curve[rounds, 1] = gains.std(axis=1, ddof=1) / np.sqrt(self.pairs)

    def _next_round(self) -> None:
        """After a one-round step: record the gain curve, then begin the next round or end the
        episode."""
        self._record_curve(self._played, self.gain[None])
        self._played += 1
        if self._played >= self.horizon:
            self.done = True
        else:
            self._begin_round()

    def _record_decisions(self, actions: np.ndarray | None, reports: np.ndarray, clipped: np.ndarray) -> None:
        """Count the round's decisions and those at a bound: the action's (|a| = 1) or the
        report space's (the report or bid was clipped)."""
        rows = self._deciding
        at = clipped != reports
        if actions is not None:
            at |= np.abs(actions[rows]) >= 1
        self.at_bound += int(at.sum())
        self.decision_counts += rows
        self.since[rows] = 0

    @abstractmethod
    def _start(self, rng: np.random.Generator | ReplicationStreams) -> None:
        """Reset the game's own state for a new episode."""

    @abstractmethod
    def _begin_round(self) -> None:
        """Begin the next round: the agents experience it, the others choose; set ``_deciding``."""

    @abstractmethod
    def _finish_round(self, actions: np.ndarray | None, reports: np.ndarray | None = None) -> None:
        """Play the current round (the agent's action or report where deciding, truthful
        elsewhere), add to ``utility`` and ``seller``, and begin the next round or set ``done``."""

    @abstractmethod
    def features(self) -> np.ndarray:
        """``(P, d)`` the agent's scaled observation in the current round."""

    @abstractmethod
    def strategy_fields(self) -> dict[str, np.ndarray]:
        """The deciding replications' observation fields, as scripted strategies read them."""
