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

from dataclasses import dataclass

from agents.cli_types import plain
from agents.manipulation_cli import GameArgs
from agents.ppo import PPOConfig, PPOPolicy, train_ppo


@dataclass
class PPOArgs(GameArgs, PPOConfig):
    """PPO on paired decision-point episodes; writes ``model.zip`` and ``config.json``."""


def main(argv: list[str] | None = None):
    import sys
    import time

    import tyro

    from agents.manipulation_cli import evaluate, save_run

    args = tyro.cli(PPOArgs, args=argv, description=plain(__doc__), prog="python -m agents.ppo_paired")
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
