/* SYN cookies (core/src/tcp_cookie.c and their use in tcp_listen.c). */
#include "synsim/app.h"
#include "tcp/tcpfix.h"

#define SYN SS_TCP_SYN
#define ACK SS_TCP_ACK

/* The peer (as a client) sends a SYN with options `o` to a listener with
 * tcp_syncookies=2, then the ACK the cookie asks for, echoing TSval.
 * Returns h's connection info. */
static bool cookie_handshake(const struct tf_opts *o, uint16_t port, ss_tcp_info *out)
{
    struct tcpfix *f = tf_new();
    ss_tcp_set(f->h, "tcp_syncookies", 2);
    f->h_port = 80;
    f->peer_port = port;
    CU_ASSERT_EQUAL_FATAL(ss_tcp_listen(f->h, 80, 8, &tf_callbacks, f, &f->listener), 0);
    tf_send_opts(f, SYN, 7777, 0, 0, o);
    tf_run(f, 3 * SS_MSEC);
    struct tf_seg *synack = tf_expect(f, SYN | ACK, f->seg[0].tcp.seq, 7778);
    CU_ASSERT_EQUAL(f->listener->syn_queue_len, 0); /* nothing was kept */
    bool ok = false;
    if (synack) {
        struct tf_opts echo = {.ts = o->ts, .tsval = 5, .tsecr = synack->tcp.tsval};
        tf_send_opts(f, ACK, 7778, synack->tcp.seq + 1, 0, o->ts ? &echo : NULL);
        tf_run(f, 3 * SS_MSEC);
        if (f->conn) {
            ss_tcp_conn_info(f->conn, out);
            ok = true;
        }
    }
    tf_free(f);
    return ok;
}

/* Every MSS table entry (and values between them) and every combination
 * of window scale, SACK and timestamps comes back as Linux decodes it. */
static void test_round_trip_every_mss_and_option(void)
{
    static const uint16_t offered[] = {100, 536, 1000, 1300, 1350, 1440, 1452, 1460, 9000};
    static const uint16_t table[] = {536, 536, 536, 1300, 1300, 1440, 1440, 1460, 1460};
    int checked = 0, wrong = 0;
    for (size_t m = 0; m < sizeof offered / sizeof *offered; m++) {
        for (int ws = -1; ws <= 14; ws++) {
            for (int sack = 0; sack <= 1; sack++) {
                for (int ts = 0; ts <= 1; ts++) {
                    struct tf_opts o = {.mss = offered[m], .ws = ws >= 0, .wscale = (uint8_t)(ws < 0 ? 0 : ws),
                                        .sack = sack, .ts = ts, .tsval = 99};
                    ss_tcp_info i;
                    if (!cookie_handshake(&o, (uint16_t)(2000 + checked), &i)) {
                        wrong++;
                        continue;
                    }
                    checked++;
                    /* Options survive only with timestamps. */
                    bool keep = ts;
                    wrong += !i.cookie || i.state != SS_TCP_ESTABLISHED;
                    wrong += i.peer_mss != table[m];
                    wrong += i.mss != (uint16_t)(table[m] - (ts ? 12 : 0));
                    wrong += i.timestamps_ok != (bool)ts;
                    wrong += i.sack_ok != (keep && sack);
                    wrong += i.wscale_ok != (keep && ws >= 0);
                    wrong += (keep && ws >= 0) && i.snd_wscale != ws;
                }
            }
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(checked, 9 * 16 * 2 * 2);
}

/* A cookie is good for less than two counter minutes; an older one is
 * rejected (SyncookiesFailed) and answered like any ACK at a listener. */
static void test_cookie_age_limit(void)
{
    struct tcpfix *f = tf_new();
    ss_tcp_set(f->h, "tcp_syncookies", 2);
    f->h_port = 80;
    ss_tcp_listen(f->h, 80, 8, &tf_callbacks, f, &f->listener);
    tf_send(f, SYN, 100, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    uint32_t cookie = f->seg[0].tcp.seq;
    tf_expect(f, SYN | ACK, cookie, 101);
    /* another SYN at 100 s keeps the listener's overflow recent */
    ss_sim_run(f->sim, 100 * SS_SEC);
    f->peer_port = 6001;
    tf_send(f, SYN, 500, 0, 0);
    ss_sim_run(f->sim, 121 * SS_SEC);
    tf_expect(f, SYN | ACK, f->seg[1].tcp.seq, 501);
    f->peer_port = TF_PEER_PORT;
    tf_send(f, ACK, 101, cookie + 1, 0); /* the first cookie, now in minute 2 */
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, SS_TCP_RST, cookie + 1, 0);
    CU_ASSERT_PTR_NULL(f->conn);
    uint64_t failed, recv;
    ss_tcp_counter(f->h, "SyncookiesFailed", &failed);
    ss_tcp_counter(f->h, "SyncookiesRecv", &recv);
    CU_ASSERT_EQUAL(failed, 1);
    CU_ASSERT_EQUAL(recv, 0);
    tf_free(f);

    /* the same ACK within the first minute after: accepted */
    f = tf_new();
    ss_tcp_set(f->h, "tcp_syncookies", 2);
    f->h_port = 80;
    ss_tcp_listen(f->h, 80, 8, &tf_callbacks, f, &f->listener);
    tf_send(f, SYN, 100, 0, 0);
    tf_run(f, 3 * SS_MSEC);
    cookie = f->seg[0].tcp.seq;
    ss_sim_run(f->sim, 119 * SS_SEC);
    tf_send(f, ACK, 101, cookie + 1, 0);
    tf_run(f, 3 * SS_MSEC);
    CU_ASSERT_PTR_NOT_NULL(f->conn);
    tf_free(f);
}

/* ACKs are checked as cookies only while the listener sent cookies in the
 * last two minutes; otherwise they get the LISTEN state's RST. */
static void test_no_check_without_recent_overflow(void)
{
    struct tcpfix *f = tf_new();
    f->h_port = 80;
    ss_tcp_listen(f->h, 80, 8, &tf_callbacks, f, &f->listener);
    tf_send(f, ACK, 1, 2, 0);
    tf_run(f, 3 * SS_MSEC);
    tf_expect(f, SS_TCP_RST, 2, 0);
    uint64_t failed;
    ss_tcp_counter(f->h, "SyncookiesFailed", &failed);
    CU_ASSERT_EQUAL(failed, 0);
    tf_free(f);
}

/* A million random ACKs guessing cookies establish nothing. */
static void test_random_ack_guesses_establish_nothing(void)
{
    ss_sim *sim;
    ss_node *attacker, *server;
    ss_link *l;
    ss_link_config c;
    ss_link_config_default(&c);
    c.rate_bps = 100000000000LL;
    c.queue_packets = 100000;
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(8, &sim), 0);
    ss_host_new(sim, "attacker", 0, &attacker);
    ss_host_new(sim, "server", 0, &server);
    ss_link_new(sim, attacker, server, &c, &l);
    ss_tcp_set(server, "tcp_syncookies", 2);
    struct tcpfix rec = {0};
    ss_tcp_listener *lis;
    ss_tcp_listen(server, 80, 128, &tf_callbacks, &rec, &lis);
    /* one real SYN makes the listener send a cookie: ACKs get checked */
    ss_packet *p;
    ss_packet_new(sim, &p);
    p->dst = ss_node_addr(server);
    p->tcp.sport = 999;
    p->tcp.dport = 80;
    p->tcp.flags = SS_TCP_SYN;
    ss_node_send(sim, attacker, p);
    uint64_t guesses = testing_quick() ? 100000 : 1000000;
    ss_flood_config fc = {.kind = SS_FLOOD_ACK, .target = ss_node_addr(server), .port = 80,
                          .prefix = 0x0a800000, .prefix_len = 9, .rate = 1e6, .start = 1 * SS_MSEC,
                          .duration = SS_TIME_MAX, .count = guesses};
    ss_app_flood *flood;
    CU_ASSERT_EQUAL_FATAL(ss_app_flood_new(attacker, "guess", &fc, &flood), 0);
    ss_sim_run(sim, SS_TIME_MAX);
    CU_ASSERT_EQUAL(ss_app_flood_sent(flood), guesses);
    uint64_t failed, recv, opens;
    ss_tcp_counter(server, "SyncookiesFailed", &failed);
    ss_tcp_counter(server, "SyncookiesRecv", &recv);
    ss_tcp_counter(server, "PassiveOpens", &opens);
    CU_ASSERT_EQUAL(failed, guesses);
    CU_ASSERT_EQUAL(recv, 0);
    CU_ASSERT_EQUAL(opens, 0);
    CU_ASSERT_EQUAL(rec.established, 0);
    ss_sim_free(sim);
}

/* Sending a cookie allocates nothing. */
static void test_sending_cookies_allocates_nothing(void)
{
    ss_sim *sim;
    ss_node *attacker, *server;
    ss_link *l;
    ss_link_config c;
    ss_link_config_default(&c);
    CU_ASSERT_EQUAL_FATAL(ss_sim_new(8, &sim), 0);
    ss_host_new(sim, "attacker", 0, &attacker);
    ss_host_new(sim, "server", 0, &server);
    ss_link_new(sim, attacker, server, &c, &l);
    ss_tcp_set(server, "tcp_syncookies", 2);
    ss_tcp_listener *lis;
    ss_tcp_listen(server, 80, 128, NULL, NULL, &lis);
    ss_flood_config fc = {.kind = SS_FLOOD_SYN, .target = ss_node_addr(server), .port = 80,
                          .prefix = ss_node_addr(attacker), .prefix_len = 32, .rate = 1e5, .start = 0,
                          .duration = 2 * SS_SEC};
    ss_app_flood *flood;
    ss_app_flood_new(attacker, "syn", &fc, &flood);
    ss_sim_run(sim, 500 * SS_MSEC);
    long before = ss_alloc_count();
    ss_sim_run(sim, 2 * SS_SEC);
    CU_ASSERT_EQUAL(ss_alloc_count() - before, 0);
    uint64_t sent;
    ss_tcp_counter(server, "SyncookiesSent", &sent);
    CU_ASSERT(sent >= 199000);
    ss_sim_free(sim);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"round trip: every MSS entry and option combination", test_round_trip_every_mss_and_option},
        {"cookie age limit", test_cookie_age_limit},
        {"no cookie check without a recent overflow", test_no_check_without_recent_overflow},
        {"random ACK guesses establish nothing", test_random_ack_guesses_establish_nothing},
        {"sending cookies allocates nothing", test_sending_cookies_allocates_nothing},
        {NULL, NULL},
    };
    tf_add_suite("syn cookies", cases);
    return testing_main();
}
