"""Orthogonal paths, influence regions and edge weights.

*Selling Joint Ads: A Regret Minimization Perspective* (Aggarwal, Badanidiyuru, Dütting, Fusco), Defs. 3-4 and Prop. 2.

A complete path runs from the north side to the east side moving right or down. Its edges'
intrinsic weights iota(e) and influence regions R(e) (half-open rectangles,
docs/decisions.md#influence-regions) decompose
the revenue of its mechanism: Rev(M_pi, v) = sum_e iota(e) 1[v in R(e)] plus a start-node term
x_s 1[v_2 = 1, v_1 >= x_s] and an end-node term y_e 1[v_1 = 1, v_2 >= y_e] (exact for atoms on
the borders; both vanish for continuous distributions).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.joint_ads.mechanism import check_valuations


def edge_terms(nodes: ArrayLike, v: ArrayLike) -> np.ndarray:
    """``(m, L-1)``: iota(e) 1[v in R(e)] for each valuation and edge of the path ``nodes``.

    Vertical e = (x, y_top) -> (x, y_bot): iota = x, R = [x, 1] x [y_bot, y_top).
    Horizontal e = (x_l, y) -> (x_r, y): iota = y, R = [x_l, x_r) x [y, 1].
    """
    p = np.asarray(nodes, dtype=np.float64)
    v = check_valuations(v)
    (xa, ya), (xb, yb) = p[:-1].T, p[1:].T
    v1, v2 = v[:, :1], v[:, 1:]
    vertical = xa == xb
    in_vertical = (v1 >= xa) & (v2 >= yb) & (v2 < ya)
    in_horizontal = (v1 >= xa) & (v1 < xb) & (v2 >= ya)
    return np.where(vertical, xa * in_vertical, ya * in_horizontal)


def decomposed_revenue(nodes: ArrayLike, v: ArrayLike, node_terms: bool = True) -> np.ndarray:
    """Rev(M_pi, v) via Proposition 2: edge terms plus (optionally) the border node terms."""
    p = np.asarray(nodes, dtype=np.float64)
    v = check_valuations(v)
    rev = edge_terms(p, v).sum(-1)
    if node_terms:
        (xs, _), (_, ye) = p[0], p[-1]
        rev = rev + xs * ((v[:, 1] == 1) & (v[:, 0] >= xs)) + ye * ((v[:, 0] == 1) & (v[:, 1] >= ye))
    return rev


def expected_revenue_uniform(nodes: ArrayLike, box: ArrayLike) -> float:
    """E[Rev(M_pi, V)] for V uniform on the box ``[[l1, h1], [l2, h2]]`` (Prop. 2, exact).

    Each edge contributes iota(e) |R(e) cap box| / |box|; boundaries have no mass.
    """
    p = np.asarray(nodes, dtype=np.float64)
    (l1, h1), (l2, h2) = np.asarray(box, dtype=np.float64)
    if len(p) < 2:
        return 0.0
    (xa, ya), (xb, yb) = p[:-1].T, p[1:].T

    def overlap(lo, hi, a, b):
        return np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0, None)

    vertical = xa == xb
    w_v = xa * overlap(xa, 1.0, l1, h1) * overlap(yb, ya, l2, h2)
    w_h = ya * overlap(xa, xb, l1, h1) * overlap(ya, 1.0, l2, h2)
    return float(np.where(vertical, w_v, w_h).sum() / ((h1 - l1) * (h2 - l2)))


def edge_weights(nodes: ArrayLike, points: ArrayLike, weights: ArrayLike) -> np.ndarray:
    """w_V(e) = iota(e) P(V in R(e)) for a discrete V (Def. 4)."""
    return np.asarray(weights, dtype=np.float64) @ edge_terms(nodes, points)


def grid_paths(k: int) -> Iterator[np.ndarray]:
    """Every s-t lattice path of G_{1/k} from (0, 1) to (1, 0): C(2k, k) of them (Lemma 3).

    For tests and small grids only (the count grows as 4^k).
    """
    for downs in itertools.combinations(range(2 * k), k):
        i, j, nodes = 0, k, [(0, k)]
        for step in range(2 * k):
            if step in downs:
                j -= 1
            else:
                i += 1
            nodes.append((i, j))
        yield np.array(nodes, dtype=np.float64) / k
