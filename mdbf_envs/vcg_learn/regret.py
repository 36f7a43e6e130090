"""Regret accounting against the VCG benchmark, pseudo-regret form.

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Sec. 2, eq. (3);
Lemma 5's identity R^a_T + R_0T = R_T.

Per-round utilities use expected values: u_it = v_i(omega_t) - p_it,
u_0t = v_0(omega_t) + sum_i p_it, and V(omega_t) = v_0(omega_t) + sum_i v_i(omega_t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdbf_envs.vcg_learn.scenario import Scenario
from mdbf_envs.vcg_learn.vcg import OutcomeOptimizer, VCGResult, seller_value_at, vcg


@dataclass(frozen=True)
class Utilities:
    """Pseudo-utilities of one round for R replications."""

    agents: np.ndarray  # (R, n) u_it
    seller: np.ndarray  # (R,) u_0t
    welfare: np.ndarray  # (R,) V(omega_t)


class RegretAccount:
    """Cumulative regrets R_T, R_0T, R_iT and R^a_T = sum_i R_iT (eq. 3) of R replications.

    Memory is ``O(R n)``: only running sums are kept. Lemma 5's identity
    R^a_T + R_0T = R_T holds for any prices (tested).
    """

    def __init__(self, scenario: Scenario, replications: int = 1, optimizer: OutcomeOptimizer | None = None):
        self.scenario = scenario
        self.optimizer = optimizer or scenario.space
        self.benchmark: VCGResult = vcg(scenario.mean, scenario.seller_value, self.optimizer)
        self.welfare = np.zeros(replications)
        self.seller = np.zeros(replications)
        self.agents = np.zeros((replications, scenario.n_agents))

    @property
    def all_agents(self) -> np.ndarray:
        """R^a_T = sum_i R_iT, ``(R,)``."""
        return self.agents.sum(-1)

    def utilities(self, outcome: np.ndarray, prices: np.ndarray) -> Utilities:
        """Expected utilities of a round's outcome ``(R,)`` and prices ``(R, n)``."""
        values = self.optimizer.agent_values(self.scenario.mean, outcome)
        v0 = seller_value_at(self.scenario.seller_value, outcome)
        return Utilities(
            agents=values - prices,
            seller=v0 + np.add.reduce(prices, axis=-1),
            welfare=v0 + np.add.reduce(values, axis=-1),
        )

    def record(self, outcome: np.ndarray, prices: np.ndarray, rounds: int = 1) -> Utilities:
        """Add ``rounds`` rounds of the same outcome and prices; returns one round's utilities."""
        u = self.utilities(outcome, prices)
        b = self.benchmark
        for total, best, got in (
            (self.welfare, b.welfare, u.welfare),
            (self.seller, b.seller_utility, u.seller),
            (self.agents, b.agent_utility, u.agents),
        ):
            total += best - got if rounds == 1 else rounds * (best - got)
        return u
