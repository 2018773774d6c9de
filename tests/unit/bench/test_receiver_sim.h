/* Test helper for the receiver tests: a publisher made of bench/media's real sender parts
 * (synthetic camera, VP8 encoder, packetizer; Opus encoder) in simulated time, a one-way link with
 * a fixed delay and seeded random loss in each direction, and the server's part of the loop: the
 * receiver's NACKs answered from a packet history with RTX (when the test says so) and its PLIs
 * with a key frame. Everything the receiver sends is kept for the test to look at. */
#ifndef OKNO_TEST_RECEIVER_SIM_H
#define OKNO_TEST_RECEIVER_SIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call/receiver.h"
#include "linkemu/link.h"
#include "media/opus_codec.h"
#include "media/video_source.h"
#include "media/vp8_encoder.h"
#include "media/vp8_packetizer.h"
#include "okno/err.h"
#include "wire/red.h"
#include "wire/vp8.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtx.h"

#define SIM_T0       10000000 /* simulated clock start, us */
#define SIM_SSRC     0x11223344u
#define SIM_RTX_SSRC 0x55667788u
#define SIM_PT       96
#define SIM_RTX_PT   97
#define SIM_OPUS_PT  111
#define SIM_LOCAL    0xabcdef01u
#define SIM_QUEUE    8192
#define SIM_HISTORY  1024
#define SIM_MAX_RTCP 4096

struct sim_pkt {
    int64_t at; /* arrival */
    size_t len;
    uint8_t buf[1300];
};

/* A FIFO link: the delay is fixed, so arrivals stay in send order. With a model (bench/linkemu's
 * link, owned), the model decides drops and departures instead and q holds the bytes by cookie. */
struct sim_link {
    struct okno_link *model;
    struct sim_pkt *q; /* owned, SIM_QUEUE slots */
    size_t head, n;
    int64_t delay_us;
    double loss;
    uint64_t rng;
    uint64_t sent, dropped;
};

static inline double sim_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static inline void sim_link_init(struct sim_link *l, int64_t delay_us, double loss, uint64_t seed)
{
    memset(l, 0, sizeof *l);
    l->q = calloc(SIM_QUEUE, sizeof *l->q);
    assert_non_null(l->q);
    l->delay_us = delay_us;
    l->loss = loss;
    l->rng = seed;
}

static inline void sim_link_send(struct sim_link *l, const uint8_t *buf, size_t len, int64_t now)
{
    l->sent++;
    if (l->model) {
        assert_true(len <= sizeof l->q[0].buf);
        struct sim_pkt *p = &l->q[l->sent % SIM_QUEUE];
        p->len = len;
        memcpy(p->buf, buf, len);
        if (okno_link_enqueue(l->model, now, len, l->sent % SIM_QUEUE) != OKNO_LINK_ACCEPTED)
            l->dropped++;
        return;
    }
    if (l->loss > 0 && sim_rand(&l->rng) < l->loss) {
        l->dropped++;
        return;
    }
    assert_true(l->n < SIM_QUEUE && len <= sizeof l->q[0].buf);
    struct sim_pkt *p = &l->q[(l->head + l->n++) % SIM_QUEUE];
    p->at = now + l->delay_us;
    p->len = len;
    memcpy(p->buf, buf, len);
}

/* The next packet that has arrived by now, or NULL. */
static inline struct sim_pkt *sim_link_recv(struct sim_link *l, int64_t now)
{
    if (l->model) {
        uint64_t cookie;
        if (okno_link_dequeue(l->model, now, &cookie, NULL) != 1)
            return NULL;
        l->q[cookie].at = now;
        return &l->q[cookie];
    }
    if (!l->n || l->q[l->head].at > now)
        return NULL;
    struct sim_pkt *p = &l->q[l->head];
    l->head = (l->head + 1) % SIM_QUEUE;
    l->n--;
    return p;
}

struct sim {
    /* publisher */
    bool video;
    struct okno_vsrc src;
    struct okno_vp8enc *enc;
    struct okno_vp8pack pack;
    struct okno_image img;
    struct okno_opusenc *oenc;
    struct okno_asrc asrc;
    uint16_t audio_seq;
    int red_pt;             /* > 0: audio goes as RED with the previous packet's payload too */
    uint8_t red_prev[1023]; /* that payload */
    size_t red_prev_len;
    uint32_t frame_no;
    struct {
        uint8_t buf[1300];
        size_t len;
        bool used;
        uint16_t seq;
    } hist[SIM_HISTORY];
    uint16_t rtx_seq;
    bool answer_nacks;
    int corrupt_frame; /* frame number whose VP8 header gets an impossible partition size; -1 */
    uint64_t rtx_sent, keyframes_requested, nacks_seen, plis_seen;
    /* the two directions */
    struct sim_link down, up;
    /* the receiver and what it sent (as the server would read it) */
    struct okno_receiver *rx;
    int64_t now;
    struct {
        uint8_t buf[1500];
        size_t len;
        int64_t at;
    } * rtcp; /* owned, SIM_MAX_RTCP */
    size_t n_rtcp;
    /* CPU time spent in okno_receiver_on_rtp and _poll, for the printed cost per packet */
    uint64_t rx_ns, rx_calls;
};

static inline uint64_t sim_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int sim_send_rtcp(void *arg, const uint8_t *pkt, size_t len)
{
    struct sim *s = arg;
    assert_true(len <= 1500);
    assert_true(s->n_rtcp < SIM_MAX_RTCP);
    memcpy(s->rtcp[s->n_rtcp].buf, pkt, len);
    s->rtcp[s->n_rtcp].len = len;
    s->rtcp[s->n_rtcp].at = s->now;
    s->n_rtcp++;
    sim_link_send(&s->up, pkt, len, s->now);
    return 0;
}

/* A video sim of a w x h camera at kbps (VP8, one encoding, `layers` temporal layers). */
static inline void sim_init_video(struct sim *s, unsigned w, unsigned h, unsigned layers,
                                  unsigned kbps, int64_t delay_us, double loss, bool answer)
{
    memset(s, 0, sizeof *s);
    s->video = true;
    s->rtcp = calloc(SIM_MAX_RTCP, sizeof *s->rtcp);
    assert_non_null(s->rtcp);
    struct okno_vsrc_config sc = {.width = w, .height = h, .seed = 7};
    assert_int_equal(okno_vsrc_init(&s->src, &sc), 0);
    struct okno_vp8enc_config ec = {.width = w,
                                    .height = h,
                                    .fps = 30,
                                    .encodings = 1,
                                    .temporal_layers = layers,
                                    .start_kbps = kbps};
    assert_int_equal(okno_vp8enc_create(&ec, &s->enc), 0);
    struct okno_vp8pack_config pc = {.ssrc = SIM_SSRC,
                                     .pt = SIM_PT,
                                     .first_seq = 65000,
                                     .first_picture_id = 5,
                                     .max_packet = 1200};
    assert_int_equal(okno_vp8pack_init(&s->pack, &pc), 0);
    assert_int_equal(okno_image_alloc(&s->img, w, h), 0);
    sim_link_init(&s->down, delay_us, loss, 0x9e3779b97f4a7c15ull);
    sim_link_init(&s->up, delay_us, 0, 1);
    s->answer_nacks = answer;
    s->corrupt_frame = -1;
    s->rtx_seq = 100;
    s->now = SIM_T0;
}

/* Puts bench/linkemu's link model with these params on the way down. */
static inline void sim_use_link_model(struct sim *s, const struct okno_link_params *p)
{
    assert_int_equal(okno_link_create(p, SIM_QUEUE / 2, 42, &s->down.model), 0);
}

static inline void sim_init_audio(struct sim *s, int64_t delay_us, double loss, unsigned loss_pct)
{
    memset(s, 0, sizeof *s);
    s->rtcp = calloc(SIM_MAX_RTCP, sizeof *s->rtcp);
    assert_non_null(s->rtcp);
    struct okno_opusenc_config oc = {.kbps = 32, .fec = true, .loss_pct = loss_pct};
    assert_int_equal(okno_opusenc_create(&oc, &s->oenc), 0);
    okno_asrc_init(&s->asrc);
    sim_link_init(&s->down, delay_us, loss, 0x9e3779b97f4a7c15ull);
    sim_link_init(&s->up, delay_us, 0, 1);
    s->audio_seq = 65530;
    s->now = SIM_T0;
}

/* The receiver config the sim's streams need; the test adjusts it before creating. */
static inline struct okno_receiver_config sim_rx_config(struct sim *s, unsigned w, unsigned h)
{
    return (struct okno_receiver_config){
        .video = s->video,
        .ssrc = 0,
        .rtx_ssrc = 0,
        .pt = s->video ? SIM_PT : SIM_OPUS_PT,
        .rtx_pt = s->video ? SIM_RTX_PT : -1,
        .src_width = w,
        .src_height = h,
        .src_seed = 7,
        .decode = true,
        .start_us = SIM_T0,
        .timeline_s = 60,
        .local_ssrc = SIM_LOCAL,
        .send_rtcp = sim_send_rtcp,
        .arg = s,
    };
}

static inline void sim_free(struct sim *s)
{
    okno_receiver_destroy(s->rx);
    okno_vp8enc_destroy(s->enc);
    if (s->video)
        okno_vsrc_deinit(&s->src);
    okno_image_free(&s->img);
    okno_opusenc_destroy(s->oenc);
    okno_link_destroy(s->down.model);
    free(s->down.q);
    free(s->up.q);
    free(s->rtcp);
}

static inline void sim_capture_video(struct sim *s)
{
    assert_int_equal(okno_vsrc_render(&s->src, s->frame_no, s->now, &s->img), 0);
    s->frame_no++;
    struct okno_vp8enc_frame out[OKNO_VP8_MAX_ENCODINGS];
    int k = okno_vp8enc_encode(s->enc, &s->img, s->now, out);
    assert_true(k >= 0);
    if (k == 0)
        return;
    int np = okno_vp8pack_begin(&s->pack, &out[0], 0);
    assert_true(np > 0);
    for (int i = 0; i < np; i++) {
        uint16_t seq = s->pack.seq;
        __typeof__(s->hist[0]) *h = &s->hist[seq % SIM_HISTORY];
        int len = okno_vp8pack_next(&s->pack, h->buf, sizeof h->buf, NULL, 0);
        assert_true(len > 0);
        h->len = (size_t)len;
        h->used = true;
        h->seq = seq;
        if (i == 0 && (int)s->frame_no - 1 == s->corrupt_frame) {
            struct okno_vp8_desc d;
            int dl = okno_vp8_parse_desc(h->buf + 12, h->len - 12, &d);
            assert_true(dl > 0 && h->len > 12 + (size_t)dl + 3);
            h->buf[12 + dl + 1] = h->buf[12 + dl + 2] = 0xff; /* first partition ~512 KiB */
        }
        sim_link_send(&s->down, h->buf, h->len, s->now);
    }
}

static inline void sim_capture_audio(struct sim *s)
{
    int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES];
    uint32_t n = okno_asrc_next(&s->asrc, pcm);
    uint8_t pkt[1300];
    int len = okno_opusenc_encode(s->oenc, pcm, pkt + 12, sizeof pkt - 12);
    assert_true(len > 0);
    if (s->red_pt > 0) {
        uint8_t opus[1300];
        memcpy(opus, pkt + 12, (size_t)len);
        struct okno_red_block prev = {.pt = SIM_OPUS_PT,
                                      .ts_offset = OKNO_AUDIO_FRAME_SAMPLES,
                                      .data = s->red_prev,
                                      .len = s->red_prev_len};
        struct okno_red_block primary = {.pt = SIM_OPUS_PT, .data = opus, .len = (size_t)len};
        len = okno_red_build(pkt + 12, sizeof pkt - 12, &prev, s->red_prev_len ? 1 : 0, &primary);
        assert_true(len > 0);
        s->red_prev_len = primary.len <= sizeof s->red_prev ? primary.len : 0;
        memcpy(s->red_prev, opus, s->red_prev_len);
    }
    struct okno_rtp_pkt h = {.pt = s->red_pt > 0 ? (uint8_t)s->red_pt : SIM_OPUS_PT,
                             .seq = s->audio_seq++,
                             .ts = 1000 + n * OKNO_AUDIO_FRAME_SAMPLES,
                             .ssrc = SIM_SSRC,
                             .marker = n == 0};
    assert_int_equal(okno_rtp_write_header(pkt, sizeof pkt, &h), 12);
    sim_link_send(&s->down, pkt, (size_t)len + 12, s->now);
}

static inline int sim_on_nack_seq(uint16_t seq, void *ud)
{
    struct sim *s = ud;
    s->nacks_seen++;
    __typeof__(s->hist[0]) *h = &s->hist[seq % SIM_HISTORY];
    if (!s->answer_nacks || !h->used || h->seq != seq)
        return 0;
    uint8_t out[1300];
    int len =
        okno_rtx_wrap(h->buf, h->len, out, sizeof out, SIM_RTX_SSRC, SIM_RTX_PT, s->rtx_seq++);
    assert_true(len > 0);
    s->rtx_sent++;
    sim_link_send(&s->down, out, (size_t)len, s->now);
    return 0;
}

/* The server's side: what arrived up the link. */
static inline void sim_on_feedback(struct sim *s, const uint8_t *buf, size_t len)
{
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt p;
    okno_rtcp_iter_init(&it, buf, len);
    while (okno_rtcp_iter_next(&it, &p) == 1) {
        struct okno_rtcp_fb fb;
        if (okno_rtcp_fb_parse(&p, &fb) < 0)
            continue;
        switch (okno_rtcp_fb_kind(&fb)) {
        case OKNO_RTCP_FB_NACK:
            assert_true(okno_rtcp_nack_foreach(&fb, sim_on_nack_seq, s) > 0);
            break;
        case OKNO_RTCP_FB_PLI:
            s->plis_seen++;
            if (s->enc) {
                okno_vp8enc_request_keyframe(s->enc, -1);
                s->keyframes_requested++;
            }
            break;
        case OKNO_RTCP_FB_FIR:
            fail_msg("the receiver sent a FIR");
            break;
        default:
            break;
        }
    }
}

/* Runs the loop for duration_us in 1 ms steps: capture (30 fps video, 50 fps audio), deliver,
 * poll the receiver when due, feed its RTCP back to the publisher. */
static inline void sim_run(struct sim *s, int64_t duration_us)
{
    int64_t end = s->now + duration_us;
    int64_t next_capture = s->now, next_poll = s->now;
    int64_t frame_us = s->video ? 1000000 / 30 : 20000;
    int64_t frames = 0, t_base = s->now;
    for (; s->now < end; s->now += 1000) {
        if (s->now >= next_capture) {
            if (s->video)
                sim_capture_video(s);
            else
                sim_capture_audio(s);
            frames++;
            next_capture = t_base + frames * frame_us;
        }
        struct sim_pkt *p;
        bool got = false;
        while ((p = sim_link_recv(&s->down, s->now)) != NULL) {
            uint64_t t0 = sim_cpu_ns();
            okno_receiver_on_rtp(s->rx, p->buf, p->len, p->at);
            s->rx_ns += sim_cpu_ns() - t0;
            s->rx_calls++;
            got = true;
        }
        while ((p = sim_link_recv(&s->up, s->now)) != NULL)
            sim_on_feedback(s, p->buf, p->len);
        if (got || s->now >= next_poll) {
            uint64_t t0 = sim_cpu_ns();
            next_poll = okno_receiver_poll(s->rx, s->now);
            s->rx_ns += sim_cpu_ns() - t0;
            assert_true(next_poll > s->now);
        }
    }
}

/* One line of figures for the test's output. */
static inline void print_figures(const char *name, struct sim *s)
{
    struct okno_receiver_stats st;
    okno_receiver_stats(s->rx, &st);
    struct okno_stream_metrics *m = okno_receiver_metrics(s->rx);
    printf("# %s: pkts %llu rtx %llu lost %llu recovered %llu nacks %llu (items %llu) plis %llu "
           "frames asm %llu dec %llu undecodable %llu errors %llu; metrics frames %llu freezes "
           "%llu latency p50 %.1f ms psnr %.2f dB; sent %u frames, rtx %llu, link drops %llu\n",
           name, (unsigned long long)st.packets, (unsigned long long)st.rtx_packets,
           (unsigned long long)st.lost, (unsigned long long)st.recovered,
           (unsigned long long)st.nacks_sent, (unsigned long long)st.nack_items,
           (unsigned long long)st.plis_sent, (unsigned long long)st.frames_assembled,
           (unsigned long long)st.frames_decoded, (unsigned long long)st.undecodable_frames,
           (unsigned long long)st.decode_errors, (unsigned long long)m->frames,
           (unsigned long long)m->freeze.count, okno_reservoir_percentile(&m->latency_ms, 50),
           m->psnr_n ? m->psnr_sum / (double)m->psnr_n : -1.0, s->frame_no,
           (unsigned long long)s->rtx_sent, (unsigned long long)s->down.dropped);
}

#endif
