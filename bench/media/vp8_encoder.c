/* libvpx VP8 encoders for okno-bench's simulcast sender. Settings follow libwebrtc's
 * LibvpxVp8Encoder for realtime video (CBR, 2..56 quantiser, 100 % undershoot, 15 % overshoot,
 * 500/600/1000 ms buffers, drop frames at 30 % buffer, one token partition, static threshold 1);
 * key frames are ours to decide (first frame, interval, requests), never libvpx's, so a key frame
 * always starts a temporal pattern. It does not resize on the fly or use libvpx's own spatial
 * resampling: simulcast sizes are fixed at /4, /2, /1; a sender that adapts its resolution on one
 * stream switches between those encoders (one_at_a_time), each keeping its own rate control. */
#include "media/vp8_encoder.h"

#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "okno/err.h"

struct encoding {
    vpx_codec_ctx_t codec; /* owned */
    vpx_codec_enc_cfg_t cfg;
    bool open;
    struct okno_image scaled; /* owned; unused for factor 1 */
    unsigned factor;
    unsigned kbps;
    bool force_key;
    unsigned pattern_pos; /* position of the next frame in the temporal pattern */
    bool group_tl1_valid;
    uint8_t tl0picidx;
    uint64_t frames_since_key;
};

struct okno_vp8enc {
    struct okno_vp8enc_config cfg;
    struct encoding enc[OKNO_VP8_MAX_ENCODINGS];
    struct okno_vp8_rates rates[OKNO_VP8_MAX_ENCODINGS];
    unsigned selected; /* one_at_a_time: the encoding that encodes */
};

static void apply_rate(struct okno_vp8enc *e, struct encoding *x, unsigned kbps)
{
    x->cfg.rc_target_bitrate = kbps ? kbps : 1;
    /* libvpx wants strictly increasing layer rates: a paused encoding idles at 10 kbit/s */
    if (e->cfg.temporal_layers > 1 && x->cfg.rc_target_bitrate < 10)
        x->cfg.rc_target_bitrate = 10;
    if (e->cfg.temporal_layers > 1) {
        unsigned cum[3];
        okno_vp8_temporal_split(e->cfg.temporal_layers, x->cfg.rc_target_bitrate, cum);
        for (unsigned l = 0; l < e->cfg.temporal_layers; l++)
            x->cfg.ts_target_bitrate[l] = cum[l] ? cum[l] : 1;
    }
}

static int open_encoding(struct okno_vp8enc *e, struct encoding *x, unsigned w, unsigned h)
{
    vpx_codec_enc_cfg_t *c = &x->cfg;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), c, 0) != VPX_CODEC_OK)
        return OKNO_E_IO;
    c->g_w = w;
    c->g_h = h;
    c->g_timebase.num = 1;
    c->g_timebase.den = 90000;
    c->g_threads = e->cfg.threads ? e->cfg.threads : 1;
    c->g_lag_in_frames = 0;
    c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    c->g_pass = VPX_RC_ONE_PASS;
    c->rc_end_usage = VPX_CBR;
    c->rc_min_quantizer = 2;
    c->rc_max_quantizer = 56;
    c->rc_undershoot_pct = 100;
    c->rc_overshoot_pct = 15;
    c->rc_buf_initial_sz = 500;
    c->rc_buf_optimal_sz = 600;
    c->rc_buf_sz = 1000;
    c->rc_dropframe_thresh = 30;
    c->rc_resize_allowed = 0;
    c->kf_mode = VPX_KF_DISABLED;
    unsigned layers = e->cfg.temporal_layers;
    if (layers > 1) {
        c->ts_number_layers = layers;
        c->ts_periodicity = okno_vp8_temporal_period(layers);
        for (unsigned l = 0; l < layers; l++)
            c->ts_rate_decimator[l] = 1u << (layers - 1 - l);
        for (unsigned i = 0; i < c->ts_periodicity; i++)
            c->ts_layer_id[i] = okno_vp8_temporal_frame(layers, i, true).tid;
    }
    apply_rate(e, x, x->kbps);
    if (vpx_codec_enc_init(&x->codec, vpx_codec_vp8_cx(), c, 0) != VPX_CODEC_OK)
        return OKNO_E_IO;
    x->open = true;
    int cpu = e->cfg.cpu_used ? e->cfg.cpu_used : -6;
    /* Intra frames may take this share of the per-frame budget (libwebrtc: 0.5 x optimal buffer x
     * fps / 10), so a key frame does not blow the buffer at low rates. */
    unsigned max_intra = c->rc_buf_optimal_sz * e->cfg.fps / 20;
    if (vpx_codec_control(&x->codec, VP8E_SET_CPUUSED, cpu) ||
        vpx_codec_control(&x->codec, VP8E_SET_NOISE_SENSITIVITY, 0u) ||
        vpx_codec_control(&x->codec, VP8E_SET_STATIC_THRESHOLD, 1u) ||
        vpx_codec_control(&x->codec, VP8E_SET_TOKEN_PARTITIONS, (int)VP8_ONE_TOKENPARTITION) ||
        vpx_codec_control(&x->codec, VP8E_SET_MAX_INTRA_BITRATE_PCT,
                          max_intra < 300 ? 300u : max_intra))
        return OKNO_E_IO;
    return 0;
}

int okno_vp8enc_create(const struct okno_vp8enc_config *cfg, struct okno_vp8enc **out)
{
    *out = NULL;
    if (cfg->encodings < 1 || cfg->encodings > OKNO_VP8_MAX_ENCODINGS || cfg->temporal_layers < 1 ||
        cfg->temporal_layers > OKNO_VP8_MAX_TLAYERS || cfg->fps < 1 || cfg->fps > 120 ||
        cfg->cpu_used < -16 || cfg->cpu_used > 16 || cfg->threads > 16)
        return OKNO_E_INVAL;
    unsigned lowest = cfg->encodings == 3 ? 4 : cfg->encodings == 2 ? 2 : 1;
    if (cfg->width / lowest < 16 || cfg->height / lowest < 16 || cfg->width > 16384 ||
        cfg->height > 16384)
        return OKNO_E_INVAL;
    struct okno_vp8enc *e = calloc(1, sizeof *e);
    if (!e)
        return OKNO_E_NOMEM;
    e->cfg = *cfg;
    if (!e->cfg.keyframe_interval)
        e->cfg.keyframe_interval = 3000;
    for (unsigned i = 0; i < cfg->encodings; i++) {
        struct encoding *x = &e->enc[i];
        x->factor = lowest >> i;
        struct okno_vp8_rates *r = &e->rates[i];
        *r = okno_vp8_rates_for(cfg->width / x->factor, cfg->height / x->factor);
        /* libwebrtc: an encoding's maxBitrate replaces the table's maximum and bounds its target
         * and minimum */
        if (cfg->max_kbps[i]) {
            r->max_kbps = cfg->max_kbps[i];
            r->target_kbps = r->target_kbps < r->max_kbps ? r->target_kbps : r->max_kbps;
            r->min_kbps = r->min_kbps < r->target_kbps ? r->min_kbps : r->target_kbps;
        }
    }
    unsigned kbps[OKNO_VP8_MAX_ENCODINGS] = {0};
    e->selected = cfg->encodings - 1;
    if (cfg->one_at_a_time)
        kbps[e->selected] = cfg->start_kbps ? cfg->start_kbps : 1;
    else
        okno_vp8_allocate(e->rates, cfg->encodings, cfg->start_kbps, kbps);
    int rc = 0;
    for (unsigned i = 0; i < cfg->encodings && !rc; i++) {
        struct encoding *x = &e->enc[i];
        unsigned w = cfg->width / x->factor, h = cfg->height / x->factor;
        x->kbps = kbps[i];
        x->force_key = true;
        if (x->factor > 1)
            rc = okno_image_alloc(&x->scaled, w, h);
        if (!rc)
            rc = open_encoding(e, x, w, h);
    }
    if (rc) {
        okno_vp8enc_destroy(e);
        return rc;
    }
    *out = e;
    return 0;
}

void okno_vp8enc_destroy(struct okno_vp8enc *e)
{
    if (!e)
        return;
    for (unsigned i = 0; i < OKNO_VP8_MAX_ENCODINGS; i++) {
        if (e->enc[i].open)
            vpx_codec_destroy(&e->enc[i].codec);
        okno_image_free(&e->enc[i].scaled);
    }
    free(e);
}

int okno_vp8enc_set_bitrate(struct okno_vp8enc *e, unsigned kbps)
{
    unsigned alloc[OKNO_VP8_MAX_ENCODINGS] = {0};
    if (e->cfg.one_at_a_time)
        alloc[e->selected] = kbps ? kbps : 1;
    else
        okno_vp8_allocate(e->rates, e->cfg.encodings, kbps, alloc);
    for (unsigned i = 0; i < e->cfg.encodings; i++) {
        struct encoding *x = &e->enc[i];
        if (alloc[i] && !x->kbps)
            x->force_key = true; /* receivers of a resumed encoding need a fresh start */
        x->kbps = alloc[i];
        if (!alloc[i])
            continue;
        apply_rate(e, x, alloc[i]);
        if (vpx_codec_enc_config_set(&x->codec, &x->cfg) != VPX_CODEC_OK)
            return OKNO_E_IO;
    }
    return 0;
}

int okno_vp8enc_select(struct okno_vp8enc *e, unsigned encoding)
{
    if (!e->cfg.one_at_a_time || encoding >= e->cfg.encodings)
        return OKNO_E_INVAL;
    if (encoding == e->selected)
        return 0;
    struct encoding *from = &e->enc[e->selected], *to = &e->enc[encoding];
    /* one stream to the receiver: its TL0PICIDX must not jump back with the other encoder */
    to->tl0picidx = from->tl0picidx;
    to->kbps = from->kbps ? from->kbps : 1;
    to->force_key = true; /* a new size needs a key frame anyway */
    from->kbps = 0;
    e->selected = encoding;
    /* A fresh encoder, as libwebrtc reinitialises its encoder on a resolution change: a paused
     * libvpx encoder's rate control remembers another rate and a frame long ago, and drops half
     * the frames after it resumes. It starts with an empty buffer (opened at the idle rate, then
     * given the real one): the switch happens because the rate is short, and a full buffer's worth
     * of early, finer frames is more than a low rate can pay back (libvpx then drops frames, sees
     * a lower frame rate and makes each frame larger still). */
    unsigned kbps = to->kbps;
    if (to->open) {
        vpx_codec_destroy(&to->codec);
        to->open = false;
    }
    to->kbps = 0;
    int rc = open_encoding(e, to, to->cfg.g_w, to->cfg.g_h);
    to->kbps = kbps;
    if (rc < 0)
        return rc;
    apply_rate(e, to, kbps);
    return vpx_codec_enc_config_set(&to->codec, &to->cfg) == VPX_CODEC_OK ? 0 : OKNO_E_IO;
}

unsigned okno_vp8enc_allocation(const struct okno_vp8enc *e, unsigned kbps[OKNO_VP8_MAX_ENCODINGS])
{
    for (unsigned i = 0; i < e->cfg.encodings; i++)
        kbps[i] = e->enc[i].kbps;
    return e->cfg.encodings;
}

void okno_vp8enc_request_keyframe(struct okno_vp8enc *e, int encoding)
{
    for (unsigned i = 0; i < e->cfg.encodings; i++)
        if (encoding < 0 || (unsigned)encoding == i)
            e->enc[i].force_key = true;
}

bool okno_vp8enc_keyframe_asked(const struct okno_vp8enc *e, unsigned encoding)
{
    return encoding < e->cfg.encodings && e->enc[encoding].force_key;
}

/* Points a vpx_image_t at our planes without copying. */
static void wrap(vpx_image_t *v, const struct okno_image *img)
{
    memset(v, 0, sizeof *v);
    v->fmt = VPX_IMG_FMT_I420;
    v->w = v->d_w = img->width;
    v->h = v->d_h = img->height;
    v->x_chroma_shift = v->y_chroma_shift = 1;
    v->bit_depth = 8;
    v->bps = 12;
    for (int p = 0; p < 3; p++) {
        v->planes[p] = img->plane[p];
        v->stride[p] = img->stride[p];
    }
}

static int encode_one(struct okno_vp8enc *e, unsigned idx, const struct okno_image *img,
                      int64_t capture_us, struct okno_vp8enc_frame *out)
{
    struct encoding *x = &e->enc[idx];
    unsigned layers = e->cfg.temporal_layers, period = okno_vp8_temporal_period(layers);
    if (x->frames_since_key >= e->cfg.keyframe_interval)
        x->force_key = true;
    bool key = x->force_key;
    if (key)
        x->pattern_pos = 0;
    unsigned pos = x->pattern_pos;
    x->pattern_pos = (pos + 1) % period;
    if (pos == 0)
        x->group_tl1_valid = false;
    struct okno_vp8_tl_frame tl = okno_vp8_temporal_frame(layers, pos, x->group_tl1_valid);
    vpx_enc_frame_flags_t flags = key ? VPX_EFLAG_FORCE_KF : tl.flags;
    if (layers > 1 && vpx_codec_control(&x->codec, VP8E_SET_TEMPORAL_LAYER_ID, (int)tl.tid))
        return OKNO_E_IO;

    const struct okno_image *src = img;
    if (x->factor > 1) {
        okno_image_downscale(&x->scaled, img, x->factor);
        src = &x->scaled;
    }
    vpx_image_t v;
    wrap(&v, src);
    vpx_codec_pts_t pts = (vpx_codec_pts_t)(capture_us * 9 / 100);
    if (vpx_codec_encode(&x->codec, &v, pts, 90000 / e->cfg.fps, flags, VPX_DL_REALTIME) !=
        VPX_CODEC_OK)
        return OKNO_E_IO;
    x->frames_since_key++;
    vpx_codec_iter_t iter = NULL;
    const vpx_codec_cx_pkt_t *pkt;
    int n = 0;
    while ((pkt = vpx_codec_get_cx_data(&x->codec, &iter)) != NULL) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT || n)
            continue;
        bool is_key = pkt->data.frame.flags & VPX_FRAME_IS_KEY;
        if (is_key) {
            /* A key frame refreshes every buffer: whatever layer it was meant for, it is a TL0
             * frame that restarts the pattern. */
            tl = (struct okno_vp8_tl_frame){0};
            x->pattern_pos = 1 % period;
            x->group_tl1_valid = true;
            x->force_key = false;
            x->frames_since_key = 1;
        } else if (tl.tid == 1 && !tl.non_reference) {
            x->group_tl1_valid = true;
        }
        if (tl.tid == 0)
            x->tl0picidx++;
        *out = (struct okno_vp8enc_frame){
            .encoding = idx,
            .width = src->width,
            .height = src->height,
            .data = pkt->data.frame.buf,
            .len = pkt->data.frame.sz,
            .keyframe = is_key,
            .has_temporal = layers > 1,
            .tid = tl.tid,
            .layer_sync = tl.layer_sync,
            .non_reference = tl.non_reference,
            .tl0picidx = x->tl0picidx,
            .rtp_ts = (uint32_t)(uint64_t)pts,
            .kbps = x->kbps,
        };
        n = 1;
    }
    return n;
}

int okno_vp8enc_encode(struct okno_vp8enc *e, const struct okno_image *img, int64_t capture_us,
                       struct okno_vp8enc_frame out[OKNO_VP8_MAX_ENCODINGS])
{
    if (img->width != e->cfg.width || img->height != e->cfg.height)
        return OKNO_E_INVAL;
    int n = 0;
    for (unsigned i = 0; i < e->cfg.encodings; i++) {
        if (!e->enc[i].kbps)
            continue;
        int rc = encode_one(e, i, img, capture_us, &out[n]);
        if (rc < 0)
            return rc;
        n += rc;
    }
    return n;
}
