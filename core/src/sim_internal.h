/* The simulator's private structure, shared by the core's own files.
 *
 * Higher layers (net, tcp, apps, trace) keep their state in a part attached
 * to the simulator, so that ss_sim_free() releases everything while sim.c
 * knows nothing of what those parts are. */
#ifndef SYNSIM_SIM_INTERNAL_H
#define SYNSIM_SIM_INTERNAL_H

#include "evq.h"
#include "synsim/sim.h"

enum ss_part {
    SS_PART_TRACE,
    SS_PART_NET,
    SS_PART_TCP,
    SS_PART_APP,
    SS_PART_COUNT
};

typedef void (*ss_part_free_fn)(ss_sim *sim, void *part);

struct ss_sim {
    evq queue;
    ss_time now;
    uint64_t seed;
    uint64_t events_run;
    bool running;
    bool stop_requested;
    int error; /* sticky: see ss_sim_error() */
    void *part[SS_PART_COUNT];
    ss_part_free_fn part_free[SS_PART_COUNT];
};

/* Attach `part` under `which`; ss_sim_free() calls free_fn on it, highest
 * part first, so that apps go before tcp, tcp before net. */
/* Record a failure that no caller can be told of at the time. */
void ss_sim_fail(ss_sim *sim, int code);
void ss_sim_attach(ss_sim *sim, enum ss_part which, void *part, ss_part_free_fn free_fn);

#endif
