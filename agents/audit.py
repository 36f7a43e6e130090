"""The truthfulness audit: can any reporting strategy beat truthful play against a mechanism?

    python -m agents.audit --out audit_out            # the full default (~15 min on 2 cores)
    python -m agents.audit --quick --out audit_out    # a first look (~1 min)

A *setting* is (mechanism, behaviour of the other agents, audited agent); for joint ads the
mechanism is a learner on a valuation sequence. In each, the audit
runs the scripted strategies (:mod:`baselines.strategies`), searches a linear reporting policy
with CMA-ES (:mod:`agents.search`) and trains PPO (:mod:`agents.ppo_paired`), both learning on
paired, decision-point episodes, and evaluates every strategy on the same ``n_pairs`` paired
episodes (:class:`mdbf_envs.core.paired.PairedMarket`: the agent's utility with the strategy minus
with truthful reports, on the same draws). Rows give the mean gain with a 95% t-interval; Holm's
correction runs over all rows. Each setting leads with its *found* figure: the best learned gain
over the best gain of any strategy, with a bootstrap interval over the paired episodes, since an
audit that misses a gain which exists certifies a false claim.

Evaluation applies a strategy where the mechanism keeps the agent's report and plays truthfully
elsewhere: a discarded report changes no utility, and no scripted strategy reads its own past
reports, so the gains are those of the strategy played in every round.

The embedded default audits both papers. Paper 1, Appendix F: single item, 10 agents,
f = g = mean, T = 2000, ETC and OPT; agents 0 (the efficient winner, mu = 0.8), 4 (a middle
agent) and 9 (the lowest); others truthful (Theorem 3.5's stationary others) or shading in
explore rounds. Paper 2: the merchant stays for T = 200 rounds against Augment-the-Best,
PathLearning, follow-the-leader, posted prices and the EpochLearner variant, on the stochastic
and smooth sequences, the brand truthful or bidding 0.8 v. Files:
``OUT/audit.json`` (strict JSON), ``OUT/audit.md``, ``OUT/audit_gain.png``, written to a
temporary folder and moved into place when the run completes.
"""

from __future__ import annotations

import datetime
import json
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from scipy import stats

from agents.cli_types import JsonObject
from agents.search import SearchConfig, cma_search
from baselines.strategies import BidScale, Truthful, scripted, scripted_bids
from mdbf_envs.envs.single_agent import deviation_to_action
from mdbf_envs.envs.paired import joint_ads_game, paired_market
from mdbf_envs.joint_ads.valuations import SEQUENCES
from mdbf_envs.core.paired import PairedGame
from mdbf_envs.core.parallel import run_trials
from mdbf_envs.registry import LEARNERS, make_mechanism, make_scenario
from mdbf_envs.core.streams import pair_streams

REPORT_BOUNDS = (-5.0, 6.0)  # the env's default report space
SEARCH_SEED_OFFSET, EVAL_SEED_OFFSET = 1_000, 2_000  # search and evaluation draw apart from training
LEARNED = ("cma_es", "ppo")


PAPERS = ("vcg_learn", "joint_ads")
ADS_LEARNER_KWARGS = {"follow_the_leader": {"refit_growth": 1.1}, "posted_price_leader": {"refit_growth": 1.1}}
"""Joint-ads learners that refit on every round get Augment-the-Best's geometric refit schedule in
the audit (docs/decisions.md#augment-schedule), so that hundreds of episodes stay affordable."""


@dataclass
class AuditConfig:
    """What the audit audits and with what budget (``ads_*``: the joint-ads part)."""

    papers: tuple[Literal["vcg_learn", "joint_ads"], ...] = PAPERS
    """which papers' mechanisms to audit"""
    scenario: str = "single_item"
    """paper 1: a registered scenario"""
    scenario_kwargs: JsonObject | None = None
    """paper 1: the scenario builder's arguments, a JSON object"""
    mechanism: str = "vcg_learn"
    """paper 1: a registered mechanism"""
    zetas: tuple[Literal["etc", "opt"], ...] = ("etc", "opt")
    """paper 1: VCG-Learn variants"""
    f: Literal["upper", "mean", "lower"] = "mean"
    """paper 1: F of eq. (7)"""
    g: Literal["upper", "mean", "lower"] = "mean"
    """paper 1: G of eq. (7)"""
    horizon: int = 2000
    """paper 1: rounds T per episode"""
    agents: tuple[int, ...] | None = None
    """paper 1: agent indices to audit (default: the first, a middle and the last)"""
    others: tuple[str, ...] = ("truthful", "explore_shade_0.3")
    """paper 1: the other agents' behaviours: truthful, learning (a shared PPO policy) or a scripted strategy"""
    n_pairs: int = 256
    """paper 1: paired evaluation episodes per row (>= 2)"""
    search_episodes: int = 8_000
    """paper 1: CMA-ES budget in paired episodes"""
    search_pairs: int = 32
    """paper 1: paired episodes per CMA-ES candidate"""
    train_steps: int = 120_000
    """paper 1: PPO decision steps"""
    deviation_scale: float = 3.0
    """paper 1: a learned report is X + scale a, a in [-1, 1]"""
    ads_learners: tuple[str, ...] = ("augment_the_best", "path_learning", "follow_the_leader", "posted_price_leader",
                                     "epoch_augment_the_best")
    """paper 2: registered learners to audit"""
    ads_sequences: tuple[str, ...] = ("stochastic", "smooth")
    """paper 2: valuation sequences"""
    ads_others: tuple[str, ...] = ("truthful", "bid_0.8v")
    """paper 2: the other buyer's behaviour: truthful or a scripted bid"""
    ads_agent: Literal["merchant", "brand"] = "merchant"
    """paper 2: the audited buyer"""
    ads_horizon: int = 200
    """paper 2: rounds per episode"""
    ads_n_pairs: int = 32
    """paper 2: paired evaluation episodes per row (>= 2)"""
    ads_search_episodes: int = 288
    """paper 2: CMA-ES budget in paired episodes"""
    ads_search_pairs: int = 8
    """paper 2: paired episodes per CMA-ES candidate"""
    ads_train_steps: int = 32_000
    """paper 2: PPO steps"""
    seed: int = 0
    """base seed (search and evaluation draw apart from it)"""
    rl: bool = True
    """train PPO (--no-rl: CMA-ES and the scripted rows only)"""

    def check(self) -> None:
        """Refuse a bad configuration before any work, naming the option and value."""
        scenario = make_scenario(self.scenario, self.scenario_kwargs)
        make_mechanism(self.mechanism, scenario, zeta=self.zetas[0] if self.zetas else "etc", f=self.f, g=self.g)
        if not self.papers or not self.zetas or not self.others:
            raise ValueError("--papers, --zetas and --others need at least one value each")
        bad_agents = [a for a in self.agents or () if not 0 <= a < scenario.n_agents]
        if bad_agents:
            raise ValueError(f"--agents {bad_agents}: agents are 0..{scenario.n_agents - 1}")
        for flag, values, known in (("--others", self.others, ["truthful", "learning", *scripted()]),
                                    ("--ads-learners", self.ads_learners, sorted(LEARNERS)),
                                    ("--ads-sequences", self.ads_sequences, sorted(SEQUENCES)),
                                    ("--ads-others", self.ads_others, ["truthful", *scripted_bids()])):
            unknown = [v for v in values if v not in known]
            if unknown:
                raise ValueError(f"{flag} {unknown}: use {known}")
        for name in ("horizon", "n_pairs", "search_episodes", "search_pairs", "train_steps", "ads_horizon",
                     "ads_n_pairs", "ads_search_episodes", "ads_search_pairs", "ads_train_steps"):
            if getattr(self, name) < (2 if name.endswith("n_pairs") else 1):
                raise ValueError(f"--{name.replace('_', '-')} {getattr(self, name)} is too small")
        if self.seed < 0 or not self.deviation_scale > 0:
            raise ValueError(f"--seed {self.seed} must be >= 0 and --deviation-scale {self.deviation_scale} > 0")


QUICK = {"horizon": 500, "agents": (0, 4), "n_pairs": 96, "search_episodes": 2_000, "search_pairs": 16,
         "train_steps": 20_000, "ads_learners": ("augment_the_best", "path_learning"), "ads_sequences": ("stochastic",),
         "ads_others": ("truthful",), "ads_horizon": 100, "ads_n_pairs": 16, "ads_search_episodes": 96,
         "ads_search_pairs": 4, "ads_train_steps": 4_000}


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


@dataclass(frozen=True)
class PPOSettings:
    """PPO's budget and exploration in one paper's settings (measured, see the README): VCG-Learn
    trains with Gaussian action noise; joint ads with generalized state-dependent exploration
    (gSDE) held for a whole rollout, since a lie there pays only when it is kept up across the
    episode and independent per-round noise averages out. Against Augment-the-Best, stochastic:
    +2.9 with per-round noise (16 000 steps); with gSDE (32 000 steps) +21.4 at log sd -1.6 and
    +12.7 at -0.5. gSDE in VCG-Learn lost ETC's gain (-3.0 against +24.5)."""

    timesteps: int
    n_envs: int = 32
    n_steps: int = 128
    batch_size: int = 1024
    use_sde: bool = False
    log_std_init: float = -1.6


@dataclass(frozen=True)
class Setting:
    """One audited setting of either paper: how to build its paired game, what to run in it."""

    labels: dict  # mechanism, others, agent: the row's names
    game: Callable[[int], PairedGame]  # pairs -> a paired game
    others: object  # the other agents' batch strategy (None: truthful)
    strategies: dict  # name -> scripted batch strategy, "truthful" first
    env_id: str  # the Gymnasium id PPO trains on (paired options added by train_ppo)
    env_kwargs: dict
    ppo: PPOSettings
    search: SearchConfig
    n_pairs: int
    theory_bound: float | None
    theory_basis: str


def vcg_setting(cfg: AuditConfig, zeta: str, others: str, agent: int) -> Setting:
    """A paper-1 setting: its paired market, strategies, PPO env and theory."""
    scenario = make_scenario(cfg.scenario, cfg.scenario_kwargs)
    name = scenario.agent_names[agent]
    other = None if others == "truthful" else learned_others(cfg, zeta) if others == "learning" else scripted()[others]
    kwargs = {"scenario": cfg.scenario, "scenario_kwargs": cfg.scenario_kwargs, "mechanism": cfg.mechanism,
              "zeta": zeta, "f": cfg.f, "g": cfg.g, "horizon": cfg.horizon, "agent": name,
              "deviation_scale": cfg.deviation_scale}
    bound, basis = theory_bound(cfg, zeta, others == "truthful",
                                make_mechanism(cfg.mechanism, scenario, zeta=zeta, f=cfg.f, g=cfg.g))
    return Setting({"mechanism": f"{cfg.mechanism}:{zeta}", "others": others, "agent": name},
                   lambda pairs: paired_market(pairs, others=other, **kwargs), other,
                   {"truthful": Truthful(), **scripted()}, "mdbf_envs/VCGLearn-v0", kwargs,
                   PPOSettings(cfg.train_steps), SearchConfig(cfg.search_episodes, cfg.search_pairs), cfg.n_pairs,
                   bound, basis)


def ads_setting(cfg: AuditConfig, learner: str, sequence: str, others: str) -> Setting:
    """A paper-2 setting: a buyer who stays against a learner, the other buyer truthful or not."""
    other = None if others == "truthful" else scripted_bids()[others]
    kwargs = {"learner": learner, "sequence": sequence, "horizon": cfg.ads_horizon, "agent": cfg.ads_agent,
              "learner_kwargs": ADS_LEARNER_KWARGS.get(learner, {})}
    ppo = PPOSettings(cfg.ads_train_steps, n_envs=8, n_steps=cfg.ads_horizon, batch_size=2 * cfg.ads_horizon,
                      use_sde=True)
    return Setting({"mechanism": f"joint_ads:{learner}/{sequence}", "others": others, "agent": cfg.ads_agent},
                   lambda pairs: joint_ads_game(pairs, others=other, **kwargs), other,
                   {"truthful": BidScale(1.0), **scripted_bids()}, "mdbf_envs/JointAds-v0", kwargs, ppo,
                   SearchConfig(cfg.ads_search_episodes, cfg.ads_search_pairs, sigma0=0.2), cfg.ads_n_pairs, None,
                   "DSIC each round (paper 2, Sec. 2); no claim for a buyer who stays")


def audit_setting(cfg: AuditConfig, paper: str, setting: dict, torch_threads: int | None = None) -> tuple[list, dict]:
    """One setting of either paper: scripted strategies, CMA-ES and PPO, all evaluated on the
    same paired episodes. Returns (rows, gain curves)."""
    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)
    started = time.time()
    spec = vcg_setting(cfg, **setting) if paper == "vcg_learn" else ads_setting(cfg, **setting)
    n_pairs, labels = spec.n_pairs, spec.labels
    evaluator = spec.game(n_pairs)
    eval_seed = cfg.seed + EVAL_SEED_OFFSET

    def evaluate(policy=None, strategy=None):
        return evaluator.run(policy, pair_streams(eval_seed, n_pairs, 1, evaluator.draws), policy_seed=eval_seed,
                             track=True, strategy=strategy)

    candidates = {k: ("strategy", s) for k, s in spec.strategies.items()}
    search = cma_search(spec.game, replace(spec.search, seed=cfg.seed + SEARCH_SEED_OFFSET))
    candidates["cma_es"] = ("policy", search.policy)
    if cfg.rl:
        from agents.ppo_paired import PPOConfig, PPOPolicy, train_ppo

        ppo = spec.ppo
        model = train_ppo(spec.env_id, spec.env_kwargs, PPOConfig(
            timesteps=ppo.timesteps, n_envs=ppo.n_envs, n_steps=ppo.n_steps, batch_size=ppo.batch_size, use_sde=ppo.use_sde,
            log_std_init=ppo.log_std_init, seed=cfg.seed), others=spec.others)
        candidates["ppo"] = ("policy", PPOPolicy(model))
    rows, curves = [], {}
    for label, (kind, strategy) in candidates.items():
        res = evaluate(**{kind: strategy})
        row = {**labels, "paper": paper, "strategy": label, "learned": label in LEARNED, **paired_gain(res.gain),
               "truthful_utility": float(res.truthful_utility.mean()), "seller_change": float(res.seller_change.mean()),
               "theory_bound": spec.theory_bound, "theory_basis": spec.theory_basis,
               "decisions_per_episode": res.decisions / n_pairs,
               "at_bound": res.at_bound / res.decisions if res.decisions else 0.0}
        if label == "cma_es":
            row["theta"] = list(strategy.theta)
        rows.append({**row, "_gains": res.gain.tolist()})  # dropped once the found ratios are computed
        curves[(labels["mechanism"], labels["others"], labels["agent"], label)] = res.curve
        ci = row["gain_ci95"]
        print(f"{labels['mechanism']:>34} | {labels['others']:>17} | {labels['agent']:>8} | {label:>23} | gain "
              f"{row['gain_mean']:+8.3f} [{ci[0]:+8.3f}, {ci[1]:+8.3f}] | {row['verdict']}", flush=True)
    for row in rows:
        row["setting_seconds"] = round(time.time() - started, 1)
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
        entry.update(found=None, found_ci95=[None, None], over_scripted=None)
        if top is not None and entry["gain_exists"] and best["gain_mean"] > 0:
            entry.update(found_ratio(np.asarray(top["_gains"]), np.asarray(best["_gains"]), np.random.default_rng(0)))
            scripted_best = max((r for r in block if not r["learned"]), key=lambda r: r["gain_mean"])
            if scripted_best["gain_mean"] > 0:
                entry["over_scripted"] = top["gain_mean"] / scripted_best["gain_mean"]
        out.append(entry)
    return out


def run(cfg: AuditConfig, out: Path, backend: str = "serial", workers: int | None = None) -> dict:
    """Run the audit (settings in parallel on ``backend``) and write its files; returns the report."""
    started = time.time()
    scenario = make_scenario(cfg.scenario, cfg.scenario_kwargs)
    agents = cfg.agents if cfg.agents is not None else default_agents(scenario.n_agents)
    threads = 1 if backend != "serial" else None
    settings = []
    if "vcg_learn" in cfg.papers:
        settings += [{"cfg": cfg, "paper": "vcg_learn", "setting": {"zeta": z, "others": o, "agent": a},
                      "torch_threads": threads} for z in cfg.zetas for o in cfg.others for a in agents]
    if "joint_ads" in cfg.papers:
        settings += [{"cfg": cfg, "paper": "joint_ads", "setting": {"learner": lr, "sequence": sq, "others": o},
                      "torch_threads": threads} for lr in cfg.ads_learners for sq in cfg.ads_sequences for o in cfg.ads_others]
    def progress(done: int, total: int) -> None:
        print(f"audit: {done}/{total} settings done ({(time.time() - started) / 60:.1f} min)", flush=True)

    rows, curves = [], {}
    for setting_rows, setting_curves in run_trials(audit_setting, settings, backend, workers, on_done=progress):
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
        f"{cfg['date']}, seed {cfg['seed']}, {cfg['seconds']} s. Paper 1: scenario `{cfg['scenario']}`, mechanism "
        f"`{cfg['mechanism']}`, f = {cfg['f']}, g = {cfg['g']}, T = {cfg['horizon']}, agents {cfg['agents']}, "
        f"{cfg['n_pairs']} paired episodes per row, CMA-ES {cfg['search_episodes']} episodes, PPO "
        f"{cfg['train_steps'] if cfg['rl'] else 0} steps. Paper 2: the {cfg['ads_agent']} stays for T = "
        f"{cfg['ads_horizon']} rounds, {cfg['ads_n_pairs']} paired episodes per row, CMA-ES "
        f"{cfg['ads_search_episodes']} episodes, PPO {cfg['ads_train_steps'] if cfg['rl'] else 0} steps. "
        f"Papers audited: {', '.join(cfg['papers'])}.",
        "",
        "## Found: the best learned gain over the best gain of any strategy",
        "",
        "| mechanism | others | agent | best strategy | best gain | best learned | learned gain | found | 95% CI | learned / best scripted |",
        "|---|---|---|---|---:|---|---:|---:|---|---:|",
    ]
    for s in report["summary"]:
        found = "no significant gain" if not s["gain_exists"] else _fmt(s["found"], ".2f")
        lo, hi = s["found_ci95"]
        lines.append(f"| {s['mechanism']} | {s['others']} | {s['agent']} | {s['best_strategy']} | {s['best_gain']:+.2f} | "
                     f"{s['best_learned'] or '-'} | {_fmt(s['best_learned_gain'], '+.2f')} | {found} | "
                     f"{'-' if lo is None else f'[{lo:.2f}, {hi:.2f}]'} | {_fmt(s['over_scripted'], '.2f')} |")
    lines += [
        "",
        "## Every strategy",
        "",
        "Gain = E[U^pi_iT - U_iT], the agent's expected utility under the strategy minus under truthful play, "
        "on the same draws; 95% t-interval. 'seller change': the seller's utility (revenue) with the strategy "
        "minus with truthful play. 'Holm' marks rows whose gain or loss stays significant after "
        "Holm's correction over all rows (family-wise error 5%). 'at bound': share of decisions whose action "
        "hit |a| = 1 or whose report or bid was clipped to the report space.",
        "",
        "| mechanism | others | agent | strategy | learned | gain | 95% CI | truthful U_iT | seller change | theory bound | at bound | Holm |",
        "|---|---|---|---|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in report["rows"]:
        lo, hi = r["gain_ci95"]
        mark = r.get("holm_significant")
        holm_mark = "-" if mark is None else ("gain, Holm" if r["gain_mean"] > 0 else "loss, Holm") if mark else "no"
        lines.append(
            f"| {r['mechanism']} | {r['others']} | {r['agent']} | {r['strategy']} | {'yes' if r['learned'] else ''} | "
            f"{r['gain_mean']:+.3f} | {'-' if lo is None else f'[{lo:+.3f}, {hi:+.3f}]'} | {r['truthful_utility']:.2f} | "
            f"{r['seller_change']:+.2f} | "
            f"{_fmt(r['theory_bound'], '.4g')} | {r['at_bound']:.2f} | {holm_mark} |")
    return "\n".join(lines) + "\n"


def plot(curves: dict, cfg: AuditConfig, path: Path) -> None:
    """Mean cumulative paired gain over rounds with 95% bands, one panel per setting, in the
    table's order."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(dict.fromkeys(key[:3] for key in curves))
    cols = min(len(panels), 3)
    rows_ = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(4.6 * cols, 3.6 * rows_), squeeze=False)
    for ax, panel in zip(axes.flat, panels, strict=False):
        for key, curve in curves.items():
            if key[:3] == panel and key[3] != "truthful":
                learned = key[3] in LEARNED
                t, mean, half = np.arange(1, len(curve) + 1), curve[:, 0], 1.96 * curve[:, 1]
                line, = ax.plot(t, mean, label=key[3], lw=2 if learned else 0.9, ls="-" if learned else "--")
                ax.fill_between(t, mean - half, mean + half, color=line.get_color(), alpha=0.12, lw=0)
        ax.axhline(0, color="k", lw=0.8)
        ax.set(title=f"{panel[0]}, others {panel[1]}, {panel[2]}", xlabel="round", ylabel="mean cumulative gain")
        ax.title.set_fontsize(8)
        ax.legend(fontsize=6, ncol=2)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"Paired gain over truthful play, mean and 95% band (paper 1: T = {cfg.horizon}, {cfg.n_pairs} "
                 f"pairs; paper 2: T = {cfg.ads_horizon}, {cfg.ads_n_pairs} pairs)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


@dataclass
class AuditArgs:
    """The audit's command line: a configuration and where and how to run it."""

    config: AuditConfig = field(default_factory=AuditConfig)
    out: Path = Path("audit_out")
    """output folder (written as OUT.partial, renamed when the run completes)"""
    quick: bool = False
    """a fast first look: QUICK's budget replaces the defaults (options given still apply)"""
    all_agents: bool = False
    """paper 1: audit every agent (instead of --agents)"""
    backend: Literal["serial", "process", "ray"] = "process"
    """where the settings run"""
    workers: int = 2
    """parallel workers of the process and ray backends"""


def main(argv: list[str] | None = None) -> dict:
    import sys

    import tyro

    argv = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in argv
    default = AuditArgs(config=replace(AuditConfig(), **QUICK), quick=True) if quick else AuditArgs()
    args = tyro.cli(AuditArgs, args=argv, default=default, description=__doc__,
                    config=(tyro.conf.OmitArgPrefixes,))
    cfg = args.config
    try:
        if args.all_agents:
            cfg = replace(cfg, agents=tuple(range(make_scenario(cfg.scenario, cfg.scenario_kwargs).n_agents)))
        cfg.check()
        if args.workers < 1:
            raise ValueError(f"--workers {args.workers} must be >= 1")
    except (KeyError, ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    report = run(cfg, args.out, args.backend, args.workers)
    print(f"wrote {args.out / 'audit.json'}, {args.out / 'audit.md'}, {args.out / 'audit_gain.png'} in "
          f"{report['config']['seconds']} s")
    return report


if __name__ == "__main__":
    main()
