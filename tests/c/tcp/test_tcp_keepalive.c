/* Keepalive, TCP_USER_TIMEOUT and faults: dead peers, crashed and
 * restarted hosts, broken links (core/src/tcp_conn.c, node.c). */
#include "tcp/tcpfix.h"

#define ACK SS_TCP_ACK
#define RST SS_TCP_RST

/* ---- against a hand-played peer: exact probe times ------------------------------------------ */

/* Keepalive is set before the connection opens, so the idle clock starts
 * with the last segment of the handshake (the SYN-ACK's arrival). */
static void check_probe_schedule(ss_time idle, ss_time interval, int count, bool host_defaults)
{
    struct tcpfix *f = tf_new();
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), f->peer_port, &tf_callbacks, f, &f->conn), 0);
    int rc = host_defaults ? ss_tcp_set_keepalive(f->conn, true, 0, 0, 0)
                           : ss_tcp_set_keepalive(f->conn, true, idle, interval, count);
    CU_ASSERT_EQUAL(rc, 0);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    f->h_port = i.local_port;
    tf_run(f, 2 * SS_MSEC);
    tf_expect(f, SS_TCP_SYN, i.iss, 0);
    tf_send(f, SS_TCP_SYN | ACK, 1000, i.iss + 1, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, ACK, i.iss + 1, 1001);
    ss_time last = 3 * SS_MSEC + 320; /* the SYN-ACK's arrival */
    ss_tcp_conn_hold(f->conn);
    ss_sim_run(f->sim, SS_TIME_MAX);
    for (int k = 0; k < count; k++) {
        struct tf_seg *s = tf_expect(f, ACK, i.iss, 1001); /* SND.UNA - 1, no data */
        if (!s)
            break;
        CU_ASSERT_EQUAL(s->payload, 0);
        CU_ASSERT_EQUAL(s->at - 1 * SS_MSEC - 320, last + idle + k * interval); /* sent at */
    }
    /* after the last unanswered probe: a RST and ETIMEDOUT */
    struct tf_seg *rst = tf_expect(f, RST | ACK, i.iss + 1, 1001); /* tcp_send_active_reset() */
    tf_expect_none(f);
    ss_tcp_conn_info(f->conn, &i);
    CU_ASSERT_EQUAL(i.error, ETIMEDOUT);
    CU_ASSERT_EQUAL(i.t_closed, last + idle + count * interval);
    CU_ASSERT_EQUAL(rst ? rst->at - 1 * SS_MSEC - 320 : -1, i.t_closed);
    uint64_t probes;
    ss_tcp_counter(f->h, "TCPKeepAlive", &probes);
    CU_ASSERT_EQUAL(probes, (uint64_t)count);
    ss_tcp_conn_release(f->conn);
    tf_free(f);
}

static void test_probe_schedule_linux_defaults(void)
{
    /* 7200 s idle, then 9 probes 75 s apart: ETIMEDOUT at 7875 s */
    check_probe_schedule(7200 * SS_SEC, 75 * SS_SEC, 9, true);
}

static void test_probe_schedule_small_values(void)
{
    check_probe_schedule(2 * SS_SEC, 1 * SS_SEC, 3, false);
}

/* Idle time counts from the last segment received; an answer to a probe
 * resets the count. */
static void test_idle_clock_and_answers(void)
{
    struct tcpfix *f = tf_new();
    uint32_t iss = tf_open_active(f, NULL);
    ss_time t_set = ss_sim_now(f->sim);
    CU_ASSERT_EQUAL(ss_tcp_set_keepalive(f->conn, true, 2 * SS_SEC, 1 * SS_SEC, 3), 0);
    ss_sim_run(f->sim, t_set + 1 * SS_SEC);
    tf_send(f, ACK, 1001, iss + 1, 100); /* data arrives at t_set + 1 s + 1 ms */
    ss_time data_at = ss_sim_now(f->sim) + 1 * SS_MSEC + 1120;
    tf_run(f, 1500 * SS_MSEC);
    tf_expect(f, ACK, iss + 1, 1101); /* its ACK (quick ACK) */
    ss_sim_run(f->sim, data_at + 2 * SS_SEC + 2 * SS_MSEC);
    /* the first probe: 2 s after the data, not after the timer was set */
    struct tf_seg *p1 = tf_expect(f, ACK, iss, 1101);
    CU_ASSERT_EQUAL(p1 ? p1->at - 1 * SS_MSEC - 320 : -1, data_at + 2 * SS_SEC);
    /* answer it: the count starts over, the next probe is 2 s later */
    tf_send(f, ACK, 1101, iss + 1, 0);
    ss_time answered_at = ss_sim_now(f->sim) + 1 * SS_MSEC + 320;
    tf_run(f, 2500 * SS_MSEC);
    struct tf_seg *p2 = tf_expect(f, ACK, iss, 1101);
    CU_ASSERT_EQUAL(p2 ? p2->at - 1 * SS_MSEC - 320 : -1, answered_at + 2 * SS_SEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_ESTABLISHED);
    tf_free(f);
}

/* ---- two real hosts ----------------------------------------------------------------------------- */

struct faultfix {
    ss_sim *sim;
    ss_node *client, *server;
    ss_link *link;
    struct tcpfix cli, srv; /* only their callback records are used */
    ss_tcp_conn *conn;
    ss_tcp_listener *listener;
};

/* Keepalive 2 s / 1 s / 3 on the client, 10 ms links. */
static void ff_new(struct faultfix *f)
{
    *f = (struct faultfix){0};
    ss_link_config c;
    ss_link_config_default(&c);
    c.delay = 10 * SS_MSEC;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(11, &f->sim), 0);
    ss_host_new(f->sim, "client", 0, &f->client);
    ss_host_new(f->sim, "server", 0, &f->server);
    ss_link_new(f->sim, f->client, f->server, &c, &f->link);
    ss_trace_enable(f->sim, SS_TRACE_ALL);
    CU_ASSERT_EQUAL_FATAL(ss_tcp_listen(f->server, 80, 16, &tf_callbacks, &f->srv, &f->listener), 0);
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(f->client, ss_node_addr(f->server), 80, &tf_callbacks, &f->cli, &f->conn), 0);
    ss_tcp_set_keepalive(f->conn, true, 2 * SS_SEC, 1 * SS_SEC, 3);
    ss_tcp_conn_hold(f->conn);
    ss_sim_run(f->sim, 1 * SS_SEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_ESTABLISHED);
}

static void ff_free(struct faultfix *f)
{
    ss_tcp_conn_release(f->conn);
    ss_sim_free(f->sim);
}

/* Times of the client's keepalive probes, and of the last segment it
 * received from the server before `before`. */
static ss_time last_received_before(struct faultfix *f, ss_time before)
{
    size_t n = ss_trace_count(f->sim);
    ss_trace_record *r = malloc(n * sizeof *r);
    ss_trace_copy(f->sim, 0, r, n);
    ss_time last = -1;
    for (size_t k = 0; k < n; k++)
        if (r[k].kind == SS_TRACE_RECV && r[k].node == ss_node_id(f->client) && r[k].time < before)
            last = r[k].time;
    free(r);
    return last;
}

static void test_peer_crash_times_out_at_the_predicted_time(void)
{
    struct faultfix f;
    ff_new(&f);
    CU_ASSERT_EQUAL(ss_node_crash(f.sim, f.server, 10 * SS_SEC), 0);
    ss_sim_run(f.sim, SS_TIME_MAX);
    ss_tcp_info i;
    ss_tcp_conn_info(f.conn, &i);
    ss_time last = last_received_before(&f, 10 * SS_SEC);
    CU_ASSERT_EQUAL(i.error, ETIMEDOUT);
    CU_ASSERT_EQUAL(i.t_closed, last + 2 * SS_SEC + 3 * 1 * SS_SEC);
    CU_ASSERT_EQUAL(f.srv.closed_err, EHOSTDOWN); /* the crashed side lost it */
    CU_ASSERT_FALSE(ss_node_is_up(f.server));
    ss_node_stats st;
    ss_node_get_stats(f.server, &st);
    CU_ASSERT_EQUAL(st.dropped_down, 4); /* the three probes and the final RST */
    ff_free(&f);
}

static void test_peer_restart_resets_at_the_first_probe(void)
{
    struct faultfix f;
    ff_new(&f);
    ss_node_crash(f.sim, f.server, 10 * SS_SEC);
    ss_node_restart(f.sim, f.server, 10500 * SS_MSEC);
    ss_sim_run(f.sim, SS_TIME_MAX);
    ss_tcp_info i;
    ss_tcp_conn_info(f.conn, &i);
    CU_ASSERT_EQUAL(i.error, ECONNRESET);
    /* the first probe after the restart, and the RST that answers it */
    size_t n = ss_trace_count(f.sim);
    ss_trace_record *r = malloc(n * sizeof *r);
    ss_trace_copy(f.sim, 0, r, n);
    ss_time probe = -1, rst_arrival = -1;
    for (size_t k = 0; k < n; k++) {
        if (probe < 0 && r[k].kind == SS_TRACE_SEND && r[k].node == ss_node_id(f.client) && r[k].time >= 10500 * SS_MSEC)
            probe = r[k].time;
        if (r[k].kind == SS_TRACE_RECV && r[k].node == ss_node_id(f.client) && (r[k].flags & SS_TCP_RST))
            rst_arrival = r[k].time;
    }
    free(r);
    CU_ASSERT(probe > 10500 * SS_MSEC && probe < 12 * SS_SEC);
    CU_ASSERT_EQUAL(i.t_closed, rst_arrival);
    CU_ASSERT(rst_arrival - probe > 20 * SS_MSEC && rst_arrival - probe < 21 * SS_MSEC); /* one round trip */
    CU_ASSERT_EQUAL(ss_node_boots(f.server), 1);
    ff_free(&f);
}

static void test_link_flap_shorter_than_the_window_survives(void)
{
    struct faultfix f;
    ff_new(&f);
    /* Probes go at ~2.02 s (answered) and ~4.04 s.  Down from 3.9 s to
     * 5.5 s: the probes at ~4.04 and ~5.04 s are lost, the one at ~6.04 s
     * is answered, a second before the 5 s window would close. */
    ss_link_schedule(f.sim, f.link, 3900 * SS_MSEC, false);
    ss_link_schedule(f.sim, f.link, 5500 * SS_MSEC, true);
    ss_sim_run(f.sim, 60 * SS_SEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f.conn), SS_TCP_ESTABLISHED);
    ss_link_stats s;
    ss_link_get_stats(f.link, 0, &s);
    CU_ASSERT_EQUAL(s.dropped_down, 2);
    ff_free(&f);
}

static void test_link_that_stays_down_breaks(void)
{
    struct faultfix f;
    ff_new(&f);
    ss_link_schedule(f.sim, f.link, 2500 * SS_MSEC, false);
    ss_sim_run(f.sim, SS_TIME_MAX);
    ss_tcp_info i;
    ss_tcp_conn_info(f.conn, &i);
    CU_ASSERT_EQUAL(i.error, ETIMEDOUT);
    CU_ASSERT_EQUAL(i.t_closed, last_received_before(&f, 2500 * SS_MSEC) + 5 * SS_SEC);
    ff_free(&f);
}

/* TCP_USER_TIMEOUT ends retransmission at exactly that long after the
 * data was first sent, and keepalive once that long has passed without an
 * answer and a probe has gone out. */
static void test_user_timeout_shortens_both_give_ups(void)
{
    struct faultfix f;
    ff_new(&f);
    ss_tcp_set_keepalive(f.conn, false, 0, 0, 0);
    ss_tcp_set_user_timeout(f.conn, 1500 * SS_MSEC);
    ss_link_set_up(f.sim, f.link, false);
    ss_time t0 = ss_sim_now(f.sim);
    ss_tcp_send(f.conn, 1000);
    ss_sim_run(f.sim, SS_TIME_MAX);
    ss_tcp_info i;
    ss_tcp_conn_info(f.conn, &i);
    CU_ASSERT_EQUAL(i.error, ETIMEDOUT);
    CU_ASSERT_EQUAL(i.t_closed, t0 + 1500 * SS_MSEC); /* instead of 924.6 s */
    ff_free(&f);

    ff_new(&f);
    ss_tcp_set_user_timeout(f.conn, 3500 * SS_MSEC);
    ss_link_set_up(f.sim, f.link, false);
    ss_sim_run(f.sim, SS_TIME_MAX);
    ss_tcp_conn_info(f.conn, &i);
    ss_time last = last_received_before(&f, 1 * SS_SEC);
    CU_ASSERT_EQUAL(i.error, ETIMEDOUT);
    /* probes at +2 s and +3 s; at +4 s 3.5 s have passed: give up there,
     * a second before the probe count would have */
    CU_ASSERT_EQUAL(i.t_closed, last + 4 * SS_SEC);
    ff_free(&f);
}

/* A crashed host loses its connections (EHOSTDOWN), refuses new ones, and
 * after a restart accepts again on its listener. */
static void test_crash_and_restart_of_the_local_host(void)
{
    struct faultfix f;
    ff_new(&f);
    ss_tcp_set_keepalive(f.conn, false, 0, 0, 0);
    CU_ASSERT_EQUAL(ss_node_crash(f.sim, f.client, ss_sim_now(f.sim)), 0);
    CU_ASSERT_EQUAL(f.cli.closed_err, EHOSTDOWN);
    ss_tcp_conn *c2;
    CU_ASSERT_EQUAL(ss_tcp_connect(f.client, ss_node_addr(f.server), 80, NULL, NULL, &c2), SS_ESTATE);
    CU_ASSERT_EQUAL(ss_node_restart(f.sim, f.client, ss_sim_now(f.sim) + 1 * SS_SEC), 0);
    ss_sim_run(f.sim, ss_sim_now(f.sim) + 2 * SS_SEC);
    struct tcpfix rec = {0};
    CU_ASSERT_EQUAL(ss_tcp_connect(f.client, ss_node_addr(f.server), 80, &tf_callbacks, &rec, &c2), 0);
    ss_sim_run(f.sim, ss_sim_now(f.sim) + 1 * SS_SEC);
    CU_ASSERT_EQUAL(rec.established, 1);
    CU_ASSERT_EQUAL(ss_node_crash(f.sim, f.client, 0), SS_EINVAL); /* the past */
    ff_free(&f);
}

/* Socket options take Linux's limits (do_tcp_setsockopt()): TCP_KEEPIDLE
 * and TCP_KEEPINTVL up to 32767 s, TCP_KEEPCNT up to 127, TCP_USER_TIMEOUT
 * an int of milliseconds; beyond is SS_ERANGE, negative SS_EINVAL. */
static void test_socket_option_limits(void)
{
    struct tcpfix *f = tf_new();
    tf_open_active(f, NULL);
    ss_tcp_conn *c = f->conn;
    CU_ASSERT_EQUAL(ss_tcp_set_keepalive(c, true, 32767 * SS_SEC, 32767 * SS_SEC, 127), 0);
    CU_ASSERT_EQUAL(ss_tcp_set_keepalive(c, true, 32767 * SS_SEC + 1, 0, 0), SS_ERANGE);
    CU_ASSERT_EQUAL(ss_tcp_set_keepalive(c, true, 0, 32768 * SS_SEC, 0), SS_ERANGE);
    CU_ASSERT_EQUAL(ss_tcp_set_keepalive(c, true, 0, 0, 128), SS_ERANGE);
    CU_ASSERT_EQUAL(ss_tcp_set_keepalive(c, true, -1, 0, 0), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_set_user_timeout(c, (ss_time)INT32_MAX * SS_MSEC), 0);
    CU_ASSERT_EQUAL(ss_tcp_set_user_timeout(c, (ss_time)INT32_MAX * SS_MSEC + 1), SS_ERANGE);
    CU_ASSERT_EQUAL(ss_tcp_set_user_timeout(c, -1), SS_EINVAL);
    ss_tcp_info i;
    ss_tcp_conn_info(c, &i);
    CU_ASSERT_EQUAL(i.keepalive_idle, 32767 * SS_SEC); /* the refused calls changed nothing */
    CU_ASSERT_EQUAL(i.keepalive_count, 127);
    /* the largest idle runs: the first probe 32767 s after the last segment */
    ss_time before = ss_sim_now(f->sim);
    tf_run(f, 32767 * SS_SEC + 10 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_sim_error(f->sim), 0);
    CU_ASSERT(f->n > f->next);
    CU_ASSERT(f->seg[f->next].at - before >= 32767 * SS_SEC - 5 * SS_MSEC);
    tf_free(f);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"socket option limits are Linux's", test_socket_option_limits},
        {"probe schedule, Linux defaults: ETIMEDOUT at 7875 s", test_probe_schedule_linux_defaults},
        {"probe schedule, idle 2 s, interval 1 s, 3 probes", test_probe_schedule_small_values},
        {"idle clock and answered probes", test_idle_clock_and_answers},
        {"peer crash: ETIMEDOUT at the predicted time", test_peer_crash_times_out_at_the_predicted_time},
        {"peer restart: ECONNRESET at the first probe", test_peer_restart_resets_at_the_first_probe},
        {"link flap shorter than the window survives", test_link_flap_shorter_than_the_window_survives},
        {"link that stays down breaks the connection", test_link_that_stays_down_breaks},
        {"user timeout shortens both give-ups", test_user_timeout_shortens_both_give_ups},
        {"crash and restart of the local host", test_crash_and_restart_of_the_local_host},
        {NULL, NULL},
    };
    tf_add_suite("tcp keepalive and faults", cases);
    return testing_main();
}
