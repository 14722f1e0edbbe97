/* Full queues behave as Linux's do (core/src/tcp_listen.c). */
#include "synsim/app.h"
#include "tcp/tcpfix.h"

#define SYN SS_TCP_SYN
#define ACK SS_TCP_ACK

static uint64_t counter(ss_node *n, const char *name)
{
    uint64_t v = 0;
    ss_tcp_counter(n, name, &v);
    return v;
}

/* The hand-played peer opens `n` handshakes from ports 6000.. and
 * completes them (complete=true) or leaves them half open. */
static void peer_handshakes(struct tcpfix *f, int n, bool complete)
{
    for (int k = 0; k < n; k++) {
        f->peer_port = (uint16_t)(6000 + k);
        int before = f->n;
        tf_send(f, SYN, 100, 0, 0);
        tf_run(f, 3 * SS_MSEC);
        if (complete && f->n > before)
            tf_send(f, ACK, 101, f->seg[before].tcp.seq + 1, 0);
        tf_run(f, 3 * SS_MSEC);
    }
    f->next = f->n;
}

/* A SYN that finds the accept queue full (backlog + 1 waiting) is dropped:
 * ListenOverflows and ListenDrops. */
static void test_syn_dropped_when_accept_queue_full(void)
{
    struct tcpfix *f = tf_new();
    f->h_port = 80;
    ss_tcp_listen(f->h, 80, 2, &tf_callbacks, f, &f->listener);
    ss_tcp_listener_set_accept(f->listener, SS_TIME_MAX); /* the application never accepts */
    peer_handshakes(f, 3, true);
    ss_tcp_listener_info li;
    ss_tcp_listener_info_get(f->listener, &li);
    CU_ASSERT_EQUAL(li.accept_queue, 3);
    f->peer_port = 7000;
    tf_send(f, SYN, 100, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect_none(f);
    CU_ASSERT_EQUAL(counter(f->h, "ListenOverflows"), 1);
    CU_ASSERT_EQUAL(counter(f->h, "ListenDrops"), 1);
    /* the application starts accepting: the queue drains, SYNs get in */
    ss_tcp_listener_set_accept(f->listener, 0);
    CU_ASSERT_EQUAL(f->established, 3);
    tf_send(f, SYN, 100, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, SYN | ACK, f->seg[f->next].tcp.seq, 101);
    tf_free(f);
}

/* Three real clients whose SYNs all find room, but whose ACKs find the
 * accept queue (backlog 1: two places) full for the third. */
struct overflow {
    ss_sim *sim;
    ss_node *server, *cl[3];
    ss_tcp_listener *l;
    ss_tcp_conn *conn[3];
    struct tcpfix rec[3], srv;
};

static void overflow_setup(struct overflow *o, int64_t abort_on_overflow)
{
    *o = (struct overflow){0};
    ss_link_config c;
    ss_link_config_default(&c);
    c.delay = 10 * SS_MSEC;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(2, &o->sim), 0);
    ss_host_new(o->sim, "server", 0, &o->server);
    ss_node *r;
    ss_router_new(o->sim, "r", 0, &r);
    ss_link *l;
    ss_link_new(o->sim, o->server, r, &c, &l);
    static const char *const names[3] = {"c0", "c1", "c2"};
    for (int k = 0; k < 3; k++) {
        ss_host_new(o->sim, names[k], 0, &o->cl[k]);
        ss_link_new(o->sim, o->cl[k], r, &c, &l);
    }
    ss_tcp_set(o->server, "tcp_abort_on_overflow", abort_on_overflow);
    ss_tcp_listen(o->server, 80, 1, &tf_callbacks, &o->srv, &o->l);
    ss_tcp_listener_set_accept(o->l, SS_TIME_MAX);
    ss_trace_enable(o->sim, SS_TRACE_ALL);
    /* c0 completes at 60 ms; c1's and c2's SYNs (70, 75 ms) find room in
     * both queues; c1's ACK (110 ms) fills the accept queue, c2's (115 ms)
     * finds it full. */
    static const ss_time start[3] = {0, 50 * SS_MSEC, 55 * SS_MSEC};
    for (int k = 0; k < 3; k++) {
        CU_ASSERT_EQUAL(ss_tcp_connect_at(o->cl[k], ss_node_addr(o->server), 80, start[k], &tf_callbacks,
                                          &o->rec[k], &o->conn[k]),
                        0);
        ss_tcp_conn_hold(o->conn[k]);
    }
}

static void overflow_free(struct overflow *o)
{
    for (int k = 0; k < 3; k++)
        ss_tcp_conn_release(o->conn[k]);
    ss_sim_free(o->sim);
}

/* tcp_abort_on_overflow=0: the third client believes it is connected
 * while the server keeps resending its SYN-ACK; once the application
 * accepts, the client's answer to the next SYN-ACK completes it. */
static void test_final_ack_dropped_when_accept_queue_full(void)
{
    struct overflow o;
    overflow_setup(&o, 0);
    ss_sim_run(o.sim, 2500 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(o.conn[2]), SS_TCP_ESTABLISHED); /* the client's view */
    ss_tcp_listener_info li;
    ss_tcp_listener_info_get(o.l, &li);
    CU_ASSERT_EQUAL(li.accept_queue, 2);
    CU_ASSERT_EQUAL(li.syn_queue, 1); /* the third is still a request */
    CU_ASSERT_EQUAL(counter(o.server, "ListenOverflows"), 2); /* its ACK, and its answer to the 1 s SYN-ACK */
    CU_ASSERT_EQUAL(counter(o.server, "ListenDrops"), 2);
    CU_ASSERT_EQUAL(counter(o.server, "TCPSynRetrans"), 1);
    ss_tcp_listener_set_accept(o.l, 0);
    ss_sim_run(o.sim, 3500 * SS_MSEC); /* the SYN-ACK of 3 s finds room */
    ss_tcp_listener_info_get(o.l, &li);
    CU_ASSERT_EQUAL(li.accepted, 3);
    CU_ASSERT_EQUAL(li.syn_queue, 0);
    CU_ASSERT_EQUAL(counter(o.server, "ListenOverflows"), 2);
    overflow_free(&o);
}

/* tcp_abort_on_overflow=1: the final ACK is answered with a RST. */
static void test_final_ack_reset_with_abort_on_overflow(void)
{
    struct overflow o;
    overflow_setup(&o, 1);
    ss_sim_run(o.sim, 2 * SS_SEC);
    CU_ASSERT_EQUAL(o.rec[2].closed_err, ECONNRESET);
    CU_ASSERT_EQUAL(counter(o.server, "ListenOverflows"), 1);
    CU_ASSERT_EQUAL(counter(o.server, "TCPSynRetrans"), 0);
    ss_tcp_listener_info li;
    ss_tcp_listener_info_get(o.l, &li);
    CU_ASSERT_EQUAL(li.syn_queue, 0);
    CU_ASSERT_EQUAL(li.accept_queue, 2);
    overflow_free(&o);
}

/* SYN queue full (longer than the backlog): tcp_syncookies 0 drops the
 * SYN, 1 answers with a cookie; 2 answers every SYN with a cookie. */
static void check_syn_queue_full(int64_t cookies)
{
    struct tcpfix *f = tf_new();
    ss_tcp_set(f->h, "tcp_syncookies", cookies);
    f->h_port = 80;
    ss_tcp_listen(f->h, 80, 2, &tf_callbacks, f, &f->listener);
    peer_handshakes(f, 3, false);
    ss_tcp_listener_info li;
    ss_tcp_listener_info_get(f->listener, &li);
    CU_ASSERT_EQUAL(li.syn_queue, cookies == 2 ? 0 : 3);
    f->peer_port = 7000;
    tf_send(f, SYN, 100, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    if (cookies == 0) {
        tf_expect_none(f);
        CU_ASSERT_EQUAL(counter(f->h, "TCPReqQFullDrop"), 1);
        CU_ASSERT_EQUAL(counter(f->h, "ListenDrops"), 1);
        CU_ASSERT_EQUAL(counter(f->h, "SyncookiesSent"), 0);
    } else {
        tf_expect(f, SYN | ACK, f->seg[f->next].tcp.seq, 101);
        CU_ASSERT_EQUAL(counter(f->h, "TCPReqQFullDoCookies"), cookies == 2 ? 4 : 1);
        CU_ASSERT_EQUAL(counter(f->h, "SyncookiesSent"), cookies == 2 ? 4 : 1);
        CU_ASSERT_EQUAL(counter(f->h, "ListenDrops"), 0);
    }
    ss_tcp_listener_info_get(f->listener, &li);
    CU_ASSERT(li.syn_queue_max <= 3); /* never more than backlog + 1 */
    tf_free(f);
}

static void test_syn_queue_full_cookies_0(void) { check_syn_queue_full(0); }
static void test_syn_queue_full_cookies_1(void) { check_syn_queue_full(1); }
static void test_syn_queue_full_cookies_2(void) { check_syn_queue_full(2); }

/* Requests that already timed out get fewer retries while the queue is
 * more than half full (reqsk_timer_handler()): old requests are pruned to
 * 2 retries and dropped at 1 + 2 + 4 = 7 s instead of 63 s, until the
 * queue is no longer more than half full. */
static void drop_times(struct tcpfix *f, int *at_7s, int *at_63s)
{
    size_t n = ss_trace_count(f->sim);
    ss_trace_record *r = malloc(n * sizeof *r);
    ss_trace_copy(f->sim, 0, r, n);
    *at_7s = *at_63s = 0;
    ss_time first_syn = 1 * SS_MSEC + 320;
    for (size_t k = 0; k < n; k++) {
        if (r[k].kind != SS_TRACE_STATE || r[k].old_state != SS_TCP_SYN_RECEIVED || r[k].new_state != SS_TCP_CLOSED)
            continue;
        ss_time age = r[k].time - first_syn;
        *at_7s += age >= 7 * SS_SEC && age < 7 * SS_SEC + 10 * SS_MSEC;
        *at_63s += age >= 63 * SS_SEC && age < 63 * SS_SEC + 10 * SS_MSEC;
    }
    free(r);
}

static void check_pruning(int requests, int backlog, int expect_7s, int expect_63s)
{
    struct tcpfix *f = tf_new();
    ss_tcp_set(f->h, "tcp_syncookies", 0);
    ss_trace_enable(f->sim, SS_TRACE_ALL);
    f->h_port = 80;
    ss_tcp_listen(f->h, 80, backlog, &tf_callbacks, f, &f->listener);
    /* all SYNs at once (they arrive 1 ms later, 320 ns apart) */
    for (int k = 0; k < requests; k++) {
        f->peer_port = (uint16_t)(6000 + k);
        tf_send(f, SYN, 100, 0, 0);
    }
    ss_sim_run(f->sim, SS_TIME_MAX);
    int at_7s, at_63s;
    drop_times(f, &at_7s, &at_63s);
    CU_ASSERT_EQUAL(at_7s, expect_7s);
    CU_ASSERT_EQUAL(at_63s, expect_63s);
    tf_free(f);
}

static void test_old_requests_get_fewer_retries_when_queue_half_full(void)
{
    /* 12 of 16: the 4 oldest go at 7 s, leaving 8 (not more than half) */
    check_pruning(12, 16, 4, 8);
    /* 8 of 16 is not more than half: all keep their 5 retries */
    check_pruning(8, 16, 0, 8);
}

/* With cookies off, the last quarter of tcp_max_syn_backlog is kept for
 * peers that completed a handshake before. */
static void test_last_quarter_for_proven_peers(void)
{
    ss_sim *sim;
    ss_node *server, *known, *stranger;
    ss_link *l;
    ss_link_config c;
    ss_link_config_default(&c);
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(4, &sim), 0);
    ss_host_new(sim, "server", 0, &server);
    ss_router_new(sim, "r", 0, &(ss_node *){0});
    ss_node *r = ss_node_by_name(sim, "r");
    ss_host_new(sim, "known", 0, &known);
    ss_host_new(sim, "stranger", 0, &stranger);
    ss_link_new(sim, server, r, &c, &l);
    ss_link_new(sim, known, r, &c, &l);
    ss_link_new(sim, stranger, r, &c, &l);
    ss_tcp_set(server, "tcp_syncookies", 0);
    ss_tcp_set(server, "tcp_max_syn_backlog", 8);
    struct tcpfix srv = {0}, k = {0};
    ss_tcp_listener *lis;
    ss_tcp_listen(server, 80, 128, &tf_callbacks, &srv, &lis);
    ss_tcp_conn *conn;
    ss_tcp_connect(known, ss_node_addr(server), 80, &tf_callbacks, &k, &conn); /* proves "known" */
    ss_sim_run(sim, 1 * SS_SEC);
    CU_ASSERT_EQUAL(k.established, 1);
    /* 7 half-open requests from the stranger: 8 - len < 2 from the 7th on */
    for (int i = 0; i < 8; i++) {
        ss_packet *p;
        ss_packet_new(sim, &p);
        p->dst = ss_node_addr(server);
        p->tcp.sport = (uint16_t)(6000 + i);
        p->tcp.dport = 80;
        p->tcp.flags = SS_TCP_SYN;
        ss_node_send(sim, stranger, p);
        ss_sim_run(sim, ss_sim_now(sim) + 10 * SS_MSEC);
    }
    ss_tcp_listener_info li;
    ss_tcp_listener_info_get(lis, &li);
    CU_ASSERT_EQUAL(li.syn_queue, 7);
    CU_ASSERT_EQUAL(counter(server, "ListenDrops"), 1);
    /* the known peer still gets in */
    struct tcpfix k2 = {0};
    ss_tcp_connect(known, ss_node_addr(server), 80, &tf_callbacks, &k2, &conn);
    ss_sim_run(sim, ss_sim_now(sim) + 100 * SS_MSEC);
    CU_ASSERT_EQUAL(k2.established, 1);
    ss_sim_free(sim);
}

static uint64_t accepted(const ss_tcp_listener *l)
{
    ss_tcp_listener_info li;
    ss_tcp_listener_info_get(l, &li);
    return li.accepted;
}

/* An accept interval whose end lies past the end of time saturates there
 * (never), instead of overflowing the next accept's time: c0 is accepted
 * as it completes (60 ms), c1 and c2 wait for good. */
static void test_accept_pace_saturates_at_the_end_of_time(void)
{
    struct overflow o;
    overflow_setup(&o, 0);
    CU_ASSERT_EQUAL(ss_tcp_listener_set_accept(o.l, SS_TIME_MAX - 1), 0);
    ss_sim_run(o.sim, 10 * SS_SEC);
    CU_ASSERT_EQUAL(accepted(o.l), 1);
    CU_ASSERT_EQUAL(o.srv.established, 1);
    ss_tcp_listener_info li;
    ss_tcp_listener_info_get(o.l, &li);
    CU_ASSERT_EQUAL(li.accept_queue, 2);
    overflow_free(&o);
}

/* A new accept pace replaces the old one at once, counted from the last
 * accept: "never" (SS_TIME_MAX) cancels an accept already armed, and a
 * shorter interval brings it forward. */
static void test_new_accept_pace_retimes_an_armed_accept(void)
{
    struct overflow o;
    overflow_setup(&o, 0);
    ss_tcp_listener_set_accept(o.l, SS_SEC);
    ss_sim_run(o.sim, 500 * SS_MSEC); /* c0 taken at 60 ms; c1, c2 wait for 1.06 s */
    CU_ASSERT_EQUAL(accepted(o.l), 1);
    CU_ASSERT_EQUAL(ss_tcp_listener_set_accept(o.l, SS_TIME_MAX), 0);
    ss_sim_run(o.sim, 3 * SS_SEC);
    CU_ASSERT_EQUAL(accepted(o.l), 1); /* the accept armed for 1.06 s never came */
    CU_ASSERT_EQUAL(ss_tcp_listener_set_accept(o.l, 100 * SS_MSEC), 0);
    ss_sim_run(o.sim, 3 * SS_SEC); /* 60 ms + 100 ms is past: c1 at once */
    CU_ASSERT_EQUAL(accepted(o.l), 2);
    ss_sim_run(o.sim, 3 * SS_SEC + 99 * SS_MSEC);
    CU_ASSERT_EQUAL(accepted(o.l), 2);
    ss_sim_run(o.sim, 3 * SS_SEC + 100 * SS_MSEC); /* c2 one interval after c1 */
    CU_ASSERT_EQUAL(accepted(o.l), 3);
    overflow_free(&o);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"SYN dropped when the accept queue is full", test_syn_dropped_when_accept_queue_full},
        {"final ACK dropped when the accept queue is full", test_final_ack_dropped_when_accept_queue_full},
        {"final ACK reset with tcp_abort_on_overflow=1", test_final_ack_reset_with_abort_on_overflow},
        {"SYN queue full, tcp_syncookies=0: dropped", test_syn_queue_full_cookies_0},
        {"SYN queue full, tcp_syncookies=1: cookie", test_syn_queue_full_cookies_1},
        {"tcp_syncookies=2: always a cookie", test_syn_queue_full_cookies_2},
        {"old requests get fewer retries when the queue is half full",
         test_old_requests_get_fewer_retries_when_queue_half_full},
        {"last quarter of tcp_max_syn_backlog for proven peers", test_last_quarter_for_proven_peers},
        {"accept pace saturates at the end of time", test_accept_pace_saturates_at_the_end_of_time},
        {"a new accept pace re-times an armed accept", test_new_accept_pace_retimes_an_armed_accept},
        {NULL, NULL},
    };
    tf_add_suite("listen queues", cases);
    return testing_main();
}
