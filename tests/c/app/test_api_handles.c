/* Every public function of every header, called with NULL for each handle
 * and pointer, and every function taking a connection called with a stale
 * one (its connection finished and its slot reused): each returns an error
 * code or the neutral value error.h documents, and touches nothing. */
#include <stdlib.h>
#include <string.h>

#include "synsim/app.h"
#include "synsim/pcap.h"
#include "tcp/tcpfix.h"

static void test_sim_rng_trace_with_null(void)
{
    ss_sim *sim;
    CU_ASSERT_EQUAL(ss_sim_new(1, NULL), SS_EINVAL);
    ss_sim_free(NULL);
    CU_ASSERT_EQUAL(ss_sim_now(NULL), 0);
    CU_ASSERT_EQUAL(ss_sim_seed(NULL), 0);
    CU_ASSERT_EQUAL(ss_sim_pending(NULL), 0);
    CU_ASSERT_EQUAL(ss_sim_events_run(NULL), 0);
    CU_ASSERT_EQUAL(ss_sim_error(NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_sim_run(NULL, 0), SS_EINVAL);
    ss_sim_stop(NULL);
    ss_timer_init(NULL, NULL, NULL);
    CU_ASSERT_EQUAL(ss_timer_arm(NULL, NULL, 0), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_timer_arm_in(NULL, NULL, 0), SS_EINVAL);
    ss_timer_cancel(NULL, NULL);
    CU_ASSERT_FALSE(ss_timer_armed(NULL));
    CU_ASSERT_EQUAL(ss_timer_when(NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    ss_timer t;
    ss_timer_init(&t, NULL, NULL);
    CU_ASSERT_EQUAL(ss_timer_arm(sim, NULL, 0), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_timer_arm(sim, &t, 0), SS_EINVAL); /* no function */
    ss_timer_cancel(sim, NULL);

    CU_ASSERT_EQUAL(ss_stream_id(NULL), ss_stream_id(""));
    ss_rng_seed(NULL, 1, 2);
    CU_ASSERT_EQUAL(ss_rng_next(NULL), 0);
    CU_ASSERT_EQUAL(ss_rng_uniform(NULL), 0.0);
    CU_ASSERT_EQUAL(ss_rng_below(NULL, 10), 0);
    CU_ASSERT_EQUAL(ss_rng_exponential(NULL, 1.0), 0.0);
    CU_ASSERT_FALSE(ss_rng_bernoulli(NULL, 0.5));

    CU_ASSERT_EQUAL(ss_trace_enable(NULL, SS_TRACE_ALL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_trace_mask(NULL), 0);
    CU_ASSERT_EQUAL(ss_trace_count(NULL), 0);
    ss_trace_record r;
    CU_ASSERT_EQUAL(ss_trace_copy(NULL, 0, &r, 1), 0);
    CU_ASSERT_EQUAL(ss_trace_copy(sim, 0, NULL, 1), 0);
    ss_trace_clear(NULL);
    CU_ASSERT_EQUAL(ss_trace_lost(NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(ss_trace_kind_name(-1));
    CU_ASSERT_PTR_NOT_NULL(ss_drop_cause_name(-1));
    CU_ASSERT_PTR_NOT_NULL(ss_trace_cause_name(-1, -1));
    CU_ASSERT_PTR_NOT_NULL(ss_strerror(12345));
    CU_ASSERT_PTR_NOT_NULL(ss_errname(-12345));
    CU_ASSERT_STRING_EQUAL(ss_errname(SS_ESTALE), "SS_ESTALE");
    ss_sim_free(sim);
}

static void test_net_with_null(void)
{
    ss_sim *sim;
    ss_node *h, *n;
    ss_link *l;
    ss_packet *p;
    ss_link_config c;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    CU_ASSERT_EQUAL(ss_packet_new(NULL, &p), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_packet_new(sim, NULL), SS_EINVAL);
    ss_packet_free(NULL, NULL);
    ss_packet_free(sim, NULL);
    CU_ASSERT_EQUAL(ss_packets_live(NULL), 0);
    CU_ASSERT_EQUAL(ss_host_new(NULL, "h", 0, &h), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_host_new(sim, NULL, 0, &h), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_host_new(sim, "h", 0, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_router_new(NULL, "r", 0, &n), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_router_new(sim, "r", 0, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_node_count(sim), 0); /* the refusals made nothing */
    CU_ASSERT_PTR_NULL(ss_node_by_name(NULL, "h"));
    CU_ASSERT_PTR_NULL(ss_node_by_name(sim, NULL));
    CU_ASSERT_PTR_NULL(ss_node_by_addr(NULL, 1));
    CU_ASSERT_EQUAL(ss_node_count(NULL), 0);
    CU_ASSERT_PTR_NULL(ss_node_at(NULL, 0));
    CU_ASSERT_PTR_NULL(ss_node_at(sim, 0));
    CU_ASSERT_STRING_EQUAL(ss_node_name(NULL), "");
    CU_ASSERT_EQUAL(ss_node_addr(NULL), 0);
    CU_ASSERT_EQUAL(ss_node_kind_of(NULL), SS_NODE_HOST);
    CU_ASSERT_EQUAL(ss_node_id(NULL), 0);
    CU_ASSERT_PTR_NULL(ss_node_sim(NULL));
    CU_ASSERT_EQUAL(ss_node_crash(NULL, NULL, 0), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_node_crash(sim, NULL, 0), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_node_restart(NULL, NULL, 0), SS_EINVAL);
    CU_ASSERT_FALSE(ss_node_is_up(NULL));
    CU_ASSERT_EQUAL(ss_node_boots(NULL), 0);
    ss_node_set_reset(NULL, NULL, NULL);
    ss_node_set_receiver(NULL, NULL, NULL);
    CU_ASSERT_EQUAL(ss_node_send(NULL, NULL, NULL), SS_EINVAL);
    ss_node_stats ns;
    memset(&ns, 0xff, sizeof ns);
    ss_node_get_stats(NULL, &ns);
    CU_ASSERT_EQUAL(ns.sent, 0); /* zeroed */
    ss_link_config_default(NULL);
    ss_link_config_default(&c);
    CU_ASSERT_EQUAL_FATAL(ss_host_new(sim, "h", 0, &h), 0);
    CU_ASSERT_EQUAL_FATAL(ss_host_new(sim, "n", 0, &n), 0);
    ss_node_get_stats(h, NULL);
    CU_ASSERT_EQUAL(ss_link_new(NULL, h, n, &c, &l), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_link_new(sim, NULL, n, &c, &l), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_link_new(sim, h, NULL, &c, &l), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_link_new(sim, h, n, &c, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_link_count(sim), 0);
    CU_ASSERT_EQUAL(ss_link_count(NULL), 0);
    CU_ASSERT_PTR_NULL(ss_link_at(NULL, 0));
    CU_ASSERT_PTR_NULL(ss_link_at(sim, 0));
    CU_ASSERT_PTR_NULL(ss_link_end(NULL, 0));
    ss_link_config lc;
    memset(&lc, 0xff, sizeof lc);
    ss_link_get_config(NULL, &lc);
    CU_ASSERT_EQUAL(lc.rate_bps, 0);
    CU_ASSERT_EQUAL(ss_link_set_up(NULL, NULL, true), SS_EINVAL);
    CU_ASSERT_FALSE(ss_link_is_up(NULL));
    CU_ASSERT_EQUAL(ss_link_schedule(NULL, NULL, 0, true), SS_EINVAL);
    ss_link_stats ls;
    CU_ASSERT_EQUAL(ss_link_get_stats(NULL, 0, &ls), SS_EINVAL);
    int dir;
    CU_ASSERT_EQUAL(ss_route_lookup(NULL, h, 1, &l, &dir), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_route_lookup(sim, NULL, 1, &l, &dir), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_route_lookup(sim, h, 1, NULL, &dir), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_route_lookup(sim, h, 1, &l, NULL), SS_EINVAL);
    uint32_t a;
    CU_ASSERT_EQUAL(ss_addr_parse(NULL, &a), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_addr_parse("10.0.0.1", NULL), SS_EINVAL);
    ss_addr_format(1, NULL);
    CU_ASSERT_EQUAL_FATAL(ss_link_new(sim, h, n, &c, &l), 0);
    ss_link_get_config(l, NULL);
    CU_ASSERT_EQUAL(ss_link_get_stats(l, 0, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_link_get_stats(l, 2, &ls), SS_EINVAL);
    CU_ASSERT_PTR_NULL(ss_link_end(l, 2));

    ss_pcap *pc;
    CU_ASSERT_EQUAL(ss_pcap_open(NULL, "/tmp/x.pcap", 0, &pc), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_pcap_open(sim, NULL, 0, &pc), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_pcap_open(sim, "/tmp/x.pcap", 0, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_pcap_add_node(NULL, h), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_pcap_add_link(NULL, l), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_pcap_packets(NULL), 0);
    CU_ASSERT_EQUAL(ss_pcap_close(NULL), SS_EINVAL);
    ss_sim_free(sim);
}

static void test_tcp_and_apps_with_null(void)
{
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(1, &sim, &a, &b);
    ss_tcp_conn *c;
    ss_tcp_listener *l;
    CU_ASSERT_PTR_NOT_NULL(ss_tcp_state_name(-1));
    CU_ASSERT_PTR_NOT_NULL(ss_tcp_errno_name(-1));
    CU_ASSERT_EQUAL(ss_tcp_connect(NULL, 1, 80, NULL, NULL, &c), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_connect(a, ss_node_addr(b), 80, NULL, NULL, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_connect_at(NULL, 1, 80, 0, NULL, NULL, &c), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listen(NULL, 80, 1, NULL, NULL, &l), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listen(a, 80, 1, NULL, NULL, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listener_close(NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listener_set_accept(NULL, 0), SS_EINVAL);
    ss_tcp_listener_info li;
    CU_ASSERT_EQUAL(ss_tcp_listener_info_get(NULL, &li), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_send(NULL, 1), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_close(NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_abort(NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_set_keepalive(NULL, true, 0, 0, 0), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_set_user_timeout(NULL, 0), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listener_set_keepalive(NULL, true, 0, 0, 0), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_listener_set_user_timeout(NULL, 0), SS_EINVAL);
    ss_tcp_conn_hold(NULL);
    ss_tcp_conn_release(NULL);
    ss_tcp_info ti;
    memset(&ti, 0xff, sizeof ti);
    ss_tcp_conn_info(NULL, &ti);
    CU_ASSERT_EQUAL(ti.id, 0);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(NULL), SS_TCP_CLOSED);
    CU_ASSERT_EQUAL(ss_tcp_conn_error(NULL), 0);
    CU_ASSERT_PTR_NULL(ss_tcp_conn_host(NULL));
    CU_ASSERT_EQUAL(ss_tcp_set_recording(NULL, true), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_record_count(NULL), 0);
    ss_tcp_record rec;
    CU_ASSERT_EQUAL(ss_tcp_records_copy(NULL, 0, &rec, 1), 0);
    CU_ASSERT_EQUAL(ss_tcp_records_copy(sim, 0, NULL, 1), 0);
    CU_ASSERT_PTR_NULL(ss_tcp_setting_name(100000));
    int64_t lo, hi, def, v;
    CU_ASSERT_EQUAL(ss_tcp_setting_range(NULL, &lo, &hi, &def), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_setting_range("tcp_sack", NULL, NULL, NULL), 0); /* outputs are optional */
    CU_ASSERT_EQUAL(ss_tcp_get(NULL, "tcp_sack", &v), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_get(a, "tcp_sack", NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_set(NULL, "tcp_sack", 1), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_set(a, NULL, 1), SS_EINVAL);
    CU_ASSERT_PTR_NULL(ss_tcp_counter_name(100000));
    uint64_t cv;
    CU_ASSERT_EQUAL(ss_tcp_counter(NULL, "InSegs", &cv), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_counter(a, NULL, &cv), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_counter(a, "InSegs", NULL), SS_EINVAL);
    CU_ASSERT_PTR_NULL(ss_tcp_handle_get((ss_tcp_handle){0}));

    ss_app_clients *cl;
    ss_app_server *sv;
    ss_app_flood *fl;
    ss_clients_config cc = {.server = ss_node_addr(b), .port = 80, .rate = 1, .stop = SS_SEC};
    ss_flood_config fc = {.kind = SS_FLOOD_SYN, .target = ss_node_addr(b), .port = 80, .prefix_len = 24, .rate = 1};
    CU_ASSERT_EQUAL(ss_app_clients_new(NULL, "c", &cc, &cl), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_app_clients_new(a, "c", NULL, &cl), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_app_clients_new(a, "c", &cc, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_app_clients_count(NULL), 0);
    ss_client_record cr;
    CU_ASSERT_EQUAL(ss_app_clients_record(NULL, 0, &cr), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_app_server_new(NULL, 80, 1, 0, &sv), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_app_server_new(b, 80, 1, 0, NULL), SS_EINVAL);
    CU_ASSERT_PTR_NULL(ss_app_server_listener(NULL));
    CU_ASSERT_EQUAL(ss_app_server_accepted(NULL), 0);
    CU_ASSERT_EQUAL(ss_app_flood_new(NULL, "f", &fc, &fl), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_app_flood_new(a, "f", NULL, &fl), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_app_flood_new(a, "f", &fc, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_app_flood_sent(NULL), 0);
    CU_ASSERT_STRING_EQUAL(ss_app_clients_stream(NULL), "");
    CU_ASSERT_STRING_EQUAL(ss_app_flood_stream(NULL), "");
    CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(a, "c", &cc, &cl), 0);
    CU_ASSERT_EQUAL(ss_app_clients_record(cl, 0, NULL), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_tcp_record_count(sim), 0); /* nothing ran: no row */
    ss_sim_free(sim);
}

/* A connection pointer kept past the end of its connection, without a
 * hold, whose slot then holds another connection: every call through the
 * old handle says SS_ESTALE (or the neutral value) and leaves the new
 * connection alone. */
static void test_stale_connection_handles(void)
{
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(1, &sim, &a, &b);
    ss_tcp_listener *other;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_listen(b, 81, 1, NULL, NULL, &other), 0); /* b runs TCP: port 80 answers RST */
    ss_tcp_conn *old;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(a, ss_node_addr(b), 80, NULL, NULL, &old), 0);
    ss_tcp_handle h = ss_tcp_handle_of(old);
    CU_ASSERT_PTR_EQUAL(ss_tcp_handle_get(h), old);
    ss_sim_run(sim, 10 * SS_MSEC); /* b answers RST: ECONNREFUSED, and the slot is free */
    CU_ASSERT_PTR_NULL(ss_tcp_handle_get(h));
    CU_ASSERT_EQUAL(ss_tcp_send(old, 1), SS_ESTALE);
    CU_ASSERT_EQUAL(ss_tcp_close(old), SS_ESTALE);
    CU_ASSERT_EQUAL(ss_tcp_abort(old), SS_ESTALE);
    CU_ASSERT_EQUAL(ss_tcp_set_keepalive(old, true, SS_SEC, SS_SEC, 1), SS_ESTALE);
    CU_ASSERT_EQUAL(ss_tcp_set_user_timeout(old, SS_SEC), SS_ESTALE);
    ss_tcp_conn *fresh;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_connect(a, ss_node_addr(b), 80, NULL, NULL, &fresh), 0);
    CU_ASSERT_PTR_EQUAL(fresh, old); /* the pool gave the same slot back */
    CU_ASSERT_PTR_NULL(ss_tcp_handle_get(h));
    ss_tcp_handle h2 = ss_tcp_handle_of(fresh);
    CU_ASSERT_PTR_EQUAL(ss_tcp_handle_get(h2), fresh);
    CU_ASSERT_NOT_EQUAL(h2.generation, h.generation);
    CU_ASSERT_EQUAL(ss_tcp_conn_state(fresh), SS_TCP_SYN_SENT);
    ss_sim_free(sim);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"sim, rng, trace: NULL everywhere", test_sim_rng_trace_with_null},
        {"net, pcap: NULL everywhere", test_net_with_null},
        {"tcp, apps: NULL everywhere", test_tcp_and_apps_with_null},
        {"stale connection handles", test_stale_connection_handles},
        {NULL, NULL},
    };
    tf_add_suite("public API: NULL and stale handles", cases);
    return testing_main();
}
