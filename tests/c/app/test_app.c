/* Traffic sources and the SYN-flood scenario (core/src/app_*.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synsim/app.h"
#include "synsim/pcap.h"
#include "tcp/tcpfix.h"

struct flood_result {
    size_t clients, established, first_try;
    ss_time max_latency_first_try;
    ss_time median_latency;
    uint32_t syn_queue_max, backlog;
    long allocations_during_flood;
    uint64_t drops, cookies;
};

static int cmp_time(const void *a, const void *b)
{
    ss_time x = *(const ss_time *)a, y = *(const ss_time *)b;
    return (x > y) - (x < y);
}

/* attacker, clients and server around one router, 5 ms links at 1 Gbit/s.
 * 100,000 spoofed SYNs at 10,000/s from t = 0; 40 Poisson clients (5/s)
 * during the flood; the server accepts at once. */
static void run_flood(int64_t cookies, struct flood_result *out)
{
    ss_sim *sim;
    ss_node *attacker, *clients, *server, *router;
    ss_link *l;
    ss_link_config c;
    ss_link_config_default(&c);
    c.delay = 5 * SS_MSEC;
    c.queue_packets = 10000;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(21, &sim), 0);
    ss_host_new(sim, "attacker", 0, &attacker);
    ss_host_new(sim, "clients", 0, &clients);
    ss_host_new(sim, "server", 0, &server);
    ss_router_new(sim, "router", 0, &router);
    ss_link_new(sim, attacker, router, &c, &l);
    ss_link_new(sim, clients, router, &c, &l);
    ss_link_new(sim, server, router, &c, &l);
    ss_tcp_set(server, "tcp_syncookies", cookies);
    ss_app_server *srv;
    CU_ASSERT_EQUAL_FATAL(ss_app_server_new(server, 80, 128, 0, &srv), 0);
    uint32_t spoofed;
    ss_addr_parse("198.18.0.0", &spoofed);
    ss_flood_config fc = {.kind = SS_FLOOD_SYN, .target = ss_node_addr(server), .port = 80, .prefix = spoofed,
                          .prefix_len = 15, .rate = 10000, .start = 0, .duration = SS_TIME_MAX, .count = 100000};
    ss_app_flood *flood;
    CU_ASSERT_EQUAL_FATAL(ss_app_flood_new(attacker, "flood", &fc, &flood), 0);
    ss_clients_config cc = {.server = ss_node_addr(server), .port = 80, .rate = 5, .count = 40,
                            .start = 500 * SS_MSEC, .stop = 9500 * SS_MSEC};
    ss_app_clients *cl;
    CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(clients, "legit", &cc, &cl), 0);
    ss_sim_run(sim, 3 * SS_SEC);
    long before = ss_alloc_count();
    ss_sim_run(sim, 9 * SS_SEC);
    out->allocations_during_flood = ss_alloc_count() - before;
    CU_ASSERT_EQUAL(ss_sim_run(sim, SS_TIME_MAX), 0);
    CU_ASSERT_EQUAL(ss_app_flood_sent(flood), 100000);
    out->clients = ss_app_clients_count(cl);
    out->established = out->first_try = 0;
    out->max_latency_first_try = 0;
    ss_time lat[64];
    size_t nlat = 0;
    for (size_t i = 0; i < out->clients; i++) {
        ss_client_record r;
        ss_app_clients_record(cl, i, &r);
        if (r.established < 0)
            continue;
        out->established++;
        ss_time latency = r.established - r.start;
        if (nlat < 64)
            lat[nlat++] = latency;
        if (r.syn_retransmits == 0) {
            out->first_try++;
            if (latency > out->max_latency_first_try)
                out->max_latency_first_try = latency;
        }
    }
    qsort(lat, nlat, sizeof *lat, cmp_time);
    out->median_latency = nlat ? lat[nlat / 2] : -1;
    ss_tcp_listener_info li;
    ss_tcp_listener_info_get(ss_app_server_listener(srv), &li);
    out->syn_queue_max = li.syn_queue_max;
    out->backlog = (uint32_t)li.backlog;
    ss_tcp_counter(server, "ListenDrops", &out->drops);
    ss_tcp_counter(server, "SyncookiesSent", &out->cookies);
    ss_sim_free(sim);
}

/* Without cookies, the flood keeps the SYN queue full: a legitimate SYN
 * finds a place only in the 100 us between flood SYNs right after a
 * pruned request leaves (about 129 per 7 s), so almost none connects on the
 * first try; they connect on a retransmission once the flood is over and
 * the queue has drained (10 s + 7 s), seconds later. */
static void test_flood_without_cookies(void)
{
    struct flood_result r;
    run_flood(0, &r);
    CU_ASSERT_EQUAL(r.clients, 40);
    CU_ASSERT(r.first_try <= 2);
    CU_ASSERT_EQUAL(r.established, 40); /* all eventually, by retransmission */
    CU_ASSERT(r.median_latency > 5 * SS_SEC);
    CU_ASSERT(r.drops > 90000);
    CU_ASSERT_EQUAL(r.cookies, 0);
    CU_ASSERT(r.syn_queue_max <= r.backlog + 1);
    CU_ASSERT_EQUAL(r.allocations_during_flood, 0);
}

/* With cookies (when full, or always), every client connects on its first
 * SYN in one round trip: 4 hops of 5 ms plus serialisation. */
static void check_flood_with_cookies(int64_t cookies)
{
    struct flood_result r;
    run_flood(cookies, &r);
    CU_ASSERT_EQUAL(r.clients, 40);
    CU_ASSERT_EQUAL(r.established, 40);
    CU_ASSERT_EQUAL(r.first_try, 40);
    CU_ASSERT(r.max_latency_first_try < 21 * SS_MSEC);
    CU_ASSERT(r.cookies > 99000);
    CU_ASSERT(r.syn_queue_max <= r.backlog + 1);
    CU_ASSERT_EQUAL(r.allocations_during_flood, 0);
}

static void test_flood_with_cookies_when_full(void) { check_flood_with_cookies(1); }
static void test_flood_with_cookies_always(void) { check_flood_with_cookies(2); }

/* Clients record one attempt each; Poisson arrivals have the asked rate. */
static void test_clients_poisson_and_records(void)
{
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(3, &sim, &a, &b);
    ss_app_server *srv;
    ss_app_server_new(b, 80, 128, 0, &srv);
    ss_clients_config cc = {.server = ss_node_addr(b), .port = 80, .rate = 200, .start = 0, .stop = 50 * SS_SEC,
                            .request_bytes = 3000};
    ss_app_clients *cl;
    CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(a, "poisson", &cc, &cl), 0);
    ss_sim_run(sim, SS_TIME_MAX);
    size_t n = ss_app_clients_count(cl);
    CU_ASSERT(n > 9500 && n < 10500); /* 10,000 +- 5 standard deviations */
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        ss_client_record r;
        ss_app_clients_record(cl, i, &r);
        ok += r.done && r.error == 0 && r.established > r.start;
    }
    CU_ASSERT_EQUAL(ok, n);
    CU_ASSERT_EQUAL(ss_app_server_accepted(srv), n);
    ss_clients_config bad = cc;
    bad.rate = 0;
    CU_ASSERT_EQUAL(ss_app_clients_new(a, "bad", &bad, &cl), SS_EINVAL);
    ss_flood_config fc = {.kind = SS_FLOOD_SYN, .target = 1, .port = 80, .prefix_len = 33, .rate = 1};
    ss_app_flood *fl;
    CU_ASSERT_EQUAL(ss_app_flood_new(a, "bad", &fc, &fl), SS_EINVAL);
    ss_sim_free(sim);
}

/* A client's record is current when read: SYN retransmissions show while
 * its connection still waits, not only once it has closed. */
static void test_client_records_are_current_when_read(void)
{
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(5, &sim, &a, &b);
    ss_node_set_receiver(b, NULL, NULL); /* b swallows every SYN */
    ss_clients_config cc = {.server = ss_node_addr(b), .port = 80, .rate = 10, .count = 1, .start = 0,
                            .stop = SS_SEC};
    ss_app_clients *cl;
    CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(a, "waiting", &cc, &cl), 0);
    ss_sim_run(sim, 5 * SS_SEC); /* SYN, then 1 s linear retransmissions */
    CU_ASSERT_EQUAL_FATAL(ss_app_clients_count(cl), 1);
    ss_client_record r;
    CU_ASSERT_EQUAL(ss_app_clients_record(cl, 0, &r), 0);
    CU_ASSERT_FALSE(r.done);
    CU_ASSERT(r.syn_retransmits >= 3);
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(ss_app_clients_record(cl, 0, &r), 0);
    CU_ASSERT_TRUE(r.done);
    CU_ASSERT_EQUAL(r.error, ETIMEDOUT);
    CU_ASSERT_EQUAL(r.syn_retransmits, 10); /* 4 linear + 6 doubling */
    ss_sim_free(sim);
}

/* A client arriving while its host is crashed fails alone, with
 * EHOSTDOWN and no connection: the run goes on and reports no error.
 * Clients that could never connect (to their own host, to 0.0.0.0) are
 * refused when built. */
static void test_clients_on_a_crashed_host_fail_alone(void)
{
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(9, &sim, &a, &b);
    ss_app_server *srv;
    CU_ASSERT_EQUAL_FATAL(ss_app_server_new(b, 80, 128, 0, &srv), 0);
    ss_clients_config cc = {.server = ss_node_addr(b), .port = 80, .rate = 50, .start = 0, .stop = 6 * SS_SEC};
    ss_app_clients *cl;
    CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(a, "outage", &cc, &cl), 0);
    CU_ASSERT_EQUAL(ss_node_crash(sim, a, 2 * SS_SEC), 0);
    CU_ASSERT_EQUAL(ss_node_restart(sim, a, 4 * SS_SEC), 0);
    CU_ASSERT_EQUAL(ss_sim_run(sim, SS_TIME_MAX), 0);
    CU_ASSERT_EQUAL(ss_sim_error(sim), 0);
    size_t n = ss_app_clients_count(cl), down = 0, ok = 0, aborted = 0;
    for (size_t i = 0; i < n; i++) {
        ss_client_record r;
        ss_app_clients_record(cl, i, &r);
        bool in_outage = r.start >= 2 * SS_SEC && r.start < 4 * SS_SEC;
        down += in_outage && r.done && r.error == EHOSTDOWN && r.conn == 0 && r.closed == r.start;
        ok += r.done && r.error == 0 && r.conn != 0;
        /* in flight when the host crashed: aborted by the crash */
        aborted += r.done && r.error == EHOSTDOWN && r.conn != 0 && r.start < 2 * SS_SEC && r.closed == 2 * SS_SEC;
    }
    CU_ASSERT(down > 50);
    CU_ASSERT(aborted <= 1); /* each lasts ~2 ms: at 50/s, rarely two at once */
    CU_ASSERT_EQUAL(ok + down + aborted, n);
    CU_ASSERT_EQUAL(ss_app_server_accepted(srv), ok);
    ss_clients_config self = cc;
    self.server = ss_node_addr(a);
    CU_ASSERT_EQUAL(ss_app_clients_new(a, "self", &self, &cl), SS_EINVAL);
    self.server = 0;
    CU_ASSERT_EQUAL(ss_app_clients_new(a, "none", &self, &cl), SS_EINVAL);
    ss_sim_free(sim);
}

/* Apps' times saturate at the end of time instead of overflowing (the
 * suites run under UBSan with float-cast-overflow): a flood whose start
 * plus duration passes it sends until then, and clients at a rate so low
 * that the first gap is infinite never arrive. */
static void test_app_times_saturate_at_the_end_of_time(void)
{
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(7, &sim, &a, &b); /* b runs no TCP: the SYNs end there */
    ss_flood_config fc = {.kind = SS_FLOOD_SYN, .target = ss_node_addr(b), .port = 80, .prefix = 0xC6120000,
                          .prefix_len = 16, .rate = 1, .start = SS_TIME_MAX - 3 * SS_SEC, .duration = SS_TIME_MAX - 1};
    ss_app_flood *fl;
    CU_ASSERT_EQUAL_FATAL(ss_app_flood_new(a, "late", &fc, &fl), 0);
    ss_clients_config cc = {.server = ss_node_addr(b), .port = 80, .rate = 1e-300, .start = 0, .stop = SS_TIME_MAX};
    ss_app_clients *cl;
    CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(a, "rare", &cc, &cl), 0);
    ss_clients_config late = {.server = ss_node_addr(b), .port = 80, .rate = 1e-9, .start = SS_TIME_MAX - SS_SEC,
                              .stop = SS_TIME_MAX};
    ss_app_clients *cl_late;
    CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(a, "late", &late, &cl_late), 0);
    CU_ASSERT_EQUAL(ss_sim_run(sim, SS_TIME_MAX), 0);
    CU_ASSERT_EQUAL(ss_app_flood_sent(fl), 3); /* at the end of time less 3, 2 and 1 s */
    CU_ASSERT_EQUAL(ss_app_clients_count(cl), 0);
    CU_ASSERT_EQUAL(ss_app_clients_count(cl_late), 0);
    ss_sim_free(sim);
}

/* Freeing a simulator at any instant of busy traffic touches nothing
 * already freed (run under ASan and valgrind by make test): connections
 * with armed timers, packets in flight on links with delay, requests in
 * the SYN queue, a capture open, apps mid-run.  Stops at 97 instants,
 * spread over the set-up, the flood and the drain. */
static void test_free_busy_simulator_at_any_instant(void)
{
    int stops = testing_quick() ? 23 : 97;
    for (int k = 0; k < stops; k++) {
        ss_sim *sim;
        ss_node *a, *b;
        netfix_pair(40 + (uint64_t)k, &sim, &a, &b);
        ss_tcp_set(b, "tcp_syncookies", 1);
        ss_app_server *srv;
        CU_ASSERT_EQUAL_FATAL(ss_app_server_new(b, 80, 16, 0, &srv), 0);
        ss_clients_config cc = {.server = ss_node_addr(b), .port = 80, .rate = 400, .start = 0,
                                .stop = 2 * SS_SEC, .request_bytes = 20000};
        ss_app_clients *cl;
        CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(a, "poisson", &cc, &cl), 0);
        ss_flood_config fc = {.kind = SS_FLOOD_SYN, .target = ss_node_addr(b), .port = 80, .prefix = 0xC6120000,
                              .prefix_len = 16, .rate = 2000, .start = 100 * SS_MSEC, .duration = SS_SEC};
        ss_app_flood *fl;
        CU_ASSERT_EQUAL_FATAL(ss_app_flood_new(a, "flood", &fc, &fl), 0);
        ss_tcp_conn *conn;
        ss_tcp_connect_at(a, ss_node_addr(b), 80, 5 * SS_SEC, NULL, NULL, &conn);
        char path[] = "/tmp/synsim-busy-free-XXXXXX";
        int fd = mkstemp(path);
        CU_ASSERT_FATAL(fd >= 0);
        close(fd);
        ss_pcap *cap;
        CU_ASSERT_EQUAL(ss_pcap_open(sim, path, 0, &cap), 0);
        ss_sim_run(sim, (ss_time)k * 31 * SS_MSEC + (ss_time)k * 7919);
        CU_ASSERT(ss_sim_pending(sim) > 0);
        ss_sim_free(sim);
        unlink(path);
    }
}

/* One scenario, built in the order `order` names: hosts c1, c2, s and a
 * router r (built in `hosts_reversed` order or not), links, a flood from c2
 * and two Clients (c1 and c2, both named "web").  The first arrivals of the
 * clients on c1 and c2, and the first forged sources of the flood, are
 * written to `out`. */
struct draws {
    ss_time c1[8], c2[8];
    uint64_t flood_sent;
    uint32_t flood_first_source;
};

static uint32_t first_forged_source(ss_sim *sim)
{
    ss_trace_record r;
    for (size_t i = 0; i < ss_trace_count(sim); i++)
        if (ss_trace_copy(sim, i, &r, 1) == 1 && r.kind == SS_TRACE_SEND && (r.flags & SS_TCP_SYN) &&
            !(r.flags & SS_TCP_ACK) && r.src >> 16 == 0xC612)
            return r.src;
    return 0;
}

static void build_and_draw(const char *order, bool hosts_reversed, bool extra, struct draws *out)
{
    ss_sim *sim;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(7, &sim), 0);
    ss_node *c1, *c2, *s, *r, *x;
    const char *names[] = {"c1", "c2", "s"};
    ss_node **nodes[] = {&c1, &c2, &s};
    for (int i = 0; i < 3; i++) {
        int k = hosts_reversed ? 2 - i : i;
        CU_ASSERT_EQUAL_FATAL(ss_host_new(sim, names[k], 0, nodes[k]), 0);
    }
    CU_ASSERT_EQUAL_FATAL(ss_router_new(sim, "r", 0, &r), 0);
    if (extra) /* a component the others know nothing of */
        CU_ASSERT_EQUAL_FATAL(ss_host_new(sim, "x", 0, &x), 0);
    ss_link_config lc;
    ss_link_config_default(&lc);
    ss_link *l;
    ss_node *ends[] = {c1, c2, s};
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL_FATAL(ss_link_new(sim, ends[hosts_reversed ? 2 - i : i], r, &lc, &l), 0);
    if (extra)
        CU_ASSERT_EQUAL_FATAL(ss_link_new(sim, x, r, &lc, &l), 0);
    ss_app_server *srv;
    CU_ASSERT_EQUAL_FATAL(ss_app_server_new(s, 80, 128, 0, &srv), 0);
    ss_trace_enable(sim, 1u << SS_TRACE_SEND);
    ss_clients_config cc = {.server = ss_node_addr(s), .port = 80, .rate = 20, .count = 8, .stop = SS_TIME_MAX};
    ss_flood_config fc = {.kind = SS_FLOOD_SYN, .target = ss_node_addr(s), .port = 80, .prefix = 0xC6120000,
                          .prefix_len = 16, .rate = 50, .duration = SS_SEC};
    ss_app_clients *a1 = NULL, *a2 = NULL, *ax = NULL;
    ss_app_flood *fl = NULL;
    for (const char *o = order; *o; o++) {
        if (*o == '1')
            CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(c1, "web", &cc, &a1), 0);
        if (*o == '2')
            CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(c2, "web", &cc, &a2), 0);
        if (*o == 'f')
            CU_ASSERT_EQUAL_FATAL(ss_app_flood_new(c2, NULL, &fc, &fl), 0);
    }
    if (extra) /* another app on c1, to the same server, told apart by name */
        CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(c1, "other", &cc, &ax), 0);
    ss_sim_run(sim, 10 * SS_SEC);
    ss_client_record rec;
    for (size_t i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(ss_app_clients_record(a1, i, &rec), 0);
        out->c1[i] = rec.start;
        CU_ASSERT_EQUAL(ss_app_clients_record(a2, i, &rec), 0);
        out->c2[i] = rec.start;
    }
    out->flood_sent = ss_app_flood_sent(fl);
    out->flood_first_source = first_forged_source(sim);
    CU_ASSERT_STRING_EQUAL(ss_app_clients_stream(a1), "app:clients:c1>s:80:web");
    CU_ASSERT_STRING_EQUAL(ss_app_flood_stream(fl), "app:synflood:c2>s:80");
    ss_sim_free(sim);
}

/* An app's draws depend on nothing but what the app is: every order of
 * creating the apps and the hosts, and an extra host, link and app, give
 * each app the same numbers; apps named alike on two hosts differ. */
static void test_app_streams_depend_only_on_the_app(void)
{
    static const char *orders[] = {"12f", "1f2", "21f", "2f1", "f12", "f21"};
    struct draws first, d;
    build_and_draw(orders[0], false, false, &first);
    CU_ASSERT(first.flood_sent == 50 && first.flood_first_source != 0);
    CU_ASSERT(memcmp(first.c1, first.c2, sizeof first.c1) != 0);
    CU_ASSERT(first.c1[0] != first.c2[0]);
    for (int i = 0; i < 6; i++)
        for (int variant = 0; variant < 4; variant++) {
            build_and_draw(orders[i], variant & 1, variant & 2, &d);
            CU_ASSERT(memcmp(first.c1, d.c1, sizeof d.c1) == 0);
            CU_ASSERT(memcmp(first.c2, d.c2, sizeof d.c2) == 0);
            CU_ASSERT_EQUAL(d.flood_first_source, first.flood_first_source);
        }
}

/* A second app of one identity would draw the first one's numbers: it is
 * refused with SS_EEXIST and changes nothing; a name tells them apart.  A
 * destination no node holds is named by its address. */
static void test_app_of_one_identity_is_refused_twice(void)
{
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(3, &sim, &a, &b);
    ss_clients_config cc = {.server = ss_node_addr(b), .port = 80, .rate = 1, .stop = SS_SEC};
    ss_app_clients *first, *again = (ss_app_clients *)&cc;
    CU_ASSERT_EQUAL_FATAL(ss_app_clients_new(a, NULL, &cc, &first), 0);
    CU_ASSERT_STRING_EQUAL(ss_app_clients_stream(first), "app:clients:a>b:80");
    long outstanding = ss_alloc_outstanding();
    CU_ASSERT_EQUAL(ss_app_clients_new(a, "", &cc, &again), SS_EEXIST);
    CU_ASSERT_PTR_NULL(again);
    CU_ASSERT_EQUAL(ss_alloc_outstanding(), outstanding);
    CU_ASSERT_EQUAL(ss_app_clients_new(a, "second", &cc, &again), 0);
    CU_ASSERT_EQUAL(ss_app_clients_new(a, "second", &cc, &again), SS_EEXIST);
    cc.port = 81; /* another port is another identity */
    CU_ASSERT_EQUAL(ss_app_clients_new(a, "second", &cc, &again), 0);
    char long_name[SS_APP_NAME_MAX + 2];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CU_ASSERT_EQUAL(ss_app_clients_new(a, long_name, &cc, &again), SS_EINVAL);
    long_name[SS_APP_NAME_MAX] = '\0';
    CU_ASSERT_EQUAL(ss_app_clients_new(a, long_name, &cc, &again), 0);
    ss_flood_config fc = {.kind = SS_FLOOD_ACK, .target = 0x0A636363, .port = 443, .prefix_len = 8, .rate = 1,
                          .duration = SS_SEC};
    ss_app_flood *fl;
    CU_ASSERT_EQUAL(ss_app_flood_new(a, "guess", &fc, &fl), 0);
    CU_ASSERT_STRING_EQUAL(ss_app_flood_stream(fl), "app:ackflood:a>10.99.99.99:443:guess");
    CU_ASSERT_EQUAL(ss_app_flood_new(a, "guess", &fc, &fl), SS_EEXIST);
    fc.kind = SS_FLOOD_SYN; /* another kind is another identity */
    CU_ASSERT_EQUAL(ss_app_flood_new(a, "guess", &fc, &fl), 0);
    ss_sim_free(sim);
}

/* Making apps with each allocation failing in turn: each call does all of
 * its work or none, and a refused app can be made once memory is back. */
static int scenario_apps(void)
{
    ss_sim *sim;
    int rc = ss_sim_new(5, &sim);
    if (rc < 0)
        return rc;
    ss_node *a, *b;
    if ((rc = ss_host_new(sim, "a", 0, &a)) < 0 || (rc = ss_host_new(sim, "b", 0, &b)) < 0)
        goto out;
    ss_clients_config cc = {.server = ss_node_addr(b), .port = 80, .rate = 1, .stop = SS_SEC};
    ss_app_clients *cl;
    char name[16];
    for (int i = 0; i < 20 && rc == 0; i++) { /* past the first growth of the stream table */
        snprintf(name, sizeof name, "c%d", i);
        rc = ss_app_clients_new(a, name, &cc, &cl);
    }
out:
    ss_sim_free(sim);
    return rc;
}

static void test_apps_each_allocation_failing(void)
{
    testing_fail_each_allocation(scenario_apps);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"SYN flood, tcp_syncookies=0: clients wait for retransmissions", test_flood_without_cookies},
        {"SYN flood, tcp_syncookies=1: first try", test_flood_with_cookies_when_full},
        {"SYN flood, tcp_syncookies=2: first try", test_flood_with_cookies_always},
        {"clients: Poisson arrivals and records", test_clients_poisson_and_records},
        {"freeing a busy simulator at any instant", test_free_busy_simulator_at_any_instant},
        {"client records are current when read", test_client_records_are_current_when_read},
        {"app times saturate at the end of time", test_app_times_saturate_at_the_end_of_time},
        {"clients on a crashed host fail alone", test_clients_on_a_crashed_host_fail_alone},
        {"app streams depend only on the app", test_app_streams_depend_only_on_the_app},
        {"an app of one identity is refused twice", test_app_of_one_identity_is_refused_twice},
        {"apps with each allocation failing", test_apps_each_allocation_failing},
        {NULL, NULL},
    };
    tf_add_suite("apps and SYN floods", cases);
    return testing_main();
}
