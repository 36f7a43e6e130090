"""The truthfulness audit: can any reporting strategy beat truthful play against a mechanism?

    python -m agents.audit --out audit_out            # the full default (~2.5 min on 2 cores)
    python -m agents.audit --quick --out audit_out    # a first look (~30 s)

For each mechanism (zeta) and behaviour of the other agents, the audit trains an RL manipulator
(PPO, through the Gymnasium view), tunes a parametric strategy by random search (the non-RL
reference), and runs the scripted strategies. It then evaluates every strategy against truthful
play on the same random draws (common random numbers): each of ``n_pairs`` replications gives a
paired gain U^pi_iT - U_iT in the agent's expected utility, and the table reports the mean gain
with a 95% t-interval and a verdict. Results: ``OUT/audit.json``, ``OUT/audit.md`` and
``OUT/audit_gain.png`` (mean cumulative gain over rounds).

The embedded default is paper 1's Appendix F: the single-item scenario (10 agents), both zeta,
f = g = mean, T = 2000; the audited agent is agent 0 (the efficient winner); the others are
truthful (stationary, Theorem 3.5's assumption) or shade their reports in explore rounds
(non-stationary). ``--others learning`` lets every agent learn at once first (a
parameter-shared PPO policy through the PettingZoo env) and audits against that policy.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from scipy import stats

from baselines.strategies import Truthful, as_policy, random_search, scripted
from mdbf_envs.envs.single_agent import deviation_to_action
from mdbf_envs.vcg_learn.mechanism import VCGLearn
from mdbf_envs.parallel import BACKENDS, run_trials
from mdbf_envs.registry import make_mechanism, make_scenario
from mdbf_envs.rollout import rollout

REPORT_BOUNDS = (-5.0, 6.0)  # the env's default report space
SEARCH_SEED_OFFSET, EVAL_SEED_OFFSET = 1_000, 2_000  # random search and evaluation draw apart from training


@dataclass
class AuditConfig:
    scenario: str = "single_item"
    scenario_kwargs: dict = field(default_factory=dict)
    mechanism: str = "vcg_learn"
    zetas: tuple[str, ...] = ("etc", "opt")
    f: str = "mean"
    g: str = "mean"
    horizon: int = 2000
    agent: int = 0
    others: tuple[str, ...] = ("truthful", "explore_shade_0.3")
    train_steps: int = 60_000
    n_pairs: int = 64
    search_candidates: int = 24
    search_pairs: int = 16
    deviation_scale: float = 0.5
    seed: int = 0
    rl: bool = True


QUICK = {"horizon": 300, "train_steps": 6_000, "n_pairs": 32, "search_candidates": 6, "search_pairs": 8}


class PolicyStrategy:
    """An SB3 policy as a batch strategy: its action a moves the report to X + scale a, exactly
    as the Gymnasium view maps it."""

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
    the row's verdict (the interval excludes 0 or not)."""
    n = len(gains)
    mean = float(gains.mean())
    se = float(gains.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    half = float(stats.t.ppf(0.975, n - 1) * se) if n > 1 and se > 0 else (0.0 if se == 0 else float("inf"))
    low, high = mean - half, mean + half
    p_value = float(2 * stats.t.sf(abs(mean) / se, n - 1)) if 0 < se < float("inf") else 1.0
    verdict = "significant gain" if low > 0 else "significant loss" if high < 0 else "no significant gain"
    return {"gain_mean": mean, "gain_se": se, "gain_ci95": [low, high], "p_value": p_value, "n_pairs": n,
            "verdict": verdict}


def holm(p_values: list[float], alpha: float = 0.05) -> list[bool]:
    """Holm's step-down test: which hypotheses "gain = 0" are rejected with family-wise error
    at most ``alpha`` over all rows (each row alone is tested at 5%, so among many rows some
    per-row verdicts are false positives)."""
    order = np.argsort(p_values)
    reject = [False] * len(p_values)
    for rank, k in enumerate(order):
        if p_values[k] > alpha / (len(p_values) - rank):
            break
        reject[k] = True
    return reject


def theory_bound(cfg: AuditConfig, zeta: str, others_stationary: bool, mech: VCGLearn) -> tuple[float | None, str]:
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


def train_manipulator(cfg: AuditConfig, zeta: str, others: str, seed: int, others_policy=None):
    """PPO through the Gymnasium view against the given others (``others_policy`` overrides)."""
    from agents.train import Args, train

    args = Args(
        env_id="mdbf_envs/VCGLearn-v0",
        env_kwargs={"scenario": cfg.scenario, "scenario_kwargs": cfg.scenario_kwargs, "mechanism": cfg.mechanism,
                    "zeta": zeta, "f": cfg.f, "g": cfg.g, "horizon": cfg.horizon},
        agent=make_scenario(cfg.scenario, cfg.scenario_kwargs).agent_names[cfg.agent],
        others=others, timesteps=cfg.train_steps, seed=seed, deviation_scale=cfg.deviation_scale,
        n_steps=min(512, cfg.horizon), batch_size=min(512, cfg.horizon), gamma=0.999, progress_bar=True,
    )
    return train(args, others=others_policy)


def learned_others(cfg: AuditConfig, zeta: str) -> PolicyStrategy:
    """``--others learning``: every agent learns at once (one parameter-shared PPO policy through
    the PettingZoo env, ``train_steps`` steps); the audited agent then faces that policy."""
    from agents.train_shared import train_shared

    env_kwargs = {"scenario": cfg.scenario, "scenario_kwargs": cfg.scenario_kwargs, "mechanism": cfg.mechanism,
                  "zeta": zeta, "f": cfg.f, "g": cfg.g, "horizon": cfg.horizon}
    model = train_shared(env_kwargs, cfg.train_steps, cfg.seed, cfg.deviation_scale)
    return PolicyStrategy(model, cfg.deviation_scale)


def audit_setting(cfg: AuditConfig, zeta: str, others: str, torch_threads: int | None = None) -> tuple[list, dict]:
    """One (mechanism, others) setting: train, search, evaluate. Returns (rows, gain curves)."""
    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)
    scenario = make_scenario(cfg.scenario, cfg.scenario_kwargs)
    other = learned_others(cfg, zeta) if others == "learning" else {"truthful": Truthful(), **scripted()}[others]
    fixed = {j: other for j in range(scenario.n_agents) if j != cfg.agent and others != "truthful"}
    eval_seed, search_seed = cfg.seed + EVAL_SEED_OFFSET, cfg.seed + SEARCH_SEED_OFFSET

    def mechanism(replications: int):
        return make_mechanism(cfg.mechanism, scenario, zeta=zeta, f=cfg.f, g=cfg.g, replications=replications)

    def utilities(strategy, seed: int, replications: int, track: bool = False):
        res = rollout(mechanism(replications), cfg.horizon, seed, {**fixed, cfg.agent: strategy},
                      policy_seed=seed + 7, track=cfg.agent if track else None)
        return res.utility[:, cfg.agent], res.curve

    base_train, _ = utilities(Truthful(), search_seed, cfg.search_pairs)
    tuned, _ = random_search(lambda s: float((utilities(s, search_seed, cfg.search_pairs)[0] - base_train).mean()),
                             cfg.search_candidates, np.random.default_rng(cfg.seed))
    candidates = {"truthful": Truthful(), **scripted(), "random_search": tuned}
    if cfg.rl:
        model = train_manipulator(cfg, zeta, others, cfg.seed, as_policy(other) if others == "learning" else None)
        candidates["ppo"] = PolicyStrategy(model, cfg.deviation_scale)
    base, base_curve = utilities(Truthful(), eval_seed, cfg.n_pairs, track=True)
    bound, basis = theory_bound(cfg, zeta, others == "truthful", mechanism(1))
    label = f"{cfg.mechanism}:{zeta}"
    rows, curves = [], {}
    for name, strategy in candidates.items():
        u, curve = utilities(strategy, eval_seed, cfg.n_pairs, track=True)
        row = {"mechanism": label, "others": others, "strategy": name,
               **paired_gain(u - base), "truthful_utility": float(base.mean()),
               "theory_bound": bound, "theory_basis": basis}
        if name == "random_search":
            row["theta"] = list(strategy.theta)
        rows.append(row)
        curves[(label, others, name)] = (curve - base_curve).mean(axis=1)
        print(f"{label:>16} | others {others:>18} | {name:>18} | gain {row['gain_mean']:+8.3f} "
              f"[{row['gain_ci95'][0]:+8.3f}, {row['gain_ci95'][1]:+8.3f}] | {row['verdict']}", flush=True)
    return rows, curves


def run(cfg: AuditConfig, out: Path, backend: str = "serial", workers: int | None = None) -> dict:
    """Run the audit (settings in parallel on ``backend``) and write its files; returns the report."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    settings = [{"cfg": cfg, "zeta": z, "others": o, "torch_threads": 1 if backend != "serial" else None}
                for z in cfg.zetas for o in cfg.others]
    rows, curves = [], {}
    for setting_rows, setting_curves in run_trials(audit_setting, settings, backend, workers):
        rows += setting_rows
        curves.update(setting_curves)
    tested = [r for r in rows if r["strategy"] != "truthful"]
    for r, rejected in zip(tested, holm([r["p_value"] for r in tested]), strict=True):
        r["holm_significant"] = rejected
    report = {"config": {**asdict(cfg), "date": datetime.date.today().isoformat(),
                         "eval_seed": cfg.seed + EVAL_SEED_OFFSET, "search_seed": cfg.seed + SEARCH_SEED_OFFSET,
                         "backend": backend, "seconds": round(time.time() - started, 1)},
              "rows": rows}
    (out / "audit.json").write_text(json.dumps(report, indent=2))
    (out / "audit.md").write_text(markdown(report))
    plot(curves, cfg, out / "audit_gain.png")
    return report


def markdown(report: dict) -> str:
    """The audit table as Markdown."""
    cfg = report["config"]
    lines = [
        "# Truthfulness audit",
        "",
        f"{cfg['date']}; scenario `{cfg['scenario']}`, mechanism `{cfg['mechanism']}`, f = {cfg['f']}, "
        f"g = {cfg['g']}, T = {cfg['horizon']}, audited agent {cfg['agent']}, {cfg['n_pairs']} paired "
        f"episodes per row, PPO {cfg['train_steps'] if cfg['rl'] else 0} steps, seed {cfg['seed']} "
        f"({cfg['seconds']} s).",
        "",
        "Gain = E[U^pi_iT - U_iT], agent i's expected utility under the strategy minus under truthful "
        "play, on the same draws; 95% t-interval. The verdict reads each row's interval alone; "
        "'Holm' marks rows whose gain stays significant after Holm's correction over all rows "
        "(family-wise error 5%).",
        "",
        "| mechanism | others | strategy | gain | 95% CI | truthful U_iT | theory bound | verdict | Holm |",
        "|---|---|---|---:|---|---:|---:|---|---|",
    ]
    for r in report["rows"]:
        bound = "-" if r["theory_bound"] is None else f"{r['theory_bound']:.4g}"
        holm_mark = {True: "yes", False: "no", None: "-"}[r.get("holm_significant")]
        lines.append(
            f"| {r['mechanism']} | {r['others']} | {r['strategy']} | {r['gain_mean']:+.3f} | "
            f"[{r['gain_ci95'][0]:+.3f}, {r['gain_ci95'][1]:+.3f}] | {r['truthful_utility']:.2f} | {bound} | "
            f"{r['verdict']} | {holm_mark} |"
        )
    return "\n".join(lines) + "\n"


def plot(curves: dict, cfg: AuditConfig, path: Path) -> None:
    """Mean cumulative gain over rounds, one panel per (mechanism, others)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(m, o) for m, o, _ in curves})
    fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.8), squeeze=False)
    for ax, (m, o) in zip(axes[0], panels, strict=True):
        for (m2, o2, name), gain in curves.items():
            if (m2, o2) == (m, o) and name != "truthful":
                ax.plot(np.arange(1, len(gain) + 1), gain, label=name, lw=2 if name in ("ppo", "random_search") else 1)
        ax.axhline(0, color="k", lw=0.8)
        ax.set(title=f"{m}, others {o}", xlabel="round", ylabel="mean cumulative gain")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("audit_out"))
    parser.add_argument("--quick", action="store_true", help=f"a fast run: {QUICK}")
    parser.add_argument("--no-rl", dest="rl", action="store_false", help="skip the RL manipulator")
    parser.add_argument("--backend", choices=BACKENDS, default="process",
                        help="where the (mechanism, others) settings run: one process each by default")
    parser.add_argument("--workers", type=int, default=2, help="parallel workers (process/ray backends)")
    defaults = AuditConfig()
    for name in ("scenario", "mechanism", "f", "g"):
        parser.add_argument(f"--{name}", default=getattr(defaults, name))
    for name in ("horizon", "agent", "train_steps", "n_pairs", "search_candidates", "search_pairs", "seed"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)
    parser.add_argument("--zetas", nargs="+", default=list(defaults.zetas))
    parser.add_argument("--others", nargs="+", default=list(defaults.others))
    parser.add_argument("--scenario-kwargs", type=json.loads, default={})
    args = vars(parser.parse_args(argv))
    out, quick, backend, workers = args.pop("out"), args.pop("quick"), args.pop("backend"), args.pop("workers")
    cfg = replace(defaults, **(QUICK if quick else {}))
    overrides = {k: v for k, v in args.items() if v is not None}
    overrides["zetas"], overrides["others"] = tuple(overrides["zetas"]), tuple(overrides["others"])
    cfg = replace(cfg, **overrides)
    known = {"truthful", "learning", *scripted()}
    if set(cfg.others) - known:
        parser.error(f"--others must be among {sorted(known)}")
    report = run(cfg, out, backend, workers)
    print(f"wrote {out / 'audit.json'}, {out / 'audit.md'}, {out / 'audit_gain.png'} in {report['config']['seconds']} s")
    return report


if __name__ == "__main__":
    main()
