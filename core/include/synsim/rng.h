/* synsim random streams.
 *
 * xoshiro256** (Blackman and Vigna, 2018): fast, 256 bits of state, passes
 * BigCrush.  Each component draws from its own stream, seeded from
 * (simulation seed, stream id) through SplitMix64, and the stream id is a
 * hash of a stable name ("link:client>server#0"), not a creation index, so
 * adding a component never changes the draws of another. */
#ifndef SYNSIM_RNG_H
#define SYNSIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ss_rng {
    uint64_t s[4];
} ss_rng;

/* 64-bit FNV-1a of a NUL-terminated name: the id of a named stream. */
uint64_t ss_stream_id(const char *name);
/* Seed `rng` for stream `stream` of simulation seed `seed`. */
void ss_rng_seed(ss_rng *rng, uint64_t seed, uint64_t stream);

uint64_t ss_rng_next(ss_rng *rng);
/* Uniform on [0, 1) with 53 random bits. */
double ss_rng_uniform(ss_rng *rng);
/* Uniform integer on [0, n), without bias (Lemire 2019); 0 when n == 0. */
uint64_t ss_rng_below(ss_rng *rng, uint64_t n);
/* Exponential with the given mean (> 0). */
double ss_rng_exponential(ss_rng *rng, double mean);
/* True with probability p (p <= 0 never, p >= 1 always). */
bool ss_rng_bernoulli(ss_rng *rng, double p);

#ifdef __cplusplus
}
#endif
#endif
