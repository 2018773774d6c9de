/* Sender and receiver reports, SDES and BYE bodies, and NTP time arithmetic (RFC
 * 3550 6.4-6.6, 6.4.1). Parsing is strict about structure (counts against lengths, SDES terminators
 * and padding, BYE reason padding) because a report that does not add up carries numbers nobody
 * should act on; it does not judge the numbers themselves (a jitter of four billion is passed on as
 * sent). */
#include "wire/rtcp_report.h"

#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"

#define SENDER_INFO_LEN 20
/* Seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix). */
#define NTP_UNIX_OFFSET 2208988800ull
#define CUM_LOST_MAX    0x7fffff
#define CUM_LOST_MIN    (-0x800000)

static void block_read(const uint8_t *p, struct okno_rtcp_report_block *b)
{
    b->ssrc = okno_rd32(p);
    b->fraction_lost = p[4];
    uint32_t lost = okno_rd24(p + 5);
    /* Sign-extend by arithmetic rather than a shift, which would be implementation-defined. */
    b->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    b->ext_highest_seq = okno_rd32(p + 8);
    b->jitter = okno_rd32(p + 12);
    b->lsr = okno_rd32(p + 16);
    b->dlsr = okno_rd32(p + 20);
}

static void block_write(uint8_t *p, const struct okno_rtcp_report_block *b)
{
    int32_t lost = b->cumulative_lost;
    if (lost > CUM_LOST_MAX)
        lost = CUM_LOST_MAX;
    if (lost < CUM_LOST_MIN)
        lost = CUM_LOST_MIN;
    okno_wr32(p, b->ssrc);
    p[4] = b->fraction_lost;
    okno_wr24(p + 5, (uint32_t)lost & 0xffffff);
    okno_wr32(p + 8, b->ext_highest_seq);
    okno_wr32(p + 12, b->jitter);
    okno_wr32(p + 16, b->lsr);
    okno_wr32(p + 20, b->dlsr);
}

/* Shared by SR and RR: `fixed` is the size of what precedes the blocks (SSRC, and sender info for
 * SR). */
static int blocks_parse(const struct okno_rtcp_pkt *pkt, size_t fixed,
                        struct okno_rtcp_report_block *blocks, const uint8_t **ext, size_t *ext_len)
{
    size_t need = fixed + (size_t)pkt->count * OKNO_RTCP_REPORT_BLOCK_LEN;
    if (pkt->body_len < need || (pkt->body_len - need) % 4)
        return OKNO_E_MALFORMED;
    for (size_t i = 0; i < pkt->count; i++)
        block_read(pkt->body + fixed + i * OKNO_RTCP_REPORT_BLOCK_LEN, &blocks[i]);
    *ext_len = pkt->body_len - need;
    *ext = *ext_len ? pkt->body + need : NULL;
    return 0;
}

static int blocks_build(uint8_t pt, uint8_t count, const struct okno_rtcp_report_block *blocks,
                        const uint8_t *ext, size_t ext_len, size_t fixed, uint8_t *buf, size_t cap)
{
    if (count > OKNO_RTCP_MAX_COUNT || ext_len % 4 || (ext_len && !ext))
        return OKNO_E_INVAL;
    size_t at = OKNO_RTCP_HEADER_LEN + fixed;
    size_t size = at + (size_t)count * OKNO_RTCP_REPORT_BLOCK_LEN + ext_len;
    if (size > cap)
        return OKNO_E_NOSPC;
    int rc = okno__rtcp_write_header(buf, count, pt, size);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < count; i++, at += OKNO_RTCP_REPORT_BLOCK_LEN)
        block_write(buf + at, &blocks[i]);
    if (ext_len)
        memcpy(buf + at, ext, ext_len);
    return (int)size;
}

int okno_rtcp_sr_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_sr *out)
{
    if (pkt->pt != OKNO_RTCP_SR)
        return OKNO_E_INVAL;
    int rc = blocks_parse(pkt, 4 + SENDER_INFO_LEN, out->blocks, &out->ext, &out->ext_len);
    if (rc < 0)
        return rc;
    const uint8_t *p = pkt->body;
    out->ssrc = okno_rd32(p);
    out->ntp = okno_rd64(p + 4);
    out->rtp_ts = okno_rd32(p + 12);
    out->packet_count = okno_rd32(p + 16);
    out->octet_count = okno_rd32(p + 20);
    out->report_count = pkt->count;
    return 0;
}

int okno_rtcp_rr_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_rr *out)
{
    if (pkt->pt != OKNO_RTCP_RR)
        return OKNO_E_INVAL;
    int rc = blocks_parse(pkt, 4, out->blocks, &out->ext, &out->ext_len);
    if (rc < 0)
        return rc;
    out->ssrc = okno_rd32(pkt->body);
    out->report_count = pkt->count;
    return 0;
}

int okno_rtcp_sr_build(const struct okno_rtcp_sr *sr, uint8_t *buf, size_t cap)
{
    int n = blocks_build(OKNO_RTCP_SR, sr->report_count, sr->blocks, sr->ext, sr->ext_len,
                         4 + SENDER_INFO_LEN, buf, cap);
    if (n < 0)
        return n;
    uint8_t *p = buf + OKNO_RTCP_HEADER_LEN;
    okno_wr32(p, sr->ssrc);
    okno_wr64(p + 4, sr->ntp);
    okno_wr32(p + 12, sr->rtp_ts);
    okno_wr32(p + 16, sr->packet_count);
    okno_wr32(p + 20, sr->octet_count);
    return n;
}

int okno_rtcp_rr_build(const struct okno_rtcp_rr *rr, uint8_t *buf, size_t cap)
{
    int n =
        blocks_build(OKNO_RTCP_RR, rr->report_count, rr->blocks, rr->ext, rr->ext_len, 4, buf, cap);
    if (n < 0)
        return n;
    okno_wr32(buf + OKNO_RTCP_HEADER_LEN, rr->ssrc);
    return n;
}

/* Parses one chunk at body[*off]; on success *off is past its padding. */
static int chunk_parse(const uint8_t *body, size_t len, size_t *off, struct okno_rtcp_sdes_chunk *c)
{
    size_t at = *off;
    if (len - at < 4)
        return OKNO_E_MALFORMED;
    c->ssrc = okno_rd32(body + at);
    at += 4;
    size_t start = at;
    size_t count = 0;
    for (;;) {
        if (at >= len)
            return OKNO_E_MALFORMED; /* no terminating null */
        if (body[at] == OKNO_SDES_END)
            break;
        if (len - at < 2 || len - at - 2 < body[at + 1])
            return OKNO_E_MALFORMED;
        at += 2 + (size_t)body[at + 1];
        count++;
    }
    c->items = body + start;
    c->items_len = at - start;
    c->item_count = count;
    /* The terminator, then nulls up to the boundary; chunks start aligned because the body does. */
    at++;
    for (; at % 4; at++) {
        if (at >= len || body[at] != 0)
            return OKNO_E_MALFORMED;
    }
    *off = at;
    return 0;
}

int okno_rtcp_sdes_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_sdes_chunk *chunks,
                         size_t cap)
{
    if (pkt->pt != OKNO_RTCP_SDES)
        return OKNO_E_INVAL;
    if (pkt->count > cap)
        return OKNO_E_NOSPC;
    size_t off = 0;
    for (size_t i = 0; i < pkt->count; i++) {
        int rc = chunk_parse(pkt->body, pkt->body_len, &off, &chunks[i]);
        if (rc < 0)
            return rc;
    }
    if (off != pkt->body_len)
        return OKNO_E_MALFORMED;
    return pkt->count;
}

int okno_rtcp_sdes_item_next(const struct okno_rtcp_sdes_chunk *chunk, size_t *off,
                             struct okno_rtcp_sdes_item *item)
{
    size_t at = *off;
    /* Bounds are rechecked so a chunk assembled by hand cannot send us past its view. */
    if (at >= chunk->items_len || chunk->items_len - at < 2 ||
        chunk->items_len - at - 2 < chunk->items[at + 1])
        return 0;
    item->type = chunk->items[at];
    item->len = chunk->items[at + 1];
    item->data = chunk->items + at + 2;
    *off = at + 2 + item->len;
    return 1;
}

int okno_rtcp_sdes_find(const struct okno_rtcp_sdes_chunk *chunk, uint8_t type,
                        struct okno_rtcp_sdes_item *item)
{
    size_t off = 0;
    while (okno_rtcp_sdes_item_next(chunk, &off, item) == 1) {
        if (item->type == type)
            return 0;
    }
    return OKNO_E_NOTFOUND;
}

int okno_rtcp_sdes_build(const struct okno_rtcp_sdes_source *sources, size_t n, uint8_t *buf,
                         size_t cap)
{
    if (n > OKNO_RTCP_MAX_COUNT)
        return OKNO_E_INVAL;
    /* Size first, so an undersized buffer is left untouched. */
    size_t size = OKNO_RTCP_HEADER_LEN;
    for (size_t i = 0; i < n; i++) {
        size_t chunk = 4 + 1; /* SSRC and the terminating null */
        for (size_t j = 0; j < sources[i].item_count; j++) {
            const struct okno_rtcp_sdes_item *it = &sources[i].items[j];
            if (it->type == OKNO_SDES_END || (it->len && !it->data))
                return OKNO_E_INVAL;
            chunk += 2 + (size_t)it->len;
        }
        size += (chunk + 3) & ~(size_t)3;
    }
    if (size > cap)
        return OKNO_E_NOSPC;
    int rc = okno__rtcp_write_header(buf, (uint8_t)n, OKNO_RTCP_SDES, size);
    if (rc < 0)
        return rc;
    size_t at = OKNO_RTCP_HEADER_LEN;
    for (size_t i = 0; i < n; i++) {
        okno_wr32(buf + at, sources[i].ssrc);
        at += 4;
        for (size_t j = 0; j < sources[i].item_count; j++) {
            const struct okno_rtcp_sdes_item *it = &sources[i].items[j];
            buf[at] = it->type;
            buf[at + 1] = it->len;
            if (it->len)
                memcpy(buf + at + 2, it->data, it->len);
            at += 2 + (size_t)it->len;
        }
        do
            buf[at++] = 0;
        while (at % 4);
    }
    return (int)size;
}

int okno_rtcp_sdes_build_cname(uint32_t ssrc, const char *cname, size_t cname_len, uint8_t *buf,
                               size_t cap)
{
    if (cname_len > 255)
        return OKNO_E_INVAL;
    struct okno_rtcp_sdes_item item = {OKNO_SDES_CNAME, (uint8_t)cname_len, (const uint8_t *)cname};
    struct okno_rtcp_sdes_source src = {ssrc, &item, 1};
    return okno_rtcp_sdes_build(&src, 1, buf, cap);
}

int okno_rtcp_bye_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_bye *out)
{
    if (pkt->pt != OKNO_RTCP_BYE)
        return OKNO_E_INVAL;
    size_t at = (size_t)pkt->count * 4;
    if (pkt->body_len < at)
        return OKNO_E_MALFORMED;
    for (size_t i = 0; i < pkt->count; i++)
        out->ssrcs[i] = okno_rd32(pkt->body + i * 4);
    out->count = pkt->count;
    out->reason = NULL;
    out->reason_len = 0;
    size_t rest = pkt->body_len - at;
    if (rest == 0)
        return 0;
    uint8_t rlen = pkt->body[at];
    size_t used = 1 + (size_t)rlen;
    size_t padded = (used + 3) & ~(size_t)3;
    if (rest != padded)
        return OKNO_E_MALFORMED;
    for (size_t i = at + used; i < at + padded; i++) {
        if (pkt->body[i] != 0)
            return OKNO_E_MALFORMED;
    }
    out->reason = pkt->body + at + 1;
    out->reason_len = rlen;
    return 0;
}

int okno_rtcp_bye_build(const struct okno_rtcp_bye *bye, uint8_t *buf, size_t cap)
{
    if (bye->count > OKNO_RTCP_MAX_COUNT)
        return OKNO_E_INVAL;
    size_t at = OKNO_RTCP_HEADER_LEN + (size_t)bye->count * 4;
    size_t reason = bye->reason ? (1 + (size_t)bye->reason_len + 3) & ~(size_t)3 : 0;
    size_t size = at + reason;
    if (size > cap)
        return OKNO_E_NOSPC;
    int rc = okno__rtcp_write_header(buf, bye->count, OKNO_RTCP_BYE, size);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < bye->count; i++)
        okno_wr32(buf + OKNO_RTCP_HEADER_LEN + i * 4, bye->ssrcs[i]);
    if (reason) {
        memset(buf + at, 0, reason);
        buf[at] = bye->reason_len;
        if (bye->reason_len)
            memcpy(buf + at + 1, bye->reason, bye->reason_len);
    }
    return (int)size;
}

uint64_t okno_ntp_from_unix_us(uint64_t unix_us)
{
    uint64_t sec = unix_us / 1000000;
    uint64_t us = unix_us % 1000000;
    /* Truncating to 32 bits is the era wrap: times after 2036 land in era 1 as RFC 4330 expects. */
    uint32_t ntp_sec = (uint32_t)(sec + NTP_UNIX_OFFSET);
    return (uint64_t)ntp_sec << 32 | (us << 32) / 1000000;
}

uint64_t okno_ntp_to_unix_us(uint64_t ntp)
{
    uint64_t sec = ntp >> 32;
    if (!(sec & 0x80000000))
        sec += 1ull << 32; /* era 1: 2036 onwards */
    if (sec < NTP_UNIX_OFFSET)
        return 0; /* before 1970: not a time our peers send */
    /* Rounding (not truncating) makes okno_ntp_from_unix_us's floor come back exact. */
    uint64_t us = ((ntp & 0xffffffff) * 1000000 + (1ull << 31)) >> 32;
    return (sec - NTP_UNIX_OFFSET) * 1000000 + us;
}

uint32_t okno_ntp_mid32(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}

int64_t okno_rtcp_rtt_us(uint64_t now_ntp, uint32_t lsr, uint32_t dlsr)
{
    if (lsr == 0)
        return OKNO_E_NOTFOUND;
    /* Modular arithmetic survives the 16-bit seconds wrap; half the range or more means negative.
     */
    uint32_t rtt = okno_ntp_mid32(now_ntp) - lsr - dlsr;
    if (rtt & 0x80000000)
        return OKNO_E_RANGE;
    return (int64_t)(((uint64_t)rtt * 1000000 + 32768) >> 16);
}

uint32_t okno_rtcp_dlsr_from_us(uint64_t delay_us)
{
    /* Past 65536 s the field saturates; checking first also keeps the multiplication in range. */
    if (delay_us >= 65536ull * 1000000)
        return UINT32_MAX;
    uint64_t v = (delay_us * 65536 + 500000) / 1000000;
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}
