"""The truthfulness audit: can any reporting strategy beat truthful play against a mechanism?

    python -m agents.audit --out audit_out            # the full default
    python -m agents.audit --quick --out audit_out    # a first look

A *setting* is (mechanism, behaviour of the other agents, audited agent); for joint ads the
mechanism is a learner on a valuation sequence. In each, the audit runs the scripted strategies
(:mod:`baselines.strategies`), the exact optimum where one is known (under explore-then-commit:
report one's own values where kept, docs/exact_optimum.md), and every registered search (CMA-ES
over a linear policy, :mod:`agents.search.cmaes`; PPO on paired decision-point episodes,
:mod:`agents.search.ppo`). Every strategy is evaluated on paired episodes (the agent's utility
with the strategy minus with truthful reports, on the same draws): selection pairs pick the
setting's best, fresh confirmation pairs measure it (in stages until its interval excludes 0 or
the stages are spent). Rows give the mean gain with a 95% t-interval and one verdict, after
Holm's correction over all rows. Each setting leads with *found*: the best learned gain over the
exact optimum's where known, else over the best gain known. Negative controls (settings where
truthful play is optimal) measure the false-positive rate.

The embedded default audits both papers. Paper 1, Appendix F: single item, 10 agents,
f = g = mean, T = 2000, ETC and OPT; agents 0, 4 and 9; others truthful or shading in explore
rounds; control: ETC with noiseless values. Paper 2: the merchant stays for T = 200 rounds
against Augment-the-Best, PathLearning, follow-the-leader, posted prices and the EpochLearner
variant, on the stochastic and smooth sequences, the brand truthful or bidding 0.8 v; control: a
fixed posted mechanism. Files: ``OUT/audit.json`` (strict JSON, schema in
``docs/audit.schema.json``), ``OUT/audit.md``, ``OUT/audit_found.png`` (finding power per setting) and
``OUT/audit_gain_<paper>.png`` (each paper's gain curves).
"""

from agents.audit import joint_ads, searches, vcg_learn  # noqa: F401  (register the papers and searches)
from agents.audit.config import AuditConfig, JointAdsOptions, VCGLearnOptions, quick_config
from agents.audit.papers import (
    PAPERS,
    SEARCHES,
    PaperAudit,
    Setting,
    register_paper,
    register_search,
)
from agents.audit.runner import run
from agents.audit.vcg_learn import PolicyStrategy
from agents.cli_types import plain

DESCRIPTION = plain(__doc__)
"""The docstring as plain text, for ``--help``."""

__all__ = [
    "PAPERS",
    "SEARCHES",
    "AuditConfig",
    "JointAdsOptions",
    "PaperAudit",
    "PolicyStrategy",
    "Setting",
    "VCGLearnOptions",
    "main",
    "quick_config",
    "register_paper",
    "register_search",
    "run",
]


def main(argv: list[str] | None = None) -> dict:
    """``python -m agents.audit``: see :func:`agents.audit.cli.main`."""
    from agents.audit.cli import main as cli_main

    return cli_main(argv)
