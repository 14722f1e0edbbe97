/* Per-host TCP settings under Linux's sysctl names, and the MIB counters
 * under Linux's names. */
#include <stddef.h>
#include <string.h>

#include "synsim/error.h"
#include "tcp/tcp_internal.h"

struct setting {
    const char *name;
    size_t offset;
    int64_t min, max, def;
};

#define SETTING(field, lo, hi, dflt) {#field, offsetof(struct tcp_settings, field), lo, hi, dflt}

/* Defaults are Linux 6.x's (Documentation/networking/ip-sysctl.rst), and
 * so are the ranges, from net/ipv4/sysctl_net_ipv4.c: u8 sysctls 0..255
 * (tcp_syn_retries 1..MAX_TCP_SYNCNT), int ones 0..INT_MAX, and the
 * jiffies ones (keepalive time and interval, fin timeout) what
 * proc_dointvec_jiffies() takes with HZ = 1000.  Where Linux accepts 0 or
 * a negative number that would make a timer spin (keepalive time,
 * interval, probes), the minimum is 1. */
static const struct setting settings[] = {
    SETTING(tcp_syn_retries, 1, 127, 6),
    SETTING(tcp_syn_linear_timeouts, 0, 127, 4),
    SETTING(tcp_synack_retries, 0, 255, 5),
    SETTING(tcp_retries2, 0, 255, 15),
    SETTING(tcp_fin_timeout, 1, TCP_SYSCTL_MAX_SECONDS, 60),
    /* TCP_TIMEWAIT_LEN: a constant in Linux, a knob here (seconds). */
    SETTING(tcp_timewait_len, 1, 3600, 60),
    SETTING(tcp_timestamps, 0, 1, 1),
    SETTING(tcp_sack, 0, 1, 1),
    SETTING(tcp_window_scaling, 0, 1, 1),
    SETTING(tcp_syncookies, 0, 2, 1),
    SETTING(somaxconn, 0, INT32_MAX, 4096),
    SETTING(tcp_max_syn_backlog, 0, INT32_MAX, 1024),
    SETTING(tcp_abort_on_overflow, 0, 1, 0),
    SETTING(tcp_keepalive_time, 1, TCP_SYSCTL_MAX_SECONDS, 7200),
    SETTING(tcp_keepalive_intvl, 1, TCP_SYSCTL_MAX_SECONDS, 75),
    SETTING(tcp_keepalive_probes, 1, 255, 9),
    /* ms between ACKs answering out-of-window segments and challenges */
    SETTING(tcp_invalid_ratelimit, 0, 60000, 500),
    /* receive buffer (the middle value of Linux's tcp_rmem), bytes */
    SETTING(tcp_rmem, 4096, 1 << 30, 131072),
    /* 1: delayed ACKs as Linux (40 ms, every second segment); 0: ACK each */
    SETTING(tcp_delayed_ack, 0, 1, 1),
    /* the floor of the sending MSS (Linux TCP_MIN_SND_MSS .. 65535) */
    SETTING(tcp_min_snd_mss, 48, 65535, 48),
};

#define SETTING_COUNT (sizeof settings / sizeof *settings)

void tcp_settings_default(struct tcp_settings *s)
{
    for (size_t i = 0; i < SETTING_COUNT; i++)
        *(int64_t *)((char *)s + settings[i].offset) = settings[i].def;
}

static const struct setting *find_setting(const char *name)
{
    for (size_t i = 0; name && i < SETTING_COUNT; i++)
        if (strcmp(settings[i].name, name) == 0)
            return &settings[i];
    return NULL;
}

const char *ss_tcp_setting_name(size_t index)
{
    return index < SETTING_COUNT ? settings[index].name : NULL;
}

int ss_tcp_setting_range(const char *name, int64_t *min, int64_t *max, int64_t *def)
{
    if (!name)
        return SS_EINVAL;
    const struct setting *s = find_setting(name);
    if (!s)
        return SS_ENOENT;
    if (min)
        *min = s->min;
    if (max)
        *max = s->max;
    if (def)
        *def = s->def;
    return 0;
}

int ss_tcp_get(ss_node *host, const char *name, int64_t *value)
{
    const struct setting *s = find_setting(name);
    if (!host || !name || !value)
        return SS_EINVAL;
    if (!s)
        return SS_ENOENT;
    struct tcp_stack *stack;
    int rc = tcp_stack_get(host, &stack);
    if (rc < 0)
        return rc;
    *value = *(int64_t *)((char *)&stack->settings + s->offset);
    return 0;
}

int ss_tcp_set(ss_node *host, const char *name, int64_t value)
{
    const struct setting *s = find_setting(name);
    if (!host || !name)
        return SS_EINVAL;
    if (!s)
        return SS_ENOENT;
    if (value < s->min || value > s->max)
        return SS_ERANGE;
    struct tcp_stack *stack;
    int rc = tcp_stack_get(host, &stack);
    if (rc < 0)
        return rc;
    *(int64_t *)((char *)&stack->settings + s->offset) = value;
    return 0;
}

struct counter {
    const char *name;
    size_t offset;
};

#define COUNTER(field) {#field, offsetof(struct tcp_counters, field)}

static const struct counter counters[] = {
    COUNTER(ActiveOpens), COUNTER(PassiveOpens), COUNTER(AttemptFails), COUNTER(EstabResets),
    COUNTER(CurrEstab), COUNTER(InSegs), COUNTER(OutSegs), COUNTER(RetransSegs), COUNTER(InErrs),
    COUNTER(OutRsts), COUNTER(TCPSynRetrans), COUNTER(TCPTimeouts), COUNTER(TCPChallengeACK),
    COUNTER(TCPSYNChallenge), COUNTER(TCPAbortOnTimeout), COUNTER(TCPAbortOnData),
    COUNTER(TCPAbortOnClose), COUNTER(EmbryonicRsts), COUNTER(TCPACKSkippedSynRecv),
    COUNTER(TCPACKSkippedChallenge), COUNTER(TCPACKSkippedSeq), COUNTER(TWRecycled), COUNTER(TW), COUNTER(TCPKeepAlive),
    COUNTER(ListenOverflows), COUNTER(ListenDrops), COUNTER(TCPReqQFullDrop), COUNTER(TCPReqQFullDoCookies),
    COUNTER(SyncookiesSent), COUNTER(SyncookiesRecv), COUNTER(SyncookiesFailed),
};

#define COUNTER_COUNT (sizeof counters / sizeof *counters)

const char *ss_tcp_counter_name(size_t index)
{
    return index < COUNTER_COUNT ? counters[index].name : NULL;
}

int ss_tcp_counter(ss_node *host, const char *name, uint64_t *value)
{
    if (!host || !name || !value)
        return SS_EINVAL;
    for (size_t i = 0; i < COUNTER_COUNT; i++) {
        if (strcmp(counters[i].name, name) != 0)
            continue;
        struct tcp_stack *stack = tcp_stack_peek(host);
        *value = stack ? *(const uint64_t *)((const char *)&stack->counters + counters[i].offset) : 0;
        return 0;
    }
    return SS_ENOENT;
}
