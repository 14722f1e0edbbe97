/* TCP timers as Linux runs them: SYN and SYN-ACK retransmission schedules,
 * RTO after the handshake, and the tcp_retries2 give-up (core/src/tcp_conn.c
 * and tcp_listen.c). */
#include <stdlib.h>

#include "tcp/tcpfix.h"

/* Connect to a peer that never answers; compare the SYN send times and
 * the time connect fails with ETIMEDOUT. */
static void check_syn_schedule(int64_t syn_retries, int64_t linear, const int *syn_at, int count, int fail_at)
{
    struct tcpfix *f = tf_new();
    ss_trace_enable(f->sim, SS_TRACE_ALL);
    if (syn_retries >= 0)
        CU_ASSERT_EQUAL(ss_tcp_set(f->h, "tcp_syn_retries", syn_retries), 0);
    if (linear >= 0)
        CU_ASSERT_EQUAL(ss_tcp_set(f->h, "tcp_syn_linear_timeouts", linear), 0);
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), 80, &tf_callbacks, f, &f->conn), 0);
    ss_tcp_conn_hold(f->conn);
    ss_sim_run(f->sim, SS_TIME_MAX);
    ss_time sent[64];
    int n = tf_sent_times(f, SS_TCP_SYN, sent, 64);
    CU_ASSERT_EQUAL(n, count);
    for (int i = 0; i < n && i < count; i++)
        CU_ASSERT_EQUAL(sent[i], syn_at[i] * SS_SEC);
    ss_tcp_info info;
    ss_tcp_conn_info(f->conn, &info);
    CU_ASSERT_EQUAL(f->closed_err, ETIMEDOUT);
    CU_ASSERT_EQUAL(info.t_closed, fail_at * SS_SEC);
    CU_ASSERT_EQUAL(info.syn_retransmits, (uint32_t)count - 1);
    ss_tcp_conn_release(f->conn);
    tf_free(f);
}

static void test_syn_schedule_linux_defaults(void)
{
    /* tcp_syn_retries 6 + tcp_syn_linear_timeouts 4 */
    static const int at[] = {0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67};
    check_syn_schedule(-1, -1, at, 11, 131);
}

static void test_syn_schedule_without_linear_timeouts(void)
{
    static const int at[] = {0, 1, 3, 7, 15, 31, 63};
    check_syn_schedule(-1, 0, at, 7, 127);
}

static void test_syn_schedule_three_retries(void)
{
    static const int at[] = {0, 1, 2, 3, 4, 5, 7, 11};
    check_syn_schedule(3, -1, at, 8, 19);
}

static void test_syn_schedule_one_retry_two_linear(void)
{
    static const int at[] = {0, 1, 2, 3};
    check_syn_schedule(1, 2, at, 4, 5);
}

/* The peer's SYN reaches the listener; the peer never ACKs.  SYN-ACKs go
 * at 0, 1, 3, 7, ... after it, and the request is dropped at the end. */
static void check_synack_schedule(int64_t synack_retries, const int *at, int count, int drop_at)
{
    struct tcpfix *f = tf_new();
    ss_trace_enable(f->sim, SS_TRACE_ALL);
    if (synack_retries >= 0)
        CU_ASSERT_EQUAL(ss_tcp_set(f->h, "tcp_synack_retries", synack_retries), 0);
    f->h_port = 80;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_listen(f->h, 80, 16, &tf_callbacks, f, &f->listener), 0);
    tf_send(f, SS_TCP_SYN, 500, 0, 0);
    ss_sim_run(f->sim, SS_TIME_MAX);
    ss_time sent[64];
    int n = tf_sent_times(f, SS_TCP_SYN | SS_TCP_ACK, sent, 64);
    CU_ASSERT_EQUAL(n, count);
    ss_time t0 = n ? sent[0] : 0;
    CU_ASSERT_EQUAL(t0, 1 * SS_MSEC + 320); /* the SYN's arrival */
    for (int i = 0; i < n && i < count; i++)
        CU_ASSERT_EQUAL(sent[i] - t0, at[i] * SS_SEC);
    /* the request's SYN-RECEIVED -> CLOSED, from the trace */
    ss_trace_record r[128];
    size_t m = ss_trace_copy(f->sim, 0, r, 128);
    ss_time dropped = -1;
    for (size_t k = 0; k < m; k++)
        if (r[k].kind == SS_TRACE_STATE && r[k].old_state == SS_TCP_SYN_RECEIVED && r[k].new_state == SS_TCP_CLOSED)
            dropped = r[k].time;
    CU_ASSERT_EQUAL(dropped - t0, drop_at * SS_SEC);
    CU_ASSERT_EQUAL(f->listener->syn_queue_len, 0);
    CU_ASSERT_EQUAL(f->established, 0);
    tf_free(f);
}

static void test_synack_schedule_linux_defaults(void)
{
    static const int at[] = {0, 1, 3, 7, 15, 31};
    check_synack_schedule(-1, at, 6, 63); /* 1+2+4+8+16+32 */
}

static void test_synack_schedule_three_retries(void)
{
    static const int at[] = {0, 1, 3, 7};
    check_synack_schedule(3, at, 4, 15);
}

/* tcp_synack_retries=255, its largest value: the back-off doubles to 64 s
 * and then stays at TCP_RTO_MAX (120 s) instead of overflowing a shift;
 * 256 SYN-ACKs, the request dropped at 1+2+...+64 + 249 * 120 = 30007 s. */
static void test_synack_retries_255_capped_at_rto_max(void)
{
    struct tcpfix *f = tf_new();
    ss_trace_enable(f->sim, SS_TRACE_ALL);
    CU_ASSERT_EQUAL(ss_tcp_set(f->h, "tcp_synack_retries", 255), 0);
    f->h_port = 80;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_listen(f->h, 80, 16, &tf_callbacks, f, &f->listener), 0);
    tf_send(f, SS_TCP_SYN, 500, 0, 0);
    CU_ASSERT_EQUAL(ss_sim_run(f->sim, SS_TIME_MAX), 0);
    ss_time sent[300];
    int n = tf_sent_times(f, SS_TCP_SYN | SS_TCP_ACK, sent, 300);
    CU_ASSERT_EQUAL_FATAL(n, 256);
    for (int k = 1; k < n; k++) {
        ss_time gap = sent[k] - sent[k - 1];
        CU_ASSERT_EQUAL(gap, k <= 7 ? ((ss_time)1 << (k - 1)) * SS_SEC : 120 * SS_SEC);
    }
    size_t m = ss_trace_count(f->sim);
    ss_trace_record *r = malloc(m * sizeof *r);
    ss_trace_copy(f->sim, 0, r, m);
    ss_time dropped = -1;
    for (size_t k = 0; k < m; k++)
        if (r[k].kind == SS_TRACE_STATE && r[k].old_state == SS_TCP_SYN_RECEIVED && r[k].new_state == SS_TCP_CLOSED)
            dropped = r[k].time;
    free(r);
    CU_ASSERT_EQUAL(dropped - sent[0], 30007 * SS_SEC);
    tf_free(f);
}

/* Timers near the end of time saturate there instead of overflowing: a
 * connect 2 s before SS_TIME_MAX retransmits its SYN up to the end, and
 * the run reports no error (it used to record a false out-of-memory). */
static void test_timers_near_the_end_of_time(void)
{
    struct tcpfix *f = tf_new();
    ss_time at = SS_TIME_MAX - 2 * SS_SEC;
    CU_ASSERT_EQUAL(ss_tcp_connect_at(f->h, ss_node_addr(f->peer), 80, at, &tf_callbacks, f, &f->conn), 0);
    CU_ASSERT_EQUAL(ss_sim_run(f->sim, SS_TIME_MAX), 0);
    CU_ASSERT_EQUAL(ss_sim_error(f->sim), 0);
    CU_ASSERT(f->n >= 2); /* the SYN at `at`, its retransmission a second later */
    CU_ASSERT(f->seg[0].at > at && f->seg[0].at < at + 2 * SS_MSEC); /* sent at `at`, 1 ms on the link */
    CU_ASSERT(f->seg[1].at > at + 1 * SS_SEC && f->seg[1].at < at + 1 * SS_SEC + 2 * SS_MSEC);
    tf_free(f);
}

static uint64_t counter(ss_node *h, const char *name)
{
    uint64_t v = 0;
    CU_ASSERT_EQUAL(ss_tcp_counter(h, name, &v), 0);
    return v;
}

/* Counters as Linux 6.18 moves them on timeouts: TCPTimeouts on every
 * expiry, the last included (tcp_retransmit_timer(), tcp_syn_ack_timeout());
 * retransmissions in RetransSegs and not in OutSegs (__tcp_transmit_skb());
 * every SYN-ACK of a request in OutSegs (tcp_make_synack()). */
static void test_timeout_counters_are_linux(void)
{
    /* a SYN into a black hole: 1 + 10 SYNs, 11 expiries */
    struct tcpfix *f = tf_new();
    CU_ASSERT_EQUAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), 80, &tf_callbacks, f, &f->conn), 0);
    ss_sim_run(f->sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(f->closed_err, ETIMEDOUT);
    CU_ASSERT_EQUAL(counter(f->h, "TCPTimeouts"), 11);
    CU_ASSERT_EQUAL(counter(f->h, "RetransSegs"), 10);
    CU_ASSERT_EQUAL(counter(f->h, "TCPSynRetrans"), 10);
    CU_ASSERT_EQUAL(counter(f->h, "OutSegs"), 1);
    CU_ASSERT_EQUAL(counter(f->h, "TCPAbortOnTimeout"), 1);
    tf_free(f);

    /* a SYN-ACK never answered: 1 + 5 SYN-ACKs, 6 expiries */
    f = tf_new();
    f->h_port = 80;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_listen(f->h, 80, 16, &tf_callbacks, f, &f->listener), 0);
    tf_send(f, SS_TCP_SYN, 500, 0, 0);
    ss_sim_run(f->sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(counter(f->h, "TCPTimeouts"), 6);
    CU_ASSERT_EQUAL(counter(f->h, "RetransSegs"), 5);
    CU_ASSERT_EQUAL(counter(f->h, "TCPSynRetrans"), 5);
    CU_ASSERT_EQUAL(counter(f->h, "OutSegs"), 6);
    tf_free(f);

    /* data never acknowledged: each resent segment in RetransSegs only */
    f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    (void)iss;
    uint64_t out_before = counter(f->h, "OutSegs");
    CU_ASSERT_EQUAL(ss_tcp_send(f->conn, 100), 0);
    tf_run(f, 1500 * SS_MSEC); /* past the first RTO */
    uint64_t retrans = counter(f->h, "RetransSegs");
    CU_ASSERT(retrans >= 1);
    CU_ASSERT_EQUAL(counter(f->h, "OutSegs") - out_before, 1);
    CU_ASSERT_EQUAL(counter(f->h, "TCPTimeouts"), retrans);
    tf_free(f);
}

/* RFC 6298 5.7: when the SYN had to be resent, RTO is 3 s once
 * established; otherwise it comes from the handshake's RTT sample. */
static void test_rto_after_handshake(void)
{
    struct tcpfix *f = tf_new();
    tf_open_active(f, NULL);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    CU_ASSERT_EQUAL(i.srtt, 3 * SS_MSEC + 320);
    /* SRTT + max(4 * RTTVAR, 200 ms), RTTVAR = SRTT / 2 */
    CU_ASSERT_EQUAL(i.rto, i.srtt + 200 * SS_MSEC);
    tf_free(f);

    f = tf_new();
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), f->peer_port, &tf_callbacks, f, &f->conn), 0);
    ss_tcp_conn_info(f->conn, &i);
    f->h_port = i.local_port;
    tf_run(f, 1 * SS_SEC + 2 * SS_MSEC); /* the SYN was resent at 1 s */
    tf_send(f, SS_TCP_SYN | SS_TCP_ACK, 1000, i.iss + 1, 0);
    tf_run(f, 3 * SS_MSEC);
    ss_tcp_conn_info(f->conn, &i);
    CU_ASSERT_EQUAL(i.state, SS_TCP_ESTABLISHED);
    CU_ASSERT_EQUAL(i.srtt, 0);
    CU_ASSERT_EQUAL(i.rto, 3 * SS_SEC);
    tf_free(f);
}

/* Data to a peer that stopped answering: RTO doubles (capped at 120 s) and
 * the connection fails with ETIMEDOUT at the first expiry past Linux's
 * tcp_model_timeout(tcp_retries2, 200 ms) after the data was first sent. */
static void check_data_giveup(int64_t retries2, ss_time model)
{
    struct tcpfix *f = tf_new();
    ss_trace_enable(f->sim, SS_TRACE_ALL);
    if (retries2 >= 0)
        ss_tcp_set(f->h, "tcp_retries2", retries2);
    tf_open_active(f, NULL);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    ss_time rto = i.rto;
    ss_tcp_conn_hold(f->conn);
    ss_time t0 = ss_sim_now(f->sim);
    CU_ASSERT_EQUAL(ss_tcp_send(f->conn, 100), 0);
    ss_sim_run(f->sim, SS_TIME_MAX);
    /* expected: expiries at t0 + rto, + 2 rto, + 4 rto ... (each at most
     * 120 s); the first whose elapsed time reaches the model ends it */
    ss_time expect_sent[64], elapsed = 0, step = rto;
    int expect_n = 0;
    expect_sent[expect_n++] = t0;
    for (;;) {
        elapsed += step;
        if (expect_n > 1 && elapsed >= model)
            break;
        expect_sent[expect_n++] = t0 + elapsed;
        step = step * 2 > 120 * SS_SEC ? 120 * SS_SEC : step * 2;
    }
    ss_time sent[64];
    int n = tf_sent_times(f, SS_TCP_ACK | SS_TCP_PSH, sent, 64);
    CU_ASSERT_EQUAL(n, expect_n);
    for (int k = 0; k < n && k < expect_n; k++)
        CU_ASSERT_EQUAL(sent[k], expect_sent[k]);
    ss_tcp_conn_info(f->conn, &i);
    CU_ASSERT_EQUAL(i.error, ETIMEDOUT);
    CU_ASSERT_EQUAL(i.t_closed, t0 + elapsed);
    uint64_t aborts;
    ss_tcp_counter(f->h, "TCPAbortOnTimeout", &aborts);
    CU_ASSERT_EQUAL(aborts, 1);
    ss_tcp_conn_release(f->conn);
    tf_free(f);
}

static void test_data_giveup_retries2_3(void)
{
    /* (2^4 - 1) x 200 ms = 3 s; with RTO ~203 ms: resends at +0.203,
     * +0.609, +1.421 s and ETIMEDOUT at +3.045 s */
    check_data_giveup(3, 3 * SS_SEC);
}

static void test_data_giveup_linux_default(void)
{
    /* tcp_retries2 = 15: (2^10 - 1) x 0.2 s + 6 x 120 s = 924.6 s */
    check_data_giveup(-1, 924600 * SS_MSEC);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"SYN schedule, Linux defaults: 0..67 s, ETIMEDOUT at 131 s", test_syn_schedule_linux_defaults},
        {"SYN schedule, linear 0: 0..63 s, ETIMEDOUT at 127 s", test_syn_schedule_without_linear_timeouts},
        {"SYN schedule, tcp_syn_retries=3: ETIMEDOUT at 19 s", test_syn_schedule_three_retries},
        {"SYN schedule, retries 1, linear 2", test_syn_schedule_one_retry_two_linear},
        {"SYN-ACK schedule, defaults: dropped at 63 s", test_synack_schedule_linux_defaults},
        {"SYN-ACK schedule, tcp_synack_retries=3: dropped at 15 s", test_synack_schedule_three_retries},
        {"SYN-ACK back-off capped at TCP_RTO_MAX with tcp_synack_retries=255", test_synack_retries_255_capped_at_rto_max},
        {"timers near the end of time saturate", test_timers_near_the_end_of_time},
        {"RTO after the handshake", test_rto_after_handshake},
        {"timeout counters as Linux moves them", test_timeout_counters_are_linux},
        {"data give-up, tcp_retries2=3", test_data_giveup_retries2_3},
        {"data give-up, tcp_retries2=15 (924.6 s)", test_data_giveup_linux_default},
        {NULL, NULL},
    };
    tf_add_suite("tcp timers", cases);
    return testing_main();
}
