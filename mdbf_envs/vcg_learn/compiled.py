"""VCG-Learn's simulation loop compiled with numba: ``simulate(..., backend="numba")``.

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Algorithm 1 with eqs. (3)-(7).

One compiled function plays whole chunks of rounds of :class:`VCGLearn` (all R replications,
each with its own configuration) with truthful agents, on an enumerated outcome space, and
keeps the regret account of :func:`mdbf_envs.vcg_learn.simulate.simulate`. It follows the numpy
implementation step for step and draws the same random numbers in the same order (one
standard normal per replication and agent and round), so both backends give the same
results up to floating-point summation order (tested on ETC and OPT, f and g in every role,
bidders, known pairs and mixed batches). Two formulas are the numpy code's own: the log term
:func:`beta_squared` (eq. 4), compiled as is, and the bracket lengths (:func:`exploit_length`),
computed once in Python. The rest (eq. 4's width and clipping, eq. 6's argmax with its tie
rule, eq. 7's prices, eq. 3's regrets) is the numpy code written again as loops; the tests
keep the two equal.

Compiled code is cached on disk, keyed by every source file of the package
(:mod:`mdbf_envs.core.compile_cache`): an edit to a helper in another module (such as
:func:`beta_squared`) gives a new cache, never stale code. A cold cache compiles in a few seconds.
"""

from __future__ import annotations

import math

import numpy as np

from mdbf_envs.core.compile_cache import njit
from mdbf_envs.vcg_learn.mechanism import BOUNDS, VCGLearn, beta_squared, keeps_report
from mdbf_envs.vcg_learn.regret import RegretAccount
from mdbf_envs.vcg_learn.schedule import exploit_length
from mdbf_envs.vcg_learn.vcg import TIE_TOLERANCE, EnumeratedOutcomes

CHUNK = 4096
"""Rounds per compiled call (their standard normals are drawn in one batch beforehand)."""

_beta_squared = njit(beta_squared)
kept_report = njit(inline="always")(keeps_report)
"""The mechanism's kept-report rule, compiled as it is."""


ROUND_METHODS = ("reset", "estimates", "propose", "prices", "observe")
"""The methods of :class:`VCGLearn` the compiled loops write again: a subclass that overrides none
of them keeps the compiled path; one that overrides any is played in numpy (and told why)."""


def unsupported(mechanism: VCGLearn) -> str | None:
    """Why the compiled loop cannot run ``mechanism``, or None if it can."""
    if not isinstance(mechanism, VCGLearn):
        return f"it runs VCGLearn, not {type(mechanism).__name__}"
    changed = [name for name in ROUND_METHODS if getattr(type(mechanism), name) is not getattr(VCGLearn, name)]
    if changed:
        return (
            f"{type(mechanism).__name__} overrides {', '.join(changed)}, which the compiled loop writes as VCGLearn's"
        )
    if not isinstance(mechanism.optimizer, EnumeratedOutcomes):
        return f"it searches enumerated outcomes, not {type(mechanism.optimizer).__name__}"
    if mechanism.learn_seller_value:
        return "it does not learn the seller's value"
    if mechanism.scenario.draws not in ((), ("standard_normal",)):
        return "it draws Gaussian noise only (the scenario has Bernoulli pairs)"
    return None


def bracket_lengths(K: int, horizon: int) -> np.ndarray:
    """Rounds in brackets 0, 1, ... (bracket 0 is empty) until they cover ``horizon`` rounds."""
    lengths, total = [0], 0
    while total < horizon:
        lengths.append(K + exploit_length(len(lengths), K))
        total += lengths[-1]
    return np.array(lengths, dtype=np.int64)


def proposal_arrays(m: VCGLearn) -> tuple:
    """What :func:`exploit_round` reads of ``m`` besides its data, in its argument order."""
    sc, R = m.scenario, m.replications
    etc_known = m._etc_known if m._etc_known is not None else np.zeros((R, sc.n_agents, sc.n_allocations), bool)
    return (
        sc.space.outcomes,
        sc.seller_value,
        np.ascontiguousarray(m.sigma),
        m._estimated,
        np.ascontiguousarray(m._fixed_values),
        np.ascontiguousarray(m._no_width),
        etc_known,
        np.array([BOUNDS.index(b) for b in m._fs]),
        np.array([BOUNDS.index(b) for b in m._gs]),
    )


def store_clock(m: VCGLearn, clock: np.ndarray, lengths: np.ndarray) -> None:
    """Leave ``m``'s BracketClock where the compiled ``clock`` (t, bracket, position) ended."""
    m.clock.t, m.clock.bracket, m.clock.position = (int(v) for v in clock)
    m.clock.length = int(lengths[m.clock.bracket])


def run(mechanism: VCGLearn, horizon: int, rng: np.random.Generator, points: np.ndarray) -> dict[str, np.ndarray]:
    """Play ``horizon`` rounds of ``mechanism`` (reset first) with truthful agents; returns the
    regrets and utilities at ``points`` as :class:`~mdbf_envs.vcg_learn.simulate.SimulationResult`'s fields.
    The mechanism's data and clock end where the numpy loop would leave them."""
    reason = unsupported(mechanism)
    if reason is not None:
        raise ValueError(f"the compiled simulator cannot run this mechanism: {reason}")
    sc, m = mechanism.scenario, mechanism
    R, n = m.replications, sc.n_agents
    m.reset()
    bench = RegretAccount(sc, R, m.optimizer).benchmark
    out = {k: np.zeros((len(points), R)) for k in ("welfare", "seller")}
    out["agents"] = np.zeros((len(points), R, n))
    out["utility"] = np.zeros((len(points), R, n))
    totals = (np.zeros(R), np.zeros(R), np.zeros((R, n)), np.zeros((R, n)))  # welfare, seller, agents, utility
    clock = np.zeros(3, dtype=np.int64)  # t, bracket, position
    lengths = bracket_lengths(m.K, horizon)
    fixed = (
        m.K,
        m.schedule,
        lengths,
        sc.mean,
        sc._gaussian_sd,
        *proposal_arrays(m),
        m._etc,
        m.bidder,
        float(bench.welfare),
        float(bench.seller_utility),
        bench.agent_utility,
    )
    next_point = 0
    for start in range(0, horizon, CHUNK):
        rounds = min(CHUNK, horizon - start)
        normals = rng.standard_normal((rounds, R, n)) if sc._any_gaussian else np.zeros((rounds, R, n))
        next_point = _play(
            rounds,
            normals,
            clock,
            m.counts,
            m.sums,
            m._kept,
            *totals,
            points,
            next_point,
            out["welfare"],
            out["seller"],
            out["agents"],
            out["utility"],
            *fixed,
        )
    store_clock(m, clock, lengths)
    return out


@njit
def _play(
    rounds,
    normals,
    clock,
    counts,
    sums,
    kept,
    acc_welfare,
    acc_seller,
    acc_agents,
    utility,
    points,
    next_point,
    out_welfare,
    out_seller,
    out_agents,
    out_utility,
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
    best_welfare,
    best_seller,
    best_agents,
):  # pragma: no cover (compiled)
    """``rounds`` rounds of VCGLearn.propose / Scenario.realise / VCGLearn.observe with truthful
    reports / RegretAccount.record; state arrays are updated in place."""
    R, n, S = counts.shape
    est, welfare, without = np.empty((1, 3, n, S)), np.empty((1, outcomes.shape[0])), np.empty((1, n))
    scratch = np.empty((1, n))
    prices = scratch[0]
    for k in range(rounds):
        t, bracket, position, beta2 = next_round(clock, lengths, K, kept)
        explore = position < K
        for r in range(R):
            if explore:
                outcome = schedule[position]
                prices[:] = 0.0
            else:
                outcome = exploit_round(
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
                    scratch,
                    0,
                )
            # Scenario.realise, VCGLearn.observe (truthful reports), RegretAccount.record
            paid, got = 0.0, 0.0
            for i in range(n):
                s = outcomes[outcome, i]
                x = mean[i, s] + gaussian_sd[i, s] * normals[k, r, i]
                if kept_report(explore, etc[r], bidder[i], kept[i, s]):
                    counts[r, i, s] += 1.0
                    sums[r, i, s] += x
                if explore and r == R - 1 and not bidder[i]:
                    kept[i, s] = True
                u = mean[i, s] - prices[i]
                acc_agents[r, i] += best_agents[i] - u
                utility[r, i] += u
                paid += prices[i]
                got += mean[i, s]
            acc_seller[r] += best_seller - (seller_value[outcome] + paid)
            acc_welfare[r] += best_welfare - (seller_value[outcome] + got)
        while next_point < len(points) and points[next_point] == t:
            out_welfare[next_point] = acc_welfare
            out_seller[next_point] = acc_seller
            out_agents[next_point] = acc_agents
            out_utility[next_point] = utility
            next_point += 1
    return next_point


@njit
def next_round(clock, lengths, K, kept):  # pragma: no cover (compiled)
    """BracketClock.advance on ``clock`` (t, bracket, position), a new bracket's explore marks
    ``kept`` cleared; returns t, the bracket, the position and eq. (4)'s log term."""
    t, bracket, position = clock[0] + 1, clock[1], clock[2] + 1
    if position >= lengths[bracket]:
        bracket += 1
        position = 0
    clock[0], clock[1], clock[2] = t, bracket, position
    if position == 0:
        kept[:, :] = False
    return t, bracket, position, _beta_squared(max(t - bracket * K, 0), kept.shape[1])


@njit
def exploit_round(
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
    row,
):  # pragma: no cover (compiled)
    """An exploit round of replication ``r`` (:meth:`VCGLearn.estimates`, eqs. 4-7): the estimates
    into ``est[row]`` (upper, mean, lower), omega_t by eq. (6), returned, and eq. (7)'s prices
    into ``prices[row]``; ``welfare[row]`` and ``without[row]`` are scratch space. (Rows are
    indexed here rather than passed as views: a view per call costs a sixth of the round.)"""
    n, S = est.shape[2], est.shape[3]
    n_outcomes = outcomes.shape[0]
    # VCGLearn.estimates (eq. 4-5)
    for i in range(n):
        for s in range(S):
            c = counts[r, i, s]
            value = fixed_values[r, i, s]
            if estimated[i, s] and c > 0:
                value = min(max(sums[r, i, s] / c, 0.0), 1.0)
            if etc_known[r, i, s]:
                c = bracket
            width = 0.0
            if not no_width[r, i, s]:
                width = sigma[i, s] * math.sqrt(beta2 / c) if c > 0 else np.inf
            est[row, 0, i, s], est[row, 1, i, s], est[row, 2, i, s] = value + width, value, value - width
    # eq. (6)'s upper welfare and eq. (7)'s max_omega F^{-i}(omega), in one pass over Omega
    f, g = f_index[r], g_index[r]
    for i in range(n):
        without[row, i] = -np.inf
    top = -np.inf
    for o in range(n_outcomes):
        upper, total = 0.0, 0.0
        for i in range(n):
            s = outcomes[o, i]
            upper += est[row, 0, i, s]
            total += est[row, f, i, s]
        welfare[row, o] = seller_value[o] + upper
        top = max(top, welfare[row, o])
        total += seller_value[o]
        for i in range(n):
            without[row, i] = max(without[row, i], total - est[row, f, i, outcomes[o, i]])
    # eq. (6): the argmax, ties to the lowest outcome within TIE_TOLERANCE
    outcome = 0
    while welfare[row, outcome] < top - TIE_TOLERANCE:
        outcome += 1
    # eq. (7): p_i = max_omega F^{-i}(omega) - G^{-i}(omega_t)
    g_at = 0.0
    for i in range(n):
        g_at += est[row, g, i, outcomes[outcome, i]]
    g_at += seller_value[outcome]
    for i in range(n):
        prices[row, i] = without[row, i] - (g_at - est[row, g, i, outcomes[outcome, i]])
    return outcome
