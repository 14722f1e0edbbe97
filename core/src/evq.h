/* The event queue behind ss_sim: a binary heap for the near future in front
 * of a hierarchical timing wheel for the rest.  Private to the core. */
#ifndef SYNSIM_EVQ_H
#define SYNSIM_EVQ_H

#include "synsim/sim.h"

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

#endif
