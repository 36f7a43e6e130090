"""Platform as a service: *Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Example 1."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.core.checks import check_int, check_number_array, check_real
from mdbf_envs.vcg_learn.scenario import Scenario, check_enumerable


def paas(
    n_customers: int = 3,
    levels: tuple[str, ...] = ("none", "basic", "premium"),
    resources: ArrayLike = (0, 1, 2),
    capacity: int = 4,
    unit_cost: float = 0.1,
    means: ArrayLike | None = None,
    noise_sd: float = 0.2,
) -> Scenario:
    """A provider serves customers at service levels under a capacity (paper 1, Example 1).

    S = service levels; Omega = every assignment of levels to customers whose total resource
    use is at most ``capacity``; the seller's cost of an outcome is ``unit_cost`` per resource
    unit, so v_0(omega) = -unit_cost * sum_i resources[s_i(omega)]. Customers' realised
    values (e.g. throughput achieved) are Gaussian around ``means``. Unconstrained, K = |S|;
    the capacity can force more explore rounds.

    Args:
        n_customers: number of agents n.
        levels: labels of S; the first is taken as "not served" and has mean 0.
        resources: resource units each level uses.
        capacity: total resource units available per round.
        unit_cost: seller cost per resource unit.
        means: ``(n, |S|)`` expected values; default: customer i values level l at
            ``(l / (|S| - 1)) * (0.9 - 0.5 * i / n)``, so customers differ in how much
            better service is worth to them.
        noise_sd: sd of the Gaussian realisations.
    """
    check_int("n_customers", n_customers, 1)
    if isinstance(levels, str) or not all(isinstance(level, str) for level in levels) or len(levels) < 2:
        raise TypeError(f"levels = {levels!r} must be two or more names")
    check_enumerable("n_customers", len(levels) ** min(n_customers, 64))  # (2^64 is past any ceiling)
    check_int("capacity", capacity, 0)
    check_real("unit_cost", unit_cost, 0.0, 1e6)
    check_real("noise_sd", noise_sd, 0.0, 1e6)
    resources = check_number_array("resources", resources)
    if np.any(resources != np.round(resources)) or np.any(resources < 0):
        raise ValueError(f"resources = {resources.tolist()} must be non-negative whole units")
    resources = resources.astype(int)
    if resources.shape != (len(levels),):
        raise ValueError(f"resources has shape {resources.shape}, expected ({len(levels)},)")
    if means is None:
        scale = 0.9 - 0.5 * np.arange(n_customers) / n_customers
        means = scale[:, None] * np.linspace(0, 1, len(levels))[None, :]
    combos = np.array(list(itertools.product(range(len(levels)), repeat=n_customers)))
    feasible = combos[resources[combos].sum(1) <= capacity]
    unreachable = [levels[level] for level in range(len(levels)) if not np.any(feasible == level)]
    if unreachable:
        raise ValueError(
            f"capacity = {capacity} leaves levels {unreachable} to no customer (their resources "
            f"{resources.tolist()} exceed it)"
        )
    return Scenario(
        name="paas",
        allocations=levels,
        outcomes=feasible,
        seller_value=-unit_cost * resources[feasible].sum(1),
        mean=means,
        noise=np.full((n_customers, len(levels)), "gaussian"),
        noise_sd=np.full((n_customers, len(levels)), noise_sd),
        agent_names=tuple(f"customer_{i}" for i in range(n_customers)),
    )
