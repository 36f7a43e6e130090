"""The hard instance of the lower bound: *Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez,
Jordan, Stoica), Theorem 1."""

from __future__ import annotations

import numpy as np

from mdbf_envs.core.checks import check_int
from mdbf_envs.vcg_learn.scenario import Scenario


def lower_bound(n_agents: int = 3, n_outcomes: int | None = None, horizon: int = 1000, theta: int = 0) -> Scenario:
    """Theta_0 or theta_1 of paper 1, Theorem 1 (docs/decisions.md#lower-bound-instance).

    Omega = S = {0, ..., |Omega| - 1} with s_i(omega) = omega, v_0 = 0, values N(v, 1).
    Theta_0: v_i(0) = 1/2; v_j(j) = 0 and v_i(j) = 1/2 (i != j) for j in 1..n; v_i(j) = 1/8 for
    j > n. Theta_1 raises v_i(j), i != j, j in 1..n, by delta = (16 / (T (n - 1)^2))^(1/3).
    Means are kept in [0, 1], as the package requires (the paper allows any real mean).
    """
    check_int("n_agents", n_agents, 2, 1_000)  # the (n, |Omega|) tables, and Omega searched every round
    m = n_agents + 1 if n_outcomes is None else check_int("n_outcomes", n_outcomes, 1, 100_000)
    check_int("horizon", horizon, 1)
    if m < n_agents + 1:
        raise ValueError(f"n_outcomes = {m} must be at least n_agents + 1 = {n_agents + 1}")
    if theta not in (0, 1):
        raise ValueError(f"theta = {theta} must be 0 or 1")
    delta = (16 / (horizon * (n_agents - 1) ** 2)) ** (1 / 3) if theta else 0.0
    mean = np.full((n_agents, m), 1 / 8)
    mean[:, 0] = 0.5
    for j in range(1, n_agents + 1):
        mean[:, j] = 0.5 + delta
        mean[j - 1, j] = 0.0
    return Scenario(
        name=f"lower_bound_theta{theta}",
        allocations=tuple(str(o) for o in range(m)),
        outcomes=np.tile(np.arange(m)[:, None], (1, n_agents)),
        seller_value=np.zeros(m),
        mean=mean,
        noise=np.full(mean.shape, "gaussian"),
        noise_sd=np.ones(mean.shape),
    )
