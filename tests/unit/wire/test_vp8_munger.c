/* Unit tests of the VP8 picture ID / TL0PICIDX munger (wire/vp8_munger.h): continuity across
 * simulcast switches, dropped temporal-layer frames and picture ID wrap, late packets, and the
 * munger's output written into real packets with okno_vp8_rewrite. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/vp8.h"
#include "wire/vp8_munger.h"

#define SRC_A 0x1111
#define SRC_B 0x2222

static struct okno_vp8_munger_out last;

/* Feeds one packet with a 15-bit picture ID and a TL0PICIDX. */
static int feed(struct okno_vp8_munger *m, uint32_t source, uint16_t pid, uint8_t tl0, bool forward)
{
    struct okno_vp8_munger_in in = {.source = source,
                                    .picture_id = pid,
                                    .picture_id_bits = 15,
                                    .has_tl0picidx = true,
                                    .tl0picidx = tl0,
                                    .forward = forward};
    return okno_vp8_munger_update(m, &in, &last);
}

static void expect_forward(struct okno_vp8_munger *m, uint32_t source, uint16_t pid, uint8_t tl0,
                           uint16_t out_pid, uint8_t out_tl0)
{
    assert_int_equal(feed(m, source, pid, tl0, true), 1);
    assert_int_equal(last.picture_id, out_pid);
    assert_true(last.has_tl0picidx);
    assert_int_equal(last.tl0picidx, out_tl0);
}

static void test_vp8_munger_first_source_keeps_its_numbering(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    /* Frames before the first forwarded one (waiting for a key frame) leave no trace. */
    assert_int_equal(feed(&m, SRC_A, 99, 9, false), 0);
    for (uint16_t i = 0; i < 3; i++) {
        expect_forward(&m, SRC_A, (uint16_t)(100 + i), (uint8_t)(10 + i), (uint16_t)(100 + i),
                       (uint8_t)(10 + i));
        expect_forward(&m, SRC_A, (uint16_t)(100 + i), (uint8_t)(10 + i), (uint16_t)(100 + i),
                       (uint8_t)(10 + i));
    }
}

static void test_vp8_munger_continues_numbering_across_simulcast_switch(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    for (uint16_t i = 0; i < 3; i++)
        expect_forward(&m, SRC_A, (uint16_t)(100 + i), (uint8_t)(10 + i), (uint16_t)(100 + i),
                       (uint8_t)(10 + i));
    /* Switch up to B on its key frame: B's own numbers are far away. */
    expect_forward(&m, SRC_B, 5000, 200, 103, 13);
    expect_forward(&m, SRC_B, 5000, 200, 103, 13);
    /* A keeps arriving but is no longer forwarded: ignored. */
    assert_int_equal(feed(&m, SRC_A, 103, 13, false), 0);
    expect_forward(&m, SRC_B, 5001, 201, 104, 14);
    expect_forward(&m, SRC_B, 5002, 202, 105, 15);
    /* And back down to A, whose numbering moved on meanwhile. */
    expect_forward(&m, SRC_A, 110, 20, 106, 16);
    expect_forward(&m, SRC_A, 111, 21, 107, 17);
}

/* Three temporal layers in the usual 0,2,1,2 pattern, TL0PICIDX counting TL0 frames, two packets a
 * frame. Forwarding up to max_tid, the subscriber must see consecutive picture IDs and TL0PICIDX.
 */
static void run_temporal_pattern(unsigned max_tid)
{
    static const uint8_t tid_of[4] = {0, 2, 1, 2};
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    uint16_t next_out = 1000;
    uint8_t tl0 = 50, out_tl0 = 50;
    for (uint16_t f = 0; f < 40; f++) {
        uint8_t tid = tid_of[f % 4];
        if (tid == 0 && f > 0) {
            tl0++;
            out_tl0++;
        }
        bool fwd = tid <= max_tid;
        for (int pkt = 0; pkt < 2; pkt++) {
            if (fwd) {
                expect_forward(&m, SRC_A, (uint16_t)(1000 + f), tl0, next_out, out_tl0);
            } else {
                assert_int_equal(feed(&m, SRC_A, (uint16_t)(1000 + f), tl0, false), 0);
            }
        }
        if (fwd)
            next_out++;
    }
    assert_int_equal(next_out, 1000 + (max_tid == 0 ? 10 : 20));
}

static void test_vp8_munger_closes_gaps_of_dropped_tl2_frames(void **state)
{
    (void)state;
    run_temporal_pattern(1);
}

static void test_vp8_munger_closes_gaps_of_dropped_tl1_and_tl2_frames(void **state)
{
    (void)state;
    run_temporal_pattern(0);
}

static void test_vp8_munger_closes_gap_of_dropped_base_frame_in_tl0picidx(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    expect_forward(&m, SRC_A, 10, 1, 10, 1);
    assert_int_equal(feed(&m, SRC_A, 11, 2, false), 0); /* a TL0 frame dropped (paused, say) */
    expect_forward(&m, SRC_A, 12, 3, 11, 2);
}

static void test_vp8_munger_wraps_15_bit_picture_id(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    expect_forward(&m, SRC_A, 32765, 0, 32765, 0);
    assert_int_equal(feed(&m, SRC_A, 32766, 0, false), 0);
    expect_forward(&m, SRC_A, 32767, 0, 32766, 0);
    assert_int_equal(feed(&m, SRC_A, 0, 0, false), 0);
    expect_forward(&m, SRC_A, 1, 0, 32767, 0);
    expect_forward(&m, SRC_A, 2, 0, 0, 0);
    expect_forward(&m, SRC_A, 3, 0, 1, 0);
}

static void test_vp8_munger_wraps_7_bit_source_after_switch(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    expect_forward(&m, SRC_A, 32767, 7, 32767, 7);
    struct okno_vp8_munger_in in = {.source = SRC_B, .picture_id_bits = 7, .forward = true};
    static const uint16_t in_pid[] = {126, 127, 0, 1};
    for (unsigned i = 0; i < 4; i++) {
        in.picture_id = in_pid[i];
        struct okno_vp8_munger_out out;
        assert_int_equal(okno_vp8_munger_update(&m, &in, &out), 1);
        assert_int_equal(out.picture_id, i);
        assert_false(out.has_tl0picidx);
    }
    /* Written into the packet's 7-bit field, the value wraps to it. */
    uint8_t pkt[] = {0x90, 0x80, 0x7e, 0xb1, 0x0b, 0x00};
    struct okno_vp8_desc w = {.picture_id = 0x7fff};
    assert_int_equal(okno_vp8_rewrite(pkt, sizeof pkt, &w), 0);
    assert_int_equal(pkt[2], 0x7f);
}

static void test_vp8_munger_numbers_late_packets_as_when_they_were_new(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    expect_forward(&m, SRC_B, 5000, 1, 5000, 1);
    expect_forward(&m, SRC_B, 5001, 1, 5001, 1);
    assert_int_equal(feed(&m, SRC_B, 5002, 1, false), 0);
    expect_forward(&m, SRC_B, 5003, 1, 5002, 1);
    assert_int_equal(feed(&m, SRC_B, 5004, 1, false), 0);
    expect_forward(&m, SRC_B, 5005, 1, 5003, 1);
    /* A retransmission of 5001 and a reordered packet of 5003 keep their numbers. */
    expect_forward(&m, SRC_B, 5001, 1, 5001, 1);
    expect_forward(&m, SRC_B, 5003, 1, 5002, 1);
    /* A late packet of a dropped frame cannot be forwarded. */
    assert_int_equal(feed(&m, SRC_B, 5002, 1, true), OKNO_E_STATE);
    /* Nor one from before the switch to this source. */
    assert_int_equal(feed(&m, SRC_B, 4999, 1, true), OKNO_E_RANGE);
    /* A late packet that is dropped anyway changes nothing. */
    assert_int_equal(feed(&m, SRC_B, 5001, 1, false), 0);
    expect_forward(&m, SRC_B, 5006, 1, 5004, 1);
}

static void test_vp8_munger_refuses_late_packets_beyond_drop_memory(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    uint16_t pid = 200, out = 200;
    expect_forward(&m, SRC_A, pid++, 0, out++, 0);
    for (int i = 0; i < OKNO_VP8_MUNGER_DROPS + 1; i++) {
        assert_int_equal(feed(&m, SRC_A, pid++, 0, false), 0);
        expect_forward(&m, SRC_A, pid++, 0, out++, 0);
    }
    /* 200 is older than the drop that fell out of the ring: its number is unknown. */
    assert_int_equal(feed(&m, SRC_A, 200, 0, true), OKNO_E_RANGE);
    /* The last forwarded frame before the newest drop is still numbered right. */
    expect_forward(&m, SRC_A, (uint16_t)(pid - 3), 0, (uint16_t)(out - 2), 0);
}

static void test_vp8_munger_refuses_forwarding_part_of_a_dropped_frame(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    expect_forward(&m, SRC_A, 20, 0, 20, 0);
    assert_int_equal(feed(&m, SRC_A, 21, 0, false), 0);
    assert_int_equal(feed(&m, SRC_A, 21, 0, true), OKNO_E_STATE);
    expect_forward(&m, SRC_A, 22, 0, 21, 0);
}

static void test_vp8_munger_rejects_bad_picture_id_width(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    struct okno_vp8_munger_in in = {.source = SRC_A, .picture_id_bits = 0, .forward = true};
    struct okno_vp8_munger_out out;
    assert_int_equal(okno_vp8_munger_update(&m, &in, &out), OKNO_E_INVAL);
    assert_false(m.started);
}

/* The downtrack's loop in small: parse, munge, rewrite, and what the subscriber parses is
 * continuous. */
static void test_vp8_munger_output_rewritten_into_real_packets(void **state)
{
    (void)state;
    struct okno_vp8_munger m;
    okno_vp8_munger_init(&m);
    uint8_t pkt[64];
    static const char *frames[] = {
        "90 e0 9a 4b 21 20 d0 39 00 9d 01 2a 40 01 b4 00 # key frame, pid 6731, TID 0\n",
        "90 e0 9a 4c 21 80 b1 0b 00 0d # pid 6732, TID 2: dropped\n",
        "90 e0 9a 4d 21 60 b1 0b 00 0d # pid 6733, TID 1\n",
    };
    uint16_t expect_pid[] = {6731, 0, 6732};
    for (unsigned i = 0; i < 3; i++) {
        size_t len = okno_test_hex(frames[i], pkt, sizeof pkt);
        struct okno_vp8_packet p;
        assert_int_equal(okno_vp8_parse(pkt, len, &p), 0);
        struct okno_vp8_munger_in in = {.source = SRC_A,
                                        .picture_id = p.desc.picture_id,
                                        .picture_id_bits = p.desc.picture_id_bits,
                                        .has_tl0picidx = p.desc.has_tl0picidx,
                                        .tl0picidx = p.desc.tl0picidx,
                                        .forward = p.desc.tid < 2};
        struct okno_vp8_munger_out out;
        int rc = okno_vp8_munger_update(&m, &in, &out);
        assert_int_equal(rc, in.forward ? 1 : 0);
        if (!rc)
            continue;
        struct okno_vp8_desc w = p.desc;
        w.picture_id = out.picture_id;
        w.tl0picidx = out.tl0picidx;
        assert_int_equal(okno_vp8_rewrite(pkt, len, &w), 0);
        assert_int_equal(okno_vp8_parse(pkt, len, &p), 0);
        assert_int_equal(p.desc.picture_id, expect_pid[i]);
        assert_int_equal(p.desc.tl0picidx, 0x21);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vp8_munger_first_source_keeps_its_numbering),
        cmocka_unit_test(test_vp8_munger_continues_numbering_across_simulcast_switch),
        cmocka_unit_test(test_vp8_munger_closes_gaps_of_dropped_tl2_frames),
        cmocka_unit_test(test_vp8_munger_closes_gaps_of_dropped_tl1_and_tl2_frames),
        cmocka_unit_test(test_vp8_munger_closes_gap_of_dropped_base_frame_in_tl0picidx),
        cmocka_unit_test(test_vp8_munger_wraps_15_bit_picture_id),
        cmocka_unit_test(test_vp8_munger_wraps_7_bit_source_after_switch),
        cmocka_unit_test(test_vp8_munger_numbers_late_packets_as_when_they_were_new),
        cmocka_unit_test(test_vp8_munger_refuses_late_packets_beyond_drop_memory),
        cmocka_unit_test(test_vp8_munger_refuses_forwarding_part_of_a_dropped_frame),
        cmocka_unit_test(test_vp8_munger_rejects_bad_picture_id_width),
        cmocka_unit_test(test_vp8_munger_output_rewritten_into_real_packets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
