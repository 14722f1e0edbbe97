"""pcap capture read back independently, the connection table, apps."""
import shutil
import subprocess

import dpkt
import pytest

import synsim as ss


def scenario(tmp_path, seed=1, name="run.pcap"):
    sim = ss.Simulator(seed=seed)
    client, router, server = sim.add_host("client"), sim.add_router("router"), sim.add_host("server")
    sim.add_link(client, router, delay="5ms", rate="100Mbps")
    sim.add_link(router, server, delay="5ms", rate="100Mbps", loss=0.02)
    ss.apps.Server(sim, server, 80)
    clients = ss.apps.Clients(sim, client, server, 80, rate=20, count=30, request_bytes=20_000)
    sim.trace(["send"])
    path = tmp_path / name
    cap = sim.capture(path, client)
    sim.run()
    cap.close()
    return sim, clients, path, cap


def read_pcap(path):
    with open(path, "rb") as f:
        reader = dpkt.pcap.Reader(f)
        assert reader.datalink() == dpkt.pcap.DLT_RAW or reader.datalink() == 101
        return [(float(ts), buf) for ts, buf in reader]


def test_pcap_reads_back_with_dpkt(tmp_path):
    sim, clients, path, cap = scenario(tmp_path)
    packets = read_pcap(path)
    assert len(packets) == cap.packets > 100
    ev = sim.events()
    sent = ev[ev.node == "client"]
    # every segment the client sent is in the capture, in order, at its time
    sent_pcap = [(ts, dpkt.ip.IP(buf)) for ts, buf in packets if dpkt.ip.IP(buf).src == bytes([10, 0, 0, 1])]
    assert len(sent_pcap) == len(sent)
    for (ts, ip), row in zip(sent_pcap, sent.itertuples()):
        tcp = ip.data
        assert abs(ts - row.time) < 1e-9
        assert (tcp.seq, tcp.ack, tcp.sport, tcp.dport) == (row.seq, row.ack, row.sport, row.dport)
        assert ip.len == row.size and len(tcp.data) == row.payload
    # checksums: dpkt recomputes them when the field is zeroed
    for _, buf in packets:
        ip = dpkt.ip.IP(buf)
        ip_sum, tcp_sum = ip.sum, ip.data.sum
        ip.sum = 0
        ip.data.sum = 0
        again = dpkt.ip.IP(bytes(ip))
        assert (again.sum, again.data.sum) == (ip_sum, tcp_sum)
    # the first SYN carries Linux's options
    syn = dpkt.ip.IP(packets[0][1]).data
    opts = dict(dpkt.tcp.parse_opts(syn.opts))
    assert syn.flags == dpkt.tcp.TH_SYN
    assert opts[dpkt.tcp.TCP_OPT_MSS] == (1460).to_bytes(2, "big")
    assert opts[dpkt.tcp.TCP_OPT_WSCALE] == bytes([7])
    assert dpkt.tcp.TCP_OPT_SACKOK in opts and dpkt.tcp.TCP_OPT_TIMESTAMP in opts


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_finds_nothing_malformed(tmp_path):
    _, _, path, _ = scenario(tmp_path)
    out = subprocess.run(["tshark", "-r", str(path), "-o", "tcp.check_checksum:TRUE", "-o",
                          "ip.check_checksum:TRUE", "-T", "fields", "-e", "frame.number", "-e", "_ws.malformed",
                          "-e", "ip.checksum.status", "-e", "tcp.checksum.status"],
                         capture_output=True, text=True, check=True)
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert len(rows) > 100
    assert all(r[1] == "" for r in rows)                   # no malformed packet
    assert all(r[2] == "1" and r[3] == "1" for r in rows)  # checksum status 1: verified good


def test_reproducible_pcap_and_tables(tmp_path):
    _, c1, p1, _ = scenario(tmp_path, seed=3, name="a.pcap")
    _, c2, p2, _ = scenario(tmp_path, seed=3, name="b.pcap")
    _, c3, p3, _ = scenario(tmp_path, seed=4, name="c.pcap")
    assert p1.read_bytes() == p2.read_bytes()
    assert p1.read_bytes() != p3.read_bytes()
    assert c1.records().equals(c2.records())
    assert not c1.records().equals(c3.records())


def test_connection_table(tmp_path):
    sim, clients, _, _ = scenario(tmp_path)
    table = sim.connections()
    assert len(table) == 30
    assert (table.client == "client").all() and (table.server == "server").all()
    assert (table.client_error.isna()).all() and (table.client_state == "CLOSED").all()
    assert (table.bytes_received == 20_000).all()
    # a handshake takes at least one round trip (2 x 10 ms) plus the SYN's and
    # the SYN-ACK's serialisation on two hops each (60 bytes at 100 Mbit/s:
    # 4.8 us); more when they queue behind other clients' data
    floor = 0.020 + 4 * 4.8e-6
    first_try = table[table.syn_retransmits == 0]
    assert first_try.handshake_latency.min() == pytest.approx(floor, abs=1e-9)
    assert (first_try.handshake_latency >= floor - 1e-9).all()
    assert (first_try.handshake_latency.round(9) == round(floor, 9)).sum() > len(first_try) // 2
    assert (table.server_established > table.client_established).all()
    rec = clients.records()
    assert rec.latency.round(9).tolist() == table.handshake_latency.round(9).tolist()


def test_flood_from_python():
    sim = ss.Simulator(seed=5)
    attacker, client, server, r = (sim.add_host("attacker"), sim.add_host("client"),
                                   sim.add_host("server", tcp={"tcp_syncookies": 0}), sim.add_router("r"))
    for h in (attacker, client, server):
        sim.add_link(h, r, delay="5ms")
    srv = ss.apps.Server(sim, server, 80, backlog=64)
    clients = ss.apps.Clients(sim, client, server, 80, rate=5, count=10, start="0.5s")
    flood = ss.apps.SynFlood(sim, attacker, server, 80, rate=5000, duration="4s")
    sim.run()
    assert flood.sent == 20_000
    assert srv.queues["syn_queue_max"] == 65
    assert server.counters["TCPReqQFullDrop"] > 19_000
    rec = clients.records()
    assert (rec.syn_retransmits > 0).sum() >= 8       # almost all had to retry
    assert rec.established.notna().all()              # and got in after the flood


@pytest.mark.parametrize("call,exc,words", [
    (lambda sim, a, b: ss.apps.Clients(sim, a, b, 80, rate=0, count=5), ValueError, "rate"),
    (lambda sim, a, b: ss.apps.Clients(sim, a, b, 80, rate=5), ValueError, "never stop"),
    (lambda sim, a, b: ss.apps.Clients(sim, a, b, 80, rate="fast", count=1), TypeError, "rate"),
    (lambda sim, a, b: ss.apps.Clients(sim, a, b, 0, rate=1, count=1), ValueError, "port"),
    (lambda sim, a, b: ss.apps.SynFlood(sim, a, b, 80, rate=10, duration="1s", spoof="300.1.0.0/8"), ValueError,
     "spoof"),
    (lambda sim, a, b: ss.apps.SynFlood(sim, a, b, 80, rate=10), ValueError, "never stop"),
    (lambda sim, a, b: ss.apps.Server(sim, a, 80, accept_interval=-1), ValueError, "accept_interval"),
    (lambda sim, a, b: sim.capture("/nonexistent/x.pcap", a), ValueError, "path"),
    (lambda sim, a, b: sim.capture("x.pcap"), ValueError, "at least one"),
    (lambda sim, a, b: sim.capture(42, a), TypeError, "path"),
    (lambda sim, a, b: a.listen(80, accept_interval="soon"), ValueError, "accept_interval"),
])
def test_app_and_capture_errors(call, exc, words):
    sim = ss.Simulator(seed=1)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b)
    with pytest.raises(exc, match=words):
        call(sim, a, b)
    sim.run(until="1s")


def test_connection_recording_can_be_off():
    sim = ss.Simulator(seed=1, record_connections=False)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b)
    b.listen(80)
    a.connect(b, 80)
    sim.run(until="1s")
    assert len(sim.connections()) == 0
    with pytest.raises(TypeError, match="record_connections"):
        ss.Simulator(record_connections="no")
