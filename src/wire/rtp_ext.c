/* RFC 8285 extension elements: walking, lookup, in-place value changes, block building and
 * rewriting a packet with one element added or replaced (see rtp_ext.h). Rewriting re-encodes the
 * whole block rather than patching it: blocks are a few dozen bytes, and re-encoding is the one way
 * that handles a form change (an element that needs the two-byte form joining a one-byte block) and
 * reclaims stray padding alike. It deliberately keeps no array of elements: put walks the source
 * block twice, once to size the result and once to write it, so it needs no storage and no limit on
 * the element count. */
#include "wire/rtp_ext.h"

#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"

enum okno_rtp_ext_form okno_rtp_ext_form_of(uint16_t profile)
{
    if (profile == OKNO_RTP_EXT_PROFILE_ONE_BYTE)
        return OKNO_RTP_EXT_ONE_BYTE;
    if ((profile & 0xfff0) == OKNO_RTP_EXT_PROFILE_TWO_BYTE)
        return OKNO_RTP_EXT_TWO_BYTE;
    return OKNO_RTP_EXT_NONE;
}

void okno_rtp_ext_iter_init(struct okno_rtp_ext_iter *it, const struct okno_rtp_pkt *pkt)
{
    it->buf = pkt->extension ? pkt->ext : NULL;
    it->len = pkt->extension ? pkt->ext_len : 0;
    it->off = 0;
    it->form = pkt->extension ? okno_rtp_ext_form_of(pkt->ext_profile) : OKNO_RTP_EXT_NONE;
    it->err = pkt->extension && it->form == OKNO_RTP_EXT_NONE ? OKNO_E_UNSUPPORTED : 0;
}

static int iter_fail(struct okno_rtp_ext_iter *it, int err)
{
    it->err = err;
    return err;
}

int okno_rtp_ext_iter_next(struct okno_rtp_ext_iter *it, struct okno_rtp_ext *out)
{
    if (it->err < 0)
        return it->err;
    while (it->off < it->len) {
        uint8_t b = it->buf[it->off];
        if (b == 0) {
            it->off++;
            continue;
        }
        size_t hdr, n;
        uint8_t id;
        if (it->form == OKNO_RTP_EXT_ONE_BYTE) {
            id = b >> 4;
            if (id == 15) {
                it->off = it->len;
                return 0;
            }
            if (id == 0)
                return iter_fail(it, OKNO_E_MALFORMED);
            hdr = 1;
            n = (size_t)(b & 0x0f) + 1;
        } else {
            if (it->len - it->off < 2)
                return iter_fail(it, OKNO_E_MALFORMED);
            id = b;
            hdr = 2;
            n = it->buf[it->off + 1];
        }
        if (it->len - it->off - hdr < n)
            return iter_fail(it, OKNO_E_MALFORMED);
        out->id = id;
        out->len = (uint8_t)n;
        out->data = it->buf + it->off + hdr;
        it->off += hdr + n;
        return 1;
    }
    return 0;
}

int okno_rtp_ext_find(const struct okno_rtp_pkt *pkt, uint8_t id, struct okno_rtp_ext *out)
{
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    int r;
    okno_rtp_ext_iter_init(&it, pkt);
    while ((r = okno_rtp_ext_iter_next(&it, &e)) > 0) {
        if (e.id == id) {
            *out = e;
            return 0;
        }
    }
    return r < 0 ? r : OKNO_E_NOTFOUND;
}

int okno_rtp_ext_set(uint8_t *pkt, size_t len, uint8_t id, const uint8_t *data, size_t data_len)
{
    struct okno_rtp_pkt p;
    struct okno_rtp_ext e;
    int err = okno_rtp_parse(pkt, len, &p);
    if (err < 0)
        return err;
    err = okno_rtp_ext_find(&p, id, &e);
    if (err < 0)
        return err;
    if (e.len != data_len)
        return OKNO_E_RANGE;
    /* e.data is a view into pkt; write through pkt itself rather than casting the view's const
     * away. */
    if (data_len)
        memcpy(pkt + (e.data - pkt), data, data_len);
    return 0;
}

static bool fits_one_byte(const struct okno_rtp_ext *e)
{
    return e->id >= 1 && e->id <= OKNO_RTP_EXT_ONE_BYTE_MAX_ID && e->len >= 1 &&
           e->len <= OKNO_RTP_EXT_ONE_BYTE_MAX_LEN;
}

static int check_elem(const struct okno_rtp_ext *e)
{
    if (e->id == 0 || (e->len && !e->data))
        return OKNO_E_INVAL;
    return 0;
}

/* Appends one element at buf + *off (the caller has sized buf). */
static void write_elem(uint8_t *buf, size_t *off, enum okno_rtp_ext_form form,
                       const struct okno_rtp_ext *e)
{
    if (form == OKNO_RTP_EXT_ONE_BYTE) {
        buf[(*off)++] = (uint8_t)(e->id << 4 | (e->len - 1));
    } else {
        buf[(*off)++] = e->id;
        buf[(*off)++] = e->len;
    }
    if (e->len)
        memcpy(buf + *off, e->data, e->len);
    *off += e->len;
}

static size_t elem_size(enum okno_rtp_ext_form form, const struct okno_rtp_ext *e)
{
    return (form == OKNO_RTP_EXT_ONE_BYTE ? 1u : 2u) + e->len;
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

int okno_rtp_ext_build(uint8_t *buf, size_t cap, const struct okno_rtp_ext *elems, size_t n,
                       uint16_t *profile)
{
    enum okno_rtp_ext_form form = OKNO_RTP_EXT_ONE_BYTE;
    for (size_t i = 0; i < n; i++) {
        int err = check_elem(&elems[i]);
        if (err < 0)
            return err;
        if (!fits_one_byte(&elems[i]))
            form = OKNO_RTP_EXT_TWO_BYTE;
    }
    size_t size = 0;
    for (size_t i = 0; i < n; i++) {
        size += elem_size(form, &elems[i]);
        if (size > OKNO_RTP_EXT_MAX_LEN)
            return OKNO_E_RANGE;
    }
    size_t total = pad4(size);
    if (total > OKNO_RTP_EXT_MAX_LEN)
        return OKNO_E_RANGE;
    if (cap < total)
        return OKNO_E_NOSPC;
    size_t off = 0;
    for (size_t i = 0; i < n; i++)
        write_elem(buf, &off, form, &elems[i]);
    memset(buf + off, 0, total - off);
    *profile = form == OKNO_RTP_EXT_ONE_BYTE ? OKNO_RTP_EXT_PROFILE_ONE_BYTE
                                             : OKNO_RTP_EXT_PROFILE_TWO_BYTE;
    return (int)total;
}

/* What the first walk of put learns about the block it is going to write. */
struct put_plan {
    bool all_one_byte; /* every element kept, and the new one, fit the one-byte form */
    size_t one_size;   /* body bytes before padding, one-byte form */
    size_t two_size;   /* the same in the two-byte form */
};

static int plan_put(const struct okno_rtp_pkt *p, const struct okno_rtp_ext *elem,
                    struct put_plan *plan)
{
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    int r;
    plan->all_one_byte = fits_one_byte(elem);
    plan->one_size = elem_size(OKNO_RTP_EXT_ONE_BYTE, elem);
    plan->two_size = elem_size(OKNO_RTP_EXT_TWO_BYTE, elem);
    okno_rtp_ext_iter_init(&it, p);
    while ((r = okno_rtp_ext_iter_next(&it, &e)) > 0) {
        if (e.id == elem->id)
            continue;
        plan->all_one_byte = plan->all_one_byte && fits_one_byte(&e);
        /* Bounded by the source block (at most 256 KiB), so these sums cannot overflow. */
        plan->one_size += elem_size(OKNO_RTP_EXT_ONE_BYTE, &e);
        plan->two_size += elem_size(OKNO_RTP_EXT_TWO_BYTE, &e);
    }
    return r;
}

int okno_rtp_ext_put(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
                     const struct okno_rtp_ext *elem)
{
    struct okno_rtp_pkt p;
    int err = okno_rtp_parse(pkt, len, &p);
    if (err < 0)
        return err;
    err = check_elem(elem);
    if (err < 0)
        return err;
    struct put_plan plan;
    err = plan_put(&p, elem, &plan);
    if (err < 0)
        return err;

    enum okno_rtp_ext_form src_form =
        p.extension ? okno_rtp_ext_form_of(p.ext_profile) : OKNO_RTP_EXT_NONE;
    enum okno_rtp_ext_form form = src_form != OKNO_RTP_EXT_TWO_BYTE && plan.all_one_byte
                                      ? OKNO_RTP_EXT_ONE_BYTE
                                      : OKNO_RTP_EXT_TWO_BYTE;
    uint16_t profile = OKNO_RTP_EXT_PROFILE_ONE_BYTE;
    if (form == OKNO_RTP_EXT_TWO_BYTE)
        profile = src_form == OKNO_RTP_EXT_TWO_BYTE ? p.ext_profile : OKNO_RTP_EXT_PROFILE_TWO_BYTE;
    size_t body = form == OKNO_RTP_EXT_ONE_BYTE ? plan.one_size : plan.two_size;
    size_t block = pad4(body);
    if (block > OKNO_RTP_EXT_MAX_LEN)
        return OKNO_E_RANGE;

    size_t fixed = OKNO_RTP_HEADER_LEN + (size_t)p.csrc_count * 4;
    size_t tail = p.payload_len + p.pad_len;
    size_t total = fixed + OKNO_RTP_EXT_HEADER_LEN + block + tail;
    if (total > INT32_MAX)
        return OKNO_E_RANGE;
    if (cap < total)
        return OKNO_E_NOSPC;

    memcpy(out, pkt, fixed);
    out[0] |= 0x10;
    okno_wr16(out + fixed, profile);
    okno_wr16(out + fixed + 2, (uint16_t)(block / 4));
    uint8_t *b = out + fixed + OKNO_RTP_EXT_HEADER_LEN;
    size_t off = 0;
    bool placed = false;
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    okno_rtp_ext_iter_init(&it, &p);
    /* The first walk succeeded over the same bytes, so this one ends cleanly too. */
    while (okno_rtp_ext_iter_next(&it, &e) > 0) {
        if (e.id != elem->id) {
            write_elem(b, &off, form, &e);
        } else if (!placed) {
            write_elem(b, &off, form, elem);
            placed = true;
        }
    }
    if (!placed)
        write_elem(b, &off, form, elem);
    memset(b + off, 0, block - off);
    if (tail)
        memcpy(b + block, p.payload, tail);
    return (int)total;
}
