"""Play the learned policies of two paper-1 audit runs against each other on fresh pairs.

    python scripts/compare_policies.py runA/audit.json runB/audit.json --strategy cma_es --pairs 1024 --seed 777

For every VCG-Learn setting both runs audited (negative controls aside; the first run's
scenario, mechanism, f, g, T and deviation scale), the ``--strategy`` row's
linear policy of each run plays the same ``--pairs`` paired episodes (a seed neither run used);
prints each policy's mean gain and their paired difference (B - A) with its 95% interval. This
is how a smaller search budget is checked against a larger one where no exact optimum exists
(docs/decisions.md#audit-budgets).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from agents.search.cmaes import LinearPolicy
from baselines.strategies import scripted
from mdbf_envs.core.streams import pair_streams
from mdbf_envs.envs.manipulation import paired_market


def policies(report: dict, strategy: str) -> dict[tuple[str, str, str], tuple[float, ...]]:
    return {
        (r["mechanism"], r["others"], r["agent"]): tuple(r["theta"])
        for r in report["rows"]
        if r["strategy"] == strategy and r["paper"] == "vcg_learn" and r["theta"] is not None and not r["control"]
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--strategy", default="cma_es")
    parser.add_argument("--pairs", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=777)
    args = parser.parse_args(argv)
    reports = [json.loads(path.read_text()) for path in (args.a, args.b)]
    a, b = (policies(r, args.strategy) for r in reports)
    config = reports[0]["config"]["vcg_learn"]
    for key in sorted(a.keys() & b.keys()):
        mechanism, others, agent = key
        market = paired_market(
            args.pairs,
            zeta=mechanism.split(":")[1],
            f=config["f"],
            g=config["g"],
            horizon=config["horizon"],
            agent=agent,
            scenario=config["scenario"],
            scenario_kwargs=config["scenario_kwargs"],
            mechanism=config["mechanism"],
            deviation_scale=config["deviation_scale"],
            others=None if others == "truthful" else scripted()[others],
        )
        gains = [
            market.run(LinearPolicy(theta), pair_streams(args.seed, args.pairs, 1, market.draws)).gain
            for theta in (a[key], b[key])
        ]
        diff = gains[1] - gains[0]
        half = 1.96 * diff.std(ddof=1) / np.sqrt(args.pairs)
        print(
            f"{mechanism} {others} {agent}: A {gains[0].mean():+.2f}, B {gains[1].mean():+.2f}, "
            f"B - A {diff.mean():+.2f} [{diff.mean() - half:+.2f}, {diff.mean() + half:+.2f}]"
        )


if __name__ == "__main__":
    main()
