/* Scale benchmark: what grows with the size of an experiment, at three
 * sizes each, so that a quadratic path shows as a cost per unit that grows.
 *
 *  - topology: H hosts behind R routers (a ring of routers, H/R hosts
 *    each), built and then routed: one packet from every host to a server
 *    and one back, which makes every route search the run needs;
 *  - crash: a host with n established connections crashes (all of them end
 *    with EHOSTDOWN).
 *
 * Prints a table and writes build/bench/scale.json. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "synsim/app.h"
#include "synsim/error.h"
#include "synsim/net.h"
#include "synsim/tcp.h"

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double max_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static void drop(ss_sim *sim, ss_node *node, ss_packet *p, void *ctx)
{
    (void)node, (void)ctx;
    ss_packet_free(sim, p);
}

static void send_one(ss_sim *sim, ss_node *from, ss_node *to)
{
    ss_packet *p;
    if (ss_packet_new(sim, &p) < 0)
        exit(1);
    p->dst = ss_node_addr(to);
    p->size = 40;
    ss_node_send(sim, from, p);
}

struct topo_result {
    double build_s, route_s, rss_mb;
};

static struct topo_result topology(int hosts, int routers)
{
    struct topo_result out;
    ss_sim *sim;
    ss_link_config c;
    ss_link_config_default(&c);
    c.queue_packets = 4;
    double t0 = wall();
    if (ss_sim_new(1, &sim) < 0)
        exit(1);
    ss_node **r = malloc((size_t)routers * sizeof *r), **h = malloc((size_t)hosts * sizeof *h), *server;
    ss_link *l;
    char name[32];
    for (int i = 0; i < routers; i++) {
        snprintf(name, sizeof name, "r%d", i);
        if (ss_router_new(sim, name, 0, &r[i]) < 0)
            exit(1);
    }
    for (int i = 0; i < routers; i++)
        ss_link_new(sim, r[i], r[(i + 1) % routers], &c, &l);
    ss_host_new(sim, "server", 0, &server);
    ss_link_new(sim, server, r[0], &c, &l);
    ss_node_set_receiver(server, drop, NULL);
    for (int i = 0; i < hosts; i++) {
        snprintf(name, sizeof name, "h%d", i);
        if (ss_host_new(sim, name, 0, &h[i]) < 0 || ss_link_new(sim, h[i], r[i % routers], &c, &l) < 0)
            exit(1);
        ss_node_set_receiver(h[i], drop, NULL);
    }
    double t1 = wall();
    for (int i = 0; i < hosts; i++) {
        send_one(sim, h[i], server);
        send_one(sim, server, h[i]);
        ss_sim_run(sim, ss_sim_now(sim) + 1 * SS_SEC); /* deliver before the next: queues stay short */
    }
    double t2 = wall();
    out.build_s = t1 - t0;
    out.route_s = t2 - t1;
    out.rss_mb = max_rss_mb();
    ss_sim_free(sim);
    free(r);
    free(h);
    return out;
}

static void on_established(ss_tcp_conn *c, void *ctx)
{
    (void)c;
    ++*(size_t *)ctx;
}

static size_t heap_bytes(void)
{
    return mallinfo2().uordblks;
}

/* Heap bytes per endpoint of n established connections, measured by
 * crash() just before the crash (both endpoints: 2n). */
static double bytes_per_endpoint;

static double crash(size_t n, size_t *established)
{
    ss_sim *sim;
    ss_node *a, *b;
    ss_link *l;
    ss_link_config c;
    ss_link_config_default(&c);
    c.queue_packets = 1u << 22;
    if (ss_sim_new(1, &sim) < 0)
        exit(1);
    ss_host_new(sim, "a", 0, &a);
    ss_host_new(sim, "b", 0, &b);
    ss_link_new(sim, a, b, &c, &l);
    ss_tcp_set_recording(sim, false);
    ss_tcp_set(b, "somaxconn", 1 << 22);
    ss_tcp_set(b, "tcp_max_syn_backlog", 1 << 22);
    ss_tcp_listener *lis;
    static const ss_tcp_callbacks cb = {.established = on_established};
    size_t base_heap = heap_bytes();
    *established = 0;
    /* n ports across ten listening ports: 28,232 ephemeral ports each */
    for (uint16_t port = 80; port < 90; port++)
        if (ss_tcp_listen(b, port, 1 << 20, &cb, established, &lis) < 0)
            exit(1);
    for (size_t i = 0; i < n; i++) {
        ss_tcp_conn *conn;
        if (ss_tcp_connect(a, ss_node_addr(b), (uint16_t)(80 + i % 10), NULL, NULL, &conn) < 0)
            exit(1);
        if (i % 1000 == 999)
            ss_sim_run(sim, ss_sim_now(sim) + 10 * SS_MSEC);
    }
    ss_sim_run(sim, ss_sim_now(sim) + 1 * SS_SEC);
    bytes_per_endpoint = ((double)heap_bytes() - (double)base_heap) / (2.0 * (double)n);
    double t0 = wall();
    ss_node_crash(sim, b, ss_sim_now(sim));
    double t = wall() - t0;
    ss_sim_free(sim);
    return t;
}

/* n connects from one host to one server port, 10,000 a second, each
 * closed after the handshake: the client keeps each port 60 s in TIME-WAIT,
 * so past 28,232 the ephemeral range is full and connects fail with
 * EADDRNOTAVAIL. */
static double port_storm(uint64_t n, size_t *failed)
{
    ss_sim *sim;
    ss_node *a, *b;
    ss_link *l;
    ss_link_config c;
    ss_link_config_default(&c);
    c.queue_packets = 100000;
    if (ss_sim_new(1, &sim) < 0)
        exit(1);
    ss_host_new(sim, "client", 0, &a);
    ss_host_new(sim, "server", 0, &b);
    ss_link_new(sim, a, b, &c, &l);
    ss_tcp_set_recording(sim, false);
    ss_app_server *srv;
    ss_app_server_new(b, 80, 4096, 0, &srv);
    ss_clients_config cc = {.server = ss_node_addr(b), .port = 80, .rate = 10000, .count = n, .start = 0,
                            .stop = SS_TIME_MAX};
    ss_app_clients *cl;
    ss_app_clients_new(a, "storm", &cc, &cl);
    double t0 = wall();
    ss_sim_run(sim, SS_TIME_MAX);
    double t = wall() - t0;
    *failed = 0;
    for (size_t i = 0; i < ss_app_clients_count(cl); i++) {
        ss_client_record r;
        ss_app_clients_record(cl, i, &r);
        *failed += r.error == EADDRNOTAVAIL;
    }
    ss_sim_free(sim);
    return t;
}

int main(void)
{
    FILE *json = fopen("build/bench/scale.json", "w");
    if (json)
        fprintf(json, "{\"topology\": [");
    printf("Topology: hosts behind a ring of routers, built, then one packet each way per host\n");
    printf("%10s %8s %10s %12s %14s %10s\n", "hosts", "routers", "build s", "route s", "us/host", "max RSS MB");
    static const int sizes[][2] = {{10000, 100}, {40000, 400}, {100000, 1000}};
    for (int k = 0; k < 3; k++) {
        struct topo_result r = topology(sizes[k][0], sizes[k][1]);
        double per = (r.build_s + r.route_s) / sizes[k][0] * 1e6;
        printf("%10d %8d %10.2f %12.2f %14.2f %10.0f\n", sizes[k][0], sizes[k][1], r.build_s, r.route_s, per,
               r.rss_mb);
        if (json)
            fprintf(json, "%s{\"hosts\": %d, \"routers\": %d, \"build_s\": %.4f, \"route_s\": %.4f, \"rss_mb\": %.1f}",
                    k ? ", " : "", sizes[k][0], sizes[k][1], r.build_s, r.route_s, r.rss_mb);
    }
    if (json)
        fprintf(json, "], \"crash\": [");
    printf("\nHost crash with n established connections\n");
    printf("%10s %12s %14s %16s\n", "n", "crash s", "ns/connection", "bytes/endpoint");
    static const size_t counts[] = {10000, 100000, 280000};
    for (int k = 0; k < 3; k++) {
        size_t est;
        double t = crash(counts[k], &est);
        printf("%10zu %12.4f %14.1f %16.0f   (%zu established)\n", counts[k], t, t / (double)counts[k] * 1e9,
               bytes_per_endpoint, est);
        if (json)
            fprintf(json, "%s{\"connections\": %zu, \"established\": %zu, \"crash_s\": %.6f, \"bytes_per_endpoint\": %.1f}",
                    k ? ", " : "", counts[k], est, t, bytes_per_endpoint);
    }
    if (json)
        fprintf(json, "], \"ports\": [");
    printf("\nConnects from one host to one port, 60 s TIME-WAIT (range full past 28,232)\n");
    printf("%10s %12s %14s %12s\n", "connects", "run s", "us/connect", "EADDRNOTAVAIL");
    static const uint64_t storms[] = {10000, 50000, 100000};
    for (int k = 0; k < 3; k++) {
        size_t failed;
        double t = port_storm(storms[k], &failed);
        printf("%10llu %12.3f %14.2f %12zu\n", (unsigned long long)storms[k], t, t / (double)storms[k] * 1e6, failed);
        if (json)
            fprintf(json, "%s{\"connects\": %llu, \"run_s\": %.4f, \"eaddrnotavail\": %zu}", k ? ", " : "",
                    (unsigned long long)storms[k], t, failed);
    }
    if (json) {
        fprintf(json, "]}\n");
        fclose(json);
    }
    return 0;
}
