"""The paired market, its envs and the policy search: identities, exactness and finding power."""

import re

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import mdbf_envs  # noqa: F401
from agents.search.cmaes import CandidatePolicies, LinearPolicy, SearchConfig, cma_search
from baselines.strategies import Noisy, PhaseShade, Shade
from mdbf_envs.core.streams import pair_streams
from mdbf_envs.envs.manipulation import paired_market
from mdbf_envs.registry import make_mechanism
from mdbf_envs.vcg_learn.paired_market import PairedMarket
from mdbf_envs.vcg_learn.rollout import rollout
from mdbf_envs.vcg_learn.scenarios import single_item

SETTINGS = [
    ("etc", None),
    ("opt", None),
    ("etc", PhaseShade(0.3, "explore")),
    ("opt", PhaseShade(0.3, "explore")),
    ("etc", Noisy(0.3)),
    ("opt", Noisy(0.3)),
]
IDS = [
    "etc-truthful-others",
    "opt-truthful-others",
    "etc-shading-others",
    "opt-shading-others",
    "etc-random-others",
    "opt-random-others",
]


def shrink(fields, rng):
    """Report 0.5 X + 0.4 (a variance-reducing lie)."""
    return 0.5 * fields["realised"][:, 0] + 0.4


def market(zeta, pairs, others=None, decisions="influential", horizon=300, agent=0):
    sc = single_item()
    strategies = {j: others for j in range(sc.n_agents) if j != agent} if others else {}
    return PairedMarket(
        make_mechanism("vcg_learn", sc, zeta=zeta, replications=2 * pairs), horizon, agent, strategies, decisions
    )


def test_paired_draws_hand_both_halves_the_same_numbers():
    from mdbf_envs.core.paired_engine import PairedDraws

    for method in ("random", "standard_normal"):
        draws = PairedDraws(np.random.default_rng(7), 3)
        z = getattr(draws, method)((6, 2))
        np.testing.assert_array_equal(z[:3], z[3:])
        np.testing.assert_array_equal(z[:3], getattr(np.random.default_rng(7), method)((3, 2)))
    with pytest.raises(ValueError, match=re.escape("a paired draw of 5 rows; expected 2 x 3")):
        draws.random((5, 2))


@pytest.mark.parametrize(("zeta", "others"), SETTINGS, ids=IDS)
def test_truthful_action_gives_exactly_zero_reward_every_step(zeta, others):
    m = market(zeta, 4, others)
    m.reset(np.random.default_rng(0))
    while not m.done:
        assert np.array_equal(m.step(np.zeros(4)), np.zeros(4))
    assert np.array_equal(m.gain, np.zeros(4))


@pytest.mark.parametrize(("zeta", "others"), SETTINGS, ids=IDS)
@pytest.mark.parametrize("decisions", ["every", "influential"])
def test_paired_gain_equals_two_independent_rollouts(zeta, others, decisions):
    """The summed paired reward is U^pi - U of two separate rollouts on the same seed."""
    R, T = 6, 300
    m = market(zeta, R, others, decisions, T)
    res = m.run(None, np.random.default_rng(11), policy_seed=3, strategy=shrink)
    fixed = {j: others for j in range(1, 10)} if others else {}
    sc = single_item()
    lying = rollout(
        make_mechanism("vcg_learn", sc, zeta=zeta, replications=R), T, 11, {**fixed, 0: shrink}, policy_seed=3
    )
    honest = rollout(make_mechanism("vcg_learn", sc, zeta=zeta, replications=R), T, 11, fixed, policy_seed=3)
    with_policy, truthful = lying.utility[:, 0], honest.utility[:, 0]
    np.testing.assert_allclose(res.gain, with_policy - truthful, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(res.truthful_utility, truthful, rtol=1e-12, atol=1e-12)
    # the seller's utility is T u*_0 minus its regret: the change is the regrets' difference
    np.testing.assert_allclose(res.seller_change, honest.seller_regret - lying.seller_regret, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("zeta", ["etc", "opt"])
def test_decision_point_episodes_reproduce_the_full_episode(zeta):
    """Acting only where the report is kept (and the ETC fast-forward) changes no utility."""
    policy = LinearPolicy((-0.15,) + (0.0,) * 21 + (0.12,))  # a = 0.12 - 0.15 X
    full = market(zeta, 8, decisions="every", horizon=800).run(policy, np.random.default_rng(4))
    decided = market(zeta, 8, decisions="influential", horizon=800).run(policy, np.random.default_rng(4))
    np.testing.assert_allclose(decided.utility, full.utility, rtol=1e-9)
    np.testing.assert_allclose(decided.truthful_utility, full.truthful_utility, rtol=1e-12)
    assert decided.decisions < full.decisions


def test_etc_decisions_are_the_kept_explore_reports():
    m = market("etc", 3, horizon=2000)
    res = m.run(LinearPolicy((0.0,) * 23), np.random.default_rng(0))
    assert res.decisions == 3 * 43  # one kept item report per bracket, 43 brackets in 2000 rounds


def test_seeded_episodes_are_deterministic():
    a = market("opt", 4).run(LinearPolicy((0.01,) * 23), pair_streams(5, 4, 1, ("standard_normal",)))
    b = market("opt", 4).run(LinearPolicy((0.01,) * 23), pair_streams(5, 4, 1, ("standard_normal",)))
    np.testing.assert_array_equal(a.gain, b.gain)


def test_candidates_in_one_batch_score_as_alone():
    """CMA-ES scores candidates side by side; pair m of each sees the same draws."""
    thetas = np.array([[0.0] * 22 + [0.2], [-0.1] + [0.0] * 21 + [0.05]])
    both = market("opt", 6).run(CandidatePolicies(thetas, 3), pair_streams(2, 3, 2, ("standard_normal",)))
    for c, th in enumerate(thetas):
        alone = market("opt", 3).run(LinearPolicy(tuple(th)), pair_streams(2, 3, 1, ("standard_normal",)))
        np.testing.assert_allclose(both.gain[3 * c : 3 * c + 3], alone.gain, rtol=1e-12)


def test_cma_search_finds_the_shading_gain_against_pay_your_estimate():
    """Under pay-your-estimate shading lowers the price: the search must find a clear gain."""
    sc = single_item()

    def make(pairs):
        return PairedMarket(make_mechanism("pay_your_estimate", sc, zeta="opt", replications=2 * pairs), 300, 0)

    shade = make(64).run(None, pair_streams(9, 64, 1, sc.draws), strategy=Shade(0.2)).gain.mean()
    found = cma_search(make, SearchConfig(episodes=1_200, pairs=8, seed=1))
    gain = make(64).run(found.policy, pair_streams(9, 64, 1, sc.draws)).gain.mean()
    assert shade > 1 and gain > shade  # it beats a fixed shade on held-out draws


@pytest.mark.parametrize("id_", ["mdbf_envs/VCGLearnManipulationETC-v0", "mdbf_envs/VCGLearnManipulationOPT-v0"])
def test_gym_paired_env_sums_to_the_evaluators_gain(id_):
    env = gym.make(id_, horizon=400)
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=3)
    total, rewards = 0.0, []
    policy = LinearPolicy((-0.1,) + (0.0,) * 21 + (0.1,))
    while True:
        a = policy(obs[None].astype(np.float64), np.zeros(1, int))
        obs, r, term, trunc, info = env.step(a.astype(np.float32))
        total += r
        rewards.append(r)
        if term or trunc:
            break
    assert info["gain"] == pytest.approx(total, abs=1e-9)
    assert info["decisions"] == len(rewards)  # one decision per step: each step is a kept report
    assert any(rewards)


def test_vector_env_copies_step_like_single_envs_under_etc():
    """Copy r of the vector env plays as a single env reset with seed + r (ETC: shared decisions)."""
    kwargs = {"horizon": 600}
    vec = gym.make_vec("mdbf_envs/VCGLearnManipulationETC-v0", num_envs=3, **kwargs)
    vec.reset(seed=7)
    steps, done = [], False
    while not done:
        _, r, term, _, _ = vec.step(np.full((3, 1), -0.3, np.float32))
        steps.append(r)
        done = term.all()
    for k in range(3):
        single = gym.make("mdbf_envs/VCGLearnManipulationETC-v0", **kwargs)
        single.reset(seed=7 + k)
        rewards = [single.step(np.float32([-0.3]))[1] for _ in steps]
        np.testing.assert_allclose(rewards, [s[k] for s in steps], rtol=1e-12, atol=1e-12)
    assert np.abs(np.array(steps)).sum() > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"decisions": "sometimes"}, "decisions = 'sometimes'"),
        ({"deviation_scale": 0.0}, "deviation_scale = 0.0"),
        ({"agent": "nobody"}, "unknown agent 'nobody'"),
        ({"others": "truthful"}, "others = 'truthful'"),
    ],
    ids=["unknown-decisions", "zero-scale", "unknown-agent", "others-as-string"],
)
def test_paired_env_refuses_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        gym.make("mdbf_envs/VCGLearnManipulationETC-v0", **kwargs)


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (np.array([1.5]), r"action = \[1.5\] must be one number in \[-1, 1\]"),
        (np.array([np.nan]), "action = nan must be finite"),
        (np.array([0.1, 0.2]), r"action = \[0.1, 0.2\] must be one number"),
    ],
    ids=["outside", "nan", "two-numbers"],
)
def test_paired_env_refuses_bad_actions(action, match):
    env = gym.make("mdbf_envs/VCGLearnManipulationETC-v0", horizon=100).unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        env.step(action)


def test_search_cli_saves_a_policy_that_reloads_and_refuses_bad_options(tmp_path, capsys):
    from agents.search.cmaes import main

    run = main(["--horizon", "200", "--episodes", "64", "--pairs", "4", "--eval-pairs", "8", "--out", str(tmp_path)])
    policy = LinearPolicy.load(run / "policy.json")
    assert len(policy.theta) == market("etc", 1).feature_size + 1
    assert "evaluation" in (run / "config.json").read_text()
    with pytest.raises(SystemExit) as stop:
        main(["--others", "nope", "--out", str(tmp_path / "never")])
    assert stop.value.code == 2 and "--others ['nope']" in capsys.readouterr().err and not (tmp_path / "never").exists()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_ppo_paired_cli_trains_on_joint_ads_and_saves(tmp_path):
    from agents.search.ppo import main

    run = main(
        [
            "--paper",
            "joint_ads",
            "--horizon",
            "20",
            "--timesteps",
            "160",
            "--num-envs",
            "2",
            "--n-steps",
            "40",
            "--batch-size",
            "40",
            "--use-sde",
            "--eval-pairs",
            "4",
            "--out",
            str(tmp_path),
        ]
    )
    assert (run / "model.zip").exists() and "gain_mean" in (run / "config.json").read_text()


def test_gain_curves_with_the_fast_forward_equal_the_round_by_round_curves():
    policy = LinearPolicy((-0.15,) + (0.0,) * 21 + (0.12,))
    full = market("etc", 6, decisions="every", horizon=500).run(policy, np.random.default_rng(2), track=True)
    fast = market("etc", 6, decisions="influential", horizon=500).run(policy, np.random.default_rng(2), track=True)
    np.testing.assert_allclose(fast.curve, full.curve, rtol=1e-9, atol=1e-9)
    assert fast.curve[-1, 0] == pytest.approx(fast.gain.mean())
    assert fast.curve[-1, 1] == pytest.approx(fast.gain.std(ddof=1) / np.sqrt(6))


def numpy_market(pairs=3, **kwargs):
    """The engine's own loop (not the compiled episode), App. F."""
    kwargs.setdefault("horizon", 300)
    return paired_market(pairs, backend="numpy", **kwargs)


class Constant:
    """A batch policy with one action everywhere."""

    def __init__(self, action):
        self.action = action

    def __call__(self, features, rows):
        return np.full(len(rows), self.action)


@pytest.mark.parametrize("zeta", ["etc", "opt"])
def test_decisions_at_a_bound_are_counted_by_hand(zeta):
    """at_bound counts the decisions whose action is at +-1 or whose report was clipped, over
    the whole episode."""
    wide = (-50.0, 50.0)
    at_one = numpy_market(zeta=zeta, report_bounds=wide).run(Constant(1.0), np.random.default_rng(0))
    assert at_one.decisions > 3 and at_one.at_bound == at_one.decisions
    at_minus_one = numpy_market(zeta=zeta, report_bounds=wide).run(Constant(-1.0), np.random.default_rng(0))
    assert at_minus_one.at_bound == at_minus_one.decisions
    inside = numpy_market(zeta=zeta, report_bounds=wide).run(Constant(0.999), np.random.default_rng(0))
    assert inside.decisions == at_one.decisions and inside.at_bound == 0
    above = []

    def half_above(fields, rng):  # every other deciding row reports above the space (6)
        reports = fields["realised"][:, 0].copy()
        reports[::2] = 10.0
        above.append(len(reports[::2]))
        return reports

    clipped = numpy_market(zeta=zeta).run(None, np.random.default_rng(0), strategy=half_above)
    assert clipped.at_bound == sum(above) > 0 and clipped.decisions > clipped.at_bound


def test_the_rounds_since_the_last_decision_restart_at_each_decision():
    """decisions="every": the agent decides each round, so its since-feature is log(1 + 1) /
    log(1 + T) at every decision after the first, and 0 at the first."""
    T = 50
    m = numpy_market(2, decisions="every", horizon=T)
    m.reset(np.random.default_rng(0))
    since = [m.features()[:, -2].copy()]
    while not m.done:
        m.step(np.full(2, 0.3))
        if not m.done:
            since.append(m.features()[:, -2].copy())
    assert np.all(since[0] == 0.0)
    np.testing.assert_allclose(np.array(since[1:]), np.log1p(1) / np.log1p(T))
    assert len(since) == T


def test_curves_results_and_their_defaults():
    """No curve unless asked; a curve of (T, 2) with a standard error from two pairs on, none
    (zero, not NaN) with one; counts are integers and start at 0."""
    policy = Constant(0.4)
    plain = numpy_market(2).run(policy, np.random.default_rng(1))
    assert plain.curve is None
    m = numpy_market(2)
    m.reset(np.random.default_rng(1))
    assert m.curve is None and m.at_bound == 0 and m.decision_counts.dtype == np.int64
    two = numpy_market(2).run(policy, np.random.default_rng(1), track=True)
    assert two.curve.shape == (300, 2) and two.curve[:, 1].max() > 0
    one = numpy_market(1).run(policy, np.random.default_rng(1), track=True)
    assert one.curve.shape == (300, 2) and np.all(one.curve[:, 1] == 0.0)
    np.testing.assert_allclose(one.curve[-1, 0], one.gain[0])


def test_run_and_step_refuse_what_they_cannot_play():
    m = numpy_market(2)
    with pytest.raises(ValueError, match="^give a policy or a strategy$"):
        m.run(None, np.random.default_rng(0))
    with pytest.raises(ValueError, match="^give a policy or a strategy$"):
        m.run(Constant(0.0), np.random.default_rng(0), strategy=shrink)
    m.reset(np.random.default_rng(0))
    with pytest.raises(ValueError, match=re.escape("actions [1.5] must be 2 numbers in [-1, 1]")):
        m.step(np.array([0.0, 1.5]))
    with pytest.raises(ValueError, match=re.escape("actions [-1.0001] must be 2 numbers in [-1, 1]")):
        m.step(np.array([-1.0001, 0.0]))
    with pytest.raises(ValueError, match=re.escape("actions [0.0, 0.0, 0.0] must be 2 numbers in [-1, 1]")):
        m.step(np.zeros(3))
    with pytest.raises(ValueError, match=re.escape("actions [nan] must be 2 numbers")):
        m.step(np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match=re.escape("actions [1.5] must")):  # -1 and 1 themselves are fine
        m.step(np.array([-1.0, 1.5]))
    with pytest.raises(ValueError, match=re.escape("actions [-1.5] must")):
        m.step(np.array([-1.5, 1.0]))
    m.step(np.array([[1.0], [-1.0]]))  # a column of actions, as vector envs send them
    while not m.done:
        m.step(np.zeros(2))
    with pytest.raises(RuntimeError, match="^" + re.escape("the episode is over: call reset() before step()") + "$"):
        m.step(np.zeros(2))


def test_the_agent_s_own_random_strategy_is_seeded_by_the_policy_seed():
    """Its generator is (policy_seed, agent): the same seed, the same gains; another, others."""
    runs = [
        numpy_market(3).run(None, np.random.default_rng(2), policy_seed=seed, strategy=Noisy(0.5)).gain
        for seed in (7, 7, 8)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_a_game_stepped_round_by_round_tracks_its_curve_and_defaults_to_none():
    """Joint ads' paired game plays one round per step (the engine's _next_round): its curve is
    the mean cumulative gain per round, ending at the episode's mean gain."""
    from mdbf_envs.envs.manipulation import joint_ads_game

    policy = Constant(-0.5)
    assert joint_ads_game(4, horizon=30).run(policy, np.random.default_rng(0)).curve is None
    res = joint_ads_game(4, horizon=30).run(policy, np.random.default_rng(0), track=True)
    assert res.curve.shape == (30, 2) and res.decisions == 4 * 30
    np.testing.assert_allclose(res.curve[-1, 0], res.gain.mean())
    assert res.curve[:, 1].max() > 0
