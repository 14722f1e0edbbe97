/* Clients arriving as a Poisson process, each opening one connection,
 * optionally sending a request, closing, and recording what happened. */
#include <errno.h>
#include <string.h>

#include "app/app_internal.h"
#include "synsim/app.h"
#include "synsim/error.h"

/* Records live in fixed blocks so that a connection's callbacks can point
 * at its record for good. */
#define RECORDS_PER_BLOCK 1024

struct client {
    ss_client_record rec;
    struct ss_app_clients *app;
    /* The connection until its closed callback: a record read before then
     * takes the fields that change as it goes (SYN retransmissions) from it. */
    ss_tcp_conn *conn;
};

struct ss_app_clients {
    struct app_base base;
    ss_clients_config config;
    ss_timer arrival;
    struct client **blocks;
    size_t block_count, block_cap;
    size_t count;
};

static struct client *client_at(const ss_app_clients *app, size_t i)
{
    return &app->blocks[i / RECORDS_PER_BLOCK][i % RECORDS_PER_BLOCK];
}

static void on_established(ss_tcp_conn *conn, void *ctx)
{
    struct client *c = ctx;
    c->rec.established = ss_sim_now(c->app->base.sim);
    if (c->app->config.request_bytes)
        ss_tcp_send(conn, c->app->config.request_bytes);
    ss_tcp_close(conn);
}

static void on_closed(ss_tcp_conn *conn, int err, void *ctx)
{
    struct client *c = ctx;
    ss_tcp_info info;
    ss_tcp_conn_info(conn, &info);
    c->rec.closed = ss_sim_now(c->app->base.sim);
    c->rec.error = err;
    c->rec.syn_retransmits = info.syn_retransmits;
    c->rec.done = true;
    c->conn = NULL;
}

static const ss_tcp_callbacks client_callbacks = {on_established, NULL, NULL, NULL, on_closed};

static struct client *record_new(ss_app_clients *app)
{
    if (app->count == app->block_count * RECORDS_PER_BLOCK) {
        if (ss_reserve(&app->blocks, &app->block_cap, app->block_count + 1, sizeof *app->blocks, 4) < 0)
            return NULL;
        struct client *block = ss_calloc(RECORDS_PER_BLOCK, sizeof *block);
        if (!block)
            return NULL;
        app->blocks[app->block_count++] = block;
    }
    struct client *c = client_at(app, app->count++);
    c->app = app;
    c->rec = (ss_client_record){.start = ss_sim_now(app->base.sim), .established = -1, .closed = -1};
    return c;
}

static void schedule_next(ss_app_clients *app, ss_time from)
{
    const ss_clients_config *cfg = &app->config;
    if (cfg->count && app->count >= cfg->count)
        return;
    /* The gap is compared as a double before it becomes an integer: at a
     * tiny rate it may be larger than any ss_time, or infinite. */
    double gap = ss_rng_exponential(&app->base.rng, 1e9 / cfg->rate);
    if (!(gap < (double)(SS_TIME_MAX - from)))
        return;
    ss_time at = time_after(from, (ss_time)gap);
    if (at >= cfg->stop)
        return;
    if (ss_timer_arm(app->base.sim, &app->arrival, at) < 0)
        ss_sim_fail(app->base.sim, SS_ENOMEM);
}

static void arrival_fire(ss_sim *sim, ss_timer *timer, void *ctx)
{
    (void)timer;
    ss_app_clients *app = ctx;
    struct client *c = record_new(app);
    ss_tcp_conn *conn;
    if (!c) {
        ss_sim_fail(sim, SS_ENOMEM);
        return;
    }
    int rc = ss_tcp_connect(app->base.host, app->config.server, app->config.port, &client_callbacks, c, &conn);
    if (rc < 0) {
        /* The arguments were checked when the app was built, and no free
         * port is the connection's EADDRNOTAVAIL (through on_closed), so
         * the call fails only on a crashed host (SS_ESTATE) or for memory.
         * A crashed host is this client's failure, EHOSTDOWN as a socket
         * would report it, and the run goes on; only memory fails the run. */
        if (rc != SS_ESTATE)
            ss_sim_fail(sim, rc);
        c->rec.error = rc == SS_ESTATE ? EHOSTDOWN : ENOMEM;
        c->rec.closed = c->rec.start;
        c->rec.done = true;
    } else {
        ss_tcp_info info;
        ss_tcp_conn_info(conn, &info);
        c->rec.conn = info.id;
        c->conn = conn;
    }
    schedule_next(app, ss_sim_now(sim));
}

static void clients_destroy(ss_sim *sim, struct app_base *base)
{
    ss_app_clients *app = (ss_app_clients *)(void *)base;
    ss_timer_cancel(sim, &app->arrival);
    for (size_t i = 0; i < app->block_count; i++)
        ss_free(app->blocks[i]);
    ss_free(app->blocks);
    ss_free(app);
}

int ss_app_clients_new(ss_node *host, const char *name, const ss_clients_config *config, ss_app_clients **out)
{
    /* A server address of 0 or of the host itself could never be
     * connected to (ss_tcp_connect() refuses both): refused here, at once,
     * rather than at every arrival. */
    if (!host || !config || !out || !(config->rate > 0) || config->rate > 1e12 || config->port == 0 ||
        config->start < 0 || config->stop < config->start || config->server == 0 ||
        config->server == ss_node_addr(host))
        return SS_EINVAL;
    *out = NULL;
    ss_sim *sim = ss_node_sim(host);
    if (config->start < ss_sim_now(sim))
        return SS_EINVAL;
    char stream[APP_STREAM_MAX];
    int rc = app_stream_name(stream, "clients", host, config->server, config->port, name);
    if (rc < 0)
        return rc;
    ss_app_clients *app = app_new(host, sizeof *app, stream, clients_destroy, &rc);
    if (!app)
        return rc;
    app->config = *config;
    ss_timer_init(&app->arrival, arrival_fire, app);
    schedule_next(app, config->start);
    *out = app;
    return 0;
}

const char *ss_app_clients_stream(const ss_app_clients *app)
{
    return app ? app->base.stream : "";
}

size_t ss_app_clients_count(const ss_app_clients *app)
{
    return app ? app->count : 0;
}

int ss_app_clients_record(const ss_app_clients *app, size_t index, ss_client_record *out)
{
    if (!app || !out || index >= app->count)
        return SS_EINVAL;
    const struct client *c = client_at(app, index);
    *out = c->rec;
    if (c->conn) {
        ss_tcp_info info;
        ss_tcp_conn_info(c->conn, &info);
        out->syn_retransmits = info.syn_retransmits;
    }
    return 0;
}
