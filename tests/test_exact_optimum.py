"""The exact best response under ETC (docs/exact_optimum.md), checked by exhaustive search, and
Theorem 2.5's failure checked against its closed form."""

import copy
import itertools

import numpy as np
import pytest

from agents.experiments.theorem25 import episode_gain, exploit_gain, measured_max_gain
from baselines.strategies import KnownValues
from mdbf_envs.vcg_learn import Scenario, VCGLearn
from mdbf_envs.vcg_learn.scenario import BERNOULLI

GRID = (-1.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)  # reports agent 0 may make


def tiny(means=(0.7, 0.55)) -> Scenario:
    """Two agents, one item (2 outcomes), Bernoulli values: realisations on the grid {0, 1}."""
    return Scenario(
        "tiny",
        ("item", "none"),
        [[0, 1], [1, 0]],
        [0.0, 0.0],
        [[means[0], 0.0], [means[1], 0.0]],
        [["bernoulli", "deterministic"]] * 2,
        [[0.0, 0.0]] * 2,
        known=[[False, True]] * 2,
    )


def state(mech: VCGLearn) -> tuple:
    """Everything that decides the mechanism's future (its data and its clock)."""
    clock = mech.clock
    return (
        mech.counts.tobytes(),
        mech.sums.tobytes(),
        mech._kept.tobytes(),
        clock.t,
        clock.bracket,
        clock.position,
        clock.length,
    )


def best_value(mech: VCGLearn, rounds_left: int, policy, memo: dict | None = None) -> float:
    """Agent 0's expected utility over the remaining rounds. ``policy`` None: the best over every
    deterministic report on GRID at each of its decisions, knowing the whole history (expectimax
    over the tree of realisations, exactly the maximum over all such policies); else the report
    ``policy(x, mean)`` where its report is kept (truthful elsewhere: a discarded report changes
    nothing). Subtrees from equal mechanism states are solved once (``memo``)."""
    if rounds_left == 0:
        return 0.0
    memo = {} if memo is None else memo
    key = (rounds_left, state(mech))
    if key in memo:
        return memo[key]
    sc = mech.scenario
    rnd = mech.propose()
    s = sc.allocation_of(rnd.outcome)[0]
    utility = sc.mean[0, s[0]] - rnd.prices[0, 0]
    decides = bool(mech.influential_reports()[0, 0])
    branches = [((), 1.0)]
    for i in range(2):  # Bernoulli realisations of whoever has the item; the rest are exact
        p = sc.mean[i, s[i]]
        outcomes = ((1.0, p), (0.0, 1 - p)) if sc.noise[i, s[i]] == BERNOULLI else ((p, 1.0),)
        branches = [(b + (x,), w * q) for b, w in branches for x, q in outcomes if q > 0]
    total = 0.0
    for x, weight in branches:
        if decides:
            options = GRID if policy is None else (policy(x[0], sc.mean[0, s[0]]),)
        else:
            options = (x[0],)
        values = []
        for y0 in options:
            child = copy.deepcopy(mech)
            child.observe(np.array([[y0, x[1]]]))
            values.append(best_value(child, rounds_left - 1, policy, memo))
        total += weight * max(values)
    memo[key] = utility + total
    return memo[key]


@pytest.mark.parametrize("f, g", [("mean", "mean"), ("upper", "lower"), ("lower", "upper")])
def test_no_reporting_policy_beats_reporting_ones_values_under_etc(f, g):
    """T = 7 (two brackets: 2 explore + 1 exploit, 2 explore + 2 exploit); agent 0 decides twice.
    Every deterministic policy on the grid, even one that sees agent 1's realisations, is at most
    as good as reporting one's mean; and that beats truthful play here."""
    T = 7
    mech = VCGLearn(tiny(), "etc", f, g)
    best = best_value(copy.deepcopy(mech), T, None)
    known = best_value(copy.deepcopy(mech), T, lambda x, mean: mean)
    truthful = best_value(copy.deepcopy(mech), T, lambda x, mean: x)
    assert best <= known + 1e-12
    assert known > truthful + 1e-3  # the exact optimum gains: the test could fail either way


def test_known_values_is_the_exact_optimum_strategy_of_the_audit():
    strategy = KnownValues((0.7, 0.0))
    fields = {"allocation": np.array([[1.0, 0.0], [0.0, 1.0]]), "realised": np.array([[0.2], [0.0]])}
    np.testing.assert_array_equal(strategy(fields, None), [0.7, 0.0])
    assert strategy.knows_values and not strategy.reads_own_reports


def test_two_agent_closed_form_matches_the_evaluator():
    """Theorem 2.5 fails: the evaluator's exact-optimum gain (two agents, one item, f = g = mean,
    noise variance 0.5) equals the closed form summed over the exploit rounds, within its
    interval."""
    T = 400
    gains = measured_max_gain(T, pairs=4096, seed=3, scenario_kwargs={"n_agents": 2, "means": [0.8, 0.733]})
    half = 1.96 * gains.std(ddof=1) / np.sqrt(len(gains))
    predicted = episode_gain(0.8, 0.733, np.sqrt(0.5), T)
    assert abs(gains.mean() - predicted) < half
    assert predicted > 5  # strictly positive: truthful reporting is not optimal


def test_closed_form_per_round_against_monte_carlo():
    rng = np.random.default_rng(0)
    mu1, mu2, sd = 0.8, 0.733, np.sqrt(0.5)
    v1, v2 = (np.clip(m + sd * rng.standard_normal(2_000_000), 0, 1) for m in (mu1, mu2))
    mc = np.maximum(mu1 - v2, 0).mean() - ((v1 >= v2) * (mu1 - v2)).mean()
    assert exploit_gain(mu1, mu2, sd) == pytest.approx(mc, abs=2e-3)
    assert [round(exploit_gain(mu1, mu2, sd / np.sqrt(q)), 3) for q in (1, 4, 16)] == [0.067, 0.043, 0.021]


def test_exhaustive_search_is_exhaustive():
    """The expectimax of best_value equals the maximum over an explicit list of every
    deterministic policy on a smaller instance (T = 3: one decision, two histories)."""
    mech = VCGLearn(tiny(), "etc")
    values = [
        best_value(copy.deepcopy(mech), 3, lambda x, mean, a=a, b=b: a if x == 0 else b)
        for a, b in itertools.product(GRID, GRID)
    ]
    assert max(values) == pytest.approx(best_value(copy.deepcopy(mech), 3, None), abs=1e-12)


def test_the_exhaustive_search_finds_more_than_known_values_where_it_is_not_optimal():
    """Under OPT exploit reports are kept and widths differ by outcome: the same search beats
    reporting one's mean, so the ETC test above can fail."""
    mech = VCGLearn(tiny(), "opt")
    assert best_value(copy.deepcopy(mech), 7, None) > best_value(copy.deepcopy(mech), 7, lambda x, mean: mean) + 0.01


def test_the_measured_optimum_is_the_named_agents():
    two = {"scenario_kwargs": {"n_agents": 2, "means": [0.8, 0.3]}, "pairs": 256, "seed": 1}
    first, second = measured_max_gain(200, agent="agent_0", **two), measured_max_gain(200, agent="agent_1", **two)
    assert not np.array_equal(first, second)  # each agent's own optimum, not agent 0's twice
    assert first.mean() > 0.5 and second.mean() > 0.5  # the lucky loser gains by not overpaying


def test_theorem25_cli_writes_its_curve(tmp_path):
    from agents.experiments.theorem25 import main

    curve = main(["--horizons", "200", "400", "--agents", "0", "--pairs", "16", "--out", str(tmp_path)])
    assert (tmp_path / "theorem25.json").exists() and (tmp_path / "theorem25.png").stat().st_size > 0
    assert len(curve["agents"]["agent_0"]["mean"]) == 2 and np.isfinite(curve["agents"]["agent_0"]["loglog_slope"])
