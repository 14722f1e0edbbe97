"""Trace records as numpy arrays and pandas DataFrames.

The C core stores fixed-size records; they come to Python in one bulk copy
into a numpy structured array whose dtype mirrors ss_trace_record, then
columns are decoded vectorised (no Python per record)."""
import numpy as np
import pandas as pd

from . import core as _c
from .flags import flags_text

RECORD_DTYPE = np.dtype([
    ("time_ns", "<i8"),
    ("packet", "<u8"),
    ("node", "<u4"),
    ("link", "<u4"),
    ("src", "<u4"),
    ("dst", "<u4"),
    ("seq", "<u4"),
    ("ack", "<u4"),
    ("size", "<u4"),
    ("payload", "<u4"),
    ("sport", "<u2"),
    ("dport", "<u2"),
    ("kind", "u1"),
    ("cause", "u1"),
    ("flags", "u1"),
    ("dir", "u1"),
    ("conn", "<u4"),
    ("old_state", "u1"),
    ("new_state", "u1"),
    ("reserved", "<u2"),
])

KINDS = {_c.ss_trace_kind_name(k): k for k in range(_c.SS_TRACE_KIND_COUNT)}
# the name of every (kind, cause) pair, flattened as kind * 256 + cause
_CAUSE_LOOKUP = np.array([_c.ss_trace_cause_name(k, c) for k in range(_c.SS_TRACE_KIND_COUNT) for c in range(256)],
                         dtype=object)
CAUSE_NAMES = sorted(set(_CAUSE_LOOKUP))

if RECORD_DTYPE.itemsize != _c.ss_trace_record_size():  # pragma: no cover - a build mismatch
    raise ImportError("synsim: the trace record layout of the C core does not match the Python dtype")


def kinds_mask(kinds):
    if kinds is None:
        return 0
    if isinstance(kinds, str):
        if kinds == "all":
            return _c.SS_TRACE_ALL
        kinds = [kinds]
    try:
        kinds = list(kinds)
    except TypeError:
        raise TypeError(f"kinds must be 'all', None or a list of {sorted(KINDS)}; got {type(kinds).__name__}") from None
    mask = 0
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"kinds: {kind!r} is not one of {sorted(KINDS)}")
        mask |= 1 << KINDS[kind]
    return mask


def _causes(array):
    """The cause column: a drop's cause, a timer's name, an API call."""
    return _CAUSE_LOOKUP[array["kind"].astype(np.intp) * 256 + array["cause"]]


def events_array(sim):
    n = _c.ss_trace_count(sim._ptr)
    array = np.zeros(n, dtype=RECORD_DTYPE)
    if n:
        copied = _c.ss_trace_copy_into(sim._ptr, 0, array)
        assert copied == n
    return array


def _addresses(values):
    unique, inverse = np.unique(values, return_inverse=True)
    names = np.array([_c.ss_addr_text(int(v)) for v in unique], dtype=object)
    return names[inverse] if len(values) else np.array([], dtype=object)


def events_frame(sim, array):
    node_names = np.array([n.name for n in sim.nodes()] + [""], dtype=object)
    node_index = np.minimum(array["node"], len(node_names) - 1)
    kind_names = np.array([_c.ss_trace_kind_name(k) for k in range(_c.SS_TRACE_KIND_COUNT)], dtype=object)
    flag_names = np.array([flags_text(f) for f in range(256)], dtype=object)
    state_names = np.array([_c.ss_tcp_state_name(k) for k in range(256)], dtype=object)
    is_state = array["kind"] == _c.SS_TRACE_STATE
    return pd.DataFrame({
        "time": array["time_ns"] / 1e9,
        "time_ns": array["time_ns"],
        "node": pd.Categorical(node_names[node_index]),
        "kind": pd.Categorical(kind_names[array["kind"]], categories=list(kind_names)),
        "cause": pd.Categorical(_causes(array), categories=CAUSE_NAMES),
        "packet": array["packet"],
        "link": array["link"].astype(np.int64) - 1,
        "src": _addresses(array["src"]),
        "dst": _addresses(array["dst"]),
        "sport": array["sport"],
        "dport": array["dport"],
        "flags": flag_names[array["flags"]],
        "seq": array["seq"],
        "ack": array["ack"],
        "size": array["size"],
        "payload": array["payload"],
        "conn": array["conn"],
        "old_state": np.where(is_state, state_names[array["old_state"]], ""),
        "state": np.where(is_state, state_names[array["new_state"]], ""),
    })
