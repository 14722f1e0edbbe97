"""TCP from Python: per-host settings under Linux's sysctl names,
listeners and connections."""
import numbers

from . import core as _c
from .errors import check
from .handle import Handle
from .units import NS_PER_S, parse_time

__all__ = ["TcpSettings", "Listener", "Connection", "STATES"]

STATES = [_c.ss_tcp_state_name(s) for s in range(_c.SS_TCP_STATE_COUNT)]


def setting_names():
    names, i = [], 0
    while (name := _c.ss_tcp_setting_name(i)) is not None:
        names.append(name)
        i += 1
    return names


def counter_names():
    names, i = [], 0
    while (name := _c.ss_tcp_counter_name(i)) is not None:
        names.append(name)
        i += 1
    return names


# Linux include/net/tcp.h: MAX_TCP_KEEPIDLE and MAX_TCP_KEEPINTVL (32767 s),
# and TCP_USER_TIMEOUT is an int of milliseconds; checked before a listener
# or a connection is made, so that a bad option leaves nothing behind.
MAX_TCP_KEEPIDLE_S = 32767
MAX_USER_TIMEOUT_NS = (2**31 - 1) * 1_000_000


def parse_user_timeout(user_timeout):
    """TCP_USER_TIMEOUT in ns (0: off) from None or a time."""
    if user_timeout is None:
        return 0
    ns = parse_time(user_timeout, "user_timeout")
    if ns > MAX_USER_TIMEOUT_NS:
        raise ValueError(f"user_timeout must be at most {MAX_USER_TIMEOUT_NS // NS_PER_S} s (an int of "
                         f"milliseconds, as Linux's TCP_USER_TIMEOUT); got {user_timeout!r}")
    return ns


def parse_keepalive(keepalive):
    """None for off, else (idle_ns, interval_ns, count) with 0 meaning the
    host's default."""
    if keepalive is None or keepalive is False:
        return None
    if keepalive is True:
        return (0, 0, 0)
    if not isinstance(keepalive, dict):
        raise TypeError("keepalive must be True, False, None or a dict with idle, interval, count; "
                        f"got {type(keepalive).__name__}")
    unknown = set(keepalive) - {"idle", "interval", "count"}
    if unknown:
        raise ValueError(f"keepalive: unknown key(s) {sorted(unknown)}; allowed: idle, interval, count")
    idle = parse_time(keepalive.get("idle", 0), "keepalive['idle']")
    interval = parse_time(keepalive.get("interval", 0), "keepalive['interval']")
    for key, value in (("idle", idle), ("interval", interval)):
        if value > MAX_TCP_KEEPIDLE_S * NS_PER_S:
            raise ValueError(f"keepalive['{key}'] must be at most {MAX_TCP_KEEPIDLE_S} s, as Linux's "
                             f"TCP_KEEPIDLE and TCP_KEEPINTVL; got {keepalive[key]!r}")
    count = keepalive.get("count", 0)
    if isinstance(count, bool) or not isinstance(count, numbers.Integral):
        raise TypeError(f"keepalive['count'] must be an integer; got {type(count).__name__}")
    if not 0 <= count <= 127:
        raise ValueError(f"keepalive['count'] must be from 1 to 127 (0: the host's); got {count!r}")
    return (idle, interval, int(count))


def checked_setting(name, value):
    """`value` checked for the setting `name` (a known sysctl name): an int
    within Linux's range, else TypeError or ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}")
    _, lo, hi, _ = _c.ss_tcp_setting_bounds(name)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer from {lo} to {hi}; got {value!r}")
    return int(value)


def checked_settings(values, what="tcp settings"):
    """A dict of sysctl names to values, every one checked, as a new dict of
    ints; nothing is set."""
    if not isinstance(values, dict):
        raise TypeError(f"{what} must be a dict of sysctl names to integers; got {type(values).__name__}")
    names = setting_names()
    out = {}
    for name, value in values.items():
        if not isinstance(name, str):
            raise TypeError(f"{what}: setting names are strings; got {type(name).__name__}")
        if name not in names:
            raise ValueError(f"{what}: {name!r} is not a TCP setting; known: {', '.join(names)}")
        out[name] = checked_setting(name, value)
    return out


class TcpSettings(Handle):
    """A host's TCP settings, a mapping from Linux sysctl names
    ("tcp_syn_retries", "tcp_syncookies", "somaxconn", ...) to integers in
    Linux's units.  Assigning checks the name and the range."""

    def __init__(self, host):
        self._host = host

    def _check_name(self, name):
        if not isinstance(name, str):
            raise TypeError(f"TCP setting names are strings; got {type(name).__name__}")
        if name not in setting_names():
            raise ValueError(f"{name!r} is not a TCP setting; known: {', '.join(setting_names())}")

    def __getitem__(self, name):
        self._check_name(name)
        rc, value = _c.ss_tcp_get(self._host._ptr, name)
        check(rc, name)
        return value

    def __setitem__(self, name, value):
        self._check_name(name)
        value = checked_setting(name, value)
        check(_c.ss_tcp_set(self._host._ptr, name, value), name)

    def update(self, values):
        """Set several settings from a dict, all or none: every name, type
        and range is checked before the first one is set, and should setting
        one fail, those already set get their old values back."""
        values = checked_settings(values)
        old = {name: self[name] for name in values}
        done = []
        try:
            for name, value in values.items():
                self[name] = value
                done.append(name)
        except BaseException:
            for name in reversed(done):
                _c.ss_tcp_set(self._host._ptr, name, old[name])
            raise

    def __iter__(self):
        return iter(setting_names())

    def __len__(self):
        return len(setting_names())

    def items(self):
        """(name, value) for every setting."""
        return [(name, self[name]) for name in setting_names()]

    def __repr__(self):
        return "TcpSettings({" + ", ".join(f"{k!r}: {v}" for k, v in self.items()) + "})"


def tcp_counters(host):
    """Linux MIB counters of a host (all zero before it used TCP)."""
    out = {}
    for name in counter_names():
        rc, value = _c.ss_tcp_counter(host._ptr, name)
        check(rc, name)
        out[name] = value
    return out


class Listener(Handle):
    """A passive open on a port of a host."""

    def __init__(self, host, ptr, port):
        self._host = host
        self._sim = host._sim  # keeps the simulator alive
        self._raw = ptr
        self.port = port

    @property
    def _ptr(self):
        return self._sim._checked(self._raw)

    def __repr__(self):
        if self._sim.closed:
            return f"<synsim.Listener port {self.port} of a closed simulator>"
        return f"<synsim.Listener {self._host.name}:{self.port}>"

    def close(self):
        """Stop listening; pending half-open requests are dropped and
        connections nobody accepted are reset.  Closing a closed listener
        does nothing, as for a socket."""
        rc = _c.ss_tcp_listener_close(self._ptr)
        if rc != _c.SS_ESTATE:
            check(rc, "close")

    @property
    def queues(self):
        """SYN queue and accept queue: now, at most, and what went through."""
        info = _c.ss_tcp_listener_info()
        _c.ss_tcp_listener_info_get(self._ptr, info)
        return {"backlog": info.backlog, "syn_queue": info.syn_queue, "accept_queue": info.accept_queue,
                "syn_queue_max": info.syn_queue_max, "accept_queue_max": info.accept_queue_max,
                "syn_received": info.syn_received, "cookies_sent": info.cookies_sent, "accepted": info.accepted}


def _seconds_or_none(ns):
    return None if ns < 0 else ns / NS_PER_S


class Connection(Handle):
    """One TCP connection attempt, seen from the side that opened it.

    Read it after (or between) runs: `state` ("ESTABLISHED", "CLOSED", ...),
    `error` (None, or the errno name a socket would report: "ETIMEDOUT",
    "ECONNREFUSED", "ECONNRESET"), the times, and `info` for everything."""

    def __init__(self, host, ptr):
        self._host = host
        self._sim = host._sim  # keeps the simulator alive
        self._core = host._sim._core
        self._raw = ptr
        _c.ss_tcp_conn_hold(ptr)

    def __del__(self):
        # The hold is given back through the simulator's core, which does
        # nothing once the C simulator is freed: the garbage collector runs
        # the finalisers of a cycle (simulator, connections) in any order.
        core, raw = getattr(self, "_core", None), getattr(self, "_raw", None)
        if core is not None and raw is not None:
            self._raw = None
            core.release(raw)

    @property
    def _ptr(self):
        return self._sim._checked(self._raw)

    def _info(self):
        info = _c.ss_tcp_info()
        _c.ss_tcp_conn_info(self._ptr, info)
        return info

    def __repr__(self):
        if self._sim.closed:
            return "<synsim.Connection of a closed simulator>"
        i = self._info()
        return (f"<synsim.Connection {_c.ss_addr_text(i.local_addr)}:{i.local_port} -> "
                f"{_c.ss_addr_text(i.remote_addr)}:{i.remote_port} {self.state}"
                f"{' ' + self.error if self.error else ''}>")

    @property
    def state(self):
        """The RFC 9293 state: "SYN-SENT", "ESTABLISHED", "TIME-WAIT", ..."""
        return _c.ss_tcp_state_name(_c.ss_tcp_conn_state(self._ptr))

    @property
    def error(self):
        """None, or the errno name a socket would report: "ETIMEDOUT",
        "ECONNREFUSED", "ECONNRESET", "ECONNABORTED" (aborted here),
        "EHOSTDOWN" (this host crashed)."""
        err = _c.ss_tcp_conn_error(self._ptr)
        return _c.ss_tcp_errno_name(err) if err else None

    @property
    def opened_at(self):
        """When the SYN first left (seconds), or None before."""
        return _seconds_or_none(self._info().t_open)

    @property
    def established_at(self):
        """When the handshake completed (seconds), or None."""
        return _seconds_or_none(self._info().t_established)

    @property
    def closed_at(self):
        """When the connection was over for the application (seconds), or None."""
        return _seconds_or_none(self._info().t_closed)

    @property
    def handshake_latency(self):
        """Seconds from the first SYN to ESTABLISHED, or None."""
        i = self._info()
        return None if i.t_established < 0 else (i.t_established - i.t_open) / NS_PER_S

    @property
    def info(self):
        """Everything known of the connection, as a dict."""
        i = self._info()
        fields = ["id", "passive", "local_port", "remote_port", "iss", "irs", "snd_una", "snd_nxt", "rcv_nxt",
                  "snd_wnd", "rcv_wnd", "mss", "peer_mss", "wscale_ok", "sack_ok", "timestamps_ok", "snd_wscale",
                  "rcv_wscale", "syn_retransmits", "retransmits", "bytes_sent", "bytes_acked", "bytes_received"]
        out = {name: getattr(i, name) for name in fields}
        out.update(state=self.state, error=self.error,
                   local_addr=_c.ss_addr_text(i.local_addr), remote_addr=_c.ss_addr_text(i.remote_addr),
                   rto=i.rto / NS_PER_S, srtt=i.srtt / NS_PER_S,
                   keepalive=bool(i.keepalive), keepalive_idle=i.keepalive_idle / NS_PER_S,
                   keepalive_interval=i.keepalive_interval / NS_PER_S, keepalive_count=i.keepalive_count,
                   keepalive_probes=i.keepalive_probes, user_timeout=i.user_timeout / NS_PER_S or None,
                   opened_at=_seconds_or_none(i.t_open), established_at=_seconds_or_none(i.t_established),
                   closed_at=_seconds_or_none(i.t_closed))
        return out

    def send(self, nbytes):
        """Queue `nbytes` of data (contents are not modelled)."""
        if isinstance(nbytes, bool) or not isinstance(nbytes, numbers.Integral):
            raise TypeError(f"nbytes must be an integer; got {type(nbytes).__name__}")
        if not 0 <= nbytes <= 2**31 - 1:
            raise ValueError(f"nbytes must be from 0 to 2**31 - 1; got {nbytes!r}")
        rc = _c.ss_tcp_send(self._ptr, int(nbytes))
        if rc == _c.SS_ESTATE:
            raise RuntimeError(f"send: the connection is {self.state} and closing or closed")
        if rc == _c.SS_ERANGE:
            raise ValueError(f"nbytes: a connection carries at most 2**31 bytes in all (half the sequence space); "
                             f"{self._info().bytes_sent} are queued or sent already, so {nbytes} more do not fit")
        check(rc, "nbytes")
        return self

    def close(self):
        """Orderly close: FIN after the queued data."""
        rc = _c.ss_tcp_close(self._ptr)
        if rc == _c.SS_ESTATE:
            raise RuntimeError(f"close: the connection is already {self.state}")
        check(rc, "close")
        return self

    def abort(self):
        """Abort: RST to the peer, CLOSED at once."""
        rc = _c.ss_tcp_abort(self._ptr)
        if rc == _c.SS_ESTATE:
            raise RuntimeError(f"abort: the connection is already {self.state}")
        check(rc, "abort")
        return self

