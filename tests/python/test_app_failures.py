"""An app's failures are its clients' own, and times at the edge of time
saturate: only a lack of memory may fail a run."""
import pytest

import synsim as ss


def crash_restart_run(with_crash):
    sim = ss.Simulator(seed=4)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b, delay="5ms")
    ss.apps.Server(sim, b, 80)
    clients = ss.apps.Clients(sim, a, b, 80, rate=20, duration="8s")
    if with_crash:
        a.crash(at="2s")
        a.restart(at="5s")
    sim.run(until="4s")
    sim.run()  # a second run goes on as well
    return sim, clients.records()


def test_clients_on_a_crashed_host_fail_alone():
    """Clients on a host that crashes at 2 s and restarts at 5 s: the run
    and the next run go on; those that arrive while it is down record
    EHOSTDOWN without a connection, those in flight at the crash EHOSTDOWN
    too, and every other client connects."""
    sim, rec = crash_restart_run(True)
    assert len(rec) > 100 and rec["done"].all()
    down = rec[(rec.start >= 2) & (rec.start < 5)]
    assert len(down) > 30
    assert (down.error == "EHOSTDOWN").all() and (down.conn == 0).all() and (down.closed == down.start).all()
    up = rec[(rec.start < 1.9) | (rec.start >= 5)]
    assert up.error.isna().all() and up.established.notna().all() and (up.conn > 0).all()
    # the clients outside the outage arrived exactly as without one: the
    # failure drew nothing from the app's random stream
    _, calm = crash_restart_run(False)
    assert rec.start.tolist() == calm.start.tolist()
    # the run ended at most one TIME-WAIT (60 s) after the last client closed
    assert rec.closed.max() <= sim.now <= rec.closed.max() + 60 + 1e-6


def test_clients_that_can_never_connect_are_refused_when_built():
    sim = ss.Simulator(seed=1)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b, delay="1ms")
    with pytest.raises(ValueError, match="server must be another host than the clients' own host 'a'"):
        ss.apps.Clients(sim, a, a, 80, rate=10, count=5)
    with pytest.raises(ValueError, match="server must be another host than the clients' own host 'a'"):
        ss.apps.Clients(sim, a, str(a.address), 80, rate=10, count=5)
    with pytest.raises(ValueError, match="0.0.0.0"):
        ss.apps.Clients(sim, a, "0.0.0.0", 80, rate=10, count=5)
    assert not sim._apps
    sim.run()  # nothing was left behind to fail the run


def test_times_at_the_edge_of_time_saturate():
    """Values the documentation allows, near the end of time: a flood and
    clients whose start plus duration passes it, clients at 1e-300 per
    second, a server that accepts once in 292 years."""
    sim = ss.Simulator(seed=2)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b, delay="1ms")
    end = 9_223_372_036  # whole seconds, 0.85 s before the end of time
    server = ss.apps.Server(sim, b, 80, accept_interval=end - 1)
    rare = ss.apps.Clients(sim, a, b, 80, rate=1e-300, count=3)
    late = ss.apps.Clients(sim, a, b, 81, rate=100, start=end - 3, duration=end)
    flood = ss.apps.SynFlood(sim, a, b, 82, rate=1, start=end - 3, duration=end)
    first = ss.apps.Clients(sim, a, b, 80, rate=1000, count=3, name="first")
    sim.run(until="10s")
    assert len(rare.records()) == 0
    assert server.queues["accepted"] == 1 and server.queues["accept_queue"] == 2  # the rest wait for good
    sim.run()
    # one SYN a second from 3.85 s before the end of time: 4 fit before it
    assert len(late.records()) > 300 and flood.sent == 4
    assert end - 1 <= sim.now <= end + 1
    assert len(first.records()) == 3
