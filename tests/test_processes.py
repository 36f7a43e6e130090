"""Every client's processes: a warm compile cache that a new process loads instead of compiling,
and vector envs that survive the compiled kernels in every start method, in any order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import mdbf_envs  # noqa: F401
from mdbf_envs.core import compile_cache

ROOT = Path(__file__).resolve().parents[1]
HITS = """
import numpy as np
from mdbf_envs.vcg_learn import VCGLearn, compiled
from mdbf_envs.vcg_learn.scenarios import single_item
from mdbf_envs.vcg_learn.simulate import simulate
simulate(VCGLearn(single_item(3), "opt"), 50, np.random.default_rng(0), backend="numba")
print(sum(compiled._play.stats.cache_hits.values()), sum(compiled._play.stats.cache_misses.values()))
"""


def test_a_second_process_loads_the_kernels_from_the_cache(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MDBF_ENVS_CACHE_DIR": str(tmp_path)}

    def hits_and_misses():
        out = subprocess.run([sys.executable, "-c", HITS], env=env, capture_output=True, text=True, check=True)
        return tuple(map(int, out.stdout.split()))

    assert hits_and_misses() == (0, 1)  # cold: compiled and written
    assert hits_and_misses() == (1, 0)  # warm: read back
    assert [p.name for p in tmp_path.iterdir()] == [compile_cache.DIGEST]


def test_the_cache_is_keyed_by_every_source_of_the_package(tmp_path):
    package = tmp_path / "mdbf_envs"
    (package / "core").mkdir(parents=True)
    (package / "core" / "a.py").write_text("x = 1\n")
    before = compile_cache.source_digest(package)
    (package / "envs").mkdir()
    (package / "envs" / "b.py").write_text("y = 2\n")
    added = compile_cache.source_digest(package)
    (package / "core" / "a.py").write_text("x = 2\n")
    assert len({before, added, compile_cache.source_digest(package)}) == 3


def test_the_kernels_run_on_a_fork_safe_threading_layer():
    import numba

    from mdbf_envs.vcg_learn import VCGLearn
    from mdbf_envs.vcg_learn.scenarios import single_item
    from mdbf_envs.vcg_learn.simulate import simulate

    if "NUMBA_THREADING_LAYER" in os.environ:
        pytest.skip("the user chose a threading layer")
    simulate(VCGLearn(single_item(3), "opt"), 20, np.random.default_rng(0), backend="numba")
    from mdbf_envs.vcg_learn import compiled_paired  # its parallel kernel starts the layer

    compiled_paired
    env = gym.make("mdbf_envs/VCGLearnManipulationETC-v0", horizon=50)
    env.reset(seed=0)
    env.step(np.zeros(1, np.float32))
    assert numba.threading_layer() in ("tbb", "workqueue")


def rollout(vec: gym.vector.VectorEnv, steps: int = 12) -> list[np.ndarray]:
    obs, _ = vec.reset(seed=5)
    out = [obs]
    actions = np.linspace(-0.5, 0.5, vec.num_envs, dtype=np.float32)[:, None]
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = vec.step(actions)
        out += [obs, reward, terminated, truncated]
    vec.close()
    return out


@pytest.mark.parametrize("env_id", ["mdbf_envs/VCGLearnManipulationOPT-v0", "mdbf_envs/VCGLearnOPT-v0"])
def test_sync_then_async_fork_spawn_and_forkserver_play_alike(env_id):
    """In one process: the sync vector env first (its compiled kernels start numba's threads),
    then async envs with each start method; the same seeds give the same episodes."""
    kwargs = {"horizon": 40}
    reference = rollout(gym.make_vec(env_id, num_envs=2, vectorization_mode="sync", **kwargs))
    for context in ("fork", "spawn", "forkserver"):
        vec = gym.make_vec(env_id, num_envs=2, vectorization_mode="async", vector_kwargs={"context": context}, **kwargs)
        for got, want in zip(rollout(vec), reference, strict=True):
            np.testing.assert_array_equal(got, want, err_msg=context)
