"""Tight simulation loop of VCG-Learn over R replications (no environment in the way).

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Algorithm 1 played
against truthful or scripted agents, regrets by eq. (3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.core.checks import check_int, check_seed
from mdbf_envs.core.protocol import Round
from mdbf_envs.vcg_learn.market import Market
from mdbf_envs.vcg_learn.mechanism import VCGLearn

ReportRule = Callable[[Round, np.ndarray], np.ndarray]
"""Every agent's reports ``(R, n)`` from the round and the realised values ``(R, n)``: the
simulator's own low-level hook (it builds no observations, so it takes no batch strategy)."""


@dataclass(frozen=True)
class SimulationResult:
    """Cumulative regrets and utilities at checkpoints ``rounds`` (arrays ``(P, R, ...)``)."""

    rounds: np.ndarray  # (P,)
    welfare: np.ndarray  # (P, R) R_T
    seller: np.ndarray  # (P, R) R_0T
    agents: np.ndarray  # (P, R, n) R_iT
    utility: np.ndarray  # (P, R, n) U_iT

    @property
    def all_agents(self) -> np.ndarray:
        """R^a_T, ``(P, R)``."""
        return self.agents.sum(-1)


def simulate(
    mechanism: VCGLearn,
    horizon: int,
    rng: np.random.Generator,
    reports: ReportRule | None = None,
    checkpoints: ArrayLike | None = None,
    fast_etc: bool = False,
    backend: str = "numpy",
) -> SimulationResult:
    """Run ``mechanism`` (reset first) for ``horizon`` rounds on all its replications.

    Args:
        mechanism: the mechanism; its replications are simulated together, whether they share
            one configuration or each has its own (``VCGLearn(zeta=[...], f=[...], g=[...])``).
        horizon: T.
        rng: the source of every realisation: a Generator, or a seed (an integer, or None).
        reports: the agents' reports given the realised values (None: truthful, Y = X);
            bidders' reports are ignored.
        checkpoints: rounds (1..T) at which to record; default every round.
        fast_etc: when the mechanism repeats rounds (ETC with f = g, :meth:`VCGLearn.repeats_rounds`),
            account for each exploit phase in one step: exact, since ETC ignores exploit reports and plays
            one outcome at fixed prices there, but the skipped rounds draw no realisations, so
            the random stream (not the law of the results) differs from the round-by-round run.
        backend: "numpy", or "numba": the compiled loop of :mod:`mdbf_envs.vcg_learn.compiled` (truthful
            agents, enumerated outcomes, Gaussian noise; every round is played, so ``fast_etc``
            is not needed), which gives the numpy loop's results up to summation order.
    """
    horizon = check_int("horizon", horizon, 1)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(check_seed(rng))
    points = np.arange(1, horizon + 1) if checkpoints is None else np.unique(checkpoints)
    if points.min() < 1 or points.max() > horizon:
        raise ValueError(f"checkpoints must lie in 1..{horizon}")
    if backend not in ("numpy", "numba"):
        raise ValueError(f"backend = {backend!r}; use 'numpy' or 'numba'")
    if backend == "numba":
        if reports is not None:
            raise ValueError("the numba backend plays truthful agents only; use backend='numpy'")
        from mdbf_envs.vcg_learn import compiled  # imported here: compiling costs seconds

        return SimulationResult(rounds=points, **compiled.run(mechanism, horizon, rng, points))
    sc = mechanism.scenario
    R, n = mechanism.replications, sc.n_agents
    market = Market(mechanism, tallies=False)
    market.reset(rng)
    utility = np.zeros((R, n))
    out = {k: np.zeros((len(points), R)) for k in ("welfare", "seller")}
    out["agents"] = np.zeros((len(points), R, n))
    out["utility"] = np.zeros((len(points), R, n))
    account = market.account
    next_point, t = 0, 0
    while next_point < len(points):
        # a fast-forwarded block needs its start to fill checkpoints inside it
        before = (
            (account.welfare.copy(), account.seller.copy(), account.agents.copy(), utility.copy()) if fast_etc else None
        )
        rnd = market.begin()
        u = market.finish(market.realised if reports is None else reports(rnd, market.realised))
        span = 1 + (market.skip(horizon - t - 1, draw=False)[0] if fast_etc else 0)
        utility += span * u.agents
        after = (account.welfare, account.seller, account.agents, utility)
        # checkpoints inside the block: regrets grow linearly, one round's increment at a time
        while next_point < len(points) and points[next_point] <= t + span:
            k = points[next_point] - t
            for key, b, a in zip(("welfare", "seller", "agents", "utility"), before or after, after, strict=True):
                out[key][next_point] = a if span == 1 else b + (a - b) * (k / span)
            next_point += 1
        t += span
    return SimulationResult(rounds=points, **out)
