/* Static shortest-path routing.
 *
 * The simulator computes every route; users never write one.  A route is
 * the path of fewest hops; among equal paths the one through the
 * earliest-created link wins, so routes depend only on the topology and the
 * order it was built in.  Routes are computed once after the topology
 * changes (breadth-first search from each destination) and do not follow
 * link state: a link that is down drops what is routed over it. */
#include <string.h>

#include "net/net_internal.h"
#include "synsim/error.h"

int net_routes_build(ss_sim *sim, struct ss_net *net)
{
    (void)sim;
    size_t n = net->node_count;
    uint32_t *routes = ss_calloc(n * n, sizeof *routes);
    uint32_t *queue = ss_malloc(n * sizeof *queue);
    uint8_t *seen = ss_malloc(n);
    if (!routes || !queue || !seen) {
        ss_free(routes);
        ss_free(queue);
        ss_free(seen);
        return SS_ENOMEM;
    }
    for (size_t dst = 0; dst < n; dst++) {
        /* Search outwards from dst; the node that discovers u is u's next
         * hop towards dst, over the port of u that leads to it. */
        memset(seen, 0, n);
        size_t head = 0, tail = 0;
        queue[tail++] = (uint32_t)dst;
        seen[dst] = 1;
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
                        routes[(size_t)u->id * n + dst] = (uint32_t)j + 1;
                        break;
                    }
                }
            }
        }
    }
    ss_free(queue);
    ss_free(seen);
    ss_free(net->routes);
    net->routes = routes;
    net->routes_valid = true;
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
    if (!net->routes_valid) {
        int rc = net_routes_build(sim, net);
        if (rc < 0)
            return rc;
    }
    uint32_t port = net->routes[(size_t)from->id * net->node_count + to->id];
    if (!port)
        return SS_ENOENT;
    *link = from->ports[port - 1].link;
    *dir = from->ports[port - 1].dir;
    return 0;
}
