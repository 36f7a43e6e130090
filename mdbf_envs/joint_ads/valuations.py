"""Valuation sequences for repeated joint ads: stochastic, smooth and adversarial.

*Selling Joint Ads: A Regret Minimization Perspective* (Aggarwal, Badanidiyuru, Dütting, Fusco):
Def. 1 (smoothness), Example 1 (equal revenue), Theorem 5 (the adversary), Sec. 6 (the
lower-bound instance).

Each builder takes the horizon T and a numpy Generator and returns a :class:`Valuations`:
the ``(T, 2)`` sequence and, where the distribution is known, the per-round expected revenue
of the Bayesian optimal mechanism (the benchmark sup_M E[Rev(M)]).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.core.checks import check_int, check_number_array, check_real, check_size
from mdbf_envs.joint_ads.mechanism import Staircase, check_valuations, revenue
from mdbf_envs.joint_ads.optimal import best_path
from mdbf_envs.joint_ads.paths import expected_revenue_uniform

ExpectedRevenue = Callable[[int, Staircase], float]
"""(round index t, posted mechanism) -> E_{D_t}[Rev(M, V)], exact."""
UNIT_BOX = ((0.0, 1.0), (0.0, 1.0))


@dataclass(frozen=True)
class Valuations:
    """A valuation sequence and what is known about the law behind it."""

    values: np.ndarray  # (T, 2)
    setting: str  # stochastic | smooth | adversarial
    params: dict = field(default_factory=dict)
    bayes_revenue: float | None = None  # per-round sup_M E[Rev(M)] where the law is known
    hindsight_revenue: float | None = None  # exact total of the best fixed mechanism, if known
    expected_revenue: ExpectedRevenue | None = None  # E_{D_t}[Rev(M)] where D_t is known


def check_T(T: int) -> int:
    """A sequence's length: an integer >= 1 whose ``(T, 2)`` values fit the size ceiling."""
    return check_size("T", T, 16)


def iid_uniform(T: int, rng: np.random.Generator) -> Valuations:
    """I.i.d. U[0, 1]^2. The optimum allocates iff v_1 + v_2 >= 1 (virtual values 2v - 1, paper
    2 Ex. 2) with expected revenue int_{s=1}^{2} (2 - s)^2 ds = 1/3."""
    check_T(T)
    return Valuations(
        rng.random((T, 2)),
        "stochastic",
        {"law": "iid_uniform"},
        bayes_revenue=1 / 3,
        expected_revenue=lambda t, m: expected_revenue_uniform(m.boundary(), UNIT_BOX),
    )


def correlated_uniform(T: int, rng: np.random.Generator, rho: float = 0.5) -> Valuations:
    """Uniform marginals, correlated: with probability rho, v_2 = v_1; otherwise independent."""
    check_T(T)
    check_real("rho", rho, 0.0, 1.0)
    v = rng.random((T, 2))
    same = rng.random(T) < rho
    v[same, 1] = v[same, 0]
    return Valuations(v, "stochastic", {"law": "correlated_uniform", "rho": rho})


def finite_support(T: int, rng: np.random.Generator, points: ArrayLike, probs: ArrayLike | None = None) -> Valuations:
    """I.i.d. from a finite distribution; its optimum is exact by Theorem 1's DP."""
    check_T(T)
    pts = check_valuations(points, "points")
    p = np.full(len(pts), 1 / len(pts)) if probs is None else check_number_array("probs", probs)
    if p.shape != (len(pts),) or np.any(p < 0) or not np.isclose(p.sum(), 1):
        raise ValueError(f"probs must be {len(pts)} non-negative numbers summing to 1, got {p}")
    draws = pts[rng.choice(len(pts), size=T, p=p)]
    return Valuations(
        draws,
        "stochastic",
        {"law": "finite_support", "points": pts.tolist(), "probs": p.tolist()},
        bayes_revenue=best_path(pts, p).revenue,
        expected_revenue=lambda t, m: float(p @ revenue(m, pts)),
    )


def equal_revenue_points(n: int = 10, eps: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Support and probabilities of paper 2's Example 1 (docs/decisions.md#equal-revenue-instance).

    I ~ U{1..n}, V_2 = 1/I, V_1 = eps (1 - V_2): an antichain on the segment (0,1)-(eps,0). The
    optimum extracts E[V_1 + V_2] = H_n/n + eps (1 - H_n/n); posted prices and grid mechanisms
    with delta >= eps get about 1/n.
    """
    check_int("n", n, 1, 10_000)  # the Bayes revenue is Theorem 1's DP over the n points
    check_real("eps", eps, 0.0, 1.0)
    if not 0 < eps < 1:
        raise ValueError(f"eps = {eps!r} must lie in (0, 1)")
    v2 = 1 / np.arange(1, n + 1)
    return np.stack([eps * (1 - v2), v2], axis=1), np.full(n, 1 / n)


def equal_revenue(T: int, rng: np.random.Generator, n: int = 10, eps: float = 0.01) -> Valuations:
    """I.i.d. draws from Example 1's equal-revenue instance."""
    pts, probs = equal_revenue_points(n, eps)
    out = finite_support(T, rng, pts, probs)
    return Valuations(
        out.values,
        "stochastic",
        {"law": "equal_revenue", "n": n, "eps": eps},
        out.bayes_revenue,
        expected_revenue=out.expected_revenue,
    )


def smooth_moving_box(T: int, rng: np.random.Generator, sigma: float = 0.25, period: int = 1000) -> Valuations:
    """A sigma-smooth, non-stationary sequence (paper 2, Def. 1).

    D_t is uniform on a square of area sigma (density 1/sigma, hence sigma-smooth) whose lower
    corner moves around a circle inside [0, 1 - sqrt(sigma)]^2 once every ``period`` rounds.
    """
    check_T(T)
    check_real("sigma", sigma, 0.0, 1.0, positive=True)
    check_int("period", period, 1)
    side = np.sqrt(sigma)
    room = 1 - side
    phase = 2 * np.pi * np.arange(T) / period
    corner = room * (0.5 + 0.5 * np.stack([np.cos(phase), np.sin(phase)], axis=1))
    return Valuations(
        corner + side * rng.random((T, 2)),
        "smooth",
        {"law": "moving_box", "sigma": sigma, "period": period},
        expected_revenue=lambda t, m: expected_revenue_uniform(
            m.boundary(), np.stack([corner[t], corner[t] + side], axis=1)
        ),
    )


def needle_in_haystack(T: int, rng: np.random.Generator, eps: float = 0.25, delta: float = 0.1) -> Valuations:
    """Theorem 5's adversary (docs/decisions.md#needle-adversary): no learner earns more than eps per round, while the
    best fixed mechanism in hindsight extracts v_1 + v_2 every round, (2 eps - eps^2) T in
    expectation.

    m_t bisects (l_t, r_t) starting from (0, delta); with probability eps the round is a needle
    H_t = (m_t, 1 - m_t) and l moves up, otherwise L_t = (m_t, eps - m_t) and r moves down. The
    recursion runs in exact rationals; the returned floats lose the order of the m_t after
    about 50 rounds, so ``hindsight_revenue`` carries the exact sum of v_1 + v_2 (Prop. 3).
    """
    check_T(T)
    check_real("eps", eps, 0.0, 0.5)
    check_real("delta", delta, 0.0, 0.5)
    if not 0 < delta < eps < 0.5:
        raise ValueError(f"need 0 < delta < eps < 1/2, got delta = {delta}, eps = {eps}")
    e = Fraction(eps).limit_denominator(10**6)
    lo, hi = Fraction(0), Fraction(delta).limit_denominator(10**6)
    values, total = np.empty((T, 2)), Fraction(0)
    needles = rng.random(T) < eps
    for t in range(T):
        m = (lo + hi) / 2
        if needles[t]:
            pair, lo = (m, 1 - m), m
        else:
            pair, hi = (m, e - m), m
        total += pair[0] + pair[1]
        values[t] = float(pair[0]), float(pair[1])
    return Valuations(
        values,
        "adversarial",
        {"law": "needle_in_haystack", "eps": eps, "delta": delta},
        hindsight_revenue=float(total),
    )


LOW_SQUARE, HIGH_SQUARE = (0.25, 0.5), (0.75, 1.0)


def lower_bound_mixture(
    T: int, rng: np.random.Generator, sign: int | None = None, lam: float | None = None
) -> Valuations:
    """Section 6's hard instance (docs/decisions.md#section-6-instance): P_lambda = lambda U([1/4,1/2]^2) + (1 - lambda)
    U([3/4,1]^2), 1/16-smooth, with lambda = 2/3 + sign / (6 sqrt T) (sign random if None).
    The optimum is max(1/2, (3/2)(1 - lambda)): M1 posts 1/4 to each, M2 posts 3/4 to each.
    """
    check_T(T)
    if sign is not None and sign not in (-1, 1):
        raise ValueError(f"sign = {sign!r} must be -1, 1 or None")
    if lam is None:
        sign = int(rng.choice([-1, 1])) if sign is None else sign
        lam = 2 / 3 + sign / (6 * np.sqrt(T))
    check_real("lam", lam, 0.0, 1.0)
    low = rng.random(T) < lam
    lo = np.where(low, LOW_SQUARE[0], HIGH_SQUARE[0])[:, None]
    values = lo + 0.25 * rng.random((T, 2))
    low_box, high_box = (LOW_SQUARE, LOW_SQUARE), (HIGH_SQUARE, HIGH_SQUARE)
    return Valuations(
        values,
        "smooth",
        {"law": "lower_bound_mixture", "lambda": lam},
        bayes_revenue=max(0.5, 1.5 * (1 - lam)),
        expected_revenue=lambda t, m: (
            lam * expected_revenue_uniform(m.boundary(), low_box)
            + (1 - lam) * expected_revenue_uniform(m.boundary(), high_box)
        ),
    )


SEQUENCES: dict[str, Callable[..., Valuations]] = {
    "stochastic": iid_uniform,
    "smooth": smooth_moving_box,
    "adversarial": needle_in_haystack,
    "equal-revenue": equal_revenue,
    "lower-bound": lower_bound_mixture,
}
"""The valuation sequences by name: builder(T, rng, **kwargs) -> :class:`Valuations`."""


def probe_sequence(name: str, kwargs: dict | None = None) -> None:
    """Refuse an unknown sequence, or arguments its builder refuses, before any episode: build
    one round and check it is a :class:`Valuations` of one pair in [0, 1]^2."""
    if not isinstance(name, str) or name not in SEQUENCES:
        raise KeyError(f"unknown sequence {name!r}; use one of {sorted(SEQUENCES)}")
    built = SEQUENCES[name](1, np.random.default_rng(0), **dict(kwargs or {}))
    if not isinstance(built, Valuations):
        raise TypeError(f"sequence {name!r} built {type(built).__name__}, not Valuations")
    check_valuations(built.values, f"sequence {name!r}'s values")
