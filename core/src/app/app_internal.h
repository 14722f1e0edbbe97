/* The app layer's internal header: the app part of a simulator, a list of
 * apps each freed with it.  Apps use TCP through its public header only
 * (synsim/tcp.h, synsim/app.h) and the sim layer for memory and streams. */
#ifndef SYNSIM_APP_APP_INTERNAL_H
#define SYNSIM_APP_APP_INTERNAL_H

#include "sim/sim_internal.h"
#include "synsim/app.h"
#include "synsim/net.h"

/* The first member of every app. */
struct app_base {
    struct app_base *next;
    void (*destroy)(ss_sim *sim, struct app_base *app);
    ss_sim *sim;
    ss_node *host;
    ss_rng rng; /* stream "app:KIND:NAME": apps never share draws */
};

typedef void (*app_destroy_fn)(ss_sim *sim, struct app_base *app);

/* A zeroed app of `size` bytes on `host`, its stream seeded, registered
 * with the simulator (which frees it with `destroy`).  NULL and *rc set
 * when memory ran out. */
void *app_new(ss_node *host, size_t size, const char *kind, const char *name, app_destroy_fn destroy, int *rc);

#endif
