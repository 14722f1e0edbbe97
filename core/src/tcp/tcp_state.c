/* Connection states: their names, the one place a state changes
 * (tcp_set_state) and the one place TCP writes trace records. */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

tcp_transition_fn tcp_transition_observer;

const char *ss_tcp_state_name(int state)
{
    switch (state) {
    case SS_TCP_CLOSED: return "CLOSED";
    case SS_TCP_LISTEN: return "LISTEN";
    case SS_TCP_SYN_SENT: return "SYN-SENT";
    case SS_TCP_SYN_RECEIVED: return "SYN-RECEIVED";
    case SS_TCP_ESTABLISHED: return "ESTABLISHED";
    case SS_TCP_FIN_WAIT_1: return "FIN-WAIT-1";
    case SS_TCP_FIN_WAIT_2: return "FIN-WAIT-2";
    case SS_TCP_CLOSE_WAIT: return "CLOSE-WAIT";
    case SS_TCP_CLOSING: return "CLOSING";
    case SS_TCP_LAST_ACK: return "LAST-ACK";
    case SS_TCP_TIME_WAIT: return "TIME-WAIT";
    default: return "?";
    }
}

const char *ss_tcp_errno_name(int err)
{
    switch (err) {
    case 0: return "";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ECONNABORTED: return "ECONNABORTED";
    case EPIPE: return "EPIPE";
    case EHOSTDOWN: return "EHOSTDOWN";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    default: return "E?";
    }
}

/* The one place TCP writes trace records. */
static void trace_conn(struct tcp_stack *stack, uint32_t conn_id, const struct tcp_tuple *t, ss_trace_kind kind,
                       int cause, ss_tcp_state from, ss_tcp_state to)
{
    if (!trace_wants(stack->sim, kind))
        return;
    ss_trace_record r = {
        .time = stack->sim->now,
        .node = stack->node->id,
        .src = t->laddr,
        .dst = t->raddr,
        .sport = t->lport,
        .dport = t->rport,
        .kind = (uint8_t)kind,
        .cause = (uint8_t)cause,
        .conn = conn_id,
        .old_state = (uint8_t)from,
        .new_state = (uint8_t)to,
    };
    trace_append(stack->sim, &r);
}

void tcp_trace_transition(struct tcp_stack *stack, uint32_t conn_id, const struct tcp_tuple *t, ss_tcp_state from,
                          ss_tcp_state to)
{
    if (tcp_transition_observer)
        tcp_transition_observer(stack->sim, conn_id, from, to);
    trace_conn(stack, conn_id, t, SS_TRACE_STATE, 0, from, to);
}

void tcp_trace_event(struct tcp_stack *stack, uint32_t conn_id, const struct tcp_tuple *t, ss_trace_kind kind,
                     int cause)
{
    trace_conn(stack, conn_id, t, kind, cause, SS_TCP_CLOSED, SS_TCP_CLOSED);
}

static bool counts_as_established(ss_tcp_state s)
{
    /* Linux's CurrEstab: ESTABLISHED and CLOSE-WAIT (tcp_set_state()). */
    return s == SS_TCP_ESTABLISHED || s == SS_TCP_CLOSE_WAIT;
}

/* Every state change of a connection goes through here. */
void tcp_set_state(ss_tcp_conn *c, ss_tcp_state state)
{
    ss_tcp_state from = c->state;
    if (from == state)
        return;
    struct tcp_counters *n = &c->stack->counters;
    if (counts_as_established(from))
        n->CurrEstab--;
    if (counts_as_established(state))
        n->CurrEstab++;
    /* As Linux tcp_set_state(): a connection that goes from ESTABLISHED or
     * CLOSE-WAIT straight to CLOSED was reset. */
    if (state == SS_TCP_CLOSED && counts_as_established(from))
        n->EstabResets++;
    c->state = state;
    tcp_trace_transition(c->stack, c->id, &c->h.t, from, state);
    tcp_record_sync(c);
}
