"""Joint-ads learners for R replications at once: what the paired game, the env and the regret
runs play.

A batch learner holds R sellers as arrays: ``post()`` returns R mechanisms whose ``allocate`` and
``payments`` take one bid pair per replication ``(R, 2)``, and ``update(bids)`` learns from
``(R, 2)``. :func:`batched` builds one from a single-learner factory
(:data:`~mdbf_envs.joint_ads.learners.LearnerFactory`): the registered learners get array
versions below, each the single learner's algorithm step for step (the refits of the leaders
run through the same compiled kernels as :func:`~mdbf_envs.joint_ads.optimal.best_path`);
any other learner is played one replication at a time (:class:`Replicated`, the reference).
Replication r of a batch posts what a single learner built with generator r posts, round by
round (tested for every registered learner).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from mdbf_envs.joint_ads.kernels import augment_each, fit_each, minimal_each
from mdbf_envs.joint_ads.learners import (
    WHOLE_SQUARE,
    AugmentTheBest,
    EpochLearner,
    FixedMechanism,
    FollowTheLeader,
    Learner,
    LearnerFactory,
    PathLearning,
    PostedPriceLeader,
)
from mdbf_envs.joint_ads.mechanism import Staircase, Staircases, check_valuations
from mdbf_envs.joint_ads.optimal import grid_size


@runtime_checkable
class BatchLearner(Protocol):
    """R repeated joint-ads sellers: each round R mechanisms, then R bid pairs to learn from."""

    replications: int

    def post(self) -> Any:
        """R mechanisms: ``allocate(bids (R, 2))``, ``payments(bids (R, 2))`` and ``[r]``."""

    def update(self, bids: np.ndarray) -> None:
        """Learn from the round's ``(R, 2)`` bid pairs, row r in replication r."""


BatchLearnerFactory = Callable[[int, Sequence[np.random.Generator]], BatchLearner]


def _check_bids(bids: np.ndarray, replications: int) -> np.ndarray:
    bids = check_valuations(bids, "bids")
    if len(bids) != replications:
        raise ValueError(f"bids has {len(bids)} rows for {replications} replications")
    return bids


class EachMechanism:
    """R arbitrary mechanisms, evaluated one replication at a time."""

    def __init__(self, mechanisms: Sequence[Any]):
        self.mechanisms = list(mechanisms)

    def __getitem__(self, r: int) -> Any:
        return self.mechanisms[r]

    def allocate(self, v: np.ndarray) -> np.ndarray:
        return np.array([bool(m.allocate(v[r : r + 1])[0]) for r, m in enumerate(self.mechanisms)])

    def payments(self, v: np.ndarray) -> np.ndarray:
        return np.array([m.payments(v[r : r + 1])[0] for r, m in enumerate(self.mechanisms)]).reshape(-1, 2)


class Replicated:
    """R single learners played one replication at a time: the reference, and the batch of any
    learner without an array version."""

    def __init__(self, learners: Sequence[Learner]):
        self.learners = list(learners)
        self.replications = len(self.learners)

    def post(self) -> EachMechanism:
        return EachMechanism([learner.post() for learner in self.learners])

    def update(self, bids: np.ndarray) -> None:
        for learner, pair in zip(self.learners, _check_bids(bids, self.replications), strict=True):
            learner.update(pair)


class FixedBatch:
    """:class:`FixedMechanism` for R replications."""

    def __init__(self, mechanism: Staircase, replications: int):
        self.replications = replications
        self._posted = Staircases.stack([mechanism] * replications)

    def post(self) -> Staircases:
        return self._posted

    def update(self, bids: np.ndarray) -> None:
        _check_bids(bids, self.replications)


class LeaderBatch:
    """Follow-the-leader, the posted-price leader and Augment-the-Best for R replications.

    All replications refit on the same rounds (the schedule depends on t only), in one compiled
    call over the ``(R, t, 2)`` history: Theorem 1's longest path (or the best posted prices)
    per replication, then Lemma 1's augmentation for Augment-the-Best.
    """

    def __init__(self, template: FollowTheLeader | PostedPriceLeader, replications: int):
        self.replications, self.refit_growth = replications, template.refit_growth
        self.posted_prices = isinstance(template, PostedPriceLeader)
        grid = getattr(template, "grid", None)
        self.grid = np.zeros(0) if grid is None else grid
        self.delta_schedule = template.delta_schedule if isinstance(template, AugmentTheBest) else None
        self._history = np.empty((replications, 64, 2))
        self.t, self._fitted_on = 0, 0
        self._fitted: Staircases | None = None
        self._posted: tuple[Staircases, float, Staircases] | None = None
        self._whole_square = Staircases.stack([WHOLE_SQUARE] * replications)

    def update(self, bids: np.ndarray) -> None:
        bids = _check_bids(bids, self.replications)
        if self.t == self._history.shape[1]:
            self._history = np.concatenate([self._history, np.empty_like(self._history)], axis=1)
        self._history[:, self.t] = bids
        self.t += 1

    def fitted(self) -> Staircases:
        if self._fitted is None or self.t >= self.refit_growth * self._fitted_on:
            corners, counts = fit_each(np.ascontiguousarray(self._history[:, : self.t]), self.posted_prices, self.grid)
            self._fitted, self._fitted_on = Staircases(corners, counts), self.t
        return self._fitted

    def post(self) -> Staircases:
        if self.t == 0:
            return self._whole_square
        fitted = self.fitted()
        if self.delta_schedule is None:
            return fitted
        delta = self.delta_schedule(self.t + 1)
        if self._posted is None or self._posted[0] is not fitted or self._posted[1] != delta:
            self._posted = (fitted, delta, Staircases(*augment_each(fitted.corners, fitted.counts, grid_size(delta))))
        return self._posted[2]


class PathLearningBatch:
    """PathLearning for R replications: the edge weights ``(R, k, k+1)`` and ``(R, k+1, k+1)``,
    the node weights' DP one row of the grid at a time for all replications, and the path
    sampled edge by edge for all replications, each with its own generator."""

    def __init__(self, template: PathLearning, generators: Sequence[np.random.Generator]):
        self.k, self.eta = k, eta = template.k, template.eta
        self.generators = list(generators)
        self.replications = R = len(self.generators)
        self.log_h = np.zeros((R, k, k + 1))
        self.log_v = np.zeros((R, k + 1, k + 1))
        self._earned = eta * np.arange(k + 1) / k  # iota of the edges at each grid index, times eta

    def update(self, bids: np.ndarray) -> None:
        v = _check_bids(bids, self.replications)
        k, rows = self.k, np.arange(self.replications)
        i1, j1 = np.floor(v[:, 0] * k).astype(np.int64), np.floor(v[:, 1] * k).astype(np.int64)
        band = i1 < k  # horizontal edges in column band i1 with y <= v2 earn y
        self.log_h[rows[band], i1[band]] += np.where(np.arange(k + 1) <= j1[band, None], self._earned, 0.0)
        band = j1 < k  # vertical edges in row band (j1, j1+1) with x <= v1 earn x
        self.log_v[rows[band], :, j1[band] + 1] += np.where(np.arange(k + 1) <= i1[band, None], self._earned, 0.0)

    def log_node_weights(self) -> np.ndarray:
        """log W(u) ``(R, k+1, k+1)``, as :meth:`PathLearning.log_node_weights` row by row."""
        R, k = self.replications, self.k
        log_W = np.empty((R, k + 1, k + 1))
        east = np.full((R, k + 1), -np.inf)
        east[:, 0] = 0.0  # so that the sink (k, 0) gets log W = 0
        for i in range(k, -1, -1):
            across = east if i == k else self.log_h[:, i] + log_W[:, i + 1]
            cum = np.concatenate([np.zeros((R, 1)), np.cumsum(self.log_v[:, i, 1:], axis=1)], axis=1)
            log_W[:, i] = cum + np.logaddexp.accumulate(across - cum, axis=1)
        return log_W

    def post(self) -> Staircases:
        R, k = self.replications, self.k
        log_W = self.log_node_weights()
        u = np.stack([g.random(2 * k) for g in self.generators])
        rows, i, j = np.arange(R), np.zeros(R, np.int64), np.full(R, k)
        nodes = np.empty((R, 2 * k + 1, 2))
        nodes[:, 0] = (0, k)
        for step in range(2 * k):
            inner = (i < k) & (j > 0)
            ii, jj = np.minimum(i, k - 1), j
            right = np.exp(self.log_h[rows, ii, jj] + log_W[rows, np.minimum(i + 1, k), jj] - log_W[rows, i, jj])
            go_right = np.where(inner, u[:, step] < right, j == 0)
            i, j = i + go_right, j - ~go_right
            nodes[:, step + 1, 0], nodes[:, step + 1, 1] = i, j
        return Staircases(*minimal_each(nodes / k))


class EpochBatch(EpochLearner):
    """:class:`EpochLearner` over a batch: the base learns the held ``(R, 2)`` bids when an epoch
    ends."""

    def __init__(self, base: BatchLearner, first_epoch: int):
        super().__init__(base, first_epoch)
        self.replications = base.replications

    def _checked(self, bids: np.ndarray) -> np.ndarray:
        return _check_bids(bids, self.replications)


def _array_version(template: Learner, generators: Sequence[np.random.Generator]) -> BatchLearner | None:
    """The array version of a registered learner's configuration, or None."""
    kind = type(template)
    if kind is FixedMechanism and isinstance(template.mechanism, Staircase):
        return FixedBatch(template.mechanism, len(generators))
    if kind in (FollowTheLeader, PostedPriceLeader, AugmentTheBest):
        return LeaderBatch(template, len(generators))
    if kind is PathLearning:
        return PathLearningBatch(template, generators)
    if kind is EpochLearner:
        base = _array_version(template.base, generators)
        return None if base is None else EpochBatch(base, template.first_epoch)
    return None


def batched(
    factory: LearnerFactory, horizon: int, generators: Sequence[np.random.Generator], arrays: bool = True
) -> BatchLearner:
    """R = ``len(generators)`` sellers ``factory(horizon, generators[r])`` as one batch learner:
    an array version where the learner has one (``arrays=True``), else :class:`Replicated`.

    The array version reads its configuration from a learner built with a generator of its own,
    so no replication's generator is drawn from before its learner is.
    """
    template = factory(horizon, np.random.default_rng(0))
    if not isinstance(template, Learner):
        raise TypeError(f"the learner factory built {template!r}, which lacks post() and update(bids)")
    version = _array_version(template, generators) if arrays else None
    return Replicated([factory(horizon, g) for g in generators]) if version is None else version
