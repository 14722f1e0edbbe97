/* synsim trace: what happened, as fixed-size records in time order.
 *
 * Layers report through one narrow call each; nothing else writes records.
 * Each kind can be switched off; with a kind off its call is one test of a
 * mask.  Records are kept in the simulator until cleared. */
#ifndef SYNSIM_TRACE_H
#define SYNSIM_TRACE_H

#include "synsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ss_trace_kind {
    SS_TRACE_SEND = 0,    /* a node originated a packet */
    SS_TRACE_RECV = 1,    /* a packet reached its destination node */
    SS_TRACE_FORWARD = 2, /* a router passed a packet on */
    SS_TRACE_DROP = 3,    /* a packet was dropped; `cause` says why */
    SS_TRACE_STATE = 4,   /* a connection changed state (old_state -> new_state) */
    SS_TRACE_TIMER = 5,   /* a connection's timer fired; `cause` is an ss_timer_kind */
    SS_TRACE_APP = 6,     /* the application called the TCP API; `cause` is an ss_app_call */
    SS_TRACE_KIND_COUNT
} ss_trace_kind;

typedef enum ss_drop_cause {
    SS_DROP_NONE = 0,
    SS_DROP_QUEUE = 1,
    SS_DROP_LOSS = 2,
    SS_DROP_DOWN = 3,
    SS_DROP_MTU = 4,
    SS_DROP_NO_ROUTE = 5,
    SS_DROP_TTL = 6,
    SS_DROP_NOT_MINE = 7,
    SS_DROP_NO_RECEIVER = 8,
    SS_DROP_NOMEM = 9,
    SS_DROP_HOST_DOWN = 10,
    SS_DROP_CAUSE_COUNT
} ss_drop_cause;

typedef enum ss_timer_kind {
    SS_TIMER_RETRANSMIT = 1,
    SS_TIMER_DELAYED_ACK = 2,
    SS_TIMER_KEEPALIVE = 3,
    SS_TIMER_TIME_WAIT = 4,
    SS_TIMER_FIN_WAIT_2 = 5,
    SS_TIMER_SYNACK = 6,
    SS_TIMER_OPEN = 7 /* a connect scheduled for later */
} ss_timer_kind;

typedef enum ss_app_call {
    SS_CALL_CONNECT = 1,
    SS_CALL_ACCEPT = 2,
    SS_CALL_SEND = 3,
    SS_CALL_CLOSE = 4,
    SS_CALL_ABORT = 5
} ss_app_call;

/* 64 bytes, no padding holes: the Python layer views an array of these
 * through a matching numpy dtype. */
typedef struct ss_trace_record {
    int64_t time;
    uint64_t packet; /* packet id, 0 when none */
    uint32_t node;   /* node id */
    uint32_t link;   /* link index + 1, 0 when none */
    uint32_t src, dst;
    uint32_t seq, ack;
    uint32_t size, payload;
    uint16_t sport, dport;
    uint8_t kind, cause, flags, dir;
    uint32_t conn; /* connection attempt id, 0 when none */
    uint8_t old_state, new_state;
    uint16_t reserved;
} ss_trace_record;

enum { SS_TRACE_ALL = (1 << SS_TRACE_KIND_COUNT) - 1 };

/* Which kinds to record: bit (1 << kind).  Default: none. */
int ss_trace_enable(ss_sim *sim, unsigned mask);
unsigned ss_trace_mask(ss_sim *sim);
size_t ss_trace_count(ss_sim *sim);
/* Copy up to `max` records starting at record `first` into `out`; returns
 * how many were copied. */
size_t ss_trace_copy(ss_sim *sim, size_t first, ss_trace_record *out, size_t max);
void ss_trace_clear(ss_sim *sim);
/* Records that could not be stored because memory ran out. */
uint64_t ss_trace_lost(ss_sim *sim);
const char *ss_trace_kind_name(int kind);
const char *ss_drop_cause_name(int cause);
/* The name of a record's `cause` field for its kind: a drop cause, a timer
 * or an application call ("" when none). */
const char *ss_trace_cause_name(int kind, int cause);

#ifdef __cplusplus
}
#endif
#endif
