/* Sequence space and the peer's ACKs: option negotiation, the FIN's
 * sequence number, the receive window, RTT samples and the RTO, what an
 * acceptable ACK advances, and entering ESTABLISHED. */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

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
    c->mss = tcp_effective_mss(mss, c->ts_ok, c->stack->settings.tcp_min_snd_mss);
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
