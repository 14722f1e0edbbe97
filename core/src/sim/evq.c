/* Event queue: heap in front of a hierarchical timing wheel.
 *
 * Why not a plain heap: with a million pending timers every heap operation
 * walks twenty levels of cold memory, and most TCP timers are cancelled
 * before they fire.  The wheel files a timer in O(1), cancels it in O(1), and
 * only the timers about to fire are ever sorted.
 *
 *   time (ns) >> EVQ_GRAIN  =  unit, 53 bits
 *
 *   unit:  | level 6 | level 5 | level 4 | level 3 | level 2 | level 1 | level 0 |
 *            8 bits    8 bits    ...                                  8 bits
 *
 * The horizon H is a unit.  Timers due before H are in the heap, ordered by
 * (time, seq); seq grows with every arm, so equal times fire in the order they
 * were armed.  A timer due at unit u >= H sits in the wheel at the highest
 * level L whose 8-bit group differs between u and H, in slot (u >> 8L) & 255
 * (level 0 if u == H).  So at each level only slots from H's own index upwards
 * are used, and every slot of a level lies inside H's slot of the level above.
 *
 * When the heap runs dry the queue advances: it finds the first occupied slot,
 * scanning level 0 upwards from H's index, then level 1 from the index after
 * H's, and so on (an occupancy bitmap per level makes each scan a few word
 * tests).  A level-0 slot, or a higher one holding few timers, is emptied into
 * the heap and H moves to its end; a crowded higher slot instead moves H to
 * its start and is redistributed one level down.  Whenever H enters a new slot
 * at some level, that slot is redistributed too (highest level first), since
 * its timers now share that level's group with H.  Each timer thus moves at
 * most once per level, and the heap holds only a slot's worth of timers. */
#include "sim/sim_internal.h"

#include <string.h>

#include "synsim/error.h"

/* A higher-level slot with at most this many timers goes straight into the
 * heap; more are spread over the level below. */
#define EVQ_DIRECT_MAX 32

void evq_init(evq *q)
{
    memset(q, 0, sizeof *q);
}

void evq_destroy(evq *q)
{
    for (size_t i = 0; i < q->block_count; i++)
        ss_free(q->blocks[i]);
    ss_free(q->blocks);
    ss_free(q->heap);
    evq_init(q);
}

size_t evq_len(const evq *q)
{
    return q->heap_len + q->wheel_len;
}

static inline uint64_t unit_of(ss_time when)
{
    return (uint64_t)when >> EVQ_GRAIN;
}

/* ---- heap ---------------------------------------------------------- */

static inline int entry_before(const struct evq_entry *a, const struct evq_entry *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static inline void heap_place(evq *q, uint32_t i, struct evq_entry e)
{
    q->heap[i] = e;
    e.timer->index = i;
}

static void heap_sift_up(evq *q, uint32_t i, struct evq_entry e)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!entry_before(&e, &q->heap[parent]))
            break;
        heap_place(q, i, q->heap[parent]);
        i = parent;
    }
    heap_place(q, i, e);
}

static void heap_sift_down(evq *q, uint32_t i, struct evq_entry e)
{
    uint32_t n = q->heap_len;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && entry_before(&q->heap[child + 1], &q->heap[child]))
            child++;
        if (!entry_before(&q->heap[child], &e))
            break;
        heap_place(q, i, q->heap[child]);
        i = child;
    }
    heap_place(q, i, e);
}

static int heap_reserve(evq *q, uint32_t need)
{
    if (need <= q->heap_cap)
        return 0;
    uint32_t cap = q->heap_cap ? q->heap_cap : 64;
    while (cap < need)
        cap *= 2;
    struct evq_entry *grown = ss_realloc(q->heap, (size_t)cap * sizeof *grown);
    if (!grown)
        return SS_ENOMEM;
    q->heap = grown;
    q->heap_cap = cap;
    return 0;
}

/* The caller has reserved room. */
static void heap_push(evq *q, ss_timer *t)
{
    struct evq_entry e = {t->when, t->seq, t};
    t->where = EVQ_IN_HEAP;
    heap_sift_up(q, q->heap_len++, e);
}

static void heap_remove(evq *q, uint32_t i)
{
    q->heap[i].timer->where = EVQ_NOWHERE;
    struct evq_entry last = q->heap[--q->heap_len];
    if (i == q->heap_len)
        return;
    if (i > 0 && entry_before(&last, &q->heap[(i - 1) / 2]))
        heap_sift_up(q, i, last);
    else
        heap_sift_down(q, i, last);
}

/* ---- chunk pool ------------------------------------------------------ */

/* Chunks in use never exceed one per occupied slot plus the full ones, and
 * a slot being redistributed gives each chunk back as soon as it is read. */
static size_t chunks_needed(size_t timers)
{
    size_t partial = timers < EVQ_LEVELS * EVQ_SLOTS ? timers : EVQ_LEVELS * EVQ_SLOTS;
    return timers / EVQ_CHUNK_LEN + partial + 2;
}

static int pool_reserve(evq *q, size_t timers)
{
    size_t need = chunks_needed(timers);
    if (need <= q->chunks_total)
        return 0;
    size_t add = q->chunks_total > 64 ? q->chunks_total : 64;
    if (add < need - q->chunks_total)
        add = need - q->chunks_total;
    void **blocks = ss_realloc(q->blocks, (q->block_count + 1) * sizeof *blocks);
    if (!blocks)
        return SS_ENOMEM;
    q->blocks = blocks;
    struct evq_chunk *block = ss_malloc(add * sizeof *block);
    if (!block)
        return SS_ENOMEM;
    q->blocks[q->block_count++] = block;
    for (size_t i = 0; i < add; i++) {
        block[i].next = q->free_chunks;
        q->free_chunks = &block[i];
    }
    q->chunks_total += add;
    return 0;
}

static struct evq_chunk *chunk_get(evq *q)
{
    struct evq_chunk *c = q->free_chunks;
    q->free_chunks = c->next;
    c->len = 0;
    return c;
}

static void chunk_put(evq *q, struct evq_chunk *c)
{
    c->next = q->free_chunks;
    q->free_chunks = c;
}

/* ---- wheel --------------------------------------------------------- */

static void wheel_link(evq *q, ss_timer *t, uint64_t unit)
{
    uint64_t diff = unit ^ q->horizon;
    int level = diff ? (63 - __builtin_clzll(diff)) / EVQ_LEVEL_BITS : 0;
    unsigned slot = (unsigned)(unit >> (level * EVQ_LEVEL_BITS)) & (EVQ_SLOTS - 1);
    struct evq_chunk *head = q->slot_head[level][slot];
    if (!head || head->len == EVQ_CHUNK_LEN) {
        struct evq_chunk *c = chunk_get(q);
        c->next = head;
        q->slot_head[level][slot] = head = c;
    }
    t->where = EVQ_IN_WHEEL;
    t->level = (uint8_t)level;
    t->slot = (uint8_t)slot;
    t->chunk = head;
    t->index = head->len;
    head->timer[head->len++] = t;
    if (q->slot_len[level][slot]++ == 0)
        q->occupied[level][slot / 64] |= 1ULL << (slot % 64);
    q->wheel_len++;
}

/* Fill the hole with the slot's last timer, which is always in the head. */
static void wheel_unlink(evq *q, ss_timer *t)
{
    struct evq_chunk *head = q->slot_head[t->level][t->slot];
    struct evq_chunk *c = t->chunk;
    ss_timer *last = head->timer[--head->len];
    c->timer[t->index] = last;
    last->chunk = c;
    last->index = t->index;
    if (head->len == 0) {
        q->slot_head[t->level][t->slot] = head->next;
        chunk_put(q, head);
    }
    if (--q->slot_len[t->level][t->slot] == 0)
        q->occupied[t->level][t->slot / 64] &= ~(1ULL << (t->slot % 64));
    q->wheel_len--;
    t->where = EVQ_NOWHERE;
}

/* Detach a whole slot and return its chain of chunks. */
static struct evq_chunk *wheel_take_slot(evq *q, int level, unsigned slot)
{
    struct evq_chunk *chain = q->slot_head[level][slot];
    q->wheel_len -= q->slot_len[level][slot];
    q->slot_head[level][slot] = NULL;
    q->slot_len[level][slot] = 0;
    q->occupied[level][slot / 64] &= ~(1ULL << (slot % 64));
    return chain;
}

/* First occupied slot of `level` at index >= from, or -1. */
static int wheel_first_occupied(const evq *q, int level, unsigned from)
{
    for (unsigned w = from / 64; w < EVQ_SLOTS / 64; w++) {
        uint64_t bits = q->occupied[level][w];
        if (w == from / 64)
            bits &= ~0ULL << (from % 64);
        if (bits)
            return (int)(w * 64 + (unsigned)__builtin_ctzll(bits));
    }
    return -1;
}

static unsigned index_at(uint64_t unit, int level)
{
    return (unsigned)(unit >> (level * EVQ_LEVEL_BITS)) & (EVQ_SLOTS - 1);
}

/* Re-file every timer of a detached chain relative to the current horizon,
 * giving each chunk back before the next is read.  With many pending
 * timers each one is a cache miss: prefetching a few ahead overlaps them
 * (about 20% more events per second at a million pending). */
static void wheel_refile(evq *q, struct evq_chunk *chain)
{
    while (chain) {
        struct evq_chunk *next = chain->next;
        if (next)
            __builtin_prefetch(next);
        for (uint32_t i = 0; i < chain->len; i++) {
            if (i + 4 < chain->len)
                __builtin_prefetch(chain->timer[i + 4]);
            wheel_link(q, chain->timer[i], unit_of(chain->timer[i]->when));
        }
        chunk_put(q, chain);
        chain = next;
    }
}

/* Move the horizon forward and redistribute the slots it enters. */
static void move_horizon(evq *q, uint64_t new_horizon)
{
    uint64_t diff = q->horizon ^ new_horizon;
    q->horizon = new_horizon;
    if (!diff)
        return;
    int top = (63 - __builtin_clzll(diff)) / EVQ_LEVEL_BITS;
    if (top >= EVQ_LEVELS)
        top = EVQ_LEVELS - 1;
    for (int level = top; level >= 1; level--)
        wheel_refile(q, wheel_take_slot(q, level, index_at(new_horizon, level)));
}

/* The heap is empty and the wheel is not: bring the earliest timers into the
 * heap.  Cannot fail: evq_arm keeps the heap's room at least the number of
 * armed timers. */
static void advance(evq *q)
{
    while (q->heap_len == 0 && q->wheel_len > 0) {
        int level, slot = -1;
        for (level = 0; level < EVQ_LEVELS; level++) {
            unsigned from = index_at(q->horizon, level) + (level > 0);
            if (from < EVQ_SLOTS)
                slot = wheel_first_occupied(q, level, from);
            if (slot >= 0)
                break;
        }
        if (slot < 0)
            return; /* unreachable while wheel_len > 0 */
        unsigned shift = (unsigned)level * EVQ_LEVEL_BITS;
        uint64_t above = ~((1ULL << (shift + EVQ_LEVEL_BITS)) - 1);
        uint64_t start = (q->horizon & above) | ((uint64_t)slot << shift);
        uint32_t count = q->slot_len[level][slot];
        if (level == 0 || count <= EVQ_DIRECT_MAX) {
            struct evq_chunk *chain = wheel_take_slot(q, level, (unsigned)slot);
            while (chain) {
                struct evq_chunk *next = chain->next;
                for (uint32_t i = 0; i < chain->len; i++) {
                    if (i + 4 < chain->len)
                        __builtin_prefetch(chain->timer[i + 4]);
                    heap_push(q, chain->timer[i]);
                }
                chunk_put(q, chain);
                chain = next;
            }
            move_horizon(q, start + (1ULL << shift));
        } else {
            move_horizon(q, start);
        }
    }
}

/* ---- interface ----------------------------------------------------- */

void evq_cancel(evq *q, ss_timer *t)
{
    switch (t->where) {
    case EVQ_IN_HEAP:
        heap_remove(q, t->index);
        break;
    case EVQ_IN_WHEEL:
        wheel_unlink(q, t);
        break;
    default:
        break;
    }
}

int evq_arm(evq *q, ss_timer *t, ss_time when)
{
    uint64_t unit = unit_of(when);
    if (t->where == EVQ_NOWHERE) {
        /* Room for every armed timer in the heap and in the chunk pool, so
         * that advance() never allocates. */
        if (heap_reserve(q, (uint32_t)evq_len(q) + 1) < 0 || pool_reserve(q, evq_len(q) + 1) < 0)
            return SS_ENOMEM;
    }
    evq_cancel(q, t);
    t->when = when;
    t->seq = q->next_seq++;
    if (unit < q->horizon)
        heap_push(q, t);
    else
        wheel_link(q, t, unit);
    return 0;
}

ss_timer *evq_peek(evq *q)
{
    if (q->heap_len == 0)
        advance(q);
    return q->heap_len ? q->heap[0].timer : NULL;
}

ss_timer *evq_pop(evq *q)
{
    ss_timer *t = evq_peek(q);
    if (t)
        heap_remove(q, 0);
    return t;
}
