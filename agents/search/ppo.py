"""PPO for a manipulator on paired, decision-point episodes (the audit's learned manipulator):
its hyperparameters (one dataclass for this command and :mod:`agents.training.train`), training,
and the trained policy as a batch policy.

    python -m agents.search.ppo --zeta etc --timesteps 120000 --out runs/
    python -m agents.search.ppo --paper joint_ads --learner path_learning --horizon 200 --use-sde \\
        --num-envs 8 --n-steps 200 --batch-size 400 --timesteps 32000 --out runs/

The agent learns through the manipulation vector env (:mod:`mdbf_envs.envs.manipulation`): one
step per decision point, reward = its utility minus that of its truthful shadow on the same
draws, gamma = 1 (a kept report acts for the rest of the episode), scaled observations, N copies
in one batched market. With these the policy-gradient signal is the gain itself, not a small
shift in a noisy episode total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import mdbf_envs  # noqa: F401  registers the ids
from agents.cli_types import plain
from agents.search.game import GameArgs, evaluate, save_run
from agents.training.sb3_vec_env import SB3VecEnv
from mdbf_envs.core.paired_engine import BatchStrategy


@dataclass
class PPOConfig:
    """PPO's budget and hyperparameters; the defaults are those of paired decision-point
    episodes (:mod:`agents.search.ppo`), and :class:`agents.training.train.Args` restates some for the
    plain views."""

    timesteps: int = 150_000
    """decision steps in all (under ETC about 43 per Appendix-F episode)"""
    num_envs: int = 32
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
    ent_coef: float = 0.0
    """entropy bonus"""
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

    def check(self) -> None:
        """Refuse hyperparameters PPO cannot use, naming the option and what is allowed."""
        from mdbf_envs.core.checks import check_int, check_real

        check_int("--timesteps", self.timesteps, 1)
        check_int("--num-envs", self.num_envs, 1, 4096)
        check_int("--n-steps", self.n_steps, 1)
        check_int("--batch-size", self.batch_size, 2, self.n_steps * self.num_envs)
        check_int("--n-epochs", self.n_epochs, 1)
        check_real("--learning-rate", self.learning_rate, positive=True)
        check_real("--gamma", self.gamma, 0.0, 1.0, positive=True)
        check_real("--gae-lambda", self.gae_lambda, 0.0, 1.0)
        check_real("--ent-coef", self.ent_coef, low=0.0)
        check_real("--log-std-init", self.log_std_init, -20.0, 2.0)
        check_int("--sde-sample-freq", self.sde_sample_freq, -1)
        if not self.net_arch or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in self.net_arch):
            raise ValueError(f"--net-arch {list(self.net_arch)} must be one or more layer widths >= 1")

    def sb3_kwargs(self) -> dict:
        """The keyword arguments of stable-baselines3's ``PPO`` (and ``RecurrentPPO``)."""
        return {
            "learning_rate": self.learning_rate,
            "n_steps": self.n_steps,
            "batch_size": self.batch_size,
            "n_epochs": self.n_epochs,
            "gamma": self.gamma,
            "gae_lambda": self.gae_lambda,
            "ent_coef": self.ent_coef,
            "use_sde": self.use_sde,
            "sde_sample_freq": self.sde_sample_freq,
            "seed": self.seed,
            "policy_kwargs": {"log_std_init": self.log_std_init, "net_arch": list(self.net_arch)},
        }


class PPOPolicy:
    """A trained SB3 policy as a :data:`mdbf_envs.core.paired_engine.BatchPolicy` (deterministic)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, features: np.ndarray, rows: np.ndarray) -> np.ndarray:
        action, _ = self.model.predict(features.astype(np.float32), deterministic=True)
        return np.clip(action[:, 0], -1.0, 1.0)


def train_ppo(
    env_id: str,
    env_kwargs: Mapping[str, Any],
    cfg: PPOConfig,
    others: BatchStrategy | Mapping[str, BatchStrategy] | None = None,
    progress_bar: bool = False,
):
    """Train PPO on a manipulation id's vector env (``mdbf_envs/VCGLearnManipulation-v0``,
    ``mdbf_envs/JointAdsManipulation-v0``); returns the SB3 model."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecMonitor

    vec = gym.make_vec(
        env_id, num_envs=cfg.num_envs, autoreset_mode=AutoresetMode.SAME_STEP, others=others, **env_kwargs
    )
    env = VecMonitor(SB3VecEnv(vec))
    env.seed(cfg.seed)
    model = PPO("MlpPolicy", env, **cfg.sb3_kwargs(), verbose=0, device="cpu")
    model.learn(total_timesteps=cfg.timesteps, progress_bar=progress_bar)
    env.close()
    return model


@dataclass
class PPOArgs(GameArgs, PPOConfig):
    """PPO on paired decision-point episodes; writes ``model.zip`` and ``config.json``."""


def main(argv: list[str] | None = None):
    """The command line (module docstring): train, evaluate on held-out pairs, save."""
    import sys
    import time

    import tyro

    args = tyro.cli(PPOArgs, args=argv, description=plain(__doc__), prog="python -m agents.search.ppo")
    try:
        GameArgs.check(args)
        PPOConfig.check(args)
    except (ValueError, KeyError, TypeError) as err:
        print(f"error: {err.args[0] if isinstance(err, KeyError) else err}", file=sys.stderr)
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
