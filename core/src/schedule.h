/* Up/down changes scheduled at simulated times, for links (down/up) and
 * nodes (crash/restart): one timer, armed for the earliest change. */
#ifndef SYNSIM_SCHEDULE_H
#define SYNSIM_SCHEDULE_H

#include "synsim/sim.h"

typedef void (*updown_apply_fn)(ss_sim *sim, void *object, bool up);

struct updown_change {
    ss_time at;
    bool up;
};

struct updown_schedule {
    ss_timer timer;
    updown_apply_fn apply;
    void *object;
    struct updown_change *changes; /* in order of time, then of scheduling */
    size_t count, cap;
};

void updown_init(struct updown_schedule *s, updown_apply_fn apply, void *object);
/* Cancels the timer and frees the list. */
void updown_destroy(ss_sim *sim, struct updown_schedule *s);
/* SS_EINVAL for a time in the past, SS_ENOMEM (nothing changed). */
int updown_add(ss_sim *sim, struct updown_schedule *s, ss_time at, bool up);

#endif
