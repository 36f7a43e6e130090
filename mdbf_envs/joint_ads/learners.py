"""Learners for repeated joint ads.

*Selling Joint Ads: A Regret Minimization Perspective* (Aggarwal, Badanidiyuru, Dütting, Fusco):
Augment-the-Best-Mechanism (Sec. 4, Thm. 4), PathLearning (Sec. 5, Thms. 6-7), and the
follow-the-leader, posted-price and fixed baselines; :class:`EpochLearner` is our robustness
variant. A learner (:class:`Learner`) implements ``post() -> mechanism`` for
the coming round and ``update(v)`` with the round's bid pair, observed in full. :func:`play`
runs one against a sequence.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.core.checks import check_int, check_real
from mdbf_envs.joint_ads.mechanism import JointAdsMechanism, Staircase, check_valuations
from mdbf_envs.joint_ads.optimal import MAX_GRID, augment, best_path, best_posted_prices, uniform_grid
from mdbf_envs.joint_ads.valuations import ExpectedRevenue


@runtime_checkable
class Learner(Protocol):
    """A repeated joint-ads seller: posts a mechanism each round and learns from the bids."""

    def post(self) -> Any:
        """The mechanism for the coming round (``payments(bids)`` and ``allocate(bids)``)."""

    def update(self, bids: np.ndarray) -> None:
        """Learn from the round's bid pair."""


LearnerFactory = Callable[[int, np.random.Generator], Learner]
"""``(horizon, rng) -> Learner``: how a paired game or env builds each replication's seller."""


WHOLE_SQUARE = Staircase([(0.0, 0.0)])
"""Always sell, at price zero: the mechanism posted before any data."""


def augment_delta(t: int) -> float:
    """delta_t = 1 / ceil(t^(1/4)), Augment-the-Best's grid schedule (docs/decisions.md#augment-schedule)."""
    return 1.0 / math.ceil(t**0.25)


def path_learning_delta(T: int, sigma: float) -> float:
    """delta = 1 / ceil((T / sigma^2)^(1/3)), PathLearning's grid (docs/decisions.md#path-learning-parameters)."""
    return 1.0 / math.ceil((T / sigma**2) ** (1 / 3))


def hedge_eta(T: int, n_experts: float) -> float:
    """Hedge step for rewards in [0, 2]: eta = sqrt(8 ln N / T) / 2 (docs/decisions.md#path-learning-parameters)."""
    return math.sqrt(8 * math.log(n_experts) / T) / 2


class FixedMechanism:
    """Posts the same mechanism every round (a baseline, or a fixed mechanism to audit)."""

    def __init__(self, mechanism: JointAdsMechanism):
        self.mechanism = mechanism

    def post(self) -> JointAdsMechanism:
        return self.mechanism

    def update(self, v: ArrayLike) -> None:
        check_valuations(v)


class _Leader(ABC):
    """Fits a mechanism to all past valuations; refits when the history has grown by a factor
    ``refit_growth`` since the last fit (1.0 refits every round). Subclasses define :meth:`_fit`."""

    def __init__(self, refit_growth: float = 1.0):
        self.refit_growth = check_real("refit_growth", refit_growth, low=1.0)
        self._buffer = np.empty((64, 2))
        self.t = 0  # rounds observed
        self._fitted: Staircase | None = None
        self._fitted_on = 0

    @property
    def history(self) -> np.ndarray:
        """The ``(t, 2)`` valuations seen so far."""
        return self._buffer[: self.t]

    def update(self, v: ArrayLike) -> None:
        pair = check_valuations(v)[0]
        if self.t == len(self._buffer):
            self._buffer = np.concatenate([self._buffer, np.empty_like(self._buffer)])
        self._buffer[self.t] = pair
        self.t += 1

    @abstractmethod
    def _fit(self, history: np.ndarray) -> Staircase:
        """The mechanism to post, fitted on the ``(t, 2)`` history."""

    def fitted(self) -> Staircase:
        """The leader on the history (refitted on the geometric schedule)."""
        if self.t == 0:
            return WHOLE_SQUARE
        if self._fitted is None or self.t >= self.refit_growth * self._fitted_on:
            self._fitted, self._fitted_on = self._fit(self.history), self.t
        return self._fitted

    def post(self) -> JointAdsMechanism:
        return self.fitted()


class FollowTheLeader(_Leader):
    """Posts the optimal mechanism on past valuations (Thm. 1), or on a grid G_delta if given."""

    def __init__(self, delta: float | None = None, refit_growth: float = 1.0):
        super().__init__(refit_growth)
        self.grid = None if delta is None else uniform_grid(check_real("delta", delta, 0.0, 1.0, positive=True))

    def _fit(self, history: np.ndarray) -> Staircase:
        return best_path(history, xs=self.grid, ys=self.grid).mechanism


class PostedPriceLeader(_Leader):
    """Posts the best pair of posted prices on past valuations."""

    def _fit(self, history: np.ndarray) -> Staircase:
        return best_posted_prices(history).mechanism


class AugmentTheBest(FollowTheLeader):
    """Augment-the-Best-Mechanism (paper 2, Sec. 4, Thm. 4), for the stochastic setting.

    Round t posts the Lemma-1 augmented-grid mechanism, with precision delta_t, of the
    optimal mechanism M-hat_t on the t - 1 past valuations.

    Speed: refitting M-hat_t every round costs O(t^2) per round. With ``refit_growth`` = c > 1,
    M-hat is refitted only when the history has grown by the factor c, so it is always fitted
    on at least (t - 1)/c samples: the uniform-convergence error eps_t ~ 1/sqrt(samples) of the
    proof grows by at most sqrt(c), the regret bound by a constant factor, and the total cost
    falls to O(T^2 / (1 - 1/c^2)) instead of O(T^3). ``refit_growth=1`` is the exact
    algorithm.

    Args:
        delta_schedule: t -> delta_t, with 1/delta_t an integer (default :func:`augment_delta`).
        refit_growth: c above.
    """

    def __init__(self, delta_schedule: Callable[[int], float] = augment_delta, refit_growth: float = 1.1):
        super().__init__(None, refit_growth)
        self.delta_schedule = delta_schedule
        self._posted: tuple[Staircase, float, Staircase] | None = None  # (fitted, delta, augmented)

    def post(self) -> JointAdsMechanism:
        if self.t == 0:
            return WHOLE_SQUARE
        fitted, delta = self.fitted(), self.delta_schedule(self.t + 1)
        if self._posted is None or self._posted[0] is not fitted or self._posted[1] != delta:
            self._posted = (fitted, delta, augment(fitted, delta))  # recomputed only when either changes
        return self._posted[2]


class PathLearning:
    """PathLearning (paper 2, Sec. 5, Thm. 6-7): Hedge over all complete paths of G_delta.

    Each s-t lattice path from (0, 1) to (1, 0) is an expert with weight
    exp(eta * cumulative revenue). By Claim 3 the weight is the product of edge weights
    w(e) = exp(eta iota(e) #{s < t : v_s in R(e)}), so node weights W(u) (a DP from the sink)
    give each out-edge the probability w(e) W(head) / W(u), and a path is sampled edge by edge
    (Thm. 7). Everything is kept in log space; a row of the DP is one
    ``np.logaddexp.accumulate``.

    Args:
        horizon: T.
        sigma: the smoothness parameter the grid is tuned for.
        rng: the learner's own randomness.
        delta: grid step (default :func:`path_learning_delta`).
        eta: Hedge step (default :func:`hedge_eta` with N = C(2/delta, 1/delta)).
    """

    def __init__(
        self,
        horizon: int,
        sigma: float,
        rng: np.random.Generator,
        delta: float | None = None,
        eta: float | None = None,
    ):
        check_real("sigma", sigma, 0.0, 1.0, positive=True)
        check_int("horizon", horizon, 1)
        if delta is None and (sigma**2 == 0 or horizon / sigma**2 > MAX_GRID**3):
            raise ValueError(
                f"horizon = {horizon} with sigma = {sigma} gives PathLearning a grid finer than "
                f"1/{MAX_GRID} (delta = 1 / ceil((T / sigma^2)^(1/3))); pass a coarser delta"
            )
        given = None if delta is None else check_real("delta", delta, 0.0, 1.0, positive=True)
        self.delta = path_learning_delta(horizon, sigma) if given is None else given
        self.k = k = len(uniform_grid(self.delta)) - 1
        self.eta = hedge_eta(horizon, math.comb(2 * k, k)) if eta is None else check_real("eta", eta, positive=True)
        self.rng = rng
        # log w of the horizontal edge (i, j) -> (i+1, j) and vertical edge (i, j) -> (i, j-1)
        self.log_h = np.zeros((k, k + 1))
        self.log_v = np.zeros((k + 1, k + 1))  # column j = 0 unused
        self._log_W: np.ndarray | None = None

    def update(self, v: ArrayLike) -> None:
        v1, v2 = check_valuations(v)[0]
        k, eta = self.k, self.eta
        i1, j1 = math.floor(v1 * k), math.floor(v2 * k)  # bands: i1/k <= v1 < (i1+1)/k
        if i1 < k:  # horizontal edges in column band i1 with y <= v2 earn y
            self.log_h[i1, : j1 + 1] += eta * np.arange(j1 + 1) / k
        if j1 < k:  # vertical edges in row band (j1, j1+1) with x <= v1 earn x
            self.log_v[: i1 + 1, j1 + 1] += eta * np.arange(i1 + 1) / k
        self._log_W = None

    def log_node_weights(self) -> np.ndarray:
        """log W(u) for every node u = (i, j): the log-sum of path weights from u to the sink."""
        if self._log_W is None:
            k = self.k
            log_W = np.empty((k + 1, k + 1))
            east = np.full(k + 1, -np.inf)
            east[0] = 0.0  # so that the sink (k, 0) gets log W = 0 below
            for i in range(k, -1, -1):
                across = east if i == k else self.log_h[i] + log_W[i + 1]
                cum = np.r_[0.0, np.cumsum(self.log_v[i, 1:])]
                log_W[i] = cum + np.logaddexp.accumulate(across - cum)
            self._log_W = log_W
        return self._log_W

    def sample_path(self) -> np.ndarray:
        """A path drawn with probability w(pi) / sum_pi' w(pi'), as ``(2k+1, 2)`` nodes."""
        log_W = self.log_node_weights()
        k, i, j = self.k, 0, self.k
        nodes = [(0, k)]
        u = self.rng.random(2 * k)
        for step in range(2 * k):
            if i == k:
                j -= 1
            elif j == 0:
                i += 1
            elif u[step] < math.exp(self.log_h[i, j] + log_W[i + 1, j] - log_W[i, j]):
                i += 1
            else:
                j -= 1
            nodes.append((i, j))
        return np.array(nodes, dtype=np.float64) / k

    def post(self) -> JointAdsMechanism:
        return Staircase.from_path(self.sample_path())


class EpochLearner:
    """A robustness variant (ours, not the paper's): the base learner learns only at the ends of
    epochs of doubling length (``first_epoch``, then 2x, 4x, ...). The bids of an epoch are held
    back and handed over when it ends, so every mechanism posted in an epoch was fitted on
    earlier epochs only: a buyer who stays cannot move this epoch's prices, and a lie today
    moves prices only from the next epoch on, while the data the learner uses lag by up to
    half the rounds so far (the revenue this costs against truthful buyers is what the audit
    measures beside its gain).
    """

    def __init__(self, base, first_epoch: int = 16):
        self.base, self.first_epoch = base, check_int("first_epoch", first_epoch, 1)
        self._held: list[np.ndarray] = []
        self.t, self._epoch_end = 0, self.first_epoch

    def post(self) -> JointAdsMechanism:
        return self.base.post()

    def _checked(self, v: ArrayLike) -> np.ndarray:
        """The round's bids as the base learns them (here one pair)."""
        return check_valuations(v)[0]

    def update(self, v: ArrayLike) -> None:
        self._held.append(self._checked(v))
        self.t += 1
        if self.t == self._epoch_end:
            for pair in self._held:
                self.base.update(pair)
            self._held.clear()
            self._epoch_end *= 2


@dataclass(frozen=True)
class PlayResult:
    """Per-round revenue of a learner: realised and, where the law is known, expected."""

    realised: np.ndarray  # (T,) Rev(M_t, v_t)
    expected: np.ndarray | None  # (T,) E_{D_t}[Rev(M_t, V)]


def play(learner, values: ArrayLike, expected: ExpectedRevenue | None = None) -> PlayResult:
    """Run ``learner`` on a valuation sequence, recording its revenue in each round.

    Args:
        learner: anything with ``post()`` and ``update(v)``.
        values: the ``(T, 2)`` valuations, revealed one round at a time.
        expected: (t, mechanism) -> expected revenue under round t's law, for pseudo-regret.
    """
    v = check_valuations(values)
    realised = np.empty(len(v))
    mean = np.empty(len(v)) if expected is not None else None
    for t in range(len(v)):
        mech = learner.post()
        realised[t] = mech.payments(v[t : t + 1]).sum()
        if mean is not None:
            mean[t] = expected(t, mech)
        learner.update(v[t])
    return PlayResult(realised, mean)


def hindsight_revenue(values: ArrayLike, rounds: ArrayLike) -> np.ndarray:
    """max_M sum_{s <= tau} Rev(M, v_s) for each tau in ``rounds`` (Thm. 1 on the prefix)."""
    v = check_valuations(values)
    taus = [check_int("rounds", tau, 1, len(v)) for tau in np.asarray(rounds).reshape(-1).tolist()]
    return np.array([best_path(v[:tau]).revenue * tau for tau in taus])
