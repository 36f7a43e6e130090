"""Welfare maximisation over Omega and the exact VCG mechanism.

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Sec. 2, eq. (1) (the
benchmark VCG-Learn learns).

Everything here takes value tables ``(..., n, |S|)`` with any leading batch shape, so one call
serves a single round, R replications, or a brute-force test. Ties are broken towards the
lowest outcome index, a fixed deterministic rule; welfares within :data:`TIE_TOLERANCE` of the
maximum count as tied, so the rule does not depend on the order of floating-point sums (equal
estimates, e.g. means clipped to 1, sum to welfares that differ in the last bits).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np

TIE_TOLERANCE = 1e-9
"""Welfares this close to the maximum are tied (far below any difference of estimates)."""


@runtime_checkable
class OutcomeOptimizer(Protocol):
    """An outcome space Omega with its welfare queries; VCG-Learn reaches Omega only through
    these. Outcomes are integer ids; ``allocations`` maps ids to s_i(omega)."""

    n_outcomes: int
    n_agents: int

    def allocations(self, outcome: np.ndarray) -> np.ndarray:
        """``(..., n)`` allocation indices s_i(omega) of ``(...)`` outcome ids."""

    def agent_values(self, table: np.ndarray, outcome: np.ndarray) -> np.ndarray:
        """``(..., n)`` values ``table[..., i, s_i(outcome)]`` at given ``(...)`` outcomes."""

    def argmax_welfare(self, table: np.ndarray, seller_value: np.ndarray) -> np.ndarray:
        """``(...)`` argmax over omega of ``seller_value(omega) + sum_i table[i, s_i(omega)]``."""

    def max_welfare_without(self, table: np.ndarray, seller_value: np.ndarray) -> np.ndarray:
        """``(..., n)``: for each i, max over omega of ``seller_value + sum_{j != i} table[j]``."""

    def covering_schedule(self, required: np.ndarray) -> np.ndarray:
        """Outcome ids that together give every ``required`` ``(n, |S|)`` pair: an explore phase."""


class EnumeratedOutcomes:
    """Exhaustive, vectorised search over an explicit outcome table ``(|Omega|, n)``.

    The queries lay values out as ``(|Omega|, n, batch)``, batch last, so the sums over agents
    and the maxima over outcomes run along contiguous rows: their cost barely grows with the
    number of replications.
    """

    def __init__(self, outcomes: np.ndarray):
        self.outcomes = np.asarray(outcomes)
        self.n_outcomes, self.n_agents = self.outcomes.shape
        self._agents = np.arange(self.n_agents)
        self._cells: dict[int, np.ndarray] = {}  # |S| -> flat cells i |S| + s_i(omega), (|Omega|, n)

    def allocations(self, outcome: np.ndarray) -> np.ndarray:
        return self.outcomes[outcome]

    def _by_outcome(self, table: np.ndarray) -> np.ndarray:
        """``(|Omega|, n, B)``: every agent's value in every outcome, for the B = prod(batch)
        tables of ``table`` ``(..., n, |S|)``."""
        n_alloc = table.shape[-1]
        cells = self._cells.get(n_alloc)
        if cells is None:
            cells = self._cells[n_alloc] = self._agents * n_alloc + self.outcomes
        return np.reshape(table, (-1, self.n_agents * n_alloc)).T.take(cells, axis=0)

    def _aligned(self, table: np.ndarray, seller_value: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """``table`` and the seller values ``(|Omega|, 1)`` or ``(|Omega|, B)`` (matching
        :meth:`_by_outcome`), with their batch shapes broadcast together."""
        v0 = np.asarray(seller_value, dtype=np.float64)
        if v0.ndim <= 1:
            return table, np.broadcast_to(v0, (self.n_outcomes,))[:, None] if v0.ndim == 0 else v0[:, None]
        batch = np.broadcast_shapes(table.shape[:-2], v0.shape[:-1])
        table = np.broadcast_to(table, batch + table.shape[-2:])
        return table, np.broadcast_to(v0, (*batch, self.n_outcomes)).reshape(-1, self.n_outcomes).T

    def agent_values(self, table: np.ndarray, outcome: np.ndarray) -> np.ndarray:
        return values_at(table, self.allocations(outcome))

    def welfare(self, table: np.ndarray, seller_value: np.ndarray) -> np.ndarray:
        """``(..., |Omega|)`` welfare V(omega) = v_0(omega) + sum_i table[i, s_i(omega)]."""
        table, v0 = self._aligned(table, seller_value)
        return (v0 + np.add.reduce(self._by_outcome(table), axis=1)).T.reshape(*table.shape[:-2], self.n_outcomes)

    def argmax_welfare(self, table: np.ndarray, seller_value: np.ndarray) -> np.ndarray:
        table, v0 = self._aligned(table, seller_value)
        welfare = v0 + np.add.reduce(self._by_outcome(table), axis=1)  # (|Omega|, B)
        best = (welfare >= np.maximum.reduce(welfare, axis=0) - TIE_TOLERANCE).argmax(axis=0)
        return best.reshape(table.shape[:-2])

    def covering_schedule(self, required: np.ndarray) -> np.ndarray:
        """A minimum set cover of the required pairs (:func:`mechanisms.schedule.covering_schedule`)."""
        from mdbf_envs.vcg_learn.schedule import (
            covering_schedule,  # the mechanisms package imports this module
        )

        return covering_schedule(self.outcomes, required)

    def max_welfare_without(self, table: np.ndarray, seller_value: np.ndarray) -> np.ndarray:
        table, v0 = self._aligned(table, seller_value)
        vals = self._by_outcome(table)  # (|Omega|, n, B)
        total = v0[:, None, :] + np.add.reduce(vals, axis=1, keepdims=True)
        return np.maximum.reduce(total - vals, axis=0).T.reshape(*table.shape[:-2], self.n_agents)


@lru_cache(maxsize=64)
def _grid(rows: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Read-only index arrays ``(rows, 1)`` and ``(n,)`` for one-entry-per-agent lookups."""
    r, i = np.arange(rows)[:, None], np.arange(n)
    r.setflags(write=False)
    i.setflags(write=False)
    return r, i


def values_at(table: np.ndarray, allocation: np.ndarray) -> np.ndarray:
    """``(..., n)`` entries ``table[..., i, allocation[..., i]]`` (leading shapes broadcast)."""
    n = allocation.shape[-1]
    if table.ndim == 2:  # one table for every outcome: plain fancy indexing
        return table[_grid(1, n)[1], allocation]
    if table.ndim == 3 and allocation.ndim == 2 and len(table) == len(allocation):  # (R, n, S), (R, n)
        return table[(*_grid(len(table), n), allocation)]
    batch = np.broadcast_shapes(table.shape[:-2], allocation.shape[:-1])
    table = np.broadcast_to(table, batch + table.shape[-2:])
    allocation = np.broadcast_to(allocation, (*batch, allocation.shape[-1]))
    return np.take_along_axis(table, allocation[..., None], axis=-1)[..., 0]


def seller_value_at(seller_value: np.ndarray | float, outcome: np.ndarray) -> np.ndarray:
    """``(...)`` seller values at ``(...)`` outcomes; ``seller_value`` is ``(|Omega|,)``, batched,
    or a scalar (a constant v_0, as virtual outcome spaces use)."""
    seller_value = np.asarray(seller_value, dtype=np.float64)
    if seller_value.ndim == 0:
        return np.full(np.shape(outcome), float(seller_value))
    if seller_value.ndim == 1:
        return seller_value[outcome]
    full = np.broadcast_to(seller_value, np.shape(outcome) + seller_value.shape[-1:])
    return np.take_along_axis(full, np.asarray(outcome)[..., None], -1)[..., 0]


@dataclass(frozen=True)
class VCGResult:
    """The VCG outcome omega*, Clarke prices p_i* and the resulting utilities (Fact 4)."""

    outcome: np.ndarray  # (...)
    prices: np.ndarray  # (..., n)
    welfare: np.ndarray  # (...) V(omega*)
    agent_utility: np.ndarray  # (..., n) u_i* = v_i(omega*) - p_i*
    seller_utility: np.ndarray  # (...) u_0* = v_0(omega*) + sum_i p_i*


def vcg(table: np.ndarray, seller_value: np.ndarray, optimizer: OutcomeOptimizer) -> VCGResult:
    """Exact VCG (paper 1, eq. 1) for value (or bid) tables ``(..., n, |S|)``.

    omega* = argmax_omega v_0(omega) + sum_i v_i(omega), and the Clarke price
    p_i* = max_omega V^{-i}(omega) - V^{-i}(omega*), with V^{-i} = v_0 + sum_{j != i} v_j.
    """
    table = np.asarray(table, dtype=np.float64)
    outcome = optimizer.argmax_welfare(table, seller_value)
    own = optimizer.agent_values(table, outcome)
    v0 = seller_value_at(seller_value, outcome)
    welfare = v0 + own.sum(-1)
    prices = optimizer.max_welfare_without(table, seller_value) - (welfare[..., None] - own)
    return VCGResult(
        outcome=outcome,
        prices=prices,
        welfare=welfare,
        agent_utility=own - prices,
        seller_utility=v0 + prices.sum(-1),
    )
