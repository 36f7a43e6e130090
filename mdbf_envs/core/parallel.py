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
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

BACKENDS = ("serial", "process", "ray")


def run_trials(
    fn: Callable[..., Any],
    trials: Sequence[Mapping[str, Any]],
    backend: str = "serial",
    workers: int | None = None,
    on_done: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """``[fn(**trial) for trial in trials]``, on the chosen backend; ``on_done(k, n)`` is called
    in this process each time a trial finishes (k of n so far), e.g. to show progress."""
    if backend not in BACKENDS:
        raise ValueError(f"backend = {backend!r}; use one of {BACKENDS}")
    n = len(trials)
    report = on_done or (lambda k, total: None)
    if backend == "serial" or n <= 1:
        results = []
        for trial in trials:
            results.append(fn(**trial))
            report(len(results), n)
        return results
    if backend == "process":
        # spawn: a clean interpreter per worker (fork after torch/BLAS threads is unsafe)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(fn, **trial): k for k, trial in enumerate(trials)}
            try:
                for done, future in enumerate(as_completed(futures), 1):
                    future.result()  # a failed trial stops the run here
                    report(done, n)
            except BaseException:  # an error or Ctrl-C: drop the queued trials, do not orphan workers
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            return [f.result() for f in sorted(futures, key=futures.get)]
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(fn)
    pending = [remote.remote(**trial) for trial in trials]
    waiting = list(pending)
    while waiting:
        _, waiting = ray.wait(waiting, num_returns=1)
        report(n - len(waiting), n)
    return ray.get(pending)
