/* The pre-encoded media loop: encode once, packetize once, replay with fresh numbers. */
#include "load/media_loop.h"

#include <glib.h>
#include <string.h>

#include "client/client_sdp.h"
#include "media/opus_codec.h"
#include "media/video_source.h"
#include "media/vp8_encoder.h"
#include "media/vp8_packetizer.h"
#include "okno/err.h"
#include "wire/rtp.h"
#include "wire/vp8.h"

#define MAX_PACKET 1200
/* The bytes of a payload's end that identify its template: VP8 and Opus data are close to random,
 * so 16 bytes tell a few thousand templates apart; a clash is detected and left unmatched. */
#define KEY_BYTES 16

static uint64_t key_of(enum okno_media_kind kind, const uint8_t *payload, size_t len)
{
    size_t n = len < KEY_BYTES ? len : KEY_BYTES;
    const uint8_t *p = payload + len - n;
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    h ^= n;
    return h ? h : 1; /* 0 marks a free slot */
}

static int add_pkt(struct okno_media_track *t, size_t *cap, const uint8_t *data, size_t len,
                   uint32_t unit, uint32_t pic)
{
    if (t->n_pkts == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        t->pkts = g_renew(struct okno_media_pkt, t->pkts, *cap);
    }
    struct okno_rtp_pkt r;
    if (okno_rtp_parse(data, len, &r) < 0)
        return OKNO_E_STATE;
    struct okno_media_pkt *p = &t->pkts[t->n_pkts++];
    p->data = g_memdup2(data, len);
    p->len = (uint16_t)len;
    p->header_len = (uint16_t)r.header_len;
    p->unit = unit;
    p->pic = pic;
    t->bytes += len;
    return 0;
}

static int encode_video(struct okno_media_loop *m, const struct okno_media_loop_config *cfg)
{
    struct okno_vsrc src;
    struct okno_image img = {0};
    struct okno_vp8enc *enc = NULL;
    struct okno_vsrc_config scfg = {.width = cfg->width, .height = cfg->height, .seed = cfg->seed};
    int err = okno_vsrc_init(&src, &scfg);
    if (err < 0)
        return err;
    struct okno_vp8enc_config ecfg = {.width = cfg->width,
                                      .height = cfg->height,
                                      .fps = cfg->fps,
                                      .encodings = 1,
                                      .temporal_layers = 1,
                                      .start_kbps = cfg->video_kbps,
                                      .keyframe_interval = cfg->keyframe_frames};
    struct okno_vp8pack pack;
    struct okno_vp8pack_config pcfg = {.pt = OKNO_CLIENT_PT_VP8, .max_packet = MAX_PACKET};
    err = okno_image_alloc(&img, cfg->width, cfg->height);
    if (err >= 0)
        err = okno_vp8enc_create(&ecfg, &enc);
    if (err >= 0)
        err = okno_vp8pack_init(&pack, &pcfg);
    /* The video section is the second m= line when audio is published (client_sdp.c). */
    static const uint8_t ext[4] = {(OKNO_CLIENT_EXT_MID << 4) | 0, '1', 0, 0};
    struct okno_media_track *t = &m->track[OKNO_MEDIA_VIDEO];
    t->n_units = cfg->seconds * cfg->fps;
    t->unit_us = 1000000 / cfg->fps;
    t->units_per_s = cfg->fps;
    t->ts_per_unit = 90000 / cfg->fps;
    size_t cap = 0;
    uint8_t buf[MAX_PACKET];
    for (uint32_t i = 0; err >= 0 && i < t->n_units; i++) {
        int64_t capture_us = (int64_t)i * t->unit_us;
        err = okno_vsrc_render(&src, i, capture_us, &img);
        struct okno_vp8enc_frame frames[OKNO_VP8_MAX_ENCODINGS];
        int n = err < 0 ? err : okno_vp8enc_encode(enc, &img, capture_us, frames);
        if (n < 0)
            err = n;
        for (int f = 0; err >= 0 && f < n; f++) {
            /* The loop restarts at frame 0, which decoders can only take as a key frame. */
            if (i == 0 && !frames[f].keyframe) {
                err = OKNO_E_STATE;
                break;
            }
            err = okno_vp8pack_begin(&pack, &frames[f], sizeof(ext));
            int len;
            while (err >= 0 &&
                   (len = okno_vp8pack_next(&pack, buf, sizeof(buf), ext, sizeof(ext))) > 0)
                err = add_pkt(t, &cap, buf, (size_t)len, i, t->n_pics);
            if (err >= 0 && len < 0)
                err = len;
            t->n_pics++;
        }
    }
    okno_vp8enc_destroy(enc);
    okno_image_free(&img);
    okno_vsrc_deinit(&src);
    return err < 0 ? err : 0;
}

static int encode_audio(struct okno_media_loop *m, const struct okno_media_loop_config *cfg)
{
    struct okno_opusenc *enc;
    struct okno_opusenc_config ecfg = {.kbps = cfg->audio_kbps};
    int err = okno_opusenc_create(&ecfg, &enc);
    if (err < 0)
        return err;
    static const uint8_t ext[4] = {(OKNO_CLIENT_EXT_MID << 4) | 0, '0', 0, 0};
    struct okno_media_track *t = &m->track[OKNO_MEDIA_AUDIO];
    t->unit_us = 20000;
    t->units_per_s = 50;
    t->ts_per_unit = OKNO_AUDIO_FRAME_SAMPLES;
    t->n_units = cfg->seconds * 50;
    struct okno_asrc src;
    okno_asrc_init(&src);
    size_t cap = 0;
    for (uint32_t i = 0; err >= 0 && i < t->n_units; i++) {
        int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES];
        okno_asrc_next(&src, pcm);
        struct okno_rtp_pkt h = {.pt = OKNO_CLIENT_PT_OPUS,
                                 .extension = true,
                                 .ext_profile = 0xBEDE,
                                 .ext = ext,
                                 .ext_len = sizeof(ext)};
        uint8_t buf[64 + OKNO_AUDIO_MAX_PACKET];
        int hl = okno_rtp_write_header(buf, sizeof(buf), &h);
        int n = hl < 0 ? hl : okno_opusenc_encode(enc, pcm, buf + hl, sizeof(buf) - (size_t)hl);
        if (n < 0)
            err = n;
        else
            err = add_pkt(t, &cap, buf, (size_t)hl + (size_t)n, i, 0);
    }
    okno_opusenc_destroy(enc);
    return err;
}

static void table_put(struct okno_media_loop *m, uint64_t key, int32_t val)
{
    size_t mask = m->table_size - 1;
    for (size_t i = key & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == 0) {
            m->keys[i] = key;
            m->vals[i] = val;
            return;
        }
        if (m->keys[i] == key) {
            if (m->vals[i] >= 0)
                m->ambiguous++;
            m->ambiguous++;
            m->vals[i] = -1;
            return;
        }
    }
}

static void build_table(struct okno_media_loop *m)
{
    size_t n = m->track[0].n_pkts + m->track[1].n_pkts;
    m->table_size = 64;
    while (m->table_size < 4 * n)
        m->table_size *= 2;
    m->keys = g_new0(uint64_t, m->table_size);
    m->vals = g_new0(int32_t, m->table_size);
    for (int k = 0; k < 2; k++) {
        const struct okno_media_track *t = &m->track[k];
        for (uint32_t i = 0; i < t->n_pkts; i++) {
            const struct okno_media_pkt *p = &t->pkts[i];
            /* Values carry the kind in bit 30, so one key cannot match the other kind's packet. */
            table_put(m, key_of(k, p->data + p->header_len, p->len - p->header_len),
                      (int32_t)(i | ((uint32_t)k << 30)));
        }
    }
}

int okno_media_loop_create(const struct okno_media_loop_config *in, struct okno_media_loop **out)
{
    struct okno_media_loop_config cfg = *in;
    if (!cfg.width || !cfg.height) {
        cfg.width = 640;
        cfg.height = 360;
    }
    cfg.fps = cfg.fps ? cfg.fps : 30;
    cfg.video_kbps = cfg.video_kbps ? cfg.video_kbps : 1500;
    cfg.audio_kbps = cfg.audio_kbps ? cfg.audio_kbps : 32;
    cfg.seconds = cfg.seconds ? cfg.seconds : 4;
    cfg.keyframe_frames = cfg.keyframe_frames ? cfg.keyframe_frames : 2 * cfg.fps;
    if (cfg.fps > 120 || 90000 % cfg.fps || cfg.seconds > 60 || cfg.video_kbps > 50000 ||
        cfg.audio_kbps < 6 || cfg.audio_kbps > 510)
        return OKNO_E_INVAL;
    struct okno_media_loop *m = g_new0(struct okno_media_loop, 1);
    m->fps = cfg.fps;
    int err = encode_video(m, &cfg);
    if (err >= 0)
        err = encode_audio(m, &cfg);
    if (err >= 0 && (m->track[0].n_pkts == 0 || m->track[1].n_pkts == 0))
        err = OKNO_E_STATE;
    if (err < 0) {
        okno_media_loop_destroy(m);
        return err;
    }
    build_table(m);
    *out = m;
    return 0;
}

void okno_media_loop_destroy(struct okno_media_loop *m)
{
    if (!m)
        return;
    for (int k = 0; k < 2; k++) {
        for (uint32_t i = 0; i < m->track[k].n_pkts; i++)
            g_free(m->track[k].pkts[i].data);
        g_free(m->track[k].pkts);
    }
    g_free(m->keys);
    g_free(m->vals);
    g_free(m);
}

int okno_media_loop_write(const struct okno_media_loop *m, enum okno_media_kind kind, uint32_t idx,
                          uint64_t iter, const struct okno_media_numbering *num, uint8_t *out,
                          size_t cap)
{
    const struct okno_media_track *t = &m->track[kind];
    if (idx >= t->n_pkts)
        return OKNO_E_RANGE;
    const struct okno_media_pkt *p = &t->pkts[idx];
    if (p->len > cap)
        return OKNO_E_NOSPC;
    memcpy(out, p->data, p->len);
    uint64_t unit = iter * t->n_units + p->unit;
    okno_rtp_set_ssrc(out, p->len, num->ssrc);
    okno_rtp_set_seq(out, p->len, num->seq);
    okno_rtp_set_ts(out, p->len, num->ts_base + (uint32_t)(unit * t->ts_per_unit));
    if (kind == OKNO_MEDIA_VIDEO) {
        struct okno_vp8_desc d;
        uint8_t *payload = out + p->header_len;
        size_t plen = p->len - p->header_len;
        int err = okno_vp8_parse_desc(payload, plen, &d);
        if (err < 0)
            return err;
        d.picture_id = (uint16_t)((num->pic_base + iter * t->n_pics + p->pic) & 0x7fffu);
        err = okno_vp8_rewrite(payload, plen, &d);
        if (err < 0)
            return err;
    }
    return p->len;
}

int32_t okno_media_loop_find(const struct okno_media_loop *m, enum okno_media_kind kind,
                             const uint8_t *payload, size_t len)
{
    if (len == 0)
        return -1;
    uint64_t key = key_of(kind, payload, len);
    size_t mask = m->table_size - 1;
    for (size_t i = key & mask; m->keys[i] != 0; i = (i + 1) & mask) {
        if (m->keys[i] != key)
            continue;
        int32_t v = m->vals[i];
        if (v < 0 || (uint32_t)v >> 30 != (uint32_t)kind)
            return -1;
        return v & 0x3fffffff;
    }
    return -1;
}
