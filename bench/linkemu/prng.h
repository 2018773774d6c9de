/* The link emulator's own pseudo-random numbers: xoshiro256** (Blackman and Vigna) seeded through
 * splitmix64, so a seed gives the same stream on every machine and the C library's rand() state
 * is never touched. One generator per use (loss, Gilbert-Elliott, jitter) keeps the streams
 * independent of how their draws interleave. It deliberately offers only what the model needs:
 * uniform doubles in [0, 1) and standard normal samples (Box-Muller). */
#ifndef OKNO_BENCH_PRNG_H
#define OKNO_BENCH_PRNG_H

#include <math.h>
#include <stdint.h>

struct okno_prng {
    uint64_t s[4];
};

static inline uint64_t okno__splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seeds stream number `stream` of seed: different streams of one seed are unrelated. */
static inline void okno_prng_seed(struct okno_prng *g, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        g->s[i] = okno__splitmix64(&x);
}

static inline uint64_t okno__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t okno_prng_next(struct okno_prng *g)
{
    uint64_t *s = g->s;
    uint64_t result = okno__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = okno__rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1), 53 bits. */
static inline double okno_prng_uniform(struct okno_prng *g)
{
    return (double)(okno_prng_next(g) >> 11) * 0x1.0p-53;
}

/* Standard normal (mean 0, deviation 1). Uses one of Box-Muller's pair and drops the other, which
 * keeps the generator's state a plain seed-determined stream. */
static inline double okno_prng_normal(struct okno_prng *g)
{
    double u1 = 1.0 - okno_prng_uniform(g); /* (0, 1]: log() stays finite */
    double u2 = okno_prng_uniform(g);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

#endif
