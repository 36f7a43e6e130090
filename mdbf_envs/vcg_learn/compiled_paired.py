"""VCG-Learn's paired market compiled with numba: whole episodes, or rounds between the agent's decisions.

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Algorithm 1 with
eqs. (4)-(7), played as :class:`~mdbf_envs.vcg_learn.paired_market.PairedMarket` plays it.

One compiled function plays the rounds of the paired market: the proposal (eqs. 4-7, the
simulator's own :func:`~mdbf_envs.vcg_learn.compiled.exploit_round`), the realisations, the
reports, the mechanism's update and the expected utilities, when every other agent reports an
affine function of its realised value by phase and allocation (:class:`AffineReports`:
truthful, shades, scales, phase shades, one's known values; the agent's own may also weigh its
running mean). The agent acts in one of two ways:

* **whole episodes** (:func:`run`): the agent follows a policy linear in its features
  (:class:`~mdbf_envs.core.paired_engine.LinearBatchPolicy`: CMA-ES's candidates, a saved linear
  policy) or reports by an affine table, computed inside the loop;
* **stepped** (:class:`Episode` without a policy, what :meth:`PairedMarket.reset` and
  :meth:`~mdbf_envs.core.paired_engine.PairedGame.step` use): the loop stops at each round where some
  replication decides, its features built, and the next call finishes that round with the
  actions given from outside (the paired vector env that PPO trains on, any batch policy).

It reads the same standard normals from the same streams in the same order as the numpy
market, and gives the same gains up to floating-point summation order (tested on ETC and OPT, f
and g in every role, both decision modes, published items, bidders and scripted others, whole
and stepped). Under ETC with f = g it reuses an exploit phase's first proposal for the rest of
the phase, as the numpy market's fast-forward does (:class:`~mdbf_envs.core.protocol.SkipsRounds`).

Cached on disk like the simulator, keyed by every source of the package
(:mod:`mdbf_envs.core.compile_cache`); with a cold cache the first call in a process compiles
for about ten seconds.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple, Protocol, runtime_checkable

import numba
import numpy as np

from mdbf_envs.core.compile_cache import njit
from mdbf_envs.core.paired_engine import LinearBatchPolicy, PairedDraws, PairedResult
from mdbf_envs.core.streams import ReplicationStreams
from mdbf_envs.vcg_learn import compiled
from mdbf_envs.vcg_learn.compiled import exploit_round, kept_report, next_round

if TYPE_CHECKING:
    from mdbf_envs.vcg_learn.paired_market import PairedMarket

CHUNK = 1024
"""Rounds whose standard normals are drawn before one compiled call."""


@runtime_checkable
class AffineReports(Protocol):
    """A deterministic strategy that reports Y = factor X + offset + weight m, read from a table
    by the phase (exploit 0, explore 1) and the agent's allocation s, where m is the agent's
    mean realised value of s so far (this round included), and nothing else. Only the
    manipulating agent's table may weigh m (the loop keeps no tallies of the others)."""

    def affine_report(self, n_allocations: int) -> np.ndarray:
        """``(2, 3, |S|)``: [phase][factor, offset, weight][s]."""


def unsupported_steps(market: PairedMarket) -> str | None:
    """Why the compiled rounds cannot step ``market`` between the agent's decisions (its actions
    given from outside: the vector env, PPO, any batch policy), or None if they can."""
    reason = compiled.unsupported(market.mechanism)
    if reason is not None:
        return reason
    if numba.config.DISABLE_JIT:
        return "numba's JIT is disabled (NUMBA_DISABLE_JIT): the loop would run as Python, slower than numpy"
    odd = sorted({type(s).__name__ for s in market.others.values() if not isinstance(s, AffineReports)})
    if odd:
        return f"the others' strategies {odd} are not affine reports"
    S = market.scenario.n_allocations
    means = sorted(
        {type(s).__name__ for j, s in market.others.items() if np.any(affine_table(s, S, f"agent {j}")[:, 2])}
    )
    if means:
        return f"the others' strategies {means} weigh their own running means, which the loop does not keep"
    return None


def unsupported(market: PairedMarket, policy: object = None, strategy: object = None) -> str | None:
    """Why the compiled episode cannot play ``policy`` (or the agent's scripted ``strategy``)
    in ``market`` whole, or None if it can."""
    reason = unsupported_steps(market)
    if reason is not None:
        return reason
    if (policy is None) == (strategy is None):
        return "it plays a policy or a strategy"
    if policy is not None and not isinstance(policy, LinearBatchPolicy):
        return f"the policy {type(policy).__name__} is not linear in the features"
    if strategy is not None and not isinstance(strategy, AffineReports):
        return f"the strategy {type(strategy).__name__} is not an affine report"
    return None


def affine_table(strategy: AffineReports, n_allocations: int, who: str) -> np.ndarray:
    """A strategy's ``(2, 3, |S|)`` table, checked."""
    table = np.asarray(strategy.affine_report(n_allocations), dtype=np.float64)
    if table.shape != (2, 3, n_allocations) or not np.all(np.isfinite(table)):
        raise ValueError(
            f"{who}'s affine report table {table.tolist()} must be finite, of shape {(2, 3, n_allocations)}"
        )
    return table


def run(
    market: PairedMarket,
    policy: LinearBatchPolicy | None,
    rng: np.random.Generator | ReplicationStreams,
    track: bool = False,
    strategy: AffineReports | None = None,
) -> PairedResult:
    """A whole episode of ``market`` (reset first) where the agent follows ``policy`` (its action
    a moves the report to X + scale a) or reports as ``strategy`` does; the result, and the
    market's ``utility``, ``seller``, ``curve`` and decision counts, as :meth:`PairedMarket.run`
    leaves them. Raises ValueError if :func:`unsupported`."""
    reason = unsupported(market, policy, strategy)
    if reason is not None:
        raise ValueError(f"the compiled paired episode cannot run this: {reason}")
    market.clear(track)
    Episode(market, rng, policy, strategy).play()
    return market.result()


class Episode:
    """An episode of ``market`` played by the compiled rounds, on the market's own utility,
    seller, curve, since and decision arrays (cleared by the caller) and its mechanism's data.

    Whole (``policy`` or ``strategy`` given): :meth:`play` plays every round, the agent acting
    by the policy's weights or the strategy's table. Stepped (neither): :meth:`play` stops at
    each round where some replication decides, its :meth:`features` built, and the next call
    finishes that round with the given actions, as :meth:`PairedGame.step` does."""

    def __init__(
        self,
        market: PairedMarket,
        rng: np.random.Generator | ReplicationStreams,
        policy: LinearBatchPolicy | None = None,
        strategy: AffineReports | None = None,
    ):
        m, sc, P, i = market.mechanism, market.scenario, market.pairs, market.agent
        n, S, R, d = sc.n_agents, sc.n_allocations, 2 * market.pairs, market.feature_size
        self.market, self.stepped = market, policy is None and strategy is None
        thetas, own = np.zeros((P, d + 1)), np.zeros((2, 3, S))
        if policy is not None:
            thetas = np.ascontiguousarray(policy.linear_weights(P), dtype=np.float64)
            if thetas.shape != (P, d + 1) or not np.all(np.isfinite(thetas)):
                raise ValueError(
                    f"the policy's weights have shape {thetas.shape} (expected {(P, d + 1)}) or non-finite entries"
                )
        elif strategy is not None:
            own = affine_table(strategy, S, f"agent {i}")
        affine = np.zeros((n, 2, 3, S))
        affine[:, :, 0] = 1.0  # truthful: Y = X
        for j, other in market.others.items():
            affine[j] = affine_table(other, S, f"agent {j}")
        m.reset()
        self.draws, self.gaussian = PairedDraws(rng, P).base, sc._any_gaussian
        self.lengths = compiled.bracket_lengths(m.K, market.horizon)
        self.clock = np.zeros(3, np.int64)
        self.deciding, self.phi = np.zeros(P, np.bool_), np.zeros((P, d))
        self.at_bound = np.zeros(R, np.int64)
        self.k = self.rounds = 0
        self.pending = False
        observer = market.observer
        curve = market.curve if market.curve is not None else np.zeros((1, 2))
        self.state = State(
            self.clock,
            m.counts,
            m.sums,
            m._kept,
            np.zeros((4, P, S)),
            np.zeros(R, np.int64),
            np.zeros((R, n)),
            np.zeros((R, n)),
            np.zeros((R, n)),
            self.deciding,
            self.phi,
            market.since,
            market.utility,
            market.seller,
            market.decision_counts,
            self.at_bound,
            curve,
            np.empty((R, 3, n, S)),
            np.empty((R, sc.space.outcomes.shape[0])),
            np.empty((R, n)),
        )
        proposal = compiled.proposal_arrays(m)
        f_index, g_index = proposal[-2:]
        repeats = bool(np.all(m._etc & (f_index == g_index))) and market.decisions != "every"
        self.fixed = Fixed(
            m.K,
            m.schedule,
            self.lengths,
            sc.mean,
            sc._gaussian_sd,
            *proposal,
            m._etc,
            m.bidder,
            i,
            float(market.scale),
            float(market.low),
            float(market.high),
            market.decisions == "every",
            market.horizon,
            "prices" in observer.publish,
            "outcome" in observer.publish,
            affine,
            thetas,
            market.curve is not None,
            log_scale(market.horizon),
            policy is not None,
            own,
            repeats,
        )

    def play(self, actions: np.ndarray | None = None) -> None:
        """Play on (stepped: finish the pending decision round with ``actions`` ``(R,)``, already
        checked to lie in [-1, 1]) to the next round where some replication decides, or to the
        end; leave the market's ``deciding``, ``done``, clock and counters there."""
        market, T = self.market, self.market.horizon
        given = np.zeros(market.pairs) if actions is None else np.ascontiguousarray(actions, dtype=np.float64)
        while True:
            if self.k == self.rounds:
                played = int(self.clock[0])
                if played >= T:
                    break
                self.k, self.rounds = 0, min(CHUNK, T - played)
                n = market.n_agents
                self.normals = (
                    round_normals(self.draws, self.rounds, market.pairs, n)
                    if self.gaussian
                    else np.zeros((self.rounds, 1, n))
                )
            self.k, self.pending = _play(
                self.rounds, self.k, self.pending, self.stepped, given, self.normals, self.state, self.fixed
            )
            if self.pending:
                break
        compiled.store_clock(market.mechanism, self.clock, self.lengths)
        market.at_bound = int(self.at_bound.sum())
        market._played = int(self.clock[0]) - int(self.pending)
        market.done = not self.pending
        market._deciding = self.deciding if self.pending else np.zeros(market.pairs, bool)

    def features(self) -> np.ndarray:
        """``(R, d)`` the agent's features in the pending decision round (as :meth:`PairedMarket.features`)."""
        if not self.pending:
            raise RuntimeError("the episode awaits no decision: its features are built only at a decision")
        return self.phi.copy()


def round_normals(draws: np.random.Generator | ReplicationStreams, rounds: int, pairs: int, n: int) -> np.ndarray:
    """``(rounds, D, n)``: the standard normals of the next ``rounds`` rounds, pair m reading row
    m % D (D = ``pairs``, or the streams' distinct sources, drawn once for all their copies);
    the numbers ``rounds`` calls of ``draws.standard_normal((pairs, n))`` would give."""
    if isinstance(draws, ReplicationStreams):
        if draws.rows != pairs:
            raise ValueError(f"{pairs} rows asked of {draws.rows} streams")
        return draws.rounds("standard_normal", rounds, n)
    return draws.standard_normal((rounds, pairs, n))


def log_scale(horizon: int) -> np.ndarray:
    """``(T + 1,)``: the features' log scale of a count c = 0 .. T, computed as
    :meth:`PairedMarket.features` computes it (a count over T, then log(1 + T x) / log(1 + T))."""
    return np.log1p(np.arange(horizon + 1) / horizon * horizon) / np.log1p(horizon)


@njit
def _features(
    phi,
    r,
    x,
    price,
    explore,
    bracket,
    progress,
    t,
    s,
    tallies,
    counts,
    sums,
    prices,
    outcomes,
    outcome,
    i,
    T,
    publish_prices,
    publish_outcome,
    since,
    logs,
    deciding,
):  # pragma: no cover (compiled)
    """The agent's features in replication r, as :meth:`PairedMarket.features` scales
    :meth:`ObservationBuilder.build`'s fields; written into ``phi``. Counts, the bracket and
    the rounds since the last decision are whole numbers up to T: ``logs`` (:func:`log_scale`)
    holds their scaled logarithms. ``deciding``: the last feature (1 where the action is used)."""
    n, S = counts.shape[1], counts.shape[2]
    phi[0], phi[1], phi[2] = x, price, explore
    phi[3] = logs[bracket]
    phi[4], phi[5] = progress, t / T
    at = 6
    for a in range(S):
        phi[at + a] = 1.0 if a == s else 0.0
    at += S
    for source in range(3):  # own realisations, own reports, what the mechanism holds
        for a in range(S):
            c = tallies[2 * source, r, a] if source < 2 else counts[r, i, a]
            total = tallies[2 * source + 1, r, a] if source < 2 else sums[r, i, a]
            phi[at + a] = logs[int(c)]
            phi[at + S + a] = total / max(c, 1.0)
        at += 2 * S
    if publish_prices:
        for j in range(n):
            phi[at + j] = prices[r, j]
        at += n
    if publish_outcome:
        for j in range(n):
            for a in range(S):
                phi[at + j * S + a] = 1.0 if outcomes[outcome, j] == a else 0.0
        at += n * S
    phi[at] = logs[int(since)]
    phi[at + 1] = deciding


class State(NamedTuple):
    """What the compiled rounds change, in place: the clock (t, bracket, position), the
    mechanism's data, the agent's tallies (its realisations' and reports' counts and sums), the
    round's outcome, prices, realisations and reports, the deciding flags and features, the
    market's accounts, and scratch rows of :func:`~mdbf_envs.vcg_learn.compiled.exploit_round`."""

    clock: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    kept: np.ndarray
    tallies: np.ndarray
    outcome: np.ndarray
    prices: np.ndarray
    x: np.ndarray
    y: np.ndarray
    deciding: np.ndarray
    phi: np.ndarray
    since: np.ndarray
    utility: np.ndarray
    seller: np.ndarray
    decisions: np.ndarray
    at_bound: np.ndarray
    curve: np.ndarray
    est: np.ndarray
    welfare: np.ndarray
    without: np.ndarray


class Fixed(NamedTuple):
    """What the compiled rounds read: the schedule, the scenario, the proposal's arrays
    (:func:`~mdbf_envs.vcg_learn.compiled.proposal_arrays`), the agent and its report space, the
    features' options, the others' affine tables, and how the agent acts (``thetas`` or
    ``own``); ``repeats``: ETC with f = g, whose exploit phases are fast-forwarded."""

    K: int
    schedule: np.ndarray
    lengths: np.ndarray
    mean: np.ndarray
    gaussian_sd: np.ndarray
    outcomes: np.ndarray
    seller_value: np.ndarray
    sigma: np.ndarray
    estimated: np.ndarray
    fixed_values: np.ndarray
    no_width: np.ndarray
    etc_known: np.ndarray
    f_index: np.ndarray
    g_index: np.ndarray
    etc: np.ndarray
    bidder: np.ndarray
    i: int
    scale: float
    low: float
    high: float
    every: bool
    T: int
    publish_prices: bool
    publish_outcome: bool
    affine: np.ndarray
    thetas: np.ndarray
    track: bool
    logs: np.ndarray
    use_policy: bool
    own: np.ndarray
    repeats: bool


@njit(parallel=True)
def _play(rounds, k, pending, stop, actions, normals, st, fx):  # pragma: no cover (compiled)
    """Rounds k .. ``rounds`` - 1 of a chunk of PairedMarket (2P replications, r and P + r a
    pair) on :class:`State` ``st`` in place, reading :class:`Fixed` ``fx``; returns the next k
    and whether a decision round is pending.

    Whole (``stop`` False): the agent acts at its decisions by ``thetas`` (``use_policy``) or
    its affine table ``own``. Stepped: a round halts after its beginning; if some replication
    decides, its features are built and the call returns, and the next call (``pending``)
    finishes the round with ``actions``. The replications of a round are independent, so they
    run in parallel (numba threads), each with its own scratch rows. Each step of a round is a
    helper inlined into the parallel loop (``inline="always"``: a call per replication would
    copy some forty array arguments); the loop takes the arrays out of the tuples first, since
    numba's parallel loops take arrays, not tuples of them."""
    (
        clock,
        counts,
        sums,
        kept,
        tallies,
        outcome,
        prices,
        x,
        y,
        deciding,
        phi,
        since,
        utility,
        seller,
        decisions,
        at_bound,
        curve,
        est,
        welfare,
        without,
    ) = st
    (
        K,
        schedule,
        lengths,
        mean,
        gaussian_sd,
        outcomes,
        seller_value,
        sigma,
        estimated,
        fixed_values,
        no_width,
        etc_known,
        f_index,
        g_index,
        etc,
        bidder,
        i,
        scale,
        low,
        high,
        every,
        T,
        publish_prices,
        publish_outcome,
        affine,
        thetas,
        track,
        logs,
        use_policy,
        own,
        repeats,
    ) = fx
    P = x.shape[0] // 2
    while k < rounds:
        fresh = not pending
        left = min(lengths[clock[1]] - clock[2] - 1, rounds - k)  # rounds left in this bracket and chunk
        if repeats and fresh and clock[2] >= K and left > 0:
            for r in numba.prange(2 * P):
                _fast_forward(
                    r,
                    P,
                    k,
                    left,
                    normals,
                    i,
                    outcome,
                    outcomes,
                    mean,
                    gaussian_sd,
                    prices,
                    tallies,
                    since,
                    utility,
                    seller,
                    seller_value,
                )
            if track:
                _repeat_curve(clock[0], left, outcome, outcomes, mean, prices, utility, curve, i)
            clock[0] += left
            clock[2] += left
            k += left
            continue
        beta2 = 0.0
        if fresh:
            _, _, _, beta2 = next_round(clock, lengths, K, kept)
        t, bracket, position = clock[0], clock[1], clock[2]
        explore = position < K
        progress = position / lengths[bracket]
        halt = stop and fresh  # a stepped round halts after its beginning
        for r in numba.prange(2 * P):
            if fresh:
                if explore:
                    outcome[r] = schedule[position]
                    prices[r, :] = 0.0
                elif position == K or not (etc[r] and f_index[r] == g_index[r]):  # eqs. 4-7; ETC, f = g: once a phase
                    outcome[r] = exploit_round(
                        r,
                        counts,
                        sums,
                        bracket,
                        beta2,
                        outcomes,
                        seller_value,
                        sigma,
                        estimated,
                        fixed_values,
                        no_width,
                        etc_known,
                        f_index,
                        g_index,
                        est,
                        welfare,
                        without,
                        prices,
                        r,
                    )
                _realise(
                    r, P, k, explore, normals, i, outcome, outcomes, mean, gaussian_sd, etc, bidder, kept, affine, x, y
                )
                if r < P:
                    _agent_experiences(
                        r, explore, i, outcome, outcomes, estimated, etc, bidder, kept, every, x, tallies, deciding
                    )
            if halt:
                continue
            if r < P and deciding[r]:
                _agent_report(
                    r,
                    t,
                    bracket,
                    progress,
                    explore,
                    stop,
                    actions,
                    i,
                    scale,
                    low,
                    high,
                    use_policy,
                    thetas,
                    own,
                    outcome,
                    outcomes,
                    x,
                    y,
                    prices,
                    tallies,
                    counts,
                    sums,
                    since,
                    phi,
                    at_bound,
                    decisions,
                    T,
                    publish_prices,
                    publish_outcome,
                    logs,
                )
            _settle(
                r,
                P,
                explore,
                i,
                outcome,
                outcomes,
                mean,
                seller_value,
                etc,
                bidder,
                kept,
                y,
                prices,
                tallies,
                since,
                counts,
                sums,
                utility,
                seller,
            )
        if halt:
            if deciding.any():
                for r in numba.prange(P):
                    o = outcome[r]
                    _features(
                        phi[r],
                        r,
                        x[r, i],
                        prices[r, i],
                        1.0 if explore else 0.0,
                        bracket,
                        progress,
                        t,
                        outcomes[o, i],
                        tallies,
                        counts,
                        sums,
                        prices,
                        outcomes,
                        o,
                        i,
                        T,
                        publish_prices,
                        publish_outcome,
                        since[r],
                        logs,
                        1.0 if deciding[r] else 0.0,
                    )
                return k, True
            pending = True  # nobody decides: finish the round at once
            continue
        _end_round(t, explore, outcome, kept, outcomes, bidder, mean, prices, utility, curve, track, i)
        pending = False
        k += 1
    return k, False


@njit(inline="always")
def _fast_forward(
    r,
    P,
    k,
    left,
    normals,
    i,
    outcome,
    outcomes,
    mean,
    gaussian_sd,
    prices,
    tallies,
    since,
    utility,
    seller,
    seller_value,
):  # pragma: no cover (compiled)
    """The rest of an exploit phase whose proposal repeats (ETC, f = g), ``left`` rounds, in
    replication r: nobody decides and no report is kept, so it adds the phase's utilities and
    the agent's realisations at once (the numpy market's fast-forward)."""
    o = outcome[r]
    s = outcomes[o, i]
    if r < P:
        m, total = r % P % normals.shape[1], 0.0
        for kk in range(k, k + left):
            total += mean[i, s] + gaussian_sd[i, s] * normals[kk, m, i]
        tallies[0, r, s] += left
        tallies[1, r, s] += total
        tallies[2, r, s] += left
        tallies[3, r, s] += total
        since[r] += left
    paid = 0.0
    for j in range(utility.shape[1]):
        utility[r, j] += left * (mean[j, outcomes[o, j]] - prices[r, j])
        paid += prices[r, j]
    seller[r] += left * (seller_value[o] + paid)


@njit(inline="always")
def _realise(
    r, P, k, explore, normals, i, outcome, outcomes, mean, gaussian_sd, etc, bidder, kept, affine, x, y
):  # pragma: no cover (compiled)
    """Scenario.realise in replication r (pair r % P's normals), for the agent and for the
    others whose reports are kept; the others' affine reports of them; the agent's truthful
    report until it decides."""
    o, m = outcome[r], r % P % normals.shape[1]
    phase = 1 if explore else 0
    for j in range(x.shape[1]):
        sj = outcomes[o, j]
        if j == i or kept_report(explore, etc[r], bidder[j], kept[j, sj]):
            x[r, j] = mean[j, sj] + gaussian_sd[j, sj] * normals[k, m, j]
            y[r, j] = affine[j, phase, 0, sj] * x[r, j] + affine[j, phase, 1, sj]
    y[r, i] = x[r, i]


@njit(inline="always")
def _agent_experiences(
    r, explore, i, outcome, outcomes, estimated, etc, bidder, kept, every, x, tallies, deciding
):  # pragma: no cover (compiled)
    """The agent's tally of its realisation in replication r (r < P), and whether it decides:
    every round, or where the mechanism keeps its report of an estimated pair."""
    s = outcomes[outcome[r], i]
    tallies[0, r, s] += 1.0
    tallies[1, r, s] += x[r, i]
    deciding[r] = every or (estimated[i, s] and kept_report(explore, etc[r], bidder[i], kept[i, s]))


@njit(inline="always")
def _agent_report(
    r,
    t,
    bracket,
    progress,
    explore,
    stop,
    actions,
    i,
    scale,
    low,
    high,
    use_policy,
    thetas,
    own,
    outcome,
    outcomes,
    x,
    y,
    prices,
    tallies,
    counts,
    sums,
    since,
    phi,
    at_bound,
    decisions,
    T,
    publish_prices,
    publish_outcome,
    logs,
):  # pragma: no cover (compiled)
    """The agent's report in replication r at a decision: X + scale a for the given action
    (stepped) or its linear policy's, or its affine table's report; clipped to the report space,
    counted as at the bound when clipped or |a| = 1."""
    o = outcome[r]
    s = outcomes[o, i]
    phase = 1 if explore else 0
    a = 0.0
    if stop:
        a = actions[r]
        wanted = x[r, i] + scale * a
    elif use_policy:
        _features(
            phi[r],
            r,
            x[r, i],
            prices[r, i],
            1.0 if explore else 0.0,
            bracket,
            progress,
            t,
            s,
            tallies,
            counts,
            sums,
            prices,
            outcomes,
            o,
            i,
            T,
            publish_prices,
            publish_outcome,
            since[r],
            logs,
            1.0,
        )
        a = thetas[r, -1]
        for d in range(phi.shape[1]):
            a += phi[r, d] * thetas[r, d]
        a = min(max(a, -1.0), 1.0)
        wanted = x[r, i] + scale * a
    else:
        wanted = (
            own[phase, 0, s] * x[r, i]
            + own[phase, 1, s]
            + own[phase, 2, s] * (tallies[1, r, s] / max(tallies[0, r, s], 1.0))
        )
    y[r, i] = min(max(wanted, low), high)
    if y[r, i] != wanted or abs(a) >= 1.0:
        at_bound[r] += 1
    decisions[r] += 1
    since[r] = 0.0


@njit(inline="always")
def _settle(
    r,
    P,
    explore,
    i,
    outcome,
    outcomes,
    mean,
    seller_value,
    etc,
    bidder,
    kept,
    y,
    prices,
    tallies,
    since,
    counts,
    sums,
    utility,
    seller,
):  # pragma: no cover (compiled)
    """Replication r's end of the round: the agent's report tallies, VCGLearn.observe (the kept
    reports) and the expected utilities (RegretAccount.utilities)."""
    o = outcome[r]
    if r < P:
        s = outcomes[o, i]
        tallies[2, r, s] += 1.0
        tallies[3, r, s] += y[r, i]
        since[r] += 1.0
    paid = 0.0
    for j in range(utility.shape[1]):
        sj = outcomes[o, j]
        if kept_report(explore, etc[r], bidder[j], kept[j, sj]):
            counts[r, j, sj] += 1.0
            sums[r, j, sj] += y[r, j]
        utility[r, j] += mean[j, sj] - prices[r, j]
        paid += prices[r, j]
    seller[r] += seller_value[o] + paid


@njit
def _repeat_curve(t, rounds, outcome, outcomes, mean, prices, utility, curve, i):  # pragma: no cover (compiled)
    """The gain curve over ``rounds`` fast-forwarded rounds after round t (utilities already
    added): each pair's gain grew by the same step every round."""
    for l in range(1, rounds + 1):
        _curve_row(curve, t + l - 1, rounds - l, outcome, outcomes, mean, prices, utility, i)


@njit
def _curve_row(curve, row, back, outcome, outcomes, mean, prices, utility, i):  # pragma: no cover (compiled)
    """``curve[row]``: the mean and standard error over the pairs of their gains ``back`` rounds
    of the current proposal ago (0: now)."""
    P = utility.shape[0] // 2
    total, squares = 0.0, 0.0
    for m in range(P):
        total += _gain_before(m, P, back, outcome, outcomes, mean, prices, utility, i)
    for m in range(P):
        squares += (_gain_before(m, P, back, outcome, outcomes, mean, prices, utility, i) - total / P) ** 2
    curve[row, 0] = total / P
    if P > 1:
        curve[row, 1] = math.sqrt(squares / (P - 1)) / math.sqrt(P)


@njit(inline="always")
def _gain_before(m, P, back, outcome, outcomes, mean, prices, utility, i):  # pragma: no cover (compiled)
    """Pair m's gain ``back`` rounds of the current proposal ago."""
    gain = utility[m, i] - utility[P + m, i]
    if back == 0:
        return gain
    step = (mean[i, outcomes[outcome[m], i]] - prices[m, i]) - (mean[i, outcomes[outcome[P + m], i]] - prices[P + m, i])
    return gain - back * step


@njit
def _end_round(
    t, explore, outcome, kept, outcomes, bidder, mean, prices, utility, curve, track, i
):  # pragma: no cover (compiled)
    """After every replication's round: the explore outcome (shared) marks its pairs kept; the
    gain curve's round t."""
    if explore:
        for j in range(kept.shape[0]):
            if not bidder[j]:
                kept[j, outcomes[outcome[0], j]] = True
    if track:
        _curve_row(curve, t - 1, 0, outcome, outcomes, mean, prices, utility, i)
