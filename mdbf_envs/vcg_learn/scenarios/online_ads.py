"""Online advertising: *Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Example 2."""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.core.checks import check_bool, check_choice, check_int, check_real, check_size
from mdbf_envs.vcg_learn.assignment import AssignmentOutcomes
from mdbf_envs.vcg_learn.scenario import Scenario, check_enumerable


def online_ads(
    n_advertisers: int = 5,
    n_slots: int = 2,
    value_per_click: ArrayLike | None = None,
    click_rate: ArrayLike | None = None,
    noise: str = "bernoulli",
    noise_sd: float = 0.3,
    enumerate_outcomes: bool = True,
) -> Scenario:
    """A publisher assigns ad slots to advertisers (paper 1, Example 2).

    S = ("empty", "slot_1", ..., "slot_m"): "empty" means no slot, worth a known 0. Omega = every
    assignment of the m slots to m distinct advertisers (|Omega| = n! / (n - m)!), v_0 = 0.
    Advertiser i's expected value in slot k is ``value_per_click[i] * click_rate[k]``
    (separable click-through rates); by default the realised value is a Bernoulli click.
    K = n: rotating the advertisers through the slots shows everyone every slot.

    Args:
        n_advertisers: number of agents n (at least ``n_slots``).
        n_slots: number of slots m.
        value_per_click: ``(n,)`` in [0, 1]; default ``linspace(0.9, 0.3, n)``.
        click_rate: ``(m,)`` in [0, 1], decreasing by position; default ``0.8 ** k``.
        noise: "bernoulli" (a click) or "gaussian" (with ``noise_sd``).
        noise_sd: sd for the Gaussian family.
        enumerate_outcomes: list Omega explicitly (exhaustive search); False uses
            :class:`AssignmentOutcomes` (an assignment solver), for tens of advertisers.
    """
    check_int("n_advertisers", n_advertisers, 1)
    check_int("n_slots", n_slots, 1)
    if n_slots > n_advertisers:
        raise ValueError(f"n_slots = {n_slots} exceeds n_advertisers = {n_advertisers}")
    check_choice("noise", noise, ("bernoulli", "gaussian"))
    check_real("noise_sd", noise_sd, 0.0, 1e6)
    check_bool("enumerate_outcomes", enumerate_outcomes)
    if enumerate_outcomes:
        check_enumerable("n_advertisers", math.perm(n_advertisers, min(n_slots, 16)))  # 17! is past the ceiling
    else:
        check_size("n_advertisers", n_advertisers, 64 * n_slots)
    vpc = np.linspace(0.9, 0.3, n_advertisers) if value_per_click is None else np.asarray(value_per_click, float)
    ctr = 0.8 ** np.arange(n_slots) if click_rate is None else np.asarray(click_rate, float)
    if vpc.shape != (n_advertisers,) or ctr.shape != (n_slots,):
        raise ValueError(
            f"value_per_click {vpc.shape} / click_rate {ctr.shape} must be ({n_advertisers},) / ({n_slots},)"
        )
    if enumerate_outcomes:
        space = AssignmentOutcomes(n_advertisers, n_slots)
        codes = space.encode(np.array(list(itertools.permutations(range(n_advertisers), n_slots))))
        outcomes, seller_value = space.allocations(codes), np.zeros(len(codes))
    else:
        outcomes, seller_value = AssignmentOutcomes(n_advertisers, n_slots), 0.0
    mean = np.concatenate([np.zeros((n_advertisers, 1)), np.outer(vpc, ctr)], axis=1)
    families = np.full(mean.shape, noise, dtype=object)
    families[:, 0] = "deterministic"
    known = np.zeros(mean.shape, bool)
    known[:, 0] = True
    return Scenario(
        name="online_ads",
        allocations=("empty", *(f"slot_{k + 1}" for k in range(n_slots))),
        outcomes=outcomes,
        seller_value=seller_value,
        mean=mean,
        noise=families,
        noise_sd=np.full(mean.shape, noise_sd),
        known=known,
        agent_names=tuple(f"advertiser_{i}" for i in range(n_advertisers)),
    )
