/* RFC 7741 packetization for okno-bench. Equal-sized packets (the remainder spread one byte each
 * over the first packets) rather than full packets and a short tail, as libwebrtc does, so the
 * pacer and the link see even packets. It writes no padding and no RTX. */
#include "media/vp8_packetizer.h"

#include <string.h>

#include "okno/err.h"
#include "wire/rtp.h"
#include "wire/vp8.h"

int okno_vp8pack_init(struct okno_vp8pack *p, const struct okno_vp8pack_config *cfg)
{
    memset(p, 0, sizeof *p);
    if (cfg->pt > 127)
        return OKNO_E_INVAL;
    p->cfg = *cfg;
    p->seq = cfg->first_seq;
    p->picture_id = cfg->first_picture_id & 0x7fff;
    return 0;
}

static size_t header_room(size_t ext_room)
{
    return OKNO_RTP_HEADER_LEN + (ext_room ? OKNO_RTP_EXT_HEADER_LEN + ext_room : 0);
}

int okno_vp8pack_begin(struct okno_vp8pack *p, const struct okno_vp8enc_frame *f, size_t ext_room)
{
    p->count = p->index = 0;
    if (!f->data || f->len == 0 || ext_room % 4 || ext_room > 1024)
        return OKNO_E_INVAL;
    struct okno_vp8_desc d = {
        .s = true,
        .n = f->non_reference,
        .has_picture_id = true,
        .picture_id_bits = 15,
        .picture_id = p->picture_id,
        .has_tl0picidx = f->has_temporal,
        .tl0picidx = f->tl0picidx,
        .has_tid = f->has_temporal,
        .tid = f->tid,
        .y = f->layer_sync,
    };
    int dl = okno_vp8_write_descriptor(p->desc_first, sizeof p->desc_first, &d);
    if (dl < 0)
        return dl;
    d.s = false;
    if (okno_vp8_write_descriptor(p->desc_rest, sizeof p->desc_rest, &d) != dl)
        return OKNO_E_RANGE;
    size_t over = header_room(ext_room) + (size_t)dl;
    if (p->cfg.max_packet <= over)
        return OKNO_E_NOSPC;
    size_t room = p->cfg.max_packet - over;
    p->desc_len = dl;
    p->data = f->data;
    p->len = f->len;
    p->off = 0;
    p->ext_room = ext_room;
    p->ts = f->rtp_ts;
    p->count = (unsigned)((f->len + room - 1) / room);
    p->picture_id = (uint16_t)((p->picture_id + 1) & 0x7fff);
    return (int)p->count;
}

int okno_vp8pack_next(struct okno_vp8pack *p, uint8_t *out, size_t cap, const uint8_t *ext,
                      size_t ext_len)
{
    if (p->index >= p->count)
        return 0;
    if (ext_len % 4 || ext_len > p->ext_room || (ext_len && !ext))
        return OKNO_E_INVAL;
    size_t chunk = p->len / p->count + (p->index < p->len % p->count ? 1 : 0);
    size_t hl = header_room(ext_len);
    size_t total = hl + (size_t)p->desc_len + chunk;
    if (cap < total)
        return OKNO_E_NOSPC;
    struct okno_rtp_pkt h = {
        .marker = p->index + 1 == p->count,
        .pt = p->cfg.pt,
        .seq = p->seq,
        .ts = p->ts,
        .ssrc = p->cfg.ssrc,
        .extension = ext_len > 0,
        .ext_profile = 0xBEDE,
        .ext = ext,
        .ext_len = ext_len,
    };
    int n = okno_rtp_write_header(out, cap, &h);
    if (n < 0)
        return n;
    memcpy(out + n, p->index ? p->desc_rest : p->desc_first, (size_t)p->desc_len);
    memcpy(out + n + p->desc_len, p->data + p->off, chunk);
    p->off += chunk;
    p->index++;
    p->seq++;
    return (int)total;
}
