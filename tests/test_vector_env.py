"""The native vector env against Gymnasium's own SyncVectorEnv of single views, and its SB3 adapter."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import mdbf_envs  # noqa: F401
from baselines.strategies import Truthful
from mdbf_envs.envs.vcg_learn_vector import VCGLearnVectorEnv


def assert_same(a, b, where="") -> None:
    """Equal values, dtypes, keys and nesting (dicts, object arrays of arrays, arrays)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys {a.keys()} vs {getattr(b, 'keys', b)}"
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (tuple, list)):
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{k}]")
    else:
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        if a.dtype == object:
            for k, (x, y) in enumerate(zip(a, b, strict=True)):
                assert_same(x, y, f"{where}[{k}]")
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)


def trajectory(env, steps: int, seed: int | None) -> list:
    actions = np.random.default_rng(1).uniform(-1, 1, (steps, env.num_envs, 1)).astype(np.float32)
    out = [env.reset(seed=seed)]
    out += [env.step(a) for a in actions]
    return out


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"horizon": 7, "designer_info": True},
        {
            "horizon": 5,
            "reward_mode": "realised",
            "publish": ["prices", "outcome"],
            "agent": "advertiser_2",
            "scenario": "online_ads",
            "deviation_scale": 0.5,
        },
        {"horizon": 6, "scenario": "paas", "bids": {"customer_1": [0.0, 0.4, 0.7]}},
    ],
    ids=["single-item-designer-info", "online-ads-bernoulli-published", "paas-bidder"],
)
def test_vector_env_plays_exactly_like_gymnasium_sync_vector_env(mode, kwargs):
    """Copy r of the batched market = Gymnasium's SyncVectorEnv copy r, step by step, across
    autoresets: observations, rewards, flags and (nested) infos, values and dtypes."""
    native = gym.make_vec("mdbf_envs/VCGLearnOPT-v0", num_envs=3, autoreset_mode=mode, **kwargs)
    sync = gym.make_vec(
        "mdbf_envs/VCGLearnOPT-v0",
        num_envs=3,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": mode},
        **kwargs,
    )
    assert isinstance(native, VCGLearnVectorEnv) and native.metadata["autoreset_mode"] == mode
    assert native.observation_space == sync.observation_space and native.action_space == sync.action_space
    for k, (a, b) in enumerate(zip(trajectory(native, 20, 5), trajectory(sync, 20, 5), strict=True)):
        assert_same(a, b, f"step {k}")
    # reseeding replays; no seed continues each copy's own stream, as the single views do
    assert_same(trajectory(native, 3, None), trajectory(sync, 3, None), "unseeded reset")
    assert_same(trajectory(native, 3, [7, 8, 9]), trajectory(sync, 3, [7, 8, 9]), "seed list")


def test_vector_env_rejects_bad_input():
    env = gym.make_vec("mdbf_envs/VCGLearnOPT-v0", num_envs=2, horizon=3)
    with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
        env.step(np.zeros((2, 1)))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions have shape \(2,\), expected \(2, 1\)"):
        env.step(np.zeros(2))
    with pytest.raises(ValueError, match=r"action of env 1 = \[nan\] must be one number in \[-1, 1\]"):
        env.step(np.array([[0.0], [np.nan]]))
    with pytest.raises(ValueError, match=r"action of env 0 = \[1.5\]"):
        env.step(np.array([[1.5], [0.0]]))
    with pytest.raises(ValueError, match="3 seeds for 2 envs"):
        env.reset(seed=[1, 2, 3])
    with pytest.raises(ValueError, match="unknown agent 'nobody'"):
        gym.make_vec("mdbf_envs/VCGLearn-v0", num_envs=2, agent="nobody")
    with pytest.raises(ValueError, match="vectorization_mode='sync'"):
        gym.make_vec("mdbf_envs/VCGLearn-v0", num_envs=2, others=lambda *a: 0.0)
    with pytest.raises(ValueError, match="autoreset_mode"):
        gym.make_vec("mdbf_envs/VCGLearn-v0", num_envs=2, autoreset_mode=AutoresetMode.DISABLED)


def test_sb3_adapter_steps_like_dummy_vec_env_and_trains_the_same_model():
    """SB3VecEnv over the native vector env = DummyVecEnv of single views with SB3's seeding:
    observations, rewards, dones, infos (terminal observation included); so PPO learns the
    same parameters on both."""
    torch = pytest.importorskip("torch")
    from stable_baselines3.common.vec_env import DummyVecEnv

    from agents.training.sb3_vec_env import SB3VecEnv
    from agents.training.train import Args, make_vec_env, train

    kwargs = {"horizon": 6, "designer_info": True}
    native = SB3VecEnv(gym.make_vec("mdbf_envs/VCGLearnETC-v0", num_envs=3, autoreset_mode="SameStep", **kwargs))
    dummy = DummyVecEnv([lambda: gym.make("mdbf_envs/VCGLearnETC-v0", **kwargs)] * 3)
    actions = np.random.default_rng(0).uniform(-1, 1, (18, 3, 1)).astype(np.float32)
    for venv in (native, dummy):
        venv.seed(4)
    assert_same(native.reset(), dummy.reset())
    assert native.reset_infos == dummy.reset_infos
    for a in actions:
        (obs, rew, done, info), (obs2, rew2, done2, info2) = native.step(a), dummy.step(a)
        assert_same((obs, rew, done), (obs2, rew2, done2))
        for x, y in zip(info, info2, strict=True):
            assert_same(x, y)
    assert done.all() and info[0]["TimeLimit.truncated"] and "terminal_observation" in info[0]  # episode 3 ends
    args = Args(env_kwargs={"horizon": 30}, timesteps=256, num_envs=4, n_steps=64, batch_size=64, progress_bar=False)
    assert isinstance(make_vec_env(args).unwrapped, SB3VecEnv)
    fast = train(args)
    slow = train(args, others=Truthful())  # a strategy object forces DummyVecEnv
    for p, q in zip(fast.policy.parameters(), slow.policy.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
