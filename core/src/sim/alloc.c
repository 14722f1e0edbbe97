#include "sim/sim_internal.h"

#include "synsim/error.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Process-wide, as malloc is.  Simulators may run in several threads at
 * once (Python releases the GIL during a run), so the counts are atomic;
 * relaxed order suffices for counts, and allocations are off the
 * per-event path.  The failure countdown is a single-threaded test hook. */
static atomic_long outstanding;
static atomic_long allocations;
static long fail_countdown = -1;

static int should_fail(void)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

static void count_block(long delta) { atomic_fetch_add_explicit(&outstanding, delta, memory_order_relaxed); }

void *ss_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    void *p = malloc(size ? size : 1);
    if (p)
        count_block(1);
    return p;
}

void *ss_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p)
        count_block(1);
    return p;
}

void *ss_realloc(void *p, size_t size)
{
    if (!p)
        return ss_malloc(size);
    if (should_fail())
        return NULL;
    return realloc(p, size ? size : 1);
}

void ss_free(void *p)
{
    if (!p)
        return;
    count_block(-1);
    free(p);
}

char *ss_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = ss_malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

int ss_reserve(void *array_address, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t grown = *cap ? *cap : first;
    while (grown < need)
        grown *= 2;
    /* The array pointer is read and written as bytes, so that any object
     * pointer type can be passed without breaking aliasing rules. */
    void *old;
    memcpy(&old, array_address, sizeof old);
    void *p = ss_realloc(old, grown * size);
    if (!p)
        return SS_ENOMEM;
    memcpy(array_address, &p, sizeof p);
    *cap = grown;
    return 0;
}

long ss_alloc_outstanding(void) { return atomic_load_explicit(&outstanding, memory_order_relaxed); }
long ss_alloc_count(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }
void ss_alloc_fail_after(long n) { fail_countdown = n; }
