/* RTX wrap and unwrap (see rtx.h). Both are one copy of the header, a two-byte insertion or removal
 * at the start of the payload and one copy of the rest; the header fields that change are then
 * rewritten with the rtp.h setters so the byte layout stays in one place. It deliberately re-parses
 * its input instead of trusting a caller's view: the cache and the network both hand over raw
 * buffers, and a parse is a few dozen loads. */
#include "wire/rtx.h"

#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"

bool okno_rtx_is_padding_only(const struct okno_rtp_pkt *rtx)
{
    return rtx->padding && rtx->payload_len == 0;
}

int okno_rtx_osn(const struct okno_rtp_pkt *rtx)
{
    if (rtx->payload_len < OKNO_RTX_OSN_LEN)
        return OKNO_E_TRUNCATED;
    return okno_rd16(rtx->payload);
}

int okno_rtx_unwrap(const uint8_t *rtx, size_t len, uint8_t *out, size_t cap, uint32_t ssrc,
                    uint8_t pt)
{
    if (pt > 127)
        return OKNO_E_INVAL;
    struct okno_rtp_pkt p;
    int err = okno_rtp_parse(rtx, len, &p);
    if (err < 0)
        return err;
    if (okno_rtx_is_padding_only(&p))
        return 0;
    int osn = okno_rtx_osn(&p);
    if (osn < 0)
        return osn;
    size_t total = len - OKNO_RTX_OSN_LEN;
    if (cap < total)
        return OKNO_E_NOSPC;
    memcpy(out, rtx, p.header_len);
    memcpy(out + p.header_len, p.payload + OKNO_RTX_OSN_LEN, total - p.header_len);
    okno_rtp_set_ssrc(out, total, ssrc);
    okno_rtp_set_pt(out, total, pt);
    okno_rtp_set_seq(out, total, (uint16_t)osn);
    return (int)total;
}

int okno_rtx_wrap(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap, uint32_t rtx_ssrc,
                  uint8_t rtx_pt, uint16_t rtx_seq)
{
    if (rtx_pt > 127)
        return OKNO_E_INVAL;
    struct okno_rtp_pkt p;
    int err = okno_rtp_parse(pkt, len, &p);
    if (err < 0)
        return err;
    if (len > INT32_MAX - OKNO_RTX_OSN_LEN)
        return OKNO_E_RANGE;
    size_t total = len + OKNO_RTX_OSN_LEN;
    if (cap < total)
        return OKNO_E_NOSPC;
    memcpy(out, pkt, p.header_len);
    okno_wr16(out + p.header_len, p.seq);
    memcpy(out + p.header_len + OKNO_RTX_OSN_LEN, p.payload, len - p.header_len);
    okno_rtp_set_ssrc(out, total, rtx_ssrc);
    okno_rtp_set_pt(out, total, rtx_pt);
    okno_rtp_set_seq(out, total, rtx_seq);
    return (int)total;
}
