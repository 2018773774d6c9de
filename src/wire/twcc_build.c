/* Encoding of transport-wide CC feedback. Chunks come before the deltas on the wire, and where the
 * chunks end is known only once every status is placed, so the encoder runs twice over the same
 * entries: a measuring pass decides how many fit (a packet's size never shrinks when an entry is
 * added, so the first entry that does not fit ends it), and a writing pass, fed the same entries by
 * the same code, puts chunks and deltas at their final offsets. Chunk choice follows libwebrtc:
 * pending statuses wait in a small buffer until the next one can join no chunk type, then leave as
 * a run, a one-bit vector of 14 or a two-bit vector of 7. This file deliberately does not decide
 * which packets to report or when (twcc_recorder.c does). */
#include "wire/twcc.h"

#include <stdbool.h>
#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"

#define RTCP_RTPFB    205
#define ONE_BIT_MAX   14
#define TWO_BIT_MAX   7
#define RUN_MAX       0x1fff
#define STATUS_MAX    0xffff
#define RTCP_SIZE_MAX 262144 /* 16-bit length in words */
#define FIXED_LEN     (OKNO_TWCC_HEADER_LEN + OKNO_TWCC_FCI_FIXED_LEN)

/* Statuses not yet written as a chunk. Only the first ONE_BIT_MAX are stored: past that the buffer
 * can only be growing a run, which needs just the count. */
struct pending {
    uint8_t sym[ONE_BIT_MAX];
    uint16_t n;
    bool all_same;
    bool has_large;
};

struct encoder {
    struct pending p;
    /* Arrival clock: every arrival is quantised against the first received one, so rounding never
     * adds up along the packet. */
    bool started;
    int64_t first_us;
    int64_t offset_us; /* first arrival minus the reference time, in [0, 64000) */
    int64_t ref;       /* reference time in 64 ms units, before truncation to 24 bits */
    int64_t last_tick; /* quantised arrival of the previous received entry */
    size_t chunk_bytes;
    size_t delta_bytes;
    uint8_t *chunks; /* NULL while measuring */
    uint8_t *deltas;
};

static bool pending_can_add(const struct pending *p, uint8_t s)
{
    if (p->n < TWO_BIT_MAX)
        return true;
    if (p->n < ONE_BIT_MAX && !p->has_large && s != OKNO_TWCC_LARGE_DELTA)
        return true;
    return p->all_same && s == p->sym[0] && p->n < RUN_MAX;
}

static void pending_add(struct pending *p, uint8_t s)
{
    if (p->n < ONE_BIT_MAX)
        p->sym[p->n] = s;
    p->all_same = p->n == 0 || (p->all_same && s == p->sym[0]);
    p->has_large = p->has_large || s == OKNO_TWCC_LARGE_DELTA;
    p->n++;
}

static uint16_t vector_chunk(const uint8_t *sym, unsigned n, bool two_bit)
{
    uint16_t c = two_bit ? 0xc000 : 0x8000;
    for (unsigned i = 0; i < n; i++)
        c |= two_bit ? (uint16_t)(sym[i] << (12 - 2 * i)) : (uint16_t)(sym[i] << (13 - i));
    return c;
}

/* Takes one chunk's worth of statuses off the front of p, when the next status fits no chunk type
 * or at the end of the packet (last). A mixed buffer that cannot grow holds either fourteen
 * small-or-missing statuses (one-bit vector) or a large delta among more than seven (two-bit vector
 * of the first seven, the rest stay). At the end, up to seven mixed statuses go in a two-bit
 * vector, as libwebrtc writes them. */
static uint16_t pending_take(struct pending *p, bool last)
{
    uint16_t c;
    if (p->all_same) {
        c = (uint16_t)(p->sym[0] << 13 | p->n);
        p->n = 0;
    } else if (p->n == ONE_BIT_MAX || (last && p->n > TWO_BIT_MAX)) {
        c = vector_chunk(p->sym, p->n, false);
        p->n = 0;
    } else if (last) {
        c = vector_chunk(p->sym, p->n, true);
        p->n = 0;
    } else {
        c = vector_chunk(p->sym, TWO_BIT_MAX, true);
        struct pending rest = {.n = 0};
        for (unsigned i = TWO_BIT_MAX; i < p->n; i++)
            pending_add(&rest, p->sym[i]);
        *p = rest;
    }
    return c;
}

static void put_chunk(struct encoder *e, uint16_t c)
{
    if (e->chunks)
        okno_wr16(e->chunks + e->chunk_bytes, c);
    e->chunk_bytes += 2;
}

/* Floor of a / b for b > 0, whatever the sign of a. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

/* Places a received arrival on the 250 us grid. Returns the delta in ticks from the previous one,
 * or false when it does not fit 16 bits signed (or is so far away that the arithmetic would
 * overflow). */
static bool arrival_delta(struct encoder *e, int64_t arrival_us, int64_t *delta)
{
    if (!e->started) {
        e->started = true;
        e->first_us = arrival_us;
        e->ref = floor_div(arrival_us, OKNO_TWCC_REF_TIME_US);
        e->offset_us = arrival_us % OKNO_TWCC_REF_TIME_US;
        if (e->offset_us < 0)
            e->offset_us += OKNO_TWCC_REF_TIME_US;
        e->last_tick = 0;
    }
    int64_t rel, half;
    if (__builtin_sub_overflow(arrival_us, e->first_us, &rel) ||
        __builtin_add_overflow(rel, e->offset_us + OKNO_TWCC_DELTA_US / 2, &half))
        return false;
    int64_t tick = floor_div(half, OKNO_TWCC_DELTA_US);
    int64_t d = tick - e->last_tick;
    if (d < INT16_MIN || d > INT16_MAX)
        return false;
    e->last_tick = tick;
    *delta = d;
    return true;
}

/* Adds one entry. Returns false, leaving e unusable, when its delta does not fit. */
static bool encoder_add(struct encoder *e, const struct okno_twcc_entry *en)
{
    uint8_t s = OKNO_TWCC_NOT_RECEIVED;
    int64_t d = 0;
    if (en->status != OKNO_TWCC_NOT_RECEIVED) {
        if (!arrival_delta(e, en->arrival_us, &d))
            return false;
        s = (d >= 0 && d <= UINT8_MAX) ? OKNO_TWCC_SMALL_DELTA : OKNO_TWCC_LARGE_DELTA;
    }
    while (!pending_can_add(&e->p, s))
        put_chunk(e, pending_take(&e->p, false));
    pending_add(&e->p, s);
    if (e->deltas && s == OKNO_TWCC_SMALL_DELTA)
        e->deltas[e->delta_bytes] = (uint8_t)d;
    else if (e->deltas && s == OKNO_TWCC_LARGE_DELTA)
        okno_wr16(e->deltas + e->delta_bytes, (uint16_t)(d & 0xffff));
    e->delta_bytes += s; /* a symbol is its delta size in bytes */
    return true;
}

/* The packet's size if it ended now: the pending statuses always make exactly one more chunk. */
static size_t encoder_size(const struct encoder *e)
{
    size_t n = FIXED_LEN + e->chunk_bytes + (e->p.n ? 2 : 0) + e->delta_bytes;
    return (n + 3) & ~(size_t)3;
}

/* Entries are checked as the packet reaches them, so a long list costs only what one packet covers.
 */
static bool entry_ok(const struct okno_twcc_entry *entries, size_t i)
{
    return entries[i].seq == (uint16_t)(entries[0].seq + i) &&
           entries[i].status <= OKNO_TWCC_LARGE_DELTA;
}

int okno_twcc_build(const struct okno_twcc_build_opts *opts, const struct okno_twcc_entry *entries,
                    size_t n, uint8_t *buf, size_t cap, size_t *consumed)
{
    if (n == 0)
        return OKNO_E_INVAL;
    size_t limit = cap;
    if (opts->max_size && opts->max_size < limit)
        limit = opts->max_size;
    if (limit > RTCP_SIZE_MAX)
        limit = RTCP_SIZE_MAX;

    /* Measuring: an entry that does not fit leaves e spoilt, so what the packet needs so far is
     * kept aside rather than the whole encoder copied for each trial. */
    struct encoder e = {.p.n = 0};
    size_t k = 0, chunks_len = 0, size = 0;
    while (k < n && k < STATUS_MAX) {
        if (!entry_ok(entries, k))
            return OKNO_E_INVAL;
        if (!encoder_add(&e, &entries[k]) || encoder_size(&e) > limit)
            break;
        chunks_len = e.chunk_bytes + (e.p.n ? 2 : 0);
        size = encoder_size(&e);
        k++;
    }
    if (k == 0)
        return OKNO_E_NOSPC;

    struct encoder w = {.chunks = buf + FIXED_LEN, .deltas = buf + FIXED_LEN + chunks_len};
    for (size_t i = 0; i < k; i++)
        encoder_add(&w, &entries[i]);
    if (w.p.n)
        put_chunk(&w, pending_take(&w.p, true));

    size_t end = FIXED_LEN + chunks_len + w.delta_bytes;
    /* The draft's zero padding inside the FCI rather than RTCP padding (which libwebrtc sends): the
     * P bit is only allowed on the last packet of a compound datagram, and aligning the datagram is
     * the RTCP writer's job. libwebrtc and pion ignore bytes after the last delta. */
    memset(buf + end, 0, size - end);
    buf[0] = 0x80 | OKNO_TWCC_FMT;
    buf[1] = RTCP_RTPFB;
    okno_wr16(buf + 2, (uint16_t)(size / 4 - 1));
    okno_wr32(buf + 4, opts->sender_ssrc);
    okno_wr32(buf + 8, opts->media_ssrc);
    okno_wr16(buf + 12, entries[0].seq);
    okno_wr16(buf + 14, (uint16_t)k);
    okno_wr24(buf + 16, (uint32_t)((uint64_t)w.ref & 0xffffff));
    buf[19] = opts->fb_count;
    *consumed = k;
    return (int)size;
}
