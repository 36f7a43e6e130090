"""The compiled paired episode against the numpy paired market it replaces, configuration by
configuration; what it declines; the affine tables of the scripted strategies."""

import numpy as np
import pytest

from agents.search.cmaes import CandidatePolicies, LinearPolicy
from baselines.strategies import (
    KnownValues,
    Noisy,
    OwnMean,
    PhaseShade,
    Scale,
    Shade,
    Truthful,
    scripted,
)
from mdbf_envs.core.streams import ReplicationStreams, pair_streams
from mdbf_envs.envs.manipulation import paired_market
from mdbf_envs.vcg_learn import compiled_paired
from mdbf_envs.vcg_learn.compiled_paired import AffineReports, log_scale

CONFIGS = {
    "etc": dict(zeta="etc"),
    "opt": dict(zeta="opt"),
    "etc-upper-lower": dict(zeta="etc", f="upper", g="lower"),
    "opt-lower-upper": dict(zeta="opt", f="lower", g="upper"),
    "etc-mean-upper": dict(zeta="etc", f="mean", g="upper"),
    "etc-every-published": dict(zeta="etc", decisions="every", publish=("prices", "outcome")),
    "opt-every": dict(zeta="opt", decisions="every"),
    "etc-explore-shading-others": dict(zeta="etc", others=PhaseShade(0.3, "explore")),
    "opt-exploit-shading-others": dict(zeta="opt", others=PhaseShade(0.3, "exploit")),
    "opt-mixed-others": dict(
        zeta="opt", others={"agent_1": Shade(0.1), "agent_2": Scale((1.2,)), "agent_3": KnownValues((0.5, 0.0))}
    ),
    "etc-last-agent-tight-bounds": dict(zeta="etc", agent="agent_9", report_bounds=(0.0, 1.0), deviation_scale=0.5),
    "paas-opt-bidder": dict(
        scenario="paas", zeta="opt", agent="customer_0", mechanism_kwargs={"bids": {1: [0.0, 0.3, 0.6]}}
    ),
    "paas-etc-bidder-shading": dict(
        scenario="paas",
        zeta="etc",
        agent="customer_2",
        others={"customer_0": Shade(0.2)},
        mechanism_kwargs={"bids": {1: [0.0, 0.3, 0.6]}},
    ),
    "lower-bound-opt": dict(scenario="lower_bound", zeta="opt"),
}


def play(backend, pairs, policy, track=False, horizon=400, seed=5, **kwargs):
    market = paired_market(pairs, backend=backend, horizon=horizon, **kwargs)
    result = market.run(policy(market), pair_streams(seed, pairs, 1, market.draws), track=track)
    return market, result


def random_linear(market, scale=0.6, seed=0):
    return LinearPolicy(tuple(np.random.default_rng(seed).normal(0.0, scale, market.feature_size + 1)))


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_the_compiled_episode_plays_as_the_numpy_market(config):
    """Gains, every agent's utility, the seller's, the decisions and those at a bound, the gain
    curve and the mechanism's final data: equal up to summation order."""
    pairs = 5
    (slow, a), (fast, b) = (play(backend, pairs, random_linear, track=True, **config) for backend in ("numpy", "auto"))
    assert compiled_paired.unsupported(fast, random_linear(fast)) is None
    np.testing.assert_allclose(b.gain, a.gain, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fast.utility, slow.utility, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.seller_change, a.seller_change, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.curve, a.curve, rtol=1e-9, atol=1e-9)
    assert (b.decisions, b.at_bound) == (a.decisions, a.at_bound)
    assert a.decisions > 0 and np.abs(a.gain).max() > 0  # the policy acted and moved utilities
    np.testing.assert_array_equal(fast.decision_counts, slow.decision_counts)
    np.testing.assert_allclose(fast.mechanism.counts, slow.mechanism.counts)
    np.testing.assert_allclose(fast.mechanism.sums, slow.mechanism.sums, rtol=1e-9, atol=1e-9)
    clock = lambda m: (
        m.mechanism.clock.t,
        m.mechanism.clock.bracket,
        m.mechanism.clock.position,
        m.mechanism.clock.length,
    )
    assert clock(fast) == clock(slow)
    assert fast.done and slow.done


AGENT_STRATEGIES = {
    "truthful": Truthful(),
    "shade": Shade(0.2),
    "inflate": Shade(-0.4),
    "scale": Scale((1.3,)),
    "explore-shade": PhaseShade(0.3, "explore"),
    "exploit-shade": PhaseShade(0.3, "exploit"),
    "known-values": KnownValues((0.8, 0.0)),
    "own-mean": OwnMean(),
}


@pytest.mark.parametrize("zeta", ["etc", "opt"])
@pytest.mark.parametrize("strategy", AGENT_STRATEGIES.values(), ids=AGENT_STRATEGIES.keys())
def test_the_agent_s_affine_strategy_plays_as_in_the_numpy_market(zeta, strategy):
    """The audit's scripted evaluations: the agent reports by its table at its decisions,
    clipped to the (here narrow) report space, where truthful reports are clipped too; inside
    the default space truthful gains exactly 0."""
    config = dict(zeta=zeta, others=PhaseShade(0.3, "explore"), report_bounds=(-0.5, 1.1))
    out = []
    for backend in ("numpy", "auto"):
        market = paired_market(5, backend=backend, horizon=400, **config)
        out.append((market, market.run(None, pair_streams(2, 5, 1, market.draws), track=True, strategy=strategy)))
    (slow, a), (fast, b) = out
    assert compiled_paired.unsupported(fast, strategy=strategy) is None
    np.testing.assert_allclose(b.gain, a.gain, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fast.utility, slow.utility, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.curve, a.curve, rtol=1e-9, atol=1e-9)
    assert (b.decisions, b.at_bound) == (a.decisions, a.at_bound)
    assert np.abs(b.gain).max() > 0
    assert b.at_bound > 0 or type(strategy) is KnownValues  # its reports 0.8 and 0 lie inside
    if type(strategy) is Truthful:
        market = paired_market(5, horizon=400, zeta=zeta, others=PhaseShade(0.3, "explore"))
        exact = market.run(None, pair_streams(2, 5, 1, market.draws), strategy=strategy)
        assert np.all(exact.gain == 0.0) and exact.at_bound == 0


def test_candidates_play_their_own_weights_on_common_pairs():
    """CMA-ES's batch: replication r follows candidate r // M; a zero candidate gains exactly 0."""
    market = paired_market(1, horizon=300)
    thetas = np.random.default_rng(1).normal(0, 0.5, (3, market.feature_size + 1))
    thetas[1] = 0.0
    results = [
        play(backend, 12, lambda m: CandidatePolicies(thetas, 4), horizon=300, zeta="opt")[1]
        for backend in ("numpy", "auto")
    ]
    np.testing.assert_allclose(results[1].gain, results[0].gain, rtol=1e-9, atol=1e-9)
    assert np.all(results[1].gain[4:8] == 0.0)
    assert np.abs(results[1].gain[:4]).min() > 0


def test_candidates_on_shared_sources_play_as_on_their_own_generators():
    """pair_streams draws each pair's numbers once for all candidates: the gains are those of one
    identically seeded generator per replication, compiled and in numpy."""
    market = paired_market(1, horizon=300, zeta="etc")
    thetas = np.random.default_rng(2).normal(0, 0.5, (3, market.feature_size + 1))
    thetas[2] = thetas[0]
    gains = []
    for backend in ("numpy", "auto"):
        for rng in (
            pair_streams(5, 4, 3, market.draws),
            ReplicationStreams([np.random.default_rng([5, m]) for _ in range(3) for m in range(4)], market.draws),
        ):
            market = paired_market(12, horizon=300, zeta="etc", backend=backend)
            gains.append(market.run(CandidatePolicies(thetas, 4), rng).gain)
    np.testing.assert_array_equal(gains[0], gains[1])
    np.testing.assert_array_equal(gains[2], gains[3])
    np.testing.assert_allclose(gains[2], gains[0], rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(gains[2][8:], gains[2][:4])  # the same candidate on the same pairs
    assert np.any(gains[2][:4] != gains[2][4:8])


def test_one_generator_as_the_random_source_and_one_pair():
    for seed_source in (np.random.default_rng(3), None):
        out = []
        for backend in ("numpy", "auto"):
            market = paired_market(1, backend=backend, horizon=200, zeta="etc")
            rng = np.random.default_rng(3) if seed_source is not None else pair_streams(3, 1, 1, market.draws)
            out.append(market.run(random_linear(market), rng, track=True))
        np.testing.assert_allclose(out[1].gain, out[0].gain, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(out[1].curve, out[0].curve, rtol=1e-9, atol=1e-9)


def test_a_noiseless_scenario_draws_nothing_and_still_matches():
    kwargs = dict(zeta="etc", scenario_kwargs={"noise_var": 0.0})
    (_, a), (_, b) = (play(backend, 3, random_linear, **kwargs) for backend in ("numpy", "auto"))
    np.testing.assert_allclose(b.gain, a.gain, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "case, expected",
    [
        (dict(others=Noisy(0.2)), "not affine reports"),
        (dict(others=OwnMean()), "weigh their own running means"),
        (dict(scenario="online_ads"), "Gaussian noise only"),
        (dict(mechanism_kwargs={"learn_seller_value": True}), "seller's value"),
        (dict(mechanism="pay_your_estimate"), "PayYourEstimate overrides prices"),
    ],
)
def test_what_it_cannot_run_goes_to_numpy_with_a_reason(case, expected):
    """A stochastic or report-reading other, Bernoulli values, a learnt v_0, another mechanism:
    :func:`unsupported` says why, and ``run`` plays the numpy market (bit for bit)."""
    (_, a), (fast, b) = (play(backend, 3, random_linear, horizon=150, **case) for backend in ("numpy", "auto"))
    assert expected in compiled_paired.unsupported(fast, random_linear(fast))
    np.testing.assert_array_equal(b.gain, a.gain)


def test_a_policy_that_is_not_linear_or_a_strategy_that_is_not_affine_goes_to_numpy():
    market = paired_market(2, horizon=100)
    policy = lambda features, rows: np.full(len(rows), 0.3)
    assert "not linear" in compiled_paired.unsupported(market, policy)
    assert "not an affine report" in compiled_paired.unsupported(market, strategy=Noisy(0.1))
    assert "a policy or a strategy" in compiled_paired.unsupported(market, random_linear(market), Truthful())
    with pytest.raises(ValueError, match="not linear"):
        compiled_paired.run(market, policy, np.random.default_rng(0))
    gains = [
        paired_market(3, backend=backend, horizon=150).run(None, np.random.default_rng(1), strategy=Noisy(0.3)).gain
        for backend in ("numpy", "auto")
    ]
    np.testing.assert_array_equal(gains[1], gains[0])


def test_without_the_jit_it_leaves_the_episode_to_numpy(monkeypatch):
    import numba

    market = paired_market(2, horizon=50)
    monkeypatch.setattr(numba.config, "DISABLE_JIT", True)
    assert "JIT is disabled" in compiled_paired.unsupported(market, random_linear(market))


def test_bad_weights_and_tables_name_the_value():
    market = paired_market(2, horizon=50)
    bad = LinearPolicy((np.nan,) * (market.feature_size + 1))
    with pytest.raises(ValueError, match="non-finite"):
        market.run(bad, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        market.run(CandidatePolicies(np.zeros((1, 3)), 2), np.random.default_rng(0))

    class Broken:
        def __call__(self, fields, rng):
            return fields["realised"][:, 0]

        def affine_report(self, n_allocations):
            return np.full((2, 2, n_allocations), np.inf)

    with pytest.raises(ValueError, match="agent 1's affine report table"):
        paired_market(2, horizon=50, others={"agent_1": Broken()}).run(random_linear(market), np.random.default_rng(0))
    with pytest.raises(ValueError, match="backend = 'fast'"):
        paired_market(2, horizon=50, backend="fast")


STRATEGIES = [
    Truthful(),
    KnownValues((0.7, 0.1, 0.4)),
    Scale((0.8,)),
    Scale((0.8, 1.5, 2.0)),
    Shade(-0.2),
    PhaseShade(0.3, "explore"),
    PhaseShade(0.3, "exploit"),
    OwnMean(),
    *scripted().values(),
]


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: repr(s)[:40])
def test_an_affine_table_reports_what_the_strategy_reports(strategy):
    """Y = factor X + offset from the table, against the strategy's own call on random fields,
    in both phases and every allocation (exactly)."""
    if not isinstance(strategy, AffineReports):
        assert strategy.stochastic
        return
    rng = np.random.default_rng(0)
    k, rows = 3, 64
    s = rng.integers(0, k, rows)
    for explore in (0.0, 1.0):
        fields = {
            "realised": rng.normal(0.5, 1.0, (rows, 1)),
            "allocation": np.eye(k)[s],
            "explore": np.full((rows, 1), explore),
            "own_mean": rng.random((rows, k)),
        }
        table = strategy.affine_report(k)
        own_mean = fields["own_mean"][np.arange(rows), s]
        expected = (
            table[int(explore), 0, s] * fields["realised"][:, 0]
            + table[int(explore), 1, s]
            + table[int(explore), 2, s] * own_mean
        )
        np.testing.assert_array_equal(strategy(fields, rng), expected)


def test_the_log_table_is_the_features_scaling():
    """The compiled features read log(1 + c) / log(1 + T) from a table; PairedMarket.features
    computes it from count / T."""
    T = 777
    counts = np.arange(T + 1, dtype=np.float64)
    np.testing.assert_array_equal(log_scale(T), np.log1p(counts / T * T) / np.log1p(T))
    assert log_scale(T)[0] == 0.0 and log_scale(T)[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_the_compiled_steps_play_as_the_numpy_market(config):
    """Stepped from outside (the vector env, PPO): at every step the same deciding rows, the same
    features (deciding or not), the same rewards; at the end the same utilities, curve,
    decisions, mechanism data and clock, up to summation order."""
    pairs = 4
    slow, fast = (paired_market(pairs, backend=backend, horizon=300, **config) for backend in ("numpy", "auto"))
    for market in (slow, fast):
        market.reset(pair_streams(5, pairs, 1, market.draws), track=True)
    assert slow._episode is None and fast._episode is not None
    rng, steps = np.random.default_rng(0), 0
    while not slow.done:
        assert not fast.done
        np.testing.assert_array_equal(fast.deciding, slow.deciding)
        np.testing.assert_allclose(fast.features(), slow.features(), rtol=1e-9, atol=1e-12)
        actions = rng.uniform(-1.0, 1.0, pairs)
        actions[steps % pairs] = 1.0  # at the action's bound now and then
        np.testing.assert_allclose(fast.step(actions), slow.step(actions), rtol=1e-9, atol=1e-9)
        steps += 1
    assert fast.done and steps > 0
    a, b = slow.result(), fast.result()
    np.testing.assert_allclose(fast.utility, slow.utility, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.seller_change, a.seller_change, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b.curve, a.curve, rtol=1e-9, atol=1e-9)
    assert (b.decisions, b.at_bound) == (a.decisions, a.at_bound) and a.at_bound > 0
    np.testing.assert_allclose(fast.mechanism.counts, slow.mechanism.counts)
    np.testing.assert_allclose(fast.mechanism.sums, slow.mechanism.sums, rtol=1e-9, atol=1e-9)
    assert fast.mechanism.clock.t == slow.mechanism.clock.t == 300
    with pytest.raises(RuntimeError, match="episode is over"):
        fast.step(np.zeros(pairs))


def test_a_batch_policy_that_is_not_linear_steps_compiled():
    """PPO's policy (any batch policy): the episode is stepped by the compiled rounds, decision by
    decision, with the numpy market's gains."""
    policy = lambda features, rows: np.tanh(features[:, 0] - features[:, 4])
    for zeta in ("etc", "opt"):
        (_, a), (_, b) = (
            play(backend, 3, lambda m: policy, horizon=300, zeta=zeta, track=True) for backend in ("numpy", "auto")
        )
        np.testing.assert_allclose(b.gain, a.gain, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(b.curve, a.curve, rtol=1e-9, atol=1e-9)
        assert b.decisions == a.decisions > 0 and np.abs(a.gain).max() > 0


@pytest.mark.parametrize("zeta", ["etc", "opt"])
def test_the_vector_env_steps_compiled_as_in_numpy(zeta):
    """The paired vector env PPO trains on: observations, rewards, ends and infos equal across
    two episodes (the second after the autoreset), compiled against numpy."""
    import gymnasium as gym

    import mdbf_envs  # noqa: F401

    envs = [
        gym.make_vec(
            "mdbf_envs/VCGLearnManipulation-v0",
            num_envs=3,
            zeta=zeta,
            horizon=200,
            backend=backend,
            others=PhaseShade(0.3, "explore"),
        )
        for backend in ("numpy", "auto")
    ]
    out = [env.reset(seed=4)[0] for env in envs]
    np.testing.assert_allclose(out[1], out[0], rtol=1e-6)
    rng, ends = np.random.default_rng(1), 0
    for _ in range(400 if zeta == "etc" else 900):
        actions = rng.uniform(-1, 1, (3, 1))
        (o0, r0, d0, _, i0), (o1, r1, d1, _, i1) = (env.step(actions) for env in envs)
        np.testing.assert_allclose(o1, o0, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(r1, r0, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(d1, d0)
        assert i1.keys() == i0.keys()
        if "gain" in i0:  # not on the autoreset's step
            np.testing.assert_allclose(i1["gain"], i0["gain"], rtol=1e-9, atol=1e-9)
            np.testing.assert_array_equal(i1["decisions"], i0["decisions"])
        ends += int(d0.all())
    assert ends >= 2
    assert envs[1].unwrapped.market._episode is not None
