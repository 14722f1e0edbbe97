/* Connections end to end between two real stacks: data, close, options,
 * settings, the API's refusals, ISNs, and allocation failures
 * (core/src/tcp_conn.c, tcp_output.c, tcp_settings.c, tcp_stack.c). */
#include "tcp/tcpfix.h"

struct app {
    int established, closed, closed_err, peer_closed;
    uint64_t acked, received;
    ss_tcp_conn *conn;
    bool close_on_peer_close;
};

static void app_established(ss_tcp_conn *c, void *ctx)
{
    struct app *a = ctx;
    a->established++;
    a->conn = c;
}
static void app_acked(ss_tcp_conn *c, uint64_t n, void *ctx) { (void)c; ((struct app *)ctx)->acked += n; }
static void app_received(ss_tcp_conn *c, uint64_t n, void *ctx) { (void)c; ((struct app *)ctx)->received += n; }
static void app_peer_closed(ss_tcp_conn *c, void *ctx)
{
    struct app *a = ctx;
    a->peer_closed++;
    if (a->close_on_peer_close)
        ss_tcp_close(c);
}
static void app_closed(ss_tcp_conn *c, int err, void *ctx)
{
    (void)c;
    struct app *a = ctx;
    a->closed++;
    a->closed_err = err;
}
static const ss_tcp_callbacks app_cb = {app_established, app_acked, app_received, app_peer_closed, app_closed};

struct pair {
    ss_sim *sim;
    ss_node *client, *server;
    ss_link *link;
    struct app cli, srv;
    ss_tcp_conn *conn;
    ss_tcp_listener *listener;
};

static void pair_new(struct pair *p, uint64_t seed, const ss_link_config *c)
{
    *p = (struct pair){0};
    ss_link_config def;
    ss_link_config_default(&def);
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(seed, &p->sim), 0);
    ss_host_new(p->sim, "client", 0, &p->client);
    ss_host_new(p->sim, "server", 0, &p->server);
    CU_ASSERT_EQUAL_FATAL(ss_link_new(p->sim, p->client, p->server, c ? c : &def, &p->link), 0);
    p->srv.close_on_peer_close = true;
}

static void pair_start(struct pair *p)
{
    CU_ASSERT_EQUAL_FATAL(ss_tcp_listen(p->server, 80, 128, &app_cb, &p->srv, &p->listener), 0);
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(p->client, ss_node_addr(p->server), 80, &app_cb, &p->cli, &p->conn), 0);
    ss_tcp_conn_hold(p->conn);
}

/* The client sends `bytes` and closes; the server closes when it sees the
 * FIN.  Returns the client's info at the end. */
static void transfer(struct pair *p, uint64_t bytes, ss_tcp_info *out)
{
    pair_start(p);
    ss_trace_enable(p->sim, SS_TRACE_ALL);
    ss_sim_run(p->sim, 1 * SS_SEC);
    CU_ASSERT_EQUAL_FATAL(p->cli.established, 1);
    CU_ASSERT_EQUAL(ss_tcp_send(p->conn, bytes), 0);
    CU_ASSERT_EQUAL(ss_tcp_close(p->conn), 0);
    ss_sim_run(p->sim, SS_TIME_MAX);
    ss_tcp_conn_info(p->conn, out);
}

static void test_data_then_close(void)
{
    struct pair p;
    pair_new(&p, 1, NULL);
    ss_tcp_info i;
    transfer(&p, 100000, &i);
    CU_ASSERT_EQUAL(p.srv.received, 100000);
    CU_ASSERT_EQUAL(p.cli.acked, 100000);
    CU_ASSERT_EQUAL(p.cli.closed_err, 0);
    CU_ASSERT_EQUAL(p.srv.closed_err, 0);
    CU_ASSERT_EQUAL(p.srv.peer_closed, 1);
    CU_ASSERT_EQUAL(i.state, SS_TCP_CLOSED); /* after TIME-WAIT */
    CU_ASSERT_EQUAL(i.mss, 1448);           /* 1500 - 40 - 12 for timestamps */
    /* every data segment carries at most MSS; the FIN follows the data */
    ss_trace_record *r = malloc(ss_trace_count(p.sim) * sizeof *r);
    size_t n = ss_trace_copy(p.sim, 0, r, ss_trace_count(p.sim));
    uint32_t max_payload = 0, fin_seq = 0;
    int fins = 0;
    for (size_t k = 0; k < n; k++) {
        if (r[k].kind != SS_TRACE_SEND || r[k].node != ss_node_id(p.client))
            continue;
        max_payload = r[k].payload > max_payload ? r[k].payload : max_payload;
        if (r[k].flags & SS_TCP_FIN) {
            fins++;
            fin_seq = r[k].seq + r[k].payload;
        }
    }
    free(r);
    CU_ASSERT_EQUAL(max_payload, 1448);
    CU_ASSERT_EQUAL(fins, 1);
    CU_ASSERT_EQUAL(fin_seq, i.iss + 1 + 100000);
    ss_tcp_conn_release(p.conn);
    CU_ASSERT_EQUAL(ss_packets_live(p.sim), 0);
    ss_sim_free(p.sim);
}

static void test_data_survives_loss(void)
{
    ss_link_config c;
    ss_link_config_default(&c);
    c.delay = 5 * SS_MSEC;
    c.loss_model = SS_LOSS_BERNOULLI;
    c.loss = 0.05;
    struct pair p;
    pair_new(&p, 4, &c);
    ss_tcp_info i;
    transfer(&p, 300000, &i);
    CU_ASSERT_EQUAL(p.srv.received, 300000);
    CU_ASSERT_EQUAL(p.cli.acked, 300000);
    CU_ASSERT_EQUAL(p.cli.closed_err, 0);
    CU_ASSERT(i.retransmits > 0);
    uint64_t retrans;
    ss_tcp_counter(p.client, "RetransSegs", &retrans);
    CU_ASSERT(retrans >= i.retransmits);
    ss_tcp_conn_release(p.conn);
    ss_sim_free(p.sim);
}

/* The sender never has more unacknowledged than the receiver's window. */
static void test_receiver_window_is_respected(void)
{
    ss_link_config c;
    ss_link_config_default(&c);
    c.delay = 20 * SS_MSEC;
    struct pair p;
    pair_new(&p, 2, &c);
    ss_tcp_set(p.server, "tcp_rmem", 8192);
    ss_tcp_info i;
    transfer(&p, 200000, &i);
    CU_ASSERT_EQUAL(p.srv.received, 200000);
    size_t n = ss_trace_count(p.sim);
    ss_trace_record *r = malloc(n * sizeof *r);
    ss_trace_copy(p.sim, 0, r, n);
    uint32_t acked = i.iss + 1, worst = 0;
    for (size_t k = 0; k < n; k++) {
        if (r[k].kind == SS_TRACE_RECV && r[k].node == ss_node_id(p.client) && (r[k].flags & SS_TCP_ACK) &&
            seq_gt(r[k].ack, acked))
            acked = r[k].ack;
        if (r[k].kind == SS_TRACE_SEND && r[k].node == ss_node_id(p.client) && r[k].payload) {
            uint32_t out = r[k].seq + r[k].payload - acked;
            worst = out > worst ? out : worst;
        }
    }
    free(r);
    CU_ASSERT(worst <= 8192);
    CU_ASSERT(worst > 4096); /* and it did use the window */
    ss_tcp_conn_release(p.conn);
    ss_sim_free(p.sim);
}

/* Option negotiation: each option is used only when both ends offer it. */
static void check_negotiation(const char *client_off, const char *server_off)
{
    struct pair p;
    pair_new(&p, 1, NULL);
    if (client_off)
        ss_tcp_set(p.client, client_off, 0);
    if (server_off)
        ss_tcp_set(p.server, server_off, 0);
    pair_start(&p);
    ss_sim_run(p.sim, 1 * SS_SEC);
    CU_ASSERT_FATAL(p.cli.established && p.srv.established);
    ss_tcp_info ci, si;
    ss_tcp_conn_info(p.conn, &ci);
    ss_tcp_conn_info(p.srv.conn, &si);
    const char *off = client_off ? client_off : server_off;
    bool ws = !off || strcmp(off, "tcp_window_scaling") != 0;
    bool sack = !off || strcmp(off, "tcp_sack") != 0;
    bool ts = !off || strcmp(off, "tcp_timestamps") != 0;
    CU_ASSERT_EQUAL(ci.wscale_ok, ws);
    CU_ASSERT_EQUAL(si.wscale_ok, ws);
    CU_ASSERT_EQUAL(ci.snd_wscale, ws ? 7 : 0);
    CU_ASSERT_EQUAL(si.rcv_wscale, ws ? 7 : 0);
    CU_ASSERT_EQUAL(ci.sack_ok, sack);
    CU_ASSERT_EQUAL(si.sack_ok, sack);
    CU_ASSERT_EQUAL(ci.timestamps_ok, ts);
    CU_ASSERT_EQUAL(si.timestamps_ok, ts);
    CU_ASSERT_EQUAL(ci.mss, ts ? 1448 : 1460);
    CU_ASSERT_EQUAL(si.mss, ts ? 1448 : 1460);
    CU_ASSERT_EQUAL(ci.peer_mss, 1460);
    ss_tcp_conn_release(p.conn);
    ss_sim_free(p.sim);
}

static void test_negotiation_table(void)
{
    const char *knobs[] = {"tcp_window_scaling", "tcp_sack", "tcp_timestamps"};
    check_negotiation(NULL, NULL); /* both on */
    for (int k = 0; k < 3; k++) {
        check_negotiation(knobs[k], NULL); /* client off */
        check_negotiation(NULL, knobs[k]); /* server off */
    }
}

/* A SYN-ACK carries only what the SYN offered; sizes follow Linux's
 * option layout. */
static void test_synack_echoes_only_offered_options(void)
{
    struct tcpfix *f = tf_new();
    f->h_port = 80;
    ss_tcp_listen(f->h, 80, 8, NULL, NULL, &f->listener);
    struct tf_opts o = {.mss = 1000, .sack = true};
    tf_send_opts(f, SS_TCP_SYN, 1, 0, 0, &o);
    tf_run(f, 3 * SS_MSEC);
    struct tf_seg *s = tf_expect(f, SS_TCP_SYN | SS_TCP_ACK, f->seg[0].tcp.seq, 2);
    CU_ASSERT_EQUAL(s->tcp.mss, 1460);
    CU_ASSERT_TRUE(s->tcp.sack_ok);
    CU_ASSERT_FALSE(s->tcp.has_ts);
    CU_ASSERT_FALSE(s->tcp.has_wscale);
    CU_ASSERT_EQUAL(s->size, 48); /* MSS 4 + NOP NOP SACK-permitted 4 */
    tf_free(f);
}

/* The MSS announced comes from the route's MTU; the one used is the
 * smaller of both ends'. */
static void test_mss_from_mtu(void)
{
    ss_link_config c;
    ss_link_config_default(&c);
    c.mtu = 1400;
    struct pair p;
    pair_new(&p, 1, &c);
    ss_tcp_set(p.client, "tcp_timestamps", 0);
    pair_start(&p);
    ss_sim_run(p.sim, 1 * SS_SEC);
    ss_tcp_info ci;
    ss_tcp_conn_info(p.conn, &ci);
    CU_ASSERT_EQUAL(ci.peer_mss, 1360);
    CU_ASSERT_EQUAL(ci.mss, 1360);
    ss_tcp_conn_release(p.conn);
    ss_sim_free(p.sim);

    struct tcpfix *f = tf_new();
    struct tf_opts o = {.mss = 1000};
    tf_open_active(f, &o);
    ss_tcp_conn_info(f->conn, &ci);
    CU_ASSERT_EQUAL(ci.mss, 1000);
    CU_ASSERT_EQUAL(ci.peer_mss, 1000);
    tf_free(f);
}

/* Every peer MSS option 0..65535, with and without timestamps: the sending
 * MSS is min(peer, route) floored at tcp_min_snd_mss (48) less 12 with
 * timestamps, as Linux __tcp_mtu_to_mss() and tcp_mtu_to_mss() compute it,
 * and data goes out in segments of exactly that size (a 1-12 byte MSS with
 * timestamps used to wrap to 0 or 65535 and hang the connection). */
static void test_every_peer_mss(void)
{
    int step = testing_quick() ? 61 : 1;
    int checked = 0, bad = 0;
    for (int ts = 0; ts <= 1; ts++) {
        for (int m = 0; m <= 65535; m += (m < 1600 ? 1 : step)) {
            struct tcpfix *f = tf_new();
            struct tf_opts o = {.mss = (uint16_t)m, .ts = ts != 0, .tsval = 1};
            tf_open_active(f, &o);
            uint32_t peer = m ? (uint32_t)m : 536; /* RFC 9293 3.7.1: no option, 536 */
            uint32_t want = peer < 1460 ? peer : 1460;
            want = (want < 48 ? 48 : want) - (ts ? 12 : 0);
            ss_tcp_info i;
            ss_tcp_conn_info(f->conn, &i);
            CU_ASSERT_EQUAL(ss_tcp_send(f->conn, 3000), 0);
            tf_run(f, 5 * SS_MSEC);
            uint32_t first = 0;
            for (int k = f->next; k < f->n; k++)
                if (f->seg[k].payload) {
                    first = f->seg[k].payload;
                    break;
                }
            bool ok = i.mss == want && first == (want < 3000 ? want : 3000);
            if (!ok && bad++ < 5)
                fprintf(stderr, "\npeer MSS %d ts %d: mss %u first payload %u, want %u\n", m, ts, i.mss, first, want);
            checked++;
            tf_free(f);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(checked > 2 * 1600);
    int64_t lo, hi, def;
    CU_ASSERT_EQUAL(ss_tcp_setting_range("tcp_min_snd_mss", &lo, &hi, &def), 0);
    CU_ASSERT(lo == 48 && hi == 65535 && def == 48);
}

/* Sysctl ranges are Linux 6.x's (net/ipv4/sysctl_net_ipv4.c): the ends are
 * accepted, one beyond is SS_ERANGE and changes nothing. */
static void test_sysctl_ranges_are_linux(void)
{
    static const struct {
        const char *name;
        int64_t lo, hi;
    } want[] = {
        {"tcp_syn_retries", 1, 127},      {"tcp_synack_retries", 0, 255},
        {"tcp_retries2", 0, 255},         {"tcp_syncookies", 0, 2},
        {"somaxconn", 0, INT32_MAX},      {"tcp_max_syn_backlog", 0, INT32_MAX},
        {"tcp_keepalive_time", 1, 2147483}, {"tcp_keepalive_intvl", 1, 2147483},
        {"tcp_keepalive_probes", 1, 255}, {"tcp_fin_timeout", 1, 2147483},
        {"tcp_min_snd_mss", 48, 65535},
    };
    struct pair p;
    pair_new(&p, 1, NULL);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        int64_t lo, hi, def, v, before;
        CU_ASSERT_EQUAL_FATAL(ss_tcp_setting_range(want[i].name, &lo, &hi, &def), 0);
        CU_ASSERT(lo == want[i].lo && hi == want[i].hi);
        ss_tcp_get(p.client, want[i].name, &before);
        CU_ASSERT_EQUAL(ss_tcp_set(p.client, want[i].name, want[i].lo - 1), SS_ERANGE);
        CU_ASSERT_EQUAL(ss_tcp_set(p.client, want[i].name, want[i].hi + 1), SS_ERANGE);
        ss_tcp_get(p.client, want[i].name, &v);
        CU_ASSERT_EQUAL(v, before);
        CU_ASSERT_EQUAL(ss_tcp_set(p.client, want[i].name, want[i].hi), 0);
        ss_tcp_get(p.client, want[i].name, &v);
        CU_ASSERT_EQUAL(v, want[i].hi);
        CU_ASSERT_EQUAL(ss_tcp_set(p.client, want[i].name, want[i].lo), 0);
    }
    ss_sim_free(p.sim);
}

static void test_settings_by_sysctl_name(void)
{
    struct pair p;
    pair_new(&p, 1, NULL);
    int64_t v;
    CU_ASSERT_EQUAL(ss_tcp_get(p.client, "tcp_synack_retries", &v), 0);
    CU_ASSERT_EQUAL(v, 5);
    CU_ASSERT_EQUAL(ss_tcp_get(p.client, "tcp_keepalive_time", &v), 0);
    CU_ASSERT_EQUAL(v, 7200);
    CU_ASSERT_EQUAL(ss_tcp_get(p.client, "somaxconn", &v), 0);
    CU_ASSERT_EQUAL(v, 4096);
    CU_ASSERT_EQUAL(ss_tcp_set(p.client, "tcp_syn_retries", 2), 0);
    CU_ASSERT_EQUAL(ss_tcp_get(p.client, "tcp_syn_retries", &v), 0);
    CU_ASSERT_EQUAL(v, 2);
    CU_ASSERT_EQUAL(ss_tcp_set(p.client, "tcp_syn_retries", 0), SS_ERANGE);
    CU_ASSERT_EQUAL(ss_tcp_set(p.client, "tcp_syncookies", 3), SS_ERANGE);
    CU_ASSERT_EQUAL(ss_tcp_set(p.client, "tcp_no_such_knob", 1), SS_ENOENT);
    CU_ASSERT_EQUAL(ss_tcp_get(p.client, NULL, &v), SS_EINVAL);
    int64_t lo, hi, def;
    CU_ASSERT_EQUAL(ss_tcp_setting_range("tcp_syncookies", &lo, &hi, &def), 0);
    CU_ASSERT(lo == 0 && hi == 2 && def == 1);
    size_t count = 0;
    while (ss_tcp_setting_name(count))
        count++;
    CU_ASSERT(count >= 17);
    uint64_t n;
    CU_ASSERT_EQUAL(ss_tcp_counter(p.client, "ActiveOpens", &n), 0);
    CU_ASSERT_EQUAL(ss_tcp_counter(p.client, "NoSuchCounter", &n), SS_ENOENT);
    ss_node *r;
    ss_router_new(p.sim, "r", 0, &r);
    CU_ASSERT_EQUAL(ss_tcp_set(r, "tcp_syn_retries", 2), SS_EINVAL); /* routers have no TCP */
    ss_sim_free(p.sim);
}

static void test_api_refusals(void)
{
    struct pair p;
    pair_new(&p, 1, NULL);
    ss_tcp_conn *c;
    ss_tcp_listener *l, *again;
    CU_ASSERT_EQUAL(ss_tcp_connect(p.client, ss_node_addr(p.server), 0, NULL, NULL, &c), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_connect(p.client, ss_node_addr(p.client), 80, NULL, NULL, &c), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listen(p.server, 0, 1, NULL, NULL, &l), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listen(p.server, 80, -1, NULL, NULL, &l), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listen(p.server, 80, 1, NULL, NULL, &l), 0);
    CU_ASSERT_EQUAL(ss_tcp_listen(p.server, 80, 1, NULL, NULL, &again), SS_EEXIST);
    CU_ASSERT_PTR_NULL(again);
    CU_ASSERT_EQUAL(ss_tcp_connect(p.client, ss_node_addr(p.server), 80, &app_cb, &p.cli, &c), 0);
    ss_sim_run(p.sim, 1 * SS_SEC);
    CU_ASSERT_EQUAL(ss_tcp_close(c), 0);
    CU_ASSERT_EQUAL(ss_tcp_close(c), SS_ESTATE);
    CU_ASSERT_EQUAL(ss_tcp_send(c, 10), SS_ESTATE);
    CU_ASSERT_EQUAL(ss_tcp_send(NULL, 10), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listener_close(l), 0);
    CU_ASSERT_EQUAL(ss_tcp_listener_close(l), SS_ESTATE);
    ss_sim_run(p.sim, SS_TIME_MAX);
    ss_sim_free(p.sim);
}

/* RFC 6528: the same 4-tuple gets an ISN that advances with a 4 us clock;
 * another seed or another tuple gives an unrelated one. */
static void test_isn_clock_and_key(void)
{
    struct pair p, q;
    pair_new(&p, 1, NULL);
    pair_new(&q, 2, NULL);
    struct tcp_stack *sp, *sq;
    tcp_stack_get(p.client, &sp);
    tcp_stack_get(q.client, &sq);
    struct tcp_tuple t = {ss_node_addr(p.client), ss_node_addr(p.server), 40000, 80};
    uint32_t a = tcp_isn(sp, &t);
    ss_sim_run(p.sim, 400 * SS_USEC);
    uint32_t b = tcp_isn(sp, &t);
    CU_ASSERT_EQUAL(b - a, 100);
    ss_sim_run(p.sim, 400 * SS_USEC + 3999);
    CU_ASSERT_EQUAL(tcp_isn(sp, &t), b);
    CU_ASSERT_NOT_EQUAL(tcp_isn(sq, &t), a);
    t.lport = 40001;
    uint32_t other = tcp_isn(sp, &t);
    CU_ASSERT(other - b > 1000000 && b - other > 1000000);
    ss_sim_free(p.sim);
    ss_sim_free(q.sim);
}

/* Same seed, same script: byte-identical traces. */
static void trace_of_run(uint64_t seed, ss_trace_record **out, size_t *n)
{
    ss_link_config c;
    ss_link_config_default(&c);
    c.loss_model = SS_LOSS_BERNOULLI;
    c.loss = 0.02;
    struct pair p;
    pair_new(&p, seed, &c);
    ss_tcp_info i;
    transfer(&p, 50000, &i);
    *n = ss_trace_count(p.sim);
    *out = malloc(*n * sizeof **out);
    ss_trace_copy(p.sim, 0, *out, *n);
    ss_tcp_conn_release(p.conn);
    ss_sim_free(p.sim);
}

static void test_runs_are_reproducible(void)
{
    ss_trace_record *a, *b, *c;
    size_t na, nb, nc;
    trace_of_run(9, &a, &na);
    trace_of_run(9, &b, &nb);
    trace_of_run(10, &c, &nc);
    CU_ASSERT_EQUAL(na, nb);
    CU_ASSERT(na == nb && memcmp(a, b, na * sizeof *a) == 0);
    CU_ASSERT(na != nc || memcmp(a, c, na * sizeof *a) != 0);
    free(a);
    free(b);
    free(c);
}

/* A connect scheduled for later: CLOSED until then, the SYN at `at`. */
static void test_connect_at_a_later_time(void)
{
    struct tcpfix *f = tf_new();
    ss_trace_enable(f->sim, SS_TRACE_ALL);
    CU_ASSERT_EQUAL(ss_tcp_connect_at(f->h, ss_node_addr(f->peer), 80, 2500 * SS_MSEC, &tf_callbacks, f, &f->conn), 0);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSED);
    ss_sim_run(f->sim, 2 * SS_SEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSED);
    CU_ASSERT_EQUAL(f->n, 0);
    ss_sim_run(f->sim, 3 * SS_SEC);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_SYN_SENT);
    ss_time sent[4];
    CU_ASSERT_EQUAL(tf_sent_times(f, SS_TCP_SYN, sent, 4), 1);
    CU_ASSERT_EQUAL(sent[0], 2500 * SS_MSEC);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    CU_ASSERT_EQUAL(i.t_open, 2500 * SS_MSEC);
    ss_trace_record r[8];
    size_t n = ss_trace_copy(f->sim, 0, r, 8);
    /* the call at 0, the timer at 2.5 s, the state change, the SYN */
    CU_ASSERT_FATAL(n >= 4);
    CU_ASSERT_NOT_EQUAL(i.id, 0);
    CU_ASSERT(r[0].kind == SS_TRACE_APP && r[0].cause == SS_CALL_CONNECT && r[0].time == 0 && r[0].conn == i.id);
    CU_ASSERT(r[1].kind == SS_TRACE_TIMER && r[1].cause == SS_TIMER_OPEN && r[1].time == 2500 * SS_MSEC);
    CU_ASSERT(r[2].kind == SS_TRACE_STATE && r[2].conn == i.id && r[2].old_state == SS_TCP_CLOSED &&
              r[2].new_state == SS_TCP_SYN_SENT && r[2].time == 2500 * SS_MSEC);
    CU_ASSERT(r[3].kind == SS_TRACE_SEND && r[3].conn == i.id);
    CU_ASSERT_STRING_EQUAL(ss_trace_cause_name(SS_TRACE_TIMER, SS_TIMER_OPEN), "open");
    CU_ASSERT_EQUAL(ss_tcp_connect_at(f->h, ss_node_addr(f->peer), 80, 1 * SS_SEC, NULL, NULL, &f->conn), SS_EINVAL);
    tf_free(f);
}

/* The connection table: a row per connection, up to date after it ends,
 * outliving the recycled connection objects. */
/* A connect scheduled for later dies with its host: a crash before `at`
 * reports EHOSTDOWN at the crash, and nothing is sent after the restart. */
static void test_connect_at_dies_with_a_crash(void)
{
    struct tcpfix *f = tf_new();
    CU_ASSERT_EQUAL(ss_tcp_connect_at(f->h, ss_node_addr(f->peer), 80, 5 * SS_SEC, &tf_callbacks, f, &f->conn), 0);
    ss_tcp_conn_hold(f->conn);
    CU_ASSERT_EQUAL(ss_node_crash(f->sim, f->h, 1 * SS_SEC), 0);
    CU_ASSERT_EQUAL(ss_node_restart(f->sim, f->h, 2 * SS_SEC), 0);
    ss_sim_run(f->sim, 1 * SS_SEC + 1);
    CU_ASSERT_EQUAL(f->closed, 1);
    CU_ASSERT_EQUAL(f->closed_err, EHOSTDOWN);
    CU_ASSERT_EQUAL(ss_tcp_conn_error(f->conn), EHOSTDOWN);
    ss_sim_run(f->sim, 200 * SS_SEC);
    CU_ASSERT_EQUAL(f->n, 0);
    CU_ASSERT_EQUAL(f->closed, 1);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(f->conn), SS_TCP_CLOSED);
    ss_tcp_conn_release(f->conn);
    tf_free(f);
}

/* Every ephemeral port taken (ip_local_port_range 32768-60999): connect
 * fails as Linux's does, with EADDRNOTAVAIL, reported as the connection's
 * error through its closed callback; the table has its row, with that
 * error, and nothing else changes. */
static void test_ephemeral_ports_exhausted(void)
{
    struct tcpfix *f = tf_new();
    ss_tcp_set_recording(f->sim, true);
    size_t ports = TCP_EPHEMERAL_HIGH - TCP_EPHEMERAL_LOW + 1;
    ss_tcp_conn *first = NULL;
    for (size_t k = 0; k < ports; k++) {
        ss_tcp_conn *c;
        CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), 80, NULL, NULL, &c), 0);
        if (!first)
            first = c;
    }
    size_t rows = ss_tcp_record_count(f->sim);
    CU_ASSERT_EQUAL(rows, ports);
    ss_tcp_conn *extra;
    CU_ASSERT_EQUAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), 80, &tf_callbacks, f, &extra), 0);
    ss_tcp_conn_hold(extra);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(extra), SS_TCP_CLOSED);
    CU_ASSERT_EQUAL(f->closed, 0); /* reported from an event, not inside the call */
    ss_sim_run(f->sim, 0);
    CU_ASSERT_EQUAL(f->closed, 1);
    CU_ASSERT_EQUAL(f->closed_err, EADDRNOTAVAIL);
    CU_ASSERT_EQUAL(ss_tcp_conn_error(extra), EADDRNOTAVAIL);
    CU_ASSERT_EQUAL(ss_tcp_record_count(f->sim), rows + 1);
    ss_tcp_record r;
    CU_ASSERT_EQUAL(ss_tcp_records_copy(f->sim, rows, &r, 1), 1);
    CU_ASSERT_EQUAL(r.error, EADDRNOTAVAIL);
    CU_ASSERT_EQUAL(r.local_port, 0);
    ss_tcp_conn_release(extra);
    /* full again, without a scan: still EADDRNOTAVAIL; another destination
     * port has the whole range */
    ss_tcp_conn *again, *elsewhere;
    CU_ASSERT_EQUAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), 80, NULL, NULL, &again), 0);
    CU_ASSERT_EQUAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), 81, NULL, NULL, &elsewhere), 0);
    ss_tcp_conn_hold(again);
    ss_sim_run(f->sim, 0);
    CU_ASSERT_EQUAL(ss_tcp_conn_error(again), EADDRNOTAVAIL);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(elsewhere), SS_TCP_SYN_SENT);
    ss_tcp_conn_release(again);
    /* one connection goes: its port is free for the next connect */
    ss_tcp_info fi;
    ss_tcp_conn_info(first, &fi);
    CU_ASSERT_EQUAL(ss_tcp_abort(first), 0);
    ss_tcp_conn *reuse;
    CU_ASSERT_EQUAL(ss_tcp_connect(f->h, ss_node_addr(f->peer), 80, NULL, NULL, &reuse), 0);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(reuse), SS_TCP_SYN_SENT);
    ss_tcp_info ri;
    ss_tcp_conn_info(reuse, &ri);
    CU_ASSERT_EQUAL(ri.local_port, fi.local_port);
    tf_free(f);
}

static void test_connection_table(void)
{
    struct pair p;
    pair_new(&p, 1, NULL);
    ss_tcp_info ci;
    transfer(&p, 5000, &ci);
    CU_ASSERT_EQUAL_FATAL(ss_tcp_record_count(p.sim), 2);
    ss_tcp_record r[2];
    CU_ASSERT_EQUAL(ss_tcp_records_copy(p.sim, 0, r, 2), 2);
    ss_tcp_record *cli = r[0].passive ? &r[1] : &r[0], *srv = r[0].passive ? &r[0] : &r[1];
    CU_ASSERT_FALSE(cli->passive);
    CU_ASSERT_TRUE(srv->passive);
    CU_ASSERT_EQUAL(cli->id, ci.id);
    CU_ASSERT_EQUAL(cli->node, ss_node_id(p.client));
    CU_ASSERT_EQUAL(srv->node, ss_node_id(p.server));
    CU_ASSERT_EQUAL(cli->iss, srv->irs);
    CU_ASSERT_EQUAL(srv->iss, cli->irs);
    CU_ASSERT_EQUAL(cli->local_port, srv->remote_port);
    CU_ASSERT_EQUAL(cli->t_open, 0);
    CU_ASSERT_EQUAL(cli->t_established, ci.t_established);
    CU_ASSERT(srv->t_established > cli->t_established && srv->t_accepted == srv->t_established);
    CU_ASSERT_EQUAL(cli->t_closed, ci.t_closed);
    CU_ASSERT_EQUAL(cli->state, SS_TCP_CLOSED);
    CU_ASSERT_EQUAL(srv->state, SS_TCP_CLOSED);
    CU_ASSERT_EQUAL(cli->bytes_acked, 5000);
    CU_ASSERT_EQUAL(srv->bytes_received, 5000);
    CU_ASSERT_EQUAL(cli->error, 0);
    ss_tcp_conn_release(p.conn);
    ss_sim_free(p.sim);

    pair_new(&p, 1, NULL);
    ss_tcp_set_recording(p.sim, false);
    transfer(&p, 10, &ci);
    CU_ASSERT_EQUAL(ss_tcp_record_count(p.sim), 0);
    ss_tcp_conn_release(p.conn);
    ss_sim_free(p.sim);
}

/* Rows are current when read, mid-connection: established time, bytes
 * acknowledged and the state as the connection has them now, not as they
 * were at its last state change. */
static void test_connection_table_is_current_when_read(void)
{
    struct tcpfix *f = tf_new();
    ss_tcp_set_recording(f->sim, true);
    uint32_t iss = tf_open_active(f, NULL);
    ss_tcp_record r;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_records_copy(f->sim, 0, &r, 1), 1);
    ss_tcp_info i;
    ss_tcp_conn_info(f->conn, &i);
    CU_ASSERT(i.t_established > 0);
    CU_ASSERT_EQUAL(r.t_established, i.t_established);
    CU_ASSERT_EQUAL(r.state, SS_TCP_ESTABLISHED);
    CU_ASSERT_EQUAL(ss_tcp_send(f->conn, 1000), 0);
    tf_run(f, 2 * SS_MSEC);
    tf_send(f, SS_TCP_ACK, 1001, iss + 1 + 400, 0);
    tf_run(f, 2 * SS_MSEC);
    CU_ASSERT_EQUAL(ss_tcp_records_copy(f->sim, 0, &r, 1), 1);
    CU_ASSERT_EQUAL(r.bytes_sent, 1000);
    CU_ASSERT_EQUAL(r.bytes_acked, 400);
    CU_ASSERT_EQUAL(r.mss, i.mss);
    tf_free(f);
}

static int scenario_lifecycle(void)
{
    ss_sim *sim;
    int rc = ss_sim_new(5, &sim);
    if (rc < 0)
        return rc;
    ss_node *a, *b;
    ss_link *l;
    ss_link_config c;
    ss_link_config_default(&c);
    struct app cli = {0}, srv = {.close_on_peer_close = true};
    ss_tcp_listener *lis;
    ss_tcp_conn *conn;
    if ((rc = ss_host_new(sim, "a", 0, &a)) < 0 || (rc = ss_host_new(sim, "b", 0, &b)) < 0 ||
        (rc = ss_link_new(sim, a, b, &c, &l)) < 0 || (rc = ss_tcp_set(b, "tcp_syn_retries", 2)) < 0 ||
        (rc = ss_tcp_listen(b, 80, 4, &app_cb, &srv, &lis)) < 0 ||
        (rc = ss_tcp_connect(a, ss_node_addr(b), 80, &app_cb, &cli, &conn)) < 0)
        goto out;
    if ((rc = ss_sim_run(sim, 1 * SS_SEC)) < 0)
        goto out;
    if (cli.established && (rc = ss_tcp_send(conn, 20000)) == 0)
        rc = ss_tcp_close(conn);
    if (rc == 0)
        rc = ss_sim_run(sim, SS_TIME_MAX);
    if (rc == 0 && (srv.received != 20000 || cli.closed_err != 0))
        rc = -99;
out:
    ss_sim_free(sim);
    return rc;
}

static void test_each_allocation_failure_is_clean(void)
{
    testing_fail_each_allocation(scenario_lifecycle);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"data then close", test_data_then_close},
        {"data survives 5% loss", test_data_survives_loss},
        {"receiver window is respected", test_receiver_window_is_respected},
        {"option negotiation table", test_negotiation_table},
        {"SYN-ACK echoes only offered options", test_synack_echoes_only_offered_options},
        {"MSS from the route's MTU", test_mss_from_mtu},
        {"every peer MSS 0..65535, floored at tcp_min_snd_mss", test_every_peer_mss},
        {"settings by sysctl name", test_settings_by_sysctl_name},
        {"sysctl ranges are Linux's", test_sysctl_ranges_are_linux},
        {"API refusals", test_api_refusals},
        {"ISN: keyed hash plus 4 us clock", test_isn_clock_and_key},
        {"runs are reproducible", test_runs_are_reproducible},
        {"connect at a later time", test_connect_at_a_later_time},
        {"connect at a later time dies with a crash", test_connect_at_dies_with_a_crash},
        {"ephemeral ports exhausted: EADDRNOTAVAIL", test_ephemeral_ports_exhausted},
        {"connection table", test_connection_table},
        {"connection table is current when read", test_connection_table_is_current_when_read},
        {"each allocation failure is clean", test_each_allocation_failure_is_clean},
        {NULL, NULL},
    };
    tf_add_suite("tcp connections", cases);
    return testing_main();
}
