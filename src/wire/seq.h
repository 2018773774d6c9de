/* Wrap-aware arithmetic on RTP sequence numbers (16 bit) and timestamps (32 bit), and unwrappers
 * that extend them to 64 bits so that the NACK generator, the packet cache and the receive
 * statistics can compare and subtract without thinking about the wrap. Everything is static inline
 * and pure. It deliberately holds no policy about what counts as a restart of the stream or a jump
 * too large to believe: a sender that jumps by half the number space is indistinguishable from
 * reordering, and deciding which it was belongs to the caller, who knows the stream. */
#ifndef OKNO_WIRE_SEQ_H
#define OKNO_WIRE_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance a - b on the 16-bit circle, in [-32768, 32768]. Exactly half the circle apart is
 * ambiguous; it is broken by the plain value (positive when a > b) so that okno_seq_newer is a
 * strict order on any pair: for a != b exactly one of newer(a, b) and newer(b, a) holds. */
static inline int32_t okno_seq_diff(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(a - b);
    if (d < 0x8000)
        return d;
    if (d == 0x8000 && a > b)
        return 0x8000;
    return (int32_t)d - 0x10000;
}

/* True when a comes after b, counting across the wrap (65535 is older than 0). */
static inline bool okno_seq_newer(uint16_t a, uint16_t b)
{
    return okno_seq_diff(a, b) > 0;
}

/* The 32-bit timestamp counterparts, with the same tie rule at exactly 2^31 apart. */
static inline int64_t okno_ts_diff(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    if (d < 0x80000000u)
        return d;
    if (d == 0x80000000u && a > b)
        return (int64_t)0x80000000u;
    return (int64_t)d - ((int64_t)1 << 32);
}

static inline bool okno_ts_newer(uint32_t a, uint32_t b)
{
    return okno_ts_diff(a, b) > 0;
}

/* Extends 16-bit sequence numbers to 64 bits. Each value is placed at the extended position nearest
 * to the previous one, so a late packet from before a wrap lands below the wrap rather than 65536
 * ahead. The first value unwraps to itself; a packet older than the first one across a wrap gets a
 * negative number, which keeps the arithmetic exact instead of clamping. Zero-initialise (or call
 * okno_seq_unwrapper_init). */
struct okno_seq_unwrapper {
    int64_t last; /* extended value of the last input */
    bool started;
};

static inline void okno_seq_unwrapper_init(struct okno_seq_unwrapper *u)
{
    u->last = 0;
    u->started = false;
}

/* Returns the extended value of seq. Relative to the last input rather than the highest one: a
 * burst of reordered packets then unwraps consistently whatever order it arrives in. */
static inline int64_t okno_seq_unwrap(struct okno_seq_unwrapper *u, uint16_t seq)
{
    if (!u->started) {
        u->started = true;
        u->last = seq;
        return u->last;
    }
    u->last += okno_seq_diff(seq, (uint16_t)u->last);
    return u->last;
}

/* The same for 32-bit RTP timestamps (at 90 kHz they wrap every 13 hours, and start anywhere). */
struct okno_ts_unwrapper {
    int64_t last;
    bool started;
};

static inline void okno_ts_unwrapper_init(struct okno_ts_unwrapper *u)
{
    u->last = 0;
    u->started = false;
}

static inline int64_t okno_ts_unwrap(struct okno_ts_unwrapper *u, uint32_t ts)
{
    if (!u->started) {
        u->started = true;
        u->last = ts;
        return u->last;
    }
    u->last += okno_ts_diff(ts, (uint32_t)u->last);
    return u->last;
}

#endif
