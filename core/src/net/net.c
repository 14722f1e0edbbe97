/* The network part of a simulator: its creation and release, the address
 * table, and address text. */
#include <stdio.h>
#include <string.h>

#include "net/net_internal.h"
#include "synsim/error.h"

static void net_free(ss_sim *sim, void *part)
{
    struct ss_net *net = part;
    pcap_close_all(net);
    net_free_links(net);
    for (size_t i = 0; i < net->node_count; i++) {
        updown_destroy(sim, &net->nodes[i]->schedule);
        ss_free(net->nodes[i]->ports);
        ss_free(net->nodes[i]);
    }
    ss_free(net->nodes);
    ss_free(net->addr_table);
    ss_free(net->name_table);
    net_routes_forget(net);
    ss_free(net->route_to);
    net_free_packets(net);
    ss_free(net);
}

struct ss_net *net_get(ss_sim *sim)
{
    struct ss_net *net = sim->part[SS_PART_NET];
    if (net)
        return net;
    net = ss_calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->next_host_addr = (10u << 24) | 1;             /* 10.0.0.1 */
    net->next_router_addr = (10u << 24) | (255u << 16) | 1; /* 10.255.0.1 */
    net->next_packet_id = 1;
    ss_sim_attach(sim, SS_PART_NET, net, net_free);
    return net;
}

/* Two open-addressing tables of node indices, one by address and one by
 * name, both kept at most half full and grown together before a node is
 * added, so that adding one cannot fail halfway and lookups stay O(1)
 * however many nodes there are. */
static size_t addr_hash(uint32_t addr, size_t size)
{
    return (size_t)((addr * 2654435761u) & (size - 1));
}

static size_t name_hash(const char *name, size_t size)
{
    uint64_t h = ss_stream_id(name);
    return (size_t)((h ^ (h >> 29)) & (size - 1));
}

static void addr_place(struct addr_slot *table, size_t size, struct addr_slot s)
{
    size_t j = addr_hash(s.addr, size);
    while (table[j].node_plus_one)
        j = (j + 1) & (size - 1);
    table[j] = s;
}

static void name_place(struct ss_net *net, uint32_t *table, size_t size, uint32_t node_plus_one)
{
    size_t j = name_hash(net->nodes[node_plus_one - 1]->name, size);
    while (table[j])
        j = (j + 1) & (size - 1);
    table[j] = node_plus_one;
}

static int tables_grow(struct ss_net *net)
{
    size_t size = net->addr_table_size ? net->addr_table_size * 2 : 64;
    struct addr_slot *addrs = ss_calloc(size, sizeof *addrs);
    uint32_t *names = ss_calloc(size, sizeof *names);
    if (!addrs || !names) {
        ss_free(addrs);
        ss_free(names);
        return SS_ENOMEM;
    }
    for (size_t i = 0; i < net->addr_table_size; i++) {
        if (net->addr_table[i].node_plus_one)
            addr_place(addrs, size, net->addr_table[i]);
        if (net->name_table[i])
            name_place(net, names, size, net->name_table[i]);
    }
    ss_free(net->addr_table);
    ss_free(net->name_table);
    net->addr_table = addrs;
    net->name_table = names;
    net->addr_table_size = size;
    return 0;
}

int net_tables_reserve(struct ss_net *net)
{
    if ((net->node_count + 1) * 2 > net->addr_table_size)
        return tables_grow(net);
    return 0;
}

void net_tables_insert(struct ss_net *net, const ss_node *node)
{
    addr_place(net->addr_table, net->addr_table_size, (struct addr_slot){node->addr, node->id + 1});
    name_place(net, net->name_table, net->addr_table_size, node->id + 1);
}

ss_node *net_node_by_name(struct ss_net *net, const char *name)
{
    if (!net->addr_table_size)
        return NULL;
    size_t j = name_hash(name, net->addr_table_size);
    while (net->name_table[j]) {
        ss_node *n = net->nodes[net->name_table[j] - 1];
        if (strcmp(n->name, name) == 0)
            return n;
        j = (j + 1) & (net->addr_table_size - 1);
    }
    return NULL;
}

ss_node *ss_node_by_addr(ss_sim *sim, uint32_t addr)
{
    struct ss_net *net = sim ? net_peek(sim) : NULL;
    if (!net || !net->addr_table_size)
        return NULL;
    size_t j = addr_hash(addr, net->addr_table_size);
    while (net->addr_table[j].node_plus_one) {
        if (net->addr_table[j].addr == addr)
            return net->nodes[net->addr_table[j].node_plus_one - 1];
        j = (j + 1) & (net->addr_table_size - 1);
    }
    return NULL;
}

int ss_addr_parse(const char *text, uint32_t *out)
{
    if (!text || !out)
        return SS_EINVAL;
    uint32_t addr = 0;
    const char *p = text;
    for (int part = 0; part < 4; part++) {
        if (*p < '0' || *p > '9')
            return SS_EINVAL;
        unsigned value = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            value = value * 10 + (unsigned)(*p++ - '0');
            if (++digits > 3 || value > 255)
                return SS_EINVAL;
        }
        addr = (addr << 8) | value;
        if (part < 3 && *p++ != '.')
            return SS_EINVAL;
    }
    if (*p)
        return SS_EINVAL;
    *out = addr;
    return 0;
}

void ss_addr_format(uint32_t addr, char buf[16])
{
    if (!buf)
        return;
    snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
}

void net_trace(ss_sim *sim, ss_trace_kind kind, const ss_node *node, ss_packet *packet,
               const ss_link *link, int dir, ss_drop_cause cause)
{
    struct ss_net *net = net_peek(sim);
    if (net->captures && kind != SS_TRACE_DROP && node)
        pcap_node_event(sim, net, node, packet);
    if (!trace_wants(sim, kind))
        return;
    ss_trace_record r = {
        .time = sim->now,
        .packet = packet->id,
        .node = node ? node->id : UINT32_MAX,
        .link = link ? link->index + 1 : 0,
        .src = packet->src,
        .dst = packet->dst,
        .seq = packet->tcp.seq,
        .ack = packet->tcp.ack,
        .size = packet->size,
        .payload = packet->payload,
        .sport = packet->tcp.sport,
        .dport = packet->tcp.dport,
        .kind = (uint8_t)kind,
        .cause = (uint8_t)cause,
        .flags = packet->tcp.flags,
        .dir = (uint8_t)dir,
        .conn = packet->conn,
    };
    trace_append(sim, &r);
}
