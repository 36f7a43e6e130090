"""Every agent its own policy with RLlib's multi-agent API, on either paper's PettingZoo env.

    pip install torch==2.13.0 && pip install -e ".[rllib]"     # in a venv of its own (below)
    python -m examples.rllib_independent --paper joint_ads --iterations 2

One PPO module per agent (``policy_mapping_fn``: agent -> its own policy), sampling
``ParallelPettingZooEnv`` over the env with every action a deviation from truthful play
(:class:`mdbf_envs.envs.deviation.DeviationWrapper`), so the initial policies report about
truthfully. The same config scales out with ``num_env_runners`` and ``num_learners`` on a Ray
cluster. ``ray[rllib]`` 2.60 pins ``gymnasium==1.2.2``; the package supports it, but installing
it downgrades the gymnasium of the env it goes into, so keep it in its own venv.
"""

from __future__ import annotations

import argparse


def make_env(config: dict):
    """RLlib's env creator: ``{"paper": ..., **env_kwargs}`` -> a ``ParallelPettingZooEnv``."""
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

    import mdbf_envs
    from mdbf_envs.envs.deviation import DeviationWrapper

    kwargs = dict(config)
    module = {"vcg_learn": mdbf_envs.vcg_learn_v0, "joint_ads": mdbf_envs.joint_ads_v0}[kwargs.pop("paper")]
    return ParallelPettingZooEnv(DeviationWrapper(module.parallel_env(**kwargs)))


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(
        prog="python -m examples.rllib_independent",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--paper", choices=("vcg_learn", "joint_ads"), default="joint_ads")
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--horizon", type=int, default=50)
    parser.add_argument("--n-agents", type=int, default=3, help="VCG-Learn: agents of the single-item auction")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import ray
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec
    from ray.tune.registry import register_env

    env_config = {"paper": args.paper, "horizon": args.horizon}
    if args.paper == "vcg_learn":
        env_config["scenario_kwargs"] = {"n_agents": args.n_agents}
    agents = make_env(env_config).par_env.possible_agents
    register_env("mdbf_envs_parallel", make_env)
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    config = (
        PPOConfig()
        .environment("mdbf_envs_parallel", env_config=env_config, clip_actions=True)
        .env_runners(num_env_runners=0)
        .multi_agent(policies=set(agents), policy_mapping_fn=lambda agent_id, *_, **__: agent_id)
        .rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs={a: RLModuleSpec() for a in agents}))
        .training(train_batch_size_per_learner=4 * args.horizon, minibatch_size=2 * args.horizon, num_epochs=2)
        .debugging(seed=args.seed)
    )
    algo = config.build_algo()
    results = []
    for k in range(args.iterations):
        result = algo.train()
        returns = result["env_runners"].get("agent_episode_returns_mean", {})
        print(f"iteration {k + 1}: mean return per agent {dict(sorted(returns.items()))}")
        results.append(result)
    algo.stop()
    ray.shutdown()
    return results


if __name__ == "__main__":
    main()
