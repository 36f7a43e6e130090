"""Regret rate of VCG-Learn: log-log slope of E[max(n R_T, R^a_T, R_0T)] against T.

    python -m baselines.vcg_regret_rate --out results/ --max-rounds 1000000 --runs 10

Theorems 2.3 and 3.3 of paper 1 bound this quantity by O~(T^(2/3)) (plus a T^(1/2) term
for OPT); the script fits the slope over log-spaced T and prints it beside 2/3. The
quantity is measured at checkpoints of one run per replication (cumulative regrets).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.scenarios import single_item
from mdbf_envs.vcg_learn.simulate import SimulationResult, simulate

THEORY_SLOPE = 2 / 3


def max_regret(res: SimulationResult) -> np.ndarray:
    """max(n R_T, R^a_T, R_0T) per checkpoint and replication, ``(P, R)``."""
    n = res.agents.shape[-1]
    return np.maximum.reduce([n * res.welfare, res.all_agents, res.seller])


def loglog_slope(rounds: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of log(values) on log(rounds) (values must be positive)."""
    return float(np.polyfit(np.log(rounds), np.log(values), 1)[0])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m baselines.vcg_regret_rate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--max-rounds", type=int, default=1_000_000, help="the last checkpoint T (default 10^6)")
    parser.add_argument("--min-rounds", type=int, default=500, help="the first checkpoint (default 500)")
    parser.add_argument("--points", type=int, default=12, help="checkpoints, geometric (default 12; >= 2)")
    parser.add_argument("--runs", type=int, default=10, help="replications (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--n-agents", type=int, default=10, help="agents of the single-item scenario (default 10)")
    parser.add_argument("--noise-var", type=float, default=0.5, help="variance of the winner's value (default 0.5)")
    parser.add_argument("--f", choices=("upper", "mean", "lower"), default="mean", help="F of eq. (7) (default mean)")
    parser.add_argument("--g", choices=("upper", "mean", "lower"), default="mean", help="G of eq. (7) (default mean)")
    parser.add_argument(
        "--backend",
        choices=("numba", "numpy"),
        default="numba",
        help="numba: the compiled loop; numpy: the reference loop",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.min_rounds < args.max_rounds or args.points < 2 or args.runs < 1 or args.seed < 0:
        parser.error(
            f"need 1 <= --min-rounds ({args.min_rounds}) < --max-rounds ({args.max_rounds}), --points "
            f"({args.points}) >= 2, --runs ({args.runs}) >= 1 and --seed ({args.seed}) >= 0"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoints = np.unique(np.geomspace(args.min_rounds, args.max_rounds, args.points).astype(int))
    scenario = single_item(args.n_agents, noise_var=args.noise_var)
    report = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "theory_slope": THEORY_SLOPE,
        "rounds": checkpoints.tolist(),
        "zeta": {},
    }
    for zeta in ("etc", "opt"):
        mech = VCGLearn(scenario, zeta, args.f, args.g, replications=args.runs)
        res = simulate(
            mech, args.max_rounds, np.random.default_rng(args.seed), checkpoints=checkpoints, backend=args.backend
        )
        curve = max_regret(res).mean(axis=1)
        slope = loglog_slope(checkpoints, curve) if np.all(curve > 0) else float("nan")
        report["zeta"][zeta] = {"expected_max_regret": curve.tolist(), "slope": slope}
        print(f"{zeta.upper()}: slope of E[max(n R_T, R^a_T, R_0T)] = {slope:.3f} (theory: <= {THEORY_SLOPE:.3f})")
    (args.out / "vcg_regret_rate.json").write_text(json.dumps(report, indent=2, allow_nan=False))
    plot(report, args.out / "vcg_regret_rate.png")
    print(f"wrote {args.out / 'vcg_regret_rate.json'} and {args.out / 'vcg_regret_rate.png'}")
    return report


def plot(report: dict, path: Path) -> None:
    """E[max(n R_T, R^a_T, R_0T)] against T on log-log axes, with a T^(2/3) guide."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T = np.array(report["rounds"])
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for zeta, row in report["zeta"].items():
        ax.loglog(T, row["expected_max_regret"], marker="o", ms=3, label=f"{zeta.upper()} (slope {row['slope']:.2f})")
    guide = np.array(report["zeta"]["etc"]["expected_max_regret"])[-1] * (T / T[-1]) ** THEORY_SLOPE
    ax.loglog(T, guide, "k:", label="T^(2/3)")
    ax.set(xlabel="T", ylabel="E[max(n R_T, R^a_T, R_0T)]")
    ax.set_title("VCG-Learn regret rate (single item)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
