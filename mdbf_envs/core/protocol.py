"""The repeated-mechanism protocol: what the envs, the rollout and the audit need from a mechanism.

A mechanism runs R independent replications of a repeated game. Each round ``propose()``
returns the :class:`Round` (outcome and prices), the agents experience it, and
``observe(reports)`` takes their reports. That is all a mechanism must do (:class:`Mechanism`).

What else a mechanism offers is declared by small protocols, tested with ``isinstance``
(never probed attribute by attribute):

* :class:`HoldsReports`: ``counts`` / ``sums`` ``(R, n, |S|)`` of the reports it keeps; envs
  show each agent its own row.
* :class:`HasClock`: a ``clock`` with ``position`` and ``length`` of the current bracket.
* :class:`HasOptimizer`: ``optimizer``, the welfare oracle its regrets are measured with.
* :class:`HasBidders`: ``bidder`` ``(n,)``, agents that take part by fixed bids (they do not act).
* :class:`HasEstimates`: ``estimates()``, for rendering.
* :class:`KeepsReports`: ``influential_reports()``, which reports of the proposed round it will
  keep and use (the manipulator's decision points). Without it every report counts
  (:func:`influence_of`), so a user's mechanism still works, only more slowly.
* :class:`SkipsRounds`: ``skip_repeats(limit)``, jump over rounds that repeat the one just
  observed and ignore every report (VCG-Learn's exploit phases under ETC with f = g), so a round
  loop can account for them in one step.
* :class:`ObservesSeller`: ``observes_seller``, the mechanism learns the seller's value from a
  noisy realisation each round, passed as ``observe(reports, seller_realisation)``.

This module is the paper-agnostic core: it imports no paper and no env. A mechanism's
``scenario`` is anything with ``n_agents`` and ``agent_names`` (:class:`Population`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


class SlowPathWarning(UserWarning):
    """A fast path was declined for a reason the user may not expect (e.g. a mechanism subclass
    that overrides what a compiled loop writes again); the message says why. Choosing the slow
    path explicitly (``backend="numpy"``) never warns."""


@runtime_checkable
class Population(Protocol):
    """Who takes part: ``n_agents`` agents named ``agent_names``."""

    n_agents: int
    agent_names: tuple[str, ...]


@dataclass(frozen=True)
class Round:
    """What the mechanism does in round t: outcome omega_t ``(R,)`` and prices p_it ``(R, n)``;
    ``bracket`` and ``explore`` place the round in the mechanism's schedule (0 and False for a
    mechanism without one)."""

    t: int
    bracket: int
    explore: bool
    outcome: np.ndarray  # (R,)
    prices: np.ndarray  # (R, n)


@runtime_checkable
class Mechanism(Protocol):
    """A repeated mechanism over R independent replications (the PettingZoo env uses R = 1, the
    vector env R = num_envs; factories take ``replications``)."""

    scenario: Population
    replications: int

    def reset(self) -> None:
        """Forget everything; the next ``propose()`` is round 1."""

    def propose(self) -> Round:
        """Choose the next round's outcome and prices."""

    def observe(self, reports: np.ndarray) -> None:
        """Take the round's reports ``(R, n)`` (:class:`ObservesSeller` mechanisms also take
        ``seller_realisation`` ``(R,)``)."""


@runtime_checkable
class HoldsReports(Protocol):
    """Exposes the report counts and sums it holds, ``(R, n, |S|)``."""

    counts: np.ndarray
    sums: np.ndarray


@runtime_checkable
class HasClock(Protocol):
    """Has a bracket clock (``position`` in and ``length`` of the current bracket)."""

    clock: Any


@runtime_checkable
class HasOptimizer(Protocol):
    """Measures welfare with this outcome optimizer (default: the scenario's outcome space)."""

    optimizer: Any


@runtime_checkable
class HasBidders(Protocol):
    """``bidder`` ``(n,)`` bool: agents that take part by fixed bids, not by reports."""

    bidder: np.ndarray


@runtime_checkable
class HasEstimates(Protocol):
    """``estimates()``: lower, mean and upper value estimates (for rendering)."""

    def estimates(self) -> Any: ...


@runtime_checkable
class KeepsReports(Protocol):
    """Says which reports of the proposed round it will keep and use."""

    def influential_reports(self) -> np.ndarray:
        """``(R, n)`` bool, for the round just proposed: True where agent i's report can change
        what the mechanism does later (it is kept and used by an estimate)."""


@runtime_checkable
class SkipsRounds(Protocol):
    """Can jump over the rounds after the one just observed that repeat it (same outcome, same
    prices) and ignore every report, e.g. an explore-then-commit mechanism's exploit phase."""

    repeats_rounds: bool
    """whether this configuration ever repeats rounds (decided once, at construction)"""

    def skip_repeats(self, limit: int) -> int:
        """Skip at most ``limit`` such rounds (advancing the clock); returns how many."""


@runtime_checkable
class ObservesSeller(Protocol):
    """``observes_seller``: True if ``observe`` needs the seller's realised value each round."""

    observes_seller: bool


def repeats_rounds(mechanism: Mechanism) -> bool:
    """Whether the mechanism declares rounds it can skip (:class:`SkipsRounds`)."""
    return isinstance(mechanism, SkipsRounds) and bool(mechanism.repeats_rounds)


def observes_seller(mechanism: Mechanism) -> bool:
    """Whether the mechanism needs the seller's realisation each round (:class:`ObservesSeller`)."""
    return isinstance(mechanism, ObservesSeller) and bool(mechanism.observes_seller)


def bidders(mechanism: Mechanism) -> np.ndarray:
    """``(n,)`` bool: the mechanism's bidders (none unless it is :class:`HasBidders`)."""
    if isinstance(mechanism, HasBidders):
        return np.asarray(mechanism.bidder, bool)
    return np.zeros(mechanism.scenario.n_agents, bool)


def optimizer_of(mechanism: Mechanism) -> Any:
    """The mechanism's welfare oracle, or None (the scenario's outcome space) if it has none."""
    return mechanism.optimizer if isinstance(mechanism, HasOptimizer) else None


def influence_of(mechanism: Mechanism) -> Callable[[], np.ndarray]:
    """A function giving, for each proposed round, ``(R, n)`` bool: which reports can matter
    later. The mechanism's own ``influential_reports`` (:class:`KeepsReports`), or every reporting
    agent's when it does not say. Decided once, so a per-round caller pays nothing for the check."""
    if isinstance(mechanism, KeepsReports):
        return lambda: np.asarray(mechanism.influential_reports(), bool)
    every = np.broadcast_to(~bidders(mechanism), (mechanism.replications, mechanism.scenario.n_agents))
    return lambda: every
