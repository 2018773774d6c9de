#include "testutil.h"

#include "media/frame_assembler.h"
#include "okno/err.h"

/* A packet of a key frame (key) or a delta frame; the first packet carries the key flag. */
static int push_frame(struct okno_fasm *a, uint16_t seq, uint32_t ts, bool start, bool marker,
                      bool key, int64_t now_us)
{
    uint8_t payload[4] = {(uint8_t)(seq >> 8), (uint8_t)seq, 0xaa, 0x55};
    struct okno_fasm_pkt p = {.seq = seq,
                              .ts = ts,
                              .marker = marker,
                              .frame_start = start,
                              .payload = payload,
                              .len = sizeof payload,
                              .meta = {.keyframe = key && start}};
    return okno_fasm_push(a, &p, now_us);
}

static int push(struct okno_fasm *a, uint16_t seq, uint32_t ts, bool start, bool marker,
                int64_t now_us)
{
    return push_frame(a, seq, ts, start, marker, false, now_us);
}

static int push_key(struct okno_fasm *a, uint16_t seq, uint32_t ts, bool start, bool marker,
                    int64_t now_us)
{
    return push_frame(a, seq, ts, start, marker, true, now_us);
}

static struct okno_fasm *make(unsigned reorder_pkts, int64_t reorder_us, size_t max_frame)
{
    struct okno_fasm *a;
    struct okno_fasm_config cfg = {reorder_pkts, reorder_us, max_frame};
    assert_int_equal(okno_fasm_create(&cfg, &a), 0);
    return a;
}

static void test_assembler_waits_for_missing_packet_then_gives_up_after_reorder_time(void **state)
{
    (void)state;
    struct okno_fasm *a = make(100, 50000, 0);
    struct okno_fasm_frame f;
    /* Frame A: 65534, 65535, 0 (across the wrap); frame B: 1, 2 with 1 missing for a while. */
    assert_int_equal(push(a, 65534, 3000, true, false, 0), 0);
    assert_int_equal(push(a, 0, 3000, false, true, 1000), 0);
    assert_int_equal(okno_fasm_pop(a, 1000, &f), 0); /* 65535 missing */
    assert_int_equal(push(a, 65535, 3000, false, false, 2000), 0);
    assert_int_equal(okno_fasm_pop(a, 2000, &f), 1);
    assert_int_equal(f.len, 12);
    assert_int_equal(f.data[0], 0xff);
    assert_int_equal(f.data[1], 0xfe);
    assert_int_equal(f.last_seq - f.first_seq, 2);
    assert_false(f.lost_before);
    assert_int_equal(push(a, 65535, 3000, false, false, 2500), 1); /* late now */
    assert_int_equal(push(a, 2, 6000, false, true, 3000), 0);
    assert_int_equal(okno_fasm_pop(a, 3000, &f), 0); /* the wait for 1 starts here */
    assert_int_equal(push(a, 3, 9000, true, true, 4000), 0);
    assert_int_equal(push(a, 3, 9000, true, true, 4000), 1); /* duplicate */
    assert_int_equal(okno_fasm_pop(a, 4000, &f), 0);
    assert_int_equal(okno_fasm_pop(a, 52999, &f), 0); /* still waiting for 1 */
    assert_int_equal(okno_fasm_pop(a, 53000, &f), 1); /* 1 lost: frame B dropped, C follows */
    assert_int_equal(f.ts, 9000);
    assert_true(f.lost_before);
    struct okno_fasm_stats st = okno_fasm_stats(a);
    assert_int_equal(st.lost_packets, 1);
    assert_int_equal(st.late, 1);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.frames, 2);
    okno_fasm_destroy(a);
}

static void
test_assembler_declares_hole_lost_after_reorder_packets_and_drops_oversized(void **state)
{
    (void)state;
    struct okno_fasm *a = make(4, 1000000, 8);
    struct okno_fasm_frame f;
    assert_int_equal(push(a, 10, 1, true, true, 0), 0);
    assert_int_equal(okno_fasm_pop(a, 0, &f), 1);
    /* 11 missing; 12..15 are single-packet frames: at the fourth newer packet 11 is lost. */
    for (uint16_t s = 12; s <= 14; s++) {
        assert_int_equal(push(a, s, s, true, true, 0), 0);
        assert_int_equal(okno_fasm_pop(a, 0, &f), 0);
    }
    assert_int_equal(push(a, 15, 15, true, true, 0), 0);
    for (uint16_t s = 12; s <= 15; s++) {
        assert_int_equal(okno_fasm_pop(a, 0, &f), 1);
        assert_int_equal(f.ts, s);
        assert_int_equal(f.lost_before, s == 12);
    }
    /* A three-packet frame of 12 bytes exceeds the 8-byte limit: dropped whole. */
    assert_int_equal(push(a, 16, 16, true, false, 0), 0);
    assert_int_equal(push(a, 17, 16, false, false, 0), 0);
    assert_int_equal(push(a, 18, 16, false, true, 0), 0);
    assert_int_equal(push(a, 19, 19, true, true, 0), 0);
    assert_int_equal(okno_fasm_pop(a, 0, &f), 1);
    assert_int_equal(f.ts, 19);
    assert_true(f.lost_before);
    assert_int_equal(okno_fasm_stats(a).oversized_frames, 1);
    okno_fasm_destroy(a);
}

static void test_assembler_drops_frame_without_start_or_marker_and_survives_jumps(void **state)
{
    (void)state;
    struct okno_fasm *a = make(2, 1000000, 0);
    struct okno_fasm_frame f;
    /* The stream's first packets arrive second-first: the start moves back to 100. */
    assert_int_equal(push(a, 101, 5, false, true, 0), 0);
    assert_int_equal(okno_fasm_pop(a, 0, &f), 0);
    assert_int_equal(push(a, 100, 5, true, false, 0), 0);
    assert_int_equal(okno_fasm_pop(a, 0, &f), 1);
    assert_int_equal(f.first_seq, 100);
    /* 102 starts a frame that never ends: 103 starts another one. */
    assert_int_equal(push(a, 102, 6, true, false, 0), 0);
    assert_int_equal(push(a, 103, 7, true, true, 0), 0);
    assert_int_equal(okno_fasm_pop(a, 0, &f), 1);
    assert_int_equal(f.ts, 7);
    assert_true(f.lost_before);
    /* A jump far ahead (a restarted sender) resets the window instead of walking it. */
    assert_int_equal(push(a, 30000, 8, true, true, 0), 0);
    assert_int_equal(okno_fasm_pop(a, 0, &f), 1);
    assert_int_equal(f.ts, 8);
    assert_true(f.lost_before);
    /* A continuation whose start is gone is discarded once the wait is over. */
    assert_int_equal(push(a, 30002, 9, false, true, 0), 0);
    assert_int_equal(push(a, 30003, 10, true, true, 0), 0);
    assert_int_equal(push(a, 30004, 11, true, true, 0), 0);
    assert_int_equal(okno_fasm_pop(a, 0, &f), 1);
    assert_int_equal(f.ts, 10);
    struct okno_fasm_stats st = okno_fasm_stats(a);
    assert_int_equal(st.incomplete_frames, 1);
    assert_int_equal(st.too_far, 1);
    uint8_t big[OKNO_FASM_MAX_PAYLOAD + 1] = {0};
    struct okno_fasm_pkt p = {.seq = 1, .payload = big, .len = sizeof big};
    assert_int_equal(okno_fasm_push(a, &p, 0), OKNO_E_INVAL);
    p.len = 0;
    assert_int_equal(okno_fasm_push(a, &p, 0), OKNO_E_INVAL);
    okno_fasm_destroy(a);
    struct okno_fasm_config bad = {.reorder_pkts = OKNO_FASM_SLOTS};
    struct okno_fasm *b;
    assert_int_equal(okno_fasm_create(&bad, &b), OKNO_E_INVAL);
}

/* Scattered losses (every 20th packet of a 100 packet/s stream, each packet a frame): each hole's
 * wait counts from when it went missing, so the frames behind the fourth hole come out 1 s after it
 * was lost, not after four waits one behind the other (the 10 s freezes a capacity drop caused). */
static void test_assembler_waits_for_each_hole_from_when_it_went_missing(void **state)
{
    (void)state;
    struct okno_fasm *a = make(OKNO_FASM_SLOTS / 2, 1000000, 0);
    struct okno_fasm_frame f;
    int64_t out_us[200];
    for (int i = 0; i < 200; i++)
        out_us[i] = -1;
    for (int64_t t = 0; t <= 3000000; t += 10000) {
        int seq = (int)(t / 10000);
        if (seq < 120 && (seq % 20 != 0 || seq == 0))
            assert_int_equal(push(a, (uint16_t)seq, (uint32_t)seq, true, true, t), 0);
        while (okno_fasm_pop(a, t, &f) == 1) {
            assert_true(f.ts < 200);
            out_us[f.ts] = t;
        }
    }
    /* A hole at 20k went missing when 20k + 1 arrived, at 10 ms x (20k + 1). */
    for (int k = 1; k < 6; k++) {
        int64_t missing_us = (20 * k + 1) * 10000;
        assert_true(out_us[20 * k + 1] >= missing_us + 1000000 - 10000);
        assert_true(out_us[20 * k + 1] <= missing_us + 1000000);
    }
    assert_int_equal(out_us[19], 190000); /* before the first hole: at once */
    struct okno_fasm_stats st = okno_fasm_stats(a);
    assert_int_equal(st.lost_packets, 5);
    assert_int_equal(st.frames, 115);
    okno_fasm_destroy(a);
}

static void test_assembler_gives_out_a_complete_key_frame_past_a_hole_at_once(void **state)
{
    (void)state;
    struct okno_fasm *a = make(100, 1000000, 0);
    struct okno_fasm_frame f;
    assert_int_equal(push(a, 100, 1, true, true, 0), 0);
    assert_int_equal(okno_fasm_pop(a, 0, &f), 1);
    /* 101 lost; 102 a delta frame; 103-105 a key frame whose middle packet comes last. */
    assert_int_equal(push(a, 102, 2, true, true, 1000), 0);
    assert_int_equal(push_key(a, 103, 3, true, false, 2000), 0);
    assert_int_equal(push_key(a, 105, 3, false, true, 3000), 0);
    assert_int_equal(okno_fasm_pop(a, 3000, &f), 0); /* the key frame is not complete yet */
    assert_int_equal(push_key(a, 104, 3, false, false, 4000), 0);
    /* A second later key frame is complete too; the first one comes out, long before the wait
     * for 101 (1 s) ends. */
    assert_int_equal(push_key(a, 106, 4, true, true, 4000), 0);
    assert_int_equal(okno_fasm_pop(a, 4000, &f), 1);
    assert_int_equal(f.ts, 3);
    assert_int_equal(f.first_seq, 103);
    assert_int_equal(f.last_seq, 105);
    assert_true(f.lost_before);
    assert_true(f.meta.keyframe);
    assert_int_equal(okno_fasm_pop(a, 4000, &f), 1);
    assert_int_equal(f.ts, 4);
    assert_false(f.lost_before);
    /* What was given up is late now. */
    assert_int_equal(push(a, 101, 2, false, false, 5000), 1);
    struct okno_fasm_stats st = okno_fasm_stats(a);
    assert_int_equal(st.lost_packets, 1);
    assert_int_equal(st.frames, 3);
    /* A hole before a delta frame is still waited for. */
    assert_int_equal(push(a, 108, 5, true, true, 6000), 0);
    assert_int_equal(okno_fasm_pop(a, 6000, &f), 0);
    okno_fasm_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assembler_waits_for_missing_packet_then_gives_up_after_reorder_time),
        cmocka_unit_test(
            test_assembler_declares_hole_lost_after_reorder_packets_and_drops_oversized),
        cmocka_unit_test(test_assembler_drops_frame_without_start_or_marker_and_survives_jumps),
        cmocka_unit_test(test_assembler_waits_for_each_hole_from_when_it_went_missing),
        cmocka_unit_test(test_assembler_gives_out_a_complete_key_frame_past_a_hole_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
