/* The sender's media: the synthetic camera through the VP8 encodings into packets for the pacer,
 * and the tone through Opus. See sender.h. */
#include <string.h>

#include "call/sender_internal.h"
#include "okno/err.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"

#define HISTORY_SLOTS  1024
#define HISTORY_AGE_US 1000000 /* at first; max(1 s, 3 x RTT) once the RTT is known */
#define OPUS_FRAME_US  20000
#define QUEUE_MIN_US   100000 /* frames are skipped while the pacer queue takes longer than */
#define QUEUE_FRAMES   3      /* max(QUEUE_MIN_US, QUEUE_FRAMES frame intervals) to drain */

static const char *const rids[OKNO_VP8_MAX_ENCODINGS] = {"q", "h", "f"};

/* Builds a stream's extension body: mid, rid (or repaired rid), abs-send-time and transport-cc
 * placeholders, which are stamped when the packet leaves. */
static int build_ext(const struct okno_sender *s, const char *mid, int rid_id, const char *rid,
                     uint8_t *out, size_t *out_len)
{
    static const uint8_t zeros[3];
    struct okno_rtp_ext el[4];
    size_t n = 0;
    if (okno__sender_ext_on(s->cfg.ext_mid) && mid)
        el[n++] = (struct okno_rtp_ext){(uint8_t)s->cfg.ext_mid, (uint8_t)strlen(mid),
                                        (const uint8_t *)mid};
    if (okno__sender_ext_on(rid_id) && rid)
        el[n++] =
            (struct okno_rtp_ext){(uint8_t)rid_id, (uint8_t)strlen(rid), (const uint8_t *)rid};
    if (okno__sender_ext_on(s->cfg.ext_abs_send_time))
        el[n++] = (struct okno_rtp_ext){(uint8_t)s->cfg.ext_abs_send_time, 3, zeros};
    if (okno__sender_ext_on(s->cfg.ext_twcc))
        el[n++] = (struct okno_rtp_ext){(uint8_t)s->cfg.ext_twcc, 2, zeros};
    *out_len = 0;
    if (n == 0)
        return 0;
    uint16_t profile;
    int len = okno_rtp_ext_build(out, OKNO_SENDER_EXT_MAX, el, n, &profile);
    if (len < 0)
        return len;
    *out_len = (size_t)len;
    return 0;
}

int okno__sender_setup_video(struct okno_sender *s, int64_t now_us)
{
    const struct okno_sender_config *c = &s->cfg;
    struct okno_vsrc_config vc = {.width = c->width, .height = c->height, .seed = c->seed};
    int rc = okno_vsrc_init(&s->vsrc, &vc);
    if (rc < 0)
        return rc;
    s->vsrc_ready = true;
    if (okno_image_alloc(&s->img, c->width, c->height) < 0)
        return OKNO_E_NOMEM;
    uint32_t video_kbps = c->start_kbps > s->audio_kbps + 20 ? c->start_kbps - s->audio_kbps : 20;
    unsigned levels = okno_scaling_levels_for(c->width, c->height);
    s->scaling = c->encodings == 1 && levels > 1 && c->scaling != OKNO_SENDER_SCALING_OFF;
    struct okno_vp8enc_config ec = {.width = c->width,
                                    .height = c->height,
                                    .fps = c->fps,
                                    .encodings = s->scaling ? levels : c->encodings,
                                    .temporal_layers = c->temporal_layers,
                                    .start_kbps = video_kbps * OKNO_SENDER_VIDEO_PAYLOAD_PCT / 100,
                                    .one_at_a_time = s->scaling};
    /* Three simulcast encodings are capped as web/okno.js publishes them (q /4 150, h /2 500,
     * f 1500 kbit/s maxBitrate), so the server sees what a browser of the app would send. */
    static const unsigned app_max_kbps[OKNO_VP8_MAX_ENCODINGS] = {150, 500, 1500};
    if (!s->scaling && c->encodings == OKNO_VP8_MAX_ENCODINGS)
        memcpy(ec.max_kbps, app_max_kbps, sizeof ec.max_kbps);
    rc = okno_vp8enc_create(&ec, &s->enc);
    if (rc < 0)
        return rc;
    if (s->scaling) {
        okno_scaling_init(&s->scale, levels, c->width, c->height, ec.start_kbps, now_us);
        rc = okno_vp8enc_select(s->enc, s->scale.level);
        if (rc < 0)
            return rc;
    }
    s->encoder_kbps = ec.start_kbps;
    s->encoder_set_us = now_us;
    uint64_t x = (uint64_t)c->seed * 7919 + 17;
    for (unsigned i = 0; i < s->n_enc && i < OKNO_VP8_MAX_ENCODINGS; i++) {
        struct okno_sender_stream *st = &s->st[OKNO_SENDER_VIDEO(i)];
        st->used = true;
        st->ssrc = c->video_ssrc[i];
        st->rtx_ssrc = c->rtx_ssrc[i];
        st->clock_hz = 90000;
        const char *rid = s->n_enc > 1 ? rids[i] : NULL;
        rc = build_ext(s, c->video_mid, c->ext_rid, rid, st->ext, &st->ext_len);
        if (rc == 0)
            rc =
                build_ext(s, c->video_mid, c->ext_repaired_rid, rid, st->rtx_ext, &st->rtx_ext_len);
        if (rc < 0)
            return rc;
        struct okno_vp8pack_config pc = {.ssrc = st->ssrc,
                                         .pt = OKNO_SENDER_PT_VP8,
                                         .first_seq = st->seq,
                                         .first_picture_id = (uint16_t)okno__sender_splitmix64(&x),
                                         .max_packet = OKNO_SENDER_MAX_PACKET};
        rc = okno_vp8pack_init(&s->pack[i], &pc);
        if (rc == 0)
            rc = okno_rtx_history_init(&s->hist[i], HISTORY_SLOTS, HISTORY_AGE_US);
        if (rc < 0)
            return rc;
    }
    s->next_frame_us = now_us;
    return 0;
}

int okno__sender_setup_audio(struct okno_sender *s, int64_t now_us)
{
    struct okno_sender_stream *st = &s->st[OKNO_SENDER_AUDIO];
    st->used = true;
    st->ssrc = s->cfg.audio_ssrc;
    st->clock_hz = OKNO_AUDIO_RATE;
    int rc = build_ext(s, s->cfg.audio_mid, -1, NULL, st->ext, &st->ext_len);
    if (rc < 0)
        return rc;
    struct okno_opusenc_config oc = {
        .kbps = OKNO_SENDER_OPUS_KBPS, .fec = true, .loss_pct = 5, .dtx = s->cfg.opus_dtx};
    rc = okno_opusenc_create(&oc, &s->opus);
    if (rc < 0)
        return rc;
    okno_asrc_init(&s->asrc);
    s->next_audio_us = now_us;
    return 0;
}

static void packetize(struct okno_sender *s, struct okno_vp8enc_frame *f, int64_t now_us)
{
    /* with scaling every encoding is the one stream */
    unsigned e = s->scaling ? 0 : f->encoding;
    struct okno_sender_stream *st = &s->st[OKNO_SENDER_VIDEO(e)];
    f->rtp_ts += st->ts_base;
    int n = okno_vp8pack_begin(&s->pack[e], f, st->ext_len);
    int8_t stream = (int8_t)OKNO_SENDER_VIDEO(e);
    if (n > 0 && f->keyframe && !okno_pacer_has_keyframe(&s->pacer, stream))
        s->stats.packets_flushed += okno_pacer_flush_stream(&s->pacer, stream);
    if (n <= 0 || okno_pacer_free_slots(&s->pacer) < (unsigned)n) {
        /* The pacer is full: drop the frame, and since the encoder's references now hold
         * something the receiver never gets, make the next one a key frame. */
        s->stats.frames_dropped++;
        okno_vp8enc_request_keyframe(s->enc, (int)f->encoding);
        return;
    }
    for (;;) {
        struct okno_pacer_pkt *pkt = okno_pacer_alloc(&s->pacer);
        int len = okno_vp8pack_next(&s->pack[e], pkt->buf, sizeof pkt->buf,
                                    st->ext_len ? st->ext : NULL, st->ext_len);
        if (len <= 0) {
            okno_pacer_release(&s->pacer, pkt);
            break;
        }
        pkt->len = (size_t)len;
        pkt->payload_len = (size_t)len - OKNO_RTP_HEADER_LEN -
                           (st->ext_len ? OKNO_RTP_EXT_HEADER_LEN + st->ext_len : 0);
        pkt->cls = OKNO_PACER_VIDEO;
        pkt->stream = stream;
        pkt->keyframe = f->keyframe;
        okno_pacer_push(&s->pacer, pkt, now_us);
    }
    st->last_ts = f->rtp_ts;
    s->stats.frames_encoded++;
    if (f->keyframe)
        s->stats.keyframes++;
}

unsigned okno__sender_active_encodings(const struct okno_sender *s)
{
    if (!s->enc)
        return 0;
    unsigned kbps[OKNO_VP8_MAX_ENCODINGS];
    unsigned n = okno_vp8enc_allocation(s->enc, kbps), active = 0;
    for (unsigned i = 0; i < n; i++)
        active += kbps[i] > 0;
    return active;
}

static int64_t frame_time(const struct okno_sender *s, uint32_t frame_no)
{
    return s->start_us + (int64_t)frame_no * 1000000 / s->cfg.fps;
}

/* Whether the pacer's non-audio queue (video and retransmissions: they share its budget) takes
 * longer than max(QUEUE_MIN_US, QUEUE_FRAMES frame intervals) to leave at the pacing rate. A frame
 * encoded now would only wait behind it, and after a capacity drop that queue was made for the old
 * rate: libwebrtc's encoder likewise skips captures while its pacer's expected queue time is long
 * (and its pacer then drains at 2.5 x the new target, not at the old rate). Skipping a capture
 * costs the receiver nothing but frame rate: no reference is lost, no key frame is needed. */
static bool queue_too_long(const struct okno_sender *s)
{
    int64_t limit = (int64_t)QUEUE_FRAMES * 1000000 / s->cfg.fps;
    limit = limit > QUEUE_MIN_US ? limit : QUEUE_MIN_US;
    return okno_pacer_media_queue_us(&s->pacer) > limit;
}

/* Whether a key frame is asked for that will flush its stream's queue (pacer.h): its capture does
 * not wait behind a queue it empties. */
static bool keyframe_flushes(const struct okno_sender *s)
{
    if (s->scaling) /* one stream, encoded by the scaler's level */
        return okno_vp8enc_keyframe_asked(s->enc, s->scale.level) &&
               !okno_pacer_has_keyframe(&s->pacer, (int8_t)OKNO_SENDER_VIDEO(0));
    unsigned kbps[OKNO_VP8_MAX_ENCODINGS];
    unsigned n = okno_vp8enc_allocation(s->enc, kbps);
    for (unsigned i = 0; i < n; i++)
        if (kbps[i] > 0 && okno_vp8enc_keyframe_asked(s->enc, i) &&
            !okno_pacer_has_keyframe(&s->pacer, (int8_t)OKNO_SENDER_VIDEO(i)))
            return true;
    return false;
}

/* Switches the encoder to the scaler's level. */
static void follow_level(struct okno_sender *s)
{
    if (okno_vp8enc_select(s->enc, s->scale.level) < 0)
        return;
    s->stats.resolution_switches++;
}

void okno__sender_scale(struct okno_sender *s, unsigned kbps, int64_t now_us)
{
    if (s->scaling && okno_scaling_on_rate(&s->scale, kbps, now_us))
        follow_level(s);
}

/* With scaling, tells the scaler whether a capture was lost and follows its level. */
static void scale_capture(struct okno_sender *s, bool dropped, int64_t now_us)
{
    if (s->scaling && okno_scaling_on_capture(&s->scale, dropped, now_us))
        follow_level(s);
}

/* Encodes the capture taken at t (in s->img) into the pacer, or drops it. */
static void encode(struct okno_sender *s, int64_t t, int64_t now_us)
{
    unsigned active = okno__sender_active_encodings(s);
    if (queue_too_long(s) && !keyframe_flushes(s)) {
        s->stats.frames_skipped_queue += active;
        s->stats.frames_dropped += active;
        return;
    }
    struct okno_vp8enc_frame frames[OKNO_VP8_MAX_ENCODINGS];
    int n = okno_vp8enc_encode(s->enc, &s->img, t, frames);
    if (n < 0) {
        s->stats.frames_dropped += active;
        return;
    }

    /* fewer frames than encodings: libvpx's own frame dropper skipped them */
    if ((unsigned)n < active) {
        s->stats.frames_dropped += active - (unsigned)n;
        s->stats.frames_skipped_rate += active - (unsigned)n;
    }
    for (int i = 0; i < n; i++)
        packetize(s, &frames[i], now_us);
}

/* Frames lost to the encoder, a full pacer or a late poll: what counts against a resolution. A
 * capture skipped for the pacer's queue is the congestion controller's doing, not a sign that the
 * size is too much for the encoder. */
static uint64_t frames_lost(const struct okno_sender *s)
{
    return s->stats.frames_dropped - s->stats.frames_skipped_queue;
}

void okno__sender_capture(struct okno_sender *s, int64_t now_us)
{
    if (!s->enc || now_us < s->next_frame_us)
        return;
    /* A camera does not wait: frames whose time passed while the owner was late are lost (an
     * overloaded machine, which a browser also answers with a lower resolution). */
    while (frame_time(s, s->frame_no + 1) <= now_us) {
        s->frame_no++;
        s->stats.frames_dropped++;
        s->stats.frames_late++;
        scale_capture(s, true, now_us);
    }
    int64_t t = frame_time(s, s->frame_no);
    uint32_t no = s->frame_no++;
    s->next_frame_us = frame_time(s, s->frame_no);
    if (okno_vsrc_render(&s->vsrc, no, t, &s->img) < 0)
        return;
    uint64_t lost = frames_lost(s);
    encode(s, t, now_us);
    scale_capture(s, frames_lost(s) != lost, now_us);
}

/* RED's distance follows the audio's reported loss: the previous payload alone covers a single
 * loss, and bursty loss (a fading radio link: edge's bursts average 3 packets) takes a run of them,
 * of which one previous payload repairs only the last. While the smoothed loss is at or above
 * RED2_ON (Chromium's field trial of RED for Opus sends two), each packet carries the two before
 * it; below RED2_OFF, one again. Smoothed over reports (about one a second) so a single report of a
 * burst does not flip it, and with hysteresis so it does not flap. */
#define RED2_ON_PCT    1.0
#define RED2_OFF_PCT   0.5
#define LOSS_SMOOTHING 0.25 /* weight of a new report */

void okno__sender_audio_loss(struct okno_sender *s, double fraction)
{
    s->audio_loss += (fraction - s->audio_loss) * LOSS_SMOOTHING;
    if (s->audio_loss * 100 >= RED2_ON_PCT)
        s->red_distance = 2;
    else if (s->audio_loss * 100 < RED2_OFF_PCT)
        s->red_distance = 1;
}

/* The RED payload for the Opus packet in opus_buf[0..n) at timestamp ts: the previous payloads (up
 * to red_distance of them, oldest first) as redundant blocks when the fields can say them (14-bit
 * offset, 10-bit length), then the primary. Returns the payload length or a negative code. */
static int red_payload(struct okno_sender *s, uint32_t ts, uint8_t *out, size_t cap, int n)
{
    struct okno_red_block prev[OKNO_SENDER_RED_MAX];
    size_t k = 0;
    unsigned d = s->red_distance < 1 ? 1 : s->red_distance;
    for (unsigned i = d < OKNO_SENDER_RED_MAX ? d : OKNO_SENDER_RED_MAX; i-- > 0;) {
        uint32_t back = ts - s->red_prev_ts[i];
        if (s->red_prev_len[i] == 0 || back == 0 || back > OKNO_RED_MAX_TS_OFFSET)
            continue;
        prev[k++] = (struct okno_red_block){.pt = OKNO_SENDER_PT_OPUS,
                                            .ts_offset = (uint16_t)back,
                                            .data = s->red_prev[i],
                                            .len = s->red_prev_len[i]};
    }
    const struct okno_red_block primary = {
        .pt = OKNO_SENDER_PT_OPUS, .data = s->opus_buf, .len = (size_t)n};
    int len = okno_red_build(out, cap, prev, k, &primary);
    /* shift the history: the oldest goes, this payload becomes the newest */
    for (unsigned i = OKNO_SENDER_RED_MAX - 1; i > 0; i--) {
        memcpy(s->red_prev[i], s->red_prev[i - 1], s->red_prev_len[i - 1]);
        s->red_prev_len[i] = s->red_prev_len[i - 1];
        s->red_prev_ts[i] = s->red_prev_ts[i - 1];
    }
    s->red_prev_len[0] = (size_t)n <= sizeof s->red_prev[0] ? (size_t)n : 0;
    memcpy(s->red_prev[0], s->opus_buf, s->red_prev_len[0]);
    s->red_prev_ts[0] = ts;
    return len;
}

void okno__sender_audio(struct okno_sender *s, int64_t now_us)
{
    if (!s->opus)
        return;
    struct okno_sender_stream *st = &s->st[OKNO_SENDER_AUDIO];
    while (s->next_audio_us <= now_us) {
        int64_t t = s->next_audio_us;
        s->next_audio_us += OPUS_FRAME_US;
        okno_asrc_next(&s->asrc, s->pcm);
        int n = okno_opusenc_encode(s->opus, s->pcm, s->opus_buf, sizeof s->opus_buf);
        if (n <= 0)
            continue;
        bool dtx = n <= 2, first_after_pause = s->in_dtx && !dtx;
        if (dtx && s->in_dtx)
            continue; /* only the first DTX frame of a pause is sent */
        s->in_dtx = dtx;
        struct okno_pacer_pkt *pkt = okno_pacer_alloc(&s->pacer);
        if (!pkt)
            continue;
        bool red = s->cfg.audio_red_pt > 0 && s->cfg.audio_red_pt <= 127;
        struct okno_rtp_pkt h = {.extension = st->ext_len > 0,
                                 .marker = first_after_pause,
                                 .pt = red ? (uint8_t)s->cfg.audio_red_pt : OKNO_SENDER_PT_OPUS,
                                 .seq = st->seq,
                                 .ts = st->ts_base + (uint32_t)(uint64_t)(t * 48 / 1000),
                                 .ssrc = st->ssrc,
                                 .ext_profile = OKNO_RTP_EXT_PROFILE_ONE_BYTE,
                                 .ext = st->ext,
                                 .ext_len = st->ext_len};
        int hl = okno_rtp_write_header(pkt->buf, sizeof pkt->buf, &h);
        if (hl >= 0 && red)
            n = red_payload(s, h.ts, pkt->buf + hl, sizeof pkt->buf - (size_t)hl, n);
        if (hl < 0 || n < 0 || (size_t)hl + (size_t)n > sizeof pkt->buf) {
            okno_pacer_release(&s->pacer, pkt);
            continue;
        }
        if (!red)
            memcpy(pkt->buf + hl, s->opus_buf, (size_t)n);
        st->seq++;
        st->last_ts = h.ts;
        pkt->len = (size_t)hl + (size_t)n;
        pkt->payload_len = (size_t)n;
        pkt->cls = OKNO_PACER_AUDIO;
        pkt->stream = OKNO_SENDER_AUDIO;
        okno_pacer_push(&s->pacer, pkt, now_us);
    }
}
