"""A capture of a process killed at any moment ends at a record boundary:
records reach the file whole, and are flushed during the run.  The one
exception is SIGKILL inside a write(), where the kernel may stop at a page
boundary: that cut is told apart and repaired with repair_capture()."""
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import synsim as ss

CHILD = textwrap.dedent("""
    import sys
    import synsim as ss
    sim = ss.Simulator(seed=int(sys.argv[2]))
    a, r, b = sim.add_host("a", tcp={"tcp_timewait_len": 1}), sim.add_router("r"), sim.add_host("b")
    sim.add_link(a, r, delay="1ms", queue=100_000)
    sim.add_link(r, b, delay="1ms", queue=100_000, loss=0.01)
    ss.apps.Server(sim, b, 80, backlog=4096)
    ss.apps.Clients(sim, a, b, 80, rate=20_000, count=10**9, request_bytes=3000)
    ss.apps.SynFlood(sim, a, b, 80, rate=50_000, duration="1000s")
    sim.capture(sys.argv[1], a, r, b, snaplen=int(sys.argv[3]) or None)
    print("ready", flush=True)
    sim.run()
""")


def records(path):
    """Parse the pcap by its headers: (records, bytes parsed, file size)."""
    data = open(path, "rb").read()
    assert len(data) >= 24, "not even the file header"
    magic, major, minor, _, _, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
    assert (magic, major, minor, linktype) == (0xa1b23c4d, 2, 4, 101)
    off, n = 24, 0
    while off + 16 <= len(data):
        sec, nsec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        assert nsec < 10**9 and incl <= orig and incl <= snaplen, f"record {n} at {off}: bad header"
        if off + 16 + incl > len(data):
            break
        assert data[off + 16] == 0x45, f"record {n} at {off}: not IPv4"
        off += 16 + incl
        n += 1
    return n, off, len(data)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_capture_ends_at_a_record(tmp_path, how):
    rnd = random.Random(int(how))
    tshark = shutil.which("tshark")
    for round_ in range(4):
        path = tmp_path / f"kill{round_}.pcap"
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(round_), str(rnd.choice([0, 96, 96]))],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
            time.sleep(rnd.uniform(0.3, 1.2))
            proc.send_signal(how)
            proc.wait(timeout=30)
        finally:
            proc.kill()
        n, parsed, size = records(path)
        if how == signal.SIGKILL and parsed != size:
            # The one cut synsim cannot prevent: Linux stopped a write() at
            # a page boundary (generic_perform_write()).  Any other cut, from
            # a write of part of a record, lands anywhere.
            assert size % 4096 == 0, f"round {round_}: cut {size - parsed} bytes into record {n}, not at a page"
            assert ss.repair_capture(path) == n and ss.capture_records(path) == (n, parsed, parsed)
            size = parsed
        assert parsed == size, f"round {round_}: the file ends {size - parsed} bytes into record {n} ({size} bytes)"
        if round_ and n == 0:
            pytest.fail(f"round {round_}: nothing was flushed before the kill")
        if tshark:
            out = subprocess.run([tshark, "-r", str(path), "-T", "fields", "-e", "frame.number"],
                                 capture_output=True, text=True, timeout=120)
            errors = [l for l in out.stderr.splitlines() if l.strip() and "Running as user" not in l]
            assert out.returncode == 0 and not errors, out.stderr
            assert len(out.stdout.split()) == n
        path.unlink()  # each round writes tens of MB


def captured_pair(path):
    """Hosts a and b over a 1 ms link, b listening on 80, a captured."""
    sim = ss.Simulator(seed=1)
    a, b = sim.add_host("a"), sim.add_host("b")
    sim.add_link(a, b, delay="1ms")
    b.listen(80)
    return sim, a, b, sim.capture(path, a)


def test_capture_is_flushed_during_and_after_run(tmp_path):
    """Whole records are on disk after run() returns, without closing the
    capture."""
    path = tmp_path / "live.pcap"
    sim, a, b, cap = captured_pair(path)
    assert path.stat().st_size == 24  # the header, at once
    a.connect(b, 80)
    sim.run(until="1s")
    n, parsed, size = records(path)
    assert n == cap.packets == 3 and parsed == size


def test_capture_is_flushed_every_second_during_a_long_run(tmp_path):
    """A long run whose capture sees too little to fill its buffer: a
    thread watching the file (the GIL is released during run()) sees it grow
    while run() is still going, again and again, at most about a second
    apart; then it interrupts the run with SIGINT."""
    path = tmp_path / "slow.pcap"
    sim = ss.Simulator(seed=1)
    a, b, c, d = (sim.add_host(n) for n in "abcd")
    sim.add_link(a, b, delay="1ms")
    sim.add_link(c, d, delay="1ms", queue=100_000)
    ss.apps.Server(sim, b, 80)
    ss.apps.Clients(sim, a, b, 80, rate=2, duration="100000s")  # about 1 KB per simulated second
    ss.apps.SynFlood(sim, c, d, 80, rate=200_000, duration="100000s")  # makes the run slow, not captured
    cap = sim.capture(path, a)
    growth, done = [], threading.Event()

    def watch():
        start, size = time.monotonic(), path.stat().st_size
        while not done.is_set() and time.monotonic() - start < 20:
            now_size = path.stat().st_size
            if now_size != size:
                growth.append(time.monotonic() - start)
                size = now_size
                if len(growth) == 3:
                    break
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            sim.run(until="100000s")
    finally:
        done.set()
        watcher.join()
    assert len(growth) == 3, f"the file grew only at {growth} s while the run went on for 20 s"
    gaps = [t1 - t0 for t0, t1 in zip([0] + growth, growth)]
    assert max(gaps) < 2.5, gaps  # flushes come once a second (a loaded machine may be slow)
    n, parsed, size = records(path)
    assert parsed == size and 0 < n <= cap.packets


def test_capture_closed_at_interpreter_exit(tmp_path):
    path = tmp_path / "exit.pcap"
    script = textwrap.dedent(f"""
        import synsim as ss
        sim = ss.Simulator(seed=1)
        a, b = sim.add_host("a"), sim.add_host("b")
        sim.add_link(a, b)
        b.listen(80)
        sim.capture({str(path)!r}, a)
        sim.conns = [a.connect(b, 80) for _ in range(200)]
        sim.me = sim  # a cycle: only the exit hook frees it
        sim.run(until="1s")
        sim.conns[0].send(1000)
        sim.run(until="2s")
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    n, parsed, size = records(path)
    assert parsed == size and n > 600


def test_repair_capture_cuts_back_to_the_last_record(tmp_path):
    path = tmp_path / "cut.pcap"
    sim, a, b, cap = captured_pair(path)
    a.connect(b, 80).send(5000)
    sim.run(until="1s")
    cap.close()
    n, end, size = ss.capture_records(path)
    assert n == cap.packets > 5 and end == size
    assert ss.repair_capture(path) == n  # a whole file is left alone
    with open(path, "r+b") as f:
        f.truncate(size - 7)  # as a kill inside a write() leaves it
    assert ss.repair_capture(path) == n - 1
    assert ss.capture_records(path)[1:] == (ss.capture_records(path)[2],) * 2
    (tmp_path / "not.pcap").write_bytes(b"hello")
    with pytest.raises(ValueError, match="not a pcap"):
        ss.repair_capture(tmp_path / "not.pcap")
