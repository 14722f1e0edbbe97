/* The RFC 9293 state machine: one test per arrow of the state diagram and
 * one per rule of segment arrival (core/src/tcp_input.c, tcp_listen.c). */
#include "tcp/tcpfix.h"

#define SYN SS_TCP_SYN
#define ACK SS_TCP_ACK
#define FIN SS_TCP_FIN
#define RST SS_TCP_RST
#define PSH SS_TCP_PSH

static const struct tf_opts all_options = {.mss = 1460, .ws = true, .wscale = 7, .sack = true, .ts = true, .tsval = 77};

/* ---- arrows ---------------------------------------------------------------------------------- */

static void test_closed_to_syn_sent(void)
{
    struct tcpfix *f = tf_new();
    CU_ASSERT_EQUAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), 80, &tf_callbacks, f, &f->conn), 0);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_SYN_SENT);
    tf_run(f, 2 * SS_MSEC);
    struct tf_seg *s = tf_expect(f, SYN, tf_iss(f), 0);
    CU_ASSERT_EQUAL(s->tcp.mss, 1460);
    CU_ASSERT_EQUAL(s->size, 60); /* MSS 4 + SACK-permitted/timestamps 12 + window scale 4 */
    tf_free(f);
}

static void test_syn_sent_to_established(void)
{
    struct tcpfix *f = tf_new();
    tf_open_active(f, &all_options);
    CU_ASSERT_EQUAL(f->established, 1);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    CU_ASSERT_EQUAL(i.irs, 1000);
    CU_ASSERT_EQUAL(i.rcv_nxt, 1001);
    CU_ASSERT_EQUAL(i.snd_una, i.iss + 1);
    /* the peer answered at 2 ms; its 40-byte SYN-ACK took 320 ns to send
     * at 1 Gbit/s and 1 ms to cross */
    CU_ASSERT_EQUAL(i.t_established - i.t_open, 3 * SS_MSEC + 320);
    tf_free(f);
}

/* Simultaneous open: SYN-SENT -> SYN-RECEIVED -> ESTABLISHED. */
static void test_syn_sent_to_syn_received_to_established(void)
{
    struct tcpfix *f = tf_new();
    ss_tcp_info i = {.iss = tf_connect(f)};
    tf_send(f, SYN, 7000, 0, 0); /* the peer's own SYN crosses ours */
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_SYN_RECEIVED);
    tf_expect(f, SYN | ACK, i.iss, 7001);
    tf_send(f, SYN | ACK, 7000, i.iss + 1, 0); /* the peer's SYN,ACK */
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_ESTABLISHED);
    CU_ASSERT_EQUAL(f->established, 1);
    tf_free(f);
}

static void test_syn_sent_to_closed_by_close_and_by_rst(void)
{
    struct tcpfix *f = tf_new();
    CU_ASSERT_EQUAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), 80, &tf_callbacks, f, &f->conn), 0);
    CU_ASSERT_EQUAL(ss_tcp_close(f->conn), 0);
    CU_ASSERT_EQUAL(f->closed, 1);
    CU_ASSERT_EQUAL(f->closed_err, 0);
    tf_run(f, 5 * SS_SEC);
    CU_ASSERT_EQUAL(f->n, 1); /* the SYN, never resent */
    /* RST,ACK acknowledging the SYN: refused */
    f->conn = NULL;
    CU_ASSERT_EQUAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), f->peer_port, &tf_callbacks, f, &f->conn), 0);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    f->h_port = i.local_port;
    tf_send(f, RST | ACK, 0, i.iss + 1, 0);
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(f->closed, 2);
    CU_ASSERT_EQUAL(f->closed_err, ECONNREFUSED);
    tf_free(f);
}

static void test_listen_to_syn_received_to_established(void)
{
    struct tcpfix *f = tf_new();
    ss_trace_enable(f->sim, SS_TRACE_ALL);
    uint32_t iss = tf_open_passive(f, &all_options);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    CU_ASSERT_EQUAL(i.iss, iss);
    CU_ASSERT_EQUAL(i.irs, 500);
    CU_ASSERT_TRUE(i.passive);
    CU_ASSERT_EQUAL(f->established, 1);
    /* the trace saw LISTEN -> SYN-RECEIVED -> ESTABLISHED for this id */
    ss_trace_record r[64];
    size_t n = ss_trace_copy(f->sim, 0, r, 64);
    int seen = 0;
    for (size_t k = 0; k < n; k++)
        if (r[k].kind == SS_TRACE_STATE && r[k].conn == i.id)
            seen = seen * 100 + r[k].old_state * 10 + r[k].new_state;
    CU_ASSERT_EQUAL(seen, (SS_TCP_LISTEN * 10 + SS_TCP_SYN_RECEIVED) * 100 + SS_TCP_SYN_RECEIVED * 10 +
                              SS_TCP_ESTABLISHED);
    uint64_t opens;
    ss_tcp_counter(f->h, "PassiveOpens", &opens);
    CU_ASSERT_EQUAL(opens, 1);
    tf_free(f);
}

/* A RST for a request returns it to LISTEN: no SYN-ACK is ever resent. */
static void test_syn_received_to_listen_on_rst(void)
{
    struct tcpfix *f = tf_new();
    f->h_port = 80;
    CU_ASSERT_EQUAL(ss_tcp_listen(f->h, 80, 16, &tf_callbacks, f, &f->listener), 0);
    tf_send(f, SYN, 500, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, SYN | ACK, f->seg[0].tcp.seq, 501);
    tf_send(f, RST, 501, 0, 0);
    tf_run(f, 100 * SS_SEC);
    tf_expect_none(f);
    CU_ASSERT_EQUAL(f->listener->syn_queue_len, 0);
    /* the listener still works */
    tf_send(f, SYN, 900, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, SYN | ACK, f->seg[1].tcp.seq, 901);
    tf_free(f);
}

static void test_syn_received_to_fin_wait_1_on_close(void)
{
    struct tcpfix *f = tf_new();
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), f->peer_port, &tf_callbacks, f, &f->conn), 0);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    f->h_port = i.local_port;
    tf_send(f, SYN, 7000, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, SYN, i.iss, 0);
    tf_expect(f, SYN | ACK, i.iss, 7001);
    CU_ASSERT_EQUAL(ss_tcp_close(f->conn), 0);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_FIN_WAIT_1);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, FIN | ACK, i.iss + 1, 7001);
    tf_free(f);
}

static void test_established_to_fin_wait_1_to_fin_wait_2_to_time_wait_to_closed(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    CU_ASSERT_EQUAL(ss_tcp_close(f->conn), 0);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_FIN_WAIT_1);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, FIN | ACK, iss + 1, 1001);
    tf_send(f, ACK, 1001, iss + 2, 0);
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_FIN_WAIT_2);
    tf_send(f, FIN | ACK, 1001, iss + 2, 0);
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_TIME_WAIT);
    tf_expect(f, ACK, iss + 2, 1002);
    CU_ASSERT_EQUAL(f->closed, 1);
    CU_ASSERT_EQUAL(f->closed_err, 0);
    ss_time entered = ss_sim_now(f->sim) - 2 * SS_MSEC;
    ss_tcp_conn_hold(f->conn);
    ss_sim_run(f->sim, entered + 60 * SS_SEC - 10 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_TIME_WAIT);
    ss_sim_run(f->sim, entered + 60 * SS_SEC + 10 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSED); /* TIME-WAIT lasted 60 s */
    ss_tcp_conn_release(f->conn);
    tf_free(f);
}

static void test_fin_wait_1_to_closing_to_time_wait(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    ss_tcp_close(f->conn);
    tf_run(f, 1 * SS_MSEC);
    tf_send(f, FIN | ACK, 1001, iss + 1, 0); /* the peer's FIN, not acking ours */
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, FIN | ACK, iss + 1, 1001);
    tf_expect(f, ACK, iss + 2, 1002);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSING);
    tf_send(f, ACK, 1002, iss + 2, 0);
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_TIME_WAIT);
    tf_free(f);
}

/* An active open, then the peer's FIN at 1001: h ACKs it and is in
 * CLOSE-WAIT.  Returns h's ISS. */
static uint32_t open_then_peer_fin(struct tcpfix *f)
{
    uint32_t iss = tf_open_active(f, NULL);
    tf_send(f, FIN | ACK, 1001, iss + 1, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1002);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSE_WAIT);
    return iss;
}

static void test_established_to_close_wait_to_last_ack_to_closed(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = open_then_peer_fin(f);
    CU_ASSERT_EQUAL(f->peer_closed, 1);
    CU_ASSERT_EQUAL(ss_tcp_close(f->conn), 0);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_LAST_ACK);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, FIN | ACK, iss + 1, 1002);
    ss_tcp_conn_hold(f->conn);
    tf_send(f, ACK, 1002, iss + 2, 0);
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSED);
    CU_ASSERT_EQUAL(f->closed, 1);
    CU_ASSERT_EQUAL(f->closed_err, 0);
    ss_tcp_conn_release(f->conn);
    tf_free(f);
}

static void test_established_to_closed_by_rst_and_by_abort(void)
{
    struct tcpfix *f = tf_new();
    tf_open_active(f, NULL);
    tf_send(f, RST, 1001, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(f->closed_err, ECONNRESET);
    uint64_t resets;
    ss_tcp_counter(f->h, "EstabResets", &resets);
    CU_ASSERT_EQUAL(resets, 1);
    tf_free(f);

    f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    CU_ASSERT_EQUAL(ss_tcp_abort(f->conn), 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, RST | ACK, iss + 1, 1001); /* Linux tcp_send_active_reset() */
    CU_ASSERT_EQUAL(f->closed_err, ECONNABORTED);
    tf_free(f);

    /* with timestamps, the reset carries them and the window, as every
     * segment of the connection does */
    f = tf_new();
    struct tf_opts o = {.mss = 1460, .ts = true, .tsval = 777, .ws = true, .wscale = 7};
    iss = tf_open_active(f, &o);
    CU_ASSERT_EQUAL(ss_tcp_abort(f->conn), 0);
    tf_run(f, 3 * SS_MSEC);
    struct tf_seg *rst = tf_expect(f, RST | ACK, iss + 1, 1001);
    CU_ASSERT_FATAL(rst != NULL);
    CU_ASSERT_TRUE(rst->tcp.has_ts);
    CU_ASSERT_EQUAL(rst->tcp.tsecr, 777);
    CU_ASSERT(rst->tcp.window > 0);
    tf_free(f);
}

static void test_orphaned_fin_wait_2_ends_after_fin_timeout(void)
{
    struct tcpfix *f = tf_new();
    CU_ASSERT_EQUAL(ss_tcp_set(f->h, "tcp_fin_timeout", 10), 0);
    uint32_t iss = tf_open_active(f, NULL);
    ss_tcp_close(f->conn);
    tf_run(f, 1 * SS_MSEC);
    tf_send(f, ACK, 1001, iss + 2, 0);
    tf_run(f, 2 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_FIN_WAIT_2);
    ss_tcp_conn_hold(f->conn);
    tf_run(f, 10 * SS_SEC - 10 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_FIN_WAIT_2);
    tf_run(f, 20 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSED);
    ss_tcp_conn_release(f->conn);
    tf_free(f);
}

/* ---- segment arrival rules (RFC 9293 3.10.7) ---------------------------------------------------- */

/* An unacceptable sequence number gets an ACK and changes nothing. */
static void test_unacceptable_sequence_gets_ack(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    tf_send(f, ACK, 1001 + 200000, iss + 1, 100); /* beyond the window */
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1001);
    CU_ASSERT_EQUAL(f->received, 0);
    tf_send(f, ACK, 900, iss + 1, 50); /* entirely old data */
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1001);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_ESTABLISHED);
    tf_free(f);
}

/* RFC 5961 3.2: RST at RCV.NXT resets; elsewhere in the window it gets a
 * challenge ACK; outside the window it is dropped silently. */
static void test_rst_validation(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    tf_send(f, RST, 1001 + 10, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1001);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_ESTABLISHED);
    tf_send(f, RST, 1001 + 10000000, 0, 0);
    tf_run(f, 600 * SS_MSEC);
    tf_expect_none(f);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_ESTABLISHED);
    uint64_t challenges;
    ss_tcp_counter(f->h, "TCPChallengeACK", &challenges);
    CU_ASSERT_EQUAL(challenges, 1);
    tf_send(f, RST, 1001, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(f->closed_err, ECONNRESET);
    tf_free(f);
}

/* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK, at
 * most one per tcp_invalid_ratelimit (500 ms). */
static void test_syn_in_synchronized_state_gets_challenge_ack(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    tf_send(f, SYN, 1001 + 5, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1001);
    tf_send(f, SYN, 123456, 0, 0); /* any sequence number, but rate limited */
    tf_run(f, 3 * SS_MSEC);
    tf_expect_none(f);
    tf_run(f, 500 * SS_MSEC);
    tf_send(f, SYN, 1001, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1001);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_ESTABLISHED);
    uint64_t n;
    ss_tcp_counter(f->h, "TCPSYNChallenge", &n);
    CU_ASSERT_EQUAL(n, 2);
    tf_free(f);
}

/* RFC 9293 3.10.7.3: in SYN-SENT an ACK outside (ISS, SND.NXT] gets
 * <SEQ=SEG.ACK><CTL=RST> and changes nothing. */
static void test_syn_sent_bad_ack_gets_rst(void)
{
    struct tcpfix *f = tf_new();
    ss_tcp_info i = {.iss = tf_connect(f)};
    tf_send(f, SYN | ACK, 1000, i.iss, 0);        /* acks ISS: not our SYN */
    tf_send(f, SYN | ACK, 1000, i.iss + 50, 0);   /* beyond SND.NXT */
    tf_send(f, RST | ACK, 0, i.iss + 50, 0);      /* a RST with a bad ACK: ignored */
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, RST, i.iss, 0);
    tf_expect(f, RST, i.iss + 50, 0);
    tf_expect_none(f);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_SYN_SENT);
    tf_free(f);
}

/* RFC 9293 3.10.7.1: no connection, no listener: RST.  A real client
 * connecting to a closed port fails with ECONNREFUSED. */
static void test_closed_port_answers_rst(void)
{
    struct tcpfix *f = tf_new();
    ss_tcp_listen(f->h, 1, 1, NULL, NULL, &f->listener); /* creates h's stack */
    f->h_port = 81;
    tf_send(f, SYN, 4000, 0, 0);
    tf_send(f, ACK, 4000, 9999, 0);
    tf_send(f, RST, 4000, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, RST | ACK, 0, 4001);
    tf_expect(f, RST, 9999, 0);
    tf_expect_none(f);
    tf_free(f);

    /* two real stacks */
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(1, &sim, &a, &b);
    ss_tcp_listen(b, 22, 1, NULL, NULL, &(ss_tcp_listener *){0});
    struct tcpfix rec = {0};
    ss_tcp_conn *conn;
    CU_ASSERT_EQUAL(ss_tcp_connect(a, ss_node_addr(b), 80, &tf_callbacks, &rec, &conn), 0);
    ss_sim_run(sim, 1 * SS_SEC);
    CU_ASSERT_EQUAL(rec.closed_err, ECONNREFUSED);
    uint64_t fails;
    ss_tcp_counter(a, "AttemptFails", &fails);
    CU_ASSERT_EQUAL(fails, 1);
    ss_sim_free(sim);
}

/* RFC 5961 5.2: an ACK for data never sent gets an ACK and is dropped. */
static void test_ack_beyond_snd_nxt_is_dropped(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    tf_send(f, ACK, 1001, iss + 1000, 20);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1001);
    CU_ASSERT_EQUAL(f->received, 0); /* its data was not taken */
    tf_free(f);
}

/* RFC 9293 3.5, Figure 8: an old duplicate SYN reaches the server first.
 * The client, in SYN-SENT with another ISS, answers the server's SYN-ACK
 * with a RST; the server returns to LISTEN; the client's real SYN then
 * makes the connection.  The old SYN never establishes anything. */
static void test_old_duplicate_syn_does_not_establish(void)
{
    ss_sim *sim;
    ss_node *client, *server;
    ss_link *link;
    ss_link_config c;
    ss_link_config_default(&c);
    c.delay = 10 * SS_MSEC;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(3, &sim), 0);
    ss_host_new(sim, "client", 0, &client);
    ss_host_new(sim, "server", 0, &server);
    ss_link_new(sim, client, server, &c, &link);
    ss_trace_enable(sim, SS_TRACE_ALL);
    struct tcpfix srv = {0}, cli = {0};
    ss_tcp_listener *l;
    ss_tcp_listen(server, 80, 8, &tf_callbacks, &srv, &l);
    /* The client's first SYN is lost (link down for 1 ms); its
     * retransmission at 1 s is the "real" SYN of the figure. */
    ss_link_set_up(sim, link, false);
    ss_tcp_conn *conn;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(client, ss_node_addr(server), 80, &tf_callbacks, &cli, &conn), 0);
    ss_link_schedule(sim, link, 1 * SS_MSEC, true);
    ss_tcp_info ci;
    ss_tcp_conn_info(conn, &ci);
    ss_sim_run(sim, 2 * SS_MSEC);
    /* the old duplicate: same 4-tuple, another sequence number */
    ss_packet *old;
    ss_packet_new(sim, &old);
    old->dst = ss_node_addr(server);
    old->tcp.sport = ci.local_port;
    old->tcp.dport = 80;
    old->tcp.seq = ci.iss - 100000;
    old->tcp.flags = SS_TCP_SYN;
    old->tcp.window = 65535;
    ss_node_send(sim, client, old);
    ss_sim_run(sim, 500 * SS_MSEC);
    /* server SYN-ACKed the old SYN; the client reset it; nothing established */
    CU_ASSERT_EQUAL(srv.established, 0);
    CU_ASSERT_EQUAL(l->syn_queue_len, 0);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(conn), SS_TCP_SYN_SENT);
    uint64_t rsts;
    ss_tcp_counter(client, "OutRsts", &rsts);
    CU_ASSERT_EQUAL(rsts, 1);
    ss_trace_record r[64];
    size_t n = ss_trace_copy(sim, 0, r, 64);
    int synack_for_old = 0, rst_from_client = 0;
    for (size_t k = 0; k < n; k++) {
        if (r[k].kind != SS_TRACE_SEND)
            continue;
        if (r[k].node == ss_node_id(server) && r[k].flags == (SS_TCP_SYN | SS_TCP_ACK) &&
            r[k].ack == ci.iss - 100000 + 1)
            synack_for_old++;
        if (r[k].node == ss_node_id(client) && r[k].flags == SS_TCP_RST && r[k].seq == ci.iss - 100000 + 1)
            rst_from_client++;
    }
    CU_ASSERT_EQUAL(synack_for_old, 1);
    CU_ASSERT_EQUAL(rst_from_client, 1);
    /* the real SYN, resent at 1 s, connects */
    ss_sim_run(sim, 2 * SS_SEC);
    CU_ASSERT_EQUAL(srv.established, 1);
    CU_ASSERT_EQUAL(cli.established, 1);
    ss_tcp_info si;
    ss_tcp_conn_info(srv.conn, &si);
    CU_ASSERT_EQUAL(si.irs, ci.iss);
    ss_sim_free(sim);
}

/* A retransmitted SYN for a pending request re-sends the SYN-ACK. */
static void test_retransmitted_syn_resends_synack(void)
{
    struct tcpfix *f = tf_new();
    f->h_port = 80;
    ss_tcp_listen(f->h, 80, 8, &tf_callbacks, f, &f->listener);
    tf_send(f, SYN, 500, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    uint32_t iss = f->seg[0].tcp.seq;
    tf_expect(f, SYN | ACK, iss, 501);
    tf_run(f, 700 * SS_MSEC);
    tf_send(f, SYN, 500, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, SYN | ACK, iss, 501);
    tf_free(f);
}

/* Data with the handshake's last ACK is delivered; a later TIME-WAIT
 * answers a retransmitted FIN and restarts its timer. */
static void test_time_wait_acks_retransmitted_fin(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    ss_tcp_close(f->conn);
    tf_run(f, 1 * SS_MSEC);
    tf_send(f, FIN | ACK, 1001, iss + 2, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, FIN | ACK, iss + 1, 1001);
    tf_expect(f, ACK, iss + 2, 1002);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_TIME_WAIT);
    ss_tcp_conn_hold(f->conn);
    tf_run(f, 30 * SS_SEC);
    tf_send(f, FIN | ACK, 1001, iss + 2, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 2, 1002);
    tf_run(f, 40 * SS_SEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_TIME_WAIT); /* restarted at 30 s */
    tf_run(f, 21 * SS_SEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSED);
    ss_tcp_conn_release(f->conn);
    tf_free(f);
}

/* Data after the application closed: Linux answers with a reset (for the
 * segment: seq = its ACK field) and counts TCPAbortOnData; the connection
 * ends with ECONNRESET. */
static void test_data_after_close_is_reset(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    CU_ASSERT_EQUAL(ss_tcp_close(f->conn), 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK | FIN, iss + 1, 1001);
    tf_send(f, ACK, 1001, iss + 2, 0); /* our FIN acknowledged: FIN-WAIT-2 */
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_FIN_WAIT_2);
    tf_send(f, ACK | SS_TCP_PSH, 1001, iss + 2, 100);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, RST, iss + 2, 0);
    tf_expect_none(f);
    CU_ASSERT_EQUAL(f->closed_err, ECONNRESET);
    uint64_t n;
    ss_tcp_counter(f->h, "TCPAbortOnData", &n);
    CU_ASSERT_EQUAL(n, 1);
    tf_free(f);

    /* a bare ACK or an old duplicate is no data: no reset */
    f = tf_new();
    iss = tf_open_active(f, NULL);
    tf_send(f, ACK | SS_TCP_PSH, 1001, iss + 1, 50);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1051);
    CU_ASSERT_EQUAL(ss_tcp_close(f->conn), 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK | FIN, iss + 1, 1051);
    tf_send(f, ACK | SS_TCP_PSH, 1001, iss + 2, 50); /* a retransmission of what we have */
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 2, 1051); /* a duplicate ACK, not a reset */
    tf_expect_none(f);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_FIN_WAIT_1);
    CU_ASSERT_EQUAL(f->closed, 0);
    tf_free(f);
}

/* Data and FIN in one segment get one ACK, covering both, as from Linux. */
static void test_data_and_fin_get_one_ack(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    tf_send(f, ACK | FIN | SS_TCP_PSH, 1001, iss + 1, 300);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1302); /* 300 bytes and the FIN */
    tf_expect_none(f);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSE_WAIT);
    tf_free(f);
}

/* Only the peer's first FIN counts.  A second FIN at RCV.NXT in CLOSE-WAIT
 * or LAST-ACK (Linux tcp_rcv_state_process() drops a segment at or after
 * RCV.NXT there) neither moves RCV.NXT nor gets an ACK; found by the
 * fuzzer (tests/fuzz/corpus/regress-closewait-second-fin). */
static void test_second_fin_after_close_wait_is_dropped(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = open_then_peer_fin(f);
    tf_send(f, FIN | ACK, 1002, iss + 1, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect_none(f);
    CU_ASSERT_EQUAL(f->conn->rcv_nxt, 1002u);
    CU_ASSERT_EQUAL(f->peer_closed, 1);
    CU_ASSERT_EQUAL(ss_tcp_close(f->conn), 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, FIN | ACK, iss + 1, 1002);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_LAST_ACK);
    tf_send(f, FIN | ACK, 1002, iss + 1, 0); /* ACKs nothing new */
    tf_run(f, 3 * SS_MSEC);
    tf_expect_none(f);
    CU_ASSERT_EQUAL(f->conn->rcv_nxt, 1002u);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_LAST_ACK);
    tf_free(f);
}

/* RFC 7323 4.3: the ACK that completes a passive open updates TS.Recent,
 * so the server's first segment echoes that ACK's TSval, not the SYN's. */
static void test_handshake_ack_updates_ts_recent(void)
{
    struct tcpfix *f = tf_new();
    f->h_port = 80;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_listen(f->h, 80, 16, &tf_callbacks, f, &f->listener), 0);
    struct tf_opts syn = {.mss = 1460, .ts = true, .tsval = 100};
    tf_send_opts(f, SYN, 500, 0, 0, &syn);
    tf_run(f, 3 * SS_MSEC);
    struct tf_seg *synack = tf_expect(f, SYN | ACK, f->seg[f->next].tcp.seq, 501);
    CU_ASSERT_FATAL(synack != NULL);
    CU_ASSERT_EQUAL(synack->tcp.tsecr, 100);
    struct tf_opts ack = {.ts = true, .tsval = 200, .tsecr = synack->tcp.tsval};
    tf_send_opts(f, ACK, 501, synack->tcp.seq + 1, 0, &ack);
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->conn);
    CU_ASSERT_EQUAL(ss_tcp_send(f->conn, 100), 0);
    tf_run(f, 3 * SS_MSEC);
    struct tf_seg *data = tf_expect(f, SS_TCP_PSH | ACK, synack->tcp.seq + 1, 501);
    CU_ASSERT_FATAL(data != NULL);
    CU_ASSERT_EQUAL(data->payload, 100);
    CU_ASSERT_EQUAL(data->tcp.tsecr, 200);
    tf_free(f);
}

/* A callback that aborts its connection and opens a new one: the new one
 * must not take over the rest of the segment being processed (it used to
 * get the aborted connection's block, and the data segment's ACK and FIN
 * were then processed as if they were the new connection's). */
static ss_tcp_conn *reconnected;
static void abort_and_reconnect(ss_tcp_conn *c, uint64_t bytes, void *ctx)
{
    (void)bytes;
    struct tcpfix *f = ctx;
    ss_tcp_abort(c);
    CU_ASSERT_EQUAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), f->peer_port, NULL, NULL, &reconnected), 0);
}

static void test_reconnect_from_a_callback_does_not_inherit_the_segment(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    ss_tcp_callbacks cb = tf_callbacks;
    cb.received = abort_and_reconnect;
    ss_tcp_conn *old = f->conn;
    /* the fixture's callbacks are per connection: swap in the aborting one */
    old->cb = cb;
    reconnected = NULL;
    tf_send(f, SS_TCP_ACK | SS_TCP_FIN | SS_TCP_PSH, 1001, iss + 1, 100);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, SS_TCP_RST | SS_TCP_ACK, iss + 1, 1101); /* the abort */
    CU_ASSERT_PTR_NOT_NULL_FATAL(reconnected);
    ss_tcp_info i;
    ss_tcp_conn_info(reconnected, &i);
    tf_expect(f, SS_TCP_SYN, i.iss, 0); /* the new connection's SYN, and nothing else */
    tf_expect_none(f);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(reconnected), SS_TCP_SYN_SENT);
    CU_ASSERT_EQUAL(i.bytes_received, 0);
    CU_ASSERT_EQUAL(i.rcv_nxt, 0);
    tf_free(f);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case arrows[] = {
        {"CLOSED -> SYN-SENT", test_closed_to_syn_sent},
        {"SYN-SENT -> ESTABLISHED", test_syn_sent_to_established},
        {"SYN-SENT -> SYN-RECEIVED -> ESTABLISHED", test_syn_sent_to_syn_received_to_established},
        {"SYN-SENT -> CLOSED (close, RST)", test_syn_sent_to_closed_by_close_and_by_rst},
        {"LISTEN -> SYN-RECEIVED -> ESTABLISHED", test_listen_to_syn_received_to_established},
        {"SYN-RECEIVED -> LISTEN on RST", test_syn_received_to_listen_on_rst},
        {"SYN-RECEIVED -> FIN-WAIT-1 on close", test_syn_received_to_fin_wait_1_on_close},
        {"ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED",
         test_established_to_fin_wait_1_to_fin_wait_2_to_time_wait_to_closed},
        {"FIN-WAIT-1 -> CLOSING -> TIME-WAIT", test_fin_wait_1_to_closing_to_time_wait},
        {"ESTABLISHED -> CLOSE-WAIT -> LAST-ACK -> CLOSED", test_established_to_close_wait_to_last_ack_to_closed},
        {"ESTABLISHED -> CLOSED (RST, abort)", test_established_to_closed_by_rst_and_by_abort},
        {"orphaned FIN-WAIT-2 -> CLOSED after tcp_fin_timeout", test_orphaned_fin_wait_2_ends_after_fin_timeout},
        {NULL, NULL},
    };
    static const testing_case rules[] = {
        {"unacceptable sequence gets an ACK", test_unacceptable_sequence_gets_ack},
        {"RST validation (RFC 5961 3.2)", test_rst_validation},
        {"SYN in a synchronized state gets a challenge ACK", test_syn_in_synchronized_state_gets_challenge_ack},
        {"SYN-SENT: bad ACK gets a RST", test_syn_sent_bad_ack_gets_rst},
        {"closed port answers RST; client gets ECONNREFUSED", test_closed_port_answers_rst},
        {"ACK beyond SND.NXT is dropped", test_ack_beyond_snd_nxt_is_dropped},
        {"old duplicate SYN does not establish", test_old_duplicate_syn_does_not_establish},
        {"retransmitted SYN re-sends the SYN-ACK", test_retransmitted_syn_resends_synack},
        {"TIME-WAIT acks a retransmitted FIN", test_time_wait_acks_retransmitted_fin},
        {"the handshake's ACK updates TS.Recent", test_handshake_ack_updates_ts_recent},
        {"data and FIN in one segment get one ACK", test_data_and_fin_get_one_ack},
        {"a second FIN after CLOSE-WAIT is dropped", test_second_fin_after_close_wait_is_dropped},
        {"data after close is reset (TCPAbortOnData)", test_data_after_close_is_reset},
        {"reconnect from a callback does not inherit the segment",
         test_reconnect_from_a_callback_does_not_inherit_the_segment},
        {NULL, NULL},
    };
    tf_add_suite("tcp state diagram", arrows);
    tf_add_suite("tcp segment arrival", rules);
    return testing_main();
}
