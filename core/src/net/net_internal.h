/* The net layer's internal header: the structures that net/ shares
 * (nodes, links, packets, routes, capture, up/down schedules) and the hooks
 * through which the layer above (tcp) receives packets.  It may include the
 * sim layer and the public headers of sim and net, nothing above. */
#ifndef SYNSIM_NET_NET_INTERNAL_H
#define SYNSIM_NET_NET_INTERNAL_H

#include "sim/sim_internal.h"
#include "synsim/net.h"
#include "synsim/trace.h"

/* ==== up/down schedules (schedule.c) ===================================== */

/* Up/down changes scheduled at simulated times, for links (down/up) and
 * nodes (crash/restart): one timer, armed for the earliest change. */

typedef void (*updown_apply_fn)(ss_sim *sim, void *object, bool up);

struct updown_change {
    ss_time at;
    bool up;
};

struct updown_schedule {
    ss_timer timer;
    updown_apply_fn apply;
    void *object;
    struct updown_change *changes; /* in order of time, then of scheduling */
    size_t count, cap;
};

void updown_init(struct updown_schedule *s, updown_apply_fn apply, void *object);
/* Cancels the timer and frees the list. */
void updown_destroy(ss_sim *sim, struct updown_schedule *s);
/* SS_EINVAL for a time in the past, SS_ENOMEM (nothing changed). */
int updown_add(ss_sim *sim, struct updown_schedule *s, ss_time at, bool up);

/* ==== nodes, links, packets (node.c, link.c, packet.c, route.c, net.c) ==== */

#define SS_NAME_MAX 63

/* One end of a link as seen from a node: the link and the direction that
 * leaves this node. */
struct port {
    ss_link *link;
    uint8_t dir;
};

struct ss_node {
    ss_sim *sim;
    uint32_t id;
    ss_node_kind kind;
    uint32_t addr;
    char name[SS_NAME_MAX + 1];
    ss_receive_fn receiver;
    void *receiver_ctx;
    struct port *ports;
    size_t port_count, port_cap;
    ss_node_stats stats;
    bool down; /* crashed */
    uint32_t boots;
    ss_node_reset_fn reset;
    void *reset_ctx;
    struct updown_schedule schedule;
};

struct link_dir {
    ss_node *from, *to;
    ss_rng rng;
    bool ge_bad; /* Gilbert-Elliott channel state */
    ss_time busy_until;
    /* Transmission finish times of the packets being sent or waiting, a
     * ring of queue_packets + 1 entries: how full the queue is now. */
    ss_time *finish;
    uint32_t finish_head, finish_len;
    /* Packets on the link in departure order, which is also the order they
     * arrive in: one timer, armed for the first, serves them all. */
    ss_packet *first, *last;
    ss_timer timer;
    ss_link_stats stats;
};

struct ss_link {
    ss_sim *sim;
    uint32_t index;
    ss_link_config config;
    bool up;
    struct link_dir dir[2];
    struct updown_schedule schedule;
};

struct addr_slot {
    uint32_t addr;
    uint32_t node_plus_one; /* 0: empty */
};

struct ss_pcap;

struct ss_net {
    struct ss_pcap *captures; /* every capture opened, a list */
    uint64_t capture_slots;   /* bit i: an open capture uses slot i (pcap.c) */
    ss_node **nodes;
    size_t node_count, node_cap;
    ss_link **links;
    size_t link_count, link_cap;
    struct addr_slot *addr_table; /* open addressing, power-of-two size */
    uint32_t *name_table;         /* node index + 1 by name, same size */
    size_t addr_table_size;
    uint32_t next_host_addr, next_router_addr;
    /* route_to[a][u]: u's port index + 1 towards anchor a (route.c), 0:
     * unreachable; NULL until a packet needs it.  routes_valid false: the
     * topology changed and every cached search is stale. */
    uint32_t **route_to;
    size_t route_cap;
    bool routes_valid;
    ss_packet *free_packets;
    void **packet_blocks;
    size_t packet_block_count;
    size_t packets_total, packets_live;
    uint64_t next_packet_id;
};

/* The network part of `sim`, created on first use (NULL: out of memory). */
struct ss_net *net_get(ss_sim *sim);
/* Existing part or NULL, for getters. */
static inline struct ss_net *net_peek(ss_sim *sim)
{
    return sim->part[SS_PART_NET];
}

void net_free_packets(struct ss_net *net);
void net_free_links(struct ss_net *net);
/* Room in the address and name tables for one more node (SS_ENOMEM, and
 * nothing changed), then the node's entries, which cannot fail. */
int net_tables_reserve(struct ss_net *net);
void net_tables_insert(struct ss_net *net, const ss_node *node);
ss_node *net_node_by_name(struct ss_net *net, const char *name);
/* Drop every cached route search (they are recomputed on demand). */
void net_routes_forget(struct ss_net *net);
/* Offer a packet to a link direction (link.c); takes ownership. */
void link_transmit(ss_sim *sim, ss_link *link, int dir, ss_packet *packet);
/* A packet reaching a node off a link (node.c); takes ownership. */
void node_arrive(ss_sim *sim, ss_node *node, ss_packet *packet, ss_link *link, int dir);
/* Captures: a packet at a node (sent, received, forwarded) or entering a
 * link; no-ops without open captures. */
void pcap_node_event(ss_sim *sim, struct ss_net *net, const ss_node *node, ss_packet *packet);
void pcap_link_event(ss_sim *sim, struct ss_net *net, const ss_link *link, ss_packet *packet);
void pcap_close_all(struct ss_net *net);
/* Clear capture slot bit `slot` from every packet of the pool. */
void net_packets_forget_capture(struct ss_net *net, uint64_t slot);

/* Trace a packet event (no-op unless the kind is on). */
void net_trace(ss_sim *sim, ss_trace_kind kind, const ss_node *node, ss_packet *packet,
               const ss_link *link, int dir, ss_drop_cause cause);

#endif
