/* The tcp layer's internal header: the structures that the tcp/ files
 * share (stack, connections, listeners, requests, segments) and the calls
 * between them.  It may include the net and sim layers and their public
 * headers, nothing from app. */
#ifndef SYNSIM_TCP_TCP_INTERNAL_H
#define SYNSIM_TCP_TCP_INTERNAL_H

#include <errno.h>

#include "net/net_internal.h"
#include "synsim/error.h"
#include "synsim/tcp.h"
#include "synsim/trace.h"

/* ==== SipHash (siphash.c) ================================================= */

/* SipHash-2-4 (Aumasson and Bernstein, 2012) over a few 32-bit words: the
 * keyed hash behind initial sequence numbers (RFC 6528) and SYN cookies, as
 * in Linux's siphash_3u32()/siphash_4u32(). */

typedef struct ss_siphash_key {
    uint64_t k0, k1;
} ss_siphash_key;

/* Hash `count` 32-bit words (as little-endian bytes, as Linux does). */
uint64_t ss_siphash_u32(const ss_siphash_key *key, const uint32_t *words, size_t count);

/* ==== TCP ================================================================== */

/* Linux's constants (include/net/tcp.h). */
#define TCP_TIMEOUT_INIT (1 * SS_SEC) /* RFC 6298 2.1 */
#define TCP_RTO_MIN (200 * SS_MSEC)
#define TCP_RTO_MAX (120 * SS_SEC)
#define TCP_DELACK_MIN (40 * SS_MSEC)
#define TCP_MAX_QUICKACKS 16
#define TCP_INIT_CWND 10              /* RFC 6928, Linux TCP_INIT_CWND */
#define TCP_DEFAULT_MSS 536           /* RFC 9293 3.7.1: no MSS option */
#define TCP_SYN_WINDOW 65535          /* SYNs carry an unscaled window (RFC 7323 2.2) */
#define TCP_MAX_KEEPIDLE 32767        /* s, include/net/tcp.h */
#define TCP_MAX_KEEPINTVL 32767       /* s */
#define TCP_MAX_KEEPCNT 127
/* The largest seconds a proc_dointvec_jiffies sysctl takes: INT_MAX / HZ,
 * with HZ = 1000. */
#define TCP_SYSCTL_MAX_SECONDS 2147483
#define TCP_EPHEMERAL_LOW 32768       /* ip_local_port_range */
#define TCP_EPHEMERAL_HIGH 60999

/* ---- sequence arithmetic (RFC 9293 3.4, modulo 2^32) --------------------- */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

/* ---- settings and counters ---------------------------------------------------- */

struct tcp_settings {
    int64_t tcp_syn_retries;
    int64_t tcp_syn_linear_timeouts;
    int64_t tcp_synack_retries;
    int64_t tcp_retries2;
    int64_t tcp_fin_timeout;
    int64_t tcp_timewait_len;
    int64_t tcp_timestamps;
    int64_t tcp_sack;
    int64_t tcp_window_scaling;
    int64_t tcp_syncookies;
    int64_t somaxconn;
    int64_t tcp_max_syn_backlog;
    int64_t tcp_abort_on_overflow;
    int64_t tcp_keepalive_time;
    int64_t tcp_keepalive_intvl;
    int64_t tcp_keepalive_probes;
    int64_t tcp_invalid_ratelimit;
    int64_t tcp_rmem;
    int64_t tcp_delayed_ack;
    int64_t tcp_min_snd_mss;
};

/* One field per Linux MIB counter; tcp_settings.c names them. */
struct tcp_counters {
    uint64_t ActiveOpens, PassiveOpens, AttemptFails, EstabResets, CurrEstab;
    uint64_t InSegs, OutSegs, RetransSegs, InErrs, OutRsts;
    uint64_t TCPSynRetrans, TCPTimeouts, TCPChallengeACK, TCPSYNChallenge;
    uint64_t TCPAbortOnTimeout, TCPAbortOnData, TCPAbortOnClose;
    uint64_t EmbryonicRsts, TCPACKSkippedSynRecv, TCPACKSkippedChallenge, TCPACKSkippedSeq;
    /* TWRecycled: Linux counts a TIME-WAIT tuple reused by connect()
     * (tcp_twsk_unique(), tcp_tw_reuse); synsim's connect never picks a
     * port in TIME-WAIT, so it stays 0, as on Linux with the default
     * tcp_tw_reuse=2 between two hosts. */
    uint64_t TWRecycled, TW, TCPKeepAlive;
    uint64_t ListenOverflows, ListenDrops, TCPReqQFullDrop, TCPReqQFullDoCookies;
    uint64_t SyncookiesSent, SyncookiesRecv, SyncookiesFailed;
};

/* ---- objects ------------------------------------------------------------------ */

struct tcp_tuple {
    uint32_t laddr, raddr;
    uint16_t lport, rport;
};

/* The link by which connections and requests sit in a 4-tuple table. */
struct tcp_hnode {
    struct tcp_hnode *next;
    struct tcp_tuple t;
};

/* Options a peer offered in its SYN. */
struct tcp_syn_options {
    uint16_t mss;
    bool wscale_ok;
    uint8_t wscale;
    bool sack_ok;
    bool ts_ok;
    uint32_t tsval;
};

struct tcp_stack;

/* Keepalive and user timeout, as a socket holds them (SO_KEEPALIVE,
 * TCP_KEEPIDLE/INTVL/CNT, TCP_USER_TIMEOUT); a listener's are copied into
 * each connection it accepts.  Zero idle, interval, count: the host's. */
struct tcp_sockopts {
    bool keepalive;
    ss_time ka_idle, ka_interval;
    int ka_count;
    ss_time user_timeout;
};

int tcp_sockopts_keepalive(struct tcp_sockopts *o, bool on, ss_time idle, ss_time interval, int count);
int tcp_sockopts_user_timeout(struct tcp_sockopts *o, ss_time timeout);

struct ss_tcp_conn {
    struct tcp_hnode h; /* h.t: local and remote address and port */
    struct tcp_stack *stack;
    ss_tcp_conn *free_next;
    uint32_t id;
    ss_tcp_state state;
    bool passive;
    bool in_table;
    bool app_done; /* closed callback delivered */
    bool no_port;  /* connect found every ephemeral port taken: EADDRNOTAVAIL */
    bool close_called;
    int error;
    int refs;
    /* The slot's generation, one more each time it is freed, and whether a
     * connection lives in it: what ss_tcp_handle and SS_ESTALE rest on.
     * Both survive tcp_conn_init(). */
    uint32_t generation;
    bool live;

    /* send side (RFC 9293 3.3.1) */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
    uint32_t snd_wnd, max_snd_wnd;
    uint64_t app_queued; /* bytes the application gave us */
    bool fin_queued;     /* close(): a FIN follows the data */
    uint32_t cwnd;       /* segments; slow start only */

    /* receive side */
    uint32_t irs, rcv_nxt, rcv_wnd;
    bool fin_received;

    /* negotiated */
    struct tcp_syn_options offered; /* what our SYN or SYN-ACK carried */
    uint16_t mss, peer_mss;
    bool ws_ok, sack_ok, ts_ok;
    uint8_t snd_wscale, rcv_wscale;
    uint32_t ts_recent, ts_offset;

    /* retransmission (RFC 6298, Karn) */
    ss_timer rtx_timer;
    uint32_t retransmits; /* consecutive expiries, icsk_retransmits */
    ss_time rto, srtt, rttvar;
    bool rtt_timing;
    uint32_t rtt_seq;
    ss_time rtt_start;
    ss_time retrans_stamp; /* first transmission of the oldest unacked data */
    ss_time last_oow_ack;  /* tcp_invalid_ratelimit */

    /* delayed ACK */
    ss_timer delack_timer;
    uint32_t quickacks;
    uint32_t segs_unacked;

    /* keepalive in ESTABLISHED and CLOSE-WAIT; TIME-WAIT; orphaned
     * FIN-WAIT-2 (one timer, as Linux's sk_timer) */
    ss_timer state_timer;
    struct tcp_sockopts opt;
    uint32_t probes_out;
    ss_time last_rcv; /* last acceptable segment from the peer */

    ss_tcp_callbacks cb;
    void *ctx;

    /* statistics */
    uint32_t syn_retransmits, data_retransmits;
    ss_time t_open, t_established, t_accepted, t_closed;
    bool cookie; /* completed by a SYN cookie */
    /* the listener's accept queue, until the application accepts it */
    ss_tcp_listener *listener;
    ss_tcp_conn *accept_next;
    bool in_accept_queue;
    uint32_t record; /* index + 1 in the connection table; 0: none */
    uint64_t bytes_acked, bytes_received;
};

/* A connection in SYN-RECEIVED after a passive open: the small record Linux
 * calls a request sock; the full connection exists only once the handshake
 * completes. */
struct tcp_request {
    struct tcp_hnode h;
    struct tcp_request *free_next;
    ss_tcp_listener *listener;
    uint32_t id;
    uint32_t iss, irs;
    struct tcp_syn_options peer;
    uint8_t num_timeout; /* SYN-ACKs resent by the timer */
    uint8_t num_retrans; /* SYN-ACKs resent in all */
    bool acked;          /* its ACK came while the accept queue was full */
    ss_time t_open;
    ss_time last_oow_ack;
    ss_timer timer;
};

struct ss_tcp_listener {
    struct tcp_stack *stack;
    ss_tcp_listener *next;
    uint16_t port;
    int backlog;
    bool closed;
    struct tcp_sockopts opt; /* inherited by accepted connections */
    uint32_t young; /* requests whose SYN-ACK was never resent */
    ss_time last_overflow; /* last SYN cookie sent; -1: never */
    /* accept queue: completed connections the application has not taken */
    ss_tcp_conn *accept_head, *accept_tail;
    uint32_t accept_queue_len;
    ss_time accept_interval; /* 0: at once; SS_TIME_MAX: never */
    ss_time last_accept;     /* the pace counts from here; -1: none yet */
    ss_timer accept_timer;
    uint32_t syn_queue_max, accept_queue_max;
    uint64_t accepted, syn_received, cookies_sent;
    uint32_t syn_queue_len; /* requests pending */
    ss_tcp_callbacks cb;
    void *ctx;
};

struct hash_table {
    struct tcp_hnode **buckets;
    size_t size, count;
    uint64_t removals; /* ever: a port may have come free since */
};

struct tcp_pool {
    void **blocks;
    size_t block_count, block_cap;
};

struct tcp_stack {
    ss_sim *sim;
    ss_node *node;
    struct tcp_part *part;
    struct tcp_settings settings;
    struct tcp_counters counters;
    ss_siphash_key isn_key, ts_key, cookie_key[2];
    struct hash_table conns;    /* every connection not CLOSED, by 4-tuple */
    struct hash_table requests; /* SYN-RECEIVED requests, by 4-tuple */
    /* peers a handshake completed with (Linux's tcp_peer_is_proven()) */
    uint32_t *proven;
    size_t proven_count, proven_size;
    ss_tcp_listener *listeners;
    uint16_t next_port;
    /* The last destination for which every ephemeral port was taken, and
     * how many table removals and listener changes had happened then:
     * until one more happens, a connect there fails without a scan. */
    uint32_t full_raddr;
    uint16_t full_rport;
    uint64_t full_at_changes;
    bool full_known;
    uint64_t listener_changes;
};

/* The tcp part of a simulator. */
struct tcp_part {
    struct tcp_stack **stacks; /* by node id, created on first use */
    size_t stack_cap;
    ss_tcp_conn *free_conns;
    struct tcp_request *free_requests;
    /* Connections and requests come from separate pools of blocks, so that
     * a half-open request costs its own size, not a connection's. */
    struct tcp_pool conn_pool, request_pool;
    uint32_t next_id;
    bool not_recording;
    ss_tcp_record *records;
    size_t record_count, record_cap;
    /* records[i]'s connection while it lives, else NULL: rows of live
     * connections are brought up to date when they are read. */
    ss_tcp_conn **record_owner;
    size_t record_owner_cap;
};

void tcp_settings_default(struct tcp_settings *s);

/* The tcp part of `sim`, created on first use (NULL: out of memory). */
struct tcp_part *tcp_part_get(ss_sim *sim);

/* ---- tcp_stack.c ---------------------------------------------------------------- */
int tcp_stack_get(ss_node *node, struct tcp_stack **out);
struct tcp_stack *tcp_stack_peek(ss_node *node);

/* ---- tcp_table.c ---------------------------------------------------------------- */
struct tcp_hnode *tcp_table_find(struct hash_table *table, const struct tcp_tuple *t);
int tcp_table_insert(struct hash_table *table, struct tcp_hnode *node);
void tcp_table_remove(struct hash_table *table, struct tcp_hnode *node);
/* 0, or what a public call says about a connection pointer it was given:
 * SS_EINVAL for NULL, SS_ESTALE for a freed slot. */
static inline int tcp_conn_check(const ss_tcp_conn *c)
{
    return !c ? SS_EINVAL : !c->live ? SS_ESTALE : 0;
}
static inline ss_tcp_conn *conn_of(struct tcp_hnode *h)
{
    return h ? (ss_tcp_conn *)(void *)((char *)h - offsetof(ss_tcp_conn, h)) : NULL;
}
static inline struct tcp_request *request_of(struct tcp_hnode *h)
{
    return h ? (struct tcp_request *)(void *)((char *)h - offsetof(struct tcp_request, h)) : NULL;
}

/* ---- tcp_stack.c: pools and identifiers ------------------------------------------- */
int tcp_conn_alloc(struct tcp_stack *stack, ss_tcp_conn **out);
void tcp_conn_recycle(struct tcp_stack *stack, ss_tcp_conn *c);
int tcp_request_alloc(struct tcp_stack *stack, struct tcp_request **out);
void tcp_request_free(struct tcp_stack *stack, struct tcp_request *req);
uint32_t tcp_new_id(struct tcp_stack *stack);
/* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey). */
uint32_t tcp_isn(struct tcp_stack *stack, const struct tcp_tuple *t);
uint32_t tcp_ts_offset(struct tcp_stack *stack, const struct tcp_tuple *t);
uint32_t tcp_now_ms(const struct tcp_stack *stack);
/* MSS to announce: the MTU of the route's first hop, less 40. */
uint16_t tcp_route_mss(struct tcp_stack *stack, uint32_t raddr);

/* ---- tcp_output.c ------------------------------------------------------------------ */
struct tcp_segment {
    uint32_t seq, ack;
    uint8_t flags;
    uint32_t window; /* bytes, before scaling */
    uint32_t payload;
    bool syn_options; /* MSS, SACK-permitted, timestamps, window scale */
    const struct tcp_syn_options *offer;
    bool ts;
    uint32_t tsval, tsecr;
    uint8_t wscale; /* shift applied to window (0 on SYNs) */
    /* Sequence space sent before by a connection: Linux __tcp_transmit_skb()
     * counts OutSegs only for segments that are not retransmissions (they
     * go to RetransSegs alone).  SYN-ACKs of requests always count, as
     * tcp_make_synack() does. */
    bool retransmit;
};
int tcp_emit(struct tcp_stack *stack, const struct tcp_tuple *t, const struct tcp_segment *seg, uint32_t conn_id);
/* RFC 9293 3.10.7.1: the reset answering `in` (which is not itself a RST). */
void tcp_send_reset_for(struct tcp_stack *stack, const ss_packet *in, uint32_t conn_id);
/* Our offer for a SYN or SYN-ACK from this stack's settings. */
void tcp_local_syn_options(struct tcp_stack *stack, uint32_t raddr, struct tcp_syn_options *out);
void tcp_parse_syn_options(const ss_packet *p, struct tcp_syn_options *out);
/* Payload per segment once the options every segment carries are counted. */
uint16_t tcp_effective_mss(uint16_t mss, bool ts_ok, int64_t min_snd_mss);

/* ---- tcp_state.c ------------------------------------------------------------------- */
/* Every state change goes through here: it traces the transition and keeps
 * the stack's counters and the connection's record in step. */
void tcp_set_state(ss_tcp_conn *c, ss_tcp_state state);

/* ---- tcp_record.c ------------------------------------------------------------------ */
/* Give a connection its row in the connection table, and bring the row up
 * to date. */
void tcp_record_new(ss_tcp_conn *c);
void tcp_record_sync(const ss_tcp_conn *c);
/* The connection is being freed: its row takes its final values and
 * belongs to nobody from now on. */
void tcp_record_release(ss_tcp_conn *c);
/* Take back the row of a connection whose creation failed (it is the last). */
void tcp_record_drop(ss_tcp_conn *c);

/* ---- tcp_conn.c -------------------------------------------------------------------- */
void tcp_conn_init(ss_tcp_conn *c, struct tcp_stack *stack, const struct tcp_tuple *t);
int tcp_open(ss_tcp_conn *c);
void tcp_arm(ss_tcp_conn *c, ss_timer *timer, ss_time delay);
/* The connection is over: `err` for the application, then CLOSED. */
void tcp_conn_finish(ss_tcp_conn *c, int err);
void tcp_notify_closed(ss_tcp_conn *c, int err);
void tcp_enter_time_wait(ss_tcp_conn *c);
/* Free a CLOSED connection once nobody holds it. */
void tcp_maybe_recycle(ss_tcp_conn *c);

/* ---- tcp_send.c -------------------------------------------------------------------- */
/* Set ACK, the window and timestamps on a segment of this connection. */
void tcp_fill_ack(ss_tcp_conn *c, struct tcp_segment *seg);
void tcp_send_syn(ss_tcp_conn *c, bool with_ack);
void tcp_send_ack(ss_tcp_conn *c);
void tcp_send_challenge_ack(ss_tcp_conn *c, bool syn);
bool tcp_oow_rate_limited(ss_tcp_conn *c, const ss_packet *p);
void tcp_send_data(ss_tcp_conn *c);
void tcp_send_reset(ss_tcp_conn *c);

/* ---- tcp_sequence.c ---------------------------------------------------------------- */
/* Agree on options from our offer and the peer's SYN (RFC 7323, RFC 2018). */
void tcp_negotiate(ss_tcp_conn *c, const struct tcp_syn_options *local, const struct tcp_syn_options *peer);
uint32_t tcp_fin_seq(const ss_tcp_conn *c);
bool tcp_fin_acked(const ss_tcp_conn *c);
uint32_t tcp_rcv_window(const ss_tcp_conn *c);
void tcp_rtt_sample(ss_tcp_conn *c, ss_time rtt);
void tcp_ack_advance(ss_tcp_conn *c, uint32_t ack);
void tcp_established(ss_tcp_conn *c);

/* ---- tcp_timer.c ------------------------------------------------------------------- */
/* base doubled `doublings` times, capped at `cap` without overflowing (a
 * shift by 255 is what tcp_synack_retries=255 asks for). */
ss_time tcp_backoff(ss_time base, uint32_t doublings, ss_time cap);
void tcp_rtx_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx);
void tcp_delack_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx);
void tcp_state_timer_fire(ss_sim *sim, ss_timer *timer, void *ctx);

/* ---- tcp_keepalive.c --------------------------------------------------------------- */
/* The socket's keepalive values, or the stack's sysctls where unset. */
ss_time tcp_keepalive_idle(const ss_tcp_conn *c);
ss_time tcp_keepalive_interval(const ss_tcp_conn *c);
uint32_t tcp_keepalive_count(const ss_tcp_conn *c);
void tcp_keepalive_start(ss_tcp_conn *c);
/* The state timer fired in a keepalive state: probe, or give up. */
void tcp_keepalive_fire(ss_tcp_conn *c);
/* A segment from the peer passed the sequence check (idle clock). */
void tcp_peer_alive(ss_tcp_conn *c);

/* ---- tcp_input.c ---------------------------------------------------------------------- */
void tcp_conn_input(ss_tcp_conn *c, ss_packet *p);

/* ---- tcp_listen.c ----------------------------------------------------------------------- */
ss_tcp_listener *tcp_listener_find(struct tcp_stack *stack, uint16_t port);
/* Forget the accept queue (a crash). */
void tcp_listener_flush(ss_tcp_listener *l);
/* Linux sk_acceptq_is_full(): more than `backlog` waiting. */
bool tcp_accept_queue_full(const ss_tcp_listener *l);
/* Queue a connection born ESTABLISHED for the application to accept. */
void tcp_accept_enqueue(ss_tcp_listener *l, ss_tcp_conn *c);

/* ---- tcp_request.c ---------------------------------------------------------------------- */
/* A segment for a listening port with no request of its own: a SYN, or an
 * ACK that may carry a SYN cookie. */
void tcp_listener_input(ss_tcp_listener *l, ss_packet *p, bool from_time_wait);
/* A segment for a connection still in the SYN queue (tcp_check_req()). */
void tcp_request_input(struct tcp_request *req, ss_packet *p);
void tcp_listener_drop_requests(ss_tcp_listener *l);

/* ---- tcp_stack.c (peers proven by a completed handshake) ------------------------------- */
void tcp_remember_peer(struct tcp_stack *stack, uint32_t addr);
bool tcp_peer_is_proven(const struct tcp_stack *stack, uint32_t addr);

/* ---- tcp_cookie.c ---------------------------------------------------------------------------- */
uint32_t tcp_cookie_count(const struct tcp_stack *stack);
/* The cookie ISN for a SYN with `peer_seq`; *mss is rounded down to the
 * table entry the cookie encodes. */
uint32_t tcp_cookie_make(const struct tcp_stack *stack, const struct tcp_tuple *t, uint32_t peer_seq, uint16_t *mss);
/* The MSS a cookie encodes, or 0 when it is forged or too old.  `cookie`
 * is SEG.ACK - 1 and `peer_seq` SEG.SEQ - 1 of the returning ACK. */
uint16_t tcp_cookie_check(const struct tcp_stack *stack, const struct tcp_tuple *t, uint32_t cookie, uint32_t peer_seq);
/* TSval carrying the peer's window scale and SACK in its low bits. */
uint32_t tcp_cookie_tsval(uint32_t ts_now, const struct tcp_syn_options *peer);
/* Options back from the ACK's TSecr (less our offset); false: refuse. */
bool tcp_cookie_options(const struct tcp_stack *stack, uint32_t tsecr, struct tcp_syn_options *out);

/* ---- state changes: one place, observed by the trace and by tests ---------------------- */
typedef void (*tcp_transition_fn)(ss_sim *sim, uint32_t conn_id, ss_tcp_state from, ss_tcp_state to);
/* Process-wide test hook; NULL in normal runs. */
extern tcp_transition_fn tcp_transition_observer;
void tcp_trace_transition(struct tcp_stack *stack, uint32_t conn_id, const struct tcp_tuple *t, ss_tcp_state from,
                          ss_tcp_state to);
/* A timer firing or an application call, for the trace. */
void tcp_trace_event(struct tcp_stack *stack, uint32_t conn_id, const struct tcp_tuple *t, ss_trace_kind kind,
                     int cause);
static inline void tcp_trace_conn(const ss_tcp_conn *c, ss_trace_kind kind, int cause)
{
    tcp_trace_event(c->stack, c->id, &c->h.t, kind, cause);
}

#endif
