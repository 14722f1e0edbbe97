"""The Pythonic layer over synsim's C core: Simulator, Host, Router, Link.

Every object is a thin handle on an object owned by the C simulator.  A
handle keeps its Simulator alive, so a handle kept after the user dropped
the simulator still works.

Lifetime: only the Simulator frees C memory, through its _Core, once: on
close(), at the end of a ``with`` block, when it is collected, or at
interpreter exit.  Handles never free anything; they reach C only through
Simulator._checked(), which raises RuntimeError("simulator is closed") once
the C simulator is gone.  So the garbage collector may finalise a cycle of
a simulator and its handles in any order.
"""
import math
import numbers
import threading
import time
import weakref

from . import core as _c
from .errors import check
from .flags import parse_flags
from .handle import Handle
from .units import NS_PER_S, TIME_MAX_NS, parse_rate, parse_time

__all__ = ["Simulator", "Node", "Host", "Router", "Link"]

_UINT64_MAX = 2**64 - 1

# run() advances the C simulator in slices of at most this much wall time
# (the core looks at the clock every 256 events), and between slices
# handles signals (Ctrl-C raises KeyboardInterrupt at an event boundary)
# and lets other threads run; see ss_sim_run_slice().
_SLICE_WALL_NS = 20_000_000
_SLICE_EVENTS = 2**63
# Open captures are flushed at least this often while a run goes on.
_FLUSH_EVERY_S = 1.0


class _Core(Handle):
    """The C simulator behind a Simulator, and the one object that frees it.

    It refers to no Python object of the simulation, so it is never part of
    a reference cycle: the Simulator's finalizer and the connections'
    releases all find it intact, whichever runs first."""

    __slots__ = ("ptr", "runner", "captures", "deferred")

    def __init__(self, ptr):
        self.ptr = ptr
        self.runner = None   # thread id while run() is in progress
        self.captures = []   # open captures, flushed during and after runs
        self.deferred = []   # connection releases that came during a run

    def checked(self):
        if self.ptr is None:
            raise RuntimeError("simulator is closed")
        if self.runner is not None and self.runner != threading.get_ident():
            # the C simulator is running without the GIL in another thread
            raise RuntimeError("simulator is running in another thread")
        return self.ptr

    def release(self, conn):
        """Give back a connection's hold (ss_tcp_conn_release).  Nothing to
        do once the simulator is freed: the free released everything.  While
        a slice runs in C (GIL released) the release waits for the run's
        end, so that C is never entered twice at once."""
        if self.ptr is None:
            return
        if self.runner is not None:
            self.deferred.append(conn)
            return
        _c.ss_tcp_conn_release(conn)

    def after_run(self):
        self.runner = None
        while self.deferred:
            _c.ss_tcp_conn_release(self.deferred.pop())
        self.flush()

    def flush(self):
        for cap in self.captures:
            _c.ss_pcap_flush(cap)  # a failure shows in Capture.close()

    def free(self):
        ptr, self.ptr = self.ptr, None
        self.captures, self.deferred = [], []
        if ptr is not None:
            _c.ss_sim_free(ptr)  # flushes and closes the captures


def _require_int(value, name, lo, hi):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer from {lo} to {hi}; got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer from {lo} to {hi}; got {value!r}")
    return int(value)


def _require_probability(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a probability (a number from 0 to 1); got {type(value).__name__}")
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability from 0 to 1; got {value!r}")
    return float(value)


def _require_name(value, what):
    if not isinstance(value, str):
        raise TypeError(f"{what} name must be a string; got {type(value).__name__}")
    if not 1 <= len(value.encode()) <= 63 or "\0" in value:
        raise ValueError(f"{what} name must be 1 to 63 bytes without NUL; got {value!r}")
    return value


def _parse_address(value, name):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a dotted-quad IPv4 address string such as '10.0.0.1'; got {type(value).__name__}")
    rc, addr = _c.ss_addr_parse(value)
    if rc < 0 or addr in (0, 0xFFFFFFFF):
        raise ValueError(f"{name} must be a dotted-quad IPv4 address such as '10.0.0.1' (not 0.0.0.0 or 255.255.255.255); got {value!r}")
    return addr


class Simulator(Handle):
    """A deterministic discrete-event network simulation.

    Parameters
    ----------
    seed : int
        Every random draw of the simulation comes from streams derived from
        this seed and the name of the component that draws; the same seed and
        the same script give identical results.
    record_connections : bool
        Keep a row per connection for :meth:`connections` (104 bytes each);
        turn off for runs of many millions of connections.

    Build a topology with :meth:`add_host`, :meth:`add_router` and
    :meth:`add_link`, then advance time with :meth:`run`.  Times are strings
    with a unit ("10ms") or numbers of seconds; rates are strings ("100Mbps")
    or numbers of bits per second.

    Example
    -------
    >>> sim = Simulator(seed=1)
    >>> a, b = sim.add_host("a"), sim.add_host("b")
    >>> link = sim.add_link(a, b, delay="10ms", rate="100Mbps")
    >>> sim.run(until="1s")
    """

    def __init__(self, seed=0, record_connections=True):
        seed = _require_int(seed, "seed", 0, _UINT64_MAX)
        if not isinstance(record_connections, bool):
            raise TypeError(f"record_connections must be True or False; got {type(record_connections).__name__}")
        self.seed = seed
        self._apps = []
        rc, ptr = _c.ss_sim_new(seed)
        check(rc, "Simulator")
        self._core = _Core(ptr)
        # A finalizer rather than __del__: it holds the core, not the
        # Simulator, and also runs at interpreter exit, which flushes and
        # closes the captures of simulators still alive then.
        self._finalizer = weakref.finalize(self, self._core.free)
        check(_c.ss_tcp_set_recording(ptr, record_connections), "record_connections")

    def close(self):
        """Free the C simulator now: captures are flushed and closed, and
        every handle (node, link, connection, app...) raises RuntimeError
        from then on.  Happens by itself at the end of a ``with`` block, when
        the Simulator is collected and at interpreter exit; closing twice is
        allowed.  Not while run() is in progress."""
        core = self._core
        if core.ptr is None:
            return
        if core.runner is not None:
            raise RuntimeError("close: the simulator is running" +
                               ("" if core.runner == threading.get_ident() else " in another thread"))
        self._finalizer()

    @property
    def closed(self):
        """True once close() freed the C simulator."""
        return self._core.ptr is None

    def __enter__(self):
        self._checked(None)
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def _ptr(self):
        """The C simulator; RuntimeError once closed."""
        return self._core.checked()

    def _checked(self, ptr):
        """`ptr` (a handle's C object) if the simulator may be used now."""
        self._core.checked()
        return ptr

    def __repr__(self):
        core = self._core
        if core.ptr is None:
            return f"<synsim.Simulator seed={self.seed} closed>"
        if core.runner is not None and core.runner != threading.get_ident():
            return f"<synsim.Simulator seed={self.seed} running>"
        return f"<synsim.Simulator seed={self.seed} now={self.now}s nodes={len(self.nodes())} links={len(self.links())}>"

    # ---- time -------------------------------------------------------------

    @property
    def now(self):
        """The simulated time in seconds (float); see :attr:`now_ns`."""
        return _c.ss_sim_now(self._ptr) / NS_PER_S

    @property
    def now_ns(self):
        """The simulated time in integer nanoseconds, exactly."""
        return _c.ss_sim_now(self._ptr)

    @property
    def pending(self):
        """Events scheduled and not yet run."""
        return _c.ss_sim_pending(self._ptr)

    @property
    def events_run(self):
        """Events run since the simulator was created."""
        return _c.ss_sim_events_run(self._ptr)

    def run(self, until=None):
        """Run the simulation.

        Every event due at or before `until` runs, including events at exactly
        `until` and those they schedule for that instant; afterwards the clock
        reads `until`, and a later call continues from there.  With
        ``until=None`` the run goes on until nothing is scheduled, and the
        clock stays at the last event's time.

        Ctrl-C (SIGINT, or interrupting a Jupyter kernel) raises
        KeyboardInterrupt within a few tens of milliseconds, between two
        events: the simulator is left as after a shorter run, and calling
        run() again continues exactly where it stopped, with the results of
        an uninterrupted run.  Other Python threads run meanwhile, but may not
        use this simulator until run() returns (RuntimeError).  Open
        captures are flushed at least once a second and at the end.
        """
        core = self._core
        ptr = self._ptr
        if core.runner is not None:
            raise RuntimeError("run: the simulator is already running (run() called from a signal handler?)")
        if until is None:
            target = TIME_MAX_NS  # SS_TIME_MAX: run until idle
        else:
            target = parse_time(until, "until")
            if target < self.now_ns:
                raise ValueError(f"until must not be earlier than now ({self.now}s); got {until!r}")
        try:
            core.runner = threading.get_ident()
            flushed = time.monotonic()
            while True:
                # Without the GIL (see synsim.i); a signal that came meanwhile
                # raises here, between slices, so between events.
                rc, done = _c.ss_sim_run_slice(ptr, target, _SLICE_EVENTS, _SLICE_WALL_NS)
                check(rc, "run")
                if done:
                    break
                if core.captures and time.monotonic() - flushed >= _FLUSH_EVERY_S:
                    core.flush()
                    flushed = time.monotonic()
        finally:
            core.after_run()
        return self

    # ---- topology ---------------------------------------------------------

    def add_host(self, name, address=None, tcp=None):
        """Add an end host.  Its address is the next free one of 10.0.0.0/16
        unless `address` (dotted quad) is given.  `tcp` sets TCP knobs by
        their Linux sysctl names, e.g. ``{"tcp_synack_retries": 3}``."""
        if tcp is not None:
            # every value checked before the host exists: a bad one leaves
            # no host behind
            from .tcp import checked_settings
            tcp = checked_settings(tcp, "tcp")
        host = self._add_node(_c.ss_host_new, Host, name, address)
        if tcp:
            host.tcp.update(tcp)
        return host

    def add_router(self, name, address=None):
        """Add a router: it forwards packets along the shortest paths that the
        simulator computes (fewest hops; ties go to the earlier-built link)."""
        return self._add_node(_c.ss_router_new, Router, name, address)

    def _add_node(self, create, cls, name, address):
        name = _require_name(name, "node")
        addr = 0 if address is None else _parse_address(address, "address")
        if _c.ss_node_by_name(self._ptr, name) is not None:
            raise ValueError(f"name {name!r} is already used by another node of this simulator")
        if addr and _c.ss_node_by_addr(self._ptr, addr) is not None:
            raise ValueError(f"address {address!r} is already used by another node of this simulator")
        rc, ptr = create(self._ptr, name, addr)
        check(rc, f"add {cls.__name__.lower()} {name!r}")
        return cls(self, ptr)

    def add_link(self, a, b, delay="1ms", rate="1Gbps", queue=1000, loss=0.0, mtu=1500, gilbert=None):
        """Join two nodes with a duplex point-to-point link.

        Parameters
        ----------
        a, b : Node
            The two ends (nodes of this simulator).  Direction "a->b" and
            "b->a" each have their own queue, counters and loss draws.
        delay : time
            Propagation delay, zero or more.
        rate : rate
            Transmission rate; a packet of n bytes takes ceil(8n / rate) to send.
        queue : int
            Packets that may wait behind the one being sent (drop-tail).
        loss : float
            Probability that a packet is lost on the wire (Bernoulli).
        mtu : int
            Largest packet in bytes (68 to 65535); larger ones are dropped.
        gilbert : dict, optional
            A Gilbert-Elliott channel instead of Bernoulli loss:
            ``{"good_to_bad": p, "bad_to_good": r, "loss_good": 0.0, "loss_bad": 1.0}``.
        """
        a = self._own(a, "a")
        b = self._own(b, "b")
        if a == b:
            raise ValueError("a and b must be two different nodes")
        config = _c.ss_link_config()
        _c.ss_link_config_default(config)
        config.delay = parse_time(delay, "delay")
        config.rate_bps = parse_rate(rate, "rate")
        config.queue_packets = _require_int(queue, "queue", 0, 1 << 26)
        config.mtu = _require_int(mtu, "mtu", 68, 65535)
        loss = _require_probability(loss, "loss")
        if gilbert is not None:
            if loss:
                raise ValueError("give either loss or gilbert, not both")
            if not isinstance(gilbert, dict):
                raise TypeError(f"gilbert must be a dict with good_to_bad, bad_to_good, loss_good, loss_bad; got {type(gilbert).__name__}")
            unknown = set(gilbert) - {"good_to_bad", "bad_to_good", "loss_good", "loss_bad"}
            if unknown or not {"good_to_bad", "bad_to_good"} <= set(gilbert):
                raise ValueError("gilbert needs good_to_bad and bad_to_good, and may have loss_good and loss_bad; "
                                 f"got keys {sorted(gilbert)}")
            config.loss_model = _c.SS_LOSS_GILBERT
            config.ge_good_to_bad = _require_probability(gilbert["good_to_bad"], "gilbert['good_to_bad']")
            config.ge_bad_to_good = _require_probability(gilbert["bad_to_good"], "gilbert['bad_to_good']")
            config.ge_loss_good = _require_probability(gilbert.get("loss_good", 0.0), "gilbert['loss_good']")
            config.ge_loss_bad = _require_probability(gilbert.get("loss_bad", 1.0), "gilbert['loss_bad']")
        elif loss > 0:
            config.loss_model = _c.SS_LOSS_BERNOULLI
            config.loss = loss
        rc, ptr = _c.ss_link_new(self._ptr, a._ptr, b._ptr, config)
        check(rc, "add_link")
        return Link(self, ptr, _c.ss_link_count(self._ptr) - 1)

    def _own(self, node, name):
        if isinstance(node, str):
            return self.node(node)
        if not isinstance(node, Node):
            raise TypeError(f"{name} must be a Host, a Router or a node name; got {type(node).__name__}")
        if node._sim is not self:
            raise ValueError(f"{name} ({node.name!r}) belongs to another Simulator")
        return node

    def node(self, name):
        """The node called `name` (ValueError if there is none)."""
        if not isinstance(name, str):
            raise TypeError(f"node name must be a string; got {type(name).__name__}")
        ptr = _c.ss_node_by_name(self._ptr, name)
        if ptr is None:
            raise ValueError(f"no node named {name!r} in this simulator")
        return self._wrap_node(ptr)

    def _wrap_node(self, ptr):
        cls = Router if _c.ss_node_kind_of(ptr) == _c.SS_NODE_ROUTER else Host
        return cls(self, ptr)

    def nodes(self):
        """All nodes, in the order they were added."""
        return [self._wrap_node(_c.ss_node_at(self._ptr, i)) for i in range(_c.ss_node_count(self._ptr))]

    def links(self):
        """All links, in the order they were added."""
        return [Link(self, _c.ss_link_at(self._ptr, i), i) for i in range(_c.ss_link_count(self._ptr))]

    # ---- traces -----------------------------------------------------------

    def trace(self, kinds="all"):
        """Choose what the trace records from now on: "all", None (nothing),
        or a list of kinds among "send", "recv", "forward", "drop"."""
        from .trace import kinds_mask
        check(_c.ss_trace_enable(self._ptr, kinds_mask(kinds)), "trace")
        return self

    def connections(self):
        """One row per connection attempt, both endpoints side by side: when
        it was opened, established at each end, accepted and closed; handshake
        latency; SYN and SYN-ACK retransmissions; whether a SYN cookie
        completed it; final state and errno at each end."""
        from .tables import connections_frame
        return connections_frame(self)

    def capture(self, path, *targets, snaplen=None):
        """Write a pcap file (nanosecond timestamps, raw IPv4) of what the
        given hosts send, receive and forward and what enters the given
        links, from now on.  Returns a Capture; it is closed by close() or
        when the simulator goes."""
        import os
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file name; got {type(path).__name__}")
        if not targets:
            raise ValueError("capture needs at least one host, router or link to watch")
        snap = 0 if snaplen is None else _require_int(snaplen, "snaplen", 68, 65535)
        own = []
        for t in targets:
            if isinstance(t, Link):
                if t._sim is not self:
                    raise ValueError("targets: a link belongs to another Simulator")
                own.append(t)
            else:
                own.append(self._own(t, "targets"))
        rc, ptr = _c.ss_pcap_open(self._ptr, os.fspath(path), snap)
        if rc == _c.SS_EIO:
            raise ValueError(f"path: cannot write {os.fspath(path)!r}")
        check(rc, "capture")
        capture = Capture(self, ptr, os.fspath(path))
        for t in own:
            fn = _c.ss_pcap_add_link if isinstance(t, Link) else _c.ss_pcap_add_node
            check(fn(ptr, t._ptr), "targets")
        return capture

    def events(self, raw=False):
        """The trace records so far: a pandas DataFrame (one row per record,
        in time order), or with raw=True a numpy structured array."""
        from .trace import events_array, events_frame
        array = events_array(self)
        return array if raw else events_frame(self, array)


class Capture(Handle):
    """An open pcap capture.  The file holds whole records only, so it is
    readable at any moment, even if the process is killed; it is flushed at
    least once a second during run() and at its end."""

    def __init__(self, sim, ptr, path):
        self._sim, self._raw, self.path = sim, ptr, path
        self._closed = False
        sim._core.captures.append(ptr)

    @property
    def _ptr(self):
        return self._sim._checked(self._raw)

    @property
    def closed(self):
        """True once closed, by close() or with the simulator."""
        return self._closed or self._sim.closed

    @property
    def packets(self):
        """Packets captured so far."""
        return _c.ss_pcap_packets(self._ptr)

    def close(self):
        """Flush and close the file (OSError if writing failed).  Nothing to
        do if it is closed already, also when the simulator closed it."""
        if self.closed:
            return
        ptr = self._ptr
        self._closed = True
        self._sim._core.captures.remove(ptr)
        if _c.ss_pcap_close(ptr) == _c.SS_EIO:
            raise OSError(f"writing {self.path!r} failed")

    def __repr__(self):
        if self._sim.closed:
            return f"<synsim.Capture {self.path!r} closed>"
        return f"<synsim.Capture {self.path!r} packets={self.packets}{' closed' if self.closed else ''}>"


class Node(Handle):
    """A host or router of a Simulator.  Handles compare equal when they
    name the same node."""

    def __init__(self, sim, ptr):
        self._sim = sim
        self._raw = ptr
        self._id = _c.ss_node_id(ptr)  # fixed: identity works after close

    @property
    def _ptr(self):
        return self._sim._checked(self._raw)

    def __eq__(self, other):
        return isinstance(other, Node) and other._sim is self._sim and other._id == self._id

    def __hash__(self):
        return hash((id(self._sim), self._id))

    def __repr__(self):
        if self._sim.closed:
            return f"<synsim.{type(self).__name__} #{self._id} of a closed simulator>"
        return f"<synsim.{type(self).__name__} {self.name!r} {self.address}>"

    @property
    def sim(self):
        """The Simulator this node belongs to."""
        return self._sim

    @property
    def name(self):
        """The node's name, unique in its simulator."""
        return _c.ss_node_name(self._ptr)

    @property
    def address(self):
        """IPv4 address as a dotted quad."""
        return _c.ss_addr_text(_c.ss_node_addr(self._ptr))

    @property
    def id(self):
        """Index in the order nodes were added (as in trace records)."""
        return self._id

    @property
    def packet_counters(self):
        """Packet counters of this node: sent, received, forwarded, and drops
        by cause (no_route, ttl, not_mine, no_receiver)."""
        s = _c.ss_node_stats()
        _c.ss_node_get_stats(self._ptr, s)
        return {
            "sent": s.sent,
            "received": s.received,
            "forwarded": s.forwarded,
            "dropped_no_route": s.dropped_no_route,
            "dropped_ttl": s.dropped_ttl,
            "dropped_not_mine": s.dropped_not_mine,
            "dropped_no_receiver": s.dropped_no_receiver,
        }

    def send_packet(self, to, flags="", seq=0, ack=0, sport=40000, dport=80, payload=0, ttl=64):
        """Send one hand-made TCP segment now, outside any connection: for
        scripted exchanges and for testing the network.  `to` is a node or
        an address; `flags` as tcpdump prints them ("S", "S.", ".").
        Returns the packet's id (as in trace records)."""
        if isinstance(to, Node):
            dst = _c.ss_node_addr(self._sim._own(to, "to")._ptr)
        else:
            dst = _parse_address(to, "to")
        bits = parse_flags(flags)
        seq = _require_int(seq, "seq", 0, 2**32 - 1)
        ack = _require_int(ack, "ack", 0, 2**32 - 1)
        sport = _require_int(sport, "sport", 1, 65535)
        dport = _require_int(dport, "dport", 1, 65535)
        payload = _require_int(payload, "payload", 0, 65535 - 40)
        ttl = _require_int(ttl, "ttl", 1, 255)
        rc, packet = _c.ss_packet_new(self._sim._ptr)
        check(rc, "send_packet")
        packet.dst = dst
        packet.ttl = ttl
        packet.payload = payload
        packet.size = _c.SS_IPV4_HEADER + _c.SS_TCP_HEADER + payload
        packet.tcp.flags = bits
        packet.tcp.seq = seq
        packet.tcp.ack = ack
        packet.tcp.sport = sport
        packet.tcp.dport = dport
        packet_id = packet.id
        check(_c.ss_node_send(self._sim._ptr, self._ptr, packet), "send_packet")
        return packet_id


class Host(Node):
    """An end host: it originates and receives packets but does not forward,
    and runs TCP."""

    @property
    def tcp(self):
        """TCP settings under Linux's sysctl names (a mutable mapping)."""
        from .tcp import TcpSettings
        return TcpSettings(self)

    @property
    def counters(self):
        """TCP counters under Linux's MIB names (ActiveOpens, PassiveOpens,
        RetransSegs, SyncookiesSent, ListenOverflows, ...)."""
        from .tcp import tcp_counters
        return tcp_counters(self)

    def listen(self, port, backlog=128, keepalive=None, user_timeout=None, accept_interval=0):
        """Accept connections on `port`; `backlog` is capped by somaxconn.
        Accepted connections inherit `keepalive` and `user_timeout` (see
        :meth:`connect`).  `accept_interval`: 0 accepts each connection at
        once; a time accepts one per interval (a busy application); "never"
        lets the accept queue fill."""
        from .tcp import Listener, parse_keepalive, parse_user_timeout
        port = _require_int(port, "port", 1, 65535)
        backlog = _require_int(backlog, "backlog", 0, 1 << 20)
        ka = parse_keepalive(keepalive)
        ut = parse_user_timeout(user_timeout)
        interval = TIME_MAX_NS if accept_interval == "never" else parse_time(accept_interval, "accept_interval")
        rc, ptr = _c.ss_tcp_listen(self._ptr, port, backlog, None, None)
        if rc == _c.SS_EEXIST:
            raise ValueError(f"port {port} of {self.name!r} is already listening")
        check(rc, "listen")
        check(_c.ss_tcp_listener_set_accept(ptr, interval), "accept_interval")
        if ka is not None:
            check(_c.ss_tcp_listener_set_keepalive(ptr, True, *ka), "keepalive")
        check(_c.ss_tcp_listener_set_user_timeout(ptr, ut), "user_timeout")
        return Listener(self, ptr, port)

    def crash(self, at=None):
        """Crash the host now or at simulated time `at`: it stops answering
        and loses every connection (they end with EHOSTDOWN)."""
        return self._updown(_c.ss_node_crash, at)

    def restart(self, at=None):
        """Bring a crashed host back now or at `at`, with empty connection
        tables: it answers segments of old connections with RST.  Its
        listeners come back with it."""
        return self._updown(_c.ss_node_restart, at)

    def _updown(self, fn, at):
        when = self._sim.now_ns if at is None else parse_time(at, "at")
        if when < self._sim.now_ns:
            raise ValueError(f"at must not be earlier than now ({self._sim.now}s); got {at!r}")
        check(fn(self._sim._ptr, self._ptr, when), "at")
        return self

    @property
    def is_up(self):
        """False while the host is crashed."""
        return bool(_c.ss_node_is_up(self._ptr))

    def connect(self, to, port, at=None, keepalive=None, user_timeout=None):
        """Open a TCP connection to `to` (a node or an address) on `port`,
        now or at simulated time `at`.  Returns the Connection.

        keepalive: None or False (off), True (the host's tcp_keepalive_time,
        _intvl and _probes), or a dict overriding them:
        ``{"idle": "2s", "interval": "1s", "count": 3}``.
        user_timeout: TCP_USER_TIMEOUT, a time (None: off)."""
        from .tcp import Connection, parse_keepalive, parse_user_timeout
        ka = parse_keepalive(keepalive)
        ut = parse_user_timeout(user_timeout)
        if not self.is_up:
            raise RuntimeError(f"connect: {self.name!r} is crashed")
        if isinstance(to, Node):
            dst = _c.ss_node_addr(self._sim._own(to, "to")._ptr)
        else:
            dst = _parse_address(to, "to")
        if dst == _c.ss_node_addr(self._ptr):
            raise ValueError("to must be another node than the one connecting")
        port = _require_int(port, "port", 1, 65535)
        when = self._sim.now_ns if at is None else parse_time(at, "at")
        if when < self._sim.now_ns:
            raise ValueError(f"at must not be earlier than now ({self._sim.now}s); got {at!r}")
        rc, ptr = _c.ss_tcp_connect_at(self._ptr, dst, port, when, None, None)
        check(rc, "connect")
        conn = Connection(self, ptr)
        if ka is not None:
            check(_c.ss_tcp_set_keepalive(ptr, True, *ka), "keepalive")
        check(_c.ss_tcp_set_user_timeout(ptr, ut), "user_timeout")
        return conn


class Router(Node):
    """A router: it forwards packets along the simulator's shortest paths,
    decrementing the TTL."""


_DIRECTION_COUNTERS = ("sent", "delivered", "dropped_queue", "dropped_loss", "dropped_down",
                       "dropped_mtu", "dropped_nomem", "in_flight", "bytes_sent", "bytes_delivered")


class Link(Handle):
    """A duplex point-to-point link.  Direction 0 carries a -> b, 1 b -> a."""

    def __init__(self, sim, ptr, index):
        self._sim = sim
        self._raw = ptr
        self.index = index

    @property
    def _ptr(self):
        return self._sim._checked(self._raw)

    def __repr__(self):
        if self._sim.closed:
            return f"<synsim.Link #{self.index} of a closed simulator>"
        a, b = self.ends
        return f"<synsim.Link {a.name}<->{b.name} {'up' if self.is_up else 'down'}>"

    def __eq__(self, other):
        return isinstance(other, Link) and other._sim is self._sim and other.index == self.index

    def __hash__(self):
        return hash((id(self._sim), "link", self.index))

    @property
    def ends(self):
        """The two nodes (a, b)."""
        return tuple(self._sim._wrap_node(_c.ss_link_end(self._ptr, k)) for k in (0, 1))

    @property
    def is_up(self):
        """False while the link is down."""
        return bool(_c.ss_link_is_up(self._ptr))

    def _set(self, up, at):
        if at is None:
            check(_c.ss_link_set_up(self._sim._ptr, self._ptr, up), "link state")
            return self
        when = parse_time(at, "at")
        if when < self._sim.now_ns:
            raise ValueError(f"at must not be earlier than now ({self._sim.now}s); got {at!r}")
        check(_c.ss_link_schedule(self._sim._ptr, self._ptr, when, up), "link schedule")
        return self

    def down(self, at=None):
        """Take the link down now, or at simulated time `at`: it drops all it
        carries and everything offered until it comes up.  Routes stay."""
        return self._set(False, at)

    def up(self, at=None):
        """Bring the link up now, or at simulated time `at`."""
        return self._set(True, at)

    def counters(self, direction=0):
        """Counters of one direction (0 or the sending node for a -> b, 1 for
        b -> a).  Always: sent == delivered + every dropped_* + in_flight."""
        if isinstance(direction, Node):
            a, b = self.ends
            if direction == a:
                direction = 0
            elif direction == b:
                direction = 1
            else:
                raise ValueError(f"direction: {direction.name!r} is not an end of this link")
        direction = _require_int(direction, "direction", 0, 1)
        s = _c.ss_link_stats()
        check(_c.ss_link_get_stats(self._ptr, direction, s), "counters")
        return {name: getattr(s, name) for name in _DIRECTION_COUNTERS}
