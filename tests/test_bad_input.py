"""Bad input is refused where it enters, with an error naming the argument and the value, and
nothing is changed. One case per row."""

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdbf_envs
from baselines.strategies import Shade
from mdbf_envs import joint_ads_v0, vcg_learn_v0
from mdbf_envs.vcg_learn import Scenario, ScenarioError, VCGLearn
from mdbf_envs.vcg_learn.scenarios import single_item
from mdbf_envs.vcg_learn.simulate import simulate


def vcg_env():
    env = vcg_learn_v0.parallel_env(horizon=3)
    env.reset(seed=0)
    return env


def good(env):
    return {a: env.truthful_action(a) for a in env.agents}


STEP_CASES = [  # (id, bad action of agent_3, error, message)
    ("nan", np.float32([np.nan]), ValueError, r"action of agent_3 = nan must be finite"),
    ("inf", [np.inf], ValueError, r"action of agent_3 = inf must be finite"),
    ("outside-report-space", [100.0], ValueError, r"agent_3 = 100.0 is outside the report space \[-5.0, 6.0\]"),
    ("bool", np.array([True]), TypeError, r"action of agent_3 = array\(\[ True\]\) must be real numbers"),
    ("string", "0.5", TypeError, r"action of agent_3 = '0.5' must be real numbers"),
    ("complex", np.array([0.5 + 1j]), TypeError, r"action of agent_3 = .*1\.j.* must be real numbers"),
    ("two-numbers", np.array([0.1, 0.2]), ValueError, r"action of agent_3 = \[0.1, 0.2\] must be one number"),
    ("matrix", np.zeros((1, 1)), ValueError, r"action of agent_3 = \[\[0.0\]\] must be one number"),
    ("none", None, TypeError, r"action of agent_3 = None must be real numbers"),
    ("dict", {"a": 1}, TypeError, r"action of agent_3 = \{'a': 1\} must be real numbers"),
]


@pytest.mark.parametrize(("action", "error", "match"), [c[1:] for c in STEP_CASES], ids=[c[0] for c in STEP_CASES])
def test_vcg_env_refuses_a_bad_action_and_changes_nothing(action, error, match):
    env = vcg_env()
    before = env.observation.copy()
    with pytest.raises(error, match=match):
        env.step({**good(env), "agent_3": action})
    np.testing.assert_array_equal(env.observation, before)
    assert env._round.t == 1
    env.step(good(env))  # the env goes on from the same round


def call_steps(make, calls):
    env = make()
    for call in calls[:-1]:
        call(env)
    calls[-1](env)


ENV_CASES = [  # (id, make, error, message)
    (
        "actions-as-list",
        lambda: vcg_env().step([np.zeros(1)] * 10),
        TypeError,
        "actions must be a dict agent -> action, got list",
    ),
    (
        "unknown-agent",
        lambda: (lambda e: e.step({**good(e), "bob": [0.0]}))(vcg_env()),
        KeyError,
        r"unknown or finished agents \['bob'\]",
    ),
    (
        "missing-agent",
        lambda: (lambda e: e.step({a: v for a, v in good(e).items() if a != "agent_9"}))(vcg_env()),
        KeyError,
        r"no action for agents \['agent_9'\]",
    ),
    (
        "step-before-reset",
        lambda: vcg_learn_v0.parallel_env().step({}),
        RuntimeError,
        r"call reset\(\) before step\(\)",
    ),
    (
        "play-before-reset",
        lambda: vcg_learn_v0.parallel_env().play(np.zeros((1, 10))),
        RuntimeError,
        r"call reset\(\) before play\(\)",
    ),
    (
        "reset-seed-float",
        lambda: vcg_learn_v0.parallel_env().reset(seed=1.5),
        TypeError,
        "seed = 1.5 must be an integer",
    ),
    ("reset-seed-negative", lambda: vcg_learn_v0.parallel_env().reset(seed=-1), ValueError, "seed = -1 must be >= 0"),
    (
        "reset-seed-string",
        lambda: vcg_learn_v0.parallel_env().reset(seed="1"),
        TypeError,
        "seed = '1' must be an integer",
    ),
    ("horizon-float", lambda: vcg_learn_v0.parallel_env(horizon=1.5), TypeError, "horizon = 1.5 must be an integer"),
    ("horizon-string", lambda: vcg_learn_v0.parallel_env(horizon="10"), TypeError, "horizon = '10' must be an integer"),
    ("horizon-none", lambda: vcg_learn_v0.parallel_env(horizon=None), TypeError, "horizon = None must be an integer"),
    (
        "horizon-nan",
        lambda: vcg_learn_v0.parallel_env(horizon=float("nan")),
        TypeError,
        "horizon = nan must be an integer",
    ),
    ("horizon-zero", lambda: vcg_learn_v0.parallel_env(horizon=0), ValueError, "horizon = 0 must be >= 1"),
    (
        "max-cycles-float",
        lambda: vcg_learn_v0.parallel_env(max_cycles=2.5),
        TypeError,
        "max_cycles = 2.5 must be an integer",
    ),
    (
        "replications-float",
        lambda: vcg_learn_v0.parallel_env(replications=1.5),
        TypeError,
        "replications = 1.5 must be an integer",
    ),
    ("render-mode", lambda: vcg_learn_v0.parallel_env(render_mode="nope"), ValueError, "render_mode = 'nope'"),
    (
        "designer-info",
        lambda: vcg_learn_v0.parallel_env(designer_info="yes"),
        TypeError,
        "designer_info = 'yes' must be True or False",
    ),
    (
        "report-bounds",
        lambda: vcg_learn_v0.parallel_env(report_bounds=(1.0, 0.0)),
        ValueError,
        r"report_bounds = \(1.0, 0.0\)",
    ),
    ("reward-mode", lambda: vcg_learn_v0.parallel_env(reward_mode="x"), ValueError, "reward_mode = 'x'"),
    ("unknown-scenario", lambda: vcg_learn_v0.parallel_env(scenario="nope"), KeyError, "unknown scenario 'nope'"),
    (
        "play-shape",
        lambda: vcg_env().play(np.zeros(3)),
        ValueError,
        r"reports have shape \(3,\), expected \(R, n\) = \(1, 10\)",
    ),
    (
        "play-nan",
        lambda: vcg_env().play([np.r_[np.zeros(9), np.nan]]),
        ValueError,
        r"report of agent_9 = nan is outside the report space \[-5.0, 6.0\]",
    ),
    (
        "batched-one-seed",
        lambda: vcg_learn_v0.parallel_env(replications=3).reset(seed=0),
        ValueError,
        "one seed per replication",
    ),
    (
        "batched-step",
        lambda: (lambda e: (e.reset(seed=[0, 1, 2]), e.step({a: [0.0] for a in e.agents})))(
            vcg_learn_v0.parallel_env(replications=3)
        ),
        RuntimeError,
        r"step\(\) plays one replication; this env has 3",
    ),
    (
        "ads-bid-above-one",
        lambda: (lambda e: (e.reset(seed=0), e.step({"merchant": [0.5], "brand": [1.5]})))(joint_ads_v0.parallel_env()),
        ValueError,
        "bid of brand = 1.5 must be one number in",
    ),
    (
        "ads-bid-string",
        lambda: (lambda e: (e.reset(seed=0), e.step({"merchant": "0.5", "brand": [0.5]})))(joint_ads_v0.parallel_env()),
        TypeError,
        "bid of merchant = '0.5' must be real numbers",
    ),
    (
        "ads-actions-as-list",
        lambda: (lambda e: (e.reset(seed=0), e.step([[0.5], [0.5]])))(joint_ads_v0.parallel_env()),
        TypeError,
        "actions must be a dict agent -> bid, got list",
    ),
    (
        "ads-step-before-reset",
        lambda: joint_ads_v0.parallel_env().step({}),
        RuntimeError,
        r"call reset\(\) before step\(\)",
    ),
    (
        "ads-persistent",
        lambda: joint_ads_v0.parallel_env(persistent="no"),
        TypeError,
        "persistent = 'no' must be True or False",
    ),
    ("ads-horizon", lambda: joint_ads_v0.parallel_env(horizon=1.5), TypeError, "horizon = 1.5 must be an integer"),
    ("ads-render-mode", lambda: joint_ads_v0.parallel_env(render_mode="nope"), ValueError, "render_mode = 'nope'"),
    ("ads-seed", lambda: joint_ads_v0.parallel_env().reset(seed=1.5), TypeError, "seed = 1.5 must be an integer"),
    (
        "ads-sigma-zero",
        lambda: joint_ads_v0.parallel_env(learner="path_learning", learner_kwargs={"sigma": 0}).reset(seed=0),
        ValueError,
        "sigma = 0 must be positive",
    ),
    (
        "ads-sigma-negative",
        lambda: joint_ads_v0.parallel_env(learner="path_learning", learner_kwargs={"sigma": -1}).reset(seed=0),
        ValueError,
        "sigma = -1 must be positive",
    ),
    (
        "view-others-string",
        lambda: gym.make("mdbf_envs/VCGLearn-v0", others="truthful"),
        TypeError,
        "others = 'truthful'",
    ),
    (
        "view-unknown-agent",
        lambda: gym.make("mdbf_envs/VCGLearn-v0", agent="nobody"),
        ValueError,
        "unknown agent 'nobody'",
    ),
    (
        "view-scale-zero",
        lambda: gym.make("mdbf_envs/VCGLearn-v0", deviation_scale=0.0),
        ValueError,
        "deviation_scale = 0.0 must be positive",
    ),
    (
        "view-scale-string",
        lambda: gym.make("mdbf_envs/VCGLearn-v0", deviation_scale="a"),
        TypeError,
        "deviation_scale = 'a' must be a real number",
    ),
    (
        "view-action-outside",
        lambda: (lambda v: (v.reset(seed=0), v.step([2.0])))(gym.make("mdbf_envs/VCGLearnOPT-v0").unwrapped),
        ValueError,
        r"action = \[2.0\] must be one number in \[-1, 1\]",
    ),
    (
        "view-action-string",
        lambda: (lambda v: (v.reset(seed=0), v.step("abc")))(gym.make("mdbf_envs/VCGLearnOPT-v0").unwrapped),
        TypeError,
        "action = 'abc' must be real numbers",
    ),
    (
        "view-step-before-reset",
        lambda: gym.make("mdbf_envs/VCGLearnOPT-v0").unwrapped.step([0.0]),
        RuntimeError,
        r"call reset\(\) before step\(\)",
    ),
    (
        "vector-no-envs",
        lambda: gym.make_vec("mdbf_envs/VCGLearnOPT-v0", num_envs=0),
        ValueError,
        "num_envs = 0 must be >= 1",
    ),
    (
        "paired-vector-no-envs",
        lambda: gym.make_vec("mdbf_envs/VCGLearnManipulationETC-v0", num_envs=0),
        ValueError,
        "num_envs = 0 must be >= 1",
    ),
    (
        "sigma-wrong-shape",
        lambda: VCGLearn(single_item(), sigma=[0.1] * 10),
        ValueError,
        r"sigma has shape \(10,\): give one number or an \(n, \|S\|\) = \(10, 2\) table",
    ),
    ("sigma-string", lambda: VCGLearn(single_item(), sigma="x"), TypeError, "sigma = 'x' must be real numbers"),
    ("replications-zero", lambda: VCGLearn(single_item(), replications=0), ValueError, "replications = 0 must be >= 1"),
    ("noise-var-string", lambda: single_item(noise_var="a"), TypeError, "noise_var = 'a' must be a real number"),
    ("n-agents-float", lambda: single_item(n_agents=2.5), TypeError, "n_agents = 2.5 must be an integer"),
    (
        "ragged-outcomes",
        lambda: Scenario(
            "x", ("a", "b"), [[0, 1], [1]], [0.0, 0.0], [[0.5, 0.5]] * 2, [["gaussian"] * 2] * 2, [[0.1, 0.1]] * 2
        ),
        ScenarioError,
        r"outcomes = \[\[0, 1\], \[1\]\] is not a regular table",
    ),
    (
        "simulate-horizon-float",
        lambda: simulate(VCGLearn(single_item()), 1.5, 0),
        TypeError,
        "horizon = 1.5 must be an integer",
    ),
    (
        "simulate-rng-string",
        lambda: simulate(VCGLearn(single_item()), 10, "x"),
        TypeError,
        "seed = 'x' must be an integer",
    ),
    (
        "unknown-learner",
        lambda: mdbf_envs.make_learner("nope", 10, np.random.default_rng(0)),
        KeyError,
        "unknown learner 'nope'",
    ),
]


@pytest.mark.parametrize(("make", "error", "match"), [c[1:] for c in ENV_CASES], ids=[c[0] for c in ENV_CASES])
def test_bad_input_is_refused_where_it_enters(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("seed", [3, np.int64(3), np.uint8(3)], ids=["int", "int64", "uint8"])
def test_numpy_integer_seeds_are_seeds(seed):
    a, _ = vcg_learn_v0.parallel_env(horizon=2).reset(seed=seed)
    b, _ = vcg_learn_v0.parallel_env(horizon=2).reset(seed=3)
    np.testing.assert_array_equal(a["agent_0"], b["agent_0"])


def test_simulate_takes_a_seed_like_numpy():
    a = simulate(VCGLearn(single_item()), 20, 5).welfare
    b = simulate(VCGLearn(single_item()), 20, np.random.default_rng(5)).welfare
    np.testing.assert_array_equal(a, b)


def test_a_view_with_scripted_others_pickles_mid_episode():
    view = gym.make("mdbf_envs/VCGLearn-v0", others=Shade(0.1), horizon=20).unwrapped
    view.reset(seed=0)
    view.step(np.zeros(1, np.float32))
    copy = pickle.loads(pickle.dumps(view))
    a = view.step(np.full(1, 0.3, np.float32))
    b = copy.step(np.full(1, 0.3, np.float32))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1] == b[1]


VALID = st.fixed_dictionaries(
    {
        "horizon": st.integers(1, 30),
        "zeta": st.sampled_from(["etc", "opt"]),
        "f": st.sampled_from(["upper", "mean", "lower"]),
        "g": st.sampled_from(["upper", "mean", "lower"]),
        "replications": st.integers(1, 3),
        "reward_mode": st.sampled_from(["expected", "realised"]),
        "designer_info": st.booleans(),
    }
)
NOT_AN_INTEGER = st.one_of(
    st.floats(allow_nan=True).filter(lambda x: x != int(x) if np.isfinite(x) else True),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=25, deadline=None)
@given(VALID, st.integers(0, 2**31 - 1))
def test_valid_configurations_never_raise(kwargs, seed):
    """Any valid configuration plays its whole horizon with finite rewards, and says whether it
    is individually rational (f no more optimistic than g)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # f above g warns, by design
        env = vcg_learn_v0.parallel_env(**kwargs)
    R = kwargs["replications"]
    env.reset(seed=seed if R == 1 else [seed + r for r in range(R)])
    rounds = 0
    while env.agents:
        env.play(env.truthful_reports())
        rounds += 1
        assert np.isfinite(env.rewards()).all()
    assert rounds == kwargs["horizon"]
    order = ("upper", "mean", "lower")
    rational = order.index(kwargs["f"]) >= order.index(kwargs["g"])
    assert env.info_table()["individually_rational"].all() == rational


@settings(max_examples=40, deadline=None)
@given(NOT_AN_INTEGER, st.sampled_from(["horizon", "replications"]))
def test_a_count_that_is_not_an_integer_is_always_refused(value, name):
    with pytest.raises(TypeError, match=f"{name} = .* must be an integer"):
        vcg_learn_v0.parallel_env(**{name: value})


@settings(max_examples=25, deadline=None)
@given(st.integers(-10, 0), st.sampled_from(["horizon", "replications"]))
def test_a_count_below_one_is_always_refused(value, name):
    with pytest.raises(ValueError, match=f"{name} = {value} must be >= 1"):
        vcg_learn_v0.parallel_env(**{name: value})
