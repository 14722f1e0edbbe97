"""Every call does all of its work or none: a call that raises leaves the
simulator as it was (issue 12.7)."""
import pytest

import synsim as ss


def two_hosts():
    sim = ss.Simulator(seed=1)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b)
    return sim, a, b


@pytest.mark.parametrize("tcp, error", [
    ({"tcp_syn_retries": 3, "tcp_synack_retries": 1000}, ValueError),
    ({"tcp_syn_retries": 3, "tcp_syncookies": 1.0}, TypeError),
    ({"tcp_syn_retries": 3, "no_such_sysctl": 1}, ValueError),
    ({"tcp_syn_retries": 3, 7: 1}, TypeError),
    ([("tcp_syn_retries", 3)], TypeError),
])
def test_failed_add_host_leaves_no_host(tcp, error):
    sim = ss.Simulator(seed=1)
    with pytest.raises(error, match="tcp"):
        sim.add_host("h", tcp=tcp)
    assert sim.nodes() == []
    with pytest.raises(ValueError):
        sim.node("h")
    h = sim.add_host("h")  # the name and the address are still free
    assert h.address == "10.0.0.1" and h.tcp["tcp_syn_retries"] == 6


def test_update_with_one_bad_value_sets_none():
    sim, a, _ = two_hosts()
    before = dict(a.tcp.items())
    for bad in ({"tcp_syn_retries": 2, "tcp_synack_retries": 2, "tcp_syncookies": 3},
                {"tcp_syn_retries": 2, "tcp_syncookies": "1"},
                {"tcp_syn_retries": 2, "tcp_no_such": 1}):
        with pytest.raises((ValueError, TypeError)):
            a.tcp.update(bad)
        assert dict(a.tcp.items()) == before
    a.tcp.update({"tcp_syn_retries": 2, "tcp_synack_retries": 2})
    assert (a.tcp["tcp_syn_retries"], a.tcp["tcp_synack_retries"]) == (2, 2)


@pytest.mark.parametrize("kwargs", [
    {"keepalive": {"idle": "32768s"}},
    {"keepalive": {"interval": "40000s"}},
    {"user_timeout": "3000000s"},
])
def test_connect_and_listen_with_a_bad_option_make_nothing(kwargs):
    sim, a, b = two_hosts()
    with pytest.raises(ValueError, match="keepalive|user_timeout"):
        a.connect(b, 80, **kwargs)
    with pytest.raises(ValueError, match="keepalive|user_timeout"):
        b.listen(80, **kwargs)
    sim.run(until="1s")
    assert len(sim.connections()) == 0
    assert a.counters["ActiveOpens"] == 0 and a.packet_counters["sent"] == 0
    b.listen(80)  # the port is still free
    c = a.connect(b, 80, keepalive={"idle": "32767s", "interval": "32767s"}, user_timeout="2147483s")
    sim.run(until="2s")
    assert c.state == "ESTABLISHED"
