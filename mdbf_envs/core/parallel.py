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

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

BACKENDS = ("serial", "process", "ray")


def _worker_init() -> None:
    """In each worker: leave Ctrl-C to the parent (which terminates the pool), and exit as soon
    as the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:

        def watch() -> None:
            multiprocessing.connection.wait([parent.sentinel])
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()


@contextlib.contextmanager
def worker_threads(workers: int) -> Iterator[None]:
    """Spawned workers share the cores: each gets cores // workers numba threads (the
    compiled paired episode runs its replications on numba's threads), by the environment they
    start with."""
    before = os.environ.get("NUMBA_NUM_THREADS")
    os.environ["NUMBA_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    try:
        yield
    finally:
        if before is None:
            del os.environ["NUMBA_NUM_THREADS"]
        else:
            os.environ["NUMBA_NUM_THREADS"] = before


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
        # spawn: a clean interpreter per worker (fork after torch/BLAS threads is unsafe). The
        # pool's exit terminates its workers, so an error or Ctrl-C here stops them at once;
        # workers ignore Ctrl-C themselves and end when this process dies, even by SIGKILL.
        context = multiprocessing.get_context("spawn")
        busy = min(workers or os.cpu_count() or 1, n)
        with worker_threads(busy), context.Pool(busy, initializer=_worker_init) as pool:
            pending = [pool.apply_async(fn, kwds=dict(trial)) for trial in trials]
            waiting = set(range(n))
            while waiting:
                for k in sorted(waiting):
                    if pending[k].ready():
                        pending[k].get()  # a failed trial stops the run here
                        waiting.discard(k)
                        report(n - len(waiting), n)
                if waiting:
                    pending[min(waiting)].wait(0.2)
            return [p.get() for p in pending]
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
