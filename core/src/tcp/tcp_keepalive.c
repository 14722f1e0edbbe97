/* Keepalive (Linux tcp_keepalive_timer(), 6.x) and the user timeout
 * (RFC 5482, TCP_USER_TIMEOUT): their socket options and their probes. */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

ss_time tcp_keepalive_idle(const ss_tcp_conn *c)
{
    return c->opt.ka_idle ? c->opt.ka_idle : c->stack->settings.tcp_keepalive_time * SS_SEC;
}

ss_time tcp_keepalive_interval(const ss_tcp_conn *c)
{
    return c->opt.ka_interval ? c->opt.ka_interval : c->stack->settings.tcp_keepalive_intvl * SS_SEC;
}

uint32_t tcp_keepalive_count(const ss_tcp_conn *c)
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
        tcp_arm(c, &c->state_timer, tcp_keepalive_idle(c));
}

void tcp_peer_alive(ss_tcp_conn *c)
{
    c->last_rcv = c->stack->sim->now;
    c->probes_out = 0;
}

void tcp_keepalive_fire(ss_tcp_conn *c)
{
    struct tcp_stack *stack = c->stack;
    ss_sim *sim = stack->sim;
    if (!c->opt.keepalive)
        return;
    /* Data in flight or waiting: the retransmission timer watches the
     * peer; look again after a full idle time. */
    if (c->snd_una != c->snd_max || seq_lt(c->snd_max, tcp_fin_seq(c))) {
        tcp_arm(c, &c->state_timer, tcp_keepalive_idle(c));
        return;
    }
    ss_time elapsed = sim->now - c->last_rcv;
    if (elapsed < tcp_keepalive_idle(c)) {
        tcp_arm(c, &c->state_timer, tcp_keepalive_idle(c) - elapsed);
        return;
    }
    /* With TCP_USER_TIMEOUT, it decides instead of the probe count. */
    if ((c->opt.user_timeout && elapsed >= c->opt.user_timeout && c->probes_out > 0) ||
        (!c->opt.user_timeout && c->probes_out >= tcp_keepalive_count(c))) {
        tcp_send_reset(c); /* tcp_send_active_reset() */
        stack->counters.TCPAbortOnTimeout++;
        tcp_conn_finish(c, ETIMEDOUT);
        return;
    }
    /* tcp_xmit_probe_skb(): an old sequence number (SND.UNA - 1) and no
     * data, which the peer must answer with an ACK. */
    struct tcp_segment seg = {.seq = c->snd_una - 1};
    tcp_fill_ack(c, &seg);
    tcp_emit(stack, &c->h.t, &seg, c->id);
    c->probes_out++;
    stack->counters.TCPKeepAlive++;
    tcp_arm(c, &c->state_timer, tcp_keepalive_interval(c));
}

int tcp_sockopts_keepalive(struct tcp_sockopts *o, bool on, ss_time idle, ss_time interval, int count)
{
    /* Linux do_tcp_setsockopt(): TCP_KEEPIDLE and TCP_KEEPINTVL 1..32767 s
     * (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL), TCP_KEEPCNT 1..127
     * (MAX_TCP_KEEPCNT); 0 here means "the host's sysctl". */
    if (idle < 0 || interval < 0 || count < 0)
        return SS_EINVAL;
    if (idle > TCP_MAX_KEEPIDLE * SS_SEC || interval > TCP_MAX_KEEPINTVL * SS_SEC || count > TCP_MAX_KEEPCNT)
        return SS_ERANGE;
    o->keepalive = on;
    o->ka_idle = idle;
    o->ka_interval = interval;
    o->ka_count = count;
    return 0;
}

int tcp_sockopts_user_timeout(struct tcp_sockopts *o, ss_time timeout)
{
    /* TCP_USER_TIMEOUT takes an int of milliseconds (RFC 5482 4.2). */
    if (timeout < 0)
        return SS_EINVAL;
    if (timeout > (ss_time)INT32_MAX * SS_MSEC)
        return SS_ERANGE;
    o->user_timeout = timeout;
    return 0;
}

int ss_tcp_set_keepalive(ss_tcp_conn *c, bool on, ss_time idle, ss_time interval, int count)
{
    int rc = tcp_conn_check(c);
    if (rc == 0)
        rc = tcp_sockopts_keepalive(&c->opt, on, idle, interval, count);
    if (rc < 0)
        return rc;
    /* tcp_set_keepalive(): (re)start the idle clock's timer now. */
    if (keepalive_state(c->state)) {
        if (on)
            tcp_arm(c, &c->state_timer, tcp_keepalive_idle(c));
        else
            ss_timer_cancel(c->stack->sim, &c->state_timer);
    }
    return 0;
}

int ss_tcp_set_user_timeout(ss_tcp_conn *c, ss_time timeout)
{
    int rc = tcp_conn_check(c);
    return rc < 0 ? rc : tcp_sockopts_user_timeout(&c->opt, timeout);
}
