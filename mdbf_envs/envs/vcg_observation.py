"""What a VCG-Learn agent may know, as arrays over R replications: tallies and observations.

Shared by the PettingZoo env (R = 1) and the batched rollout used by the audit, so both show
an agent exactly the same vector.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mdbf_envs.mechanisms.schedule import exploit_length
from mdbf_envs.mechanisms.vcg_learn import Round
from mdbf_envs.scenario import Scenario

PUBLISHABLE = ("prices", "outcome")


class AgentTallies:
    """Per (replication, agent, allocation): how often the agent got it, its realised values,
    and its reports. ``(R, n, |S|)`` arrays; constant memory in T."""

    def __init__(self, replications: int, scenario: Scenario):
        shape = (replications, scenario.n_agents, scenario.n_allocations)
        self.own_count, self.own_sum = np.zeros(shape), np.zeros(shape)
        self.report_count, self.report_sum = np.zeros(shape), np.zeros(shape)
        self._rows = np.arange(replications)[:, None]
        self._agents = np.arange(scenario.n_agents)[None, :]

    def experience(self, allocation: np.ndarray, realised: np.ndarray) -> None:
        """Agents experienced ``allocation`` ``(R, n)`` and realised ``realised`` ``(R, n)``."""
        self.own_count[self._rows, self._agents, allocation] += 1
        self.own_sum[self._rows, self._agents, allocation] += realised

    def report(self, allocation: np.ndarray, reports: np.ndarray, reporting: np.ndarray) -> None:
        """Agents with ``reporting`` ``(n,)`` True reported ``reports`` ``(R, n)``."""
        add = np.broadcast_to(reporting, reports.shape).astype(np.float64)
        self.report_count[self._rows, self._agents, allocation] += add
        self.report_sum[self._rows, self._agents, allocation] += add * reports


def _mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, 0.0)


class ObservationBuilder:
    """Builds agents' observation vectors (layout in :meth:`layout`).

    Fields: realised X_it, price p_it, explore flag, bracket q, position in the bracket over
    its length, t / T, one-hot own allocation, per allocation the own count / T and mean of
    realised values and of reports, the mechanism's held count / T and mean (if it exposes
    ``counts``/``sums``), then the published items ("prices": every agent's price, "outcome":
    every agent's one-hot allocation).
    """

    def __init__(self, scenario: Scenario, horizon: int, publish: Sequence[str] = (), holds: bool = True):
        unknown = set(publish) - set(PUBLISHABLE)
        if unknown:
            raise ValueError(f"publish has unknown items {sorted(unknown)}; use {PUBLISHABLE}")
        self.scenario, self.horizon, self.publish, self.holds = scenario, horizon, tuple(publish), holds
        n, k = scenario.n_agents, scenario.n_allocations
        fields = [("realised", 1), ("price", 1), ("explore", 1), ("bracket", 1), ("bracket_progress", 1),
                  ("time", 1), ("allocation", k), ("own_count", k), ("own_mean", k),
                  ("report_count", k), ("report_mean", k)]
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

    def layout(self) -> dict[str, tuple[int, int]]:
        """Field name -> (start, stop) slice of the observation vector."""
        return dict(self._layout)

    def decode(self, observations: np.ndarray) -> dict[str, np.ndarray]:
        """Named fields of observations ``(..., size)``."""
        return {k: observations[..., a:b] for k, (a, b) in self._layout.items()}

    def build(self, rnd: Round, realised: np.ndarray, tallies: AgentTallies, mechanism) -> np.ndarray:
        """``(R, n, size)`` float64 observations of every agent for round ``rnd`` (the env casts
        them to its float32 space; scripted strategies see full precision).

        The bracket position comes from the mechanism's ``clock`` (a :class:`BracketClock`)
        when it has one, and is 0 otherwise.
        """
        sc, T = self.scenario, self.horizon
        R, n = realised.shape
        s = sc.allocation_of(rnd.outcome)  # (R, n)
        one_hot = np.eye(sc.n_allocations)[s]  # (R, n, |S|)
        clock = getattr(mechanism, "clock", None)
        progress = clock.position / (clock.K + exploit_length(max(rnd.bracket, 1), clock.K)) if clock else 0.0
        header = np.broadcast_to(np.array([float(rnd.explore), float(rnd.bracket), progress, rnd.t / T]), (R, n, 4))
        parts = [realised[..., None], rnd.prices[..., None], header, one_hot,
                 tallies.own_count / T, _mean(tallies.own_sum, tallies.own_count),
                 tallies.report_count / T, _mean(tallies.report_sum, tallies.report_count)]
        if self.holds:
            parts += [mechanism.counts / T, _mean(mechanism.sums, mechanism.counts)]
        if "prices" in self.publish:
            parts.append(np.broadcast_to(rnd.prices[:, None, :], (R, n, n)))
        if "outcome" in self.publish:
            parts.append(np.broadcast_to(one_hot.reshape(R, 1, -1), (R, n, one_hot[0].size)))
        return np.concatenate(parts, axis=-1)
