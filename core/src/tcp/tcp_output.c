/* Building segments: headers, options and their sizes, and resets. */
#include "synsim/error.h"
#include "tcp/tcp_internal.h"

/* Linux's tcp_rmem[2]: the window scale is chosen so that the largest
 * receive buffer fits (tcp_select_initial_window), which gives 7. */
#define TCP_RMEM_MAX 6291456

static uint8_t local_wscale(void)
{
    int shift = 0;
    while (shift < 14 && (65535u << shift) < TCP_RMEM_MAX)
        shift++;
    return (uint8_t)shift;
}

void tcp_local_syn_options(struct tcp_stack *stack, uint32_t raddr, struct tcp_syn_options *out)
{
    *out = (struct tcp_syn_options){
        .mss = tcp_route_mss(stack, raddr),
        .wscale_ok = stack->settings.tcp_window_scaling != 0,
        .wscale = local_wscale(),
        .sack_ok = stack->settings.tcp_sack != 0,
        .ts_ok = stack->settings.tcp_timestamps != 0,
    };
}

void tcp_parse_syn_options(const ss_packet *p, struct tcp_syn_options *out)
{
    *out = (struct tcp_syn_options){
        .mss = p->tcp.mss ? p->tcp.mss : TCP_DEFAULT_MSS,
        .wscale_ok = p->tcp.has_wscale,
        /* RFC 7323 2.3: a shift above 14 is used as 14. */
        .wscale = p->tcp.wscale > 14 ? 14 : p->tcp.wscale,
        .sack_ok = p->tcp.sack_ok,
        .ts_ok = p->tcp.has_ts,
        .tsval = p->tcp.tsval,
    };
}

uint16_t tcp_effective_mss(uint16_t mss, bool ts_ok, int64_t min_snd_mss)
{
    /* Linux __tcp_mtu_to_mss() (6.x): the MSS is never below
     * tcp_min_snd_mss (48 by default, since 5.2 for CVE-2019-11479)
     * whatever the peer announced; tcp_mtu_to_mss() then takes the options
     * every segment carries out of it, so that with timestamps a 1-byte MSS
     * option still leaves 36 bytes of payload per segment. */
    uint32_t floor = (uint32_t)min_snd_mss;
    uint32_t m = mss < floor ? floor : mss;
    return (uint16_t)(m - (ts_ok ? 12u : 0u));
}

/* Option bytes as Linux lays them out (tcp_syn_options(),
 * tcp_established_options()): MSS 4; timestamps 12 whether SACK-permitted
 * shares their padding or two NOPs do; SACK-permitted alone 4 with its
 * NOPs; window scale 4 with its NOP. */
static uint32_t options_length(const struct tcp_segment *seg)
{
    if (!seg->syn_options)
        return seg->ts ? 12 : 0;
    const struct tcp_syn_options *o = seg->offer;
    uint32_t len = 4;
    if (o->ts_ok)
        len += 12;
    else if (o->sack_ok)
        len += 4;
    if (o->wscale_ok)
        len += 4;
    return len;
}

int tcp_emit(struct tcp_stack *stack, const struct tcp_tuple *t, const struct tcp_segment *seg, uint32_t conn_id)
{
    ss_packet *p;
    int rc = ss_packet_new(stack->sim, &p);
    if (rc < 0) {
        ss_sim_fail(stack->sim, rc);
        return rc;
    }
    p->src = t->laddr;
    p->dst = t->raddr;
    p->conn = conn_id;
    p->payload = seg->payload;
    p->size = SS_IPV4_HEADER + SS_TCP_HEADER + options_length(seg) + seg->payload;
    p->tcp.sport = t->lport;
    p->tcp.dport = t->rport;
    p->tcp.seq = seg->seq;
    p->tcp.ack = (seg->flags & SS_TCP_ACK) ? seg->ack : 0;
    p->tcp.flags = seg->flags;
    uint32_t window = seg->window >> seg->wscale;
    p->tcp.window = (uint16_t)(window > 65535 ? 65535 : window);
    if (seg->syn_options) {
        const struct tcp_syn_options *o = seg->offer;
        p->tcp.mss = o->mss;
        p->tcp.has_wscale = o->wscale_ok;
        p->tcp.wscale = o->wscale_ok ? o->wscale : 0;
        p->tcp.sack_ok = o->sack_ok;
        p->tcp.has_ts = o->ts_ok;
    } else {
        p->tcp.has_ts = seg->ts;
    }
    if (p->tcp.has_ts) {
        p->tcp.tsval = seg->tsval;
        p->tcp.tsecr = seg->tsecr;
    }
    if (!seg->retransmit)
        stack->counters.OutSegs++;
    if (seg->flags & SS_TCP_RST)
        stack->counters.OutRsts++;
    return ss_node_send(stack->sim, stack->node, p);
}

void tcp_send_reset_for(struct tcp_stack *stack, const ss_packet *in, uint32_t conn_id)
{
    /* RFC 9293 3.10.7.1: if the incoming segment has an ACK, the reset takes
     * its sequence number from the ACK field; otherwise it has sequence
     * number zero and acknowledges everything the segment occupied. */
    struct tcp_tuple t = {in->dst, in->src, in->tcp.dport, in->tcp.sport};
    struct tcp_segment seg = {0};
    if (in->tcp.flags & SS_TCP_ACK) {
        seg.seq = in->tcp.ack;
        seg.flags = SS_TCP_RST;
    } else {
        uint32_t len = in->payload + !!(in->tcp.flags & SS_TCP_SYN) + !!(in->tcp.flags & SS_TCP_FIN);
        seg.ack = in->tcp.seq + len;
        seg.flags = SS_TCP_RST | SS_TCP_ACK;
    }
    tcp_emit(stack, &t, &seg, conn_id);
}
