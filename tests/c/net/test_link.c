/* Links: timing, drop-tail queue, loss, counters, up/down (core/src/link.c). */
#include <math.h>
#include <stdlib.h>

#include "net/netfix.h"
#include "testing.h"

static ss_sim *sim;
static ss_node *a, *b;
static ss_link *link;
static struct netfix_log *log_b;

static void make_pair(uint64_t seed, const ss_link_config *c)
{
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(seed, &sim), 0);
    CU_ASSERT_EQUAL_FATAL(ss_host_new(sim, "a", 0, &a), 0);
    CU_ASSERT_EQUAL_FATAL(ss_host_new(sim, "b", 0, &b), 0);
    CU_ASSERT_EQUAL_FATAL(ss_link_new(sim, a, b, c, &link), 0);
    log_b = calloc(1, sizeof *log_b);
    ss_node_set_receiver(b, netfix_receive, log_b);
}

static void free_pair(void)
{
    ss_sim_free(sim);
    free(log_b);
    sim = NULL;
}

/* Arrival = start of transmission + ceil(size * 8 / rate) + delay, where a
 * packet starts when it is sent or when the one before it finishes. */
static void test_arrival_times_by_hand(void)
{
    struct {
        int64_t rate;
        ss_time delay;
        uint32_t size;
        ss_time tx; /* computed by hand */
    } cases[] = {
        {10000000, 10 * SS_MSEC, 1500, 1200000},      /* 12000 bits at 10 Mb/s = 1.2 ms */
        {1000000000, 0, 40, 320},                     /* 320 bits at 1 Gb/s */
        {7000000, 5 * SS_USEC, 100, 114286},          /* 800 bits / 7 Mb/s = 114285.71 ns, rounded up */
        {100000000, 25 * SS_MSEC, 9000, 720000},      /* jumbo frame at 100 Mb/s */
        {56000, 100 * SS_MSEC, 576, 82285715},        /* 4608 bits at 56 kb/s = 82.2857143 ms, rounded up */
        {INT64_MAX, 0, 1500, 1},                      /* the largest rate: under 1 ns, rounded up */
        {INT64_MAX - 1, 3, 9000, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ss_link_config c = netfix_link(cases[k].rate, cases[k].delay, 100);
        c.mtu = 9000;
        make_pair(1, &c);
        /* A burst of three back to back at t = 0, and a lone packet sent at
         * 1 s when the link is idle again. */
        for (int i = 0; i < 3; i++)
            netfix_send(sim, a, b, cases[k].size, (uint32_t)i);
        ss_sim_run(sim, 1 * SS_SEC);
        netfix_send(sim, a, b, cases[k].size, 3);
        ss_sim_run(sim, SS_TIME_MAX);
        CU_ASSERT_EQUAL(log_b->n, 4);
        for (int i = 0; i < 3; i++)
            CU_ASSERT_EQUAL(log_b->a[i].at, (i + 1) * cases[k].tx + cases[k].delay);
        CU_ASSERT_EQUAL(log_b->a[3].at, 1 * SS_SEC + cases[k].tx + cases[k].delay);
        free_pair();
    }
}

/* A packet offered while an earlier one waits starts when the queue ahead
 * of it drains: queueing delay is exact too. */
static void test_queueing_delay(void)
{
    ss_link_config c = netfix_link(8000000, 1 * SS_MSEC, 10); /* 1000 B = 1 ms */
    make_pair(1, &c);
    netfix_send(sim, a, b, 1000, 0);                  /* 0..1 ms */
    ss_sim_run(sim, 500 * SS_USEC);
    netfix_send(sim, a, b, 1000, 1);                  /* waits 0.5 ms: 1..2 ms */
    ss_sim_run(sim, 2500 * SS_USEC);
    netfix_send(sim, a, b, 500, 2);                   /* idle: 2.5..3 ms */
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(log_b->n, 3);
    CU_ASSERT_EQUAL(log_b->a[0].at, 2 * SS_MSEC);
    CU_ASSERT_EQUAL(log_b->a[1].at, 3 * SS_MSEC);
    CU_ASSERT_EQUAL(log_b->a[2].at, 4 * SS_MSEC);
    free_pair();
}

/* Queue of 2: one packet being sent plus two waiting; the rest of a burst
 * is dropped, exactly those packets. */
static void test_queue_overflow_drops_exactly_what_does_not_fit(void)
{
    ss_link_config c = netfix_link(1000000, 0, 2); /* 1500 B = 12 ms */
    make_pair(1, &c);
    uint64_t ids[7];
    for (int i = 0; i < 6; i++)
        ids[i] = netfix_send(sim, a, b, 1500, (uint32_t)i);
    ss_link_stats s;
    ss_link_get_stats(link, 0, &s);
    CU_ASSERT_EQUAL(s.dropped_queue, 3);
    CU_ASSERT_EQUAL(s.in_flight, 3);
    /* At 12 ms the first has left the transmitter: one place frees up. */
    ss_sim_run(sim, 12 * SS_MSEC);
    ids[6] = netfix_send(sim, a, b, 1500, 6);
    netfix_send(sim, a, b, 1500, 7); /* no room for this one */
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(log_b->n, 4);
    uint64_t expect[] = {ids[0], ids[1], ids[2], ids[6]};
    ss_time at[] = {12 * SS_MSEC, 24 * SS_MSEC, 36 * SS_MSEC, 48 * SS_MSEC};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(log_b->a[i].id, expect[i]);
        CU_ASSERT_EQUAL(log_b->a[i].at, at[i]);
    }
    ss_link_get_stats(link, 0, &s);
    CU_ASSERT_EQUAL(s.sent, 8);
    CU_ASSERT_EQUAL(s.delivered, 4);
    CU_ASSERT_EQUAL(s.dropped_queue, 4);
    CU_ASSERT_EQUAL(s.in_flight, 0);
    CU_ASSERT(netfix_adds_up(link, 0));
    free_pair();
}

static void test_queue_zero_holds_only_the_packet_being_sent(void)
{
    ss_link_config c = netfix_link(1000000, 0, 0);
    make_pair(1, &c);
    netfix_send(sim, a, b, 1500, 0);
    netfix_send(sim, a, b, 1500, 1);
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(log_b->n, 1);
    CU_ASSERT_EQUAL(log_b->a[0].seq, 0);
    free_pair();
}

static void test_mtu(void)
{
    ss_link_config c = netfix_link(1000000000, 0, 10);
    make_pair(1, &c);
    netfix_send(sim, a, b, 1500, 0);
    netfix_send(sim, a, b, 1501, 1);
    ss_sim_run(sim, SS_TIME_MAX);
    ss_link_stats s;
    ss_link_get_stats(link, 0, &s);
    CU_ASSERT_EQUAL(s.delivered, 1);
    CU_ASSERT_EQUAL(s.dropped_mtu, 1);
    free_pair();
}

/* Send n packets spaced so that the queue never fills; return the
 * sequence numbers that arrived as a bitmap. */
static void lossy_run(uint64_t seed, const ss_link_config *c, int n, unsigned char *arrived)
{
    make_pair(seed, c);
    for (int i = 0; i < n; i++) {
        netfix_send(sim, a, b, 100, (uint32_t)i);
        ss_sim_run(sim, ss_sim_now(sim) + 10 * SS_USEC);
    }
    ss_sim_run(sim, SS_TIME_MAX);
    for (int i = 0; i < n; i++)
        arrived[i] = 0;
    for (int i = 0; i < log_b->n; i++)
        arrived[log_b->a[i].seq] = 1;
    CU_ASSERT(netfix_adds_up(link, 0));
    free_pair();
}

static void test_bernoulli_loss_reproducible_per_seed(void)
{
    enum { N = 10000 };
    static unsigned char first[N], again[N], other[N];
    ss_link_config c = netfix_link(1000000000, 1 * SS_MSEC, 100);
    c.loss_model = SS_LOSS_BERNOULLI;
    c.loss = 0.3;
    lossy_run(11, &c, N, first);
    lossy_run(11, &c, N, again);
    lossy_run(12, &c, N, other);
    int lost = 0, same = 1, differ = 0;
    for (int i = 0; i < N; i++) {
        lost += !first[i];
        same &= first[i] == again[i];
        differ += first[i] != other[i];
    }
    CU_ASSERT(same);
    CU_ASSERT(differ > N / 10);
    /* 0.3 +- 5 standard errors (0.0046 each) */
    CU_ASSERT(abs(lost - 3000) < 230);
}

static void test_gilbert_elliott_loss(void)
{
    enum { N = 10000 };
    static unsigned char first[N], again[N];
    ss_link_config c = netfix_link(1000000000, 1 * SS_MSEC, 100);
    c.loss_model = SS_LOSS_GILBERT;
    c.ge_good_to_bad = 0.01;
    c.ge_bad_to_good = 0.1;
    c.ge_loss_good = 0.0;
    c.ge_loss_bad = 0.5;
    lossy_run(3, &c, N, first);
    lossy_run(3, &c, N, again);
    int lost = 0, same = 1, runs_of_loss = 0;
    for (int i = 0; i < N; i++) {
        lost += !first[i];
        same &= first[i] == again[i];
        runs_of_loss += !first[i] && i > 0 && !first[i - 1];
    }
    CU_ASSERT(same);
    /* Stationary loss: P(bad) * 0.5 = (0.01 / 0.11) * 0.5 = 4.5 %; losses
     * come in bursts, far more often back to back than independent losses
     * at that rate would (0.045^2 * N = 20). */
    CU_ASSERT(lost > 300 && lost < 650);
    CU_ASSERT(runs_of_loss > 100);
}

static void test_counters_add_up_at_every_moment(void)
{
    ss_link_config c = netfix_link(10000000, 20 * SS_MSEC, 5);
    c.loss_model = SS_LOSS_BERNOULLI;
    c.loss = 0.1;
    make_pair(5, &c);
    ss_link_schedule(sim, link, 300 * SS_MSEC, false);
    ss_link_schedule(sim, link, 400 * SS_MSEC, true);
    int violations = 0;
    for (int step = 0; step < 1000; step++) {
        /* bursts of 1..8 packets, both directions */
        for (int k = 0; k <= step % 8; k++) {
            netfix_send(sim, a, b, 200 + (uint32_t)(step * 37 % 1300), (uint32_t)step);
            netfix_send(sim, b, a, 1600, (uint32_t)step); /* > MTU */
        }
        ss_sim_run(sim, ss_sim_now(sim) + 1 * SS_MSEC);
        violations += !netfix_adds_up(link, 0) + !netfix_adds_up(link, 1);
    }
    ss_sim_run(sim, SS_TIME_MAX);
    violations += !netfix_adds_up(link, 0) + !netfix_adds_up(link, 1);
    CU_ASSERT_EQUAL(violations, 0);
    ss_link_stats s;
    ss_link_get_stats(link, 0, &s);
    CU_ASSERT(s.dropped_queue > 0 && s.dropped_loss > 0 && s.dropped_down > 0);
    CU_ASSERT_EQUAL(s.in_flight, 0);
    CU_ASSERT_EQUAL(s.delivered, (uint64_t)log_b->n);
    ss_link_get_stats(link, 1, &s);
    CU_ASSERT_EQUAL(s.dropped_mtu + s.dropped_down, s.sent);
    CU_ASSERT_EQUAL(ss_packets_live(sim), 0);
    free_pair();
}

/* Going down drops everything on the link, queued or propagating; while
 * down, what is offered is dropped; after it comes up, traffic flows with
 * an idle transmitter. */
static void test_down_drops_what_it_would_carry(void)
{
    ss_link_config c = netfix_link(8000000, 10 * SS_MSEC, 100); /* 1000 B = 1 ms */
    make_pair(1, &c);
    for (int i = 0; i < 5; i++)
        netfix_send(sim, a, b, 1000, (uint32_t)i); /* arrive at 11..15 ms */
    CU_ASSERT_EQUAL(ss_link_schedule(sim, link, 12500 * SS_USEC, false), 0);
    CU_ASSERT_EQUAL(ss_link_schedule(sim, link, 30 * SS_MSEC, true), 0);
    ss_sim_run(sim, 20 * SS_MSEC);
    CU_ASSERT_FALSE(ss_link_is_up(link));
    CU_ASSERT_EQUAL(log_b->n, 2); /* 11 and 12 ms made it */
    netfix_send(sim, a, b, 1000, 5); /* offered while down */
    ss_sim_run(sim, 30 * SS_MSEC);
    CU_ASSERT_TRUE(ss_link_is_up(link));
    netfix_send(sim, a, b, 1000, 6);
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(log_b->n, 3);
    CU_ASSERT_EQUAL(log_b->a[2].seq, 6);
    CU_ASSERT_EQUAL(log_b->a[2].at, 41 * SS_MSEC);
    ss_link_stats s;
    ss_link_get_stats(link, 0, &s);
    CU_ASSERT_EQUAL(s.dropped_down, 4);
    CU_ASSERT_EQUAL(s.delivered, 3);
    CU_ASSERT(netfix_adds_up(link, 0));
    CU_ASSERT_EQUAL(ss_link_schedule(sim, link, 0, false), SS_EINVAL); /* the past */
    free_pair();
}

static void test_bad_configs_are_refused(void)
{
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    CU_ASSERT_EQUAL(ss_host_new(sim, "a", 0, &a), 0);
    CU_ASSERT_EQUAL(ss_host_new(sim, "b", 0, &b), 0);
    ss_link_config good, c;
    ss_link_config_default(&good);
    c = good, c.rate_bps = 0;
    CU_ASSERT_EQUAL(ss_link_new(sim, a, b, &c, &link), SS_ERANGE);
    c = good, c.delay = -1;
    CU_ASSERT_EQUAL(ss_link_new(sim, a, b, &c, &link), SS_ERANGE);
    c = good, c.mtu = 67;
    CU_ASSERT_EQUAL(ss_link_new(sim, a, b, &c, &link), SS_ERANGE);
    c = good, c.loss_model = SS_LOSS_BERNOULLI, c.loss = NAN;
    CU_ASSERT_EQUAL(ss_link_new(sim, a, b, &c, &link), SS_ERANGE);
    c = good, c.loss_model = SS_LOSS_BERNOULLI, c.loss = 1.5;
    CU_ASSERT_EQUAL(ss_link_new(sim, a, b, &c, &link), SS_ERANGE);
    c = good, c.loss_model = SS_LOSS_GILBERT, c.ge_loss_bad = -0.1;
    CU_ASSERT_EQUAL(ss_link_new(sim, a, b, &c, &link), SS_ERANGE);
    c = good, c.loss_model = (ss_loss_model)7;
    CU_ASSERT_EQUAL(ss_link_new(sim, a, b, &c, &link), SS_EINVAL);
    c = good, c.queue_packets = UINT32_MAX;
    CU_ASSERT_EQUAL(ss_link_new(sim, a, b, &c, &link), SS_ERANGE);
    CU_ASSERT_EQUAL(ss_link_new(sim, a, a, &good, &link), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_link_new(sim, a, NULL, &good, &link), SS_EINVAL);
    ss_sim *other;
    ss_node *stranger;
    CU_ASSERT_EQUAL(ss_sim_new(1, &other), 0);
    CU_ASSERT_EQUAL(ss_host_new(other, "x", 0, &stranger), 0);
    CU_ASSERT_EQUAL(ss_link_new(sim, a, stranger, &good, &link), SS_EOTHERSIM);
    CU_ASSERT_EQUAL(ss_link_count(sim), 0);
    ss_sim_free(other);
    ss_sim_free(sim);
}

/* Every allocation of building and running a small network fails in turn;
 * each failure is reported and frees what it took. */
static int scenario_network(void)
{
    ss_sim *s;
    int rc = ss_sim_new(1, &s);
    if (rc < 0)
        return rc;
    ss_node *x, *y;
    ss_link *l;
    ss_link_config c = netfix_link(1000000, 1 * SS_MSEC, 300);
    struct netfix_log *log = calloc(1, sizeof *log);
    if ((rc = ss_host_new(s, "x", 0, &x)) < 0 || (rc = ss_host_new(s, "y", 0, &y)) < 0 ||
        (rc = ss_link_new(s, x, y, &c, &l)) < 0 || (rc = ss_link_schedule(s, l, 5 * SS_SEC, false)) < 0)
        goto out;
    ss_node_set_receiver(y, netfix_receive, log);
    for (int i = 0; i < 300 && rc == 0; i++) {
        ss_packet *p;
        rc = ss_packet_new(s, &p);
        if (rc == 0) {
            p->dst = ss_node_addr(y);
            ss_node_send(s, x, p);
        }
    }
    if (rc == 0)
        rc = ss_sim_run(s, SS_TIME_MAX);
    if (rc == 0 && log->n != 300)
        rc = -99;
out:
    ss_sim_free(s);
    free(log);
    return rc;
}

static void test_each_allocation_failure_is_clean(void)
{
    testing_fail_each_allocation(scenario_network);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"arrival times by hand", test_arrival_times_by_hand},
        {"queueing delay", test_queueing_delay},
        {"queue overflow drops exactly what does not fit", test_queue_overflow_drops_exactly_what_does_not_fit},
        {"queue 0 holds only the packet being sent", test_queue_zero_holds_only_the_packet_being_sent},
        {"mtu", test_mtu},
        {"bernoulli loss reproducible per seed", test_bernoulli_loss_reproducible_per_seed},
        {"gilbert-elliott loss", test_gilbert_elliott_loss},
        {"counters add up at every moment", test_counters_add_up_at_every_moment},
        {"down drops what it would carry", test_down_drops_what_it_would_carry},
        {"bad configs are refused", test_bad_configs_are_refused},
        {"each allocation failure is clean", test_each_allocation_failure_is_clean},
        {NULL, NULL},
    };
    testing_add_suite("link", cases);
    return testing_main();
}
