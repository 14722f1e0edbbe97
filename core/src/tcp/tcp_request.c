/* Passive open up to the accept queue, as Linux 6.x does it: the SYN queue
 * of small request records (connections in SYN-RECEIVED), their SYN-ACK
 * timer, SYN cookies when the queue is full, the segments a request
 * accepts, and the full connection born when the handshake completes
 * (net/ipv4/tcp_input.c tcp_conn_request(), inet_connection_sock.c
 * reqsk_timer_handler(), tcp_minisocks.c tcp_check_req(), syncookies.c). */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

/* TCP_SYNCOOKIE_VALID: ACKs are checked as cookies only this long after
 * the listener last sent one. */
#define SYNCOOKIE_VALID (2 * 60 * SS_SEC)

static void request_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx);

/* ---- the SYN queue ------------------------------------------------------------------ */

static void request_drop(struct tcp_request *req, ss_tcp_state to)
{
    ss_tcp_listener *l = req->listener;
    struct tcp_stack *stack = l->stack;
    tcp_trace_transition(stack, req->id, &req->h.t, SS_TCP_SYN_RECEIVED, to);
    tcp_table_remove(&stack->requests, &req->h);
    l->syn_queue_len--;
    if (req->num_timeout == 0)
        l->young--;
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

/* The SYN-ACK for a request or a cookie: our options, limited to what the
 * peer offered. */
static void send_synack(struct tcp_stack *stack, const struct tcp_tuple *t, uint32_t iss, uint32_t irs,
                        const struct tcp_syn_options *peer, bool cookie, uint32_t conn_id)
{
    struct tcp_syn_options offer;
    tcp_local_syn_options(stack, t->raddr, &offer);
    offer.wscale_ok = offer.wscale_ok && peer->wscale_ok;
    offer.sack_ok = offer.sack_ok && peer->sack_ok;
    offer.ts_ok = offer.ts_ok && peer->ts_ok;
    /* As tcp_make_synack(): a cookie's option bits go into the clock
     * before the connection's offset is added, so they survive its
     * removal from the echo. */
    uint32_t ts_now = tcp_now_ms(stack);
    offer.tsval = (cookie ? tcp_cookie_tsval(ts_now, peer) : ts_now) + tcp_ts_offset(stack, t);
    struct tcp_segment seg = {
        .seq = iss,
        .ack = irs + 1,
        .flags = SS_TCP_SYN | SS_TCP_ACK,
        .window = stack->settings.tcp_rmem > TCP_SYN_WINDOW ? TCP_SYN_WINDOW : (uint32_t)stack->settings.tcp_rmem,
        .syn_options = true,
        .offer = &offer,
        .tsval = offer.tsval,
        .tsecr = peer->tsval,
    };
    tcp_emit(stack, t, &seg, conn_id);
}

static void request_synack(struct tcp_request *req)
{
    send_synack(req->listener->stack, &req->h.t, req->iss, req->irs, &req->peer, false, req->id);
}

static void request_arm(struct tcp_request *req)
{
    /* reqsk_timeout(): TCP_TIMEOUT_INIT doubled per timeout, capped at
     * TCP_RTO_MAX, whatever tcp_synack_retries (up to 255) allows. */
    ss_time timeout = tcp_backoff(TCP_TIMEOUT_INIT, req->num_timeout, TCP_RTO_MAX);
    ss_sim *sim = req->listener->stack->sim;
    if (ss_timer_arm(sim, &req->timer, time_after(sim->now, timeout)) == SS_ENOMEM)
        ss_sim_fail(sim, SS_ENOMEM);
}

static bool syn_queue_full(const ss_tcp_listener *l)
{
    return l->syn_queue_len > (uint32_t)l->backlog; /* inet_csk_reqsk_queue_is_full() */
}

static void request_new(ss_tcp_listener *l, const ss_packet *p, const struct tcp_syn_options *peer)
{
    struct tcp_stack *stack = l->stack;
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
    req->peer = *peer;
    ss_timer_init(&req->timer, request_timer_fire, req);
    l->syn_queue_len++;
    l->young++;
    if (l->syn_queue_len > l->syn_queue_max)
        l->syn_queue_max = l->syn_queue_len;
    tcp_trace_transition(stack, req->id, &req->h.t, SS_TCP_LISTEN, SS_TCP_SYN_RECEIVED);
    request_synack(req);
    request_arm(req);
}

/* A SYN for the listener (tcp_conn_request()). */
static void syn_arrived(ss_tcp_listener *l, const ss_packet *p, bool from_time_wait)
{
    struct tcp_stack *stack = l->stack;
    struct tcp_counters *n = &stack->counters;
    int64_t cookies = stack->settings.tcp_syncookies;
    bool want_cookie = false;
    l->syn_received++;
    /* A SYN that ends a TIME-WAIT is taken without these limits. */
    if (!from_time_wait && (cookies == 2 || syn_queue_full(l))) {
        /* tcp_syn_flood_action() */
        if (!cookies) {
            n->TCPReqQFullDrop++;
            n->ListenDrops++;
            return;
        }
        want_cookie = true;
        n->TCPReqQFullDoCookies++;
    }
    if (tcp_accept_queue_full(l)) {
        n->ListenOverflows++;
        n->ListenDrops++;
        return;
    }
    struct tcp_syn_options peer;
    tcp_parse_syn_options(p, &peer);
    if (!want_cookie) {
        /* Without cookies the last quarter of tcp_max_syn_backlog is kept
         * for peers that completed a handshake before. */
        int64_t max = stack->settings.tcp_max_syn_backlog;
        if (!cookies && !from_time_wait && max - (int64_t)l->syn_queue_len < (max >> 2) &&
            !tcp_peer_is_proven(stack, p->src)) {
            n->ListenDrops++;
            return;
        }
        request_new(l, p, &peer);
        return;
    }
    /* A cookie: the SYN-ACK carries everything; nothing is kept. */
    struct tcp_tuple t = {p->dst, p->src, p->tcp.dport, p->tcp.sport};
    uint16_t mss = peer.mss;
    uint32_t iss = tcp_cookie_make(stack, &t, p->tcp.seq, &mss);
    l->last_overflow = stack->sim->now; /* tcp_synq_overflow() */
    l->cookies_sent++;
    n->SyncookiesSent++;
    send_synack(stack, &t, iss, p->tcp.seq, &peer, true, 0);
}

/* ---- completing a handshake ------------------------------------------------------------ */

/* The full connection, born ESTABLISHED from a request or a cookie, and
 * queued for accept.  Returns NULL if memory ran out. */
static ss_tcp_conn *child_new(ss_tcp_listener *l, const struct tcp_tuple *t, uint32_t id, uint32_t iss, uint32_t irs,
                              const struct tcp_syn_options *peer, const ss_packet *ack)
{
    struct tcp_stack *stack = l->stack;
    ss_tcp_conn *c;
    if (tcp_conn_alloc(stack, &c) < 0) {
        ss_sim_fail(stack->sim, SS_ENOMEM);
        return NULL;
    }
    tcp_conn_init(c, stack, t);
    if (tcp_table_insert(&stack->conns, &c->h) < 0) {
        ss_sim_fail(stack->sim, SS_ENOMEM);
        tcp_conn_recycle(stack, c);
        return NULL;
    }
    c->in_table = true;
    c->id = id;
    c->passive = true;
    c->state = SS_TCP_SYN_RECEIVED; /* the request's state, carried over */
    c->iss = iss;
    c->snd_una = c->snd_nxt = c->snd_max = iss + 1;
    c->irs = irs;
    c->rcv_nxt = irs + 1;
    struct tcp_syn_options local;
    tcp_local_syn_options(stack, t->raddr, &local);
    local.wscale_ok = local.wscale_ok && peer->wscale_ok;
    local.sack_ok = local.sack_ok && peer->sack_ok;
    local.ts_ok = local.ts_ok && peer->ts_ok;
    tcp_negotiate(c, &local, peer);
    /* RFC 7323 4.3, Linux tcp_replace_ts_recent(): the handshake's ACK is
     * the newest segment in sequence, so its TSval is what the next
     * segment echoes (not the SYN's). */
    if (c->ts_ok && ack->tcp.has_ts)
        c->ts_recent = ack->tcp.tsval;
    c->snd_wnd = c->max_snd_wnd = (uint32_t)ack->tcp.window << c->snd_wscale;
    c->snd_wl1 = ack->tcp.seq;
    c->snd_wl2 = ack->tcp.ack;
    c->opt = l->opt;
    stack->counters.PassiveOpens++; /* tcp_create_openreq_child() */
    tcp_record_new(c);
    tcp_established(c);
    return c;
}

/* The ACK brought by the handshake's end may carry data or a FIN. */
static void child_first_segment(ss_tcp_listener *l, ss_tcp_conn *c, ss_packet *ack)
{
    ss_tcp_conn_hold(c);
    if (ack->payload || (ack->tcp.flags & SS_TCP_FIN))
        tcp_conn_input(c, ack);
    tcp_accept_enqueue(l, c);
    ss_tcp_conn_release(c);
}

/* Accept queue full at the handshake's end (tcp_check_req() listen_overflow):
 * with tcp_abort_on_overflow=0 the ACK is dropped and the request kept,
 * so the SYN-ACK is resent and the client's answer may find room later. */
static bool overflow_on_ack(ss_tcp_listener *l)
{
    if (!tcp_accept_queue_full(l))
        return false;
    l->stack->counters.ListenOverflows++;
    l->stack->counters.ListenDrops++;
    return true;
}

static void request_complete(struct tcp_request *req, ss_packet *p)
{
    ss_tcp_listener *l = req->listener;
    struct tcp_stack *stack = l->stack;
    if (overflow_on_ack(l)) {
        if (stack->settings.tcp_abort_on_overflow) {
            tcp_send_reset_for(stack, p, req->id);
            stack->counters.EmbryonicRsts++;
            request_drop(req, SS_TCP_CLOSED);
        } else {
            req->acked = true;
        }
        return;
    }
    struct tcp_tuple t = req->h.t;
    struct tcp_syn_options peer = req->peer;
    uint32_t id = req->id, iss = req->iss, irs = req->irs, resent = req->num_retrans;
    ss_time opened = req->t_open;
    tcp_table_remove(&stack->requests, &req->h);
    l->syn_queue_len--;
    if (req->num_timeout == 0)
        l->young--;
    tcp_request_free(stack, req);
    ss_tcp_conn *c = child_new(l, &t, id, iss, irs, &peer, p);
    if (!c)
        return;
    c->t_open = opened;
    c->syn_retransmits = resent;
    tcp_record_sync(c);
    /* As Linux tcp_synack_rtt_meas(): the SYN-ACK's round trip is the first
     * RTT sample, unless it was resent. */
    if (resent == 0)
        tcp_rtt_sample(c, stack->sim->now - opened);
    child_first_segment(l, c, p);
}

/* An ACK for no request while the listener recently sent cookies
 * (cookie_v4_check()).  Returns true when it made a connection or was
 * dropped for lack of room; false sends it on to LISTEN processing. */
static bool cookie_ack(ss_tcp_listener *l, ss_packet *p)
{
    struct tcp_stack *stack = l->stack;
    struct tcp_counters *n = &stack->counters;
    if (!stack->settings.tcp_syncookies || l->last_overflow < 0 ||
        stack->sim->now - l->last_overflow >= SYNCOOKIE_VALID)
        return false;
    struct tcp_tuple t = {p->dst, p->src, p->tcp.dport, p->tcp.sport};
    uint16_t mss = tcp_cookie_check(stack, &t, p->tcp.ack - 1, p->tcp.seq - 1);
    if (!mss) {
        n->SyncookiesFailed++;
        return false;
    }
    n->SyncookiesRecv++;
    struct tcp_syn_options peer = {.mss = mss};
    if (p->tcp.has_ts && p->tcp.tsecr) {
        uint32_t tsecr = p->tcp.tsecr - tcp_ts_offset(stack, &t);
        if (!tcp_cookie_options(stack, tsecr, &peer))
            return false;
        peer.tsval = p->tcp.tsval;
    }
    if (overflow_on_ack(l))
        return true;
    ss_tcp_conn *c = child_new(l, &t, tcp_new_id(stack), p->tcp.ack - 1, p->tcp.seq - 1, &peer, p);
    if (!c)
        return true;
    c->cookie = true;
    c->t_open = stack->sim->now;
    tcp_record_sync(c);
    child_first_segment(l, c, p);
    return true;
}

/* RFC 9293 3.10.7.2, LISTEN. */
void tcp_listener_input(ss_tcp_listener *l, ss_packet *p, bool from_time_wait)
{
    uint8_t f = p->tcp.flags;
    if (f & SS_TCP_RST)
        return; /* first: an incoming RST is ignored */
    if (f & SS_TCP_ACK) {
        /* second: an ACK is bad here, unless it returns a SYN cookie */
        if (!(f & SS_TCP_SYN) && cookie_ack(l, p))
            return;
        tcp_send_reset_for(l->stack, p, 0);
        return;
    }
    if (f & SS_TCP_SYN)
        syn_arrived(l, p, from_time_wait); /* third */
}

/* ---- the request timer ------------------------------------------------------------------- */

/* Linux reqsk_timer_handler(): resend the SYN-ACK with doubling timeouts;
 * after tcp_synack_retries the request is dropped.  When the queue is
 * more than half full, requests that already timed out get fewer retries,
 * so that old half-open requests (a flood) make room for young ones. */
static void request_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx)
{
    (void)sim, (void)timer;
    struct tcp_request *req = ctx;
    ss_tcp_listener *l = req->listener;
    struct tcp_stack *stack = l->stack;
    tcp_trace_event(stack, req->id, &req->h.t, SS_TRACE_TIMER, SS_TIMER_SYNACK);
    stack->counters.TCPTimeouts++; /* tcp_syn_ack_timeout(), every expiry */
    int64_t max_retries = stack->settings.tcp_synack_retries;
    uint32_t qlen = l->syn_queue_len;
    uint32_t half = (uint32_t)l->backlog > 8 ? (uint32_t)l->backlog : 8;
    if (((uint64_t)qlen << 1) > half) {
        uint64_t young = (uint64_t)l->young << 1;
        while (max_retries > 2) {
            if (qlen < young)
                break;
            max_retries--;
            young <<= 1;
        }
    }
    if (req->num_timeout >= max_retries) {
        request_drop(req, SS_TCP_CLOSED);
        return;
    }
    if (req->num_timeout++ == 0)
        l->young--;
    req->num_retrans++;
    stack->counters.RetransSegs++;
    stack->counters.TCPSynRetrans++;
    request_synack(req);
    request_arm(req);
}

/* ---- segments for a request (tcp_check_req()) -------------------------------------------- */

static bool request_rate_limited(struct tcp_request *req)
{
    struct tcp_stack *stack = req->listener->stack;
    ss_time now = stack->sim->now;
    if (req->last_oow_ack >= 0 && now - req->last_oow_ack < stack->settings.tcp_invalid_ratelimit * SS_MSEC)
        return true;
    req->last_oow_ack = now;
    return false;
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
            request_synack(req);
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
