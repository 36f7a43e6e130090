"""The audit's configuration: common options, and one section per paper (grouped in ``--help``)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from typing import Literal

from agents.cli_types import JsonObject

PAPER_NAMES = ("vcg_learn", "joint_ads")


@dataclass
class VCGLearnOptions:
    """Paper 1, *Mechanism Design with Bandit Feedback*: VCG-Learn's settings and budgets."""

    scenario: str = "single_item"
    """a registered scenario"""
    scenario_kwargs: JsonObject | None = None
    """the scenario builder's arguments, a JSON object"""
    mechanism: str = "vcg_learn"
    """a registered mechanism"""
    zetas: tuple[Literal["etc", "opt"], ...] = ("etc", "opt")
    """VCG-Learn variants"""
    f: Literal["upper", "mean", "lower"] = "mean"
    """F of eq. (7)"""
    g: Literal["upper", "mean", "lower"] = "mean"
    """G of eq. (7)"""
    horizon: int = 2000
    """rounds T per episode"""
    agents: tuple[int, ...] | None = None
    """agent indices to audit (default: the first, a middle and the last)"""
    others: tuple[str, ...] = ("truthful", "explore_shade_0.3")
    """the other agents' behaviours: truthful, learning (a shared PPO policy) or a scripted strategy"""
    n_pairs: int = 256
    """paired episodes per row, per stage (>= 2)"""
    search_episodes: int = 12_000
    """CMA-ES budget in paired episodes under OPT (and any other mechanism): its policies at
    12 000 gained what those at 24 000 did on fresh pairs, in all six default OPT settings"""
    etc_search_episodes: int = 48_000
    """CMA-ES budget in paired episodes under ETC, whose episodes are cheaper (43 decisions
    against about 2 000): it finds what it found at 96 000 (0.95 to 1.00 of the exact optimum),
    and 24 000 loses some (docs/decisions.md#audit-budgets)"""
    search_pairs: int = 8
    """paired episodes per CMA-ES candidate (fresh draws every generation)"""
    train_steps: int = 120_000
    """PPO decision steps"""
    deviation_scale: float = 3.0
    """a learned report is X + scale a, a in [-1, 1]"""


@dataclass
class JointAdsOptions:
    """Paper 2, *Selling Joint Ads*: a buyer who stays against a learner; settings and budgets."""

    ads_learners: tuple[str, ...] = (
        "augment_the_best",
        "path_learning",
        "follow_the_leader",
        "posted_price_leader",
        "epoch_augment_the_best",
    )
    """registered learners to audit"""
    ads_sequences: tuple[str, ...] = ("stochastic", "smooth")
    """valuation sequences"""
    ads_others: tuple[str, ...] = ("truthful", "bid_0.8v")
    """the other buyer's behaviour: truthful or a scripted bid"""
    ads_agent: Literal["merchant", "brand"] = "merchant"
    """the audited buyer"""
    ads_horizon: int = 200
    """rounds per episode"""
    ads_n_pairs: int = 32
    """paired episodes per row, per stage (>= 2)"""
    ads_search_episodes: int = 288
    """CMA-ES budget in paired episodes"""
    ads_search_pairs: int = 8
    """paired episodes per CMA-ES candidate"""
    ads_train_steps: int = 32_000
    """PPO steps"""


@dataclass
class AuditConfig:
    """What the audit audits and with what budget; each paper's options in its own section."""

    papers: tuple[str, ...] = PAPER_NAMES
    """which papers' mechanisms to audit (registered papers: agents.audit.papers.PAPERS)"""
    vcg_learn: VCGLearnOptions = field(default_factory=VCGLearnOptions)
    joint_ads: JointAdsOptions = field(default_factory=JointAdsOptions)
    paper_options: JsonObject | None = None
    """options of registered papers without a section here, as {"paper": {"option": value}}"""
    imports: tuple[str, ...] = ()
    """modules to import first (and in every worker), e.g. ones that register a paper or mechanism"""
    controls: bool = True
    """also audit the negative controls (settings where truthful play is optimal)"""
    confirm_stages: int = 4
    """fresh-pair stages at most when confirming a setting's best gain (each n_pairs pairs)"""
    seed: int = 0
    """base seed (search, selection and confirmation draw apart from it)"""
    rl: bool = True
    """train PPO (--no-rl: CMA-ES and the scripted rows only)"""

    def load_imports(self) -> None:
        """Import ``imports`` (registrations run on import)."""
        for module in self.imports:
            importlib.import_module(module)

    def check(self) -> None:
        """Refuse a bad configuration before any work, naming the option and its value."""
        from agents.audit.papers import PAPERS

        try:
            self.load_imports()
        except ImportError as err:
            raise ValueError(f"--imports: {err}") from None
        from agents.audit.searches import SEARCH_SEED_OFFSET
        from mdbf_envs.core.checks import check_distinct

        largest = 2**32 - 2 - SEARCH_SEED_OFFSET  # CMA-ES seeds numpy's legacy generator with seed + offset + 1
        if not 0 <= self.seed <= largest:
            raise ValueError(f"--seed {self.seed} must lie in [0, {largest}] (the searches add offsets to it)")
        check_distinct("--papers", self.papers)
        check_distinct("--imports", self.imports)
        if self.confirm_stages < 1:
            raise ValueError(f"--confirm-stages {self.confirm_stages} must be >= 1")
        if not self.papers:
            raise ValueError("--papers needs at least one paper")
        unknown = [p for p in self.papers if p not in PAPERS]
        if unknown:
            raise ValueError(f"--papers {unknown}: registered papers are {sorted(PAPERS)}")
        for name in self.papers:
            paper = PAPERS[name]
            paper.check(paper.options(self))


QUICK = {
    "vcg_learn": {
        "horizon": 500,
        "agents": (0, 4),
        "n_pairs": 96,
        "search_episodes": 4_000,
        "etc_search_episodes": 8_000,
        "search_pairs": 8,
        "train_steps": 20_000,
    },
    "joint_ads": {
        "ads_learners": ("augment_the_best", "path_learning"),
        "ads_sequences": ("stochastic",),
        "ads_others": ("truthful",),
        "ads_horizon": 100,
        "ads_n_pairs": 16,
        "ads_search_episodes": 96,
        "ads_search_pairs": 4,
        "ads_train_steps": 4_000,
    },
    "confirm_stages": 2,
}


def quick_config() -> AuditConfig:
    """The ``--quick`` budget: a first look in a few minutes."""
    cfg = AuditConfig()
    return replace(
        cfg,
        vcg_learn=replace(cfg.vcg_learn, **QUICK["vcg_learn"]),
        joint_ads=replace(cfg.joint_ads, **QUICK["joint_ads"]),
        confirm_stages=QUICK["confirm_stages"],
    )
