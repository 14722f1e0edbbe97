/* Routing: shortest paths through routers (core/src/route.c). */
#include <stdlib.h>

#include "net/netfix.h"
#include "testing.h"

static ss_link_config ten_ms(void)
{
    return netfix_link(8000000, 10 * SS_MSEC, 100); /* 1000 B = 1 ms */
}

/* h1 - r1 - h2: each hop adds its own serialisation and delay; TTL drops
 * by one per router. */
static void test_through_one_router(void)
{
    struct netfix_line f;
    ss_link_config c = ten_ms();
    CU_ASSERT_EQUAL_FATAL(netfix_line_new(&f, 1, &c), 0);
    netfix_send(f.sim, f.h1, f.h2, 1000, 1);
    ss_sim_run(f.sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(f.log->n, 1);
    CU_ASSERT_EQUAL(f.log->a[0].at, 2 * (1 * SS_MSEC + 10 * SS_MSEC));
    CU_ASSERT_EQUAL(f.log->a[0].ttl, SS_DEFAULT_TTL - 1);
    ss_node_stats st;
    ss_node_get_stats(f.r, &st);
    CU_ASSERT_EQUAL(st.forwarded, 1);
    netfix_line_free(&f);
}

static void test_through_two_routers_both_ways(void)
{
    ss_sim *sim;
    ss_node *h1, *h2, *r1, *r2;
    ss_link *l;
    struct netfix_log *log1 = calloc(1, sizeof *log1), *log2 = calloc(1, sizeof *log2);
    ss_link_config c = ten_ms();
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    ss_host_new(sim, "h1", 0, &h1);
    ss_router_new(sim, "r1", 0, &r1);
    ss_router_new(sim, "r2", 0, &r2);
    ss_host_new(sim, "h2", 0, &h2);
    ss_link_new(sim, h1, r1, &c, &l);
    ss_link_new(sim, r1, r2, &c, &l);
    ss_link_new(sim, r2, h2, &c, &l);
    ss_node_set_receiver(h1, netfix_receive, log1);
    ss_node_set_receiver(h2, netfix_receive, log2);
    netfix_send(sim, h1, h2, 1000, 1);
    netfix_send(sim, h2, h1, 500, 2);
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(log2->n, 1);
    CU_ASSERT_EQUAL(log2->a[0].at, 3 * 11 * SS_MSEC);
    CU_ASSERT_EQUAL(log2->a[0].ttl, SS_DEFAULT_TTL - 2);
    CU_ASSERT_EQUAL(log1->n, 1);
    CU_ASSERT_EQUAL(log1->a[0].at, 3 * (500 * SS_USEC + 10 * SS_MSEC));
    ss_sim_free(sim);
    free(log1);
    free(log2);
}

/* Two paths: h1-rA-h2 (2 hops) and h1-rB-rC-h2 (3 hops).  The shorter is
 * taken; with equal lengths the earlier-built link wins. */
static void test_shortest_path_and_tie_break(void)
{
    ss_sim *sim;
    ss_node *h1, *h2, *ra, *rb, *rc, *rd;
    ss_link *l, *via_b, *via_d;
    ss_link_config c = ten_ms();
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    ss_host_new(sim, "h1", 0, &h1);
    ss_host_new(sim, "h2", 0, &h2);
    ss_router_new(sim, "rb", 0, &rb);
    ss_router_new(sim, "rc", 0, &rc);
    ss_router_new(sim, "ra", 0, &ra);
    ss_router_new(sim, "rd", 0, &rd);
    ss_link_new(sim, h1, rb, &c, &via_b); /* long path built first */
    ss_link_new(sim, rb, rc, &c, &l);
    ss_link_new(sim, rc, h2, &c, &l);
    ss_link_new(sim, h1, ra, &c, &l); /* short path */
    ss_link_new(sim, ra, h2, &c, &l);
    ss_link *out;
    int dir;
    CU_ASSERT_EQUAL(ss_route_lookup(sim, h1, ss_node_addr(h2), &out, &dir), 0);
    CU_ASSERT_PTR_EQUAL(ss_link_end(out, dir == 0 ? 1 : 0), ra);
    /* a second two-hop path, built later, does not take over */
    ss_link_new(sim, h1, rd, &c, &via_d);
    ss_link_new(sim, rd, h2, &c, &l);
    CU_ASSERT_EQUAL(ss_route_lookup(sim, h1, ss_node_addr(h2), &out, &dir), 0);
    CU_ASSERT_PTR_EQUAL(ss_link_end(out, dir == 0 ? 1 : 0), ra);
    /* from h2 back to h1 the path is two hops as well */
    CU_ASSERT_EQUAL(ss_route_lookup(sim, h2, ss_node_addr(h1), &out, &dir), 0);
    ss_node *next = ss_link_end(out, dir == 0 ? 1 : 0);
    CU_ASSERT(next == ra);
    ss_sim_free(sim);
}

/* Hosts do not forward; unknown addresses have no route; TTL runs out. */
static void test_no_route_and_ttl(void)
{
    ss_sim *sim;
    ss_node *h1, *h2, *h3, *r1;
    ss_link *l;
    ss_link_config c = ten_ms();
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    ss_host_new(sim, "h1", 0, &h1);
    ss_host_new(sim, "h2", 0, &h2);
    ss_host_new(sim, "h3", 0, &h3);
    ss_router_new(sim, "r1", 0, &r1);
    ss_link_new(sim, h1, h2, &c, &l);
    ss_link_new(sim, h2, h3, &c, &l);
    ss_link_new(sim, h1, r1, &c, &l);
    ss_link *out;
    int dir;
    CU_ASSERT_EQUAL(ss_route_lookup(sim, h1, ss_node_addr(h3), &out, &dir), SS_ENOENT);
    CU_ASSERT_EQUAL(ss_route_lookup(sim, h1, (192u << 24) | 1, &out, &dir), SS_ENOENT);
    CU_ASSERT_EQUAL(ss_route_lookup(sim, h1, ss_node_addr(h1), &out, &dir), SS_ENOENT);
    netfix_send(sim, h1, h3, 100, 0);
    ss_packet *p;
    ss_packet_new(sim, &p);
    p->dst = ss_node_addr(h2); /* via the direct link */
    ss_node_send(sim, h1, p);
    ss_sim_run(sim, SS_TIME_MAX);
    ss_node_stats st;
    ss_node_get_stats(h1, &st);
    CU_ASSERT_EQUAL(st.dropped_no_route, 1);
    ss_node_get_stats(h2, &st);
    CU_ASSERT_EQUAL(st.dropped_no_receiver, 1);
    /* TTL 1 through a router: dropped there */
    ss_node *h4;
    ss_host_new(sim, "h4", 0, &h4);
    ss_link_new(sim, r1, h4, &c, &l);
    ss_packet_new(sim, &p);
    p->dst = ss_node_addr(h4);
    p->ttl = 1;
    ss_node_send(sim, h1, p);
    ss_sim_run(sim, SS_TIME_MAX);
    ss_node_get_stats(r1, &st);
    CU_ASSERT_EQUAL(st.dropped_ttl, 1);
    CU_ASSERT_EQUAL(ss_packets_live(sim), 0);
    ss_sim_free(sim);
}

/* A link on the path taken down drops what is routed over it; the route
 * stays (static routing), and traffic resumes when it comes up. */
static void test_link_down_on_path(void)
{
    struct netfix_line f;
    ss_link_config c = ten_ms();
    CU_ASSERT_EQUAL_FATAL(netfix_line_new(&f, 1, &c), 0);
    ss_link_set_up(f.sim, f.l2, false);
    netfix_send(f.sim, f.h1, f.h2, 1000, 1);
    ss_sim_run(f.sim, 1 * SS_SEC);
    CU_ASSERT_EQUAL(f.log->n, 0);
    ss_link_stats s;
    ss_link_get_stats(f.l2, 0, &s);
    CU_ASSERT_EQUAL(s.dropped_down, 1);
    ss_link_set_up(f.sim, f.l2, true);
    netfix_send(f.sim, f.h1, f.h2, 1000, 2);
    ss_sim_run(f.sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(f.log->n, 1);
    CU_ASSERT_EQUAL(f.log->a[0].seq, 2);
    netfix_line_free(&f);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"through one router", test_through_one_router},
        {"through two routers, both ways", test_through_two_routers_both_ways},
        {"shortest path and tie-break", test_shortest_path_and_tie_break},
        {"no route and ttl", test_no_route_and_ttl},
        {"link down on the path", test_link_down_on_path},
        {NULL, NULL},
    };
    testing_add_suite("route", cases);
    return testing_main();
}
