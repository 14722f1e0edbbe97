/* Routing: shortest paths through routers (core/src/route.c). */
#include <stdlib.h>

#include "net/net_internal.h"
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

/* The reference: all-pairs breadth-first search from every destination,
 * the simple nodes x nodes table the cached searches replaced.  Returns
 * the port index + 1 of `from` towards `dst`, 0 when unreachable. */
static uint32_t reference_port(ss_sim *sim, ss_node *from, ss_node *dst)
{
    size_t n = ss_node_count(sim);
    uint32_t *queue = malloc(n * sizeof *queue);
    uint8_t *seen = calloc(n, 1);
    uint32_t *port = calloc(n, sizeof *port);
    size_t head = 0, tail = 0;
    queue[tail++] = ss_node_id(dst);
    seen[ss_node_id(dst)] = 1;
    while (head < tail) {
        ss_node *v = ss_node_at(sim, queue[head++]);
        for (size_t i = 0; i < v->port_count; i++) {
            ss_node *u = v->ports[i].link->dir[v->ports[i].dir].to;
            if (seen[u->id])
                continue;
            seen[u->id] = 1;
            if (u->kind == SS_NODE_ROUTER)
                queue[tail++] = u->id;
            for (size_t j = 0; j < u->port_count; j++)
                if (u->ports[j].link == v->ports[i].link && u->ports[j].dir != v->ports[i].dir) {
                    port[u->id] = (uint32_t)j + 1;
                    break;
                }
        }
    }
    uint32_t out = port[ss_node_id(from)];
    free(queue);
    free(seen);
    free(port);
    return out;
}

/* Random topologies (routers in a random graph, single- and multi-homed
 * hosts, host-to-host links, parallel links, islands): every pair routes
 * exactly as the all-pairs reference, tie-breaks included, before and
 * after the topology grows. */
static void test_routes_match_all_pairs_reference(void)
{
    int rounds = testing_quick() ? 4 : 40;
    for (int round = 0; round < rounds; round++) {
        ss_sim *sim;
        CU_ASSERT_EQUAL_FATAL(ss_sim_new((uint64_t)round, &sim), 0);
        ss_rng rng;
        ss_rng_seed(&rng, 99, (uint64_t)round);
        ss_link_config c;
        ss_link_config_default(&c);
        int routers = 2 + (int)ss_rng_below(&rng, 8), hosts = 3 + (int)ss_rng_below(&rng, 20);
        ss_node *r[10], *h[23];
        ss_link *l;
        char name[16];
        for (int i = 0; i < routers; i++) {
            snprintf(name, sizeof name, "r%d", i);
            CU_ASSERT_EQUAL_FATAL(ss_router_new(sim, name, 0, &r[i]), 0);
        }
        for (int i = 0; i < hosts; i++) {
            snprintf(name, sizeof name, "h%d", i);
            CU_ASSERT_EQUAL_FATAL(ss_host_new(sim, name, 0, &h[i]), 0);
        }
        for (int phase = 0; phase < 2; phase++) {
            int links = routers + (int)ss_rng_below(&rng, (uint64_t)routers * 2);
            for (int k = 0; k < links; k++) {
                ss_node *a = r[ss_rng_below(&rng, (uint64_t)routers)], *b = r[ss_rng_below(&rng, (uint64_t)routers)];
                if (a != b)
                    ss_link_new(sim, a, b, &c, &l);
            }
            for (int i = 0; i < hosts; i++) {
                uint64_t kind = ss_rng_below(&rng, 10);
                if (phase == 0 || kind == 0) /* one link each, a few get more */
                    ss_link_new(sim, h[i], r[ss_rng_below(&rng, (uint64_t)routers)], &c, &l);
                if (kind == 1) /* a host-to-host link: neither forwards */
                    ss_link_new(sim, h[i], h[(i + 1) % hosts], &c, &l);
            }
            size_t n = ss_node_count(sim);
            int wrong = 0;
            for (size_t a = 0; a < n; a++)
                for (size_t b = 0; b < n; b++) {
                    ss_node *from = ss_node_at(sim, a), *to = ss_node_at(sim, b);
                    if (from == to)
                        continue;
                    ss_link *got_link = NULL;
                    int got_dir = -1;
                    int rc = ss_route_lookup(sim, from, ss_node_addr(to), &got_link, &got_dir);
                    uint32_t want = reference_port(sim, from, to);
                    if (!want)
                        wrong += rc != SS_ENOENT;
                    else
                        wrong += rc != 0 || got_link != from->ports[want - 1].link ||
                                 got_dir != from->ports[want - 1].dir;
                }
            CU_ASSERT_EQUAL(wrong, 0);
        }
        ss_sim_free(sim);
    }
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
        {"routes match the all-pairs reference", test_routes_match_all_pairs_reference},
        {NULL, NULL},
    };
    testing_add_suite("route", cases);
    return testing_main();
}
