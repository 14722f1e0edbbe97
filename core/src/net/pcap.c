/* pcap writer: IPv4 + TCP headers rebuilt from synsim's packets.
 *
 * File: the classic pcap format with the nanosecond magic (0xa1b23c4d) and
 * LINKTYPE_RAW (101: each record starts at the IPv4 header).
 *
 * Records are built whole into a buffer and reach the file only in whole
 * records, by write() on the descriptor (no stdio, whose buffer would cut a
 * record at any byte when the process dies): so a capture of a process that
 * is killed ends at the last record written, and readers such as tshark
 * accept it.  A write that cannot be completed is cut back to the last
 * whole record (ftruncate) and the capture stops. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "net/net_internal.h"
#include "synsim/error.h"
#include "synsim/pcap.h"

#define PCAP_MAGIC_NS 0xa1b23c4du
#define LINKTYPE_RAW 101
#define MAX_TARGETS 64
#define RECORD_MAX (16 + 65535)
/* Room for a few records of the largest size: a flush writes at most this
 * much, and a full buffer costs one system call per ~200 KB. */
#define BUFFER_SIZE (4 * RECORD_MAX)

struct target {
    const ss_node *node;
    const ss_link *link;
};

struct ss_pcap {
    struct ss_pcap *next;
    ss_sim *sim;
    struct ss_net *net;
    int fd;          /* -1 once closed */
    uint64_t slot;   /* this capture's bit in ss_packet.captured; 0 once closed */
    uint32_t snaplen;
    bool failed;
    uint64_t packets;
    off_t written;   /* bytes in the file: always a whole number of records */
    struct target *targets;
    size_t target_count, target_cap;
    uint8_t *buf;    /* whole records not yet written, then room for the next */
    size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* RFC 1071 one's-complement sum. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* TCP options as Linux writes them (tcp_options_write()): on a SYN, MSS;
 * SACK-permitted sharing the timestamps' padding, or NOP NOP before either
 * alone; NOP and window scale.  Other segments: NOP NOP timestamps. */
static size_t write_options(const ss_packet *p, uint8_t *o)
{
    const ss_tcp_header *h = &p->tcp;
    size_t n = 0;
    if (h->flags & SS_TCP_SYN) {
        if (h->mss) {
            o[n++] = 2, o[n++] = 4;
            put16(o + n, h->mss), n += 2;
        }
        if (h->has_ts) {
            if (h->sack_ok)
                o[n++] = 4, o[n++] = 2;
            else
                o[n++] = 1, o[n++] = 1;
            o[n++] = 8, o[n++] = 10;
            put32(o + n, h->tsval), n += 4;
            put32(o + n, h->tsecr), n += 4;
        } else if (h->sack_ok) {
            o[n++] = 1, o[n++] = 1, o[n++] = 4, o[n++] = 2;
        }
        if (h->has_wscale)
            o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = h->wscale;
    } else if (h->has_ts) {
        o[n++] = 1, o[n++] = 1, o[n++] = 8, o[n++] = 10;
        put32(o + n, h->tsval), n += 4;
        put32(o + n, h->tsecr), n += 4;
    }
    return n;
}

/* Build the packet's bytes at `ip`; returns the IP length. */
static size_t build(uint8_t *ip, const ss_packet *p)
{
    uint8_t *tcp = ip + 20;
    uint8_t options[40];
    size_t optlen = write_options(p, options);
    size_t tcp_len = 20 + optlen + p->payload;
    size_t total = 20 + tcp_len;
    if (total > 65535)
        total = 65535, tcp_len = total - 20;
    memset(ip, 0, total);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)total);
    put16(ip + 4, (uint16_t)p->id);
    put16(ip + 6, 0x4000); /* DF, as Linux with path MTU discovery */
    ip[8] = p->ttl;
    ip[9] = p->protocol;
    put32(ip + 12, p->src);
    put32(ip + 16, p->dst);
    put16(ip + 10, fold(sum16(ip, 20, 0)));
    put16(tcp, p->tcp.sport);
    put16(tcp + 2, p->tcp.dport);
    put32(tcp + 4, p->tcp.seq);
    put32(tcp + 8, p->tcp.ack);
    tcp[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    tcp[13] = p->tcp.flags;
    put16(tcp + 14, p->tcp.window);
    memcpy(tcp + 20, options, optlen);
    /* pseudo-header (RFC 9293 3.1), then the segment */
    uint32_t sum = (p->src >> 16) + (p->src & 0xffff) + (p->dst >> 16) + (p->dst & 0xffff) + SS_IPPROTO_TCP +
                   (uint32_t)tcp_len;
    put16(tcp + 16, fold(sum16(tcp, tcp_len, sum)));
    return total;
}

static void write_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Signals whose default action ends the process are caught while a write
 * is under way, and raised again once it is done, so that SIGTERM, SIGINT,
 * SIGHUP... end the process between two records.  The disposition, not a
 * thread's signal mask, is changed: it applies to the whole process, and a
 * signal sent to the process may be delivered to any thread that does not
 * block it (numpy's BLAS threads, for one), which would end the process in
 * the middle of our write.  Only signals left at SIG_DFL are touched (a
 * handler that returns, such as Python's for SIGINT, does no harm; an
 * ignored signal neither).  SIGXFSZ is caught too, so that a file-size
 * limit shows as a short write that is cut back.  SIGKILL cannot be caught:
 * the kernel may stop a write of several pages between two pages (Linux
 * generic_perform_write() checks fatal_signal_pending() per folio), which
 * writing whole records in one call keeps rare but cannot rule out. */
static const int deferred_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                       SIGPIPE, SIGALRM, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF};
#define DEFERRED_COUNT (sizeof deferred_signals / sizeof deferred_signals[0])

static volatile sig_atomic_t deferred_signal;

static void defer_signal(int sig)
{
    deferred_signal = sig;
}

struct deferral {
    struct sigaction old[DEFERRED_COUNT];
    bool caught[DEFERRED_COUNT];
};

static void defer_begin(struct deferral *d)
{
    deferred_signal = 0;
    struct sigaction catcher;
    memset(&catcher, 0, sizeof catcher);
    catcher.sa_handler = defer_signal;
    sigfillset(&catcher.sa_mask);
    for (size_t i = 0; i < DEFERRED_COUNT; i++) {
        d->caught[i] = false;
        if (sigaction(deferred_signals[i], NULL, &d->old[i]) != 0 ||
            (d->old[i].sa_flags & SA_SIGINFO) || d->old[i].sa_handler != SIG_DFL)
            continue;
        d->caught[i] = sigaction(deferred_signals[i], &catcher, NULL) == 0;
    }
}

/* Put the dispositions back; a signal that came meanwhile now takes its
 * default action, which ends the process after the whole write. */
static void defer_end(struct deferral *d)
{
    for (size_t i = 0; i < DEFERRED_COUNT; i++)
        if (d->caught[i])
            sigaction(deferred_signals[i], &d->old[i], NULL);
    int sig = deferred_signal;
    deferred_signal = 0;
    if (sig && sig != SIGXFSZ)
        raise(sig);
}

/* Write the buffered records; a short write is continued, and one that
 * cannot be completed (disk full, file-size limit) is cut back to the last
 * whole record so that the file stays readable; the capture then stops. */
static void write_out(struct ss_pcap *pc)
{
    if (pc->fd < 0 || pc->len == 0)
        return;
    struct deferral deferral;
    defer_begin(&deferral);
    size_t done = 0;
    while (done < pc->len) {
        ssize_t n = write(pc->fd, pc->buf + done, pc->len - done);
        if (n > 0)
            done += (size_t)n;
        else if (n < 0 && errno == EINTR)
            continue;
        else
            break;
    }
    if (done == pc->len) {
        pc->written += (off_t)done;
    } else {
        /* Cut the file back to its last whole record.  Should the cut fail
         * too, `failed` already makes ss_pcap_close() report SS_EIO. */
        pc->failed = true;
        int cut = ftruncate(pc->fd, pc->written);
        (void)cut;
    }
    pc->len = 0;
    defer_end(&deferral);
}

/* Each packet is written once per capture, where the capture first sees
 * it: a capture of a host and of its link, or of two routers on a path,
 * holds one record per packet, not one per place it was seen. */
static void record(struct ss_pcap *pc, ss_packet *p)
{
    if (pc->failed || (p->captured & pc->slot))
        return;
    p->captured |= pc->slot;
    if (BUFFER_SIZE - pc->len < RECORD_MAX) {
        write_out(pc);
        if (pc->failed)
            return;
    }
    uint8_t *rec = pc->buf + pc->len;
    size_t len = build(rec + 16, p);
    size_t incl = len < pc->snaplen ? len : pc->snaplen;
    ss_time now = pc->sim->now;
    write_le32(rec, (uint32_t)(now / SS_SEC));
    write_le32(rec + 4, (uint32_t)(now % SS_SEC));
    write_le32(rec + 8, (uint32_t)incl);
    write_le32(rec + 12, (uint32_t)len);
    pc->len += 16 + incl; /* the bytes past the snaplen are overwritten by the next record */
    pc->packets++;
}

void pcap_node_event(ss_sim *sim, struct ss_net *net, const ss_node *node, ss_packet *packet)
{
    (void)sim;
    for (struct ss_pcap *pc = net->captures; pc; pc = pc->next)
        for (size_t i = 0; i < pc->target_count; i++)
            if (pc->targets[i].node == node) {
                record(pc, packet);
                break;
            }
}

void pcap_link_event(ss_sim *sim, struct ss_net *net, const ss_link *link, ss_packet *packet)
{
    (void)sim;
    for (struct ss_pcap *pc = net->captures; pc; pc = pc->next)
        for (size_t i = 0; i < pc->target_count; i++)
            if (pc->targets[i].link == link) {
                record(pc, packet);
                break;
            }
}

/* The lowest free slot; a slot that a closed capture used may still be
 * marked on packets in flight, so it is cleared from the whole pool. */
static void take_slot(struct ss_pcap *pc)
{
    struct ss_net *net = pc->net;
    unsigned i = 0;
    while (net->capture_slots & (UINT64_C(1) << i))
        i++;
    pc->slot = UINT64_C(1) << i;
    net->capture_slots |= pc->slot;
    net_packets_forget_capture(net, pc->slot);
}

int ss_pcap_open(ss_sim *sim, const char *path, uint32_t snaplen, ss_pcap **out)
{
    if (!sim || !path || !out)
        return SS_EINVAL;
    *out = NULL;
    struct ss_net *net = net_get(sim);
    if (!net)
        return SS_ENOMEM;
    if (net->capture_slots == UINT64_MAX)
        return SS_ERANGE; /* 64 captures open at once */
    struct ss_pcap *pc = ss_calloc(1, sizeof *pc);
    if (!pc)
        return SS_ENOMEM;
    pc->buf = ss_malloc(BUFFER_SIZE);
    if (!pc->buf) {
        ss_free(pc);
        return SS_ENOMEM;
    }
    pc->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (pc->fd < 0) {
        ss_free(pc->buf);
        ss_free(pc);
        return SS_EIO;
    }
    pc->sim = sim;
    pc->net = net;
    take_slot(pc);
    pc->snaplen = snaplen ? snaplen : 65535;
    uint8_t *header = pc->buf;
    write_le32(header, PCAP_MAGIC_NS);
    header[4] = 2, header[5] = 0, header[6] = 4, header[7] = 0; /* version 2.4 */
    write_le32(header + 8, 0);  /* thiszone */
    write_le32(header + 12, 0); /* sigfigs */
    write_le32(header + 16, pc->snaplen);
    write_le32(header + 20, LINKTYPE_RAW);
    pc->len = 24;
    write_out(pc); /* at once: from now on the file is a capture, if an empty one */
    pc->next = net->captures;
    net->captures = pc;
    *out = pc;
    return 0;
}

static int add_target(ss_pcap *pc, struct target t)
{
    if (pc->target_count >= MAX_TARGETS)
        return SS_ERANGE;
    if (ss_reserve(&pc->targets, &pc->target_cap, pc->target_count + 1, sizeof *pc->targets, 4) < 0)
        return SS_ENOMEM;
    pc->targets[pc->target_count++] = t;
    return 0;
}

int ss_pcap_add_node(ss_pcap *pc, ss_node *node)
{
    if (!pc || !node || pc->fd < 0)
        return SS_EINVAL;
    if (node->sim != pc->sim)
        return SS_EOTHERSIM;
    return add_target(pc, (struct target){.node = node});
}

int ss_pcap_add_link(ss_pcap *pc, ss_link *link)
{
    if (!pc || !link || pc->fd < 0)
        return SS_EINVAL;
    if (link->sim != pc->sim)
        return SS_EOTHERSIM;
    return add_target(pc, (struct target){.link = link});
}

uint64_t ss_pcap_packets(const ss_pcap *pc) { return pc ? pc->packets : 0; }

int ss_pcap_flush(ss_pcap *pc)
{
    if (!pc || pc->fd < 0)
        return SS_EINVAL;
    write_out(pc);
    return pc->failed ? SS_EIO : 0;
}

static int pcap_finish(struct ss_pcap *pc)
{
    int rc = 0;
    if (pc->fd >= 0) {
        write_out(pc);
        if (close(pc->fd) != 0 || pc->failed)
            rc = SS_EIO;
        pc->fd = -1;
    }
    pc->net->capture_slots &= ~pc->slot;
    pc->slot = 0;
    ss_free(pc->buf);
    pc->buf = NULL;
    pc->target_count = 0;
    return rc;
}

int ss_pcap_close(ss_pcap *pc)
{
    if (!pc)
        return SS_EINVAL;
    return pcap_finish(pc); /* the object stays in the list until the simulator goes */
}

void pcap_close_all(struct ss_net *net)
{
    for (struct ss_pcap *pc = net->captures, *next; pc; pc = next) {
        next = pc->next;
        pcap_finish(pc);
        ss_free(pc->targets);
        ss_free(pc);
    }
    net->captures = NULL;
}
