"""Random bad values fed to every public constructor of both rooms: each either builds with
finite results or raises ValueError/TypeError naming the parameter (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdbf_envs.joint_ads import learners, valuations
from mdbf_envs.joint_ads.mechanism import Staircase
from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.pay_your_estimate import PayYourEstimate
from mdbf_envs.vcg_learn.scenarios import lower_bound, online_ads, paas, single_item

NASTY = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(-(10**13), 10**13),
    st.sampled_from([None, True, False, "", "x", "0.5", [], [1.5], (0.2, -1.0), {"a": 1}, 10**12, -1, 0, 1e300]),
)
RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def small_ceiling(monkeypatch):
    """A 64 MiB size ceiling: large requests are refused as they would be at 8 GiB, without
    the test allocating gigabytes for the sizes just below it."""
    from mdbf_envs.core import checks

    monkeypatch.setattr(checks, "MAX_BYTES", 64 * 2**20)


def _finite(obj) -> None:
    """Numbers an object exposes are finite (no NaN price or value slips through)."""
    for name in ("mean", "noise_sd", "values", "sigma", "eta", "delta", "refit_growth", "seller_sigma"):
        value = getattr(obj, name, None)
        if isinstance(value, (int, float, np.ndarray)) and not isinstance(value, bool):
            assert np.all(np.isfinite(np.asarray(value, dtype=np.float64))), f"{name} = {value!r} is not finite"


# (id, constructor, the parameter fed, the other arguments)
CASES = [
    ("single_item-n_agents", single_item, "n_agents", {}),
    ("single_item-means", single_item, "means", {"n_agents": 2}),
    ("single_item-noise_var", single_item, "noise_var", {}),
    ("paas-n_customers", paas, "n_customers", {}),
    ("paas-capacity", paas, "capacity", {}),
    ("paas-unit_cost", paas, "unit_cost", {}),
    ("paas-noise_sd", paas, "noise_sd", {}),
    ("online_ads-n_advertisers", online_ads, "n_advertisers", {}),
    ("online_ads-n_slots", online_ads, "n_slots", {}),
    ("online_ads-noise_sd", online_ads, "noise_sd", {"noise": "gaussian"}),
    ("lower_bound-n_agents", lower_bound, "n_agents", {}),
    ("lower_bound-horizon", lower_bound, "horizon", {}),
    ("lower_bound-theta", lower_bound, "theta", {}),
    ("vcg_learn-zeta", lambda **kw: VCGLearn(single_item(3), **kw), "zeta", {}),
    ("vcg_learn-f", lambda **kw: VCGLearn(single_item(3), **kw), "f", {}),
    ("vcg_learn-g", lambda **kw: VCGLearn(single_item(3), **kw), "g", {}),
    ("vcg_learn-sigma", lambda **kw: VCGLearn(single_item(3), **kw), "sigma", {}),
    ("vcg_learn-replications", lambda **kw: VCGLearn(single_item(3), **kw), "replications", {}),
    ("vcg_learn-learn_seller_value", lambda **kw: VCGLearn(paas(), **kw), "learn_seller_value", {}),
    ("vcg_learn-seller_sigma", lambda **kw: VCGLearn(paas(), **kw), "seller_sigma", {"learn_seller_value": True}),
    ("pay_your_estimate-zeta", lambda **kw: PayYourEstimate(single_item(3), **kw), "zeta", {}),
    ("staircase-corners", Staircase, "corners", {}),
    ("follow_the_leader-delta", learners.FollowTheLeader, "delta", {}),
    ("follow_the_leader-refit_growth", learners.FollowTheLeader, "refit_growth", {}),
    ("posted_price_leader-refit_growth", learners.PostedPriceLeader, "refit_growth", {}),
    ("augment_the_best-refit_growth", learners.AugmentTheBest, "refit_growth", {}),
    ("path_learning-horizon", learners.PathLearning, "horizon", {"sigma": 1.0, "rng": RNG}),
    ("path_learning-sigma", learners.PathLearning, "sigma", {"horizon": 50, "rng": RNG}),
    ("path_learning-delta", learners.PathLearning, "delta", {"horizon": 50, "sigma": 1.0, "rng": RNG}),
    ("path_learning-eta", learners.PathLearning, "eta", {"horizon": 50, "sigma": 1.0, "rng": RNG}),
    (
        "epoch_learner-first_epoch",
        lambda **kw: learners.EpochLearner(learners.AugmentTheBest(), **kw),
        "first_epoch",
        {},
    ),
    ("iid_uniform-T", valuations.iid_uniform, "T", {"rng": RNG}),
    ("correlated_uniform-rho", valuations.correlated_uniform, "rho", {"T": 5, "rng": RNG}),
    ("smooth_moving_box-sigma", valuations.smooth_moving_box, "sigma", {"T": 5, "rng": RNG}),
    ("smooth_moving_box-period", valuations.smooth_moving_box, "period", {"T": 5, "rng": RNG}),
    ("needle_in_haystack-eps", valuations.needle_in_haystack, "eps", {"T": 5, "rng": RNG}),
    ("needle_in_haystack-delta", valuations.needle_in_haystack, "delta", {"T": 5, "rng": RNG}),
    ("equal_revenue-n", valuations.equal_revenue, "n", {"T": 5, "rng": RNG}),
    ("equal_revenue-eps", valuations.equal_revenue, "eps", {"T": 5, "rng": RNG}),
    ("lower_bound_mixture-T", valuations.lower_bound_mixture, "T", {"rng": RNG}),
    ("lower_bound_mixture-lam", valuations.lower_bound_mixture, "lam", {"T": 5, "rng": RNG}),
    ("lower_bound_mixture-sign", valuations.lower_bound_mixture, "sign", {"T": 5, "rng": RNG}),
    ("finite_support-probs", valuations.finite_support, "probs", {"T": 5, "rng": RNG, "points": [[0.2, 0.3]]}),
    ("hindsight_revenue-rounds", lambda **kw: learners.hindsight_revenue([[0.5, 0.5]] * 4, **kw), "rounds", {}),
]


@pytest.mark.parametrize(("build", "param", "fixed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=NASTY)
def test_a_bad_value_is_built_finite_or_refused_by_name(build, param, fixed, value):
    try:
        built = build(**fixed, **{param: value})
    except (ValueError, TypeError) as err:
        assert param in str(err) or (param == "corners" and "corner" in str(err)), (
            f"{param} = {value!r}: the message does not name it: {err}"
        )
        return
    _finite(built)
    if isinstance(value, float) and not math.isfinite(value) and value is not None:
        pytest.fail(f"{param} = {value!r} was accepted")
