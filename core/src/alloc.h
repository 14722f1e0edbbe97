/* The core's one door to the heap.
 *
 * Every allocation of the library goes through these wrappers so that the
 * tests can count what is outstanding (a leak check in every teardown) and
 * make the n-th allocation fail (to show that every error path frees what it
 * took and leaves the simulator usable). */
#ifndef SYNSIM_ALLOC_H
#define SYNSIM_ALLOC_H

#include <stddef.h>

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
long ss_alloc_outstanding(void);          /* blocks allocated and not freed */
void ss_alloc_fail_after(long n);         /* the (n+1)-th allocation from now fails; -1: none */
long ss_alloc_count(void);                /* allocations made so far */

#endif
