"""Random Python scripts against synsim: each seed builds a topology, runs
it, interrupts runs with a signal, calls every kind of API with good and
bad arguments, makes reference cycles, drops handles in random order with
gc.collect() at random points, and closes the simulator at a random
moment.  Run by test_random_scripts.py under an ASan + UBSan build of the
extension (libasan preloaded), where any memory error or undefined
behaviour aborts the process.

After each step it checks that the call raised nothing but the documented
kinds (ValueError, TypeError, RuntimeError, LookupError, and
KeyboardInterrupt from an interrupted run); after each script, once every
object is gone, that the core returned every allocation
(ss_alloc_outstanding() back where it was).

    python random_scripts.py FIRST COUNT [WORKDIR]
"""
import copy
import gc
import os
import pickle
import random
import signal
import sys
import tempfile

import synsim as ss
import synsim._core
from synsim import core as _c

# What a call may raise for arguments the documentation refuses, or for
# a handle whose simulator is closed; anything else fails the script.
DOCUMENTED = (ValueError, TypeError, RuntimeError, LookupError)

SETTINGS = ["tcp_syn_retries", "tcp_synack_retries", "tcp_syncookies", "somaxconn", "tcp_max_syn_backlog",
            "tcp_keepalive_time", "tcp_keepalive_intvl", "tcp_keepalive_probes", "tcp_fin_timeout",
            "tcp_abort_on_overflow", "tcp_timestamps", "tcp_sack", "tcp_window_scaling", "no_such_setting"]


class Script:
    def __init__(self, seed, workdir):
        self.rnd = random.Random(seed)
        self.seed = seed
        self.workdir = workdir
        self.sim = ss.Simulator(seed=self.rnd.randrange(2**32))
        self.hosts, self.routers, self.links = [], [], []
        self.listeners, self.conns, self.apps, self.captures = [], [], [], []
        self.interrupts = self.done = self.refused = 0
        self.build()

    # ---- values, good and bad ------------------------------------------------

    def pick(self, seq):
        return self.rnd.choice(seq) if seq else None

    def time(self):
        return self.rnd.choice(["0s", "1ms", "10ms", "200ms", "1s", "3s", 0.05, 2, 1e-9, -1, float("nan"),
                                "forever", None, 10**30, "292y", 9.2e9, [1]])

    def count(self):
        return self.rnd.choice([0, 1, 2, 3, 10, 100, -1, 2**31, 2**64, 1.5, "3", True, None])

    def port(self):
        return self.rnd.choice([80, 80, 80, 81, 22, 0, -1, 65535, 65536, "80", None])

    def target(self):
        r = self.rnd.random()
        if r < 0.75:
            return self.pick(self.hosts)
        if r < 0.85:
            return self.pick(self.routers) or self.pick(self.hosts)
        return self.rnd.choice(["10.0.0.1", "10.0.0.99", "0.0.0.0", "300.1.1.1", 12, None])

    # ---- the topology -----------------------------------------------------------

    def build(self):
        r = self.rnd
        sim = self.sim
        for i in range(r.randint(2, 5)):
            tcp = {"tcp_syn_retries": r.randint(1, 6)} if r.random() < 0.3 else None
            self.hosts.append(sim.add_host(f"h{i}", tcp=tcp))
        core = sim.add_router("r0") if r.random() < 0.7 else None
        if core:
            self.routers.append(core)
        for i, h in enumerate(self.hosts):
            other = core if core else (self.hosts[i - 1] if i else None)
            if other is None:
                continue
            self.links.append(sim.add_link(h, other, delay=r.choice(["100us", "1ms", "10ms"]),
                                           rate=r.choice(["10Mbps", "100Mbps", "1Gbps"]),
                                           queue=r.choice([0, 5, 100, 1000]), loss=r.choice([0, 0, 0.01, 0.2])))

    # ---- actions ------------------------------------------------------------------

    def act_connect(self):
        h = self.pick(self.hosts)
        kw = {}
        if self.rnd.random() < 0.3:
            kw["at"] = self.time()
        if self.rnd.random() < 0.2:
            kw["keepalive"] = self.rnd.choice([True, False, {"idle": "1s", "interval": "1s", "count": 2},
                                               {"idle": "100000h"}, {"count": 0}, {"bogus": 1}, "yes"])
        if self.rnd.random() < 0.1:
            kw["user_timeout"] = self.time()
        self.conns.append(h.connect(self.target(), self.port(), **kw))

    def act_listen(self):
        h = self.pick(self.hosts)
        kw = {"backlog": self.count()} if self.rnd.random() < 0.3 else {}
        if self.rnd.random() < 0.3:
            kw["accept_interval"] = self.rnd.choice([0, "10ms", "1s", "never", self.time()])
        self.listeners.append(h.listen(self.port(), **kw))

    def act_send(self):
        c = self.pick(self.conns)
        if c is not None:
            c.send(self.rnd.choice([0, 1, 1000, 100000, 2**31 - 1, 2**31, -5, 1.5]))

    def act_close(self):
        c = self.pick(self.conns)
        if c is not None:
            self.rnd.choice([c.close, c.abort])()

    def act_listener_close(self):
        lis = self.pick(self.listeners)
        if lis is not None:
            lis.close()

    def act_crash(self):
        h = self.pick(self.hosts)
        at = None if self.rnd.random() < 0.5 else self.time()
        (h.crash if self.rnd.random() < 0.5 else h.restart)(at=at)

    def act_link(self):
        link = self.pick(self.links)
        if link is not None:
            at = None if self.rnd.random() < 0.5 else self.time()
            (link.down if self.rnd.random() < 0.5 else link.up)(at=at)

    def act_capture(self):
        if self.captures and self.rnd.random() < 0.4:
            self.pick(self.captures).close()
            return
        targets = self.rnd.sample(self.hosts + self.links, self.rnd.randint(1, 2))
        path = os.path.join(self.workdir, f"s{self.seed}-{len(self.captures)}.pcap")
        self.captures.append(self.sim.capture(path, *targets))

    def act_app(self):
        r, sim = self.rnd, self.sim
        a, b = self.pick(self.hosts), self.target()
        kind = r.randrange(3)
        if kind == 0:
            self.apps.append(ss.apps.Clients(sim, a, b, self.port(), rate=r.choice([1, 50, 500, 1e-300, 0, -1]),
                                             count=r.choice([None, 5, 50]), duration=r.choice([None, "2s", "1s"]),
                                             request_bytes=r.choice([0, 100, 5000])))
        elif kind == 1:
            self.apps.append(ss.apps.Server(sim, a, self.port(), backlog=r.choice([1, 16, 128]),
                                            accept_interval=r.choice([0, "5ms", "never"])))
        else:
            self.apps.append(ss.apps.SynFlood(sim, a, b, self.port(), rate=r.choice([100, 2000, 1e-300]),
                                              duration=r.choice(["500ms", "2s", None]), count=r.choice([None, 500])))

    def act_setting(self):
        h = self.pick(self.hosts)
        name = self.rnd.choice(SETTINGS)
        value = self.rnd.choice([0, 1, 2, 5, 60, 255, 256, -1, 2**40, "1", 1.5])
        if self.rnd.random() < 0.5:
            h.tcp[name] = value
        else:
            h.tcp.update({name: value, self.rnd.choice(SETTINGS): self.rnd.choice([0, 3, -2])})

    def act_load(self):
        """A flood heavy enough that a run takes milliseconds of wall time,
        so that the alarm of an interrupted run falls inside it."""
        a, b = self.rnd.sample(self.hosts, 2)
        self.apps.append(ss.apps.SynFlood(self.sim, a, b, 80, rate=100_000, duration="1s"))

    def act_run(self):
        r = self.rnd
        until = None if r.random() < 0.1 else self.sim.now + r.choice([0.001, 0.05, 0.5, 2, 10, 60])
        interrupt = r.random() < 0.3
        if interrupt:
            signal.setitimer(signal.ITIMER_REAL, r.choice([0.0005, 0.002, 0.01]))
        try:
            self.sim.run(until=until)
        except KeyboardInterrupt:
            self.interrupts += 1
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def act_read(self):
        r = self.rnd
        what = r.randrange(6)
        if what == 0 and self.conns:
            c = self.pick(self.conns)
            (c.state, c.error, c.info, c.handshake_latency, repr(c))
        elif what == 1 and self.listeners:
            self.pick(self.listeners).queues
        elif what == 2:
            self.sim.connections()
        elif what == 3 and self.apps:
            app = self.pick(self.apps)
            if hasattr(app, "records"):
                app.records()
        elif what == 4:
            h = self.pick(self.hosts)
            (h.counters, dict(h.tcp), h.packet_counters, repr(h), repr(self.sim))
        else:
            for link in self.links:
                link.counters()

    def act_copy(self):
        objs = [self.sim] + self.hosts + self.links + self.conns + self.listeners + self.apps + self.captures
        obj = self.pick(objs)
        how = self.rnd.choice([copy.copy, copy.deepcopy, pickle.dumps])
        try:
            how(obj)
        except TypeError:
            return
        raise AssertionError(f"{how.__name__} of {obj!r} was not refused")

    def act_drop(self):
        pools = [p for p in (self.conns, self.listeners, self.apps, self.captures) if p]
        if pools:
            pool = self.pick(pools)
            pool.pop(self.rnd.randrange(len(pool)))
        if self.rnd.random() < 0.5:
            gc.collect()

    def act_cycle(self):
        self.sim.keep = list(self.conns)
        for c in self.conns:
            c.back = self.sim
            c.peers = self.conns
        for h in self.hosts:
            h.links = self.links

    def act_close_sim(self):
        if self.rnd.random() < 0.3:
            self.sim.close()

    ACTIONS = [(act_connect, 10), (act_listen, 4), (act_send, 5), (act_close, 4), (act_listener_close, 1),
               (act_crash, 2), (act_link, 2), (act_capture, 2), (act_app, 3), (act_setting, 3), (act_run, 10),
               (act_read, 6), (act_copy, 2), (act_drop, 4), (act_cycle, 1), (act_close_sim, 1), (act_load, 1)]

    def step(self):
        fns, weights = zip(*self.ACTIONS)
        fn = self.rnd.choices(fns, weights)[0]
        try:
            fn(self)
            self.done += 1
        except DOCUMENTED:
            self.refused += 1
        except KeyboardInterrupt:
            # the alarm of an interrupted run came just after the run
            signal.setitimer(signal.ITIMER_REAL, 0)

    def finish(self):
        """Let go of everything in a random order, collecting between."""
        objs = [self.sim] + self.hosts + self.routers + self.links + self.listeners + self.conns + self.apps + \
            self.captures
        self.rnd.shuffle(objs)
        self.hosts = self.routers = self.links = self.listeners = self.conns = self.apps = self.captures = []
        self.sim = None
        while objs:
            objs.pop(self.rnd.randrange(len(objs)))
            if self.rnd.random() < 0.2:
                gc.collect()


def alarm(signum, frame):
    raise KeyboardInterrupt


def main(first, count, workdir):
    print(f"extension: {os.path.relpath(ss._core.__file__)}", flush=True)
    signal.signal(signal.SIGALRM, alarm)
    base = _c.ss_alloc_outstanding()
    steps = interrupts = done = refused = 0
    for seed in range(first, first + count):
        script = Script(seed, workdir)
        n = script.rnd.randint(10, 60)
        for _ in range(n):
            script.step()
        steps += n
        interrupts += script.interrupts
        done += script.done
        refused += script.refused
        script.finish()
        del script
        gc.collect()
        left = _c.ss_alloc_outstanding() - base
        if left:
            raise AssertionError(f"seed {seed}: {left} allocations of the core were never freed")
        for name in os.listdir(workdir):
            os.unlink(os.path.join(workdir, name))
    print(f"random scripts: {count} scripts from seed {first}, {steps} steps, {interrupts} runs interrupted, "
          f"every allocation returned ({done} calls done, {refused} refused with a documented error)")


if __name__ == "__main__":
    first, count = int(sys.argv[1]), int(sys.argv[2])
    if len(sys.argv) > 3:
        main(first, count, sys.argv[3])
    else:
        with tempfile.TemporaryDirectory() as d:
            main(first, count, d)
