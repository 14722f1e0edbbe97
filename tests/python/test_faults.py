"""Keepalive, user timeout and faults from Python."""
import pytest

import synsim as ss


def build(keepalive=None, user_timeout=None, delay="10ms"):
    sim = ss.Simulator(seed=4)
    client, server = sim.add_host("client"), sim.add_host("server")
    link = sim.add_link(client, server, delay=delay)
    server.listen(80)
    conn = client.connect(server, 80, keepalive=keepalive, user_timeout=user_timeout)
    sim.run(until="1s")
    assert conn.state == "ESTABLISHED"
    return sim, client, server, link, conn


def test_dead_peer_detected_after_idle_plus_interval_times_count():
    sim, client, server, link, conn = build(keepalive={"idle": "2s", "interval": "1s", "count": 3})
    server.crash(at="10s")
    sim.trace(["recv"])
    sim.run()
    assert conn.error == "ETIMEDOUT"
    # the last answer from the server came just before the crash; then
    # 2 s of idle and 3 probes 1 s apart
    ev = sim.events()
    last = ev[(ev.node == "client") & (ev.time < 10)].time.max()
    assert conn.closed_at == pytest.approx(last + 2 + 3 * 1, abs=1e-9)
    assert client.counters["TCPKeepAlive"] > 3 and client.counters["TCPAbortOnTimeout"] == 1


def test_restarted_peer_resets_the_connection():
    sim, client, server, link, conn = build(keepalive={"idle": "2s", "interval": "1s", "count": 3})
    server.crash(at="10s").restart(at="10.5s")
    sim.run()
    assert conn.error == "ECONNRESET"
    assert 10.5 < conn.closed_at < 12.1
    assert server.is_up


def test_host_keepalive_defaults_and_user_timeout():
    sim, client, server, link, conn = build(keepalive=True)
    assert conn.info["keepalive_idle"] == 7200 and conn.info["keepalive_count"] == 9
    link.down()
    sim.run()
    assert conn.error == "ETIMEDOUT"
    assert conn.closed_at == pytest.approx(conn.established_at + 7200 + 9 * 75, abs=1e-6)

    sim, client, server, link, conn = build(user_timeout="1.5s")
    link.down()
    t0 = sim.now
    conn.send(1000)
    sim.run()
    assert conn.error == "ETIMEDOUT" and conn.closed_at == pytest.approx(t0 + 1.5)


def test_fault_call_errors():
    sim, client, server, link, conn = build()
    with pytest.raises(ValueError, match="at must not be earlier"):
        server.crash(at="0.5s")
    with pytest.raises(TypeError, match="keepalive must be"):
        client.connect(server, 80, keepalive="yes")
    with pytest.raises(ValueError, match="keepalive: unknown key"):
        client.connect(server, 80, keepalive={"idle": 1, "probes": 3})
    with pytest.raises(ValueError, match=r"keepalive\['idle'\]"):
        client.connect(server, 80, keepalive={"idle": -1})
    with pytest.raises(ValueError, match="user_timeout"):
        client.connect(server, 80, user_timeout="-2s")
    client.crash()
    assert conn.error == "EHOSTDOWN"
    with pytest.raises(RuntimeError, match="crashed"):
        client.connect(server, 80)
