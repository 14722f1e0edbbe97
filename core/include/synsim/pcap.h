/* synsim packet capture: nanosecond-resolution pcap files with real IPv4
 * and TCP headers (options as Linux lays them out, correct checksums),
 * readable by Wireshark and tshark.  Payload bytes, which synsim does not
 * model, are written as zeros.
 *
 * Ownership: the simulator owns every capture; ss_pcap_close() flushes and
 * closes one early, ss_sim_free() closes the rest. */
#ifndef SYNSIM_PCAP_H
#define SYNSIM_PCAP_H

#include "synsim/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_pcap ss_pcap;

/* Create `path` (SS_EIO if it cannot be written; SS_ERANGE if 64 captures
 * of this simulator are open).  snaplen 0: 65535. */
int ss_pcap_open(ss_sim *sim, const char *path, uint32_t snaplen, ss_pcap **out);
/* Capture what a node sends, receives or forwards, or what enters a link
 * (either direction), from now on.  A capture writes each packet once, at
 * the first of its targets that sees it (a host and its link, or two
 * routers on one path, give one record per packet). */
int ss_pcap_add_node(ss_pcap *pcap, ss_node *node);
int ss_pcap_add_link(ss_pcap *pcap, ss_link *link);
uint64_t ss_pcap_packets(const ss_pcap *pcap);
/* Write what was captured so far to the file.  Records reach the file only
 * whole, so that it is readable at any moment, even after the process was
 * killed; they are buffered (up to ~256 KB) and written when the buffer is
 * full, on ss_pcap_flush() and on close.  SS_EINVAL if `pcap` is NULL or
 * closed; SS_EIO if writing failed at any point (the file then ends at the
 * last whole record and the capture records nothing more). */
int ss_pcap_flush(ss_pcap *pcap);
/* Flush and close; the capture records nothing more.  SS_EIO if writing
 * failed at any point. */
int ss_pcap_close(ss_pcap *pcap);

#ifdef __cplusplus
}
#endif
#endif
