import copy
import dataclasses
import pickle

import gymnasium as gym
import numpy as np
import pettingzoo
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import (
    api_test,
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    render_test,
    seed_test,
)
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import mdbf_envs
from mdbf_envs import joint_ads_v0, vcg_learn_v0
from mdbf_envs.registry import GYM_ENVS
from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.scenarios import paas, single_item
from mdbf_envs.vcg_learn.simulate import simulate

VCG_KWARGS = [
    dict(horizon=150),
    dict(horizon=150, zeta="etc", f="upper", g="lower", publish=("prices", "outcome")),
    dict(scenario="paas", horizon=120, bids={"customer_1": [0.0, 0.3, 0.6]}, reward_mode="realised"),
    dict(scenario="online_ads", mechanism="pay_your_estimate", horizon=100, designer_info=True),
]
JA_KWARGS = [
    dict(horizon=120),
    dict(horizon=60, persistent=False, designer_info=True),
    dict(horizon=120, sequence="smooth", learner="path_learning"),
    dict(horizon=80, sequence="equal-revenue", learner="posted_price_leader"),
]
CASES = [(vcg_learn_v0, kw) for kw in VCG_KWARGS] + [(joint_ads_v0, kw) for kw in JA_KWARGS]


def case_id(module, kwargs: dict) -> str:
    """``vcg_learn_v0[horizon=150,zeta=etc,...]``: a readable test id."""
    return module.__name__.split(".")[-1] + "[" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + "]"


CASE_IDS = [case_id(m, kw) for m, kw in CASES]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("module, kwargs", CASES, ids=CASE_IDS)
def test_pettingzoo_suite(module, kwargs):
    api_test(module.env(**kwargs), num_cycles=200)
    parallel_api_test(module.parallel_env(**kwargs), num_cycles=200)
    seed_test(lambda: module.env(**kwargs), num_cycles=50)
    parallel_seed_test(lambda: module.parallel_env(**kwargs), num_cycles=50)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("module", [vcg_learn_v0, joint_ads_v0], ids=["vcg_learn_v0", "joint_ads_v0"])
def test_max_cycles_and_render(module):
    max_cycles_test(module)
    render_test(lambda render_mode=None: module.env(render_mode=render_mode, horizon=5))
    par = module.parallel_env(render_mode="rgb_array", horizon=5)
    par.reset(seed=0)
    par.step({a: par.truthful_action(a) for a in par.agents})
    frame = par.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8 and frame.std() > 0


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("env_id", sorted(GYM_ENVS))
def test_registered_gymnasium_ids_pass_both_checkers(env_id):
    env = gym.make(f"mdbf_envs/{env_id}", horizon=50)
    check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)
    assert f"mdbf_envs/{env_id}" in gym.registry
    assert "mdbf_envs/vcg_learn-v0" in pettingzoo.parallel_registry
    assert "mdbf_envs/joint_ads-v0" in pettingzoo.aec_registry


def play_truthful(env, seed):
    obs, _ = env.reset(seed=seed)
    totals = {a: 0.0 for a in env.agents}
    infos = {}
    while env.agents:
        obs, rewards, _, _, infos = env.step({a: env.truthful_action(a) for a in env.agents})
        for a, r in rewards.items():
            totals[a] += r
    return totals, infos


@pytest.mark.parametrize("zeta", ["etc", "opt"])
def test_episode_rewards_equal_the_mechanisms_utility_accounting(zeta):
    T, seed = 400, 11
    env = vcg_learn_v0.parallel_env(zeta=zeta, horizon=T, report_bounds=(-50, 50))
    totals, infos = play_truthful(env, seed)
    as_float32 = lambda rnd, x: x.astype(np.float32).astype(np.float64)
    res = simulate(VCGLearn(single_item(), zeta), T, np.random.default_rng(seed), as_float32)
    for i, agent in enumerate(env.possible_agents):
        assert totals[agent] == pytest.approx(res.utility[-1, 0, i], abs=1e-9)
        assert infos[agent]["regret"] == pytest.approx(res.agents[-1, 0, i], abs=1e-9)


def test_information_isolation_other_agents_realisations_are_invisible():
    """Changing agent_1's realisations (same public outcomes and prices, as under ETC with
    agent_1 bidding... here: agent_1's values only enter others' views through the outcome)
    leaves agent_0's observations unchanged while the public outcome is unchanged."""
    sc = paas(capacity=100)

    def run(shift):
        env = vcg_learn_v0.parallel_env(scenario=sc, zeta="etc", horizon=30)
        env.reset(seed=3)
        original = env.scenario.realise

        def realise(outcome, rng):
            x = original(outcome, rng)
            x[:, 1] += shift  # agent 1's private realisations differ
            return x

        env.scenario = dataclasses.replace(sc)
        object.__setattr__(env.scenario, "realise", realise)
        trace = []
        for _ in range(29):  # agent 1 reports a fixed number, so the mechanism's data agree
            actions = {a: env.truthful_action(a) for a in env.agents}
            actions["customer_1"] = np.float32([0.5])
            obs, *_ = env.step(actions)
            trace.append((obs["customer_0"], obs["customer_2"], env._round.outcome.copy()))
        return trace

    for (a0, a2, o), (b0, b2, p) in zip(run(0.0), run(0.37), strict=True):
        np.testing.assert_array_equal(o, p)
        np.testing.assert_array_equal(a0, b0)
        np.testing.assert_array_equal(a2, b2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: vcg_learn_v0.parallel_env(horizon=60),
        lambda: joint_ads_v0.parallel_env(horizon=60, learner="path_learning", sequence="smooth"),
    ],
    ids=["vcg_learn", "joint_ads-path_learning-smooth"],
)
@pytest.mark.parametrize("clone", [copy.deepcopy, lambda e: pickle.loads(pickle.dumps(e))], ids=["deepcopy", "pickle"])
def test_pickle_and_deepcopy_mid_episode_continue_identically(make, clone):
    env = make()
    env.reset(seed=4)
    for _ in range(25):
        env.step({a: env.truthful_action(a) for a in env.agents})
    twin = clone(env)
    while env.agents:
        a_out = env.step({a: env.truthful_action(a) for a in env.agents})
        b_out = twin.step({a: twin.truthful_action(a) for a in twin.agents})
        for x, y in zip(a_out, b_out, strict=True):
            assert x.keys() == y.keys()
            for k in x:
                np.testing.assert_equal(x[k], y[k])


def test_gym_view_is_deterministic_and_zero_deviation_is_truthful():
    def rollout(seed, action):
        env = gym.make("mdbf_envs/VCGLearnETC-v0", horizon=100)
        env.reset(seed=seed)
        out = []
        done = False
        while not done:
            obs, r, term, trunc, info = env.step(np.float32([action]))
            out.append((obs, r))
            done = term or trunc
        return out

    a, b = rollout(1, 0.0), rollout(1, 0.0)
    assert len(a) == 100
    assert all(np.array_equal(x[0], y[0]) and x[1] == y[1] for x, y in zip(a, b, strict=True))
    inner_seed = int(gym.utils.seeding.np_random(1)[0].integers(2**31 - 1))
    par = vcg_learn_v0.parallel_env(**{**mdbf_envs.registry.APPENDIX_F, "zeta": "etc", "horizon": 100})
    totals, _ = play_truthful(par, inner_seed)
    assert sum(r for _, r in a) == pytest.approx(totals["agent_0"], abs=1e-12)


def test_joint_ads_truthful_bidding_is_ir_and_fresh_mode_carries_the_learner():
    env = joint_ads_v0.parallel_env(horizon=200, designer_info=True)
    totals, infos = play_truthful(env, 0)
    assert all(v >= 0 for v in totals.values())
    assert infos["merchant"]["designer"]["cumulative_revenue"] > 0
    fresh = joint_ads_v0.parallel_env(horizon=5, persistent=False)
    fresh.reset(seed=1)
    seen = []
    for _ in range(5):
        fresh.step({a: fresh.truthful_action(a) for a in fresh.agents})
        assert fresh.agents == []  # one round per episode
        seen.append(fresh.learner.t)
        fresh.reset()
    assert seen == [1, 2, 3, 4, 5]
    assert fresh.learner.t == 0  # the sequence restarted after T rounds


def test_user_registered_scenario_and_mechanism_work_everywhere():
    from mdbf_envs.vcg_learn.pay_your_estimate import PayYourEstimate

    mdbf_envs.register_scenario("two_bidders", lambda: single_item(2, means=[0.7, 0.4]), overwrite=True)

    class HalfPrice(PayYourEstimate):
        def prices(self, est, outcome):
            return 0.5 * super().prices(est, outcome)

    mdbf_envs.register_mechanism("half_price", HalfPrice, overwrite=True)
    with pytest.raises(ValueError, match="already registered"):
        mdbf_envs.register_mechanism("half_price", PayYourEstimate)
    par = pettingzoo.make(
        "parallel", "mdbf_envs/vcg_learn-v0", scenario="two_bidders", mechanism="half_price", horizon=20
    )
    assert par.possible_agents == ["agent_0", "agent_1"]
    assert isinstance(par.mechanism, HalfPrice)
    view = gym.make("mdbf_envs/VCGLearn-v0", scenario="two_bidders", mechanism="half_price", horizon=20)
    view.reset(seed=0)
    view.step(np.float32([0.0]))
    # the registered mechanism is the one that plays: half of pay-your-estimate's prices, same reports
    sc = single_item(2, means=[0.7, 0.4])
    half, full = HalfPrice(sc, "opt"), PayYourEstimate(sc, "opt")
    rng = np.random.default_rng(0)
    charged = 0
    for _ in range(40):
        a, b = half.propose(), full.propose()
        np.testing.assert_allclose(a.prices, 0.5 * b.prices, atol=1e-12)
        charged += np.any(b.prices > 0)
        reports = sc.realise(a.outcome, rng)
        half.observe(reports)
        full.observe(reports)
    assert charged > 10


def test_module_prefixed_id_works_in_a_fresh_process():
    """Gymnasium >= 1.0 has no plugin entry points: "mdbf_envs:" imports the package first."""
    import subprocess
    import sys

    code = (
        'import gymnasium as gym; e = gym.make("mdbf_envs:mdbf_envs/VCGLearnOPT-v0"); print(e.reset(seed=0)[0].shape)'
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().startswith("(")


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(horizon=120, zeta="opt", publish=("prices",)),
        dict(
            scenario="paas",
            horizon=90,
            bids={"customer_1": [0.0, 0.3, 0.6]},
            reward_mode="realised",
            designer_info=True,
        ),
    ],
    ids=["single-item-opt-published-prices", "paas-bidder-realised-rewards"],
)
def test_vcg_gym_view_steps_exactly_like_the_parallel_env_dict_api(kwargs):
    """The view's array path (VCGLearnParallelEnv.play) against stepping the ParallelEnv with
    dicts: same observations, rewards and infos, with a deviating agent and a scripted other."""
    from baselines.strategies import scripted
    from mdbf_envs.envs.single_agent import VCGLearnSingleAgentEnv, deviation_to_action, strategy_action

    shade = scripted()["noisy_0.2"]
    view = VCGLearnSingleAgentEnv(**kwargs)
    others = [a for a in view.inner.possible_agents if a != view.agent]
    view = VCGLearnSingleAgentEnv(others={others[0]: shade}, **kwargs)
    par = vcg_learn_v0.parallel_env(**kwargs)
    obs_view, _ = view.reset(seed=4)
    obs_par, _ = par.reset(seed=int(np.random.default_rng(4).integers(2**31 - 1)))
    view_rng, par_rng = view.np_random, np.random.default_rng(0)
    par_rng.bit_generator.state = view_rng.bit_generator.state  # the scripted other's randomness
    actions = np.random.default_rng(1).uniform(-1, 1, 200)
    space = par.action_space(view.agent)
    for t in range(par.horizon):
        assert np.array_equal(obs_view, obs_par[view.agent])
        deviation = np.float32([actions[t]])
        own = deviation_to_action(
            par.truthful_action(view.agent), deviation, view.deviation_scale, space.low, space.high
        )
        dict_actions = {view.agent: own}
        for other in others:
            dict_actions[other] = (
                strategy_action(par, other, shade, obs_par[other], par_rng)
                if other == others[0]
                else par.truthful_action(other)
            )
        obs_par, rewards, _, truncs, infos = par.step(dict_actions)
        obs_view, reward, _, trunc, info = view.step(deviation)
        assert reward == rewards[view.agent] and info == infos[view.agent] and trunc == truncs[view.agent]
    assert trunc and not par.agents
