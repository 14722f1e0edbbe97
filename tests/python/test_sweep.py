"""synsim.sweep: executors agree, stores resume, errors are clear."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

import synsim as ss
from synsim.experiments.synack_timeout import run_one as synack_run
from synsim.experiments.handshake_latency import run_one as latency_run

GRID = {"rtt_ms": [10, 100], "loss": [0.0, 0.1], "linear": [4]}


def test_serial_pool_and_dask_give_identical_tables():
    serial = ss.sweep(latency_run, GRID, seeds=range(2), executor="serial", progress=False)
    pool = ss.sweep(latency_run, GRID, seeds=range(2), progress=False)
    assert len(serial) == 8 and list(serial.columns[:4]) == ["rtt_ms", "loss", "linear", "seed"]
    pd.testing.assert_frame_equal(serial, pool)
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        dask_df = ss.sweep(latency_run, GRID, seeds=range(2), executor=client, progress=False)
        address = ss.sweep(latency_run, GRID, seeds=range(2), executor=f"dask://{cluster.scheduler_address}",
                           progress=False)
    pd.testing.assert_frame_equal(serial, dask_df)
    pd.testing.assert_frame_equal(serial, address)


def test_store_keeps_results_and_runs_only_what_is_missing(tmp_path):
    store = tmp_path / "s.sqlite"
    calls = []

    def fn(n, seed):
        calls.append((n, seed))
        return {"value": n * 10 + seed}

    first = ss.sweep(fn, {"n": [1, 2]}, seeds=[0, 1], executor="serial", store=store, progress=False)
    again = ss.sweep(fn, {"n": [1, 2, 3]}, seeds=[0, 1], executor="serial", store=store, progress=False)
    assert len(calls) == 6  # 4 + the 2 new ones
    assert first.value.tolist() == [10, 11, 20, 21]
    assert again.value.tolist() == [10, 11, 20, 21, 30, 31]


KILLED_SWEEP = """
import sys, time
sys.path.insert(0, {root!r})
import synsim as ss
from synsim.experiments.synack_timeout import run_one
def slow(synack_retries, seed):
    time.sleep(0.15)
    return run_one(synack_retries, seed)
ss.sweep(slow, {{"synack_retries": list(range(8))}}, seeds=[0, 1], executor="serial", store={store!r},
         progress=False)
"""


def test_killed_sweep_resumes_to_the_same_table(tmp_path):
    store = str(tmp_path / "killed.sqlite")
    script = KILLED_SWEEP.format(root=os.path.dirname(__file__), store=store)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 60
    done = 0
    while time.time() < deadline and done < 4:  # let a few runs land, then kill it hard
        time.sleep(0.1)
        if os.path.exists(store):
            try:
                done = sqlite3.connect(store).execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 4 <= done < 16
    grid = {"synack_retries": list(range(8))}
    resumed = ss.sweep(synack_run, grid, seeds=[0, 1], executor="serial", store=store, progress=False)
    whole = ss.sweep(synack_run, grid, seeds=[0, 1], executor="serial", progress=False)
    pd.testing.assert_frame_equal(resumed, whole)


@pytest.mark.parametrize("kwargs,exc,words", [
    (dict(grid=[1, 2]), TypeError, "grid must be a dict"),
    (dict(grid={"seed": [1]}), ValueError, "seed"),
    (dict(grid={"a": 3}), TypeError, "list of values"),
    (dict(grid={"a": []}), ValueError, "at least one value"),
    (dict(grid={"a": [1]}, seeds=[]), ValueError, "seeds"),
    (dict(grid={"a": [1]}, seeds=[-1]), ValueError, "seeds"),
    (dict(grid={"a": [1]}, executor="cloud"), ValueError, "executor"),
    (dict(grid={"a": [object()]}), TypeError, "JSON"),
])
def test_sweep_errors(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        ss.sweep(lambda a, seed: a, progress=False, **kwargs)


UNPICKLABLE = """
import synsim as ss
local = {}
exec("def run_one(a, seed):\\n    return {'a': a}", {"__name__": "not_a_module"}, local)
for fn in (local["run_one"], lambda a, seed: {"a": a}):
    try:
        ss.sweep(fn, {"a": [1, 2]}, seeds=range(2), progress=False)
    except TypeError as exc:
        assert "fn cannot be sent to worker processes" in str(exc), exc
        assert "executor='serial'" in str(exc), exc
    else:
        raise SystemExit("no error")
print(ss.sweep(local["run_one"], {"a": [1, 2]}, seeds=range(2), executor="serial", progress=False).a.sum())
"""


def test_function_the_workers_cannot_receive_is_refused_not_hung():
    """A function that cannot be pickled (a lambda, or one defined by exec
    in a namespace no worker can import) would leave the process pool
    waiting for ever: it is refused at once, naming fn and the way out."""
    proc = subprocess.run([sys.executable, "-c", UNPICKLABLE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["6"]
