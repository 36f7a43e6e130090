import numpy as np
import pytest
from scipy.stats import ks_2samp

from mdbf_envs import vcg_learn_v0
from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.scenario import Scenario
from mdbf_envs.vcg_learn.scenarios import paas, single_item
from mdbf_envs.vcg_learn.simulate import simulate


@pytest.mark.parametrize("zeta", ["etc", "opt"])
def test_batched_simulator_has_the_env_loops_distribution(zeta):
    """Final regrets of 40 env episodes and of 40 batched replications (other seeds) agree in law."""
    T, R = 300, 40
    env_welfare, env_agent0 = [], []
    for seed in range(R):
        env = vcg_learn_v0.parallel_env(zeta=zeta, horizon=T, designer_info=True)
        env.reset(seed=1000 + seed)
        while env.agents:
            _, _, _, _, infos = env.step({a: env.truthful_action(a) for a in env.agents})
        env_welfare.append(infos["agent_0"]["designer"]["welfare_regret"])
        env_agent0.append(infos["agent_0"]["regret"])
    res = simulate(VCGLearn(single_item(), zeta, replications=R), T, np.random.default_rng(7), fast_etc=True)
    assert ks_2samp(env_welfare, res.welfare[-1]).pvalue > 1e-3
    assert ks_2samp(env_agent0, res.agents[-1, :, 0]).pvalue > 1e-3


def test_fast_etc_is_exact_bookkeeping():
    """With no noise the skipped rounds change nothing: fast and round-by-round runs agree."""
    sc = paas(capacity=3, noise_sd=0.0)
    slow = simulate(VCGLearn(sc, "etc", "upper", "upper", replications=2), 700, np.random.default_rng(0))
    fast = simulate(VCGLearn(sc, "etc", "upper", "upper", replications=2), 700, np.random.default_rng(0), fast_etc=True)
    for key in ("welfare", "seller", "agents", "utility"):
        np.testing.assert_allclose(getattr(fast, key), getattr(slow, key), atol=1e-9)


def test_mechanism_state_does_not_grow_with_the_horizon():
    def state_bytes(T):
        mech = VCGLearn(single_item(), "opt", replications=3)
        simulate(mech, T, np.random.default_rng(0), checkpoints=[T])
        return sum(v.nbytes for v in vars(mech).values() if isinstance(v, np.ndarray))

    assert state_bytes(100) == state_bytes(5000)


CONFIGS = [  # scenario, mechanism kwargs: plain, bidders, mixed configurations in one batch
    (single_item, {"zeta": "opt"}),
    (single_item, {"zeta": "etc", "f": "upper", "g": "lower"}),
    (
        lambda: paas(),
        {
            "zeta": ["etc", "opt", "opt", "etc"],
            "f": ["mean", "upper", "lower", "lower"],
            "g": ["upper", "mean", "lower", "mean"],
            "bids": {1: [0.0, 0.4, 0.7]},
        },
    ),
    (lambda: paas(noise_sd=0.0), {"zeta": "opt", "f": "lower", "g": "upper"}),
    (lambda: single_item(4), {"zeta": ["opt", "etc", "opt", "etc"], "bids": {2: [0.0, 0.6]}}),
    (lambda: unexplored_known_pair(), {"zeta": ["etc", "opt", "etc", "opt"], "f": "upper", "g": "lower"}),
]


def unexplored_known_pair() -> Scenario:
    """Two agents whose known "none" is never in the explore schedule, so under ETC its width
    comes from the bracket count, not from data."""
    return Scenario(
        name="unexplored_known",
        allocations=("none", "a", "b"),
        outcomes=np.array([[1, 2], [2, 1], [0, 1], [1, 0]]),
        seller_value=np.array([0.0, 0.0, 0.1, 0.05]),
        mean=np.array([[0.0, 0.5, 0.4], [0.0, 0.3, 0.6]]),
        noise=np.zeros((2, 3), int),
        noise_sd=np.full((2, 3), 0.5),
        known=np.array([[True, False, False]] * 2),
    )


@pytest.mark.parametrize(
    "make_scenario, kwargs",
    CONFIGS,
    ids=[
        "single-item-opt",
        "single-item-etc-upper-lower",
        "paas-mixed-batch-bidder",
        "paas-noiseless",
        "four-agents-mixed-bidder",
        "unexplored-known-pair",
    ],
)
def test_numba_backend_gives_the_numpy_loops_results(make_scenario, kwargs):
    """Same random numbers, same rounds: regrets and utilities at every round agree up to
    summation order, and the mechanism's data and clock end in the same state."""
    runs = {}
    for backend in ("numpy", "numba"):
        mech = VCGLearn(make_scenario(), replications=4, **kwargs)
        runs[backend] = (simulate(mech, 900, np.random.default_rng(3), backend=backend), mech)
    (a, mech_a), (b, mech_b) = runs["numpy"], runs["numba"]
    for key in ("welfare", "seller", "agents", "utility"):
        np.testing.assert_allclose(getattr(b, key), getattr(a, key), rtol=1e-12, atol=1e-9, err_msg=key)
    np.testing.assert_array_equal(mech_b.counts, mech_a.counts)
    np.testing.assert_allclose(mech_b.sums, mech_a.sums, rtol=1e-12)
    assert vars(mech_b.clock) == vars(mech_a.clock)
    assert np.abs(a.welfare[-1]).max() > 1  # the runs did something


def test_numba_backend_refuses_what_it_does_not_compile():
    from mdbf_envs.vcg_learn.scenarios import online_ads

    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="truthful agents only"):
        simulate(VCGLearn(single_item()), 10, rng, reports=lambda rnd, x: x + 0.1, backend="numba")
    with pytest.raises(ValueError, match="Bernoulli pairs"):
        simulate(VCGLearn(online_ads()), 10, rng, backend="numba")
    with pytest.raises(ValueError, match="enumerated outcomes, not AssignmentOutcomes"):
        simulate(VCGLearn(online_ads(noise="gaussian", enumerate_outcomes=False)), 10, rng, backend="numba")
    with pytest.raises(ValueError, match="does not learn the seller's value"):
        simulate(VCGLearn(paas(), learn_seller_value=True), 10, rng, backend="numba")
    with pytest.raises(ValueError, match="backend = 'cuda'"):
        simulate(VCGLearn(paas()), 10, rng, backend="cuda")
