/* What a connection sends: SYN and SYN-ACK, ACKs, resets, challenge ACKs
 * (RFC 5961) and data within the peer's window and the congestion window. */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

void tcp_fill_ack(ss_tcp_conn *c, struct tcp_segment *seg)
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
    /* A connection's SYN-ACK (simultaneous open) resends its SYN's
     * sequence number, as does every SYN after the first. */
    seg.retransmit = with_ack || c->syn_retransmits > 0;
    tcp_emit(c->stack, &c->h.t, &seg, c->id);
}

void tcp_send_ack(ss_tcp_conn *c)
{
    struct tcp_segment seg = {.seq = c->snd_nxt};
    tcp_fill_ack(c, &seg);
    tcp_emit(c->stack, &c->h.t, &seg, c->id);
}

void tcp_send_reset(ss_tcp_conn *c)
{
    /* RFC 9293 3.10.5 asks for <SEQ=SND.NXT><CTL=RST>; Linux 6.18
     * tcp_send_active_reset() sends RST+ACK at tcp_acceptable_seq() (SND.NXT
     * unless the peer's window shrank below it) with ack = RCV.NXT, and
     * __tcp_transmit_skb() gives it the window and the timestamp option as
     * any other segment of the connection. */
    uint32_t wnd_end = c->snd_una + c->snd_wnd;
    bool fits = !seq_lt(wnd_end, c->snd_nxt) || (c->ws_ok && c->snd_nxt - wnd_end < (1u << c->rcv_wscale));
    uint32_t seq = fits ? c->snd_nxt : wnd_end;
    struct tcp_segment seg = {.seq = seq, .flags = SS_TCP_RST};
    tcp_fill_ack(c, &seg);
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
        tcp_fill_ack(c, &seg);
        if (len && c->snd_nxt + len == data_end)
            seg.flags |= SS_TCP_PSH;
        if (fin)
            seg.flags |= SS_TCP_FIN;
        bool resend = seq_lt(c->snd_nxt, c->snd_max);
        seg.retransmit = resend;
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
