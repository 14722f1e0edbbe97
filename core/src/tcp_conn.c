/* Connections: the application's calls, state changes, sending, and the
 * connection's timers. */
#include <string.h>

#include "alloc.h"
#include "synsim/error.h"
#include "tcp_internal.h"
#include "trace_internal.h"

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

/* ---- state ------------------------------------------------------------------------- */

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

/* ---- the connection table -------------------------------------------------------------- */

_Static_assert(sizeof(ss_tcp_record) == 104, "record layout is shared with Python");

void tcp_record_new(ss_tcp_conn *c)
{
    struct tcp_part *part = c->stack->part;
    if (part->not_recording)
        return;
    if (ss_reserve(&part->records, &part->record_cap, part->record_count + 1, sizeof *part->records, 256) < 0) {
        ss_sim_fail(c->stack->sim, SS_ENOMEM);
        return;
    }
    c->record = (uint32_t)++part->record_count;
    tcp_record_sync(c);
}

void tcp_record_sync(const ss_tcp_conn *c)
{
    if (!c->record)
        return;
    ss_tcp_record *r = &c->stack->part->records[c->record - 1];
    *r = (ss_tcp_record){
        .t_open = c->t_open,
        .t_established = c->t_established,
        .t_accepted = c->t_accepted,
        .t_closed = c->t_closed,
        .bytes_sent = c->app_queued,
        .bytes_acked = c->bytes_acked,
        .bytes_received = c->bytes_received,
        .id = c->id,
        .node = c->stack->node->id,
        .local_addr = c->h.t.laddr,
        .remote_addr = c->h.t.raddr,
        .iss = c->iss,
        .irs = c->irs,
        .syn_retransmits = c->syn_retransmits,
        .retransmits = c->data_retransmits,
        .local_port = c->h.t.lport,
        .remote_port = c->h.t.rport,
        .mss = c->mss,
        .error = (uint16_t)c->error,
        .state = (uint8_t)c->state,
        .passive = c->passive,
        .cookie = c->cookie,
    };
}

int ss_tcp_set_recording(ss_sim *sim, bool on)
{
    if (!sim)
        return SS_EINVAL;
    struct tcp_part *part = tcp_part_get(sim);
    if (!part)
        return SS_ENOMEM;
    part->not_recording = !on;
    return 0;
}

size_t ss_tcp_record_count(ss_sim *sim)
{
    const struct tcp_part *part = sim ? sim->part[SS_PART_TCP] : NULL;
    return part ? part->record_count : 0;
}

size_t ss_tcp_records_copy(ss_sim *sim, size_t first, ss_tcp_record *out, size_t max)
{
    const struct tcp_part *part = sim ? sim->part[SS_PART_TCP] : NULL;
    if (!part || !out || first >= part->record_count)
        return 0;
    size_t n = part->record_count - first < max ? part->record_count - first : max;
    memcpy(out, part->records + first, n * sizeof *out);
    return n;
}

void tcp_conn_init(ss_tcp_conn *c, struct tcp_stack *stack, const struct tcp_tuple *t)
{
    memset(c, 0, sizeof *c);
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
    if (ss_timer_arm_in(c->stack->sim, timer, delay) < 0)
        ss_sim_fail(c->stack->sim, SS_ENOMEM);
}

static void cancel_timers(ss_tcp_conn *c)
{
    ss_sim *sim = c->stack->sim;
    ss_timer_cancel(sim, &c->rtx_timer);
    ss_timer_cancel(sim, &c->delack_timer);
    ss_timer_cancel(sim, &c->state_timer);
}

static void maybe_recycle(ss_tcp_conn *c)
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
    maybe_recycle(c);
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
    if (c)
        c->refs++;
}

void ss_tcp_conn_release(ss_tcp_conn *c)
{
    if (!c || c->refs == 0)
        return;
    c->refs--;
    maybe_recycle(c);
}

/* ---- negotiation and sequence space --------------------------------------------------- */

void tcp_negotiate(ss_tcp_conn *c, const struct tcp_syn_options *local, const struct tcp_syn_options *peer)
{
    c->offered = *local;
    /* RFC 7323 2.2: window scaling only when both SYNs carry the option. */
    c->ws_ok = local->wscale_ok && peer->wscale_ok;
    c->snd_wscale = c->ws_ok ? peer->wscale : 0;
    c->rcv_wscale = c->ws_ok ? local->wscale : 0;
    /* RFC 2018 2, RFC 7323 3.2: SACK and timestamps likewise. */
    c->sack_ok = local->sack_ok && peer->sack_ok;
    c->ts_ok = local->ts_ok && peer->ts_ok;
    c->ts_recent = peer->tsval;
    c->peer_mss = peer->mss;
    /* RFC 9293 3.7.1: send no more than the peer's MSS, nor our route's;
     * options every segment carries come out of it. */
    uint16_t mss = peer->mss < local->mss ? peer->mss : local->mss;
    c->mss = tcp_effective_mss(mss, c->ts_ok);
    uint32_t cap = c->ws_ok ? 65535u << c->rcv_wscale : 65535u;
    if (c->rcv_wnd > cap)
        c->rcv_wnd = cap;
}

uint32_t tcp_fin_seq(const ss_tcp_conn *c)
{
    return c->iss + 1 + (uint32_t)c->app_queued;
}

bool tcp_fin_acked(const ss_tcp_conn *c)
{
    return c->fin_queued && seq_gt(c->snd_una, tcp_fin_seq(c));
}

uint32_t tcp_rcv_window(const ss_tcp_conn *c)
{
    /* The application reads at once, so the whole buffer is always free. */
    return c->rcv_wnd;
}

/* ---- sending ------------------------------------------------------------------------------ */

static void fill_ack(ss_tcp_conn *c, struct tcp_segment *seg)
{
    seg->flags |= SS_TCP_ACK;
    seg->ack = c->rcv_nxt;
    seg->window = tcp_rcv_window(c);
    seg->wscale = c->rcv_wscale;
    seg->ts = c->ts_ok;
    seg->tsval = tcp_now_ms(c->stack) + c->ts_offset;
    seg->tsecr = c->ts_recent;
    /* Whatever carries an ACK answers the data waiting for one. */
    ss_timer_cancel(c->stack->sim, &c->delack_timer);
    c->segs_unacked = 0;
}

void tcp_send_syn(ss_tcp_conn *c, bool with_ack)
{
    struct tcp_syn_options offer = c->offered;
    offer.tsval = tcp_now_ms(c->stack) + c->ts_offset;
    struct tcp_segment seg = {
        .seq = c->iss,
        .flags = SS_TCP_SYN,
        .window = c->rcv_wnd > TCP_SYN_WINDOW ? TCP_SYN_WINDOW : c->rcv_wnd,
        .syn_options = true,
        .offer = &offer,
        .tsval = offer.tsval,
    };
    if (with_ack) {
        seg.flags |= SS_TCP_ACK;
        seg.ack = c->rcv_nxt;
        seg.tsecr = c->ts_recent;
    }
    tcp_emit(c->stack, &c->h.t, &seg, c->id);
}

void tcp_send_ack(ss_tcp_conn *c)
{
    struct tcp_segment seg = {.seq = c->snd_nxt};
    fill_ack(c, &seg);
    tcp_emit(c->stack, &c->h.t, &seg, c->id);
}

void tcp_send_reset(ss_tcp_conn *c)
{
    /* RFC 9293 3.10.5: <SEQ=SND.NXT><CTL=RST>. */
    struct tcp_segment seg = {.seq = c->snd_nxt, .flags = SS_TCP_RST};
    tcp_emit(c->stack, &c->h.t, &seg, c->id);
}

bool tcp_oow_rate_limited(ss_tcp_conn *c, const ss_packet *p)
{
    /* As Linux tcp_oow_rate_limited(): data without SYN cannot be part of
     * an ACK loop and is always answered; otherwise one answer per
     * tcp_invalid_ratelimit. */
    if (p && p->payload && !(p->tcp.flags & SS_TCP_SYN))
        return false;
    ss_time now = c->stack->sim->now;
    ss_time limit = c->stack->settings.tcp_invalid_ratelimit * SS_MSEC;
    if (c->last_oow_ack >= 0 && now - c->last_oow_ack < limit)
        return true;
    c->last_oow_ack = now;
    return false;
}

void tcp_send_challenge_ack(ss_tcp_conn *c, bool syn)
{
    /* RFC 5961 3.2, 4.2, 5.2: answer with an ACK of what we expect, so a
     * genuine peer resynchronises and a blind attacker learns nothing.  Rate
     * limited per connection as Linux tcp_send_challenge_ack(). */
    struct tcp_counters *n = &c->stack->counters;
    if (tcp_oow_rate_limited(c, NULL)) {
        n->TCPACKSkippedChallenge++;
        return;
    }
    n->TCPChallengeACK++;
    if (syn)
        n->TCPSYNChallenge++;
    tcp_send_ack(c);
}

static bool can_send_data(const ss_tcp_conn *c)
{
    switch (c->state) {
    case SS_TCP_ESTABLISHED:
    case SS_TCP_CLOSE_WAIT:
    case SS_TCP_FIN_WAIT_1:
    case SS_TCP_CLOSING:
    case SS_TCP_LAST_ACK:
        return true;
    default:
        return false;
    }
}

/* Send what the window allows: new data, or again from SND.NXT after a
 * timeout moved it back.  Segments carry at most MSS bytes; the FIN rides
 * on the last data segment when it fits. */
void tcp_send_data(ss_tcp_conn *c)
{
    if (!can_send_data(c))
        return;
    uint32_t data_end = tcp_fin_seq(c);
    uint32_t wnd = c->snd_wnd;
    uint64_t cwnd_bytes = (uint64_t)c->cwnd * c->mss;
    if (cwnd_bytes < wnd)
        wnd = (uint32_t)cwnd_bytes;
    uint32_t wnd_end = c->snd_una + wnd;
    for (;;) {
        uint32_t room = seq_gt(wnd_end, c->snd_nxt) ? wnd_end - c->snd_nxt : 0;
        uint32_t left = seq_lt(c->snd_nxt, data_end) ? data_end - c->snd_nxt : 0;
        uint32_t len = left < c->mss ? left : c->mss;
        if (len > room)
            len = room;
        /* The FIN goes once all data is out; as Linux tcp_cwnd_test(), the
         * congestion window does not hold it back, the peer's window does. */
        bool fin = c->fin_queued && c->snd_nxt + len == data_end &&
                   seq_lt(c->snd_nxt + len, c->snd_una + c->snd_wnd);
        if (len == 0 && !fin)
            break;
        struct tcp_segment seg = {.seq = c->snd_nxt, .payload = len};
        fill_ack(c, &seg);
        if (len && c->snd_nxt + len == data_end)
            seg.flags |= SS_TCP_PSH;
        if (fin)
            seg.flags |= SS_TCP_FIN;
        bool resend = seq_lt(c->snd_nxt, c->snd_max);
        if (resend) {
            c->stack->counters.RetransSegs++;
            c->data_retransmits++;
        } else if (!c->rtt_timing) {
            /* RFC 6298 3, Karn: time one segment that is sent only once. */
            c->rtt_timing = true;
            c->rtt_seq = c->snd_nxt + len + fin;
            c->rtt_start = c->stack->sim->now;
        }
        tcp_emit(c->stack, &c->h.t, &seg, c->id);
        c->snd_nxt += len + fin;
        if (seq_gt(c->snd_nxt, c->snd_max))
            c->snd_max = c->snd_nxt;
        if (!ss_timer_armed(&c->rtx_timer))
            tcp_arm(c, &c->rtx_timer, c->rto);
        if (fin)
            break;
    }
}

/* ---- RTT and RTO (RFC 6298 2, with Linux's bounds) ------------------------------------------ */

void tcp_rtt_sample(ss_tcp_conn *c, ss_time rtt)
{
    if (rtt < 1)
        rtt = 1;
    if (c->srtt == 0) {
        c->srtt = rtt;
        c->rttvar = rtt / 2;
    } else {
        ss_time err = c->srtt > rtt ? c->srtt - rtt : rtt - c->srtt;
        c->rttvar = (3 * c->rttvar + err) / 4;
        c->srtt = (7 * c->srtt + rtt) / 8;
    }
    /* As Linux tcp_set_rto(): the variance term is never below tcp_rto_min
     * (200 ms), so RTO >= SRTT + 200 ms; and RTO <= TCP_RTO_MAX. */
    ss_time var = 4 * c->rttvar > TCP_RTO_MIN ? 4 * c->rttvar : TCP_RTO_MIN;
    c->rto = c->srtt + var > TCP_RTO_MAX ? TCP_RTO_MAX : c->srtt + var;
}

/* SND.UNA moves forward (RFC 9293 3.10.7.4, fifth, ESTABLISHED). */
void tcp_ack_advance(ss_tcp_conn *c, uint32_t ack)
{
    ss_sim *sim = c->stack->sim;
    /* Data bytes newly acknowledged: the SYN and the FIN take sequence
     * space but carry none. */
    uint32_t data_start = c->iss + 1, data_end = tcp_fin_seq(c);
    uint32_t lo = seq_gt(c->snd_una, data_start) ? c->snd_una : data_start;
    uint32_t hi = seq_lt(ack, data_end) ? ack : data_end;
    uint64_t data_acked = seq_gt(hi, lo) ? hi - lo : 0;
    c->snd_una = ack;
    if (seq_lt(c->snd_nxt, ack))
        c->snd_nxt = ack;
    if (c->rtt_timing && seq_ge(ack, c->rtt_seq)) {
        c->rtt_timing = false;
        tcp_rtt_sample(c, sim->now - c->rtt_start);
    }
    c->retransmits = 0;
    c->retrans_stamp = -1;
    if (c->cwnd < (1u << 20))
        c->cwnd++; /* slow start; congestion control is not modelled */
    /* RFC 6298 5.2, 5.3: stop the timer when all is acknowledged, else
     * restart it. */
    if (c->snd_una == c->snd_max)
        ss_timer_cancel(sim, &c->rtx_timer);
    else
        tcp_arm(c, &c->rtx_timer, c->rto);
    c->bytes_acked += data_acked;
    if (data_acked && c->cb.acked)
        c->cb.acked(c, data_acked, c->ctx);
}

void tcp_established(ss_tcp_conn *c)
{
    tcp_set_state(c, SS_TCP_ESTABLISHED);
    c->t_established = c->stack->sim->now;
    tcp_remember_peer(c->stack, c->h.t.raddr);
    /* RFC 6298 5.7: without an RTT sample from the handshake (the SYN was
     * resent), RTO starts at 3 s once established. */
    if (c->srtt == 0)
        c->rto = 3 * SS_SEC;
    c->retransmits = 0;
    c->last_rcv = c->stack->sim->now;
    tcp_keepalive_start(c);
    if (c->passive)
        return; /* the application hears of it when it accepts */
    if (c->cb.established)
        c->cb.established(c, c->ctx);
}

/* ---- timers ---------------------------------------------------------------------------------- */

/* tcp_model_timeout() of Linux: how long `boundary` retransmissions take
 * with exponential back-off from rto_base, capped at TCP_RTO_MAX. */
static ss_time model_timeout(int64_t boundary, ss_time rto_base)
{
    int64_t thresh = 0;
    while ((rto_base << (thresh + 1)) <= TCP_RTO_MAX)
        thresh++; /* ilog2(TCP_RTO_MAX / rto_base) */
    if (boundary <= thresh)
        return ((((ss_time)2) << boundary) - 1) * rto_base;
    return ((((ss_time)2) << thresh) - 1) * rto_base + (boundary - thresh) * TCP_RTO_MAX;
}

static void syn_timeout(ss_tcp_conn *c)
{
    struct tcp_stack *stack = c->stack;
    const struct tcp_settings *s = &stack->settings;
    /* Linux 6.x tcp_write_timeout(): SYN-SENT gives up after tcp_syn_retries
     * retransmissions plus the tcp_syn_linear_timeouts ones. */
    int64_t max = s->tcp_syn_retries + (c->state == SS_TCP_SYN_SENT ? s->tcp_syn_linear_timeouts : 0);
    if (c->retransmits >= max) {
        stack->counters.TCPAbortOnTimeout++;
        tcp_conn_finish(c, ETIMEDOUT);
        return;
    }
    c->retransmits++;
    c->syn_retransmits++;
    c->rtt_timing = false;
    stack->counters.RetransSegs++;
    stack->counters.TCPSynRetrans++;
    tcp_send_syn(c, c->state == SS_TCP_SYN_RECEIVED);
    /* tcp_retransmit_timer(): the first tcp_syn_linear_timeouts
     * retransmissions keep the initial RTO; after them it doubles. */
    if (c->state != SS_TCP_SYN_SENT || c->retransmits > s->tcp_syn_linear_timeouts)
        c->rto = c->rto * 2 > TCP_RTO_MAX ? TCP_RTO_MAX : c->rto * 2;
    tcp_arm(c, &c->rtx_timer, c->rto);
}

static void data_timeout(ss_tcp_conn *c)
{
    struct tcp_stack *stack = c->stack;
    ss_sim *sim = stack->sim;
    /* Linux retransmits_timed_out(): give up once tcp_retries2 back-offs
     * from TCP_RTO_MIN would have elapsed since the oldest unacknowledged
     * data was first sent, or TCP_USER_TIMEOUT when it is set. */
    ss_time limit = c->opt.user_timeout ? c->opt.user_timeout : model_timeout(stack->settings.tcp_retries2, TCP_RTO_MIN);
    if (c->retransmits > 0 && c->retrans_stamp >= 0 && sim->now - c->retrans_stamp >= limit) {
        stack->counters.TCPAbortOnTimeout++;
        tcp_conn_finish(c, ETIMEDOUT);
        return;
    }
    if (c->retrans_stamp < 0)
        c->retrans_stamp = sim->now - c->rto; /* when the oldest was sent */
    stack->counters.TCPTimeouts++;
    c->retransmits++;
    /* RFC 6298 5.5-5.6: back off, resend the earliest unacknowledged
     * segment; Karn: no RTT sample from what was resent. */
    c->rto = c->rto * 2 > TCP_RTO_MAX ? TCP_RTO_MAX : c->rto * 2;
    c->rtt_timing = false;
    c->snd_nxt = c->snd_una;
    c->cwnd = 1;
    tcp_send_data(c);
    /* Linux tcp_clamp_rto_to_user_timeout(): never wait past the user
     * timeout. */
    ss_time wait = c->rto;
    if (c->opt.user_timeout) {
        ss_time remaining = c->retrans_stamp + c->opt.user_timeout - sim->now;
        wait = remaining < 0 ? 0 : remaining < wait ? remaining : wait;
    }
    tcp_arm(c, &c->rtx_timer, wait);
}

/* ---- keepalive (Linux tcp_keepalive_timer()) ------------------------------------------------ */

static ss_time ka_idle(const ss_tcp_conn *c)
{
    return c->opt.ka_idle ? c->opt.ka_idle : c->stack->settings.tcp_keepalive_time * SS_SEC;
}

static ss_time ka_interval(const ss_tcp_conn *c)
{
    return c->opt.ka_interval ? c->opt.ka_interval : c->stack->settings.tcp_keepalive_intvl * SS_SEC;
}

static uint32_t ka_count(const ss_tcp_conn *c)
{
    return (uint32_t)(c->opt.ka_count ? c->opt.ka_count : c->stack->settings.tcp_keepalive_probes);
}

static bool keepalive_state(ss_tcp_state s)
{
    return s == SS_TCP_ESTABLISHED || s == SS_TCP_CLOSE_WAIT;
}

void tcp_keepalive_start(ss_tcp_conn *c)
{
    if (c->opt.keepalive && keepalive_state(c->state))
        tcp_arm(c, &c->state_timer, ka_idle(c));
}

void tcp_peer_alive(ss_tcp_conn *c)
{
    c->last_rcv = c->stack->sim->now;
    c->probes_out = 0;
}

static void keepalive_fire(ss_tcp_conn *c)
{
    struct tcp_stack *stack = c->stack;
    ss_sim *sim = stack->sim;
    if (!c->opt.keepalive)
        return;
    /* Data in flight or waiting: the retransmission timer watches the
     * peer; look again after a full idle time. */
    if (c->snd_una != c->snd_max || seq_lt(c->snd_max, tcp_fin_seq(c))) {
        tcp_arm(c, &c->state_timer, ka_idle(c));
        return;
    }
    ss_time elapsed = sim->now - c->last_rcv;
    if (elapsed < ka_idle(c)) {
        tcp_arm(c, &c->state_timer, ka_idle(c) - elapsed);
        return;
    }
    /* With TCP_USER_TIMEOUT, it decides instead of the probe count. */
    if ((c->opt.user_timeout && elapsed >= c->opt.user_timeout && c->probes_out > 0) ||
        (!c->opt.user_timeout && c->probes_out >= ka_count(c))) {
        tcp_send_reset(c); /* tcp_send_active_reset() */
        stack->counters.TCPAbortOnTimeout++;
        tcp_conn_finish(c, ETIMEDOUT);
        return;
    }
    /* tcp_xmit_probe_skb(): an old sequence number (SND.UNA - 1) and no
     * data, which the peer must answer with an ACK. */
    struct tcp_segment seg = {.seq = c->snd_una - 1};
    fill_ack(c, &seg);
    tcp_emit(stack, &c->h.t, &seg, c->id);
    c->probes_out++;
    stack->counters.TCPKeepAlive++;
    tcp_arm(c, &c->state_timer, ka_interval(c));
}

int tcp_sockopts_keepalive(struct tcp_sockopts *o, bool on, ss_time idle, ss_time interval, int count)
{
    if (idle < 0 || interval < 0 || count < 0 || count > 127)
        return SS_EINVAL;
    o->keepalive = on;
    o->ka_idle = idle;
    o->ka_interval = interval;
    o->ka_count = count;
    return 0;
}

int tcp_sockopts_user_timeout(struct tcp_sockopts *o, ss_time timeout)
{
    if (timeout < 0)
        return SS_EINVAL;
    o->user_timeout = timeout;
    return 0;
}

int ss_tcp_set_keepalive(ss_tcp_conn *c, bool on, ss_time idle, ss_time interval, int count)
{
    int rc = c ? tcp_sockopts_keepalive(&c->opt, on, idle, interval, count) : SS_EINVAL;
    if (rc < 0)
        return rc;
    /* tcp_set_keepalive(): (re)start the idle clock's timer now. */
    if (keepalive_state(c->state)) {
        if (on)
            tcp_arm(c, &c->state_timer, ka_idle(c));
        else
            ss_timer_cancel(c->stack->sim, &c->state_timer);
    }
    return 0;
}

int ss_tcp_set_user_timeout(ss_tcp_conn *c, ss_time timeout)
{
    return c ? tcp_sockopts_user_timeout(&c->opt, timeout) : SS_EINVAL;
}

void tcp_rtx_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx)
{
    (void)sim, (void)timer;
    ss_tcp_conn *c = ctx;
    tcp_trace_conn(c, SS_TRACE_TIMER, SS_TIMER_RETRANSMIT);
    switch (c->state) {
    case SS_TCP_SYN_SENT:
    case SS_TCP_SYN_RECEIVED:
        syn_timeout(c);
        break;
    case SS_TCP_ESTABLISHED:
    case SS_TCP_CLOSE_WAIT:
    case SS_TCP_FIN_WAIT_1:
    case SS_TCP_CLOSING:
    case SS_TCP_LAST_ACK:
        if (c->snd_una != c->snd_max)
            data_timeout(c);
        break;
    default:
        break;
    }
}

void tcp_delack_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx)
{
    (void)sim, (void)timer;
    ss_tcp_conn *c = ctx;
    tcp_trace_conn(c, SS_TRACE_TIMER, SS_TIMER_DELAYED_ACK);
    if (c->segs_unacked)
        tcp_send_ack(c);
}

void tcp_state_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx)
{
    (void)sim, (void)timer;
    ss_tcp_conn *c = ctx;
    static const int which[SS_TCP_STATE_COUNT] = {
        [SS_TCP_CLOSED] = SS_TIMER_OPEN, [SS_TCP_ESTABLISHED] = SS_TIMER_KEEPALIVE,
        [SS_TCP_CLOSE_WAIT] = SS_TIMER_KEEPALIVE, [SS_TCP_TIME_WAIT] = SS_TIMER_TIME_WAIT,
        [SS_TCP_FIN_WAIT_2] = SS_TIMER_FIN_WAIT_2,
    };
    tcp_trace_conn(c, SS_TRACE_TIMER, which[c->state]);
    switch (c->state) {
    case SS_TCP_ESTABLISHED:
    case SS_TCP_CLOSE_WAIT:
        keepalive_fire(c);
        break;
    case SS_TCP_TIME_WAIT:
        c->stack->counters.TW++;
        tcp_conn_finish(c, 0);
        break;
    case SS_TCP_FIN_WAIT_2:
        /* tcp_fin_timeout: an orphaned FIN-WAIT-2 is dropped silently, as
         * Linux's FIN-WAIT-2 timewait socket is. */
        tcp_conn_finish(c, 0);
        break;
    case SS_TCP_CLOSED:
        /* a connect scheduled for now */
        if (!c->app_done && tcp_open(c) < 0) {
            c->refs++;
            tcp_notify_closed(c, EADDRNOTAVAIL);
            c->refs--;
            maybe_recycle(c);
        }
        break;
    default:
        break;
    }
}

/* ---- the application's calls ------------------------------------------------------------------- */

static bool port_in_use(struct tcp_stack *stack, const struct tcp_tuple *t)
{
    return tcp_table_find(&stack->conns, t) || tcp_table_find(&stack->requests, t);
}

/* OPEN (RFC 9293 3.10.1) of a prepared connection: pick the port, send the
 * SYN, enter SYN-SENT. */
int tcp_open(ss_tcp_conn *c)
{
    struct tcp_stack *stack = c->stack;
    struct tcp_tuple t = c->h.t;
    const uint32_t range = TCP_EPHEMERAL_HIGH - TCP_EPHEMERAL_LOW + 1;
    for (uint32_t tries = 0; tries < range && !t.lport; tries++) {
        t.lport = stack->next_port;
        stack->next_port = stack->next_port == TCP_EPHEMERAL_HIGH ? TCP_EPHEMERAL_LOW : stack->next_port + 1;
        if (port_in_use(stack, &t) || tcp_listener_find(stack, t.lport))
            t.lport = 0;
    }
    if (!t.lport)
        return SS_EEXIST; /* EADDRNOTAVAIL: every ephemeral port is taken */
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
    if (at > stack->sim->now) {
        if ((rc = ss_timer_arm(stack->sim, &c->state_timer, at)) < 0) {
            tcp_conn_recycle(stack, c);
            return rc;
        }
    } else if ((rc = tcp_open(c)) < 0) {
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
    if (!c)
        return SS_EINVAL;
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
    if (!c)
        return SS_EINVAL;
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
    if (!c)
        return SS_EINVAL;
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
        .keepalive_idle = ka_idle(c),
        .keepalive_interval = ka_interval(c),
        .keepalive_count = (int)ka_count(c),
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

ss_tcp_state ss_tcp_conn_state(const ss_tcp_conn *c) { return c->state; }
int ss_tcp_conn_error(const ss_tcp_conn *c) { return c->error; }
ss_node *ss_tcp_conn_host(const ss_tcp_conn *c) { return c->stack->node; }
