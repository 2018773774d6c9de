/* Unit tests of the downtrack's sequence number and timestamp munger (sfu/rtp_munger.h): no gap for
 * packets dropped on purpose, a gap for real losses, continuity across source switches, late and
 * reordered packets, the wrap, and the output-to-input ring that NACKs use. */
#include "testutil.h"
#include "okno/err.h"
#include "sfu/rtp_munger.h"

#define SRC_A 0xa1a1a1a1u
#define SRC_B 0xb2b2b2b2u

static struct okno_rtp_munger munger;
static uint16_t out_seq;
static uint32_t out_ts;

static int fwd(uint32_t source, uint16_t seq, uint32_t ts, int64_t now_us)
{
    struct okno_rtp_munger_in in = {.source = source, .seq = seq, .ts = ts, .tag = seq ^ 0x5555u};
    return okno_rtp_munger_forward(&munger, &in, now_us, &out_seq, &out_ts);
}

static void expect_fwd(uint32_t source, uint16_t seq, uint32_t ts, int64_t now_us,
                       uint16_t want_seq, uint32_t want_ts)
{
    assert_int_equal(fwd(source, seq, ts, now_us), 0);
    assert_int_equal(out_seq, want_seq);
    assert_int_equal(out_ts, want_ts);
}

static int setup(void **state)
{
    (void)state;
    okno_rtp_munger_init(&munger, 90000);
    return 0;
}

static void test_rtp_munger_first_source_keeps_its_numbering(void **state)
{
    (void)state;
    assert_int_equal(okno_rtp_munger_last_seq(&munger), 0);
    expect_fwd(SRC_A, 1000, 5000, 0, 1000, 5000);
    expect_fwd(SRC_A, 1001, 8000, 33000, 1001, 8000);
    assert_int_equal(okno_rtp_munger_last_seq(&munger), 1001);
}

static void test_rtp_munger_closes_up_behind_packets_dropped_on_purpose(void **state)
{
    (void)state;
    expect_fwd(SRC_A, 10, 100, 0, 10, 100);
    /* A two-packet frame of a temporal layer that is not forwarded, then padding. */
    okno_rtp_munger_drop(&munger, SRC_A, 11);
    okno_rtp_munger_drop(&munger, SRC_A, 12);
    okno_rtp_munger_drop(&munger, SRC_A, 13);
    expect_fwd(SRC_A, 14, 400, 0, 11, 400);
    okno_rtp_munger_drop(&munger, SRC_A, 15);
    expect_fwd(SRC_A, 16, 500, 0, 12, 500);
}

static void test_rtp_munger_keeps_real_losses_as_gaps(void **state)
{
    (void)state;
    expect_fwd(SRC_A, 10, 100, 0, 10, 100);
    okno_rtp_munger_drop(&munger, SRC_A, 11);
    /* 12 and 13 never arrive: the subscriber must see them missing and NACK them. */
    expect_fwd(SRC_A, 14, 400, 0, 13, 400);
    struct okno_rtp_munger_entry e;
    assert_int_equal(okno_rtp_munger_lookup(&munger, 11, &e), OKNO_E_NOTFOUND);
    assert_int_equal(okno_rtp_munger_lookup(&munger, 12, &e), OKNO_E_NOTFOUND);
    /* The publisher's retransmission of 12 arrives late and fills its gap exactly. */
    expect_fwd(SRC_A, 12, 200, 0, 11, 200);
    expect_fwd(SRC_A, 13, 300, 0, 12, 300);
    assert_int_equal(okno_rtp_munger_last_seq(&munger), 13);
}

static void test_rtp_munger_switch_continues_seq_and_timestamp_by_elapsed_time(void **state)
{
    (void)state;
    expect_fwd(SRC_A, 500, 90000, 1000000, 500, 90000);
    expect_fwd(SRC_A, 501, 93000, 1033000, 501, 93000);
    /* B has its own numbers; its key frame arrives 50 ms after A's last packet: 4500 units. */
    expect_fwd(SRC_B, 40000, 7000000, 1083000, 502, 97500);
    expect_fwd(SRC_B, 40001, 7000000, 1084000, 503, 97500);
    expect_fwd(SRC_B, 40002, 7003000, 1116000, 504, 100500);
    /* And back to A, whose own numbers moved on. */
    expect_fwd(SRC_A, 520, 150000, 1150000, 505, 100500 + 3060);
}

static void test_rtp_munger_switch_never_repeats_a_timestamp(void **state)
{
    (void)state;
    expect_fwd(SRC_A, 1, 1000, 5000, 1, 1000);
    expect_fwd(SRC_B, 9, 77, 5000, 2, 1001);
}

static void test_rtp_munger_refuses_late_packet_from_before_switch(void **state)
{
    (void)state;
    expect_fwd(SRC_A, 100, 1000, 0, 100, 1000);
    expect_fwd(SRC_B, 3000, 1, 10000, 101, 1900);
    expect_fwd(SRC_B, 3001, 1, 10000, 102, 1900);
    /* B's packets from before its key frame were never ours to number. */
    assert_int_equal(fwd(SRC_B, 2999, 1, 11000), OKNO_E_RANGE);
    expect_fwd(SRC_B, 3002, 3001, 12000, 103, 4900);
}

static void test_rtp_munger_maps_reordered_packets_consistently(void **state)
{
    (void)state;
    expect_fwd(SRC_A, 65530, 10, 0, 65530, 10);
    okno_rtp_munger_drop(&munger, SRC_A, 65532);
    expect_fwd(SRC_A, 65533, 40, 0, 65532, 40);
    okno_rtp_munger_drop(&munger, SRC_A, 65534);
    okno_rtp_munger_drop(&munger, SRC_A, 65535);
    expect_fwd(SRC_A, 1, 60, 0, 65534, 60);
    expect_fwd(SRC_A, 2, 70, 0, 65535, 70);
    expect_fwd(SRC_A, 4, 90, 0, 1, 90);
    /* Late ones across the wrap and across the drops: where they would have been. */
    expect_fwd(SRC_A, 65531, 20, 0, 65531, 20);
    expect_fwd(SRC_A, 0, 50, 0, 65533, 50);
    expect_fwd(SRC_A, 3, 80, 0, 0, 80);
    /* A duplicate of the newest gets the same number again. */
    expect_fwd(SRC_A, 4, 90, 0, 1, 90);
    /* A duplicate of a dropped packet is refused, newest or not. */
    assert_int_equal(fwd(SRC_A, 65534, 0, 0), OKNO_E_STATE);
    okno_rtp_munger_drop(&munger, SRC_A, 5);
    assert_int_equal(fwd(SRC_A, 5, 0, 0), OKNO_E_STATE);
}

static void test_rtp_munger_late_drop_leaves_a_gap(void **state)
{
    (void)state;
    expect_fwd(SRC_A, 10, 0, 0, 10, 0);
    expect_fwd(SRC_A, 12, 0, 0, 12, 0);
    /* 11 arrives late and is dropped: 12 was already sent as 12, nothing can close up. */
    okno_rtp_munger_drop(&munger, SRC_A, 11);
    expect_fwd(SRC_A, 13, 0, 0, 13, 0);
    struct okno_rtp_munger_entry e;
    assert_int_equal(okno_rtp_munger_lookup(&munger, 11, &e), OKNO_E_NOTFOUND);
}

static void test_rtp_munger_ignores_drops_of_other_sources(void **state)
{
    (void)state;
    okno_rtp_munger_drop(&munger, SRC_A, 7); /* nothing started yet */
    expect_fwd(SRC_A, 10, 0, 0, 10, 0);
    okno_rtp_munger_drop(&munger, SRC_B, 11);
    expect_fwd(SRC_A, 11, 0, 0, 11, 0);
}

static void test_rtp_munger_refuses_late_packet_older_than_remembered_drops(void **state)
{
    (void)state;
    uint16_t seq = 100;
    expect_fwd(SRC_A, seq, 0, 0, 100, 0);
    /* Two forwarded, one dropped, many times: every drop is its own run. */
    uint16_t out = 100;
    for (int i = 0; i < OKNO_RTP_MUNGER_DROP_RUNS + 2; i++) {
        expect_fwd(SRC_A, ++seq, 0, 0, ++out, 0);
        okno_rtp_munger_drop(&munger, SRC_A, ++seq);
    }
    expect_fwd(SRC_A, ++seq, 0, 0, ++out, 0);
    /* 101 was forwarded long ago; how many drops came after it is no longer known. */
    assert_int_equal(fwd(SRC_A, 101, 0, 0), OKNO_E_RANGE);
    /* A late packet newer than every forgotten run still maps: the last forwarded pair. */
    expect_fwd(SRC_A, (uint16_t)(seq - 2), 0, 0, (uint16_t)(out - 1), 0);
}

static void test_rtp_munger_lookup_finds_source_and_input_of_output_number(void **state)
{
    (void)state;
    expect_fwd(SRC_A, 700, 9000, 0, 700, 9000);
    expect_fwd(SRC_B, 20, 100, 20000, 701, 10800);
    struct okno_rtp_munger_entry e;
    assert_int_equal(okno_rtp_munger_lookup(&munger, 700, &e), 0);
    assert_int_equal(e.source, SRC_A);
    assert_int_equal(e.in_seq, 700);
    assert_int_equal(e.out_seq, 700);
    assert_int_equal(e.out_ts, 9000);
    assert_int_equal(e.tag, 700 ^ 0x5555u);
    assert_int_equal(okno_rtp_munger_lookup(&munger, 701, &e), 0);
    assert_int_equal(e.source, SRC_B);
    assert_int_equal(e.in_seq, 20);
    assert_int_equal(e.out_ts, 10800);
    assert_int_equal(okno_rtp_munger_lookup(&munger, 702, &e), OKNO_E_NOTFOUND);
    assert_int_equal(okno_rtp_munger_lookup(&munger, 699, &e), OKNO_E_NOTFOUND);
}

static void test_rtp_munger_lookup_forgets_numbers_older_than_history(void **state)
{
    (void)state;
    struct okno_rtp_munger_entry e;
    assert_int_equal(okno_rtp_munger_lookup(&munger, 0, &e), OKNO_E_NOTFOUND);
    for (uint32_t i = 0; i <= OKNO_RTP_MUNGER_HISTORY; i++)
        expect_fwd(SRC_A, (uint16_t)(60000 + i), i, 0, (uint16_t)(60000 + i), i);
    assert_int_equal(okno_rtp_munger_lookup(&munger, 60000, &e), OKNO_E_NOTFOUND);
    assert_int_equal(okno_rtp_munger_lookup(&munger, 60001, &e), 0);
    /* A huge loss clears the slots it skips, so none answers with what was sent a ring ago. */
    uint16_t far = (uint16_t)(60000 + 3 * OKNO_RTP_MUNGER_HISTORY);
    expect_fwd(SRC_A, far, 7, 0, far, 7);
    for (uint32_t i = 1; i < OKNO_RTP_MUNGER_HISTORY; i++)
        assert_int_equal(okno_rtp_munger_lookup(&munger, (uint16_t)(far - i), &e), OKNO_E_NOTFOUND);
    /* And a late packet that far behind is numbered but does not overwrite newer slots. */
    expect_fwd(SRC_A, 60001 + OKNO_RTP_MUNGER_HISTORY, 9, 0, 60001 + OKNO_RTP_MUNGER_HISTORY, 9);
    assert_int_equal(okno_rtp_munger_lookup(&munger, far, &e), 0);
}

static void test_rtp_munger_timestamp_gap_is_clamped_and_uses_clock_rate(void **state)
{
    (void)state;
    okno_rtp_munger_init(&munger, 48000);
    expect_fwd(SRC_A, 1, 0, 0, 1, 0);
    /* 20 ms at 48 kHz. */
    expect_fwd(SRC_B, 50, 123, 20000, 2, 960);
    /* A clock that went backwards still advances by one unit. */
    expect_fwd(SRC_A, 2, 0, 10000, 3, 961);
    /* Years of silence: clamped to a day, no overflow. */
    expect_fwd(SRC_B, 51, 0, INT64_MAX, 4, (uint32_t)(961u + 86400u * 48000u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_rtp_munger_first_source_keeps_its_numbering, setup),
        cmocka_unit_test_setup(test_rtp_munger_closes_up_behind_packets_dropped_on_purpose, setup),
        cmocka_unit_test_setup(test_rtp_munger_keeps_real_losses_as_gaps, setup),
        cmocka_unit_test_setup(test_rtp_munger_switch_continues_seq_and_timestamp_by_elapsed_time,
                               setup),
        cmocka_unit_test_setup(test_rtp_munger_switch_never_repeats_a_timestamp, setup),
        cmocka_unit_test_setup(test_rtp_munger_refuses_late_packet_from_before_switch, setup),
        cmocka_unit_test_setup(test_rtp_munger_maps_reordered_packets_consistently, setup),
        cmocka_unit_test_setup(test_rtp_munger_late_drop_leaves_a_gap, setup),
        cmocka_unit_test_setup(test_rtp_munger_ignores_drops_of_other_sources, setup),
        cmocka_unit_test_setup(test_rtp_munger_refuses_late_packet_older_than_remembered_drops,
                               setup),
        cmocka_unit_test_setup(test_rtp_munger_lookup_finds_source_and_input_of_output_number,
                               setup),
        cmocka_unit_test_setup(test_rtp_munger_lookup_forgets_numbers_older_than_history, setup),
        cmocka_unit_test_setup(test_rtp_munger_timestamp_gap_is_clamped_and_uses_clock_rate, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
