import pytest

import synsim as ss


@pytest.fixture
def pair():
    """A client and a server joined by one 10 ms, 100 Mbit/s link."""
    sim = ss.Simulator(seed=1)
    client = sim.add_host("client")
    server = sim.add_host("server")
    link = sim.add_link(client, server, delay="10ms", rate="100Mbps")
    return sim, client, server, link
