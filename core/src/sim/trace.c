#include <string.h>

#include "sim/sim_internal.h"
#include "synsim/error.h"

_Static_assert(sizeof(ss_trace_record) == 64, "trace record layout is shared with Python");

static void trace_free(ss_sim *sim, void *part)
{
    (void)sim;
    struct ss_trace *t = part;
    ss_free(t->records);
    ss_free(t);
}

int ss_trace_enable(ss_sim *sim, unsigned mask)
{
    if (!sim || (mask & ~(unsigned)SS_TRACE_ALL))
        return SS_EINVAL;
    struct ss_trace *t = sim->part[SS_PART_TRACE];
    if (!t) {
        if (!mask)
            return 0;
        t = ss_calloc(1, sizeof *t);
        if (!t)
            return SS_ENOMEM;
        ss_sim_attach(sim, SS_PART_TRACE, t, trace_free);
    }
    t->mask = mask;
    return 0;
}

/* The trace part, or NULL for a NULL simulator or one that never traced. */
static struct ss_trace *trace_of(ss_sim *sim)
{
    return sim ? sim->part[SS_PART_TRACE] : NULL;
}

unsigned ss_trace_mask(ss_sim *sim)
{
    const struct ss_trace *t = trace_of(sim);
    return t ? t->mask : 0;
}

void trace_append(ss_sim *sim, const ss_trace_record *record)
{
    struct ss_trace *t = sim->part[SS_PART_TRACE];
    /* The trace grows with what it records; that is its purpose, and it
     * happens only with tracing on. */
    if (ss_reserve(&t->records, &t->cap, t->len + 1, sizeof *t->records, 4096) < 0) {
        t->lost++;
        return;
    }
    t->records[t->len++] = *record;
}

size_t ss_trace_count(ss_sim *sim)
{
    const struct ss_trace *t = trace_of(sim);
    return t ? t->len : 0;
}

size_t ss_trace_copy(ss_sim *sim, size_t first, ss_trace_record *out, size_t max)
{
    const struct ss_trace *t = trace_of(sim);
    if (!t || !out || first >= t->len)
        return 0;
    size_t n = t->len - first < max ? t->len - first : max;
    memcpy(out, t->records + first, n * sizeof *out);
    return n;
}

void ss_trace_clear(ss_sim *sim)
{
    struct ss_trace *t = trace_of(sim);
    if (t) {
        t->len = 0;
        t->lost = 0;
    }
}

uint64_t ss_trace_lost(ss_sim *sim)
{
    const struct ss_trace *t = trace_of(sim);
    return t ? t->lost : 0;
}

const char *ss_trace_kind_name(int kind)
{
    switch (kind) {
    case SS_TRACE_SEND: return "send";
    case SS_TRACE_RECV: return "recv";
    case SS_TRACE_FORWARD: return "forward";
    case SS_TRACE_DROP: return "drop";
    case SS_TRACE_STATE: return "state";
    case SS_TRACE_TIMER: return "timer";
    case SS_TRACE_APP: return "app";
    default: return "?";
    }
}

static const char *timer_name(int timer)
{
    switch (timer) {
    case SS_TIMER_RETRANSMIT: return "retransmit";
    case SS_TIMER_DELAYED_ACK: return "delayed_ack";
    case SS_TIMER_KEEPALIVE: return "keepalive";
    case SS_TIMER_TIME_WAIT: return "time_wait";
    case SS_TIMER_FIN_WAIT_2: return "fin_wait_2";
    case SS_TIMER_SYNACK: return "synack";
    case SS_TIMER_OPEN: return "open";
    default: return "";
    }
}

static const char *call_name(int call)
{
    switch (call) {
    case SS_CALL_CONNECT: return "connect";
    case SS_CALL_ACCEPT: return "accept";
    case SS_CALL_SEND: return "send";
    case SS_CALL_CLOSE: return "close";
    case SS_CALL_ABORT: return "abort";
    default: return "";
    }
}

const char *ss_trace_cause_name(int kind, int cause)
{
    switch (kind) {
    case SS_TRACE_DROP: return ss_drop_cause_name(cause);
    case SS_TRACE_TIMER: return timer_name(cause);
    case SS_TRACE_APP: return call_name(cause);
    default: return "";
    }
}

const char *ss_drop_cause_name(int cause)
{
    switch (cause) {
    case SS_DROP_NONE: return "";
    case SS_DROP_QUEUE: return "queue";
    case SS_DROP_LOSS: return "loss";
    case SS_DROP_DOWN: return "down";
    case SS_DROP_MTU: return "mtu";
    case SS_DROP_NO_ROUTE: return "no_route";
    case SS_DROP_TTL: return "ttl";
    case SS_DROP_NOT_MINE: return "not_mine";
    case SS_DROP_NO_RECEIVER: return "no_receiver";
    case SS_DROP_NOMEM: return "nomem";
    case SS_DROP_HOST_DOWN: return "host_down";
    default: return "?";
    }
}
