#include "app_part.h"

#include "alloc.h"
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

int app_register(ss_sim *sim, struct app_base *app, void (*destroy)(ss_sim *sim, struct app_base *app))
{
    struct app_part *part = sim->part[SS_PART_APP];
    if (!part) {
        part = ss_calloc(1, sizeof *part);
        if (!part)
            return SS_ENOMEM;
        ss_sim_attach(sim, SS_PART_APP, part, app_part_free);
    }
    app->destroy = destroy;
    app->next = part->apps;
    part->apps = app;
    return 0;
}
