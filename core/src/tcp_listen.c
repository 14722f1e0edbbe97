/* Passive open: listeners, and the request records that stand for
 * connections in SYN-RECEIVED until the handshake completes (Linux's
 * request socks, net/ipv4/tcp_minisocks.c tcp_check_req(), as of 6.x). */
#include "alloc.h"
#include "synsim/error.h"
#include "tcp_internal.h"

static void request_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx);

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
    /* inet_listen(): the backlog is capped by somaxconn. */
    l->backlog = backlog < stack->settings.somaxconn ? backlog : (int)stack->settings.somaxconn;
    if (cb)
        l->cb = *cb;
    l->ctx = ctx;
    l->next = stack->listeners;
    stack->listeners = l;
    *out = l;
    return 0;
}

int ss_tcp_listener_set_keepalive(ss_tcp_listener *l, bool on, ss_time idle, ss_time interval, int count)
{
    if (!l || idle < 0 || interval < 0 || count < 0 || count > 127)
        return SS_EINVAL;
    l->keepalive = on;
    l->ka_idle = idle;
    l->ka_interval = interval;
    l->ka_count = count;
    return 0;
}

int ss_tcp_listener_set_user_timeout(ss_tcp_listener *l, ss_time timeout)
{
    if (!l || timeout < 0)
        return SS_EINVAL;
    l->user_timeout = timeout;
    return 0;
}

static void request_drop(struct tcp_request *req, ss_tcp_state to)
{
    struct tcp_stack *stack = req->listener->stack;
    tcp_trace_transition(stack, req->id, &req->h.t, SS_TCP_SYN_RECEIVED, to);
    tcp_table_remove(&stack->requests, &req->h);
    req->listener->syn_queue_len--;
    tcp_request_free(stack, req);
}

void tcp_listener_drop_requests(ss_tcp_listener *l)
{
    struct hash_table *table = &l->stack->requests;
    for (size_t i = 0; i < table->size; i++) {
        for (struct tcp_hnode *h = table->buckets[i], *next; h; h = next) {
            next = h->next;
            if (request_of(h)->listener == l)
                request_drop(request_of(h), SS_TCP_CLOSED);
        }
    }
}

int ss_tcp_listener_close(ss_tcp_listener *l)
{
    if (!l || l->closed)
        return SS_EINVAL;
    tcp_listener_drop_requests(l);
    /* The listener stays allocated (the application may hold it) but no
     * longer matches arriving segments. */
    l->closed = true;
    return 0;
}

/* SYN-ACK for a request: our options, limited to what the peer offered. */
static void send_synack(struct tcp_request *req)
{
    struct tcp_stack *stack = req->listener->stack;
    struct tcp_syn_options offer;
    tcp_local_syn_options(stack, req->h.t.raddr, &offer);
    offer.wscale_ok = offer.wscale_ok && req->peer.wscale_ok;
    offer.sack_ok = offer.sack_ok && req->peer.sack_ok;
    offer.ts_ok = offer.ts_ok && req->peer.ts_ok;
    offer.tsval = tcp_now_ms(stack) + tcp_ts_offset(stack, &req->h.t);
    struct tcp_segment seg = {
        .seq = req->iss,
        .ack = req->irs + 1,
        .flags = SS_TCP_SYN | SS_TCP_ACK,
        .window = stack->settings.tcp_rmem > TCP_SYN_WINDOW ? TCP_SYN_WINDOW : (uint32_t)stack->settings.tcp_rmem,
        .syn_options = true,
        .offer = &offer,
        .tsval = offer.tsval,
        .tsecr = req->peer.tsval,
    };
    tcp_emit(stack, &req->h.t, &seg, req->id);
}

static void request_arm(struct tcp_request *req)
{
    /* reqsk_timeout(): TCP_TIMEOUT_INIT doubled per timeout, capped. */
    ss_time timeout = TCP_TIMEOUT_INIT << req->num_timeout;
    if (timeout > TCP_RTO_MAX)
        timeout = TCP_RTO_MAX;
    if (ss_timer_arm_in(req->listener->stack->sim, &req->timer, timeout) < 0)
        ss_sim_fail(req->listener->stack->sim, SS_ENOMEM);
}

/* RFC 9293 3.10.7.2, LISTEN. */
void tcp_listener_input(ss_tcp_listener *l, ss_packet *p)
{
    struct tcp_stack *stack = l->stack;
    uint8_t f = p->tcp.flags;
    if (f & SS_TCP_RST)
        return; /* first: an incoming RST is ignored */
    if (f & SS_TCP_ACK) {
        tcp_send_reset_for(stack, p, 0); /* second: any ACK is bad here */
        return;
    }
    if (!(f & SS_TCP_SYN))
        return;
    /* third: a SYN makes a request in SYN-RECEIVED and gets a SYN,ACK. */
    struct tcp_request *req;
    if (tcp_request_alloc(stack, &req) < 0) {
        ss_sim_fail(stack->sim, SS_ENOMEM);
        return;
    }
    req->h.t = (struct tcp_tuple){p->dst, p->src, p->tcp.dport, p->tcp.sport};
    if (tcp_table_insert(&stack->requests, &req->h) < 0) {
        ss_sim_fail(stack->sim, SS_ENOMEM);
        tcp_request_free(stack, req);
        return;
    }
    req->listener = l;
    req->id = tcp_new_id(stack);
    req->irs = p->tcp.seq;
    req->iss = tcp_isn(stack, &req->h.t);
    req->t_open = stack->sim->now;
    req->last_oow_ack = -1;
    tcp_parse_syn_options(p, &req->peer);
    ss_timer_init(&req->timer, request_timer_fire, req);
    l->syn_queue_len++;
    tcp_trace_transition(stack, req->id, &req->h.t, SS_TCP_LISTEN, SS_TCP_SYN_RECEIVED);
    send_synack(req);
    request_arm(req);
}

/* Linux reqsk_timer_handler(): resend the SYN-ACK with doubling timeouts;
 * after tcp_synack_retries the request is dropped. */
static void request_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx)
{
    (void)sim, (void)timer;
    struct tcp_request *req = ctx;
    struct tcp_stack *stack = req->listener->stack;
    if (req->num_timeout >= stack->settings.tcp_synack_retries) {
        request_drop(req, SS_TCP_CLOSED);
        return;
    }
    req->num_timeout++;
    req->num_retrans++;
    stack->counters.RetransSegs++;
    stack->counters.TCPSynRetrans++;
    send_synack(req);
    request_arm(req);
}

static bool request_rate_limited(struct tcp_request *req)
{
    struct tcp_stack *stack = req->listener->stack;
    ss_time now = stack->sim->now;
    if (req->last_oow_ack >= 0 && now - req->last_oow_ack < stack->settings.tcp_invalid_ratelimit * SS_MSEC)
        return true;
    req->last_oow_ack = now;
    return false;
}

/* The handshake's last ACK: the full connection is born, ESTABLISHED. */
static void request_complete(struct tcp_request *req, ss_packet *p)
{
    ss_tcp_listener *l = req->listener;
    struct tcp_stack *stack = l->stack;
    ss_tcp_conn *c;
    if (tcp_conn_alloc(stack, &c) < 0) {
        ss_sim_fail(stack->sim, SS_ENOMEM);
        return;
    }
    tcp_conn_init(c, stack, &req->h.t);
    c->id = req->id;
    c->passive = true;
    c->state = SS_TCP_SYN_RECEIVED; /* the request's state, carried over */
    c->iss = req->iss;
    c->snd_una = c->snd_nxt = c->snd_max = req->iss + 1;
    c->irs = req->irs;
    c->rcv_nxt = req->irs + 1;
    c->t_open = req->t_open;
    c->syn_retransmits = req->num_retrans;
    struct tcp_syn_options local;
    tcp_local_syn_options(stack, req->h.t.raddr, &local);
    tcp_negotiate(c, &local, &req->peer);
    c->snd_wnd = c->max_snd_wnd = (uint32_t)p->tcp.window << c->snd_wscale;
    c->snd_wl1 = p->tcp.seq;
    c->snd_wl2 = p->tcp.ack;
    /* As Linux tcp_synack_rtt_meas(): the SYN-ACK's round trip is the first
     * RTT sample, unless it was resent. */
    if (req->num_retrans == 0)
        tcp_rtt_sample(c, stack->sim->now - req->t_open);
    c->cb = l->cb;
    c->ctx = l->ctx;
    c->keepalive = l->keepalive;
    c->ka_idle = l->ka_idle;
    c->ka_interval = l->ka_interval;
    c->ka_count = l->ka_count;
    c->user_timeout = l->user_timeout;
    tcp_table_remove(&stack->requests, &req->h);
    l->syn_queue_len--;
    tcp_request_free(stack, req);
    if (tcp_table_insert(&stack->conns, &c->h) < 0) {
        ss_sim_fail(stack->sim, SS_ENOMEM);
        tcp_conn_recycle(stack, c);
        return;
    }
    c->in_table = true;
    stack->counters.PassiveOpens++;
    tcp_established(c);
    /* The ACK may carry data or a FIN: process it as an established
     * connection would. */
    if (c->state == SS_TCP_ESTABLISHED && (p->payload || (p->tcp.flags & SS_TCP_FIN)))
        tcp_conn_input(c, p);
}

/* As Linux tcp_in_window(): the segment [seq, end) starts at the window's
 * left edge, overlaps the window, or is empty at its right edge. */
static bool in_window(uint32_t seq, uint32_t end, uint32_t left, uint32_t right)
{
    if (seq == left)
        return true;
    if (seq_gt(end, left) && seq_lt(seq, right))
        return true;
    return seq == right && seq == end;
}

/* A segment for a request (Linux tcp_check_req(), in its order). */
void tcp_request_input(struct tcp_request *req, ss_packet *p)
{
    struct tcp_stack *stack = req->listener->stack;
    uint8_t f = p->tcp.flags;
    uint32_t seq = p->tcp.seq;
    /* The peer resent its SYN: our SYN-ACK was lost; resend it now and
     * restart the timer (rate limited). */
    if (seq == req->irs && f == SS_TCP_SYN) {
        if (!request_rate_limited(req)) {
            req->num_retrans++;
            stack->counters.RetransSegs++;
            stack->counters.TCPSynRetrans++;
            send_synack(req);
            request_arm(req);
        } else {
            stack->counters.TCPACKSkippedSynRecv++;
        }
        return;
    }
    /* An ACK of anything but our SYN: the listener answers with a RST. */
    if ((f & SS_TCP_ACK) && p->tcp.ack != req->iss + 1) {
        if (!(f & SS_TCP_RST))
            tcp_send_reset_for(stack, p, req->id);
        return;
    }
    /* Sequence check against the window we offered. */
    uint32_t rcv_nxt = req->irs + 1;
    uint32_t wnd = stack->settings.tcp_rmem > TCP_SYN_WINDOW ? TCP_SYN_WINDOW : (uint32_t)stack->settings.tcp_rmem;
    uint32_t end = seq + p->payload + !!(f & SS_TCP_SYN) + !!(f & SS_TCP_FIN);
    if (!in_window(seq, end, rcv_nxt, rcv_nxt + wnd)) {
        if (!(f & SS_TCP_RST) && !request_rate_limited(req)) {
            struct tcp_segment seg = {.seq = req->iss + 1, .ack = rcv_nxt, .flags = SS_TCP_ACK, .window = wnd};
            tcp_emit(stack, &req->h.t, &seg, req->id);
        }
        return;
    }
    /* RST or SYN in the window: the attempt is over (RFC 9293: a passive
     * open returns to LISTEN). */
    if (f & (SS_TCP_RST | SS_TCP_SYN)) {
        stack->counters.AttemptFails++;
        if (!(f & SS_TCP_RST))
            tcp_send_reset_for(stack, p, req->id);
        stack->counters.EmbryonicRsts++;
        request_drop(req, SS_TCP_LISTEN);
        return;
    }
    if (!(f & SS_TCP_ACK))
        return;
    request_complete(req, p);
}
