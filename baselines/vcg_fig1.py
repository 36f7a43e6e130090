"""Reproduce paper 1, Appendix F, Figure 1: ETC vs OPT on the single-item auction.

    python -m baselines.vcg_fig1 --out results/

writes ``vcg_fig1.png`` (welfare, seller and four agents' cumulative regrets, bands of two
standard errors) and ``vcg_fig1.json`` (configuration and final regrets with standard errors).
Choices (docs/decisions.md): noise variance 0.5 (sd ~ 0.707), sigma given to the mechanism = that sd
unless ``--sigma``; f = g = mean, so losers' prices come from the paper's eq. (7) as written.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.scenarios import single_item
from mdbf_envs.vcg_learn.simulate import SimulationResult, simulate

AGENTS_SHOWN = (0, 1, 4, 9)


def mean_se(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over the replication axis (axis 1)."""
    se = x.std(axis=1, ddof=1) / np.sqrt(x.shape[1]) if x.shape[1] > 1 else np.zeros_like(x[:, 0])
    return x.mean(axis=1), se


def run(runs: int, rounds: int, seed: int, noise_var: float, sigma: float | None, f: str, g: str):
    """Simulate both zeta; returns {zeta: SimulationResult}."""
    scenario = single_item(10, noise_var=noise_var)
    return {
        zeta: simulate(
            VCGLearn(scenario, zeta, f, g, sigma=sigma, replications=runs),
            rounds,
            np.random.default_rng(seed),
        )
        for zeta in ("etc", "opt")
    }


def summary(res: SimulationResult) -> dict:
    """Final cumulative regrets: mean and standard error over runs."""
    out = {}
    for key, series in (("welfare", res.welfare), ("seller", res.seller), ("all_agents", res.all_agents)):
        m, se = mean_se(series[-1:])
        out[key] = {"mean": float(m[0]), "se": float(se[0]) if series.shape[1] > 1 else None}
    m, se = mean_se(res.agents[-1:])
    out["agents"] = {"mean": m[0].tolist(), "se": se[0].tolist() if res.agents.shape[1] > 1 else None}
    return out


def plot(results: dict[str, SimulationResult], path: Path) -> None:
    """Six panels as in the paper's Figure 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("Welfare regret $R_T$", lambda r: r.welfare), ("Seller regret $R_{0T}$", lambda r: r.seller)]
    panels += [(f"Agent {i + 1} regret $R_{{{i + 1}T}}$", lambda r, i=i: r.agents[..., i]) for i in AGENTS_SHOWN]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, (title, get) in zip(axes.ravel(), panels, strict=True):
        for zeta, res in results.items():
            m, se = mean_se(get(res))
            ax.plot(res.rounds, m, label=zeta.upper())
            ax.fill_between(res.rounds, m - 2 * se, m + 2 * se, alpha=0.25)
        ax.set_title(title)
        ax.set_xlabel("round t")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m baselines.vcg_fig1", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--runs", type=int, default=5, help="replications (default 5)")
    parser.add_argument("--rounds", type=int, default=2000, help="horizon T (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--noise-var", type=float, default=0.5, help="variance of the winner's value")
    parser.add_argument("--sigma", type=float, default=None, help="sigma given to VCG-Learn (default: true sd)")
    parser.add_argument("--f", choices=("upper", "mean", "lower"), default="mean", help="F of eq. (7) (default mean)")
    parser.add_argument("--g", choices=("upper", "mean", "lower"), default="mean", help="G of eq. (7) (default mean)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.rounds < 1 or args.seed < 0:
        parser.error(f"--runs ({args.runs}) and --rounds ({args.rounds}) must be >= 1, --seed ({args.seed}) >= 0")
    if args.sigma is not None and not (args.sigma >= 0 and np.isfinite(args.sigma)):
        parser.error(f"--sigma {args.sigma} must be finite and >= 0")
    if not (0 <= args.noise_var < 1e12):
        parser.error(f"--noise-var {args.noise_var} must lie in [0, 1e12)")
    args.out.mkdir(parents=True, exist_ok=True)
    results = run(args.runs, args.rounds, args.seed, args.noise_var, args.sigma, args.f, args.g)
    sigma = np.sqrt(args.noise_var) if args.sigma is None else args.sigma
    report = {
        "config": {
            "scenario": "single_item",
            "n_agents": 10,
            "means": np.linspace(0.8, 0.2, 10).tolist(),
            "noise_var": args.noise_var,
            "noise_sd": float(np.sqrt(args.noise_var)),
            "sigma": float(sigma),
            "f": args.f,
            "g": args.g,
            "runs": args.runs,
            "rounds": args.rounds,
            "seed": args.seed,
        },
        "final": {zeta: summary(res) for zeta, res in results.items()},
    }
    (args.out / "vcg_fig1.json").write_text(json.dumps(report, indent=2, allow_nan=False))
    plot(results, args.out / "vcg_fig1.png")

    def se(x: float | None) -> str:
        return "" if x is None else f" (se {x:.1f})"

    for zeta, s in report["final"].items():
        print(
            f"{zeta.upper()}: welfare {s['welfare']['mean']:.1f}{se(s['welfare']['se'])}, "
            f"seller {s['seller']['mean']:.1f}{se(s['seller']['se'])}, "
            f"agent 1 {s['agents']['mean'][0]:.1f}{se(s['agents']['se'] and s['agents']['se'][0])}"
        )
    print(f"wrote {args.out / 'vcg_fig1.json'} and {args.out / 'vcg_fig1.png'}")
    return report


if __name__ == "__main__":
    main()
