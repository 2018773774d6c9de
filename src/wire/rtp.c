/* RTP header parsing, writing and in-place field rewriting (see rtp.h). The parser checks each
 * length it reads against what remains before using it, in the order the fields appear, so the
 * first field that does not fit decides the error. It deliberately does not validate the extension
 * elements: a packet whose extension block is garbage is still a packet whose payload can be
 * forwarded, and rtp_ext.c reports the element errors to whoever needs the elements. */
#include "wire/rtp.h"

#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"

int okno_rtp_parse(const uint8_t *buf, size_t len, struct okno_rtp_pkt *out)
{
    if (len < OKNO_RTP_HEADER_LEN)
        return OKNO_E_TRUNCATED;
    if (buf[0] >> 6 != 2)
        return OKNO_E_VERSION;

    struct okno_rtp_pkt p;
    memset(&p, 0, sizeof p);
    p.padding = buf[0] & 0x20;
    p.extension = buf[0] & 0x10;
    p.csrc_count = buf[0] & 0x0f;
    p.marker = buf[1] & 0x80;
    p.pt = buf[1] & 0x7f;
    p.seq = okno_rd16(buf + 2);
    p.ts = okno_rd32(buf + 4);
    p.ssrc = okno_rd32(buf + 8);

    size_t off = OKNO_RTP_HEADER_LEN;
    if (len - off < (size_t)p.csrc_count * 4)
        return OKNO_E_TRUNCATED;
    for (unsigned i = 0; i < p.csrc_count; i++, off += 4)
        p.csrc[i] = okno_rd32(buf + off);

    if (p.extension) {
        if (len - off < OKNO_RTP_EXT_HEADER_LEN)
            return OKNO_E_TRUNCATED;
        p.ext_profile = okno_rd16(buf + off);
        p.ext_len = (size_t)okno_rd16(buf + off + 2) * 4;
        off += OKNO_RTP_EXT_HEADER_LEN;
        if (len - off < p.ext_len)
            return OKNO_E_TRUNCATED;
        p.ext = buf + off;
        off += p.ext_len;
    }
    p.header_len = off;

    size_t body = len - off;
    if (p.padding) {
        /* The count octet is the packet's last byte, so it sits after the header only if body > 0.
         */
        if (body == 0 || buf[len - 1] == 0 || buf[len - 1] > body)
            return OKNO_E_MALFORMED;
        p.pad_len = buf[len - 1];
        body -= p.pad_len;
    }
    p.payload = buf + off;
    p.payload_len = body;
    p.raw = buf;
    p.raw_len = len;
    *out = p;
    return 0;
}

int okno_rtp_write_header(uint8_t *buf, size_t cap, const struct okno_rtp_pkt *h)
{
    if (h->pt > 127 || h->csrc_count > OKNO_RTP_MAX_CSRC)
        return OKNO_E_INVAL;
    size_t need = OKNO_RTP_HEADER_LEN + (size_t)h->csrc_count * 4;
    if (h->extension) {
        if (h->ext_len % 4 != 0 || h->ext_len > OKNO_RTP_EXT_MAX_LEN || (h->ext_len && !h->ext))
            return OKNO_E_INVAL;
        need += OKNO_RTP_EXT_HEADER_LEN + h->ext_len;
    }
    if (cap < need)
        return OKNO_E_NOSPC;

    buf[0] =
        (uint8_t)(2u << 6 | (h->padding ? 0x20u : 0) | (h->extension ? 0x10u : 0) | h->csrc_count);
    buf[1] = (uint8_t)((h->marker ? 0x80u : 0) | h->pt);
    okno_wr16(buf + 2, h->seq);
    okno_wr32(buf + 4, h->ts);
    okno_wr32(buf + 8, h->ssrc);
    size_t off = OKNO_RTP_HEADER_LEN;
    for (unsigned i = 0; i < h->csrc_count; i++, off += 4)
        okno_wr32(buf + off, h->csrc[i]);
    if (h->extension) {
        okno_wr16(buf + off, h->ext_profile);
        okno_wr16(buf + off + 2, (uint16_t)(h->ext_len / 4));
        off += OKNO_RTP_EXT_HEADER_LEN;
        if (h->ext_len)
            memcpy(buf + off, h->ext, h->ext_len);
        off += h->ext_len;
    }
    return (int)off;
}

/* The cheap check shared by the in-place setters: the fixed header is there and claims version 2.
 */
static int check_fixed(const uint8_t *pkt, size_t len)
{
    if (len < OKNO_RTP_HEADER_LEN)
        return OKNO_E_TRUNCATED;
    if (pkt[0] >> 6 != 2)
        return OKNO_E_VERSION;
    return 0;
}

int okno_rtp_append_padding(uint8_t *buf, size_t len, size_t cap, uint8_t pad_len)
{
    if (pad_len == 0)
        return OKNO_E_INVAL;
    int err = check_fixed(buf, len);
    if (err < 0)
        return err;
    if (buf[0] & 0x20)
        return OKNO_E_STATE;
    if (cap < len || cap - len < pad_len || len + pad_len > INT32_MAX)
        return OKNO_E_NOSPC;
    memset(buf + len, 0, (size_t)pad_len - 1);
    buf[len + pad_len - 1] = pad_len;
    buf[0] |= 0x20;
    return (int)(len + pad_len);
}

int okno_rtp_set_ssrc(uint8_t *pkt, size_t len, uint32_t ssrc)
{
    int err = check_fixed(pkt, len);
    if (err == 0)
        okno_wr32(pkt + 8, ssrc);
    return err;
}

int okno_rtp_set_seq(uint8_t *pkt, size_t len, uint16_t seq)
{
    int err = check_fixed(pkt, len);
    if (err == 0)
        okno_wr16(pkt + 2, seq);
    return err;
}

int okno_rtp_set_ts(uint8_t *pkt, size_t len, uint32_t ts)
{
    int err = check_fixed(pkt, len);
    if (err == 0)
        okno_wr32(pkt + 4, ts);
    return err;
}

int okno_rtp_set_marker(uint8_t *pkt, size_t len, bool marker)
{
    int err = check_fixed(pkt, len);
    if (err == 0)
        pkt[1] = (uint8_t)((pkt[1] & 0x7f) | (marker ? 0x80 : 0));
    return err;
}

int okno_rtp_set_pt(uint8_t *pkt, size_t len, uint8_t pt)
{
    if (pt > 127)
        return OKNO_E_INVAL;
    int err = check_fixed(pkt, len);
    if (err == 0)
        pkt[1] = (uint8_t)((pkt[1] & 0x80) | pt);
    return err;
}
