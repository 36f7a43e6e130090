"""Regret of the joint-ads learners (paper 2) in its four settings.

    python -m baselines.joint_ads_regret --setting stochastic --out results/

writes ``joint_ads_<setting>.json`` (configuration; per learner the cumulative revenue, the
regret against the best fixed mechanism in hindsight and, where the law is known, the
pseudo-regret against the Bayesian optimum, sup_M E[Rev(M)] T - sum_t E[Rev(M_t)] with exact
expectations; the log-log slope of the regret over T, the pseudo-regret where there is one)
and ``joint_ads_<setting>.png``.

Settings: ``stochastic`` (i.i.d. uniform, theory T^(3/4) for Augment-the-Best),
``smooth`` (a sigma-smooth moving box, theory T^(2/3) for PathLearning), ``adversarial``
(Theorem 5's needle sequence: no learner beats half the hindsight revenue),
``equal-revenue`` (Example 1: posted prices and grid mechanisms get ~1/n of the optimum).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from baselines.vcg_regret_rate import loglog_slope
from mdbf_envs.joint_ads.learners import (
    AugmentTheBest,
    FollowTheLeader,
    PathLearning,
    PostedPriceLeader,
    hindsight_revenue,
    play,
)
from mdbf_envs.joint_ads.valuations import (
    Valuations,
    equal_revenue,
    iid_uniform,
    needle_in_haystack,
    smooth_moving_box,
)

SETTINGS = ("stochastic", "smooth", "adversarial", "equal-revenue")
THEORY = {
    "stochastic": "regret O~(T^(3/4)) for augment_the_best",
    "smooth": "regret O(T^(2/3)) for path_learning",
    "adversarial": "revenue <= 1/(2 - eps) = 0.571 of hindsight (eps = 0.25), -> 1/2 as eps -> 0",
    "equal-revenue": "grid (delta >= eps) and posted prices get ~1/n; OPT = H_n/n",
}


def valuations(setting: str, T: int, rng: np.random.Generator, sigma: float) -> Valuations:
    """The valuation sequence of a setting."""
    if setting == "stochastic":
        return iid_uniform(T, rng)
    if setting == "smooth":
        return smooth_moving_box(T, rng, sigma=sigma, period=max(T // 4, 1))
    if setting == "adversarial":
        return needle_in_haystack(T, rng, eps=0.25, delta=0.1)
    return equal_revenue(T, rng, n=10, eps=0.01)


def learners(T: int, sigma: float, rng: np.random.Generator) -> dict:
    """Every learner and baseline compared."""
    return {
        "augment_the_best": AugmentTheBest(),
        "path_learning": PathLearning(T, sigma, rng),
        "follow_the_leader": FollowTheLeader(refit_growth=1.1),
        "grid_leader_0.1": FollowTheLeader(delta=0.1, refit_growth=1.1),
        "posted_price_leader": PostedPriceLeader(refit_growth=1.1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setting", choices=SETTINGS, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sigma", type=float, default=0.25, help="smoothness (smooth setting)")
    parser.add_argument("--points", type=int, default=12, help="checkpoints for the regret curve")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    seq = valuations(args.setting, args.rounds, rng, args.sigma)
    T = len(seq.values)
    rounds = np.unique(np.geomspace(max(T // 50, 10), T, args.points).astype(int))
    if args.setting == "adversarial":  # exact by Prop. 3; the float DP cannot resolve the needles
        hindsight = np.cumsum(seq.values.sum(1))[rounds - 1]
    else:
        hindsight = hindsight_revenue(seq.values, rounds)
    sigma = args.sigma if args.setting == "smooth" else 1.0
    report = {
        "config": {"setting": args.setting, "rounds": T, "seed": args.seed, "sigma": sigma, **seq.params},
        "theory": THEORY[args.setting],
        "checkpoints": rounds.tolist(),
        "hindsight_revenue": hindsight.tolist(),
        "bayes_revenue_per_round": seq.bayes_revenue,
        "learners": {},
    }
    for name, learner in learners(T, sigma, np.random.default_rng(args.seed + 1)).items():
        result = play(learner, seq.values, seq.expected_revenue)
        cum = np.cumsum(result.realised)[rounds - 1]
        row = {"cumulative_revenue": cum.tolist(), "regret_hindsight": (hindsight - cum).tolist(),
               "revenue_ratio": float(cum[-1] / hindsight[-1])}
        regret = hindsight - cum
        if seq.bayes_revenue is not None:  # pseudo-regret: sup_M E[Rev(M)] T - sum_t E[Rev(M_t)]
            regret = seq.bayes_revenue * rounds - np.cumsum(result.expected)[rounds - 1]
            row["regret_bayes"] = regret.tolist()
        row["slope"] = loglog_slope(rounds, regret) if np.all(regret > 0) else None
        report["learners"][name] = row
        slope = "n/a (regret not positive)" if row["slope"] is None else f"{row['slope']:.2f}"
        print(f"{name:>20}: revenue/hindsight {row['revenue_ratio']:.3f}, regret {regret[-1]:8.1f}, slope {slope}")
    print(f"theory: {THEORY[args.setting]}")
    stem = args.out / f"joint_ads_{args.setting.replace('-', '_')}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2))
    plot(report, stem.with_suffix(".png"))
    return report


def plot(report: dict, path: Path) -> None:
    """Regret curves (left) and average revenue per round against the benchmark (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.array(report["checkpoints"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    bench = report["bayes_revenue_per_round"]
    positive = True
    for name, row in report["learners"].items():
        positive &= min(row.get("regret_bayes", row["regret_hindsight"])) > 0
        ax1.plot(t, row.get("regret_bayes", row["regret_hindsight"]), marker="o", ms=3, label=name)
        ax2.plot(t, np.array(row["cumulative_revenue"]) / t, marker="o", ms=3, label=name)
    ax2.plot(t, np.array(report["hindsight_revenue"]) / t, "k--", label="best fixed in hindsight")
    if bench is not None:
        ax2.axhline(bench, color="k", ls=":", label="Bayesian optimum")
    ax1.set(xscale="log", yscale="log" if positive else "symlog", xlabel="T", ylabel="regret",
            title=f"{report['config']['setting']}: regret ({'Bayes' if bench else 'hindsight'} benchmark)")
    ax2.set(xscale="log", xlabel="T", ylabel="revenue per round", title=f"theory: {report['theory']}")
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
