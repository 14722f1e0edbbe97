/* The sim layer's internal header: the types and calls that sim/ shares
 * with itself and offers to the layers above (net, tcp, app).  It includes
 * only public headers of this layer; nothing here knows of nodes, links,
 * connections or apps.
 *
 * Contents: the heap wrappers (alloc.c), the event queue (evq.c), the
 * simulator structure and its parts (sim.c), the trace sink (trace.c). */
#ifndef SYNSIM_SIM_SIM_INTERNAL_H
#define SYNSIM_SIM_SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synsim/sim.h"
#include "synsim/trace.h"

/* ==== the heap ========================================================== */

/* The core's one door to the heap.
 *
 * Every allocation of the library goes through these wrappers so that the
 * tests can count what is outstanding (a leak check in every teardown) and
 * make the n-th allocation fail (to show that every error path frees what it
 * took and leaves the simulator usable). */

void *ss_malloc(size_t size);
void *ss_calloc(size_t count, size_t size);
/* Like realloc, but on failure returns NULL and leaves `p` untouched. */
void *ss_realloc(void *p, size_t size);
void ss_free(void *p);
char *ss_strdup(const char *s);
/* Make room for `need` elements of `size` bytes in a growable array:
 * `array_address` is the address of the array's pointer (any T **), *cap
 * its capacity, doubling from `first`.  On failure returns SS_ENOMEM and
 * leaves the array as it was. */
int ss_reserve(void *array_address, size_t *cap, size_t need, size_t size, size_t first);

/* Test hooks. */
void ss_alloc_fail_after(long n);         /* the (n+1)-th allocation from now fails; -1: none */
long ss_alloc_count(void);                /* allocations made so far */

/* ==== the event queue =================================================== */

/* The event queue behind ss_sim: a binary heap for the near future in front
 * of a hierarchical timing wheel for the rest.  Private to the core. */

#define EVQ_GRAIN 10 /* a level-0 slot spans 2^10 ns */
#define EVQ_LEVEL_BITS 8
#define EVQ_SLOTS (1 << EVQ_LEVEL_BITS)
#define EVQ_LEVELS 7 /* 7 x 8 bits cover the 53 bits of (time >> GRAIN) */

/* Where an armed timer is (ss_timer.where); 0 means not armed. */
enum { EVQ_NOWHERE = 0, EVQ_IN_HEAP = 1, EVQ_IN_WHEEL = 2 };

struct evq_entry {
    ss_time when;
    uint64_t seq;
    ss_timer *timer;
};

/* A wheel slot is a chain of chunks of timer pointers rather than a linked
 * list of timers: walking a slot then issues independent loads that the CPU
 * overlaps, instead of one cache miss after another. */
#define EVQ_CHUNK_LEN 14
struct evq_chunk {
    struct evq_chunk *next;
    uint32_t len;
    ss_timer *timer[EVQ_CHUNK_LEN];
};

typedef struct evq {
    struct evq_entry *heap;
    uint32_t heap_len, heap_cap;
    /* Every armed timer due before horizon << EVQ_GRAIN is in the heap, every
     * other one in the wheel.  Measured in level-0 slots. */
    uint64_t horizon;
    uint64_t next_seq;
    size_t wheel_len;
    /* Chunks come from a pool that only grows (in blocks), so that filing a
     * timer never allocates once the pool has reached its working size. */
    struct evq_chunk *free_chunks;
    void **blocks;
    size_t block_count, chunks_total;
    struct evq_chunk *slot_head[EVQ_LEVELS][EVQ_SLOTS];
    uint32_t slot_len[EVQ_LEVELS][EVQ_SLOTS];
    uint64_t occupied[EVQ_LEVELS][EVQ_SLOTS / 64];
} evq;

void evq_init(evq *q);
void evq_destroy(evq *q);
size_t evq_len(const evq *q);
/* Arm or re-arm; the caller has checked `when` >= 0.  SS_ENOMEM leaves the
 * timer unarmed. */
int evq_arm(evq *q, ss_timer *t, ss_time when);
void evq_cancel(evq *q, ss_timer *t);
/* The earliest timer, still armed, or NULL when none is. */
ss_timer *evq_peek(evq *q);
/* Remove and return the earliest timer, or NULL. */
ss_timer *evq_pop(evq *q);

/* ==== the simulator ===================================================== */

/* The simulator's private structure.
 *
 * Higher layers (net, tcp, apps, trace) keep their state in a part attached
 * to the simulator, so that ss_sim_free() releases everything while sim.c
 * knows nothing of what those parts are. */

enum ss_part {
    SS_PART_TRACE,
    SS_PART_NET,
    SS_PART_TCP,
    SS_PART_APP,
    SS_PART_COUNT
};

typedef void (*ss_part_free_fn)(ss_sim *sim, void *part);

struct ss_sim {
    evq queue;
    ss_time now;
    uint64_t seed;
    uint64_t events_run;
    bool running;
    bool stop_requested;
    bool tearing_down; /* inside ss_sim_free(): the queue is gone */
    int error; /* sticky: see ss_sim_error() */
    void *part[SS_PART_COUNT];
    ss_part_free_fn part_free[SS_PART_COUNT];
};

/* `t` + `delay` (delay >= 0), saturating at SS_TIME_MAX: a deadline past
 * the end of time is the end of time, never an overflow. */
static inline ss_time time_after(ss_time t, ss_time delay)
{
    return delay > SS_TIME_MAX - t ? SS_TIME_MAX : t + delay;
}

/* Record a failure that no caller can be told of at the time. */
void ss_sim_fail(ss_sim *sim, int code);
/* Attach `part` under `which`; ss_sim_free() calls free_fn on it, highest
 * part first, so that apps go before tcp, tcp before net. */
void ss_sim_attach(ss_sim *sim, enum ss_part which, void *part, ss_part_free_fn free_fn);

/* ==== the trace ========================================================= */

/* The one call through which layers report to the trace.  The mask test is
 * inline so that a kind switched off costs one load and one branch. */

struct ss_trace {
    unsigned mask;
    ss_trace_record *records;
    size_t len, cap;
    uint64_t lost;
};

void trace_append(ss_sim *sim, const ss_trace_record *record);

static inline bool trace_wants(const ss_sim *sim, ss_trace_kind kind)
{
    const struct ss_trace *t = sim->part[SS_PART_TRACE];
    return t && (t->mask & (1u << kind));
}

#endif
