"""Performance benchmarks: each figure is a ratio or a median, measured in one run.

    python -m benchmarks.run                 # everything (several minutes)
    python -m benchmarks.run --only paired ads audit  # a subset of: import startup steps ppo paired
                                                      # sim configs fig1 rate slots ads memory audit
    python -m benchmarks.run --only audit --full-audit  # also the full default audit against the baseline's

Prints one line per measurement with its target, and writes ``benchmarks/results.json`` when
``--out`` is given. Timings are wall-clock on this machine; compare ratios across machines.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS: dict[str, dict] = {}


def report(name: str, value: float, unit: str, target: str, ok: bool, **extra) -> None:
    RESULTS[name] = {"value": float(value), "unit": unit, "target": target, "met": bool(ok), **extra}
    status = "" if target.startswith("(") else "met" if ok else "MISSED"
    print(f"{name:<56} {value:>10.4g} {unit:<4} target {target:<10} {status}", flush=True)


def _ppo_rates(make_real, make_trivial, steps: int, repeats: int, n_steps: int) -> tuple[float, float]:
    """Median PPO steps/s on two VecEnv factories, runs alternating."""
    from stable_baselines3 import PPO

    rates = {"real": [], "trivial": []}
    for _ in range(repeats):
        for name, make in (("real", make_real), ("trivial", make_trivial)):
            model = PPO("MlpPolicy", make(), n_steps=n_steps, batch_size=256, seed=0, verbose=0)
            start = time.perf_counter()
            model.learn(steps)
            rates[name].append(steps / (time.perf_counter() - start))
    return float(np.median(rates["real"])), float(np.median(rates["trivial"]))


def bench_ppo(steps: int = 8192, repeats: int = 3, copies: tuple[int, ...] = (16, 32, 64)) -> None:
    """PPO steps/s on VCGLearnOPT-v0 against a trivial env with the same spaces, alternating:
    for each number of ``copies``, the native vector env against a zero-cost vector env, both
    through :class:`agents.training.sb3_vec_env.SB3VecEnv` (1024 steps per rollout); and with one env."""
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode, VectorEnv
    from stable_baselines3.common.vec_env import DummyVecEnv

    import mdbf_envs  # noqa: F401
    from agents.training.sb3_vec_env import SB3VecEnv

    class Trivial(gym.Env):
        def __init__(self, like):
            self.observation_space, self.action_space = like.observation_space, like.action_space
            self._t = 0

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self._t = 0
            return np.zeros(self.observation_space.shape, np.float32), {}

        def step(self, action):
            self._t += 1
            return np.zeros(self.observation_space.shape, np.float32), 0.0, False, self._t >= 2000, {}

    class TrivialVector(VectorEnv):
        metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

        def __init__(self, like):
            self.num_envs = like.num_envs
            self.single_observation_space, self.single_action_space = (
                like.single_observation_space,
                like.single_action_space,
            )
            self.observation_space, self.action_space = like.observation_space, like.action_space
            self._t = 0

        def reset(self, *, seed=None, options=None):
            self._t = 0
            return np.zeros(self.observation_space.shape, np.float32), {}

        def step(self, actions):
            self._t += 1
            n, done = self.num_envs, self._t >= 2000
            obs, infos = np.zeros(self.observation_space.shape, np.float32), {}
            if done:
                self._t = 0
                final_obs = np.empty(n, object)
                final_obs[:] = list(obs)
                infos = {
                    "final_obs": final_obs,
                    "_final_obs": np.ones(n, bool),
                    "final_info": {},
                    "_final_info": np.ones(n, bool),
                }
            return obs, np.zeros(n), np.zeros(n, bool), np.full(n, done), infos

    env_id = "mdbf_envs/VCGLearnOPT-v0"

    def native(n: int):
        return gym.make_vec(env_id, num_envs=n, autoreset_mode=AutoresetMode.SAME_STEP)

    for n in copies:
        real, trivial = _ppo_rates(
            lambda n=n: SB3VecEnv(native(n)),
            lambda n=n: SB3VecEnv(TrivialVector(native(n))),
            steps,
            repeats,
            n_steps=1024 // n,
        )
        report(
            f"ppo_steps_per_s_ratio ({n} envs, VCGLearnOPT / trivial)",
            real / trivial,
            "x",
            ">= 0.9",
            real / trivial >= 0.9,
            real=real,
            trivial=trivial,
        )
    real, trivial = _ppo_rates(
        lambda: DummyVecEnv([lambda: gym.make(env_id)]),
        lambda: DummyVecEnv([lambda: Trivial(gym.make(env_id).unwrapped)]),
        steps // 2,
        repeats,
        1024,
    )
    report(
        "ppo_steps_per_s_ratio (1 env, VCGLearnOPT / trivial)",
        real / trivial,
        "x",
        "(info)",
        True,
        real=real,
        trivial=trivial,
    )


def bench_sim(replications: int = 16, horizon: int = 2000) -> None:
    """The batched simulator against the per-round PettingZoo loop on the same work."""
    from mdbf_envs import vcg_learn_v0
    from mdbf_envs.vcg_learn import VCGLearn
    from mdbf_envs.vcg_learn.scenarios import single_item
    from mdbf_envs.vcg_learn.simulate import simulate

    start = time.perf_counter()
    for seed in range(replications):
        env = vcg_learn_v0.parallel_env(zeta="opt", horizon=horizon)
        env.reset(seed=seed)
        while env.agents:
            env.step({a: env.truthful_action(a) for a in env.agents})
    loop = time.perf_counter() - start
    start = time.perf_counter()
    simulate(VCGLearn(single_item(), "opt", replications=replications), horizon, np.random.default_rng(0))
    batched = time.perf_counter() - start
    report(
        "batched_sim_speedup (vs env loop, OPT)",
        loop / batched,
        "x",
        ">= 20",
        loop / batched >= 20,
        loop_s=loop,
        batched_s=batched,
        replications=replications,
        horizon=horizon,
    )


def bench_configs(replications: int = 4, horizon: int = 2000) -> None:
    """All 18 configurations (zeta x f x g) in one batch against one simulation each."""
    import itertools

    from mdbf_envs.vcg_learn import VCGLearn
    from mdbf_envs.vcg_learn.mechanism import BOUNDS, ZETAS
    from mdbf_envs.vcg_learn.scenarios import single_item
    from mdbf_envs.vcg_learn.simulate import simulate

    configs = list(itertools.product(ZETAS, BOUNDS, BOUNDS))
    start = time.perf_counter()
    for zeta, f, g in configs:
        simulate(VCGLearn(single_item(), zeta, f, g, replications=replications), horizon, np.random.default_rng(0))
    separate = time.perf_counter() - start
    zetas, fs, gs = (np.repeat(column, replications).tolist() for column in zip(*configs, strict=True))
    start = time.perf_counter()
    simulate(VCGLearn(single_item(), zetas, fs, gs, replications=len(zetas)), horizon, np.random.default_rng(0))
    batched = time.perf_counter() - start
    report(
        "configs_in_one_batch_speedup (18 configs)",
        separate / batched,
        "x",
        "> 1",
        separate > batched,
        separate_s=separate,
        batched_s=batched,
    )


def bench_fig1() -> None:
    """Appendix F's Figure 1: 10 agents, 2000 rounds, 5 runs, both zeta."""
    from mdbf_envs.vcg_learn import VCGLearn
    from mdbf_envs.vcg_learn.scenarios import single_item
    from mdbf_envs.vcg_learn.simulate import simulate

    times = []
    for _ in range(3):
        start = time.perf_counter()
        for zeta in ("etc", "opt"):
            simulate(VCGLearn(single_item(), zeta, replications=5), 2000, np.random.default_rng(0), fast_etc=True)
        times.append(time.perf_counter() - start)
    report("fig1_seconds (both zeta, median of 3)", float(np.median(times)), "s", "< 1", np.median(times) < 1)


RATE_SCRIPT = """
import resource, sys, time, numpy as np
from mdbf_envs.vcg_learn import VCGLearn
from mdbf_envs.vcg_learn.scenarios import single_item
from mdbf_envs.vcg_learn.simulate import simulate
T, zetas, backend = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3]
points = np.unique(np.geomspace(100, T, 20).astype(int))
start = time.perf_counter()
for zeta in zetas:
    simulate(VCGLearn(single_item(), zeta, replications=4), T, np.random.default_rng(0),
    checkpoints=points, backend=backend)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _rate_run(T: int, zetas: str, backend: str = "numba") -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", RATE_SCRIPT, str(T), zetas, backend], capture_output=True, text=True, check=True
    )
    seconds, rss_kb = out.stdout.split()
    return float(seconds), float(rss_kb)


def bench_rate(T: int) -> None:
    """A regret-rate run (ETC and OPT, 4 replications, 20 checkpoints) up to T on the compiled
    loop (compiled code cached on disk by an earlier run), and both loops at T / 10."""
    _rate_run(100, "etc,opt")  # compiles into numba's on-disk cache if it is cold
    seconds, _ = _rate_run(T, "etc,opt")
    report(f"regret_rate_seconds (T={T:.0e}, both zeta, numba)", seconds, "s", "< 60", seconds < 60)
    compiled, _ = _rate_run(T // 10, "etc,opt")
    reference, _ = _rate_run(T // 10, "etc,opt", "numpy")
    report(
        f"numba_vs_numpy_loop_speedup (T={T // 10:.0e})",
        reference / compiled,
        "x",
        "(info)",
        True,
        numpy_s=reference,
        numba_s=compiled,
    )


def bench_memory(T: int) -> None:
    """Peak RSS of a VCG-Learn run at T against T/100 (state is constant in T)."""
    _, small = _rate_run(T // 100, "opt")
    _, large = _rate_run(T, "opt")
    ratio = large / small
    report(
        f"memory_peak_rss_ratio (T={T:.0e} / T={T // 100:.0e})",
        ratio,
        "x",
        "<= 1.10",
        ratio <= 1.10,
        small_kb=small,
        large_kb=large,
    )


def bench_slots(rounds: int = 120) -> None:
    """One VCG-Learn exploit round with 50 advertisers and 10 slots, prices included."""
    from mdbf_envs.vcg_learn import VCGLearn
    from mdbf_envs.vcg_learn.scenarios import online_ads

    sc = online_ads(50, 10, enumerate_outcomes=False)
    mech = VCGLearn(sc, "opt")
    rng = np.random.default_rng(0)
    times = []
    while len(times) < rounds:
        start = time.perf_counter()
        rnd = mech.propose()
        mech.observe(sc.realise(rnd.outcome, rng))
        if not rnd.explore:
            times.append(time.perf_counter() - start)
    median_ms = float(np.median(times) * 1e3)
    report("slots_round_ms (50 advertisers, 10 slots)", median_ms, "ms", "< 5", median_ms < 5)


def bench_ads(pairs: int = 64, horizon: int = 200) -> None:
    """Joint ads: the optimal mechanism on 10^4 pairs; Augment-the-Best over 10^4 rounds; and the
    paired game (T = 200, a linear policy for the merchant) with the learners' array versions
    against one learner per replication, on the same episodes (the results are equal)."""
    import tempfile

    from agents.search.cmaes import LinearPolicy
    from mdbf_envs.core.streams import pair_streams
    from mdbf_envs.envs.manipulation import joint_ads_game
    from mdbf_envs.joint_ads import AugmentTheBest, best_path, play

    v = np.random.default_rng(0).random((10_000, 2))
    best_path(v[:10])  # compiles (or loads the compiled kernels from numba's cache)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        best_path(v)
        times.append(time.perf_counter() - start)
    report("joint_ads_optimal_1e4_pairs_s (median of 3)", float(np.median(times)), "s", "< 2", np.median(times) < 2)
    start = time.perf_counter()
    play(AugmentTheBest(), v)
    seconds = time.perf_counter() - start
    report("augment_the_best_1e4_rounds_s", seconds, "s", "< 60", seconds < 60)
    for learner in ("augment_the_best", "path_learning"):
        rates, gains = {}, {}
        for arrays in (True, False):
            game = joint_ads_game(pairs, learner=learner, sequence="smooth", horizon=horizon, arrays=arrays)
            policy = LinearPolicy((-0.2,) + (0.0,) * (game.feature_size - 1) + (0.05,))
            start = time.perf_counter()
            gains[arrays] = game.run(policy, pair_streams(0, pairs, 1, game.draws)).gain
            rates[arrays] = pairs / (time.perf_counter() - start)
        assert np.array_equal(gains[True], gains[False])
        report(f"joint ads paired game, {learner}, T = {horizon} (episodes/s)", rates[True], "ep/s", "(rate)", True)
        report(
            f"  / one learner per replication (same kernels), {learner}",
            rates[True] / rates[False],
            "x",
            "(ratio)",
            True,
            batched=rates[True],
            loop=rates[False],
            pairs=pairs,
        )
        with tempfile.TemporaryDirectory() as tmp:
            old_rate, old_gain = _ads_rate(export(BASELINE, Path(tmp)), learner, pairs, horizon)
        here_rate, here_gain = _ads_rate(Path(__file__).resolve().parents[1], learner, pairs, horizon)
        ratio = here_rate / old_rate
        report(
            f"  / the per-replication loop of {BASELINE}, {learner}",
            ratio,
            "x",
            ">= 20",
            ratio >= 20,
            here=here_rate,
            baseline=old_rate,
            same_gains=here_gain == old_gain,
        )


BASELINE = "7d569db"
"""The commit the speed issue measured against: the audit and the joint-ads game before batching."""


def export(commit: str, into: Path) -> Path:
    """The tree of ``commit`` of this repository, written under ``into`` (``git archive``)."""
    root = Path(__file__).resolve().parents[1]
    tree = into / commit
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(root), "archive", commit], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


ADS_RATE_SCRIPT = """
import sys, time
try:  # this tree
    from agents.search.cmaes import LinearPolicy
    from mdbf_envs.core.streams import pair_streams
    from mdbf_envs.envs.manipulation import joint_ads_game
except ImportError:  # the baseline's layout
    from agents.search import LinearPolicy
    from mdbf_envs.streams import pair_streams
    from mdbf_envs.joint_ads.paired import JointAdsPairedGame as joint_ads_game
learner, pairs, horizon = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
game = joint_ads_game(pairs, learner=learner, sequence="smooth", horizon=horizon)
policy = LinearPolicy((-0.2,) + (0.0,) * (game.feature_size - 1) + (0.05,))
game.run(policy, pair_streams(1, pairs, 1, game.draws))  # compiles, or loads numba's cache
start = time.perf_counter()
gain = game.run(policy, pair_streams(0, pairs, 1, game.draws)).gain
print(pairs / (time.perf_counter() - start), repr(float(gain.sum())))
"""


def _ads_rate(tree: Path, learner: str, pairs: int, horizon: int) -> tuple[float, float]:
    import os

    out = subprocess.run(
        [sys.executable, "-c", ADS_RATE_SCRIPT, learner, str(pairs), str(horizon)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    )
    rate, gain = out.stdout.split()
    return float(rate), float(gain)


def bench_audit(baseline: str = BASELINE, full: bool = False) -> None:
    """The audit here against the same command in an export of ``baseline`` (``git archive``),
    one after the other on this machine, each in a fresh interpreter with its tree first on
    PYTHONPATH: ``--quick --backend serial`` always, and with ``full`` the full default audit
    (the README's main job, on all cores; about half an hour for the two). Here, numba's on-disk
    cache of the joint-ads kernels is whatever earlier runs left (cold, it adds about 20 s of
    compilation once)."""
    import os
    import tempfile

    root = Path(__file__).resolve().parents[1]
    runs = {"quick": ["--quick", "--backend", "serial"]}
    if full:
        runs["full"] = []
    with tempfile.TemporaryDirectory() as tmp:
        old = export(baseline, Path(tmp))
        for label, flags in runs.items():
            seconds = {}
            for name, tree in (("here", root), ("baseline", old)):
                env = {**os.environ, "PYTHONPATH": str(tree)}
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "agents.audit", *flags, "--out", str(Path(tmp) / f"{name}-{label}")],
                    cwd=tree,
                    env=env,
                    check=True,
                    capture_output=True,
                )
                seconds[name] = time.perf_counter() - start
            ratio = seconds["baseline"] / seconds["here"]
            what = "the full default audit" if label == "full" else "audit --quick --backend serial"
            report(
                f"{what}, wall time {baseline} / here",
                ratio,
                "x",
                ">= 3" if label == "full" else "(ratio)",
                ratio >= 3 or label != "full",
                here_s=seconds["here"],
                baseline_s=seconds["baseline"],
            )


def cma_generation_rates(zeta: str, horizon: int, generations: int = 20) -> dict[str, float]:
    """Episodes/s of CMA-ES's generations (13 candidates on the same 8 pairs, compiled): the
    pairs' numbers drawn once for all candidates (:func:`pair_streams`) against one identically
    seeded generator per replication (the same numbers, drawn 13 times)."""
    from agents.search.cmaes import CandidatePolicies
    from mdbf_envs.core.streams import ReplicationStreams, pair_streams
    from mdbf_envs.envs.manipulation import paired_market

    market = paired_market(13 * 8, zeta=zeta, horizon=horizon)
    thetas = np.random.default_rng(0).normal(0.0, 0.1, (13, market.feature_size + 1))
    sources = {
        "shared": lambda g: pair_streams([0, g], 8, 13, market.draws),
        "apart": lambda g: ReplicationStreams(
            [np.random.default_rng([0, g, m]) for _ in range(13) for m in range(8)], market.draws
        ),
    }
    market.run(CandidatePolicies(thetas, 8), sources["shared"](0))  # compiles the first time
    rates = {}
    for name, streams in sources.items():
        start = time.perf_counter()
        for g in range(1, generations + 1):
            market.run(CandidatePolicies(thetas, 8), streams(g))
        rates[name] = generations * 13 * 8 / (time.perf_counter() - start)
    return rates


def bench_paired(pairs: int = 256, horizon: int = 2000, ppo_steps: int = 30_000) -> None:
    """Episodes per second of the paired evaluator (App. F, a linear policy for agent 0, the
    rest truthful; one episode = one pair of a policy episode and its truthful shadow), against
    the reference rollout that plays the two episodes apart; CMA-ES's generations; and PPO's
    episodes per second on paired decision-point episodes, its steps compiled against numpy,
    and against PPO on the plain view's native vector env."""
    from agents.search.cmaes import LinearPolicy
    from agents.search.ppo import PPOConfig, train_ppo
    from baselines.strategies import Truthful
    from mdbf_envs.core.streams import pair_streams
    from mdbf_envs.envs.manipulation import paired_market
    from mdbf_envs.registry import make_mechanism
    from mdbf_envs.vcg_learn.rollout import rollout

    for zeta in ("etc", "opt"):
        rates = {}
        for backend in ("auto", "numpy"):
            market = paired_market(pairs, zeta=zeta, horizon=horizon, backend=backend)
            policy = LinearPolicy((-0.1,) + (0.0,) * (market.feature_size - 1) + (0.1,))
            start = time.perf_counter()
            market.run(policy, pair_streams(1, pairs, 1, market.scenario.draws))  # compiles the first time
            warm = time.perf_counter() - start
            start = time.perf_counter()
            market.run(policy, pair_streams(0, pairs, 1, market.scenario.draws))
            rates[backend] = pairs / (time.perf_counter() - start)
            if backend == "auto":
                report(f"  first compiled episode batch, {zeta} (compiling included)", warm, "s", "(info)", True)
        start = time.perf_counter()
        for strategies in ({0: Truthful()}, {}):
            rollout(make_mechanism("vcg_learn", market.scenario, zeta=zeta, replications=pairs), horizon, 0, strategies)
        rollout_rate = pairs / (time.perf_counter() - start)
        target = {"etc": 2000, "opt": 1000}[zeta]
        report(
            f"paired evaluator, compiled, {zeta}, {pairs} pairs, T = {horizon} (episodes/s)",
            rates["auto"],
            "ep/s",
            f">= {target}",
            rates["auto"] >= target,
        )
        report(
            f"  / the numpy paired market, {zeta}",
            rates["auto"] / rates["numpy"],
            "x",
            "(ratio)",
            True,
            numpy_rate=rates["numpy"],
        )
        report(f"  / two separate rollouts, {zeta}", rates["auto"] / rollout_rate, "x", "(ratio)", True)
        generation = cma_generation_rates(zeta, horizon)
        report(
            f"CMA-ES generation, {zeta}, 13 candidates x 8 pairs (episodes/s)",
            generation["shared"],
            "ep/s",
            "(rate)",
            True,
        )
        report(
            f"  / one generator per replication, {zeta}",
            generation["shared"] / generation["apart"],
            "x",
            "(ratio)",
            True,
            apart_rate=generation["apart"],
        )
    for zeta in ("etc", "opt"):
        kwargs = {"zeta": zeta, "horizon": horizon}
        rates = {}
        for backend in ("auto", "numpy"):
            start = time.perf_counter()
            model = train_ppo(
                "mdbf_envs/VCGLearnManipulation-v0", {**kwargs, "backend": backend}, PPOConfig(timesteps=ppo_steps)
            )
            episodes = (
                model.num_timesteps
                / paired_market(1, **kwargs)
                .run(LinearPolicy((0.0,) * (paired_market(1, **kwargs).feature_size + 1)), np.random.default_rng(0))
                .decisions
            )
            rates[backend] = episodes / (time.perf_counter() - start)
        report(
            f"PPO on paired decision-point episodes, compiled steps, {zeta} (episodes/s)",
            rates["auto"],
            "ep/s",
            "(rate)",
            True,
        )
        report(
            f"  / PPO on numpy steps, {zeta}",
            rates["auto"] / rates["numpy"],
            "x",
            "(ratio)",
            True,
            numpy_rate=rates["numpy"],
        )
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecMonitor

    from agents.training.sb3_vec_env import SB3VecEnv

    env = VecMonitor(
        SB3VecEnv(gym.make_vec("mdbf_envs/VCGLearnETC-v0", num_envs=32, autoreset_mode=AutoresetMode.SAME_STEP))
    )
    start = time.perf_counter()
    PPO("MlpPolicy", env, n_steps=128, batch_size=1024, seed=0, verbose=0, device="cpu").learn(ppo_steps)
    plain = ppo_steps / horizon / (time.perf_counter() - start)
    report("PPO on the plain view, etc, 32 native copies (episodes/s)", plain, "ep/s", "(rate)", True)


def bench_import(repeats: int = 7) -> None:
    """``import mdbf_envs`` in fresh interpreters: the median cumulative import time that
    ``python -X importtime`` reports for the package (it registers the ids and loads no paper
    and no numba), against a target of 0.5 s."""
    seconds = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import mdbf_envs"], capture_output=True, text=True, check=True
        )
        line = next(row for row in out.stderr.splitlines() if row.rstrip().endswith("| mdbf_envs"))
        seconds.append(int(line.split("|")[1]) / 1e6)
    median = float(np.median(seconds))
    report("import mdbf_envs, cumulative (-X importtime), median", median, "s", "< 0.5", median < 0.5, runs=seconds)


STARTUP_SCRIPT = """
import time
start = time.perf_counter()
import gymnasium as gym
import mdbf_envs
env = gym.make("mdbf_envs/VCGLearnManipulationETC-v0")
env.reset(seed=0)
env.step(env.action_space.sample())
print(time.perf_counter() - start)
"""


def bench_startup() -> None:
    """A fresh process's first ``reset()`` and ``step()`` of the manipulation env, with the
    compile cache cold (an empty cache directory) and then warm (the same directory), beside a
    target of 2 s for the warm case."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "MDBF_ENVS_CACHE_DIR": cache}
        seconds = [
            float(
                subprocess.run(
                    [sys.executable, "-c", STARTUP_SCRIPT], env=env, capture_output=True, text=True, check=True
                ).stdout
            )
            for _ in range(3)
        ]
    report("fresh process to the first step, cold compile cache", seconds[0], "s", "(info)", True)
    warm = float(np.median(seconds[1:]))
    report("fresh process to the first step, warm compile cache", warm, "s", "<= 2", warm <= 2, cold=seconds[0])


def _rate(env, actions: dict | np.ndarray, steps: int, parallel: bool) -> float:
    """Agent steps (or env copies' steps) per second over ``steps`` steps, resetting at the end."""
    env.reset(seed=0)
    start = time.perf_counter()
    for _ in range(steps):
        if parallel:
            if not env.agents:
                env.reset()
            env.step(actions)
        else:
            _, _, terminated, truncated, _ = env.step(actions)
            if np.any(terminated) or np.any(truncated):
                env.reset()
    return steps / (time.perf_counter() - start)


def bench_steps(steps: int = 3000) -> None:
    """Raw step rates with fixed in-space actions: the PettingZoo parallel API of both papers,
    the Gymnasium views, the native vector envs (copies x steps per second) and the manipulation
    env, each beside a zero-cost env with the same spaces (the ratio is the env's share)."""
    import gymnasium as gym
    from pettingzoo import ParallelEnv

    import mdbf_envs

    class TrivialParallel(ParallelEnv):
        def __init__(self, like):
            self.possible_agents, self.metadata = list(like.possible_agents), {"name": "trivial"}
            self._obs = {a: like.observation_space(a).sample() * 0 for a in self.possible_agents}
            self._spaces = like

        def observation_space(self, agent):
            return self._spaces.observation_space(agent)

        def action_space(self, agent):
            return self._spaces.action_space(agent)

        def reset(self, seed=None, options=None):
            self.agents, self._t = list(self.possible_agents), 0
            return dict(self._obs), {a: {} for a in self.agents}

        def step(self, actions):
            self._t += 1
            done = self._t >= 1000
            agents = self.agents
            if done:
                self.agents = []
            return (
                dict(self._obs),
                dict.fromkeys(agents, 0.0),
                dict.fromkeys(agents, False),
                dict.fromkeys(agents, done),
                {a: {} for a in agents},
            )

    for name, module in (("vcg_learn_v0", mdbf_envs.vcg_learn_v0), ("joint_ads_v0", mdbf_envs.joint_ads_v0)):
        env = module.parallel_env(horizon=1000)
        env.reset(seed=0)
        actions = {a: env.truthful_action(a) for a in env.agents}
        real = _rate(env, actions, steps, True)
        trivial = _rate(TrivialParallel(env), actions, steps, True)
        report(f"{name} parallel API (steps/s)", real, "st/s", "(rate)", True)
        report(f"  / a zero-cost env with its spaces ({trivial:.3g} steps/s)", real / trivial, "x", "(ratio)", True)

    class TrivialEnv(gym.Env):
        def __init__(self, like):
            self.observation_space, self.action_space = like.observation_space, like.action_space
            self._obs, self._t = np.zeros(like.observation_space.shape, np.float32), 0

        def reset(self, *, seed=None, options=None):
            self._t = 0
            return self._obs, {}

        def step(self, action):
            self._t += 1
            return self._obs, 0.0, False, self._t >= 1000, {}

    zero = np.zeros(1, np.float32)
    for env_id in ("mdbf_envs/VCGLearnOPT-v0", "mdbf_envs/JointAds-v0", "mdbf_envs/VCGLearnManipulationOPT-v0"):
        env = gym.make(env_id)
        real = _rate(env, zero, steps, False)
        trivial = _rate(TrivialEnv(env), zero, steps, False)
        report(f"{env_id.split('/')[1]} Gymnasium env (steps/s)", real, "st/s", "(rate)", True)
        report(f"  / a zero-cost env with its spaces ({trivial:.3g} steps/s)", real / trivial, "x", "(ratio)", True)
    for env_id, n in (("mdbf_envs/VCGLearnOPT-v0", 32), ("mdbf_envs/VCGLearnManipulationOPT-v0", 32)):
        vec = gym.make_vec(env_id, num_envs=n)
        real = n * _rate(vec, np.zeros((n, 1), np.float32), steps // 10, False)
        report(f"{env_id.split('/')[1]} native vector env, {n} copies (copy-steps/s)", real, "st/s", "(rate)", True)


BENCHES = (
    "import",
    "startup",
    "steps",
    "ppo",
    "paired",
    "sim",
    "configs",
    "fig1",
    "rate",
    "slots",
    "ads",
    "memory",
    "audit",
)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", choices=BENCHES, default=list(BENCHES))
    parser.add_argument("--rate-rounds", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--full-audit",
        action="store_true",
        help="audit: also time the full default audit against the baseline's (about half an hour)",
    )
    args = parser.parse_args(argv)
    runs = {
        "import": bench_import,
        "startup": bench_startup,
        "steps": bench_steps,
        "ppo": bench_ppo,
        "paired": bench_paired,
        "sim": bench_sim,
        "configs": bench_configs,
        "fig1": bench_fig1,
        "rate": lambda: bench_rate(args.rate_rounds),
        "slots": bench_slots,
        "ads": bench_ads,
        "memory": lambda: bench_memory(args.rate_rounds),
        "audit": lambda: bench_audit(full=args.full_audit),
    }
    for name in args.only:
        runs[name]()
    RESULTS["_peak_rss_kb_this_process"] = {"value": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(RESULTS, indent=2))
    return RESULTS


if __name__ == "__main__":
    main()
