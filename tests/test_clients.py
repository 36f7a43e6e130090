"""The field's clients on this package's envs: PettingZoo's deviation wrapper, SB3 through
SuperSuit (with its seed and truncation pitfalls mended), and TorchRL. Tests of an optional
client skip when it is not installed."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

import mdbf_envs
from mdbf_envs.envs.deviation import DeviationWrapper

PAPERS = {"vcg_learn": mdbf_envs.vcg_learn_v0, "joint_ads": mdbf_envs.joint_ads_v0}


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_the_deviation_wrapper_passes_the_parallel_api_test(paper):
    parallel_api_test(DeviationWrapper(PAPERS[paper].parallel_env(horizon=25)), num_cycles=30)


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_a_zero_deviation_plays_exactly_the_truthful_episode(paper):
    wrapped = DeviationWrapper(PAPERS[paper].parallel_env(horizon=40), deviation_scale=2.0)
    plain = PAPERS[paper].parallel_env(horizon=40)
    wrapped.reset(seed=3)
    plain.reset(seed=3)
    assert all(wrapped.action_space(a).shape == (1,) and wrapped.action_space(a).high[0] == 1 for a in wrapped.agents)
    while plain.agents:
        got = wrapped.step({a: np.zeros(1, np.float32) for a in wrapped.agents})
        want = plain.step({a: plain.truthful_action(a) for a in plain.agents})
        assert got[1] == want[1]


def test_the_deviation_wrapper_refuses_what_lies_outside_its_box():
    env = DeviationWrapper(mdbf_envs.vcg_learn_v0.parallel_env(horizon=5))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action of agent_0 = \[1.5\] must be one number in \[-1, 1\]"):
        env.step({a: np.full(1, 1.5 if a == "agent_0" else 0.0, np.float32) for a in env.agents})
    with pytest.raises(ValueError, match="deviation_scale = 0"):
        DeviationWrapper(mdbf_envs.vcg_learn_v0.parallel_env(), deviation_scale=0)


def _params(model) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.policy.parameters()]


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_sb3_through_supersuit_takes_a_seed_and_repeats_itself(paper):
    pytest.importorskip("supersuit")
    from stable_baselines3 import PPO

    from agents.training.supersuit import shared_policy_vec_env

    models = []
    for _ in range(2):
        vec = shared_policy_vec_env(PAPERS[paper].parallel_env(horizon=30), num_envs=2)
        models.append(PPO("MlpPolicy", vec, seed=7, n_steps=32, batch_size=32, verbose=0, device="cpu").learn(128))
    for a, b in zip(_params(models[0]), _params(models[1]), strict=True):
        np.testing.assert_array_equal(a, b)


def test_supersuit_copies_are_seeded_apart_and_truncation_is_marked():
    pytest.importorskip("supersuit")
    from agents.training.supersuit import shared_policy_vec_env

    vec = shared_policy_vec_env(mdbf_envs.joint_ads_v0.parallel_env(horizon=3), num_envs=2)
    vec.seed(11)
    obs = vec.reset()
    assert obs.shape == (4, 5) and not np.array_equal(obs[:2], obs[2:])  # two copies, distinct values
    for _ in range(3):
        vec.step_async(np.zeros((4, 1), np.float32))
        _, _, dones, infos = vec.step_wait()
    assert dones.all() and all(info.get("TimeLimit.truncated") for info in infos)


def test_the_supersuit_example_runs():
    pytest.importorskip("supersuit")
    from examples.sb3_supersuit import main

    result = main(["--paper", "joint_ads", "--timesteps", "256", "--horizon", "20"])
    assert set(result) == {"truthful", "learned"} and np.isfinite(list(result.values())).all()


def test_the_torchrl_example_rolls_out_both_papers_and_the_vector_env():
    pytest.importorskip("torchrl")
    from examples.torchrl_clients import main

    shapes = main(["--steps", "40"])
    assert shapes["vcg_learn"] == (40,) and shapes["joint_ads"] == (40,) and shapes["vector"] == (4, 40)
    assert 1 <= shapes["manipulation"][0] <= 40


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_tianshou_collects_with_a_multi_agent_policy_on_box_actions(paper):
    pytest.importorskip("tianshou")
    from examples.tianshou_multiagent import main

    agents = len(PAPERS[paper].parallel_env().possible_agents)
    steps = 2 * 10 * agents  # two episodes of 10 rounds, one agent step each per round
    result = main(["--paper", paper, "--horizon", "10", "--steps", str(steps)])
    assert result["steps"] == steps and result["episodes"] == 2
    assert np.shape(result["returns"]) == (2, agents) and np.isfinite(result["returns"]).all()
