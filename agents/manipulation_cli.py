"""What the manipulator CLIs share: which paired game to play, and how to report a policy's gain."""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from scipy import stats

from baselines.strategies import scripted, scripted_bids
from mdbf_envs.envs.paired import joint_ads_game, paired_market
from mdbf_envs.core.paired import PairedGame
from mdbf_envs.core.streams import pair_streams


@dataclass
class GameArgs:
    """The paired game a manipulator learns in (VCG-Learn's Appendix F market, or joint ads)."""

    paper: Literal["vcg_learn", "joint_ads"] = "vcg_learn"
    """vcg_learn: paper 1's market; joint_ads: a buyer who stays against a paper-2 learner"""
    zeta: Literal["etc", "opt"] = "etc"
    """VCG-Learn: explore-then-commit or optimistic"""
    scenario: str = "single_item"
    """VCG-Learn: a registered scenario"""
    agent: str | None = None
    """the manipulator (VCG-Learn default agent_0; joint ads default merchant)"""
    others: str = "truthful"
    """the other agents' strategy: 'truthful' or a scripted name (VCG: scripted(); joint ads: scripted_bids())"""
    horizon: int = 2000
    """rounds T per episode"""
    learner: str = "augment_the_best"
    """joint ads: a registered learner"""
    sequence: str = "stochastic"
    """joint ads: the valuation sequence"""
    eval_pairs: int = 256
    """paired episodes of the final evaluation (on seeds apart from training)"""
    seed: int = 0
    """base seed"""
    out: Path = Path("runs")
    """parent folder of the run directory"""

    def make(self, pairs: int) -> PairedGame:
        """The game with ``pairs`` pairs."""
        if self.paper == "vcg_learn":
            other = None if self.others == "truthful" else scripted()[self.others]
            return paired_market(pairs, scenario=self.scenario, zeta=self.zeta, horizon=self.horizon,
                                 agent=self.agent, others=other)
        other = None if self.others == "truthful" else scripted_bids()[self.others]
        return joint_ads_game(pairs, learner=self.learner, sequence=self.sequence, horizon=self.horizon,
                                  agent=self.agent or "merchant", others=other)

    def env(self) -> tuple[str, dict]:
        """The Gymnasium id and kwargs of the same game's paired env."""
        if self.paper == "vcg_learn":
            return "mdbf_envs/VCGLearn-v0", {"scenario": self.scenario, "zeta": self.zeta, "horizon": self.horizon,
                                             "agent": self.agent}
        return "mdbf_envs/JointAds-v0", {"learner": self.learner, "sequence": self.sequence, "horizon": self.horizon,
                                         "agent": self.agent or "merchant"}

    def other_strategy(self):
        if self.others == "truthful":
            return None
        return (scripted() if self.paper == "vcg_learn" else scripted_bids())[self.others]

    def check(self) -> None:
        known = ["truthful", *(scripted() if self.paper == "vcg_learn" else scripted_bids())]
        if self.others not in known:
            raise ValueError(f"--others {self.others!r}; use one of {known}")
        if self.horizon < 1 or self.eval_pairs < 2 or self.seed < 0:
            raise ValueError(f"--horizon {self.horizon} (>= 1), --eval-pairs {self.eval_pairs} (>= 2) and --seed "
                             f"{self.seed} (>= 0) are out of range")
        self.make(1)  # unknown scenario, learner, sequence or agent fail here, before any work


def evaluate(args: GameArgs, policy) -> dict:
    """The policy's paired gain on ``eval_pairs`` held-out episodes: mean and 95% t-interval."""
    game = args.make(args.eval_pairs)
    res = game.run(policy, pair_streams(args.seed + 2_000, args.eval_pairs, 1, game.draws))
    half = float(stats.t.ppf(0.975, args.eval_pairs - 1) * res.gain.std(ddof=1) / math.sqrt(args.eval_pairs))
    return {"gain_mean": float(res.gain.mean()), "gain_ci95": [float(res.gain.mean() - half), float(res.gain.mean() + half)],
            "truthful_utility": float(res.truthful_utility.mean()), "seller_change": float(res.seller_change.mean())}


def save_run(args: GameArgs, kind: str, save: Callable[[Path], Path], result: dict) -> Path:
    """A new run directory ``<kind>_<paper>_<zeta or learner>_<time>`` with the policy (``save``
    writes it and returns its path) and ``config.json``; prints the held-out gain."""
    mechanism = args.zeta if args.paper == "vcg_learn" else args.learner
    run_dir = args.out / f"{kind}_{args.paper}_{mechanism}_{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir.mkdir(parents=True)
    policy = save(run_dir)
    write_config(run_dir, args, result)
    lo, hi = result["gain_ci95"]
    print(f"gain {result['gain_mean']:+.2f} [{lo:+.2f}, {hi:+.2f}] over {args.eval_pairs} held-out pairs; "
          f"wrote {policy} and {run_dir / 'config.json'}")
    return run_dir


def write_config(run_dir: Path, args: object, result: dict) -> None:
    """``config.json``: the arguments, the evaluation and library versions."""
    import gymnasium

    config = {**{k: str(v) if isinstance(v, Path) else v for k, v in asdict(args).items()}, "evaluation": result,
              "versions": {"python": platform.python_version(), "numpy": np.__version__, "gymnasium": gymnasium.__version__}}
    (run_dir / "config.json").write_text(json.dumps(config, indent=2, allow_nan=False))
