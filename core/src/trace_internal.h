/* The one call through which layers report to the trace.  The mask test is
 * inline so that a kind switched off costs one load and one branch. */
#ifndef SYNSIM_TRACE_INTERNAL_H
#define SYNSIM_TRACE_INTERNAL_H

#include "sim_internal.h"
#include "synsim/trace.h"

struct ss_trace {
    unsigned mask;
    ss_trace_record *records;
    size_t len, cap;
    uint64_t lost;
};

void trace_append(ss_sim *sim, const ss_trace_record *record);

static inline bool trace_wants(const ss_sim *sim, ss_trace_kind kind)
{
    const struct ss_trace *t = sim->part[SS_PART_TRACE];
    return t && (t->mask & (1u << kind));
}

#endif
