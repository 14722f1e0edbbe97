"""How long until a dead peer is noticed: keepalive settings against a
crashed and a restarted peer.

A client keeps an idle connection open with keepalive (TCP_KEEPIDLE,
TCP_KEEPINTVL, TCP_KEEPCNT); the server crashes at 20 s.  A crashed peer
never answers: the client gives up with ETIMEDOUT idle + interval x count
after it last heard from it.  A peer that restarted (1 s later here)
answers the next probe with a RST: the client fails with ECONNRESET at that
probe, far sooner.  The plot shows the measured time to detect against that
prediction: crashes fall on the diagonal, restarts below it.

    python experiments/keepalive.py [--quick] [--seeds N] [--out DIR] [--executor E]
"""
import sys

import numpy as np

if __package__ in (None, ""):  # run as a script
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "experiments"

import synsim as ss  # noqa: E402

from .common import Output, parse_args, plt  # noqa: E402

CRASH_AT = 20.0
RESTART_AFTER = 1.0


def run_one(idle, interval, count, fault, seed):
    """Detection time (seconds after the crash) and the error reported."""
    sim = ss.Simulator(seed=seed)
    client, server = sim.add_host("client"), sim.add_host("server")
    sim.add_link(client, server, delay="10ms", rate="100Mbps")
    server.listen(80)
    conn = client.connect(server, 80, keepalive={"idle": idle, "interval": interval, "count": count})
    server.crash(at=CRASH_AT)
    if fault == "restart":
        server.restart(at=CRASH_AT + RESTART_AFTER)
    sim.trace(["recv"])
    sim.run()
    ev = sim.events()
    heard = ev[(ev.node == "client") & (ev.time < CRASH_AT)].time
    last = float(heard.max()) if len(heard) else float("nan")
    return {"detected_after": conn.closed_at - CRASH_AT, "error": conn.error,
            "window": idle + interval * count, "predicted_crash": last + idle + interval * count - CRASH_AT}


def plot(out, df):
    fig, ax = plt.subplots(figsize=(7.5, 5))
    style = {"crash": ("tab:red", "o", "peer crashed: ETIMEDOUT"),
             "restart": ("tab:blue", "s", f"peer restarted after {RESTART_AFTER:g} s: ECONNRESET")}
    for fault, group in df.groupby("fault"):
        color, marker, label = style[fault]
        ax.scatter(group.predicted_crash, group.detected_after, color=color, marker=marker, label=label, zorder=3)
    w = np.array([df.predicted_crash.min() * 0.8, df.predicted_crash.max() * 1.2])
    ax.plot(w, w, color="grey", lw=1, ls="--", label="prediction for a crashed peer")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("last heard + idle + interval x count - crash time (s)")
    ax.set_ylabel("time from the fault until the client knows (s)")
    ax.set_title("Detecting a dead peer with keepalive")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    out.figure(fig, "detection_time.png")


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv, default_seeds=1)
    out = Output(args.out, "keepalive")
    grid = {"idle": [10, 60] if args.quick else [10, 30, 60, 120, 600, 7200],
            "interval": [1, 10] if args.quick else [1, 5, 15, 75],
            "count": [3] if args.quick else [3, 9],
            "fault": ["crash", "restart"]}
    df = ss.sweep(run_one, grid, seeds=range(args.seeds), executor=args.executor, store=out.store(),
                  progress=not args.no_progress)
    out.csv(df, "runs.csv")
    plot(out, df)
    out.report()
    return df


if __name__ == "__main__":
    main()
