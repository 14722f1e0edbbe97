"""synsim.sweep: executors agree, stores resume, errors are clear."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
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
    # the killed sweep ran a slowed wrapper: its runs stand for synack_run's on purpose
    resumed = ss.sweep(synack_run, grid, seeds=[0, 1], executor="serial", store=store, reuse="params",
                       progress=False)
    whole = ss.sweep(synack_run, grid, seeds=[0, 1], executor="serial", progress=False)
    assert resumed.run_reused.sum() >= done and not whole.run_reused.any()
    pd.testing.assert_frame_equal(resumed.drop(columns="run_reused"), whole.drop(columns="run_reused"))


@pytest.mark.parametrize("kwargs,exc,words", [
    (dict(grid=[1, 2]), TypeError, "grid must be a dict"),
    (dict(grid={"seed": [1]}), ValueError, "seed"),
    (dict(grid={"a": 3}), TypeError, "list of values"),
    (dict(grid={"a": []}), ValueError, "at least one value"),
    (dict(grid={"a": [1]}, seeds=[]), ValueError, "seeds"),
    (dict(grid={"a": [1]}, seeds=[-1]), ValueError, "seeds"),
    (dict(grid={"a": [1]}, executor="cloud"), ValueError, "executor"),
    (dict(grid={"a": [object()]}), TypeError, r"grid\['a'\]: values must be numbers"),
    (dict(grid={"a": [1]}, errors="ignore"), ValueError, "errors must be 'record' or 'raise'"),
    (dict(grid={"a": [1]}, retry_failed=1), TypeError, "retry_failed"),
    (dict(grid={"a": [1]}, reuse="always"), ValueError, "reuse must be 'provenance' or 'params'"),
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


def numpy_run(a, b, seed):
    """Results of numpy and pandas types, and the Python ones JSON alone
    would change (a tuple, a dict with integer keys)."""
    return {"i": np.int64(a * 10 + seed), "f": np.float32(b), "u8": np.uint8(255), "flag": np.bool_(a > 1),
            "arr": np.arange(3, dtype=np.int16) + np.int16(a), "m": np.eye(2) * b, "when": pd.Timestamp("2026-12-08"),
            "s": pd.Series([1.5, 2.5], index=["x", "y"]), "pair": (a, "x"), "by_port": {80: a},
            "huge": 2**70, "nan": float("nan"), "text": f"run {a}"}


def test_numpy_and_pandas_values_in_grids_and_results(tmp_path):
    """A grid of np.arange, np.float64 and a pandas Series; results of numpy
    and pandas types: stored losslessly, the same types fresh or resumed."""
    store = tmp_path / "np.sqlite"
    grid = {"a": np.arange(1, 3), "b": pd.Series([np.float64(0.5), np.float64(0.25)])}
    fresh = ss.sweep(numpy_run, grid, seeds=[0, 1], executor="serial", store=store, progress=False)
    resumed = ss.sweep(numpy_run, grid, seeds=[0, 1], executor="serial", store=store, progress=False)
    again = ss.sweep(numpy_run, {"a": [1, 2], "b": [0.5, 0.25]}, seeds=[0, 1], executor="serial", store=store,
                     progress=False)
    pooled = ss.sweep(numpy_run, grid, seeds=[0, 1], progress=False)
    assert len(fresh) == 8 and fresh.i.tolist() == [10, 11, 10, 11, 20, 21, 20, 21]
    for other in (resumed, again, pooled):
        assert list(other.dtypes) == list(fresh.dtypes)
        for column in fresh.columns:
            for x, y in zip(fresh[column], other[column]):
                assert type(x) is type(y), column
                if column == "s":
                    pd.testing.assert_series_equal(x, y)
                elif column in ("arr", "m"):
                    assert x.dtype == y.dtype and x.shape == y.shape and (x == y).all()
                elif column not in ("nan", "run_reused"):
                    assert x == y, column
    row = resumed.iloc[0]
    assert type(row.u8) is np.uint8 and type(row.f) is np.float32 and type(row.flag) is np.bool_
    assert row.arr.dtype == np.int16 and row.pair == (1, "x") and row.by_port == {80: 1}
    assert row.huge == 2**70 and row.when == pd.Timestamp("2026-12-08")
    assert fresh.i.dtype == np.int64 and fresh.f.dtype == np.float32
    assert not fresh.run_reused.any() and resumed.run_reused.all() and again.run_reused.all()
    # the store is readable without synsim: plain values stay plain JSON
    text = sqlite3.connect(store).execute("SELECT result FROM runs LIMIT 1").fetchone()[0]
    assert '"text": "run ' in text and '"__ndarray__": "<i8"' in text


def flaky_run(n, seed):
    if n == 2:
        raise ZeroDivisionError(f"point {n} seed {seed} fails")
    return {"value": n * 10 + seed}


def test_a_failing_run_is_a_row_and_the_sweep_goes_on(tmp_path):
    store = tmp_path / "f.sqlite"
    for executor in ("serial", None):
        with pytest.warns(RuntimeWarning, match=r"sweep: 2 of 6 runs failed \(the first: ZeroDivisionError: point 2"):
            df = ss.sweep(flaky_run, {"n": [1, 2, 3]}, seeds=[0, 1], executor=executor, progress=False)
        assert df.value.tolist()[:2] == [10, 11] and df.value.tolist()[4:] == [30, 31]
        assert df.value[2:4].isna().all()
        assert df.run_error.fillna("").tolist() == ["", "", "ZeroDivisionError: point 2 seed 0 fails",
                                                    "ZeroDivisionError: point 2 seed 1 fails", "", ""]
        assert "in flaky_run" in df.run_traceback[2] and "ZeroDivisionError" in df.run_traceback[2]
        assert df.run_traceback[[0, 1, 4, 5]].isna().all()
    with pytest.raises(ZeroDivisionError, match="point 2 seed 0"):
        ss.sweep(flaky_run, {"n": [1, 2, 3]}, seeds=[0, 1], executor="serial", store=store, errors="raise",
                 progress=False)
    assert sqlite3.connect(store).execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2  # kept what finished
    with pytest.warns(RuntimeWarning, match="2 of 6 runs failed"):
        ss.sweep(flaky_run, {"n": [1, 2, 3]}, seeds=[0, 1], executor="serial", store=store, progress=False)
    calls = []

    def fixed(n, seed):
        calls.append((n, seed))
        return {"value": n * 10 + seed}

    # (reuse="params": the stored runs stand for those of `fixed`)
    with pytest.warns(RuntimeWarning, match="2 of 6 runs failed"):  # stored failures are kept ...
        ss.sweep(fixed, {"n": [1, 2, 3]}, seeds=[0, 1], executor="serial", store=store, reuse="params",
                 progress=False)
    assert calls == []
    df = ss.sweep(fixed, {"n": [1, 2, 3]}, seeds=[0, 1], executor="serial", store=store, retry_failed=True,
                  reuse="params", progress=False)  # ... unless asked
    assert calls == [(2, 0), (2, 1)] and df.value.tolist() == [10, 11, 20, 21, 30, 31]
    assert df.run_error.isna().all()


def test_a_result_that_hides_a_parameter_or_cannot_be_stored_fails_its_run():
    with pytest.warns(RuntimeWarning, match="2 of 2 runs failed"):
        df = ss.sweep(lambda n, seed: {"n": 5}, {"n": [1]}, seeds=[0, 1], executor="serial", progress=False)
    assert df.run_error[0] == "ValueError: the result's keys ['n'] are names of parameters or of the sweep's own columns"
    with pytest.warns(RuntimeWarning, match="cannot be stored"):
        df = ss.sweep(lambda n, seed: {"f": lambda: 0}, {"n": [1]}, executor="serial", progress=False)
    assert df.n.tolist() == [1] and "cannot be pickled" in df.run_error[0]


def test_a_corrupt_store_is_named_with_what_to_do(tmp_path):
    store = tmp_path / "broken.sqlite"
    store.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ValueError, match=r"store: '.*broken.sqlite' is not a sweep store .*move it away"):
        ss.sweep(flaky_run, {"n": [1]}, executor="serial", store=store, progress=False)


def test_a_store_of_an_older_synsim_is_read(tmp_path):
    store = tmp_path / "old.sqlite"
    db = sqlite3.connect(store)
    db.execute("CREATE TABLE runs (key TEXT PRIMARY KEY, result TEXT NOT NULL)")
    db.execute("INSERT INTO runs VALUES (?, ?)", ('{"n": 1, "seed": 0}', '{"value": 99}'))
    db.commit()
    db.close()
    with pytest.warns(RuntimeWarning, match="1 of 3"):  # its runs have no provenance: kept only on purpose
        df = ss.sweep(flaky_run, {"n": [1, 2, 3]}, executor="serial", store=store, reuse="params", progress=False)
    assert df.value.tolist()[0] == 99 and df.value.tolist()[2] == 30
    assert df.run_reused.tolist() == [True, False, False]
    with pytest.warns(RuntimeWarning, match="1 of 3"):
        df = ss.sweep(flaky_run, {"n": [1, 2, 3]}, executor="serial", store=store, progress=False)
    assert df.value.tolist()[0] == 10 and not df.run_reused[0]


MODULE = """
SCALE = {scale}


def helper(n):
    return n * SCALE


def unrelated():
    return {unrelated!r}


def run(n, seed):
    return {{"value": helper(n) + seed{extra}}}
"""


def load_module(tmp_path, name, **fields):
    import importlib
    fields = dict({"scale": 10, "unrelated": "a", "extra": ""}, **fields)
    (tmp_path / f"{name}.py").write_text(MODULE.format(**fields))
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.invalidate_caches()
        sys.modules.pop(name, None)
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def test_a_changed_run_function_is_run_again(tmp_path):
    """The issue's case: a sweep on the same store after the run function's
    body changed returned the old rows and ran nothing."""
    store = tmp_path / "p.sqlite"
    grid = {"n": [1, 2, 3]}

    def sweep(module, **kw):
        return ss.sweep(module.run, grid, seeds=[0, 1], executor="serial", store=store, progress=False, **kw)

    first = sweep(load_module(tmp_path, "runmod"))
    assert first.value.tolist() == [10, 11, 20, 21, 30, 31] and not first.run_reused.any()
    assert sweep(load_module(tmp_path, "runmod")).run_reused.all()  # the same code: all reused
    assert sweep(load_module(tmp_path, "runmod", unrelated="b")).run_reused.all()  # an unrelated edit
    changed = sweep(load_module(tmp_path, "runmod", extra=" + 1000"))  # the body changed
    assert not changed.run_reused.any() and changed.value.tolist()[0] == 1010
    scaled = sweep(load_module(tmp_path, "runmod", extra=" + 1000", scale=100))  # a constant it reads (via helper)
    assert not scaled.run_reused.any() and scaled.value.tolist()[0] == 1100
    kept = sweep(load_module(tmp_path, "runmod", extra=" + 5"), reuse="params")  # old rows kept on purpose
    assert kept.run_reused.all() and kept.value.tolist()[0] == 1100


def test_each_stored_run_records_its_provenance(tmp_path):
    import platform
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    module = load_module(tmp_path, "provmod")
    subprocess.run(["git", "-C", str(tmp_path), "add", "provmod.py"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                   check=True)
    commit = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    store = tmp_path / "prov.sqlite"
    ss.sweep(module.run, {"n": [1, 2]}, seeds=[0], executor="serial", store=store, progress=False)
    runs = ss.stored_runs(store).sort_values("n").reset_index(drop=True)
    assert runs.n.tolist() == [1, 2] and runs.seed.tolist() == [0, 0] and runs.value.tolist() == [10, 20]
    assert (runs.prov_synsim_version == ss.__version__).all()
    assert runs.prov_synsim_build.str.fullmatch("[0-9a-f]{32}").all()
    assert runs.prov_code.nunique() == 1 and len(runs.prov_code[0]) == 32
    assert (runs.prov_git_commit == commit).all() and not runs.prov_git_dirty.any()
    assert (runs.prov_host == platform.node()).all() and (runs.prov_python == platform.python_version()).all()
    assert (runs.prov_numpy == np.__version__).all()
    started = pd.to_datetime(runs.prov_started)
    assert (abs(pd.Timestamp.now(tz="UTC") - started) < pd.Timedelta("5min")).all()
    assert (runs.prov_wall_s >= 0).all() and (runs.prov_wall_s < 60).all()
    with pytest.raises(ValueError, match="does not exist"):
        ss.stored_runs(tmp_path / "none.sqlite")


ORPHANS = """
import os, sys, time
import synsim as ss
def slow(n, seed):
    open(os.path.join({dir!r}, f"worker-{{os.getpid()}}"), "w").close()
    time.sleep(60)
    return {{"n": n}}
if __name__ == "__main__":
    ss.sweep(slow, {{"n": [1, 2]}}, seeds=[0], executor=None, progress=False)
"""


def test_no_worker_outlives_a_killed_sweep(tmp_path):
    """kill -9 of a sweep's parent: its pool workers are gone at once, not
    after their 60 s runs."""
    script = tmp_path / "orphans.py"
    script.write_text(ORPHANS.format(dir=str(tmp_path)))
    proc = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path)
    deadline = time.time() + 60
    pids, workers = [], min(2, os.cpu_count() or 1)
    while time.time() < deadline and len(pids) < workers:
        time.sleep(0.1)
        pids = [int(f.name.split("-")[1]) for f in tmp_path.iterdir() if f.name.startswith("worker-")]
    assert len(pids) == workers, "the workers never started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 5
    alive = pids
    while alive and time.time() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in pids if os.path.exists(f"/proc/{pid}") and
                 open(f"/proc/{pid}/stat").read().split()[2] != "Z"]
    assert not alive, f"workers {alive} outlived their sweep"


SHARED = """
import os, sys, time
import synsim as ss
def run(n, seed):
    with open({log!r}, "a") as f:
        f.write(f"{{n}} {{seed}} {{os.getpid()}}\\n")
    time.sleep({sleep})
    return {{"value": n * 10 + seed}}
if __name__ == "__main__":
    df = ss.sweep(run, {{"n": list(range(8))}}, seeds=[0, 1], executor=sys.argv[1] or None, store={store!r},
                  progress=False)
    df.drop(columns="run_reused").to_csv(sys.argv[2], index=False)
"""


def shared_script(tmp_path, sleep):
    script = tmp_path / "shared.py"
    script.write_text(SHARED.format(log=str(tmp_path / "calls.log"), store=str(tmp_path / "shared.sqlite"),
                                    sleep=sleep))
    return script


def calls(tmp_path):
    lines = (tmp_path / "calls.log").read_text().split("\n")
    return [tuple(line.split()) for line in lines if line]


@pytest.mark.parametrize("executor", ["serial", "None"])
def test_two_sweeps_on_one_store_share_the_work(tmp_path, executor):
    """The issue's case: two sweeps started together on one store ran 16
    points 32 times.  Each point runs once, both sweeps do some of them, and
    both return the whole table."""
    script = shared_script(tmp_path, 0.1)
    procs = [subprocess.Popen([sys.executable, str(script), "serial" if executor == "serial" else "",
                               str(tmp_path / f"out{i}.csv")], cwd=tmp_path) for i in range(2)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    done = calls(tmp_path)
    assert sorted((n, s) for n, s, _ in done) == sorted((str(n), str(s)) for n in range(8) for s in (0, 1))
    assert len({pid for _, _, pid in done}) >= 2  # both did some work
    first, second = (pd.read_csv(tmp_path / f"out{i}.csv") for i in range(2))
    pd.testing.assert_frame_equal(first, second)
    assert first.value.tolist() == [n * 10 + s for n in range(8) for s in (0, 1)]
    assert sqlite3.connect(tmp_path / "shared.sqlite").execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0


def test_a_killed_sweeps_runs_are_taken_over(tmp_path):
    """kill -9 of one of two sweeps on one store: the other takes over the
    run it held and finishes the table; no finished run is lost."""
    script = shared_script(tmp_path, 0.3)
    victim = subprocess.Popen([sys.executable, str(script), "serial", str(tmp_path / "victim.csv")], cwd=tmp_path)
    deadline = time.time() + 60
    while time.time() < deadline and (not (tmp_path / "calls.log").exists() or len(calls(tmp_path)) < 3):
        time.sleep(0.05)
    survivor = subprocess.Popen([sys.executable, str(script), "serial", str(tmp_path / "survivor.csv")],
                                cwd=tmp_path)
    time.sleep(0.2)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert survivor.wait(timeout=120) == 0
    table = pd.read_csv(tmp_path / "survivor.csv")
    assert table.value.tolist() == [n * 10 + s for n in range(8) for s in (0, 1)] and table.run_error.isna().all()
    done = calls(tmp_path)
    assert {(n, s) for n, s, _ in done} == {(str(n), str(s)) for n in range(8) for s in (0, 1)}
    assert len(done) <= 17  # at most the one run the victim was in the middle of ran twice
