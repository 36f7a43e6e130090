"""What a VCG-Learn agent may know, as arrays over R replications: tallies and observations.

Shared by the PettingZoo env (R = 1) and the batched rollout used by the audit, so both show
an agent exactly the same vector.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mdbf_envs.core.protocol import HasClock, HoldsReports, Mechanism, Round
from mdbf_envs.vcg_learn.scenario import Scenario

PUBLISHABLE = ("prices", "outcome")


class AgentTallies:
    """Per (replication, agent, allocation): how often the agent got it, its realised values,
    and its reports. ``(R, n, |S|)`` arrays; constant memory in T."""

    def __init__(self, replications: int, scenario: Scenario):
        n, k = scenario.n_agents, scenario.n_allocations
        self.table = np.zeros((4, replications, n, k))  # own count, own sum, report count, report sum
        self._cell = (np.arange(replications)[:, None] * n + np.arange(n)) * k  # cell of (r, i, 0)

    own_count = property(lambda self: self.table[0])
    own_sum = property(lambda self: self.table[1])
    report_count = property(lambda self: self.table[2])
    report_sum = property(lambda self: self.table[3])

    def experience(self, allocation: np.ndarray, realised: np.ndarray, rounds: int = 1) -> None:
        """Agents experienced ``allocation`` ``(R, n)`` for ``rounds`` rounds and realised
        ``realised`` ``(R, n)`` in all (the sum over those rounds)."""
        flat = self.table.reshape(4, -1)  # a view (no stored aliases: copies stay independent)
        cells = self._cell + allocation
        flat[0, cells] += rounds
        flat[1, cells] += realised

    def report(self, allocation: np.ndarray, reports: np.ndarray, reporting: np.ndarray, rounds: int = 1) -> None:
        """Agents with ``reporting`` ``(n,)`` True reported ``reports`` ``(R, n)`` (summed over
        ``rounds`` rounds of the same allocation)."""
        flat = self.table.reshape(4, -1)
        cells = self._cell + allocation
        flat[2, cells] += rounds * reporting
        flat[3, cells] += np.where(reporting, reports, 0.0)


class ObservationBuilder:
    """Builds agents' observation vectors (layout in :meth:`layout`).

    Fields: realised X_it, price p_it, explore flag, bracket q, position in the bracket over
    its length, t / T, one-hot own allocation, per allocation the own count / T and mean of
    realised values and of reports, the mechanism's held count / T and mean (if it exposes
    ``counts``/``sums``, :class:`HoldsReports`), then the published items ("prices": every agent's price, "outcome":
    every agent's one-hot allocation).
    """

    def __init__(self, scenario: Scenario, horizon: int, publish: Sequence[str], mechanism: Mechanism):
        """``mechanism``'s capabilities (:class:`HoldsReports`, :class:`HasClock`) are read once
        here: they shape the layout and do not change."""
        if isinstance(publish, str):
            raise TypeError(f"publish = {publish!r} must be a list or tuple of names, e.g. ({publish!r},)")
        unknown = set(publish) - set(PUBLISHABLE)
        if unknown:
            raise ValueError(f"publish has unknown items {sorted(unknown)}; use {PUBLISHABLE}")
        self.scenario, self.horizon, self.publish = scenario, horizon, tuple(publish)
        self.holds, self.clocked = isinstance(mechanism, HoldsReports), isinstance(mechanism, HasClock)
        holds = self.holds
        n, k = scenario.n_agents, scenario.n_allocations
        fields = [
            ("realised", 1),
            ("price", 1),
            ("explore", 1),
            ("bracket", 1),
            ("bracket_progress", 1),
            ("time", 1),
            ("allocation", k),
            ("own_count", k),
            ("own_mean", k),
            ("report_count", k),
            ("report_mean", k),
        ]
        if holds:
            fields += [("held_count", k), ("held_mean", k)]
        if "prices" in self.publish:
            fields.append(("all_prices", n))
        if "outcome" in self.publish:
            fields.append(("all_allocations", n * k))
        self._layout, at = {}, 0
        for name, width in fields:
            self._layout[name] = (at, at + width)
            at += width
        self.size = at
        self._one_hot = np.eye(k)

    def layout(self) -> dict[str, tuple[int, int]]:
        """Field name -> (start, stop) slice of the observation vector."""
        return dict(self._layout)

    def decode(self, observations: np.ndarray) -> dict[str, np.ndarray]:
        """Named fields of observations ``(..., size)``."""
        return {k: observations[..., a:b] for k, (a, b) in self._layout.items()}

    def build(
        self,
        rnd: Round,
        realised: np.ndarray,
        tallies: AgentTallies,
        mechanism,
        rows: slice = slice(None),
        agents: slice = slice(None),
    ) -> np.ndarray:
        """``(R, n, size)`` float64 observations of every agent for round ``rnd`` (the env casts
        them to its float32 space; scripted strategies see full precision); ``rows`` and
        ``agents`` restrict them to some replications and agents.

        The bracket position comes from the mechanism's clock (:class:`HasClock`) when it has
        one, and is 0 otherwise.
        """
        sc, T, at = self.scenario, self.horizon, self._layout
        s_all = sc.allocation_of(rnd.outcome[rows])  # (R, n) of every agent, for publishing
        x, s = realised[rows, agents], s_all[:, agents]
        R, n = x.shape
        out = np.empty((R, n, self.size))
        clock = mechanism.clock if self.clocked else None
        out[..., 0] = x
        out[..., 1] = rnd.prices[rows, agents]
        out[..., 2:6] = (
            float(rnd.explore),
            float(rnd.bracket),
            clock.position / clock.length if clock else 0.0,
            rnd.t / T,
        )
        out[..., slice(*at["allocation"])] = self._one_hot[s]
        # per allocation: count / T and mean of own realised values, of reports, and of what
        # the mechanism holds; as (source, count or mean, R, n, |S|), laid out source by source
        table = tallies.table[:, rows, agents]
        if self.holds:
            table = np.concatenate([table, mechanism.counts[None, rows, agents], mechanism.sums[None, rows, agents]])
        table = table.reshape(-1, 2, *table.shape[1:])  # (source, count or sum, R, n, |S|)
        stats = np.empty_like(table)
        np.divide(table[:, 0], T, out=stats[:, 0])
        np.divide(table[:, 1], np.maximum(table[:, 0], 1.0), out=stats[:, 1])  # a sum is 0 where its count is
        start = at["own_count"][0]
        out[..., start : start + stats[:, :, 0, 0].size] = stats.transpose(2, 3, 0, 1, 4).reshape(R, n, -1)
        if "prices" in self.publish:
            out[..., slice(*at["all_prices"])] = rnd.prices[rows, None, :]
        if "outcome" in self.publish:
            out[..., slice(*at["all_allocations"])] = self._one_hot[s_all].reshape(R, 1, -1)
        return out
