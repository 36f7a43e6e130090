"""Every agent learns at once with stable-baselines3, through SuperSuit's parameter sharing.

    pip install -e ".[train,clients]"
    python -m examples.sb3_supersuit --paper joint_ads --timesteps 2048

One PPO policy acts for every agent of every copy (:func:`agents.training.supersuit.shared_policy_vec_env`:
SuperSuit's chain with ``PPO(seed=...)`` working and truncation marked for bootstrapping);
each agent's action is a deviation from its truthful report. Prints the mean episode return
per agent of the trained policy beside truthful play's.
"""

from __future__ import annotations

import argparse

import numpy as np


def mean_return(env, policy=None, episodes: int = 4, seed: int = 100) -> float:
    """Mean per-agent return over ``episodes`` of a fresh copy (``policy`` None: truthful, a = 0)."""
    from mdbf_envs.envs.deviation import DeviationWrapper

    total = []
    for k in range(episodes):
        par = DeviationWrapper(env())
        obs, _ = par.reset(seed=seed + k)
        returns = dict.fromkeys(par.agents, 0.0)
        while par.agents:
            actions = {}
            for agent in par.agents:
                if policy is None:
                    actions[agent] = np.zeros(1, np.float32)
                else:
                    actions[agent] = policy.predict(obs[agent], deterministic=True)[0]
            obs, rewards, *_ = par.step(actions)
            for agent, r in rewards.items():
                returns[agent] += r
        total.append(np.mean(list(returns.values())))
    return float(np.mean(total))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m examples.sb3_supersuit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--paper", choices=("vcg_learn", "joint_ads"), default="vcg_learn")
    parser.add_argument("--timesteps", type=int, default=4096)
    parser.add_argument("--horizon", type=int, default=100)
    parser.add_argument("--num-envs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from stable_baselines3 import PPO

    import mdbf_envs
    from agents.training.supersuit import shared_policy_vec_env

    module = mdbf_envs.vcg_learn_v0 if args.paper == "vcg_learn" else mdbf_envs.joint_ads_v0
    make = lambda: module.parallel_env(horizon=args.horizon)
    vec = shared_policy_vec_env(make(), num_envs=args.num_envs)
    n_steps = max(16, min(args.timesteps // vec.num_envs, 256))
    model = PPO(
        "MlpPolicy",
        vec,
        seed=args.seed,
        n_steps=n_steps,
        batch_size=n_steps * vec.num_envs // 4,
        verbose=0,
        device="cpu",
    )
    model.learn(args.timesteps)
    result = {"truthful": mean_return(make), "learned": mean_return(make, model.policy)}
    print(f"{args.paper}: mean return per agent, truthful {result['truthful']:.3f}, shared PPO {result['learned']:.3f}")
    return result


if __name__ == "__main__":
    main()
