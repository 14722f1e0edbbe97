/* SYN cookies, as Linux 6.x computes them (net/ipv4/syncookies.c).
 *
 * A listener under a SYN flood answers with a SYN-ACK whose sequence
 * number encodes what it would otherwise have stored, and keeps nothing.
 * The peer's ACK (ack = cookie + 1) brings it back.
 *
 *   count = minutes since boot (tcp_cookie_time())
 *   H(c, n) = SipHash(secret[c]; saddr, daddr, sport << 16 | dport, n)
 *
 *   cookie = H(0, 0) + SEG.SEQ + (count << 24) + ((H(1, count) + mssind) mod 2^24)
 *
 *    31        24 23                                               0
 *   +------------+--------------------------------------------------+
 *   |   count    |           (H(1, count) + mssind) mod 2^24          |
 *   +------------+--------------------------------------------------+
 *                  ... plus H(0, 0) + SEG.SEQ, modulo 2^32
 *
 * mssind indexes the MSS table {536, 1300, 1440, 1460}: the MSS is rounded
 * down to an entry.  On the ACK, subtracting H(0, 0) + SEQ leaves count in
 * the top byte; a cookie whose count is MAX_SYNCOOKIE_AGE (2) or more
 * minutes old is rejected, and the low 24 bits less H(1, count) must give
 * a valid index, so a guess succeeds with probability about 4 / 2^24.
 *
 * With timestamps the other options ride in the low 6 bits of TSval
 * (cookie_init_timestamp()):
 *
 *    5     4     3 .. 0
 *   +-----+-----+--------+
 *   | ECN | SACK| wscale |   wscale 0xf: no window scaling
 *   +-----+-----+--------+
 *
 * and come back in the ACK's TSecr.  Without timestamps they are lost and
 * the connection runs without window scaling and SACK. */
#include "tcp/tcp_internal.h"

#define COOKIEBITS 24
#define COOKIEMASK ((1u << COOKIEBITS) - 1)
#define MAX_SYNCOOKIE_AGE 2
#define TSBITS 6
#define TS_OPT_WSCALE_MASK 0xfu
#define TS_OPT_SACK (1u << 4)

static const uint16_t msstab[] = {536, 1300, 1440, 1460};
#define MSSTAB_LEN (sizeof msstab / sizeof *msstab)

uint32_t tcp_cookie_count(const struct tcp_stack *stack)
{
    return (uint32_t)(stack->sim->now / (60 * SS_SEC));
}

static uint32_t cookie_hash(const struct tcp_stack *stack, const struct tcp_tuple *t, uint32_t count, int c)
{
    /* Linux hashes (saddr, daddr) of the arriving packet: the peer's
     * address first. */
    uint32_t words[4] = {t->raddr, t->laddr, (uint32_t)t->rport << 16 | t->lport, count};
    return (uint32_t)ss_siphash_u32(&stack->cookie_key[c], words, 4);
}

uint32_t tcp_cookie_make(const struct tcp_stack *stack, const struct tcp_tuple *t, uint32_t peer_seq, uint16_t *mss)
{
    uint32_t mssind = MSSTAB_LEN - 1;
    while (mssind && *mss < msstab[mssind])
        mssind--;
    *mss = msstab[mssind];
    uint32_t count = tcp_cookie_count(stack);
    return cookie_hash(stack, t, 0, 0) + peer_seq + (count << COOKIEBITS) +
           ((cookie_hash(stack, t, count, 1) + mssind) & COOKIEMASK);
}

uint16_t tcp_cookie_check(const struct tcp_stack *stack, const struct tcp_tuple *t, uint32_t cookie, uint32_t peer_seq)
{
    uint32_t count = tcp_cookie_count(stack);
    cookie -= cookie_hash(stack, t, 0, 0) + peer_seq;
    uint32_t diff = (count - (cookie >> COOKIEBITS)) & (0xffffffffu >> COOKIEBITS);
    if (diff >= MAX_SYNCOOKIE_AGE)
        return 0;
    uint32_t mssind = (cookie - cookie_hash(stack, t, count - diff, 1)) & COOKIEMASK;
    return mssind < MSSTAB_LEN ? msstab[mssind] : 0;
}

uint32_t tcp_cookie_tsval(uint32_t ts_now, const struct tcp_syn_options *peer)
{
    uint32_t options = peer->wscale_ok ? peer->wscale : TS_OPT_WSCALE_MASK;
    if (peer->sack_ok)
        options |= TS_OPT_SACK;
    uint32_t ts = ((ts_now >> TSBITS) << TSBITS) | options;
    /* Never ahead of the clock: later TSvals must not go backwards. */
    if (ts > ts_now)
        ts -= 1u << TSBITS;
    return ts;
}

bool tcp_cookie_options(const struct tcp_stack *stack, uint32_t tsecr, struct tcp_syn_options *out)
{
    /* cookie_timestamp_decode() */
    const struct tcp_settings *s = &stack->settings;
    if (!s->tcp_timestamps)
        return false;
    out->ts_ok = true;
    out->sack_ok = (tsecr & TS_OPT_SACK) != 0;
    if (out->sack_ok && !s->tcp_sack)
        return false;
    if ((tsecr & TS_OPT_WSCALE_MASK) == TS_OPT_WSCALE_MASK)
        return true;
    out->wscale_ok = true;
    out->wscale = (uint8_t)(tsecr & TS_OPT_WSCALE_MASK);
    return s->tcp_window_scaling != 0;
}
