"""A handle reaches its own C object and no other: copies and pickles of
handles are refused, and a Connection kept long after its connection ended
still reads that connection while new connections take fresh slots."""
import copy
import pickle

import pytest

import synsim as ss


def every_handle(tmp_path):
    sim = ss.Simulator(seed=3)
    a, b = sim.add_host("a"), sim.add_host("b")
    router = sim.add_router("r")
    link = sim.add_link(a, router, delay="1ms")
    sim.add_link(router, b, delay="1ms")
    listener = b.listen(80)
    conn = a.connect(b, 80)
    capture = sim.capture(str(tmp_path / "h.pcap"), a)
    server = ss.apps.Server(sim, b, 81)
    clients = ss.apps.Clients(sim, a, b, 81, rate=100, count=3)
    flood = ss.apps.SynFlood(sim, a, b, 81, rate=10, duration="1s")
    sim.run(until="100ms")
    return sim, {"Simulator": sim, "Host": a, "Router": router, "Link": link, "Listener": listener,
                 "Connection": conn, "Capture": capture, "Server": server, "Clients": clients,
                 "SynFlood": flood, "TcpSettings": a.tcp}


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_no_handle_can_be_copied_or_pickled(tmp_path, how):
    sim, handles = every_handle(tmp_path)
    do = {"copy": copy.copy, "deepcopy": copy.deepcopy, "pickle": pickle.dumps}[how]
    for kind, handle in handles.items():
        with pytest.raises(TypeError, match=f"synsim.{kind} cannot be"):
            do(handle)
        # and inside a container too: deepcopy and pickle reach every element
        if how != "copy":
            with pytest.raises(TypeError, match=f"synsim.{kind} cannot be"):
                do({"results": [handle]})
    # nothing was disturbed: the connection still holds its own slot
    conn = handles["Connection"]
    assert conn.state == "ESTABLISHED"
    sim.run(until="2s")
    rec = handles["Clients"].records()
    assert rec["done"].all() and rec["established"].notna().all() and rec["error"].isna().all()
    sim.close()


def test_a_kept_connection_is_never_another(pair):
    """The Python object holds its connection: after the connection ended
    (refused, then long CLOSED) 200 new connections never take its slot, its
    calls refuse with its own state, and theirs are untouched."""
    sim, client, server, _ = pair
    server.listen(81)  # the server runs TCP, and port 80 answers RST
    old = client.connect(server, 80)
    sim.run(until="1s")
    old_id = old.info["id"]
    assert (old.state, old.error) == ("CLOSED", "ECONNREFUSED")
    server.listen(80)
    fresh = [client.connect(server, 80) for _ in range(200)]
    del fresh[::2]  # let half of them go, so that slots are freed and reused
    sim.run(until="2s")
    fresh += [client.connect(server, 80) for _ in range(200)]
    ids = {c.info["id"] for c in fresh}
    assert old_id not in ids and len(ids) == len(fresh)
    with pytest.raises(RuntimeError, match="CLOSED"):
        old.send(10)
    with pytest.raises(RuntimeError, match="CLOSED"):
        old.close()
    with pytest.raises(RuntimeError, match="CLOSED"):
        old.abort()
    sim.run(until="3s")
    assert all(c.state == "ESTABLISHED" and c.info["bytes_sent"] == 0 for c in fresh)
    assert (old.info["id"], old.state, old.error) == (old_id, "CLOSED", "ECONNREFUSED")
