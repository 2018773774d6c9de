/* VP8 payload descriptor and payload header (RFC 7741, RFC 6386 9.1): parse, in-place rewrite,
 * write. See vp8.h. The field offsets are recomputed from the flag octets on every call rather than
 * cached in the parsed struct: the descriptor is at most six bytes, and a rewrite that trusts only
 * the buffer it is given cannot be misled by a struct parsed from another packet. */
#include "wire/vp8.h"

#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"

/* First octet: |X|R|N|S|R| PID | */
#define VP8_X   0x80
#define VP8_N   0x20
#define VP8_S   0x10
#define VP8_PID 0x07
/* Extension octet: |I|L|T|K| RSV | */
#define VP8_I 0x80
#define VP8_L 0x40
#define VP8_T 0x20
#define VP8_K 0x10
/* Picture ID: |M| PictureID | with M selecting the 15-bit form. */
#define VP8_M 0x80
/* |TID|Y| KEYIDX | */
#define VP8_TID_SHIFT 6
#define VP8_Y         0x20
#define VP8_KEYIDX    0x1f
/* Payload header first octet: |Size0|H| VER |P| */
#define VP8_HDR_P       0x01
#define VP8_HDR_VER     0x0e
#define VP8_HDR_SHOW    0x10
#define VP8_HDR_SIZE0   0xe0
#define VP8_DIM_MASK    0x3fff
#define VP8_SCALE_SHIFT 14

int okno_vp8_parse_desc(const uint8_t *buf, size_t len, struct okno_vp8_desc *out)
{
    memset(out, 0, sizeof *out);
    if (len < 1)
        return OKNO_E_TRUNCATED;
    size_t off = 1;
    out->x = buf[0] & VP8_X;
    out->n = buf[0] & VP8_N;
    out->s = buf[0] & VP8_S;
    out->part_id = buf[0] & VP8_PID;
    if (!out->x) {
        out->size = 1;
        return 1;
    }
    if (len < 2)
        return OKNO_E_TRUNCATED;
    uint8_t ext = buf[1];
    off = 2;
    out->has_picture_id = ext & VP8_I;
    out->has_tl0picidx = ext & VP8_L;
    out->has_tid = ext & VP8_T;
    out->has_keyidx = ext & VP8_K;
    if (out->has_picture_id) {
        if (len < off + 1)
            return OKNO_E_TRUNCATED;
        if (buf[off] & VP8_M) {
            if (len < off + 2)
                return OKNO_E_TRUNCATED;
            out->picture_id_bits = 15;
            out->picture_id = okno_rd16(buf + off) & 0x7fff;
            off += 2;
        } else {
            out->picture_id_bits = 7;
            out->picture_id = buf[off] & 0x7f;
            off += 1;
        }
    }
    if (out->has_tl0picidx) {
        if (len < off + 1)
            return OKNO_E_TRUNCATED;
        out->tl0picidx = buf[off++];
    }
    if (out->has_tid || out->has_keyidx) {
        if (len < off + 1)
            return OKNO_E_TRUNCATED;
        uint8_t tk = buf[off++];
        if (out->has_tid) {
            out->tid = tk >> VP8_TID_SHIFT;
            out->y = tk & VP8_Y;
        }
        if (out->has_keyidx)
            out->keyidx = tk & VP8_KEYIDX;
    }
    out->size = (uint8_t)off;
    return (int)off;
}

/* RFC 6386 9.1: the 3-byte frame tag holds its fields little-endian, unlike everything else in RTP,
 * so they are assembled here byte by byte rather than with the big-endian helpers. */
static int parse_header(const uint8_t *p, size_t len, struct okno_vp8_header *h)
{
    if (len < OKNO_VP8_HEADER_LEN)
        return OKNO_E_TRUNCATED;
    h->keyframe = !(p[0] & VP8_HDR_P);
    h->version = (p[0] & VP8_HDR_VER) >> 1;
    h->show_frame = p[0] & VP8_HDR_SHOW;
    h->first_part_size =
        (uint32_t)(p[0] & VP8_HDR_SIZE0) >> 5 | (uint32_t)p[1] << 3 | (uint32_t)p[2] << 11;
    if (!h->keyframe)
        return 0;
    if (len < OKNO_VP8_KEY_HEADER_LEN)
        return OKNO_E_TRUNCATED;
    if (p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a)
        return OKNO_E_MALFORMED;
    uint16_t w = (uint16_t)(p[6] | p[7] << 8);
    uint16_t hh = (uint16_t)(p[8] | p[9] << 8);
    h->width = w & VP8_DIM_MASK;
    h->hscale = (uint8_t)(w >> VP8_SCALE_SHIFT);
    h->height = hh & VP8_DIM_MASK;
    h->vscale = (uint8_t)(hh >> VP8_SCALE_SHIFT);
    return 0;
}

int okno_vp8_parse(const uint8_t *buf, size_t len, struct okno_vp8_packet *out)
{
    memset(out, 0, sizeof *out);
    int n = okno_vp8_parse_desc(buf, len, &out->desc);
    if (n < 0)
        return n;
    if ((size_t)n >= len)
        return OKNO_E_TRUNCATED;
    out->payload = buf + n;
    out->payload_len = len - (size_t)n;
    if (out->desc.s && out->desc.part_id == 0) {
        out->has_header = true;
        int err = parse_header(out->payload, out->payload_len, &out->header);
        if (err < 0)
            return err;
    }
    return 0;
}

bool okno_vp8_is_keyframe(const struct okno_vp8_packet *pkt)
{
    return pkt->has_header && pkt->header.keyframe;
}

int okno_vp8_rewrite(uint8_t *buf, size_t len, const struct okno_vp8_desc *fields)
{
    struct okno_vp8_desc cur;
    int n = okno_vp8_parse_desc(buf, len, &cur);
    if (n < 0)
        return n;
    if (!cur.x)
        return 0;
    size_t off = 2;
    if (cur.has_picture_id) {
        if (cur.picture_id_bits == 15) {
            okno_wr16(buf + off, (uint16_t)(VP8_M << 8 | (fields->picture_id & 0x7fff)));
            off += 2;
        } else {
            buf[off] = (uint8_t)(fields->picture_id & 0x7f);
            off += 1;
        }
    }
    if (cur.has_tl0picidx)
        buf[off++] = fields->tl0picidx;
    if (cur.has_tid || cur.has_keyidx) {
        uint8_t tk = buf[off];
        if (cur.has_tid)
            tk = (uint8_t)((tk & VP8_KEYIDX) | (fields->tid & 0x3) << VP8_TID_SHIFT |
                           (fields->y ? VP8_Y : 0));
        if (cur.has_keyidx)
            tk = (uint8_t)((tk & ~VP8_KEYIDX) | (fields->keyidx & VP8_KEYIDX));
        buf[off] = tk;
    }
    return 0;
}

static bool wants_extension(const struct okno_vp8_desc *d)
{
    return d->x || d->has_picture_id || d->has_tl0picidx || d->has_tid || d->has_keyidx;
}

int okno_vp8_descriptor_size(const struct okno_vp8_desc *d)
{
    if (d->part_id > VP8_PID || (d->has_tid && d->tid > 3) ||
        (d->has_keyidx && d->keyidx > VP8_KEYIDX))
        return OKNO_E_RANGE;
    int size = 1;
    if (!wants_extension(d))
        return size;
    size++;
    if (d->has_picture_id) {
        if (d->picture_id_bits == 7 && d->picture_id <= 0x7f)
            size += 1;
        else if (d->picture_id_bits == 15 && d->picture_id <= 0x7fff)
            size += 2;
        else
            return OKNO_E_RANGE;
    }
    if (d->has_tl0picidx)
        size++;
    if (d->has_tid || d->has_keyidx)
        size++;
    return size;
}

int okno_vp8_write_descriptor(uint8_t *out, size_t cap, const struct okno_vp8_desc *d)
{
    int size = okno_vp8_descriptor_size(d);
    if (size < 0)
        return size;
    if ((size_t)size > cap)
        return OKNO_E_NOSPC;
    bool x = wants_extension(d);
    out[0] = (uint8_t)((x ? VP8_X : 0) | (d->n ? VP8_N : 0) | (d->s ? VP8_S : 0) | d->part_id);
    if (!x)
        return size;
    out[1] = (uint8_t)((d->has_picture_id ? VP8_I : 0) | (d->has_tl0picidx ? VP8_L : 0) |
                       (d->has_tid ? VP8_T : 0) | (d->has_keyidx ? VP8_K : 0));
    size_t off = 2;
    if (d->has_picture_id) {
        if (d->picture_id_bits == 15) {
            okno_wr16(out + off, (uint16_t)(VP8_M << 8 | d->picture_id));
            off += 2;
        } else {
            out[off++] = (uint8_t)d->picture_id;
        }
    }
    if (d->has_tl0picidx)
        out[off++] = d->tl0picidx;
    if (d->has_tid || d->has_keyidx) {
        uint8_t tk = 0;
        if (d->has_tid)
            tk |= (uint8_t)(d->tid << VP8_TID_SHIFT | (d->y ? VP8_Y : 0));
        if (d->has_keyidx)
            tk |= d->keyidx;
        out[off++] = tk;
    }
    return size;
}
