/* A connection's three timers: retransmission (SYN and data), delayed
 * ACK, and the state timer (keepalive, FIN-WAIT-2, TIME-WAIT). */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

ss_time tcp_backoff(ss_time base, uint32_t doublings, ss_time cap)
{
    if (doublings >= 62 || base > (cap >> doublings))
        return cap;
    ss_time t = base << doublings;
    return t < cap ? t : cap;
}

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
    /* tcp_retransmit_timer() counts every expiry, the last one included. */
    stack->counters.TCPTimeouts++;
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
    stack->counters.TCPTimeouts++; /* before the give-up check, as tcp_retransmit_timer() */
    if (c->retransmits > 0 && c->retrans_stamp >= 0 && sim->now - c->retrans_stamp >= limit) {
        stack->counters.TCPAbortOnTimeout++;
        tcp_conn_finish(c, ETIMEDOUT);
        return;
    }
    if (c->retrans_stamp < 0)
        c->retrans_stamp = sim->now - c->rto; /* when the oldest was sent */
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
        tcp_keepalive_fire(c);
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
        if (!c->app_done) {
            int rc = c->no_port ? SS_EEXIST : tcp_open(c);
            if (rc < 0) {
                if (rc == SS_ENOMEM)
                    ss_sim_fail(c->stack->sim, rc);
                c->refs++;
                tcp_notify_closed(c, rc == SS_ENOMEM ? ENOMEM : EADDRNOTAVAIL);
                c->refs--;
                tcp_maybe_recycle(c);
            }
        }
        break;
    default:
        break;
    }
}
