"""Individual rationality in expectation, round by round (paper 1, Theorem 2.4 item 4), checked
against a closed form: under ETC with f = g = mean, a truthful loser's expected utility in an
exploit round is E[1{vbar_L > vbar_H} (mu_L - vbar_H)] (it wins when its noisy mean beats the
winner's and then pays the winner's estimate), which is negative once the estimates are good
enough for a win to be mostly luck against a lower value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from mdbf_envs.vcg_learn import VCGLearn, compiled
from mdbf_envs.vcg_learn.scenarios import single_item
from mdbf_envs.vcg_learn.simulate import simulate

MU_HIGH, MU_LOW, VAR = 0.8, 0.5, 0.5  # Appendix F's noise variance


def exploit_utility(q: int) -> float:
    """The loser's expected utility in an exploit round after q kept samples each, by quadrature
    over the winner's clipped mean vbar_H (its atom at 0 included; at 1 the loser never wins)."""
    sd = np.sqrt(VAR / q)
    beats = lambda b: stats.norm.sf((b - MU_LOW) / sd)
    density = lambda b: stats.norm.pdf((b - MU_HIGH) / sd) / sd
    inside, _ = integrate.quad(lambda b: beats(b) * (MU_LOW - b) * density(b), 0, 1, limit=200)
    return inside + stats.norm.cdf(-MU_HIGH / sd) * beats(0.0) * MU_LOW


def measured_exploit_utility(q: int, replications: int, seed: int = 0) -> tuple[float, float]:
    """The package's simulator: agent 1's utility in the first exploit round of bracket q
    (mean and standard error over the replications)."""
    K = 2  # the explore phase gives each agent the item once
    starts = np.cumsum(compiled.bracket_lengths(K, 10_000))
    first_exploit = int(starts[q - 1]) + K + 1
    mech = VCGLearn(single_item(n_agents=2, means=[MU_HIGH, MU_LOW]), "etc", "mean", "mean", replications=replications)
    res = simulate(
        mech,
        first_exploit,
        np.random.default_rng(seed),
        checkpoints=[first_exploit - 1, first_exploit],
        backend="numba",
    )
    du = res.utility[1, :, 1] - res.utility[0, :, 1]
    return float(du.mean()), float(du.std(ddof=1) / np.sqrt(replications))


def test_the_closed_form_changes_sign_with_the_samples():
    values = [exploit_utility(q) for q in (1, 4, 16, 64)]
    assert values == pytest.approx([0.0583, 0.0049, -0.0102, -0.0011], abs=5e-5)


@pytest.mark.parametrize("q", [1, 16])
def test_the_simulator_gives_the_closed_form(q):
    mean, se = measured_exploit_utility(q, replications=4000)
    assert abs(mean - exploit_utility(q)) < 4 * se


def test_a_truthful_agent_loses_in_expectation_in_a_round_refuting_theorem_2_4_item_4():
    """At q = 16 the loser's expected utility in an exploit round is significantly below 0."""
    mean, se = measured_exploit_utility(16, replications=4000, seed=1)
    assert mean + 3 * se < 0
