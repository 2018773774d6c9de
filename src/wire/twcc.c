/* Parsing of transport-wide CC feedback: one validating walk over the chunks that proves every
 * later read is in bounds, then an iterator that rebuilds the statuses and arrival times from the
 * views. Validation and iteration decode chunks with the same two helpers, so they cannot disagree
 * about what a chunk holds. The encoder lives in twcc_build.c; this file deliberately writes
 * nothing but the caller's structs. */
#include "wire/twcc.h"

#include "okno/err.h"
#include "wire/bytes.h"

#define RTCP_RTPFB   205
#define RUN_MAX      0x1fff
#define SYMBOL_BYTES 2 /* the most delta bytes one status can ask for */

/* Number of statuses a chunk describes: a run-length chunk its 13-bit run, a vector 14 or 7
 * symbols. */
static uint16_t chunk_len(uint16_t c)
{
    if (!(c & 0x8000))
        return c & RUN_MAX;
    return (c & 0x4000) ? 7 : 14;
}

/* The i-th status of a chunk; i < chunk_len(c). Symbols in a vector are packed most significant
 * first; a run has one symbol for all. */
static uint8_t chunk_symbol(uint16_t c, unsigned i)
{
    if (!(c & 0x8000))
        return (uint8_t)(c >> 13 & 3);
    if (c & 0x4000)
        return (uint8_t)(c >> (12 - 2 * i) & 3);
    return (uint8_t)(c >> (13 - i) & 1);
}

/* Delta bytes a status asks for, or -1 for the reserved symbol. */
static int symbol_bytes(uint8_t s)
{
    return s == OKNO_TWCC_RESERVED ? -1 : s;
}

int okno_twcc_parse_fci(const uint8_t *fci, size_t len, struct okno_twcc_fb *fb)
{
    if (len < OKNO_TWCC_FCI_FIXED_LEN)
        return OKNO_E_TRUNCATED;
    fb->base_seq = okno_rd16(fci);
    fb->status_count = okno_rd16(fci + 2);
    int32_t ref = (int32_t)okno_rd24(fci + 4);
    fb->ref_time = (ref & 0x800000) ? ref - 0x1000000 : ref;
    fb->fb_count = fci[7];
    if (fb->status_count == 0)
        return OKNO_E_MALFORMED;

    /* The chunks' own bytes are bounded by len, so neither sum below can overflow. */
    size_t off = OKNO_TWCC_FCI_FIXED_LEN;
    size_t need = 0;
    uint32_t covered = 0;
    while (covered < fb->status_count) {
        if (len - off < 2)
            return OKNO_E_TRUNCATED;
        uint16_t c = okno_rd16(fci + off);
        off += 2;
        uint32_t n = chunk_len(c);
        if (n > fb->status_count - covered)
            n = fb->status_count - covered; /* the last chunk may describe more: ignored */
        for (uint32_t i = 0; i < n; i++) {
            int b = symbol_bytes(chunk_symbol(c, i));
            if (b < 0)
                return OKNO_E_MALFORMED;
            need += (size_t)b;
        }
        covered += n;
    }
    fb->chunks = fci + OKNO_TWCC_FCI_FIXED_LEN;
    fb->chunks_len = off - OKNO_TWCC_FCI_FIXED_LEN;
    if (len - off < need)
        return OKNO_E_TRUNCATED;
    fb->deltas = fci + off;
    fb->deltas_len = need;
    if (len - off - need > 3)
        return OKNO_E_MALFORMED; /* more than alignment: the status count does not describe this FCI
                                  */
    return 0;
}

int okno_twcc_parse(const uint8_t *buf, size_t len, struct okno_twcc_fb *fb)
{
    if (len < 4)
        return OKNO_E_TRUNCATED;
    if (buf[0] >> 6 != 2)
        return OKNO_E_VERSION;
    if (buf[1] != RTCP_RTPFB || (buf[0] & 0x1f) != OKNO_TWCC_FMT)
        return OKNO_E_INVAL;
    size_t size = ((size_t)okno_rd16(buf + 2) + 1) * 4;
    if (len < size || size < OKNO_TWCC_HEADER_LEN)
        return OKNO_E_TRUNCATED;
    size_t pad = 0;
    if (buf[0] & 0x20) {
        pad = buf[size - 1];
        if (pad == 0 || pad > size - OKNO_TWCC_HEADER_LEN)
            return OKNO_E_MALFORMED;
    }
    fb->sender_ssrc = okno_rd32(buf + 4);
    fb->media_ssrc = okno_rd32(buf + 8);
    int r = okno_twcc_parse_fci(buf + OKNO_TWCC_HEADER_LEN, size - OKNO_TWCC_HEADER_LEN - pad, fb);
    return r < 0 ? r : (int)size;
}

void okno_twcc_iter_init(struct okno_twcc_iter *it, const struct okno_twcc_fb *fb)
{
    it->fb = fb;
    it->chunk_off = 0;
    it->delta_off = 0;
    it->done = 0;
    it->chunk = 0;
    it->chunk_pos = 0;
    it->chunk_n = 0;
    it->ticks = 0;
}

int okno_twcc_iter_next(struct okno_twcc_iter *it, struct okno_twcc_entry *out)
{
    const struct okno_twcc_fb *fb = it->fb;
    if (it->done >= fb->status_count)
        return 0;
    /* Checked again although parse proved it: an iterator over a hand-made fb must not read astray.
     */
    while (it->chunk_pos >= it->chunk_n) {
        if (it->chunk_off > fb->chunks_len || fb->chunks_len - it->chunk_off < 2)
            return OKNO_E_TRUNCATED;
        it->chunk = okno_rd16(fb->chunks + it->chunk_off);
        it->chunk_off += 2;
        it->chunk_n = chunk_len(it->chunk);
        it->chunk_pos = 0;
    }
    uint8_t s = chunk_symbol(it->chunk, it->chunk_pos);
    it->chunk_pos++;
    int b = symbol_bytes(s);
    if (b < 0)
        return OKNO_E_MALFORMED;
    if (it->delta_off > fb->deltas_len || fb->deltas_len - it->delta_off < (size_t)b)
        return OKNO_E_TRUNCATED;
    if (b == 1) {
        it->ticks += fb->deltas[it->delta_off];
    } else if (b == SYMBOL_BYTES) {
        int32_t d = okno_rd16(fb->deltas + it->delta_off);
        it->ticks += d >= 0x8000 ? d - 0x10000 : d;
    }
    it->delta_off += (size_t)b;
    out->seq = (uint16_t)(fb->base_seq + it->done);
    out->status = s;
    out->arrival_us = s == OKNO_TWCC_NOT_RECEIVED ? 0
                                                  : (int64_t)fb->ref_time * OKNO_TWCC_REF_TIME_US +
                                                        it->ticks * OKNO_TWCC_DELTA_US;
    it->done++;
    return 1;
}

int okno_twcc_parse_entries(const struct okno_twcc_fb *fb, struct okno_twcc_entry *out, size_t cap)
{
    if (cap < fb->status_count)
        return OKNO_E_RANGE;
    struct okno_twcc_iter it;
    okno_twcc_iter_init(&it, fb);
    int n = 0;
    int r;
    while ((r = okno_twcc_iter_next(&it, &out[n])) > 0)
        n++;
    return r < 0 ? r : n;
}
