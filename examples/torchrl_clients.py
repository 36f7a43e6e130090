"""The envs in TorchRL: PettingZoo envs through ``PettingZooWrapper``, Gymnasium ids through
``GymEnv``, and the native vector envs through ``GymWrapper``.

    pip install -e ".[clients]"
    python -m examples.torchrl_clients

TorchRL's ``PettingZooEnv(task=...)`` knows only PettingZoo's bundled tasks: wrap an env object
with ``PettingZooWrapper`` instead (here with every action a deviation from truthful play).
``GymWrapper`` refuses Gymnasium's default ``NEXT_STEP`` autoreset of vector envs; build the
vector env with ``autoreset_mode="SameStep"``, which every vector env of this package takes.
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m examples.torchrl_clients",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args(argv)
    import gymnasium as gym
    from torchrl.envs import GymEnv, GymWrapper, PettingZooWrapper

    import mdbf_envs
    from mdbf_envs.envs.deviation import DeviationWrapper

    out = {}
    for name, module in (("vcg_learn", mdbf_envs.vcg_learn_v0), ("joint_ads", mdbf_envs.joint_ads_v0)):
        env = PettingZooWrapper(DeviationWrapper(module.parallel_env(horizon=args.steps)), use_mask=False)
        out[name] = tuple(env.rollout(args.steps).batch_size)
    single = GymEnv("mdbf_envs/VCGLearnManipulationETC-v0", horizon=200)
    out["manipulation"] = tuple(single.rollout(args.steps).batch_size)  # one ETC episode: its decisions
    vector = GymWrapper(
        gym.make_vec("mdbf_envs/VCGLearnOPT-v0", num_envs=4, autoreset_mode="SameStep", horizon=args.steps // 2)
    )
    out["vector"] = tuple(vector.rollout(args.steps, break_when_any_done=False).batch_size)
    for key, shape in out.items():
        print(f"{key}: rollout of batch size {shape}")
    return out


if __name__ == "__main__":
    main()
