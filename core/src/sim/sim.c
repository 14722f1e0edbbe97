#include "sim/sim_internal.h"

#include "synsim/error.h"

#include <time.h>

int ss_sim_new(uint64_t seed, ss_sim **out)
{
    if (!out)
        return SS_EINVAL;
    *out = NULL;
    ss_sim *sim = ss_calloc(1, sizeof *sim);
    if (!sim)
        return SS_ENOMEM;
    evq_init(&sim->queue);
    sim->seed = seed;
    *out = sim;
    return 0;
}

void ss_sim_free(ss_sim *sim)
{
    if (!sim)
        return;
    /* Teardown order.  The event queue goes first, wholesale: its heap and
     * wheel are freed without reading or writing a single timer, so that
     * no later step can sift the heap and write index fields into objects
     * already freed (connections live in blocks that the tcp part frees).
     * From here on timer calls do nothing (ss_timer_cancel) or fail
     * (ss_timer_arm), and the parts free their objects from the highest
     * layer down: apps, tcp, net, trace. */
    sim->tearing_down = true;
    evq_destroy(&sim->queue);
    for (int i = SS_PART_COUNT - 1; i >= 0; i--) {
        if (sim->part[i] && sim->part_free[i])
            sim->part_free[i](sim, sim->part[i]);
        sim->part[i] = NULL;
    }
    ss_free(sim);
}

void ss_sim_attach(ss_sim *sim, enum ss_part which, void *part, ss_part_free_fn free_fn)
{
    sim->part[which] = part;
    sim->part_free[which] = free_fn;
}

ss_time ss_sim_now(const ss_sim *sim) { return sim ? sim->now : 0; }
int ss_sim_error(const ss_sim *sim) { return sim ? sim->error : SS_EINVAL; }

void ss_sim_fail(ss_sim *sim, int code)
{
    if (!sim->error)
        sim->error = code;
}
uint64_t ss_sim_seed(const ss_sim *sim) { return sim ? sim->seed : 0; }
size_t ss_sim_pending(const ss_sim *sim) { return sim ? evq_len(&sim->queue) : 0; }
uint64_t ss_sim_events_run(const ss_sim *sim) { return sim ? sim->events_run : 0; }

/* Wall time for slicing a run; never enters the simulated clock. */
static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SS_SEC + ts.tv_nsec;
}

/* Events between two looks at the wall clock: a few microseconds of work
 * at least, so that the look (tens of ns) is lost in it. */
#define SLICE_WALL_EVERY 256

/* The event loop behind ss_sim_run() and ss_sim_run_slice().  The budget
 * is tested after the look at the queue, so that a slice which has used its
 * budget exactly as the run ends still reports the run done. */
static int run_events(ss_sim *sim, ss_time until, uint64_t max_events, int64_t max_wall, bool *done)
{
    sim->running = true;
    sim->stop_requested = false;
    bool over = false;
    int64_t deadline = max_wall ? wall_ns() + max_wall : 0;
    unsigned tick = 0;
    for (;;) {
        ss_timer *t = evq_peek(&sim->queue);
        if (!t || t->when > until) {
            over = true;
            break;
        }
        if (max_events == 0)
            break;
        max_events--;
        evq_pop(&sim->queue);
        sim->now = t->when;
        sim->events_run++;
        t->fn(sim, t, t->ctx);
        if (sim->stop_requested) {
            over = true;
            break;
        }
        if (deadline && ++tick % SLICE_WALL_EVERY == 0 && wall_ns() >= deadline)
            break;
    }
    if (over && !sim->stop_requested && until != SS_TIME_MAX)
        sim->now = until;
    sim->running = false;
    *done = over;
    return sim->error;
}

int ss_sim_run(ss_sim *sim, ss_time until)
{
    if (!sim || until < sim->now)
        return SS_EINVAL;
    if (sim->running)
        return SS_ESTATE;
    bool done;
    return run_events(sim, until, UINT64_MAX, 0, &done);
}

int ss_sim_run_slice(ss_sim *sim, ss_time until, uint64_t max_events, int64_t max_wall, bool *done)
{
    if (!done)
        return SS_EINVAL;
    *done = true; /* a refused slice ends a caller's loop */
    if (!sim || until < sim->now || max_events == 0 || max_wall < 0)
        return SS_EINVAL;
    if (sim->running)
        return SS_ESTATE;
    return run_events(sim, until, max_events, max_wall, done);
}

void ss_sim_stop(ss_sim *sim)
{
    if (sim && sim->running)
        sim->stop_requested = true;
}

void ss_timer_init(ss_timer *timer, ss_timer_fn fn, void *ctx)
{
    if (!timer)
        return;
    *timer = (ss_timer){0};
    timer->fn = fn;
    timer->ctx = ctx;
    timer->where = EVQ_NOWHERE;
}

int ss_timer_arm(ss_sim *sim, ss_timer *timer, ss_time when)
{
    if (!sim || !timer || !timer->fn || when < sim->now)
        return SS_EINVAL;
    if (sim->tearing_down)
        return SS_ESTATE;
    return evq_arm(&sim->queue, timer, when);
}

int ss_timer_arm_in(ss_sim *sim, ss_timer *timer, ss_time delay)
{
    if (!sim || delay < 0 || delay > SS_TIME_MAX - sim->now)
        return SS_EINVAL;
    return ss_timer_arm(sim, timer, sim->now + delay);
}

void ss_timer_cancel(ss_sim *sim, ss_timer *timer)
{
    if (sim && timer && !sim->tearing_down)
        evq_cancel(&sim->queue, timer);
}

bool ss_timer_armed(const ss_timer *timer) { return timer && timer->where != EVQ_NOWHERE; }
ss_time ss_timer_when(const ss_timer *timer) { return timer ? timer->when : 0; }
