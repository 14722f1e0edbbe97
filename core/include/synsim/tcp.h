/* synsim TCP: connections, listeners, per-host settings and counters.
 *
 * States and segment processing follow RFC 9293 (with RFC 5961's challenge
 * ACKs and RFC 6528's initial sequence numbers); timers and defaults follow
 * Linux 6.x, under its sysctl names.  This is the API a user's program
 * would use; the traffic sources of app.h use nothing else.
 *
 * Ownership: the simulator owns every connection and listener.  A
 * connection is recycled once it is CLOSED and its closed callback has
 * returned, unless the application holds it (ss_tcp_conn_hold), in which
 * case it stays readable until ss_tcp_conn_release().
 *
 * The pointer rule, for every call below that takes an ss_tcp_conn *: the
 * pointer is valid from the call or callback that gave it until its closed
 * callback returns, and, held, until the matching ss_tcp_conn_release().
 * Through a pointer to a recycled slot the calls return SS_ESTALE (the
 * readers a neutral value) only until another connection takes the slot;
 * after that they would act on that connection.  So never use a pointer
 * past its validity: hold it, or keep an ss_tcp_handle, which detects the
 * reuse.  The Python bindings hold every connection they hand out for the
 * life of its Connection object and refuse copies of it. */
#ifndef SYNSIM_TCP_H
#define SYNSIM_TCP_H

#include "synsim/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_tcp_conn ss_tcp_conn;
typedef struct ss_tcp_listener ss_tcp_listener;

/* RFC 9293 3.3.2, in the order of its state diagram. */
typedef enum ss_tcp_state {
    SS_TCP_CLOSED = 0,
    SS_TCP_LISTEN,
    SS_TCP_SYN_SENT,
    SS_TCP_SYN_RECEIVED,
    SS_TCP_ESTABLISHED,
    SS_TCP_FIN_WAIT_1,
    SS_TCP_FIN_WAIT_2,
    SS_TCP_CLOSE_WAIT,
    SS_TCP_CLOSING,
    SS_TCP_LAST_ACK,
    SS_TCP_TIME_WAIT,
    SS_TCP_STATE_COUNT
} ss_tcp_state;

/* "SYN-SENT", "TIME-WAIT", ...; "?" for anything else. */
const char *ss_tcp_state_name(int state);
/* The errno name of a connection error ("ETIMEDOUT"), "" for 0. */
const char *ss_tcp_errno_name(int err);

/* Application callbacks; any may be NULL.  `ctx` is the pointer given with
 * them.  They run inside the simulation, at the simulated instant of the
 * event, and may call any function of this API. */
typedef struct ss_tcp_callbacks {
    /* The handshake completed (for a listener: a connection was accepted). */
    void (*established)(ss_tcp_conn *conn, void *ctx);
    /* `bytes` more of the application's data were acknowledged. */
    void (*acked)(ss_tcp_conn *conn, uint64_t bytes, void *ctx);
    /* `bytes` more data arrived in order. */
    void (*received)(ss_tcp_conn *conn, uint64_t bytes, void *ctx);
    /* The peer closed its side (FIN received). */
    void (*peer_closed)(ss_tcp_conn *conn, void *ctx);
    /* The connection is over for the application: `err` is 0 after an
     * orderly close, or the errno a socket would report (ETIMEDOUT,
     * ECONNREFUSED, ECONNRESET; ECONNABORTED after ss_tcp_abort(),
     * EHOSTDOWN when this host crashed).  The connection may linger in
     * TIME-WAIT. */
    void (*closed)(ss_tcp_conn *conn, int err, void *ctx);
} ss_tcp_callbacks;

/* Active open from `host` to dst:dport, from the next free ephemeral port
 * (32768..60999, Linux's ip_local_port_range).  The SYN leaves now. */
int ss_tcp_connect(ss_node *host, uint32_t dst, uint16_t dport, const ss_tcp_callbacks *cb, void *ctx,
                   ss_tcp_conn **out);
/* The same, with the SYN leaving at simulated time `at` (>= now); until
 * then the connection is CLOSED.  If no port is free at `at`, it closes
 * with EADDRNOTAVAIL. */
int ss_tcp_connect_at(ss_node *host, uint32_t dst, uint16_t dport, ss_time at, const ss_tcp_callbacks *cb, void *ctx,
                      ss_tcp_conn **out);
/* Passive open on `port`.  backlog (>= 0) is capped by somaxconn.  Each
 * connection that completes is accepted at once and reported through
 * cb->established; its other callbacks are cb's too. */
int ss_tcp_listen(ss_node *host, uint16_t port, int backlog, const ss_tcp_callbacks *cb, void *ctx,
                  ss_tcp_listener **out);
/* Stop listening: pending half-open requests are dropped, connections
 * waiting in the accept queue are reset.  SS_ESTATE if already closed. */
int ss_tcp_listener_close(ss_tcp_listener *listener);
/* The application's accept policy: 0 accepts each connection as soon as
 * it completes (the default); a positive interval accepts one connection
 * per interval (a busy server); SS_TIME_MAX never accepts. */
int ss_tcp_listener_set_accept(ss_tcp_listener *listener, ss_time interval);

typedef struct ss_tcp_listener_info {
    uint16_t port;
    int backlog;              /* min(listen()'s backlog, somaxconn) */
    uint32_t syn_queue;       /* requests in SYN-RECEIVED now */
    uint32_t accept_queue;    /* completed, not yet accepted */
    uint32_t syn_queue_max, accept_queue_max; /* the most seen */
    uint64_t syn_received;    /* SYNs that reached it */
    uint64_t cookies_sent;
    uint64_t accepted;
} ss_tcp_listener_info;
int ss_tcp_listener_info_get(const ss_tcp_listener *listener, ss_tcp_listener_info *out);

/* ---- calls on a connection (each under the pointer rule above) ---------------- */

/* Queue `bytes` of data to send (contents are not modelled). */
int ss_tcp_send(ss_tcp_conn *conn, uint64_t bytes);
/* Orderly close: FIN after the queued data (RFC 9293 3.10.4). */
int ss_tcp_close(ss_tcp_conn *conn);
/* Abort: RST to the peer, CLOSED at once (RFC 9293 3.10.5). */
int ss_tcp_abort(ss_tcp_conn *conn);

/* SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT: after
 * `idle` without a segment from the peer, probe every `interval`; after
 * `count` unanswered probes the connection fails with ETIMEDOUT.  Zero
 * idle / interval / count take the host's tcp_keepalive_* values. */
int ss_tcp_set_keepalive(ss_tcp_conn *conn, bool on, ss_time idle, ss_time interval, int count);
/* TCP_USER_TIMEOUT: how long sent data may stay unacknowledged, and how
 * long keepalive probes may go unanswered, before ETIMEDOUT; 0: off. */
int ss_tcp_set_user_timeout(ss_tcp_conn *conn, ss_time timeout);
/* The same for every connection a listener accepts (they inherit them, as
 * accepted sockets inherit the listener's options in Linux). */
int ss_tcp_listener_set_keepalive(ss_tcp_listener *listener, bool on, ss_time idle, ss_time interval, int count);
int ss_tcp_listener_set_user_timeout(ss_tcp_listener *listener, ss_time timeout);

/* Keep a valid connection valid past its closed callback; each hold is
 * given back by one release (a release without a hold does nothing). */
void ss_tcp_conn_hold(ss_tcp_conn *conn);
void ss_tcp_conn_release(ss_tcp_conn *conn);

/* What happened to one connection; times are -1 where it did not happen. */
typedef struct ss_tcp_info {
    uint32_t id; /* connection attempt id, unique in the simulator */
    ss_tcp_state state;
    int error;
    bool passive;
    uint32_t local_addr, remote_addr;
    uint16_t local_port, remote_port;
    uint32_t iss, irs, snd_una, snd_nxt, rcv_nxt;
    uint32_t snd_wnd, rcv_wnd;
    uint16_t mss;           /* payload bytes per segment, options excluded */
    uint16_t peer_mss;      /* what the peer announced */
    bool wscale_ok, sack_ok, timestamps_ok;
    uint8_t snd_wscale, rcv_wscale;
    uint32_t syn_retransmits;    /* SYNs (active) or SYN-ACKs (passive) resent */
    uint32_t retransmits;        /* segments resent after the handshake */
    ss_time rto, srtt;
    bool keepalive;
    ss_time keepalive_idle, keepalive_interval;
    int keepalive_count;
    uint32_t keepalive_probes; /* sent and not yet answered */
    ss_time user_timeout;
    ss_time t_open;        /* connect() / SYN received */
    ss_time t_established; /* the handshake completed */
    ss_time t_accepted;    /* the application accepted it (passive) */
    bool cookie;           /* a SYN cookie completed it */
    ss_time t_closed;      /* the closed callback */
    uint64_t bytes_sent, bytes_acked, bytes_received;
} ss_tcp_info;

void ss_tcp_conn_info(const ss_tcp_conn *conn, ss_tcp_info *out);
ss_tcp_state ss_tcp_conn_state(const ss_tcp_conn *conn);
int ss_tcp_conn_error(const ss_tcp_conn *conn);
ss_node *ss_tcp_conn_host(const ss_tcp_conn *conn);

/* A connection pointer that detects staleness: the pointer and the
 * generation of the pool slot it points to.  A connection is freed once it
 * is CLOSED, its closed callback has run and nobody holds it; its slot may
 * then hold another connection, and a bare pointer kept from before would
 * act on that one.  ss_tcp_handle_get() returns the connection, or NULL
 * when the handle's connection is gone (whatever the slot holds now).  A
 * zeroed handle is the null handle. */
typedef struct ss_tcp_handle {
    ss_tcp_conn *conn;
    uint32_t generation;
} ss_tcp_handle;
ss_tcp_handle ss_tcp_handle_of(ss_tcp_conn *conn);
ss_tcp_conn *ss_tcp_handle_get(ss_tcp_handle handle);

/* ---- the connection table ------------------------------------------------------
 *
 * One record per connection: every active open, and every passive one that
 * completed its handshake (half-open requests that die are counted, not
 * recorded, so a flood does not grow the table).  Records outlive their
 * connections and are kept up to date at each state change.  Fixed layout,
 * no padding holes: Python views them through a matching numpy dtype. */
typedef struct ss_tcp_record {
    int64_t t_open, t_established, t_accepted, t_closed; /* -1: did not happen */
    uint64_t bytes_sent, bytes_acked, bytes_received;
    uint32_t id, node; /* connection id; the host's node id */
    uint32_t local_addr, remote_addr;
    uint32_t iss, irs;
    uint32_t syn_retransmits; /* SYNs (active) or SYN-ACKs (passive) resent */
    uint32_t retransmits;
    uint16_t local_port, remote_port;
    uint16_t mss, error; /* error: errno, 0 for none */
    uint8_t state, passive, cookie, reserved;
    uint32_t reserved2;
} ss_tcp_record;

/* Recording is on by default. */
int ss_tcp_set_recording(ss_sim *sim, bool on);
size_t ss_tcp_record_count(ss_sim *sim);
/* Copy up to `max` records from `first`; returns how many. */
size_t ss_tcp_records_copy(ss_sim *sim, size_t first, ss_tcp_record *out, size_t max);

/* ---- per-host settings, under Linux's sysctl names ----------------------------
 *
 * ss_tcp_setting_name(i) for i = 0, 1, ... lists them (NULL at the end).
 * Values are integers in Linux's units (seconds for the *_time / *_intvl /
 * fin_timeout knobs).  A name that does not exist: SS_ENOENT; a value out
 * of range: SS_ERANGE. */
const char *ss_tcp_setting_name(size_t index);
int ss_tcp_setting_range(const char *name, int64_t *min, int64_t *max, int64_t *def);
int ss_tcp_get(ss_node *host, const char *name, int64_t *value);
int ss_tcp_set(ss_node *host, const char *name, int64_t value);

/* ---- counters, under Linux's MIB names (/proc/net/snmp, netstat) ------------- */
const char *ss_tcp_counter_name(size_t index);
int ss_tcp_counter(ss_node *host, const char *name, uint64_t *value);

#ifdef __cplusplus
}
#endif
#endif
