/* A connection's life: set-up, the application's calls (connect, send,
 * close, abort), finishing, TIME-WAIT, holding and releasing, and reading
 * its state. */
#include <string.h>

#include "synsim/error.h"
#include "tcp/tcp_internal.h"

void tcp_conn_init(ss_tcp_conn *c, struct tcp_stack *stack, const struct tcp_tuple *t)
{
    uint32_t generation = c->generation;
    memset(c, 0, sizeof *c);
    c->generation = generation;
    c->live = true;
    c->h.t = *t;
    c->stack = stack;
    c->state = SS_TCP_CLOSED;
    c->rto = TCP_TIMEOUT_INIT;
    c->cwnd = TCP_INIT_CWND;
    c->quickacks = TCP_MAX_QUICKACKS;
    c->rcv_wnd = (uint32_t)stack->settings.tcp_rmem;
    c->last_oow_ack = -1;
    c->retrans_stamp = -1;
    c->last_rcv = stack->sim->now;
    c->t_open = c->t_established = c->t_accepted = c->t_closed = -1;
    c->ts_offset = tcp_ts_offset(stack, t);
    ss_timer_init(&c->rtx_timer, tcp_rtx_timer_fire, c);
    ss_timer_init(&c->delack_timer, tcp_delack_timer_fire, c);
    ss_timer_init(&c->state_timer, tcp_state_timer_fire, c);
}

void tcp_arm(ss_tcp_conn *c, ss_timer *timer, ss_time delay)
{
    ss_sim *sim = c->stack->sim;
    if (ss_timer_arm(sim, timer, time_after(sim->now, delay)) == SS_ENOMEM)
        ss_sim_fail(sim, SS_ENOMEM);
}

static void cancel_timers(ss_tcp_conn *c)
{
    ss_sim *sim = c->stack->sim;
    ss_timer_cancel(sim, &c->rtx_timer);
    ss_timer_cancel(sim, &c->delack_timer);
    ss_timer_cancel(sim, &c->state_timer);
}

void tcp_maybe_recycle(ss_tcp_conn *c)
{
    if (c->state == SS_TCP_CLOSED && c->refs == 0 && c->app_done && !c->in_table)
        tcp_conn_recycle(c->stack, c);
}

void tcp_notify_closed(ss_tcp_conn *c, int err)
{
    if (c->app_done)
        return;
    c->app_done = true;
    c->error = err;
    c->t_closed = c->stack->sim->now;
    tcp_record_sync(c);
    if (c->cb.closed)
        c->cb.closed(c, err, c->ctx);
}

void tcp_conn_finish(ss_tcp_conn *c, int err)
{
    /* As Linux tcp_done(): a connection that dies before it is
     * established is a failed attempt. */
    if (c->state == SS_TCP_SYN_SENT || c->state == SS_TCP_SYN_RECEIVED)
        c->stack->counters.AttemptFails++;
    cancel_timers(c);
    if (c->in_table) {
        tcp_table_remove(&c->stack->conns, &c->h);
        c->in_table = false;
    }
    tcp_set_state(c, SS_TCP_CLOSED);
    c->refs++; /* keep it while the application hears of it */
    tcp_notify_closed(c, err);
    c->refs--;
    tcp_maybe_recycle(c);
}

void tcp_enter_time_wait(ss_tcp_conn *c)
{
    ss_sim *sim = c->stack->sim;
    ss_timer_cancel(sim, &c->rtx_timer);
    ss_timer_cancel(sim, &c->delack_timer);
    tcp_set_state(c, SS_TCP_TIME_WAIT);
    /* TCP_TIMEWAIT_LEN, Linux's 2 MSL (RFC 9293 3.6.1 asks for 2 MSL). */
    tcp_arm(c, &c->state_timer, c->stack->settings.tcp_timewait_len * SS_SEC);
    tcp_notify_closed(c, 0);
}

void ss_tcp_conn_hold(ss_tcp_conn *c)
{
    if (tcp_conn_check(c) == 0)
        c->refs++;
}

void ss_tcp_conn_release(ss_tcp_conn *c)
{
    if (tcp_conn_check(c) < 0 || c->refs == 0)
        return;
    c->refs--;
    tcp_maybe_recycle(c);
}

/* ---- the application's calls ------------------------------------------------------------------- */

static bool port_in_use(struct tcp_stack *stack, const struct tcp_tuple *t)
{
    return tcp_table_find(&stack->conns, t) || tcp_table_find(&stack->requests, t);
}

static int tcp_no_port(ss_tcp_conn *c)
{
    c->no_port = true; /* Linux inet_hash_connect(): EADDRNOTAVAIL */
    return SS_EEXIST;
}

/* OPEN (RFC 9293 3.10.1) of a prepared connection: pick the port, send the
 * SYN, enter SYN-SENT. */
int tcp_open(ss_tcp_conn *c)
{
    struct tcp_stack *stack = c->stack;
    struct tcp_tuple t = c->h.t;
    const uint32_t range = TCP_EPHEMERAL_HIGH - TCP_EPHEMERAL_LOW + 1;
    /* Ports are tried from where the last search stopped (amortised O(1)
     * while they free up in the order they were taken, as TIME-WAIT does);
     * a destination found full stays full, without another scan of the
     * 28,232 ports, until a connection, request or listener goes. */
    uint64_t changes = stack->conns.removals + stack->requests.removals + stack->listener_changes;
    if (stack->full_known && stack->full_at_changes == changes && stack->full_raddr == t.raddr &&
        stack->full_rport == t.rport)
        return tcp_no_port(c);
    for (uint32_t tries = 0; tries < range && !t.lport; tries++) {
        t.lport = stack->next_port;
        stack->next_port = stack->next_port == TCP_EPHEMERAL_HIGH ? TCP_EPHEMERAL_LOW : stack->next_port + 1;
        if (port_in_use(stack, &t) || tcp_listener_find(stack, t.lport))
            t.lport = 0;
    }
    if (!t.lport) {
        stack->full_raddr = t.raddr;
        stack->full_rport = t.rport;
        stack->full_at_changes = changes;
        stack->full_known = true;
        return tcp_no_port(c);
    }
    c->h.t = t;
    int rc = tcp_table_insert(&stack->conns, &c->h);
    if (rc < 0)
        return rc;
    c->in_table = true;
    c->ts_offset = tcp_ts_offset(stack, &t);
    c->iss = tcp_isn(stack, &t);
    c->snd_una = c->iss;
    c->snd_nxt = c->snd_max = c->iss + 1;
    c->t_open = stack->sim->now;
    tcp_local_syn_options(stack, t.raddr, &c->offered);
    stack->counters.ActiveOpens++;
    tcp_set_state(c, SS_TCP_SYN_SENT);
    tcp_send_syn(c, false);
    tcp_arm(c, &c->rtx_timer, c->rto);
    return 0;
}

int ss_tcp_connect_at(ss_node *host, uint32_t dst, uint16_t dport, ss_time at, const ss_tcp_callbacks *cb, void *ctx,
                      ss_tcp_conn **out)
{
    if (!host || !out || dport == 0 || dst == 0 || dst == host->addr || at < host->sim->now)
        return SS_EINVAL;
    *out = NULL;
    if (host->down)
        return SS_ESTATE;
    struct tcp_stack *stack;
    int rc = tcp_stack_get(host, &stack);
    if (rc < 0)
        return rc;
    ss_tcp_conn *c;
    if ((rc = tcp_conn_alloc(stack, &c)) < 0)
        return rc;
    struct tcp_tuple t = {host->addr, dst, 0, dport};
    tcp_conn_init(c, stack, &t);
    c->id = tcp_new_id(stack);
    if (cb)
        c->cb = *cb;
    c->ctx = ctx;
    tcp_record_new(c);
    tcp_trace_conn(c, SS_TRACE_APP, SS_CALL_CONNECT);
    /* A connect for later waits on the state timer.  One that finds no free
     * port fails as Linux's connect() does, with EADDRNOTAVAIL, reported
     * like every other connect failure: as the connection's error, through
     * its closed callback, from an event at this instant. */
    rc = at > stack->sim->now ? SS_EEXIST : tcp_open(c);
    if (rc == SS_EEXIST)
        rc = ss_timer_arm(stack->sim, &c->state_timer, at);
    if (rc < 0) {
        tcp_record_drop(c); /* all or nothing: no row for a call that failed */
        tcp_conn_recycle(stack, c);
        return rc;
    }
    *out = c;
    return 0;
}

int ss_tcp_connect(ss_node *host, uint32_t dst, uint16_t dport, const ss_tcp_callbacks *cb, void *ctx,
                   ss_tcp_conn **out)
{
    if (!host)
        return SS_EINVAL;
    return ss_tcp_connect_at(host, dst, dport, host->sim->now, cb, ctx, out);
}

int ss_tcp_send(ss_tcp_conn *c, uint64_t bytes)
{
    int rc = tcp_conn_check(c);
    if (rc < 0)
        return rc;
    if (c->close_called || c->state == SS_TCP_CLOSED || c->state == SS_TCP_TIME_WAIT)
        return SS_ESTATE;
    if (bytes > (1ULL << 31) - c->app_queued)
        return SS_ERANGE; /* the virtual stream stays within half the sequence space */
    c->app_queued += bytes;
    tcp_trace_conn(c, SS_TRACE_APP, SS_CALL_SEND);
    tcp_send_data(c);
    return 0;
}

int ss_tcp_close(ss_tcp_conn *c)
{
    int rc = tcp_conn_check(c);
    if (rc < 0)
        return rc;
    if (c->close_called)
        return SS_ESTATE;
    if (c->state != SS_TCP_CLOSED)
        tcp_trace_conn(c, SS_TRACE_APP, SS_CALL_CLOSE);
    /* RFC 9293 3.10.4 CLOSE. */
    switch (c->state) {
    case SS_TCP_SYN_SENT:
        c->close_called = true;
        tcp_conn_finish(c, 0);
        return 0;
    case SS_TCP_SYN_RECEIVED:
    case SS_TCP_ESTABLISHED:
        c->close_called = true;
        c->fin_queued = true;
        tcp_set_state(c, SS_TCP_FIN_WAIT_1);
        tcp_send_data(c);
        return 0;
    case SS_TCP_CLOSE_WAIT:
        c->close_called = true;
        c->fin_queued = true;
        tcp_set_state(c, SS_TCP_LAST_ACK);
        tcp_send_data(c);
        return 0;
    default:
        return SS_ESTATE; /* "connection closing" or no connection */
    }
}

int ss_tcp_abort(ss_tcp_conn *c)
{
    int rc = tcp_conn_check(c);
    if (rc < 0)
        return rc;
    if (c->state != SS_TCP_CLOSED)
        tcp_trace_conn(c, SS_TRACE_APP, SS_CALL_ABORT);
    /* RFC 9293 3.10.5 ABORT. */
    switch (c->state) {
    case SS_TCP_SYN_RECEIVED:
    case SS_TCP_ESTABLISHED:
    case SS_TCP_FIN_WAIT_1:
    case SS_TCP_FIN_WAIT_2:
    case SS_TCP_CLOSE_WAIT:
        tcp_send_reset(c);
        /* fall through */
    case SS_TCP_SYN_SENT:
    case SS_TCP_CLOSING:
    case SS_TCP_LAST_ACK:
    case SS_TCP_TIME_WAIT:
        c->close_called = true;
        tcp_conn_finish(c, ECONNABORTED);
        return 0;
    default:
        return SS_ESTATE;
    }
}

/* ---- reading a connection ----------------------------------------------------------------------- */

void ss_tcp_conn_info(const ss_tcp_conn *c, ss_tcp_info *out)
{
    if (!out)
        return;
    if (tcp_conn_check(c) < 0) {
        *out = (ss_tcp_info){.state = SS_TCP_CLOSED};
        return;
    }
    *out = (ss_tcp_info){
        .id = c->id,
        .state = c->state,
        .error = c->error,
        .passive = c->passive,
        .local_addr = c->h.t.laddr,
        .remote_addr = c->h.t.raddr,
        .local_port = c->h.t.lport,
        .remote_port = c->h.t.rport,
        .iss = c->iss,
        .irs = c->irs,
        .snd_una = c->snd_una,
        .snd_nxt = c->snd_nxt,
        .rcv_nxt = c->rcv_nxt,
        .snd_wnd = c->snd_wnd,
        .rcv_wnd = c->rcv_wnd,
        .mss = c->mss,
        .peer_mss = c->peer_mss,
        .wscale_ok = c->ws_ok,
        .sack_ok = c->sack_ok,
        .timestamps_ok = c->ts_ok,
        .snd_wscale = c->snd_wscale,
        .rcv_wscale = c->rcv_wscale,
        .syn_retransmits = c->syn_retransmits,
        .retransmits = c->data_retransmits,
        .rto = c->rto,
        .srtt = c->srtt,
        .keepalive = c->opt.keepalive,
        .keepalive_idle = tcp_keepalive_idle(c),
        .keepalive_interval = tcp_keepalive_interval(c),
        .keepalive_count = (int)tcp_keepalive_count(c),
        .keepalive_probes = c->probes_out,
        .user_timeout = c->opt.user_timeout,
        .t_open = c->t_open,
        .t_established = c->t_established,
        .t_accepted = c->t_accepted,
        .cookie = c->cookie,
        .t_closed = c->t_closed,
        .bytes_sent = c->app_queued,
        .bytes_acked = c->bytes_acked,
        .bytes_received = c->bytes_received,
    };
}

ss_tcp_state ss_tcp_conn_state(const ss_tcp_conn *c) { return tcp_conn_check(c) ? SS_TCP_CLOSED : c->state; }
int ss_tcp_conn_error(const ss_tcp_conn *c) { return tcp_conn_check(c) ? 0 : c->error; }
ss_node *ss_tcp_conn_host(const ss_tcp_conn *c) { return tcp_conn_check(c) ? NULL : c->stack->node; }

ss_tcp_handle ss_tcp_handle_of(ss_tcp_conn *c)
{
    if (tcp_conn_check(c) < 0)
        return (ss_tcp_handle){0};
    return (ss_tcp_handle){c, c->generation};
}

ss_tcp_conn *ss_tcp_handle_get(ss_tcp_handle h)
{
    /* Pool memory lives as long as the simulator, so reading a freed or
     * reused slot is safe; its generation tells which it is. */
    if (!h.conn || !h.conn->live || h.conn->generation != h.generation)
        return NULL;
    return h.conn;
}
