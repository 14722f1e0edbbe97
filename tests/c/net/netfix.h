/* A small fixture for network tests: hosts whose receivers log what
 * arrives and when, and helpers to send packets at given times. */
#ifndef SYNSIM_NETFIX_H
#define SYNSIM_NETFIX_H

#include <stdlib.h>

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

/* Hosts "a" and "b" joined by one link with the default config. */
static inline void netfix_pair(uint64_t seed, ss_sim **sim, ss_node **a, ss_node **b)
{
    ss_link *l;
    ss_link_config c;
    ss_link_config_default(&c);
    ss_sim_new(seed, sim);
    ss_host_new(*sim, "a", 0, a);
    ss_host_new(*sim, "b", 0, b);
    ss_link_new(*sim, *a, *b, &c, &l);
}

/* h1 -- r -- h2, the same config on both links; h2 logs what arrives. */
struct netfix_line {
    ss_sim *sim;
    ss_node *h1, *r, *h2;
    ss_link *l1, *l2;
    struct netfix_log *log;
};

static inline int netfix_line_new(struct netfix_line *f, uint64_t seed, const ss_link_config *c)
{
    int rc;
    *f = (struct netfix_line){0};
    f->log = calloc(1, sizeof *f->log);
    if ((rc = ss_sim_new(seed, &f->sim)) < 0 || (rc = ss_host_new(f->sim, "h1", 0, &f->h1)) < 0 ||
        (rc = ss_host_new(f->sim, "h2", 0, &f->h2)) < 0 || (rc = ss_router_new(f->sim, "r", 0, &f->r)) < 0 ||
        (rc = ss_link_new(f->sim, f->h1, f->r, c, &f->l1)) < 0 ||
        (rc = ss_link_new(f->sim, f->r, f->h2, c, &f->l2)) < 0)
        return rc;
    ss_node_set_receiver(f->h2, netfix_receive, f->log);
    return 0;
}

static inline void netfix_line_free(struct netfix_line *f)
{
    ss_sim_free(f->sim);
    free(f->log);
}

#endif
