"""Object lifetime: the C simulator is freed by the Simulator alone, in any
order of finalisation, and every handle fails cleanly once it is gone.

The cycle tests run in a child interpreter (with -X dev) so that a crash
is reported as a failed test rather than taking pytest down with it."""
import gc
import os
import random
import subprocess
import sys
import textwrap
import threading

import pytest

import synsim as ss

CYCLES = textwrap.dedent("""
    import gc, random, sys
    import synsim as ss

    def build(seed, order):
        sim = ss.Simulator(seed=seed)
        a, b = sim.add_host("a"), sim.add_host("b")
        link = sim.add_link(a, b, delay="1ms")
        lis = b.listen(80)
        server = ss.apps.Server(sim, b, 81)
        clients = ss.apps.Clients(sim, a, b, 81, rate=1000, count=5)
        conns = [a.connect(b, 80 if i % 2 else 81) for i in range(6)]
        sim.run(until="5ms")
        if seed % 3:
            conns[0].abort()
        # every kind of cycle back to the simulator
        sim.conns = conns
        sim.me = sim
        for c in conns:
            c.sim_ref = sim
            c.peers = conns
            c.callback = lambda sim=sim, c=c: (sim.now, c.state)
        sim.things = [a, b, link, lis, server, clients]
        a.link, link.lis, lis.server = link, lis, server
        capture = sim.capture(sys.argv[1] + f"/{seed}.pcap", a, link) if seed % 2 else None
        sim.capture_ref = capture
        objs = [sim, a, b, link, lis, server, clients, capture] + conns
        random.Random(order).shuffle(objs)
        return objs

    rnd = random.Random(int(sys.argv[2]))
    for round_ in range(60):
        objs = build(round_, rnd.random())
        # drop references in a random order, collecting in between
        while objs:
            objs.pop(rnd.randrange(len(objs)))
            if rnd.random() < 0.3:
                gc.collect()
        for _ in range(3):
            gc.collect()
    print("ok")
""")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cycles_collected_in_any_order(tmp_path, seed):
    """Simulators caught in reference cycles with their connections, hosts,
    links, listeners, apps and captures, dropped in random orders and
    collected by gc, under -X dev: no crash, no error."""
    script = tmp_path / "cycles.py"
    script.write_text(CYCLES)
    env = dict(os.environ, PYTHONFAULTHANDLER="1", PYTHONMALLOC="debug")
    proc = subprocess.run([sys.executable, "-X", "dev", str(script), str(tmp_path), str(seed)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, f"rc={proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    assert proc.stdout.strip() == "ok"
    assert "Exception ignored" not in proc.stderr, proc.stderr[-4000:]


# The script of the issue that died with exit code 139 after printing its
# result: a module-level function ties __main__'s globals into a cycle, so
# the interpreter finalises the Simulator and the Connection in any order.
EXIT_SCRIPT = """
import synsim as ss

def helper():
    pass

sim = ss.Simulator(seed=1)
client, server = sim.add_host("client"), sim.add_host("server")
sim.add_link(client, server, delay="10ms")
server.listen(80)
server.crash()
conn = client.connect(server, 80)
sim.run()
print(conn.error)
"""

# Every shape of cycle a script makes, with 1 or 1,000 objects, dropped and
# collected with the collector on or off (then at exit).
SHAPES = textwrap.dedent("""
    import gc, sys
    import synsim as ss

    shape, n, disabled = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    if disabled:
        gc.disable()
    sim = ss.Simulator(seed=n)
    g, h = sim.add_host("g"), sim.add_host("h")
    link = sim.add_link(g, h, delay="1ms")
    lis = g.listen(80, backlog=4096)
    if shape == "sim-conn":
        sim.keep = [h.connect(g, 80) for _ in range(n)]
        for c in sim.keep:
            c.sim = sim
    elif shape == "sim-host":
        sim.keep = [g, h] * n
        g.sim_ref = sim
    elif shape == "conn-listener":
        conns = [h.connect(g, 80) for _ in range(n)]
        lis.conns = conns
        for c in conns:
            c.lis = lis
        del conns
    elif shape == "apps":
        sim.keep = [ss.apps.Clients(sim, h, g, 80, rate=1000, count=n), ss.apps.Server(sim, g, 81)]
    elif shape == "captures":
        sim.keep = [sim.capture(sys.argv[4] + f"/{i}.pcap", g, link) for i in range(min(n, 60))]
    sim.run(until="50ms")
    del sim, g, h, link, lis
    gc.collect()
    print("ok")
""")


def test_the_exit_script_ends_cleanly(tmp_path):
    script = tmp_path / "exit.py"
    script.write_text(EXIT_SCRIPT)
    proc = subprocess.run([sys.executable, "-X", "dev", str(script)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONFAULTHANDLER="1"))
    assert (proc.returncode, proc.stdout) == (0, "ETIMEDOUT\n"), proc.stderr[-3000:]
    assert "Exception ignored" not in proc.stderr


@pytest.mark.parametrize("disabled", [False, True], ids=["gc", "gc-disabled"])
@pytest.mark.parametrize("n", [1, 1000])
@pytest.mark.parametrize("shape", ["sim-conn", "sim-host", "conn-listener", "apps", "captures"])
def test_every_cycle_shape_is_collected(tmp_path, shape, n, disabled):
    script = tmp_path / "shapes.py"
    script.write_text(SHAPES)
    proc = subprocess.run([sys.executable, "-X", "dev", str(script), shape, str(n), "1" if disabled else "0",
                           str(tmp_path)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONFAULTHANDLER="1"))
    assert (proc.returncode, proc.stdout) == (0, "ok\n"), proc.stderr[-3000:]
    assert "Exception ignored" not in proc.stderr, proc.stderr[-3000:]


def test_finalisers_in_every_order():
    """Call each finaliser path directly: the simulator's first, then a
    connection's release, and the reverse; neither touches freed memory."""
    for order in range(2):
        sim = ss.Simulator(seed=order)
        a, b = sim.add_host("a"), sim.add_host("b")
        sim.add_link(a, b)
        b.listen(80)
        conns = [a.connect(b, 80) for _ in range(50)]
        sim.run(until="10ms")
        if order == 0:
            sim.close()
            del conns  # releases after the free: must be no-ops
        else:
            del conns
            sim.close()
        gc.collect()


def test_handles_raise_after_close(pair):
    sim, client, server, link = pair
    lis = server.listen(80)
    conn = client.connect(server, 80)
    srv = ss.apps.Server(sim, server, 81)
    clients = ss.apps.Clients(sim, client, server, 81, rate=10, count=2)
    sim.run(until="1s")
    assert conn.state == "ESTABLISHED"
    sim.close()
    assert sim.closed
    sim.close()  # twice is fine
    checks = [
        lambda: sim.now, lambda: sim.run(), lambda: sim.add_host("x"), lambda: sim.nodes(),
        lambda: sim.events(), lambda: sim.connections(), lambda: client.name, lambda: client.tcp["tcp_syn_retries"],
        lambda: client.counters, lambda: client.connect(server, 80), lambda: link.counters(),
        lambda: link.is_up, lambda: lis.queues, lambda: lis.close(), lambda: conn.state, lambda: conn.info,
        lambda: conn.send(10), lambda: conn.close(), lambda: srv.accepted, lambda: len(clients),
        lambda: clients.records(), lambda: client.send_packet(server, "S"),
    ]
    for fn in checks:
        with pytest.raises(RuntimeError, match="simulator is closed"):
            fn()
    # identity and printing still work without the C side
    assert client == client and hash(client) == hash(client) and link == link
    for obj in (sim, client, link, lis, conn):
        assert "closed" in repr(obj)


def test_context_manager_closes(tmp_path):
    with ss.Simulator(seed=1) as sim:
        a, b = sim.add_host("a"), sim.add_host("b")
        sim.add_link(a, b)
        cap = sim.capture(tmp_path / "x.pcap", a)
        b.listen(80)
        conn = a.connect(b, 80)
        sim.run(until="1s")
    assert sim.closed and cap.closed
    cap.close()  # already closed with the simulator: nothing to do
    with pytest.raises(RuntimeError, match="simulator is closed"):
        conn.state
    assert (tmp_path / "x.pcap").stat().st_size > 24


def test_handle_keeps_simulator_alive():
    """A handle kept after the user dropped the simulator still works."""
    def make():
        sim = ss.Simulator(seed=1)
        a, b = sim.add_host("a"), sim.add_host("b")
        sim.add_link(a, b)
        b.listen(80)
        return a.connect(b, 80)
    conn = make()
    gc.collect()
    conn._sim.run(until="1s")
    assert conn.state == "ESTABLISHED"


def test_close_refused_while_running_in_another_thread():
    sim = ss.Simulator(seed=1)
    a, b = sim.add_host("a", tcp={"tcp_timewait_len": 1}), sim.add_host("b")
    sim.add_link(a, b, delay="1ms", queue=100_000)
    ss.apps.Server(sim, b, 80, backlog=4096)
    ss.apps.Clients(sim, a, b, 80, rate=20_000, count=200_000)  # about half a second
    errors, started = [], threading.Event()

    def run():
        started.set()
        sim.run()
    t = threading.Thread(target=run)
    t.start()
    started.wait()
    try:
        while t.is_alive():
            try:
                sim.close()
            except RuntimeError as e:
                errors.append(str(e))
                break
    finally:
        t.join()
    assert errors and "running" in errors[0]
    sim.close()
