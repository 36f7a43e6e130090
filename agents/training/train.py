"""Train an RL manipulator: one agent's reporting strategy against a learning mechanism.

    python -m agents.training.train --env-id mdbf_envs/VCGLearnOPT-v0 --timesteps 50000 --out runs/
    python -m agents.training.train --help        # every option, its default and what it does

CleanRL-style: hyperparameters at the top, a ``make_env`` thunk, one ``train`` function. The
policy acts through the Gymnasium single-agent view: its action a in [-1, 1] moves the report
away from the truthful one (a = 0 is truthful). The run directory gets ``model.zip``,
``config.json`` (env id and kwargs, seeds, hyperparameters, library versions) and tensorboard
logs.
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import gymnasium as gym
import numpy as np
import tyro
from gymnasium.vector import AutoresetMode
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecMonitor

import mdbf_envs
from agents.cli_types import JsonObject, plain
from agents.run_dir import new_run_dir, write_json
from agents.search.ppo import PPOConfig
from agents.training.sb3_vec_env import SB3VecEnv
from baselines.strategies import scripted
from mdbf_envs.core.checks import check_real

ALGOS = ("ppo", "sac", "recurrent_ppo")


@dataclass
class Args(PPOConfig):
    """Train an RL manipulator on a plain single-agent view (for paired, decision-point training
    see :mod:`agents.search.ppo`). PPO's hyperparameters are :class:`agents.search.ppo.PPOConfig`'s
    (SAC takes the ones it shares), with defaults for the plain views."""

    env_id: str = "mdbf_envs/VCGLearnOPT-v0"
    """a registered Gymnasium id (``mdbf_envs/VCGLearn-v0``, ``VCGLearnETC-v0``, ``VCGLearnOPT-v0``, ``JointAds-v0``)"""
    env_kwargs: JsonObject = field(default_factory=dict)
    """keyword arguments of the env, a JSON object on the command line, e.g. '{"horizon": 500, "zeta": "etc"}'"""
    agent: str | None = None
    """the controlled agent (default: the env's first)"""
    others: str = "truthful"
    """the other agents' strategy: 'truthful' or a name of baselines.strategies.scripted()"""
    algo: Literal["ppo", "sac", "recurrent_ppo"] = "ppo"
    """the SB3 algorithm"""
    deviation_scale: float = 0.5
    """the report moves by at most this much from truthful"""
    timesteps: int = 50_000
    """environment steps to train for (>= 1)"""
    num_envs: int = 4
    """parallel env copies (>= 1)"""
    learning_rate: float = 3e-4
    """optimizer step size"""
    n_steps: int = 512
    """steps per env per update (PPO and recurrent PPO)"""
    batch_size: int = 256
    """minibatch size"""
    gamma: float = 0.995
    """discount: reports move future prices, so look far ahead"""
    gae_lambda: float = 0.95
    """GAE lambda (PPO and recurrent PPO)"""
    log_std_init: float = -1.0
    """initial log sd of the Gaussian policy: start close to truthful play"""
    progress_bar: bool = True
    """show a progress bar"""
    out: Path = Path("runs")
    """parent folder of the run directory (named by run_name(), never overwritten)"""

    def check(self) -> None:
        """Refuse a bad configuration before any work, naming the option."""
        PPOConfig.check(self)
        check_real("--deviation-scale", self.deviation_scale, positive=True)
        if not isinstance(self.env_kwargs, dict):
            raise ValueError(f"--env-kwargs {self.env_kwargs!r} must be a JSON object")
        if self.algo not in ALGOS:
            raise ValueError(f"--algo {self.algo!r}; use one of {ALGOS}")
        if self.others != "truthful" and self.others not in scripted():
            raise ValueError(f"--others {self.others!r}; use 'truthful' or one of {sorted(scripted())}")
        if self.env_id not in gym.registry:
            raise ValueError(
                f"--env-id {self.env_id!r} is not registered; mdbf_envs ids: "
                f"{sorted(k for k in gym.registry if k.startswith('mdbf_envs/'))}"
            )

    def run_name(self) -> str:
        """``<id>[_<zeta>]_<algo>_seed<seed>_<time>``: names what the run trained on, never collides."""
        zeta = self.env_kwargs.get("zeta")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return "_".join([self.env_id.split("/")[-1], *([zeta] if zeta else []), self.algo, f"seed{self.seed}", stamp])


def other_strategy(name: str):
    """The batch strategy of the non-controlled agents, by name ("truthful", None to the env,
    works in every env; the scripted VCG strategies in the VCG-Learn envs)."""
    if name == "truthful":
        return None
    table = scripted()
    if name not in table:
        raise KeyError(f"unknown strategy {name!r}; use 'truthful' or one of {sorted(table)}")
    return table[name]


def make_env(args: Args, idx: int, others=None):
    """A thunk for one monitored copy of the env (seeded at reset by the vec env); ``others``
    (a policy) overrides ``args.others``."""

    def thunk():
        env = gym.make(
            args.env_id,
            agent=args.agent,
            others=others or other_strategy(args.others),
            deviation_scale=args.deviation_scale,
            **args.env_kwargs,
        )
        return Monitor(env)

    return thunk


def build_model(args: Args, env, tensorboard_log: str | None):
    """The SB3 model named by ``args.algo``; the hyperparameters every algorithm shares are
    written once."""
    ppo = {**args.sb3_kwargs(), "tensorboard_log": tensorboard_log, "verbose": 0, "device": "cpu"}
    if args.algo == "ppo":
        return PPO("MlpPolicy", env, **ppo)
    if args.algo == "sac":
        shared = ("learning_rate", "gamma", "batch_size", "seed", "tensorboard_log", "verbose", "device")
        return SAC("MlpPolicy", env, **{k: ppo[k] for k in shared}, policy_kwargs={"log_std_init": args.log_std_init})
    from sb3_contrib import RecurrentPPO

    ppo["policy_kwargs"] = {"log_std_init": args.log_std_init}  # the LSTM policy keeps its own layers
    return RecurrentPPO("MlpLstmPolicy", env, **ppo)


def make_vec_env(args: Args, others=None) -> VecEnv:
    """The training VecEnv: the id's native vector env (one batched market, as fast as a few
    single copies) when it has one and the others are truthful; else a DummyVecEnv of monitored
    copies. Both step alike for the same seed (copy r is seeded ``seed + r``)."""
    if others is None and args.others == "truthful" and gym.spec(args.env_id).vector_entry_point is not None:
        native = gym.make_vec(
            args.env_id,
            num_envs=args.num_envs,
            autoreset_mode=AutoresetMode.SAME_STEP,
            agent=args.agent,
            deviation_scale=args.deviation_scale,
            **args.env_kwargs,
        )
        env = VecMonitor(SB3VecEnv(native))
    else:
        env = DummyVecEnv([make_env(args, i, others) for i in range(args.num_envs)])
    env.seed(args.seed)
    return env


def train(args: Args, run_dir: Path | None = None, others=None):
    """Train and (if ``run_dir``) save the model and its config; returns the model. ``others``
    (a batch strategy, e.g. a learned one) overrides the named ``args.others``. The run directory
    is written whole or not at all (:func:`agents.run_dir.new_run_dir`); an existing one is refused."""
    args.check()
    if run_dir is None:
        return _learn(args, make_vec_env(args, others), None)
    with new_run_dir(run_dir) as tmp:
        env = make_vec_env(args, others)
        try:
            import tensorboard  # noqa: F401

            tb = str(tmp / "tb")
        except ImportError:
            tb = None
        model = _learn(args, env, tb)
        model.save(tmp / "model.zip")
        import stable_baselines3
        import torch

        config = {
            **asdict(args),
            "out": str(args.out),
            "versions": {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "gymnasium": gym.__version__,
                "stable_baselines3": stable_baselines3.__version__,
                "torch": torch.__version__,
                "mdbf_envs": mdbf_envs.__version__,
            },
        }
        write_json(tmp / "config.json", config)
    return model


def _learn(args: Args, env: VecEnv, tb: str | None):
    """Build the model, learn, close the env."""
    model = build_model(args, env, tb)
    try:
        model.learn(total_timesteps=args.timesteps, progress_bar=args.progress_bar)
    finally:
        env.close()
    return model


def main(argv: list[str] | None = None):
    args = tyro.cli(Args, args=argv, description=plain(__doc__), prog="python -m agents.training.train")
    try:
        args.check()
    except (ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    run_dir = args.out / args.run_name()
    try:
        train(args, run_dir)
    except (FileExistsError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("train: interrupted; nothing was written", file=sys.stderr)
        raise SystemExit(130) from None
    print(f"saved {run_dir / 'model.zip'}")
    return run_dir


if __name__ == "__main__":
    main()
