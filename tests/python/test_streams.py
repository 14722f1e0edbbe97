"""Every component draws from a random stream named by what it is, never by
when it was made: adding, removing or reordering hosts, links and apps never
changes another component's draws, and runs that differ by one component are
paired (common random numbers)."""
import itertools

import numpy as np
import pytest

import synsim as ss

HOSTS = ["client1", "client2", "attacker", "server"]
APPS = ["web1", "web2", "synflood", "ackflood"]


def build(app_order, host_order=HOSTS, extra=False, seed=0):
    """The same network and apps, made in the orders given; `extra` adds a
    host, a link and an app that the others know nothing of.  Returns each
    app's draws: the clients' arrival times, the floods' forged segments."""
    sim = ss.Simulator(seed=seed)
    hosts = {name: sim.add_host(name) for name in host_order}
    router = sim.add_router("router")
    if extra:
        other = sim.add_host("other")
        sim.add_link(other, router)
    for name in host_order:
        sim.add_link(hosts[name], router, delay="2ms")
    server = hosts["server"]
    ss.apps.Server(sim, server, 80)
    sim.trace(["send"])
    make = {
        "web1": lambda: ss.apps.Clients(sim, hosts["client1"], server, 80, rate=20, count=10, name="web"),
        "web2": lambda: ss.apps.Clients(sim, hosts["client2"], server, 80, rate=20, count=10, name="web"),
        "synflood": lambda: ss.apps.SynFlood(sim, hosts["attacker"], server, 80, rate=200, duration="100ms"),
        "ackflood": lambda: ss.apps.AckFlood(sim, hosts["attacker"], server, 443, rate=200, duration="100ms"),
    }
    apps = {name: make[name]() for name in app_order}
    if extra:
        ss.apps.Clients(sim, other, server, 80, rate=50, count=10)
        ss.apps.Clients(sim, hosts["client1"], server, 80, rate=50, count=10, name="other")
    sim.run(until="5s")
    ev = sim.events()
    sent = ev[(ev.node == "attacker") & (ev.kind == "send")]
    draws = {name: apps[name].records().start.to_numpy() for name in ("web1", "web2") if name in apps}
    for name, flags in (("synflood", "S"), ("ackflood", ".")):
        if name in apps:
            rows = sent[sent["flags"] == flags]
            draws[name] = rows[["src", "sport", "seq", "ack"]].to_numpy()
    draws["streams"] = {name: app.stream for name, app in apps.items()}
    return draws


def same(a, b):
    for name in APPS:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert a["streams"] == b["streams"]


def test_every_order_of_apps_and_hosts_gives_every_app_the_same_draws():
    first = build(APPS)
    assert len(first["web1"]) == 10 and len(first["synflood"]) == 20 and len(first["ackflood"]) == 20
    for i, order in enumerate(itertools.permutations(APPS)):
        hosts = HOSTS[::-1] if i % 2 else HOSTS
        same(first, build(order, hosts, extra=i % 3 == 0))


def test_every_pair_of_apps_in_both_orders():
    """Each pair made alone, in both orders, draws what it draws among all."""
    every = build(APPS)
    for a, b in itertools.combinations(APPS, 2):
        for order in ((a, b), (b, a)):
            got = build(order)
            for name in order:
                np.testing.assert_array_equal(got[name], every[name], err_msg=name)


def test_a_flood_made_first_leaves_the_clients_arrivals_alone():
    """The issue's case: Clients alone, then with a SynFlood created first."""
    def arrivals(flood):
        sim = ss.Simulator(seed=0)
        client, attacker, server = sim.add_host("client"), sim.add_host("attacker"), sim.add_host("server")
        router = sim.add_router("router")
        for h in (client, attacker, server):
            sim.add_link(h, router)
        ss.apps.Server(sim, server, 80)
        if flood:
            ss.apps.SynFlood(sim, attacker, server, 80, rate=3000, duration="10s")
        clients = ss.apps.Clients(sim, client, server, 80, rate=20, start=0.5, stop=9.5)
        sim.run(until="12s")
        return clients.records().start.to_numpy()
    alone, flooded = arrivals(False), arrivals(True)
    assert len(alone) > 150
    np.testing.assert_array_equal(alone, flooded)


def test_apps_named_alike_on_two_hosts_draw_independently():
    draws = build(APPS)
    assert draws["streams"]["web1"] == "app:clients:client1>server:80:web"
    assert draws["streams"]["web2"] == "app:clients:client2>server:80:web"
    assert draws["streams"]["synflood"] == "app:synflood:attacker>server:80"
    assert draws["streams"]["ackflood"] == "app:ackflood:attacker>server:443"
    assert not np.intersect1d(draws["web1"], draws["web2"]).size


def test_a_second_app_of_one_identity_needs_a_name():
    sim = ss.Simulator(seed=0)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b)
    first = ss.apps.Clients(sim, a, b, 80, rate=1, count=5)
    assert first.name is None and first.stream == "app:clients:a>b:80"
    with pytest.raises(ValueError, match=r"name: a Clients from 'a' to 'b' port 80 named None already exists"):
        ss.apps.Clients(sim, a, b, 80, rate=5, count=5)
    with pytest.raises(ValueError, match="name"):
        ss.apps.Clients(sim, a, b, 80, rate=5, count=5, name="")  # "" is no name
    second = ss.apps.Clients(sim, a, b, 80, rate=5, count=5, name="second")
    assert second.stream == "app:clients:a>b:80:second"
    assert ss.apps.Clients(sim, a, b, 81, rate=5, count=5).stream == "app:clients:a>b:81"
    flood = ss.apps.SynFlood(sim, a, "10.9.9.9", 80, rate=10, count=3)
    assert flood.stream == "app:synflood:a>10.9.9.9:80"
    with pytest.raises(ValueError, match=r"SynFlood from 'a' to '10.9.9.9' port 80 named None"):
        ss.apps.SynFlood(sim, a, "10.9.9.9", 80, rate=10, count=3)
    assert ss.apps.AckFlood(sim, a, "10.9.9.9", 80, rate=10, count=3).stream == "app:ackflood:a>10.9.9.9:80"
    with pytest.raises(TypeError, match="name must be a string"):
        ss.apps.Clients(sim, a, b, 82, rate=5, count=5, name=3)
    with pytest.raises(ValueError, match="name must be at most 63 bytes"):
        ss.apps.Clients(sim, a, b, 82, rate=5, count=5, name="n" * 64)
    assert len(sim._apps) == 5  # the refused ones left nothing behind
    sim.run()
    assert len(first) == 5 and len(second) == 5


def test_the_same_seed_and_script_draw_the_same_and_another_seed_differs():
    assert build(APPS, seed=3)["web1"].tolist() == build(APPS, seed=3)["web1"].tolist()
    assert build(APPS, seed=3)["web1"].tolist() != build(APPS, seed=4)["web1"].tolist()
