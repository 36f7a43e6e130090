"""Optimal mechanisms by longest path, posted prices, grids and augmentation.

*Selling Joint Ads: A Regret Minimization Perspective* (Aggarwal, Badanidiyuru, Dütting, Fusco),
Theorem 1 (longest path) and Lemma 1 (augmented grids).

The longest-path DP works on any rectilinear grid xs x ys (both containing 0 and 1): a
vertical edge (x_i, y_j) -> (x_i, y_{j-1}) earns x_i on the valuations in [x_i, 1] x
[y_{j-1}, y_j) and a horizontal edge (x_i, y_j) -> (x_{i+1}, y_j) earns y_j on [x_i, x_{i+1}) x
[y_j, 1] (Def. 4 with half-open rectangles); a start-node term x_s P(V_2 = 1, V_1 >= x_s) and an
end-node term y_e P(V_1 = 1, V_2 >= y_e) make it exact for atoms on the borders (docs/decisions.md#influence-regions).
On the grid of the support's own coordinates this is Theorem 1's optimum; on G_delta it is the
best uniform-grid mechanism. Each row is one numpy sweep, so m points cost O(m^2) arithmetic in
O(m) Python steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.joint_ads.kernels import augmented_corners, longest_path, posted_prices
from mdbf_envs.joint_ads.mechanism import Staircase, check_valuations


@dataclass(frozen=True)
class PathSolution:
    """A maximum-weight complete path, its mechanism and its expected revenue."""

    mechanism: Staircase
    nodes: np.ndarray  # (L, 2) path nodes from the north side to the east side
    revenue: float  # expected revenue under the given weights


MAX_GRID = 2_000
"""The finest uniform grid G_delta: delta >= 1 / 2000 (4 million nodes)."""


def grid_size(delta: float) -> int:
    """k = 1/delta for a uniform grid G_delta; delta must be of the form 1/k (paper 2, Def. 5)."""
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)):
        raise TypeError(f"delta = {delta!r} must be a real number")
    if not np.isfinite(delta) or delta <= 0 or delta > 1:
        raise ValueError(f"delta = {delta} must lie in (0, 1]")
    if 1 / delta > MAX_GRID:
        raise ValueError(
            f"delta = {delta} gives a grid of {1 / delta:.3g} steps a side; at most {MAX_GRID} "
            "(the grid's (k + 1)^2 nodes are searched)"
        )
    k = int(round(1 / delta))
    if abs(k * delta - 1) > 1e-9:
        raise ValueError(f"delta = {delta} is not of the form 1/k for an integer k")
    return k


def uniform_grid(delta: float) -> np.ndarray:
    """The coordinates {0, delta, ..., 1} of G_delta."""
    k = grid_size(delta)
    return np.arange(k + 1) / k


def _axis(coords: ArrayLike | None, values: np.ndarray, name: str) -> np.ndarray:
    if coords is None:
        return np.unique(np.r_[0.0, values, 1.0])
    c = np.asarray(coords, dtype=np.float64)
    if c.ndim != 1 or c[0] != 0 or c[-1] != 1 or np.any(np.diff(c) <= 0):
        raise ValueError(f"{name} must increase strictly from 0 to 1, got {c.tolist()}")
    return c


def _weights(points: np.ndarray, weights: ArrayLike | None) -> np.ndarray:
    if weights is None:
        return np.full(len(points), 1.0 / max(len(points), 1))
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (len(points),) or not np.all(np.isfinite(w)) or w.min(initial=0) < 0:
        raise ValueError(f"weights must be {len(points)} finite non-negative numbers")
    return w


def best_path(
    points: ArrayLike,
    weights: ArrayLike | None = None,
    xs: ArrayLike | None = None,
    ys: ArrayLike | None = None,
) -> PathSolution:
    """The revenue-maximising complete path on the grid xs x ys (paper 2, Thm. 1; docs/decisions.md#influence-regions).

    Args:
        points: ``(m, 2)`` valuation pairs (the support, or a sample).
        weights: their probabilities; default uniform 1/m (the empirical distribution).
        xs, ys: grid coordinates; default the points' own coordinates with 0 and 1, which gives
            the optimal mechanism over *all* DSIC mechanisms (Thm. 1).

    Returns:
        The path, its mechanism and its expected revenue. Ties prefer the horizontal step.
    """
    p = check_valuations(points, "points") if len(np.asarray(points)) else np.zeros((0, 2))
    w = _weights(p, weights)
    nodes, revenue = longest_path(p, w, _axis(xs, p[:, 0], "xs"), _axis(ys, p[:, 1], "ys"))
    return PathSolution(Staircase.from_path(nodes), nodes, revenue)


def best_posted_prices(points: ArrayLike, weights: ArrayLike | None = None) -> PathSolution:
    """The best pair of posted prices (a rectangle [p_1, 1] x [p_2, 1]) for a distribution.

    Candidate prices are the points' coordinates and 0, which contain an optimum.
    """
    p = check_valuations(points, "points")
    w = _weights(p, weights)
    a, b, revenue = posted_prices(p, w, _axis(None, p[:, 0], "xs"), _axis(None, p[:, 1], "ys"))
    nodes = np.array([(a, 1.0), (a, b), (1.0, b)])
    return PathSolution(Staircase([(a, b)]), nodes, revenue)


def augment(mechanism: Staircase, delta: float) -> Staircase:
    """The augmented-grid mechanism M' in M+_delta associated with M (paper 2, Lemma 1): see
    :func:`_augmented_corners`."""
    k = grid_size(delta)
    if len(mechanism.corners) == 0:
        return mechanism
    return Staircase(augmented_corners(mechanism.corners, k))
