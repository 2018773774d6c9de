/* Test helper for the bench/media pipeline tests: runs the synthetic camera through the VP8 encoder
 * and packetizer and keeps every packet and frame, so a test can drop, reorder or renumber packets
 * before the depacketizer sees them and compare what comes out with what went in. */
#ifndef OKNO_TEST_MEDIA_PIPE_H
#define OKNO_TEST_MEDIA_PIPE_H

#include "media/video_source.h"
#include "media/vp8_encoder.h"
#include "media/vp8_packetizer.h"

#define PIPE_MAX_PKTS   4096
#define PIPE_MAX_FRAMES 256

struct pipe_pkt {
    uint8_t buf[1200];
    size_t len;
    unsigned frame; /* index into frames */
};

struct pipe_frame {
    uint32_t frame_no;
    bool keyframe;
    uint8_t tid, tl0picidx;
    uint32_t rtp_ts;
    size_t len;
    uint8_t *data; /* copy */
};

struct pipe {
    struct pipe_pkt *pkts;
    unsigned npkts;
    struct pipe_frame frames[PIPE_MAX_FRAMES];
    unsigned nframes;
};

/* Encodes `count` frames of a w x h source (one encoding, `layers` temporal layers, kbps) and
 * packetizes them into packets of at most max_packet bytes. Key frames are forced at the frame
 * numbers listed in keys (terminated by 0). */
static inline void pipe_run(struct pipe *p, unsigned w, unsigned h, unsigned layers, unsigned kbps,
                            unsigned count, size_t max_packet, const unsigned *keys)
{
    memset(p, 0, sizeof *p);
    p->pkts = calloc(PIPE_MAX_PKTS, sizeof *p->pkts);
    assert_non_null(p->pkts);
    struct okno_vsrc src;
    struct okno_vsrc_config scfg = {.width = w, .height = h, .seed = 3};
    assert_int_equal(okno_vsrc_init(&src, &scfg), 0);
    struct okno_vp8enc_config ecfg = {.width = w,
                                      .height = h,
                                      .fps = 30,
                                      .encodings = 1,
                                      .temporal_layers = layers,
                                      .start_kbps = kbps};
    struct okno_vp8enc *enc;
    assert_int_equal(okno_vp8enc_create(&ecfg, &enc), 0);
    struct okno_vp8pack pk;
    struct okno_vp8pack_config pcfg = {.ssrc = 0x1234,
                                       .pt = 96,
                                       .first_seq = 65500,
                                       .first_picture_id = 32700,
                                       .max_packet = max_packet};
    assert_int_equal(okno_vp8pack_init(&pk, &pcfg), 0);
    struct okno_image img;
    assert_int_equal(okno_image_alloc(&img, w, h), 0);
    for (unsigned n = 0; n < count; n++) {
        for (const unsigned *k = keys; k && *k; k++)
            if (*k == n)
                okno_vp8enc_request_keyframe(enc, -1);
        int64_t t = 10000000 + (int64_t)n * 1000000 / 30;
        assert_int_equal(okno_vsrc_render(&src, n, t, &img), 0);
        struct okno_vp8enc_frame out[3];
        int k = okno_vp8enc_encode(enc, &img, t, out);
        assert_true(k >= 0 && k <= 1);
        if (k == 0)
            continue;
        assert_true(p->nframes < PIPE_MAX_FRAMES);
        struct pipe_frame *f = &p->frames[p->nframes];
        *f = (struct pipe_frame){
            n,          out[0].keyframe,   out[0].tid, out[0].tl0picidx, out[0].rtp_ts,
            out[0].len, malloc(out[0].len)};
        memcpy(f->data, out[0].data, out[0].len);
        int np = okno_vp8pack_begin(&pk, &out[0], 8);
        assert_true(np >= 1);
        for (int i = 0; i < np; i++) {
            assert_true(p->npkts < PIPE_MAX_PKTS);
            struct pipe_pkt *pp = &p->pkts[p->npkts++];
            uint8_t ext[8] = {0x10, (uint8_t)(p->npkts >> 8), (uint8_t)p->npkts, 0, 0, 0, 0, 0};
            int len = okno_vp8pack_next(&pk, pp->buf, sizeof pp->buf, ext, i % 2 ? 4 : 0);
            assert_true(len > 0 && (size_t)len <= max_packet);
            pp->len = (size_t)len;
            pp->frame = p->nframes;
        }
        assert_int_equal(okno_vp8pack_next(&pk, p->pkts[0].buf, 1200, NULL, 0), 0);
        p->nframes++;
    }
    okno_image_free(&img);
    okno_vp8enc_destroy(enc);
    okno_vsrc_deinit(&src);
}

static inline void pipe_free(struct pipe *p)
{
    for (unsigned i = 0; i < p->nframes; i++)
        free(p->frames[i].data);
    free(p->pkts);
}

/* The frame of p whose RTP timestamp is ts, or NULL. */
static inline const struct pipe_frame *pipe_frame_by_ts(const struct pipe *p, uint32_t ts)
{
    for (unsigned i = 0; i < p->nframes; i++)
        if (p->frames[i].rtp_ts == ts)
            return &p->frames[i];
    return NULL;
}

#endif
