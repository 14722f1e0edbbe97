"""The foundation seen from Python: timing, run semantics, routing, faults,
counters, determinism, errors and lifetimes."""
import gc

import numpy as np
import pytest

import synsim as ss


def recv_times(sim, node):
    ev = sim.events()
    return list(ev[(ev.kind == "recv") & (ev.node == node.name)].time_ns)


def test_syn_over_10ms_link_arrives_after_serialisation_plus_delay(pair):
    sim, client, server, link = pair
    sim.trace("all")
    client.send_packet(server, flags="S")
    sim.run()
    # 40 bytes at 100 Mbit/s = 3.2 us, then 10 ms on the wire
    assert recv_times(sim, server) == [10_000_000 + 3_200]
    ev = sim.events()
    assert list(ev.kind) == ["send", "recv", "drop"]
    assert ev.cause.iloc[-1] == "no_receiver"
    assert ev["flags"].iloc[0] == "S"  # ev.flags is pandas' own attribute


def test_run_until_semantics(pair):
    sim, client, server, link = pair
    sim.trace("all")
    client.send_packet(server, flags="S")
    sim.run(until=0.0100032)            # exactly the arrival: it runs
    assert sim.now_ns == 10_003_200
    assert recv_times(sim, server) == [10_003_200]
    sim.run(until="1s")
    assert sim.now == 1.0
    with pytest.raises(ValueError, match="until"):
        sim.run(until="0.5s")
    assert sim.now == 1.0               # unchanged by the refused call
    sim.run()                            # idle: the clock stays
    assert sim.now == 1.0


def test_routing_through_two_routers():
    sim = ss.Simulator(seed=3)
    h1, r1, r2, h2 = sim.add_host("h1"), sim.add_router("r1"), sim.add_router("r2"), sim.add_host("h2")
    for a, b in [(h1, r1), (r1, r2), (r2, h2)]:
        sim.add_link(a, b, delay="1ms", rate="8Mbps")
    sim.trace("all")
    h1.send_packet(h2, payload=960)      # 1000 bytes: 1 ms to send on each hop
    sim.run()
    assert recv_times(sim, h2) == [3 * 2_000_000]
    assert r1.packet_counters["forwarded"] == 1 and r2.packet_counters["forwarded"] == 1


def test_link_down_and_up_at_times(pair):
    sim, client, server, link = pair
    link.down(at="1s").up(at="2s")
    sim.run(until="1.5s")
    assert not link.is_up
    client.send_packet(server)
    sim.run(until="2.5s")
    assert link.is_up
    client.send_packet(server)
    sim.run()
    c = link.counters(client)
    assert c["dropped_down"] == 1 and c["delivered"] == 1


def test_counters_always_add_up():
    sim = ss.Simulator(seed=9)
    a, b = sim.add_host("a"), sim.add_host("b")
    link = sim.add_link(a, b, delay="5ms", rate="1Mbps", queue=5, loss=0.2)
    for step in range(200):
        for _ in range(step % 7):
            a.send_packet(b, payload=500)
        sim.run(until=sim.now + 0.003)
        c = link.counters(0)
        dropped = sum(v for k, v in c.items() if k.startswith("dropped"))
        assert c["sent"] == c["delivered"] + dropped + c["in_flight"]
    c = link.counters(0)
    assert c["dropped_queue"] > 0 and c["dropped_loss"] > 0


def lossy_events(seed):
    sim = ss.Simulator(seed=seed)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b, delay="1ms", rate="10Mbps", queue=20,
                 gilbert={"good_to_bad": 0.05, "bad_to_good": 0.3, "loss_bad": 0.8})
    sim.trace("all")
    for i in range(300):
        a.send_packet(b, seq=i, payload=100)
        sim.run(until=sim.now + 0.0005)
    sim.run()
    return sim.events(raw=True)


def test_same_seed_same_events_different_seed_different():
    first, again, other = lossy_events(5), lossy_events(5), lossy_events(6)
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()
    assert (first["kind"] == 3).sum() > 0      # some drops happened


def test_adding_a_host_leaves_a_links_losses_unchanged():
    def losses(extra):
        sim = ss.Simulator(seed=11)
        if extra:
            x, y = sim.add_host("x"), sim.add_host("y")
            sim.add_link(x, y, loss=0.5)
        a, b = sim.add_host("a"), sim.add_host("b")
        link = sim.add_link(a, b, loss=0.3, rate="1Gbps")
        if extra:
            for _ in range(50):
                x.send_packet(y)
        for i in range(500):
            a.send_packet(b, seq=i)
            sim.run(until=sim.now + 0.001)
        sim.trace(None)
        return link.counters(0)["dropped_loss"], sim
    (plain, _), (with_extra, _) = losses(False), losses(True)
    assert plain == with_extra


def test_handles_outlive_the_simulator():
    sim = ss.Simulator(seed=1)
    a = sim.add_host("a")
    link = sim.add_link(a, sim.add_host("b"))
    del sim
    gc.collect()
    assert a.name == "a" and a.packet_counters["sent"] == 0
    assert link.ends[1].name == "b"
    a.sim.run(until="1s")
    assert a.sim.now == 1.0


def test_every_public_name_has_a_docstring():
    import inspect
    from synsim import apps, tcp
    missing = []
    classes = [tcp.Connection, tcp.Listener, tcp.TcpSettings]
    for mod in (ss, apps):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if (callable(obj) or inspect.isclass(obj)) and not (obj.__doc__ or "").strip():
                missing.append(name)
            if inspect.isclass(obj):
                classes.append(obj)
    for cls in classes:
        for attr, val in vars(cls).items():
            if not attr.startswith("_") and (callable(val) or isinstance(val, property)):
                if not (val.__doc__ or "").strip():
                    missing.append(f"{cls.__name__}.{attr}")
    assert missing == []
    assert len(ss.Simulator.__doc__) > 200 and "seed" in ss.Simulator.__doc__


# ---- bad calls: each names its parameter, and the simulator still works ----

def _bad_calls(sim, a, b, link):
    other = ss.Simulator(seed=2)
    stranger = other.add_host("stranger")
    return [
        (lambda: ss.Simulator(seed=-1), ValueError, "seed"),
        (lambda: ss.Simulator(seed="1"), TypeError, "seed"),
        (lambda: ss.Simulator(seed=2**64), ValueError, "seed"),
        (lambda: sim.add_host("a"), ValueError, "name"),
        (lambda: sim.add_host(""), ValueError, "name"),
        (lambda: sim.add_host(7), TypeError, "name"),
        (lambda: sim.add_host("c", address="10.0.0.1"), ValueError, "address"),
        (lambda: sim.add_host("c", address="10.0.0.300"), ValueError, "address"),
        (lambda: sim.add_link(a, b, delay=-0.001), ValueError, "delay"),
        (lambda: sim.add_link(a, b, delay=float("nan")), ValueError, "delay"),
        (lambda: sim.add_link(a, b, rate=0), ValueError, "rate"),
        (lambda: sim.add_link(a, b, rate="fast"), ValueError, "rate"),
        (lambda: sim.add_link(a, b, loss=1.5), ValueError, "loss"),
        (lambda: sim.add_link(a, b, loss=-0.1), ValueError, "loss"),
        (lambda: sim.add_link(a, b, queue=-1), ValueError, "queue"),
        (lambda: sim.add_link(a, b, queue=10**12), ValueError, "queue"),
        (lambda: sim.add_link(a, b, queue=1.5), TypeError, "queue"),
        (lambda: sim.add_link(a, b, mtu=20), ValueError, "mtu"),
        (lambda: sim.add_link(a, a), ValueError, "different"),
        (lambda: sim.add_link(a, stranger), ValueError, "another Simulator"),
        (lambda: sim.add_link(a, "nobody"), ValueError, "nobody"),
        (lambda: sim.add_link(a, 42), TypeError, "b must be"),
        (lambda: sim.add_link(a, b, gilbert={"good_to_bad": 2, "bad_to_good": 0.1}), ValueError, "good_to_bad"),
        (lambda: sim.add_link(a, b, gilbert={"p": 0.1}), ValueError, "gilbert"),
        (lambda: sim.run(until=-1), ValueError, "until"),
        (lambda: sim.run(until="soon"), ValueError, "until"),
        (lambda: link.down(at=-1), ValueError, "at"),
        (lambda: link.counters(2), ValueError, "direction"),
        (lambda: a.send_packet(b, flags="SX"), ValueError, "flags"),
        (lambda: a.send_packet(b, seq=2**32), ValueError, "seq"),
        (lambda: a.send_packet(b, dport=0), ValueError, "dport"),
        (lambda: a.send_packet(b, sport=65536), ValueError, "sport"),
        (lambda: a.send_packet(stranger), ValueError, "another Simulator"),
        (lambda: sim.trace(["send", "teleport"]), ValueError, "kinds"),
    ]


def test_bad_calls_raise_naming_the_parameter_and_leave_the_simulator_usable():
    sim = ss.Simulator(seed=1)
    a, b = sim.add_host("a"), sim.add_host("b")
    link = sim.add_link(a, b, delay="10ms", rate="100Mbps")
    calls = _bad_calls(sim, a, b, link)
    assert len(calls) >= 25
    for call, exc, words in calls:
        with pytest.raises(exc, match=words):
            call()
    # nothing was half-made, and the simulator still computes exactly
    assert len(sim.nodes()) == 2 and len(sim.links()) == 1
    sim.trace("all")
    a.send_packet(b, flags="S")
    sim.run()
    assert recv_times(sim, b) == [10_003_200]


def test_raw_events_dtype_matches_core():
    sim = ss.Simulator(seed=1)
    arr = sim.events(raw=True)
    assert arr.dtype.itemsize == 64 and len(arr) == 0
    assert isinstance(arr, np.ndarray)


def test_raw_core_refuses_null_handles():
    import synsim.core as core
    for fn, args in [(core.ss_sim_now, (None,)), (core.ss_sim_run, (None, 5)), (core.ss_node_name, (None,)),
                     (core.ss_tcp_conn_state, (None,)), (core.ss_link_is_up, (None,))]:
        with pytest.raises(TypeError, match="NULL"):
            fn(*args)
