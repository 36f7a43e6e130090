"""Theorem 2.5 (ETC is truthful in expectation for realisation agents), checked against the
exact best response (docs/exact_optimum.md).

    python -m agents.experiments.theorem25 --out results/      # exact maximum gain vs T, App. F, with its slope

:func:`exploit_gain` is the two-agent closed form of the gain per exploit round; :func:`episode_gain`
sums it over an episode's exploit rounds; :func:`max_gain_curve` measures the exact maximum gain
(the ``KnownValues`` strategy on the paired evaluator) as T grows.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy import integrate, stats

from baselines.strategies import KnownValues
from mdbf_envs.core.streams import pair_streams
from mdbf_envs.envs.manipulation import paired_market
from mdbf_envs.vcg_learn.schedule import exploit_length


def exploit_gain(mu1: float, mu2: float, sd: float) -> float:
    """Agent 1's expected gain in one ETC exploit round (one item, two agents, f = g = mean) from
    reporting its mean instead of its realisations, when each kept mean has noise sd ``sd``:

        E[(mu_1 - V_2)^+] - E[1{V_1 >= V_2} (mu_1 - V_2)],   V_j = clip(mu_j + sd Z_j, 0, 1),

    (ties go to agent 1, the lower index; the winner pays V_2). Integrated exactly over V_2's
    atoms at 0 and 1 and its density between."""
    d2 = stats.norm(mu2, sd)
    p0, p1 = d2.cdf(0.0), d2.sf(1.0)
    win_truthful = lambda v: stats.norm.sf((v - mu1) / sd)
    a = p0 * mu1 + integrate.quad(lambda v: (mu1 - v) * d2.pdf(v), 0.0, min(mu1, 1.0))[0]
    b = (
        p0 * mu1
        + integrate.quad(lambda v: (mu1 - v) * win_truthful(v) * d2.pdf(v), 0.0, 1.0)[0]
        + p1 * (mu1 - 1.0) * stats.norm.sf((1.0 - mu1) / sd)
    )
    return a - b


def episode_gain(mu1: float, mu2: float, noise_sd: float, horizon: int, K: int = 2) -> float:
    """:func:`exploit_gain` summed over the exploit rounds of ``horizon`` rounds: bracket q has K
    explore rounds, then ``exploit_length(q, K)`` exploit rounds on means of q samples."""
    t, q, total = 0, 0, 0.0
    while t < horizon:
        q += 1
        t += K
        rounds = max(0, min(exploit_length(q, K), horizon - t))
        if rounds:
            total += rounds * exploit_gain(mu1, mu2, noise_sd / np.sqrt(q))
        t += exploit_length(q, K)
    return total


def measured_max_gain(horizon: int, pairs: int = 512, seed: int = 0, **market) -> np.ndarray:
    """The exact maximum gain per pair: ``KnownValues`` on the paired evaluator (ETC); ``market``
    names the agent, scenario, others... (:func:`mdbf_envs.envs.manipulation.paired_market`)."""
    game = paired_market(pairs, zeta="etc", horizon=horizon, **market)
    sc = game.scenario
    strategy = KnownValues(tuple(map(float, sc.mean[game.agent])))
    return game.run(None, pair_streams(seed, pairs, 1, game.draws), policy_seed=seed, strategy=strategy).gain


def max_gain_curve(horizons: list[int], agents: list[int], pairs: int, seed: int = 0) -> dict:
    """The exact maximum gain of App. F's agents against T, with the log-log slope of each."""
    out = {"horizons": horizons, "pairs": pairs, "agents": {}}
    for a in agents:
        means, halves = [], []
        for T in horizons:
            g = measured_max_gain(T, pairs=pairs, seed=seed, agent=f"agent_{a}")
            means.append(float(g.mean()))
            halves.append(float(stats.t.ppf(0.975, pairs - 1) * g.std(ddof=1) / np.sqrt(pairs)))
        slope = float(np.polyfit(np.log(horizons), np.log(np.maximum(means, 1e-12)), 1)[0])
        out["agents"][f"agent_{a}"] = {"mean": means, "half_width_95": halves, "loglog_slope": slope}
    return out


def plot(curve: dict, path: Path) -> None:
    """The exact maximum gain against T on log-log axes, each agent's slope in its label, and
    the theorem's T^(2/3) scale through agent 0's first point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    T = np.asarray(curve["horizons"], float)
    for name, c in curve["agents"].items():
        ax.errorbar(T, c["mean"], yerr=c["half_width_95"], marker="o", label=f"{name} (slope {c['loglog_slope']:.2f})")
    first = next(iter(curve["agents"].values()))["mean"][0]
    ax.plot(T, first * (T / T[0]) ** (2 / 3), "k--", lw=0.8, label="T^(2/3) scale")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="T",
        ylabel="exact maximum gain over truthful play",
        title="ETC, App. F: what a manipulator can gain (Thm 2.5 says 0)",
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m agents.experiments.theorem25", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--horizons", type=int, nargs="+", default=[1_000, 3_000, 10_000, 30_000, 100_000])
    parser.add_argument("--agents", type=int, nargs="+", default=[0, 4, 9])
    parser.add_argument("--pairs", type=int, default=256)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    if min(args.horizons) < 1 or len(set(args.horizons)) != len(args.horizons) or args.pairs < 2:
        parser.error(
            f"--horizons {args.horizons} (distinct, each >= 1) and --pairs {args.pairs} (>= 2) are out of range"
        )
    if min(args.agents) < 0 or max(args.agents) > 9 or len(set(args.agents)) != len(args.agents):
        parser.error(f"--agents {args.agents} must be distinct agents of Appendix F, 0..9")
    started = time.time()
    curve = max_gain_curve(args.horizons, args.agents, args.pairs)
    curve["seconds"] = round(time.time() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "theorem25.json").write_text(json.dumps(curve, indent=2, allow_nan=False))
    plot(curve, args.out / "theorem25.png")
    for name, c in curve["agents"].items():
        print(name, [f"{m:.1f}" for m in c["mean"]], f"slope {c['loglog_slope']:.3f}")
    print(f"wrote {args.out / 'theorem25.json'} and {args.out / 'theorem25.png'} in {curve['seconds']} s")
    return curve


if __name__ == "__main__":
    main()
