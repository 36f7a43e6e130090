"""The audit's report: per-setting summary (found against the exact optimum or the best known),
Markdown and the figures (finding power per setting, and each paper's gain curves)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from mdbf_envs.core.stats import found_ratio, holm

LEARNED_WIDTH = 2


def summarise(rows: list[dict], facts: list[dict]) -> list[dict]:
    """Per setting: the confirmed best gain (picked on selection pairs, measured on fresh ones),
    the exact optimum where known, and *found*: the best learned gain over the exact optimum's
    (``found_against = "exact optimum"``), else over the best gain of any strategy (``"best
    known"``), both on the same confirmation pairs, with a bootstrap interval. Whether a gain
    exists is Holm-corrected over the settings' staged confirmations."""
    out = []
    confirmed = holm([f["best"]["p_value"] * f["best"]["stages"] for f in facts])  # Bonferroni over looks, then Holm
    for fact, exists in zip(facts, confirmed, strict=True):
        key = (fact["mechanism"], fact["others"], fact["agent"])
        block = {r["strategy"]: r for r in rows if (r["mechanism"], r["others"], r["agent"]) == key}
        learned = [r for r in block.values() if r["learned"]]
        top = max(learned, key=lambda r: r["gain_mean"]) if learned else None
        exact = block.get("exact_optimum")
        gain_exists = bool(exists and fact["best"]["gain_mean"] > 0)
        exact_exists = bool(exact is not None and fact["exact"]["gain_exists"])
        entry = {
            "mechanism": key[0],
            "others": key[1],
            "agent": key[2],
            "paper": fact["paper"],
            "control": fact["control"],
            "best_strategy": fact["best_strategy"],
            "best_confirmed": fact["best"],
            "gain_exists": gain_exists,
            "exact_optimum": fact.get("exact"),
            "best_learned": top and top["strategy"],
            "best_learned_gain": top and top["gain_mean"],
            "found": None,
            "found_ci95": [None, None],
            "found_against": None,
            "seconds": fact["seconds"],
        }
        denominator = (
            exact
            if exact is not None
            else max((r for r in block.values() if r["strategy"] != "truthful"), key=lambda r: r["gain_mean"])
        )
        if top is not None and (gain_exists or exact_exists) and denominator["gain_mean"] > 0:
            entry.update(
                found_ratio(np.asarray(top["_gains"]), np.asarray(denominator["_gains"]), np.random.default_rng(0))
            )
            entry["found_against"] = "exact optimum" if exact is not None else f"best known ({denominator['strategy']})"
        entry["statement"] = _statement(entry)
        out.append(entry)
    return out


def _statement(s: dict) -> str:
    best = s["best_confirmed"]
    text = (
        f"gain {_gain(best)} confirmed on {best['n_pairs']} fresh pairs"
        if s["gain_exists"]
        else f"no confirmed gain ({best['n_pairs']} fresh pairs)"
    )
    if s["exact_optimum"] is not None:
        text += f"; exact optimum {s['exact_optimum']['gain_mean']:+.2f}"
    if s["found"] is not None:
        text += f"; found {s['found']:.2f} of the {s['found_against']}"
    return text + (" [negative control]" if s["control"] else "")


def _f(x: float | None, spec: str = "+.2f") -> str:
    return "-" if x is None else format(x, spec)


def _gain(confirmation: dict) -> str:
    """A confirmed gain as ``+m [lo, hi]``."""
    lo, hi = confirmation["gain_ci"]
    return f"{confirmation['gain_mean']:+.2f} [{_f(lo)}, {_f(hi)}]"


def markdown(report: dict) -> str:
    """The audit's summary and rows as Markdown."""
    cfg = report["config"]
    lines = [
        "# Truthfulness audit",
        "",
        f"{cfg['date']}, seed {cfg['seed']}, {cfg['seconds']} s. " + " ".join(report["papers"].values()),
        "",
        "## Found: the best learned gain against the exact optimum, or against the best gain known",
        "",
        "Gains are confirmed on pairs not used to pick them (up to "
        f"{cfg['confirm_stages']} stages of fresh pairs, Bonferroni over the stages, Holm over the settings). "
        "*found* divides the best learned gain by the exact optimum's where it is known (a strategy that knows "
        "the agent's own values), else by the best gain of any strategy, on the same pairs. Negative controls "
        "are settings where truthful play is optimal: any confirmed gain there is a false positive.",
        "",
        "| mechanism | others | agent | control | best (selection) | confirmed gain [CI] | fresh pairs | exact optimum "
        "[CI] | best learned | learned gain | found | 95% CI | against |",
        "|---|---|---|---|---|---|---:|---|---|---:|---:|---|---|",
    ]
    for s in report["summary"]:
        b, e = s["best_confirmed"], s["exact_optimum"]
        exact = "-" if e is None else _gain(e)
        best = _gain(b) + ("" if s["gain_exists"] else " (none)")
        lo, hi = s["found_ci95"]
        lines.append(
            f"| {s['mechanism']} | {s['others']} | {s['agent']} | {'yes' if s['control'] else ''} | "
            f"{s['best_strategy']} | {best} | {b['n_pairs']} | {exact} | {s['best_learned'] or '-'} | "
            f"{_f(s['best_learned_gain'])} | {_f(s['found'], '.2f')} | "
            f"{'-' if lo is None else f'[{lo:.2f}, {hi:.2f}]'} | {s['found_against'] or '-'} |"
        )
    lines += [
        "",
        "## Every strategy",
        "",
        "Gain = E[U^pi_iT - U_iT] on the confirmation pairs (the same draws for every strategy of a setting), "
        "with its raw 95% t-interval and p-value; 'verdict' is after Holm's correction over all rows "
        "(family-wise error 5%). 'selection' is the gain on the pairs that picked the setting's best. "
        "'seller change': the seller's utility (revenue) with the strategy minus with truthful play. "
        "'at bound': share of decisions whose action hit |a| = 1 or whose report or bid was clipped.",
        "",
        "| mechanism | others | agent | strategy | learned | knows values | gain | 95% CI | p | selection | "
        "truthful U_iT | seller change | theory bound | at bound | verdict |",
        "|---|---|---|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["rows"]:
        lo, hi = r["gain_ci95"]
        lines.append(
            f"| {r['mechanism']} | {r['others']} | {r['agent']} | {r['strategy']} | {'yes' if r['learned'] else ''} | "
            f"{'yes' if r['knows_values'] else ''} | {r['gain_mean']:+.3f} | "
            f"{'-' if lo is None else f'[{lo:+.3f}, {hi:+.3f}]'} | {r['p_value']:.2g} | {r['selection_gain']:+.3f} | "
            f"{r['truthful_utility']:.2f} | {r['seller_change']:+.2f} | {_f(r['theory_bound'], '.4g')} | "
            f"{r['at_bound']:.2f} | {r['verdict']} |"
        )
    return "\n".join(lines) + "\n"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_found(summary: list[dict], path: Path) -> None:
    """One row per setting with a gain: *found* with its 95% bootstrap interval, against the exact
    optimum (filled) or the best gain known (open), the 0.9 finding-power bar marked."""
    plt = _pyplot()
    shown = [s for s in summary if s["found"] is not None]
    height = 1.2 + 0.24 * max(len(shown), 1)
    fig, ax = plt.subplots(figsize=(10, height), layout="constrained")
    for y, s in enumerate(reversed(shown)):
        lo, hi = s["found_ci95"]
        exact = s["found_against"] == "exact optimum"
        if lo is not None:
            ax.plot([lo, hi], [y, y], color="C0" if exact else "C1", lw=1.5)
        ax.plot(s["found"], y, "o", color="C0" if exact else "C1", mfc=None if exact else "white", ms=5)
    labels = [f"{s['mechanism']} | {s['others']} | {s['agent']}" for s in reversed(shown)]
    ax.set_yticks(range(len(shown)), labels, fontsize=7)
    ax.axvline(0.9, color="k", lw=0.8, ls=":")
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("found: best learned gain over the exact optimum (filled) or the best gain known (open)", fontsize=9)
    ax.set_title("Finding power per setting, 95% bootstrap intervals", fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_gains(curves: dict, panels: list[tuple], path: Path, title: str) -> None:
    """One paper's settings: mean cumulative paired gain over rounds with 95% bands, one panel
    per setting, and one legend for the figure below the panels."""
    plt = _pyplot()
    cols = min(len(panels), 3)
    rows_ = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(4.4 * cols, 2.9 * rows_ + 0.9), squeeze=False, layout="constrained")
    handles: dict[str, object] = {}
    colours: dict[str, str] = {}
    for ax, panel in zip(axes.flat, panels, strict=False):
        for key, curve in curves.items():
            if key[:3] == panel and key[3] != "truthful" and curve is not None:
                name = key[3]
                colours.setdefault(name, f"C{len(colours) % 10}")
                bold = name in ("cma_es", "ppo", "exact_optimum")
                t, mean, half = np.arange(1, len(curve) + 1), curve[:, 0], 1.96 * curve[:, 1]
                (line,) = ax.plot(
                    t, mean, color=colours[name], lw=LEARNED_WIDTH if bold else 0.9, ls="-" if bold else "--"
                )
                ax.fill_between(t, mean - half, mean + half, color=colours[name], alpha=0.12, lw=0)
                handles.setdefault(name, line)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_title(f"{panel[0]}\nothers {panel[1]}, {panel[2]}", fontsize=8)
        ax.set_xlabel("round", fontsize=8)
        ax.set_ylabel("mean cumulative gain", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="outside lower center",
        ncol=min(len(handles), 6),
        fontsize=7,
        frameon=False,
    )
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def figures(summary: list[dict], curves: dict) -> dict[str, object]:
    """The audit's figures by file name: ``audit_found.png`` and ``audit_gain_<paper>.png``."""
    out: dict[str, object] = {"audit_found.png": lambda path: plot_found(summary, path)}
    for paper in dict.fromkeys(s["paper"] for s in summary):
        panels = [(s["mechanism"], s["others"], s["agent"]) for s in summary if s["paper"] == paper]
        title = f"{paper}: paired gain over truthful play on the confirmation pairs, mean and 95% band"
        out[f"audit_gain_{paper}.png"] = lambda path, panels=panels, title=title: plot_gains(
            curves, panels, path, title
        )
    return out
