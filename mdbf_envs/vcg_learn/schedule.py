"""VCG-Learn's bracket schedule and explore (covering) schedules.

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Algorithm 1 and
Lemma 11 (bracket lengths).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

MILP_MAX_OUTCOMES = 20_000
"""Above this many outcomes the covering schedule falls back to the greedy set cover."""


def exploit_length(bracket: int, K: int) -> int:
    """floor((5/6) K q^(1/2)) exploit rounds in bracket q (Algorithm 1; Lemma 11: c=5/6, d=1/2).

    Computed exactly in integers: floor(sqrt(25 K^2 q) / 6) = isqrt(25 K^2 q) // 6.
    """
    if bracket < 1 or K < 1:
        raise ValueError(f"bracket = {bracket} and K = {K} must be >= 1")
    return math.isqrt(25 * K * K * bracket) // 6


class BracketClock:
    """Where round t falls: bracket q, explore or exploit phase, and the position in it.

    Rounds are numbered t = 1, 2, ...; bracket q starts with K explore rounds followed by
    :func:`exploit_length` exploit rounds. State is three integers, whatever T is.
    """

    def __init__(self, K: int):
        if K < 1:
            raise ValueError(f"K = {K} must be >= 1")
        self.K = K
        self.t = 0
        self.bracket = 0
        self.position = 0  # 0-based index of round t inside its bracket
        self.length = 0  # rounds in bracket q: K + exploit_length(q, K)

    @property
    def explore(self) -> bool:
        """Whether round t is an explore round."""
        return self.position < self.K

    @property
    def exploit_rounds(self) -> int:
        """t - qK: in an exploit round, the exploit rounds so far including round t (eq. 4)."""
        return self.t - self.bracket * self.K

    def advance(self) -> None:
        """Move to round t + 1."""
        if self.position + 1 >= self.length:
            self.bracket += 1
            self.position = 0
            self.length = self.K + exploit_length(self.bracket, self.K)
        else:
            self.position += 1
        self.t += 1


def covering_schedule(outcomes: np.ndarray, required: np.ndarray, method: str = "auto") -> np.ndarray:
    """A shortest list of outcomes that gives every required (agent, allocation) pair once.

    Finding the minimum K is a set-cover problem (docs/decisions.md#explore-schedule).
    ``method="milp"`` solves it exactly with scipy's MILP solver (HiGHS); ``"greedy"`` uses the
    ln|S n|-approximate greedy cover; ``"auto"`` takes the MILP up to :data:`MILP_MAX_OUTCOMES`
    outcomes.

    Args:
        outcomes: ``(|Omega|, n)`` allocation indices.
        required: ``(n, |S|)`` True for pairs that must be shown.

    Returns:
        Outcome indices in increasing order; their number is K.
    """
    n_outcomes, n = outcomes.shape
    # covers[o, p]: outcome o shows required pair p
    pair_index = np.full(required.shape, -1)
    pair_index[required] = np.arange(required.sum())
    hits = pair_index[np.arange(n)[None, :], outcomes]  # (|Omega|, n)
    covers = np.zeros((n_outcomes, int(required.sum())), bool)
    rows, cols = np.nonzero(hits >= 0)
    covers[rows, hits[rows, cols]] = True
    never = ~covers.any(axis=0)
    if never.any():  # the greedy cover would loop forever, the MILP be infeasible
        i, a = np.argwhere(required)[np.argmax(never)]
        raise ValueError(f"no outcome gives agent {i} allocation {a}, which must be shown")
    if covers.shape[1] == 0:
        return np.array([0])
    if method == "auto":
        method = "milp" if n_outcomes <= MILP_MAX_OUTCOMES else "greedy"
    if method == "milp":
        res = milp(
            c=np.ones(n_outcomes),
            constraints=LinearConstraint(covers.T.astype(float), lb=1, ub=np.inf),
            integrality=np.ones(n_outcomes),
            bounds=Bounds(0, 1),
        )
        if not res.success:  # a feasible cover (checked above): a solver failure only
            raise RuntimeError(f"set-cover MILP failed: {res.message}")
        return np.flatnonzero(res.x > 0.5)
    if method != "greedy":
        raise ValueError(f"method = {method!r}; use 'auto', 'milp' or 'greedy'")
    chosen, open_pairs = [], np.ones(covers.shape[1], bool)
    while open_pairs.any():
        best = int(np.argmax(covers[:, open_pairs].sum(1)))
        chosen.append(best)
        open_pairs &= ~covers[best]
    return np.sort(np.array(chosen))
