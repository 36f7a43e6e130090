"""The envs in Tianshou 2: a multi-agent policy on Box actions, through ``tianshou.env.PettingZooEnv``.

    pip install -e ".[clients]"
    python -m examples.tianshou_multiagent --paper vcg_learn

Tianshou's ``PettingZooEnv`` wraps an AEC env; here the parallel env with deviation actions
(:class:`mdbf_envs.envs.deviation.DeviationWrapper`) turned AEC. Its ``MultiAgentPolicy`` reads
``batch.obs_next`` while collecting, when the batch has only ``obs`` (``'dict' object has no
attribute 'obs_next'``: a Tianshou defect that masked discrete actions hide);
:class:`BoxMultiAgentPolicy` gives it an empty one. Each agent here follows :class:`Truthful`
(a = 0); a learning policy per agent plugs in the same way.
"""

from __future__ import annotations

import argparse

import numpy as np


def policies():
    """The patched multi-agent policy and a truthful Box policy (built on import of Tianshou)."""
    from tianshou.algorithm.algorithm_base import Policy
    from tianshou.algorithm.multiagent.marl import MultiAgentPolicy
    from tianshou.data import Batch

    class BoxMultiAgentPolicy(MultiAgentPolicy):
        """``MultiAgentPolicy`` that collects with Box actions (module docstring)."""

        def forward(self, batch, state=None, **kwargs):
            if "obs_next" not in batch.get_keys():
                batch.obs_next = Batch()
            return super().forward(batch, state, **kwargs)

    class Truthful(Policy):
        """Every agent reports truthfully: the deviation a = 0."""

        def forward(self, batch, state=None, **kwargs):
            return Batch(act=np.zeros((len(batch.obs), 1), np.float32))

    return BoxMultiAgentPolicy, Truthful


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m examples.tianshou_multiagent",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--paper", choices=("vcg_learn", "joint_ads"), default="joint_ads")
    parser.add_argument("--horizon", type=int, default=20)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    from pettingzoo.utils.conversions import parallel_to_aec
    from tianshou.data import Collector
    from tianshou.env import DummyVectorEnv, PettingZooEnv

    import mdbf_envs
    from mdbf_envs.envs.deviation import DeviationWrapper

    module = {"vcg_learn": mdbf_envs.vcg_learn_v0, "joint_ads": mdbf_envs.joint_ads_v0}[args.paper]

    def make():
        return PettingZooEnv(parallel_to_aec(DeviationWrapper(module.parallel_env(horizon=args.horizon))))

    BoxMultiAgentPolicy, Truthful = policies()
    env = make()
    policy = BoxMultiAgentPolicy({agent: Truthful(action_space=env.action_space) for agent in env.agents})
    collector = Collector(policy, DummyVectorEnv([make]))
    collector.reset()
    stats = collector.collect(n_step=args.steps)
    result = {
        "steps": stats.n_collected_steps,
        "episodes": stats.n_collected_episodes,
        "returns": np.asarray(stats.returns).tolist(),
    }
    print(f"{args.paper}: {result['steps']} agent steps, {result['episodes']} episodes, returns {result['returns']}")
    return result


if __name__ == "__main__":
    main()
