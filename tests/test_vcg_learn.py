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


IR_CASES = [("etc", "lower", "upper"), ("etc", "mean", "mean")] + [("opt", f, "upper") for f in BOUNDS]


@pytest.mark.parametrize("scenario", [paas(capacity=3), lower_bound(3, 5), single_item(4)], ids=["paas", "lb", "item"])
@pytest.mark.parametrize("zeta, f, g", IR_CASES)
def test_instantaneous_ir_for_truthful_bidders(scenario, zeta, f, g):
    """Theorem 2.4 / 3.4: these (f, g) are instantaneously IR for bid agents (derived from
    Fact 10: u_it = G_t(omega_t) - max F^{-i}_t >= 0), whatever the other agents report."""
    bidders = [0, 2]
    mech = VCGLearn(scenario, zeta, f, g, bids={i: scenario.mean[i] for i in bidders}, replications=4)
    liar = lambda r, x: x * 1.7 - 0.2
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


def whole(message: str) -> str:
    """A pattern that matches exactly ``message``."""
    return f"^{re.escape(message)}$"


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
    with pytest.raises(
        RuntimeError, match=whole("influential_reports() describes a proposed round; call propose() first")
    ):
        mech.influential_reports()
    with pytest.raises(
        RuntimeError, match=whole("skip_repeats() needs ETC with f = g (repeats_rounds), after an observed round")
    ):
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
    np.testing.assert_allclose(
        est.seller_mean[played], np.broadcast_to(sc.seller_value, played.shape)[played], atol=0.1
    )
    assert np.all(res.welfare[-1] < 0.3 * 3000)
    with pytest.raises(ValueError, match="seller's realisation"):
        m = VCGLearn(sc, learn_seller_value=True)
        m.propose()
        m.observe(np.zeros((1, sc.n_agents)))


@pytest.mark.parametrize(
    "zeta, f, g",
    [("etc", "mean", "mean"), ("opt", "upper", "lower"), ("opt", "lower", "upper"), ("etc", "upper", "mean")],
)
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


def tiny(known_b: tuple[bool, bool] = (True, False)):
    """Two agents, allocations a and b, outcomes (a, a), (a, b), (b, a); the values of b known
    for the agents ``known_b`` says (agent 0's is 0.3). Explored by outcomes 0 and 1 (a minimum
    cover), agent 0 never gets b."""
    from mdbf_envs.vcg_learn.scenario import GAUSSIAN, Scenario

    known = np.array([[False, known_b[0]], [False, known_b[1]]])
    return Scenario(
        "tiny",
        ("a", "b"),
        np.array([[0, 0], [0, 1], [1, 0]]),
        np.zeros(3),
        np.array([[0.6, 0.3], [0.5, 0.4]]),
        np.full((2, 2), GAUSSIAN),
        np.full((2, 2), 0.5),
        known,
    )


def play_explore_phase(mech, rng):
    """Propose and observe truthful reports until the first exploit round is proposed."""
    while True:
        rnd = mech.propose()
        if not rnd.explore:
            return rnd
        mech.observe(mech.scenario.realise(rnd.outcome, rng))


def test_an_unexplored_known_pair_has_the_common_width_under_etc_and_none_under_opt():
    """docs/decisions.md#known-values: under ETC a known pair counts as observed q times (the
    agent's common width) even where the explore cover never shows it; under OPT it is exact."""
    from mdbf_envs.vcg_learn.mechanism import beta_squared

    sc = tiny()
    for zeta in ("etc", "opt"):
        mech = VCGLearn(sc, zeta, schedule=[0, 1])
        rnd = play_explore_phase(mech, np.random.default_rng(0))
        assert mech.counts[0, 0, 1] == 0  # never shown
        est = mech.estimates()
        width = mech.sigma[0, 1] * np.sqrt(beta_squared(mech.clock.exploit_rounds, 2) / rnd.bracket)
        expected = width if zeta == "etc" else 0.0
        np.testing.assert_allclose(est.upper[0, 0, 1] - 0.3, expected, rtol=1e-12)
        np.testing.assert_allclose(0.3 - est.lower[0, 0, 1], expected, rtol=1e-12)


def test_estimates_in_the_first_explore_phase_take_t_minus_qk_as_zero():
    """Before any exploit round t - qK <= 0: eq. (4)'s log term is then 5 log 1 + 2 log|S|."""
    sc = single_item(3)
    mech = VCGLearn(sc, "opt")
    rng = np.random.default_rng(0)
    rnd = mech.propose()
    mech.observe(sc.realise(rnd.outcome, rng))
    mech.propose()  # round 2, still exploring: t - qK = 2 - 3 < 0
    assert mech.clock.explore and mech.clock.exploit_rounds < 0
    est = mech.estimates()
    seen = mech.counts[0] > 0
    width = (est.upper - est.mean)[0][seen & ~sc.known]
    np.testing.assert_allclose(width, mech.sigma.max() * np.sqrt(2 * np.log(2)), rtol=1e-12)


def test_confidence_width_at_zero_counts_is_infinite_whatever_sigma():
    """Unobserved pairs: width inf, also where sigma is 0 (not 0 x inf = NaN); observed ones
    with sigma 0 have width 0."""
    w = confidence_width(np.array([0.0, 0.0, 1.0]), 5, 2, np.array([0, 4, 0]))
    assert w[0] == np.inf and w[1] == 0.0 and w[2] == np.inf
    one = confidence_width(1.0, 0, 1, np.array([0, 2]))  # |S| = 1, t - qK = 0: a log term of 0, not 0 / 0
    assert one[0] == np.inf and one[1] == 0.0


def test_seller_estimates_of_the_unknown_v0_variant_pinned():
    """learn_seller_value (paper 1, end of Sec. 5): v_0's mean is the seller's mean realisation
    per outcome (NaN before any), its width eq. (4) with |Omega| for |S|, upper = mean + width,
    lower = mean - width; after one explore phase every outcome has been seen exactly once."""
    from mdbf_envs.vcg_learn.mechanism import beta_squared

    sc = paas()
    mech = VCGLearn(sc, "opt", learn_seller_value=True, seller_sigma=0.7)
    fresh = mech.estimates()
    assert np.all(np.isnan(fresh.seller_mean)) and np.all(np.isnan(fresh.seller_upper))
    rng = np.random.default_rng(3)
    while True:
        rnd = mech.propose()
        if not rnd.explore:
            break
        if rnd.t == 2:  # an explore round: t - qK < 0 counts as 0; outcome 0 seen once
            early = mech.estimates()
            np.testing.assert_allclose(
                early.seller_upper[0, 0] - early.seller_mean[0, 0],
                0.7 * np.sqrt(beta_squared(0, sc.n_outcomes)),
                rtol=1e-12,
            )
        mech.observe(sc.realise(rnd.outcome, rng), sc.realise_seller(rnd.outcome, rng))
    assert np.all(mech.seller_counts == 1)
    est = mech.estimates()
    np.testing.assert_array_equal(est.seller_mean, mech.seller_sums)
    width = 0.7 * np.sqrt(beta_squared(mech.clock.exploit_rounds, sc.n_outcomes))
    np.testing.assert_allclose(est.seller_upper - est.seller_mean, width, rtol=1e-12)
    np.testing.assert_allclose(est.seller_mean - est.seller_lower, width, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"replications": 0}, ValueError, "replications = 0 must be >= 1"),
        ({"sigma": [1.0, 2.0, 3.0]}, ValueError, "sigma has shape (3,): give one number or an (n, |S|) = (3, 2) table"),
        ({"sigma": -0.1}, ValueError, "sigma = -0.1 must be finite and >= 0"),
        ({"sigma": np.inf}, ValueError, "sigma = inf must be finite and >= 0"),
        ({"bids": {3: [0.1, 0.0]}}, ValueError, "bids name agent 3, but agents are 0..2"),
        ({"bids": {-1: [0.1, 0.0]}}, ValueError, "bids name agent -1, but agents are 0..2"),
        ({"bids": {0: [0.1, 0.2, 0.3]}}, ValueError, "bid of agent 0 has shape (3,), expected (2,)"),
        ({"bids": {0: [np.nan, 0.0]}}, ValueError, "bid of agent 0 = [nan, 0.0] must be finite, in [0, 1]"),
        ({"bids": {0: [-0.1, 0.0]}}, ValueError, "bid of agent 0 = [-0.1, 0.0] must be finite, in [0, 1]"),
        ({"schedule": []}, ValueError, "schedule must be a non-empty list of outcomes, got []"),
        ({"schedule": [[0, 1, 2]]}, ValueError, "schedule must be a non-empty list of outcomes, got [[0, 1, 2]]"),
        ({"schedule": [0, 1, 3]}, ValueError, "schedule [0, 1, 3] names outcomes outside Omega"),
        ({"schedule": [-1, 0, 1, 2]}, ValueError, "schedule [-1, 0, 1, 2] names outcomes outside Omega"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_mechanism_arguments_are_refused_with_the_whole_message(kwargs, error, message):
    with pytest.raises(error, match=whole(message)):
        VCGLearn(single_item(3), **kwargs)


def test_edge_arguments_are_accepted_and_attributes_hold_the_common_value():
    """sigma 0, a bid of exactly 1, a one-outcome schedule; zeta, f and g read as one value
    when every replication shares it, as a tuple otherwise; sigma defaults to the scenario's
    largest over the unknown pairs."""
    sc = single_item(3)
    assert np.all(VCGLearn(sc, sigma=0.0).sigma == 0.0)
    assert VCGLearn(sc, bids={1: [1.0, 0.0]}).bidder.tolist() == [False, True, False]
    assert VCGLearn(tiny((True, True)), schedule=[0]).K == 1
    everything_known = dataclasses.replace(tiny(), known=np.ones((2, 2), bool))
    assert np.all(VCGLearn(everything_known).sigma == 0.0)  # no unknown pair: sigma 0
    same = VCGLearn(sc, "etc", "upper", "lower", replications=2)
    assert (same.zeta, same.f, same.g) == ("etc", "upper", "lower")
    mixed = VCGLearn(sc, ["etc", "opt"], ["upper", "mean"], "lower", replications=2)
    assert (mixed.zeta, mixed.f, mixed.g) == (("etc", "opt"), ("upper", "mean"), "lower")
    assert VCGLearn(sc).sigma.max() == pytest.approx(sc.noise_sd[~sc.known].max()) and sc.noise_sd.max() < 1


def test_learn_seller_value_needs_an_enumerated_omega_and_the_seller_s_realisations():
    from mdbf_envs.vcg_learn.scenarios import online_ads

    with pytest.raises(
        ValueError, match=whole("learn_seller_value explores every outcome: it needs an enumerated Omega")
    ):
        VCGLearn(online_ads(enumerate_outcomes=False), learn_seller_value=True)
    sc = paas()
    mech = VCGLearn(sc, learn_seller_value=True)
    rnd = mech.propose()
    x = sc.realise(rnd.outcome, np.random.default_rng(0))
    with pytest.raises(ValueError, match=whole("learn_seller_value needs the seller's realisation each round")):
        mech.observe(x)
    with pytest.raises(ValueError, match=whole("seller_realisation [0. 0.] must be 1 finite values")):
        mech.observe(x, np.zeros(2))
    with pytest.raises(ValueError, match=whole("seller_realisation [nan] must be 1 finite values")):
        mech.observe(x, np.array([np.nan]))
    with pytest.raises(RuntimeError, match=whole("observe() called before propose()")):
        VCGLearn(sc).observe(x)


def test_a_bidder_s_report_is_ignored_even_if_not_finite_and_its_estimates_are_its_bid():
    """Eq. (5): a bidder's v-check = v-bar = v-hat = b_i, whatever it reports and whatever its
    true values are; the mechanism counts none of its reports."""
    sc = single_item(3)
    bid = [0.25, 0.0]
    assert not np.allclose(sc.mean[1], bid)
    mech = VCGLearn(sc, "opt", bids={1: bid})
    rng = np.random.default_rng(0)
    for _ in range(30):
        rnd = mech.propose()
        y = sc.realise(rnd.outcome, rng)
        y[:, 1] = np.nan
        mech.observe(y)
    assert np.all(mech.counts[:, 1] == 0)
    est = mech.estimates()
    for table in (est.lower, est.mean, est.upper):
        np.testing.assert_array_equal(table[0, 1], bid)


@pytest.mark.parametrize("zeta", ["etc", "opt"])
def test_an_explore_phase_keeps_each_agent_s_first_report_per_allocation(zeta):
    """In single_item(3) each agent is 'not served' twice per explore phase: only the first of
    those reports is kept, so after q phases an agent's count of 'not served' is q (under OPT
    plus its exploit rounds)."""
    sc = single_item(3)
    mech = VCGLearn(sc, zeta)
    rng = np.random.default_rng(1)
    exploit = np.zeros((3, 2))
    while mech.clock.bracket < 3 or mech.clock.explore:
        rnd = mech.propose()
        if not rnd.explore:
            exploit[np.arange(3), sc.allocation_of(rnd.outcome)[0]] += 1
        mech.observe(sc.realise(rnd.outcome, rng))
    q = mech.clock.bracket
    expected = q + (exploit if zeta == "opt" else 0)
    np.testing.assert_array_equal(mech.counts[0], expected)


def test_the_seller_s_values_under_etc_come_from_explore_rounds_only():
    """learn_seller_value: ETC keeps the seller's explore observations only, OPT all of them
    (one batch of both)."""
    sc = paas()
    mech = VCGLearn(sc, ["etc", "opt"], learn_seller_value=True, replications=2)
    rng = np.random.default_rng(2)
    rounds = {True: 0, False: 0}  # explore, exploit
    while mech.clock.bracket < 2:
        rnd = mech.propose()
        rounds[rnd.explore] += 1
        mech.observe(np.repeat(sc.realise(rnd.outcome[:1], rng), 2, axis=0), np.zeros(2))
    assert rounds[False] > 0 and rounds[True] == sc.n_outcomes + 1  # phase 1 and bracket 2's first round
    assert mech.seller_counts[0].sum() == rounds[True]
    assert mech.seller_counts[1].sum() == rounds[True] + rounds[False]


def test_estimates_in_a_later_explore_round_use_the_counts_so_far():
    """In bracket 2's explore phase a pair not yet seen again has its bracket-1 count, 1."""
    from mdbf_envs.vcg_learn.mechanism import beta_squared

    sc = single_item(3)
    mech = VCGLearn(sc, "etc")
    rng = np.random.default_rng(3)
    while mech.clock.bracket < 2:
        rnd = mech.propose()
        if mech.clock.bracket < 2:
            mech.observe(sc.realise(rnd.outcome, rng))
    assert mech.clock.explore and mech.clock.position == 0
    item = 0  # agent 2 gets the item only in the phase's last explore round
    assert mech.counts[0, 2, item] == 1
    est = mech.estimates()
    width = mech.sigma[2, item] * np.sqrt(beta_squared(max(mech.clock.exploit_rounds, 0), 2) / 1)
    np.testing.assert_allclose(est.upper[0, 2, item] - est.mean[0, 2, item], width, rtol=1e-12)
