/* okno-bench's media sender: the object, following the estimate (target, pacing rate, encoder
 * share), pacing, probes and the counters. Media is in sender_media.c, RTCP in sender_rtcp.c. See
 * sender.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call/sender_internal.h"
#include "okno/err.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"

#define PACER_SLOTS       1024
#define PACING_FACTOR_X10 25 /* 2.5 x the target */
#define RATE_BIN_US       100000
#define ENCODER_HOLD_US   200000 /* the encoder's bitrate changes at most this often, */
#define ENCODER_STEP_PCT  5      /* and only by more than this, */
#define ENCODER_FALL_PCT  20     /* but a fall of more than this goes at once */
#define ESTIMATE_TICK_US  100000
/* A probe cluster behind its schedule by more than this (a stall longer than a cluster) starts
 * over rather than bursting. */
#define PROBE_CATCHUP_US 20000
#define PROBE_EARLY_US   2000
#define PADDING_BYTES    255 /* padding-only probe packets: the most RFC 3550 padding can say */

static int check_config(const struct okno_sender_config *c)
{
    if (!c->send_rtp || !c->send_rtcp || (!c->audio && !c->video))
        return OKNO_E_INVAL;
    if (c->fps > 120 || c->encodings > OKNO_VP8_MAX_ENCODINGS ||
        c->temporal_layers > OKNO_VP8_MAX_TLAYERS)
        return OKNO_E_INVAL;
    int ids[5] = {c->ext_mid, c->ext_rid, c->ext_abs_send_time, c->ext_twcc, c->ext_repaired_rid};
    for (int i = 0; i < 5; i++) {
        if (ids[i] > OKNO_RTP_EXT_ONE_BYTE_MAX_ID)
            return OKNO_E_INVAL;
        for (int j = 0; j < i; j++)
            if (okno__sender_ext_on(ids[i]) && ids[i] == ids[j])
                return OKNO_E_INVAL;
    }
    if ((c->audio_mid && strlen(c->audio_mid) > OKNO_SENDER_MID_MAX) ||
        (c->video_mid && strlen(c->video_mid) > OKNO_SENDER_MID_MAX) ||
        (c->audio_mid && !c->audio_mid[0]) || (c->video_mid && !c->video_mid[0]) ||
        (c->cname && strlen(c->cname) > 255))
        return OKNO_E_INVAL;
    return 0;
}

static void defaults(struct okno_sender_config *c)
{
    c->width = c->width ? c->width : 640;
    c->height = c->height ? c->height : 360;
    c->fps = c->fps ? c->fps : 30;
    c->encodings = c->encodings ? c->encodings : 1;
    c->temporal_layers = c->temporal_layers ? c->temporal_layers : 1;
    c->start_kbps = c->start_kbps ? c->start_kbps : 300;
    c->min_kbps = c->min_kbps ? c->min_kbps : OKNO_SENDER_DEFAULT_MIN_KBPS;
    c->max_kbps = c->max_kbps ? c->max_kbps : OKNO_SENDER_DEFAULT_MAX_KBPS;
}

/* SSRCs and sequence numbers as a browser picks them: random, here from the seed. */
static void pick_ids(struct okno_sender *s)
{
    uint64_t x = ((uint64_t)s->cfg.seed << 32) ^ 0x6F6B6E6Full;
    uint32_t taken[1 + 2 * OKNO_VP8_MAX_ENCODINGS] = {0};
    uint32_t *want[1 + 2 * OKNO_VP8_MAX_ENCODINGS] = {&s->cfg.audio_ssrc};
    for (unsigned i = 0; i < OKNO_VP8_MAX_ENCODINGS; i++) {
        want[1 + 2 * i] = &s->cfg.video_ssrc[i];
        want[2 + 2 * i] = &s->cfg.rtx_ssrc[i];
    }
    for (unsigned i = 0; i < 1 + 2 * OKNO_VP8_MAX_ENCODINGS; i++) {
        uint32_t v = *want[i];
        for (bool clash = true; v == 0 || clash;) {
            if (v == 0)
                v = (uint32_t)okno__sender_splitmix64(&x);
            clash = false;
            for (unsigned j = 0; j < i; j++)
                clash |= taken[j] == v;
            if (clash)
                v = 0;
        }
        *want[i] = taken[i] = v;
    }
    for (unsigned i = 0; i < OKNO_SENDER_STREAMS; i++) {
        struct okno_sender_stream *st = &s->st[i];
        st->seq = (uint16_t)okno__sender_splitmix64(&x);
        st->rtx_seq = (uint16_t)okno__sender_splitmix64(&x);
        st->ts_base = (uint32_t)okno__sender_splitmix64(&x);
        st->last_keyframe_req_us = INT64_MIN;
    }
    s->twcc_seq = (uint16_t)okno__sender_splitmix64(&x);
}

int okno_sender_create(const struct okno_sender_config *cfg, int64_t now_us,
                       struct okno_sender **out)
{
    if (!out || !cfg)
        return OKNO_E_INVAL;
    *out = NULL;
    int rc = check_config(cfg);
    if (rc < 0)
        return rc;
    struct okno_sender *s = calloc(1, sizeof *s);
    if (!s)
        return OKNO_E_NOMEM;
    s->cfg = *cfg;
    defaults(&s->cfg);
    struct okno_sender_config *c = &s->cfg;
    if (c->min_kbps > c->start_kbps || c->start_kbps > c->max_kbps) {
        free(s);
        return OKNO_E_INVAL;
    }
    snprintf(s->cname, sizeof s->cname, "%s", cfg->cname ? cfg->cname : "okno-bench");
    snprintf(s->audio_mid, sizeof s->audio_mid, "%s", cfg->audio_mid ? cfg->audio_mid : "");
    snprintf(s->video_mid, sizeof s->video_mid, "%s", cfg->video_mid ? cfg->video_mid : "");
    c->cname = s->cname;
    c->audio_mid = cfg->audio_mid ? s->audio_mid : NULL;
    c->video_mid = cfg->video_mid ? s->video_mid : NULL;
    s->n_enc = c->video ? c->encodings : 0;
    s->start_us = now_us;
    s->next_probe_us = now_us;
    s->next_estimate_us = now_us;
    s->rate_bin_index = -1;
    s->rtx_bin_index = -1;
    s->red_distance = 1;
    pick_ids(s);
    /* Audio's share of the target: Opus plus 50 packets/s of headers. */
    size_t audio_hdr = OKNO_RTP_HEADER_LEN + OKNO_RTP_EXT_HEADER_LEN + OKNO_SENDER_EXT_MAX / 2;
    /* RED repeats each payload in the next packet (and adds its block headers). */
    bool red = c->audio_red_pt > 0 && c->audio_red_pt <= 127;
    uint32_t opus_kbps = OKNO_SENDER_OPUS_KBPS * (red ? 2 : 1);
    audio_hdr += red ? 5 : 0;
    s->audio_kbps = c->audio ? opus_kbps + (uint32_t)(audio_hdr * 8 * 50 / 1000) : 0;

    uint64_t start_bps = (uint64_t)c->start_kbps * 1000;
    struct okno_gcc_config gc = {.min_bps = c->min_kbps * 1000,
                                 .start_bps = c->start_kbps * 1000,
                                 .max_bps = c->max_kbps * 1000};
    rc = okno_gcc_create(&gc, now_us, &s->gcc);
    if (rc == 0)
        rc = okno_pacer_init(&s->pacer, PACER_SLOTS, start_bps * PACING_FACTOR_X10 / 10, now_us);
    if (rc == 0 && c->audio)
        rc = okno__sender_setup_audio(s, now_us);
    if (rc == 0 && c->video)
        rc = okno__sender_setup_video(s, now_us);
    if (rc < 0) {
        okno_sender_destroy(s);
        return rc;
    }
    s->target_bps = (uint32_t)start_bps;
    for (unsigned i = 0; i < OKNO_SENDER_STREAMS; i++)
        s->st[i].next_sr_us = now_us + 500000 + 100000 * (int64_t)i;
    *out = s;
    return 0;
}

void okno_sender_destroy(struct okno_sender *s)
{
    if (!s)
        return;
    okno_vp8enc_destroy(s->enc);
    if (s->vsrc_ready)
        okno_vsrc_deinit(&s->vsrc);
    okno_image_free(&s->img);
    for (unsigned i = 0; i < OKNO_VP8_MAX_ENCODINGS; i++)
        okno_rtx_history_deinit(&s->hist[i]);
    if (s->opus)
        okno_opusenc_destroy(s->opus);
    okno_pacer_deinit(&s->pacer);
    okno_gcc_destroy(s->gcc);
    free(s);
}

/* Moves windows of OKNO_SENDER_RATE_BINS bins whose newest is *index on to bin idx: the bins
 * passed over (at most one window's) start empty. */
static void advance_bins(int64_t *index, int64_t idx, uint64_t *const bins[], size_t n_windows)
{
    if (idx <= *index)
        return;
    int64_t from = *index + 1;
    if (idx - from >= OKNO_SENDER_RATE_BINS)
        from = idx - OKNO_SENDER_RATE_BINS + 1;
    for (int64_t i = from; i <= idx; i++)
        for (size_t w = 0; w < n_windows; w++)
            bins[w][i % OKNO_SENDER_RATE_BINS] = 0;
    *index = idx;
}

/* A packet of bytes of class cls left; hdr of them are the headers of a video packet. */
static void count_rate(struct okno_sender *s, size_t bytes, enum okno_pacer_class cls, size_t hdr,
                       int64_t now_us)
{
    int64_t idx = (now_us - s->start_us) / RATE_BIN_US;
    uint64_t *const bins[] = {s->rate_bins, s->audio_bins, s->rtx_sent_bins, s->video_hdr_bins};
    advance_bins(&s->rate_bin_index, idx, bins, sizeof bins / sizeof bins[0]);
    if (idx >= 0 && idx > s->rate_bin_index - OKNO_SENDER_RATE_BINS) {
        size_t i = (size_t)(idx % OKNO_SENDER_RATE_BINS);
        s->rate_bins[i] += bytes;
        s->audio_bins[i] += cls == OKNO_PACER_AUDIO ? bytes : 0;
        s->rtx_sent_bins[i] += cls == OKNO_PACER_RTX ? bytes : 0;
        s->video_hdr_bins[i] += hdr;
    }
}

/* bins' bit/s over the window (the last second, or since the start). */
static uint64_t window_bps(const struct okno_sender *s, const uint64_t *bins, int64_t now_us)
{
    int64_t idx = (now_us - s->start_us) / RATE_BIN_US;
    if (s->rate_bin_index < 0 || idx < 0)
        return 0;
    uint64_t bytes = 0;
    for (int64_t i = idx - OKNO_SENDER_RATE_BINS + 1; i <= idx; i++)
        if (i >= 0 && i <= s->rate_bin_index && i > s->rate_bin_index - OKNO_SENDER_RATE_BINS)
            bytes += bins[i % OKNO_SENDER_RATE_BINS];
    int64_t from = (idx - OKNO_SENDER_RATE_BINS + 1) * RATE_BIN_US;
    if (from < 0)
        from = 0;
    int64_t span = now_us - s->start_us - from;
    if (span < RATE_BIN_US)
        span = RATE_BIN_US;
    return bytes * 8 * 1000000 / (uint64_t)span;
}

static uint32_t sent_kbps(const struct okno_sender *s, int64_t now_us)
{
    return (uint32_t)(window_bps(s, s->rate_bins, now_us) / 1000);
}

/* Stamps the transport-wide values, sends, reports to the estimator and keeps the count (of a
 * video packet, payload_len is what is not header). */
static bool send_rtp(struct okno_sender *s, uint8_t *buf, size_t len, size_t payload_len,
                     enum okno_pacer_class cls, bool probe, int64_t now_us)
{
    if (okno__sender_ext_on(s->cfg.ext_twcc))
        okno_rtp_ext_set_twcc(buf, len, (uint8_t)s->cfg.ext_twcc, s->twcc_seq);
    if (okno__sender_ext_on(s->cfg.ext_abs_send_time))
        okno_rtp_ext_set_abs_send_time(buf, len, (uint8_t)s->cfg.ext_abs_send_time,
                                       okno_rtp_abs_send_time_from_us((uint64_t)now_us));
    if (s->cfg.send_rtp(s->cfg.arg, buf, len) < 0) {
        s->stats.send_errors++;
        return false;
    }
    if (okno__sender_ext_on(s->cfg.ext_twcc)) {
        okno_gcc_on_packet_sent(s->gcc, s->twcc_seq, len, now_us, probe);
        s->twcc_seq++;
    }
    s->stats.rtp_packets++;
    s->stats.rtp_bytes += len;
    count_rate(s, len, cls, cls == OKNO_PACER_VIDEO ? len - payload_len : 0, now_us);
    if (cls == OKNO_PACER_RTX)
        s->stats.rtx_packets++;
    else if (cls == OKNO_PACER_PADDING)
        s->stats.padding_packets++;
    return true;
}

static void send_paced(struct okno_sender *s, struct okno_pacer_pkt *pkt, int64_t now_us)
{
    enum okno_pacer_class cls = (enum okno_pacer_class)pkt->cls;
    struct okno_sender_stream *st = &s->st[pkt->stream];
    if (cls == OKNO_PACER_VIDEO) {
        /* numbered as it leaves, as libwebrtc does: what a key frame flushed leaves no gap */
        pkt->buf[2] = (uint8_t)(st->seq >> 8);
        pkt->buf[3] = (uint8_t)st->seq;
        st->seq++;
    }
    if (!send_rtp(s, pkt->buf, pkt->len, pkt->payload_len, cls, false, now_us))
        return;
    if (cls != OKNO_PACER_AUDIO && cls != OKNO_PACER_VIDEO)
        return;
    st->packets++;
    st->octets += (uint32_t)pkt->payload_len;
    st->sent_any = true;
    if (cls == OKNO_PACER_VIDEO) {
        uint16_t seq = (uint16_t)(pkt->buf[2] << 8 | pkt->buf[3]);
        okno_rtx_history_put(&s->hist[pkt->stream - OKNO_SENDER_VIDEO(0)], seq, pkt->buf, pkt->len,
                             now_us);
    }
}

/* libwebrtc's retransmission rate limiter: what RTX queues over a second is at most the target's
 * second. RTX leaves before video in the pacer, so without it a NACK storm after a capacity drop
 * (every packet of the old rate's burst lost) takes the whole pacing rate, 2.5 x the target, into
 * the link that just shrank: more loss, more NACKs, and no video until the storm ends. */
bool okno__sender_rtx_budget(struct okno_sender *s, size_t len, int64_t now_us)
{
    int64_t idx = (now_us - s->start_us) / RATE_BIN_US;
    if (idx < 0)
        idx = 0;
    uint64_t *const bins[] = {s->rtx_bins};
    advance_bins(&s->rtx_bin_index, idx, bins, 1);
    uint64_t used = 0;
    for (unsigned i = 0; i < OKNO_SENDER_RATE_BINS; i++)
        used += s->rtx_bins[i];
    if ((used + len) * 8 > s->target_bps)
        return false;
    s->rtx_bins[s->rtx_bin_index % OKNO_SENDER_RATE_BINS] += len;
    return true;
}

/* The encoder's share of target t, as libwebrtc's encoder target is the estimate less audio,
 * packet overhead and protection: t less what the last second sent of audio (RED doubles it) and
 * RTX answers, and less the headers of the video packets (a large share at low rates: a 400-byte
 * frame in one packet carries some 40 bytes of RTP header and extensions); before a second of
 * sending, the nominal audio rate and OKNO_SENDER_VIDEO_PAYLOAD_PCT. Otherwise the sender sends
 * above its estimate whenever audio or loss take a real share, and on a slow link that is a queue
 * that never drains. The retransmissions count at most half of t, as libwebrtc's FEC controller
 * caps the protection overhead it takes from the encoder at 50 %: after a capacity drop the last
 * second's RTX was sent at the old rate and would leave the encoder nothing (20 kbit/s sent the
 * resolution down to 160x90 for seconds). At least 20 kbit/s. */
static uint64_t encoder_bps(const struct okno_sender *s, uint64_t t, int64_t now_us)
{
    uint64_t other = (uint64_t)s->audio_kbps * 1000, hdr = 0;
    bool measured = now_us - s->start_us >= (int64_t)OKNO_SENDER_RATE_BINS * RATE_BIN_US;
    if (measured) {
        uint64_t rtx = window_bps(s, s->rtx_sent_bins, now_us);
        other = window_bps(s, s->audio_bins, now_us) + (rtx < t / 2 ? rtx : t / 2);
        hdr = window_bps(s, s->video_hdr_bins, now_us);
    }
    uint64_t v = t > other + hdr + 20000 ? t - other - hdr : 20000;
    return measured ? v : v * OKNO_SENDER_VIDEO_PAYLOAD_PCT / 100;
}

/* Follows the estimate: the target (capped by REMB), the pacing rate, the encoder's share. */
static void follow_estimate(struct okno_sender *s, int64_t now_us)
{
    okno_gcc_estimate(s->gcc, now_us, &s->est);
    s->next_estimate_us = now_us + ESTIMATE_TICK_US;
    uint64_t t = s->est.target_bps;
    if (s->remb_bps > 0 && s->remb_bps < t)
        t = s->remb_bps;
    uint64_t lo = (uint64_t)s->cfg.min_kbps * 1000, hi = (uint64_t)s->cfg.max_kbps * 1000;
    t = t < lo ? lo : (t > hi ? hi : t);
    if (t != s->target_bps || s->pacer.rate_bps != t * PACING_FACTOR_X10 / 10)
        okno_pacer_set_rate(&s->pacer, t * PACING_FACTOR_X10 / 10, now_us);
    s->target_bps = (uint32_t)t;
    if (!s->enc)
        return;
    unsigned kbps = (unsigned)(encoder_bps(s, t, now_us) / 1000);
    okno__sender_scale(s, kbps, now_us);
    unsigned diff = kbps > s->encoder_kbps ? kbps - s->encoder_kbps : s->encoder_kbps - kbps;
    /* The hold keeps the encoder's rate control from chasing every estimate; a capacity drop
     * must not wait for it: every frame encoded at the old rate is queued behind the new one. */
    bool fall = (uint64_t)kbps * 100 < (uint64_t)s->encoder_kbps * (100 - ENCODER_FALL_PCT);
    if ((!fall && now_us - s->encoder_set_us < ENCODER_HOLD_US) ||
        diff * 100 <= s->encoder_kbps * ENCODER_STEP_PCT)
        return;
    if (okno_vp8enc_set_bitrate(s->enc, kbps) == 0) {
        s->encoder_kbps = kbps;
        s->encoder_set_us = now_us;
    }
}

/* Probe clusters when the estimator asks: padding-only packets on the lowest encoding's RTX SSRC
 * at the rate asked for, until the estimator has what it needs. */
static int64_t probe(struct okno_sender *s, int64_t now_us)
{
    if (!s->enc || !okno__sender_ext_on(s->cfg.ext_twcc))
        return INT64_MAX;
    struct okno_sender_stream *st = &s->st[OKNO_SENDER_VIDEO(0)];
    /* A cluster keeps its schedule through the loop's late wakes (GLib's millisecond timeouts, a
     * frame encoded or decoded on this thread): the packets a wake is late for leave together,
     * so the cluster leaves at the rate asked, as a browser's pacer thread sends it. Resetting
     * the schedule on each late wake sent 15 ms clusters over 18-30 ms, and the estimator took
     * 50-80 % of the rate asked as the result, on a link that carried all of it. A packet due
     * within PROBE_EARLY_US leaves with those due now (libwebrtc's pacer sends a probe up to its
     * minimum probe delta early), or the wait before each late wake would still show as a rate. */
    if (!s->probing || s->next_probe_us < now_us - PROBE_CATCHUP_US)
        s->next_probe_us = now_us;
    while (s->est.probe_wanted && s->est.probe_bps > 0 &&
           s->next_probe_us <= now_us + PROBE_EARLY_US) {
        struct okno_rtp_pkt h = {.extension = st->rtx_ext_len > 0,
                                 .pt = OKNO_SENDER_PT_RTX,
                                 .seq = st->rtx_seq,
                                 .ts = st->last_ts,
                                 .ssrc = st->rtx_ssrc,
                                 .ext_profile = OKNO_RTP_EXT_PROFILE_ONE_BYTE,
                                 .ext = st->rtx_ext,
                                 .ext_len = st->rtx_ext_len};
        int hl = okno_rtp_write_header(s->probe_buf, sizeof s->probe_buf, &h);
        if (hl < 0)
            return INT64_MAX;
        int len =
            okno_rtp_append_padding(s->probe_buf, (size_t)hl, sizeof s->probe_buf, PADDING_BYTES);
        if (len < 0)
            return INT64_MAX;
        st->rtx_seq++;
        send_rtp(s, s->probe_buf, (size_t)len, 0, OKNO_PACER_PADDING, true, now_us);
        s->next_probe_us += (int64_t)((uint64_t)len * 8 * 1000000 / s->est.probe_bps);
        okno_gcc_estimate(s->gcc, now_us, &s->est);
    }
    s->probing = s->est.probe_wanted && s->est.probe_bps > 0;
    return s->probing ? s->next_probe_us : INT64_MAX;
}

static int64_t pace(struct okno_sender *s, int64_t now_us)
{
    for (;;) {
        int64_t due;
        struct okno_pacer_pkt *pkt = okno_pacer_pop(&s->pacer, now_us, &due);
        if (!pkt)
            return due;
        send_paced(s, pkt, now_us);
        okno_pacer_sent(&s->pacer, pkt, now_us);
    }
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t okno_sender_poll(struct okno_sender *s, int64_t now_us)
{
    /* The estimate first: feedback that arrived since the last poll lowers the pacing rate and
     * the encoder before this poll's capture is encoded and queued. */
    follow_estimate(s, now_us);
    okno__sender_capture(s, now_us);
    okno__sender_audio(s, now_us);
    int64_t next = pace(s, now_us);
    next = min64(next, probe(s, now_us));
    next = min64(next, okno__sender_rtcp_due(s, now_us));
    next = min64(next, s->next_estimate_us);
    if (s->enc)
        next = min64(next, s->next_frame_us);
    if (s->opus)
        next = min64(next, s->next_audio_us);
    return next > now_us ? next : now_us + 1;
}

void okno_sender_stats(const struct okno_sender *s, int64_t now_us, struct okno_sender_stats *out)
{
    *out = s->stats;
    out->target_kbps = s->target_bps / 1000;
    /* what the encodings got of it: less when every encoding is at its maximum */
    out->encoder_kbps = 0;
    if (s->enc) {
        unsigned kbps[OKNO_VP8_MAX_ENCODINGS];
        unsigned n = okno_vp8enc_allocation(s->enc, kbps);
        for (unsigned i = 0; i < n; i++)
            out->encoder_kbps += kbps[i];
    }
    out->sent_kbps = sent_kbps(s, now_us);
    out->estimate_kbps = s->est.target_bps / 1000;
    out->remb_kbps = (uint32_t)(s->remb_bps / 1000);
    out->rtt_us = s->rtt_us;
    out->loss_fraction = s->loss_fraction;
    out->active_encodings = okno__sender_active_encodings(s);
    out->pacer_queue_ms = (uint32_t)(okno_pacer_queue_us(&s->pacer) / 1000);
    if (s->enc) {
        unsigned shift = s->scaling ? s->scale.levels - 1 - s->scale.level : 0;
        out->width = s->cfg.width >> shift;
        out->height = s->cfg.height >> shift;
    }
}
