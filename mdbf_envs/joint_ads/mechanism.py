"""DSIC mechanisms for two non-excludable buyers as monotone regions.

*Selling Joint Ads: A Regret Minimization Perspective* (Aggarwal, Badanidiyuru, Dütting, Fusco),
Secs. 2-3 (Def. 2, Prop. 1).

A mechanism is its allocation region A in [0, 1]^2: both buyers get the ad iff their bids lie
in A. A is monotone (north-east closed) and, by our convention, closed (docs/decisions.md#closed-regions). Payments
are the critical (Myerson) prices: buyer 1 pays the smallest bid z with (z, b_2) in A, buyer 2
likewise, and nothing when the ad is not shown. The revenue is p_1 + p_2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.core.checks import check_number_array
from mdbf_envs.joint_ads.kernels import (
    critical_payments,
    each_critical_payment,
    minimal_points,
    price1_at,
    price2_at,
)


def check_valuations(v: ArrayLike, name: str = "valuations") -> np.ndarray:
    """``(m, 2)`` float array of valuation pairs in [0, 1]^2, or a clear error."""
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim == 1 and arr.shape == (2,):
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"{name} must have shape (m, 2), got {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 0) | (arr > 1)
    if bad.any():
        k = int(np.argwhere(bad)[0, 0])
        raise ValueError(f"{name}[{k}] = {arr[k].tolist()} is not a finite pair in [0, 1]^2")
    return arr


class JointAdsMechanism(Protocol):
    """What a posted mechanism offers: allocation and critical payments for bid pairs."""

    def payments(self, v: np.ndarray) -> np.ndarray:
        """``(m, 2)`` payments at bids ``(m, 2)`` (zero where not allocated)."""

    def allocate(self, v: np.ndarray) -> np.ndarray:
        """``(m,)`` bool: whether the ad is shown."""


def revenue(mechanism: JointAdsMechanism, v: ArrayLike) -> np.ndarray:
    """Rev(M, v) = p_1(v) + p_2(v) for each pair, ``(m,)``."""
    return mechanism.payments(check_valuations(v)).sum(-1)


class Staircase:
    """An orthogonal mechanism: the up-closure of finitely many corner points.

    ``corners`` is an antichain sorted by x ascending (so y strictly descending):
    A = union_k [a_k, 1] x [b_k, 1]. The region's boundary is the down-right staircase path
    through the corners (paper 2, Def. 2 and Prop. 1). No corners means nothing is ever sold;
    the single corner (0, 0) sells always at price 0.

    Critical prices (docs/decisions.md#critical-prices): for v in A, p_1(v) = min{a_k : b_k <= v_2} and
    p_2(v) = min{b_k : a_k <= v_1}; both are found by binary search, so evaluating m
    valuations costs O(m log K).
    """

    def __init__(self, corners: ArrayLike):
        c = check_number_array("corners", corners)
        if c.size % 2 or c.ndim > 2 or (c.ndim == 2 and c.shape[1] != 2):
            raise ValueError(f"corners = {np.asarray(corners).tolist()} must be (x, y) pairs, shape (k, 2)")
        c = c.reshape(-1, 2)
        if c.size:
            check_valuations(c, "corners")
            if np.any(np.diff(c[:, 0]) <= 0) or np.any(np.diff(c[:, 1]) >= 0):
                k = int(np.flatnonzero((np.diff(c[:, 0]) <= 0) | (np.diff(c[:, 1]) >= 0))[0])
                raise ValueError(
                    f"corners {c[k].tolist()} and {c[k + 1].tolist()} are not a down-right "
                    "staircase (x must increase and y decrease); use Staircase.up_closure "
                    "for arbitrary points"
                )
        self.corners = c
        self.corners.setflags(write=False)

    @classmethod
    def up_closure(cls, points: ArrayLike) -> Staircase:
        """The smallest monotone closed region containing ``points`` (its minimal elements)."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if p.size == 0:
            return cls(p)
        return cls(minimal_points(check_valuations(p, "points")))

    @classmethod
    def from_path(cls, nodes: ArrayLike) -> Staircase:
        """The mechanism A_pi of a complete path (paper 2, Sec. 3): the up-closure of its nodes.

        ``nodes`` must start on the north side (y = 1), end on the east side (x = 1) and move
        only right or down; anything else is not a monotone region's boundary and is refused.
        """
        p = np.asarray(nodes, dtype=np.float64).reshape(-1, 2)
        check_valuations(p, "path nodes")
        if p[0, 1] != 1 or p[-1, 0] != 1:
            raise ValueError(
                f"a complete path runs from the north side to the east side, got {p[0].tolist()} -> {p[-1].tolist()}"
            )
        d = np.diff(p, axis=0)
        bad = ~(((d[:, 0] > 0) & (d[:, 1] == 0)) | ((d[:, 0] == 0) & (d[:, 1] < 0)))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"path edge {p[k].tolist()} -> {p[k + 1].tolist()} is neither right nor down: the "
                "region would not be monotone"
            )
        return cls.up_closure(p)

    def __repr__(self) -> str:
        return f"Staircase({self.corners.tolist()})"

    def boundary(self) -> np.ndarray:
        """The complete path of the region: from (a_1, 1) down and right through every corner
        to (1, b_K), as ``(L, 2)`` nodes (empty for the empty region)."""
        c = self.corners
        if len(c) == 0:
            return np.zeros((0, 2))
        steps = np.stack([c, np.c_[np.r_[c[1:, 0], 1.0], c[:, 1]]], axis=1).reshape(-1, 2)
        nodes = np.r_[[[c[0, 0], 1.0]], steps]
        keep = np.r_[True, np.any(np.diff(nodes, axis=0) != 0, axis=1)]
        return nodes[keep]

    def price1_at(self, v2: np.ndarray) -> np.ndarray:
        """min{a_k : b_k <= v2} (inf if none)."""
        return price1_at(self.corners, np.asarray(v2, dtype=np.float64).reshape(-1))

    def price2_at(self, v1: np.ndarray) -> np.ndarray:
        """min{b_k : a_k <= v1} (inf if none)."""
        return price2_at(self.corners, np.asarray(v1, dtype=np.float64).reshape(-1))

    def allocate(self, v: np.ndarray) -> np.ndarray:
        return critical_payments(self.corners, v)[1]

    def payments(self, v: np.ndarray) -> np.ndarray:
        return critical_payments(self.corners, v)[0]


class Staircases:
    """R orthogonal mechanisms at once, one per replication: replication r posts the staircase
    ``corners[r, :counts[r]]``. ``allocate`` and ``payments`` take one bid pair per replication,
    ``(R, 2)``, and evaluate row r in mechanism r with the same critical prices as
    :class:`Staircase`."""

    def __init__(self, corners: np.ndarray, counts: np.ndarray):
        self.corners, self.counts = corners, counts
        self.replications = len(counts)

    @classmethod
    def stack(cls, mechanisms: Sequence[Staircase]) -> Staircases:
        """The batch of these staircases (padded with +inf rows)."""
        counts = np.array([len(m.corners) for m in mechanisms], dtype=np.int64)
        corners = np.full((len(mechanisms), max(int(counts.max(initial=0)), 1), 2), np.inf)
        for r, m in enumerate(mechanisms):
            corners[r, : counts[r]] = m.corners
        return cls(corners, counts)

    def __getitem__(self, r: int) -> Staircase:
        return Staircase(self.corners[r, : self.counts[r]])

    def allocate(self, v: np.ndarray) -> np.ndarray:
        return each_critical_payment(self.corners, self.counts, v)[1]

    def payments(self, v: np.ndarray) -> np.ndarray:
        return each_critical_payment(self.corners, self.counts, v)[0]


class ThresholdMechanism:
    """Allocate iff h_1(v_1) + h_2(v_2) >= 0 for non-decreasing h_1, h_2 (vectorised callables).

    With h_i the virtual value phi_i(x) = x - (1 - F_i(x)) / f_i(x) of independent regular
    distributions this is the Bayesian optimal mechanism (Myerson; paper 2, Sec. 6, Lemma 5),
    our oracle where the distribution is known. Critical prices solve h_1(z) = -h_2(v_2) by
    vectorised bisection to 2^-50.
    """

    def __init__(self, h1: Callable[[np.ndarray], np.ndarray], h2: Callable[[np.ndarray], np.ndarray]):
        self.h1, self.h2 = h1, h2

    @classmethod
    def uniform_virtual_values(cls, b1: float = 1.0, b2: float = 1.0) -> ThresholdMechanism:
        """Bayesian optimum for independent U[a_i, b_i]: phi_i(x) = 2x - b_i (paper 2, Ex. 2)."""
        return cls(lambda x: 2 * x - b1, lambda x: 2 * x - b2)

    @staticmethod
    def _threshold(h: Callable[[np.ndarray], np.ndarray], target: np.ndarray) -> np.ndarray:
        """min{z in [0, 1] : h(z) >= target} by bisection (inf where h(1) < target)."""
        lo, hi = np.zeros_like(target), np.ones_like(target)
        ok_at_zero = h(lo) >= target
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            up = h(mid) >= target
            hi, lo = np.where(up, mid, hi), np.where(up, lo, mid)
        return np.where(ok_at_zero, 0.0, np.where(h(np.ones_like(target)) >= target, hi, np.inf))

    def allocate(self, v: np.ndarray) -> np.ndarray:
        return self.h1(v[:, 0]) + self.h2(v[:, 1]) >= 0

    def payments(self, v: np.ndarray) -> np.ndarray:
        sold = self.allocate(v)
        p1 = self._threshold(self.h1, -self.h2(v[:, 1]))
        p2 = self._threshold(self.h2, -self.h1(v[:, 0]))
        return np.where(sold[:, None], np.stack([p1, p2], axis=1), 0.0)
