"""Run independent trials (audit settings, sweeps) serially, in a process pool, or on Ray.

    results = run_trials(fn, [{"zeta": "etc"}, {"zeta": "opt"}], backend="process")

``fn`` must be a module-level function (workers import it by name) taking each trial's keyword
arguments. ``backend="ray"`` submits one Ray task per trial to the cluster that
``ray.init()`` connects to (a local one if none is running; set ``RAY_ADDRESS`` or call
``ray.init(address=...)`` first for a real cluster, and make ``mdbf_envs`` importable on the
workers, e.g. ``pip install mdbf-envs`` there or ``runtime_env={"py_modules": [...]}``).
Results come back in the order of ``trials`` whatever the backend.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

BACKENDS = ("serial", "process", "ray")


def run_trials(
    fn: Callable[..., Any],
    trials: Sequence[Mapping[str, Any]],
    backend: str = "serial",
    workers: int | None = None,
) -> list[Any]:
    """``[fn(**trial) for trial in trials]``, on the chosen backend."""
    if backend not in BACKENDS:
        raise ValueError(f"backend = {backend!r}; use one of {BACKENDS}")
    if backend == "serial" or len(trials) <= 1:
        return [fn(**trial) for trial in trials]
    if backend == "process":
        # spawn: a clean interpreter per worker (fork after torch/BLAS threads is unsafe)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(fn, **trial) for trial in trials]
            return [f.result() for f in futures]
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(fn)
    return ray.get([remote.remote(**trial) for trial in trials])
