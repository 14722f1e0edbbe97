"""synsim: a deterministic discrete-event simulator of TCP connection set-up,
SYN floods and keepalive, faithful to Linux.

    import synsim as ss
    sim = ss.Simulator(seed=1)
    client, server = sim.add_host("client"), sim.add_host("server")
    sim.add_link(client, server, delay="10ms", rate="100Mbps")
    sim.run(until="1s")

Times are strings with a unit ("10ms") or seconds; rates are strings
("100Mbps") or bits per second.  Bad arguments raise ValueError or TypeError
naming the parameter.
"""
from . import apps
from .flags import flags_text
from .pcapfile import capture_records, repair_capture
from .simulator import Capture, Host, Link, Node, Router, Simulator
from .sweep import stored_runs, sweep
from .units import parse_rate, parse_time

__version__ = "0.1.0"

__all__ = ["Simulator", "Node", "Host", "Router", "Link", "Capture", "apps", "sweep", "stored_runs", "parse_time", "parse_rate", "flags_text",
           "capture_records", "repair_capture",
           "__version__"]
