#include "testutil.h"
#include "okno/err.h"
#include "wire/twcc.h"
#include "wire/twcc_recorder.h"

#define MAX_ENTRIES 2048

/* Builds one feedback packet and parses it back into e; returns the status count, 0 when nothing
 * was pending. */
static int build_parse(struct okno_twcc_recorder *rec, int64_t now_us, struct okno_twcc_fb *fb,
                       struct okno_twcc_entry *e)
{
    static uint8_t buf[8192];
    int len = okno_twcc_recorder_build(rec, now_us, buf, sizeof buf);
    assert_true(len >= 0);
    if (len == 0)
        return 0;
    assert_int_equal(okno_twcc_parse(buf, (size_t)len, fb), len);
    return okno_twcc_parse_entries(fb, e, MAX_ENTRIES);
}

static struct okno_twcc_recorder *new_recorder(size_t max_size)
{
    struct okno_twcc_recorder *rec = malloc(sizeof *rec);
    assert_non_null(rec);
    okno_twcc_recorder_init(rec, 0x1111, 0x2222, max_size);
    return rec;
}

static void test_twcc_recorder_reports_in_order_packets_once(void **state)
{
    (void)state;
    struct okno_twcc_recorder *rec = new_recorder(0);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[MAX_ENTRIES];
    assert_int_equal(build_parse(rec, 0, &fb, e), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(okno_twcc_recorder_on_packet(rec, (uint16_t)(100 + i), 5000000 + i * 2000),
                         0);
    assert_int_equal(okno_twcc_recorder_pending(rec), 5);
    assert_int_equal(build_parse(rec, 5010000, &fb, e), 5);
    assert_int_equal(fb.sender_ssrc, 0x1111);
    assert_int_equal(fb.media_ssrc, 0x2222);
    assert_int_equal(fb.base_seq, 100);
    assert_int_equal(fb.fb_count, 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(e[i].status, OKNO_TWCC_SMALL_DELTA);
        assert_int_equal(e[i].arrival_us, 5000000 + i * 2000);
    }
    assert_int_equal(okno_twcc_recorder_pending(rec), 0);
    assert_int_equal(build_parse(rec, 5020000, &fb, e), 0);

    assert_int_equal(okno_twcc_recorder_on_packet(rec, 105, 5030000), 0);
    assert_int_equal(build_parse(rec, 5040000, &fb, e), 1);
    assert_int_equal(fb.base_seq, 105);
    assert_int_equal(fb.fb_count, 1);
    free(rec);
}

static void test_twcc_recorder_reports_lost_packet_between_received_ones(void **state)
{
    (void)state;
    struct okno_twcc_recorder *rec = new_recorder(0);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[MAX_ENTRIES];
    okno_twcc_recorder_on_packet(rec, 10, 1000);
    okno_twcc_recorder_on_packet(rec, 11, 2000);
    okno_twcc_recorder_on_packet(rec, 13, 4000);
    assert_int_equal(build_parse(rec, 5000, &fb, e), 4);
    assert_int_equal(e[1].status, OKNO_TWCC_SMALL_DELTA);
    assert_int_equal(e[2].seq, 12);
    assert_int_equal(e[2].status, OKNO_TWCC_NOT_RECEIVED);
    assert_int_equal(e[3].arrival_us, 4000);
    free(rec);
}

static void test_twcc_recorder_handles_wrap_with_reordering_and_late_packets(void **state)
{
    (void)state;
    struct okno_twcc_recorder *rec = new_recorder(0);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[MAX_ENTRIES];
    static const uint16_t order[] = {65533, 65535, 0, 65534, 2, 1};
    for (int i = 0; i < 6; i++)
        assert_int_equal(okno_twcc_recorder_on_packet(rec, order[i], 1000000 + i * 1000), 0);
    assert_int_equal(build_parse(rec, 1010000, &fb, e), 6);
    assert_int_equal(fb.base_seq, 65533);
    static const int64_t at[] = {1000000, 1003000, 1001000, 1002000, 1005000, 1004000};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(e[i].seq, (uint16_t)(65533 + i));
        assert_int_equal(e[i].status != OKNO_TWCC_NOT_RECEIVED, 1);
        assert_int_equal(e[i].arrival_us, at[i]);
    }
    /* 65535 arrived before 65534: a negative delta, sent as a large one. */
    assert_int_equal(e[1].status, OKNO_TWCC_SMALL_DELTA);
    assert_int_equal(e[2].status, OKNO_TWCC_LARGE_DELTA);

    okno_twcc_recorder_on_packet(rec, 3, 1020000);
    okno_twcc_recorder_on_packet(rec, 5, 1021000);
    assert_int_equal(build_parse(rec, 1030000, &fb, e), 3);
    assert_int_equal(fb.base_seq, 3);
    assert_int_equal(e[1].status, OKNO_TWCC_NOT_RECEIVED);

    /* 4 turns up after being reported lost: the next feedback goes back to it. */
    assert_int_equal(okno_twcc_recorder_on_packet(rec, 4, 1035000), 0);
    okno_twcc_recorder_on_packet(rec, 6, 1036000);
    assert_int_equal(build_parse(rec, 1040000, &fb, e), 3);
    assert_int_equal(fb.base_seq, 4);
    assert_int_equal(e[0].arrival_us, 1035000);
    assert_int_equal(e[1].arrival_us, 1021000);
    assert_int_equal(e[2].arrival_us, 1036000);
    assert_int_equal(fb.fb_count, 2);
    free(rec);
}

static void test_twcc_recorder_keeps_first_arrival_of_duplicate(void **state)
{
    (void)state;
    struct okno_twcc_recorder *rec = new_recorder(0);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[MAX_ENTRIES];
    assert_int_equal(okno_twcc_recorder_on_packet(rec, 40000, 7000), 0);
    assert_int_equal(okno_twcc_recorder_on_packet(rec, 40001, 8000), 0);
    assert_int_equal(okno_twcc_recorder_on_packet(rec, 40000, 9000), OKNO_E_EXISTS);
    assert_int_equal(rec->duplicates, 1);
    assert_int_equal(build_parse(rec, 10000, &fb, e), 2);
    assert_int_equal(e[0].arrival_us, 7000);
    /* Once reported, a duplicate still inside the ring is still a duplicate, and reports nothing.
     */
    assert_int_equal(okno_twcc_recorder_on_packet(rec, 40001, 11000), OKNO_E_EXISTS);
    assert_int_equal(okno_twcc_recorder_pending(rec), 0);
    free(rec);
}

static void test_twcc_recorder_drops_packet_older_than_ring(void **state)
{
    (void)state;
    struct okno_twcc_recorder *rec = new_recorder(0);
    okno_twcc_recorder_on_packet(rec, 5000, 1000);
    assert_int_equal(okno_twcc_recorder_on_packet(rec, 5000 - OKNO_TWCC_RECORDER_SLOTS, 2000),
                     OKNO_E_RANGE);
    assert_int_equal(rec->too_old, 1);
    assert_int_equal(okno_twcc_recorder_pending(rec), 1);
    assert_int_equal(okno_twcc_recorder_on_packet(rec, 5000 - OKNO_TWCC_RECORDER_SLOTS + 1, 3000),
                     0);
    assert_int_equal(okno_twcc_recorder_pending(rec), OKNO_TWCC_RECORDER_SLOTS);
    free(rec);
}

static void test_twcc_recorder_overflowing_ring_reports_newest_window(void **state)
{
    (void)state;
    struct okno_twcc_recorder *rec = new_recorder(0);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[MAX_ENTRIES];
    /* 3000 packets, crossing the wrap, without feedback: only the ring's worth is left to report.
     */
    for (int i = 0; i < 3000; i++)
        okno_twcc_recorder_on_packet(rec, (uint16_t)(64000 + i), i * 250);
    assert_int_equal(okno_twcc_recorder_pending(rec), OKNO_TWCC_RECORDER_SLOTS);
    assert_int_equal(rec->unreported, 3000 - OKNO_TWCC_RECORDER_SLOTS);
    assert_int_equal(build_parse(rec, 750000, &fb, e), OKNO_TWCC_RECORDER_SLOTS);
    assert_int_equal(fb.base_seq, (uint16_t)(64000 + 3000 - OKNO_TWCC_RECORDER_SLOTS));
    assert_int_equal(e[OKNO_TWCC_RECORDER_SLOTS - 1].arrival_us, 2999 * 250);

    /* A jump far ahead leaves the ring empty but for the newest packet. */
    okno_twcc_recorder_on_packet(rec, 30000, 1000000);
    assert_int_equal(build_parse(rec, 1100000, &fb, e), OKNO_TWCC_RECORDER_SLOTS);
    for (int i = 0; i < OKNO_TWCC_RECORDER_SLOTS - 1; i++)
        assert_int_equal(e[i].status, OKNO_TWCC_NOT_RECEIVED);
    assert_int_equal(e[OKNO_TWCC_RECORDER_SLOTS - 1].seq, 30000);
    assert_int_equal(e[OKNO_TWCC_RECORDER_SLOTS - 1].arrival_us, 1000000);
    free(rec);
}

static void test_twcc_recorder_splits_feedback_on_long_gap_and_size(void **state)
{
    (void)state;
    struct okno_twcc_recorder *rec = new_recorder(0);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[MAX_ENTRIES];
    okno_twcc_recorder_on_packet(rec, 1, 0);
    okno_twcc_recorder_on_packet(rec, 2, 10000000); /* 10 s later: does not fit a delta */
    assert_int_equal(build_parse(rec, 10000000, &fb, e), 1);
    assert_int_equal(build_parse(rec, 10000000, &fb, e), 1);
    assert_int_equal(fb.base_seq, 2);
    assert_int_equal(fb.fb_count, 1);
    assert_int_equal(e[0].arrival_us, 10000000);
    assert_int_equal(build_parse(rec, 10000000, &fb, e), 0);
    free(rec);

    rec = new_recorder(60);
    for (int i = 0; i < 500; i++)
        if (i % 2 == 0)
            okno_twcc_recorder_on_packet(rec, (uint16_t)(65000 + i), i * 1000);
    int next = 65000, packets = 0;
    uint8_t buf[256];
    int len;
    while ((len = okno_twcc_recorder_build(rec, 600000, buf, sizeof buf)) > 0) {
        assert_true(len <= 60);
        assert_int_equal(okno_twcc_parse(buf, (size_t)len, &fb), len);
        int n = okno_twcc_parse_entries(&fb, e, MAX_ENTRIES);
        for (int i = 0; i < n; i++, next++) {
            assert_int_equal(e[i].seq, (uint16_t)next);
            assert_int_equal(e[i].status != OKNO_TWCC_NOT_RECEIVED, next % 2 == 0);
            if (next % 2 == 0)
                assert_int_equal(e[i].arrival_us, (next - 65000) * 1000);
        }
        assert_int_equal(fb.fb_count, (uint8_t)packets);
        packets++;
    }
    assert_int_equal(len, 0);
    assert_int_equal(next, 65000 + 499);
    assert_true(packets > 5);
    free(rec);
}

static void test_twcc_recorder_build_without_room_changes_nothing(void **state)
{
    (void)state;
    struct okno_twcc_recorder *rec = new_recorder(0);
    uint8_t buf[64];
    okno_twcc_recorder_on_packet(rec, 1, 1000);
    assert_int_equal(okno_twcc_recorder_build(rec, 0, buf, OKNO_TWCC_MIN_PACKET - 1), OKNO_E_NOSPC);
    assert_int_equal(okno_twcc_recorder_pending(rec), 1);
    assert_int_equal(rec->opts.fb_count, 0);
    assert_int_equal(okno_twcc_recorder_build(rec, 0, buf, sizeof buf), 24);
    free(rec);
}

static void test_twcc_recorder_is_due_after_interval_with_something_pending(void **state)
{
    (void)state;
    struct okno_twcc_recorder *rec = new_recorder(0);
    uint8_t buf[64];
    assert_false(okno_twcc_recorder_due(rec, 0, 100000));
    okno_twcc_recorder_on_packet(rec, 1, 1000);
    assert_true(okno_twcc_recorder_due(rec, 1000, 100000));
    assert_int_equal(okno_twcc_recorder_build(rec, 1000, buf, sizeof buf), 24);
    okno_twcc_recorder_on_packet(rec, 2, 2000);
    assert_false(okno_twcc_recorder_due(rec, 100999, 100000));
    assert_true(okno_twcc_recorder_due(rec, 101000, 100000));
    free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twcc_recorder_reports_in_order_packets_once),
        cmocka_unit_test(test_twcc_recorder_reports_lost_packet_between_received_ones),
        cmocka_unit_test(test_twcc_recorder_handles_wrap_with_reordering_and_late_packets),
        cmocka_unit_test(test_twcc_recorder_keeps_first_arrival_of_duplicate),
        cmocka_unit_test(test_twcc_recorder_drops_packet_older_than_ring),
        cmocka_unit_test(test_twcc_recorder_overflowing_ring_reports_newest_window),
        cmocka_unit_test(test_twcc_recorder_splits_feedback_on_long_gap_and_size),
        cmocka_unit_test(test_twcc_recorder_build_without_room_changes_nothing),
        cmocka_unit_test(test_twcc_recorder_is_due_after_interval_with_something_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
