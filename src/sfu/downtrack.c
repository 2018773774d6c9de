/* The downtrack's life and its forwarding path: create, layer targets, and the per-packet decision
 * and rewrite. See downtrack.h. The decision is made once per frame (by RTP timestamp) so a frame
 * is never sent in part; the two mungers then number what is sent, and everything not sent from
 * the followed encoding is taken out of the numbering so the subscriber sees no gap for it.
 * Retransmission lives in downtrack_nack.c, packet writing in downtrack_write.c. */
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/downtrack_internal.h"
#include "wire/rtp_ext.h"
#include "wire/seq.h"

#define DEFAULT_NACK_INTERVAL_US     100000
#define DEFAULT_NACK_MAX_AGE_US      1000000
#define DEFAULT_KEYFRAME_INTERVAL_US 500000
#define MAX_TID                      3

int okno_downtrack_create(const struct okno_downtrack_params *params,
                          const struct okno_downtrack_listener *listener,
                          struct okno_downtrack **out)
{
    const struct okno_downtrack_params *p = params;
    if (p->pt > 127 || (p->rtx && p->rtx_pt > 127) || p->n_ext_map > OKNO_DOWNTRACK_MAX_EXT ||
        (p->n_ext_map > 0 && !p->ext_map) || p->nack_interval_us < 0 || p->nack_max_age_us < 0 ||
        p->keyframe_interval_us < 0 || p->playout_budget_us < 0)
        return OKNO_E_INVAL;
    size_t mid_len = 0;
    if (p->mid_id != 0) {
        mid_len = p->mid ? strlen(p->mid) : 0;
        if (mid_len == 0 || mid_len > OKNO_DOWNTRACK_MID_MAX)
            return OKNO_E_INVAL;
    }
    for (size_t i = 0; i < p->n_ext_map; i++)
        if (p->ext_map[i].from == 0 || p->ext_map[i].to == 0)
            return OKNO_E_INVAL;
    /* The stamped elements are written in the one-byte form's 1-14, distinct from the mid. */
    if (p->twcc_id > OKNO_RTP_EXT_ONE_BYTE_MAX_ID ||
        p->abs_send_time_id > OKNO_RTP_EXT_ONE_BYTE_MAX_ID ||
        (p->twcc_id && (p->twcc_id == p->abs_send_time_id || p->twcc_id == p->mid_id)) ||
        (p->abs_send_time_id && p->abs_send_time_id == p->mid_id))
        return OKNO_E_INVAL;

    struct okno_downtrack *dt = calloc(1, sizeof *dt);
    if (!dt)
        return OKNO_E_NOMEM;
    dt->ssrc = p->ssrc;
    dt->pt = p->pt;
    dt->rtx = p->rtx;
    dt->rtx_ssrc = p->rtx_ssrc;
    dt->rtx_pt = p->rtx_pt;
    dt->vp8 = p->vp8;
    for (size_t i = 0; i < p->n_ext_map; i++)
        dt->ext_to[p->ext_map[i].from] = p->ext_map[i].to;
    dt->mid_id = p->mid_id;
    dt->mid_len = (uint8_t)mid_len;
    memcpy(dt->mid, p->mid ? p->mid : "", mid_len);
    dt->twcc_id = p->twcc_id;
    dt->abs_send_time_id = p->abs_send_time_id;
    dt->nack_interval_us = p->nack_interval_us ? p->nack_interval_us : DEFAULT_NACK_INTERVAL_US;
    dt->nack_max_age_us = p->nack_max_age_us ? p->nack_max_age_us : DEFAULT_NACK_MAX_AGE_US;
    dt->playout_budget_us = p->playout_budget_us;
    dt->budget_adds_rtt = p->budget_adds_rtt;
    dt->keyframe_sent_us = INT64_MIN;
    dt->restart_us = INT64_MIN;
    dt->request_after_us = INT64_MIN;
    dt->keyframe_interval_us =
        p->keyframe_interval_us ? p->keyframe_interval_us : DEFAULT_KEYFRAME_INTERVAL_US;
    if (listener)
        dt->listener = *listener;
    dt->target_tid = dt->cur_tid = MAX_TID;
    okno_rtp_munger_init(&dt->seq, p->clock_rate);
    okno_vp8_munger_init(&dt->pic);
    /* RFC 3550 wants a random start; the SSRC already is random, and this keeps tests exact. */
    dt->rtx_seq = (uint16_t)(p->rtx_ssrc ^ (p->rtx_ssrc >> 16));
    *out = dt;
    return 0;
}

void okno_downtrack_destroy(struct okno_downtrack *dt)
{
    free(dt);
}

static void request_keyframe(struct okno_downtrack *dt, int64_t now_us)
{
    dt->last_request_us = now_us;
    dt->stats.keyframe_requests++;
    if (dt->listener.on_keyframe_needed)
        dt->listener.on_keyframe_needed(dt->listener.ud, dt->target_ssrc);
}

int okno_downtrack_set_target(struct okno_downtrack *dt, uint32_t source_ssrc, uint8_t max_tid,
                              int64_t now_us)
{
    dt->target_tid = max_tid > MAX_TID ? MAX_TID : max_tid;
    if (source_ssrc == dt->target_ssrc)
        return dt->awaiting_keyframe && dt->vp8;
    dt->target_ssrc = source_ssrc;
    /* Back to the encoding still being sent needs no key frame, unless we stopped sending it. */
    dt->awaiting_keyframe =
        source_ssrc != 0 && (source_ssrc != dt->cur_ssrc || dt->cur_broken || !dt->seq.started);
    if (!dt->awaiting_keyframe || !dt->vp8)
        return 0;
    request_keyframe(dt, now_us);
    return 1;
}

int okno_downtrack_restart(struct okno_downtrack *dt, int64_t drain_us, int64_t now_us)
{
    if (!dt->vp8 || dt->target_ssrc == 0 || !dt->seq.started)
        return 0;
    dt->restart_us = now_us;
    dt->cur_broken = true;
    dt->awaiting_keyframe = true;
    dt->request_after_us = now_us + (drain_us > 0 ? drain_us : 0);
    if (drain_us <= 0)
        request_keyframe(dt, now_us);
    return 1;
}

uint32_t okno_downtrack_awaited_keyframe(const struct okno_downtrack *dt)
{
    return dt->awaiting_keyframe && dt->vp8 ? dt->target_ssrc : 0;
}

uint32_t okno_downtrack_current(const struct okno_downtrack *dt)
{
    return dt->seq.started ? dt->cur_ssrc : 0;
}

void okno_downtrack_set_rtt(struct okno_downtrack *dt, int64_t rtt_us)
{
    dt->rtt_us = rtt_us < 0 ? 0 : rtt_us > 1000000 ? 1000000 : rtt_us;
    if (rtt_us < 10000)
        rtt_us = 10000;
    if (rtt_us > 1000000)
        rtt_us = 1000000;
    dt->nack_interval_us = rtt_us;
}

void okno_downtrack_stats(const struct okno_downtrack *dt, struct okno_downtrack_stats *out)
{
    *out = dt->stats;
}

/* Not sent: counted, and taken out of the numbering when it belongs to the encoding being sent
 * (vp, when given, is its parsed VP8 payload: its picture is taken out too). */
static int drop(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                const struct okno_vp8_packet *vp, enum okno_downtrack_drop why)
{
    dt->stats.dropped[why]++;
    if (!dt->seq.started || in->ssrc != dt->cur_ssrc)
        return 0;
    okno_rtp_munger_drop(&dt->seq, in->ssrc, in->seq);
    if (vp && vp->desc.has_picture_id) {
        struct okno_vp8_munger_in mi = {.source = in->ssrc,
                                        .picture_id = vp->desc.picture_id,
                                        .picture_id_bits = vp->desc.picture_id_bits,
                                        .has_tl0picidx = vp->desc.has_tl0picidx,
                                        .tl0picidx = vp->desc.tl0picidx,
                                        .forward = false};
        struct okno_vp8_munger_out mo;
        okno_vp8_munger_update(&dt->pic, &mi, &mo);
    }
    if (why == OKNO_DOWNTRACK_DROP_PAUSED || why == OKNO_DOWNTRACK_DROP_WAIT_KEYFRAME)
        dt->cur_broken = true;
    return 0;
}

/* Which temporal layers the frame starting with vp gets, applied at a frame start only so that a
 * frame is never cut: a downgrade at once, an upgrade at a key frame or at a layer sync frame
 * (RFC 7741: Y set, the frame depends on TL0 alone) of a layer within the target. */
static void apply_temporal_target(struct okno_downtrack *dt, const struct okno_vp8_packet *vp)
{
    if (dt->target_tid < dt->cur_tid) {
        dt->cur_tid = dt->target_tid;
    } else if (dt->target_tid > dt->cur_tid) {
        if (okno_vp8_is_keyframe(vp))
            dt->cur_tid = dt->target_tid;
        else if (vp->desc.has_tid && vp->desc.y && vp->desc.tid > dt->cur_tid &&
                 vp->desc.tid <= dt->target_tid)
            dt->cur_tid = vp->desc.tid;
    }
}

/* Whether the packet's frame is sent. A packet of a frame older than the newest was decided with
 * its frame (the VP8 munger remembers dropped frames and refuses their late packets), or its frame
 * was never seen (lost before okno, recovered late): it fills its gap when its temporal layer is
 * one the subscriber gets now, as it would have come in time. */
static bool frame_decision(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                           const struct okno_vp8_packet *vp)
{
    if (!dt->have_frame || okno_ts_newer(in->ts, dt->frame_ts)) {
        if (vp->has_header)
            apply_temporal_target(dt, vp);
        uint8_t tid = vp->desc.has_tid ? vp->desc.tid : 0;
        dt->have_frame = true;
        dt->frame_ts = in->ts;
        dt->frame_forward = tid <= dt->cur_tid;
        return dt->frame_forward;
    }
    if (in->ts == dt->frame_ts)
        return dt->frame_forward;
    return (vp->desc.has_tid ? vp->desc.tid : 0) <= dt->cur_tid;
}

/* Chooses the encoding: returns 1 to go on with the packet, else the drop's 0. */
static int select_source(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                         const struct okno_vp8_packet *vp, bool keyframe, int64_t now_us)
{
    if (dt->target_ssrc == 0)
        return drop(dt, in, vp, OKNO_DOWNTRACK_DROP_PAUSED);
    if (in->ssrc == dt->target_ssrc && dt->awaiting_keyframe) {
        if (!keyframe) {
            if (dt->vp8 && now_us >= dt->request_after_us &&
                (now_us - dt->last_request_us >= dt->keyframe_interval_us ||
                 dt->last_request_us < dt->restart_us))
                request_keyframe(dt, now_us);
            return drop(dt, in, vp, OKNO_DOWNTRACK_DROP_WAIT_KEYFRAME);
        }
        dt->cur_ssrc = dt->target_ssrc;
        dt->cur_tid = dt->target_tid;
        dt->awaiting_keyframe = false;
        dt->cur_broken = false;
        dt->have_frame = false;
        return 1;
    }
    if (in->ssrc != dt->cur_ssrc || dt->cur_ssrc == 0)
        return drop(dt, in, vp, OKNO_DOWNTRACK_DROP_NOT_SELECTED);
    return 1;
}

int okno_downtrack_forward(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                           const uint8_t *pkt, size_t len, int64_t now_us, uint8_t *out, size_t cap)
{
    if (in->raw != pkt || in->raw_len != len || in->payload_len > len)
        return OKNO_E_INVAL;
    uint16_t profile;
    size_t ext_len = okno__downtrack_build_ext_fit(dt, in, cap, &profile);
    if (okno__downtrack_out_len(in, ext_len) > cap)
        return OKNO_E_NOSPC;
    if (in->payload_len == 0)
        return drop(dt, in, NULL, OKNO_DOWNTRACK_DROP_PADDING);

    struct okno_vp8_packet vp;
    bool keyframe = true; /* audio and other codecs: any packet is a place to switch */
    if (dt->vp8) {
        if (okno_vp8_parse(in->payload, in->payload_len, &vp) < 0)
            return drop(dt, in, NULL, OKNO_DOWNTRACK_DROP_MALFORMED);
        keyframe = okno_vp8_is_keyframe(&vp);
    }
    if (!select_source(dt, in, dt->vp8 ? &vp : NULL, keyframe, now_us))
        return 0;

    uint32_t tag = 0;
    if (dt->vp8) {
        bool forward = frame_decision(dt, in, &vp);
        if (vp.desc.has_picture_id) {
            struct okno_vp8_munger_in mi = {.source = in->ssrc,
                                            .picture_id = vp.desc.picture_id,
                                            .picture_id_bits = vp.desc.picture_id_bits,
                                            .has_tl0picidx = vp.desc.has_tl0picidx,
                                            .tl0picidx = vp.desc.tl0picidx,
                                            .forward = forward};
            struct okno_vp8_munger_out mo;
            int r = okno_vp8_munger_update(&dt->pic, &mi, &mo);
            if (forward && r < 0)
                return drop(dt, in, NULL, OKNO_DOWNTRACK_DROP_LATE);
            if (r == 1)
                tag = okno__dt_tag(&mo);
        }
        if (!forward)
            return drop(dt, in, NULL, OKNO_DOWNTRACK_DROP_TEMPORAL);
    }

    struct okno_rtp_munger_in si = {.source = in->ssrc, .seq = in->seq, .ts = in->ts, .tag = tag};
    uint16_t seq;
    uint32_t ts;
    if (okno_rtp_munger_forward(&dt->seq, &si, now_us, &seq, &ts) < 0) {
        dt->stats.dropped[OKNO_DOWNTRACK_DROP_LATE]++;
        return 0;
    }
    int n = okno__downtrack_write(dt, in, ext_len, profile, seq, ts, tag, out, cap);
    if (n < 0)
        return n;
    dt->stats.packets_sent++;
    dt->stats.bytes_sent += (uint64_t)n;
    if (dt->vp8 && keyframe) {
        dt->stats.keyframes_forwarded++;
        dt->keyframe_sent_us = now_us;
    }
    return n;
}
