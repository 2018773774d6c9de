/* VP8 depacketization and the decodability rule for okno-bench's receiver. The rule errs towards
 * dropping: a frame is given to the decoder only when every frame it can reference is known to have
 * been decoded, judged from TL0PICIDX continuity, because a VP8 decoder fed a frame with a missing
 * reference shows corrupt pictures without complaint and PSNR would then measure our mistake. It
 * does not use picture IDs to find lost frames (sequence numbers already tell) nor track individual
 * references as libwebrtc's reference finder does. */
#include "media/vp8_depacketizer.h"

#include <stdlib.h>

#include "okno/err.h"
#include "wire/vp8.h"

struct okno_vp8depack {
    struct okno_fasm *fasm; /* owned */
    bool need_key;
    bool wait_tl0;
    bool have_tl0;
    uint8_t last_tl0;
    struct okno_vp8depack_stats stats;
};

int okno_vp8depack_create(const struct okno_fasm_config *cfg, struct okno_vp8depack **out)
{
    *out = NULL;
    struct okno_vp8depack *d = calloc(1, sizeof *d);
    if (!d)
        return OKNO_E_NOMEM;
    struct okno_fasm_config def = {0};
    int rc = okno_fasm_create(cfg ? cfg : &def, &d->fasm);
    if (rc) {
        free(d);
        return rc;
    }
    d->need_key = true;
    *out = d;
    return 0;
}

void okno_vp8depack_destroy(struct okno_vp8depack *d)
{
    if (!d)
        return;
    okno_fasm_destroy(d->fasm);
    free(d);
}

int okno_vp8depack_push(struct okno_vp8depack *d, const struct okno_rtp_pkt *pkt, int64_t now_us)
{
    struct okno_vp8_packet vp;
    int rc = okno_vp8_parse(pkt->payload, pkt->payload_len, &vp);
    if (rc < 0) {
        d->stats.bad_payloads++;
        return rc;
    }
    struct okno_fasm_pkt fp = {
        .seq = pkt->seq,
        .ts = pkt->ts,
        .marker = pkt->marker,
        .frame_start = vp.has_header,
        .payload = vp.payload,
        .len = vp.payload_len,
        .meta =
            {
                .keyframe = vp.has_header && vp.header.keyframe,
                .has_temporal = vp.desc.has_tid && vp.desc.has_tl0picidx,
                .tid = vp.desc.tid,
                .layer_sync = vp.desc.y,
                .tl0picidx = vp.desc.tl0picidx,
                .picture_id = vp.desc.picture_id,
                .width = vp.header.width,
                .height = vp.header.height,
            },
    };
    return okno_fasm_push(d->fasm, &fp, now_us);
}

static void wait_for_key(struct okno_vp8depack *d)
{
    if (!d->need_key)
        d->stats.keyframe_waits++;
    d->need_key = true;
    d->wait_tl0 = false;
}

/* Whether frame f may go to the decoder, updating the recovery state. */
static bool decodable(struct okno_vp8depack *d, const struct okno_fasm_frame *f)
{
    const struct okno_fasm_meta *m = &f->meta;
    if (m->keyframe) {
        d->need_key = d->wait_tl0 = false;
        d->have_tl0 = m->has_temporal;
        d->last_tl0 = m->tl0picidx;
        return true;
    }
    if (f->lost_before && !d->need_key) {
        /* Whatever was lost, a TL0 frame that follows the last decoded one references only TL0
         * frames we have; without temporal layers nothing but a key frame is safe. */
        if (m->has_temporal && d->have_tl0)
            d->wait_tl0 = true;
        else
            wait_for_key(d);
    }
    if (d->need_key)
        return false;
    bool next_tl0 = m->has_temporal && m->tid == 0 && m->tl0picidx == (uint8_t)(d->last_tl0 + 1);
    if (d->wait_tl0) {
        if (next_tl0) {
            d->wait_tl0 = false;
            d->last_tl0 = m->tl0picidx;
            return true;
        }
        /* A frame of a later group shows that group's TL0 frame was lost too. */
        if (!m->has_temporal || (m->tl0picidx != d->last_tl0 && !next_tl0))
            wait_for_key(d);
        return false;
    }
    if (m->has_temporal != d->have_tl0) {
        wait_for_key(d); /* the stream changed shape without a key frame */
        return false;
    }
    if (m->has_temporal && m->tid == 0) {
        if (!next_tl0) {
            wait_for_key(d); /* a TL0 frame vanished without a sequence gap */
            return false;
        }
        d->last_tl0 = m->tl0picidx;
    } else if (m->has_temporal && m->tl0picidx != d->last_tl0) {
        wait_for_key(d);
        return false;
    }
    return true;
}

int okno_vp8depack_pop(struct okno_vp8depack *d, int64_t now_us, struct okno_fasm_frame *out)
{
    while (okno_fasm_pop(d->fasm, now_us, out) == 1) {
        if (decodable(d, out)) {
            d->stats.frames++;
            d->stats.keyframes += out->meta.keyframe;
            return 1;
        }
        d->stats.skipped_frames++;
    }
    return 0;
}

bool okno_vp8depack_keyframe_needed(const struct okno_vp8depack *d)
{
    return d->need_key;
}

void okno_vp8depack_require_keyframe(struct okno_vp8depack *d)
{
    wait_for_key(d);
}

struct okno_vp8depack_stats okno_vp8depack_stats(const struct okno_vp8depack *d)
{
    struct okno_vp8depack_stats s = d->stats;
    s.assembler = okno_fasm_stats(d->fasm);
    return s;
}
