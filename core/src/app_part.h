/* The app part of a simulator: a list of apps, each freed with it. */
#ifndef SYNSIM_APP_PART_H
#define SYNSIM_APP_PART_H

#include "sim_internal.h"

struct app_base {
    struct app_base *next;
    void (*destroy)(ss_sim *sim, struct app_base *app);
};

/* Link `app` into the simulator's list; SS_ENOMEM if the part could not be
 * made (the caller then frees the app itself). */
int app_register(ss_sim *sim, struct app_base *app, void (*destroy)(ss_sim *sim, struct app_base *app));

#endif
