import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mdbf_envs.vcg_learn import BracketClock, covering_schedule, exploit_length
from mdbf_envs.vcg_learn.mechanism import VCGLearn
from mdbf_envs.vcg_learn.scenarios import online_ads, paas, single_item


def test_exploit_lengths_and_bracket_starts_for_K10():
    assert [exploit_length(q, 10) for q in range(1, 6)] == [8, 11, 14, 16, 18]
    clock, starts = BracketClock(10), []
    for _ in range(120):
        clock.advance()
        if clock.position == 0:
            starts.append(clock.t)
    assert starts[:6] == [1, 19, 40, 64, 90, 118]


def test_T2000_ends_in_bracket_43_with_430_explore_rounds():
    clock, explore = BracketClock(10), 0
    for _ in range(2000):
        clock.advance()
        explore += clock.explore
    assert (clock.bracket, explore) == (43, 430)


@pytest.mark.parametrize("K", [1, 2, 3, 7, 10, 24])
def test_exploit_length_is_exact_floor(K):
    from fractions import Fraction

    for q in range(1, 400):
        # floor(5/6 K sqrt(q)) <=> largest m with (6m)^2 <= 25 K^2 q
        m = exploit_length(q, K)
        assert (6 * m) ** 2 <= 25 * K * K * q < (6 * (m + 1)) ** 2
    assert Fraction(exploit_length(4, 6)) == 10  # 5/6 * 6 * 2


def test_clock_counts_exploit_rounds_as_t_minus_qK():
    clock, exploit = BracketClock(4), 0
    for _ in range(500):
        clock.advance()
        if not clock.explore:
            exploit += 1
            assert clock.exploit_rounds == exploit


def test_builder_K_values():
    assert VCGLearn(single_item()).K == 10  # one winner per round
    assert VCGLearn(online_ads(5, 2)).K == 5  # K = n (paper 1, Sec. 4)
    assert VCGLearn(paas(capacity=100)).K == 3  # unconstrained PaaS: K = |S|
    assert VCGLearn(paas(capacity=2)).K > 3  # the capacity forces more rounds


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(2, 3), st.integers(0, 10**6))
def test_milp_cover_is_minimum(n, n_alloc, seed):
    rng = np.random.default_rng(seed)
    omega = np.array(list(itertools.product(range(n_alloc), repeat=n)))
    omega = omega[rng.random(len(omega)) < 0.6]
    required = np.zeros((n, n_alloc), bool)
    required[np.arange(n)[None, :], omega] = True
    assume(len(omega) > 0)
    chosen = covering_schedule(omega, required, "milp")
    shown = np.zeros_like(required)
    shown[np.arange(n)[None, :], omega[chosen]] = True
    assert (shown >= required).all()
    for k in range(1, len(chosen)):  # no smaller cover exists
        for subset in itertools.combinations(range(len(omega)), k):
            got = np.zeros_like(required)
            got[np.arange(n)[None, :], omega[list(subset)]] = True
            assert not (got >= required).all()
    greedy = covering_schedule(omega, required, "greedy")
    assert len(greedy) >= len(chosen)


def greedy_trap(padding: int = 0):
    """Six agents, each needing allocation 1; outcomes A (agents 0-3), B (0, 1, 4), C (2, 3, 5),
    then ``padding`` outcomes that show nothing required. Greedy takes A, B, C; the minimum is
    B and C."""
    rows = [[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 1, 0], [0, 0, 1, 1, 0, 1]] + [[0] * 6] * padding
    required = np.zeros((6, 2), bool)
    required[:, 1] = True
    return np.array(rows), required


def test_auto_takes_the_milp_up_to_its_limit_and_greedy_beyond():
    from mdbf_envs.vcg_learn.schedule import MILP_MAX_OUTCOMES

    omega, required = greedy_trap()
    assert covering_schedule(omega, required, "greedy").tolist() == [0, 1, 2]
    assert covering_schedule(omega, required, "milp").tolist() == [1, 2]
    at_limit = greedy_trap(MILP_MAX_OUTCOMES - 3)
    assert covering_schedule(*at_limit).tolist() == [1, 2]
    beyond = greedy_trap(MILP_MAX_OUTCOMES - 2)
    assert covering_schedule(*beyond).tolist() == [0, 1, 2]


@pytest.mark.parametrize("method", ["auto", "milp", "greedy"])
def test_covers_of_nothing_one_pair_and_an_impossible_pair(method):
    omega = np.array([[0, 0], [0, 0], [1, 0]])
    nothing = np.zeros((2, 2), bool)
    assert covering_schedule(omega, nothing, method).tolist() == [0]
    one = nothing.copy()
    one[0, 1] = True  # only outcome 2 gives agent 0 allocation 1
    assert covering_schedule(omega, one, method).tolist() == [2]
    impossible = one.copy()
    impossible[1, 1] = True  # no outcome gives agent 1 allocation 1 (named, not agent 0's pair before it)
    with pytest.raises(ValueError, match=r"^no outcome gives agent 1 allocation 1, which must be shown$"):
        covering_schedule(omega, impossible, method)


def test_an_unknown_method_is_named():
    omega, required = greedy_trap()
    with pytest.raises(ValueError, match=r"^method = 'best'; use 'auto', 'milp' or 'greedy'$"):
        covering_schedule(omega, required, "best")


def test_bracket_arguments_are_checked_and_one_explore_round_works():
    with pytest.raises(ValueError, match=r"^bracket = 0 and K = 3 must be >= 1$"):
        exploit_length(0, 3)
    with pytest.raises(ValueError, match=r"^bracket = 2 and K = 0 must be >= 1$"):
        exploit_length(2, 0)
    with pytest.raises(ValueError, match=r"^K = 0 must be >= 1$"):
        BracketClock(0)
    clock = BracketClock(1)  # K = 1: brackets of 1 explore round and floor(5 sqrt(q) / 6) exploit rounds
    phases = []
    for _ in range(6):
        clock.advance()
        phases.append((clock.bracket, clock.explore))
    assert phases == [(1, True), (2, True), (2, False), (3, True), (3, False), (4, True)]
