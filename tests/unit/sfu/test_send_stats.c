/* Send statistics: counts, the SR's RTP time extrapolated at the clock rate (and across the 32-bit
 * wrap), NTP from the given offset, and RTT from report blocks, smoothed, including a round trip
 * with recv_stats on the other end. All times are made up. */
#include "testutil.h"

#include "okno/err.h"
#include "sfu/recv_stats.h"
#include "sfu/send_stats.h"
#include "wire/rtcp.h"
#include "wire/rtcp_report.h"

#define MS 1000
/* 2024-01-01T00:00:00Z in Unix microseconds, as if the monotonic clock had started then. */
#define EPOCH_US 1704067200000000ll

static struct okno_send_stats make(void)
{
    struct okno_send_stats ss;
    assert_int_equal(okno_send_stats_init(&ss, 0x1000, 90000, EPOCH_US), 0);
    return ss;
}

static void test_send_stats_sr_needs_a_packet_first(void **state)
{
    (void)state;
    struct okno_send_stats ss;
    assert_int_equal(okno_send_stats_init(&ss, 1, 0, 0), OKNO_E_INVAL);
    ss = make();
    struct okno_rtcp_sr sr;
    assert_int_equal(okno_send_stats_sr(&ss, 0, &sr), OKNO_E_STATE);
}

static void test_send_stats_sr_extrapolates_rtp_time_at_clock_rate(void **state)
{
    (void)state;
    struct okno_send_stats ss = make();
    okno_send_stats_on_packet(&ss, 0xffff0000u, 1000, 10 * MS);
    okno_send_stats_on_packet(&ss, 0xffff0000u, 200, 12 * MS);
    okno_send_stats_on_packet(&ss, 0xffff0000u + 3000, 800, 40 * MS);
    struct okno_rtcp_sr sr;
    assert_int_equal(okno_send_stats_sr(&ss, 540 * MS, &sr), 0);
    assert_int_equal(sr.ssrc, 0x1000);
    assert_int_equal(sr.packet_count, 3);
    assert_int_equal(sr.octet_count, 2000);
    /* 500 ms after the last packet: 45,000 units on, across the 32-bit wrap. */
    assert_int_equal(sr.rtp_ts, (uint32_t)(0xffff0000u + 3000 + 45000));
    assert_int_equal(sr.ntp, okno_ntp_from_unix_us(EPOCH_US + 540 * MS));
    assert_int_equal(sr.report_count, 0);
    /* A fraction of a unit is dropped, not rounded: 48 kHz for 1 us is 0.048 units. */
    struct okno_send_stats audio;
    okno_send_stats_init(&audio, 2, 48000, 0);
    okno_send_stats_on_packet(&audio, 960, 100, 0);
    okno_send_stats_sr(&audio, 20 * MS + 1, &sr);
    assert_int_equal(sr.rtp_ts, 960 + 960);
}

static void test_send_stats_sr_survives_build_and_parse(void **state)
{
    (void)state;
    struct okno_send_stats ss = make();
    okno_send_stats_on_packet(&ss, 12345, 1100, 0);
    struct okno_rtcp_sr sr;
    assert_int_equal(okno_send_stats_sr(&ss, 100 * MS, &sr), 0);
    uint8_t buf[64];
    int len = okno_rtcp_sr_build(&sr, buf, sizeof buf);
    assert_int_equal(len, 28);
    struct okno_rtcp_pkt pkt;
    assert_int_equal(okno_rtcp_parse(buf, (size_t)len, &pkt), len);
    struct okno_rtcp_sr back;
    assert_int_equal(okno_rtcp_sr_parse(&pkt, &back), 0);
    assert_int_equal(back.ntp, sr.ntp);
    assert_int_equal(back.rtp_ts, 12345 + 9000);
    assert_int_equal(back.octet_count, 1100);
}

static struct okno_rtcp_report_block block_for(const struct okno_send_stats *ss, int64_t sr_at,
                                               int64_t dlsr_us)
{
    return (struct okno_rtcp_report_block){
        .ssrc = 0x1000,
        .fraction_lost = 25,
        .cumulative_lost = 7,
        .ext_highest_seq = 70000,
        .jitter = 450,
        .lsr = okno_ntp_mid32(okno_send_stats_ntp(ss, sr_at)),
        .dlsr = okno_rtcp_dlsr_from_us((uint64_t)dlsr_us),
    };
}

static void test_send_stats_measures_and_smooths_rtt_from_report_blocks(void **state)
{
    (void)state;
    struct okno_send_stats ss = make();
    okno_send_stats_on_packet(&ss, 0, 100, 0);
    struct okno_rtcp_report_block b = block_for(&ss, 1000 * MS, 300 * MS);
    /* SR at 1.0 s, held 300 ms by the receiver, back at 1.4 s: 100 ms of network. */
    assert_int_equal(okno_send_stats_on_report_block(&ss, &b, 1400 * MS), 0);
    assert_true(ss.rtt_us > 100 * MS - 16 && ss.rtt_us < 100 * MS + 16);
    assert_int_equal(ss.srtt_us, ss.rtt_us);
    assert_int_equal(ss.fraction_lost, 25);
    assert_int_equal(ss.cumulative_lost, 7);
    assert_int_equal(ss.jitter, 450);
    b = block_for(&ss, 2000 * MS, 300 * MS);
    assert_int_equal(okno_send_stats_on_report_block(&ss, &b, 2500 * MS), 0);
    assert_true(ss.rtt_us > 200 * MS - 16 && ss.rtt_us < 200 * MS + 16);
    assert_true(ss.srtt_us > 112500 - 16 && ss.srtt_us < 112500 + 16); /* 100 + (200 - 100) / 8 */
}

static void test_send_stats_keeps_loss_but_not_rtt_from_unusable_blocks(void **state)
{
    (void)state;
    struct okno_send_stats ss = make();
    struct okno_rtcp_report_block b = block_for(&ss, 1000 * MS, 0);
    b.ssrc = 0x2000;
    assert_int_equal(okno_send_stats_on_report_block(&ss, &b, 1000 * MS), OKNO_E_INVAL);
    assert_false(ss.have_report);
    b.ssrc = 0x1000;
    b.lsr = 0;
    assert_int_equal(okno_send_stats_on_report_block(&ss, &b, 1000 * MS), OKNO_E_NOTFOUND);
    assert_true(ss.have_report);
    assert_int_equal(ss.fraction_lost, 25);
    assert_int_equal(ss.rtt_us, -1);
    /* An LSR from the future (not one of ours) would make the RTT negative. */
    b = block_for(&ss, 5000 * MS, 0);
    assert_int_equal(okno_send_stats_on_report_block(&ss, &b, 1000 * MS), OKNO_E_RANGE);
    assert_int_equal(ss.rtt_us, -1);
    assert_int_equal(ss.srtt_us, -1);
}

static void test_send_stats_rtt_round_trip_through_recv_stats(void **state)
{
    (void)state;
    /* We send to a receiver 25 ms away (one way), on one made-up timeline. */
    struct okno_send_stats ss = make();
    struct okno_recv_stats rs;
    okno_recv_stats_init(&rs, 0x1000, 90000);
    for (uint16_t s = 0; s < 30; s++) {
        okno_send_stats_on_packet(&ss, s * 3000u, 900, s * 33 * MS);
        okno_recv_stats_on_packet(&rs, s, s * 3000u, false, s * 33 * MS + 25 * MS);
    }
    struct okno_rtcp_sr sr;
    assert_int_equal(okno_send_stats_sr(&ss, 1000 * MS, &sr), 0);
    okno_recv_stats_on_sr(&rs, sr.ntp, 1025 * MS);
    struct okno_rtcp_report_block b;
    assert_int_equal(okno_recv_stats_report(&rs, 1480 * MS, &b), 0);
    assert_int_equal(okno_send_stats_on_report_block(&ss, &b, 1505 * MS), 0);
    assert_true(ss.rtt_us > 50 * MS - 32 && ss.rtt_us < 50 * MS + 32);
    assert_int_equal(ss.ext_highest_seq, 29);
    assert_int_equal(ss.cumulative_lost, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_stats_sr_needs_a_packet_first),
        cmocka_unit_test(test_send_stats_sr_extrapolates_rtp_time_at_clock_rate),
        cmocka_unit_test(test_send_stats_sr_survives_build_and_parse),
        cmocka_unit_test(test_send_stats_measures_and_smooths_rtt_from_report_blocks),
        cmocka_unit_test(test_send_stats_keeps_loss_but_not_rtt_from_unusable_blocks),
        cmocka_unit_test(test_send_stats_rtt_round_trip_through_recv_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
