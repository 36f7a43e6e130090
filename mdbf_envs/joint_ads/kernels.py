"""The compiled kernels of repeated joint ads, in one module.

*Selling Joint Ads: A Regret Minimization Perspective* (Aggarwal, Badanidiyuru, Dütting, Fusco):
the critical prices of an orthogonal mechanism (Sec. 2, Prop. 1), the up-closure's minimal
points, Theorem 1's longest path, the best posted prices, Lemma 1's augmentation, and the
loops that apply them to R replications at once. :mod:`~mdbf_envs.joint_ads.mechanism`,
:mod:`~mdbf_envs.joint_ads.optimal` and :mod:`~mdbf_envs.joint_ads.batched` call them; each is
written once, as a plain function compiled at the bottom, so that ``NUMBA_DISABLE_JIT=1`` runs
the same source as Python (the mutation tests do). The compiled code is cached on disk, keyed
by the whole package's sources (:mod:`mdbf_envs.core.compile_cache`).
"""

from __future__ import annotations

import numpy as np

from mdbf_envs.core.compile_cache import njit


def _minimal_points(p: np.ndarray) -> np.ndarray:
    """The minimal elements of the points ``(n, 2)``, sorted by x ascending (y descending)."""
    order = np.argsort(p[:, 1], kind="mergesort")
    order = order[np.argsort(p[order, 0], kind="mergesort")]  # x ascending, then y ascending
    q = p[order]
    keep = np.zeros(len(q), np.bool_)
    lowest = np.inf
    for k in range(len(q)):
        keep[k] = q[k, 1] < lowest  # strictly below everything to its left
        lowest = min(lowest, q[k, 1])
    return q[keep]


def _price1_at(corners: np.ndarray, v2: np.ndarray) -> np.ndarray:
    """Buyer 1's critical price min{a_k : b_k <= v2} (inf if none): the corners with b_k <= v2
    are a suffix (b descends), so it is the first of them."""
    k = np.searchsorted(-corners[:, 1], -v2)
    out = np.full(len(v2), np.inf)
    for r in range(len(v2)):
        if k[r] < len(corners):
            out[r] = corners[k[r], 0]
    return out


def _price2_at(corners: np.ndarray, v1: np.ndarray) -> np.ndarray:
    """Buyer 2's critical price min{b_k : a_k <= v1} (inf if none): the corners with a_k <= v1
    are a prefix (a ascends), so it is the last of them."""
    k = np.searchsorted(corners[:, 0], v1, side="right") - 1
    out = np.full(len(v1), np.inf)
    for r in range(len(v1)):
        if k[r] >= 0:
            out[r] = corners[k[r], 1]
    return out


def _critical_payments(corners: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Payments ``(m, 2)`` and allocation ``(m,)`` of the staircase at bids ``(m, 2)``: the ad
    is shown iff p_2(v_1) <= v_2, and then each buyer pays its critical price."""
    p1, p2 = price1_at(corners, v[:, 1]), price2_at(corners, v[:, 0])
    sold = p2 <= v[:, 1]
    pay = np.zeros((len(v), 2))
    for r in range(len(v)):
        if sold[r]:
            pay[r, 0], pay[r, 1] = p1[r], p2[r]
    return pay, sold


def _each_critical_payment(corners: np.ndarray, counts: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row r of the bids ``(R, 2)`` in staircase r of a padded batch."""
    pay = np.zeros((len(v), 2))
    sold = np.zeros(len(v), np.bool_)
    for r in range(len(v)):
        p, s = critical_payments(corners[r, : counts[r]], v[r : r + 1])
        pay[r], sold[r] = p[0], s[0]
    return pay, sold


def _bands(p: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each point's row band bj (ys[bj] <= v_2 < ys[bj + 1]); the points sorted by column band
    (stably), ``order``; and where column band i starts in that order, ``starts[i]``."""
    bi = np.searchsorted(xs, p[:, 0], side="right") - 1
    bj = np.searchsorted(ys, p[:, 1], side="right") - 1
    order = np.argsort(bi, kind="mergesort")
    starts = np.searchsorted(bi[order], np.arange(len(xs) + 1))
    return bj, order, starts


def _add_band(mass: np.ndarray, i: int, bj: np.ndarray, order: np.ndarray, starts: np.ndarray, w: np.ndarray) -> None:
    """mass[j] = the weight with V_1 in column band i and V_2 in row band j."""
    mass[:] = 0.0
    for k in range(starts[i], starts[i + 1]):
        mass[bj[order[k]]] += w[order[k]]


def _longest_path(p: np.ndarray, w: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, float]:
    """Theorem 1's longest path on the grid xs x ys: its nodes ``(L, 2)`` and weight.

    Rows i = nx-1 .. 0; with srow[j] the weight with V_1 >= xs[i] and V_2 in row band j:
    the vertical edge (i, j) -> (i, j-1) earns xs[i] srow[j-1]; the horizontal edge
    (i, j) -> (i+1, j) earns ys[j] P(V_1 in band i, V_2 >= ys[j]), and on the east side
    (i = nx-1) that is the end-node term; best[j] is the heaviest path from (i, j) to the east
    side, one prefix maximum per row; the start-node term xs[i] srow[ny-1] counts the V_2 = 1
    atoms. Ties prefer the horizontal step.
    """
    nx, ny = len(xs), len(ys)
    bj, order, starts = bands(p, xs, ys)
    down = np.zeros((nx, ny), np.bool_)
    start = np.empty(nx)
    mass, srow, best, best_next = np.empty(ny), np.zeros(ny), np.empty(ny), np.zeros(ny)
    across, climb = np.empty(ny), np.empty(ny)
    for i in range(nx - 1, -1, -1):
        add_band(mass, i, bj, order, starts, w)
        tail = 0.0
        for j in range(ny - 1, -1, -1):
            srow[j] += mass[j]
            tail += mass[j]  # V_1 in band i, V_2 >= ys[j]
            across[j] = ys[j] * tail + best_next[j]  # best_next is 0 east of the grid
        climb[0], running = 0.0, across[0]  # climb[j]: the vertical edges from (i, j) down to (i, 0)
        for j in range(ny):
            if j > 0:
                climb[j] = climb[j - 1] + xs[i] * srow[j - 1]
                running = max(running, across[j] - climb[j])
            best[j] = climb[j] + running
        for j in range(1, ny):
            down[i, j] = xs[i] * srow[j - 1] + best[j - 1] > across[j]
        start[i] = xs[i] * srow[ny - 1] + best[ny - 1]
        best_next[:] = best
    i, j = int(np.argmax(start)), ny - 1
    nodes = np.empty((nx + ny, 2))
    nodes[0, 0], nodes[0, 1], n = xs[i], ys[j], 1
    while down[i, j] or i < nx - 1:  # down[i, 0] stays False
        if down[i, j]:
            j -= 1
        else:
            i += 1
        nodes[n, 0], nodes[n, 1] = xs[i], ys[j]
        n += 1
    return nodes[:n].copy(), start.max()


def _posted_prices(p: np.ndarray, w: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[float, float, float]:
    """The best posted prices (p_1, p_2) on the grid xs x ys and their revenue
    (p_1 + p_2) P(V_1 >= p_1, V_2 >= p_2); ties prefer the smaller p_1, then the smaller p_2."""
    bj, order, starts = bands(p, xs, ys)
    mass, srow = np.empty(len(ys)), np.zeros(len(ys))
    best, a, b = -1.0, 0.0, 0.0
    for i in range(len(xs) - 1, -1, -1):
        add_band(mass, i, bj, order, starts, w)
        srow += mass
        tail, row_best, row_b = 0.0, -1.0, 0.0
        for j in range(len(ys) - 1, -1, -1):
            tail += srow[j]  # P(V_1 >= xs[i], V_2 >= ys[j])
            revenue = (xs[i] + ys[j]) * tail
            if revenue >= row_best:
                row_best, row_b = revenue, ys[j]
        if row_best >= best:
            best, a, b = row_best, xs[i], row_b
    return a, b, best


def _augmented_corners(corners: np.ndarray, k: int) -> np.ndarray:
    """Lemma 1's augmented-grid region M' in M+_delta (delta = 1/k) of the staircase ``corners``.

    For each tile T = (x0, x0 + delta] x (y0 - delta, y0] of G_delta that A meets (its
    north-east corner is in A), add the point (max(x0, p_1(., y0)), max(y0 - delta, p_2(x0 +
    delta, .))), where p_i are M's critical prices: this is (x(P_in), y(P_out)) for a boundary
    entering on the north side and leaving on the east side, and reduces to the other three
    cases of docs/decisions.md#augmentation (N->S, W->E, W->S; tiles inside A give their
    south-west corner). A' is the up-closure of these points; it contains A, and each price
    drops by at most delta.
    """
    points = np.empty((k * k, 2))
    n = 0
    for i in range(k):
        for j in range(1, k + 1):
            x0, y0, x1, y_low = i / k, j / k, (i + 1) / k, (j - 1) / k
            p1 = price1_at(corners, np.array([y0]))[0]
            p2 = price2_at(corners, np.array([x1]))[0]
            if p2 <= y0:  # the tile's north-east corner (x1, y0) is in A
                points[n, 0], points[n, 1] = max(x0, p1), max(y_low, p2)
                n += 1
    return minimal_points(points[:n])


def _axis(values: np.ndarray) -> np.ndarray:
    """The coordinates {0, 1} and the values, sorted and unique (the support's grid)."""
    return np.unique(np.concatenate((np.zeros(1), values, np.ones(1))))


def _pad(parts: list, counts: np.ndarray) -> np.ndarray:
    out = np.full((len(parts), max(counts.max(), 1), 2), np.inf)
    for r in range(len(parts)):
        out[r, : counts[r]] = parts[r]
    return out


def _fit_each(history: np.ndarray, posted: bool, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The leader's mechanism on each replication's history ``(R, t, 2)``, as padded corners and
    counts: the best posted prices, or the longest path on ``grid`` (empty: the support's)."""
    R, t = history.shape[0], history.shape[1]
    w = np.full(t, 1.0 / max(t, 1))
    parts = []
    counts = np.zeros(R, np.int64)
    for r in range(R):
        p = history[r]
        if posted:
            a, b, _ = posted_prices(p, w, axis(p[:, 0]), axis(p[:, 1]))
            corners = np.empty((1, 2))
            corners[0, 0], corners[0, 1] = a, b
        elif len(grid):
            corners = minimal_points(longest_path(p, w, grid, grid)[0])
        else:
            corners = minimal_points(longest_path(p, w, axis(p[:, 0]), axis(p[:, 1]))[0])
        parts.append(corners)
        counts[r] = len(corners)
    return pad(parts, counts), counts


def _augment_each(corners: np.ndarray, counts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Lemma 1's augmentation (precision 1/k) of each staircase of a padded batch."""
    parts = []
    out_counts = np.zeros(len(counts), np.int64)
    for r in range(len(counts)):
        part = augmented_corners(corners[r, : counts[r]], k)
        parts.append(part)
        out_counts[r] = len(part)
    return pad(parts, out_counts), out_counts


def _minimal_each(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The up-closure's corners of each path ``(R, L, 2)``, padded."""
    parts = []
    counts = np.zeros(len(nodes), np.int64)
    for r in range(len(nodes)):
        part = minimal_points(nodes[r])
        parts.append(part)
        counts[r] = len(part)
    return pad(parts, counts), counts


minimal_points = njit(_minimal_points)
price1_at = njit(_price1_at)
price2_at = njit(_price2_at)
critical_payments = njit(_critical_payments)
each_critical_payment = njit(_each_critical_payment)
bands = njit(_bands)
add_band = njit(_add_band)
longest_path = njit(_longest_path)
posted_prices = njit(_posted_prices)
augmented_corners = njit(_augmented_corners)
axis = njit(_axis)
pad = njit(_pad)
fit_each = njit(_fit_each)
augment_each = njit(_augment_each)
minimal_each = njit(_minimal_each)
