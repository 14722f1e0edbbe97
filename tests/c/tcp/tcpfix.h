/* TCP test fixture: host "h" runs the TCP under test; host "peer" has no
 * TCP and is played by the test, segment by segment (send / expect), as
 * smoltcp's tests do.  A transition checker fails any state change that is
 * not an arrow of RFC 9293's state diagram. */
#ifndef SYNSIM_TCPFIX_H
#define SYNSIM_TCPFIX_H

#include <stdlib.h>
#include <string.h>

#include "net/netfix.h"
#include "synsim/error.h"
#include "synsim/tcp.h"
#include "synsim/trace.h"
#include "tcp/tcp_internal.h"
#include "testing.h"

#define TF_MAX 4096
#define TF_PEER_PORT 5000

struct tf_seg {
    ss_time at;
    ss_tcp_header tcp;
    uint32_t payload, size;
};

struct tcpfix {
    ss_sim *sim;
    ss_node *h, *peer;
    ss_link *link;
    struct tf_seg seg[TF_MAX];
    int n, next;
    ss_tcp_conn *conn;         /* h's connection under test */
    ss_tcp_listener *listener;
    uint16_t peer_port, h_port;
    uint32_t peer_seq;         /* next sequence number the peer sends */
    int established, peer_closed, closed, closed_err;
    uint64_t acked, received;
};

/* ---- the transition checker ---------------------------------------------------------- */

static int tf_bad_transitions;

static bool tf_arrow(ss_tcp_state from, ss_tcp_state to)
{
    /* RFC 9293 Figure 5, plus "-> CLOSED" from any state on RST, ABORT or a
     * timeout (3.10.5, 3.10.7.4, 3.8.3), and SYN-RECEIVED -> LISTEN on RST
     * after a passive open (3.10.7.4). */
    if (to == SS_TCP_CLOSED && from != SS_TCP_CLOSED)
        return true;
    switch (from) {
    case SS_TCP_CLOSED: return to == SS_TCP_LISTEN || to == SS_TCP_SYN_SENT;
    case SS_TCP_LISTEN: return to == SS_TCP_SYN_RECEIVED || to == SS_TCP_SYN_SENT;
    case SS_TCP_SYN_SENT: return to == SS_TCP_SYN_RECEIVED || to == SS_TCP_ESTABLISHED;
    case SS_TCP_SYN_RECEIVED:
        return to == SS_TCP_ESTABLISHED || to == SS_TCP_FIN_WAIT_1 || to == SS_TCP_LISTEN;
    case SS_TCP_ESTABLISHED: return to == SS_TCP_FIN_WAIT_1 || to == SS_TCP_CLOSE_WAIT;
    case SS_TCP_FIN_WAIT_1: return to == SS_TCP_FIN_WAIT_2 || to == SS_TCP_CLOSING;
    case SS_TCP_FIN_WAIT_2: return to == SS_TCP_TIME_WAIT;
    case SS_TCP_CLOSE_WAIT: return to == SS_TCP_LAST_ACK;
    case SS_TCP_CLOSING: return to == SS_TCP_TIME_WAIT;
    case SS_TCP_LAST_ACK: return false;
    case SS_TCP_TIME_WAIT: return false;
    default: return false;
    }
}

static inline void tf_check_transition(ss_sim *sim, uint32_t id, ss_tcp_state from, ss_tcp_state to)
{
    (void)sim;
    if (!tf_arrow(from, to)) {
        tf_bad_transitions++;
        fprintf(stderr, "\nconnection %u: %s -> %s is not an arrow of RFC 9293's diagram\n", id,
                ss_tcp_state_name(from), ss_tcp_state_name(to));
    }
}

/* Suite set-up and teardown for TCP suites: the checker is on for every
 * test, and teardown fails the suite on any bad transition or leak. */
static inline int tf_suite_setup(void)
{
    tf_bad_transitions = 0;
    tcp_transition_observer = tf_check_transition;
    return testing_setup();
}

static inline int tf_suite_teardown(void)
{
    tcp_transition_observer = NULL;
    if (tf_bad_transitions)
        return 1;
    return testing_teardown();
}

static inline void tf_add_suite(const char *name, const testing_case *cases)
{
    CU_pSuite suite = CU_add_suite(name, tf_suite_setup, tf_suite_teardown);
    for (const testing_case *c = cases; c->name; c++)
        CU_add_test(suite, c->name, c->fn);
}

/* ---- the fixture ---------------------------------------------------------------------- */

static inline void tf_capture(ss_sim *sim, ss_node *node, ss_packet *p, void *ctx)
{
    (void)node;
    struct tcpfix *f = ctx;
    if (f->n < TF_MAX)
        f->seg[f->n++] = (struct tf_seg){ss_sim_now(sim), p->tcp, p->payload, p->size};
    ss_packet_free(sim, p);
}

static inline void tf_on_established(ss_tcp_conn *c, void *ctx)
{
    struct tcpfix *f = ctx;
    f->established++;
    if (!f->conn)
        f->conn = c;
}
static inline void tf_on_acked(ss_tcp_conn *c, uint64_t bytes, void *ctx)
{
    (void)c;
    ((struct tcpfix *)ctx)->acked += bytes;
}
static inline void tf_on_received(ss_tcp_conn *c, uint64_t bytes, void *ctx)
{
    (void)c;
    ((struct tcpfix *)ctx)->received += bytes;
}
static inline void tf_on_peer_closed(ss_tcp_conn *c, void *ctx)
{
    (void)c;
    ((struct tcpfix *)ctx)->peer_closed++;
}
static inline void tf_on_closed(ss_tcp_conn *c, int err, void *ctx)
{
    (void)c;
    struct tcpfix *f = ctx;
    f->closed++;
    f->closed_err = err;
}

static const ss_tcp_callbacks tf_callbacks = {
    tf_on_established, tf_on_acked, tf_on_received, tf_on_peer_closed, tf_on_closed,
};

/* Link of 1 ms each way at 1 Gbit/s. */
static inline struct tcpfix *tf_new(void)
{
    struct tcpfix *f = calloc(1, sizeof *f);
    ss_link_config c;
    ss_link_config_default(&c);
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(7, &f->sim), 0);
    CU_ASSERT_EQUAL_FATAL(ss_host_new(f->sim, "h", 0, &f->h), 0);
    CU_ASSERT_EQUAL_FATAL(ss_host_new(f->sim, "peer", 0, &f->peer), 0);
    CU_ASSERT_EQUAL_FATAL(ss_link_new(f->sim, f->h, f->peer, &c, &f->link), 0);
    ss_node_set_receiver(f->peer, tf_capture, f);
    f->peer_port = TF_PEER_PORT;
    return f;
}

static inline void tf_free(struct tcpfix *f)
{
    ss_sim_free(f->sim);
    free(f);
}

static inline void tf_run(struct tcpfix *f, ss_time dt)
{
    ss_sim_run(f->sim, ss_sim_now(f->sim) + dt);
}

struct tf_opts {
    uint16_t mss;
    bool ws, sack, ts;
    uint8_t wscale;
    uint32_t tsval, tsecr;
};

/* The peer sends a segment to h now; it arrives 1 ms later. */
static inline void tf_send_opts(struct tcpfix *f, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t payload,
                                const struct tf_opts *o)
{
    ss_packet *p;
    CU_ASSERT_EQUAL_FATAL(ss_packet_new(f->sim, &p), 0);
    p->dst = ss_node_addr(f->h);
    p->tcp.sport = f->peer_port;
    p->tcp.dport = f->h_port;
    p->tcp.seq = seq;
    p->tcp.ack = ack;
    p->tcp.flags = flags;
    p->tcp.window = 65535;
    p->payload = payload;
    p->size = 40 + payload;
    if (o) {
        p->tcp.mss = o->mss;
        p->tcp.has_wscale = o->ws;
        p->tcp.wscale = o->wscale;
        p->tcp.sack_ok = o->sack;
        p->tcp.has_ts = o->ts;
        p->tcp.tsval = o->tsval;
        p->tcp.tsecr = o->tsecr;
    }
    ss_node_send(f->sim, f->peer, p);
}

static inline void tf_send(struct tcpfix *f, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t payload)
{
    tf_send_opts(f, flags, seq, ack, payload, NULL);
}

/* The next segment h sent must have these flags, seq and ack. */
static inline struct tf_seg *tf_expect_at(struct tcpfix *f, uint8_t flags, uint32_t seq, uint32_t ack, int line)
{
    if (f->next >= f->n) {
        CU_assertImplementation(false, (unsigned)line, "expected a segment, none was sent", __FILE__, "", CU_FALSE);
        return NULL;
    }
    struct tf_seg *s = &f->seg[f->next++];
    bool ok = s->tcp.flags == flags && s->tcp.seq == seq && ((flags & SS_TCP_ACK) == 0 || s->tcp.ack == ack);
    if (!ok)
        fprintf(stderr, "\nline %d: got flags %02x seq %u ack %u, expected flags %02x seq %u ack %u\n", line,
                s->tcp.flags, s->tcp.seq, s->tcp.ack, flags, seq, ack);
    CU_assertImplementation(ok, (unsigned)line, "segment flags/seq/ack", __FILE__, "", CU_FALSE);
    return s;
}
#define tf_expect(f, flags, seq, ack) tf_expect_at(f, flags, seq, ack, __LINE__)

static inline void tf_expect_none_at(struct tcpfix *f, int line)
{
    bool none = f->next >= f->n;
    if (!none)
        fprintf(stderr, "\nline %d: unexpected segment flags %02x seq %u ack %u\n", line, f->seg[f->next].tcp.flags,
                f->seg[f->next].tcp.seq, f->seg[f->next].tcp.ack);
    CU_assertImplementation(none, (unsigned)line, "no segment expected", __FILE__, "", CU_FALSE);
    f->next = f->n;
}
#define tf_expect_none(f) tf_expect_none_at(f, __LINE__)

static inline uint32_t tf_iss(struct tcpfix *f)
{
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    return i.iss;
}

/* h connects to the peer; the fixture learns h's port; the SYN arrives at
 * the peer and is checked.  Returns h's ISS. */
static inline uint32_t tf_connect(struct tcpfix *f)
{
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), f->peer_port, &tf_callbacks, f, &f->conn), 0);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    f->h_port = i.local_port;
    tf_run(f, 2 * SS_MSEC);
    tf_expect(f, SS_TCP_SYN, i.iss, 0);
    return i.iss;
}

/* Active open from h to the peer: SYN out, SYN-ACK (seq 1000) back, ACK
 * out: ESTABLISHED.  The peer offers `o` (NULL: no options). */
static inline uint32_t tf_open_active(struct tcpfix *f, const struct tf_opts *o)
{
    ss_tcp_info i = {.iss = tf_connect(f)};
    tf_send_opts(f, SS_TCP_SYN | SS_TCP_ACK, 1000, i.iss + 1, 0, o);
    f->peer_seq = 1001;
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, SS_TCP_ACK, i.iss + 1, 1001);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_ESTABLISHED);
    return i.iss;
}

/* Passive open on h's port 80: the peer's SYN (seq 500), h's SYN-ACK, the
 * peer's ACK: h's accepted connection is ESTABLISHED.  Returns h's ISS. */
static inline uint32_t tf_open_passive(struct tcpfix *f, const struct tf_opts *o)
{
    f->h_port = 80;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_listen(f->h, 80, 128, &tf_callbacks, f, &f->listener), 0);
    tf_send_opts(f, SS_TCP_SYN, 500, 0, 0, o);
    tf_run(f, 3 * SS_MSEC);
    struct tf_seg *synack = tf_expect(f, SS_TCP_SYN | SS_TCP_ACK, f->seg[f->next].tcp.seq, 501);
    uint32_t iss = synack ? synack->tcp.seq : 0;
    tf_send(f, SS_TCP_ACK, 501, iss + 1, 0);
    f->peer_seq = 501;
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->conn);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_ESTABLISHED);
    return iss;
}

/* Times at which h sent segments with exactly `flags`, from the trace. */
static inline int tf_sent_times(struct tcpfix *f, uint8_t flags, ss_time *out, int max)
{
    size_t n = ss_trace_count(f->sim);
    ss_trace_record *r = malloc(n * sizeof *r + 1);
    ss_trace_copy(f->sim, 0, r, n);
    int k = 0;
    for (size_t i = 0; i < n && k < max; i++)
        if (r[i].kind == SS_TRACE_SEND && r[i].node == ss_node_id(f->h) && r[i].flags == flags)
            out[k++] = r[i].time;
    free(r);
    return k;
}

#endif
