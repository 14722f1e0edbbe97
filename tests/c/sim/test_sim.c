/* Clock, event order, timers and the event queue (core/src/sim.c, evq.c). */
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"
#include "synsim/error.h"
#include "synsim/rng.h"
#include "synsim/sim.h"
#include "testing.h"

#define MAX_FIRED 64

struct log {
    int fired[MAX_FIRED];
    ss_time at[MAX_FIRED];
    int n;
};

struct probe {
    ss_timer timer;
    int id;
    struct log *log;
};

static void record(ss_sim *sim, ss_timer *t, void *ctx)
{
    (void)t;
    struct probe *p = ctx;
    p->log->fired[p->log->n] = p->id;
    p->log->at[p->log->n] = ss_sim_now(sim);
    p->log->n++;
}

static void init_probes(struct probe *p, int n, struct log *log)
{
    memset(log, 0, sizeof *log);
    for (int i = 0; i < n; i++) {
        p[i].id = i;
        p[i].log = log;
        ss_timer_init(&p[i].timer, record, &p[i]);
    }
}

static void test_equal_times_run_in_arm_order(void)
{
    ss_sim *sim;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    struct log log;
    struct probe p[6];
    init_probes(p, 6, &log);
    /* Armed in the order 3,1,4,0,5,2, all at 5 s; 1 re-armed last. */
    int order[] = {3, 1, 4, 0, 5, 2};
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(ss_timer_arm(sim, &p[order[i]].timer, 5 * SS_SEC), 0);
    CU_ASSERT_EQUAL(ss_timer_arm(sim, &p[1].timer, 5 * SS_SEC), 0);
    CU_ASSERT_EQUAL(ss_sim_run(sim, SS_TIME_MAX), 0);
    int expect[] = {3, 4, 0, 5, 2, 1};
    CU_ASSERT_EQUAL(log.n, 6);
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(log.fired[i], expect[i]);
        CU_ASSERT_EQUAL(log.at[i], 5 * SS_SEC);
    }
    ss_sim_free(sim);
}

static void test_cancelled_never_fire_rearmed_fire_once(void)
{
    ss_sim *sim;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    struct log log;
    struct probe p[4];
    init_probes(p, 4, &log);
    ss_timer_arm(sim, &p[0].timer, 1 * SS_SEC);
    ss_timer_arm(sim, &p[1].timer, 2 * SS_SEC);
    ss_timer_arm(sim, &p[2].timer, 3 * SS_SEC);
    ss_timer_arm(sim, &p[3].timer, 4 * SS_SEC);
    ss_timer_cancel(sim, &p[1].timer);
    ss_timer_cancel(sim, &p[1].timer); /* twice is harmless */
    CU_ASSERT_FALSE(ss_timer_armed(&p[1].timer));
    ss_timer_arm(sim, &p[2].timer, 10 * SS_SEC);  /* later */
    ss_timer_arm(sim, &p[3].timer, 500 * SS_MSEC); /* earlier */
    CU_ASSERT_EQUAL(ss_sim_pending(sim), 3);
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(log.n, 3);
    CU_ASSERT_EQUAL(log.fired[0], 3);
    CU_ASSERT_EQUAL(log.at[0], 500 * SS_MSEC);
    CU_ASSERT_EQUAL(log.fired[1], 0);
    CU_ASSERT_EQUAL(log.fired[2], 2);
    CU_ASSERT_EQUAL(log.at[2], 10 * SS_SEC);
    CU_ASSERT_EQUAL(ss_sim_pending(sim), 0);
    ss_sim_free(sim);
}

static void test_run_until_is_inclusive_and_resumable(void)
{
    ss_sim *sim;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    struct log log;
    struct probe p[3];
    init_probes(p, 3, &log);
    ss_timer_arm(sim, &p[0].timer, 1 * SS_SEC);
    ss_timer_arm(sim, &p[1].timer, 2 * SS_SEC);
    ss_timer_arm(sim, &p[2].timer, 2 * SS_SEC + 1);
    CU_ASSERT_EQUAL(ss_sim_run(sim, 2 * SS_SEC), 0);
    CU_ASSERT_EQUAL(log.n, 2); /* the event at exactly `until` ran */
    CU_ASSERT_EQUAL(ss_sim_now(sim), 2 * SS_SEC);
    CU_ASSERT_EQUAL(ss_sim_run(sim, 1 * SS_SEC), SS_EINVAL); /* the past */
    CU_ASSERT_EQUAL(ss_sim_run(sim, 3 * SS_SEC), 0);
    CU_ASSERT_EQUAL(log.n, 3);
    CU_ASSERT_EQUAL(ss_sim_now(sim), 3 * SS_SEC); /* clock reads `until` */
    CU_ASSERT_EQUAL(ss_sim_run(sim, SS_TIME_MAX), 0);
    CU_ASSERT_EQUAL(ss_sim_now(sim), 3 * SS_SEC); /* idle: clock unchanged */
    ss_sim_free(sim);
}

static void test_arm_rejects_the_past(void)
{
    ss_sim *sim;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    struct log log;
    struct probe p[1];
    init_probes(p, 1, &log);
    ss_sim_run(sim, 5 * SS_SEC);
    CU_ASSERT_EQUAL(ss_timer_arm(sim, &p[0].timer, 4 * SS_SEC), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_timer_arm_in(sim, &p[0].timer, -1), SS_EINVAL);
    CU_ASSERT_EQUAL(ss_timer_arm_in(sim, &p[0].timer, SS_TIME_MAX), SS_EINVAL);
    CU_ASSERT_FALSE(ss_timer_armed(&p[0].timer));
    CU_ASSERT_EQUAL(ss_timer_arm(sim, &p[0].timer, 5 * SS_SEC), 0); /* now is fine */
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(log.n, 1);
    CU_ASSERT_EQUAL(ss_sim_new(1, NULL), SS_EINVAL);
    ss_sim_free(NULL);
    ss_sim_free(sim);
}

/* A callback that schedules at the same instant, and one that stops. */
struct chain {
    ss_timer timer;
    int remaining;
    int fired;
    bool stop_at_3;
};

static void chain_fire(ss_sim *sim, ss_timer *t, void *ctx)
{
    struct chain *c = ctx;
    c->fired++;
    if (c->stop_at_3 && c->fired == 3)
        ss_sim_stop(sim);
    if (c->remaining-- > 0)
        ss_timer_arm(sim, t, ss_sim_now(sim));
    CU_ASSERT_EQUAL(ss_sim_run(sim, ss_sim_now(sim)), SS_ESTATE); /* no nesting */
}

static void test_same_instant_chains_and_stop(void)
{
    ss_sim *sim;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    struct chain c = {.remaining = 9};
    ss_timer_init(&c.timer, chain_fire, &c);
    ss_timer_arm(sim, &c.timer, 7 * SS_SEC);
    ss_sim_run(sim, 7 * SS_SEC);
    CU_ASSERT_EQUAL(c.fired, 10); /* all at exactly `until` */
    c = (struct chain){.remaining = 9, .stop_at_3 = true};
    ss_timer_init(&c.timer, chain_fire, &c);
    ss_timer_arm(sim, &c.timer, 8 * SS_SEC);
    ss_sim_run(sim, 100 * SS_SEC);
    CU_ASSERT_EQUAL(c.fired, 3);
    CU_ASSERT_EQUAL(ss_sim_now(sim), 8 * SS_SEC); /* stopped at the event */
    ss_sim_run(sim, 100 * SS_SEC);
    CU_ASSERT_EQUAL(c.fired, 10);
    ss_sim_free(sim);
}

static void test_far_future_and_extreme_times(void)
{
    ss_sim *sim;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(1, &sim), 0);
    struct log log;
    struct probe p[5];
    init_probes(p, 5, &log);
    ss_timer_arm(sim, &p[0].timer, SS_TIME_MAX);
    ss_timer_arm(sim, &p[1].timer, SS_TIME_MAX - 1);
    ss_timer_arm(sim, &p[2].timer, (ss_time)1 << 62);
    ss_timer_arm(sim, &p[3].timer, 0);
    ss_timer_arm(sim, &p[4].timer, 3600 * 24 * 365 * SS_SEC);
    ss_sim_run(sim, SS_TIME_MAX);
    int expect[] = {3, 4, 2, 1, 0};
    CU_ASSERT_EQUAL(log.n, 5);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(log.fired[i], expect[i]);
    CU_ASSERT_EQUAL(ss_sim_now(sim), SS_TIME_MAX);
    ss_sim_free(sim);
}

/* ---- 1,000,000 random operations against a reference model -------------- */

#define REF_TIMERS 512

struct ref_timer {
    bool armed;
    ss_time when;
    uint64_t seq;
};

static void noop_fire(ss_sim *sim, ss_timer *t, void *ctx)
{
    (void)sim, (void)t, (void)ctx;
}

/* Deltas from 0 ns to ~10^15 ns so that every wheel level and every way a
 * slot can be reached (direct, spilled into the heap, redistributed) is
 * used; many zeros and small values give equal times. */
static ss_time random_delta(ss_rng *rng)
{
    switch (ss_rng_below(rng, 4)) {
    case 0:
        return (ss_time)ss_rng_below(rng, 4);
    case 1:
        return (ss_time)ss_rng_below(rng, 5000);
    default: {
        unsigned bits = (unsigned)ss_rng_below(rng, 50);
        return (ss_time)ss_rng_below(rng, 1ULL << bits);
    }
    }
}

static void test_random_operations_match_reference(void)
{
    evq q;
    evq_init(&q);
    ss_timer *timers = calloc(REF_TIMERS, sizeof *timers);
    struct ref_timer ref[REF_TIMERS] = {{0}};
    for (int i = 0; i < REF_TIMERS; i++)
        ss_timer_init(&timers[i], noop_fire, NULL);
    ss_rng rng;
    ss_rng_seed(&rng, 2024, 1);
    ss_time now = 0;
    uint64_t seq = 0;
    long ops = testing_quick() ? 100000 : 1000000;
    long mismatches = 0, pops = 0;
    for (long op = 0; op < ops && mismatches == 0; op++) {
        uint64_t what = ss_rng_below(&rng, 10);
        int i = (int)ss_rng_below(&rng, REF_TIMERS);
        if (what < 4) { /* arm or re-arm */
            ss_time when = now + random_delta(&rng);
            if (evq_arm(&q, &timers[i], when) != 0)
                mismatches++;
            ref[i] = (struct ref_timer){true, when, seq++};
        } else if (what < 6) { /* cancel */
            evq_cancel(&q, &timers[i]);
            ref[i].armed = false;
        } else { /* fire the earliest */
            int best = -1;
            for (int j = 0; j < REF_TIMERS; j++) {
                if (!ref[j].armed)
                    continue;
                if (best < 0 || ref[j].when < ref[best].when ||
                    (ref[j].when == ref[best].when && ref[j].seq < ref[best].seq))
                    best = j;
            }
            ss_timer *t = evq_pop(&q);
            if (best < 0) {
                mismatches += t != NULL;
                continue;
            }
            pops++;
            if (t != &timers[best] || t->when != ref[best].when)
                mismatches++;
            now = ref[best].when;
            ref[best].armed = false;
        }
        size_t armed = 0;
        for (int j = 0; j < REF_TIMERS && op % 1024 == 0; j++)
            armed += ref[j].armed;
        if (op % 1024 == 0 && armed != evq_len(&q))
            mismatches++;
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    CU_ASSERT(pops > ops / 10);
    /* Drain: what is left comes out in reference order too. */
    for (;;) {
        ss_timer *t = evq_pop(&q);
        int best = -1;
        for (int j = 0; j < REF_TIMERS; j++)
            if (ref[j].armed && (best < 0 || ref[j].when < ref[best].when ||
                                 (ref[j].when == ref[best].when && ref[j].seq < ref[best].seq)))
                best = j;
        if (best < 0) {
            CU_ASSERT_PTR_NULL(t);
            break;
        }
        CU_ASSERT_PTR_EQUAL(t, &timers[best]);
        ref[best].armed = false;
    }
    evq_destroy(&q);
    free(timers);
}

/* Many timers at once: the wheel's crowded slots are redistributed rather
 * than emptied into the heap; order must survive that too. */
static void test_crowded_wheel_keeps_order(void)
{
    enum { N = 200000 };
    evq q;
    evq_init(&q);
    ss_timer *timers = calloc(N, sizeof *timers);
    ss_rng rng;
    ss_rng_seed(&rng, 7, 7);
    for (int i = 0; i < N; i++) {
        ss_timer_init(&timers[i], noop_fire, NULL);
        CU_ASSERT_EQUAL_FATAL(evq_arm(&q, &timers[i], (ss_time)ss_rng_below(&rng, 100 * SS_MSEC)), 0);
    }
    for (int i = 0; i < N; i += 3)
        evq_cancel(&q, &timers[i]);
    ss_time last_when = -1;
    uint64_t last_seq = 0;
    long popped = 0, out_of_order = 0;
    for (ss_timer *t; (t = evq_pop(&q)) != NULL; popped++) {
        if (t->when < last_when || (t->when == last_when && t->seq < last_seq))
            out_of_order++;
        last_when = t->when;
        last_seq = t->seq;
    }
    CU_ASSERT_EQUAL(out_of_order, 0);
    CU_ASSERT_EQUAL(popped, N - (N + 2) / 3);
    evq_destroy(&q);
    free(timers);
}

/* ---- allocation failure -------------------------------------------------- */

static int scenario_many_timers(void)
{
    ss_sim *sim;
    int rc = ss_sim_new(3, &sim);
    if (rc < 0)
        return rc;
    enum { N = 3000 };
    static ss_timer timers[N];
    int armed = 0;
    for (int i = 0; i < N; i++) {
        ss_timer_init(&timers[i], noop_fire, NULL);
        rc = ss_timer_arm(sim, &timers[i], (ss_time)i * 997 * SS_USEC);
        if (rc < 0)
            break;
        armed++;
    }
    if (rc == 0)
        rc = ss_sim_run(sim, SS_TIME_MAX);
    /* After a failure the simulator still runs what was armed. */
    else if (ss_sim_run(sim, SS_TIME_MAX) != 0 || ss_sim_pending(sim) != 0)
        rc = -99;
    if (rc == 0 && ss_sim_events_run(sim) != (uint64_t)armed)
        rc = -98;
    ss_sim_free(sim);
    return rc;
}

static void test_each_allocation_failure_is_clean(void)
{
    testing_fail_each_allocation(scenario_many_timers);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"equal times run in arm order", test_equal_times_run_in_arm_order},
        {"cancelled never fire, re-armed fire once", test_cancelled_never_fire_rearmed_fire_once},
        {"run(until) is inclusive and resumable", test_run_until_is_inclusive_and_resumable},
        {"arm rejects the past", test_arm_rejects_the_past},
        {"same-instant chains and stop", test_same_instant_chains_and_stop},
        {"far future and extreme times", test_far_future_and_extreme_times},
        {"1,000,000 random operations match a reference", test_random_operations_match_reference},
        {"crowded wheel keeps order", test_crowded_wheel_keeps_order},
        {"each allocation failure is clean", test_each_allocation_failure_is_clean},
        {NULL, NULL},
    };
    testing_add_suite("sim", cases);
    return testing_main();
}
