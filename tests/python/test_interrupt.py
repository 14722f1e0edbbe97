"""run() and the outside world: Ctrl-C raises KeyboardInterrupt at an
event boundary and a later run() continues exactly; other threads run
while the simulator computes."""
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import synsim as ss


def busy(clients=200_000, trace=("send", "drop")):
    """A simulation of some 2 million events, about half a second."""
    sim = ss.Simulator(seed=7)
    a, b = sim.add_host("a", tcp={"tcp_timewait_len": 1}), sim.add_host("b")
    sim.add_link(a, b, delay="1ms", queue=100_000, loss=0.01)
    ss.apps.Server(sim, b, 80, backlog=4096)
    ss.apps.Clients(sim, a, b, 80, rate=20_000, count=clients)
    if trace:
        sim.trace(list(trace))
    return sim


CHILD = textwrap.dedent("""
    import hashlib, sys, time
    sys.path.insert(0, sys.argv[1])
    from test_interrupt import busy, digest

    def long_run():
        # some 3 s uninterrupted; drops only in the trace, to keep it small
        sim = busy(clients=1_000_000, trace=["drop"])
        return sim

    sim = long_run()
    print("ready", flush=True)
    interrupts = 0
    while True:
        try:
            sim.run(until="60s")
            break
        except KeyboardInterrupt:
            interrupts += 1
            print("interrupted", sim.events_run, flush=True)
    print("resumed", interrupts, digest(sim), flush=True)
    ref = long_run()
    ref.run(until="60s")
    print("reference", digest(ref), flush=True)
""")


def digest(sim):
    """Everything a run produces, byte for byte."""
    from synsim.tables import records_array
    from synsim.trace import events_array
    h = hashlib.sha256()
    h.update(events_array(sim).tobytes())
    h.update(records_array(sim).tobytes())
    h.update(repr((sim.now_ns, sim.events_run, sim.pending, [n.packet_counters for n in sim.nodes()],
                   [l.counters(d) for l in sim.links() for d in (0, 1)])).encode())
    return f"{sim.events_run}:{h.hexdigest()}"


def test_sigint_interrupts_and_resume_is_exact():
    """SIGINT to a child in the middle of a long run() raises
    KeyboardInterrupt within a second, three times; resuming ends with the
    trace, connection table and counters of an uninterrupted run."""
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, here], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        seen = []
        for delay in (0.4, 0.3, 0.5):
            time.sleep(delay)
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            line = proc.stdout.readline().split()
            latency = time.monotonic() - sent
            assert line and line[0] == "interrupted", (line, proc.stderr.read() if proc.poll() is not None else "")
            assert latency < 1.0, f"KeyboardInterrupt came {latency:.2f}s after SIGINT"
            seen.append(int(line[1]))
        assert seen == sorted(seen) and seen[0] > 0
        resumed = proc.stdout.readline().split()
        reference = proc.stdout.readline().split()
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    finally:
        proc.kill()
    assert resumed[0] == "resumed" and resumed[1] == "3"
    assert reference[0] == "reference"
    assert resumed[2] == reference[1]


def test_slices_give_the_results_of_one_run(monkeypatch):
    """Slices of a few events give the same results as the default slicing."""
    import synsim.simulator as simulator
    ref = busy(clients=2000)
    ref.run()
    monkeypatch.setattr(simulator, "_SLICE_EVENTS", 7)
    sliced = busy(clients=2000)
    sliced.run(until="0.05s")
    sliced.run()
    assert digest(sliced) == digest(ref)


def test_other_threads_run_during_run():
    """run() releases the GIL: a Python thread keeps counting while the
    simulator computes."""
    sim = busy()
    ticks, stop = [], threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)
    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.05)
    try:
        start = time.monotonic()
        sim.run()
        end = time.monotonic()
    finally:
        stop.set()
        t.join()
    assert end - start > 0.2, "the scenario is too short to tell"
    during = [x for x in ticks if start < x < end]
    # a tick every ~1 ms when free; with the GIL held throughout there are none
    assert len(during) > 0.3 * (end - start) / 0.001, (len(during), end - start)


def test_other_thread_may_not_use_a_running_simulator():
    sim = busy()
    errors = []
    t = threading.Thread(target=sim.run)
    t.start()
    try:
        while t.is_alive() and not errors:
            try:
                sim.nodes()[0].counters
            except RuntimeError as e:
                errors.append(str(e))
            time.sleep(0.001)
    finally:
        t.join()
    assert errors == ["simulator is running in another thread"]
    assert sim.events_run > 0  # usable again afterwards


def test_run_slice_arguments():
    sim = ss.Simulator()
    ptr = sim._ptr
    assert ss.core.ss_sim_run_slice(ptr, 10, 0, 0) == [ss.core.SS_EINVAL, True]
    assert ss.core.ss_sim_run_slice(ptr, 10, 1, -1) == [ss.core.SS_EINVAL, True]
    assert ss.core.ss_sim_run_slice(ptr, 10, 1, 0) == [0, True]
    assert ss.core.ss_sim_run_slice(ptr, 5, 1, 0) == [ss.core.SS_EINVAL, True]  # earlier than now
    with pytest.raises((TypeError, ValueError)):
        ss.core.ss_sim_run_slice(None, 10, 1, 0)
