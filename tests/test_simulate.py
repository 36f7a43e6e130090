import numpy as np
import pytest
from scipy.stats import ks_2samp

from mdbf_envs import vcg_learn_v0
from mdbf_envs.mechanisms import VCGLearn
from mdbf_envs.scenarios import paas, single_item
from mdbf_envs.simulate import simulate


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
