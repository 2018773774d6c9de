/* Writing a subscriber's copy of a packet: the header extensions it negotiated, renumbered, with
 * its own mid; its SSRC, payload type, sequence number and timestamp; the payload with the VP8
 * numbers it was given. Shared by forwarding and retransmission, so a retransmitted packet is
 * byte for byte what was first sent (save abs-send-time and transport-cc, which the pacer stamps
 * at sending). It deliberately decides nothing: the numbers come from the mungers. */
#include <string.h>

#include "okno/err.h"
#include "sfu/downtrack_internal.h"
#include "wire/rtp_ext.h"

size_t okno__downtrack_build_ext(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                                 bool stamped, uint16_t *profile)
{
    /* What the sender stamps in place; zero until then. */
    static const uint8_t unstamped[3];
    struct okno_rtp_ext elems[OKNO_DOWNTRACK_MAX_EXT + 3];
    size_t n = 0;
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    okno_rtp_ext_iter_init(&it, in);
    while (n < OKNO_DOWNTRACK_MAX_EXT && okno_rtp_ext_iter_next(&it, &e) == 1) {
        uint8_t to = dt->ext_to[e.id];
        /* The subscriber's mid and the stamped elements are ours to write, whatever the publisher
         * sent. */
        if (to == 0 || (dt->mid_id != 0 && to == dt->mid_id) ||
            (dt->twcc_id != 0 && to == dt->twcc_id) ||
            (dt->abs_send_time_id != 0 && to == dt->abs_send_time_id))
            continue;
        elems[n] = e;
        elems[n++].id = to;
    }
    if (dt->mid_id != 0)
        elems[n++] = (struct okno_rtp_ext){.id = dt->mid_id, .len = dt->mid_len, .data = dt->mid};
    if (stamped && dt->twcc_id != 0)
        elems[n++] = (struct okno_rtp_ext){.id = dt->twcc_id, .len = 2, .data = unstamped};
    if (stamped && dt->abs_send_time_id != 0)
        elems[n++] = (struct okno_rtp_ext){.id = dt->abs_send_time_id, .len = 3, .data = unstamped};
    *profile = 0;
    if (n == 0)
        return 0;
    int len = okno_rtp_ext_build(dt->ext_body, sizeof dt->ext_body, elems, n, profile);
    /* The scratch holds the largest body and create checked every id, so this cannot fail; an
     * empty block is the safe answer if it ever did. */
    return len > 0 ? (size_t)len : 0;
}

size_t okno__downtrack_build_ext_fit(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                                     size_t cap, uint16_t *profile)
{
    size_t ext_len = okno__downtrack_build_ext(dt, in, true, profile);
    if ((dt->twcc_id || dt->abs_send_time_id) && okno__downtrack_out_len(in, ext_len) > cap)
        ext_len = okno__downtrack_build_ext(dt, in, false, profile);
    return ext_len;
}

size_t okno__downtrack_out_len(const struct okno_rtp_pkt *in, size_t ext_len)
{
    size_t len = OKNO_RTP_HEADER_LEN + 4u * in->csrc_count + in->payload_len;
    return ext_len > 0 ? len + OKNO_RTP_EXT_HEADER_LEN + ext_len : len;
}

int okno__downtrack_write(const struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                          size_t ext_len, uint16_t profile, uint16_t seq, uint32_t ts, uint32_t tag,
                          uint8_t *out, size_t cap)
{
    if (okno__downtrack_out_len(in, ext_len) > cap)
        return OKNO_E_NOSPC;
    struct okno_rtp_pkt h = *in;
    h.padding = false;
    h.pt = dt->pt;
    h.seq = seq;
    h.ts = ts;
    h.ssrc = dt->ssrc;
    h.extension = ext_len > 0;
    h.ext_profile = profile;
    h.ext = dt->ext_body;
    h.ext_len = ext_len;
    int hl = okno_rtp_write_header(out, cap, &h);
    if (hl < 0)
        return hl;
    uint8_t *payload = out + hl;
    memcpy(payload, in->payload, in->payload_len);
    if (tag & OKNO__DT_TAG_VALID) {
        struct okno_vp8_desc d;
        if (okno_vp8_parse_desc(payload, in->payload_len, &d) < 0)
            return OKNO_E_MALFORMED;
        d.picture_id = (uint16_t)(tag & 0x7fffu);
        if (tag & OKNO__DT_TAG_HASTL0)
            d.tl0picidx = (uint8_t)(tag >> 16);
        int err = okno_vp8_rewrite(payload, in->payload_len, &d);
        if (err < 0)
            return err;
    }
    return hl + (int)in->payload_len;
}
