/* SipHash-2-4 (Aumasson and Bernstein, 2012) over a few 32-bit words: the
 * keyed hash behind initial sequence numbers (RFC 6528) and SYN cookies, as
 * in Linux's siphash_3u32()/siphash_4u32(). */
#ifndef SYNSIM_SIPHASH_H
#define SYNSIM_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct ss_siphash_key {
    uint64_t k0, k1;
} ss_siphash_key;

/* Hash `count` 32-bit words (as little-endian bytes, as Linux does). */
uint64_t ss_siphash_u32(const ss_siphash_key *key, const uint32_t *words, size_t count);

#endif
