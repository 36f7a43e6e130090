"""Optimal mechanisms by longest path, posted prices, grids and augmentation.

*Selling Joint Ads: A Regret Minimization Perspective* (Aggarwal, Badanidiyuru, Dütting, Fusco), Theorem 1 (longest path) and Lemma 1 (augmented grids).

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

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.joint_ads.mechanism import Staircase, check_valuations


@dataclass(frozen=True)
class PathSolution:
    """A maximum-weight complete path, its mechanism and its expected revenue."""

    mechanism: Staircase
    nodes: np.ndarray  # (L, 2) path nodes from the north side to the east side
    revenue: float  # expected revenue under the given weights


def grid_size(delta: float) -> int:
    """k = 1/delta for a uniform grid G_delta; delta must be of the form 1/k (paper 2, Def. 5)."""
    if not np.isfinite(delta) or delta <= 0 or delta > 1:
        raise ValueError(f"delta = {delta} must lie in (0, 1]")
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


def _row_sweep(
    points: np.ndarray, weights: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """For i = nx-1 .. 0 yield (i, mass_i, srow_i).

    ``mass_i[j]`` is the weight with V_1 in column band i and V_2 in row band j;
    ``srow_i[j]`` the weight with V_1 >= xs[i] and V_2 in row band j.
    """
    bi = np.searchsorted(xs, points[:, 0], side="right") - 1
    bj = np.searchsorted(ys, points[:, 1], side="right") - 1
    order = np.argsort(bi, kind="stable")
    starts = np.searchsorted(bi[order], np.arange(len(xs) + 1))
    srow = np.zeros(len(ys))
    for i in range(len(xs) - 1, -1, -1):
        rows = order[starts[i] : starts[i + 1]]
        mass = np.bincount(bj[rows], weights=weights[rows], minlength=len(ys))
        srow = srow + mass
        yield i, mass, srow


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
    xs, ys = _axis(xs, p[:, 0], "xs"), _axis(ys, p[:, 1], "ys")
    nx, ny = len(xs), len(ys)
    down = np.zeros((nx, ny), bool)
    start = np.empty(nx)
    best_next = np.zeros(ny)
    for i, mass, srow in _row_sweep(p, w, xs, ys):
        scol = np.cumsum(mass[::-1])[::-1]  # V_1 in band i, V_2 >= ys[j]
        across = ys * scol + (best_next if i < nx - 1 else 0.0)  # right edge, or end term
        c = xs[i] * srow[:-1]  # vertical edge (i, j) -> (i, j-1) earns xs[i] * srow[j-1]
        C = np.r_[0.0, np.cumsum(c)]
        best = C + np.maximum.accumulate(across - C)
        down[i, 1:] = c + best[:-1] > across[1:]
        start[i] = xs[i] * srow[-1] + best[-1]  # start-node term: V_2 = 1 atoms
        best_next = best
    i, j = int(np.argmax(start)), ny - 1
    nodes = [(xs[i], ys[j])]
    while True:
        if j > 0 and down[i, j]:
            j -= 1
        elif i < nx - 1:
            i += 1
        else:
            break
        nodes.append((xs[i], ys[j]))
    nodes_arr = np.array(nodes)
    return PathSolution(Staircase.from_path(nodes_arr), nodes_arr, float(start.max()))


def best_posted_prices(points: ArrayLike, weights: ArrayLike | None = None) -> PathSolution:
    """The best pair of posted prices (a rectangle [p_1, 1] x [p_2, 1]) for a distribution.

    Candidate prices are the points' coordinates and 0, which contain an optimum.
    """
    p = check_valuations(points, "points")
    w = _weights(p, weights)
    xs, ys = _axis(None, p[:, 0], "xs"), _axis(None, p[:, 1], "ys")
    best, arg = -1.0, (0.0, 0.0)
    for i, _, srow in _row_sweep(p, w, xs, ys):
        tail = np.cumsum(srow[::-1])[::-1]  # P(V_1 >= xs[i], V_2 >= ys[j])
        rev = (xs[i] + ys) * tail
        j = int(np.argmax(rev))
        if rev[j] >= best:
            best, arg = float(rev[j]), (xs[i], ys[j])
    nodes = np.array([(arg[0], 1.0), arg, (1.0, arg[1])])
    return PathSolution(Staircase([arg]), nodes, best)


def augment(mechanism: Staircase, delta: float) -> Staircase:
    """The augmented-grid mechanism M' in M+_delta associated with M (paper 2, Lemma 1).

    For each tile T = (x0, x0 + delta] x (y0 - delta, y0] of G_delta that A meets (its north-east
    corner is in A), add the point (max(x0, p_1(., y0)), max(y0 - delta, p_2(x0 + delta, .))),
    where p_i are M's critical prices: this is (x(P_in), y(P_out)) for a boundary entering on
    the north side and leaving on the east side, and reduces to the other three cases of
    docs/decisions.md#augmentation (N->S, W->E, W->S; tiles inside A give their south-west corner). A' is the
    up-closure of these points; it contains A, and each price drops by at most delta.
    """
    k = grid_size(delta)
    if len(mechanism.corners) == 0:
        return mechanism
    i, j = np.meshgrid(np.arange(k), np.arange(1, k + 1), indexing="ij")
    x0, y0 = (i / k).ravel(), (j / k).ravel()
    x1, y_low = ((i + 1) / k).ravel(), ((j - 1) / k).ravel()
    meets = mechanism.allocate(np.stack([x1, y0], axis=1))
    a = np.maximum(x0, mechanism.price1_at(y0))
    b = np.maximum(y_low, mechanism.price2_at(x1))
    return Staircase.up_closure(np.stack([a, b], axis=1)[meets])
