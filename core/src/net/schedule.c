#include "net/net_internal.h"

#include <string.h>

#include "synsim/error.h"

static void updown_fire(ss_sim *sim, ss_timer *timer, void *ctx)
{
    struct updown_schedule *s = ctx;
    /* One change at a time: applying it may schedule more. */
    while (s->count && s->changes[0].at <= sim->now) {
        bool up = s->changes[0].up;
        s->count--;
        memmove(s->changes, s->changes + 1, s->count * sizeof *s->changes);
        s->apply(sim, s->object, up);
    }
    if (s->count)
        ss_timer_arm(sim, timer, s->changes[0].at); /* just fired: needs no memory */
}

void updown_init(struct updown_schedule *s, updown_apply_fn apply, void *object)
{
    memset(s, 0, sizeof *s);
    s->apply = apply;
    s->object = object;
    ss_timer_init(&s->timer, updown_fire, s);
}

void updown_destroy(ss_sim *sim, struct updown_schedule *s)
{
    ss_timer_cancel(sim, &s->timer);
    ss_free(s->changes);
    s->changes = NULL;
    s->count = s->cap = 0;
}

int updown_add(ss_sim *sim, struct updown_schedule *s, ss_time at, bool up)
{
    if (at < sim->now)
        return SS_EINVAL;
    if (ss_reserve(&s->changes, &s->cap, s->count + 1, sizeof *s->changes, 4) < 0)
        return SS_ENOMEM;
    size_t i = s->count;
    while (i > 0 && s->changes[i - 1].at > at)
        i--;
    memmove(s->changes + i + 1, s->changes + i, (s->count - i) * sizeof *s->changes);
    s->changes[i] = (struct updown_change){at, up};
    s->count++;
    int rc = ss_timer_arm(sim, &s->timer, s->changes[0].at);
    if (rc < 0) {
        s->count--;
        memmove(s->changes + i, s->changes + i + 1, (s->count - i) * sizeof *s->changes);
    }
    return rc;
}
