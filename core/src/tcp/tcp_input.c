/* Segment arrival for a connection, as RFC 9293 3.10.7 prescribes, with
 * RFC 5961's defences against blind resets and injection.  Passive opens
 * before the handshake completes are handled in tcp_listen.c. */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

static uint32_t seg_len(const ss_packet *p)
{
    return p->payload + !!(p->tcp.flags & SS_TCP_SYN) + !!(p->tcp.flags & SS_TCP_FIN);
}

/* ---- SYN-SENT (3.10.7.3) ---------------------------------------------------------- */

static void syn_sent_input(ss_tcp_conn *c, const ss_packet *p)
{
    struct tcp_stack *stack = c->stack;
    uint8_t f = p->tcp.flags;
    bool ack_ok = false;
    /* First, the ACK bit: an ACK outside (ISS, SND.NXT] gets a RST, unless
     * it is itself a RST. */
    if (f & SS_TCP_ACK) {
        if (seq_le(p->tcp.ack, c->iss) || seq_gt(p->tcp.ack, c->snd_nxt)) {
            if (!(f & SS_TCP_RST))
                tcp_send_reset_for(stack, p, c->id);
            return;
        }
        ack_ok = true;
    }
    /* Second, the RST bit: it counts only if it acknowledges our SYN (RFC
     * 5961 3.2 narrows nothing further here). */
    if (f & SS_TCP_RST) {
        if (ack_ok)
            tcp_conn_finish(c, ECONNREFUSED);
        return;
    }
    /* Fourth, the SYN bit. */
    if (!(f & SS_TCP_SYN))
        return;
    struct tcp_syn_options peer;
    tcp_parse_syn_options(p, &peer);
    tcp_negotiate(c, &c->offered, &peer);
    c->irs = p->tcp.seq;
    c->rcv_nxt = p->tcp.seq + 1;
    /* SYN windows are never scaled (RFC 7323 2.2). */
    c->snd_wnd = c->max_snd_wnd = p->tcp.window;
    c->snd_wl1 = p->tcp.seq;
    c->snd_wl2 = p->tcp.ack;
    if (ack_ok) {
        /* Our SYN is acknowledged: ESTABLISHED, and ACK the peer's SYN. */
        c->snd_una = p->tcp.ack;
        ss_timer_cancel(stack->sim, &c->rtx_timer);
        if (c->syn_retransmits == 0)
            tcp_rtt_sample(c, stack->sim->now - c->t_open);
        tcp_send_ack(c);
        tcp_established(c);
        tcp_send_data(c);
    } else {
        /* Simultaneous open: SYN-RECEIVED, and send SYN,ACK; the timer keeps
         * resending it. */
        tcp_set_state(c, SS_TCP_SYN_RECEIVED);
        tcp_send_syn(c, true);
    }
}

/* ---- synchronized states (3.10.7.4) ------------------------------------------------- */

/* First check: is the segment's sequence range acceptable? */
static bool sequence_acceptable(const ss_tcp_conn *c, uint32_t seq, uint32_t len)
{
    uint32_t wnd = tcp_rcv_window(c);
    uint32_t nxt = c->rcv_nxt;
    if (len == 0)
        return wnd == 0 ? seq == nxt : seq_le(nxt, seq) && seq_lt(seq, nxt + wnd);
    if (wnd == 0)
        return false;
    return (seq_le(nxt, seq) && seq_lt(seq, nxt + wnd)) ||
           (seq_le(nxt, seq + len - 1) && seq_lt(seq + len - 1, nxt + wnd));
}

/* A valid RST: what it means depends on the state. */
static void reset_received(ss_tcp_conn *c)
{
    switch (c->state) {
    case SS_TCP_SYN_RECEIVED:
        /* Reached from SYN-SENT (a passive open never gets here): refused. */
        tcp_conn_finish(c, ECONNREFUSED);
        break;
    case SS_TCP_CLOSE_WAIT:
        tcp_conn_finish(c, EPIPE); /* as Linux tcp_reset() */
        break;
    case SS_TCP_ESTABLISHED:
    case SS_TCP_FIN_WAIT_1:
    case SS_TCP_FIN_WAIT_2:
    case SS_TCP_CLOSING:
    case SS_TCP_LAST_ACK:
        tcp_conn_finish(c, ECONNRESET);
        break;
    default:
        break;
    }
}

/* Fifth check for the states past SYN-RECEIVED.  Returns false when the
 * segment is to be dropped. */
static bool ack_received(ss_tcp_conn *c, const ss_packet *p)
{
    uint32_t ack = p->tcp.ack;
    /* RFC 5961 5.2: acceptable only within [SND.UNA - MAX.SND.WND, SND.NXT];
     * SND.NXT here is the highest sent, since a timeout moves SND.NXT back. */
    if (seq_gt(ack, c->snd_max)) {
        tcp_send_challenge_ack(c, false);
        return false;
    }
    if (seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
        tcp_send_challenge_ack(c, false);
        return false;
    }
    if (seq_gt(ack, c->snd_una))
        tcp_ack_advance(c, ack);
    /* Window update, guarded by SND.WL1 / SND.WL2 against old segments. */
    uint32_t seq = p->tcp.seq;
    if (seq_lt(c->snd_wl1, seq) || (c->snd_wl1 == seq && seq_le(c->snd_wl2, ack))) {
        c->snd_wnd = (uint32_t)p->tcp.window << c->snd_wscale;
        c->snd_wl1 = seq;
        c->snd_wl2 = ack;
        if (c->snd_wnd > c->max_snd_wnd)
            c->max_snd_wnd = c->snd_wnd;
    }
    switch (c->state) {
    case SS_TCP_FIN_WAIT_1:
        if (tcp_fin_acked(c)) {
            tcp_set_state(c, SS_TCP_FIN_WAIT_2);
            /* tcp_fin_timeout bounds an orphaned FIN-WAIT-2. */
            tcp_arm(c, &c->state_timer, c->stack->settings.tcp_fin_timeout * SS_SEC);
        }
        break;
    case SS_TCP_CLOSING:
        if (tcp_fin_acked(c)) {
            tcp_enter_time_wait(c);
            return false;
        }
        break;
    case SS_TCP_LAST_ACK:
        if (tcp_fin_acked(c)) {
            tcp_conn_finish(c, 0);
            return false;
        }
        break;
    default:
        break;
    }
    return true;
}

/* Linux tcp_rcv_state_process() (RFC 1122 4.2.2.13): once the application
 * has closed, data it can no longer read is answered with a reset, counted
 * as TCPAbortOnData.  In FIN-WAIT-1 and FIN-WAIT-2 any new data; in
 * CLOSING and LAST-ACK (the peer's FIN already in) only a segment that
 * starts before RCV.NXT and reaches past it. */
static bool data_after_close(const ss_tcp_conn *c, const ss_packet *p)
{
    if (!c->close_called || !p->payload || !seq_gt(p->tcp.seq + p->payload, c->rcv_nxt))
        return false;
    switch (c->state) {
    case SS_TCP_FIN_WAIT_1:
    case SS_TCP_FIN_WAIT_2:
        return true;
    case SS_TCP_CLOSING:
    case SS_TCP_LAST_ACK:
        return seq_lt(p->tcp.seq, c->rcv_nxt);
    default:
        return false;
    }
}

/* Seventh: segment text, in order only; anything else is acknowledged
 * at once so the sender learns what is missing. */
static void text_received(ss_tcp_conn *c, const ss_packet *p)
{
    if (!p->payload)
        return;
    switch (c->state) {
    case SS_TCP_ESTABLISHED:
    case SS_TCP_FIN_WAIT_1:
    case SS_TCP_FIN_WAIT_2:
        break;
    default:
        return; /* after a FIN from the peer, text is ignored */
    }
    uint32_t seq = p->tcp.seq, end = p->tcp.seq + p->payload;
    if (seq_gt(seq, c->rcv_nxt) || !seq_gt(end, c->rcv_nxt)) {
        tcp_send_ack(c); /* out of order (not queued here) or old */
        return;
    }
    uint32_t win_end = c->rcv_nxt + tcp_rcv_window(c);
    if (seq_gt(end, win_end))
        end = win_end;
    uint32_t fresh = end - c->rcv_nxt;
    c->rcv_nxt = end;
    c->bytes_received += fresh;
    c->segs_unacked++;
    if (c->cb.received)
        c->cb.received(c, fresh, c->ctx);
    if (c->state == SS_TCP_CLOSED)
        return;
    /* A FIN right behind the data is acknowledged by fin_received(), with
     * one ACK for both, as Linux does (its tcp_fin() schedules the ACK
     * that tcp_data_queue() would have sent). */
    if ((p->tcp.flags & SS_TCP_FIN) && p->tcp.seq + p->payload == c->rcv_nxt)
        return;
    /* Linux: quick ACKs at the start, then one ACK per two segments or
     * after the delayed-ACK timer (40 ms). */
    if (!c->stack->settings.tcp_delayed_ack || c->quickacks > 0 || c->segs_unacked >= 2) {
        if (c->quickacks > 0)
            c->quickacks--;
        tcp_send_ack(c);
    } else if (!ss_timer_armed(&c->delack_timer)) {
        tcp_arm(c, &c->delack_timer, TCP_DELACK_MIN);
    }
}

/* Eighth: the FIN, once everything before it has arrived.  Only the first
 * one counts: in CLOSE-WAIT, CLOSING and LAST-ACK the peer's FIN is already
 * in, and Linux 6.18 tcp_rcv_state_process() ("step 7") drops a segment at
 * or after RCV.NXT without queueing it, so a second FIN there (a peer that
 * reused the tuple, or a forged one) neither moves RCV.NXT nor is ACKed. */
static void fin_received(ss_tcp_conn *c, const ss_packet *p)
{
    if (c->fin_received || !(p->tcp.flags & SS_TCP_FIN) || p->tcp.seq + p->payload != c->rcv_nxt)
        return;
    c->rcv_nxt++;
    c->fin_received = true;
    tcp_send_ack(c);
    switch (c->state) {
    case SS_TCP_ESTABLISHED:
        tcp_set_state(c, SS_TCP_CLOSE_WAIT);
        if (c->cb.peer_closed)
            c->cb.peer_closed(c, c->ctx);
        break;
    case SS_TCP_FIN_WAIT_1:
        /* Our FIN not yet acknowledged (else we would be in FIN-WAIT-2). */
        tcp_set_state(c, SS_TCP_CLOSING);
        break;
    case SS_TCP_FIN_WAIT_2:
        ss_timer_cancel(c->stack->sim, &c->state_timer);
        tcp_enter_time_wait(c);
        break;
    default:
        break; /* not reached: those states have fin_received set */
    }
}

static void synchronized_input(ss_tcp_conn *c, const ss_packet *p)
{
    struct tcp_stack *stack = c->stack;
    uint8_t f = p->tcp.flags;
    uint32_t seq = p->tcp.seq, len = seg_len(p);
    /* Simultaneous open (RFC 9293 Figure 7): the peer's SYN,ACK repeats the
     * SYN we already took.  RFC 9293 trims what lies before RCV.NXT, and
     * Linux's tcp_validate_incoming() lets exactly this segment pass. */
    if (c->state == SS_TCP_SYN_RECEIVED && (f & SS_TCP_SYN) && (f & SS_TCP_ACK) && seq + 1 == c->rcv_nxt &&
        p->tcp.ack == c->snd_nxt) {
        f &= (uint8_t)~SS_TCP_SYN;
        seq++;
        len--;
    }
    /* First: the sequence number.  An unacceptable segment gets an ACK
     * (rate limited) unless it is a RST, and is dropped. */
    if (!sequence_acceptable(c, seq, len)) {
        if (!(f & SS_TCP_RST)) {
            if (tcp_oow_rate_limited(c, p))
                stack->counters.TCPACKSkippedSeq++;
            else
                tcp_send_ack(c);
        }
        return;
    }
    tcp_peer_alive(c);
    /* Second: RST.  RFC 5961 3.2: only an exact RCV.NXT resets; any other
     * in-window RST gets a challenge ACK. */
    if (f & SS_TCP_RST) {
        if (seq == c->rcv_nxt)
            reset_received(c);
        else
            tcp_send_challenge_ack(c, false);
        return;
    }
    /* Fourth: a SYN in a synchronized state.  RFC 5961 4.2: challenge ACK,
     * whatever its sequence number. */
    if (f & SS_TCP_SYN) {
        tcp_send_challenge_ack(c, true);
        return;
    }
    /* Fifth: the ACK field; segments without it are dropped. */
    if (!(f & SS_TCP_ACK))
        return;
    if (c->state == SS_TCP_SYN_RECEIVED) {
        if (!(seq_lt(c->snd_una, p->tcp.ack) && seq_le(p->tcp.ack, c->snd_max))) {
            tcp_send_reset_for(stack, p, c->id);
            return;
        }
        ss_timer_cancel(stack->sim, &c->rtx_timer);
        c->snd_una = p->tcp.ack;
        c->snd_wnd = c->max_snd_wnd = (uint32_t)p->tcp.window << c->snd_wscale;
        c->snd_wl1 = seq;
        c->snd_wl2 = p->tcp.ack;
        tcp_established(c);
        if (c->state == SS_TCP_CLOSED)
            return; /* the application aborted it from its callback */
    } else if (!ack_received(c, p)) {
        return;
    }
    if (c->state == SS_TCP_CLOSED)
        return;
    if (c->ts_ok && p->tcp.has_ts && seq_le(p->tcp.seq, c->rcv_nxt))
        c->ts_recent = p->tcp.tsval; /* RFC 7323 4.3 */
    if (data_after_close(c, p)) {
        /* tcp_reset() and then tcp_v4_send_reset() for the segment */
        stack->counters.TCPAbortOnData++;
        tcp_send_reset_for(stack, p, c->id);
        tcp_conn_finish(c, ECONNRESET);
        return;
    }
    text_received(c, p);
    if (c->state == SS_TCP_CLOSED)
        return;
    fin_received(c, p);
    if (c->state != SS_TCP_CLOSED)
        tcp_send_data(c);
}

/* ---- TIME-WAIT (3.10.7.4 and Linux tcp_timewait_state_process()) ---------------------------- */

static void time_wait_input(ss_tcp_conn *c, ss_packet *p)
{
    struct tcp_stack *stack = c->stack;
    uint8_t f = p->tcp.flags;
    if (f & SS_TCP_RST) {
        /* Linux with tcp_rfc1337=0 (its default): an in-window RST ends
         * TIME-WAIT early.  RFC 1337 would ignore it. */
        if (sequence_acceptable(c, p->tcp.seq, seg_len(p)))
            tcp_conn_finish(c, 0);
        return;
    }
    if ((f & SS_TCP_SYN) && !(f & SS_TCP_ACK) && seq_gt(p->tcp.seq, c->rcv_nxt)) {
        /* A new SYN above the old sequence space may reuse the 4-tuple
         * (RFC 9293 3.6.1 note; Linux TCP_TW_SYN): TIME-WAIT ends and the
         * listener, if any, takes the SYN. */
        ss_tcp_listener *l = tcp_listener_find(stack, c->h.t.lport);
        tcp_conn_finish(c, 0);
        if (l)
            tcp_listener_input(l, p, true);
        return;
    }
    if ((f & SS_TCP_FIN) && p->tcp.seq + p->payload + 1 == c->rcv_nxt) {
        /* The peer resends its FIN: our ACK was lost.  ACK it again and
         * restart the 2 MSL wait. */
        tcp_send_ack(c);
        tcp_arm(c, &c->state_timer, stack->settings.tcp_timewait_len * SS_SEC);
        return;
    }
    if (!tcp_oow_rate_limited(c, p))
        tcp_send_ack(c);
}

void tcp_conn_input(ss_tcp_conn *c, ss_packet *p)
{
    /* Hold the connection for the whole segment.  A callback may abort it
     * and open another; without the hold the new connection could get this
     * block from the pool, and the rest of the processing (which stops at
     * "state is CLOSED") would carry on in the new connection. */
    c->refs++;
    switch (c->state) {
    case SS_TCP_SYN_SENT:
        syn_sent_input(c, p);
        break;
    case SS_TCP_TIME_WAIT:
        time_wait_input(c, p);
        break;
    case SS_TCP_SYN_RECEIVED:
    case SS_TCP_ESTABLISHED:
    case SS_TCP_FIN_WAIT_1:
    case SS_TCP_FIN_WAIT_2:
    case SS_TCP_CLOSE_WAIT:
    case SS_TCP_CLOSING:
    case SS_TCP_LAST_ACK:
        synchronized_input(c, p);
        break;
    default:
        break; /* CLOSED connections are not in the table */
    }
    c->refs--;
    tcp_maybe_recycle(c);
}
