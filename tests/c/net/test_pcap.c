/* pcap capture (core/src/pcap.c): read the file back byte by byte. */
#include <stdio.h>

#include "synsim/pcap.h"
#include "tcp/tcpfix.h"

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* An independent one's-complement check: a correct header sums to 0xffff. */
static uint16_t ones_sum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* A handshake and 3000 bytes from a to b. */
static void run_exchange(ss_sim *sim, ss_node *a, ss_node *b)
{
    ss_tcp_listener *lis;
    ss_tcp_listen(b, 80, 8, NULL, NULL, &lis);
    ss_tcp_conn *conn;
    ss_tcp_connect(a, ss_node_addr(b), 80, NULL, NULL, &conn);
    ss_sim_run(sim, 1 * SS_SEC);
    ss_tcp_send(conn, 3000);
    ss_sim_run(sim, 2 * SS_SEC);
}

static void test_handshake_capture_reads_back(void)
{
    const char *path = "build/test_pcap_handshake.pcap";
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(1, &sim, &a, &b);
    ss_pcap *pc;
    CU_ASSERT_EQUAL_FATAL(ss_pcap_open(sim, path, 0, &pc), 0);
    CU_ASSERT_EQUAL(ss_pcap_add_node(pc, a), 0);
    run_exchange(sim, a, b);
    uint64_t n = ss_pcap_packets(pc);
    CU_ASSERT_EQUAL(ss_pcap_close(pc), 0);
    ss_sim_free(sim);

    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static uint8_t file[1 << 20];
    size_t size = fread(file, 1, sizeof file, f);
    fclose(f);
    CU_ASSERT_EQUAL(le32(file), 0xa1b23c4du);
    CU_ASSERT_EQUAL(le32(file + 20), 101);
    size_t off = 24, records = 0, bad = 0;
    int64_t last = -1;
    while (off + 16 <= size) {
        uint32_t sec = le32(file + off), nsec = le32(file + off + 4), incl = le32(file + off + 8);
        const uint8_t *ip = file + off + 16, *tcp = ip + 20;
        int64_t t = (int64_t)sec * SS_SEC + nsec;
        bad += t < last || nsec >= 1000000000u;
        last = t;
        uint16_t total = be16(ip + 2);
        bad += ip[0] != 0x45 || total != incl || ip[9] != 6;
        bad += ones_sum(ip, 20, 0) != 0xffff;
        size_t tcp_len = total - 20u;
        uint32_t pseudo = (be32(ip + 12) >> 16) + (be32(ip + 12) & 0xffff) + (be32(ip + 16) >> 16) +
                          (be32(ip + 16) & 0xffff) + 6 + (uint32_t)tcp_len;
        bad += ones_sum(tcp, tcp_len, pseudo) != 0xffff;
        if (records == 0) {
            /* the SYN: MSS 1460, SACK-permitted + timestamps, NOP + wscale 7 */
            bad += tcp[13] != SS_TCP_SYN || (tcp[12] >> 4) != 10;
            const uint8_t *o = tcp + 20;
            bad += o[0] != 2 || o[1] != 4 || be16(o + 2) != 1460 || o[4] != 4 || o[5] != 2 || o[6] != 8 ||
                   o[7] != 10 || o[16] != 1 || o[17] != 3 || o[18] != 3 || o[19] != 7;
            bad += t != 0;
        }
        off += 16 + incl;
        records++;
    }
    CU_ASSERT_EQUAL(off, size);
    CU_ASSERT_EQUAL(records, n);
    CU_ASSERT(records >= 6); /* SYN, SYN-ACK, ACK, data, its ACK ... */
    CU_ASSERT_EQUAL(bad, 0);
}

/* 12.10: a host, its link and the peer in one capture give one record per
 * packet, as many as a capture of the host alone, which sees them all. */
static void test_each_packet_written_once(void)
{
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(1, &sim, &a, &b);
    ss_pcap *alone, *all, *links;
    CU_ASSERT_EQUAL_FATAL(ss_pcap_open(sim, "build/test_pcap_alone.pcap", 0, &alone), 0);
    CU_ASSERT_EQUAL_FATAL(ss_pcap_open(sim, "build/test_pcap_all.pcap", 0, &all), 0);
    CU_ASSERT_EQUAL_FATAL(ss_pcap_open(sim, "build/test_pcap_links.pcap", 0, &links), 0);
    ss_pcap_add_node(alone, a);
    ss_pcap_add_node(all, a);
    ss_pcap_add_link(all, ss_link_at(sim, 0));
    ss_pcap_add_node(all, b);
    ss_pcap_add_link(links, ss_link_at(sim, 0));
    ss_pcap_add_link(links, ss_link_at(sim, 0)); /* the same target twice */
    run_exchange(sim, a, b);
    CU_ASSERT(ss_pcap_packets(alone) >= 6);
    CU_ASSERT_EQUAL(ss_pcap_packets(all), ss_pcap_packets(alone));
    CU_ASSERT_EQUAL(ss_pcap_packets(links), ss_pcap_packets(alone));
    ss_sim_free(sim);
}

/* 64 captures may be open at once; a closed capture's slot is reused, and
 * the new capture writes packets that the old one had written. */
static void test_capture_slots(void)
{
    ss_sim *sim;
    ss_node *a, *b;
    netfix_pair(1, &sim, &a, &b);
    ss_pcap *pc[65];
    char path[64];
    for (int i = 0; i < 64; i++) {
        snprintf(path, sizeof path, "build/test_pcap_slot%d.pcap", i);
        CU_ASSERT_EQUAL_FATAL(ss_pcap_open(sim, path, 0, &pc[i]), 0);
        ss_pcap_add_node(pc[i], a);
    }
    CU_ASSERT_EQUAL(ss_pcap_open(sim, "build/test_pcap_slot64.pcap", 0, &pc[64]), SS_ERANGE);
    CU_ASSERT_PTR_NULL(pc[64]);
    /* packets in flight carry the marks of all 64 */
    ss_tcp_listener *lis;
    ss_tcp_listen(b, 80, 8, NULL, NULL, &lis);
    ss_tcp_conn *conn;
    ss_tcp_connect(a, ss_node_addr(b), 80, NULL, NULL, &conn);
    ss_sim_run(sim, SS_USEC); /* the SYN is on the link */
    CU_ASSERT_EQUAL(ss_pcap_packets(pc[7]), 1);
    CU_ASSERT_EQUAL(ss_pcap_close(pc[7]), 0);
    CU_ASSERT_EQUAL_FATAL(ss_pcap_open(sim, "build/test_pcap_slot64.pcap", 0, &pc[64]), 0);
    ss_pcap_add_node(pc[64], b);
    ss_sim_run(sim, 1 * SS_SEC);
    /* b received the SYN that slot 7 had written: the new capture has it */
    CU_ASSERT_EQUAL(ss_pcap_packets(pc[64]), ss_pcap_packets(pc[0]));
    ss_sim_free(sim);
}

static void test_open_errors(void)
{
    ss_sim *sim, *other;
    ss_node *a;
    ss_sim_new(1, &sim);
    ss_sim_new(1, &other);
    ss_host_new(other, "x", 0, &a);
    ss_pcap *pc;
    CU_ASSERT_EQUAL(ss_pcap_open(sim, "/nonexistent-dir/x.pcap", 0, &pc), SS_EIO);
    CU_ASSERT_EQUAL(ss_pcap_open(sim, "build/test_pcap_err.pcap", 0, &pc), 0);
    CU_ASSERT_EQUAL(ss_pcap_add_node(pc, a), SS_EOTHERSIM);
    CU_ASSERT_EQUAL(ss_pcap_close(pc), 0);
    CU_ASSERT_EQUAL(ss_pcap_add_node(pc, a), SS_EINVAL); /* closed */
    ss_sim_free(sim);
    ss_sim_free(other);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    static const testing_case cases[] = {
        {"handshake capture reads back", test_handshake_capture_reads_back},
        {"open errors", test_open_errors},
        {"each packet written once", test_each_packet_written_once},
        {"64 capture slots, reused", test_capture_slots},
        {NULL, NULL},
    };
    tf_add_suite("pcap", cases);
    return testing_main();
}
