#include "app/app_internal.h"

#include <stdio.h>
#include <string.h>

#include "synsim/error.h"

/* The apps of a simulator, and the set of the streams they draw from: an
 * open-addressing table of stream ids, at most half full, so that a second
 * app with the same identity is refused in O(1) however many apps exist. */
struct app_part {
    struct app_base *apps;
    uint64_t *streams; /* 0: empty slot (a stream id of 0 is stored as 1) */
    size_t stream_count, stream_cap;
};

static void app_part_free(ss_sim *sim, void *part_ptr)
{
    struct app_part *part = part_ptr;
    for (struct app_base *a = part->apps, *next; a; a = next) {
        next = a->next;
        a->destroy(sim, a);
    }
    ss_free(part->streams);
    ss_free(part);
}

static struct app_part *app_part_get(ss_sim *sim)
{
    struct app_part *part = sim->part[SS_PART_APP];
    if (!part && (part = ss_calloc(1, sizeof *part)))
        ss_sim_attach(sim, SS_PART_APP, part, app_part_free);
    return part;
}

static uint64_t *stream_slot(uint64_t *table, size_t cap, uint64_t id)
{
    size_t j = (size_t)(id ^ (id >> 31)) & (cap - 1);
    while (table[j] && table[j] != id)
        j = (j + 1) & (cap - 1);
    return &table[j];
}

/* Room for one more stream id, made before anything else is allocated so
 * that app_new() does all of its work or none. */
static int streams_reserve(struct app_part *part)
{
    if (2 * (part->stream_count + 1) <= part->stream_cap)
        return 0;
    size_t cap = part->stream_cap ? 2 * part->stream_cap : 16;
    uint64_t *table = ss_calloc(cap, sizeof *table);
    if (!table)
        return SS_ENOMEM;
    for (size_t i = 0; i < part->stream_cap; i++)
        if (part->streams[i])
            *stream_slot(table, cap, part->streams[i]) = part->streams[i];
    ss_free(part->streams);
    part->streams = table;
    part->stream_cap = cap;
    return 0;
}

int app_stream_name(char out[APP_STREAM_MAX], const char *kind, const ss_node *host, uint32_t dst, uint16_t port,
                    const char *name)
{
    if (name && strlen(name) > SS_APP_NAME_MAX)
        return SS_EINVAL;
    ss_sim *sim = ss_node_sim(host);
    ss_node *dst_node = ss_node_by_addr(sim, dst);
    char dst_text[SS_APP_NAME_MAX + 1];
    if (dst_node)
        snprintf(dst_text, sizeof dst_text, "%s", ss_node_name(dst_node));
    else
        snprintf(dst_text, sizeof dst_text, "%u.%u.%u.%u", dst >> 24, (dst >> 16) & 255, (dst >> 8) & 255, dst & 255);
    snprintf(out, APP_STREAM_MAX, "app:%s:%s>%s:%u%s%s", kind, ss_node_name(host), dst_text, (unsigned)port,
             name && *name ? ":" : "", name && *name ? name : "");
    return 0;
}

void *app_new(ss_node *host, size_t size, const char *stream, app_destroy_fn destroy, int *rc)
{
    ss_sim *sim = ss_node_sim(host);
    struct app_part *part = app_part_get(sim);
    if (!part) {
        *rc = SS_ENOMEM;
        return NULL;
    }
    uint64_t id = 0;
    if (stream) {
        id = ss_stream_id(stream);
        id += id == 0;
        if (part->stream_cap && *stream_slot(part->streams, part->stream_cap, id)) {
            *rc = SS_EEXIST;
            return NULL;
        }
        if ((*rc = streams_reserve(part)) < 0)
            return NULL;
    }
    size_t stream_len = stream ? strlen(stream) + 1 : 1;
    struct app_base *app = ss_calloc(1, size + stream_len);
    if (!app) {
        *rc = SS_ENOMEM;
        return NULL;
    }
    app->sim = sim;
    app->host = host;
    app->stream = (char *)app + size;
    if (stream) {
        memcpy(app->stream, stream, stream_len);
        ss_rng_seed(&app->rng, sim->seed, id);
        *stream_slot(part->streams, part->stream_cap, id) = id;
        part->stream_count++;
    }
    app->destroy = destroy;
    app->next = part->apps;
    part->apps = app;
    *rc = 0;
    return app;
}
