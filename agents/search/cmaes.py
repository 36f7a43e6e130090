"""Policy search for a manipulator: CMA-ES over a linear reporting policy on common random numbers.

    python -m agents.search.cmaes --zeta etc --out runs/                     # Appendix F, ETC, agent 0
    python -m agents.search.cmaes --paper joint_ads --learner path_learning --horizon 200 --out runs/

The policy is a = clip(w . phi + b, -1, 1) on the paired market's scaled features phi
(:meth:`mdbf_envs.core.paired_engine.PairedMarket.features`), so the agent reports X + scale a at each of
its decision points. Every CMA-ES generation scores all its candidates in *one* batched paired
market: candidate c plays replications c M .. c M + M - 1, and pair m of every candidate draws
from the same generator (common random numbers), which is also fixed across generations (the
PEGASUS idea: fixed draws turn the noisy objective into a deterministic one). The objective is
the mean paired gain, exactly 0 for the truthful policy theta = 0, where the search starts.
CMA-ES is the ``cma`` library's (Hansen).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agents.cli_types import plain
from agents.search.game import GameArgs, evaluate, save_run
from mdbf_envs.core.paired_engine import PairedGame
from mdbf_envs.core.streams import pair_streams


@dataclass(frozen=True)
class LinearPolicy:
    """a = clip(w . phi + b, -1, 1); ``theta`` = (w, b). A :class:`mdbf_envs.core.paired_engine.LinearBatchPolicy`."""

    theta: tuple[float, ...]

    def __call__(self, features: np.ndarray, rows: np.ndarray) -> np.ndarray:
        th = np.asarray(self.theta)
        if th.shape != (features.shape[-1] + 1,):
            raise ValueError(
                f"theta has {th.size} numbers; {features.shape[-1]} features need {features.shape[-1] + 1}"
            )
        return np.clip(features @ th[:-1] + th[-1], -1.0, 1.0)

    def linear_weights(self, replications: int) -> np.ndarray:
        return np.tile(np.asarray(self.theta, dtype=np.float64), (replications, 1))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"kind": "linear", "theta": list(self.theta)}))

    @classmethod
    def load(cls, path: Path) -> LinearPolicy:
        return cls(tuple(json.loads(path.read_text())["theta"]))


class CandidatePolicies:
    """C linear policies in one batch: replication r follows candidate r // M (a
    :class:`mdbf_envs.core.paired_engine.LinearBatchPolicy`)."""

    def __init__(self, thetas: np.ndarray, pairs_per_candidate: int):
        self.thetas, self.M = np.asarray(thetas, dtype=np.float64), pairs_per_candidate

    def __call__(self, features: np.ndarray, rows: np.ndarray) -> np.ndarray:
        th = self.thetas[rows // self.M]
        return np.clip(np.einsum("kd,kd->k", features, th[:, :-1]) + th[:, -1], -1.0, 1.0)

    def linear_weights(self, replications: int) -> np.ndarray:
        return self.thetas[np.arange(replications) // self.M]


@dataclass
class SearchConfig:
    """CMA-ES budget and settings."""

    episodes: int = 24_000
    """total paired episodes over all generations (candidates x pairs per candidate)"""
    pairs: int = 8
    """paired episodes per candidate; all candidates of a generation share them"""
    popsize: int | None = None
    """CMA-ES population (default: the library's 4 + 3 ln d)"""
    sigma0: float = 0.1
    """initial step size in parameter units (features lie in about [0, 1]). Small: with some 20
    features, most of them irrelevant, a larger start pushes most candidates' actions to the
    bound, and the search spends its budget shrinking back (App. F, agent 0 under ETC: 0.81 and
    0.63 of the exact optimum at 0.3, 0.95 and 1.00 at 0.1)"""
    fresh: bool = True
    """draw new pairs every generation (common to its candidates); False: the same pairs in
    every generation (PEGASUS), which overfits when they are few"""
    mirrored: bool = True
    """mirrored sampling: half the candidates are the others reflected about the mean, so
    their comparison on common pairs cancels much of the pairs' noise"""
    final_pairs: int = 256
    """held-apart pairs that pick the returned policy: the distribution's mean or the best
    candidate seen"""
    seed: int = 0

    def check(self) -> None:
        """Refuse a budget or step size CMA-ES cannot use, naming the option."""
        from mdbf_envs.core.checks import check_bool, check_int, check_real

        check_int("episodes", self.episodes, 1)
        check_int("pairs", self.pairs, 1)
        if self.popsize is not None:
            check_int("popsize", self.popsize, 2)
        check_real("sigma0", self.sigma0, positive=True)
        check_bool("fresh", self.fresh)
        check_bool("mirrored", self.mirrored)
        check_int("final_pairs", self.final_pairs, 2)
        check_int("seed", self.seed, 0, 2**32 - 2)  # cma seeds numpy's legacy generator with seed + 1


@dataclass
class SearchResult:
    policy: LinearPolicy
    objective: float  # mean paired gain of the returned policy on the held-apart pairs
    history: list = field(default_factory=list)  # (generation, best, mean) objective


def cma_search(
    make_market: Callable[[int], PairedGame],
    cfg: SearchConfig,
    progress: Callable[[int, int, float], None] | None = None,
) -> SearchResult:
    """CMA-ES over :class:`LinearPolicy`; ``make_market(R)`` builds a paired game of R pairs.

    Every generation scores its candidates on common pairs (candidate c plays pairs c M ..
    c M + M - 1, pair m of every candidate on the same draws); with ``fresh`` the pairs are new
    each generation, so the search follows the expected gain rather than a few fixed draws. The
    returned policy is chosen on ``final_pairs`` pairs that no generation used. ``progress(g,
    generations, best)`` is called after each generation."""
    import cma

    cfg.check()
    probe = make_market(1)
    dim = probe.feature_size + 1
    popsize = cfg.popsize or 4 + int(3 * math.log(dim))
    options = {"popsize": popsize, "seed": cfg.seed + 1, "verbose": -9}
    if cfg.mirrored:
        options["CMA_mirrors"] = popsize // 2
    es = cma.CMAEvolutionStrategy(np.zeros(dim), cfg.sigma0, options)
    draws = probe.draws
    market = make_market(popsize * cfg.pairs)
    history = []
    generations = max(1, cfg.episodes // (popsize * cfg.pairs))
    for g in range(1, generations + 1):
        key = g if cfg.fresh else 0
        xs = np.asarray(es.ask())
        res = market.run(
            CandidatePolicies(xs, cfg.pairs),
            pair_streams([cfg.seed, key], cfg.pairs, len(xs), draws),
            policy_seed=cfg.seed * 100_003 + key,
        )
        values = res.gain.reshape(len(xs), cfg.pairs).mean(axis=1)
        es.tell(list(xs), list(-values))
        history.append((g, float(values.max()), float(values.mean())))
        if progress is not None:
            progress(g, generations, float(values.max()))
    # the distribution's mean or the best candidate seen, whichever scores higher on held-apart pairs
    finals = np.stack([es.result.xfavorite, es.result.xbest])
    final = make_market(2 * cfg.final_pairs)
    res = final.run(
        CandidatePolicies(finals, cfg.final_pairs),
        pair_streams([cfg.seed, 2**31], cfg.final_pairs, 2, draws),
        policy_seed=cfg.seed,
    )
    final_values = res.gain.reshape(2, cfg.final_pairs).mean(axis=1)
    k = int(np.argmax(final_values))
    return SearchResult(LinearPolicy(tuple(map(float, finals[k]))), float(final_values[k]), history)


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
    """The command line (module docstring): search, evaluate on held-out pairs, save."""
    import sys
    import time

    import tyro

    args = tyro.cli(SearchArgs, args=argv, description=plain(__doc__), prog="python -m agents.search.cmaes")
    try:
        args.check()
        SearchConfig(args.episodes, args.pairs, sigma0=args.sigma0, seed=args.seed + 1_000).check()
    except (ValueError, KeyError, TypeError) as err:
        print(f"error: {err.args[0] if isinstance(err, KeyError) else err}", file=sys.stderr)
        raise SystemExit(2) from None
    started = time.time()

    def progress(g: int, generations: int, best: float) -> None:
        if g == generations or g % max(1, generations // 10) == 0:
            print(
                f"generation {g}/{generations}: best candidate {best:+.2f} on its pairs "
                f"({time.time() - started:.0f} s)",
                flush=True,
            )

    found = cma_search(
        args.make, SearchConfig(args.episodes, args.pairs, sigma0=args.sigma0, seed=args.seed + 1_000), progress
    )
    result = {
        **evaluate(args, found.policy),
        "search_objective": found.objective,
        "seconds": round(time.time() - started, 1),
    }

    def save(run_dir: Path) -> Path:
        found.policy.save(run_dir / "policy.json")
        return run_dir / "policy.json"

    return save_run(args, "search", save, result)


if __name__ == "__main__":
    main()
