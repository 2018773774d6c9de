/* RTCP common header, compound iteration and validation, and the datagram writer. The rules
 * enforced here are the ones that decide where packets start and end (version, length, padding): a
 * packet whose body makes no sense is still walked past, because its length says where the next one
 * begins, and rejecting it is left to the body parsers. It does not decide which packet types a
 * receiver must act on. */
#include "wire/rtcp.h"

#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"

/* The length field counts 32-bit words minus one, so a packet is at most 65536 words. */
#define RTCP_MAX_PACKET ((size_t)4 * 65536)

int okno_rtcp_parse(const uint8_t *buf, size_t len, struct okno_rtcp_pkt *out)
{
    if (len < OKNO_RTCP_HEADER_LEN)
        return OKNO_E_TRUNCATED;
    if (buf[0] >> 6 != 2)
        return OKNO_E_VERSION;
    uint16_t length = okno_rd16(buf + 2);
    size_t size = 4 * ((size_t)length + 1);
    if (size > len)
        return OKNO_E_TRUNCATED;
    bool padding = (buf[0] & 0x20) != 0;
    uint8_t pad = 0;
    if (padding) {
        /* The count includes itself, so zero is a lie, and padding cannot eat into the header. */
        pad = buf[size - 1];
        if (pad == 0 || pad > size - OKNO_RTCP_HEADER_LEN)
            return OKNO_E_MALFORMED;
    }
    out->version = 2;
    out->padding = padding;
    out->count = buf[0] & 0x1f;
    out->pt = buf[1];
    out->length = length;
    out->raw = buf;
    out->raw_len = size;
    out->body = buf + OKNO_RTCP_HEADER_LEN;
    out->body_len = size - OKNO_RTCP_HEADER_LEN - pad;
    out->pad_len = pad;
    out->sender_ssrc = out->body_len >= 4 ? okno_rd32(out->body) : 0;
    return (int)size;
}

void okno_rtcp_iter_init(struct okno_rtcp_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->off = 0;
    it->err = 0;
}

int okno_rtcp_iter_next(struct okno_rtcp_iter *it, struct okno_rtcp_pkt *pkt)
{
    if (it->err)
        return it->err;
    if (it->off == it->len)
        return 0;
    struct okno_rtcp_pkt p;
    int n = okno_rtcp_parse(it->buf + it->off, it->len - it->off, &p);
    if (n < 0) {
        it->err = n;
        return n;
    }
    if (p.padding && it->off + (size_t)n != it->len) {
        it->err = OKNO_E_MALFORMED;
        return it->err;
    }
    it->off += (size_t)n;
    *pkt = p;
    return 1;
}

int okno_rtcp_validate(const uint8_t *buf, size_t len, bool reduced_size)
{
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt pkt;
    okno_rtcp_iter_init(&it, buf, len);
    int count = 0;
    int rc;
    while ((rc = okno_rtcp_iter_next(&it, &pkt)) == 1) {
        if (count == 0 && !reduced_size && pkt.pt != OKNO_RTCP_SR && pkt.pt != OKNO_RTCP_RR)
            return OKNO_E_MALFORMED;
        count++;
    }
    if (rc < 0)
        return rc;
    return count > 0 ? count : OKNO_E_TRUNCATED;
}

int okno__rtcp_write_header(uint8_t *buf, uint8_t count, uint8_t pt, size_t size)
{
    if (count > OKNO_RTCP_MAX_COUNT || size < OKNO_RTCP_HEADER_LEN || size % 4 ||
        size > RTCP_MAX_PACKET)
        return OKNO_E_INVAL;
    buf[0] = (uint8_t)(2u << 6 | count);
    buf[1] = pt;
    okno_wr16(buf + 2, (uint16_t)(size / 4 - 1));
    return OKNO_RTCP_HEADER_LEN;
}

void okno_rtcp_writer_init(struct okno_rtcp_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->last = 0;
    w->err = 0;
}

uint8_t *okno_rtcp_writer_tail(const struct okno_rtcp_writer *w)
{
    return w->err ? NULL : w->buf + w->len;
}

size_t okno_rtcp_writer_room(const struct okno_rtcp_writer *w)
{
    return w->err ? 0 : w->cap - w->len;
}

int okno_rtcp_writer_commit(struct okno_rtcp_writer *w, int built)
{
    if (w->err)
        return w->err;
    if (built < 0) {
        w->err = built;
        return built;
    }
    struct okno_rtcp_pkt pkt;
    size_t room = w->cap - w->len;
    if ((size_t)built > room || okno_rtcp_parse(w->buf + w->len, room, &pkt) != built) {
        w->err = OKNO_E_INVAL;
        return w->err;
    }
    w->last = w->len;
    w->len += (size_t)built;
    return 0;
}

int okno_rtcp_writer_pad(struct okno_rtcp_writer *w, size_t align)
{
    if (w->err)
        return w->err;
    if (align < 4 || align > 128 || (align & (align - 1)) || w->len == 0)
        return OKNO_E_INVAL;
    size_t pad = (align - w->len % align) % align;
    if (pad == 0)
        return 0;
    uint8_t *pkt = w->buf + w->last;
    size_t size = w->len - w->last;
    /* A packet padded before keeps its old padding; the count then covers both. */
    size_t old = (pkt[0] & 0x20) ? pkt[size - 1] : 0;
    if (old + pad > 255 || size + pad > RTCP_MAX_PACKET)
        return OKNO_E_INVAL;
    if (pad > w->cap - w->len) {
        w->err = OKNO_E_NOSPC;
        return w->err;
    }
    if (old)
        pkt[size - 1] = 0;
    memset(w->buf + w->len, 0, pad);
    w->len += pad;
    size += pad;
    pkt[size - 1] = (uint8_t)(old + pad);
    pkt[0] |= 0x20;
    okno_wr16(pkt + 2, (uint16_t)(size / 4 - 1));
    return 0;
}

int okno_rtcp_writer_finish(const struct okno_rtcp_writer *w)
{
    return w->err ? w->err : (int)w->len;
}
