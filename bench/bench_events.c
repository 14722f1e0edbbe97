/* Event-core benchmark: the hold model (pop the earliest event, schedule one
 * more) at several numbers of pending timers, arm+cancel pairs, and, for
 * reference on the same machine, a bare binary heap of (time, seq) keys run
 * on the same increments.
 *
 * Increments are exponential with a mean of 1 ms: that keeps the same
 * spread of pending times for every size, and sits between link events
 * (microseconds) and TCP timers (seconds). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "synsim/rng.h"
#include "synsim/sim.h"

#define MEAN_INCREMENT 1e6 /* ns */

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- synsim hold model --------------------------------------------- */

struct hold {
    ss_rng rng;
    uint64_t remaining;
};

static void hold_fire(ss_sim *sim, ss_timer *t, void *ctx)
{
    struct hold *h = ctx;
    if (h->remaining == 0) {
        ss_sim_stop(sim);
        return;
    }
    h->remaining--;
    ss_timer_arm_in(sim, t, (ss_time)ss_rng_exponential(&h->rng, MEAN_INCREMENT));
}

static double bench_hold(size_t pending, uint64_t events)
{
    ss_sim *sim;
    if (ss_sim_new(1, &sim) < 0)
        exit(1);
    ss_timer *timers = malloc(pending * sizeof *timers);
    struct hold h = {.remaining = pending + events};
    ss_rng_seed(&h.rng, 1, 7);
    for (size_t i = 0; i < pending; i++) {
        ss_timer_init(&timers[i], hold_fire, &h);
        ss_timer_arm(sim, &timers[i], (ss_time)ss_rng_exponential(&h.rng, MEAN_INCREMENT));
    }
    /* Warm up: let every timer fire once so the queue reaches its steady
     * shape, then time `events` more. */
    h.remaining = pending;
    ss_sim_run(sim, SS_TIME_MAX);
    h.remaining = events;
    uint64_t before = ss_sim_events_run(sim);
    double t0 = wall();
    ss_sim_run(sim, SS_TIME_MAX);
    double dt = wall() - t0;
    uint64_t ran = ss_sim_events_run(sim) - before;
    for (size_t i = 0; i < pending; i++)
        ss_timer_cancel(sim, &timers[i]);
    free(timers);
    ss_sim_free(sim);
    return (double)ran / dt;
}

static void noop(ss_sim *sim, ss_timer *t, void *ctx)
{
    (void)sim, (void)t, (void)ctx;
}

static double bench_arm_cancel(size_t pending, uint64_t pairs)
{
    ss_sim *sim;
    if (ss_sim_new(1, &sim) < 0)
        exit(1);
    ss_rng rng;
    ss_rng_seed(&rng, 1, 9);
    ss_timer *timers = malloc(pending * sizeof *timers);
    for (size_t i = 0; i < pending; i++) {
        ss_timer_init(&timers[i], noop, NULL);
        ss_timer_arm(sim, &timers[i], (ss_time)ss_rng_exponential(&rng, MEAN_INCREMENT));
    }
    /* A retransmission-timer pattern: arm 200 ms to 1 s ahead, cancel. */
    ss_timer t;
    ss_timer_init(&t, noop, NULL);
    ss_time *delays = malloc(1024 * sizeof *delays);
    for (int i = 0; i < 1024; i++)
        delays[i] = 200 * SS_MSEC + (ss_time)ss_rng_below(&rng, 800 * SS_MSEC);
    double t0 = wall();
    for (uint64_t i = 0; i < pairs; i++) {
        ss_timer_arm_in(sim, &t, delays[i & 1023]);
        ss_timer_cancel(sim, &t);
    }
    double dt = wall() - t0;
    for (size_t i = 0; i < pending; i++)
        ss_timer_cancel(sim, &timers[i]);
    free(delays);
    free(timers);
    ss_sim_free(sim);
    return (double)pairs / dt;
}

/* ---- reference: a bare binary heap of (time, seq) ---------------------- */

struct key {
    int64_t when;
    uint64_t seq;
};

static int before(struct key a, struct key b)
{
    return a.when < b.when || (a.when == b.when && a.seq < b.seq);
}

static double bench_bare_heap(size_t pending, uint64_t events)
{
    struct key *h = malloc((pending + 1) * sizeof *h);
    size_t n = 0;
    uint64_t seq = 0;
    ss_rng rng;
    ss_rng_seed(&rng, 1, 7);
    for (size_t i = 0; i < pending; i++) {
        struct key k = {(int64_t)ss_rng_exponential(&rng, MEAN_INCREMENT), seq++};
        size_t j = n++;
        while (j > 0 && before(k, h[(j - 1) / 2])) {
            h[j] = h[(j - 1) / 2];
            j = (j - 1) / 2;
        }
        h[j] = k;
    }
    double t0 = 0;
    uint64_t total = pending + events;
    for (uint64_t e = 0; e < total; e++) {
        if (e == pending)
            t0 = wall();
        struct key top = h[0];
        /* replace the root with the new key and sift it down */
        struct key k = {top.when + (int64_t)ss_rng_exponential(&rng, MEAN_INCREMENT), seq++};
        size_t j = 0;
        for (;;) {
            size_t c = 2 * j + 1;
            if (c >= n)
                break;
            if (c + 1 < n && before(h[c + 1], h[c]))
                c++;
            if (!before(h[c], k))
                break;
            h[j] = h[c];
            j = c;
        }
        h[j] = k;
    }
    double dt = wall() - t0;
    free(h);
    return (double)events / dt;
}

int main(int argc, char **argv)
{
    double scale = argc > 1 ? atof(argv[1]) : 1.0;
    uint64_t events = (uint64_t)(10e6 * scale);
    size_t sizes[] = {1000, 100000, 1000000};
    printf("synsim event core, hold model (exponential increments, mean 1 ms), %llu events per size\n",
           (unsigned long long)events);
    printf("%12s %18s %18s %8s\n", "pending", "synsim events/s", "bare heap events/s", "ratio");
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        double ours = bench_hold(sizes[i], events);
        double bare = bench_bare_heap(sizes[i], events);
        printf("%12zu %18.3e %18.3e %8.2f\n", sizes[i], ours, bare, ours / bare);
    }
    printf("\narm+cancel pairs (200 ms..1 s ahead), %llu pairs\n", (unsigned long long)events);
    printf("%12s %18s\n", "pending", "pairs/s");
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        printf("%12zu %18.3e\n", sizes[i], bench_arm_cancel(sizes[i], events));
    return 0;
}
