"""Traffic sources, run in C: Poisson clients, a server application, and
SYN / ACK floods from forged addresses.

    ss.apps.Server(sim, server, 80, backlog=128)
    clients = ss.apps.Clients(sim, client, server, 80, rate=100, count=1000)
    ss.apps.SynFlood(sim, attacker, server, 80, rate=1e5, duration="10s")
    sim.run()
    clients.records()     # one row per client: start, established, latency, outcome
"""
import ipaddress
import numbers

import numpy as np
import pandas as pd

from . import core as _c
from .errors import check
from .handle import Handle
from .simulator import Host, Node, _parse_address, _require_int
from .units import NS_PER_S, TIME_MAX_NS, parse_time

__all__ = ["Clients", "Server", "SynFlood", "AckFlood"]


def _address_of(sim, target, name):
    if isinstance(target, Node):
        return _c.ss_node_addr(sim._own(target, name)._ptr)
    return _parse_address(target, name)


def _host(sim, host, name):
    host = sim._own(host, name)
    if not isinstance(host, Host):
        raise ValueError(f"{name} must be a host, not a router")
    return host


def _rate(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number per second; got {type(value).__name__}")
    if not 0 < value <= 1e9:
        raise ValueError(f"{name} must be more than 0 and at most 1e9 per second; got {value!r}")
    return float(value)


def _count(value, name):
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}")
    if not 1 <= value <= 2**40:
        raise ValueError(f"{name} must be from 1 to 2**40; got {value!r}")
    return int(value)


def _window(sim, start, stop, duration):
    """(begin, end) in ns; an end past the end of time is the end of time,
    as the core saturates every deadline there."""
    begin = sim.now_ns if start is None else parse_time(start, "start")
    if begin < sim.now_ns:
        raise ValueError(f"start must not be earlier than now ({sim.now}s); got {start!r}")
    if stop is not None and duration is not None:
        raise ValueError("give stop or duration, not both")
    if duration is not None:
        return begin, min(begin + parse_time(duration, "duration"), TIME_MAX_NS)
    end = TIME_MAX_NS if stop is None else parse_time(stop, "stop")
    if end < begin:
        raise ValueError(f"stop must not be earlier than start; got {stop!r}")
    return begin, end


def _app_name(name):
    """The caller's name of an app, which with the app's kind, host,
    destination and port names its random stream."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"name must be a string or None; got {type(name).__name__}")
    if len(name.encode()) > _c.SS_APP_NAME_MAX or "\0" in name:
        raise ValueError(f"name must be at most {_c.SS_APP_NAME_MAX} bytes without NUL; got {name!r}")
    return name


def _check_new(rc, app, host, dest, port, name):
    """Raise for a failed app constructor; a second app of one identity
    would draw exactly the first one's numbers."""
    if rc == _c.SS_EEXIST:
        dest = dest.name if isinstance(dest, Node) else dest
        raise ValueError(f"name: a {app} from {host.name!r} to {dest!r} port {port} named {name!r} already "
                         f"exists, and would draw the same random numbers; give each a different name=")
    check(rc, app)


def _errno_names(codes):
    """errno names for a column of codes, looked up once per distinct code."""
    names = {int(c): (_c.ss_tcp_errno_name(int(c)) or None) for c in np.unique(codes)}
    return [names[int(c)] for c in codes]


class _App(Handle):
    """What the apps share: the C app is owned by the simulator, which the
    app keeps alive; once the simulator is closed every use raises.

    A Clients or a flood draws its random numbers from a stream named by
    what it is: its kind, its host, the node it sends to (or the address
    when no node holds it), the port, and `name` when given, for example
    ``app:clients:client>server:80:web``.  Adding, removing or reordering
    any other host, link or app never changes its draws: two runs that
    differ only by a flood see the very same client arrivals (common random
    numbers).  Two apps of the same kind, host, destination and port need
    different names; the second with the same name raises ValueError."""

    @property
    def _ptr(self):
        return self._sim._checked(self._raw)


class Clients(_App):
    """Clients arriving as a Poisson process at `rate` per second, each
    opening one connection to `server`:`port`, sending `request_bytes`
    (if any) and closing.  Arrivals stop after `count` or at `stop` (or
    `duration` after `start`).  A client that arrives while `host` is
    crashed opens nothing: its record says EHOSTDOWN (conn 0) and the run
    goes on."""

    def __init__(self, sim, host, server, port, rate, count=None, start=None, stop=None, duration=None,
                 request_bytes=0, name=None):
        host = _host(sim, host, "host")
        config = _c.ss_clients_config()
        config.server = _address_of(sim, server, "server")
        if config.server == _c.ss_node_addr(host._ptr):
            raise ValueError(f"server must be another host than the clients' own host {host.name!r}; got {server!r}")
        if config.server == 0:
            raise ValueError(f"server must be a host's address, not 0.0.0.0; got {server!r}")
        config.port = _require_int(port, "port", 1, 65535)
        config.rate = _rate(rate, "rate")
        config.count = _count(count, "count")
        config.start, config.stop = _window(sim, start, stop, duration)
        if not config.count and stop is None and duration is None:
            raise ValueError("give count, stop or duration: the clients would never stop arriving")
        config.request_bytes = _require_int(request_bytes, "request_bytes", 0, 2**31 - 1)
        self.name = _app_name(name)
        rc, ptr = _c.ss_app_clients_new(host._ptr, self.name, config)
        _check_new(rc, "Clients", host, server, port, self.name)
        self._sim, self._raw = sim, ptr
        sim._apps.append(self)

    def __len__(self):
        return _c.ss_app_clients_count(self._ptr)

    @property
    def stream(self):
        """The name of the random stream the arrivals are drawn from."""
        return _c.ss_app_clients_stream(self._ptr)

    def records(self):
        """One row per client so far: start, established, closed (seconds,
        NaN where it did not happen), handshake latency, SYN retransmissions,
        error (errno name or None) and whether it is over."""
        arr = np.zeros((len(self), 7), dtype=np.int64)
        if len(arr):
            _c.ss_app_clients_copy_into(self._ptr, arr)
        sec = lambda col: np.where(arr[:, col] >= 0, arr[:, col] / NS_PER_S, np.nan)
        frame = pd.DataFrame({
            "conn": arr[:, 0], "start": sec(1), "established": sec(2), "closed": sec(3),
            "error": _errno_names(arr[:, 4]),
            "syn_retransmits": arr[:, 5], "done": arr[:, 6].astype(bool),
        })
        frame.insert(3, "latency", frame.established - frame.start)
        return frame


class Server(_App):
    """A server application on `host`:`port`: accepts each connection as it
    completes (or one per `accept_interval`, a busy server; "never" to model
    one that has stopped accepting) and closes it once the client closed."""

    def __init__(self, sim, host, port, backlog=128, accept_interval=0):
        host = _host(sim, host, "host")
        port = _require_int(port, "port", 1, 65535)
        backlog = _require_int(backlog, "backlog", 0, 1 << 20)
        interval = TIME_MAX_NS if accept_interval == "never" else parse_time(accept_interval, "accept_interval")
        rc, ptr = _c.ss_app_server_new(host._ptr, port, backlog, interval)
        if rc == _c.SS_EEXIST:
            raise ValueError(f"port {port} of {host.name!r} is already listening")
        check(rc, "Server")
        self._sim, self._raw = sim, ptr
        sim._apps.append(self)

    @property
    def accepted(self):
        """Connections the application has accepted."""
        return _c.ss_app_server_accepted(self._ptr)

    @property
    def queues(self):
        """The listener's SYN queue and accept queue, now and at most."""
        info = _c.ss_tcp_listener_info()
        _c.ss_tcp_listener_info_get(_c.ss_app_server_listener(self._ptr), info)
        return {"backlog": info.backlog, "syn_queue": info.syn_queue, "accept_queue": info.accept_queue,
                "syn_queue_max": info.syn_queue_max, "accept_queue_max": info.accept_queue_max,
                "syn_received": info.syn_received, "cookies_sent": info.cookies_sent, "accepted": info.accepted}


class _Flood(_App):
    KIND = None

    def __init__(self, sim, host, target, port, rate, duration=None, start=None, count=None,
                 spoof="198.18.0.0/15", name=None):
        host = _host(sim, host, "host")
        config = _c.ss_flood_config()
        config.kind = self.KIND
        config.target = _address_of(sim, target, "target")
        config.port = _require_int(port, "port", 1, 65535)
        config.rate = _rate(rate, "rate")
        begin, end = _window(sim, start, None, duration)
        config.start = begin
        config.duration = TIME_MAX_NS if duration is None else end - begin
        config.count = _count(count, "count")
        if not config.count and duration is None:
            raise ValueError("give duration or count: the flood would never stop")
        if not isinstance(spoof, str):
            raise TypeError(f"spoof must be a prefix such as '198.18.0.0/15'; got {type(spoof).__name__}")
        try:
            net = ipaddress.IPv4Network(spoof, strict=False)
        except ValueError:
            raise ValueError(f"spoof must be an IPv4 prefix such as '198.18.0.0/15'; got {spoof!r}") from None
        config.prefix = int(net.network_address)
        config.prefix_len = net.prefixlen
        self.name = _app_name(name)
        rc, ptr = _c.ss_app_flood_new(host._ptr, self.name, config)
        _check_new(rc, type(self).__name__, host, target, port, self.name)
        self._sim, self._raw = sim, ptr
        sim._apps.append(self)

    @property
    def sent(self):
        """Packets sent so far."""
        return _c.ss_app_flood_sent(self._ptr)

    @property
    def stream(self):
        """The name of the random stream the forged sources, ports and
        sequence numbers are drawn from."""
        return _c.ss_app_flood_stream(self._ptr)


class SynFlood(_Flood):
    """SYNs at `rate` per second from random forged addresses in `spoof`,
    random ports and sequence numbers; the SYN-ACKs go nowhere."""
    KIND = _c.SS_FLOOD_SYN


class AckFlood(_Flood):
    """ACKs with random sequence and acknowledgment numbers: blind guesses
    at SYN cookies."""
    KIND = _c.SS_FLOOD_ACK
