"""The CMA-ES manipulator's command line: search a linear reporting policy
(:mod:`agents.policy_search`), evaluate it on held-out pairs, save it.

    python -m agents.search --zeta etc --out runs/                       # Appendix F, ETC, agent 0
    python -m agents.search --paper joint_ads --learner path_learning --horizon 200 --out runs/
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from agents.cli_types import plain
from agents.manipulation_cli import GameArgs, evaluate, save_run
from agents.policy_search import SearchConfig, cma_search


@dataclass
class SearchArgs(GameArgs):
    """CMA-ES over a linear reporting policy; writes ``policy.json`` and ``config.json``."""

    episodes: int = 24_000
    """CMA-ES budget in paired episodes"""
    pairs: int = 8
    """paired episodes per candidate (fresh every generation)"""
    sigma0: float = 0.1
    """initial CMA-ES step size"""


def main(argv: list[str] | None = None) -> Path:
    import sys

    import tyro

    args = tyro.cli(SearchArgs, args=argv, description=plain(__doc__), prog="python -m agents.search")
    try:
        args.check()
        if args.episodes < 1 or args.pairs < 1 or not args.sigma0 > 0:
            raise ValueError(f"--episodes {args.episodes}, --pairs {args.pairs} and --sigma0 {args.sigma0} must be positive")
    except (ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    started = time.time()
    def progress(g: int, generations: int, best: float) -> None:
        if g == generations or g % max(1, generations // 10) == 0:
            print(f"generation {g}/{generations}: best candidate {best:+.2f} on its pairs "
                  f"({time.time() - started:.0f} s)", flush=True)

    found = cma_search(args.make, SearchConfig(args.episodes, args.pairs, sigma0=args.sigma0, seed=args.seed + 1_000),
                       progress)
    result = {**evaluate(args, found.policy), "search_objective": found.objective, "seconds": round(time.time() - started, 1)}
    def save(run_dir: Path) -> Path:
        found.policy.save(run_dir / "policy.json")
        return run_dir / "policy.json"

    return save_run(args, "search", save, result)


if __name__ == "__main__":
    main()
