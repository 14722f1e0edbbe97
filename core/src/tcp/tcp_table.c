/* The 4-tuple hash tables that find a segment's connection or request:
 * chained, keyed by a hash of the tuple, doubling as they fill so that a
 * lookup stays O(1) however many connections a host holds. */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

static size_t tuple_hash(const struct tcp_tuple *t, size_t size)
{
    uint64_t h = ((uint64_t)t->laddr << 32 | t->raddr) * 0x9e3779b97f4a7c15ULL;
    h ^= ((uint64_t)t->lport << 16 | t->rport) * 0xc2b2ae3d27d4eb4fULL;
    return (size_t)(h >> 40) & (size - 1);
}

static bool tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
    return a->laddr == b->laddr && a->raddr == b->raddr && a->lport == b->lport && a->rport == b->rport;
}

struct tcp_hnode *tcp_table_find(struct hash_table *table, const struct tcp_tuple *t)
{
    if (!table->size)
        return NULL;
    for (struct tcp_hnode *h = table->buckets[tuple_hash(t, table->size)]; h; h = h->next)
        if (tuple_eq(&h->t, t))
            return h;
    return NULL;
}

/* Keep at most one entry per bucket on average. */
static int table_grow(struct hash_table *table)
{
    size_t size = table->size ? table->size * 2 : 64;
    struct tcp_hnode **buckets = ss_calloc(size, sizeof *buckets);
    if (!buckets)
        return SS_ENOMEM;
    for (size_t i = 0; i < table->size; i++) {
        for (struct tcp_hnode *h = table->buckets[i], *next; h; h = next) {
            next = h->next;
            size_t j = tuple_hash(&h->t, size);
            h->next = buckets[j];
            buckets[j] = h;
        }
    }
    ss_free(table->buckets);
    table->buckets = buckets;
    table->size = size;
    return 0;
}

int tcp_table_insert(struct hash_table *table, struct tcp_hnode *node)
{
    if (table->count + 1 > table->size && table_grow(table) < 0)
        return SS_ENOMEM;
    size_t j = tuple_hash(&node->t, table->size);
    node->next = table->buckets[j];
    table->buckets[j] = node;
    table->count++;
    return 0;
}

void tcp_table_remove(struct hash_table *table, struct tcp_hnode *node)
{
    struct tcp_hnode **link = &table->buckets[tuple_hash(&node->t, table->size)];
    while (*link && *link != node)
        link = &(*link)->next;
    if (*link) {
        *link = node->next;
        table->count--;
        table->removals++;
    }
}
