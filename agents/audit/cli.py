"""The audit's command line: options checked before any work, a prompt stop on Ctrl-C."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agents.audit.config import AuditConfig, quick_config

USAGE_PROG = "python -m agents.audit"


@dataclass
class AuditArgs:
    """The audit's command line: a configuration and where and how to run it."""

    config: AuditConfig = field(default_factory=AuditConfig)
    out: Path = Path("audit_out")
    """output folder: new, empty, or an earlier audit's (files are moved in when the run completes)"""
    quick: bool = False
    """a first look in a few minutes: the QUICK budget replaces the defaults (options given still apply)"""
    all_agents: bool = False
    """paper 1: audit every agent (instead of --agents)"""
    backend: Literal["serial", "process", "ray"] = "process"
    """where the settings run"""
    workers: int | None = None
    """parallel workers of the process and ray backends (default: one per core)"""


def main(argv: list[str] | None = None) -> dict:
    import tyro

    from agents.audit import DESCRIPTION
    from agents.audit.outputs import check_out
    from agents.audit.runner import run
    from mdbf_envs.registry import make_scenario

    argv = list(sys.argv[1:] if argv is None else argv)
    default = AuditArgs(config=quick_config(), quick=True) if "--quick" in argv else AuditArgs()
    args = tyro.cli(
        AuditArgs,
        args=argv,
        default=default,
        description=DESCRIPTION,
        prog=USAGE_PROG,
        config=(tyro.conf.OmitArgPrefixes,),
    )
    cfg = args.config
    try:
        if args.all_agents:
            o = cfg.vcg_learn
            o.agents = tuple(range(make_scenario(o.scenario, o.scenario_kwargs).n_agents))
        if args.workers is not None and args.workers < 1:
            raise ValueError(f"--workers {args.workers} must be >= 1")
        cfg.check()
        check_out(args.out)
    except (KeyError, ValueError, TypeError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err  # KeyError quotes its message
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        report = run(cfg, args.out, args.backend, args.workers or os.cpu_count() or 1)
    except KeyboardInterrupt:
        print("audit: interrupted; nothing was written", file=sys.stderr)
        raise SystemExit(130) from None
    out = check_out(args.out)
    figures = ", ".join(str(out / f"audit_gain_{paper}.png") for paper in report["papers"])
    print(
        f"wrote {out / 'audit.json'}, {out / 'audit.md'}, {out / 'audit_found.png'}, {figures} in "
        f"{report['config']['seconds']} s"
    )
    return report
