/* okno-bench's single-stream sender adapting its resolution like a browser: the scaler's levels,
 * thresholds, holds and drop rule alone (sender_scaling.h); the VP8 encoder switching between
 * its encodings on one stream; and the sender in simulated time against the recording transport:
 * at 120 kbit/s a low resolution at a usable frame rate instead of 640x360 at a few frames per
 * second, 640x360 kept at 1 Mbit/s, and a 1000 -> 150 -> 1000 kbit/s step switching down and back
 * up with a key frame at each switch, continuous sequence numbers, picture ids and TL0PICIDX, RTX
 * across the switch, and every frame decoding with libvpx at its new size. */
#include <setjmp.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "call/sender_scaling.h"
#include "media/metrics.h"
#include "media/video_source.h"
#include "media/vp8_decoder.h"
#include "media/vp8_encoder.h"
#include "sender_loop.h"
#include "wire/rtcp_fb.h"
#include "wire/rtx.h"
#include "wire/vp8.h"

#define S(x)  ((int64_t)(x)*1000000)
#define MS(x) ((int64_t)(x)*1000)

/* --- the scaler alone ------------------------------------------------------------------------ */

static void test_scaling_levels_and_start(void **state)
{
    (void)state;
    assert_int_equal(okno_scaling_levels_for(640, 360), 3);
    assert_int_equal(okno_scaling_levels_for(320, 180), 3);
    assert_int_equal(okno_scaling_levels_for(64, 40), 2); /* 16x10 is too small */
    assert_int_equal(okno_scaling_levels_for(16, 16), 1);
    struct okno_scaling sc;
    /* the start rate keeps the highest level it would not leave */
    okno_scaling_init(&sc, 3, 640, 360, 250, 0);
    assert_int_equal(sc.level, 2);
    okno_scaling_init(&sc, 3, 640, 360, 150, 0);
    assert_int_equal(sc.level, 1);
    okno_scaling_init(&sc, 3, 640, 360, 60, 0);
    assert_int_equal(sc.level, 0);
    assert_int_equal(sc.up_kbps[2], 300);
    assert_int_equal(sc.down_kbps[2], 200);
    assert_int_equal(sc.up_kbps[1], 110);
    assert_int_equal(sc.down_kbps[1], 80);
    /* a 320x180 capture: 80x45, 160x90 and 320x180 */
    okno_scaling_init(&sc, 3, 320, 180, 1000, 0);
    assert_int_equal(sc.level, 2);
    assert_int_equal(sc.up_kbps[2], 110);
    assert_int_equal(sc.up_kbps[1], 50);
    assert_int_equal(sc.switches, 0);
}

static void test_scaling_hysteresis_and_holds(void **state)
{
    (void)state;
    struct okno_scaling sc;
    okno_scaling_init(&sc, 3, 640, 360, 900, 0);
    assert_int_equal(sc.level, 2);
    int64_t t = 0;
    /* between the floor and the up-threshold: stays */
    for (; t < S(10); t += MS(100))
        assert_false(okno_scaling_on_rate(&sc, 250, t));
    /* below the floor: down after 2 s, straight to what 100 kbit/s affords (320x180) */
    int64_t drop_at = t;
    while (!okno_scaling_on_rate(&sc, 100, t))
        t += MS(100);
    assert_int_equal(sc.level, 1);
    assert_true(t - drop_at >= S(2) && t - drop_at <= S(2) + MS(100));
    /* a dip shorter than the hold does not switch */
    for (int i = 0; i < 15; i++, t += MS(100))
        assert_false(okno_scaling_on_rate(&sc, 50, t));
    /* up only after 4 s at or above 300 kbit/s; an interruption restarts the hold */
    for (int i = 0; i < 30; i++, t += MS(100))
        assert_false(okno_scaling_on_rate(&sc, 350, t));
    assert_false(okno_scaling_on_rate(&sc, 250, t));
    t += MS(100);
    int64_t up_from = t;
    while (!okno_scaling_on_rate(&sc, 350, t))
        t += MS(100);
    assert_int_equal(sc.level, 2);
    assert_true(t - up_from >= S(4) && t - up_from <= S(4) + MS(100));
    assert_int_equal(sc.switches, 2);
    /* from the lowest level a high rate goes up to the top at once */
    okno_scaling_init(&sc, 3, 640, 360, 40, t);
    assert_int_equal(sc.level, 0);
    up_from = t;
    while (!okno_scaling_on_rate(&sc, 1000, t))
        t += MS(100);
    assert_int_equal(sc.level, 2);
    assert_true(t - up_from <= S(4) + MS(100));
}

static void test_scaling_steps_down_on_dropped_captures(void **state)
{
    (void)state;
    struct okno_scaling sc;
    okno_scaling_init(&sc, 3, 640, 360, 900, 0);
    int64_t t = 0;
    assert_false(okno_scaling_on_rate(&sc, 900, t));
    bool switched = false;
    /* 25 % of the captures lost: stays */
    for (int i = 0; t < S(6); i++, t += 33333)
        switched |= okno_scaling_on_capture(&sc, i % 4 == 0, t);
    assert_false(switched);
    /* half of them lost: one level down within one 2 s window (plus the one running) */
    int64_t from = t;
    for (int i = 0; !switched; i++, t += 33333)
        switched = okno_scaling_on_capture(&sc, i % 2 == 0, t);
    assert_int_equal(sc.level, 1);
    assert_true(t - from <= S(4) + 33333);
    /* that level is retried only after twice the hold */
    int64_t up_from = t;
    while (!okno_scaling_on_rate(&sc, 900, t))
        t += MS(100);
    assert_int_equal(sc.level, 2);
    assert_true(t - up_from >= S(8) && t - up_from <= S(8) + MS(100));
    /* at half as much again the failure is forgotten: the usual hold */
    for (int i = 0; !switched || sc.level == 2; i++, t += 33333)
        switched = okno_scaling_on_capture(&sc, i % 2 == 0, t);
    assert_int_equal(sc.level, 1);
    up_from = t;
    while (!okno_scaling_on_rate(&sc, 1400, t))
        t += MS(100);
    assert_true(t - up_from >= S(4) && t - up_from <= S(4) + MS(100));
    /* the lowest level has nowhere to go */
    okno_scaling_init(&sc, 3, 640, 360, 10, 0);
    switched = false;
    for (int64_t u = 0; u < S(6); u += 33333)
        switched |= okno_scaling_on_capture(&sc, true, u);
    assert_false(switched);
    assert_int_equal(sc.level, 0);
}

/* --- the encoder's one-at-a-time mode ------------------------------------------------------------
 */

static void test_vp8enc_one_at_a_time_switches_with_a_key_frame(void **state)
{
    (void)state;
    struct okno_vp8enc_config ec = {.width = 640,
                                    .height = 360,
                                    .fps = 30,
                                    .encodings = 3,
                                    .temporal_layers = 2,
                                    .start_kbps = 400,
                                    .one_at_a_time = true};
    struct okno_vp8enc *enc;
    assert_int_equal(okno_vp8enc_create(&ec, &enc), 0);
    struct okno_vsrc src;
    struct okno_vsrc_config vc = {.width = 640, .height = 360, .seed = 3};
    assert_int_equal(okno_vsrc_init(&src, &vc), 0);
    struct okno_image img;
    assert_int_equal(okno_image_alloc(&img, 640, 360), 0);
    unsigned kbps[OKNO_VP8_MAX_ENCODINGS];
    /* the top encoding at first, with the whole rate */
    assert_int_equal(okno_vp8enc_allocation(enc, kbps), 3);
    assert_int_equal(kbps[0], 0);
    assert_int_equal(kbps[1], 0);
    assert_int_equal(kbps[2], 400);
    assert_int_equal(okno_vp8enc_select(enc, 3), OKNO_E_INVAL);
    const unsigned order[] = {2, 0, 1, 1, 2};
    const unsigned widths[] = {160, 320, 640};
    int last_tl0 = -1;
    uint32_t no = 0;
    for (unsigned k = 0; k < 5; k++) {
        assert_int_equal(okno_vp8enc_select(enc, order[k]), 0);
        assert_int_equal(okno_vp8enc_set_bitrate(enc, 300), 0);
        okno_vp8enc_allocation(enc, kbps);
        for (unsigned i = 0; i < 3; i++)
            assert_int_equal(kbps[i], i == order[k] ? 300 : 0);
        for (int f = 0; f < 10; f++, no++) {
            int64_t t = (int64_t)no * 33333;
            assert_int_equal(okno_vsrc_render(&src, no, t, &img), 0);
            struct okno_vp8enc_frame out[OKNO_VP8_MAX_ENCODINGS];
            int n = okno_vp8enc_encode(enc, &img, t, out);
            assert_true(n >= 0 && n <= 1);
            if (n == 0)
                continue;
            assert_int_equal(out[0].encoding, order[k]);
            assert_int_equal(out[0].width, widths[order[k]]);
            /* a switch (and the first frame) starts with a key frame; selecting the same
             * encoding again does not */
            if (f == 0 && (k == 0 || order[k] != order[k - 1]))
                assert_true(out[0].keyframe);
            if (f == 0 && k == 3)
                assert_false(out[0].keyframe);
            /* one stream: TL0PICIDX goes on by one per TL0 frame whichever encoder made it */
            if (out[0].tid == 0) {
                if (last_tl0 >= 0)
                    assert_int_equal(out[0].tl0picidx, (uint8_t)(last_tl0 + 1));
                last_tl0 = out[0].tl0picidx;
            }
        }
    }
    /* not in that mode: refused */
    struct okno_vp8enc *sim;
    ec.one_at_a_time = false;
    assert_int_equal(okno_vp8enc_create(&ec, &sim), 0);
    assert_int_equal(okno_vp8enc_select(sim, 0), OKNO_E_INVAL);
    okno_vp8enc_destroy(sim);
    okno_image_free(&img);
    okno_vsrc_deinit(&src);
    okno_vp8enc_destroy(enc);
}

/* --- the sender ------------------------------------------------------------------------------- */

#define VSSRC      0x2222
#define RTXSSRC    0x3333
#define MAX_FRAMES 2000

struct frame_info {
    int64_t at;             /* its last packet's send time */
    unsigned width, height; /* decoded */
    bool keyframe;
    double psnr_db; /* against the source regenerated at the decoded size; -1: code unreadable */
};

/* What the recorded video stream holds, checked packet by packet: sequence numbers without a gap,
 * one picture id more per frame, one TL0PICIDX more per TL0 frame, and every frame decoding. */
struct scan {
    struct frame_info frames[MAX_FRAMES];
    size_t n;
    unsigned size_changes;
    uint64_t decode_errors;
    double psnr_min[3]; /* per width 160, 320, 640; 0: none seen */
};

static void scan_stream(const struct loop *l, struct scan *sc)
{
    memset(sc, 0, sizeof *sc);
    struct okno_vp8dec *dec;
    assert_int_equal(okno_vp8dec_create(1, &dec), 0);
    /* the receiver's check: the camera of loop_config's seed, regenerated at the decoded size */
    struct okno_vsrc src;
    struct okno_vsrc_config vc = {.width = 640, .height = 360, .seed = 7};
    assert_int_equal(okno_vsrc_init(&src, &vc), 0);
    struct okno_image scratch = {0};
    static uint8_t frame[256 * 1024];
    size_t len = 0;
    bool have = false, key = false;
    uint16_t seq_prev = 0, pid_prev = 0;
    int tl0_prev = -1;
    unsigned w = 0, h = 0;
    for (size_t i = 0; i < l->n_rtp; i++) {
        struct okno_rtp_pkt p = loop_parse(l, i);
        if (p.ssrc != VSSRC)
            continue;
        struct okno_vp8_packet vp;
        assert_int_equal(okno_vp8_parse(p.payload, p.payload_len, &vp), 0);
        if (have)
            assert_int_equal(p.seq, (uint16_t)(seq_prev + 1));
        if (vp.desc.s && vp.desc.part_id == 0) { /* a frame starts */
            assert_int_equal(len, 0);
            assert_true(vp.desc.has_picture_id);
            if (have)
                assert_int_equal(vp.desc.picture_id, (uint16_t)((pid_prev + 1) & 0x7fff));
            pid_prev = vp.desc.picture_id;
            if (vp.desc.has_tl0picidx && vp.desc.tid == 0) {
                if (tl0_prev >= 0)
                    assert_int_equal(vp.desc.tl0picidx, (uint8_t)(tl0_prev + 1));
                tl0_prev = vp.desc.tl0picidx;
            }
            key = vp.has_header && vp.header.keyframe;
        }
        have = true;
        seq_prev = p.seq;
        assert_true(len + vp.payload_len <= sizeof frame);
        memcpy(frame + len, vp.payload, vp.payload_len);
        len += vp.payload_len;
        if (!p.marker)
            continue;
        struct okno_image pic;
        int rc = okno_vp8dec_decode(dec, frame, len, &pic);
        len = 0;
        if (rc != 1) {
            sc->decode_errors++;
            continue;
        }
        if (w && (pic.width != w || pic.height != h)) {
            sc->size_changes++;
            assert_true(key); /* a decoder sees a key frame with the new size */
        }
        w = pic.width;
        h = pic.height;
        struct okno_vsrc_code code;
        double psnr = -1;
        if (okno_vsrc_read_code(&pic, &code) == 0)
            psnr = okno_metrics_psnr(&src, &code, &pic, &scratch);
        unsigned k = w == 160 ? 0 : w == 320 ? 1 : 2;
        if (psnr >= 0 && (sc->psnr_min[k] == 0 || psnr < sc->psnr_min[k]))
            sc->psnr_min[k] = psnr;
        if (sc->n < MAX_FRAMES)
            sc->frames[sc->n++] = (struct frame_info){
                .at = l->rtp[i].at, .width = w, .height = h, .keyframe = key, .psnr_db = psnr};
    }
    okno_image_free(&scratch);
    okno_vsrc_deinit(&src);
    sc->decode_errors += okno_vp8dec_stats(dec).errors;
    okno_vp8dec_destroy(dec);
}

/* Frames sent between two times, and the widest and narrowest among them. */
static size_t frames_between(const struct scan *sc, int64_t from, int64_t to, unsigned *wmin,
                             unsigned *wmax)
{
    size_t n = 0;
    *wmin = UINT32_MAX;
    *wmax = 0;
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->frames[i].at < from || sc->frames[i].at >= to)
            continue;
        n++;
        *wmin = sc->frames[i].width < *wmin ? sc->frames[i].width : *wmin;
        *wmax = sc->frames[i].width > *wmax ? sc->frames[i].width : *wmax;
    }
    return n;
}

static struct okno_sender_config scaling_config(struct loop *l, uint32_t kbps)
{
    struct okno_sender_config c = loop_config(l, true, true);
    c.ext_twcc = -1; /* no feedback: the target stays at the start rate unless REMB caps it */
    c.start_kbps = kbps;
    c.video_ssrc[0] = VSSRC;
    c.rtx_ssrc[0] = RTXSSRC;
    return c;
}

static void test_sender_low_rate_runs_a_lower_resolution_at_full_rate(void **state)
{
    (void)state;
    static struct scan sc;
    double fps[2];
    for (int k = 0; k < 2; k++) {
        struct loop l;
        loop_init(&l);
        struct okno_sender_config c = scaling_config(&l, 120);
        c.scaling = k == 0 ? OKNO_SENDER_SCALING_AUTO : OKNO_SENDER_SCALING_OFF;
        assert_int_equal(loop_start(&l, &c), 0);
        loop_run(&l, LOOP_T0 + S(10));
        struct okno_sender_stats st;
        okno_sender_stats(l.s, l.now, &st);
        scan_stream(&l, &sc);
        unsigned wmin, wmax;
        size_t n = frames_between(&sc, LOOP_T0 + S(4), LOOP_T0 + S(10), &wmin, &wmax);
        fps[k] = (double)n / 6;
        printf("# 120 kbit/s, scaling %s: %.1f fps over 4-10 s at %ux%u (widths %u..%u), "
               "%" PRIu64 " of %" PRIu64 " captures dropped, %" PRIu64 " switches\n",
               k == 0 ? "on" : "off", fps[k], st.width, st.height, wmin, wmax, st.frames_dropped,
               st.frames_dropped + st.frames_encoded, st.resolution_switches);
        assert_int_equal(sc.decode_errors, 0);
        printf("# lowest PSNR %.1f dB\n", sc.psnr_min[k == 0 ? (st.width == 160 ? 0 : 1) : 2]);
        if (k == 0) {
            assert_true(st.width == 160 || st.width == 320);
            assert_true(wmax <= 320);
            assert_true(fps[k] >= 23);
        } else {
            assert_int_equal(st.width, 640);
            assert_int_equal(st.resolution_switches, 0);
        }
        loop_free(&l);
    }
    assert_true(fps[0] > fps[1] * 1.5);
}

static void test_sender_high_rate_keeps_full_size(void **state)
{
    (void)state;
    static struct scan sc;
    struct loop l;
    loop_init(&l);
    struct okno_sender_config c = scaling_config(&l, 1000);
    assert_int_equal(loop_start(&l, &c), 0);
    loop_run(&l, LOOP_T0 + S(8));
    struct okno_sender_stats st;
    okno_sender_stats(l.s, l.now, &st);
    scan_stream(&l, &sc);
    unsigned wmin, wmax;
    size_t n = frames_between(&sc, LOOP_T0, LOOP_T0 + S(8), &wmin, &wmax);
    printf("# 1 Mbit/s: %zu frames in 8 s, widths %u..%u, %" PRIu64 " switches\n", n, wmin, wmax,
           st.resolution_switches);
    assert_int_equal(st.width, 640);
    assert_int_equal(st.height, 360);
    assert_int_equal(wmin, 640);
    assert_int_equal(st.resolution_switches, 0);
    assert_int_equal(st.keyframes, 1);
    assert_true(n >= 230);
    assert_int_equal(sc.decode_errors, 0);
    loop_free(&l);
}

/* The time of the first frame of the given width sent at or after from; INT64_MAX if none. */
static int64_t first_frame_of(const struct scan *sc, unsigned width, int64_t from)
{
    for (size_t i = 0; i < sc->n; i++)
        if (sc->frames[i].at >= from && sc->frames[i].width == width)
            return sc->frames[i].at;
    return INT64_MAX;
}

static void test_sender_rate_step_switches_down_and_back_up(void **state)
{
    (void)state;
    static struct scan sc;
    struct loop l;
    loop_init(&l);
    struct okno_sender_config c = scaling_config(&l, 1000);
    c.temporal_layers = 2; /* TL0PICIDX on the wire */
    assert_int_equal(loop_start(&l, &c), 0);
    loop_run(&l, LOOP_T0 + S(3));
    int64_t down_at = l.now;
    assert_true(loop_remb(&l, 150000) > 0);
    struct okno_sender_stats st;
    /* the last video packet before the switch, for a NACK after it */
    size_t before = 0;
    do {
        for (size_t i = before; i < l.n_rtp; i++)
            if (loop_parse(&l, i).ssrc == VSSRC)
                before = i;
        loop_run(&l, l.now + MS(50));
        okno_sender_stats(l.s, l.now, &st);
    } while (st.resolution_switches == 0 && l.now < down_at + S(3));
    uint16_t old_seq = loop_parse(&l, before).seq;
    assert_int_equal(st.resolution_switches, 1);
    assert_true(st.width < 640);
    /* a NACK for a packet sent before the switch is still answered (within the 1 s history) */
    uint8_t buf[64];
    int n = okno_rtcp_nack_build(9, VSSRC, &old_seq, 1, buf, sizeof buf);
    assert_true(n > 0);
    size_t from = l.n_rtp;
    loop_rtcp_in(&l, buf, (size_t)n);
    loop_run(&l, l.now + MS(50));
    bool answered = false;
    for (size_t i = from; i < l.n_rtp; i++) {
        struct okno_rtp_pkt p = loop_parse(&l, i);
        answered |= p.ssrc == RTXSSRC && okno_rtx_osn(&p) == old_seq;
    }
    assert_true(answered);
    loop_run(&l, down_at + S(6));
    okno_sender_stats(l.s, l.now, &st);
    /* 320x180 first; the frames dropped after its key frame may take it on down to 160x90 */
    assert_in_range(st.resolution_switches, 1, 2);
    uint64_t low_switches = st.resolution_switches;
    int64_t up_at = l.now;
    assert_true(loop_remb(&l, 1000000) > 0);
    loop_run(&l, up_at + S(7));
    okno_sender_stats(l.s, l.now, &st);
    scan_stream(&l, &sc);
    int64_t low = INT64_MAX;
    unsigned low_width = 0;
    for (size_t i = 0; i < sc.n && !low_width; i++)
        if (sc.frames[i].at >= down_at && sc.frames[i].width < 640) {
            low = sc.frames[i].at;
            low_width = sc.frames[i].width;
        }
    int64_t high = first_frame_of(&sc, 640, up_at);
    printf("# step 1000 -> 150 -> 1000 kbit/s: down to %u px wide after %.2f s, back to 640 after "
           "%.2f s; %" PRIu64 " switches, %" PRIu64 " key frames, %zu frames decoded, %" PRIu64
           " dropped\n",
           low_width, (double)(low - down_at) / 1e6, (double)(high - up_at) / 1e6,
           st.resolution_switches, st.keyframes, sc.n, st.frames_dropped);
    assert_true(low - down_at <= S(3));
    assert_true(high - up_at <= S(5) + MS(500));
    assert_int_equal(st.width, 640);
    assert_int_equal(st.resolution_switches, low_switches + 1);
    assert_int_equal(sc.size_changes, st.resolution_switches);
    /* the first frame and one per switch */
    assert_int_equal(st.keyframes, 1 + st.resolution_switches);
    assert_int_equal(sc.decode_errors, 0);
    /* every frame carries a readable code and matches the source regenerated at its own size: a
     * receiver's PSNR stays right across the switches */
    size_t unreadable = 0;
    for (size_t i = 0; i < sc.n; i++)
        unreadable += sc.frames[i].psnr_db < 0;
    printf("# lowest PSNR at 160/320/640 px wide: %.1f / %.1f / %.1f dB, %zu codes unreadable\n",
           sc.psnr_min[0], sc.psnr_min[1], sc.psnr_min[2], unreadable);
    assert_int_equal(unreadable, 0);
    assert_true(sc.psnr_min[1] > 25 && sc.psnr_min[2] > 25);
    /* a usable frame rate at the low size too */
    unsigned wmin, wmax;
    size_t nlow = frames_between(&sc, down_at + S(2), down_at + S(6), &wmin, &wmax);
    printf("# at 150 kbit/s: %.1f fps at widths %u..%u\n", (double)nlow / 4, wmin, wmax);
    assert_true(nlow >= 4 * 20);
    loop_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scaling_levels_and_start),
        cmocka_unit_test(test_scaling_hysteresis_and_holds),
        cmocka_unit_test(test_scaling_steps_down_on_dropped_captures),
        cmocka_unit_test(test_vp8enc_one_at_a_time_switches_with_a_key_frame),
        cmocka_unit_test(test_sender_low_rate_runs_a_lower_resolution_at_full_rate),
        cmocka_unit_test(test_sender_high_rate_keeps_full_size),
        cmocka_unit_test(test_sender_rate_step_switches_down_and_back_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
