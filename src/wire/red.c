/* RFC 2198 redundant audio payloads: parse, build, strip to the primary, recover a redundant block.
 * See red.h. Every entry point first walks the whole header chain and checks that the blocks'
 * lengths fit, so a payload is either accepted whole or not at all; the headers are then read a
 * second time to fill views, which costs a few bytes' reads and spares the callers that want one
 * block an array. */
#include "wire/red.h"

#include <limits.h>
#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"

/* Block header: |F| block PT | timestamp offset (14) | block length (10) | */
#define RED_F        0x80
#define RED_PT       0x7f
#define RED_LEN_BITS 10
#define RED_LEN_MASK 0x3ff

struct red_layout {
    size_t blocks;    /* redundant blocks */
    size_t data;      /* offset of the first block's data, just past the primary's header */
    size_t redundant; /* bytes of redundant data, all blocks together */
};

static void read_header(const uint8_t *h, struct okno_red_block *b)
{
    uint32_t v = okno_rd24(h + 1);
    b->pt = h[0] & RED_PT;
    b->ts_offset = (uint16_t)(v >> RED_LEN_BITS);
    b->len = v & RED_LEN_MASK;
}

/* Checks the header chain and the blocks' lengths against len. */
static int walk(const uint8_t *buf, size_t len, struct red_layout *lay)
{
    /* Lengths come back as int; nothing that large is an RTP payload. */
    if (len > INT_MAX)
        return OKNO_E_RANGE;
    size_t off = 0, total = 0, n = 0;
    for (;;) {
        if (off >= len)
            return OKNO_E_TRUNCATED;
        if (!(buf[off] & RED_F))
            break;
        if (len - off < OKNO_RED_HEADER_LEN)
            return OKNO_E_TRUNCATED;
        total += okno_rd24(buf + off + 1) & RED_LEN_MASK;
        off += OKNO_RED_HEADER_LEN;
        n++;
    }
    lay->blocks = n;
    lay->data = off + 1;
    lay->redundant = total;
    if (total > len - lay->data)
        return OKNO_E_TRUNCATED;
    return 0;
}

static void fill_primary(const uint8_t *buf, size_t len, const struct red_layout *lay,
                         struct okno_red_block *primary)
{
    primary->pt = buf[lay->data - 1] & RED_PT;
    primary->ts_offset = 0;
    primary->data = buf + lay->data + lay->redundant;
    primary->len = len - lay->data - lay->redundant;
}

int okno_red_parse(const uint8_t *buf, size_t len, struct okno_red_block *redundant, size_t cap,
                   struct okno_red_block *primary)
{
    struct red_layout lay;
    int err = walk(buf, len, &lay);
    if (err < 0)
        return err;
    if (lay.blocks > cap)
        return OKNO_E_NOSPC;
    size_t d = lay.data;
    for (size_t i = 0; i < lay.blocks; i++) {
        read_header(buf + i * OKNO_RED_HEADER_LEN, &redundant[i]);
        redundant[i].data = buf + d;
        d += redundant[i].len;
    }
    fill_primary(buf, len, &lay, primary);
    return (int)lay.blocks;
}

int okno_red_size(const struct okno_red_block *redundant, size_t n,
                  const struct okno_red_block *primary)
{
    if (primary->pt > RED_PT || primary->len > INT_MAX - 1)
        return OKNO_E_RANGE;
    size_t size = 1 + primary->len;
    for (size_t i = 0; i < n; i++) {
        const struct okno_red_block *b = &redundant[i];
        if (b->pt > RED_PT || b->ts_offset > OKNO_RED_MAX_TS_OFFSET ||
            b->len > OKNO_RED_MAX_BLOCK_LEN)
            return OKNO_E_RANGE;
        size += OKNO_RED_HEADER_LEN + b->len;
        if (size > INT_MAX)
            return OKNO_E_RANGE;
    }
    if (size > INT_MAX)
        return OKNO_E_RANGE;
    return (int)size;
}

int okno_red_build(uint8_t *out, size_t cap, const struct okno_red_block *redundant, size_t n,
                   const struct okno_red_block *primary)
{
    int size = okno_red_size(redundant, n, primary);
    if (size < 0)
        return size;
    if ((size_t)size > cap)
        return OKNO_E_NOSPC;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const struct okno_red_block *b = &redundant[i];
        out[off] = (uint8_t)(RED_F | b->pt);
        okno_wr24(out + off + 1, (uint32_t)b->ts_offset << RED_LEN_BITS | (uint32_t)b->len);
        off += OKNO_RED_HEADER_LEN;
    }
    out[off++] = primary->pt;
    for (size_t i = 0; i < n; i++) {
        if (redundant[i].len)
            memcpy(out + off, redundant[i].data, redundant[i].len);
        off += redundant[i].len;
    }
    if (primary->len)
        memcpy(out + off, primary->data, primary->len);
    return size;
}

int okno_red_primary(const uint8_t *buf, size_t len, struct okno_red_block *primary)
{
    struct red_layout lay;
    int err = walk(buf, len, &lay);
    if (err < 0)
        return err;
    fill_primary(buf, len, &lay, primary);
    return 0;
}

int okno_red_strip(uint8_t *buf, size_t len, uint8_t *pt)
{
    struct okno_red_block primary;
    int err = okno_red_primary(buf, len, &primary);
    if (err < 0)
        return err;
    /* The primary sits after the headers and redundant data, so the move is always towards the
     * front and the regions may overlap. */
    memmove(buf, primary.data, primary.len);
    *pt = primary.pt;
    return (int)primary.len;
}

int okno_red_recover(const uint8_t *buf, size_t len, uint32_t rtp_ts, size_t index,
                     struct okno_red_recovered *out)
{
    struct red_layout lay;
    int err = walk(buf, len, &lay);
    if (err < 0)
        return err;
    if (index >= lay.blocks)
        return OKNO_E_NOTFOUND;
    size_t d = lay.data;
    struct okno_red_block b;
    for (size_t i = 0; i < index; i++) {
        read_header(buf + i * OKNO_RED_HEADER_LEN, &b);
        d += b.len;
    }
    read_header(buf + index * OKNO_RED_HEADER_LEN, &b);
    out->pt = b.pt;
    out->timestamp = rtp_ts - b.ts_offset;
    out->data = buf + d;
    out->len = b.len;
    return 0;
}
