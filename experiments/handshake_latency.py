"""Handshake latency against RTT and loss.

Clients connect to a server over one link of a given round-trip time, with
the same loss in both directions.  A lost SYN or SYN-ACK costs a
retransmission timeout, so the latency distribution has steps at RTT plus
the time of the exchange that finally went through.  With the classic
schedule (tcp_syn_linear_timeouts = 0) the SYN is resent at 1, 3 and 7 s;
the step at 2 s (and 4 s) is a retried SYN whose SYN-ACK was lost: the
server resends that SYN-ACK 1 s after answering it (1 + 1, 3 + 1 s).  With
Linux 6.18's default (4 linear retries) the SYN is resent every second, so
the steps fall at 1, 2, 3, 4, 5 s whichever segment was lost.  The plots
show the mean with its 95% confidence interval against loss for each RTT,
and the CDFs with the steps.

    python experiments/handshake_latency.py [--quick] [--seeds N] [--out DIR] [--executor E]
"""
import sys

import numpy as np

if __package__ in (None, ""):  # run as a script
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "experiments"

import synsim as ss  # noqa: E402
from synsim.stats import ci_table  # noqa: E402

from .common import Output, parse_args, plt  # noqa: E402

CLIENTS = 200


def run_one(rtt_ms, loss, linear, seed):
    """One run: CLIENTS clients arriving at 20/s; returns their handshake
    latencies (seconds) and how many gave up."""
    sim = ss.Simulator(seed=seed)
    client = sim.add_host("client", tcp={"tcp_syn_linear_timeouts": linear})
    server = sim.add_host("server")
    sim.add_link(client, server, delay=rtt_ms / 2000, rate="100Mbps", loss=loss)
    ss.apps.Server(sim, server, 80)
    clients = ss.apps.Clients(sim, client, server, 80, rate=20, count=CLIENTS)
    sim.run()
    rec = clients.records()
    ok = rec.established.notna()
    return {"latencies": rec.latency[ok].round(9).tolist(), "failed": int((~ok).sum()),
            "mean": float(rec.latency[ok].mean()), "p90": float(rec.latency[ok].quantile(0.9))}


def plot_means(out, df):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, linear in zip(axes, sorted(df.linear.unique())):
        for rtt, group in df[df.linear == linear].groupby("rtt_ms"):
            t = ci_table(group, "loss", "mean")
            ax.errorbar(t["loss"] * 100, t["mean"] * 1000, yerr=t["ci"].fillna(0) * 1000, marker="o", capsize=3,
                        label=f"RTT {rtt:g} ms")
        ax.set_title(f"tcp_syn_linear_timeouts = {linear}")
        ax.set_xlabel("loss in each direction (%)")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("mean handshake latency (ms, 95% CI)")
    axes[0].legend()
    fig.suptitle("Handshake latency against loss: each lost SYN or SYN-ACK costs a retransmission timeout")
    out.figure(fig, "latency_vs_loss.png")


CLASSIC_STEPS = [1, 2, 3, 4, 7]
LINEAR_STEPS = [1, 2, 3, 4, 5]


def plot_cdfs(out, df):
    rtt = 100 if 100 in set(df.rtt_ms) else sorted(df.rtt_ms)[-1]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, linear in zip(axes, sorted(df.linear.unique())):
        for loss, group in df[(df.linear == linear) & (df.rtt_ms == rtt)].groupby("loss"):
            lat = np.sort(np.concatenate([np.asarray(v, dtype=float) for v in group.latencies]))
            if len(lat):
                ax.step(lat, np.arange(1, len(lat) + 1) / len(lat), where="post", label=f"loss {loss:.0%}")
        # classic: SYN retries at 1, 3, 7 s; 2 and 4 s: the SYN-ACK of a
        # retried SYN lost and resent by the server 1 s later
        for step in (CLASSIC_STEPS if linear == 0 else LINEAR_STEPS):
            ax.axvline(step + rtt / 1000, color="grey", lw=0.6, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("handshake latency (s, log scale)")
        ax.set_title(f"RTT {rtt:g} ms, tcp_syn_linear_timeouts = {linear}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("fraction of handshakes")
    axes[0].legend(loc="lower right")
    fig.suptitle("CDF of handshake latency: steps at RTT + each retransmission time (dotted); "
                 "classic 2 s, 4 s: a retried SYN's SYN-ACK resent", fontsize=10)
    out.figure(fig, "latency_cdf.png")


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    out = Output(args.out, "handshake_latency")
    grid = {"rtt_ms": [10, 100] if args.quick else [10, 50, 100, 200],
            "loss": [0.0, 0.05, 0.2] if args.quick else [0.0, 0.01, 0.02, 0.05, 0.1, 0.2],
            "linear": [0, 4]}
    df = ss.sweep(run_one, grid, seeds=range(args.seeds), executor=args.executor, store=out.store(),
                  progress=not args.no_progress)
    out.csv(df.drop(columns=["latencies"]), "runs.csv")
    plot_means(out, df)
    plot_cdfs(out, df)
    out.report()
    return df


if __name__ == "__main__":
    main()
