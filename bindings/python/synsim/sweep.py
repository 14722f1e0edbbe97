"""Parameter sweeps: every combination of a grid, for every seed, on this
machine's cores or a Dask cluster, with results stored as they arrive.

    def run_one(loss, rtt, seed):
        sim = ss.Simulator(seed=seed)
        ...
        return {"latency": ..., "failed": ...}

    df = ss.sweep(run_one, grid={"loss": [0, .01], "rtt": ["10ms", "100ms"]},
                  seeds=range(10), store="results.sqlite")

The table has one row per run, in grid order (the last parameter varies
fastest, seeds fastest of all), whatever order the runs finished in, so
serial, process-pool and Dask runs give identical tables.  With `store`, each
result is committed to SQLite as soon as its run finishes; calling again
with the same store runs only what is missing, so a sweep interrupted by
Ctrl-C or a killed process loses nothing.

Grid values and results may be numpy scalars and arrays and pandas values;
a result comes back with the same types whether it was run now or read
from the store (synsim.store).  A run that raises does not end the sweep:
its row has the exception in ``run_error`` and its traceback in
``run_traceback`` (missing, ``isna()``, for runs that succeeded), the rest run, and a
RuntimeWarning counts the failures at the end; ``errors="raise"`` stops at
the first instead.  Stored failures are kept on resume unless
``retry_failed=True``.

Each stored run records its provenance (synsim.provenance): synsim's
version and build, a hash of the run function's code and of what it uses
from its module, the git commit, the machine, Python and numpy, the start
and wall time.  A stored run is reused only when its code and synsim are
the ones running now; otherwise it is run again.  ``reuse="params"`` keeps
every stored run whose parameters match, on purpose.  The ``run_reused``
column says which rows came from the store; ``stored_runs(store)`` reads a
store with the provenance of every run.

Sweeps started together on one store share the work, each point run once
(see synsim.store.Store); the runs of a sweep that died are taken over.
"""
import collections
import concurrent.futures as cf
import datetime
import itertools
import json
import numbers
import os
import pickle
import signal
import threading
import time
import traceback
import warnings

import pandas as pd

from . import provenance
from .store import CLAIM_STALE_S, Store, dumps, loads, new_owner, run_key

__all__ = ["sweep", "stored_runs"]


def _runs(grid, seeds):
    if not isinstance(grid, dict):
        raise TypeError(f"grid must be a dict of parameter name to list of values; got {type(grid).__name__}")
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"grid: parameter names must be identifiers; got {name!r}")
        if name == "seed":
            raise ValueError("grid: 'seed' is given by seeds, not by the grid")
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"grid[{name!r}] must be a list of values; got {type(values).__name__}")
    try:
        seeds = list(seeds)
    except TypeError:
        raise TypeError(f"seeds must be an iterable of integers; got {type(seeds).__name__}") from None
    if not seeds or not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of integers >= 0; got {seeds!r}")
    names = list(grid)
    lists = [list(grid[n]) for n in names]
    if any(not values for values in lists):
        raise ValueError("grid: every parameter needs at least one value")
    runs = []
    for combo in itertools.product(*lists):
        for seed in seeds:
            params = dict(zip(names, combo))
            params["seed"] = int(seed)
            runs.append(params)
    return runs


RUN_COLUMNS = ("run_reused", "run_error", "run_traceback")


def _result_dict(result, params):
    """A result that is not a dict becomes {"result": value}; its names may
    not hide a parameter or the sweep's own columns."""
    if not isinstance(result, dict):
        result = {"result": result}
    taken = sorted(set(result) & (set(params) | set(RUN_COLUMNS)))
    if taken:
        raise ValueError(f"the result's keys {taken} are names of parameters or of the sweep's own columns")
    return result


def _call(fn, params, catch=True):
    """Run one point, in the worker: its outcome (result, or error and
    traceback for a run that raised when failures are recorded (`catch`))
    and where and when it ran."""
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    clock = time.perf_counter()
    outcome = {"result": None, "error": None, "traceback": None}
    try:
        outcome["result"] = _result_dict(fn(**params), params)
    except Exception as exc:
        if not catch:
            raise
        outcome.update(error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    outcome["run"] = dict(provenance.machine(), started=started, wall_s=round(time.perf_counter() - clock, 6),
                          synsim=provenance.synsim_build())
    return outcome


class _Progress:
    def __init__(self, enabled, total, initial):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=initial, unit="run", desc="sweep", smoothing=0.1)

    def update(self):
        if self.bar:
            self.bar.update(1)

    def close(self):
        if self.bar:
            self.bar.close()


def _dask_client(executor):
    try:
        from dask.distributed import Client
    except ImportError:
        raise ValueError("executor: a Dask address needs dask.distributed (pip install 'dask[distributed]')") from None
    if isinstance(executor, str):
        return Client(executor[len("dask://"):] if executor.startswith("dask://") else executor), True
    return executor, False


def _is_dask_client(obj):
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


def sweep(fn, grid, seeds=(0,), executor=None, store=None, progress=True, errors="record", retry_failed=False,
          reuse="provenance"):
    """Run ``fn(**params, seed=seed)`` for every combination of `grid` and
    every seed and return a pandas DataFrame with one row per run: the
    parameters, the seed, the items of the dict `fn` returned, and
    run_reused, run_error and run_traceback.

    executor: None (a process pool on every core), "serial", any
    concurrent.futures.Executor, "dask://HOST:PORT" or a dask.distributed
    Client.  `fn` must be importable by the workers (a module-level
    function) for anything but "serial".
    store: a SQLite file; finished runs are kept there and not run again.
    progress: show a tqdm progress bar (runs done, rate, time left).
    errors: "record" (a run that raises becomes a row with run_error and
    run_traceback, and a warning counts them at the end) or "raise" (the
    first exception ends the sweep; the runs finished before it are kept).
    retry_failed: run again the failures found in the store.
    reuse: "provenance" (a stored run stands only if it was made by the
    same code and synsim build) or "params" (any stored run of the same
    parameters stands, whatever made it).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    if errors not in ("record", "raise"):
        raise ValueError(f"errors must be 'record' or 'raise'; got {errors!r}")
    if not isinstance(retry_failed, bool):
        raise TypeError(f"retry_failed must be True or False; got {type(retry_failed).__name__}")
    if reuse not in ("provenance", "params"):
        raise ValueError(f"reuse must be 'provenance' or 'params'; got {reuse!r}")
    runs = _runs(grid, seeds)
    keys = [run_key(p) for p in runs]
    identity, identity_hash = provenance.identity(fn)
    git = provenance.git_state(fn)
    db = Store(store) if store is not None else None
    stored = db.done() if db else {}
    outcomes = {k: dict(o, reused=True) for k, o in stored.items()
                if (reuse == "params" or o["identity_hash"] == identity_hash)
                and not (retry_failed and o["error"] is not None)}
    missing = [(k, p) for k, p in zip(keys, runs) if k not in outcomes]
    bar = _Progress(progress, len(runs), len(runs) - len(missing))

    def acceptable(key, outcome):
        """A run another sweep on the store finished while this one ran."""
        return ((reuse == "params" or outcome["identity_hash"] == identity_hash)
                and outcome["provenance"] != (stored.get(key) or {}).get("provenance"))

    def adopt(key, outcome):
        outcomes[key] = dict(outcome, reused=True)
        bar.update()

    def finished(key, params, outcome):
        try:  # what the store would give back, so that fresh and resumed rows are alike
            outcome["result"] = loads(dumps(outcome["result"]))
        except TypeError as exc:
            outcome.update(result=None, error=f"TypeError: {exc}", traceback=None)
        outcome.update(identity_hash=identity_hash, reused=False,
                       provenance=dict(outcome.pop("run"), identity=identity, git=git))
        outcomes[key] = outcome
        if db:
            db.put(key, outcome)
        bar.update()

    work = _Work(missing, db, acceptable, adopt)
    try:
        if missing:
            _execute(fn, work, executor, finished, errors == "record")
    finally:
        work.close()
        bar.close()
        if db:
            db.close()
    return _table(runs, keys, outcomes)


def _table(runs, keys, outcomes):
    rows, failed = [], []
    for key, params in zip(keys, runs):
        o = outcomes[key]
        rows.append(dict(params, **(o["result"] or {}), run_reused=o["reused"], run_error=o["error"],
                         run_traceback=o["traceback"]))
        if o["error"] is not None:
            failed.append(o["error"])
    if failed:
        warnings.warn(f"sweep: {len(failed)} of {len(runs)} runs failed (the first: {failed[0]}); their rows "
                      "have the exception in run_error and run_traceback", RuntimeWarning, stacklevel=3)
    return pd.DataFrame(rows)


def stored_runs(store):
    """Every run of a sweep store, one row each: its parameters, its result
    items, run_error, and its provenance as columns prov_* (synsim version
    and build, code hash, git commit, machine, Python, numpy, start and wall
    time; missing for runs stored by an older synsim)."""
    if not os.path.exists(os.fspath(store)):
        raise ValueError(f"store: {os.fspath(store)!r} does not exist")
    db = Store(store)
    try:
        done = db.done()
    finally:
        db.close()
    rows = []
    for key, o in done.items():
        p = o["provenance"] or {}
        flat = {"synsim_version": p.get("synsim", {}).get("version"), "synsim_build": p.get("synsim", {}).get("build"),
                "code": p.get("identity", {}).get("code"), "git_commit": (p.get("git") or {}).get("commit"),
                "git_dirty": (p.get("git") or {}).get("dirty"), "host": p.get("host"), "platform": p.get("platform"),
                "python": p.get("python"), "numpy": p.get("numpy"), "started": p.get("started"),
                "wall_s": p.get("wall_s")}
        rows.append(dict(json.loads(key), **(o["result"] or {}), run_error=o["error"],
                         **{f"prov_{k}": v for k, v in flat.items()}))
    return pd.DataFrame(rows)


class _Work:
    """The runs still to do, handed out one at a time.  With a store, each
    is claimed there first, so that sweeps sharing the store run each point
    once; a run another sweep holds is left to it (and adopted when it
    lands), or taken over if that sweep died.  A thread keeps this sweep's
    claims alive (Store.heartbeat) while it runs."""

    def __init__(self, missing, db, acceptable, adopt):
        self.pending = collections.deque(missing)
        self.db, self.acceptable, self.adopt = db, acceptable, adopt
        self.owner = new_owner()
        self.stop = threading.Event()
        self.beat = None
        if db is not None:
            self.beat = threading.Thread(target=self._beat, args=(db.path,), name="synsim-sweep-heartbeat",
                                         daemon=True)
            self.beat.start()

    def _beat(self, path):
        beat_db = Store(path)
        try:
            while not self.stop.wait(CLAIM_STALE_S / 6):
                beat_db.heartbeat(self.owner)
        finally:
            beat_db.close()

    def take(self):
        """The next run for this sweep, or None when each run left is held
        by another sweep."""
        for _ in range(len(self.pending)):
            key, params = self.pending.popleft()
            if self.db is None:
                return key, params
            outcome = self.db.outcome(key)
            if outcome is not None and self.acceptable(key, outcome):
                self.adopt(key, outcome)
                continue
            if self.db.claim(key, self.owner):
                return key, params
            self.pending.append((key, params))
        return None

    def left(self):
        return bool(self.pending)

    def limit(self, slots):
        """Runs in flight at once: everything without a store; with one, a
        few per worker, so that the rest stay for other sweeps to claim."""
        return len(self.pending) if self.db is None else 2 * max(1, slots)

    def close(self):
        self.stop.set()
        if self.db is not None:
            self.db.release(self.owner)
        if self.beat is not None:
            self.beat.join()


class _Done:
    """A run done at once (serial), as a future."""

    def __init__(self, outcome):
        self.outcome = outcome

    def result(self):
        return self.outcome


def _drive(work, submit, wait, slots, finished):
    """Keep up to work.limit(slots) runs in flight until none is left:
    `submit(params)` returns a future, `wait(futures)` those done (waiting
    at most half a second)."""
    in_flight = {}
    limit = work.limit(slots)
    while True:
        while len(in_flight) < limit:
            run = work.take()
            if run is None:
                break
            in_flight[submit(run[1])] = run
        if not in_flight:
            if not work.left():
                return
            time.sleep(0.2)  # every run left is another sweep's: wait for it to land or its owner to die
            continue
        for future in wait(list(in_flight)):
            key, params = in_flight.pop(future)
            finished(key, params, future.result())


def _require_picklable(fn):
    """Refuse up front a function that cannot be sent to worker processes:
    concurrent.futures' process pool would otherwise wait for ever on a run
    its feeder thread failed to pickle (CPython 3.11), a silent hang."""
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise TypeError(f"fn cannot be sent to worker processes ({type(exc).__name__}: {exc}); define it at "
                        "the top level of a module or script, or pass executor='serial'") from None


def _die_with_parent(parent_pid):
    """Run in each worker of the sweep's own process pool as it starts: a
    worker never outlives the sweep that started it, even one killed with
    SIGKILL.  On Linux the kernel kills the worker when its parent dies
    (prctl PR_SET_PDEATHSIG); everywhere, a thread checks twice a second
    that the parent is still there."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent_pid:  # died before the signal was asked for
        os._exit(1)
    threading.Thread(target=watch, name="synsim-sweep-parent-watch", daemon=True).start()


def _execute(fn, work, executor, finished, catch):
    if executor == "serial":
        _drive(work, lambda params: _Done(_call(fn, params, catch)), lambda futures: futures, 1, finished)
        return
    if executor is None or isinstance(executor, cf.Executor):
        if not isinstance(executor, cf.ThreadPoolExecutor):
            _require_picklable(fn)
        own = executor is None
        slots = os.cpu_count() or 1
        pool = cf.ProcessPoolExecutor(max_workers=slots, initializer=_die_with_parent,
                                      initargs=(os.getpid(),)) if own else executor
        futures = []
        try:
            def submit(params):
                futures.append(pool.submit(_call, fn, params, catch))
                return futures[-1]

            _drive(work, submit, lambda fs: cf.wait(fs, timeout=0.5, return_when=cf.FIRST_COMPLETED).done,
                   getattr(pool, "_max_workers", slots), finished)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        finally:
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
        return
    if (isinstance(executor, str) and executor.startswith("dask://")) or _is_dask_client(executor):
        from dask.distributed import wait as dask_wait
        _require_picklable(fn)
        client, own = _dask_client(executor)

        def wait(futures):
            try:
                return dask_wait(futures, timeout=0.5, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                return []

        try:
            _drive(work, lambda params: client.submit(_call, fn, params, catch, pure=False), wait,
                   sum(client.nthreads().values()), finished)
        finally:
            if own:
                client.close()
        return
    raise ValueError("executor must be None, 'serial', a concurrent.futures.Executor, 'dask://HOST:PORT' or a "
                     f"dask.distributed.Client; got {executor!r}")
