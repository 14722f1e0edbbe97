/* Duplex point-to-point links: drop-tail queue, serialisation at the link
 * rate, loss, propagation delay, and up/down.
 *
 * A packet offered at time t to an idle direction starts at t, otherwise
 * when the packet ahead finishes; it takes ceil(size * 8 / rate) to send and
 * arrives `delay` after it is sent.  Since the rate and the delay are fixed,
 * the arrival time is known when the packet is accepted: one timer, embedded
 * in the packet, per packet. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "net/net_internal.h"
#include "synsim/error.h"

void ss_link_config_default(ss_link_config *config)
{
    if (!config)
        return;
    *config = (ss_link_config){
        .rate_bps = 1000000000,
        .delay = 1 * SS_MSEC,
        .queue_packets = 1000,
        .mtu = 1500,
        .loss_model = SS_LOSS_NONE,
    };
}

static bool probability(double p)
{
    return p >= 0.0 && p <= 1.0; /* false for NaN */
}

static int config_check(const ss_link_config *c)
{
    if (c->rate_bps <= 0 || c->delay < 0 || c->mtu < 68 || c->mtu > 65535)
        return SS_ERANGE;
    if (c->queue_packets > (1u << 26)) /* 64 Mi packets: beyond any real queue */
        return SS_ERANGE;
    switch (c->loss_model) {
    case SS_LOSS_NONE:
        return 0;
    case SS_LOSS_BERNOULLI:
        return probability(c->loss) ? 0 : SS_ERANGE;
    case SS_LOSS_GILBERT:
        return probability(c->ge_good_to_bad) && probability(c->ge_bad_to_good) &&
                       probability(c->ge_loss_good) && probability(c->ge_loss_bad)
                   ? 0
                   : SS_ERANGE;
    default:
        return SS_EINVAL;
    }
}

static void link_arrive(ss_sim *sim, ss_timer *timer, void *ctx);
static void link_apply_change(ss_sim *sim, void *link, bool up);

/* The stream of a direction is named after its ends and how many links
 * already join them, so that it does not depend on anything else. */
static void dir_seed(ss_sim *sim, struct link_dir *d)
{
    /* The stream is named by the endpoints and by how many links already
     * join them (parallel links), counted over the ports of the endpoint
     * with fewer: O(smaller degree), not O(links), so that building 100,000
     * host links stays linear. */
    ss_node *few = d->from->port_count <= d->to->port_count ? d->from : d->to;
    ss_node *other = few == d->from ? d->to : d->from;
    unsigned parallel = 0;
    for (size_t i = 0; i < few->port_count; i++)
        parallel += few->ports[i].link->dir[few->ports[i].dir].to == other;
    char name[2 * SS_NAME_MAX + 32];
    snprintf(name, sizeof name, "link:%s>%s#%u", d->from->name, d->to->name, parallel);
    ss_rng_seed(&d->rng, sim->seed, ss_stream_id(name));
}

static int add_port(ss_node *node, ss_link *link, int dir)
{
    if (ss_reserve(&node->ports, &node->port_cap, node->port_count + 1, sizeof *node->ports, 4) < 0)
        return SS_ENOMEM;
    node->ports[node->port_count++] = (struct port){link, (uint8_t)dir};
    return 0;
}

static void link_release(ss_link *link)
{
    ss_free(link->dir[0].finish);
    ss_free(link->dir[1].finish);
    updown_destroy(link->sim, &link->schedule);
    ss_free(link);
}

int ss_link_new(ss_sim *sim, ss_node *a, ss_node *b, const ss_link_config *config, ss_link **out)
{
    if (!sim || !a || !b || !config || !out)
        return SS_EINVAL;
    *out = NULL;
    if (a->sim != sim || b->sim != sim)
        return SS_EOTHERSIM;
    if (a == b)
        return SS_EINVAL;
    int rc = config_check(config);
    if (rc < 0)
        return rc;
    struct ss_net *net = net_peek(sim);
    if (ss_reserve(&net->links, &net->link_cap, net->link_count + 1, sizeof *net->links, 16) < 0)
        return SS_ENOMEM;
    ss_link *link = ss_calloc(1, sizeof *link);
    if (!link)
        return SS_ENOMEM;
    link->sim = sim;
    link->index = (uint32_t)net->link_count;
    link->config = *config;
    link->up = true;
    updown_init(&link->schedule, link_apply_change, link);
    for (int k = 0; k < 2; k++) {
        struct link_dir *d = &link->dir[k];
        d->from = k == 0 ? a : b;
        d->to = k == 0 ? b : a;
        ss_timer_init(&d->timer, link_arrive, d);
        d->finish = ss_malloc(((size_t)config->queue_packets + 1) * sizeof *d->finish);
        if (!d->finish) {
            link_release(link);
            return SS_ENOMEM;
        }
        dir_seed(sim, d);
    }
    if (add_port(a, link, 0) < 0) {
        link_release(link);
        return SS_ENOMEM;
    }
    if (add_port(b, link, 1) < 0) {
        a->port_count--;
        link_release(link);
        return SS_ENOMEM;
    }
    net->links[net->link_count++] = link;
    net->routes_valid = false;
    *out = link;
    return 0;
}

/* Cancel what every link still carries, then free the links. */
void net_free_links(struct ss_net *net)
{
    for (size_t i = 0; i < net->link_count; i++) {
        ss_link *link = net->links[i];
        for (int k = 0; k < 2; k++)
            ss_timer_cancel(link->sim, &link->dir[k].timer);
        link_release(link);
    }
    ss_free(net->links);
}

size_t ss_link_count(ss_sim *sim)
{
    struct ss_net *net = sim ? net_peek(sim) : NULL;
    return net ? net->link_count : 0;
}

ss_link *ss_link_at(ss_sim *sim, size_t index)
{
    struct ss_net *net = sim ? net_peek(sim) : NULL;
    return net && index < net->link_count ? net->links[index] : NULL;
}

ss_node *ss_link_end(const ss_link *link, int which)
{
    if (!link || (which != 0 && which != 1))
        return NULL;
    return which == 0 ? link->dir[0].from : link->dir[0].to;
}

void ss_link_get_config(const ss_link *link, ss_link_config *out)
{
    if (out)
        *out = link ? link->config : (ss_link_config){0};
}

int ss_link_get_stats(const ss_link *link, int dir, ss_link_stats *out)
{
    if (!link || !out || (dir != 0 && dir != 1))
        return SS_EINVAL;
    *out = link->dir[dir].stats;
    return 0;
}

bool ss_link_is_up(const ss_link *link) { return link && link->up; }

/* ---- sending -------------------------------------------------------------- */

static ss_time transmission_time(const ss_link *link, uint32_t size)
{
    /* ceil(size * 8 s / rate), as quotient plus one for a remainder: the
     * product is at most 65535 * 8e9, far inside int64, and the rate may be
     * as large as INT64_MAX without an overflow in the rounding. */
    int64_t bits_ns = (int64_t)size * 8 * SS_SEC;
    int64_t rate = link->config.rate_bps;
    return bits_ns / rate + (bits_ns % rate != 0);
}

/* Forget packets whose transmission has finished; return how many are
 * being sent or waiting. */
static uint32_t unfinished(struct link_dir *d, uint32_t ring, ss_time now)
{
    while (d->finish_len && d->finish[d->finish_head] <= now) {
        d->finish_head = (d->finish_head + 1) % ring;
        d->finish_len--;
    }
    return d->finish_len;
}

static bool draw_loss(const ss_link_config *c, struct link_dir *d)
{
    switch (c->loss_model) {
    case SS_LOSS_BERNOULLI:
        return ss_rng_bernoulli(&d->rng, c->loss);
    case SS_LOSS_GILBERT:
        if (d->ge_bad)
            d->ge_bad = !ss_rng_bernoulli(&d->rng, c->ge_bad_to_good);
        else
            d->ge_bad = ss_rng_bernoulli(&d->rng, c->ge_good_to_bad);
        return ss_rng_bernoulli(&d->rng, d->ge_bad ? c->ge_loss_bad : c->ge_loss_good);
    default:
        return false;
    }
}

static void dir_drop(ss_sim *sim, ss_link *link, int dir, ss_packet *packet, ss_drop_cause cause,
                     uint64_t *counter)
{
    (*counter)++;
    net_trace(sim, SS_TRACE_DROP, link->dir[dir].from, packet, link, dir, cause);
    ss_packet_free(sim, packet);
}

void link_transmit(ss_sim *sim, ss_link *link, int dir, ss_packet *packet)
{
    struct link_dir *d = &link->dir[dir];
    d->stats.sent++;
    d->stats.bytes_sent += packet->size;
    if (!link->up) {
        dir_drop(sim, link, dir, packet, SS_DROP_DOWN, &d->stats.dropped_down);
        return;
    }
    if (packet->size > link->config.mtu) {
        dir_drop(sim, link, dir, packet, SS_DROP_MTU, &d->stats.dropped_mtu);
        return;
    }
    uint32_t ring = link->config.queue_packets + 1;
    if (unfinished(d, ring, sim->now) >= ring) {
        dir_drop(sim, link, dir, packet, SS_DROP_QUEUE, &d->stats.dropped_queue);
        return;
    }
    ss_time start = d->busy_until > sim->now ? d->busy_until : sim->now;
    ss_time finish = time_after(start, transmission_time(link, packet->size));
    d->busy_until = finish;
    d->finish[(d->finish_head + d->finish_len++) % ring] = finish;
    /* The loss is drawn as the packet is accepted, so that the draws follow
     * the order of packets on this direction and nothing else. */
    packet->lost = draw_loss(&link->config, d);
    packet->link = link;
    packet->dir = (uint8_t)dir;
    packet->next = NULL;
    if (d->last)
        d->last->next = packet;
    else
        d->first = packet;
    d->last = packet;
    d->stats.in_flight++;
    if (net_peek(sim)->captures)
        pcap_link_event(sim, net_peek(sim), link, packet);
    packet->arrive_at = time_after(finish, link->config.delay);
    if (d->first == packet && ss_timer_arm(sim, &d->timer, packet->arrive_at) < 0) {
        /* Only arming an idle direction can need memory. */
        d->first = d->last = NULL;
        d->stats.in_flight--;
        ss_sim_fail(sim, SS_ENOMEM);
        dir_drop(sim, link, dir, packet, SS_DROP_NOMEM, &d->stats.dropped_nomem);
    }
}

/* The direction's first packet arrives; the timer moves on to the next.
 * Re-arming a timer that has just fired never needs memory. */
static void link_arrive(ss_sim *sim, ss_timer *timer, void *ctx)
{
    struct link_dir *d = ctx;
    ss_packet *packet = d->first;
    ss_link *link = packet->link;
    d->first = packet->next;
    if (d->first)
        ss_timer_arm(sim, timer, d->first->arrive_at);
    else
        d->last = NULL;
    d->stats.in_flight--;
    if (packet->lost) {
        dir_drop(sim, link, packet->dir, packet, SS_DROP_LOSS, &d->stats.dropped_loss);
        return;
    }
    d->stats.delivered++;
    d->stats.bytes_delivered += packet->size;
    node_arrive(sim, d->to, packet, link, packet->dir);
}

/* ---- up and down ----------------------------------------------------------- */

static void link_go_down(ss_sim *sim, ss_link *link)
{
    link->up = false;
    for (int k = 0; k < 2; k++) {
        struct link_dir *d = &link->dir[k];
        ss_packet *p = d->first;
        d->first = d->last = NULL;
        ss_timer_cancel(sim, &d->timer);
        while (p) {
            ss_packet *next = p->next;
            d->stats.in_flight--;
            dir_drop(sim, link, k, p, SS_DROP_DOWN, &d->stats.dropped_down);
            p = next;
        }
        d->finish_len = 0;
        d->busy_until = sim->now;
    }
}

int ss_link_set_up(ss_sim *sim, ss_link *link, bool up)
{
    if (!sim || !link)
        return SS_EINVAL;
    if (link->sim != sim)
        return SS_EOTHERSIM;
    if (link->up && !up)
        link_go_down(sim, link);
    link->up = up;
    return 0;
}

static void link_apply_change(ss_sim *sim, void *link, bool up)
{
    ss_link_set_up(sim, link, up);
}

int ss_link_schedule(ss_sim *sim, ss_link *link, ss_time at, bool up)
{
    if (!sim || !link)
        return SS_EINVAL;
    if (link->sim != sim)
        return SS_EOTHERSIM;
    return updown_add(sim, &link->schedule, at, up);
}
