/* synsim traffic sources, driven by events, built only on the public
 * calls of tcp.h and net.h (as a user's program would be).
 *
 * Ownership: the simulator owns every app; ss_sim_free() releases them. */
#ifndef SYNSIM_APP_H
#define SYNSIM_APP_H

#include "synsim/tcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest name an app may be given, in bytes. */
#define SS_APP_NAME_MAX 63

/* ---- clients: Poisson arrivals, each one connection ---------------------------- */

typedef struct ss_app_clients ss_app_clients;

typedef struct ss_clients_config {
    uint32_t server;        /* address */
    uint16_t port;
    double rate;            /* arrivals per second, > 0 (Poisson) */
    uint64_t count;         /* stop after this many arrivals; 0: no limit */
    ss_time start, stop;    /* arrivals only in [start, stop) */
    uint64_t request_bytes; /* sent once established, then close; 0: close at once */
} ss_clients_config;

/* What happened to one client's connection; times -1 where it did not.
 * A client arriving while its host is crashed opens no connection: conn 0,
 * error EHOSTDOWN, closed at its start. */
typedef struct ss_client_record {
    uint32_t conn;      /* connection id, as in traces; 0: none was opened */
    ss_time start;      /* connect() */
    ss_time established;
    ss_time closed;
    int error;          /* errno, 0 after an orderly close */
    uint32_t syn_retransmits;
    bool done;
} ss_client_record;

/* An app's random stream is named by what it is: its kind, its host, the
 * node holding the destination address (or that address), the port, and
 * `name` when not NULL or "" (at most SS_APP_NAME_MAX bytes):
 * "app:clients:HOST>SERVER:PORT[:NAME]".  Adding, removing or reordering
 * any other host, link or app never changes its draws.  Two apps of one
 * kind, host, destination and port must be told apart by `name`: the
 * second with the same name is refused with SS_EEXIST, as it would draw
 * exactly the first one's numbers.  ss_app_*_stream() returns the name.
 *
 * SS_EINVAL for a rate not in (0, 1e12], port 0, stop before start, start
 * before now, a server address of 0 or of `host` itself, and a name that is
 * too long.  Once built,
 * only a lack of memory fails a run (ss_sim_error()); every other failure
 * is the client's own error, in its record. */
int ss_app_clients_new(ss_node *host, const char *name, const ss_clients_config *config, ss_app_clients **out);
const char *ss_app_clients_stream(const ss_app_clients *app); /* "" for NULL */
size_t ss_app_clients_count(const ss_app_clients *app);
int ss_app_clients_record(const ss_app_clients *app, size_t index, ss_client_record *out);

/* ---- server: a listener whose application accepts and closes --------------------- */

typedef struct ss_app_server ss_app_server;

/* Listens on `port`; accepts per ss_tcp_listener_set_accept(interval) and
 * closes each connection once the peer has closed its side. */
int ss_app_server_new(ss_node *host, uint16_t port, int backlog, ss_time accept_interval, ss_app_server **out);
ss_tcp_listener *ss_app_server_listener(const ss_app_server *app);
uint64_t ss_app_server_accepted(const ss_app_server *app);

/* ---- floods: spoofed SYNs, or ACKs guessing SYN cookies ------------------------------ */

typedef struct ss_app_flood ss_app_flood;

typedef enum ss_flood_kind { SS_FLOOD_SYN = 0, SS_FLOOD_ACK = 1 } ss_flood_kind;

typedef struct ss_flood_config {
    ss_flood_kind kind;
    uint32_t target; /* address */
    uint16_t port;
    uint32_t prefix;     /* spoofed sources: random addresses in prefix/prefix_len */
    int prefix_len;      /* 0..32 */
    double rate;         /* packets per second, evenly spaced, > 0 */
    ss_time start;
    ss_time duration;    /* SS_TIME_MAX: until stopped */
    uint64_t count;      /* stop after this many; 0: no limit */
} ss_flood_config;

/* Packets leave from `host` with forged source addresses and random ports
 * and sequence numbers; the replies go to addresses nobody holds.  The
 * stream is named as the clients' are, KIND "synflood" or "ackflood"
 * (SS_EEXIST for a second flood of one identity and name). */
int ss_app_flood_new(ss_node *host, const char *name, const ss_flood_config *config, ss_app_flood **out);
const char *ss_app_flood_stream(const ss_app_flood *app); /* "" for NULL */
uint64_t ss_app_flood_sent(const ss_app_flood *app);

#ifdef __cplusplus
}
#endif
#endif
