/* Feedback messages: the RFC 4585 common feedback header, generic NACK (including the minimal FCI
 * list for a set of losses), PLI, FIR and REMB. The parsers check sizes against what each message
 * defines and hand out views; deciding whether to retransmit or send a keyframe belongs to sfu/,
 * and transport-wide CC feedback to wire/twcc. */
#include "wire/rtcp_fb.h"

#include "okno/err.h"
#include "wire/bytes.h"

#define FMT_NACK       1
#define FMT_PLI        1
#define FMT_FIR        4
#define FMT_TWCC       15
#define FMT_AFB        15
#define NACK_FCI_LEN   4
#define REMB_FIXED_LEN 8 /* 'REMB', count, exponent and mantissa */
/* What fits in a packet whose length field counts 65536 words, after the feedback header. */
#define FB_MAX_FCI (4 * 65536 - OKNO_RTCP_FB_HEADER_LEN)

int okno_rtcp_fb_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_fb *out)
{
    if (pkt->pt != OKNO_RTCP_RTPFB && pkt->pt != OKNO_RTCP_PSFB)
        return OKNO_E_INVAL;
    if (pkt->body_len < 8)
        return OKNO_E_MALFORMED;
    out->pt = pkt->pt;
    out->fmt = pkt->count;
    out->sender_ssrc = okno_rd32(pkt->body);
    out->media_ssrc = okno_rd32(pkt->body + 4);
    out->fci = pkt->body + 8;
    out->fci_len = pkt->body_len - 8;
    return 0;
}

enum okno_rtcp_fb_kind okno_rtcp_fb_kind(const struct okno_rtcp_fb *fb)
{
    if (fb->pt == OKNO_RTCP_RTPFB) {
        if (fb->fmt == FMT_NACK)
            return OKNO_RTCP_FB_NACK;
        if (fb->fmt == FMT_TWCC)
            return OKNO_RTCP_FB_TWCC;
    } else if (fb->pt == OKNO_RTCP_PSFB) {
        if (fb->fmt == FMT_PLI)
            return OKNO_RTCP_FB_PLI;
        if (fb->fmt == FMT_FIR)
            return OKNO_RTCP_FB_FIR;
        /* Application layer feedback is a family; only the identifier says it is REMB. */
        if (fb->fmt == FMT_AFB && fb->fci_len >= 4 && fb->fci[0] == 'R' && fb->fci[1] == 'E' &&
            fb->fci[2] == 'M' && fb->fci[3] == 'B')
            return OKNO_RTCP_FB_REMB;
    }
    return OKNO_RTCP_FB_OTHER;
}

/* The feedback header shared by every builder here; the caller has checked that size fits cap. */
static void fb_header(uint8_t *buf, uint8_t fmt, uint8_t pt, size_t size, uint32_t sender,
                      uint32_t media)
{
    okno__rtcp_write_header(buf, fmt, pt, size);
    okno_wr32(buf + 4, sender);
    okno_wr32(buf + 8, media);
}

int okno_rtcp_nack_foreach(const struct okno_rtcp_fb *fb, okno_rtcp_nack_cb cb, void *ud)
{
    if (okno_rtcp_fb_kind(fb) != OKNO_RTCP_FB_NACK)
        return OKNO_E_INVAL;
    if (fb->fci_len == 0 || fb->fci_len % NACK_FCI_LEN)
        return OKNO_E_MALFORMED;
    int calls = 0;
    for (size_t at = 0; at < fb->fci_len; at += NACK_FCI_LEN) {
        uint16_t pid = okno_rd16(fb->fci + at);
        uint16_t blp = okno_rd16(fb->fci + at + 2);
        int rc = cb(pid, ud);
        if (rc)
            return rc;
        calls++;
        for (unsigned bit = 0; bit < 16; bit++) {
            if (!(blp & (1u << bit)))
                continue;
            rc = cb((uint16_t)(pid + bit + 1), ud);
            if (rc)
                return rc;
            calls++;
        }
    }
    return calls;
}

struct expand_ctx {
    uint16_t *lost;
    size_t cap;
    size_t n;
};

static int expand_one(uint16_t seq, void *ud)
{
    struct expand_ctx *c = ud;
    if (c->n == c->cap)
        return OKNO_E_NOSPC;
    c->lost[c->n++] = seq;
    return 0;
}

int okno_rtcp_nack_expand(const struct okno_rtcp_fb *fb, uint16_t *lost, size_t cap)
{
    struct expand_ctx c = {lost, cap, 0};
    return okno_rtcp_nack_foreach(fb, expand_one, &c);
}

/* One greedy pass: an FCI starts at the oldest number not yet covered and takes every later number
 * within 16 of it. Greedy is optimal here because every FCI covers a window of 17 starting at its
 * PID. With out NULL it only counts, so the builder can size the packet before writing anything. */
static int nack_fcis(const uint16_t *lost, size_t n, uint8_t *out, size_t *count)
{
    size_t fcis = 0;
    uint16_t pid = 0;
    uint16_t blp = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            uint16_t step = (uint16_t)(lost[i] - lost[i - 1]);
            if (step == 0)
                continue;
            if (step >= 0x8000)
                return OKNO_E_INVAL;
            uint16_t off = (uint16_t)(lost[i] - pid);
            if (off <= 16) {
                blp |= (uint16_t)(1u << (off - 1));
                continue;
            }
            if (out) {
                okno_wr16(out + (fcis - 1) * NACK_FCI_LEN, pid);
                okno_wr16(out + (fcis - 1) * NACK_FCI_LEN + 2, blp);
            }
        }
        pid = lost[i];
        blp = 0;
        fcis++;
    }
    if (out && fcis) {
        okno_wr16(out + (fcis - 1) * NACK_FCI_LEN, pid);
        okno_wr16(out + (fcis - 1) * NACK_FCI_LEN + 2, blp);
    }
    *count = fcis;
    return 0;
}

int okno_rtcp_nack_build(uint32_t sender_ssrc, uint32_t media_ssrc, const uint16_t *lost, size_t n,
                         uint8_t *buf, size_t cap)
{
    if (n == 0)
        return OKNO_E_INVAL;
    size_t fcis;
    int rc = nack_fcis(lost, n, NULL, &fcis);
    if (rc < 0)
        return rc;
    if (fcis > FB_MAX_FCI / NACK_FCI_LEN)
        return OKNO_E_RANGE;
    size_t size = OKNO_RTCP_FB_HEADER_LEN + fcis * NACK_FCI_LEN;
    if (size > cap)
        return OKNO_E_NOSPC;
    fb_header(buf, FMT_NACK, OKNO_RTCP_RTPFB, size, sender_ssrc, media_ssrc);
    nack_fcis(lost, n, buf + OKNO_RTCP_FB_HEADER_LEN, &fcis);
    return (int)size;
}

int okno_rtcp_pli_parse(const struct okno_rtcp_fb *fb)
{
    if (okno_rtcp_fb_kind(fb) != OKNO_RTCP_FB_PLI)
        return OKNO_E_INVAL;
    return fb->fci_len ? OKNO_E_MALFORMED : 0;
}

int okno_rtcp_pli_build(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t *buf, size_t cap)
{
    if (cap < OKNO_RTCP_FB_HEADER_LEN)
        return OKNO_E_NOSPC;
    fb_header(buf, FMT_PLI, OKNO_RTCP_PSFB, OKNO_RTCP_FB_HEADER_LEN, sender_ssrc, media_ssrc);
    return OKNO_RTCP_FB_HEADER_LEN;
}

int okno_rtcp_fir_parse(const struct okno_rtcp_fb *fb, struct okno_rtcp_fir_entry *entries,
                        size_t cap)
{
    if (okno_rtcp_fb_kind(fb) != OKNO_RTCP_FB_FIR)
        return OKNO_E_INVAL;
    if (fb->fci_len == 0 || fb->fci_len % OKNO_RTCP_FIR_ENTRY_LEN)
        return OKNO_E_MALFORMED;
    size_t n = fb->fci_len / OKNO_RTCP_FIR_ENTRY_LEN;
    for (size_t i = 0; i < n && i < cap; i++) {
        entries[i].ssrc = okno_rd32(fb->fci + i * OKNO_RTCP_FIR_ENTRY_LEN);
        entries[i].seq_nr = fb->fci[i * OKNO_RTCP_FIR_ENTRY_LEN + 4];
    }
    return n > cap ? OKNO_E_NOSPC : (int)n;
}

int okno_rtcp_fir_build(uint32_t sender_ssrc, const struct okno_rtcp_fir_entry *entries, size_t n,
                        uint8_t *buf, size_t cap)
{
    if (n == 0)
        return OKNO_E_INVAL;
    if (n > FB_MAX_FCI / OKNO_RTCP_FIR_ENTRY_LEN)
        return OKNO_E_RANGE;
    size_t size = OKNO_RTCP_FB_HEADER_LEN + n * OKNO_RTCP_FIR_ENTRY_LEN;
    if (size > cap)
        return OKNO_E_NOSPC;
    fb_header(buf, FMT_FIR, OKNO_RTCP_PSFB, size, sender_ssrc, 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = buf + OKNO_RTCP_FB_HEADER_LEN + i * OKNO_RTCP_FIR_ENTRY_LEN;
        okno_wr32(p, entries[i].ssrc);
        p[4] = entries[i].seq_nr;
        okno_wr24(p + 5, 0);
    }
    return (int)size;
}

int okno_rtcp_remb_parse(const struct okno_rtcp_fb *fb, struct okno_rtcp_remb *out)
{
    if (okno_rtcp_fb_kind(fb) != OKNO_RTCP_FB_REMB)
        return OKNO_E_INVAL;
    if (fb->fci_len < REMB_FIXED_LEN)
        return OKNO_E_MALFORMED;
    uint8_t count = fb->fci[4];
    if (fb->fci_len != REMB_FIXED_LEN + (size_t)count * 4)
        return OKNO_E_MALFORMED;
    unsigned exp = fb->fci[5] >> 2;
    uint64_t mantissa = (uint64_t)(fb->fci[5] & 3) << 16 | okno_rd16(fb->fci + 6);
    /* exp > 46 can push a large mantissa past 64 bits; such a cap is a lie, not a huge link. */
    if (exp > 0 && mantissa >> (64 - exp))
        return OKNO_E_RANGE;
    out->bitrate = mantissa << exp;
    out->ssrc_count = count;
    for (size_t i = 0; i < count; i++)
        out->ssrcs[i] = okno_rd32(fb->fci + REMB_FIXED_LEN + i * 4);
    return 0;
}

int okno_rtcp_remb_build(uint32_t sender_ssrc, const struct okno_rtcp_remb *remb, uint8_t *buf,
                         size_t cap)
{
    size_t size = OKNO_RTCP_FB_HEADER_LEN + REMB_FIXED_LEN + (size_t)remb->ssrc_count * 4;
    if (size > cap)
        return OKNO_E_NOSPC;
    /* The smallest exponent keeps the most precision; 2^64 >> 46 fits 18 bits, so exp stays <= 46.
     */
    unsigned exp = 0;
    while (remb->bitrate >> exp > 0x3ffff)
        exp++;
    uint32_t mantissa = (uint32_t)(remb->bitrate >> exp);
    fb_header(buf, FMT_AFB, OKNO_RTCP_PSFB, size, sender_ssrc, 0);
    uint8_t *p = buf + OKNO_RTCP_FB_HEADER_LEN;
    p[0] = 'R';
    p[1] = 'E';
    p[2] = 'M';
    p[3] = 'B';
    p[4] = remb->ssrc_count;
    p[5] = (uint8_t)(exp << 2 | mantissa >> 16);
    okno_wr16(p + 6, (uint16_t)mantissa);
    for (size_t i = 0; i < remb->ssrc_count; i++)
        okno_wr32(p + REMB_FIXED_LEN + i * 4, remb->ssrcs[i]);
    return (int)size;
}
