/* The packet pool: packets are carved from blocks that are kept for the
 * simulator's life and recycled through a free list, so that steady-state
 * traffic allocates nothing. */
#include <string.h>

#include "net/net_internal.h"
#include "synsim/error.h"

#define PACKETS_PER_BLOCK 256

static int pool_grow(struct ss_net *net)
{
    void **blocks = ss_realloc(net->packet_blocks, (net->packet_block_count + 1) * sizeof *blocks);
    if (!blocks)
        return SS_ENOMEM;
    net->packet_blocks = blocks;
    ss_packet *block = ss_malloc(PACKETS_PER_BLOCK * sizeof *block);
    if (!block)
        return SS_ENOMEM;
    net->packet_blocks[net->packet_block_count++] = block;
    for (size_t i = 0; i < PACKETS_PER_BLOCK; i++) {
        block[i].next = net->free_packets;
        net->free_packets = &block[i];
    }
    net->packets_total += PACKETS_PER_BLOCK;
    return 0;
}

int ss_packet_new(ss_sim *sim, ss_packet **out)
{
    if (!sim || !out)
        return SS_EINVAL;
    *out = NULL;
    struct ss_net *net = net_get(sim);
    if (!net)
        return SS_ENOMEM;
    if (!net->free_packets) {
        int rc = pool_grow(net);
        if (rc < 0)
            return rc;
    }
    ss_packet *p = net->free_packets;
    net->free_packets = p->next;
    memset(p, 0, sizeof *p);
    p->id = net->next_packet_id++;
    p->ttl = SS_DEFAULT_TTL;
    p->protocol = SS_IPPROTO_TCP;
    p->size = SS_IPV4_HEADER + SS_TCP_HEADER;
    net->packets_live++;
    *out = p;
    return 0;
}

void ss_packet_free(ss_sim *sim, ss_packet *packet)
{
    if (!sim || !packet)
        return;
    struct ss_net *net = net_peek(sim);
    packet->next = net->free_packets;
    net->free_packets = packet;
    net->packets_live--;
}

void net_packets_forget_capture(struct ss_net *net, uint64_t slot)
{
    for (size_t b = 0; b < net->packet_block_count; b++) {
        ss_packet *block = net->packet_blocks[b];
        for (size_t i = 0; i < PACKETS_PER_BLOCK; i++)
            block[i].captured &= ~slot;
    }
}

size_t ss_packets_live(ss_sim *sim)
{
    struct ss_net *net = sim ? net_peek(sim) : NULL;
    return net ? net->packets_live : 0;
}

void net_free_packets(struct ss_net *net)
{
    for (size_t i = 0; i < net->packet_block_count; i++)
        ss_free(net->packet_blocks[i]);
    ss_free(net->packet_blocks);
}
