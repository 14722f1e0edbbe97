/* Hosts and routers: creation, lookup, sending, and what a node does with
 * a packet that reaches it. */
#include <string.h>

#include "net/net_internal.h"
#include "synsim/error.h"

static bool name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n >= 1 && n <= SS_NAME_MAX;
}

/* Next free address from *next, skipping addresses already taken. */
static uint32_t next_free_addr(ss_sim *sim, uint32_t *next)
{
    while (ss_node_by_addr(sim, *next) || (*next & 255) == 0 || (*next & 255) == 255)
        (*next)++;
    return (*next)++;
}

static void node_apply_change(ss_sim *sim, void *node, bool up);

static int node_new(ss_sim *sim, ss_node_kind kind, const char *name, uint32_t addr, ss_node **out)
{
    if (!sim || !out || !name_valid(name))
        return SS_EINVAL;
    *out = NULL;
    struct ss_net *net = net_get(sim);
    if (!net)
        return SS_ENOMEM;
    if (ss_node_by_name(sim, name))
        return SS_EEXIST;
    if (addr == 0)
        addr = next_free_addr(sim, kind == SS_NODE_HOST ? &net->next_host_addr : &net->next_router_addr);
    else if (ss_node_by_addr(sim, addr))
        return SS_EEXIST;
    if (addr == UINT32_MAX)
        return SS_EINVAL;
    if (ss_reserve(&net->nodes, &net->node_cap, net->node_count + 1, sizeof *net->nodes, 16) < 0 ||
        net_tables_reserve(net) < 0)
        return SS_ENOMEM;
    ss_node *node = ss_calloc(1, sizeof *node);
    if (!node)
        return SS_ENOMEM;
    node->sim = sim;
    node->id = (uint32_t)net->node_count;
    node->kind = kind;
    node->addr = addr;
    strcpy(node->name, name);
    updown_init(&node->schedule, node_apply_change, node);
    net->nodes[net->node_count++] = node;
    net_tables_insert(net, node);
    net->routes_valid = false;
    *out = node;
    return 0;
}

int ss_host_new(ss_sim *sim, const char *name, uint32_t addr, ss_node **out)
{
    return node_new(sim, SS_NODE_HOST, name, addr, out);
}

int ss_router_new(ss_sim *sim, const char *name, uint32_t addr, ss_node **out)
{
    return node_new(sim, SS_NODE_ROUTER, name, addr, out);
}

ss_node *ss_node_by_name(ss_sim *sim, const char *name)
{
    struct ss_net *net = sim ? net_peek(sim) : NULL;
    if (!net || !name)
        return NULL;
    return net_node_by_name(net, name);
}

size_t ss_node_count(ss_sim *sim)
{
    struct ss_net *net = sim ? net_peek(sim) : NULL;
    return net ? net->node_count : 0;
}

ss_node *ss_node_at(ss_sim *sim, size_t index)
{
    struct ss_net *net = sim ? net_peek(sim) : NULL;
    return net && index < net->node_count ? net->nodes[index] : NULL;
}

const char *ss_node_name(const ss_node *node) { return node ? node->name : ""; }
uint32_t ss_node_addr(const ss_node *node) { return node ? node->addr : 0; }
ss_node_kind ss_node_kind_of(const ss_node *node) { return node ? node->kind : SS_NODE_HOST; }
uint32_t ss_node_id(const ss_node *node) { return node ? node->id : 0; }
ss_sim *ss_node_sim(const ss_node *node) { return node ? node->sim : NULL; }

void ss_node_set_receiver(ss_node *node, ss_receive_fn fn, void *ctx)
{
    if (!node)
        return;
    node->receiver = fn;
    node->receiver_ctx = ctx;
}

void ss_node_get_stats(const ss_node *node, ss_node_stats *out)
{
    if (out)
        *out = node ? node->stats : (ss_node_stats){0};
}

static void node_drop(ss_sim *sim, ss_node *node, ss_packet *packet, ss_drop_cause cause,
                      uint64_t *counter)
{
    (*counter)++;
    net_trace(sim, SS_TRACE_DROP, node, packet, NULL, 0, cause);
    ss_packet_free(sim, packet);
}

/* Route a packet out of `node`, whether it starts here or passes through. */
static void node_route(ss_sim *sim, ss_node *node, ss_packet *packet)
{
    ss_link *link;
    int dir;
    int rc = ss_route_lookup(sim, node, packet->dst, &link, &dir);
    if (rc == SS_ENOMEM)
        ss_sim_fail(sim, rc);
    if (rc < 0) {
        node_drop(sim, node, packet, SS_DROP_NO_ROUTE, &node->stats.dropped_no_route);
        return;
    }
    link_transmit(sim, link, dir, packet);
}

int ss_node_send(ss_sim *sim, ss_node *node, ss_packet *packet)
{
    if (!sim || !node || !packet) {
        if (sim && packet)
            ss_packet_free(sim, packet);
        return SS_EINVAL;
    }
    if (node->sim != sim) {
        ss_packet_free(sim, packet);
        return SS_EOTHERSIM;
    }
    if (node->down) {
        node_drop(sim, node, packet, SS_DROP_HOST_DOWN, &node->stats.dropped_down);
        return 0;
    }
    if (packet->src == 0)
        packet->src = node->addr;
    node->stats.sent++;
    net_trace(sim, SS_TRACE_SEND, node, packet, NULL, 0, SS_DROP_NONE);
    node_route(sim, node, packet);
    return 0;
}

void node_arrive(ss_sim *sim, ss_node *node, ss_packet *packet, ss_link *link, int dir)
{
    if (node->down) {
        node_drop(sim, node, packet, SS_DROP_HOST_DOWN, &node->stats.dropped_down);
        return;
    }
    if (packet->dst == node->addr) {
        node->stats.received++;
        net_trace(sim, SS_TRACE_RECV, node, packet, link, dir, SS_DROP_NONE);
        if (!node->receiver) {
            node_drop(sim, node, packet, SS_DROP_NO_RECEIVER, &node->stats.dropped_no_receiver);
            return;
        }
        node->receiver(sim, node, packet, node->receiver_ctx);
        return;
    }
    if (node->kind != SS_NODE_ROUTER) {
        node_drop(sim, node, packet, SS_DROP_NOT_MINE, &node->stats.dropped_not_mine);
        return;
    }
    /* RFC 1812 5.3.1: a router decrements TTL and discards at zero. */
    if (packet->ttl <= 1) {
        node_drop(sim, node, packet, SS_DROP_TTL, &node->stats.dropped_ttl);
        return;
    }
    packet->ttl--;
    node->stats.forwarded++;
    net_trace(sim, SS_TRACE_FORWARD, node, packet, link, dir, SS_DROP_NONE);
    node_route(sim, node, packet);
}

/* ---- crash and restart ------------------------------------------------------ */

static void node_set_up(ss_sim *sim, ss_node *node, bool up)
{
    if (up == !node->down)
        return;
    node->down = !up;
    if (up)
        node->boots++;
    /* Both a crash and a restart leave the node with nothing it knew. */
    if (node->reset)
        node->reset(sim, node, node->reset_ctx);
}

static void node_apply_change(ss_sim *sim, void *node, bool up)
{
    node_set_up(sim, node, up);
}

static int node_change(ss_sim *sim, ss_node *node, ss_time at, bool up)
{
    if (!sim || !node)
        return SS_EINVAL;
    if (node->sim != sim)
        return SS_EOTHERSIM;
    if (at < sim->now)
        return SS_EINVAL;
    if (at == sim->now) {
        node_set_up(sim, node, up);
        return 0;
    }
    return updown_add(sim, &node->schedule, at, up);
}

int ss_node_crash(ss_sim *sim, ss_node *node, ss_time at) { return node_change(sim, node, at, false); }
int ss_node_restart(ss_sim *sim, ss_node *node, ss_time at) { return node_change(sim, node, at, true); }
bool ss_node_is_up(const ss_node *node) { return node && !node->down; }
uint32_t ss_node_boots(const ss_node *node) { return node ? node->boots : 0; }

void ss_node_set_reset(ss_node *node, ss_node_reset_fn fn, void *ctx)
{
    if (!node)
        return;
    node->reset = fn;
    node->reset_ctx = ctx;
}
