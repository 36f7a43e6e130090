"""VCG-Learn, batched over R independent replications.

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Algorithm 1
(Sec. 2 for ETC, Sec. 3 for OPT), eqs. (4)-(7).

All state is arrays of shape ``(R, n, |S|)`` (report counts and sums) plus a few integers:
memory does not depend on the horizon T. The explore schedule and bracket clock do not depend
on the data, so they are shared by the replications.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from mdbf_envs.core.checks import check_bool, check_number_array, check_real, check_size
from mdbf_envs.core.protocol import Round
from mdbf_envs.vcg_learn.scenario import Scenario
from mdbf_envs.vcg_learn.schedule import BracketClock
from mdbf_envs.vcg_learn.vcg import EnumeratedOutcomes, OutcomeOptimizer, seller_value_at

Zeta = Literal["etc", "opt"]
Bound = Literal["upper", "mean", "lower"]
BOUNDS: tuple[str, ...] = ("upper", "mean", "lower")
ZETAS: tuple[str, ...] = ("etc", "opt")


def per_replication(
    name: str, value: str | Sequence[str], choices: tuple[str, ...], replications: int
) -> tuple[str, ...]:
    """``value`` (one option, or one per replication) as a tuple of ``replications`` options."""
    if not isinstance(value, (str, list, tuple)):
        raise TypeError(f"{name} = {value!r}: give one of {choices}, or a list of them, one per replication")
    values = (value,) * replications if isinstance(value, str) else tuple(value)
    if len(values) != replications:
        raise ValueError(f"{name} gives {len(values)} options for {replications} replications")
    for v in values:
        if v not in choices:
            raise ValueError(f"{name} = {v!r}; use one of {choices}")
    return values


def _common(values: tuple[str, ...]) -> str | tuple[str, ...]:
    """The one value of a per-replication tuple, or the tuple if they differ."""
    return values[0] if len(set(values)) == 1 else values


def beta_squared(exploit_rounds: int, n_allocations: int) -> float:
    """The log term of paper 1 eq. (4): 5 log(t - qK + 1) + 2 log|S|, ``exploit_rounds`` = t - qK.

    The "+1" follows the main text's eq. (4) (the appendix's eq. (16) drops it; Lemma 12 needs
    it; docs/decisions.md#confidence-width). Plain scalar code, so the compiled simulator uses this very function.
    """
    return 5 * math.log(exploit_rounds + 1) + 2 * math.log(n_allocations)


def keeps_report(explore, etc, bidder, kept):
    """Which reports VCG-Learn learns from (Algorithm 1; :meth:`VCGLearn.observe`): a realisation
    agent's (not a ``bidder``'s) report of its allocation s is kept in an explore round if it is
    the phase's first of s (not ``kept``), and in an exploit round under OPT (not ``etc``).

    The rule is written here once. It is elementwise on numpy booleans (the mechanism, its
    ``influential_reports``) and compiled as it is by numba for the loops (scalars).
    """
    return np.logical_and(
        np.logical_not(bidder),
        np.logical_or(
            np.logical_and(explore, np.logical_not(kept)), np.logical_and(np.logical_not(explore), np.logical_not(etc))
        ),
    )


def confidence_width(
    sigma: np.ndarray | float, exploit_rounds: int, n_allocations: int, counts: np.ndarray
) -> np.ndarray:
    """Half-width of the confidence interval, paper 1 eq. (4).

    sigma * sqrt(:func:`beta_squared` / N_it(s)). Pairs with N = 0 get an infinite width.
    ``sigma`` broadcasts to ``counts``.
    """
    counts = np.asarray(counts, dtype=np.float64)
    beta2 = beta_squared(exploit_rounds, n_allocations)
    observed = counts > 0
    width = np.divide(beta2, counts, out=np.full(counts.shape, np.inf), where=observed)
    np.sqrt(width, out=width)
    return np.multiply(sigma, width, out=width, where=observed)


@dataclass(frozen=True)
class Estimates:
    """Lower, mean and upper estimates v-check, v-bar, v-hat of eq. (4)-(5), ``(R, n, |S|)``.

    The seller's estimates ``seller_*`` are ``(R, |Omega|)`` when the mechanism learns the
    seller's value, and v_0 itself otherwise.
    """

    lower: np.ndarray
    mean: np.ndarray
    upper: np.ndarray
    seller_lower: np.ndarray
    seller_mean: np.ndarray
    seller_upper: np.ndarray

    def agent(self, bound: str) -> np.ndarray:
        """The agents' table named by ``bound`` (f or g of eq. 7)."""
        return getattr(self, bound)

    def seller(self, bound: str) -> np.ndarray:
        """The seller's values named by ``bound``."""
        return getattr(self, f"seller_{bound}")


class VCGLearn:
    """VCG-Learn, paper 1 Algorithm 1.

    Each bracket q = 1, 2, ... starts with an explore phase of K rounds at price 0 that plays a
    covering schedule, so every agent experiences every allocation; then come
    floor((5/6) K sqrt(q)) exploit rounds that play omega_t = argmax V-hat_t (eq. 6) and
    charge p_it = max_omega F^{-i}_t(omega) - G^{-i}_t(omega_t) (eq. 7).

    Decisions the paper leaves open (docs/decisions.md), all fixed here and documented:

    * Explore data: of a realisation agent's reports in one explore phase, only the first per
      allocation is kept (so under ETC N_it(s) = q exactly). OPT adds every exploit report.
    * Tie-breaking: the lowest outcome index (see :mod:`mdbf_envs.vcg_learn.vcg`).
    * Explore schedule: a minimum set cover of the (agent, allocation) pairs not ``known``
      (the outcome space's ``covering_schedule``), played in increasing outcome id; or the caller's.
    * ``sigma``: one sub-Gaussian constant for all agents, by default the scenario's largest
      over unknown pairs; under ETC this keeps every agent's width equal across allocations,
      which the truthfulness proof uses (paper 1, footnote 1).
    * Known pairs (e.g. the zero value of not being served) are never estimated. Under ETC they
      get the agent's common width, as if observed exactly once per explore phase, so that
      V-hat, V-bar and V-check still differ by a constant across outcomes when bidders and
      realisation agents mix (with zero width a bidder would lose allocations to the others'
      optimism). Under OPT they have zero width (docs/decisions.md#known-values). Bidders have zero width (eq. 5).

    Several configurations can share one batch: ``zeta``, ``f`` and ``g`` take one value per
    replication (e.g. ``zeta=["etc"] * 8 + ["opt"] * 8`` with ``replications=16``), and each
    replication then runs exactly as a mechanism of its own configuration would. The attributes
    ``zeta``, ``f`` and ``g`` hold the common value, or the per-replication tuple if they differ.

    Args:
        scenario: the scenario; its true means are used only for ``known`` pairs.
        zeta: "etc" (explore-then-commit data only) or "opt" (all data); or one per replication.
        f, g: "upper", "mean" or "lower", the estimates in F^{-i} and G^{-i} (eq. 7); or one per
            replication.
        sigma: the sub-Gaussian constant the mechanism assumes (scalar or ``(n, |S|)``).
        bids: agent index -> bid table b_i (``(|S|,)`` or ``(R, |S|)``) for agents that take
            part by bids; every other agent takes part by realisations.
        replications: R, the number of independent copies advanced together.
        schedule: explore outcomes (ids); default the outcome space's ``covering_schedule``.
        learn_seller_value: the variant sketched at the end of paper 1, Sec. 5: v_0 is unknown,
            the seller observes noisy values of the outcome played, the explore schedule plays
            every outcome (K = ``|Omega|``) and v_0 gets confidence bounds like the agents' (eq. 4
            with ``|Omega|`` in place of ``|S|``).
        seller_sigma: sub-Gaussian constant of the seller's noise (default: the scenario's
            ``seller_noise_sd``).
        optimizer: welfare queries over Omega; default exhaustive search.
    """

    def __init__(
        self,
        scenario: Scenario,
        zeta: Zeta | Sequence[Zeta] = "opt",
        f: Bound | Sequence[Bound] = "mean",
        g: Bound | Sequence[Bound] = "mean",
        *,
        sigma: ArrayLike | None = None,
        bids: Mapping[int, ArrayLike] | None = None,
        replications: int = 1,
        schedule: ArrayLike | None = None,
        learn_seller_value: bool = False,
        seller_sigma: float | None = None,
        optimizer: OutcomeOptimizer | None = None,
    ):
        enumerated = scenario.n_outcomes if isinstance(scenario.space, EnumeratedOutcomes) else 0
        per_replication_bytes = 64 * scenario.n_agents * scenario.n_allocations + 8 * enumerated
        self.replications = R = check_size("replications", replications, per_replication_bytes)
        zetas = per_replication("zeta", zeta, ZETAS, R)
        self._fs, self._gs = per_replication("f", f, BOUNDS, R), per_replication("g", g, BOUNDS, R)
        self.scenario, self.zeta, self.f, self.g = scenario, _common(zetas), _common(self._fs), _common(self._gs)
        self._etc = np.array([z == "etc" for z in zetas])  # (R,)
        self._rows = np.arange(R)
        n, n_alloc = scenario.n_agents, scenario.n_allocations
        self.optimizer = optimizer or scenario.space
        unknown = ~scenario.known
        if sigma is None:
            sigma = float(scenario.sigma[unknown].max(initial=0.0))
        given = check_number_array("sigma", sigma)
        try:
            self.sigma = np.broadcast_to(given, (n, n_alloc))
        except ValueError:
            raise ValueError(
                f"sigma has shape {given.shape}: give one number or an (n, |S|) = {(n, n_alloc)} table"
            ) from None
        if not np.all(np.isfinite(self.sigma)) or self.sigma.min() < 0:
            raise ValueError(f"sigma = {sigma} must be finite and >= 0")
        self.bidder = np.zeros(n, bool)
        self.bid_table = np.zeros((R, n, n_alloc))
        for agent, bid in (bids or {}).items():
            if not 0 <= agent < n:
                raise ValueError(f"bids name agent {agent}, but agents are 0..{n - 1}")
            given = np.asarray(bid, float)
            if given.shape not in ((n_alloc,), (R, n_alloc)):
                raise ValueError(f"bid of agent {agent} has shape {given.shape}, expected ({n_alloc},)")
            if not np.all(np.isfinite(given)) or given.min() < 0 or given.max() > 1:
                raise ValueError(f"bid of agent {agent} = {given.tolist()} must be finite, in [0, 1]")
            self.bidder[agent] = True
            self.bid_table[:, agent] = given
        learn_seller_value = check_bool("learn_seller_value", learn_seller_value)
        if learn_seller_value and not isinstance(scenario.space, EnumeratedOutcomes):
            raise ValueError("learn_seller_value explores every outcome: it needs an enumerated Omega")
        self.learn_seller_value = learn_seller_value
        self.seller_sigma = (
            scenario.seller_noise_sd
            if seller_sigma is None
            else check_real("seller_sigma", seller_sigma, positive=True)
        )
        if schedule is None:
            schedule = (
                np.arange(scenario.n_outcomes) if learn_seller_value else scenario.space.covering_schedule(unknown)
            )
        self.schedule = np.asarray(schedule, dtype=np.int64)
        if self.schedule.ndim != 1 or self.schedule.size == 0:
            raise ValueError(f"schedule must be a non-empty list of outcomes, got {schedule}")
        if isinstance(scenario.space, EnumeratedOutcomes) and (
            self.schedule.min() < 0 or self.schedule.max() >= scenario.n_outcomes
        ):
            raise ValueError(f"schedule {self.schedule.tolist()} names outcomes outside Omega")
        shown = np.zeros((n, n_alloc), bool)
        shown[np.arange(n)[None, :], scenario.allocation_of(self.schedule)] = True
        if not shown[unknown].all():
            i, s = np.argwhere(unknown & ~shown)[0]
            raise ValueError(f"schedule never gives agent {i} allocation {scenario.allocations[s]!r}")
        self.K = len(self.schedule)
        # what never changes: entries that are not estimated (with their values; NaN marks
        # the estimated ones), and entries with zero width
        fixed = scenario.known | self.bidder[:, None]
        self._estimated = ~fixed
        self._fixed_values = np.where(
            fixed, np.where(self.bidder[None, :, None], self.bid_table, scenario.mean), np.nan
        )
        self._no_width = self.bidder[:, None] | (scenario.known & ~self._etc[:, None, None])  # (R, n, |S|)
        self._etc_known = scenario.known & self._etc[:, None, None] if self._etc.any() else None
        self.reset()

    def reset(self) -> None:
        """Forget all data and return to round 0."""
        R, n, n_alloc = self.replications, self.scenario.n_agents, self.scenario.n_allocations
        self.clock = BracketClock(self.K)
        self.counts = np.zeros((R, n, n_alloc))  # N_it(s)
        self.sums = np.zeros((R, n, n_alloc))  # sum of the reports behind N_it(s)
        # the flat cell of (replication r, agent i, allocation 0), for observe()'s updates
        self._cell = (np.arange(R)[:, None] * n + np.arange(n)) * n_alloc
        self._kept = np.zeros((n, n_alloc), bool)  # explore value kept this bracket
        seller_shape = (R, self.scenario.n_outcomes) if self.learn_seller_value else (R, 0)
        self.seller_counts, self.seller_sums = np.zeros(seller_shape), np.zeros(seller_shape)
        self._round: Round | None = None

    @property
    def t(self) -> int:
        """The current round (0 before the first :meth:`propose`)."""
        return self.clock.t

    def estimates(self) -> Estimates:
        """v-check, v-bar and v-hat at the current round t (eq. 4, with eq. 5 for bidders).

        t - qK is floored at 0: it is negative in the first explore phase (explore rounds do not
        use the estimates).
        """
        sc, counts = self.scenario, self.counts
        mean = self._fixed_values.copy()
        estimated = np.logical_and(self._estimated, counts > 0)
        np.divide(self.sums, counts, out=mean, where=estimated)
        # clip the mean only (eq. 4); fixed values lie in [0, 1] already, unobserved NaN stays
        np.minimum(np.maximum(mean, 0.0, out=mean), 1.0, out=mean)
        # Known pairs: under ETC, observed exactly once per explore phase (N = q, the agent's
        # common width); under OPT, exact (zero width). Bidders: zero width (eq. 5).
        if self._etc_known is not None:
            counts = np.where(self._etc_known, self.clock.bracket, counts)
        width = confidence_width(self.sigma, max(self.clock.exploit_rounds, 0), sc.n_allocations, counts)
        width[self._no_width] = 0.0
        if self.learn_seller_value:
            s_mean = np.divide(
                self.seller_sums,
                self.seller_counts,
                out=np.full(self.seller_sums.shape, np.nan),
                where=self.seller_counts > 0,
            )
            s_width = confidence_width(
                self.seller_sigma, max(self.clock.exploit_rounds, 0), sc.n_outcomes, self.seller_counts
            )
        else:
            s_mean, s_width = sc.seller_value, 0.0
        return Estimates(
            lower=mean - width,
            mean=mean,
            upper=mean + width,
            seller_lower=s_mean - s_width,
            seller_mean=s_mean,
            seller_upper=s_mean + s_width,
        )

    def propose(self) -> Round:
        """Advance to round t + 1 and choose its outcome and prices."""
        if self._round is not None:
            raise RuntimeError(f"round {self.t} was proposed but not observed; call observe()")
        self.clock.advance()
        R, n = self.replications, self.scenario.n_agents
        if self.clock.position == 0:
            self._kept[:] = False
        if self.clock.explore:
            outcome = np.full(R, self.schedule[self.clock.position])
            prices = np.zeros((R, n))
        else:
            est = self.estimates()
            outcome = self.optimizer.argmax_welfare(est.upper, est.seller_upper)  # eq. (6)
            prices = self.prices(est, outcome)
        self._round = Round(self.t, self.clock.bracket, self.clock.explore, outcome, prices)
        return self._round

    def prices(self, est: Estimates, outcome: np.ndarray) -> np.ndarray:
        """p_it = max_omega F^{-i}_t(omega) - G^{-i}_t(omega_t), paper 1 eq. (7). ``(R, n)``."""
        F, F0 = self._bound(est, self._fs)
        G, G0 = self._bound(est, self._gs)
        g_own = self.optimizer.agent_values(G, outcome)  # g_it(s_i(omega_t))
        G_at = seller_value_at(G0, outcome) + np.add.reduce(g_own, axis=-1)  # G_t(omega_t)
        return self.optimizer.max_welfare_without(F, F0) - (G_at[:, None] - g_own)

    def _bound(self, est: Estimates, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The agents' and the seller's estimates named by ``names``, one per replication."""
        if len(set(names)) == 1:
            return est.agent(names[0]), est.seller(names[0])
        pick = [BOUNDS.index(b) for b in names]
        agent = np.stack([est.agent(b) for b in BOUNDS])[pick, self._rows]
        seller = est.seller("mean")  # v_0 when it is known: the same under every bound
        if self.learn_seller_value:
            seller = np.stack([est.seller(b) for b in BOUNDS])[pick, self._rows]
        return agent, seller

    def influential_reports(self) -> np.ndarray:
        """``(R, n)`` bool for the round just proposed: the reports :meth:`observe` will keep for
        an estimated pair (:class:`mdbf_envs.core.protocol.KeepsReports`). Explore rounds keep a
        realisation agent's first report per allocation in the phase; exploit rounds keep every
        report under OPT and none under ETC. Reports on known pairs and bidders' entries never
        matter."""
        rnd = self._round
        if rnd is None:
            raise RuntimeError("influential_reports() describes a proposed round; call propose() first")
        agents = np.arange(self.scenario.n_agents)
        s = self.scenario.allocation_of(rnd.outcome)  # (R, n)
        return self._estimated[agents, s] & keeps_report(
            rnd.explore, self._etc[:, None], self.bidder, self._kept[agents, s]
        )

    @property
    def individually_rational(self) -> bool:
        """Whether f is no more optimistic than g in every replication. With f above g, eq. (7)'s
        price carries the others' widths and can exceed any value. It is necessary for
        individual rationality, not sufficient: a truthful agent's expected utility in a round
        can be negative even with f = g (docs/decisions.md#individual-rationality)."""
        return all(BOUNDS.index(f) >= BOUNDS.index(g) for f, g in zip(self._fs, self._gs, strict=True))

    @property
    def observes_seller(self) -> bool:
        """Whether :meth:`observe` needs the seller's realisation (:class:`~mdbf_envs.core.protocol.ObservesSeller`)."""
        return self.learn_seller_value

    @property
    def repeats_rounds(self) -> bool:
        """ETC with f = g and v_0 known: each exploit phase repeats its first round
        (:class:`~mdbf_envs.core.protocol.SkipsRounds`, :meth:`skip_repeats`).

        ETC ignores exploit-phase reports, so after the phase's first round the remaining
        rounds change nothing but the clock; with f = g they play the same outcome at the same
        prices (the widths grow with t but shift F and G alike). Declared for VCG-Learn's own
        ``propose`` and ``prices``; a subclass that overrides either opts in by overriding this."""
        own = type(self).prices is VCGLearn.prices and type(self).propose is VCGLearn.propose
        return own and bool(self._etc.all()) and self.f == self.g and not self.learn_seller_value

    def skip_repeats(self, limit: int) -> int:
        """Jump over the rest of the current ETC exploit phase, at most ``limit`` rounds, right
        after its first round was observed; returns the rounds skipped (0 after an explore
        round)."""
        if not self.repeats_rounds or self._round is not None:
            raise RuntimeError("skip_repeats() needs ETC with f = g (repeats_rounds), after an observed round")
        if self.clock.explore:
            return 0
        left = min(limit, self.clock.length - self.clock.position - 1)
        self.clock.t += left
        self.clock.position += left
        return left

    def observe(self, reports: ArrayLike, seller_realisation: ArrayLike | None = None) -> None:
        """Take the round's reports Y_it, ``(R, n)`` (bidders' entries are ignored).

        Args:
            reports: any finite reals (realised values need not lie in [0, 1]).
            seller_realisation: ``(R,)`` the seller's realised value; required when the
                mechanism learns the seller's value.
        """
        rnd = self._round
        if rnd is None:
            raise RuntimeError("observe() called before propose()")
        R, n = self.replications, self.scenario.n_agents
        y = np.asarray(reports, dtype=np.float64)
        if y.shape != (R, n):
            raise ValueError(f"reports have shape {y.shape}, expected (R, n) = {(R, n)}")
        reporting = ~self.bidder
        if not np.isfinite(y).all() and not np.isfinite(y[:, reporting]).all():
            r, i = np.argwhere(~np.isfinite(y) & reporting)[0]
            raise ValueError(f"report of agent {i} (replication {r}) = {y[r, i]} is not finite")
        s = self.scenario.allocation_of(rnd.outcome)  # (R, n)
        agents = np.arange(n)
        take = keeps_report(rnd.explore, self._etc[:, None], self.bidder, self._kept[agents, s])  # (R, n)
        if rnd.explore:  # the explore outcome is shared by the replications
            self._kept[agents[take[0]], s[0, take[0]]] = True
        if take.any():  # each (replication, agent) adds to one cell: fancy-index adds are safe
            cells = self._cell + s
            self.counts.reshape(-1)[cells] += take  # views: pickling keeps no aliases
            self.sums.reshape(-1)[cells] += np.where(take, y, 0.0)
        if self.learn_seller_value:
            if seller_realisation is None:
                raise ValueError("learn_seller_value needs the seller's realisation each round")
            x0 = np.asarray(seller_realisation, dtype=np.float64)
            if x0.shape != (R,) or not np.all(np.isfinite(x0)):
                raise ValueError(f"seller_realisation {x0} must be {R} finite values")
            rows = self._rows if rnd.explore else self._rows[~self._etc]
            self.seller_counts[rows, rnd.outcome[rows]] += 1
            self.seller_sums[rows, rnd.outcome[rows]] += x0[rows]
        self._round = None
