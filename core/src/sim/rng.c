#include "synsim/rng.h"

#include <math.h>

uint64_t ss_stream_id(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* SplitMix64 (Steele, Lea, Flood 2014), the seeding generator that the
 * xoshiro authors recommend: it spreads any 64-bit input over the state. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ss_rng_seed(ss_rng *rng, uint64_t seed, uint64_t stream)
{
    /* Mix seed and stream through two SplitMix64 rounds so that nearby
     * seeds and nearby stream ids give unrelated states. */
    if (!rng)
        return;
    uint64_t x = seed;
    uint64_t mixed = splitmix64(&x);
    x = mixed ^ stream;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
    /* An all-zero state would stay zero forever; SplitMix64 never gives four
     * zeros in a row, but keep the guarantee explicit. */
    if (!(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]))
        rng->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t ss_rng_next(ss_rng *rng)
{
    if (!rng)
        return 0;
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double ss_rng_uniform(ss_rng *rng)
{
    return rng ? (double)(ss_rng_next(rng) >> 11) * 0x1.0p-53 : 0.0;
}

uint64_t ss_rng_below(ss_rng *rng, uint64_t n)
{
    if (n == 0 || !rng)
        return 0;
    /* Lemire, "Fast random integer generation in an interval" (2019). */
    __uint128_t m = (__uint128_t)ss_rng_next(rng) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (__uint128_t)ss_rng_next(rng) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double ss_rng_exponential(ss_rng *rng, double mean)
{
    /* 1 - u lies in (0, 1], so the logarithm is finite. */
    if (!rng)
        return 0.0;
    return -mean * log(1.0 - ss_rng_uniform(rng));
}

bool ss_rng_bernoulli(ss_rng *rng, double p)
{
    if (!rng || p <= 0.0)
        return false;
    if (p >= 1.0)
        return true;
    return ss_rng_uniform(rng) < p;
}
