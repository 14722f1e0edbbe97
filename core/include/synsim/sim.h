/* synsim simulation core: the clock, the event queue and timers.
 *
 * Knows nothing of networks or TCP.  Time is an int64_t count of
 * nanoseconds; no floating point enters the clock or the order of events.
 *
 * Events are timers.  A timer is embedded in the object that owns it (a
 * packet's arrival, a connection's retransmission) and is armed, re-armed and
 * cancelled without allocating.  Events run in (time, order armed) order:
 * two timers due at the same instant fire in the order they were last armed.
 *
 * Ownership: the caller owns the memory of each timer; it must cancel an
 * armed timer before freeing or reusing that memory. */
#ifndef SYNSIM_SIM_H
#define SYNSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t ss_time;

#define SS_NSEC ((ss_time)1)
#define SS_USEC ((ss_time)1000)
#define SS_MSEC ((ss_time)1000000)
#define SS_SEC ((ss_time)1000000000)
/* Latest instant an event may be scheduled at; also "run until idle". */
#define SS_TIME_MAX INT64_MAX

typedef struct ss_sim ss_sim;
typedef struct ss_timer ss_timer;

/* Called when `timer` fires.  The timer is no longer armed when this runs,
 * so the callback may re-arm it, free its owner, or arm other timers. */
typedef void (*ss_timer_fn)(ss_sim *sim, ss_timer *timer, void *ctx);

/* Fields are private to the event queue; read them only through the
 * functions below.  Initialise with ss_timer_init() before first use. */
struct ss_timer {
    ss_time when;
    uint64_t seq;
    ss_timer_fn fn;
    void *ctx;
    void *chunk;       /* wheel chunk holding the timer */
    uint32_t index;    /* position in the heap or in the chunk */
    uint8_t where; /* not armed / in the heap / in the wheel */
    uint8_t level;
    uint8_t slot;
};

/* Create a simulator whose random streams derive from `seed`.  On success
 * *out owns a simulator that ss_sim_free() releases, with everything created
 * in it. */
int ss_sim_new(uint64_t seed, ss_sim **out);
/* Release the simulator and everything in it, at any moment between runs
 * (pending events, packets in flight, armed timers and open captures
 * included: captures are flushed and closed).  Not from inside a callback
 * of the simulator's own run.  NULL is ignored. */
void ss_sim_free(ss_sim *sim);
/* Blocks the core has allocated and not yet freed, in the whole process
 * (every simulator of every thread): what leak checks compare before and
 * after a simulator's life, from C and from Python. */
long ss_alloc_outstanding(void);

ss_time ss_sim_now(const ss_sim *sim);
uint64_t ss_sim_seed(const ss_sim *sim);
/* Timers armed now. */
size_t ss_sim_pending(const ss_sim *sim);
/* Events (timer firings) run since the simulator was created. */
uint64_t ss_sim_events_run(const ss_sim *sim);

/* The first failure met inside a run that could not be returned to a
 * caller (SS_ENOMEM when the event queue could not grow); 0 if none.  Once
 * set, ss_sim_run() returns it: results after it are not to be trusted. */
int ss_sim_error(const ss_sim *sim);
/* Run every event due at or before `until`, inclusive: an event at exactly
 * `until` runs, as do events it schedules for `until`.  Afterwards the clock
 * reads `until`, so a later run continues from there.  With
 * until == SS_TIME_MAX the run ends when no timer is armed and the clock
 * stays at the last event's time.  ss_sim_stop() from a callback ends the run
 * after that callback, with the clock at that event's time.
 * Returns SS_EINVAL if `until` is earlier than now, SS_ESTATE if called from
 * inside a callback. */
int ss_sim_run(ss_sim *sim, ss_time until);
/* One slice of ss_sim_run(sim, until): it stops early, always between two
 * events, once `max_events` events have run or about `max_wall` ns of wall
 * time have passed (0: no time limit; the clock is read every 256 events,
 * so the check costs nothing measurable per event).  The bindings run in
 * slices so that they can handle signals, let other threads run and flush
 * captures between them.  *done is true when the run is over (nothing more
 * due by `until`, or ss_sim_stop()); the clock is then set as ss_sim_run()
 * sets it.  Otherwise the clock reads the last event's time and another
 * slice with the same `until` continues exactly there: any slicing gives
 * the results of one ss_sim_run().  Returns what ss_sim_run() returns, and
 * SS_EINVAL if `max_events` is 0, `max_wall` is negative or `done` is NULL;
 * after a refusal *done is true. */
int ss_sim_run_slice(ss_sim *sim, ss_time until, uint64_t max_events, int64_t max_wall, bool *done);
void ss_sim_stop(ss_sim *sim);

void ss_timer_init(ss_timer *timer, ss_timer_fn fn, void *ctx);
/* Arm `timer` to fire at absolute time `when`; an armed timer is moved (and
 * counts as armed anew for same-instant ordering).  SS_EINVAL if `when` is
 * before now; SS_ENOMEM if the event queue could not grow (the timer is then
 * left unarmed); SS_ESTATE inside ss_sim_free(). */
int ss_timer_arm(ss_sim *sim, ss_timer *timer, ss_time when);
/* Arm `timer` `delay` ns from now (delay >= 0). */
int ss_timer_arm_in(ss_sim *sim, ss_timer *timer, ss_time delay);
/* Disarm; a timer that is not armed is left alone. */
void ss_timer_cancel(ss_sim *sim, ss_timer *timer);
bool ss_timer_armed(const ss_timer *timer);
/* Time the timer is armed for; meaningful only while armed. */
ss_time ss_timer_when(const ss_timer *timer);

#ifdef __cplusplus
}
#endif
#endif
