import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.assignment import AssignmentOutcomes
from mdbf_envs.vcg_learn.scenarios import online_ads
from mdbf_envs.vcg_learn.vcg import EnumeratedOutcomes, vcg


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3), st.integers(0, 10**6), st.floats(-1, 1))
def test_assignment_solver_matches_exhaustive_search(n, m, seed, v0):
    assume(m <= n)
    space = AssignmentOutcomes(n, m)
    codes = space.encode(np.array(list(itertools.permutations(range(n), m))))
    table_omega = space.allocations(codes)
    assert len(np.unique(codes)) == space.n_outcomes == len(codes)
    exhaustive = EnumeratedOutcomes(table_omega)
    rng = np.random.default_rng(seed)
    v0s = np.full(len(codes), v0)
    coarse = rng.random((3, n, m + 1)).round(2)  # ties happen: welfare values must agree
    np.testing.assert_allclose(vcg(coarse, v0, space).welfare, vcg(coarse, v0s, exhaustive).welfare, atol=1e-12)
    np.testing.assert_allclose(
        space.max_welfare_without(coarse, v0), exhaustive.max_welfare_without(coarse, v0s), atol=1e-12
    )
    tables = rng.random((3, n, m + 1))  # no ties (a.s.): the same outcome and prices
    fast, slow = vcg(tables, v0, space), vcg(tables, v0s, exhaustive)
    np.testing.assert_array_equal(space.allocations(fast.outcome), table_omega[slow.outcome])
    np.testing.assert_allclose(fast.prices, slow.prices, atol=1e-12)


def test_codes_round_trip_and_covering_schedule_has_K_equal_n():
    space = AssignmentOutcomes(7, 3)
    holders = np.array([[0, 1, 2], [6, 5, 4], [3, 0, 6]])
    np.testing.assert_array_equal(space.holders(space.encode(holders)), holders)
    alloc = space.allocations(space.covering_schedule())
    assert alloc.shape == (7, 7)
    for i in range(7):
        assert set(alloc[:, i]) == {0, 1, 2, 3}  # every slot and no slot
    with pytest.raises(ValueError, match="do not fit in int64"):
        AssignmentOutcomes(100, 10)
    with pytest.raises(ValueError, match="n_slots <= n_agents"):
        AssignmentOutcomes(2, 3)


def test_vcg_learn_runs_the_same_with_either_outcome_space():
    """Same explore schedule, same noise: identical allocations and prices every round."""
    rotation = AssignmentOutcomes(5, 2).covering_schedule()

    def trace(enumerate_outcomes):
        sc = online_ads(5, 2, enumerate_outcomes=enumerate_outcomes, noise="gaussian")
        schedule = rotation
        if enumerate_outcomes:  # the enumerated ids of the same outcomes
            wanted = AssignmentOutcomes(5, 2).allocations(rotation)
            schedule = [int(np.flatnonzero((sc.outcomes == row).all(1))[0]) for row in wanted]
        mech = VCGLearn(sc, "opt", replications=2, schedule=schedule)
        rng, out = np.random.default_rng(0), []
        for _ in range(150):
            rnd = mech.propose()
            out.append((sc.allocation_of(rnd.outcome).copy(), rnd.prices.copy()))
            mech.observe(sc.realise(rnd.outcome, rng))
        return out

    for (alloc_a, price_a), (alloc_b, price_b) in zip(trace(True), trace(False), strict=True):
        np.testing.assert_array_equal(alloc_a, alloc_b)
        np.testing.assert_allclose(price_a, price_b, atol=1e-12)
    big = online_ads(50, 10, enumerate_outcomes=False)
    assert VCGLearn(big, "opt").K == 50
    with pytest.raises(ValueError, match="needs an enumerated Omega"):
        VCGLearn(big, learn_seller_value=True)
