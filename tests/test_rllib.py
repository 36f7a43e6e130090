"""RLlib's multi-agent API trains independent policies on both papers' PettingZoo envs
(``examples/rllib_independent.py``). Runs where ``ray[rllib]`` is installed (its own venv: it pins
gymnasium 1.2.2; ``.ci/run`` makes one), and skips elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ray.rllib")


@pytest.mark.parametrize("paper", ["vcg_learn", "joint_ads"])
def test_one_policy_per_agent_trains_on_the_parallel_env(paper):
    from examples.rllib_independent import main

    (result,) = main(["--paper", paper, "--iterations", "1", "--horizon", "30"])
    returns = result["env_runners"]["agent_episode_returns_mean"]
    expected = {"vcg_learn": {"agent_0", "agent_1", "agent_2"}, "joint_ads": {"merchant", "brand"}}[paper]
    assert set(returns) == expected and np.all(np.isfinite(list(returns.values())))
    assert set(result["learners"]) >= expected  # one learner module per agent
