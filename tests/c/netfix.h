/* A small fixture for network tests: hosts whose receivers log what
 * arrives and when, and helpers to send packets at given times. */
#ifndef SYNSIM_NETFIX_H
#define SYNSIM_NETFIX_H

#include "synsim/error.h"
#include "synsim/net.h"
#include "synsim/sim.h"

#define NETFIX_LOG 20000

struct arrival {
    uint64_t id;
    ss_time at;
    uint8_t ttl;
    uint32_t seq;
};

struct netfix_log {
    struct arrival a[NETFIX_LOG];
    int n;
};

static inline void netfix_receive(ss_sim *sim, ss_node *node, ss_packet *p, void *ctx)
{
    (void)node;
    struct netfix_log *log = ctx;
    if (log->n < NETFIX_LOG)
        log->a[log->n++] = (struct arrival){p->id, ss_sim_now(sim), p->ttl, p->tcp.seq};
    ss_packet_free(sim, p);
}

/* Send a packet of `size` bytes from `from` to `to` now; returns its id. */
static inline uint64_t netfix_send(ss_sim *sim, ss_node *from, ss_node *to, uint32_t size, uint32_t seq)
{
    ss_packet *p;
    if (ss_packet_new(sim, &p) < 0)
        return 0;
    p->dst = ss_node_addr(to);
    p->size = size;
    p->tcp.seq = seq;
    uint64_t id = p->id;
    ss_node_send(sim, from, p);
    return id;
}

static inline ss_link_config netfix_link(int64_t rate, ss_time delay, uint32_t queue)
{
    ss_link_config c;
    ss_link_config_default(&c);
    c.rate_bps = rate;
    c.delay = delay;
    c.queue_packets = queue;
    return c;
}

static inline bool netfix_adds_up(const ss_link *link, int dir)
{
    ss_link_stats s;
    ss_link_get_stats(link, dir, &s);
    return s.sent == s.delivered + s.dropped_queue + s.dropped_loss + s.dropped_down + s.dropped_mtu +
                         s.dropped_nomem + s.in_flight;
}

#endif
