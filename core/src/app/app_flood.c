/* Floods from forged sources: SYNs (to fill a listener's SYN queue) or
 * ACKs (guessing SYN cookies).  One timer, and packets from the pool:
 * nothing is allocated per packet. */
#include "app/app_internal.h"
#include "synsim/app.h"
#include "synsim/error.h"

struct ss_app_flood {
    struct app_base base;
    ss_flood_config config;
    ss_timer tick;
    uint64_t sent;
};

/* The k-th packet leaves at start + k / rate, computed afresh each time so
 * that rounding never accumulates; a time past the end of time is the end
 * of time (the offset is compared as a double before it becomes an
 * integer, whose conversion would overflow). */
static ss_time send_time(const ss_app_flood *app, uint64_t k)
{
    double offset = (double)k * 1e9 / app->config.rate;
    if (!(offset < (double)(SS_TIME_MAX - app->config.start)))
        return SS_TIME_MAX;
    return time_after(app->config.start, (ss_time)offset);
}

static bool finished(const ss_app_flood *app, ss_time at)
{
    const ss_flood_config *cfg = &app->config;
    if (cfg->count && app->sent >= cfg->count)
        return true;
    return at == SS_TIME_MAX || at >= time_after(cfg->start, cfg->duration);
}

static uint32_t forged_source(ss_app_flood *app)
{
    int len = app->config.prefix_len;
    uint32_t host_bits = len == 32 ? 0 : (uint32_t)ss_rng_next(&app->base.rng) & (0xffffffffu >> len);
    uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
    return (app->config.prefix & mask) | host_bits;
}

static void tick_fire(ss_sim *sim, ss_timer *timer, void *ctx)
{
    ss_app_flood *app = ctx;
    ss_packet *p;
    if (ss_packet_new(sim, &p) < 0) {
        ss_sim_fail(sim, SS_ENOMEM);
        return;
    }
    p->src = forged_source(app);
    p->dst = app->config.target;
    p->tcp.sport = (uint16_t)(1024 + ss_rng_below(&app->base.rng, 65536 - 1024));
    p->tcp.dport = app->config.port;
    p->tcp.seq = (uint32_t)ss_rng_next(&app->base.rng);
    p->tcp.window = 65535;
    if (app->config.kind == SS_FLOOD_SYN) {
        p->tcp.flags = SS_TCP_SYN;
    } else {
        p->tcp.flags = SS_TCP_ACK;
        p->tcp.ack = (uint32_t)ss_rng_next(&app->base.rng);
    }
    ss_node_send(sim, app->base.host, p);
    app->sent++;
    ss_time next = send_time(app, app->sent);
    if (!finished(app, next))
        ss_timer_arm(sim, timer, next); /* just fired: needs no memory */
}

static void flood_destroy(ss_sim *sim, struct app_base *base)
{
    ss_app_flood *app = (ss_app_flood *)(void *)base;
    ss_timer_cancel(sim, &app->tick);
    ss_free(app);
}

int ss_app_flood_new(ss_node *host, const char *name, const ss_flood_config *config, ss_app_flood **out)
{
    if (!host || !config || !out || !(config->rate > 0) || config->rate > 1e12 || config->port == 0 ||
        config->prefix_len < 0 || config->prefix_len > 32 || config->start < 0 || config->duration < 0 ||
        (config->kind != SS_FLOOD_SYN && config->kind != SS_FLOOD_ACK))
        return SS_EINVAL;
    *out = NULL;
    ss_sim *sim = ss_node_sim(host);
    if (config->start < ss_sim_now(sim))
        return SS_EINVAL;
    char stream[APP_STREAM_MAX];
    const char *kind = config->kind == SS_FLOOD_SYN ? "synflood" : "ackflood";
    int rc = app_stream_name(stream, kind, host, config->target, config->port, name);
    if (rc < 0)
        return rc;
    ss_app_flood *app = app_new(host, sizeof *app, stream, flood_destroy, &rc);
    if (!app)
        return rc;
    app->config = *config;
    ss_timer_init(&app->tick, tick_fire, app);
    /* From here the simulator owns the app, even if arming fails. */
    if (!finished(app, config->start) && (rc = ss_timer_arm(sim, &app->tick, config->start)) < 0)
        return rc;
    *out = app;
    return 0;
}

uint64_t ss_app_flood_sent(const ss_app_flood *app) { return app ? app->sent : 0; }

const char *ss_app_flood_stream(const ss_app_flood *app) { return app ? app->base.stream : ""; }
