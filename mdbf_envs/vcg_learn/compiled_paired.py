"""VCG-Learn's paired market compiled with numba: whole episodes of linear policies and affine reports.

*Mechanism Design with Bandit Feedback* (Kandasamy, Gonzalez, Jordan, Stoica), Algorithm 1 with
eqs. (4)-(7), played as :class:`~mdbf_envs.vcg_learn.paired.PairedMarket` plays it.

The paired market steps its rounds in numpy. When the agent follows a policy linear in its
features (:class:`~mdbf_envs.core.paired.LinearBatchPolicy`: CMA-ES's candidates, a saved
linear policy), or a scripted strategy that reports an affine function of its realised value
depending only on its allocation and the phase (:class:`AffineReports`: truthful, shades,
scales, phase shades, one's known values), and every other agent reports such a function, one
compiled function plays the episode: the proposal (eqs. 4-7, the simulator's
own :func:`~mdbf_envs.vcg_learn.compiled.exploit_round`), the realisations, the agent's
features and action (or affine report) at its decisions, the reports, the mechanism's update and the expected
utilities. It reads the same standard normals from the same streams in the same order as the
numpy market, and gives the same gains up to floating-point summation order (tested on ETC and
OPT, f and g in every role, both decision modes, published items, bidders and scripted
others). Under ETC with f = g it reuses an exploit phase's first proposal for the rest of the
phase, as the numpy market's fast-forward does (:class:`~mdbf_envs.core.protocol.SkipsRounds`).

Not cached on disk, like the simulator (the round calls helpers of other modules); the first
call in a process compiles (a few seconds).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numba
import numpy as np

from mdbf_envs.core.paired import LinearBatchPolicy, PairedDraws, PairedResult
from mdbf_envs.core.streams import ReplicationStreams
from mdbf_envs.vcg_learn import compiled
from mdbf_envs.vcg_learn.compiled import exploit_round, next_round

if TYPE_CHECKING:
    from mdbf_envs.vcg_learn.paired import PairedMarket

CHUNK = 1024
"""Rounds whose standard normals are drawn before one compiled call."""


@runtime_checkable
class AffineReports(Protocol):
    """A deterministic strategy that reports Y = factor X + offset, both read from a table by
    the phase (exploit 0, explore 1) and the agent's allocation s, and nothing else."""

    def affine_report(self, n_allocations: int) -> np.ndarray:
        """``(2, 2, |S|)``: [phase][factor, offset][s]."""


def unsupported(market: PairedMarket, policy: object = None, strategy: object = None) -> str | None:
    """Why the compiled episode cannot play ``policy`` (or the agent's scripted ``strategy``)
    in ``market``, or None if it can."""
    reason = compiled.unsupported(market.mechanism)
    if reason is not None:
        return reason
    if numba.config.DISABLE_JIT:
        return "numba's JIT is disabled (NUMBA_DISABLE_JIT): the loop would run as Python, slower than numpy"
    if (policy is None) == (strategy is None):
        return "it plays a policy or a strategy"
    if policy is not None and not isinstance(policy, LinearBatchPolicy):
        return f"the policy {type(policy).__name__} is not linear in the features"
    if strategy is not None and not isinstance(strategy, AffineReports):
        return f"the strategy {type(strategy).__name__} is not an affine report"
    odd = sorted({type(s).__name__ for s in market.others.values() if not isinstance(s, AffineReports)})
    if odd:
        return f"the others' strategies {odd} are not affine reports"
    return None


def affine_table(strategy: AffineReports, n_allocations: int, who: str) -> np.ndarray:
    """A strategy's ``(2, 2, |S|)`` table, checked."""
    table = np.asarray(strategy.affine_report(n_allocations), dtype=np.float64)
    if table.shape != (2, 2, n_allocations) or not np.all(np.isfinite(table)):
        raise ValueError(f"{who}'s affine report table {table.tolist()} must be finite, of shape {(2, 2, n_allocations)}")
    return table


def run(market: PairedMarket, policy: LinearBatchPolicy | None, rng: np.random.Generator | ReplicationStreams,
        track: bool = False, strategy: AffineReports | None = None) -> PairedResult:
    """A whole episode of ``market`` (reset first) where the agent follows ``policy`` (its action
    a moves the report to X + scale a) or reports as ``strategy`` does; the result, and the
    market's ``utility``, ``seller``, ``curve`` and decision counts, as :meth:`PairedMarket.run`
    leaves them. Raises ValueError if :func:`unsupported`."""
    reason = unsupported(market, policy, strategy)
    if reason is not None:
        raise ValueError(f"the compiled paired episode cannot run this: {reason}")
    m, sc, P, T, i = market.mechanism, market.scenario, market.pairs, market.horizon, market.agent
    n, S = sc.n_agents, sc.n_allocations
    if policy is not None:
        thetas = np.ascontiguousarray(policy.linear_weights(P), dtype=np.float64)
        if thetas.shape != (P, market.feature_size + 1) or not np.all(np.isfinite(thetas)):
            raise ValueError(f"the policy's weights have shape {thetas.shape} (expected "
                             f"{(P, market.feature_size + 1)}) or non-finite entries")
        own = np.zeros((2, 2, S))
    else:
        thetas, own = np.zeros((P, market.feature_size + 1)), affine_table(strategy, S, f"agent {i}")
    affine = np.zeros((n, 2, 2, S))
    affine[:, :, 0] = 1.0  # truthful: Y = X
    for j, other in market.others.items():
        affine[j] = affine_table(other, S, f"agent {j}")
    m.reset()
    market.clear(track)
    draws = PairedDraws(rng, P).base
    lengths = compiled.bracket_lengths(m.K, T)
    tallies = np.zeros((4, P, S))  # the agent's own count, own sum, report count, report sum
    clock = np.zeros(3, np.int64)
    outcome, prices = np.zeros(2 * P, np.int64), np.zeros((2 * P, n))
    at_bound = np.zeros(2 * P, np.int64)
    curve = market.curve if track else np.zeros((1, 2))
    observer = market.observer
    fixed = (m.K, m.schedule, lengths, sc.mean, sc._gaussian_sd, *compiled.proposal_arrays(m), m._etc, m.bidder,
             i, market.scale, market.low, market.high, market.decisions == "every", T,
             "prices" in observer.publish, "outcome" in observer.publish, affine, thetas, track, log_scale(T),
             policy is not None, own)
    for start in range(0, T, CHUNK):
        rounds = min(CHUNK, T - start)
        normals = (np.stack([draws.standard_normal((P, n)) for _ in range(rounds)]) if sc._any_gaussian
                   else np.zeros((rounds, P, n)))
        _play(rounds, normals, clock, m.counts, m.sums, m._kept, tallies, outcome, prices, market.since,
              market.utility, market.seller, market.decision_counts, at_bound, curve, *fixed)
    compiled.store_clock(m, clock, lengths)
    market.at_bound, market._played, market.done = int(at_bound.sum()), T, True
    return market.result()


def log_scale(horizon: int) -> np.ndarray:
    """``(T + 1,)``: the features' log scale of a count c = 0 .. T, computed as
    :meth:`PairedMarket.features` computes it (a count over T, then log(1 + T x) / log(1 + T))."""
    return np.log1p(np.arange(horizon + 1) / horizon * horizon) / np.log1p(horizon)


@numba.njit
def _features(phi, r, x, price, explore, bracket, progress, t, s, tallies, counts, sums, prices, outcomes, outcome,
              i, T, publish_prices, publish_outcome, since, logs):  # pragma: no cover (compiled)
    """The agent's features in replication r, as :meth:`PairedMarket.features` scales
    :meth:`ObservationBuilder.build`'s fields; written into ``phi``. Counts, the bracket and
    the rounds since the last decision are whole numbers up to T: ``logs`` (:func:`log_scale`)
    holds their scaled logarithms."""
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
    phi[at + 1] = 1.0


@numba.njit(parallel=True)
def _play(rounds, normals, clock, counts, sums, kept, tallies, outcome, prices, since, utility, seller, decisions,
          at_bound, curve, K, schedule, lengths, mean, gaussian_sd, outcomes, seller_value, sigma, estimated,
          fixed_values, no_width, etc_known, f_index, g_index, etc, bidder, i, scale, low, high, every, T,
          publish_prices, publish_outcome, affine, thetas, track, logs, use_policy,
          own):  # pragma: no cover (compiled)
    """``rounds`` rounds of PairedMarket (2P replications, r and P + r a pair); state in place.
    The agent acts at its decisions by ``thetas`` (``use_policy``) or its affine table ``own``.
    Within a round the replications are independent, so they run in parallel (numba threads),
    each with its own scratch rows; ``at_bound`` counts per replication."""
    R, n, S = counts.shape
    P = R // 2
    est, welfare = np.empty((R, 3, n, S)), np.empty((R, outcomes.shape[0]))
    without, x, y = np.empty((R, n)), np.empty((R, n)), np.empty((R, n))
    phi = np.empty((R, thetas.shape[1] - 1))
    for k in range(rounds):
        t, bracket, position, beta2 = next_round(clock, lengths, K, kept)
        explore = position < K
        phase = 1 if explore else 0
        for r in numba.prange(R):
            repeat = etc[r] and f_index[r] == g_index[r]
            if explore:
                outcome[r] = schedule[position]
                prices[r, :] = 0.0
            elif position == K or not repeat:  # else: the phase's first proposal (SkipsRounds)
                outcome[r] = exploit_round(r, counts, sums, bracket, beta2, outcomes, seller_value, sigma, estimated,
                                           fixed_values, no_width, etc_known, f_index, g_index, est[r], welfare[r],
                                           without[r], prices[r])
            o, m = outcome[r], r % P
            for j in range(n):  # Scenario.realise; the others' reports
                sj = outcomes[o, j]
                x[r, j] = mean[j, sj] + gaussian_sd[j, sj] * normals[k, m, j]
                y[r, j] = affine[j, phase, 0, sj] * x[r, j] + affine[j, phase, 1, sj]
            s = outcomes[o, i]
            y[r, i] = x[r, i]
            if r < P:  # the policy half: the agent's tallies, features and action
                tallies[0, r, s] += 1.0
                tallies[1, r, s] += x[r, i]
                if every or (estimated[i, s] and (not kept[i, s] if explore else not etc[r])):
                    a = 0.0
                    if use_policy:
                        _features(phi[r], r, x[r, i], prices[r, i], 1.0 if explore else 0.0, bracket,
                                  position / lengths[bracket], t, s, tallies, counts, sums, prices, outcomes, o, i, T,
                                  publish_prices, publish_outcome, since[r], logs)
                        a = thetas[r, -1]
                        for d in range(phi.shape[1]):
                            a += phi[r, d] * thetas[r, d]
                        a = min(max(a, -1.0), 1.0)
                        report = x[r, i] + scale * a
                    else:
                        report = own[phase, 0, s] * x[r, i] + own[phase, 1, s]
                    y[r, i] = min(max(report, low), high)
                    if y[r, i] != report or abs(a) >= 1.0:
                        at_bound[r] += 1
                    decisions[r] += 1
                    since[r] = 0.0
                tallies[2, r, s] += 1.0
                tallies[3, r, s] += y[r, i]
                since[r] += 1.0
            paid = 0.0
            for j in range(n):  # VCGLearn.observe; RegretAccount.utilities
                sj = outcomes[o, j]
                if not bidder[j] and ((explore and not kept[j, sj]) or (not explore and not etc[r])):
                    counts[r, j, sj] += 1.0
                    sums[r, j, sj] += y[r, j]
                utility[r, j] += mean[j, sj] - prices[r, j]
                paid += prices[r, j]
            seller[r] += seller_value[o] + paid
        if explore:  # the explore outcome is shared by the replications
            for j in range(n):
                if not bidder[j]:
                    kept[j, outcomes[outcome[0], j]] = True
        if track:
            total, squares = 0.0, 0.0
            for m in range(P):
                total += utility[m, i] - utility[P + m, i]
            for m in range(P):
                squares += (utility[m, i] - utility[P + m, i] - total / P) ** 2
            curve[t - 1, 0] = total / P
            if P > 1:
                curve[t - 1, 1] = math.sqrt(squares / (P - 1)) / math.sqrt(P)
