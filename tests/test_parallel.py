import pytest

from mdbf_envs.core.parallel import run_trials
from mdbf_envs.joint_ads.optimal import grid_size

# a package function, so that process and Ray workers can import it by name
TRIALS = [{"delta": d} for d in (0.5, 0.25, 0.1, 1.0)]
EXPECTED = [2, 4, 10, 1]


@pytest.mark.parametrize("backend", ["serial", "process"])
def test_backends_return_results_in_trial_order_and_report_progress(backend):
    seen = []
    assert (
        run_trials(grid_size, TRIALS, backend=backend, workers=2, on_done=lambda k, n: seen.append((k, n))) == EXPECTED
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_ray_backend_runs_the_same_trials():
    ray = pytest.importorskip("ray")
    try:
        assert run_trials(grid_size, TRIALS, backend="ray", workers=2) == EXPECTED
    finally:
        ray.shutdown()


def test_errors_in_workers_reach_the_caller():
    with pytest.raises(ValueError, match="delta = 0.3 is not of the form 1/k"):
        run_trials(grid_size, [{"delta": 0.3}, {"delta": 0.5}], backend="process", workers=2)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend = 'dask'"):
        run_trials(grid_size, TRIALS, backend="dask")


def test_spawned_workers_share_the_cores_between_their_numba_threads(monkeypatch):
    """Each of w workers starts with cpu_count // w numba threads (at least 1); the caller's
    environment is left as it was."""
    import os

    monkeypatch.setenv("NUMBA_NUM_THREADS", "7")
    threads = run_trials(os.getenv, [{"key": "NUMBA_NUM_THREADS"}] * 3, backend="process", workers=2)
    assert threads == [str(max(1, (os.cpu_count() or 1) // 2))] * 3
    assert os.environ["NUMBA_NUM_THREADS"] == "7"
