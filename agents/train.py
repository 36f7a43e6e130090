"""Train an RL manipulator: one agent's reporting strategy against a learning mechanism.

    python -m agents.train --env-id mdbf_envs/VCGLearnOPT-v0 --timesteps 50000 --out runs/

CleanRL-style: hyperparameters at the top, a ``make_env`` thunk, one ``train`` function. The
policy acts through the Gymnasium single-agent view: its action a in [-1, 1] moves the report
away from the truthful one (a = 0 is truthful). The run directory gets ``model.zip``,
``config.json`` (env id and kwargs, seeds, hyperparameters, library versions) and tensorboard
logs.
"""

from __future__ import annotations

import argparse
import json
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecMonitor

import mdbf_envs  # noqa: F401  registers the mdbf_envs/ ids
from agents.sb3_vec_env import SB3VecEnv
from baselines.strategies import as_policy, scripted
from mdbf_envs.envs.single_agent import truthful

ALGOS = ("ppo", "sac", "recurrent_ppo")


@dataclass
class Args:
    env_id: str = "mdbf_envs/VCGLearnOPT-v0"
    env_kwargs: dict = field(default_factory=dict)  # e.g. {"horizon": 2000, "scenario": "paas"}
    agent: str | None = None  # controlled agent (default: the first)
    others: str = "truthful"  # a scripted strategy name (baselines.strategies.scripted) for the rest
    algo: str = "ppo"
    timesteps: int = 50_000
    seed: int = 0
    n_envs: int = 4
    deviation_scale: float = 0.5
    learning_rate: float = 3e-4
    n_steps: int = 512  # per env, per update (PPO)
    batch_size: int = 256
    gamma: float = 0.995  # reports move future prices: look far ahead
    gae_lambda: float = 0.95
    ent_coef: float = 0.0
    log_std_init: float = -1.0  # start close to truthful play
    progress_bar: bool = True


def other_policy(name: str):
    """The policy of the non-controlled agents, by strategy name ("truthful" works in every
    env; the scripted VCG strategies in the VCG-Learn envs)."""
    if name == "truthful":
        return truthful
    table = scripted()
    if name not in table:
        raise KeyError(f"unknown strategy {name!r}; use 'truthful' or one of {sorted(table)}")
    return as_policy(table[name])


def make_env(args: Args, idx: int, others=None):
    """A thunk for one monitored copy of the env (seeded at reset by the vec env); ``others``
    (a policy) overrides ``args.others``."""

    def thunk():
        env = gym.make(args.env_id, agent=args.agent, others=others or other_policy(args.others),
                       deviation_scale=args.deviation_scale, **args.env_kwargs)
        return Monitor(env)

    return thunk


def build_model(args: Args, env, tensorboard_log: str | None):
    """The SB3 model named by ``args.algo``."""
    policy_kwargs = {"log_std_init": args.log_std_init}
    if args.algo == "ppo":
        return PPO("MlpPolicy", env, learning_rate=args.learning_rate, n_steps=args.n_steps,
                   batch_size=args.batch_size, gamma=args.gamma, gae_lambda=args.gae_lambda,
                   ent_coef=args.ent_coef, policy_kwargs=policy_kwargs, seed=args.seed,
                   tensorboard_log=tensorboard_log, verbose=0)
    if args.algo == "sac":
        return SAC("MlpPolicy", env, learning_rate=args.learning_rate, gamma=args.gamma,
                   batch_size=args.batch_size, policy_kwargs=policy_kwargs, seed=args.seed,
                   tensorboard_log=tensorboard_log, verbose=0)
    if args.algo == "recurrent_ppo":
        from sb3_contrib import RecurrentPPO

        return RecurrentPPO("MlpLstmPolicy", env, learning_rate=args.learning_rate, n_steps=args.n_steps,
                            batch_size=args.batch_size, gamma=args.gamma, gae_lambda=args.gae_lambda,
                            policy_kwargs=policy_kwargs, seed=args.seed, tensorboard_log=tensorboard_log, verbose=0)
    raise ValueError(f"algo = {args.algo!r}; use one of {ALGOS}")


def make_vec_env(args: Args, others=None) -> VecEnv:
    """The training VecEnv: the id's native vector env (one batched market, as fast as a few
    single copies) when it has one and the others are truthful; else a DummyVecEnv of monitored
    copies. Both step alike for the same seed (copy r is seeded ``seed + r``)."""
    if others is None and args.others == "truthful" and gym.spec(args.env_id).vector_entry_point is not None:
        native = gym.make_vec(args.env_id, num_envs=args.n_envs, autoreset_mode=AutoresetMode.SAME_STEP,
                              agent=args.agent, deviation_scale=args.deviation_scale, **args.env_kwargs)
        env = VecMonitor(SB3VecEnv(native))
    else:
        env = DummyVecEnv([make_env(args, i, others) for i in range(args.n_envs)])
    env.seed(args.seed)
    return env


def train(args: Args, run_dir: Path | None = None, others=None):
    """Train and (if ``run_dir``) save the model and its config; returns the model. ``others``
    (a policy object, e.g. a learned one) overrides the named ``args.others``."""
    env = make_vec_env(args, others)
    tb = None
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        try:
            import tensorboard  # noqa: F401

            tb = str(run_dir / "tb")
        except ImportError:
            pass
    model = build_model(args, env, tb)
    model.learn(total_timesteps=args.timesteps, progress_bar=args.progress_bar)
    if run_dir is not None:
        model.save(run_dir / "model.zip")
        import stable_baselines3
        import torch

        config = {**asdict(args), "versions": {"python": platform.python_version(), "numpy": np.__version__,
                  "gymnasium": gym.__version__, "stable_baselines3": stable_baselines3.__version__,
                  "torch": torch.__version__, "mdbf_envs": mdbf_envs.__version__}}
        (run_dir / "config.json").write_text(json.dumps(config, indent=2))
    env.close()
    return model


def main(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Args()
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
        elif isinstance(value, dict):
            parser.add_argument(flag, type=json.loads, default=value, help="JSON object")
        else:
            parser.add_argument(flag, type=type(value) if value is not None else str, default=value)
    parser.add_argument("--out", type=Path, default=Path("runs"))
    ns = vars(parser.parse_args(argv))
    out = ns.pop("out")
    args = Args(**ns)
    run_dir = out / f"{args.env_id.split('/')[-1]}_{args.algo}_seed{args.seed}"
    train(args, run_dir)
    print(f"saved {run_dir / 'model.zip'}")


if __name__ == "__main__":
    main()
