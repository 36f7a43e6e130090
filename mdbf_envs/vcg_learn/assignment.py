"""Slot-assignment outcome spaces solved by scipy's ``linear_sum_assignment`` (no enumeration).

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Example 2 (online advertising slots).

An outcome gives each of m slots to a distinct one of n agents (every slot filled, n >= m);
allocation 0 is "no slot" and allocation k is slot k. Outcome ids are the codes
sum_k a_k n^(k-1) of the slots' holders (a_1, ..., a_m), so |Omega| = n! / (n - m)! outcomes
have ids below n^m (which must fit in int64). Welfare queries cost one assignment problem,
and VCG prices n + 1 of them, instead of a pass over |Omega|.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment

from mdbf_envs.vcg_learn.vcg import values_at


class AssignmentOutcomes:
    """Omega = all assignments of ``n_slots`` slots to distinct agents among ``n_agents``."""

    def __init__(self, n_agents: int, n_slots: int):
        if not 1 <= n_slots <= n_agents:
            raise ValueError(f"need 1 <= n_slots <= n_agents, got n_slots = {n_slots}, n_agents = {n_agents}")
        if n_slots * math.log2(n_agents) >= 62:
            raise ValueError(f"{n_agents}^{n_slots} outcome codes do not fit in int64")
        self.n_agents, self.n_slots = n_agents, n_slots
        self.n_outcomes = math.perm(n_agents, n_slots)
        self._radix = n_agents ** np.arange(n_slots, dtype=np.int64)

    def encode(self, holders: np.ndarray) -> np.ndarray:
        """Outcome ids of slot holders ``(..., m)``."""
        return np.asarray(holders, dtype=np.int64) @ self._radix

    def holders(self, outcome: np.ndarray) -> np.ndarray:
        """``(..., m)``: who holds each slot."""
        return (np.asarray(outcome, dtype=np.int64)[..., None] // self._radix) % self.n_agents

    def allocations(self, outcome: np.ndarray) -> np.ndarray:
        holders = self.holders(outcome)
        out = np.zeros((*holders.shape[:-1], self.n_agents), dtype=np.int64)
        np.put_along_axis(out, holders, np.arange(1, self.n_slots + 1), axis=-1)
        return out

    def agent_values(self, table: np.ndarray, outcome: np.ndarray) -> np.ndarray:
        return values_at(table, self.allocations(outcome))

    def _best(self, table: np.ndarray) -> tuple[np.ndarray, float]:
        """Slot holders and welfare (without v_0) of the best assignment for one table."""
        gain = table[:, 1:] - table[:, :1]  # value of slot k over no slot
        rows, cols = linear_sum_assignment(gain, maximize=True)
        holders = np.empty(self.n_slots, dtype=np.int64)
        holders[cols] = rows
        return holders, float(table[:, 0].sum() + gain[rows, cols].sum())

    def argmax_welfare(self, table: np.ndarray, seller_value) -> np.ndarray:
        self._constant(seller_value)
        flat = np.asarray(table).reshape(-1, self.n_agents, self.n_slots + 1)
        codes = np.array([self.encode(self._best(t)[0]) for t in flat])
        return codes.reshape(np.shape(table)[:-2])

    def max_welfare_without(self, table: np.ndarray, seller_value) -> np.ndarray:
        v0 = self._constant(seller_value)
        flat = np.asarray(table, dtype=np.float64).reshape(-1, self.n_agents, self.n_slots + 1)
        out = np.empty((len(flat), self.n_agents))
        for r, t in enumerate(flat):
            for i in range(self.n_agents):
                without = t.copy()
                without[i] = 0.0  # agent i's values do not count
                out[r, i] = v0 + self._best(without)[1]
        return out.reshape(*np.shape(table)[:-2], self.n_agents)

    def covering_schedule(self, required: np.ndarray | None = None) -> np.ndarray:
        """K = n rounds: in round r slot k goes to agent (r + k) mod n, so every agent gets
        every slot once and (if n > m) no slot too (paper 1, Example 2: K = n). It covers every
        pair, so ``required`` is accepted for the protocol and not needed."""
        r = np.arange(self.n_agents)[:, None]
        return self.encode((r + np.arange(self.n_slots)[None, :]) % self.n_agents)

    @staticmethod
    def _constant(seller_value) -> float:
        v0 = np.asarray(seller_value, dtype=np.float64)
        if v0.ndim == 0:
            return float(v0)
        flat = v0.reshape(-1)
        if not np.all(flat == flat[0]):
            raise ValueError("assignment spaces take a constant seller value v_0")
        return float(flat[0])
