"""Each experiment runs with --quick, writes its CSV and plots, and its
results say what the experiment is about."""
import os

import numpy as np
import pandas as pd
import pytest

from synsim.experiments import handshake_latency, keepalive, syn_flood, synack_timeout


def files(out, name):
    return sorted(os.listdir(os.path.join(out, name)))


def test_synack_timeout(tmp_path):
    df = synack_timeout.main(["--quick", "--out", str(tmp_path), "--executor", "serial", "--no-progress"])
    assert {"runs.csv", "ladder.png", "giveup_vs_retries.png"} <= set(files(tmp_path, "synack_timeout"))
    assert (df.giveup == [synack_timeout.giveup_formula(n) for n in df.synack_retries]).all()
    # the cap shows from 7 retries on: 127 + 120 s, not 255 s
    assert synack_timeout.giveup_formula(7) == 247 and synack_timeout.giveup_formula(6) == 127
    assert (df.resent == df.synack_retries).all()


def test_handshake_latency(tmp_path):
    df = handshake_latency.main(["--quick", "--out", str(tmp_path), "--no-progress"])
    assert {"runs.csv", "latency_vs_loss.png", "latency_cdf.png"} <= set(files(tmp_path, "handshake_latency"))
    lossless = df[df.loss == 0]
    assert np.allclose(lossless["mean"], lossless.rtt_ms / 1000, atol=1e-4)
    # with loss, latencies cluster just after RTT + 1 s (the first SYN retransmission)
    lossy = df[(df.loss == 0.2) & (df.rtt_ms == 100)]
    lat = np.concatenate([np.asarray(v) for v in lossy.latencies])
    assert ((lat > 1.1) & (lat < 1.2)).sum() > 0.1 * len(lat)


def test_syn_flood(tmp_path):
    df = syn_flood.main(["--quick", "--out", str(tmp_path), "--no-progress", "--seeds", "2"])
    assert {"runs.csv", "paired.csv", "clients_vs_attack.png", "syn_queue.png"} <= set(files(tmp_path, "syn_flood"))
    # paired runs: whatever the attack, the runs of one seed see the same clients
    assert df.groupby("seed").clients.nunique().eq(1).all()
    assert df.groupby("seed").clients.first().nunique() == 2
    paired = pd.read_csv(tmp_path / "syn_flood" / "paired.csv")
    assert set(paired.attack_rate) == {1000, 10000} and (paired.n == 2).all()
    assert (paired[paired.metric == "clients"].change == 0).all()
    no_cookies = paired[(paired.metric == "first_try") & (paired.syncookies == 0) & (paired.attack_rate == 10000)]
    assert no_cookies.change.iloc[0] < -0.9
    attacked = df[(df.attack_rate == 10000) & (df.seed == 0)]
    by_cookies = attacked.set_index("syncookies")
    assert by_cookies.loc[0, "first_try"] < 0.05
    assert by_cookies.loc[1, "first_try"] == 1.0 and by_cookies.loc[2, "first_try"] == 1.0
    assert (df.syn_queue_max <= df.backlog + 1).all()


def test_keepalive(tmp_path):
    df = keepalive.main(["--quick", "--out", str(tmp_path), "--no-progress"])
    crash, restart = df[df.fault == "crash"], df[df.fault == "restart"]
    assert (crash.error == "ETIMEDOUT").all() and (restart.error == "ECONNRESET").all()
    assert np.allclose(crash.detected_after, crash.predicted_crash, atol=1e-6)
    assert (restart.detected_after < crash.detected_after.to_numpy()).all()
