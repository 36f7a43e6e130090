"""Regret of the joint-ads learners (paper 2) in its four settings, over seeds and horizons.

    python -m baselines.joint_ads_regret --setting stochastic --out results/

Each horizon T is its own run (a fresh sequence, and learners tuned for that T), repeated over
``--runs`` seeds. The regret is measured against the expected benchmark where the law is known
(pseudo-regret, sum_t E[Rev(M_t)] with exact expectations): the Bayesian optimum
sup_M E[Rev(M)] T for the i.i.d. sequences, and for the smooth sequence the best fixed
mechanism in expectation, max_M sum_t E_{D_t}[Rev(M)] (fitted by Theorem 1 on ``--fit-draws``
draws per round from the known D_t and evaluated exactly; a lower bound on the maximum, so the
regret is too). The adversarial sequence is measured against its exact hindsight optimum
(Prop. 3), as a revenue ratio. The rate is the slope of log mean regret on log T across the
horizons. Writes ``joint_ads_<setting>.json`` and ``.png`` and prints their paths.

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
from scipy import stats

from baselines.vcg_regret_rate import loglog_slope
from mdbf_envs.joint_ads.learners import (
    AugmentTheBest,
    FollowTheLeader,
    PathLearning,
    PostedPriceLeader,
    hindsight_revenue,
    play,
)
from mdbf_envs.joint_ads.optimal import best_path
from mdbf_envs.joint_ads.valuations import (
    Valuations,
    equal_revenue,
    iid_uniform,
    needle_in_haystack,
    smooth_moving_box,
)

SETTINGS = ("stochastic", "smooth", "adversarial", "equal-revenue")
BENCHMARK = {
    "stochastic": "the Bayesian optimum 1/3 per round (pseudo-regret)",
    "smooth": "the best fixed mechanism in expectation (pseudo-regret)",
    "adversarial": "the exact hindsight optimum",
    "equal-revenue": "the Bayesian optimum OPT (pseudo-regret; ratio = E[revenue] / (T OPT))",
}
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


def ci95(x: np.ndarray) -> dict:
    """``{"mean", "half_width_95"}`` over runs: the mean and its 95% t half-width (None when
    there is one run)."""
    if len(x) < 2:
        return {"mean": float(x.mean()), "half_width_95": None}
    return {
        "mean": float(x.mean()),
        "half_width_95": float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))),
    }


def smooth_benchmark(T: int, sigma: float, draws: int, seed: int) -> tuple[float, object]:
    """max_M sum_t E_{D_t}[Rev(M)] of the moving box, approximately: Theorem 1's optimum on
    ``draws`` samples per round (the boxes do not depend on the seed), evaluated exactly."""
    pooled = np.concatenate(
        [valuations("smooth", T, np.random.default_rng([seed, k]), sigma).values for k in range(draws)]
    )
    seq = valuations("smooth", T, np.random.default_rng(seed), sigma)
    fitted = best_path(pooled).mechanism
    return float(sum(seq.expected_revenue(t, fitted) for t in range(T))), fitted


def one_run(setting: str, T: int, seed: int, sigma: float, fit_draws: int) -> dict:
    """Every learner on one sequence of length T: pseudo-regret (or hindsight ratio) each."""
    seq = valuations(setting, T, np.random.default_rng(seed), sigma)
    out = {}
    if setting == "smooth":
        benchmark, _ = smooth_benchmark(T, sigma, fit_draws, seed + 10_000)
    elif seq.bayes_revenue is not None:
        benchmark = seq.bayes_revenue * T
    else:  # adversarial: exact hindsight (Prop. 3)
        benchmark = seq.hindsight_revenue
    hindsight = (
        seq.hindsight_revenue if seq.hindsight_revenue is not None else float(hindsight_revenue(seq.values, [T])[0])
    )
    for name, learner in learners(T, sigma if setting == "smooth" else 1.0, np.random.default_rng(seed + 1)).items():
        result = play(learner, seq.values, seq.expected_revenue)
        expected = result.expected.sum() if result.expected is not None else None
        out[name] = {
            "regret": benchmark - (expected if expected is not None else result.realised.sum()),
            "revenue_over_hindsight": result.realised.sum() / hindsight,
            "expected_over_benchmark": None if expected is None else expected / benchmark,
        }
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m baselines.joint_ads_regret",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--setting", choices=SETTINGS, required=True, help="the valuation sequence")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--horizons",
        type=int,
        nargs="+",
        default=[500, 1000, 2000, 4000],
        help="horizons T, each its own run (default 500 1000 2000 4000)",
    )
    parser.add_argument("--runs", type=int, default=5, help="seeds per horizon (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    parser.add_argument("--sigma", type=float, default=0.25, help="smoothness of the smooth setting (default 0.25)")
    parser.add_argument(
        "--fit-draws",
        type=int,
        default=4,
        help="draws per round to fit the smooth setting's expected benchmark (default 4)",
    )
    args = parser.parse_args(argv)
    if min(args.horizons) < 10 or args.runs < 1 or args.fit_draws < 1 or not 0 < args.sigma <= 1:
        parser.error(
            f"--horizons {args.horizons} (each >= 10), --runs {args.runs} and --fit-draws {args.fit_draws} "
            f"(>= 1), --sigma {args.sigma} (in (0, 1]) are out of range"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    horizons = sorted(set(args.horizons))
    runs = {
        T: [one_run(args.setting, T, args.seed + 100 * r, args.sigma, args.fit_draws) for r in range(args.runs)]
        for T in horizons
    }
    names = list(runs[horizons[0]][0])
    config = {"setting": args.setting, "horizons": horizons, "runs": args.runs, "seed": args.seed}
    if args.setting == "smooth":  # the only setting that uses them
        config.update(sigma=args.sigma, fit_draws_per_round_for_the_expected_benchmark=args.fit_draws)
    report = {"config": config, "theory": THEORY[args.setting], "benchmark": BENCHMARK[args.setting], "learners": {}}
    for name in names:
        row = {}
        for key in ("regret", "revenue_over_hindsight", "expected_over_benchmark"):
            if runs[horizons[0]][0][name][key] is not None:
                row[key] = [ci95(np.array([run[name][key] for run in runs[T]])) for T in horizons]
        means = np.array([c["mean"] for c in row["regret"]])
        row["rate"] = loglog_slope(np.array(horizons), means) if np.all(means > 0) and len(horizons) > 1 else None
        report["learners"][name] = row
        last = row["regret"][-1]
        rate = "n/a" if row["rate"] is None else f"{row['rate']:.2f}"
        half = "" if last["half_width_95"] is None else f" +- {last['half_width_95']:.1f}"
        ratio = row.get("expected_over_benchmark", row["revenue_over_hindsight"])[-1]["mean"]
        print(
            f"{name:>20}: regret at T = {horizons[-1]}: {last['mean']:8.1f}{half}, rate {rate}, "
            f"{'E[revenue] / benchmark' if 'expected_over_benchmark' in row else 'revenue / hindsight'} {ratio:.3f}"
        )
    print(f"theory: {THEORY[args.setting]}; benchmark: {BENCHMARK[args.setting]}")
    stem = args.out / f"joint_ads_{args.setting.replace('-', '_')}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2, allow_nan=False))
    plot(report, stem.with_suffix(".png"))
    print(f"wrote {stem.with_suffix('.json')} and {stem.with_suffix('.png')}")
    return report


def plot(report: dict, path: Path) -> None:
    """Mean regret over T with 95% bands (left) and the revenue ratio over T (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T = np.array(report["config"]["horizons"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, row in report["learners"].items():
        mean = np.array([c["mean"] for c in row["regret"]])
        half = np.array([c["half_width_95"] or 0.0 for c in row["regret"]])
        rate = "" if row["rate"] is None else f" (rate {row['rate']:.2f})"
        ax1.plot(T, mean, marker="o", ms=3, label=name + rate)
        ax1.fill_between(T, mean - half, mean + half, alpha=0.15)
        key = "expected_over_benchmark" if "expected_over_benchmark" in row else "revenue_over_hindsight"
        ax2.plot(T, [c["mean"] for c in row[key]], marker="o", ms=3, label=name)
    positive = all(c["mean"] > 0 for row in report["learners"].values() for c in row["regret"])
    ax1.set(xscale="log", yscale="log" if positive else "symlog", xlabel="horizon T", ylabel="regret")
    ax1.set_title(
        f"{report['config']['setting']}: regret vs {report['benchmark']}\ntheory: {report['theory']}",
        fontsize=8,
        wrap=True,
    )
    ratio = (
        "E[revenue] / benchmark"
        if any("expected_over_benchmark" in r for r in report["learners"].values())
        else "revenue / hindsight optimum"
    )
    ax2.set(xscale="log", xlabel="horizon T", ylabel=ratio)
    ax2.set_title(f"{ratio} over T", fontsize=9)
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
