/* Static shortest-path routing.
 *
 * The simulator computes every route; users never write one.  A route is
 * the path of fewest hops; among equal paths the one through the
 * earliest-created link wins, so routes depend only on the topology and the
 * order it was built in.  Routes do not follow link state: a link that is
 * down drops what is routed over it.
 *
 * Routes towards a destination come from one breadth-first search from it
 * (the node that discovers u is u's next hop), run when a packet first
 * needs it after the topology changed, and cached: memory and time follow
 * the destinations in use, never nodes x nodes.  A host with a single link
 * to a router shares that router's search ("anchor"): outwards from the
 * host, the search's first step is the router and everything after it is
 * the router's own search, so every route is the same, and 100,000 hosts
 * behind 1,000 routers need 1,000 searches. */
#include <string.h>

#include "net/net_internal.h"
#include "synsim/error.h"

/* The node whose search serves `dst`: its router when dst is a host on a
 * single link to a router, else dst itself. */
static ss_node *anchor_of(ss_node *dst)
{
    if (dst->kind == SS_NODE_HOST && dst->port_count == 1) {
        const struct port *p = &dst->ports[0];
        ss_node *peer = p->link->dir[p->dir].to;
        if (peer->kind == SS_NODE_ROUTER)
            return peer;
    }
    return dst;
}

void net_routes_forget(struct ss_net *net)
{
    for (size_t i = 0; i < net->route_cap; i++) {
        ss_free(net->route_to[i]);
        net->route_to[i] = NULL;
    }
    net->routes_valid = true;
}

/* ports[u]: u's port index + 1 towards `dst`, 0 where dst is unreachable. */
static int search_from(struct ss_net *net, ss_node *dst, uint32_t **out)
{
    size_t n = net->node_count;
    uint32_t *ports = ss_calloc(n, sizeof *ports);
    uint32_t *queue = ss_malloc(n * sizeof *queue);
    uint8_t *seen = ss_calloc(n, 1);
    if (!ports || !queue || !seen) {
        ss_free(ports);
        ss_free(queue);
        ss_free(seen);
        return SS_ENOMEM;
    }
    size_t head = 0, tail = 0;
    queue[tail++] = dst->id;
    seen[dst->id] = 1;
    while (head < tail) {
        ss_node *v = net->nodes[queue[head++]];
        for (size_t i = 0; i < v->port_count; i++) {
            struct link_dir *d = &v->ports[i].link->dir[v->ports[i].dir];
            ss_node *u = d->to;
            if (seen[u->id])
                continue;
            seen[u->id] = 1;
            /* Hosts do not forward, so a path may pass only routers. */
            if (u->kind == SS_NODE_ROUTER)
                queue[tail++] = u->id;
            /* u's port on the same link, facing v */
            for (size_t j = 0; j < u->port_count; j++) {
                if (u->ports[j].link == v->ports[i].link && u->ports[j].dir != v->ports[i].dir) {
                    ports[u->id] = (uint32_t)j + 1;
                    break;
                }
            }
        }
    }
    ss_free(queue);
    ss_free(seen);
    *out = ports;
    return 0;
}

/* The search for anchor `a`, from the cache or run now. */
static int routes_towards(struct ss_net *net, ss_node *a, const uint32_t **out)
{
    if (!net->routes_valid)
        net_routes_forget(net);
    if (a->id >= net->route_cap) {
        size_t old = net->route_cap;
        if (ss_reserve(&net->route_to, &net->route_cap, net->node_count, sizeof *net->route_to, 16) < 0)
            return SS_ENOMEM;
        for (size_t i = old; i < net->route_cap; i++)
            net->route_to[i] = NULL;
    }
    if (!net->route_to[a->id]) {
        int rc = search_from(net, a, &net->route_to[a->id]);
        if (rc < 0)
            return rc;
    }
    *out = net->route_to[a->id];
    return 0;
}

int ss_route_lookup(ss_sim *sim, ss_node *from, uint32_t dst, ss_link **link, int *dir)
{
    if (!sim || !from || !link || !dir)
        return SS_EINVAL;
    struct ss_net *net = net_peek(sim);
    ss_node *to = ss_node_by_addr(sim, dst);
    if (!to || to == from)
        return SS_ENOENT;
    ss_node *anchor = anchor_of(to);
    uint32_t port;
    if (from == anchor && anchor != to) {
        /* the anchor router hands the packet to its host */
        port = 0;
        for (size_t j = 0; j < from->port_count; j++)
            if (from->ports[j].link == to->ports[0].link && from->ports[j].dir != to->ports[0].dir) {
                port = (uint32_t)j + 1;
                break;
            }
    } else {
        const uint32_t *ports;
        int rc = routes_towards(net, anchor, &ports);
        if (rc < 0)
            return rc;
        /* the host itself is not reachable from where the anchor is not */
        port = ports[from->id];
    }
    if (!port)
        return SS_ENOENT;
    *link = from->ports[port - 1].link;
    *dir = from->ports[port - 1].dir;
    return 0;
}
