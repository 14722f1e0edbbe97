"""The 63 seconds of the textbooks: a SYN-ACK resent until the server gives up.

A SYN arrives from a host that never answers (as in a SYN flood).  The
server resends its SYN-ACK with doubling timeouts, 1, 2, 4, 8, 16 and 32 s
with Linux's tcp_synack_retries = 5, and drops the half-open connection
1 + 2 + 4 + 8 + 16 + 32 = 63 s after the first.  The plots are the ladder
diagram of that exchange, and the give-up time against tcp_synack_retries,
measured and as the formula gives it: the sum of the n + 1 timeouts,
min(2^k, 120) s for k = 0..n, because Linux caps each at TCP_RTO_MAX
(reqsk_timeout()).  That is the textbook 2^(n+1) - 1 s up to n = 6 (127 s)
and 127 + 120 (n - 6) s beyond, which the plot draws too.

    python experiments/synack_timeout.py [--quick] [--seeds N] [--out DIR] [--executor E]
"""
import sys

import numpy as np

if __package__ in (None, ""):  # run as a script
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "experiments"

import synsim as ss  # noqa: E402

from .common import Output, parse_args, plt  # noqa: E402

DELAY = 0.010  # one way, seconds


def run_one(synack_retries, seed):
    """One SYN nobody follows up; the server's SYN-ACK send times and the
    time it dropped the request, in seconds after the SYN left."""
    sim = ss.Simulator(seed=seed)
    ghost = sim.add_host("ghost")
    server = sim.add_host("server", tcp={"tcp_synack_retries": synack_retries})
    sim.add_link(ghost, server, delay=DELAY, rate="100Mbps")
    server.listen(80)
    sim.trace(["send", "state"])
    ghost.send_packet(server, flags="S", seq=1000, sport=40000, dport=80)
    sim.run()
    ev = sim.events()
    synacks = ev[(ev.node == "server") & (ev.kind == "send")].time.tolist()
    dropped = ev[(ev.node == "server") & (ev.state == "CLOSED")].time.iloc[0]
    return {"synacks": [round(t, 9) for t in synacks], "giveup": round(dropped - synacks[0], 9),
            "resent": len(synacks) - 1}


def plot_ladder(out, row):
    fig, ax = plt.subplots(figsize=(6.5, 7))
    ax.axvline(0, color="black")
    ax.axvline(1, color="black")
    ax.text(0, -3, "ghost client\n(never answers)", ha="center", va="bottom")
    ax.text(1, -3, "server", ha="center", va="bottom")
    ax.annotate("", xy=(1, DELAY), xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="tab:blue"))
    ax.text(0.5, -0.5, "SYN", color="tab:blue", ha="center", va="bottom")
    first = row["synacks"][0]
    for k, t in enumerate(row["synacks"]):
        at = t - first + DELAY
        ax.annotate("", xy=(0.05, at + DELAY), xytext=(1, at),
                    arrowprops=dict(arrowstyle="->", color="tab:orange" if k == 0 else "tab:red"))
        label = "SYN-ACK" if k == 0 else f"SYN-ACK again (+{t - first:.0f} s)"
        ax.text(1.03, at, label, va="bottom" if k == 0 else "top", fontsize=9)
    end = row["giveup"] + DELAY
    ax.plot([0.93, 1.07], [end, end], color="black", lw=2)
    ax.text(1.03, end, f"request dropped at +{row['giveup']:.0f} s", va="center", fontsize=9, weight="bold")
    ax.set_ylim(end + 3, -9)
    ax.set_xlim(-0.3, 1.8)
    ax.set_xticks([])
    ax.set_ylabel("time after the SYN (s)")
    ax.set_title("SYN-ACK retransmission, Linux defaults (tcp_synack_retries = 5)")
    out.figure(fig, "ladder.png")


def giveup_formula(n):
    """Seconds from the first SYN-ACK to the request's drop with
    tcp_synack_retries = n: n + 1 timeouts of min(2^k, 120) s."""
    return sum(min(2 ** k, 120) for k in range(int(n) + 1))


def plot_giveup(out, df):
    fig, ax = plt.subplots(figsize=(7, 4.2))
    n = np.array(sorted(df.synack_retries.unique()))
    ax.plot(n, 2.0 ** (n + 1) - 1, color="grey", lw=1, ls="--", label="2^(n+1) - 1 s (no cap)")
    ax.plot(n, [giveup_formula(k) for k in n], color="black", lw=1,
            label="sum of min(2^k, 120) s (TCP_RTO_MAX cap)")
    measured = df.groupby("synack_retries").giveup.mean()
    ax.plot(measured.index, measured.values, "o", color="tab:red", label="synsim")
    for x, y in measured.items():
        ax.annotate(f"{y:.0f} s", (x, y), textcoords="offset points", xytext=(6, -12), fontsize=8)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("tcp_synack_retries")
    ax.set_ylabel("time to give up on a half-open connection (s)")
    ax.set_title("Half-open connection lifetime against tcp_synack_retries")
    ax.grid(True, alpha=0.3)
    ax.legend()
    out.figure(fig, "giveup_vs_retries.png")


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, default_seeds=1)
    out = Output(args.out, "synack_timeout")
    # 7 and 8 show the TCP_RTO_MAX cap even in the quick version
    grid = {"synack_retries": [0, 1, 3, 5, 7, 8] if args.quick else list(range(0, 11))}
    df = ss.sweep(run_one, grid, seeds=range(args.seeds), executor=args.executor, store=out.store(),
                  progress=not args.no_progress)
    out.csv(df.drop(columns=["synacks"]), "runs.csv")
    plot_ladder(out, df[df.synack_retries == 5].iloc[0])
    plot_giveup(out, df)
    out.report()
    return df


if __name__ == "__main__":
    main()
