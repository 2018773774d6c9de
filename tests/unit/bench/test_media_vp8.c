#include "testutil.h"

#include "media_pipe.h"
#include "media/vp8_decoder.h"
#include "media/vp8_depacketizer.h"
#include "okno/err.h"
#include "wire/rtp.h"
#include "wire/vp8.h"

struct rx_result {
    unsigned frames, exact_codes, keyframes;
    unsigned per_tid[3];
    bool keyframe_needed_seen;
    uint32_t frame_nos[PIPE_MAX_FRAMES];
};

/* Feeds the packets of p with keep[i] true (all when keep is NULL) to a depacketizer, in the given
 * order (identity when order is NULL), renumbering sequence numbers to be contiguous when renumber
 * is set (an SFU dropping a layer), 5 ms apart; decodes every frame that comes out and checks it is
 * byte for byte a frame the encoder made, and that its code names that frame. */
static void receive(const struct pipe *p, const bool *keep, const unsigned *order, bool renumber,
                    struct rx_result *r)
{
    memset(r, 0, sizeof *r);
    struct okno_vp8depack *d;
    struct okno_fasm_config cfg = {.reorder_pkts = 16, .reorder_us = 100000};
    assert_int_equal(okno_vp8depack_create(&cfg, &d), 0);
    struct okno_vp8dec *dec;
    assert_int_equal(okno_vp8dec_create(1, &dec), 0);
    uint16_t seq = 100;
    int64_t now = 0;
    for (unsigned j = 0; j <= p->npkts; j++) {
        if (j < p->npkts) {
            unsigned i = order ? order[j] : j;
            if (keep && !keep[i])
                continue;
            uint8_t buf[1200];
            memcpy(buf, p->pkts[i].buf, p->pkts[i].len);
            if (renumber)
                assert_int_equal(okno_rtp_set_seq(buf, p->pkts[i].len, seq++), 0);
            struct okno_rtp_pkt pkt;
            assert_int_equal(okno_rtp_parse(buf, p->pkts[i].len, &pkt), 0);
            now += 5000;
            assert_true(okno_vp8depack_push(d, &pkt, now) >= 0);
        } else {
            now += 1000000; /* the end: let every wait run out */
        }
        struct okno_fasm_frame f;
        while (okno_vp8depack_pop(d, now, &f) == 1) {
            const struct pipe_frame *src = pipe_frame_by_ts(p, f.ts);
            assert_non_null(src);
            assert_int_equal(f.len, src->len);
            assert_memory_equal(f.data, src->data, f.len);
            assert_int_equal(f.meta.keyframe, src->keyframe);
            struct okno_image pic;
            assert_int_equal(okno_vp8dec_decode(dec, f.data, f.len, &pic), 1);
            struct okno_vsrc_code code;
            if (okno_vsrc_read_code(&pic, &code) == 0 && code.frame_no == src->frame_no)
                r->exact_codes++;
            assert_true(r->frames < PIPE_MAX_FRAMES);
            r->frame_nos[r->frames++] = src->frame_no;
            r->keyframes += f.meta.keyframe;
            r->per_tid[f.meta.tid]++;
        }
        r->keyframe_needed_seen |= r->frames > 0 && okno_vp8depack_keyframe_needed(d);
    }
    assert_int_equal(okno_vp8dec_stats(dec).errors, 0);
    okno_vp8dec_destroy(dec);
    okno_vp8depack_destroy(d);
}

static void test_vp8_packetizer_writes_rfc7741_descriptors_and_marker(void **state)
{
    (void)state;
    struct okno_vp8pack pk;
    struct okno_vp8pack_config cfg = {.ssrc = 0xa1b2c3d4,
                                      .pt = 100,
                                      .first_seq = 65535,
                                      .first_picture_id = 0x7fff,
                                      .max_packet = 100};
    assert_int_equal(okno_vp8pack_init(&pk, &cfg), 0);
    uint8_t data[250];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i | 1); /* first byte odd: an inter frame (P bit set) */
    struct okno_vp8enc_frame f = {.data = data,
                                  .len = sizeof data,
                                  .has_temporal = true,
                                  .tid = 2,
                                  .layer_sync = true,
                                  .non_reference = true,
                                  .tl0picidx = 9,
                                  .rtp_ts = 90000};
    /* 100 - 12 (RTP) - 6 (descriptor) = 82 bytes a packet: 250 bytes take 4, as 63+63+62+62. */
    assert_int_equal(okno_vp8pack_begin(&pk, &f, 0), 4);
    uint8_t out[100], joined[250];
    size_t off = 0;
    const size_t want[] = {63, 63, 62, 62};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(okno_vp8pack_next(&pk, out, 18 + want[i] - 1, NULL, 0), OKNO_E_NOSPC);
        int len = okno_vp8pack_next(&pk, out, sizeof out, NULL, 0);
        assert_int_equal(len, 18 + (int)want[i]);
        struct okno_rtp_pkt rtp;
        assert_int_equal(okno_rtp_parse(out, (size_t)len, &rtp), 0);
        assert_int_equal(rtp.seq, (uint16_t)(65535 + i));
        assert_int_equal(rtp.ssrc, 0xa1b2c3d4);
        assert_int_equal(rtp.pt, 100);
        assert_int_equal(rtp.ts, 90000);
        assert_int_equal(rtp.marker, i == 3);
        struct okno_vp8_desc d;
        assert_int_equal(okno_vp8_parse_desc(rtp.payload, rtp.payload_len, &d), 6);
        assert_int_equal(d.s, i == 0);
        assert_int_equal(d.part_id, 0);
        assert_true(d.n && d.has_picture_id && d.has_tl0picidx && d.has_tid && d.y);
        assert_int_equal(d.picture_id_bits, 15);
        assert_int_equal(d.picture_id, 0x7fff);
        assert_int_equal(d.tl0picidx, 9);
        assert_int_equal(d.tid, 2);
        memcpy(joined + off, rtp.payload + 6, rtp.payload_len - 6);
        off += rtp.payload_len - 6;
    }
    assert_int_equal(okno_vp8pack_next(&pk, out, sizeof out, NULL, 0), 0);
    assert_int_equal(off, sizeof data);
    assert_memory_equal(joined, data, sizeof data);
    /* The next frame's picture ID wraps to 0 within 15 bits, without temporal fields. */
    f.has_temporal = false;
    f.non_reference = false;
    assert_int_equal(okno_vp8pack_begin(&pk, &f, 4), 4);
    uint8_t ext[4] = {0x10, 0xab, 0, 0};
    assert_int_equal(okno_vp8pack_next(&pk, out, sizeof out, ext, 8), OKNO_E_INVAL);
    int len = okno_vp8pack_next(&pk, out, sizeof out, ext, 4);
    assert_true(len > 0 && len <= 100);
    struct okno_rtp_pkt rtp;
    assert_int_equal(okno_rtp_parse(out, (size_t)len, &rtp), 0);
    assert_int_equal(rtp.seq, 3);
    assert_int_equal(rtp.ext_profile, 0xBEDE);
    assert_int_equal(rtp.ext_len, 4);
    struct okno_vp8_desc d;
    assert_int_equal(okno_vp8_parse_desc(rtp.payload, rtp.payload_len, &d), 4);
    assert_int_equal(d.picture_id, 0);
    assert_false(d.has_tid || d.has_tl0picidx || d.n);
    /* Nothing fits in a packet that is all header. */
    cfg.max_packet = 16;
    assert_int_equal(okno_vp8pack_init(&pk, &cfg), 0);
    assert_int_equal(okno_vp8pack_begin(&pk, &f, 0), OKNO_E_NOSPC);
    f.len = 0;
    assert_int_equal(okno_vp8pack_begin(&pk, &f, 0), OKNO_E_INVAL);
}

static void test_vp8_round_trip_recovers_every_frame_and_its_number(void **state)
{
    (void)state;
    struct pipe p;
    pipe_run(&p, 320, 180, 1, 400, 45, 500, NULL);
    assert_true(p.nframes >= 40);
    assert_true(p.npkts > p.nframes); /* frames span several packets */
    struct rx_result r;
    receive(&p, NULL, NULL, false, &r);
    assert_int_equal(r.frames, p.nframes);
    assert_int_equal(r.exact_codes, p.nframes);
    for (unsigned i = 0; i < p.nframes; i++)
        assert_int_equal(r.frame_nos[i], p.frames[i].frame_no);
    assert_false(r.keyframe_needed_seen);
    pipe_free(&p);
}

static void test_vp8_round_trip_survives_reordering_within_window(void **state)
{
    (void)state;
    struct pipe p;
    pipe_run(&p, 320, 180, 1, 400, 30, 400, NULL);
    unsigned *order = malloc(p.npkts * sizeof *order);
    for (unsigned i = 0; i < p.npkts; i++)
        order[i] = i;
    /* Swap neighbours in blocks of six and reverse blocks of three: at most 5 packets early. */
    for (unsigned i = 0; i + 6 <= p.npkts; i += 6) {
        unsigned t = order[i];
        order[i] = order[i + 5];
        order[i + 5] = t;
        t = order[i + 1];
        order[i + 1] = order[i + 3];
        order[i + 3] = t;
    }
    struct rx_result r;
    receive(&p, NULL, order, false, &r);
    assert_int_equal(r.frames, p.nframes);
    assert_int_equal(r.exact_codes, p.nframes);
    free(order);
    pipe_free(&p);
}

static void test_vp8_assembler_drops_broken_frames_and_asks_for_keyframe(void **state)
{
    (void)state;
    struct pipe p;
    const unsigned keys[] = {20, 0};
    pipe_run(&p, 320, 180, 1, 400, 30, 400, keys);
    bool *keep = malloc(p.npkts);
    memset(keep, 1, p.npkts);
    /* Lose the middle packet of frame 10 (frames span several packets here). */
    unsigned lost_frame = 10, first = 0, n = 0;
    for (unsigned i = 0; i < p.npkts; i++)
        if (p.pkts[i].frame == lost_frame && n++ == 0)
            first = i;
    assert_true(n >= 2);
    keep[first + 1] = false;
    struct rx_result r;
    receive(&p, keep, NULL, false, &r); /* checks every frame handed out is intact */
    assert_true(r.keyframe_needed_seen);
    unsigned key_at = 0;
    for (unsigned i = 0; i < p.nframes; i++)
        if (p.frames[i].frame_no >= 20 && p.frames[i].keyframe && !key_at)
            key_at = i;
    assert_true(key_at > lost_frame);
    /* Frames before the loss and from the key frame on, nothing in between. */
    assert_int_equal(r.frames, lost_frame + (p.nframes - key_at));
    assert_int_equal(r.exact_codes, r.frames);
    assert_int_equal(r.keyframes, 2);
    free(keep);
    pipe_free(&p);
}

static void test_vp8_temporal_layers_follow_pattern(void **state)
{
    (void)state;
    struct pipe p;
    pipe_run(&p, 320, 180, 3, 600, 40, 1200, NULL);
    static const uint8_t pattern[4] = {0, 2, 1, 2};
    uint8_t tl0 = p.frames[0].tl0picidx;
    assert_true(p.frames[0].keyframe);
    for (unsigned i = 0; i < p.nframes; i++) {
        /* Encoder drops would shift the pattern; at 600 kbit/s it drops none. */
        assert_int_equal(p.frames[i].frame_no, i);
        assert_int_equal(p.frames[i].tid, pattern[i % 4]);
        if (i > 0 && p.frames[i].tid == 0)
            tl0++;
        assert_int_equal(p.frames[i].tl0picidx, tl0);
    }
    struct okno_vp8_tl_frame f = okno_vp8_temporal_frame(2, 1, true);
    assert_int_equal(f.tid, 1);
    assert_true(f.layer_sync && f.non_reference);
    f = okno_vp8_temporal_frame(3, 3, false);
    assert_true(f.layer_sync); /* no TL1 frame in the group: the last TL2 uses TL0 only */
    pipe_free(&p);
}

static void test_vp8_dropping_tl2_still_decodes_tl0_and_tl1(void **state)
{
    (void)state;
    struct pipe p;
    pipe_run(&p, 320, 180, 3, 600, 40, 600, NULL);
    bool *keep = malloc(p.npkts);
    unsigned want = 0;
    for (unsigned i = 0; i < p.nframes; i++)
        want += p.frames[i].tid < 2;
    for (unsigned i = 0; i < p.npkts; i++)
        keep[i] = p.frames[p.pkts[i].frame].tid < 2;
    struct rx_result r;
    /* As an SFU forwards it (sequence numbers made contiguous) ... */
    receive(&p, keep, NULL, true, &r);
    assert_int_equal(r.frames, want);
    assert_int_equal(r.exact_codes, want);
    assert_int_equal(r.per_tid[2], 0);
    assert_true(r.per_tid[1] >= 9);
    assert_false(r.keyframe_needed_seen);
    /* ... and as plain loss (sequence gaps): TL1 frames wait for the next TL0, TL0 carries on. */
    receive(&p, keep, NULL, false, &r);
    assert_int_equal(r.per_tid[0], (p.nframes + 3) / 4);
    assert_int_equal(r.exact_codes, r.frames);
    assert_false(r.keyframe_needed_seen);
    free(keep);
    pipe_free(&p);
}

static void test_vp8_lost_tl0_frame_needs_keyframe_lost_tl1_does_not(void **state)
{
    (void)state;
    struct pipe p;
    pipe_run(&p, 320, 180, 3, 600, 24, 1200, NULL);
    bool *keep = malloc(p.npkts);
    struct rx_result r;
    /* Frame 6 is TL1 (pattern 0 2 1 2): its group's last TL2 frame (7) is skipped, 8 decodes. */
    for (unsigned i = 0; i < p.npkts; i++)
        keep[i] = p.frames[p.pkts[i].frame].frame_no != 6;
    receive(&p, keep, NULL, false, &r);
    assert_int_equal(r.frames, p.nframes - 2);
    assert_false(r.keyframe_needed_seen);
    /* Frame 8 is TL0: nothing after it can be decoded without a key frame. */
    for (unsigned i = 0; i < p.npkts; i++)
        keep[i] = p.frames[p.pkts[i].frame].frame_no != 8;
    receive(&p, keep, NULL, false, &r);
    assert_int_equal(r.frames, 8);
    assert_true(r.keyframe_needed_seen);
    free(keep);
    pipe_free(&p);
}

static void test_vp8_simulcast_gives_three_streams_at_quarter_half_and_full_size(void **state)
{
    (void)state;
    struct okno_vp8enc_config cfg = {.width = 640,
                                     .height = 360,
                                     .fps = 30,
                                     .encodings = 3,
                                     .temporal_layers = 2,
                                     .start_kbps = 1000};
    struct okno_vp8enc *enc;
    assert_int_equal(okno_vp8enc_create(&cfg, &enc), 0);
    unsigned kbps[3];
    assert_int_equal(okno_vp8enc_allocation(enc, kbps), 3);
    /* 160x90 and 320x180 get their 150 kbit/s targets, 640x360 the rest up to its 700 maximum. */
    assert_int_equal(kbps[0], 150);
    assert_int_equal(kbps[1], 150);
    assert_int_equal(kbps[2], 700);
    struct okno_image img;
    assert_int_equal(okno_image_alloc(&img, 640, 360), 0);
    struct okno_vsrc src;
    struct okno_vsrc_config scfg = {.width = 640, .height = 360, .seed = 1};
    assert_int_equal(okno_vsrc_init(&src, &scfg), 0);
    unsigned seen[3] = {0};
    for (unsigned n = 0; n < 4; n++) {
        assert_int_equal(okno_vsrc_render(&src, n, n * 33333, &img), 0);
        struct okno_vp8enc_frame out[3];
        int k = okno_vp8enc_encode(enc, &img, n * 33333, out);
        assert_int_equal(k, 3);
        for (int i = 0; i < k; i++) {
            assert_int_equal(out[i].encoding, (unsigned)i);
            assert_int_equal(out[i].width, 160u << i);
            assert_int_equal(out[i].height, 90u << i);
            assert_int_equal(out[i].keyframe, n == 0);
            assert_int_equal(out[i].tid, n % 2);
            seen[i]++;
        }
    }
    assert_int_equal(seen[2], 4);
    /* At 300 kbit/s the top encoding pauses; it resumes with a key frame. */
    assert_int_equal(okno_vp8enc_set_bitrate(enc, 300), 0);
    assert_int_equal(okno_vp8enc_allocation(enc, kbps), 3);
    assert_int_equal(kbps[2], 0);
    struct okno_vp8enc_frame out[3];
    assert_int_equal(okno_vp8enc_encode(enc, &img, 5 * 33333, out), 2);
    assert_int_equal(okno_vp8enc_set_bitrate(enc, 1000), 0);
    assert_int_equal(okno_vp8enc_encode(enc, &img, 6 * 33333, out), 3);
    assert_true(out[2].keyframe);
    assert_false(out[0].keyframe);
    okno_vsrc_deinit(&src);
    okno_image_free(&img);
    okno_vp8enc_destroy(enc);
}

static void test_vp8_simulcast_allocation_follows_libwebrtc_order(void **state)
{
    (void)state;
    struct okno_vp8_rates r[3] = {okno_vp8_rates_for(320, 180), okno_vp8_rates_for(640, 360),
                                  okno_vp8_rates_for(1280, 720)};
    assert_int_equal(r[1].min_kbps, 150);
    assert_int_equal(r[2].max_kbps, 2500);
    unsigned k[3];
    assert_int_equal(okno_vp8_allocate(r, 3, 100, k), 1);
    assert_int_equal(k[0], 100);
    assert_int_equal(okno_vp8_allocate(r, 3, 250, k), 1); /* 100 left < 150 minimum of layer 1 */
    assert_int_equal(k[0], 200);                          /* the rest to layer 0 up to its max */
    assert_int_equal(okno_vp8_allocate(r, 3, 800, k), 2);
    assert_int_equal(k[1], 650);
    assert_int_equal(okno_vp8_allocate(r, 3, 2000, k), 3);
    assert_int_equal(k[0] + k[1] + k[2], 2000);
    assert_int_equal(k[2], 1350);
    assert_int_equal(okno_vp8_allocate(r, 3, 9000, k), 3);
    assert_int_equal(k[2], 2500);
    assert_int_equal(okno_vp8_allocate(r, 0, 100, k), OKNO_E_INVAL);
    unsigned cum[3];
    okno_vp8_temporal_split(3, 1000, cum);
    assert_int_equal(cum[0], 400);
    assert_int_equal(cum[1], 600);
    assert_int_equal(cum[2], 1000);
}

/* Three encodings of three temporal layers, started low enough that the top one is paused and
 * swept through low, paused and capped rates: libvpx wants strictly increasing layer rates, so a
 * paused encoding must idle at a rate it accepts (it refused 1 kbit/s split 40/60/100). The
 * encodings capped like web/okno.js's maxBitrate keep below 150/500/1500 kbit/s. */
static void test_vp8_simulcast_three_temporal_layers_survives_paused_and_capped_rates(void **state)
{
    (void)state;
    struct okno_vp8enc_config cfg = {.width = 640,
                                     .height = 360,
                                     .fps = 30,
                                     .encodings = 3,
                                     .temporal_layers = 3,
                                     .start_kbps = 240,
                                     .max_kbps = {150, 500, 1500}};
    struct okno_vp8enc *enc;
    assert_int_equal(okno_vp8enc_create(&cfg, &enc), 0);
    unsigned kbps[3];
    okno_vp8enc_allocation(enc, kbps);
    assert_int_equal(kbps[0], 150);
    assert_int_equal(kbps[1], 90);
    assert_int_equal(kbps[2], 0);
    struct okno_image img;
    assert_int_equal(okno_image_alloc(&img, 640, 360), 0);
    struct okno_vsrc src;
    struct okno_vsrc_config scfg = {.width = 640, .height = 360, .seed = 1};
    assert_int_equal(okno_vsrc_init(&src, &scfg), 0);
    static const unsigned rates[] = {1, 5, 9, 10, 11, 30, 160, 400, 2000, 3000, 20, 700, 1};
    unsigned n = 0;
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        assert_int_equal(okno_vp8enc_set_bitrate(enc, rates[r]), 0);
        okno_vp8enc_allocation(enc, kbps);
        assert_true(kbps[0] <= 150 && kbps[1] <= 500 && kbps[2] <= 1500);
        for (unsigned f = 0; f < 5; f++, n++) {
            assert_int_equal(okno_vsrc_render(&src, n, (int64_t)n * 33333, &img), 0);
            struct okno_vp8enc_frame out[3];
            assert_true(okno_vp8enc_encode(enc, &img, (int64_t)n * 33333, out) >= 0);
        }
    }
    /* at 3000 the caps hold: 150 + 150 (h's target) + 1500 */
    assert_int_equal(okno_vp8enc_set_bitrate(enc, 3000), 0);
    okno_vp8enc_allocation(enc, kbps);
    assert_int_equal(kbps[0], 150);
    assert_int_equal(kbps[1], 150);
    assert_int_equal(kbps[2], 1500);
    okno_vsrc_deinit(&src);
    okno_image_free(&img);
    okno_vp8enc_destroy(enc);
}

static void test_vp8_bitrate_change_shrinks_encoded_frames(void **state)
{
    (void)state;
    struct okno_vp8enc_config cfg = {.width = 320,
                                     .height = 180,
                                     .fps = 30,
                                     .encodings = 1,
                                     .temporal_layers = 1,
                                     .start_kbps = 1200};
    struct okno_vp8enc *enc;
    assert_int_equal(okno_vp8enc_create(&cfg, &enc), 0);
    struct okno_vsrc src;
    struct okno_vsrc_config scfg = {.width = 320, .height = 180, .seed = 5};
    assert_int_equal(okno_vsrc_init(&src, &scfg), 0);
    struct okno_image img;
    assert_int_equal(okno_image_alloc(&img, 320, 180), 0);
    size_t bytes[2] = {0};
    for (unsigned n = 0; n < 120; n++) {
        if (n == 60)
            assert_int_equal(okno_vp8enc_set_bitrate(enc, 150), 0);
        assert_int_equal(okno_vsrc_render(&src, n, n * 33333, &img), 0);
        struct okno_vp8enc_frame out[3];
        int k = okno_vp8enc_encode(enc, &img, n * 33333, out);
        assert_true(k >= 0);
        if (k && (n % 60) >= 30) /* the second second at each rate, once rate control settled */
            bytes[n / 60] += out[0].len;
    }
    /* One second at 1200 vs 150 kbit/s: the encoded bytes follow within a factor of two. */
    assert_true(bytes[0] > 3 * bytes[1]);
    assert_true(bytes[1] * 8 < 2 * 150 * 1000);
    okno_image_free(&img);
    okno_vsrc_deinit(&src);
    okno_vp8enc_destroy(enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vp8_packetizer_writes_rfc7741_descriptors_and_marker),
        cmocka_unit_test(test_vp8_round_trip_recovers_every_frame_and_its_number),
        cmocka_unit_test(test_vp8_round_trip_survives_reordering_within_window),
        cmocka_unit_test(test_vp8_assembler_drops_broken_frames_and_asks_for_keyframe),
        cmocka_unit_test(test_vp8_temporal_layers_follow_pattern),
        cmocka_unit_test(test_vp8_dropping_tl2_still_decodes_tl0_and_tl1),
        cmocka_unit_test(test_vp8_lost_tl0_frame_needs_keyframe_lost_tl1_does_not),
        cmocka_unit_test(test_vp8_simulcast_gives_three_streams_at_quarter_half_and_full_size),
        cmocka_unit_test(test_vp8_simulcast_allocation_follows_libwebrtc_order),
        cmocka_unit_test(test_vp8_bitrate_change_shrinks_encoded_frames),
        cmocka_unit_test(test_vp8_simulcast_three_temporal_layers_survives_paused_and_capped_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
