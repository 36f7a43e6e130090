"""What the manipulator CLIs share: which paired game to play (the audit's setting of it, through
the table of papers), and how to report a policy's gain."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from mdbf_envs.core.paired_engine import PairedGame
from mdbf_envs.core.stats import t_summary
from mdbf_envs.core.streams import pair_streams

if TYPE_CHECKING:
    from agents.audit import Setting


PAPER_ARGS = ("zeta", "scenario", "learner", "sequence")
"""The arguments of :class:`GameArgs` that only some papers read (``PaperAudit.manipulator_args``)."""


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

    def setting(self) -> Setting:
        """The audit's setting of this game (the paper's entry in :data:`agents.audit.PAPERS`)."""
        from agents.audit import PAPERS, AuditConfig

        paper = PAPERS[self.paper]
        options, setting = paper.for_manipulator(self)
        paper.check(options)
        return paper.build(options, AuditConfig(papers=(self.paper,), seed=self.seed), **setting)

    def make(self, pairs: int) -> PairedGame:
        """The game with ``pairs`` pairs."""
        return self.setting().game(pairs)

    def env(self) -> tuple[str, dict]:
        """The Gymnasium id and kwargs of the same game's paired env."""
        setting = self.setting()
        return setting.env_id, dict(setting.env_kwargs or {})

    def other_strategy(self):
        """The other agents' batch strategy (None: truthful)."""
        return self.setting().others

    def check(self) -> None:
        from mdbf_envs.core.checks import check_int

        check_int("--horizon", self.horizon, 1)
        check_int("--eval-pairs", self.eval_pairs, 2)
        check_int("--seed", self.seed, 0, 2**32 - 1_002)  # CMA-ES seeds numpy with seed + 1 000 + 1
        if self.others == "learning":
            raise ValueError("--others learning is the audit's; give 'truthful' or a scripted strategy")
        self.make(1)  # unknown scenario, learner, sequence, agent or others fail here, before any work


def evaluate(args: GameArgs, policy) -> dict:
    """The policy's paired gain on ``eval_pairs`` held-out episodes: mean and 95% t-interval."""
    game = args.make(args.eval_pairs)
    res = game.run(policy, pair_streams(args.seed + 2_000, args.eval_pairs, 1, game.draws))
    row = t_summary(res.gain)
    return {
        "gain_mean": row["gain_mean"],
        "gain_ci95": row["gain_ci95"],
        "p_value": row["p_value"],
        "truthful_utility": float(res.truthful_utility.mean()),
        "seller_change": float(res.seller_change.mean()),
    }


def save_run(args: GameArgs, kind: str, save: Callable[[Path], Path], result: dict) -> Path:
    """A new run directory ``<kind>_<paper>_<zeta or learner>_<time>`` with the policy (``save``
    writes it into the folder given and returns its path) and ``config.json``, written whole or
    not at all (:func:`agents.run_dir.new_run_dir`); prints the held-out gain."""
    from agents.run_dir import new_run_dir

    mechanism = args.setting().labels["mechanism"].split(":")[-1].replace("/", "_")
    run_dir = args.out / f"{kind}_{args.paper}_{mechanism}_{time.strftime('%Y%m%d-%H%M%S')}"
    with new_run_dir(run_dir) as tmp:
        policy = save(tmp).name
        write_config(tmp, args, result)
    lo, hi = result["gain_ci95"]
    print(
        f"gain {result['gain_mean']:+.2f} [{lo:+.2f}, {hi:+.2f}] over {args.eval_pairs} held-out pairs; "
        f"wrote {run_dir / policy} and {run_dir / 'config.json'}"
    )
    return run_dir


def write_config(run_dir: Path, args: object, result: dict) -> None:
    """``config.json``: the arguments, the evaluation and library versions."""
    import gymnasium

    given = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(args).items()}
    if isinstance(args, GameArgs):  # only what the paper reads, and the agent it resolved to
        from agents.audit import PAPERS

        unused = set(PAPER_ARGS) - set(PAPERS[args.paper].manipulator_args)
        labels = args.setting().labels
        given = {k: v for k, v in given.items() if k not in unused} | {
            "agent": labels["agent"],
            "mechanism": labels["mechanism"],
        }
    config = {
        **given,
        "evaluation": result,
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "gymnasium": gymnasium.__version__},
    }
    (run_dir / "config.json").write_text(json.dumps(config, indent=2, allow_nan=False))
