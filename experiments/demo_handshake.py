"""The three-way handshake and the 63-second SYN-ACK give-up, as synsim
computes them, printed as timelines.

1. A client connects to a server through a router; every segment and every
   state change is printed with its simulated time.
2. A host sends one SYN and then vanishes (nothing answers for it): the
   server resends its SYN-ACK at 1, 3, 7, 15 and 31 s and drops the
   half-open connection at 63 s (tcp_synack_retries = 5).

    python experiments/demo_handshake.py [--delay 10ms] [--rate 100Mbps] [--seed 1]
"""
import argparse

import synsim as ss


def print_timeline(sim, hosts):
    ev = sim.events()
    ev = ev[ev.node.isin(hosts)]
    for row in ev.itertuples():
        if row.kind == "state":
            what = f"{row.old_state} -> {row.state}"
        else:
            what = f"{row.kind:4} [{row._asdict()['flags']:2}] seq={row.seq} ack={row.ack} len={row.payload}"
        print(f"{row.time * 1000:12.4f} ms  {row.node:7}  {what}")


def handshake(args):
    sim = ss.Simulator(seed=args.seed)
    client, router, server = sim.add_host("client"), sim.add_router("router"), sim.add_host("server")
    sim.add_link(client, router, delay=args.delay, rate=args.rate)
    sim.add_link(router, server, delay=args.delay, rate=args.rate)
    sim.trace(["send", "recv", "state"])
    server.listen(80)
    conn = client.connect(server, 80)
    sim.run(until="1s")
    print(f"1. handshake: client {client.address} -- router -- server {server.address}, "
          f"each link {args.delay} at {args.rate}\n")
    print_timeline(sim, ["client", "server"])
    print(f"\n   client established after {conn.handshake_latency * 1000:.4f} ms "
          f"(one round trip plus serialisation); MSS {conn.info['mss']}, "
          f"window scale {conn.info['snd_wscale']}, SACK {conn.info['sack_ok']}, "
          f"timestamps {conn.info['timestamps_ok']}\n")


def synack_giveup(args):
    sim = ss.Simulator(seed=args.seed)
    ghost, server = sim.add_host("ghost"), sim.add_host("server")
    sim.add_link(ghost, server, delay=args.delay, rate=args.rate)
    sim.trace(["send", "state"])
    server.listen(80)
    ghost.send_packet(server, flags="S", seq=1000, sport=40000, dport=80)  # a SYN no stack stands behind
    sim.run()
    print("2. a SYN nobody follows up: the server's SYN-ACK retransmissions\n")
    print_timeline(sim, ["server"])
    ev = sim.events()
    synacks = ev[(ev.node == "server") & (ev.kind == "send")].time.to_numpy()
    drop = ev[(ev.node == "server") & (ev.state == "CLOSED")].time.iloc[0]
    offsets = ", ".join(f"{t - synacks[0]:.0f}" for t in synacks)
    print(f"\n   SYN-ACKs at {offsets} s after the first; request dropped {drop - synacks[0]:.0f} s after it "
          f"(1+2+4+8+16+32 = 63)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", default="10ms", help="propagation delay of each link")
    parser.add_argument("--rate", default="100Mbps", help="rate of each link")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    handshake(args)
    synack_giveup(args)


if __name__ == "__main__":
    main()
