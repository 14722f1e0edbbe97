"""A scripted three-way handshake over a router, printed as a timeline.

This is the foundation's demo: TCP connections are not modelled yet, so the
script plays both ends by hand (SYN, SYN-ACK, ACK), each sent the moment the
previous one arrives, and prints when every segment left and arrived as the
simulator computed it: serialisation + queueing + propagation, per hop.

    python experiments/demo_handshake.py [--delay 10ms] [--rate 100Mbps] [--seed 1]
"""
import argparse

import synsim as ss


def arrival_ns(sim, packet_id, node):
    """When `packet_id` reached `node`, from the trace."""
    ev = sim.events()
    hit = ev[(ev.packet == packet_id) & (ev.kind == "recv") & (ev.node == node.name)]
    if hit.empty:
        raise RuntimeError(f"packet {packet_id} never reached {node.name}")
    return int(hit.time_ns.iloc[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", default="10ms", help="propagation delay of each of the two links")
    parser.add_argument("--rate", default="100Mbps", help="rate of each link")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    sim = ss.Simulator(seed=args.seed)
    client = sim.add_host("client")
    router = sim.add_router("router")
    server = sim.add_host("server")
    sim.add_link(client, router, delay=args.delay, rate=args.rate)
    sim.add_link(router, server, delay=args.delay, rate=args.rate)
    sim.trace(["send", "recv", "forward"])

    x, y = 1000, 5000  # the two initial sequence numbers
    steps = [
        (client, server, "S", x, 0, "client SYN (seq=x)                  client: SYN-SENT"),
        (server, client, "S.", y, x + 1, "server SYN-ACK (seq=y, ack=x+1)     server: SYN-RECEIVED"),
        (client, server, ".", x + 1, y + 1, "client ACK (seq=x+1, ack=y+1)       both: ESTABLISHED"),
    ]
    print(f"client {client.address} -- router -- server {server.address}; each link {args.delay}, {args.rate}\n")
    print(f"{'sent (ms)':>12} {'arrived (ms)':>13}  segment")
    for src, dst, flags, seq, ack, label in steps:
        sent = sim.now_ns
        pid = src.send_packet(dst, flags=flags, seq=seq, ack=ack, sport=40000 if src is client else 80,
                              dport=80 if src is client else 40000)
        sim.run()
        arrived = arrival_ns(sim, pid, dst)
        print(f"{sent / 1e6:12.4f} {arrived / 1e6:13.4f}  {label}")
    print(f"\nhandshake complete at the server after {sim.now_ns / 1e6:.4f} ms "
          f"(three one-way trips; the client is established one trip earlier)")


if __name__ == "__main__":
    main()
