/* A host's TCP: its tables, the demultiplexing of arriving segments, and the
 * identifiers it draws (initial sequence numbers, timestamps, ports). */
#include <stdio.h>
#include <string.h>

#include "synsim/error.h"
#include "tcp/tcp_internal.h"

#define OBJECTS_PER_BLOCK 64

static void pool_free(struct tcp_pool *pool)
{
    for (size_t i = 0; i < pool->block_count; i++)
        ss_free(pool->blocks[i]);
    ss_free(pool->blocks);
}

static void tcp_part_free(ss_sim *sim, void *part_ptr)
{
    struct tcp_part *part = part_ptr;
    struct ss_net *net = net_peek(sim);
    for (size_t i = 0; i < part->stack_cap; i++) {
        struct tcp_stack *stack = part->stacks[i];
        if (!stack)
            continue;
        ss_free(stack->conns.buckets);
        ss_free(stack->requests.buckets);
        ss_free(stack->proven);
        for (ss_tcp_listener *l = stack->listeners, *next; l; l = next) {
            next = l->next;
            ss_free(l);
        }
        if (net && i < net->node_count) {
            ss_node_set_receiver(net->nodes[i], NULL, NULL);
            ss_node_set_reset(net->nodes[i], NULL, NULL);
        }
        ss_free(stack);
    }
    /* Every connection and request lives in a block.  Their armed timers
     * need no cancelling: ss_sim_free() discarded the event queue before
     * any part, and timer calls are no-ops from then on. */
    pool_free(&part->conn_pool);
    pool_free(&part->request_pool);
    ss_free(part->records);
    ss_free(part->record_owner);
    ss_free(part->stacks);
    ss_free(part);
}

struct tcp_part *tcp_part_get(ss_sim *sim)
{
    struct tcp_part *part = sim->part[SS_PART_TCP];
    if (part)
        return part;
    part = ss_calloc(1, sizeof *part);
    if (part) {
        part->next_id = 1;
        ss_sim_attach(sim, SS_PART_TCP, part, tcp_part_free);
    }
    return part;
}

struct tcp_stack *tcp_stack_peek(ss_node *node)
{
    struct tcp_part *part = node->sim->part[SS_PART_TCP];
    return part && node->id < part->stack_cap ? part->stacks[node->id] : NULL;
}

/* Secrets are drawn anew at each boot, as Linux draws net_secret. */
static void seed_key(ss_sim *sim, ss_node *node, const char *purpose, ss_siphash_key *key)
{
    char name[SS_NAME_MAX + 48];
    ss_rng rng;
    snprintf(name, sizeof name, "tcp:%s:%s:%u", purpose, node->name, node->boots);
    ss_rng_seed(&rng, sim->seed, ss_stream_id(name));
    key->k0 = ss_rng_next(&rng);
    key->k1 = ss_rng_next(&rng);
}

static void seed_keys(struct tcp_stack *stack)
{
    seed_key(stack->sim, stack->node, "isn", &stack->isn_key);
    seed_key(stack->sim, stack->node, "ts", &stack->ts_key);
    seed_key(stack->sim, stack->node, "cookie0", &stack->cookie_key[0]);
    seed_key(stack->sim, stack->node, "cookie1", &stack->cookie_key[1]);
}

static void tcp_receive(ss_sim *sim, ss_node *node, ss_packet *p, void *ctx);

/* A crash or a restart: every connection and pending request is gone
 * without a word to the peer.  Listeners stay: the service comes back with
 * the host.  Counters span the whole simulation, not one boot. */
/* Connects scheduled for later (ss_tcp_connect_at) wait CLOSED, in no
 * table, on their state timer; a crash kills them like the rest of the
 * host's work.  Found by a walk over the pool, which a crash can afford. */
static void kill_pending_connects(struct tcp_stack *stack)
{
    struct tcp_part *part = stack->part;
    for (size_t b = 0; b < part->conn_pool.block_count; b++) {
        ss_tcp_conn *conns = part->conn_pool.blocks[b];
        for (size_t i = 0; i < OBJECTS_PER_BLOCK; i++) {
            ss_tcp_conn *c = &conns[i];
            if (c->stack != stack || c->state != SS_TCP_CLOSED || c->app_done || !ss_timer_armed(&c->state_timer))
                continue;
            ss_timer_cancel(stack->sim, &c->state_timer);
            c->refs++;
            tcp_notify_closed(c, EHOSTDOWN);
            c->refs--;
            tcp_maybe_recycle(c);
        }
    }
}

static void tcp_stack_reset(ss_sim *sim, ss_node *node, void *ctx)
{
    (void)sim;
    struct tcp_stack *stack = ctx;
    /* Every connection dies with EHOSTDOWN.  One pass over the buckets: a
     * closed callback may not add connections (the host is down), and
     * finishing removes a connection from its bucket. */
    for (size_t i = 0; stack->conns.count && i < stack->conns.size;) {
        if (stack->conns.buckets[i])
            tcp_conn_finish(conn_of(stack->conns.buckets[i]), EHOSTDOWN);
        else
            i++;
    }
    kill_pending_connects(stack);
    for (ss_tcp_listener *l = stack->listeners; l; l = l->next) {
        tcp_listener_flush(l);
        if (!l->closed)
            tcp_listener_drop_requests(l);
    }
    if (!node->down)
        seed_keys(stack);
}

int tcp_stack_get(ss_node *node, struct tcp_stack **out)
{
    struct tcp_stack *stack = tcp_stack_peek(node);
    if (stack) {
        *out = stack;
        return 0;
    }
    if (node->kind != SS_NODE_HOST)
        return SS_EINVAL;
    ss_sim *sim = node->sim;
    struct tcp_part *part = tcp_part_get(sim);
    if (!part)
        return SS_ENOMEM;
    size_t old_cap = part->stack_cap;
    if (ss_reserve(&part->stacks, &part->stack_cap, (size_t)node->id + 1, sizeof *part->stacks, 16) < 0)
        return SS_ENOMEM;
    memset(part->stacks + old_cap, 0, (part->stack_cap - old_cap) * sizeof *part->stacks);
    stack = ss_calloc(1, sizeof *stack);
    if (!stack)
        return SS_ENOMEM;
    stack->sim = sim;
    stack->node = node;
    stack->part = part;
    tcp_settings_default(&stack->settings);
    seed_keys(stack);
    /* The first ephemeral port is drawn per host, then ports go up by one;
     * Linux draws each from a hash of the destination as well. */
    ss_siphash_key port_key;
    seed_key(sim, node, "port", &port_key);
    stack->next_port = (uint16_t)(TCP_EPHEMERAL_LOW + port_key.k0 % (TCP_EPHEMERAL_HIGH - TCP_EPHEMERAL_LOW + 1));
    part->stacks[node->id] = stack;
    ss_node_set_receiver(node, tcp_receive, stack);
    ss_node_set_reset(node, tcp_stack_reset, stack);
    *out = stack;
    return 0;
}

uint32_t tcp_new_id(struct tcp_stack *stack)
{
    return stack->part->next_id++;
}

/* ---- pools ---------------------------------------------------------------------- */

/* A new zeroed block of `count` objects of `size` bytes in `pool`, or NULL.
 * Zeroed: a crash walks the connection pool (kill_pending_connects), and a
 * slot never used must read as no connection of any stack. */
static void *pool_grow(struct tcp_pool *pool, size_t count, size_t size)
{
    if (ss_reserve(&pool->blocks, &pool->block_cap, pool->block_count + 1, sizeof *pool->blocks, 8) < 0)
        return NULL;
    void *block = ss_calloc(count, size);
    if (block)
        pool->blocks[pool->block_count++] = block;
    return block;
}

static int conn_pool_grow(struct tcp_part *part)
{
    ss_tcp_conn *conns = pool_grow(&part->conn_pool, OBJECTS_PER_BLOCK, sizeof *conns);
    if (!conns)
        return SS_ENOMEM;
    for (size_t i = OBJECTS_PER_BLOCK; i-- > 0;) {
        conns[i].free_next = part->free_conns;
        part->free_conns = &conns[i];
    }
    return 0;
}

static int request_pool_grow(struct tcp_part *part)
{
    struct tcp_request *reqs = pool_grow(&part->request_pool, OBJECTS_PER_BLOCK, sizeof *reqs);
    if (!reqs)
        return SS_ENOMEM;
    for (size_t i = OBJECTS_PER_BLOCK; i-- > 0;) {
        reqs[i].free_next = part->free_requests;
        part->free_requests = &reqs[i];
    }
    return 0;
}

int tcp_conn_alloc(struct tcp_stack *stack, ss_tcp_conn **out)
{
    struct tcp_part *part = stack->part;
    if (!part->free_conns && conn_pool_grow(part) < 0)
        return SS_ENOMEM;
    ss_tcp_conn *c = part->free_conns;
    part->free_conns = c->free_next;
    *out = c;
    return 0;
}

void tcp_conn_recycle(struct tcp_stack *stack, ss_tcp_conn *c)
{
    tcp_record_release(c);
    c->live = false;
    c->generation++;
    c->free_next = stack->part->free_conns;
    stack->part->free_conns = c;
}

int tcp_request_alloc(struct tcp_stack *stack, struct tcp_request **out)
{
    struct tcp_part *part = stack->part;
    if (!part->free_requests && request_pool_grow(part) < 0)
        return SS_ENOMEM;
    struct tcp_request *r = part->free_requests;
    part->free_requests = r->free_next;
    memset(r, 0, sizeof *r);
    *out = r;
    return 0;
}

void tcp_request_free(struct tcp_stack *stack, struct tcp_request *req)
{
    ss_timer_cancel(stack->sim, &req->timer);
    req->free_next = stack->part->free_requests;
    stack->part->free_requests = req;
}

/* ---- identifiers ------------------------------------------------------------------------ */

uint32_t tcp_isn(struct tcp_stack *stack, const struct tcp_tuple *t)
{
    /* RFC 6528 3: F is a keyed hash of the connection's identity and M a
     * timer ticking every 4 microseconds.  (Linux's secure_tcp_seq() uses
     * SipHash too, with a 64 ns clock.) */
    uint32_t words[3] = {t->laddr, t->raddr, (uint32_t)t->lport << 16 | t->rport};
    uint32_t f = (uint32_t)ss_siphash_u32(&stack->isn_key, words, 3);
    uint32_t m = (uint32_t)(stack->sim->now / (4 * SS_USEC));
    return f + m;
}

uint32_t tcp_ts_offset(struct tcp_stack *stack, const struct tcp_tuple *t)
{
    /* As Linux's secure_tcp_ts_off(): a keyed hash of the address pair, so
     * TSval does not reveal the host's clock. */
    uint32_t words[2] = {t->laddr, t->raddr};
    return (uint32_t)ss_siphash_u32(&stack->ts_key, words, 2);
}

/* An open-addressing set of addresses; it only grows, with the number of
 * distinct peers that completed a handshake. */
static size_t proven_slot(const struct tcp_stack *stack, uint32_t addr)
{
    size_t j = (size_t)(addr * 2654435761u) & (stack->proven_size - 1);
    while (stack->proven[j] && stack->proven[j] != addr)
        j = (j + 1) & (stack->proven_size - 1);
    return j;
}

bool tcp_peer_is_proven(const struct tcp_stack *stack, uint32_t addr)
{
    return stack->proven_size && stack->proven[proven_slot(stack, addr)] == addr;
}

void tcp_remember_peer(struct tcp_stack *stack, uint32_t addr)
{
    if (!addr || tcp_peer_is_proven(stack, addr))
        return;
    if ((stack->proven_count + 1) * 2 > stack->proven_size) {
        size_t size = stack->proven_size ? stack->proven_size * 2 : 64;
        uint32_t *old = stack->proven;
        size_t old_size = stack->proven_size;
        uint32_t *grown = ss_calloc(size, sizeof *grown);
        if (!grown)
            return; /* forgetting a peer only costs it the last quarter */
        stack->proven = grown;
        stack->proven_size = size;
        for (size_t i = 0; i < old_size; i++)
            if (old[i])
                stack->proven[proven_slot(stack, old[i])] = old[i];
        ss_free(old);
    }
    stack->proven[proven_slot(stack, addr)] = addr;
    stack->proven_count++;
}

uint32_t tcp_now_ms(const struct tcp_stack *stack)
{
    return (uint32_t)(stack->sim->now / SS_MSEC);
}

uint16_t tcp_route_mss(struct tcp_stack *stack, uint32_t raddr)
{
    ss_link *link;
    int dir;
    if (ss_route_lookup(stack->sim, stack->node, raddr, &link, &dir) < 0)
        return TCP_DEFAULT_MSS;
    return (uint16_t)(link->config.mtu - SS_IPV4_HEADER - SS_TCP_HEADER);
}

/* ---- arrival: which object gets the segment -------------------------------------------------- */

static void tcp_closed_port_input(struct tcp_stack *stack, ss_packet *p)
{
    /* RFC 9293 3.10.7.1: no connection, no listener: everything but a RST
     * is answered with a RST. */
    if (!(p->tcp.flags & SS_TCP_RST))
        tcp_send_reset_for(stack, p, 0);
}

static void tcp_receive(ss_sim *sim, ss_node *node, ss_packet *p, void *ctx)
{
    (void)node;
    struct tcp_stack *stack = ctx;
    if (p->protocol != SS_IPPROTO_TCP) {
        ss_packet_free(sim, p);
        return;
    }
    stack->counters.InSegs++;
    struct tcp_tuple t = {p->dst, p->src, p->tcp.dport, p->tcp.sport};
    ss_tcp_conn *c = conn_of(tcp_table_find(&stack->conns, &t));
    if (c) {
        tcp_conn_input(c, p);
    } else {
        struct tcp_request *req = request_of(tcp_table_find(&stack->requests, &t));
        ss_tcp_listener *l = req ? NULL : tcp_listener_find(stack, t.lport);
        if (req)
            tcp_request_input(req, p);
        else if (l)
            tcp_listener_input(l, p, false);
        else
            tcp_closed_port_input(stack, p);
    }
    ss_packet_free(sim, p);
}
