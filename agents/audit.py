"""The truthfulness audit: can any reporting strategy beat truthful play against a mechanism?

    python -m agents.audit --out audit_out            # the full default (~10 min on 2 cores)
    python -m agents.audit --quick --out audit_out    # a first look (~2 min)

A *setting* is (mechanism, behaviour of the other agents, audited agent). In each, the audit
runs the scripted strategies (:mod:`baselines.strategies`), searches a linear reporting policy
with CMA-ES (:mod:`agents.search`) and trains PPO (:mod:`agents.ppo_paired`), both learning on
paired, decision-point episodes, and evaluates every strategy on the same ``n_pairs`` paired
episodes (:class:`mdbf_envs.paired.PairedMarket`: the agent's utility with the strategy minus
with truthful reports, on the same draws). Rows give the mean gain with a 95% t-interval; Holm's
correction runs over all rows. Each setting leads with its *found* figure: the best learned gain
over the best gain of any strategy, with a bootstrap interval over the paired episodes, since an
audit that misses a gain which exists certifies a false claim.

Evaluation applies a strategy where the mechanism keeps the agent's report and plays truthfully
elsewhere: a discarded report changes no utility, and no scripted strategy reads its own past
reports, so the gains are those of the strategy played in every round.

The embedded default is paper 1's Appendix F: single item, 10 agents, f = g = mean, T = 2000,
ETC and OPT; agents 0 (the efficient winner, mu = 0.8), 4 (a middle agent) and 9 (the lowest);
others truthful (Theorem 3.5's stationary others) or shading in explore rounds. Files:
``OUT/audit.json`` (strict JSON), ``OUT/audit.md``, ``OUT/audit_gain.png``, written to a
temporary folder and moved into place when the run completes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from scipy import stats

from agents.search import SearchConfig, cma_search, pair_streams
from baselines.strategies import Truthful, scripted
from mdbf_envs.envs.paired import paired_market
from mdbf_envs.envs.single_agent import deviation_to_action
from mdbf_envs.parallel import BACKENDS, run_trials
from mdbf_envs.registry import make_mechanism, make_scenario

REPORT_BOUNDS = (-5.0, 6.0)  # the env's default report space
SEARCH_SEED_OFFSET, EVAL_SEED_OFFSET = 1_000, 2_000  # search and evaluation draw apart from training
LEARNED = ("cma_es", "ppo")


@dataclass
class AuditConfig:
    """What the audit audits and with what budget."""

    scenario: str = "single_item"
    scenario_kwargs: dict | None = None
    mechanism: str = "vcg_learn"
    zetas: tuple[str, ...] = ("etc", "opt")
    f: str = "mean"
    g: str = "mean"
    horizon: int = 2000
    agents: tuple[int, ...] | None = None  # None: the first, a middle and the last agent
    others: tuple[str, ...] = ("truthful", "explore_shade_0.3")
    n_pairs: int = 256
    search_episodes: int = 8_000
    search_pairs: int = 32
    train_steps: int = 120_000
    deviation_scale: float = 3.0
    seed: int = 0
    rl: bool = True


QUICK = {"horizon": 500, "agents": (0, 4), "n_pairs": 96, "search_episodes": 2_000, "search_pairs": 16,
         "train_steps": 20_000}


def default_agents(n: int) -> tuple[int, ...]:
    """The efficient winner of Appendix F (agent 0), a middle agent and the last one."""
    return tuple(sorted({0, (n - 1) // 2, n - 1}))


class PolicyStrategy:
    """An SB3 policy trained on the plain view as a batch strategy (``--others learning``): its
    action a moves the report to X + scale a, exactly as the Gymnasium view maps it."""

    def __init__(self, model, deviation_scale: float, bounds: tuple[float, float] = REPORT_BOUNDS):
        self.model, self.scale, self.bounds = model, deviation_scale, bounds

    def __call__(self, fields: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
        obs = np.concatenate(list(fields.values()), axis=-1)  # fields are in layout order
        action, _ = self.model.predict(obs, deterministic=True)
        low, high = self.bounds
        truthful = np.clip(fields["realised"][:, 0], low, high)
        return deviation_to_action(truthful, action[:, 0], self.scale, low, high)


def paired_gain(gains: np.ndarray) -> dict:
    """Mean, standard error, 95% t-interval and two-sided t-test p-value of paired gains, with
    the row's verdict. With fewer than two pairs the interval is unknown (None), never infinite."""
    n = len(gains)
    mean = float(gains.mean())
    if n < 2:
        return {"gain_mean": mean, "gain_se": None, "gain_ci95": [None, None], "p_value": 1.0, "n_pairs": n,
                "verdict": "too few pairs"}
    se = float(gains.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.975, n - 1) * se)
    low, high = mean - half, mean + half
    p_value = float(2 * stats.t.sf(abs(mean) / se, n - 1)) if se > 0 else (1.0 if mean == 0 else 0.0)
    verdict = "significant gain" if low > 0 else "significant loss" if high < 0 else "no significant gain"
    return {"gain_mean": mean, "gain_se": se, "gain_ci95": [low, high], "p_value": p_value, "n_pairs": n,
            "verdict": verdict}


def holm(p_values: list[float], alpha: float = 0.05) -> list[bool]:
    """Holm's step-down test: which hypotheses "gain = 0" are rejected with family-wise error
    at most ``alpha`` over all rows."""
    order = np.argsort(p_values)
    reject = [False] * len(p_values)
    for rank, k in enumerate(order):
        if p_values[k] > alpha / (len(p_values) - rank):
            break
        reject[k] = True
    return reject


def found_ratio(learned: np.ndarray, best: np.ndarray, rng: np.random.Generator, draws: int = 2000) -> dict:
    """Best learned gain / best gain of any strategy, with a 95% percentile bootstrap interval
    over the paired episodes (both evaluated on the same pairs)."""
    ratio = float(learned.mean() / best.mean())
    idx = rng.integers(0, len(best), (draws, len(best)))
    boot = learned[idx].mean(1) / best[idx].mean(1)
    low, high = np.percentile(boot, [2.5, 97.5])
    return {"found": ratio, "found_ci95": [float(low), float(high)]}


def theory_bound(cfg: AuditConfig, zeta: str, others_stationary: bool, mech) -> tuple[float | None, str]:
    """The paper's bound on E[U^pi_iT - U_iT] for this row, where it gives one.

    ETC (Thm 2.5): truthful in expectation for realisation agents whatever the others do: 0.
    OPT (Thm 3.5, App. E constants): if the others are stationary,
    2 C1 + C3 (6n + 2 kappa) sqrt(log(|S| T)) K^(1/3) T^(2/3), with C1 = 6n, C3 = 10 sigma,
    kappa = 1 (a realisation agent). Otherwise no bound.
    """
    if cfg.mechanism != "vcg_learn":
        return None, "no theorem for this mechanism"
    if zeta == "etc":
        return 0.0, "Thm 2.5: truthful in expectation"
    if not others_stationary:
        return None, "Thm 3.5 needs stationary others"
    sc, T = mech.scenario, cfg.horizon
    n, sigma = sc.n_agents, float(mech.sigma.max())
    bound = 2 * 6 * n + 10 * sigma * (6 * n + 2) * math.sqrt(math.log(sc.n_allocations * T)) * mech.K ** (1 / 3) * T ** (2 / 3)
    return bound, "Thm 3.5 (stationary others), explicit constants"


def learned_others(cfg: AuditConfig, zeta: str) -> PolicyStrategy:
    """``--others learning``: every agent learns at once (one parameter-shared PPO policy through
    the PettingZoo env, ``train_steps`` steps); the audited agent then faces that policy."""
    from agents.train_shared import train_shared

    env_kwargs = {"scenario": cfg.scenario, "scenario_kwargs": cfg.scenario_kwargs, "mechanism": cfg.mechanism,
                  "zeta": zeta, "f": cfg.f, "g": cfg.g, "horizon": cfg.horizon}
    model = train_shared(env_kwargs, cfg.train_steps, cfg.seed, 0.5)
    return PolicyStrategy(model, 0.5)


def audit_setting(cfg: AuditConfig, zeta: str, others: str, agent: int, torch_threads: int | None = None) -> tuple[list, dict]:
    """One (mechanism, others, agent) setting: search, train, evaluate. Returns (rows, curves)."""
    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)
    scenario = make_scenario(cfg.scenario, cfg.scenario_kwargs)
    name = scenario.agent_names[agent]
    other = None if others == "truthful" else learned_others(cfg, zeta) if others == "learning" else scripted()[others]
    market_kwargs = {"scenario": cfg.scenario, "scenario_kwargs": cfg.scenario_kwargs, "mechanism": cfg.mechanism,
                     "zeta": zeta, "f": cfg.f, "g": cfg.g, "horizon": cfg.horizon, "agent": name,
                     "others": other, "deviation_scale": cfg.deviation_scale}
    eval_seed = cfg.seed + EVAL_SEED_OFFSET

    def market(pairs: int):
        return paired_market(pairs, **market_kwargs)

    evaluator = market(cfg.n_pairs)

    def evaluate(policy=None, strategy=None):
        return evaluator.run(policy, pair_streams(eval_seed, cfg.n_pairs, 1, scenario.draws), policy_seed=eval_seed,
                             track=True, strategy=strategy)

    candidates = {"truthful": ("strategy", Truthful()), **{k: ("strategy", s) for k, s in scripted().items()}}
    search = cma_search(market, SearchConfig(cfg.search_episodes, cfg.search_pairs, seed=cfg.seed + SEARCH_SEED_OFFSET))
    candidates["cma_es"] = ("policy", search.policy)
    if cfg.rl:
        from agents.ppo_paired import PPOConfig, PPOPolicy, train_ppo

        model = train_ppo("mdbf_envs/VCGLearn-v0", {k: v for k, v in market_kwargs.items() if k != "others"},
                          PPOConfig(timesteps=cfg.train_steps, seed=cfg.seed), others=other)
        candidates["ppo"] = ("policy", PPOPolicy(model))
    bound, basis = theory_bound(cfg, zeta, others == "truthful",
                                make_mechanism(cfg.mechanism, scenario, zeta=zeta, f=cfg.f, g=cfg.g))
    setting = {"mechanism": f"{cfg.mechanism}:{zeta}", "others": others, "agent": name}
    rows, curves = [], {}
    for label, (kind, strategy) in candidates.items():
        res = evaluate(**{kind: strategy})
        row = {**setting, "strategy": label, "learned": label in LEARNED, **paired_gain(res.gain),
               "truthful_utility": float(res.truthful_utility.mean()), "theory_bound": bound, "theory_basis": basis,
               "decisions_per_episode": res.decisions / cfg.n_pairs,
               "at_bound": res.at_bound / res.decisions if res.decisions else 0.0}
        if label == "cma_es":
            row["theta"] = list(strategy.theta)
        rows.append({**row, "_gains": res.gain.tolist()})  # dropped once the found ratios are computed
        curves[(setting["mechanism"], others, name, label)] = res.curve
        ci = row["gain_ci95"]
        print(f"{setting['mechanism']:>14} | {others:>17} | {name:>8} | {label:>17} | gain {row['gain_mean']:+8.3f} "
              f"[{ci[0]:+8.3f}, {ci[1]:+8.3f}] | {row['verdict']}", flush=True)
    return rows, curves


def summarise(rows: list[dict]) -> list[dict]:
    """Per setting: the best strategy, the best learned one and the found ratio (the best
    learned gain / the best gain of any strategy, where some gain is Holm-significant)."""
    out = []
    keys = list(dict.fromkeys((r["mechanism"], r["others"], r["agent"]) for r in rows))
    for key in keys:
        block = [r for r in rows if (r["mechanism"], r["others"], r["agent"]) == key and r["strategy"] != "truthful"]
        best = max(block, key=lambda r: r["gain_mean"])
        learned = [r for r in block if r["learned"]]
        top = max(learned, key=lambda r: r["gain_mean"]) if learned else None
        entry = {"mechanism": key[0], "others": key[1], "agent": key[2], "best_strategy": best["strategy"],
                 "best_gain": best["gain_mean"], "best_learned": top and top["strategy"],
                 "best_learned_gain": top and top["gain_mean"],
                 "gain_exists": any(r.get("holm_significant") and r["gain_mean"] > 0 for r in block)}
        entry.update(found=None, found_ci95=[None, None])
        if top is not None and entry["gain_exists"] and best["gain_mean"] > 0:
            entry.update(found_ratio(np.asarray(top["_gains"]), np.asarray(best["_gains"]), np.random.default_rng(0)))
        out.append(entry)
    return out


def run(cfg: AuditConfig, out: Path, backend: str = "serial", workers: int | None = None) -> dict:
    """Run the audit (settings in parallel on ``backend``) and write its files; returns the report."""
    started = time.time()
    scenario = make_scenario(cfg.scenario, cfg.scenario_kwargs)
    agents = cfg.agents if cfg.agents is not None else default_agents(scenario.n_agents)
    settings = [{"cfg": cfg, "zeta": z, "others": o, "agent": a, "torch_threads": 1 if backend != "serial" else None}
                for z in cfg.zetas for o in cfg.others for a in agents]
    rows, curves = [], {}
    for setting_rows, setting_curves in run_trials(audit_setting, settings, backend, workers):
        rows += setting_rows
        curves.update(setting_curves)
    tested = [r for r in rows if r["strategy"] != "truthful"]
    for r, rejected in zip(tested, holm([r["p_value"] for r in tested]), strict=True):
        r["holm_significant"] = rejected
    summary = summarise(rows)
    for r in rows:
        r.pop("_gains")
    report = {"config": {**asdict(cfg), "agents": list(agents), "date": datetime.date.today().isoformat(),
                         "eval_seed": cfg.seed + EVAL_SEED_OFFSET, "search_seed": cfg.seed + SEARCH_SEED_OFFSET,
                         "backend": backend, "seconds": round(time.time() - started, 1)},
              "summary": summary, "rows": rows}
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    (tmp / "audit.json").write_text(json.dumps(report, indent=2, allow_nan=False))
    (tmp / "audit.md").write_text(markdown(report))
    plot(curves, cfg, tmp / "audit_gain.png")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return report


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def markdown(report: dict) -> str:
    """The audit's summary and table as Markdown."""
    cfg = report["config"]
    lines = [
        "# Truthfulness audit",
        "",
        f"{cfg['date']}; scenario `{cfg['scenario']}`, mechanism `{cfg['mechanism']}`, f = {cfg['f']}, "
        f"g = {cfg['g']}, T = {cfg['horizon']}, agents {cfg['agents']}, {cfg['n_pairs']} paired episodes per row, "
        f"CMA-ES {cfg['search_episodes']} episodes, PPO {cfg['train_steps'] if cfg['rl'] else 0} steps, seed "
        f"{cfg['seed']} ({cfg['seconds']} s).",
        "",
        "## Found: the best learned gain over the best gain of any strategy",
        "",
        "| mechanism | others | agent | best strategy | best gain | best learned | learned gain | found | 95% CI |",
        "|---|---|---|---|---:|---|---:|---:|---|",
    ]
    for s in report["summary"]:
        found = "no significant gain" if not s["gain_exists"] else _fmt(s["found"], ".2f")
        lo, hi = s["found_ci95"]
        lines.append(f"| {s['mechanism']} | {s['others']} | {s['agent']} | {s['best_strategy']} | {s['best_gain']:+.2f} | "
                     f"{s['best_learned'] or '-'} | {_fmt(s['best_learned_gain'], '+.2f')} | {found} | "
                     f"{'-' if lo is None else f'[{lo:.2f}, {hi:.2f}]'} |")
    lines += [
        "",
        "## Every strategy",
        "",
        "Gain = E[U^pi_iT - U_iT], the agent's expected utility under the strategy minus under truthful play, "
        "on the same draws; 95% t-interval. 'Holm' marks rows whose gain or loss stays significant after "
        "Holm's correction over all rows (family-wise error 5%). 'at bound': share of decisions at the action "
        "or report bound.",
        "",
        "| mechanism | others | agent | strategy | learned | gain | 95% CI | truthful U_iT | theory bound | at bound | Holm |",
        "|---|---|---|---|---|---:|---|---:|---:|---:|---|",
    ]
    for r in report["rows"]:
        lo, hi = r["gain_ci95"]
        mark = r.get("holm_significant")
        holm_mark = "-" if mark is None else ("gain, Holm" if r["gain_mean"] > 0 else "loss, Holm") if mark else "no"
        lines.append(
            f"| {r['mechanism']} | {r['others']} | {r['agent']} | {r['strategy']} | {'yes' if r['learned'] else ''} | "
            f"{r['gain_mean']:+.3f} | {'-' if lo is None else f'[{lo:+.3f}, {hi:+.3f}]'} | {r['truthful_utility']:.2f} | "
            f"{_fmt(r['theory_bound'], '.4g')} | {r['at_bound']:.2f} | {holm_mark} |")
    return "\n".join(lines) + "\n"


def plot(curves: dict, cfg: AuditConfig, path: Path) -> None:
    """Mean cumulative paired gain over rounds, one panel per setting, in the table's order."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(dict.fromkeys(key[:3] for key in curves))
    cols = min(len(panels), 3)
    rows_ = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(4.6 * cols, 3.6 * rows_), squeeze=False)
    for ax, panel in zip(axes.flat, panels, strict=False):
        for key, gain in curves.items():
            if key[:3] == panel and key[3] != "truthful":
                learned = key[3] in LEARNED
                ax.plot(np.arange(1, len(gain) + 1), gain, label=key[3], lw=2 if learned else 0.9,
                        ls="-" if learned else "--")
        ax.axhline(0, color="k", lw=0.8)
        ax.set(title=f"{panel[0]}, others {panel[1]}, {panel[2]}", xlabel="round", ylabel="mean cumulative gain")
        ax.title.set_fontsize(8)
        ax.legend(fontsize=6, ncol=2)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"Paired gain over truthful play (T = {cfg.horizon}, {cfg.n_pairs} paired episodes)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = AuditConfig()
    parser.add_argument("--out", type=Path, default=Path("audit_out"), help="output folder (replaced on success)")
    parser.add_argument("--quick", action="store_true", help=f"a fast run, overriding the defaults with {QUICK}")
    parser.add_argument("--no-rl", dest="rl", action="store_false", help="skip PPO (CMA-ES and scripted rows remain)")
    parser.add_argument("--backend", choices=BACKENDS, default="process", help="where the settings run (default: process)")
    parser.add_argument("--workers", type=int, default=2, help="parallel workers of the process/ray backends (default 2)")
    parser.add_argument("--scenario", default=defaults.scenario, help="a registered scenario (default single_item)")
    parser.add_argument("--scenario-kwargs", type=json.loads, default=None, help="JSON object of builder arguments")
    parser.add_argument("--mechanism", default=defaults.mechanism, help="a registered mechanism (default vcg_learn)")
    parser.add_argument("--zetas", nargs="+", choices=("etc", "opt"), default=list(defaults.zetas))
    parser.add_argument("--f", choices=("upper", "mean", "lower"), default=defaults.f)
    parser.add_argument("--g", choices=("upper", "mean", "lower"), default=defaults.g)
    parser.add_argument("--agents", nargs="+", default=None,
                        help="agent indices to audit, or 'all' (default: the first, a middle and the last)")
    known = ["truthful", "learning", *scripted()]
    parser.add_argument("--others", nargs="+", choices=known, default=list(defaults.others),
                        help="behaviours of the other agents (default: truthful explore_shade_0.3)")
    for flag, help_ in (("horizon", "rounds T per episode"), ("n-pairs", "paired evaluation episodes per row"),
                        ("search-episodes", "CMA-ES budget in paired episodes"),
                        ("search-pairs", "paired episodes per CMA-ES candidate"), ("train-steps", "PPO decision steps"),
                        ("seed", "base seed")):
        parser.add_argument(f"--{flag}", type=int, default=None, help=f"{help_} (default {getattr(defaults, flag.replace('-', '_'))})")
    parser.add_argument("--deviation-scale", type=float, default=None, help="report = X + scale a (default 3)")
    args = vars(parser.parse_args(argv))
    out, quick, backend, workers = args.pop("out"), args.pop("quick"), args.pop("backend"), args.pop("workers")
    agents = args.pop("agents")
    cfg = replace(defaults, **(QUICK if quick else {}))
    overrides = {k: v for k, v in args.items() if v is not None}
    overrides["zetas"], overrides["others"] = tuple(overrides["zetas"]), tuple(overrides["others"])
    cfg = replace(cfg, **overrides)
    try:
        scenario = make_scenario(cfg.scenario, cfg.scenario_kwargs)
        make_mechanism(cfg.mechanism, scenario, zeta=cfg.zetas[0], f=cfg.f, g=cfg.g)
    except (KeyError, ValueError, TypeError) as err:
        parser.error(str(err))
    if agents is not None:
        if agents == ["all"]:
            cfg = replace(cfg, agents=tuple(range(scenario.n_agents)))
        elif not all(a.isdigit() and int(a) < scenario.n_agents for a in agents):
            parser.error(f"--agents {' '.join(agents)}: give indices in 0..{scenario.n_agents - 1} or 'all'")
        else:
            cfg = replace(cfg, agents=tuple(int(a) for a in agents))
    for name in ("horizon", "n_pairs", "search_episodes", "search_pairs", "train_steps"):
        if getattr(cfg, name) < (2 if name == "n_pairs" else 1):
            parser.error(f"--{name.replace('_', '-')} = {getattr(cfg, name)} is too small")
    if cfg.seed < 0 or workers < 1 or not cfg.deviation_scale > 0:
        parser.error(f"--seed {cfg.seed}, --workers {workers}, --deviation-scale {cfg.deviation_scale}: "
                     "seed >= 0, workers >= 1 and scale > 0")
    report = run(cfg, out, backend, workers)
    print(f"wrote {out / 'audit.json'}, {out / 'audit.md'}, {out / 'audit_gain.png'} in {report['config']['seconds']} s")
    return report


if __name__ == "__main__":
    main()
