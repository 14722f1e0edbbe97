/* Nodes, addresses and the packet pool (core/src/node.c, net.c, packet.c,
 * error.c). */
#include <stdlib.h>
#include <string.h>

#include "net/netfix.h"
#include "testing.h"

static void test_names_and_addresses(void)
{
    ss_sim *sim;
    ss_node *a, *b, *r, *x;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    CU_ASSERT_EQUAL(ss_host_new(sim, "a", 0, &a), 0);
    CU_ASSERT_EQUAL(ss_router_new(sim, "r", 0, &r), 0);
    uint32_t fixed;
    CU_ASSERT_EQUAL(ss_addr_parse("10.0.0.2", &fixed), 0);
    CU_ASSERT_EQUAL(ss_host_new(sim, "b", fixed, &b), 0);
    CU_ASSERT_EQUAL(ss_host_new(sim, "c", 0, &x), 0);
    char text[16];
    ss_addr_format(ss_node_addr(a), text);
    CU_ASSERT_STRING_EQUAL(text, "10.0.0.1");
    ss_addr_format(ss_node_addr(r), text);
    CU_ASSERT_STRING_EQUAL(text, "10.255.0.1");
    ss_addr_format(ss_node_addr(x), text); /* skips the taken 10.0.0.2 */
    CU_ASSERT_STRING_EQUAL(text, "10.0.0.3");
    CU_ASSERT_EQUAL(ss_host_new(sim, "a", 0, &x), SS_EEXIST);
    CU_ASSERT_EQUAL(ss_host_new(sim, "d", fixed, &x), SS_EEXIST);
    CU_ASSERT_EQUAL(ss_host_new(sim, "", 0, &x), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_host_new(sim, NULL, 0, &x), SS_EINVAL);
    char long_name[80];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[79] = 0;
    CU_ASSERT_EQUAL(ss_host_new(sim, long_name, 0, &x), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_node_count(sim), 4);
    CU_ASSERT_PTR_EQUAL(ss_node_by_name(sim, "b"), b);
    CU_ASSERT_PTR_EQUAL(ss_node_by_addr(sim, fixed), b);
    CU_ASSERT_PTR_NULL(ss_node_by_name(sim, "nobody"));
    CU_ASSERT_EQUAL(ss_node_kind_of(r), SS_NODE_ROUTER);
    CU_ASSERT_EQUAL(ss_node_id(b), 2);
    /* many hosts: the address table grows and every lookup still works */
    char name[16];
    int found = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "h%d", i);
        ss_host_new(sim, name, 0, &x);
    }
    for (size_t i = 0; i < ss_node_count(sim); i++)
        found += ss_node_by_addr(sim, ss_node_addr(ss_node_at(sim, i))) == ss_node_at(sim, i);
    CU_ASSERT_EQUAL(found, 1004);
    ss_sim_free(sim);
}

static void test_addr_parse(void)
{
    uint32_t v;
    CU_ASSERT_EQUAL(ss_addr_parse("192.168.1.255", &v), 0);
    CU_ASSERT_EQUAL(v, 0xc0a801ffu);
    const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "1.2.3.4 ", "0001.2.3.4"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CU_ASSERT_EQUAL(ss_addr_parse(bad[i], &v), SS_EINVAL);
}

static void test_error_names(void)
{
    CU_ASSERT_STRING_EQUAL(ss_errname(SS_EINVAL), "SS_EINVAL");
    CU_ASSERT_STRING_EQUAL(ss_strerror(SS_ENOMEM), "out of memory");
    CU_ASSERT_STRING_EQUAL(ss_errname(SS_EOTHERSIM), "SS_EOTHERSIM");
    CU_ASSERT_STRING_EQUAL(ss_strerror(-100), "unknown error");
    CU_ASSERT_STRING_EQUAL(ss_errname(5), "SS_E?");
    for (int code = 0; code > -SS_ERROR_COUNT; code--)
        CU_ASSERT_STRING_NOT_EQUAL(ss_strerror(code), "unknown error");
}

/* Once the pool and the queues have grown to the traffic's working size,
 * forwarding traffic allocates nothing at all. */
static void test_steady_traffic_allocates_nothing(void)
{
    struct netfix_line f;
    ss_link_config c = netfix_link(100000000, 5 * SS_MSEC, 1000);
    c.loss_model = SS_LOSS_BERNOULLI;
    c.loss = 0.01;
    CU_ASSERT_EQUAL_FATAL(netfix_line_new(&f, 1, &c), 0);
    ss_sim *sim = f.sim;
    ss_node *h1 = f.h1, *h2 = f.h2;
    struct netfix_log *log = f.log;
    long before = 0;
    for (int round = 0; round < 200; round++) {
        if (round == 100)
            before = ss_alloc_count();
        for (int i = 0; i < 50; i++)
            netfix_send(sim, h1, h2, 1500, (uint32_t)i);
        log->n = 0;
        ss_sim_run(sim, ss_sim_now(sim) + 10 * SS_MSEC);
    }
    CU_ASSERT_EQUAL(ss_alloc_count() - before, 0);
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(ss_packets_live(sim), 0);
    netfix_line_free(&f);
}

static void test_send_refuses_bad_calls_and_frees(void)
{
    ss_sim *sim, *other;
    ss_node *a, *b;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(2, &other), 0);
    ss_host_new(sim, "a", 0, &a);
    ss_host_new(other, "b", 0, &b);
    ss_packet *p;
    ss_packet_new(sim, &p);
    CU_ASSERT_EQUAL(ss_node_send(sim, b, p), SS_EOTHERSIM);
    ss_packet_new(sim, &p);
    CU_ASSERT_EQUAL(ss_node_send(sim, NULL, p), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_packets_live(sim), 0);
    CU_ASSERT_EQUAL(ss_packet_new(sim, NULL), SS_EINVAL);
    ss_sim_free(sim);
    ss_sim_free(other);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"names and addresses", test_names_and_addresses},
        {"address parsing", test_addr_parse},
        {"error names", test_error_names},
        {"steady traffic allocates nothing", test_steady_traffic_allocates_nothing},
        {"send refuses bad calls and frees the packet", test_send_refuses_bad_calls_and_frees},
        {NULL, NULL},
    };
    testing_add_suite("node", cases);
    return testing_main();
}
