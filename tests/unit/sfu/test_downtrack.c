/* Unit tests of the downtrack's forwarding path (sfu/downtrack.h) on real Chromium packets: header
 * and extension rewriting, waiting for key frames, simulcast switches with sequence number,
 * timestamp and picture ID continuity, late packets, temporal layers, pause and resume, audio. */
#include "downtrack_fixtures.h"

static struct okno_downtrack *dt;
static struct fx_packet in, out;

static int setup(void **state)
{
    (void)state;
    fx_load_frames();
    fx_keyframe_calls = 0;
    fx_keyframe_ssrc = 0;
    struct okno_downtrack_params p = fx_params(true);
    assert_int_equal(okno_downtrack_create(&p, &fx_listener, &dt), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    okno_downtrack_destroy(dt);
    dt = NULL;
    return 0;
}

static uint64_t dropped(enum okno_downtrack_drop why)
{
    struct okno_downtrack_stats s;
    okno_downtrack_stats(dt, &s);
    return s.dropped[why];
}

static void test_downtrack_create_rejects_bad_parameters(void **state)
{
    (void)state;
    struct okno_downtrack *bad = NULL;
    struct okno_downtrack_params p = fx_params(true);
    p.pt = 128;
    assert_int_equal(okno_downtrack_create(&p, NULL, &bad), OKNO_E_INVAL);
    p = fx_params(true);
    p.rtx_pt = 200;
    assert_int_equal(okno_downtrack_create(&p, NULL, &bad), OKNO_E_INVAL);
    p = fx_params(true);
    p.mid = "this-mid-is-longer-than-16";
    assert_int_equal(okno_downtrack_create(&p, NULL, &bad), OKNO_E_INVAL);
    p.mid = "";
    assert_int_equal(okno_downtrack_create(&p, NULL, &bad), OKNO_E_INVAL);
    p = fx_params(true);
    const struct okno_downtrack_ext_map zero[] = {{.from = 0, .to = 3}};
    p.ext_map = zero;
    p.n_ext_map = 1;
    assert_int_equal(okno_downtrack_create(&p, NULL, &bad), OKNO_E_INVAL);
    p = fx_params(true);
    p.n_ext_map = OKNO_DOWNTRACK_MAX_EXT + 1;
    assert_int_equal(okno_downtrack_create(&p, NULL, &bad), OKNO_E_INVAL);
    p = fx_params(true);
    p.nack_max_age_us = -1;
    assert_int_equal(okno_downtrack_create(&p, NULL, &bad), OKNO_E_INVAL);
    assert_null(bad);
}

static void test_downtrack_forward_rewrites_header_and_keeps_payload(void **state)
{
    (void)state;
    fx_load(FX_KEY_A, &in);
    assert_int_equal(okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0), 1);
    assert_true(fx_forward(dt, &in, 1000, &out) > 0);
    assert_int_equal(out.rtp.ssrc, FX_OUT_SSRC);
    assert_int_equal(out.rtp.pt, FX_OUT_PT);
    /* The first source keeps its own numbering. */
    assert_int_equal(out.rtp.seq, 27681);
    assert_int_equal(out.rtp.ts, 4069415935u);
    assert_int_equal(out.rtp.marker, in.rtp.marker);
    assert_int_equal(out.rtp.payload_len, in.rtp.payload_len);
    assert_memory_equal(out.rtp.payload, in.rtp.payload, in.rtp.payload_len);
    struct okno_downtrack_stats s;
    okno_downtrack_stats(dt, &s);
    assert_int_equal(s.packets_sent, 1);
    assert_int_equal(s.bytes_sent, out.len);
    assert_int_equal(s.keyframes_forwarded, 1);
}

static void test_downtrack_rewrites_extension_ids_and_removes_unknown_ones(void **state)
{
    (void)state;
    fx_load(FX_KEY_A, &in);
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    struct okno_rtp_ext want, got;
    /* abs-send-time 2 -> 3, with its value. */
    assert_int_equal(okno_rtp_ext_find(&in.rtp, 2, &want), 0);
    assert_int_equal(okno_rtp_ext_find(&out.rtp, 3, &got), 0);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
    /* video-orientation 13 -> 4. */
    assert_int_equal(okno_rtp_ext_find(&in.rtp, 13, &want), 0);
    assert_int_equal(okno_rtp_ext_find(&out.rtp, 4, &got), 0);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
    /* The subscriber's mid, not the publisher's. */
    const char *mid;
    size_t mid_len;
    assert_int_equal(okno_rtp_ext_get_mid(&out.rtp, FX_MID_ID, &mid, &mid_len), 0);
    assert_int_equal(mid_len, 2);
    assert_memory_equal(mid, FX_MID, 2);
    /* Nothing else: transport-cc, video-timing and color-space are gone. */
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    int count = 0;
    okno_rtp_ext_iter_init(&it, &out.rtp);
    while (okno_rtp_ext_iter_next(&it, &e) == 1) {
        assert_true(e.id == 3 || e.id == 4 || e.id == FX_MID_ID);
        count++;
    }
    assert_int_equal(it.err, 0);
    assert_int_equal(count, 3);
    assert_int_equal(out.rtp.ext_profile, OKNO_RTP_EXT_PROFILE_ONE_BYTE);
}

static void test_downtrack_without_mapped_extensions_writes_no_block(void **state)
{
    (void)state;
    struct okno_downtrack_params p = fx_params(false);
    p.n_ext_map = 0;
    p.mid_id = 0;
    struct okno_downtrack *bare;
    assert_int_equal(okno_downtrack_create(&p, NULL, &bare), 0);
    fx_load(FX_KEY_A, &in);
    okno_downtrack_set_target(bare, FX_SSRC_A, 3, 0);
    int n = okno_downtrack_forward(bare, &in.rtp, in.buf, in.len, 0, out.buf, sizeof out.buf);
    assert_int_equal(n, OKNO_RTP_HEADER_LEN + in.rtp.payload_len);
    assert_int_equal(okno_rtp_parse(out.buf, (size_t)n, &out.rtp), 0);
    assert_false(out.rtp.extension);
    okno_downtrack_destroy(bare);
}

static void test_downtrack_waits_for_keyframe_and_asks_for_it(void **state)
{
    (void)state;
    struct fx_packet delta;
    fx_load(FX_DELTA_A, &delta);
    fx_load(FX_KEY_A, &in);
    /* Nothing selected yet: everything is paused. */
    assert_int_equal(fx_forward(dt, &in, 0, &out), 0);
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_PAUSED), 1);

    assert_int_equal(okno_downtrack_set_target(dt, FX_SSRC_A, 3, 1000), 1);
    assert_int_equal(fx_keyframe_calls, 1);
    assert_int_equal(fx_keyframe_ssrc, FX_SSRC_A);
    assert_int_equal(okno_downtrack_awaited_keyframe(dt), FX_SSRC_A);
    /* A delta frame cannot start the stream; the request is not repeated within 500 ms... */
    assert_int_equal(fx_forward(dt, &delta, 2000, &out), 0);
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_WAIT_KEYFRAME), 1);
    assert_int_equal(fx_keyframe_calls, 1);
    /* ...but is after it, while the key frame is still missing. */
    assert_int_equal(fx_forward(dt, &delta, 501000, &out), 0);
    assert_int_equal(fx_keyframe_calls, 2);
    /* Other encodings are not ours. */
    struct fx_packet other;
    fx_load(FX_KEY_B, &other);
    assert_int_equal(fx_forward(dt, &other, 502000, &out), 0);
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_NOT_SELECTED), 1);

    assert_true(fx_forward(dt, &in, 503000, &out) > 0);
    assert_int_equal(okno_downtrack_awaited_keyframe(dt), 0);
    assert_int_equal(okno_downtrack_set_target(dt, FX_SSRC_A, 3, 504000), 0);
    assert_int_equal(fx_keyframe_calls, 2);
}

static void test_downtrack_switch_continues_seq_timestamp_and_picture_id(void **state)
{
    (void)state;
    struct fx_packet key_b, out_a;
    fx_load(FX_KEY_A, &in);
    fx_load(FX_KEY_B, &key_b);
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    assert_true(fx_forward(dt, &in, 1000000, &out_a) > 0);
    assert_int_equal(fx_picture_id(&out_a), 0x4716);

    /* Switch to B: A keeps flowing until B's key frame. */
    assert_int_equal(okno_downtrack_set_target(dt, FX_SSRC_B, 3, 1010000), 1);
    assert_int_equal(fx_keyframe_ssrc, FX_SSRC_B);
    in.rtp.seq = 27682;
    okno_rtp_set_seq(in.buf, in.len, 27682);
    in.rtp.ts += 900;
    okno_rtp_set_ts(in.buf, in.len, in.rtp.ts);
    /* (Same picture ID again: the munger numbers it as the same picture.) */
    assert_true(fx_forward(dt, &in, 1010000, &out) > 0);
    assert_int_equal(out.rtp.seq, 27682);

    /* B's key frame 40 ms after A's last packet: seq + 1, ts + 3600, picture ID + 1. */
    assert_true(fx_forward(dt, &key_b, 1050000, &out) > 0);
    assert_int_equal(out.rtp.ssrc, FX_OUT_SSRC);
    assert_int_equal(out.rtp.seq, 27683);
    assert_int_equal(out.rtp.ts, 4069415935u + 900 + 3600);
    assert_int_equal(fx_picture_id(&out), 0x4717);
    /* The frame itself is B's, untouched past the descriptor. */
    struct okno_vp8_desc d;
    int dl = okno_vp8_parse_desc(key_b.rtp.payload, key_b.rtp.payload_len, &d);
    assert_true(dl > 0);
    assert_int_equal(out.rtp.payload_len, key_b.rtp.payload_len);
    assert_memory_equal(out.rtp.payload + dl, key_b.rtp.payload + dl,
                        key_b.rtp.payload_len - (size_t)dl);

    /* A is no longer forwarded. */
    in.rtp.seq = 27683;
    okno_rtp_set_seq(in.buf, in.len, 27683);
    assert_int_equal(fx_forward(dt, &in, 1060000, &out), 0);
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_NOT_SELECTED), 1);
}

static void test_downtrack_drops_late_packet_from_before_switch(void **state)
{
    (void)state;
    struct fx_packet key_b, late_b;
    fx_load(FX_KEY_A, &in);
    fx_load(FX_KEY_B, &key_b);
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    okno_downtrack_set_target(dt, FX_SSRC_B, 3, 0);
    assert_true(fx_forward(dt, &key_b, 33000, &out) > 0);
    /* A packet of B from before its key frame, reordered behind it. */
    struct fx_vp8 f = {.ssrc = FX_SSRC_B, .seq = 28295, .ts = 1028779017 - 3000, .pic = 0x62ab};
    fx_build(&f, &late_b);
    assert_int_equal(fx_forward(dt, &late_b, 34000, &out), 0);
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_LATE), 1);
    struct okno_downtrack_stats s;
    okno_downtrack_stats(dt, &s);
    assert_int_equal(s.packets_sent, 2);
}

/* Frames 0..n-1 in the 0,2,1,2 pattern, one packet each, 3000 ticks apart. */
static void build_frame(unsigned i, struct fx_packet *p)
{
    static const uint8_t tid_of[4] = {0, 2, 1, 2};
    struct fx_vp8 f = {.ssrc = FX_SSRC_A,
                       .seq = (uint16_t)(5000 + i),
                       .ts = 90000 + 3000 * i,
                       .pic = (uint16_t)(300 + i),
                       .tl0 = (uint8_t)(40 + i / 4),
                       .tid = tid_of[i % 4],
                       .y = tid_of[i % 4] != 0 && i % 4 < 3,
                       .key = i == 0};
    fx_build(&f, p);
}

static void test_downtrack_output_continuous_across_dropped_tl2_frames(void **state)
{
    (void)state;
    okno_downtrack_set_target(dt, FX_SSRC_A, 1, 0);
    uint16_t want_seq = 5000, want_pic = 300;
    for (unsigned i = 0; i < 12; i++) {
        build_frame(i, &in);
        int n = fx_forward(dt, &in, 33000 * i, &out);
        if (i % 2 == 1) {
            assert_int_equal(n, 0); /* TL2 */
            continue;
        }
        assert_true(n > 0);
        assert_int_equal(out.rtp.seq, want_seq++);
        assert_int_equal(out.rtp.ts, 90000 + 3000 * i);
        assert_int_equal(fx_picture_id(&out), want_pic++);
        assert_int_equal(fx_tl0picidx(&out), 40 + i / 4);
    }
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_TEMPORAL), 6);
}

static void test_downtrack_temporal_upgrade_waits_for_layer_sync(void **state)
{
    (void)state;
    okno_downtrack_set_target(dt, FX_SSRC_A, 0, 0);
    build_frame(0, &in);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    okno_downtrack_set_target(dt, FX_SSRC_A, 2, 0);
    /* Frame 1 is TL2 with Y set: a sync point, forwarded. Build one without Y first. */
    struct fx_vp8 f = {
        .ssrc = FX_SSRC_A, .seq = 5001, .ts = 93000, .pic = 301, .tl0 = 40, .tid = 2};
    fx_build(&f, &in);
    assert_int_equal(fx_forward(dt, &in, 33000, &out), 0);
    build_frame(2, &in); /* TL1, Y */
    assert_true(fx_forward(dt, &in, 66000, &out) > 0);
    assert_int_equal(out.rtp.seq, 5001);
    assert_int_equal(fx_picture_id(&out), 301);
    build_frame(3, &in); /* TL2, no Y: the target is open up to 2, and TL1 synced */
    assert_int_equal(fx_forward(dt, &in, 99000, &out), 0);
    build_frame(5, &in); /* TL2 with Y */
    assert_true(fx_forward(dt, &in, 165000, &out) > 0);
    build_frame(7, &in); /* TL2, no Y, now within the synced layers */
    assert_true(fx_forward(dt, &in, 231000, &out) > 0);
    /* A downgrade applies at the next frame, without waiting. */
    okno_downtrack_set_target(dt, FX_SSRC_A, 0, 0);
    build_frame(9, &in);
    assert_int_equal(fx_forward(dt, &in, 297000, &out), 0);
    build_frame(12, &in);
    assert_true(fx_forward(dt, &in, 396000, &out) > 0);
}

static void test_downtrack_decides_once_per_frame(void **state)
{
    (void)state;
    okno_downtrack_set_target(dt, FX_SSRC_A, 2, 0);
    build_frame(0, &in);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    build_frame(1, &in);
    assert_true(fx_forward(dt, &in, 33000, &out) > 0);
    /* The target drops below TL2 mid-frame: the frame's second packet still goes. */
    okno_downtrack_set_target(dt, FX_SSRC_A, 0, 0);
    struct fx_vp8 f = {
        .ssrc = FX_SSRC_A, .seq = 5002, .ts = 93000, .pic = 301, .tl0 = 40, .tid = 2};
    fx_build(&f, &in);
    assert_true(fx_forward(dt, &in, 34000, &out) > 0);
    assert_int_equal(out.rtp.seq, 5002);
}

static void test_downtrack_drops_padding_without_a_gap(void **state)
{
    (void)state;
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    build_frame(0, &in);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    /* A padding-only packet on the media SSRC, as senders probe without RTX. */
    struct fx_packet pad;
    struct okno_rtp_pkt h = {.pt = 96, .seq = 5001, .ts = 90000, .ssrc = FX_SSRC_A};
    int hl = okno_rtp_write_header(pad.buf, sizeof pad.buf, &h);
    int len = okno_rtp_append_padding(pad.buf, (size_t)hl, sizeof pad.buf, 200);
    assert_true(len > 0);
    pad.len = (size_t)len;
    assert_int_equal(okno_rtp_parse(pad.buf, pad.len, &pad.rtp), 0);
    assert_int_equal(fx_forward(dt, &pad, 1000, &out), 0);
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_PADDING), 1);
    struct fx_vp8 f = {.ssrc = FX_SSRC_A, .seq = 5002, .ts = 93000, .pic = 301, .tl0 = 40};
    fx_build(&f, &in);
    assert_true(fx_forward(dt, &in, 33000, &out) > 0);
    assert_int_equal(out.rtp.seq, 5001);
}

static void test_downtrack_pause_and_resume_need_keyframe_and_leave_no_gap(void **state)
{
    (void)state;
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    build_frame(0, &in);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    assert_int_equal(okno_downtrack_set_target(dt, 0, 3, 0), 0);
    for (unsigned i = 1; i < 4; i++) {
        build_frame(i, &in);
        assert_int_equal(fx_forward(dt, &in, 33000 * i, &out), 0);
    }
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_PAUSED), 3);
    unsigned calls = fx_keyframe_calls;
    assert_int_equal(okno_downtrack_set_target(dt, FX_SSRC_A, 3, 140000), 1);
    assert_int_equal(fx_keyframe_calls, calls + 1);
    build_frame(4, &in);
    assert_int_equal(fx_forward(dt, &in, 140000, &out), 0);
    struct fx_vp8 f = {
        .ssrc = FX_SSRC_A, .seq = 5005, .ts = 90000 + 15000, .pic = 305, .tl0 = 42, .key = true};
    fx_build(&f, &in);
    assert_true(fx_forward(dt, &in, 170000, &out) > 0);
    assert_int_equal(out.rtp.seq, 5001);
    assert_int_equal(out.rtp.ts, 105000);
    assert_int_equal(fx_picture_id(&out), 301);
    assert_int_equal(fx_tl0picidx(&out), 41);
}

/* A restart gives up the chain: every packet waits for a key frame, which is asked for only once
 * the drain time has passed (with the first packet dropped after it), and the numbering goes on
 * without a gap. Audio, a paused downtrack or one that sent nothing has no chain to restart. */
static void test_downtrack_restart_waits_for_a_keyframe_asked_after_the_drain(void **state)
{
    (void)state;
    assert_int_equal(okno_downtrack_restart(dt, 0, 0), 0); /* nothing sent yet */
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    build_frame(0, &in);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    unsigned calls = fx_keyframe_calls;
    assert_int_equal(okno_downtrack_restart(dt, 100000, 10000), 1);
    assert_int_equal(okno_downtrack_awaited_keyframe(dt), FX_SSRC_A);
    assert_int_equal(fx_keyframe_calls, calls);
    for (unsigned i = 1; i < 4; i++) {
        build_frame(i, &in);
        assert_int_equal(fx_forward(dt, &in, 10000 + 40000 * i, &out), 0);
        /* frames 1 and 2 come while the queue drains, frame 3 after: the request goes out */
        assert_int_equal(fx_keyframe_calls, calls + (i == 3));
    }
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_WAIT_KEYFRAME), 3);
    struct fx_vp8 f = {
        .ssrc = FX_SSRC_A, .seq = 5004, .ts = 90000 + 12000, .pic = 304, .tl0 = 41, .key = true};
    fx_build(&f, &in);
    assert_true(fx_forward(dt, &in, 150000, &out) > 0);
    assert_int_equal(out.rtp.seq, 5001);
    assert_int_equal(fx_picture_id(&out), 301);
    assert_int_equal(okno_downtrack_awaited_keyframe(dt), 0);
    assert_int_equal(okno_downtrack_set_target(dt, 0, 3, 160000), 0);
    assert_int_equal(okno_downtrack_restart(dt, 0, 170000), 0); /* paused */
}

static void test_downtrack_back_to_current_source_needs_no_keyframe(void **state)
{
    (void)state;
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    build_frame(0, &in);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    assert_int_equal(okno_downtrack_set_target(dt, FX_SSRC_B, 3, 0), 1);
    assert_int_equal(okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0), 0);
    assert_int_equal(okno_downtrack_awaited_keyframe(dt), 0);
    build_frame(1, &in);
    assert_true(fx_forward(dt, &in, 33000, &out) > 0);
}

static void test_downtrack_nospc_changes_nothing(void **state)
{
    (void)state;
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    build_frame(0, &in);
    uint8_t small[64];
    assert_int_equal(okno_downtrack_forward(dt, &in.rtp, in.buf, in.len, 0, small, sizeof small),
                     OKNO_E_NOSPC);
    assert_int_equal(okno_downtrack_awaited_keyframe(dt), FX_SSRC_A);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    assert_int_equal(out.rtp.seq, 5000);
    /* A parse of another buffer is refused. */
    assert_int_equal(okno_downtrack_forward(dt, &in.rtp, out.buf, in.len, 0, small, sizeof small),
                     OKNO_E_INVAL);
}

static void test_downtrack_drops_malformed_vp8_payload(void **state)
{
    (void)state;
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    build_frame(0, &in);
    assert_true(fx_forward(dt, &in, 0, &out) > 0);
    /* Only a descriptor, no VP8 bytes after it. */
    build_frame(1, &in);
    in.len = in.rtp.header_len + 6;
    assert_int_equal(okno_rtp_parse(in.buf, in.len, &in.rtp), 0);
    assert_int_equal(fx_forward(dt, &in, 33000, &out), 0);
    assert_int_equal(dropped(OKNO_DOWNTRACK_DROP_MALFORMED), 1);
}

static void test_downtrack_audio_switches_source_at_once(void **state)
{
    (void)state;
    struct fx_packet a, b;
    fx_load("seq=32621 ts=438573592 ssrc=21cf9e72", &a);
    fx_load("seq=16526 ts=840921802 ssrc=82fa165c", &b);
    const struct okno_downtrack_ext_map map[] = {{.from = 1, .to = 10}};
    struct okno_downtrack_params p = {
        .ssrc = 0x1234, .pt = 111, .clock_rate = 48000, .ext_map = map, .n_ext_map = 1};
    struct okno_downtrack *audio;
    assert_int_equal(okno_downtrack_create(&p, &fx_listener, &audio), 0);
    unsigned calls = fx_keyframe_calls;
    assert_int_equal(okno_downtrack_set_target(audio, 0x21cf9e72, 0, 0), 0);
    int n = okno_downtrack_forward(audio, &a.rtp, a.buf, a.len, 0, out.buf, sizeof out.buf);
    assert_true(n > 0);
    assert_int_equal(okno_rtp_parse(out.buf, (size_t)n, &out.rtp), 0);
    assert_int_equal(out.rtp.seq, 32621);
    bool voice, voice_in;
    uint8_t level, level_in;
    assert_int_equal(okno_rtp_ext_get_audio_level(&a.rtp, 1, &voice_in, &level_in), 0);
    assert_int_equal(okno_rtp_ext_get_audio_level(&out.rtp, 10, &voice, &level), 0);
    assert_int_equal(voice, voice_in);
    assert_int_equal(level, level_in);
    /* The other participant's audio right away, 20 ms later. */
    assert_int_equal(okno_downtrack_set_target(audio, 0x82fa165c, 0, 0), 0);
    n = okno_downtrack_forward(audio, &b.rtp, b.buf, b.len, 20000, out.buf, sizeof out.buf);
    assert_true(n > 0);
    assert_int_equal(okno_rtp_parse(out.buf, (size_t)n, &out.rtp), 0);
    assert_int_equal(out.rtp.seq, 32622);
    assert_int_equal(out.rtp.ts, 438573592u + 960);
    assert_memory_equal(out.rtp.payload, b.rtp.payload, b.rtp.payload_len);
    assert_int_equal(fx_keyframe_calls, calls);
    okno_downtrack_destroy(audio);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_downtrack_create_rejects_bad_parameters),
        T(test_downtrack_forward_rewrites_header_and_keeps_payload),
        T(test_downtrack_rewrites_extension_ids_and_removes_unknown_ones),
        T(test_downtrack_without_mapped_extensions_writes_no_block),
        T(test_downtrack_waits_for_keyframe_and_asks_for_it),
        T(test_downtrack_switch_continues_seq_timestamp_and_picture_id),
        T(test_downtrack_drops_late_packet_from_before_switch),
        T(test_downtrack_output_continuous_across_dropped_tl2_frames),
        T(test_downtrack_temporal_upgrade_waits_for_layer_sync),
        T(test_downtrack_decides_once_per_frame),
        T(test_downtrack_drops_padding_without_a_gap),
        T(test_downtrack_pause_and_resume_need_keyframe_and_leave_no_gap),
        T(test_downtrack_restart_waits_for_a_keyframe_asked_after_the_drain),
        T(test_downtrack_back_to_current_source_needs_no_keyframe),
        T(test_downtrack_nospc_changes_nothing),
        T(test_downtrack_drops_malformed_vp8_payload),
        T(test_downtrack_audio_switches_source_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
