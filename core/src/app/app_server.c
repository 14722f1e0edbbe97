/* A server application: it accepts per its policy and closes each
 * connection once the client has closed its side. */
#include "app/app_internal.h"
#include "synsim/app.h"
#include "synsim/error.h"

struct ss_app_server {
    struct app_base base;
    ss_tcp_listener *listener;
    uint64_t accepted;
};

static void on_accept(ss_tcp_conn *conn, void *ctx)
{
    (void)conn;
    ((ss_app_server *)ctx)->accepted++;
}

static void on_peer_closed(ss_tcp_conn *conn, void *ctx)
{
    (void)ctx;
    ss_tcp_close(conn);
}

static const ss_tcp_callbacks server_callbacks = {on_accept, NULL, NULL, on_peer_closed, NULL};

static void server_destroy(ss_sim *sim, struct app_base *base)
{
    (void)sim;
    ss_free(base);
}

int ss_app_server_new(ss_node *host, uint16_t port, int backlog, ss_time accept_interval, ss_app_server **out)
{
    if (!host || !out || accept_interval < 0)
        return SS_EINVAL;
    *out = NULL;
    int rc;
    ss_app_server *app = app_new(host, sizeof *app, NULL, server_destroy, &rc); /* draws nothing */
    if (!app)
        return rc;
    /* From here the simulator owns the app, even if listening fails. */
    rc = ss_tcp_listen(host, port, backlog, &server_callbacks, app, &app->listener);
    if (rc == 0)
        rc = ss_tcp_listener_set_accept(app->listener, accept_interval);
    if (rc < 0) {
        if (app->listener)
            ss_tcp_listener_close(app->listener);
        return rc;
    }
    *out = app;
    return 0;
}

ss_tcp_listener *ss_app_server_listener(const ss_app_server *app) { return app ? app->listener : NULL; }
uint64_t ss_app_server_accepted(const ss_app_server *app) { return app ? app->accepted : 0; }
