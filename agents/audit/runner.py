"""Running an audit: each setting's strategies, searches and fresh-pair confirmation; then the
correction over all rows, the summary and the files.

Pairs are kept apart by purpose. The searches draw their own (``SEARCH_SEED_OFFSET``). Every
strategy is evaluated on *selection* pairs, which pick the setting's best strategy, and on
*confirmation* pairs, which no choice has seen: the rows report the confirmation gains. A
setting's best strategy (and its exact optimum, where known) is then confirmed in stages of
fresh pairs until its interval, at level alpha / stages (Bonferroni over the looks), excludes
0 or ``confirm_stages`` stages are spent.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

import numpy as np

from agents.audit.config import AuditConfig
from agents.audit.outputs import check_out, write_outputs
from agents.audit.papers import PAPERS, SEARCHES, Setting
from agents.audit.report import figures, markdown, summarise
from mdbf_envs.core.parallel import run_trials
from mdbf_envs.core.stats import ALPHA, holm, t_summary, verdict
from mdbf_envs.core.streams import pair_streams

SELECT_SEED_OFFSET, CONFIRM_SEED_OFFSET = 2_000, 3_000
EXACT = "exact_optimum"


def _evaluate(game, seed: int, pairs: int, first: int = 0, policy=None, strategy=None):
    return game.run(
        policy,
        pair_streams(seed, pairs, 1, game.draws, first),
        policy_seed=seed * 1_009 + first,
        track=first == 0,
        strategy=strategy,
    )


def confirm(game, seed: int, pairs: int, stages: int, first_gains: np.ndarray, **candidate: Any) -> dict:
    """Stage the confirmation of one strategy: stage k adds ``pairs`` fresh pairs (k ``pairs``
    .. (k + 1) ``pairs`` - 1 of the confirmation seed) while the interval at level
    ``ALPHA / stages`` still holds 0."""
    gains = np.asarray(first_gains, float)
    alpha = ALPHA / stages
    used = 1
    summary = t_summary(gains, alpha)
    while (
        used < stages
        and summary["gain_ci95"][0] is not None
        and summary["gain_ci95"][0] <= 0 <= summary["gain_ci95"][1]
    ):
        gains = np.concatenate([gains, _evaluate(game, seed, pairs, used * pairs, **candidate).gain])
        used += 1
        summary = t_summary(gains, alpha)
    low, high = summary["gain_ci95"]
    exists = low is not None and low > 0
    return {
        "gain_mean": summary["gain_mean"],
        "gain_ci": [low, high],
        "level": 1 - alpha,
        "p_value": summary["p_value"],
        "n_pairs": len(gains),
        "stages": used,
        "gain_exists": exists,
    }


def audit_setting(
    cfg: AuditConfig, paper: str, setting: dict, torch_threads: int | None = None
) -> tuple[list, dict, dict]:
    """One setting: scripted strategies, the exact optimum if known, every registered search;
    all evaluated on selection and confirmation pairs. Returns (rows, gain curves, setting facts)."""
    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)
    cfg.load_imports()
    started = time.time()
    entry = PAPERS[paper]
    spec: Setting = entry.build(entry.options(cfg), cfg, **setting)
    seconds: dict[str, float] = {}
    candidates: dict[str, tuple[str, Any]] = {k: ("strategy", s) for k, s in spec.strategies.items()}
    if spec.exact is not None:
        candidates[EXACT] = ("strategy", spec.exact)
    for name, method in SEARCHES.items():
        t0 = time.time()
        policy = method(spec, cfg)
        seconds[name] = round(time.time() - t0, 1)
        if policy is not None:
            candidates[name] = ("policy", policy)
    n, labels = spec.n_pairs, spec.labels
    game = spec.game(n)
    select_seed, confirm_seed = cfg.seed + SELECT_SEED_OFFSET, cfg.seed + CONFIRM_SEED_OFFSET
    t0 = time.time()
    rows, curves, gains = [], {}, {}
    for label, (kind, candidate) in candidates.items():
        picked = _evaluate(game, select_seed, n, **{kind: candidate})
        res = _evaluate(game, confirm_seed, n, **{kind: candidate})
        gains[label] = (picked.gain.mean(), res.gain)
        row = {
            **labels,
            "paper": paper,
            "strategy": label,
            "learned": label in SEARCHES,
            "knows_values": bool(getattr(candidate, "knows_values", False)),
            "control": spec.control,
            **t_summary(res.gain),
            "selection_gain": float(picked.gain.mean()),
            "truthful_utility": float(res.truthful_utility.mean()),
            "seller_change": float(res.seller_change.mean()),
            "theory_bound": spec.theory_bound,
            "theory_basis": spec.theory_basis,
            "decisions_per_episode": res.decisions / n,
            "at_bound": res.at_bound / res.decisions if res.decisions else 0.0,
            "theta": list(candidate.theta) if hasattr(candidate, "theta") else None,
        }
        rows.append({**row, "_gains": res.gain.tolist()})
        curves[(labels["mechanism"], labels["others"], labels["agent"], label)] = res.curve
        lo, hi = row["gain_ci95"]
        print(
            f"{labels['mechanism']:>34} | {labels['others']:>17} | {labels['agent']:>8} | {label:>23} | gain "
            f"{row['gain_mean']:+8.3f} [{_f(lo)}, {_f(hi)}] (raw 95% CI; Holm at the end)",
            flush=True,
        )
    seconds["evaluation"] = round(time.time() - t0, 1)
    # the best of the audit's own strategies, picked on the selection pairs, then confirmed on fresh ones
    t0 = time.time()
    tried = {k: v for k, v in candidates.items() if k not in ("truthful", EXACT)}
    best = max(tried, key=lambda k: gains[k][0])
    facts = {
        **labels,
        "paper": paper,
        "control": spec.control,
        "best_strategy": best,
        "best": confirm(game, confirm_seed, n, cfg.confirm_stages, gains[best][1], **{tried[best][0]: tried[best][1]}),
    }
    if spec.exact is not None:
        facts["exact"] = confirm(game, confirm_seed, n, cfg.confirm_stages, gains[EXACT][1], strategy=spec.exact)
    seconds["confirmation"] = round(time.time() - t0, 1)
    seconds["total"] = round(time.time() - started, 1)
    facts["seconds"] = seconds
    return rows, curves, facts


def _f(x: float | None) -> str:
    return "    -   " if x is None else f"{x:+8.3f}"


def run(cfg: AuditConfig, out: Path, backend: str = "serial", workers: int | None = None) -> dict:
    """Run the audit (settings in parallel on ``backend``) and write its files into ``out``
    (refused before any work if ``out`` holds anything the audit did not write)."""
    out = check_out(Path(out))
    cfg.check()
    started = time.time()
    threads = 1 if backend != "serial" else None
    trials = [
        {"cfg": cfg, "paper": name, "setting": s, "torch_threads": threads}
        for name in cfg.papers
        for s in PAPERS[name].settings(PAPERS[name].options(cfg), cfg)
    ]
    for trial in trials:  # every setting's budgets and game checked before any work
        entry = PAPERS[trial["paper"]]
        entry.build(entry.options(cfg), cfg, **trial["setting"]).check()

    def progress(done: int, total: int) -> None:
        elapsed = time.time() - started
        left = elapsed / done * (total - done)
        print(
            f"audit: {done}/{total} settings done, {elapsed / 60:.1f} min so far, about {left / 60:.1f} min left",
            flush=True,
        )

    rows, curves, facts = [], {}, []
    for setting_rows, setting_curves, setting_facts in run_trials(
        audit_setting, trials, backend, workers, on_done=progress
    ):
        rows += setting_rows
        curves.update(setting_curves)
        facts.append(setting_facts)
    for r, rejected in zip(rows, holm([r["p_value"] for r in rows]), strict=True):
        r["holm_significant"] = bool(rejected and r["strategy"] != "truthful")
        r["verdict"] = verdict(r["gain_mean"], r["holm_significant"])
    summary = summarise(rows, facts)
    for r in rows:
        r.pop("_gains")
    report = {
        "schema": "mdbf-envs/audit/v2",
        "config": {
            **_plain(cfg),
            "date": datetime.date.today().isoformat(),
            "select_seed": cfg.seed + SELECT_SEED_OFFSET,
            "confirm_seed": cfg.seed + CONFIRM_SEED_OFFSET,
            "backend": backend,
            "seconds": round(time.time() - started, 1),
        },
        "papers": {name: PAPERS[name].describe(PAPERS[name].options(cfg)) for name in cfg.papers},
        "summary": summary,
        "rows": rows,
    }
    write_outputs(out, {"audit.json": report, "audit.md": markdown(report), **figures(summary, curves)})
    for s in summary:
        print(f"{s['mechanism']:>34} | {s['others']:>17} | {s['agent']:>8} | {s['statement']}")
    return report


def _plain(cfg: AuditConfig) -> dict:
    from dataclasses import asdict

    plain = asdict(cfg)
    for name in cfg.papers:  # the resolved options of every audited paper
        entry = PAPERS[name]
        plain[name] = asdict(entry.options(cfg))
        if hasattr(entry, "agents"):
            plain[name]["agents"] = list(entry.agents(entry.options(cfg)))
    for name in set(plain) & (set(PAPERS) - set(cfg.papers)):
        plain.pop(name)  # the options of papers not audited would only mislead
    return plain
