"""Formulas pinned by independent computations written out here (not by the numba twin)."""

import math

import numpy as np
import pytest

from mdbf_envs.joint_ads.learners import PathLearning
from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.regret import RegretAccount
from mdbf_envs.vcg_learn.scenarios import paas, single_item


def test_the_width_uses_the_exploit_rounds_t_minus_qK():
    """Eq. (4) at an OPT exploit round: upper - mean = sigma sqrt((5 ln(t - qK + 1) + 2 ln|S|) / N)."""
    sc = single_item(n_agents=3)
    mech = VCGLearn(sc, "opt")
    rng = np.random.default_rng(0)
    seen_exploit = 0
    for _ in range(60):
        rnd = mech.propose()
        if not rnd.explore:
            est = mech.estimates()
            t, q, K = rnd.t, rnd.bracket, mech.K
            N = mech.counts[0, :, 0]
            expected = mech.sigma[:, 0] * np.sqrt((5 * math.log(t - q * K + 1) + 2 * math.log(sc.n_allocations)) / N)
            np.testing.assert_allclose(est.upper[0, :, 0] - est.mean[0, :, 0], expected, rtol=1e-12)
            assert not np.allclose(expected, mech.sigma[:, 0] * np.sqrt((5 * math.log(t + 1) + 2 * math.log(2)) / N))
            seen_exploit += 1
        mech.observe(sc.realise(rnd.outcome, rng))
    assert seen_exploit > 10


def test_utilities_carry_the_sellers_value():
    """Seller: v_0(omega) + sum_i p_i; agent i: v_i(s_i(omega)) - p_i; welfare: v_0 + sum_i v_i."""
    sc = paas()
    assert np.any(sc.seller_value != 0)
    account = RegretAccount(sc, 1, None)
    rng = np.random.default_rng(1)
    for outcome in range(sc.n_outcomes):
        prices = rng.random((1, sc.n_agents))
        u = account.utilities(np.array([outcome]), prices)
        values = np.array([sc.mean[i, sc.outcomes[outcome, i]] for i in range(sc.n_agents)])
        assert u.seller[0] == pytest.approx(sc.seller_value[outcome] + prices.sum())
        np.testing.assert_allclose(u.agents[0], values - prices[0])
        assert u.welfare[0] == pytest.approx(sc.seller_value[outcome] + values.sum())


@pytest.mark.parametrize("T, sigma", [(1000, 1.0), (200, 0.25), (5000, 0.5)])
def test_path_learning_defaults_follow_theorem_7(T, sigma):
    """delta = 1 / ceil((T / sigma^2)^(1/3)); Hedge over the N = C(2k, k) monotone lattice paths of
    the k x k grid with rewards in [0, 2]: eta = sqrt(8 ln N / T) / 2."""
    learner = PathLearning(T, sigma, np.random.default_rng(0))
    k = math.ceil((T / sigma**2) ** (1 / 3))
    assert learner.delta == pytest.approx(1 / k) and learner.k == k
    n_paths = math.factorial(2 * k) // math.factorial(k) ** 2
    assert learner.eta == pytest.approx(math.sqrt(8 * math.log(n_paths) / T) / 2, rel=1e-12)
