#include "app/app_internal.h"

#include <stdio.h>

#include "synsim/error.h"

struct app_part {
    struct app_base *apps;
};

static void app_part_free(ss_sim *sim, void *part_ptr)
{
    struct app_part *part = part_ptr;
    for (struct app_base *a = part->apps, *next; a; a = next) {
        next = a->next;
        a->destroy(sim, a);
    }
    ss_free(part);
}

void *app_new(ss_node *host, size_t size, const char *kind, const char *name, app_destroy_fn destroy, int *rc)
{
    ss_sim *sim = ss_node_sim(host);
    struct app_part *part = sim->part[SS_PART_APP];
    if (!part) {
        part = ss_calloc(1, sizeof *part);
        if (!part) {
            *rc = SS_ENOMEM;
            return NULL;
        }
        ss_sim_attach(sim, SS_PART_APP, part, app_part_free);
    }
    struct app_base *app = ss_calloc(1, size);
    if (!app) {
        *rc = SS_ENOMEM;
        return NULL;
    }
    app->sim = sim;
    app->host = host;
    char stream[128];
    snprintf(stream, sizeof stream, "app:%s:%s", kind, name);
    ss_rng_seed(&app->rng, sim->seed, ss_stream_id(stream));
    app->destroy = destroy;
    app->next = part->apps;
    part->apps = app;
    *rc = 0;
    return app;
}
