"""The connection table as a pandas DataFrame: one row per connection
attempt, both endpoints side by side."""
import numpy as np
import pandas as pd

from . import core as _c

RECORD_DTYPE = np.dtype([
    ("t_open", "<i8"), ("t_established", "<i8"), ("t_accepted", "<i8"), ("t_closed", "<i8"),
    ("bytes_sent", "<u8"), ("bytes_acked", "<u8"), ("bytes_received", "<u8"),
    ("id", "<u4"), ("node", "<u4"), ("local_addr", "<u4"), ("remote_addr", "<u4"),
    ("iss", "<u4"), ("irs", "<u4"), ("syn_retransmits", "<u4"), ("retransmits", "<u4"),
    ("local_port", "<u2"), ("remote_port", "<u2"), ("mss", "<u2"), ("error", "<u2"),
    ("state", "u1"), ("passive", "u1"), ("cookie", "u1"), ("reserved", "u1"), ("reserved2", "<u4"),
])

if RECORD_DTYPE.itemsize != _c.ss_tcp_record_size():  # pragma: no cover - a build mismatch
    raise ImportError("synsim: the connection record layout of the C core does not match the Python dtype")


def records_array(sim):
    n = _c.ss_tcp_record_count(sim._ptr)
    array = np.zeros(n, dtype=RECORD_DTYPE)
    if n:
        _c.ss_tcp_records_copy_into(sim._ptr, 0, array)
    return array


def _seconds(ns):
    return np.where(ns >= 0, ns / 1e9, np.nan)


def _lookup(values, name_of):
    """Map integer codes to names through a small table of the distinct ones."""
    table = {int(v): name_of(int(v)) for v in np.unique(values)}
    return np.array([table[int(v)] for v in values], dtype=object)


def _endpoint(rows, node_names, side):
    """Columns for one endpoint; the key columns are named from the client's
    point of view whichever side the rows come from."""
    local, remote = ("client", "server") if side == "client" else ("server", "client")
    return pd.DataFrame({
        f"{local}_addr": _lookup(rows["local_addr"], _c.ss_addr_text),
        f"{local}_port": rows["local_port"].astype(np.int64),
        f"{remote}_addr": _lookup(rows["remote_addr"], _c.ss_addr_text),
        f"{remote}_port": rows["remote_port"].astype(np.int64),
        "isn": rows["iss" if side == "client" else "irs"].astype(np.int64),
        side: node_names[rows["node"]],
        f"{side}_id": rows["id"].astype(np.int64),
        f"{side}_established": _seconds(rows["t_established"]),
        f"{side}_closed": _seconds(rows["t_closed"]),
        f"{side}_state": _lookup(rows["state"], _c.ss_tcp_state_name),
        f"{side}_error": _lookup(rows["error"], lambda e: _c.ss_tcp_errno_name(e) or None),
    })


KEY = ["client_addr", "client_port", "server_addr", "server_port", "isn"]


def connections_frame(sim):
    """One row per connection attempt.  An active open is matched with the
    connection its handshake made on the other host (same 4-tuple, whose IRS
    is the client's ISS); rows without a match on the other side keep empty
    columns for it (an attempt that never completed, or a passive
    connection opened by hand-made segments)."""
    records = records_array(sim)
    node_names = np.array([n.name for n in sim.nodes()] + [""], dtype=object)
    active, passive = records[records["passive"] == 0], records[records["passive"] == 1]
    client = _endpoint(active, node_names, "client")
    client["connect"] = _seconds(active["t_open"])
    client["syn_retransmits"] = active["syn_retransmits"].astype(np.int64)
    client["bytes_sent"] = active["bytes_sent"].astype(np.int64)
    client["bytes_acked"] = active["bytes_acked"].astype(np.int64)
    server = _endpoint(passive, node_names, "server")
    server["accepted"] = _seconds(passive["t_accepted"])
    server["synack_retransmits"] = passive["syn_retransmits"].astype(np.int64)
    server["cookie"] = passive["cookie"].astype(bool)
    server["bytes_received"] = passive["bytes_received"].astype(np.int64)
    table = client.merge(server, how="outer", on=KEY, sort=False)
    table["handshake_latency"] = table["client_established"] - table["connect"]
    table = table.sort_values(["connect", "client_id", "server_id"], na_position="last", kind="stable")
    columns = ["client", "client_addr", "client_port", "server", "server_addr", "server_port", "connect",
               "client_established", "server_established", "accepted", "handshake_latency", "syn_retransmits",
               "synack_retransmits", "cookie", "client_state", "client_error", "server_state", "server_error",
               "client_closed", "server_closed", "bytes_sent", "bytes_acked", "bytes_received", "client_id",
               "server_id", "isn"]
    return table.reindex(columns=columns).reset_index(drop=True)
