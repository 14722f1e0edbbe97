/* synsim network: packets, hosts, routers, links, routing, link faults.
 *
 * Knows nothing of TCP state: it carries the TCP header fields in each
 * packet for the tcp layer to interpret.
 *
 * A packet's way: ss_node_send() looks up the route to the destination
 * address and offers the packet to that link direction; the link queues it
 * (drop-tail, in packets), serialises it at its rate, maybe loses it, and it
 * arrives after the propagation delay.  A router forwards it; at its
 * destination host the node's receiver gets it.
 *
 * Ownership: the simulator owns every node and link; ss_sim_free() releases
 * them.  Packets come from the simulator's pool: whoever holds a packet
 * frees it with ss_packet_free() or hands it on (ss_node_send() and a
 * receiver callback both take ownership). */
#ifndef SYNSIM_NET_H
#define SYNSIM_NET_H

#include "synsim/rng.h"
#include "synsim/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_node ss_node;
typedef struct ss_link ss_link;

typedef enum ss_node_kind { SS_NODE_HOST = 0, SS_NODE_ROUTER = 1 } ss_node_kind;

/* TCP flags, as in the header's flag byte (RFC 9293 3.1). */
enum {
    SS_TCP_FIN = 0x01,
    SS_TCP_SYN = 0x02,
    SS_TCP_RST = 0x04,
    SS_TCP_PSH = 0x08,
    SS_TCP_ACK = 0x10
};

#define SS_IPPROTO_TCP 6
#define SS_IPV4_HEADER 20
#define SS_TCP_HEADER 20
#define SS_DEFAULT_TTL 64

/* The TCP header of a packet.  Options are kept as values; absent options
 * are zero / false (wscale: has_wscale false). */
typedef struct ss_tcp_header {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;
    uint16_t mss; /* 0: no MSS option */
    bool has_wscale;
    uint8_t wscale;
    bool sack_ok;
    bool has_ts;
    uint32_t tsval, tsecr;
} ss_tcp_header;

typedef struct ss_packet ss_packet;
struct ss_packet {
    uint64_t id;       /* unique in its simulator, in order of creation */
    uint32_t src, dst; /* IPv4 addresses, host order */
    uint8_t ttl;
    uint8_t protocol;
    uint32_t size;    /* bytes on the wire: IPv4 total length */
    uint32_t payload; /* TCP payload bytes (their contents are not modelled) */
    uint32_t conn;    /* id of the connection that sent it, for traces; 0: none */
    ss_tcp_header tcp;
    /* Private to the link while the packet is on it. */
    ss_time arrive_at;
    ss_packet *next;
    ss_link *link;
    uint8_t dir;
    bool lost;
    /* Private to pcap: bit i set once capture slot i wrote the packet. */
    uint64_t captured;
};

/* A packet from the pool, zeroed but for a fresh id, ttl 64, protocol TCP
 * and size 40 (IPv4 + TCP headers, no options, no payload). */
int ss_packet_new(ss_sim *sim, ss_packet **out);
void ss_packet_free(ss_sim *sim, ss_packet *packet);
/* Packets taken from the pool and not yet freed (a leak check). */
size_t ss_packets_live(ss_sim *sim);

/* ---- nodes ---------------------------------------------------------------- */

/* Names are unique in a simulator (1..63 bytes).  addr 0 asks for the next
 * free address of 10.0.0.0/16 in creation order (10.0.0.1, 10.0.0.2, ...);
 * routers get theirs from 10.255.0.0/16.  An address in use: SS_EEXIST. */
int ss_host_new(ss_sim *sim, const char *name, uint32_t addr, ss_node **out);
int ss_router_new(ss_sim *sim, const char *name, uint32_t addr, ss_node **out);

/* NULL when there is none. */
ss_node *ss_node_by_name(ss_sim *sim, const char *name);
ss_node *ss_node_by_addr(ss_sim *sim, uint32_t addr);
size_t ss_node_count(ss_sim *sim);
ss_node *ss_node_at(ss_sim *sim, size_t index);

const char *ss_node_name(const ss_node *node);
uint32_t ss_node_addr(const ss_node *node);
ss_node_kind ss_node_kind_of(const ss_node *node);
uint32_t ss_node_id(const ss_node *node); /* index in creation order */
ss_sim *ss_node_sim(const ss_node *node);

/* Crash and restart.  A crashed node drops every packet that reaches it
 * and sends nothing; whatever state it kept (its TCP connections) is lost.
 * A restarted node is up again with empty tables.  Both at once, or at a
 * later simulated time (at >= now). */
int ss_node_crash(ss_sim *sim, ss_node *node, ss_time at);
int ss_node_restart(ss_sim *sim, ss_node *node, ss_time at);
bool ss_node_is_up(const ss_node *node);
/* How many times the node has restarted. */
uint32_t ss_node_boots(const ss_node *node);
/* The layer above (TCP) registers what a crash wipes out. */
typedef void (*ss_node_reset_fn)(ss_sim *sim, ss_node *node, void *ctx);
void ss_node_set_reset(ss_node *node, ss_node_reset_fn fn, void *ctx);

/* Called for each packet addressed to this node; the callback owns it. */
typedef void (*ss_receive_fn)(ss_sim *sim, ss_node *node, ss_packet *packet, void *ctx);
void ss_node_set_receiver(ss_node *node, ss_receive_fn fn, void *ctx);

/* Send `packet` from `node` towards packet->dst.  Takes ownership in every
 * case.  Returns 0 when the packet was handed to a link or dropped for a
 * network reason (no route, queue full...: counted, never an error);
 * SS_EINVAL for a NULL argument; SS_EOTHERSIM if the node is not sim's. */
int ss_node_send(ss_sim *sim, ss_node *node, ss_packet *packet);

typedef struct ss_node_stats {
    uint64_t sent;      /* packets this node originated */
    uint64_t received;  /* packets delivered to this node as destination */
    uint64_t forwarded; /* packets routed on by this router */
    uint64_t dropped_no_route;
    uint64_t dropped_ttl;         /* TTL reached zero at this router */
    uint64_t dropped_not_mine;    /* a host got a packet for another address */
    uint64_t dropped_no_receiver; /* addressed here, but nothing listens */
    uint64_t dropped_down;        /* reached the node while it was crashed */
} ss_node_stats;
void ss_node_get_stats(const ss_node *node, ss_node_stats *out);

/* ---- links ---------------------------------------------------------------- */

typedef enum ss_loss_model {
    SS_LOSS_NONE = 0,
    SS_LOSS_BERNOULLI = 1, /* each packet lost with probability `loss` */
    SS_LOSS_GILBERT = 2    /* Gilbert-Elliott two-state channel */
} ss_loss_model;

typedef struct ss_link_config {
    int64_t rate_bps;       /* > 0 */
    ss_time delay;          /* propagation delay, >= 0 */
    uint32_t queue_packets; /* packets that may wait behind the one being sent */
    uint32_t mtu;           /* 68..65535 bytes */
    ss_loss_model loss_model;
    double loss; /* Bernoulli: probability in [0, 1] */
    /* Gilbert-Elliott: per packet the channel first moves (good->bad with
     * ge_good_to_bad, bad->good with ge_bad_to_good), then the packet is
     * lost with the new state's loss probability. */
    double ge_good_to_bad, ge_bad_to_good, ge_loss_good, ge_loss_bad;
} ss_link_config;

/* 1 Gbit/s, 1 ms, 1000 packets, MTU 1500, no loss. */
void ss_link_config_default(ss_link_config *config);

/* A duplex point-to-point link between a and b, the same config both ways.
 * Direction 0 carries a -> b, direction 1 b -> a.  Each direction draws its
 * losses from its own stream, named after the two nodes. */
int ss_link_new(ss_sim *sim, ss_node *a, ss_node *b, const ss_link_config *config, ss_link **out);
size_t ss_link_count(ss_sim *sim);
ss_link *ss_link_at(ss_sim *sim, size_t index);
ss_node *ss_link_end(const ss_link *link, int which); /* 0: a, 1: b */
void ss_link_get_config(const ss_link *link, ss_link_config *out);

/* Take the link down or up now.  Going down drops everything it is
 * carrying (queued, being sent, propagating); while down it drops what it
 * is offered.  Routes do not change: routing is static, as with fixed
 * routes on real hosts. */
int ss_link_set_up(ss_sim *sim, ss_link *link, bool up);
bool ss_link_is_up(const ss_link *link);
/* The same at a later simulated time (at >= now).  Changes scheduled for
 * the same instant apply in the order they were scheduled. */
int ss_link_schedule(ss_sim *sim, ss_link *link, ss_time at, bool up);

/* Per direction; always sent == delivered + every dropped_* + in_flight. */
typedef struct ss_link_stats {
    uint64_t sent; /* offered to the link */
    uint64_t delivered;
    uint64_t dropped_queue; /* drop-tail: the queue was full */
    uint64_t dropped_loss;  /* lost on the wire (loss model) */
    uint64_t dropped_down;  /* the link was down, or went down under it */
    uint64_t dropped_mtu;   /* larger than the MTU */
    uint64_t dropped_nomem; /* the event queue could not grow (see ss_sim_error) */
    uint64_t in_flight;     /* queued, being sent or propagating */
    uint64_t bytes_sent, bytes_delivered;
} ss_link_stats;
int ss_link_get_stats(const ss_link *link, int dir, ss_link_stats *out);

/* The link direction a packet from `from` to address `dst` leaves on, or
 * SS_ENOENT when there is no route (or dst is from's own address). */
int ss_route_lookup(ss_sim *sim, ss_node *from, uint32_t dst, ss_link **link, int *dir);

/* Parse / format dotted-quad IPv4 addresses (host order). */
int ss_addr_parse(const char *text, uint32_t *out);
void ss_addr_format(uint32_t addr, char buf[16]);

#ifdef __cplusplus
}
#endif
#endif
