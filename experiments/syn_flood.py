"""Legitimate clients under a SYN flood, with and without SYN cookies.

An attacker sends SYNs from forged addresses; legitimate clients (Poisson,
20 per second) connect to the same server meanwhile.  Without cookies
(tcp_syncookies = 0) the flood fills the SYN queue and legitimate SYNs are
dropped until the flood ends and the queue drains; clients wait for SYN
retransmissions.  With cookies (1: when the queue is full, 2: always) the
server answers every SYN without keeping state, and clients connect on the
first try.  Plots: clients connected on their first SYN and handshake
latency against attack rate, for each tcp_syncookies and backlog; the SYN
queue (request records) over time.

Runs are paired (common random numbers): the clients draw their arrivals
from a stream named by what they are, so the runs of one seed see the very
same clients whatever the attack rate, and paired.csv gives each attack's
effect as the mean over seeds of (attacked - unattacked) with its 95% CI.

    python experiments/syn_flood.py [--quick] [--seeds N] [--out DIR] [--executor E]
"""
import sys

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "experiments"

import synsim as ss  # noqa: E402
from synsim.stats import ci_table, paired_ci_table  # noqa: E402

from .common import Output, parse_args, plt  # noqa: E402

FLOOD_SECONDS = 10
SAMPLE = 0.1  # seconds between SYN-queue samples


def run_one(attack_rate, syncookies, backlog, seed):
    """A flood of `attack_rate` SYNs/s for FLOOD_SECONDS while clients
    arrive; returns the clients' outcome and the SYN queue over time."""
    sim = ss.Simulator(seed=seed)
    attacker, clients_host = sim.add_host("attacker"), sim.add_host("clients")
    server = sim.add_host("server", tcp={"tcp_syncookies": syncookies})
    router = sim.add_router("router")
    for host in (attacker, clients_host, server):
        sim.add_link(host, router, delay="5ms", rate="1Gbps", queue=10000)
    srv = ss.apps.Server(sim, server, 80, backlog=backlog)
    if attack_rate > 0:
        ss.apps.SynFlood(sim, attacker, server, 80, rate=attack_rate, duration=FLOOD_SECONDS)
    clients = ss.apps.Clients(sim, clients_host, server, 80, rate=20, start=0.5, stop=FLOOD_SECONDS - 0.5)
    queue = []
    for k in range(1, int((FLOOD_SECONDS + 10) / SAMPLE) + 1):
        sim.run(until=round(k * SAMPLE, 6))
        queue.append(srv.queues["syn_queue"])
    sim.run()
    rec = clients.records()
    ok = rec.established.notna()
    return {
        "clients": len(rec),
        "first_try": float((ok & (rec.syn_retransmits == 0)).mean()),
        "connected": float(ok.mean()),
        "median_latency": float(rec.latency.median()),
        "mean_latency": float(rec.latency.mean()),
        "syn_queue": queue,
        "syn_queue_max": srv.queues["syn_queue_max"],
        "cookies_sent": server.counters["SyncookiesSent"],
        "dropped": server.counters["ListenDrops"],
    }


STYLE = {0: ("tab:red", "tcp_syncookies = 0"), 1: ("tab:green", "tcp_syncookies = 1"),
         2: ("tab:blue", "tcp_syncookies = 2")}
DASH = ["-", "--", ":"]


def plot_outcome(out, df):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    rates = sorted(df.attack_rate.unique())
    x_of = {r: (r if r > 0 else rates[1] / 10 if len(rates) > 1 else 1) for r in rates}
    for (cookies, backlog), group in df.groupby(["syncookies", "backlog"]):
        color, label = STYLE[cookies]
        ls = DASH[sorted(df.backlog.unique()).index(backlog) % 3]
        for ax, column, scale in ((axes[0], "first_try", 100), (axes[1], "median_latency", 1000)):
            t = ci_table(group, "attack_rate", column)
            ax.errorbar([x_of[r] for r in t.attack_rate], t["mean"] * scale, yerr=t["ci"].fillna(0) * scale,
                        color=color, ls=ls, marker="o", capsize=3, label=f"{label}, backlog {backlog}")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("attack rate (SYNs/s; leftmost point: no attack)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("clients connected on their first SYN (%)")
    axes[1].set_ylabel("median handshake latency (ms)")
    axes[1].set_yscale("log")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Legitimate clients during a {FLOOD_SECONDS} s SYN flood")
    out.figure(fig, "clients_vs_attack.png")


def plot_queue(out, df):
    rate = max(df.attack_rate)
    backlog = min(df.backlog)
    fig, ax = plt.subplots(figsize=(8, 4))
    for cookies in sorted(df.syncookies.unique()):
        row = df[(df.attack_rate == rate) & (df.backlog == backlog) & (df.syncookies == cookies)].iloc[0]
        t = SAMPLE * np.arange(1, len(row.syn_queue) + 1)
        color, label = STYLE[cookies]
        ax.step(t, row.syn_queue, where="post", color=color, label=label)
    ax.axhline(backlog + 1, color="grey", ls=":", lw=1)
    ax.text(0.2, backlog + 1, f" limit: backlog + 1 = {backlog + 1}", va="bottom", fontsize=8, color="grey")
    ax.axvspan(0, FLOOD_SECONDS, color="tab:red", alpha=0.06, label="flood")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("SYN queue: request records")
    ax.set_title(f"SYN queue under {rate:g} SYNs/s, backlog {backlog}")
    ax.legend()
    ax.grid(True, alpha=0.3)
    out.figure(fig, "syn_queue.png")


PAIRED = ["clients", "first_try", "connected", "median_latency"]


def paired(df):
    """Each attack's effect on the clients against the unattacked run of the
    same seed, tcp_syncookies and backlog: one row per metric and point."""
    tables = []
    for column in PAIRED:
        t = paired_ci_table(df, ["syncookies", "backlog"], "attack_rate", 0, column)
        t.insert(0, "metric", column)
        tables.append(t)
    return pd.concat(tables, ignore_index=True).rename(columns={"mean": "change"})


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, default_seeds=5)
    out = Output(args.out, "syn_flood")
    grid = {"attack_rate": [0, 1000, 10000] if args.quick else [0, 100, 1000, 3000, 10000, 30000, 100000],
            "syncookies": [0, 1, 2],
            "backlog": [128] if args.quick else [128, 1024]}
    df = ss.sweep(run_one, grid, seeds=range(args.seeds), executor=args.executor, store=out.store(),
                  progress=not args.no_progress)
    out.csv(df.drop(columns=["syn_queue"]), "runs.csv")
    out.csv(paired(df), "paired.csv")
    plot_outcome(out, df)
    plot_queue(out, df)
    out.report()
    return df


if __name__ == "__main__":
    main()
