import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdbf_envs.vcg_learn.vcg import EnumeratedOutcomes, seller_value_at, values_at, vcg


@st.composite
def instances(draw):
    n = draw(st.integers(1, 4))
    n_alloc = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    omega = np.array(list(itertools.product(range(n_alloc), repeat=n)))
    keep = rng.random(len(omega)) < 0.7
    keep[rng.integers(len(omega))] = True
    omega = omega[keep]
    values = rng.random((n, n_alloc)).round(2)  # coarse values make ties likely
    v0 = (rng.random(len(omega)) - 0.5).round(2)
    return omega, values, v0


def brute_force(omega, values, v0):
    """Exact decimal arithmetic on the instance's two-decimal numbers: equal welfares tie
    exactly, and ties go to the lowest outcome."""
    n = omega.shape[1]

    def welfare(o, skip=None):
        return Fraction(str(v0[o])) + sum(Fraction(str(values[j, omega[o, j]])) for j in range(n) if j != skip)

    best = max(range(len(omega)), key=lambda o: (welfare(o), -o))
    prices = [max(welfare(o, i) for o in range(len(omega))) - welfare(best, i) for i in range(n)]
    return best, np.array(prices, dtype=float)


@settings(max_examples=200, deadline=None)
@given(instances())
def test_vcg_matches_brute_force(inst):
    omega, values, v0 = inst
    res = vcg(values, v0, EnumeratedOutcomes(omega))
    best, prices = brute_force(omega, values, v0)
    assert res.outcome == best
    np.testing.assert_allclose(res.prices, prices, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(instances(), st.integers(0, 2**32 - 1))
def test_vcg_is_efficient_ir_and_truthful(inst, seed):
    omega, values, v0 = inst
    opt = EnumeratedOutcomes(omega)
    res = vcg(values, v0, opt)
    assert np.isclose(res.welfare, opt.welfare(values, v0).max())
    assert np.all(res.agent_utility >= -1e-12)  # IR (values >= 0)
    assert np.all(res.prices >= -1e-12)  # no positive transfers
    rng = np.random.default_rng(seed)
    for i in range(values.shape[0]):
        for _ in range(5):
            lie = values.copy()
            lie[i] = rng.random(values.shape[1])
            r = vcg(lie, v0, opt)
            true_utility = values[i, omega[r.outcome, i]] - r.prices[i]
            assert true_utility <= res.agent_utility[i] + 1e-12


def test_batched_equals_one_by_one():
    rng = np.random.default_rng(0)
    omega = np.array(list(itertools.product(range(3), repeat=3)))
    tables, v0 = rng.random((6, 3, 3)), rng.random(len(omega))
    batched = vcg(tables, v0, EnumeratedOutcomes(omega))
    for r in range(6):
        single = vcg(tables[r], v0, EnumeratedOutcomes(omega))
        assert batched.outcome[r] == single.outcome
        np.testing.assert_allclose(batched.prices[r], single.prices)
        assert batched.seller_utility[r] == pytest.approx(single.seller_utility)
        assert batched.welfare[r] == pytest.approx(single.welfare)


def test_ties_go_to_the_lowest_outcome_whatever_the_summation_order():
    """Outcomes 0 and 1 give the same values (0.3, 0.2, 0.1) to agents in another order; their
    float sums differ in the last bit, and the tie still goes to outcome 0."""
    table = np.array([[0.3, 0.1], [0.2, 0.2], [0.1, 0.3]])
    space = EnumeratedOutcomes(np.array([[0, 0, 0], [1, 1, 1]]))
    welfare = space.welfare(table, np.zeros(2))
    assert welfare[0] < welfare[1]  # roundoff alone
    assert space.argmax_welfare(table, np.zeros(2)) == 0
    assert space.argmax_welfare(table + [[0, 1e-6]] * 3, np.zeros(2)) == 1  # a real difference wins


def test_welfare_queries_broadcast_batched_tables_and_seller_values():
    """Batch shapes of the value table and of the seller's values broadcast together, as a
    loop over the pairs computes them."""
    rng = np.random.default_rng(0)
    space = EnumeratedOutcomes(rng.integers(0, 3, (6, 4)))
    for table_shape, seller_shape in [
        ((4, 3), (2, 6)),
        ((2, 4, 3), (6,)),
        ((2, 1, 4, 3), (5, 6)),
        ((4, 3), ()),
        ((4, 3), (2, 5, 6)),
    ]:
        table, seller = rng.random(table_shape), rng.random(seller_shape)
        batch = np.broadcast_shapes(table_shape[:-2], seller_shape[:-1])
        for index in np.ndindex(*batch):
            t = np.broadcast_to(table, batch + (4, 3))[index]
            v0 = np.broadcast_to(seller, (6,)) if seller.ndim == 0 else np.broadcast_to(seller, batch + (6,))[index]
            welfare = np.array([v0[o] + t[np.arange(4), space.outcomes[o]].sum() for o in range(6)])
            without = np.array([[welfare[o] - t[i, space.outcomes[o, i]] for o in range(6)] for i in range(4)]).max(1)
            np.testing.assert_allclose(space.welfare(table, seller)[index], welfare)
            assert space.argmax_welfare(table, seller)[index] == np.argmax(welfare)
            np.testing.assert_allclose(space.max_welfare_without(table, seller)[index], without)


@pytest.mark.parametrize(
    ("table_shape", "allocation_shape"),
    [
        ((4, 3), (4,)),
        ((4, 3), (5, 4)),
        ((5, 4, 3), (5, 4)),
        ((5, 4, 3), (4,)),
        ((1, 4, 3), (5, 4)),
        ((2, 5, 4, 3), (5, 4)),
        ((2, 1, 4, 3), (1, 5, 4)),
        ((5, 4, 3), (2, 5, 4)),
        ((2, 5, 4, 3), (2, 5, 4)),
    ],
)
def test_values_at_is_the_entry_of_each_agent_s_allocation_whatever_the_batch(table_shape, allocation_shape):
    """values_at(table, allocation)[..., i] = table[..., i, allocation[..., i]], leading shapes
    broadcast, as a loop over the broadcast index computes it."""
    rng = np.random.default_rng(1)
    table, allocation = rng.random(table_shape), rng.integers(0, 3, allocation_shape)
    batch = np.broadcast_shapes(table_shape[:-2], allocation_shape[:-1])
    got = values_at(table, allocation)
    assert got.shape == batch + (4,)
    t, a = np.broadcast_to(table, batch + (4, 3)), np.broadcast_to(allocation, batch + (4,))
    for index in np.ndindex(*batch):
        np.testing.assert_array_equal(got[index], [t[index][i, a[index][i]] for i in range(4)])


@pytest.mark.parametrize(
    ("seller_shape", "outcome_shape"),
    [
        ((), (5,)),
        ((), (2, 3)),
        ((6,), (5,)),
        ((6,), (2, 3)),
        ((5, 6), (5,)),
        ((2, 5, 6), (2, 5)),
        ((2, 1, 6), (2, 5)),
    ],
)
def test_seller_value_at_reads_v0_at_each_outcome_whatever_the_batch(seller_shape, outcome_shape):
    """A constant v_0, one table for all, or one per batch entry (broadcast with the outcomes)."""
    rng = np.random.default_rng(2)
    seller, outcome = rng.random(seller_shape), rng.integers(0, 6, outcome_shape)
    got = seller_value_at(seller if seller.ndim else float(seller), outcome)
    batch = np.broadcast_shapes(outcome_shape, seller_shape[:-1])
    assert got.shape == batch and got.dtype == np.float64
    v0 = np.broadcast_to(seller[..., None] if seller.ndim == 0 else seller, batch + (seller_shape[-1:] or (1,)))
    o = np.broadcast_to(outcome, batch)
    for index in np.ndindex(*batch):
        assert got[index] == (v0[index][0] if seller.ndim == 0 else v0[index][o[index]])
