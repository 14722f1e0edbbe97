"""TCP seen from Python: handshake timing, give-ups, errors, settings."""
import gc

import pytest

import synsim as ss

SYN_BYTES = 60   # IPv4 20 + TCP 20 + MSS 4 + SACK-permitted/timestamps 12 + window scale 4
ACK_BYTES = 52   # IPv4 20 + TCP 20 + timestamps 12
NS_100M = 80     # ns per byte at 100 Mbit/s


def test_handshake_over_a_10ms_link(pair):
    sim, client, server, link = pair
    sim.trace("all")
    server.listen(80)
    conn = client.connect(server, 80)
    sim.run(until="1s")
    syn_trip = 10_000_000 + SYN_BYTES * NS_100M
    assert conn.state == "ESTABLISHED" and conn.error is None
    # the client: one round trip (SYN and SYN-ACK) plus their serialisation
    assert round(conn.handshake_latency * 1e9) == 2 * syn_trip
    # the server: one and a half (its SYN-ACK out, the ACK back)
    ev = sim.events()
    est = ev[(ev.node == "server") & (ev.state == "ESTABLISHED")]
    assert list(est.time_ns) == [2 * syn_trip + 10_000_000 + ACK_BYTES * NS_100M]
    assert list(ev[ev.kind == "state"].state) == ["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "ESTABLISHED"]


def test_synack_gives_up_after_63s(pair):
    sim, client, server, link = pair
    sim.trace(["send", "state"])
    server.listen(80)
    client.send_packet(server, flags="S", seq=7, dport=80)  # no TCP stands behind this SYN
    sim.run()
    ev = sim.events()
    synacks = ev[(ev.node == "server") & (ev.kind == "send")].time_ns.to_numpy()
    first = synacks[0]
    assert [(t - first) // 10**9 for t in synacks] == [0, 1, 3, 7, 15, 31]
    assert all((t - first) % 10**9 == 0 for t in synacks)
    dropped = ev[(ev.node == "server") & (ev.state == "CLOSED")].time_ns.iloc[0]
    assert dropped - first == 63 * 10**9
    assert server.counters["TCPSynRetrans"] == 5


def test_connect_fails_with_the_errno_a_socket_reports(pair):
    sim, client, server, link = pair
    refused = client.connect(server, 81)                 # nothing listens: RST
    server.listen(80)
    link.down(at="0.5s")
    timed_out = client.connect(server, 80, at="1s")      # SYNs into a dead link
    sim.run()
    assert refused.state == "CLOSED" and refused.error == "ECONNREFUSED"
    assert timed_out.error == "ETIMEDOUT"
    assert timed_out.closed_at - timed_out.opened_at == pytest.approx(131.0)   # Linux 6.x defaults
    assert timed_out.info["syn_retransmits"] == 10
    assert client.counters["AttemptFails"] == 2


def test_syn_timeout_with_three_retries():
    sim = ss.Simulator(seed=2)
    client = sim.add_host("client", tcp={"tcp_syn_retries": 3})
    server = sim.add_host("server")
    link = sim.add_link(client, server, delay="1ms")
    link.down()
    conn = client.connect(server, 80)
    sim.trace(["send"])
    sim.run()
    ev = sim.events()
    assert list(ev[ev.node == "client"].time) == [1, 2, 3, 4, 5, 7, 11]   # the first SYN left untraced at 0
    assert conn.error == "ETIMEDOUT" and conn.closed_at == 19.0


def test_data_close_and_counters(pair):
    sim, client, server, link = pair
    server.listen(80)
    conn = client.connect(server, 80)
    sim.run(until="0.1s")
    conn.send(100_000).close()
    sim.run(until="2s")
    info = conn.info
    # all data acknowledged; the server's application never closes, so the
    # server sits in CLOSE-WAIT and the client in FIN-WAIT-2 ...
    assert info["bytes_acked"] == 100_000 and conn.state == "FIN-WAIT-2"
    assert server.counters["CurrEstab"] == 1 and client.counters["CurrEstab"] == 0
    sim.run()
    # ... until tcp_fin_timeout (60 s) ends the orphaned FIN-WAIT-2
    assert conn.state == "CLOSED" and conn.error is None
    assert 60.0 < conn.closed_at < 60.2
    assert server.counters["PassiveOpens"] == 1 and client.counters["ActiveOpens"] == 1
    with pytest.raises(RuntimeError, match="closing or closed"):
        conn.send(1)


def test_tcp_settings_errors(pair):
    sim, client, server, link = pair
    with pytest.raises(ValueError, match="tcp_syn_retries must be an integer from 1 to 127"):
        client.tcp["tcp_syn_retries"] = 0
    with pytest.raises(ValueError, match="'tcp_bogus' is not a TCP setting"):
        client.tcp["tcp_bogus"] = 1
    with pytest.raises(TypeError, match="tcp_syncookies must be an integer"):
        client.tcp["tcp_syncookies"] = 1.5
    with pytest.raises(ValueError, match="tcp_nonsense"):
        sim.add_host("other", tcp={"tcp_nonsense": 3})
    with pytest.raises(TypeError, match="tcp must be a dict"):
        sim.add_host("other", tcp=[("tcp_syn_retries", 3)])
    assert [n.name for n in sim.nodes()] == ["client", "server"]   # nothing half-made
    with pytest.raises(ValueError, match="port"):
        server.listen(0)
    with pytest.raises(ValueError, match="port"):
        client.connect(server, 65536)
    server.listen(80)
    with pytest.raises(ValueError, match="already listening"):
        server.listen(80)
    with pytest.raises(ValueError, match="at must not be earlier"):
        sim.run(until="1s")
        client.connect(server, 80, at="0.5s")
    with pytest.raises(ValueError, match="another node"):
        client.connect(client, 80)
    assert client.tcp["tcp_syn_retries"] == 6 and len(client.tcp) >= 17


def test_connection_outlives_its_simulator():
    sim = ss.Simulator(seed=1)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b)
    b.listen(80)
    conn = a.connect(b, 80)
    sim.run(until="1s")
    del sim, a, b
    gc.collect()
    assert conn.state == "ESTABLISHED"
    assert conn.info["mss"] == 1448


def test_send_past_the_stream_limit_and_closing_a_listener_twice(pair):
    """More than 2**31 bytes in all is refused naming what is queued; a
    listener closed twice is closed once, as a socket is."""
    sim, client, server, _ = pair
    lis = server.listen(80)
    conn = client.connect(server, 80)
    sim.run(until="1s")
    conn.send(2**31 - 10)
    with pytest.raises(ValueError, match=r"at most 2\*\*31 bytes in all .* 2147483638 are queued or sent already, "
                                         r"so 11 more do not fit"):
        conn.send(11)
    conn.send(10)  # exactly to the limit
    assert conn.info["bytes_sent"] == 2**31
    lis.close()
    lis.close()
    assert lis.queues["accepted"] == 1
