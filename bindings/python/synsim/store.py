"""What a sweep keeps: the key of a run, its result stored losslessly, and
the SQLite file that holds them.

A run's key is the canonical JSON of its parameters: numpy scalars and
arrays count as the Python numbers and lists of the same values, so that a
grid made of ``np.arange`` and one made of a list of the same numbers name
the same runs.

A result is stored as JSON in which every value that JSON alone would
change comes tagged, so that a result read back is the one the run
returned, type for type (``int64`` stays ``int64``, a tuple stays a tuple):

    {"__ndarray__": "<i8", "shape": [3], "data": "<base64>"}   numpy array
    {"__ndarray__": "<f8", "shape": null, "data": "..."}         numpy scalar
    {"__tuple__": [...]}
    {"__dict__": [[key, value], ...]}   a dict with a key JSON cannot hold
    {"__pickle__": "<base64>"}          anything else (pandas values, ...)

Plain numbers, strings, None, lists and dicts of string keys stay plain and
readable with any SQLite tool.
"""
import base64
import json
import numbers
import os
import pickle
import sqlite3

import numpy as np

TAGS = ("__ndarray__", "__tuple__", "__dict__", "__pickle__")


def _canonical(value, where):
    """A JSON-able form of a parameter value, equal for equal values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _canonical(v, where) for k, v in value.items()}
    raise TypeError(f"{where}: values must be numbers, strings, None, or lists, tuples, dicts (string keys) and "
                    f"numpy arrays of them; got {type(value).__name__} {value!r}")


def run_key(params):
    """The key of one run: its parameters (seed included) as canonical JSON."""
    return json.dumps({k: _canonical(v, f"grid[{k!r}]") for k, v in params.items()}, sort_keys=True)


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def encode(value):
    """`value` as tagged JSON-able data (see the module's docstring)."""
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind != "O":
        array = np.asarray(value)
        return {"__ndarray__": array.dtype.str, "shape": None if isinstance(value, np.generic) else list(array.shape),
                "data": _b64(np.ascontiguousarray(array).tobytes())}
    if value is None or isinstance(value, (bool, str)) or type(value) in (int, float):
        return value
    if type(value) is list:
        return [encode(v) for v in value]
    if type(value) is tuple:
        return {"__tuple__": [encode(v) for v in value]}
    if type(value) is dict:
        if all(isinstance(k, str) and k not in TAGS for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    try:
        return {"__pickle__": _b64(pickle.dumps(value, protocol=4))}
    except Exception as exc:
        raise TypeError(f"a result value of type {type(value).__name__} cannot be stored: it cannot be pickled "
                        f"({type(exc).__name__}: {exc})") from None


def decode(data):
    """The value that encode() turned into `data`."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__ndarray__" in data:
        raw = base64.b64decode(data["data"])
        array = np.frombuffer(raw, dtype=np.dtype(data["__ndarray__"])).copy()
        return array[0] if data["shape"] is None else array.reshape(data["shape"])
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dict__" in data:
        return {decode(k): decode(v) for k, v in data["__dict__"]}
    if "__pickle__" in data:
        return pickle.loads(base64.b64decode(data["__pickle__"]))
    return {k: decode(v) for k, v in data.items()}


def dumps(result):
    return json.dumps(encode(result))


def loads(text):
    return decode(json.loads(text))


# Columns of the runs table after the key; a store made by an older synsim
# gains the missing ones (NULL for its rows) when opened.
COLUMNS = {"result": "TEXT", "error": "TEXT", "traceback": "TEXT", "identity_hash": "TEXT", "provenance": "TEXT"}


class Store:
    """Runs on disk, one row per key, each committed as it finishes: the
    result ("null" for a failed run) or the error and its traceback, the
    hash of the run's identity and its provenance (synsim.provenance)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        try:
            self.db = sqlite3.connect(self.path)
            self.db.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, result TEXT)")
            have = {row[1] for row in self.db.execute("PRAGMA table_info(runs)")}
            for name, kind in COLUMNS.items():
                if name not in have:
                    self.db.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"store: {self.path!r} is not a sweep store that synsim can use ({exc}); move it "
                             "away or give another store= path, and the sweep starts afresh there") from None

    def done(self):
        """{key: outcome} for every stored run; an outcome is a dict of
        result, error, traceback, identity_hash and provenance."""
        rows = self.db.execute("SELECT key, result, error, traceback, identity_hash, provenance FROM runs")
        return {k: {"result": loads(r), "error": e, "traceback": t, "identity_hash": h,
                    "provenance": None if p is None else json.loads(p)} for k, r, e, t, h, p in rows}

    def put(self, key, outcome):
        self.db.execute("INSERT OR REPLACE INTO runs (key, result, error, traceback, identity_hash, provenance) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (key, dumps(outcome["result"]), outcome["error"], outcome["traceback"],
                         outcome["identity_hash"], json.dumps(outcome["provenance"], sort_keys=True)))
        self.db.commit()

    def close(self):
        self.db.close()
