/* fuzz_tcp: a libFuzzer target for synsim's TCP (issue 12).
 *
 * Build (see tests/fuzz/fuzz.mk, target fuzz-build):
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -Icore/include -Icore/src \
 *         -g -O1 -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_tcp.c core/src/LAYER/FILE.c (every layer)
 *
 * The input is a program.  It drives a simulator of 2..5 hosts (full mesh,
 * or a star around one router), through the public API (listen, connect,
 * connect_at, send, close, abort, release, listener close / accept pace,
 * keepalive, user timeout, sysctls in and out of range, crash / restart,
 * link up / down now or scheduled, running for a chosen time, freeing the
 * simulator) and through TCP segments injected with the net layer's packet
 * API (fuzzer-chosen flags, seq, ack, window, MSS / wscale / SACK /
 * timestamp options, payload length), addressed to a host's listening
 * ports, to its live connections (4-tuple copied, seq/ack relative to the
 * connection's state), to its SYN-queue requests, or anywhere.  After
 * every step every invariant below is checked; a failure prints what broke
 * and abort()s, which libFuzzer reports as a crash.
 *
 * ---- invariants (each is named INV-n where it is checked) -------------------
 *  INV-1  every state change is an arrow of RFC 9293's diagram plus Linux's
 *         (any state -> CLOSED, SYN-RECEIVED -> LISTEN for a request, ...).
 *  INV-2  state changes of one connection id are consistent: `from` is the
 *         state last seen for the id; nothing follows a terminal change
 *         (-> CLOSED, request -> LISTEN); an id first seen in SYN-RECEIVED
 *         is a SYN-cookie child.
 *  INV-3  sequence space: ISS <= SND.UNA <= SND.NXT <= SND.MAX (as offsets
 *         into the connection's stream from ISS).
 *  INV-4  nothing is sent beyond what the application queued: SND.MAX <=
 *         ISS + 1 + queued bytes (+1 once a FIN is queued).
 *  INV-5  bytes_acked agrees with SND.UNA and never exceeds the bytes queued.
 *  INV-6  receive side: RCV.NXT - IRS - 1 - FIN == bytes_received (mod 2^32)
 *         once synchronized; 0 < RCV.WND <= 65535 << RCV.WSCALE; both window
 *         shifts <= 14.
 *  INV-7  effective send MSS of a synchronized connection: > 0, and the
 *         MSS before the per-segment options come out (12 bytes with
 *         timestamps) is in [48, max(min(peer's, ours), tcp_min_snd_mss)]
 *         (48: Linux's tcp_min_snd_mss floor, applied as __tcp_mtu_to_mss()
 *         applies it).
 *  INV-8  CurrEstab == connections of the host in ESTABLISHED or CLOSE-WAIT.
 *  INV-9  MIB counters never decrease (all but the gauge CurrEstab) and are
 *         ordered: OutRsts <= OutSegs, TCPSynRetrans <= RetransSegs,
 *         TCPSYNChallenge <= TCPChallengeACK, EstabResets <= ActiveOpens +
 *         PassiveOpens.
 *  INV-10 the 4-tuple tables: count matches the chains; no tuple twice in a
 *         table, none in both conns and requests; a table connection has
 *         in_table set, is not CLOSED and belongs to the stack; a request
 *         belongs to an open listener of the stack.
 *  INV-11 listener queues: syn_queue_len and `young` match the requests;
 *         accept_queue_len matches its list, each entry is marked in it,
 *         and it never exceeds backlog + 1.
 *  INV-12 a crashed host keeps no connection and no request.
 *  INV-13 timers: SYN-SENT / SYN-RECEIVED connections have the
 *         retransmission timer armed, and so has any connection with
 *         unacknowledged data; TIME-WAIT has its state timer armed; every
 *         request has its SYN-ACK timer armed.
 *  INV-14 packets: live packets == packets on links (in flight), and per
 *         link direction sent == delivered + drops + in flight.
 *  INV-15 segment accounting per host: InSegs == packets delivered to it
 *         (while only TCP was injected); of the packets it sent, those not
 *         injected by the harness number at least OutSegs and at most
 *         OutSegs + RetransSegs + simultaneous-open SYN-ACKs.
 *  INV-16 the connection table's row of a held connection shows its state.
 *  INV-17 a held connection handle: in_table iff the table finds it there;
 *         CLOSED iff not in the table (but a connect not yet started);
 *         state a valid value; refs > 0.
 *  INV-18 sysctl contract: ss_tcp_set() returns SS_ERANGE exactly for values
 *         outside the setting's range and then leaves it unchanged; an
 *         accepted value reads back.
 *  INV-19 callbacks: `established` at most once per connection and never
 *         after `closed`; `closed` at most once, with an errno the API
 *         documents.
 *  INV-20 the simulator has no sticky error (ss_sim_error() == 0) and API
 *         calls return 0 or a documented SS_E* code.
 *  INV-21 after ss_sim_free(), ss_alloc_outstanding() == 0.
 *  INV-22 handles: the ss_tcp_handle of a released connection resolves to
 *         it while it lives and to NULL once its slot is freed; calls
 *         through a freed connection pointer return SS_ESTALE and hold /
 *         release leave the slot freed.
 *
 * ---- input encoding ---------------------------------------------------------
 * Bytes are read in order; reading past the end yields 0.  A simulation is
 * a header followed by steps; step FREE ends it, and any bytes left start
 * a new simulation with a new header.
 *
 * header: seed:u8 topo:u8
 *   topo bits 0-1: hosts - 2 (2..5); bit 2: a router in the middle (star),
 *   else a full mesh of links; bits 3-4: link profile (0: 1 Gb/s 1 ms,
 *   1: 10 Mb/s 10 ms queue 20, 2: 1% Bernoulli loss 5 ms, 3: Gilbert-
 *   Elliott); bit 5: MTU 576 on the first link; bit 6: recording off.
 *
 * step: op:u8 (taken modulo OP_COUNT), then its arguments:
 *   0 LISTEN       host:u8 port:u8 backlog:u8 behaviour:u8
 *   1 CONNECT      host:u8 dst:u8 port:u8 behaviour:u8
 *   2 CONNECT_AT   host:u8 dst:u8 port:u8 delay:u8 behaviour:u8
 *   3 SEND         slot:u8 bytes:u16 (x 16 when bit 15 set... see send_bytes())
 *   4 CLOSE        slot:u8
 *   5 ABORT        slot:u8
 *   6 RELEASE      slot:u8            (drop the harness's hold)
 *   7 LCLOSE       listener:u8
 *   8 LACCEPT      listener:u8 pace:u8
 *   9 KEEPALIVE    target:u8 on:u8 idle:u8 intvl:u8 count:u8
 *                  (target bit 7: a listener, else a connection slot)
 *  10 USERTIMEOUT  target:u8 timeout:u8
 *  11 SYSCTL       host:u8 setting:u8 mode:u8 value:u32
 *                  mode%8: min, max, default, min-1, max+1, in range
 *                  (min + value % span), raw (int32 value), INT64 extremes
 *  12 CRASH        host:u8 delay:u8
 *  13 RESTART      host:u8 delay:u8
 *  14 LINK         link:u8 up:u8 delay:u8  (delay 0: ss_link_set_up now)
 *  15 RUN          duration:u8            (index into run_table)
 *  16 INJECT       segment
 *  17 BURST        count:u8 sport_step:u8 seq_step:u16 segment
 *                  (count%64+1 copies, sport and seq stepping: a flood)
 *  18 FREE         (ss_sim_free now; leftover bytes: a new simulation)
 *  19 HOLDALL      (hold every connection of a host) host:u8
 *  20 STALE        (send / close / abort / hold / release through the
 *                  pointers of released connections whose slot is free)
 *
 * segment: target:u8 pick:u8 from:u8 flags:u8 seqmode:u8 [seq] ackmode:u8
 *          [ack] window:u16 opts:u8 [mss:u16] [wscale:u8] [tsval:u32
 *          tsecr:u32] payload:u16
 *   target%4: 0 a listener of host pick, 1 a connection of host pick (the
 *   pick byte's high bits choose which), 2 a request of host pick, 3
 *   anything: then pick chooses the destination host and four more bytes
 *   follow (sport:u16 dport:u16) and the source is a host or random.
 *   from bit 7: send from the node owning the spoofed source, else from
 *   node from%nodes.  seqmode%6: raw u32; RCV.NXT+d; RCV.NXT+RCV.WND+d;
 *   IRS+d; RCV.NXT-1; raw 0 (d: int16 read after the mode).  ackmode%8:
 *   raw u32; SND.UNA+d; SND.NXT+d; SND.MAX+d; ISS+1+d; SND.UNA-MAX.SND.WND+d;
 *   a valid SYN cookie for this tuple and seq; 0.  opts bit 0: MSS, bit 1:
 *   wscale, bit 2: SACK-permitted, bit 3: timestamps (bit 4: tsecr forged
 *   as a cookie's, bit 5: tsval = TS.Recent), bit 7: not TCP (protocol 17).
 *
 * behaviour:u8 of a connect / listen: bits 0-1 on established (nothing,
 *   send (bits 4-7)*1000+1 bytes, close, abort); bit 2: close on
 *   peer_closed; bit 3: echo what is received (up to 64 kB per connection).
 *
 * Inputs that once found a defect are kept in tests/fuzz/corpus/ under
 * the name regress-* (tests/fuzz/README.md) and replayed with the seeds by
 * `make test`.  FUZZ_VERBOSE=1 prints each step, each
 * injected segment and each state change. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_internal.h"
#include "sim/sim_internal.h"
#include "synsim/error.h"
#include "synsim/net.h"
#include "synsim/sim.h"
#include "synsim/tcp.h"
#include "tcp/tcp_internal.h"

/* ==== limits ================================================================ */

#define MAX_HOSTS 5
#define MAX_NODES (MAX_HOSTS + 1)
#define MAX_LINKS 16
#define MAX_HELD 48
#define MAX_LISTENERS 16
#define MAX_IDS (1u << 16)
#define EVENT_BUDGET 30000 /* events per simulation; RUN is a no-op after */
#define ECHO_LIMIT 65536
#define MAX_HANDLES 32

/* ==== the input ============================================================= */

struct reader {
    const uint8_t *p;
    size_t n, i;
};

static uint8_t u8(struct reader *r) { return r->i < r->n ? r->p[r->i++] : 0; }
static uint16_t u16(struct reader *r)
{
    uint16_t hi = u8(r);
    return (uint16_t)(hi << 8 | u8(r));
}
static uint32_t u32(struct reader *r)
{
    uint32_t hi = u16(r);
    return hi << 16 | u16(r);
}
static bool at_end(const struct reader *r) { return r->i >= r->n; }

/* ==== harness state ========================================================= */

struct idinfo {
    uint8_t seen;  /* a transition was observed */
    uint8_t state; /* last state seen */
    uint8_t terminal;
    uint8_t established, closed; /* callbacks delivered */
    uint8_t born_synrecv;        /* first seen leaving SYN-RECEIVED: must be a cookie child */
};

static struct {
    ss_sim *sim;
    int nhosts, nnodes, nlinks;
    ss_node *node[MAX_NODES]; /* hosts first, then the router */
    ss_link *link[MAX_LINKS];
    ss_tcp_conn *held[MAX_HELD];
    int nheld;
    ss_tcp_listener *lis[MAX_LISTENERS];
    int nlis;
    struct idinfo *ids; /* by connection id */
    uint64_t injected_from[MAX_NODES];
    struct tcp_counters prev[MAX_HOSTS];
    bool non_tcp; /* a non-TCP packet was injected in this simulation */
    uint64_t events_at_start;
    uint64_t simopen[MAX_NODES];   /* SYN-SENT -> SYN-RECEIVED: each sends one SYN-ACK */
    uint32_t max_floor[MAX_NODES]; /* highest tcp_min_snd_mss a host had */
    ss_tcp_handle handles[MAX_HANDLES]; /* of released connections */
    int nhandles;
    const char *step; /* for messages */
} G;

static uint64_t total_inputs, total_injected, total_steps;
static bool verbose; /* FUZZ_VERBOSE=1: print steps and transitions (to read a seed) */

#define FAIL(...)                                                                                                     \
    do {                                                                                                              \
        fprintf(stderr, "\nfuzz_tcp: invariant failed at step '%s', t=%lld ns: ", G.step ? G.step : "?",             \
                G.sim ? (long long)ss_sim_now(G.sim) : -1LL);                                                         \
        fprintf(stderr, __VA_ARGS__);                                                                                 \
        fprintf(stderr, "\n");                                                                                        \
        abort();                                                                                                      \
    } while (0)

#define CHECK(cond, ...)                                                                                              \
    do {                                                                                                              \
        if (!(cond))                                                                                                  \
            FAIL(__VA_ARGS__);                                                                                        \
    } while (0)

static struct tcp_stack *stack_of(int host) { return tcp_stack_peek(G.node[host]); }

/* INV-20: 0 or a documented code. */
static int api(int rc, const char *what)
{
    CHECK(rc == 0 || (rc < 0 && rc > -SS_ERROR_COUNT), "INV-20 %s returned %d", what, rc);
    CHECK(rc != SS_ENOMEM, "INV-20 %s ran out of memory", what);
    return rc;
}

/* ==== connection ids: transitions and callbacks ============================= */

static struct idinfo *idinfo(uint32_t id) { return G.ids && id < MAX_IDS ? &G.ids[id] : NULL; }

/* INV-1: RFC 9293 Figure 5 and 3.10, plus Linux's. */
static bool legal_arrow(ss_tcp_state from, ss_tcp_state to)
{
    if (to == SS_TCP_CLOSED)
        return from != SS_TCP_CLOSED; /* RST, ABORT, timeouts, TIME-WAIT end, crash */
    switch (from) {
    case SS_TCP_CLOSED: return to == SS_TCP_SYN_SENT;          /* active OPEN (connect) */
    case SS_TCP_LISTEN: return to == SS_TCP_SYN_RECEIVED;      /* a SYN makes a request */
    case SS_TCP_SYN_SENT: return to == SS_TCP_ESTABLISHED || to == SS_TCP_SYN_RECEIVED;
    case SS_TCP_SYN_RECEIVED:
        return to == SS_TCP_ESTABLISHED || to == SS_TCP_FIN_WAIT_1 || to == SS_TCP_LISTEN;
    case SS_TCP_ESTABLISHED: return to == SS_TCP_FIN_WAIT_1 || to == SS_TCP_CLOSE_WAIT;
    case SS_TCP_FIN_WAIT_1:
        return to == SS_TCP_FIN_WAIT_2 || to == SS_TCP_CLOSING || to == SS_TCP_TIME_WAIT;
    case SS_TCP_FIN_WAIT_2: return to == SS_TCP_TIME_WAIT;
    case SS_TCP_CLOSE_WAIT: return to == SS_TCP_LAST_ACK;
    case SS_TCP_CLOSING: return to == SS_TCP_TIME_WAIT;
    default: return false; /* LAST-ACK, TIME-WAIT: only to CLOSED */
    }
}

static ss_tcp_conn *find_conn_by_id(uint32_t id)
{
    for (int h = 0; h < G.nhosts; h++) {
        struct tcp_stack *s = stack_of(h);
        for (size_t b = 0; s && b < s->conns.size; b++)
            for (struct tcp_hnode *n = s->conns.buckets[b]; n; n = n->next)
                if (conn_of(n)->id == id)
                    return conn_of(n);
    }
    return NULL;
}

static void observe(ss_sim *sim, uint32_t id, ss_tcp_state from, ss_tcp_state to)
{
    if (sim != G.sim)
        return;
    /* INV-1 */
    CHECK(from < SS_TCP_STATE_COUNT && to < SS_TCP_STATE_COUNT, "INV-1 conn %u: state out of range %d -> %d", id,
          from, to);
    CHECK(legal_arrow(from, to), "INV-1 conn %u: %s -> %s is not a legal transition", id, ss_tcp_state_name(from),
          ss_tcp_state_name(to));
    if (verbose)
        fprintf(stderr, "  t=%lld conn %u: %s -> %s\n", (long long)ss_sim_now(sim), id, ss_tcp_state_name(from),
                ss_tcp_state_name(to));
    struct idinfo *in = idinfo(id);
    if (!in)
        return;
    /* INV-2 */
    CHECK(!in->terminal, "INV-2 conn %u: %s -> %s after its terminal transition", id, ss_tcp_state_name(from),
          ss_tcp_state_name(to));
    if (in->seen) {
        CHECK(in->state == from, "INV-2 conn %u: transition from %s but it was last seen in %s", id,
              ss_tcp_state_name(from), ss_tcp_state_name(in->state));
    } else if (from == SS_TCP_SYN_RECEIVED) {
        /* A cookie child: child_new() enters ESTABLISHED before the
         * caller marks it as a cookie's; check_stack() checks the mark. */
        ss_tcp_conn *c = find_conn_by_id(id);
        CHECK(c && c->passive && to == SS_TCP_ESTABLISHED,
              "INV-2 conn %u: first seen leaving SYN-RECEIVED, not a passive child", id);
        in->born_synrecv = 1;
    } else {
        CHECK(from == SS_TCP_CLOSED || from == SS_TCP_LISTEN, "INV-2 conn %u: first seen in %s", id,
              ss_tcp_state_name(from));
    }
    if (from == SS_TCP_SYN_SENT && to == SS_TCP_SYN_RECEIVED) {
        ss_tcp_conn *c = find_conn_by_id(id);
        CHECK(c, "INV-2 conn %u: simultaneous open of a connection in no table", id);
        G.simopen[c->stack->node->id]++;
    }
    in->seen = 1;
    in->state = (uint8_t)to;
    if (to == SS_TCP_CLOSED || (from == SS_TCP_SYN_RECEIVED && to == SS_TCP_LISTEN))
        in->terminal = 1;
}

/* ==== holding connections =================================================== */

static int held_index(const ss_tcp_conn *c)
{
    for (int i = 0; i < G.nheld; i++)
        if (G.held[i] == c)
            return i;
    return -1;
}

static void hold(ss_tcp_conn *c)
{
    if (!c || held_index(c) >= 0 || G.nheld >= MAX_HELD)
        return;
    ss_tcp_conn_hold(c);
    G.held[G.nheld++] = c;
}

static ss_tcp_conn *slot(uint8_t b) { return G.nheld ? G.held[b % G.nheld] : NULL; }

static void release_slot(uint8_t b)
{
    if (!G.nheld)
        return;
    int i = b % G.nheld;
    ss_tcp_conn *c = G.held[i];
    G.held[i] = G.held[--G.nheld];
    if (G.nhandles < MAX_HANDLES)
        G.handles[G.nhandles++] = ss_tcp_handle_of(c);
    ss_tcp_conn_release(c);
}

/* ==== callbacks ============================================================= */

static uint64_t send_bytes(uint8_t beh) { return (uint64_t)(beh >> 4) * 1000 + 1; }

static void cb_established(ss_tcp_conn *c, void *ctx)
{
    uint8_t beh = (uint8_t)(uintptr_t)ctx;
    struct idinfo *in = idinfo(c->id);
    if (in) {
        /* INV-19 */
        CHECK(!in->established, "INV-19 conn %u: established twice", c->id);
        CHECK(!in->closed, "INV-19 conn %u: established after closed", c->id);
        in->established = 1;
    }
    hold(c);
    switch (beh & 3) {
    case 1: api(ss_tcp_send(c, send_bytes(beh)), "send(cb)"); break;
    case 2: api(ss_tcp_close(c), "close(cb)"); break;
    case 3: api(ss_tcp_abort(c), "abort(cb)"); break;
    default: break;
    }
}

static void cb_acked(ss_tcp_conn *c, uint64_t bytes, void *ctx)
{
    (void)ctx;
    CHECK(bytes > 0 && c->bytes_acked <= c->app_queued, "INV-5 conn %u: acked callback %llu bytes, %llu of %llu",
          c->id, (unsigned long long)bytes, (unsigned long long)c->bytes_acked, (unsigned long long)c->app_queued);
}

static void cb_received(ss_tcp_conn *c, uint64_t bytes, void *ctx)
{
    uint8_t beh = (uint8_t)(uintptr_t)ctx;
    if ((beh & 8) && c->bytes_received <= ECHO_LIMIT && c->state != SS_TCP_CLOSED)
        (void)api(ss_tcp_send(c, bytes), "send(echo)");
}

static void cb_peer_closed(ss_tcp_conn *c, void *ctx)
{
    uint8_t beh = (uint8_t)(uintptr_t)ctx;
    if (beh & 4)
        api(ss_tcp_close(c), "close(peer_closed)");
}

static void cb_closed(ss_tcp_conn *c, int err, void *ctx)
{
    (void)ctx;
    struct idinfo *in = idinfo(c->id);
    if (in) {
        CHECK(!in->closed, "INV-19 conn %u: closed twice", c->id);
        in->closed = 1;
    }
    CHECK(err == 0 || err == ETIMEDOUT || err == ECONNREFUSED || err == ECONNRESET || err == ECONNABORTED ||
              err == EPIPE || err == EHOSTDOWN || err == EADDRNOTAVAIL,
          "INV-19 conn %u: closed with undocumented errno %d", c->id, err);
}

static const ss_tcp_callbacks callbacks = {cb_established, cb_acked, cb_received, cb_peer_closed, cb_closed};

/* ==== invariants ============================================================ */

static bool synchronized(ss_tcp_state s) { return s >= SS_TCP_ESTABLISHED && s <= SS_TCP_TIME_WAIT; }

static void check_conn(const ss_tcp_conn *c)
{
    uint32_t id = c->id;
    const char *st = ss_tcp_state_name(c->state);
    /* INV-3..5 in stream offsets from ISS (the SYN is offset 0, the data
     * 1..queued, the FIN queued + 1): exact where a modular comparison is
     * not, since the stream may span 2^31 + 2 sequence numbers (ss_tcp_send
     * takes up to 2^31 bytes). */
    uint64_t una = (uint32_t)(c->snd_una - c->iss), nxt = (uint32_t)(c->snd_nxt - c->iss);
    uint64_t max = (uint32_t)(c->snd_max - c->iss);
    /* INV-3 */
    CHECK(una <= nxt && nxt <= max, "INV-3 conn %u (%s): SND.UNA %u SND.NXT %u SND.MAX %u out of order (ISS %u)", id,
          st, c->snd_una, c->snd_nxt, c->snd_max, c->iss);
    /* INV-4 */
    CHECK(max <= 1 + c->app_queued + (c->fin_queued ? 1 : 0),
          "INV-4 conn %u (%s): SND.MAX at stream offset %llu beyond the queued data's end (queued %llu, FIN %d)", id,
          st, (unsigned long long)max, (unsigned long long)c->app_queued, c->fin_queued);
    /* INV-5 */
    CHECK(c->bytes_acked <= c->app_queued, "INV-5 conn %u (%s): %llu bytes acked of %llu queued", id, st,
          (unsigned long long)c->bytes_acked, (unsigned long long)c->app_queued);
    if (una >= 1) {
        uint64_t acked = una - 1 < c->app_queued ? una - 1 : c->app_queued;
        CHECK(c->bytes_acked == acked, "INV-5 conn %u (%s): bytes_acked %llu but SND.UNA - ISS - 1 = %llu", id, st,
              (unsigned long long)c->bytes_acked, (unsigned long long)(una - 1));
    }
    /* INV-6 */
    CHECK(c->snd_wscale <= 14 && c->rcv_wscale <= 14, "INV-6 conn %u: window shifts %u/%u", id, c->snd_wscale,
          c->rcv_wscale);
    CHECK(c->rcv_wnd > 0, "INV-6 conn %u (%s): zero receive window", id, st);
    if (synchronized(c->state) || c->state == SS_TCP_SYN_RECEIVED) {
        CHECK(c->rcv_wnd <= (65535u << c->rcv_wscale), "INV-6 conn %u (%s): RCV.WND %u > 65535 << %u", id, st,
              c->rcv_wnd, c->rcv_wscale);
        uint32_t got = c->rcv_nxt - c->irs - 1 - (c->fin_received ? 1 : 0);
        CHECK(got == (uint32_t)c->bytes_received,
              "INV-6 conn %u (%s): RCV.NXT %u - IRS %u - 1 - FIN %d = %u but %llu bytes received (passive %d)", id, st,
              c->rcv_nxt, c->irs, c->fin_received, got, (unsigned long long)c->bytes_received, c->passive);
        /* INV-7: as Linux __tcp_mtu_to_mss(), the floor applies to the MSS
         * before the per-segment options (timestamps: 12 bytes) come out of
         * it, so with timestamps the payload per segment may be 36. */
        uint32_t opt = c->ts_ok ? 12 : 0, pre = (uint32_t)c->mss + opt;
        uint32_t agreed = c->peer_mss < c->offered.mss ? c->peer_mss : c->offered.mss;
        uint32_t ceiling = agreed > G.max_floor[c->stack->node->id] ? agreed : G.max_floor[c->stack->node->id];
        CHECK(c->mss > 0 && pre >= 48 && pre <= ceiling,
              "INV-7 conn %u (%s): effective MSS %u (+%u options) outside [48, %u] (peer announced %u, ours %u)", id,
              st, c->mss, opt, ceiling, c->peer_mss, c->offered.mss);
    }
    /* INV-13 */
    if (c->state == SS_TCP_SYN_SENT || c->state == SS_TCP_SYN_RECEIVED)
        CHECK(ss_timer_armed(&c->rtx_timer), "INV-13 conn %u (%s): no retransmission timer", id, st);
    if (c->state == SS_TCP_TIME_WAIT)
        CHECK(ss_timer_armed(&c->state_timer), "INV-13 conn %u: TIME-WAIT without its timer", id);
    if (c->state >= SS_TCP_ESTABLISHED && c->state != SS_TCP_FIN_WAIT_2 && c->state != SS_TCP_TIME_WAIT &&
        c->snd_una != c->snd_max)
        CHECK(ss_timer_armed(&c->rtx_timer), "INV-13 conn %u (%s): %u bytes unacknowledged and no timer", id, st,
              c->snd_max - c->snd_una);
}

static void check_stack(int h)
{
    struct tcp_stack *s = stack_of(h);
    ss_node *node = G.node[h];
    if (!s)
        return;
    /* INV-10: conns */
    size_t n = 0, estab = 0;
    for (size_t b = 0; b < s->conns.size; b++) {
        for (struct tcp_hnode *hn = s->conns.buckets[b]; hn; hn = hn->next) {
            ss_tcp_conn *c = conn_of(hn);
            n++;
            CHECK(c->in_table && c->stack == s && c->live, "INV-10 host %d conn %u: in the table, in_table %d live %d",
                  h, c->id, c->in_table, c->live);
            CHECK(c->state > SS_TCP_LISTEN && c->state < SS_TCP_STATE_COUNT,
                  "INV-10 host %d conn %u: state %d in the table", h, c->id, c->state);
            CHECK(tcp_table_find(&s->conns, &hn->t) == hn, "INV-10 host %d conn %u: its tuple finds another entry",
                  h, c->id);
            CHECK(!tcp_table_find(&s->requests, &hn->t), "INV-10 host %d conn %u: its tuple is also a request", h,
                  c->id);
            CHECK(hn->t.laddr == node->addr, "INV-10 host %d conn %u: local address not the host's", h, c->id);
            if (c->state == SS_TCP_ESTABLISHED || c->state == SS_TCP_CLOSE_WAIT)
                estab++;
            /* INV-2 */
            struct idinfo *in = idinfo(c->id);
            CHECK(!in || !in->born_synrecv || c->cookie, "INV-2 conn %u: born in SYN-RECEIVED without a request or cookie",
                  c->id);
            check_conn(c);
        }
    }
    CHECK(n == s->conns.count, "INV-10 host %d: conns count %zu, chains hold %zu", h, s->conns.count, n);
    /* INV-8 */
    CHECK(s->counters.CurrEstab == estab, "INV-8 host %d: CurrEstab %llu, %zu connections ESTABLISHED/CLOSE-WAIT", h,
          (unsigned long long)s->counters.CurrEstab, estab);
    /* INV-10: requests */
    n = 0;
    for (size_t b = 0; b < s->requests.size; b++) {
        for (struct tcp_hnode *hn = s->requests.buckets[b]; hn; hn = hn->next) {
            struct tcp_request *r = request_of(hn);
            n++;
            CHECK(tcp_table_find(&s->requests, &hn->t) == hn, "INV-10 host %d request %u: tuple finds another", h,
                  r->id);
            CHECK(r->listener && r->listener->stack == s && !r->listener->closed,
                  "INV-10 host %d request %u: listener missing or closed", h, r->id);
            CHECK(r->listener->port == hn->t.lport, "INV-10 host %d request %u: port %u, listener's %u", h, r->id,
                  hn->t.lport, r->listener->port);
            /* INV-13 */
            CHECK(ss_timer_armed(&r->timer), "INV-13 host %d request %u: SYN-ACK timer not armed", h, r->id);
        }
    }
    CHECK(n == s->requests.count, "INV-10 host %d: requests count %zu, chains hold %zu", h, s->requests.count, n);
    /* INV-11 */
    size_t in_syn_queues = 0;
    for (ss_tcp_listener *l = s->listeners; l; l = l->next) {
        uint32_t reqs = 0, young = 0;
        for (size_t b = 0; b < s->requests.size; b++)
            for (struct tcp_hnode *hn = s->requests.buckets[b]; hn; hn = hn->next)
                if (request_of(hn)->listener == l) {
                    reqs++;
                    young += request_of(hn)->num_timeout == 0;
                }
        CHECK(l->syn_queue_len == reqs, "INV-11 host %d port %u: syn_queue_len %u, %u requests", h, l->port,
              l->syn_queue_len, reqs);
        CHECK(l->young == young, "INV-11 host %d port %u: young %u, %u requests never timed out", h, l->port,
              l->young, young);
        in_syn_queues += reqs;
        uint32_t q = 0;
        for (ss_tcp_conn *c = l->accept_head; c; c = c->accept_next) {
            q++;
            CHECK(q <= l->accept_queue_len + 1, "INV-11 host %d port %u: accept queue list longer than its length",
                  h, l->port);
            CHECK(c->in_accept_queue && c->listener == l, "INV-11 host %d port %u: conn %u in the queue unmarked", h,
                  l->port, c->id);
            CHECK(c->accept_next || l->accept_tail == c, "INV-11 host %d port %u: accept tail wrong", h, l->port);
        }
        CHECK(q == l->accept_queue_len, "INV-11 host %d port %u: accept_queue_len %u, list %u", h, l->port,
              l->accept_queue_len, q);
        CHECK(l->accept_queue_len <= (uint32_t)l->backlog + 1, "INV-11 host %d port %u: accept queue %u > backlog %d + 1",
              h, l->port, l->accept_queue_len, l->backlog);
    }
    CHECK(in_syn_queues == s->requests.count, "INV-11 host %d: %zu requests in listeners, %zu in the table", h,
          in_syn_queues, s->requests.count);
    /* INV-12 */
    if (node->down)
        CHECK(s->conns.count == 0 && s->requests.count == 0, "INV-12 host %d is down with %zu connections, %zu requests",
              h, s->conns.count, s->requests.count);
    /* INV-9 */
    const struct tcp_counters *k = &s->counters, *p = &G.prev[h];
    const uint64_t *kv = (const uint64_t *)(const void *)k, *pv = (const uint64_t *)(const void *)p;
    for (size_t i = 0; i < sizeof *k / sizeof(uint64_t); i++) {
        if (i == offsetof(struct tcp_counters, CurrEstab) / sizeof(uint64_t))
            continue;
        CHECK(kv[i] >= pv[i], "INV-9 host %d: counter %s went down %llu -> %llu", h, ss_tcp_counter_name(i),
              (unsigned long long)pv[i], (unsigned long long)kv[i]);
    }
    CHECK(k->OutRsts <= k->OutSegs && k->TCPSynRetrans <= k->RetransSegs && k->TCPSYNChallenge <= k->TCPChallengeACK &&
              k->EstabResets <= k->ActiveOpens + k->PassiveOpens,
          "INV-9 host %d: counters out of order (OutRsts %llu OutSegs %llu SynRetrans %llu RetransSegs %llu "
          "SYNChallenge %llu ChallengeACK %llu EstabResets %llu opens %llu)",
          h, (unsigned long long)k->OutRsts, (unsigned long long)k->OutSegs, (unsigned long long)k->TCPSynRetrans,
          (unsigned long long)k->RetransSegs, (unsigned long long)k->TCPSYNChallenge,
          (unsigned long long)k->TCPChallengeACK, (unsigned long long)k->EstabResets,
          (unsigned long long)(k->ActiveOpens + k->PassiveOpens));
    G.prev[h] = *k;
    /* INV-15 */
    ss_node_stats ns;
    ss_node_get_stats(node, &ns);
    if (!G.non_tcp)
        CHECK(k->InSegs == ns.received, "INV-15 host %d: InSegs %llu, delivered %llu", h,
              (unsigned long long)k->InSegs, (unsigned long long)ns.received);
    else
        CHECK(k->InSegs <= ns.received, "INV-15 host %d: InSegs %llu > delivered %llu", h,
              (unsigned long long)k->InSegs, (unsigned long long)ns.received);
    /* Segments TCP handed to the host: each counted in OutSegs once, but a
     * retransmission is counted in RetransSegs instead (Linux 6.18), a
     * request's resent SYN-ACK in both, and the SYN-ACK of a simultaneous
     * open in neither (it resends the SYN's sequence number). */
    uint64_t emitted = ns.sent - G.injected_from[h];
    CHECK(ns.sent >= G.injected_from[h] && k->OutSegs <= emitted &&
              emitted <= k->OutSegs + k->RetransSegs + G.simopen[h],
          "INV-15 host %d: sent %llu - injected %llu = %llu segments, OutSegs %llu, RetransSegs %llu, "
          "simultaneous opens %llu (dropped while down: %llu)",
          h, (unsigned long long)ns.sent, (unsigned long long)G.injected_from[h], (unsigned long long)emitted,
          (unsigned long long)k->OutSegs, (unsigned long long)k->RetransSegs, (unsigned long long)G.simopen[h],
          (unsigned long long)ns.dropped_down);
}

static void check_held(void)
{
    for (int i = 0; i < G.nheld; i++) {
        ss_tcp_conn *c = G.held[i];
        /* INV-17 */
        CHECK(c->refs > 0 && c->live, "INV-17 held conn %u has refs %d, live %d", c->id, c->refs, c->live);
        CHECK(c->state >= SS_TCP_CLOSED && c->state < SS_TCP_STATE_COUNT && c->state != SS_TCP_LISTEN,
              "INV-17 held conn %u: state %d", c->id, c->state);
        if (c->in_table)
            CHECK(tcp_table_find(&c->stack->conns, &c->h.t) == &c->h, "INV-17 held conn %u: in_table but not found",
                  c->id);
        bool pending = c->state == SS_TCP_CLOSED && !c->app_done && ss_timer_armed(&c->state_timer);
        CHECK((c->state == SS_TCP_CLOSED) == !c->in_table, "INV-17 held conn %u: state %s, in_table %d", c->id,
              ss_tcp_state_name(c->state), c->in_table);
        if (c->state == SS_TCP_CLOSED && !pending)
            CHECK(c->app_done, "INV-17 held conn %u: CLOSED, no connect pending, closed callback not delivered", c->id);
        if (c->state != SS_TCP_CLOSED && c->in_table)
            check_conn(c);
        /* INV-16 */
        if (c->record) {
            CHECK(c->record <= c->stack->part->record_count, "INV-16 conn %u: record %u of %zu", c->id, c->record,
                  c->stack->part->record_count);
            const ss_tcp_record *r = &c->stack->part->records[c->record - 1];
            CHECK(r->id == c->id && r->state == c->state, "INV-16 conn %u: record says id %u state %s, conn %s", c->id,
                  r->id, ss_tcp_state_name(r->state), ss_tcp_state_name(c->state));
        }
    }
}

/* INV-22: the handle of a released connection finds it while it lives
 * and nothing once its slot was freed; calls through the freed pointer say
 * SS_ESTALE (as long as no other connection took the slot). */
static void check_handles(bool call_through)
{
    for (int i = 0; i < G.nhandles; i++) {
        ss_tcp_handle hd = G.handles[i];
        ss_tcp_conn *c = ss_tcp_handle_get(hd);
        if (c) {
            CHECK(c == hd.conn && c->live && c->generation == hd.generation, "INV-22 handle resolves to another slot");
            continue;
        }
        CHECK(!hd.conn->live || hd.conn->generation != hd.generation,
              "INV-22 handle of a live connection (generation %u) resolves to NULL", hd.generation);
        if (call_through && !hd.conn->live) {
            CHECK(ss_tcp_send(hd.conn, 1) == SS_ESTALE && ss_tcp_close(hd.conn) == SS_ESTALE &&
                      ss_tcp_abort(hd.conn) == SS_ESTALE,
                  "INV-22 a call through a freed connection did not return SS_ESTALE");
            ss_tcp_conn_hold(hd.conn); /* no-ops on a freed slot */
            ss_tcp_conn_release(hd.conn);
            CHECK(!hd.conn->live && hd.conn->refs == 0, "INV-22 hold/release revived a freed slot");
        }
    }
}

static void check_all(void)
{
    if (!G.sim)
        return;
    /* INV-20 */
    CHECK(ss_sim_error(G.sim) == 0, "INV-20 sticky simulator error %d", ss_sim_error(G.sim));
    for (int h = 0; h < G.nhosts; h++)
        check_stack(h);
    check_held();
    check_handles(false);
    /* INV-14 */
    uint64_t flying = 0;
    for (int i = 0; i < G.nlinks; i++) {
        for (int d = 0; d < 2; d++) {
            ss_link_stats st;
            ss_link_get_stats(G.link[i], d, &st);
            CHECK(st.sent == st.delivered + st.dropped_queue + st.dropped_loss + st.dropped_down + st.dropped_mtu +
                                 st.dropped_nomem + st.in_flight,
                  "INV-14 link %d dir %d does not add up", i, d);
            flying += st.in_flight;
        }
    }
    CHECK(ss_packets_live(G.sim) == flying, "INV-14 %zu packets live, %llu on links", ss_packets_live(G.sim),
          (unsigned long long)flying);
}

/* ==== building the simulation =============================================== */

static void sim_free(void)
{
    if (!G.sim)
        return;
    G.step = "free";
    if (verbose)
        fprintf(stderr, "free after %llu events, %zu connection records\n",
                (unsigned long long)(ss_sim_events_run(G.sim) - G.events_at_start), ss_tcp_record_count(G.sim));
    for (int i = 0; i < G.nheld; i++)
        ss_tcp_conn_release(G.held[i]);
    ss_sim_free(G.sim);
    G.sim = NULL;
    free(G.ids);
    G.ids = NULL;
    /* INV-21 */
    CHECK(ss_alloc_outstanding() == 0, "INV-21 %ld allocations outstanding after ss_sim_free", ss_alloc_outstanding());
}

static void link_profile(int profile, ss_link_config *c)
{
    ss_link_config_default(c);
    switch (profile) {
    case 1:
        c->rate_bps = 10000000;
        c->delay = 10 * SS_MSEC;
        c->queue_packets = 20;
        break;
    case 2:
        c->delay = 5 * SS_MSEC;
        c->loss_model = SS_LOSS_BERNOULLI;
        c->loss = 0.01;
        break;
    case 3:
        c->delay = 2 * SS_MSEC;
        c->loss_model = SS_LOSS_GILBERT;
        c->ge_good_to_bad = 0.02;
        c->ge_bad_to_good = 0.3;
        c->ge_loss_good = 0.0;
        c->ge_loss_bad = 0.5;
        break;
    default: break;
    }
}

static void add_link(ss_node *a, ss_node *b, const ss_link_config *cfg, bool small_mtu)
{
    ss_link_config c = *cfg;
    if (small_mtu && G.nlinks == 0)
        c.mtu = 576;
    ss_link *l;
    if (api(ss_link_new(G.sim, a, b, &c, &l), "link_new") == 0)
        G.link[G.nlinks++] = l;
}

static void sim_new(struct reader *r)
{
    memset(&G, 0, sizeof G);
    CHECK(ss_alloc_outstanding() == 0, "INV-21 %ld allocations outstanding before ss_sim_new", ss_alloc_outstanding());
    uint8_t seed = u8(r), topo = u8(r);
    G.step = "new";
    if (api(ss_sim_new(seed, &G.sim), "sim_new") < 0)
        abort();
    G.ids = calloc(MAX_IDS, sizeof *G.ids);
    if (!G.ids)
        abort();
    G.nhosts = 2 + (topo & 3);
    bool router = topo & 4;
    for (int i = 0; i < G.nhosts; i++) {
        char name[8] = {'h', (char)('0' + i), 0};
        api(ss_host_new(G.sim, name, 0, &G.node[i]), "host_new");
    }
    G.nnodes = G.nhosts;
    for (int i = 0; i < MAX_NODES; i++)
        G.max_floor[i] = 48; /* tcp_min_snd_mss's default */
    ss_link_config cfg;
    link_profile((topo >> 3) & 3, &cfg);
    if (router) {
        api(ss_router_new(G.sim, "r", 0, &G.node[G.nnodes]), "router_new");
        for (int i = 0; i < G.nhosts; i++)
            add_link(G.node[i], G.node[G.nnodes], &cfg, topo & 0x20);
        G.nnodes++;
    } else {
        for (int i = 0; i < G.nhosts; i++)
            for (int j = i + 1; j < G.nhosts; j++)
                add_link(G.node[i], G.node[j], &cfg, topo & 0x20);
    }
    if (topo & 0x40)
        api(ss_tcp_set_recording(G.sim, false), "set_recording");
    /* Every host gets its stack now, so InSegs counts all it receives. */
    for (int i = 0; i < G.nhosts; i++) {
        int64_t v;
        api(ss_tcp_get(G.node[i], "tcp_syn_retries", &v), "tcp_get");
    }
    G.events_at_start = ss_sim_events_run(G.sim);
}

/* ==== steps ================================================================= */

static const uint16_t port_table[8] = {80, 443, 5000, 22, 1, 65535, 8080, 32768};
static const ss_time delay_table[8] = {0, SS_USEC, SS_MSEC, 10 * SS_MSEC, 500 * SS_MSEC, SS_SEC, 5 * SS_SEC, 100 * SS_SEC};
static const ss_time run_table[16] = {
    0, SS_USEC, 100 * SS_USEC, SS_MSEC, 5 * SS_MSEC, 20 * SS_MSEC, 100 * SS_MSEC, 300 * SS_MSEC,
    SS_SEC, 3 * SS_SEC, 10 * SS_SEC, 30 * SS_SEC, 75 * SS_SEC, 200 * SS_SEC, 1000 * SS_SEC, 7300 * SS_SEC,
};
static const ss_time ka_table[8] = {0, 100 * SS_MSEC, SS_SEC, 10 * SS_SEC, 75 * SS_SEC, 0, 2 * SS_SEC, 30 * SS_SEC};
static const ss_time uto_table[8] = {0, 0, 100 * SS_MSEC, SS_SEC, 5 * SS_SEC, 30 * SS_SEC, 120 * SS_SEC, 1000 * SS_SEC};

static ss_node *host(uint8_t b) { return G.node[b % G.nhosts]; }

static void op_listen(struct reader *r)
{
    ss_node *h = host(u8(r));
    uint16_t port = port_table[u8(r) % 8];
    uint8_t backlog = u8(r), beh = u8(r);
    int bl = backlog & 0x80 ? (backlog & 0x7f) * 64 : backlog & 0x0f; /* small, or large */
    ss_tcp_listener *l;
    if (api(ss_tcp_listen(h, port, bl, &callbacks, (void *)(uintptr_t)beh, &l), "listen") == 0 &&
        G.nlis < MAX_LISTENERS)
        G.lis[G.nlis++] = l;
}

static void op_connect(struct reader *r, bool at)
{
    ss_node *h = host(u8(r));
    uint8_t d = u8(r);
    uint32_t dst = d == 0xff ? 0x0a000063 : ss_node_addr(G.node[d % G.nnodes]); /* 0xff: nobody */
    uint16_t port = port_table[u8(r) % 8];
    ss_time when = ss_sim_now(G.sim) + (at ? delay_table[u8(r) % 8] : 0);
    uint8_t beh = u8(r);
    ss_tcp_conn *c = NULL;
    int rc = at ? ss_tcp_connect_at(h, dst, port, when, &callbacks, (void *)(uintptr_t)beh, &c)
                : ss_tcp_connect(h, dst, port, &callbacks, (void *)(uintptr_t)beh, &c);
    api(rc, "connect");
    if (rc == 0)
        hold(c);
}

static void op_sysctl(struct reader *r)
{
    ss_node *h = host(u8(r));
    size_t count = 0;
    while (ss_tcp_setting_name(count))
        count++;
    const char *name = ss_tcp_setting_name(u8(r) % count);
    uint8_t mode = u8(r);
    uint32_t raw = u32(r);
    int64_t min, max, def, before, after, v;
    api(ss_tcp_setting_range(name, &min, &max, &def), "setting_range");
    switch (mode % 8) {
    case 0: v = min; break;
    case 1: v = max; break;
    case 2: v = def; break;
    case 3: v = min - 1; break;
    case 4: v = max + 1; break;
    case 5: v = min + (int64_t)(raw % (uint64_t)(max - min + 1)); break;
    case 6: v = (int32_t)raw; break;
    default: v = raw & 1 ? INT64_MAX : INT64_MIN; break;
    }
    api(ss_tcp_get(h, name, &before), "tcp_get");
    if (strcmp(name, "tcp_min_snd_mss") == 0 && v >= min && v <= max && v > G.max_floor[ss_node_id(h)])
        G.max_floor[ss_node_id(h)] = (uint32_t)v;
    int rc = api(ss_tcp_set(h, name, v), "tcp_set");
    api(ss_tcp_get(h, name, &after), "tcp_get");
    bool in_range = v >= min && v <= max;
    /* INV-18 */
    CHECK(in_range ? rc == 0 && after == v : rc == SS_ERANGE && after == before,
          "INV-18 ss_tcp_set(%s, %lld) in [%lld, %lld]: rc %d, before %lld, after %lld", name, (long long)v,
          (long long)min, (long long)max, rc, (long long)before, (long long)after);
}

static void op_crash(struct reader *r, bool restart)
{
    int hi = u8(r) % G.nhosts;
    ss_time at = ss_sim_now(G.sim) + delay_table[u8(r) % 8];
    api(restart ? ss_node_restart(G.sim, G.node[hi], at) : ss_node_crash(G.sim, G.node[hi], at),
        restart ? "restart" : "crash");
}

static void op_link(struct reader *r)
{
    if (!G.nlinks) {
        u8(r), u8(r), u8(r);
        return;
    }
    ss_link *l = G.link[u8(r) % G.nlinks];
    bool up = u8(r) & 1;
    ss_time d = delay_table[u8(r) % 8];
    if (d == 0)
        api(ss_link_set_up(G.sim, l, up), "link_set_up");
    else
        api(ss_link_schedule(G.sim, l, ss_sim_now(G.sim) + d, up), "link_schedule");
}

static void op_run(struct reader *r)
{
    ss_time d = run_table[u8(r) % 16];
    ss_time end = ss_sim_now(G.sim) + d;
    /* In slices, so a busy simulation stops at the event budget. */
    while (ss_sim_now(G.sim) < end || d == 0) {
        if (ss_sim_events_run(G.sim) - G.events_at_start > EVENT_BUDGET)
            return;
        ss_time until = ss_sim_now(G.sim) + SS_SEC < end ? ss_sim_now(G.sim) + SS_SEC : end;
        api(ss_sim_run(G.sim, until), "run");
        if (d == 0)
            break;
    }
}

static void op_keepalive(struct reader *r)
{
    uint8_t t = u8(r), on = u8(r), idle = u8(r), intvl = u8(r), count = u8(r);
    int cnt = count & 0x80 ? (int)count : count % 10; /* >127 is refused */
    if (t & 0x80) {
        if (G.nlis)
            api(ss_tcp_listener_set_keepalive(G.lis[t % G.nlis], on & 1, ka_table[idle % 8], ka_table[intvl % 8], cnt),
                "listener_set_keepalive");
    } else if (G.nheld) {
        api(ss_tcp_set_keepalive(slot(t), on & 1, ka_table[idle % 8], ka_table[intvl % 8], cnt), "set_keepalive");
    }
}

static void op_user_timeout(struct reader *r)
{
    uint8_t t = u8(r), v = u8(r);
    ss_time to = v == 0xff ? -1 : uto_table[v % 8];
    if (t & 0x80) {
        if (G.nlis)
            api(ss_tcp_listener_set_user_timeout(G.lis[t % G.nlis], to), "listener_set_user_timeout");
    } else if (G.nheld) {
        api(ss_tcp_set_user_timeout(slot(t), to), "set_user_timeout");
    }
}

/* ---- injected segments ----------------------------------------------------- */

struct target {
    ss_node *to;
    struct tcp_stack *stack;
    ss_tcp_conn *conn;
    struct tcp_request *req;
    uint32_t src;
    uint16_t sport, dport;
};

static struct tcp_hnode *nth_entry(struct hash_table *t, uint32_t k)
{
    if (!t->count)
        return NULL;
    k %= (uint32_t)t->count;
    for (size_t b = 0; b < t->size; b++)
        for (struct tcp_hnode *h = t->buckets[b]; h; h = h->next)
            if (k-- == 0)
                return h;
    return NULL;
}

struct segspec {
    uint8_t target, pick, from, flags, seqmode, ackmode, opts, wscale;
    int16_t seqd, ackd;
    uint32_t seq, ack, tsval, tsecr;
    uint16_t window, mss, payload, sport, dport;
    uint8_t srcsel;
};

static void read_segspec(struct reader *r, struct segspec *s)
{
    memset(s, 0, sizeof *s);
    s->target = u8(r);
    s->pick = u8(r);
    if (s->target % 4 == 3) {
        s->sport = u16(r);
        s->dport = u16(r);
        s->srcsel = u8(r);
    }
    s->from = u8(r);
    s->flags = u8(r);
    s->seqmode = u8(r);
    switch (s->seqmode % 6) {
    case 0: s->seq = u32(r); break;
    case 1: case 2: case 3: s->seqd = (int16_t)u16(r); break;
    default: break;
    }
    s->ackmode = u8(r);
    switch (s->ackmode % 8) {
    case 0: s->ack = u32(r); break;
    case 6: case 7: break;
    default: s->ackd = (int16_t)u16(r); break;
    }
    s->window = u16(r);
    s->opts = u8(r);
    if (s->opts & 1)
        s->mss = u16(r);
    if (s->opts & 2)
        s->wscale = u8(r);
    if (s->opts & 8) {
        s->tsval = u32(r);
        s->tsecr = u32(r);
    }
    s->payload = u16(r);
}

static bool resolve_target(const struct segspec *s, struct target *t)
{
    memset(t, 0, sizeof *t);
    int h = (s->pick & 0x0f) % G.nhosts;
    t->to = G.node[h];
    t->stack = stack_of(h);
    uint32_t k = s->pick >> 4;
    switch (s->target % 4) {
    case 0: { /* a listener of the host; a source from another host */
        ss_tcp_listener *l = t->stack ? t->stack->listeners : NULL;
        uint32_t n = 0;
        for (ss_tcp_listener *x = l; x; x = x->next)
            n++;
        if (!n)
            return false;
        for (k %= n; k--;)
            l = l->next;
        t->dport = l->port;
        t->src = ss_node_addr(G.node[(h + 1 + s->from % (G.nnodes - 1)) % G.nnodes]);
        t->sport = (uint16_t)(1024 + (s->from * 977u + s->flags) % 60000);
        return true;
    }
    case 1: { /* a live connection of the host */
        struct tcp_hnode *e = t->stack ? nth_entry(&t->stack->conns, k) : NULL;
        if (!e)
            return false;
        t->conn = conn_of(e);
        break;
    }
    case 2: { /* a request in a SYN queue of the host */
        struct tcp_hnode *e = t->stack ? nth_entry(&t->stack->requests, k) : NULL;
        if (!e)
            return false;
        t->req = request_of(e);
        break;
    }
    default: /* anywhere */
        t->sport = s->sport;
        t->dport = s->dport;
        t->src = s->srcsel & 0x80 ? 0x0a000000u | s->srcsel : ss_node_addr(G.node[s->srcsel % G.nnodes]);
        return true;
    }
    const struct tcp_hnode *e = t->conn ? &t->conn->h : &t->req->h;
    t->src = e->t.raddr;
    t->sport = e->t.rport;
    t->dport = e->t.lport;
    return true;
}

static uint32_t opts_len(const ss_tcp_header *h)
{
    uint32_t n = (h->mss ? 4 : 0) + (h->has_ts ? 12 : h->sack_ok ? 4 : 0) + (h->has_wscale ? 4 : 0);
    return n;
}

/* Build and send one segment; false when there is nothing to aim at. */
static bool inject(const struct segspec *s, uint16_t sport_add, uint32_t seq_add)
{
    struct target t;
    if (!resolve_target(s, &t))
        return false;
    uint32_t rcv_nxt = 0, rcv_wnd = 0, irs = 0, snd_una = 0, snd_nxt = 0, snd_max = 0, iss1 = 0, maxw = 0;
    uint32_t ts_recent = 0;
    if (t.conn) {
        const ss_tcp_conn *c = t.conn;
        rcv_nxt = c->rcv_nxt, rcv_wnd = c->rcv_wnd, irs = c->irs, snd_una = c->snd_una, snd_nxt = c->snd_nxt;
        snd_max = c->snd_max, iss1 = c->iss + 1, maxw = c->max_snd_wnd, ts_recent = c->ts_recent;
    } else if (t.req) {
        rcv_nxt = t.req->irs + 1, irs = t.req->irs, rcv_wnd = 65535;
        snd_una = snd_nxt = snd_max = iss1 = t.req->iss + 1;
        ts_recent = t.req->peer.tsval;
    }
    ss_packet *p;
    if (api(ss_packet_new(G.sim, &p), "packet_new") < 0)
        return false;
    p->src = t.src;
    p->dst = ss_node_addr(t.to);
    p->tcp.sport = (uint16_t)(t.sport + sport_add);
    p->tcp.dport = t.dport;
    p->tcp.flags = s->flags & 0x3f; /* FIN SYN RST PSH ACK URG */
    switch (s->seqmode % 6) {
    case 0: p->tcp.seq = s->seq; break;
    case 1: p->tcp.seq = rcv_nxt + (uint32_t)(int32_t)s->seqd; break;
    case 2: p->tcp.seq = rcv_nxt + rcv_wnd + (uint32_t)(int32_t)s->seqd; break;
    case 3: p->tcp.seq = irs + (uint32_t)(int32_t)s->seqd; break;
    case 4: p->tcp.seq = rcv_nxt - 1; break;
    default: p->tcp.seq = 0; break;
    }
    p->tcp.seq += seq_add;
    switch (s->ackmode % 8) {
    case 0: p->tcp.ack = s->ack; break;
    case 1: p->tcp.ack = snd_una + (uint32_t)(int32_t)s->ackd; break;
    case 2: p->tcp.ack = snd_nxt + (uint32_t)(int32_t)s->ackd; break;
    case 3: p->tcp.ack = snd_max + (uint32_t)(int32_t)s->ackd; break;
    case 4: p->tcp.ack = iss1 + (uint32_t)(int32_t)s->ackd; break;
    case 5: p->tcp.ack = snd_una - maxw + (uint32_t)(int32_t)s->ackd; break;
    case 6:
        if (t.stack) { /* a SYN cookie the host would accept */
            struct tcp_tuple tu = {p->dst, p->src, p->tcp.dport, p->tcp.sport};
            uint16_t mss = s->mss ? s->mss : 1460;
            p->tcp.ack = tcp_cookie_make(t.stack, &tu, p->tcp.seq - 1, &mss) + 1;
        }
        break;
    default: p->tcp.ack = 0; break;
    }
    p->tcp.window = s->window;
    if (s->opts & 1)
        p->tcp.mss = s->mss;
    if (s->opts & 2) {
        p->tcp.has_wscale = true;
        p->tcp.wscale = s->wscale;
    }
    p->tcp.sack_ok = s->opts & 4;
    if (s->opts & 8) {
        p->tcp.has_ts = true;
        p->tcp.tsval = s->opts & 0x20 ? ts_recent + (s->tsval & 0xff) : s->tsval;
        p->tcp.tsecr = s->tsecr;
        if ((s->opts & 0x10) && t.stack) { /* the echo of a cookie SYN-ACK */
            struct tcp_tuple tu = {p->dst, p->src, p->tcp.dport, p->tcp.sport};
            struct tcp_syn_options o = {.wscale_ok = s->tsecr & 0x100, .wscale = (uint8_t)(s->tsecr & 0xf),
                                        .sack_ok = s->tsecr & 0x200, .ts_ok = true};
            p->tcp.tsecr = tcp_cookie_tsval(tcp_now_ms(t.stack) - (s->tsecr >> 24), &o) + tcp_ts_offset(t.stack, &tu);
        }
    }
    if (s->opts & 0x80) {
        p->protocol = 17;
        G.non_tcp = true;
    }
    p->payload = s->payload % 1600u + (s->payload >= 0xff00 ? 60000u : 0u);
    p->size = SS_IPV4_HEADER + SS_TCP_HEADER + opts_len(&p->tcp) + p->payload;
    /* The sender: the node owning the source address, or any node. */
    ss_node *from = NULL;
    if (s->from & 0x80)
        from = ss_node_by_addr(G.sim, p->src);
    if (!from)
        from = G.node[s->from % G.nnodes];
    for (int i = 0; i < G.nnodes; i++)
        if (G.node[i] == from && !from->down)
            G.injected_from[i]++;
    total_injected++;
    if (verbose)
        fprintf(stderr, "  inject %08x:%u -> %08x:%u flags %02x seq %u ack %u win %u mss %u len %u from node %u\n",
                p->src, p->tcp.sport, p->dst, p->tcp.dport, p->tcp.flags, p->tcp.seq, p->tcp.ack, p->tcp.window,
                p->tcp.mss, p->payload, ss_node_id(from));
    api(ss_node_send(G.sim, from, p), "node_send");
    return true;
}

static void op_inject(struct reader *r, bool burst)
{
    uint8_t count = 1, sstep = 0;
    uint16_t qstep = 0;
    if (burst) {
        count = (uint8_t)(u8(r) % 64 + 1);
        sstep = u8(r);
        qstep = u16(r);
    }
    struct segspec s;
    read_segspec(r, &s);
    for (uint32_t i = 0; i < count; i++)
        if (!inject(&s, (uint16_t)(sstep * i), qstep * i))
            break;
}

static void op_holdall(struct reader *r)
{
    struct tcp_stack *s = stack_of(u8(r) % G.nhosts);
    for (size_t b = 0; s && b < s->conns.size; b++)
        for (struct tcp_hnode *h = s->conns.buckets[b]; h; h = h->next)
            hold(conn_of(h));
}

enum {
    OP_LISTEN, OP_CONNECT, OP_CONNECT_AT, OP_SEND, OP_CLOSE, OP_ABORT, OP_RELEASE, OP_LCLOSE, OP_LACCEPT,
    OP_KEEPALIVE, OP_USERTIMEOUT, OP_SYSCTL, OP_CRASH, OP_RESTART, OP_LINK, OP_RUN, OP_INJECT, OP_BURST, OP_FREE,
    OP_HOLDALL, OP_STALE, OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
    "listen", "connect", "connect_at", "send", "close", "abort", "release", "listener_close", "listener_accept",
    "keepalive", "user_timeout", "sysctl", "crash", "restart", "link", "run", "inject", "burst", "free", "holdall", "stale",
};

/* One step; false once the simulation is freed. */
static bool step(struct reader *r)
{
    uint8_t op = u8(r) % OP_COUNT;
    G.step = op_names[op];
    total_steps++;
    if (verbose)
        fprintf(stderr, "step %s (t=%lld)\n", G.step, (long long)ss_sim_now(G.sim));
    switch (op) {
    case OP_LISTEN: op_listen(r); break;
    case OP_CONNECT: op_connect(r, false); break;
    case OP_CONNECT_AT: op_connect(r, true); break;
    case OP_SEND: {
        uint8_t b = u8(r);
        uint16_t n = u16(r);
        uint64_t bytes = n & 0x8000 ? (uint64_t)(n & 0x7fff) * 16 : n; /* up to 512 kB */
        if (n == 0xffff)
            bytes = 1ULL << 31; /* beyond half the sequence space: SS_ERANGE */
        if (G.nheld)
            api(ss_tcp_send(slot(b), bytes), "send");
        break;
    }
    case OP_CLOSE:
        if (G.nheld)
            api(ss_tcp_close(slot(u8(r))), "close");
        break;
    case OP_ABORT:
        if (G.nheld)
            api(ss_tcp_abort(slot(u8(r))), "abort");
        break;
    case OP_RELEASE: release_slot(u8(r)); break;
    case OP_LCLOSE:
        if (G.nlis)
            api(ss_tcp_listener_close(G.lis[u8(r) % G.nlis]), "listener_close");
        break;
    case OP_LACCEPT: {
        uint8_t b = u8(r), pace = u8(r);
        ss_time iv = pace == 0xff ? SS_TIME_MAX : delay_table[pace % 8];
        if (G.nlis)
            api(ss_tcp_listener_set_accept(G.lis[b % G.nlis], iv), "listener_set_accept");
        break;
    }
    case OP_KEEPALIVE: op_keepalive(r); break;
    case OP_USERTIMEOUT: op_user_timeout(r); break;
    case OP_SYSCTL: op_sysctl(r); break;
    case OP_CRASH: op_crash(r, false); break;
    case OP_RESTART: op_crash(r, true); break;
    case OP_LINK: op_link(r); break;
    case OP_RUN: op_run(r); break;
    case OP_INJECT: op_inject(r, false); break;
    case OP_BURST: op_inject(r, true); break;
    case OP_FREE: sim_free(); return false;
    case OP_HOLDALL: op_holdall(r); break;
    case OP_STALE: check_handles(true); break;
    default: break;
    }
    check_all();
    return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    tcp_transition_observer = observe;
    const char *v = getenv("FUZZ_VERBOSE");
    verbose = v && *v == '1';
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = {data, size, 0};
    total_inputs++;
    do {
        sim_new(&r);
        check_all();
        while (!at_end(&r) && step(&r))
            ;
        sim_free();
    } while (!at_end(&r));
    if ((total_inputs & (total_inputs - 1)) == 0 && total_inputs >= 1024)
        fprintf(stderr, "fuzz_tcp: %llu inputs, %llu steps, %llu injected segments\n",
                (unsigned long long)total_inputs, (unsigned long long)total_steps,
                (unsigned long long)total_injected);
    return 0;
}
