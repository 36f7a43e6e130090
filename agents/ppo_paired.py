"""PPO for a manipulator on paired, decision-point episodes (the audit's learned manipulator).

    python -m agents.ppo_paired --zeta etc --timesteps 120000 --out runs/
    python -m agents.ppo_paired --paper joint_ads --learner path_learning --horizon 200 --use-sde \\
        --n-envs 8 --n-steps 200 --batch-size 400 --timesteps 32000 --out runs/

The agent learns through the paired vector env (:mod:`mdbf_envs.envs.paired`): one step per
decision point, reward = its utility minus that of its truthful shadow on the same draws, gamma
= 1 (a kept report acts for the rest of the episode), scaled observations, N copies in one
batched market. With these the policy-gradient signal is the gain itself, not a small shift
in a noisy episode total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import mdbf_envs  # noqa: F401  registers the ids
from agents.manipulation_cli import GameArgs
from agents.sb3_vec_env import SB3VecEnv
from mdbf_envs.core.paired import BatchStrategy


@dataclass
class PPOConfig:
    """PPO's budget and hyperparameters on paired episodes."""

    timesteps: int = 150_000
    """decision steps in all (under ETC about 43 per Appendix-F episode)"""
    n_envs: int = 32
    """copies in the batched market"""
    n_steps: int = 128
    """steps per copy per update"""
    batch_size: int = 1024
    """minibatch size"""
    n_epochs: int = 10
    """passes over each rollout"""
    learning_rate: float = 1e-3
    """Adam step size"""
    gamma: float = 1.0
    """discount: 1, since a kept report acts for the rest of the episode"""
    gae_lambda: float = 0.98
    """GAE lambda"""
    log_std_init: float = -1.6
    """initial exploration sd exp(-1.6) = 0.2 in action units (0.6 in report units at scale 3)"""
    net_arch: tuple[int, ...] = (64, 64)
    """hidden layers of the policy and value networks"""
    use_sde: bool = False
    """generalized state-dependent exploration: noise fixed for ``sde_sample_freq`` steps (-1: a
    whole rollout), so a perturbation acts consistently over an episode, as a lie must"""
    sde_sample_freq: int = -1
    """steps between gSDE noise resamples (-1: once per rollout)"""
    seed: int = 0
    """seeds the model and the env copies"""


class PPOPolicy:
    """A trained SB3 policy as a :data:`mdbf_envs.core.paired.BatchPolicy` (deterministic)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, features: np.ndarray, rows: np.ndarray) -> np.ndarray:
        action, _ = self.model.predict(features.astype(np.float32), deterministic=True)
        return np.clip(action[:, 0], -1.0, 1.0)


def train_ppo(env_id: str, env_kwargs: Mapping[str, Any], cfg: PPOConfig,
              others: BatchStrategy | Mapping[str, BatchStrategy] | None = None, progress_bar: bool = False):
    """Train PPO on ``env_id``'s paired vector env; returns the SB3 model."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecMonitor

    vec = gym.make_vec(env_id, num_envs=cfg.n_envs, autoreset_mode=AutoresetMode.SAME_STEP, reward_mode="gain",
                       decisions="influential", others=others, **env_kwargs)
    env = VecMonitor(SB3VecEnv(vec))
    env.seed(cfg.seed)
    model = PPO("MlpPolicy", env, learning_rate=cfg.learning_rate, n_steps=cfg.n_steps, batch_size=cfg.batch_size,
                n_epochs=cfg.n_epochs, gamma=cfg.gamma, gae_lambda=cfg.gae_lambda, use_sde=cfg.use_sde,
                sde_sample_freq=cfg.sde_sample_freq,
                policy_kwargs={"log_std_init": cfg.log_std_init, "net_arch": list(cfg.net_arch)},
                seed=cfg.seed, verbose=0, device="cpu")
    model.learn(total_timesteps=cfg.timesteps, progress_bar=progress_bar)
    env.close()
    return model


@dataclass
class PPOArgs(GameArgs, PPOConfig):
    """PPO on paired decision-point episodes; writes ``model.zip`` and ``config.json``."""


def main(argv: list[str] | None = None):
    import sys
    import time

    import tyro

    from agents.manipulation_cli import evaluate, save_run

    args = tyro.cli(PPOArgs, args=argv, description=__doc__)
    try:
        args.check()
        if args.timesteps < 1 or args.n_envs < 1 or args.n_steps < 1 or args.batch_size < 1:
            raise ValueError(f"--timesteps {args.timesteps}, --n-envs {args.n_envs}, --n-steps {args.n_steps} and "
                             f"--batch-size {args.batch_size} must be >= 1")
    except (ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    started = time.time()
    env_id, env_kwargs = args.env()
    cfg = PPOConfig(**{k: getattr(args, k) for k in PPOConfig.__dataclass_fields__})
    model = train_ppo(env_id, env_kwargs, cfg, others=args.other_strategy(), progress_bar=True)
    result = {**evaluate(args, PPOPolicy(model)), "seconds": round(time.time() - started, 1)}
    def save(run_dir):
        model.save(run_dir / "model.zip")
        return run_dir / "model.zip"

    return save_run(args, "ppo", save, result)


if __name__ == "__main__":
    main()
