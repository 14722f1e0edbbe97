#!/usr/bin/env python3
"""Write the seed corpus of fuzz_tcp (tests/fuzz/corpus/): small programs in
the input encoding documented at the top of tests/fuzz/fuzz_tcp.c.

    python3 tests/fuzz/make_corpus.py [OUTDIR]

Standard library only.  Each seed is a meaningful scenario (a handshake, a
SYN flood with cookies, a crash mid-handshake, a RST storm, keepalive, a
free in the middle of a run, ...); the fuzzer mutates from there.  The
output is deterministic, so re-running rewrites the same files.
"""
import os
import struct
import sys

# ---- the encoding (keep in step with fuzz_tcp.c) ---------------------------

OPS = ["listen", "connect", "connect_at", "send", "close", "abort", "release", "lclose", "laccept",
       "keepalive", "user_timeout", "sysctl", "crash", "restart", "link", "run", "inject", "burst", "free",
       "holdall", "stale"]
OP = {name: i for i, name in enumerate(OPS)}

PORT = {80: 0, 443: 1, 5000: 2, 22: 3, 1: 4, 65535: 5, 8080: 6, 32768: 7}
# delay_table: 0, 1us, 1ms, 10ms, 500ms, 1s, 5s, 100s
DELAY = {"0": 0, "1us": 1, "1ms": 2, "10ms": 3, "500ms": 4, "1s": 5, "5s": 6, "100s": 7}
# run_table
RUN = {"0": 0, "1us": 1, "100us": 2, "1ms": 3, "5ms": 4, "20ms": 5, "100ms": 6, "300ms": 7, "1s": 8,
       "3s": 9, "10s": 10, "30s": 11, "75s": 12, "200s": 13, "1000s": 14, "7300s": 15}
# ka_table: 0 (host default), 100ms, 1s, 10s, 75s
KA = {"default": 0, "100ms": 1, "1s": 2, "10s": 3, "75s": 4}
SETTING = {name: i for i, name in enumerate([
    "tcp_syn_retries", "tcp_syn_linear_timeouts", "tcp_synack_retries", "tcp_retries2", "tcp_fin_timeout",
    "tcp_timewait_len", "tcp_timestamps", "tcp_sack", "tcp_window_scaling", "tcp_syncookies", "somaxconn",
    "tcp_max_syn_backlog", "tcp_abort_on_overflow", "tcp_keepalive_time", "tcp_keepalive_intvl",
    "tcp_keepalive_probes", "tcp_invalid_ratelimit", "tcp_rmem", "tcp_delayed_ack", "tcp_min_snd_mss"])}
# sysctl modes
MIN, MAX, DEFAULT, BELOW, ABOVE, INRANGE, RAW, EXTREME = range(8)

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
# segment targets
LISTENER, CONN, REQUEST, ANYWHERE = range(4)
# seq modes
SEQ_RAW, SEQ_RCV_NXT, SEQ_WND_END, SEQ_IRS, SEQ_RCV_NXT_MINUS_1, SEQ_ZERO = range(6)
# ack modes
ACK_RAW, ACK_SND_UNA, ACK_SND_NXT, ACK_SND_MAX, ACK_ISS1, ACK_UNA_MINUS_WND, ACK_COOKIE, ACK_ZERO = range(8)
NOBODY = 0xff  # connect's dst byte: 10.0.0.99, no such host


def u8(v):
    return struct.pack(">B", v & 0xff)


def u16(v):
    return struct.pack(">H", v & 0xffff)


def u32(v):
    return struct.pack(">I", v & 0xffffffff)


def header(seed=1, hosts=2, router=False, profile=0, small_mtu=False, no_record=False):
    topo = (hosts - 2) | (4 if router else 0) | (profile << 3) | (0x20 if small_mtu else 0) | (0x40 if no_record else 0)
    return u8(seed) + u8(topo)


def backlog(n):
    """The backlog byte: 0..15 as is, else multiples of 64."""
    return n if n < 16 else 0x80 | (n // 64)


def beh(on_est="none", nbytes_k=0, close_on_peer_close=False, echo=False):
    v = {"none": 0, "send": 1, "close": 2, "abort": 3}[on_est] | (nbytes_k << 4)
    return v | (4 if close_on_peer_close else 0) | (8 if echo else 0)


def listen(host, port=80, bl=8, b=0):
    return u8(OP["listen"]) + u8(host) + u8(PORT[port]) + u8(backlog(bl)) + u8(b)


def connect(host, dst, port=80, b=0):
    return u8(OP["connect"]) + u8(host) + u8(dst) + u8(PORT[port]) + u8(b)


def connect_at(host, dst, port=80, delay="1s", b=0):
    return u8(OP["connect_at"]) + u8(host) + u8(dst) + u8(PORT[port]) + u8(DELAY[delay]) + u8(b)


def send(slot, n):
    if n >= 0x8000:
        return u8(OP["send"]) + u8(slot) + u16(0x8000 | (n // 16))
    return u8(OP["send"]) + u8(slot) + u16(n)


def close(slot):
    return u8(OP["close"]) + u8(slot)


def abort(slot):
    return u8(OP["abort"]) + u8(slot)


def release(slot):
    return u8(OP["release"]) + u8(slot)


def lclose(i):
    return u8(OP["lclose"]) + u8(i)


def laccept(i, pace):
    """pace: a DELAY key, or 'never'."""
    return u8(OP["laccept"]) + u8(i) + u8(0xff if pace == "never" else DELAY[pace])


def keepalive(target, on=True, idle="default", intvl="default", count=0, listener=False):
    t = (0x80 | target) if listener else target & 0x7f
    return u8(OP["keepalive"]) + u8(t) + u8(1 if on else 0) + u8(KA[idle]) + u8(KA[intvl]) + u8(count)


def user_timeout(target, idx, listener=False):
    t = (0x80 | target) if listener else target & 0x7f
    return u8(OP["user_timeout"]) + u8(t) + u8(idx)


def sysctl(host, name, mode, value=0):
    return u8(OP["sysctl"]) + u8(host) + u8(SETTING[name]) + u8(mode) + u32(value)


def crash(host, delay="0"):
    return u8(OP["crash"]) + u8(host) + u8(DELAY[delay])


def restart(host, delay="0"):
    return u8(OP["restart"]) + u8(host) + u8(DELAY[delay])


def link(i, up, delay="0"):
    return u8(OP["link"]) + u8(i) + u8(1 if up else 0) + u8(DELAY[delay])


def run(d):
    return u8(OP["run"]) + u8(RUN[d])


def free():
    return u8(OP["free"])


def holdall(host):
    return u8(OP["holdall"]) + u8(host)


def stale():
    return u8(OP["stale"])


def seg(target, host, which=0, frm=0x80, flags=ACK, seqmode=SEQ_RCV_NXT, seq=0, ackmode=ACK_SND_NXT, ack=0,
        window=65535, mss=None, wscale=None, sack=False, ts=None, cookie_ts=False, ts_recent=False, payload=0,
        sport=0, dport=0, srcsel=0, non_tcp=False):
    """One injected segment.  frm: 0x80 sends from the owner of the source
    address, else from node frm.  seq / ack are raw values or deltas,
    depending on the mode.  ts: (tsval, tsecr) or None."""
    b = u8(target) + u8((which << 4) | host)
    if target == ANYWHERE:
        b += u16(sport) + u16(dport) + u8(srcsel)
    b += u8(frm) + u8(flags) + u8(seqmode)
    if seqmode == SEQ_RAW:
        b += u32(seq)
    elif seqmode in (SEQ_RCV_NXT, SEQ_WND_END, SEQ_IRS):
        b += u16(seq)
    b += u8(ackmode)
    if ackmode == ACK_RAW:
        b += u32(ack)
    elif ackmode not in (ACK_COOKIE, ACK_ZERO):
        b += u16(ack)
    opts = (1 if mss is not None else 0) | (2 if wscale is not None else 0) | (4 if sack else 0)
    opts |= (8 if ts is not None else 0) | (0x10 if cookie_ts else 0) | (0x20 if ts_recent else 0)
    opts |= 0x80 if non_tcp else 0
    b += u16(window) + u8(opts)
    if mss is not None:
        b += u16(mss)
    if wscale is not None:
        b += u8(wscale)
    if ts is not None:
        b += u32(ts[0]) + u32(ts[1])
    b += u16(payload)
    return b


def inject(*a, **k):
    return u8(OP["inject"]) + seg(*a, **k)


def burst(count, sport_step, seq_step, *a, **k):
    return u8(OP["burst"]) + u8(count - 1) + u8(sport_step) + u16(seq_step) + seg(*a, **k)


# ---- the seeds ------------------------------------------------------------------

H0, H1, H2 = 0, 1, 2
SEEDS = {}


def seed(name):
    def register(fn):
        SEEDS[name] = fn()
        return fn
    return register


@seed("handshake")
def _():
    return header() + listen(H1) + connect(H0, H1) + run("1s")


@seed("transfer_close")
def _():
    return (header(2) + listen(H1, 80, 8, beh(close_on_peer_close=True)) + connect(H0, H1, 80, beh("send", 15))
            + run("1s") + send(0, 200000) + run("3s") + close(0) + run("10s") + run("7300s"))


@seed("router_lossy_transfer")
def _():
    return (header(3, hosts=3, router=True, profile=2) + listen(H2, 443) + connect(H0, H2, 443, beh("send", 15))
            + connect(H1, H2, 443, beh("send", 3)) + run("10s") + send(0, 500000) + run("30s") + close(0)
            + close(1) + run("200s"))


@seed("syn_flood_cookies")
def _():
    flood = burst(64, 1, 7919, LISTENER, H1, 0, frm=0, flags=SYN, seqmode=SEQ_RAW, seq=1000, ackmode=ACK_ZERO,
                  mss=1460, wscale=7, sack=True, ts=(1, 0))
    return (header(4, profile=1) + listen(H1, 80, 2) + flood + run("1ms") + connect(H0, H1) + run("3s")
            + flood + run("75s"))


@seed("syncookies_always")
def _():
    return (header(5) + sysctl(H1, "tcp_syncookies", MAX) + listen(H1, 80, 4) + connect(H0, H1, 80, beh("send", 2))
            + connect(H0, H1) + run("1s") + send(0, 3000) + run("1s"))


@seed("forged_cookie_ack")
def _():
    syn = inject(ANYWHERE, H1, frm=0, flags=SYN, seqmode=SEQ_RAW, seq=5000, ackmode=ACK_ZERO, mss=1460, ts=(7, 0),
                 sport=40000, dport=80, srcsel=0x80 | 99)
    ack = inject(ANYWHERE, H1, frm=0, flags=ACK, seqmode=SEQ_RAW, seq=5001, ackmode=ACK_COOKIE, mss=1300,
                 ts=(8, 0x000003a5), cookie_ts=True, payload=100, sport=40000, dport=80, srcsel=0x80 | 99)
    return header(6) + sysctl(H1, "tcp_syncookies", MAX) + listen(H1) + syn + run("20ms") + ack + run("1s")


@seed("flood_no_cookies")
def _():
    flood = burst(64, 3, 1, LISTENER, H1, 0, frm=0, flags=SYN, seqmode=SEQ_RAW, seq=77, ackmode=ACK_ZERO)
    return (header(7) + sysctl(H1, "tcp_syncookies", MIN) + sysctl(H1, "tcp_max_syn_backlog", INRANGE, 8)
            + listen(H1, 80, 15) + flood + flood + connect(H0, H1) + run("1000s"))


@seed("crash_mid_handshake")
def _():
    return (header(8, profile=1) + listen(H1) + connect(H0, H1) + run("1us") + crash(H1) + run("3s") + restart(H1)
            + run("75s") + run("200s"))


@seed("crash_client_keepalive")
def _():
    return (header(9) + listen(H1) + keepalive(0, True, "100ms", "100ms", 3, listener=True) + connect(H0, H1)
            + run("1s") + crash(H0) + run("10s") + restart(H0, "1s") + run("3s"))


@seed("rst_storm")
def _():
    storm = burst(64, 0, 1000, CONN, H1, 0, frm=0x80, flags=RST, seqmode=SEQ_RCV_NXT, seq=-32000, ackmode=ACK_ZERO)
    return (header(10) + listen(H1) + connect(H0, H1, 80, beh("send", 1)) + run("1s") + storm + run("1s")
            + storm + run("1s"))


@seed("rst_exact")
def _():
    return (header(11) + listen(H1) + connect(H0, H1) + run("1s")
            + inject(CONN, H1, 0, flags=RST, seqmode=SEQ_RCV_NXT, ackmode=ACK_ZERO) + run("1s"))


@seed("keepalive_idle")
def _():
    return (header(12) + listen(H1) + connect(H0, H1) + keepalive(0, True, "1s", "1s", 2) + run("1s")
            + run("30s") + link(0, False) + run("30s") + run("7300s"))


@seed("keepalive_default_probes")
def _():
    return (header(13) + sysctl(H0, "tcp_keepalive_time", MIN) + sysctl(H0, "tcp_keepalive_intvl", MIN)
            + listen(H1) + connect(H0, H1) + keepalive(0, True) + run("3s") + crash(H1) + run("30s"))


@seed("free_mid_run")
def _():
    return (header(14) + listen(H1) + connect(H0, H1, 80, beh("send", 15)) + run("1ms") + free()
            + header(15, hosts=3, router=True) + listen(H2) + connect(H0, H2) + connect(H1, H2) + run("100us")
            + free())


@seed("free_with_flood_in_flight")
def _():
    return (header(16, profile=1) + listen(H1, 80, 0) + burst(64, 1, 1, LISTENER, H1, frm=0, flags=SYN,
                                                            seqmode=SEQ_RAW, seq=1, ackmode=ACK_ZERO)
            + connect_at(H0, H1, 80, "500ms") + run("5ms") + free())


@seed("simultaneous_open")
def _():
    return (header(17) + connect(H0, NOBODY)
            + inject(CONN, H0, 0, frm=1, flags=SYN, seqmode=SEQ_RAW, seq=9000, ackmode=ACK_ZERO, mss=1000,
                     wscale=3, sack=True)
            + run("5ms")
            + inject(CONN, H0, 0, frm=1, flags=ACK, seqmode=SEQ_RCV_NXT, ackmode=ACK_SND_NXT) + run("1s")
            + send(0, 4000) + run("1s") + close(0) + run("1s"))


@seed("request_tiny_mss")
def _():
    # A SYN with MSS 20 from an address with no route back, then its ACK:
    # the connection is born with the peer's MSS below tcp_min_snd_mss.
    syn = inject(ANYWHERE, H1, frm=0, flags=SYN, seqmode=SEQ_RAW, seq=100, ackmode=ACK_ZERO, mss=20, ts=(1, 0),
                 sport=40001, dport=80, srcsel=0x80 | 99)
    ack = inject(REQUEST, H1, 0, frm=0, flags=ACK, seqmode=SEQ_RCV_NXT, ackmode=ACK_ISS1, ts=(2, 0))
    return header(18) + listen(H1) + syn + run("5ms") + ack + run("5ms") + holdall(H1) + send(0, 3000) + run("1s")


@seed("synack_tiny_mss")
def _():
    synack = inject(CONN, H0, 0, frm=1, flags=SYN | ACK, seqmode=SEQ_RAW, seq=123456, ackmode=ACK_SND_NXT, mss=8,
                    ts=(5, 0))
    return header(19) + connect(H0, NOBODY) + synack + run("5ms") + send(0, 2000) + run("1s")


@seed("challenge_ack_syn")
def _():
    return (header(20) + listen(H1) + connect(H0, H1) + run("1s")
            + inject(CONN, H1, 0, flags=SYN, seqmode=SEQ_RCV_NXT, seq=5, ackmode=ACK_ZERO) + run("1ms")
            + inject(CONN, H1, 0, flags=RST, seqmode=SEQ_RCV_NXT, seq=10, ackmode=ACK_ZERO) + run("1s"))


@seed("data_in_and_out_of_window")
def _():
    return (header(21) + listen(H1, 80, 8, beh(echo=True)) + connect(H0, H1) + run("1s")
            + inject(CONN, H1, 0, flags=ACK | PSH, seqmode=SEQ_RCV_NXT, ackmode=ACK_SND_NXT, payload=1000)
            + inject(CONN, H1, 0, flags=ACK | PSH, seqmode=SEQ_WND_END, seq=-10, ackmode=ACK_SND_NXT, payload=1000)
            + inject(CONN, H1, 0, flags=ACK, seqmode=SEQ_RCV_NXT, ackmode=ACK_SND_MAX, ack=5000)
            + inject(CONN, H1, 0, flags=ACK, seqmode=SEQ_RCV_NXT, ackmode=ACK_UNA_MINUS_WND, ack=-1)
            + run("1s"))


@seed("fin_injected")
def _():
    return (header(22) + listen(H1, 80, 8, beh(close_on_peer_close=True)) + connect(H0, H1) + run("1s")
            + inject(CONN, H1, 0, flags=FIN | ACK, seqmode=SEQ_RCV_NXT, ackmode=ACK_SND_NXT) + run("1s")
            + run("75s"))


@seed("time_wait_reuse")
def _():
    # The server closes first and lingers in TIME-WAIT; the client's FIN is
    # resent, then a new SYN above the old sequence space reuses the tuple.
    return (header(23) + listen(H1, 80, 8, beh("close")) + connect(H0, H1, 80, beh(close_on_peer_close=True))
            + run("1s")
            + inject(CONN, H1, 0, frm=0x80, flags=FIN | ACK, seqmode=SEQ_RCV_NXT, seq=-1, ackmode=ACK_SND_NXT)
            + run("1ms")
            + inject(CONN, H1, 0, frm=0x80, flags=SYN, seqmode=SEQ_RCV_NXT, seq=1000, ackmode=ACK_ZERO, mss=1460)
            + run("1s") + run("75s"))


@seed("accept_queue_never_then_close")
def _():
    return (header(24) + listen(H1, 80, 1) + laccept(0, "never") + connect(H0, H1) + connect(H0, H1)
            + connect(H0, H1) + connect(H0, H1) + run("3s") + lclose(0) + run("1s"))


@seed("accept_paced")
def _():
    return (header(25, hosts=4) + listen(H1, 80, 4) + laccept(0, "500ms") + connect(H0, H1) + connect(H2, H1)
            + connect(3, H1) + connect(H0, H1) + run("3s") + laccept(0, "0") + run("1s"))


@seed("sysctl_ranges")
def _():
    b = header(26)
    for name in ("tcp_syn_retries", "tcp_rmem", "somaxconn", "tcp_syncookies", "tcp_keepalive_probes"):
        for mode in range(8):
            b += sysctl(H0, name, mode, 0x80000001)
    return b + listen(H1) + connect(H0, H1) + run("1s")


@seed("link_down_retransmit")
def _():
    return (header(27) + sysctl(H0, "tcp_retries2", INRANGE, 3) + listen(H1) + connect(H0, H1) + run("1s")
            + link(0, False) + send(0, 10000) + run("1000s"))


@seed("user_timeout_link_flap")
def _():
    return (header(28) + listen(H1) + connect(H0, H1) + run("1s") + user_timeout(0, 3) + link(0, False, "1ms")
            + link(0, True, "5s") + send(0, 50000) + run("10s"))


@seed("abort_on_overflow")
def _():
    return (header(29) + sysctl(H1, "tcp_abort_on_overflow", MAX) + listen(H1, 80, 0) + laccept(0, "never")
            + connect(H0, H1) + connect(H0, H1) + connect(H0, H1) + run("10s"))


@seed("connect_at_later")
def _():
    return (header(30) + listen(H1) + connect_at(H0, H1, 80, "1s", beh("send", 4)) + run("3s") + close(0)
            + run("200s"))


@seed("mesh_many")
def _():
    b = header(31, hosts=5) + listen(4, 80, 64, beh(close_on_peer_close=True))
    for h in range(4):
        b += connect(h, 4, 80, beh("send", h + 1)) + connect(h, 4, 80, beh("close"))
    return b + run("1s") + release(0) + release(3) + abort(1) + close(2) + run("200s")


@seed("gilbert_echo")
def _():
    return (header(32, profile=3) + listen(H1, 80, 8, beh(echo=True)) + connect(H0, H1, 80, beh("send", 15, echo=True))
            + run("30s") + close(0) + run("200s"))


@seed("options_off")
def _():
    return (header(33) + sysctl(H0, "tcp_timestamps", MIN) + sysctl(H1, "tcp_sack", MIN)
            + sysctl(H1, "tcp_window_scaling", MIN) + sysctl(H1, "tcp_delayed_ack", MIN)
            + sysctl(H1, "tcp_rmem", MIN) + listen(H1) + connect(H0, H1, 80, beh("send", 15)) + run("10s"))


@seed("link_schedule_flap")
def _():
    return (header(34, hosts=3, router=True) + listen(H1) + link(0, False, "1ms") + link(0, True, "1s")
            + connect(H0, H1) + run("10s") + link(1, False) + send(0, 1) + run("3s") + link(1, True) + run("10s"))


@seed("non_tcp_and_closed_port")
def _():
    return (header(35) + inject(ANYWHERE, H1, frm=0, flags=SYN, seqmode=SEQ_RAW, seq=1, ackmode=ACK_ZERO, sport=1234,
                                dport=9999, srcsel=0, non_tcp=True)
            + inject(ANYWHERE, H1, frm=0, flags=ACK, seqmode=SEQ_RAW, seq=1, ackmode=ACK_RAW, ack=77, sport=1234,
                     dport=9999, srcsel=0)
            + run("1s"))


@seed("syn_retransmit_to_request")
def _():
    syn = inject(ANYWHERE, H1, frm=0, flags=SYN, seqmode=SEQ_RAW, seq=4242, ackmode=ACK_ZERO, sport=40002, dport=80,
                 srcsel=0x80 | 99)
    again = inject(REQUEST, H1, 0, frm=0, flags=SYN, seqmode=SEQ_IRS, seq=0, ackmode=ACK_ZERO)
    rst = inject(REQUEST, H1, 0, frm=0, flags=RST, seqmode=SEQ_RCV_NXT, ackmode=ACK_ZERO)
    return header(36) + listen(H1) + syn + run("5ms") + again + run("1s") + again + run("3s") + rst + run("200s")


@seed("close_in_syn_sent_and_abort")
def _():
    return (header(37) + connect(H0, NOBODY) + connect(H0, H1) + close(0) + run("1s") + abort(1) + run("200s"))


@seed("hold_release_churn")
def _():
    return (header(38) + listen(H1, 80, 8, beh("close")) + connect(H0, H1, 80, beh("close"))
            + connect(H0, H1, 80, beh("abort")) + run("1s") + holdall(H0) + holdall(H1) + release(0) + release(0)
            + run("200s") + release(0) + run("7300s") + stale())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"make_corpus: {len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
