import dataclasses
import itertools
import re

import numpy as np
import pytest

from mdbf_envs.vcg_learn import VCGLearn, confidence_width
from mdbf_envs.vcg_learn.mechanism import BOUNDS
from mdbf_envs.vcg_learn.scenarios import lower_bound, paas, single_item
from mdbf_envs.vcg_learn.simulate import simulate
from mdbf_envs.vcg_learn.vcg import vcg

PAIRS = list(itertools.product(BOUNDS, BOUNDS))


def run(mech, T, seed=0, strategy=None):
    """Step a mechanism by hand, yielding (round, realised, reports)."""
    rng = np.random.default_rng(seed)
    for _ in range(T):
        rnd = mech.propose()
        x = mech.scenario.realise(rnd.outcome, rng)
        y = x if strategy is None else strategy(rnd, x)
        mech.observe(y)
        yield rnd, x, y


def test_confidence_width_formula():
    w = confidence_width(0.7, exploit_rounds=9, n_allocations=3, counts=np.array([4.0, 0.0]))
    np.testing.assert_allclose(w[0], 0.7 * np.sqrt((5 * np.log(10) + 2 * np.log(3)) / 4))
    assert np.isinf(w[1])


@pytest.mark.parametrize("zeta", ["etc", "opt"])
def test_counts_and_means_against_slow_recomputation(zeta):
    sc = paas(capacity=3)
    mech = VCGLearn(sc, zeta, "upper", "lower", replications=2)
    history = []  # (explore, bracket, outcome, reports)
    n = sc.n_agents
    for rnd, _, y in run(mech, 300, strategy=lambda r, x: x + 0.3 * np.sin(r.t)):
        history.append((rnd.explore, rnd.bracket, rnd.outcome.copy(), y.copy()))
        counts = np.zeros_like(mech.counts)
        sums = np.zeros_like(mech.sums)
        seen = set()
        for explore, bracket, outcome, reports in history:
            for r in range(2):
                for i in range(n):
                    s = sc.outcomes[outcome[r], i]
                    if explore:
                        if (bracket, r, i, s) in seen:
                            continue  # keep the first explore value per bracket
                        seen.add((bracket, r, i, s))
                    elif zeta == "etc":
                        continue
                    counts[r, i, s] += 1
                    sums[r, i, s] += reports[r, i]
        np.testing.assert_array_equal(mech.counts, counts)
        np.testing.assert_allclose(mech.sums, sums, atol=1e-12)
    if zeta == "etc":
        assert np.all(mech.counts == mech.clock.bracket)  # N_it(s) = q


def test_estimates_clip_only_the_mean():
    sc = paas(capacity=100)
    mech = VCGLearn(sc, "opt")
    for _ in run(mech, 3, strategy=lambda r, x: np.full_like(x, 2.0)):
        pass
    mech.propose()
    est = mech.estimates()
    assert np.all(est.mean == 1.0) and np.all(est.upper > 1.0) and np.all(est.lower < 1.0)


@pytest.mark.parametrize("f, g", PAIRS)
def test_etc_allocation_constant_in_exploit_phase_and_prices_when_f_equals_g(f, g):
    mech = VCGLearn(paas(capacity=3), "etc", f, g, replications=3)
    phase = {}
    for rnd, _, _ in run(mech, 400):
        if rnd.explore:
            phase = {}
            continue
        if not phase:
            phase = {"outcome": rnd.outcome, "prices": rnd.prices}
        np.testing.assert_array_equal(rnd.outcome, phase["outcome"])
        if f == g:
            np.testing.assert_allclose(rnd.prices, phase["prices"], atol=1e-12)


@pytest.mark.parametrize("f, g", PAIRS)
def test_etc_with_truthful_bidders_is_exact_vcg_after_exploring(f, g):
    sc = paas(capacity=3)
    bids = {i: sc.mean[i] for i in range(sc.n_agents)}
    mech = VCGLearn(sc, "etc", f, g, bids=bids)
    star = vcg(sc.mean, sc.seller_value, mech.optimizer)
    for rnd, _, _ in run(mech, 200):
        if not rnd.explore:
            assert rnd.outcome[0] == star.outcome
            np.testing.assert_allclose(rnd.prices[0], star.prices, atol=1e-12)
        else:
            assert np.all(rnd.prices == 0)


@pytest.mark.parametrize("zeta", ["etc", "opt"])
@pytest.mark.parametrize("f, g", [p for p in PAIRS if BOUNDS.index(p[0]) <= BOUNDS.index(p[1])])
def test_no_positive_transfers_when_f_dominates_g(zeta, f, g):
    mech = VCGLearn(paas(capacity=3), zeta, f, g, replications=4)
    for rnd, _, _ in run(mech, 300):
        assert rnd.prices.min() >= -1e-12


IR_CASES = [("etc", "lower", "upper"), ("etc", "mean", "mean")] + [
    ("opt", f, "upper") for f in BOUNDS
]


@pytest.mark.parametrize("scenario", [paas(capacity=3), lower_bound(3, 5), single_item(4)], ids=["paas", "lb", "item"])
@pytest.mark.parametrize("zeta, f, g", IR_CASES)
def test_instantaneous_ir_for_truthful_bidders(scenario, zeta, f, g):
    """Theorem 2.4 / 3.4: these (f, g) are instantaneously IR for bid agents (derived from
    Fact 10: u_it = G_t(omega_t) - max F^{-i}_t >= 0), whatever the other agents report."""
    bidders = [0, 2]
    mech = VCGLearn(scenario, zeta, f, g, bids={i: scenario.mean[i] for i in bidders}, replications=4)
    liar = lambda r, x: x * 1.7 - 0.2  # noqa: E731  the other agents misreport
    for rnd, _, _ in run(mech, 400, strategy=liar):
        values = mech.optimizer.agent_values(scenario.mean, rnd.outcome)
        utility = values[:, bidders] - rnd.prices[:, bidders]
        assert utility.min() >= -1e-12, (rnd.t, utility.min())


@pytest.mark.parametrize("f, g", PAIRS)
@pytest.mark.parametrize("sc", [paas(capacity=3), single_item(4)], ids=["paas", "item"])
def test_etc_truthful_bidding_is_pathwise_optimal(f, g, sc):
    """Under ETC the other agents' data never depend on a bidder's bid (explore outcomes are
    fixed and noise is drawn per agent and round), so truthful bidding maximises the bidder's
    utility on every path (docs/decisions.md#individual-rationality), also with known pairs (single item's "none")."""

    def utility(bid):
        mech = VCGLearn(sc, "etc", f, g, bids={1: bid})
        total = 0.0
        for rnd, _, _ in run(mech, 250, seed=7):
            total += sc.mean[1, sc.outcomes[rnd.outcome[0], 1]] - rnd.prices[0, 1]
        return total

    truthful = utility(sc.mean[1])
    rng = np.random.default_rng(3)
    for _ in range(12):
        assert utility(rng.random(sc.n_allocations)) <= truthful + 1e-9


def test_same_seed_same_trajectory_and_replications_are_independent():
    def trace(seed):
        mech = VCGLearn(single_item(), "opt", replications=3)
        return np.array([np.r_[r.outcome, r.prices.ravel()] for r, _, _ in run(mech, 300, seed)])

    a, b, c = trace(5), trace(5), trace(6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    outcomes = a[:, :3]
    assert not np.array_equal(outcomes[:, 0], outcomes[:, 1])


def test_bad_inputs_give_clear_errors():
    sc = single_item(3)
    with pytest.raises(ValueError, match="zeta = 'ucb'"):
        VCGLearn(sc, "ucb")
    with pytest.raises(ValueError, match="g = 'max'"):
        VCGLearn(sc, "opt", "mean", "max")
    with pytest.raises(ValueError, match="bids name agent 5"):
        VCGLearn(sc, bids={5: [0.1, 0.0]})
    with pytest.raises(ValueError, match=r"bid of agent 0 = \[1.5, 0.0\]"):
        VCGLearn(sc, bids={0: [1.5, 0.0]})
    with pytest.raises(ValueError, match="schedule never gives agent 2 allocation 'item'"):
        VCGLearn(sc, schedule=[0, 1])
    mech = VCGLearn(sc)
    with pytest.raises(RuntimeError, match=re.escape("influential_reports() describes a proposed round; call propose() first")):
        mech.influential_reports()
    with pytest.raises(RuntimeError, match=re.escape(
            "skip_repeats() needs ETC with f = g (repeats_rounds), after an observed round")):
        mech.skip_repeats(5)  # OPT
    etc = VCGLearn(sc, "etc")
    etc.propose()
    with pytest.raises(RuntimeError, match=re.escape("skip_repeats() needs ETC")):
        etc.skip_repeats(5)  # proposed, not observed
    with pytest.raises(RuntimeError, match="before propose"):
        mech.observe(np.zeros((1, 3)))
    mech.propose()
    with pytest.raises(RuntimeError, match="not observed"):
        mech.propose()
    with pytest.raises(ValueError, match=r"report of agent 1 \(replication 0\) = nan"):
        mech.observe(np.array([[0.0, np.nan, 0.0]]))
    with pytest.raises(ValueError, match=r"reports have shape \(3,\)"):
        mech.observe(np.zeros(3))


def test_unknown_seller_value_variant_learns_v0():
    sc = paas(capacity=3)
    sc = dataclasses.replace(sc, seller_noise_sd=0.2)
    mech = VCGLearn(sc, "opt", learn_seller_value=True, replications=2)
    assert mech.K == sc.n_outcomes
    res = simulate(mech, 3000, np.random.default_rng(0))
    est = mech.estimates()
    played = mech.seller_counts > 50
    np.testing.assert_allclose(est.seller_mean[played], np.broadcast_to(sc.seller_value, played.shape)[played], atol=0.1)
    assert np.all(res.welfare[-1] < 0.3 * 3000)
    with pytest.raises(ValueError, match="seller's realisation"):
        m = VCGLearn(sc, learn_seller_value=True)
        m.propose()
        m.observe(np.zeros((1, sc.n_agents)))


@pytest.mark.parametrize("zeta, f, g", [("etc", "mean", "mean"), ("opt", "upper", "lower"), ("opt", "lower", "upper"),
                                        ("etc", "upper", "mean")])
def test_prices_follow_eq7_computed_by_hand(zeta, f, g):
    """p_i = max_omega F^{-i}(omega) - G^{-i}(omega_t), written out over the outcomes of the single
    item (omega_k: agent k gets it; the others' value of not getting it is 0, v_0 = 0)."""
    sc = single_item(4)
    mech = VCGLearn(sc, zeta, f, g)
    rng = np.random.default_rng(2)
    checked = 0
    for _ in range(300):
        rnd = mech.propose()
        if not rnd.explore:
            est = mech.estimates()
            F, G = est.agent(f)[0], est.agent(g)[0]  # (n, |S|): column 0 the item, 1 none
            w = rnd.outcome[0]
            for i in range(sc.n_agents):
                others = [j for j in range(sc.n_agents) if j != i]
                best = max(sum(F[j, 0 if j == k else 1] for j in others) for k in range(sc.n_agents))
                at = sum(G[j, 0 if j == w else 1] for j in others)
                assert rnd.prices[0, i] == pytest.approx(best - at, abs=1e-12)
            checked += 1
        mech.observe(sc.realise(rnd.outcome, rng))
    assert checked > 100


def test_regret_identity_lemma5_and_optimal_play():
    for zeta, (f, g) in itertools.product(["etc", "opt"], PAIRS[:4]):
        res = simulate(VCGLearn(single_item(4), zeta, f, g, replications=2), 400, np.random.default_rng(1))
        np.testing.assert_allclose(res.all_agents + res.seller, res.welfare, atol=1e-9)
        assert np.all(np.diff(res.welfare, axis=0) >= -1e-12)  # welfare regret never decreases


@pytest.mark.parametrize("variant", ["plain", "bidder", "seller_value"])
def test_mixed_configurations_in_one_batch_run_as_their_own_mechanisms(variant):
    """Each replication of a batch with per-replication (zeta, f, g) plays exactly what a
    single-configuration mechanism plays when fed the same realisations and reports."""
    sc = paas(capacity=3)
    if variant == "seller_value":
        sc = dataclasses.replace(sc, seller_noise_sd=0.2)
    configs = [("etc", "mean", "mean"), ("opt", "upper", "lower"), ("etc", "lower", "upper"), ("opt", "mean", "mean")]
    kwargs = {"bidder": {"bids": {1: [0.0, 0.6, 0.9]}}, "seller_value": {"learn_seller_value": True}}.get(variant, {})
    zetas, fs, gs = zip(*configs, strict=True)
    batch = VCGLearn(sc, zetas, fs, gs, replications=len(configs), **kwargs)
    assert batch.zeta == zetas and batch.f == fs
    singles = [VCGLearn(sc, *c, **kwargs) for c in configs]
    rng = np.random.default_rng(4)
    for _ in range(250):
        rnd = batch.propose()
        x = sc.realise(rnd.outcome, rng) + 0.2 * np.sin(rnd.t)  # misreports too
        x0 = rng.normal(size=len(configs))
        for r, single in enumerate(singles):
            own = single.propose()
            assert (own.explore, own.outcome[0]) == (rnd.explore, rnd.outcome[r])
            np.testing.assert_allclose(own.prices[0], rnd.prices[r], atol=1e-12)
            single.observe(x[r : r + 1], x0[r : r + 1] if variant == "seller_value" else None)
        batch.observe(x, x0 if variant == "seller_value" else None)
    with pytest.raises(ValueError, match="zeta gives 3 options for 4 replications"):
        VCGLearn(sc, ("etc", "opt", "etc"), replications=4)
    with pytest.raises(ValueError, match="f = 'max'"):
        VCGLearn(sc, "opt", ("mean", "max"), replications=2)
