"""Single-item auction: *Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica),
Appendix F (the experiments)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.core.checks import check_int, check_number_array, check_real
from mdbf_envs.vcg_learn.scenario import Scenario


def single_item(
    n_agents: int = 10,
    means: ArrayLike | None = None,
    noise_var: float = 0.5,
) -> Scenario:
    """One item sold each round to one of ``n_agents`` (paper 1, Appendix F).

    Omega = {who gets the item}, S = ("item", "none"), v_0 = 0 and K = n. The winner realises
    X ~ N(mu_i, noise_var); the others realise exactly 0, a value the mechanism knows
    (``known``), so it is never estimated (docs/decisions.md#known-values).

    Args:
        n_agents: number of bidders n.
        means: expected values mu_i; default ``linspace(0.8, 0.2, n)`` as in Appendix F
            (agent 0 is the efficient winner).
        noise_var: the *variance* of the winner's value. The paper writes N(mu, 0.5); we read
            0.5 as the variance (sd = sqrt(0.5) ~ 0.707), the usual N(mean, variance)
            convention that the paper's own lower-bound instance follows
            (docs/decisions.md#noise-variance). Pass ``noise_var=0.25`` for the sd = 0.5 reading.
    """
    # two agents at least (one alone would never be without the item); the (n, n) outcome table
    # is searched every exploit round
    n_agents = check_int("n_agents", n_agents, 2, 3_000)
    noise_var = check_real("noise_var", noise_var, 0.0, 1e12)  # sd <= 1e6 (Scenario.MAX_NOISE_SD)
    mu = np.linspace(0.8, 0.2, n_agents) if means is None else check_number_array("means", means)
    if mu.shape != (n_agents,):
        raise ValueError(f"means has shape {mu.shape}, expected ({n_agents},)")
    if not np.all((mu >= 0) & (mu <= 1)):
        raise ValueError(f"means = {mu.tolist()} must lie in [0, 1]")
    item, none = 0, 1
    outcomes = np.full((n_agents, n_agents), none)
    np.fill_diagonal(outcomes, item)
    mean = np.stack([mu, np.zeros(n_agents)], axis=1)
    return Scenario(
        name="single_item",
        allocations=("item", "none"),
        outcomes=outcomes,
        seller_value=np.zeros(n_agents),
        mean=mean,
        noise=np.tile(["gaussian", "deterministic"], (n_agents, 1)),
        noise_sd=np.stack([np.full(n_agents, np.sqrt(noise_var)), np.zeros(n_agents)], axis=1),
        known=np.tile([False, True], (n_agents, 1)),
    )
