"""All agents learn at the same time: one PPO policy shared by every agent (parameter sharing).

    python -m agents.training.train_shared --zeta opt --horizon 2000 --timesteps 100000 --out runs/

Each agent of the PettingZoo VCG-Learn env reports truthful + scale * a with a from the shared
policy (its own observation in, its own action out). The run directory gets ``model.zip`` and
``config.json``; the script prints the mean episode utility of every agent under the learned
joint policy and under truthful play, on the same seeds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from stable_baselines3 import PPO

from agents.cli_types import plain
from agents.run_dir import new_run_dir, write_json
from agents.training.shared_vec_env import SharedPolicyVecEnv
from mdbf_envs import vcg_learn_v0
from mdbf_envs.core.checks import check_int, check_real
from mdbf_envs.envs.single_agent import deviation_to_action
from mdbf_envs.registry import make_scenario


def evaluate(model, env_kwargs: dict, seeds: list[int], deviation_scale: float) -> dict[str, np.ndarray]:
    """Mean episode reward of every agent, with the shared policy and with truthful play."""
    out = {}
    for label in ("learned", "truthful"):
        totals = []
        for seed in seeds:
            env = vcg_learn_v0.parallel_env(**env_kwargs)
            obs, _ = env.reset(seed=seed)
            total = dict.fromkeys(env.agents, 0.0)
            while env.agents:
                acts = {}
                for a in env.agents:
                    act = env.truthful_action(a)
                    if label == "learned":
                        dev, _ = model.predict(obs[a], deterministic=True)
                        space = env.action_space(a)
                        act = deviation_to_action(act, dev, deviation_scale, space.low, space.high)
                    acts[a] = act
                obs, rew, *_ = env.step(acts)
                for a, r in rew.items():
                    total[a] += r
            totals.append(list(total.values()))
        out[label] = np.mean(totals, axis=0)
    return out


def train_shared(
    env_kwargs: dict,
    timesteps: int,
    seed: int = 0,
    deviation_scale: float = 0.5,
    num_envs: int = 1,
    progress_bar: bool = True,
) -> PPO:
    """One PPO policy trained for every agent of the VCG-Learn env at once."""
    venv = SharedPolicyVecEnv(lambda: vcg_learn_v0.parallel_env(**env_kwargs), num_envs, deviation_scale, seed)
    n_steps = min(512, env_kwargs.get("horizon", 2000))
    model = PPO(
        "MlpPolicy",
        venv,
        n_steps=n_steps,
        batch_size=n_steps,
        gamma=0.999,
        seed=seed,
        policy_kwargs={"log_std_init": -1.0},
        verbose=0,
    )
    return model.learn(timesteps, progress_bar=progress_bar)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m agents.training.train_shared",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scenario", default="single_item", help="a registered scenario (default single_item)")
    parser.add_argument("--zeta", choices=("etc", "opt"), default="opt", help="VCG-Learn variant (default opt)")
    parser.add_argument("--horizon", type=int, default=2000, help="rounds per episode (default 2000)")
    parser.add_argument("--timesteps", type=int, default=100_000, help="PPO steps over all agents (default 100000)")
    parser.add_argument("--num-envs", type=int, default=1, help="env copies, seeded apart (default 1)")
    parser.add_argument("--deviation-scale", type=float, default=0.5, help="report = X + scale a (default 0.5)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--eval-episodes", type=int, default=5, help="evaluation episodes (default 5)")
    parser.add_argument("--out", type=Path, default=Path("runs"), help="parent folder of the run (default runs)")
    parser.add_argument("--progress-bar", action=argparse.BooleanOptionalAction, default=True, help="show progress")
    args = parser.parse_args(argv)
    try:
        for name in ("horizon", "timesteps", "num_envs", "eval_episodes"):
            check_int(f"--{name.replace('_', '-')}", getattr(args, name), 1)
        check_real("--deviation-scale", args.deviation_scale, positive=True)
        check_int("--seed", args.seed, 0, 2**32 - 10_002)  # evaluation seeds start at 10 000 + seed
        make_scenario(args.scenario)
    except (ValueError, TypeError, KeyError) as err:
        print(f"error: {err.args[0] if isinstance(err, KeyError) else err}", file=sys.stderr)
        raise SystemExit(2) from None
    env_kwargs = {"scenario": args.scenario, "zeta": args.zeta, "horizon": args.horizon}
    run_dir = args.out / f"shared_{args.scenario}_{args.zeta}_seed{args.seed}"
    try:
        with new_run_dir(run_dir) as tmp:
            model = train_shared(
                env_kwargs, args.timesteps, args.seed, args.deviation_scale, args.num_envs, args.progress_bar
            )
            model.save(tmp / "model.zip")
            seeds = [10_000 + args.seed + k for k in range(args.eval_episodes)]
            result = evaluate(model, env_kwargs, seeds, args.deviation_scale)
            report = {
                "config": {**vars(args), "out": str(args.out)},
                "eval_seeds": seeds,
                "mean_utility": {k: v.tolist() for k, v in result.items()},
            }
            write_json(tmp / "config.json", report)
    except FileExistsError as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt:
        print("train_shared: interrupted; nothing was written", file=sys.stderr)
        raise SystemExit(130) from None
    names = make_scenario(args.scenario).agent_names
    print("mean episode utility per agent (" + ", ".join(result) + "):")
    for k, name in enumerate(names):
        print(f"{name:>14}: " + "  ".join(f"{label} {values[k]:8.2f}" for label, values in result.items()))
    return report
