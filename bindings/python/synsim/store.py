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
import socket
import sqlite3
import time

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


# A claim whose owner has not beaten its heart for this long is free to take.
CLAIM_STALE_S = 60.0


def new_owner():
    """A name for one sweep: its host and process, and a token."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def _owner_gone(owner, heartbeat, now):
    host, pid, _ = owner.rsplit(":", 2)
    if now - heartbeat > CLAIM_STALE_S:
        return True
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


class Store:
    """Runs on disk, one row per key, each committed as it finishes: the
    result ("null" for a failed run) or the error and its traceback, the
    hash of the run's identity and its provenance (synsim.provenance).

    Sweeps that share a store share its work: a sweep claims a run before
    it starts it (the claims table: key, owner, heartbeat), each claim taken
    inside one write transaction, so that no two sweeps ever hold one run.
    A claim whose owner died (its process is gone on this host, or its
    heartbeat is older than CLAIM_STALE_S) may be taken over."""

    def __init__(self, path):
        self.path = os.fspath(path)
        try:
            # autocommit: every transaction is opened explicitly (BEGIN IMMEDIATE)
            self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            self.db.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, result TEXT)")
            self.db.execute("CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, owner TEXT, heartbeat REAL)")
            have = {row[1] for row in self.db.execute("PRAGMA table_info(runs)")}
            for name, kind in COLUMNS.items():
                if name not in have:
                    self.db.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"store: {self.path!r} is not a sweep store that synsim can use ({exc}); move it "
                             "away or give another store= path, and the sweep starts afresh there") from None

    def done(self):
        """{key: outcome} for every stored run; an outcome is a dict of
        result, error, traceback, identity_hash and provenance."""
        rows = self.db.execute("SELECT key, result, error, traceback, identity_hash, provenance FROM runs")
        return {row[0]: self._outcome(row) for row in rows}

    def outcome(self, key):
        """The stored outcome of one run, or None."""
        row = self.db.execute("SELECT key, result, error, traceback, identity_hash, provenance FROM runs "
                              "WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._outcome(row)

    @staticmethod
    def _outcome(row):
        _, r, e, t, h, p = row
        return {"result": loads(r), "error": e, "traceback": t, "identity_hash": h,
                "provenance": None if p is None else json.loads(p)}

    def claim(self, key, owner):
        """Take run `key` for `owner`: True unless a live sweep holds it."""
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            row = self.db.execute("SELECT owner, heartbeat FROM claims WHERE key = ?", (key,)).fetchone()
            free = row is None or row[0] == owner or _owner_gone(row[0], row[1], now)
            if free:
                self.db.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)", (key, owner, now))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return free

    def heartbeat(self, owner):
        self.db.execute("UPDATE claims SET heartbeat = ? WHERE owner = ?", (time.time(), owner))

    def release(self, owner):
        """Give up every claim of `owner` (its runs not finished)."""
        self.db.execute("DELETE FROM claims WHERE owner = ?", (owner,))

    def put(self, key, outcome):
        """Store a finished run and drop its claim, in one transaction."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT OR REPLACE INTO runs (key, result, error, traceback, identity_hash, provenance) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (key, dumps(outcome["result"]), outcome["error"], outcome["traceback"],
                             outcome["identity_hash"], json.dumps(outcome["provenance"], sort_keys=True)))
            self.db.execute("DELETE FROM claims WHERE key = ?", (key,))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self):
        self.db.close()
