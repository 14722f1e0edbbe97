/* Trace records (core/src/trace.c). */
#include <stdlib.h>

#include "net/netfix.h"
#include "synsim/trace.h"
#include "testing.h"

static void test_records_follow_a_packet(void)
{
    struct netfix_line f;
    ss_link_config c = netfix_link(8000000, 10 * SS_MSEC, 0);
    CU_ASSERT_EQUAL_FATAL(netfix_line_new(&f, 1, &c), 0);
    ss_sim *sim = f.sim;
    ss_node *h1 = f.h1, *h2 = f.h2;
    netfix_send(sim, h1, h2, 1000, 7); /* untraced */
    ss_sim_run(sim, 1 * SS_SEC);
    CU_ASSERT_EQUAL(ss_trace_count(sim), 0);
    CU_ASSERT_EQUAL(ss_trace_enable(sim, SS_TRACE_ALL), 0);
    CU_ASSERT_EQUAL(ss_trace_enable(sim, 1u << 30), SS_EINVAL);
    uint64_t id = netfix_send(sim, h1, h2, 1000, 8);
    netfix_send(sim, h1, h2, 1000, 9); /* queue 0: dropped */
    ss_sim_run(sim, SS_TIME_MAX);
    ss_trace_record r_[8];
    size_t n = ss_trace_copy(sim, 0, r_, 8);
    CU_ASSERT_EQUAL(n, 5);
    int kinds[] = {SS_TRACE_SEND, SS_TRACE_SEND, SS_TRACE_DROP, SS_TRACE_FORWARD, SS_TRACE_RECV};
    ss_time times[] = {1 * SS_SEC, 1 * SS_SEC, 1 * SS_SEC, 1 * SS_SEC + 11 * SS_MSEC, 1 * SS_SEC + 22 * SS_MSEC};
    for (size_t i = 0; i < n && i < 5; i++) {
        CU_ASSERT_EQUAL(r_[i].kind, kinds[i]);
        CU_ASSERT_EQUAL(r_[i].time, times[i]);
    }
    CU_ASSERT_EQUAL(r_[2].cause, SS_DROP_QUEUE);
    CU_ASSERT_EQUAL(r_[4].packet, id);
    CU_ASSERT_EQUAL(r_[4].seq, 8);
    CU_ASSERT_EQUAL(r_[4].node, ss_node_id(h2));
    CU_ASSERT_EQUAL(r_[4].link, 2);
    CU_ASSERT_STRING_EQUAL(ss_trace_kind_name(SS_TRACE_DROP), "drop");
    CU_ASSERT_STRING_EQUAL(ss_drop_cause_name(SS_DROP_QUEUE), "queue");
    /* only drops */
    ss_trace_clear(sim);
    ss_trace_enable(sim, 1u << SS_TRACE_DROP);
    netfix_send(sim, h1, h2, 1000, 10);
    netfix_send(sim, h1, h2, 1000, 11);
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(ss_trace_count(sim), 1);
    CU_ASSERT_EQUAL(ss_trace_copy(sim, 5, r_, 8), 0);
    netfix_line_free(&f);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"records follow a packet", test_records_follow_a_packet},
        {NULL, NULL},
    };
    testing_add_suite("trace", cases);
    return testing_main();
}
