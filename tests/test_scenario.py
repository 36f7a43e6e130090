import numpy as np
import pytest

from mdbf_envs.vcg_learn.scenario import Scenario, ScenarioError
from mdbf_envs.vcg_learn.scenarios import lower_bound, online_ads, paas, single_item


def _kwargs(**over):
    base = dict(
        name="toy",
        allocations=("a", "b"),
        outcomes=[[0, 1], [1, 0]],
        seller_value=[0.0, 0.0],
        mean=[[0.5, 0.2], [0.4, 0.1]],
        noise=[["gaussian", "bernoulli"], ["deterministic", "gaussian"]],
        noise_sd=[[0.1, 0.0], [0.0, 0.3]],
    )
    base.update(over)
    return base


def test_builders_are_valid_and_documented_sizes():
    s = single_item()
    assert (s.n_agents, s.n_allocations, s.n_outcomes) == (10, 2, 10)
    np.testing.assert_allclose(s.mean[:, 0], np.linspace(0.8, 0.2, 10))
    np.testing.assert_allclose(s.noise_sd[:, 0], np.sqrt(0.5))  # variance 0.5 reading
    assert s.known[:, 1].all() and not s.known[:, 0].any()
    ads = online_ads(n_advertisers=5, n_slots=2)
    assert ads.n_outcomes == 5 * 4
    assert (np.sort(ads.outcomes, 1)[:, -2:] == [1, 2]).all()  # each slot to one advertiser
    p = paas(capacity=100)
    assert p.n_outcomes == 3**3 and np.all(p.seller_value <= 0)
    assert lower_bound(3, theta=1, horizon=1000).mean[0, 2] > 0.5


@pytest.mark.parametrize(
    "over, message",
    [
        (dict(mean=[[0.5, 1.2], [0.4, 0.1]]), r"mean\[0, 1\] = 1.2 is outside \[0, 1\]"),
        (dict(mean=[[0.5, np.nan], [0.4, 0.1]]), r"mean\[0, 1\] = nan is not finite"),
        (dict(mean=[[0.5, 0.2]]), r"mean has shape \(1, 2\), expected"),
        (dict(seller_value=[0.0]), r"seller_value has shape \(1,\), expected \(2,\)"),
        (dict(outcomes=[[0, 2], [1, 0]]), r"outside \[0, 1\]"),
        (dict(outcomes=[[0, 1], [0, 1]]), r"agent agent_0 never gets allocation 'b'"),
        (dict(noise=[["gauss", "bernoulli"], ["deterministic", "gaussian"]]), "unknown noise families"),
        (dict(noise_sd=[[0.1, -1.0], [0.0, 0.3]]), r"noise_sd\[0, 1\] = -1.0 is negative"),
        (dict(agent_names=("x", "x")), "distinct names"),
    ],
    ids=[
        "mean-above-one",
        "mean-nan",
        "mean-shape",
        "seller-value-shape",
        "outcome-out-of-range",
        "allocation-unreached",
        "unknown-noise",
        "negative-sd",
        "duplicate-names",
    ],
)
def test_bad_scenarios_name_the_bad_value(over, message):
    with pytest.raises(ScenarioError, match=message):
        Scenario(**_kwargs(**over))


def test_sigma_by_family():
    s = Scenario(**_kwargs())
    np.testing.assert_allclose(s.sigma, [[0.1, 0.5], [0.0, 0.3]])


def test_realise_is_seeded_and_has_the_right_law():
    s = Scenario(**_kwargs())
    outcome = np.zeros(20_000, int)  # agent 0 gets "a" (gaussian), agent 1 gets "b" (gaussian)
    x = s.realise(outcome, np.random.default_rng(1))
    np.testing.assert_array_equal(x, s.realise(outcome, np.random.default_rng(1)))
    np.testing.assert_allclose(x.mean(0), [0.5, 0.1], atol=0.01)
    np.testing.assert_allclose(x.std(0), [0.1, 0.3], atol=0.01)
    x = s.realise(np.ones(20_000, int), np.random.default_rng(2))  # bernoulli, deterministic
    assert set(np.unique(x[:, 0])) == {0.0, 1.0}
    np.testing.assert_allclose(x[:, 0].mean(), 0.2, atol=0.01)
    assert np.all(x[:, 1] == 0.4)


def test_scenario_arrays_are_read_only():
    s = single_item()
    with pytest.raises(ValueError):
        s.mean[0, 0] = 1.0
