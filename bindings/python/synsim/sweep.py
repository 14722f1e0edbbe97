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
"""
import concurrent.futures as cf
import itertools
import json
import numbers
import os
import pickle
import sqlite3

import pandas as pd

__all__ = ["sweep"]


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


def _key(params):
    try:
        return json.dumps(params, sort_keys=True)
    except TypeError:
        raise TypeError("grid values must be JSON-serialisable (numbers, strings, lists, dicts)") from None


def _call(fn, params):
    """Run one point; a result that is not a dict becomes {"result": value}."""
    result = fn(**params)
    if not isinstance(result, dict):
        result = {"result": result}
    return result


class _Store:
    """Results on disk: one row per run, keyed by its parameters."""

    def __init__(self, path):
        self.db = sqlite3.connect(os.fspath(path))
        self.db.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, result TEXT NOT NULL)")
        self.db.commit()

    def done(self):
        return {k: json.loads(r) for k, r in self.db.execute("SELECT key, result FROM runs")}

    def put(self, key, result):
        self.db.execute("INSERT OR REPLACE INTO runs (key, result) VALUES (?, ?)", (key, json.dumps(result)))
        self.db.commit()

    def close(self):
        self.db.close()


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


def sweep(fn, grid, seeds=(0,), executor=None, store=None, progress=True):
    """Run ``fn(**params, seed=seed)`` for every combination of `grid` and
    every seed and return a pandas DataFrame with one row per run: the
    parameters, the seed, and the items of the dict `fn` returned.

    executor: None (a process pool on every core), "serial", any
    concurrent.futures.Executor, "dask://HOST:PORT" or a dask.distributed
    Client.  `fn` must be importable by the workers (a module-level
    function) for anything but "serial".
    store: a SQLite file; finished runs are kept there and not run again.
    progress: show a tqdm progress bar (runs done, rate, time left).
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable; got {type(fn).__name__}")
    runs = _runs(grid, seeds)
    keys = [_key(p) for p in runs]
    db = _Store(store) if store is not None else None
    results = db.done() if db else {}
    missing = [(k, p) for k, p in zip(keys, runs) if k not in results]
    bar = _Progress(progress, len(runs), len(runs) - len(missing))

    def finished(key, result):
        results[key] = result
        if db:
            db.put(key, result)
        bar.update()

    try:
        if missing:
            _execute(fn, missing, executor, finished)
    finally:
        bar.close()
        if db:
            db.close()
    rows = [dict(p, **results[k]) for k, p in zip(keys, runs)]
    return pd.DataFrame(rows)


def _require_picklable(fn):
    """Refuse up front a function that cannot be sent to worker processes:
    concurrent.futures' process pool would otherwise wait for ever on a run
    its feeder thread failed to pickle (CPython 3.11), a silent hang."""
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise TypeError(f"fn cannot be sent to worker processes ({type(exc).__name__}: {exc}); define it at "
                        "the top level of a module or script, or pass executor='serial'") from None


def _execute(fn, missing, executor, finished):
    if executor == "serial":
        for key, params in missing:
            finished(key, _call(fn, params))
        return
    if executor is None or isinstance(executor, cf.Executor):
        if not isinstance(executor, cf.ThreadPoolExecutor):
            _require_picklable(fn)
        own = executor is None
        pool = cf.ProcessPoolExecutor(max_workers=os.cpu_count() or 1) if own else executor
        futures = {}
        try:
            for key, params in missing:
                futures[pool.submit(_call, fn, params)] = key
            for future in cf.as_completed(futures):
                finished(futures[future], future.result())
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        finally:
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
        return
    if (isinstance(executor, str) and executor.startswith("dask://")) or _is_dask_client(executor):
        from dask.distributed import as_completed
        _require_picklable(fn)
        client, own = _dask_client(executor)
        try:
            futures = {client.submit(_call, fn, params, pure=False): key for key, params in missing}
            for future in as_completed(futures):
                finished(futures[future], future.result())
        finally:
            if own:
                client.close()
        return
    raise ValueError("executor must be None, 'serial', a concurrent.futures.Executor, 'dask://HOST:PORT' or a "
                     f"dask.distributed.Client; got {executor!r}")
