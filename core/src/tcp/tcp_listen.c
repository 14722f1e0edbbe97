/* Listeners as Linux 6.x keeps them: the listening socket, its accept
 * queue of completed connections handed to the application at its own
 * pace, and the options accepted connections inherit (net/ipv4/
 * inet_connection_sock.c inet_csk_accept(), sock.h sk_acceptq_is_full()).
 * The SYN queue and the handshake are in tcp_request.c. */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

static void accept_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx);

ss_tcp_listener *tcp_listener_find(struct tcp_stack *stack, uint16_t port)
{
    for (ss_tcp_listener *l = stack->listeners; l; l = l->next)
        if (l->port == port && !l->closed)
            return l;
    return NULL;
}

int ss_tcp_listen(ss_node *host, uint16_t port, int backlog, const ss_tcp_callbacks *cb, void *ctx,
                  ss_tcp_listener **out)
{
    if (!host || !out || port == 0 || backlog < 0)
        return SS_EINVAL;
    *out = NULL;
    struct tcp_stack *stack;
    int rc = tcp_stack_get(host, &stack);
    if (rc < 0)
        return rc;
    if (tcp_listener_find(stack, port))
        return SS_EEXIST;
    ss_tcp_listener *l = ss_calloc(1, sizeof *l);
    if (!l)
        return SS_ENOMEM;
    l->stack = stack;
    l->port = port;
    /* inet_listen(): sk_max_ack_backlog = min(backlog, somaxconn). */
    l->backlog = backlog < stack->settings.somaxconn ? backlog : (int)stack->settings.somaxconn;
    l->last_overflow = l->last_accept = -1;
    ss_timer_init(&l->accept_timer, accept_timer_fire, l);
    if (cb)
        l->cb = *cb;
    l->ctx = ctx;
    l->next = stack->listeners;
    stack->listeners = l;
    stack->listener_changes++;
    *out = l;
    return 0;
}

int ss_tcp_listener_info_get(const ss_tcp_listener *l, ss_tcp_listener_info *out)
{
    if (!l || !out)
        return SS_EINVAL;
    *out = (ss_tcp_listener_info){
        .port = l->port,
        .backlog = l->backlog,
        .syn_queue = l->syn_queue_len,
        .accept_queue = l->accept_queue_len,
        .syn_queue_max = l->syn_queue_max,
        .accept_queue_max = l->accept_queue_max,
        .syn_received = l->syn_received,
        .cookies_sent = l->cookies_sent,
        .accepted = l->accepted,
    };
    return 0;
}

bool tcp_accept_queue_full(const ss_tcp_listener *l)
{
    return l->accept_queue_len > (uint32_t)l->backlog; /* sk_acceptq_is_full() */
}

/* ---- the accept queue ---------------------------------------------------------------- */

static ss_tcp_conn *accept_dequeue(ss_tcp_listener *l)
{
    ss_tcp_conn *c = l->accept_head;
    if (!c)
        return NULL;
    l->accept_head = c->accept_next;
    if (!l->accept_head)
        l->accept_tail = NULL;
    l->accept_queue_len--;
    c->accept_next = NULL;
    c->in_accept_queue = false;
    return c;
}

/* accept(): the application takes the connection and hears of it. */
static void accept_one(ss_tcp_listener *l)
{
    ss_tcp_conn *c = accept_dequeue(l);
    if (!c)
        return;
    struct tcp_stack *stack = l->stack;
    l->accepted++;
    c->t_accepted = stack->sim->now;
    tcp_record_sync(c);
    tcp_trace_conn(c, SS_TRACE_APP, SS_CALL_ACCEPT);
    l->last_accept = stack->sim->now;
    c->cb = l->cb;
    c->ctx = l->ctx;
    /* A connection that died in the queue is handed over closed. */
    bool alive = c->state != SS_TCP_CLOSED;
    if (c->cb.established && alive)
        c->cb.established(c, c->ctx);
    if (!alive && c->cb.closed)
        c->cb.closed(c, c->error, c->ctx);
    ss_tcp_conn_release(c); /* the queue's hold */
}

/* Arm the accept timer for the next accept the pace allows: one interval
 * after the last accept (saturating: an interval that ends past the end of
 * time never comes), at once if that is past. */
static void accept_schedule(ss_tcp_listener *l)
{
    ss_sim *sim = l->stack->sim;
    if (!l->accept_head || l->accept_interval == SS_TIME_MAX || ss_timer_armed(&l->accept_timer))
        return;
    ss_time at = l->last_accept < 0 ? sim->now : time_after(l->last_accept, l->accept_interval);
    if (at == SS_TIME_MAX)
        return;
    if (at < sim->now)
        at = sim->now;
    if (ss_timer_arm(sim, &l->accept_timer, at) < 0)
        ss_sim_fail(sim, SS_ENOMEM);
}

static void accept_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx)
{
    (void)sim, (void)timer;
    ss_tcp_listener *l = ctx;
    accept_one(l);
    accept_schedule(l);
}

void tcp_accept_enqueue(ss_tcp_listener *l, ss_tcp_conn *c)
{
    ss_tcp_conn_hold(c);
    c->listener = l;
    c->in_accept_queue = true;
    if (l->accept_tail)
        l->accept_tail->accept_next = c;
    else
        l->accept_head = c;
    l->accept_tail = c;
    l->accept_queue_len++;
    if (l->accept_queue_len > l->accept_queue_max)
        l->accept_queue_max = l->accept_queue_len;
    if (l->accept_interval == 0)
        accept_one(l);
    else
        accept_schedule(l);
}

int ss_tcp_listener_set_accept(ss_tcp_listener *l, ss_time interval)
{
    if (!l || interval < 0)
        return SS_EINVAL;
    /* A new pace replaces the old one at once: an accept armed under the
     * old interval is re-timed from the last accept, or dropped for
     * SS_TIME_MAX ("never"). */
    ss_timer_cancel(l->stack->sim, &l->accept_timer);
    l->accept_interval = interval;
    while (interval == 0 && l->accept_head)
        accept_one(l);
    accept_schedule(l);
    return 0;
}

void tcp_listener_flush(ss_tcp_listener *l)
{
    ss_timer_cancel(l->stack->sim, &l->accept_timer);
    ss_tcp_conn *c;
    while ((c = accept_dequeue(l)) != NULL)
        ss_tcp_conn_release(c);
}

int ss_tcp_listener_close(ss_tcp_listener *l)
{
    if (!l)
        return SS_EINVAL;
    if (l->closed)
        return SS_ESTATE; /* as a second ss_tcp_close() */
    tcp_listener_drop_requests(l);
    /* inet_csk_listen_stop(): connections nobody accepted are reset. */
    ss_timer_cancel(l->stack->sim, &l->accept_timer);
    ss_tcp_conn *c;
    while ((c = accept_dequeue(l)) != NULL) {
        if (c->state != SS_TCP_CLOSED)
            ss_tcp_abort(c);
        ss_tcp_conn_release(c);
    }
    /* The listener stays allocated (the application may hold it) but no
     * longer matches arriving segments. */
    l->closed = true;
    l->stack->listener_changes++;
    return 0;
}

/* ---- options inherited by accepted connections ----------------------------------------------- */

int ss_tcp_listener_set_keepalive(ss_tcp_listener *l, bool on, ss_time idle, ss_time interval, int count)
{
    return l ? tcp_sockopts_keepalive(&l->opt, on, idle, interval, count) : SS_EINVAL;
}

int ss_tcp_listener_set_user_timeout(ss_tcp_listener *l, ss_time timeout)
{
    return l ? tcp_sockopts_user_timeout(&l->opt, timeout) : SS_EINVAL;
}
