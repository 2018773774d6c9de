/* Receive statistics: RFC 3550 A.1 (extended numbers, wrap, confirmed jumps), A.3 (expected, lost,
 * fraction per interval, 24-bit clamp) and A.8 (jitter against the RFC's floating-point formula),
 * duplicates and retransmissions, LSR/DLSR, and the block through the real RR builder and parser.
 * Arrival times are made up. */
#include "testutil.h"
#include "capture.h"

#include <math.h>

#include "okno/err.h"
#include "sfu/recv_stats.h"
#include "wire/rtcp.h"
#include "wire/rtcp_report.h"
#include "wire/rtp.h"

#define MS 1000

static struct okno_recv_stats make(uint32_t clock_rate)
{
    struct okno_recv_stats rs;
    assert_int_equal(okno_recv_stats_init(&rs, 0xabcdef01, clock_rate), 0);
    return rs;
}

static struct okno_rtcp_report_block report(struct okno_recv_stats *rs, int64_t now_us)
{
    struct okno_rtcp_report_block b;
    assert_int_equal(okno_recv_stats_report(rs, now_us, &b), 0);
    return b;
}

static void test_recv_stats_refuses_zero_clock_rate_and_report_before_first_packet(void **state)
{
    (void)state;
    struct okno_recv_stats rs;
    assert_int_equal(okno_recv_stats_init(&rs, 1, 0), OKNO_E_INVAL);
    rs = make(90000);
    struct okno_rtcp_report_block b;
    assert_int_equal(okno_recv_stats_report(&rs, 0, &b), OKNO_E_STATE);
}

static void test_recv_stats_counts_loss_and_fraction_per_interval(void **state)
{
    (void)state;
    struct okno_recv_stats rs = make(90000);
    for (uint16_t s = 1000; s < 1100; s++)
        if (s % 20 != 7) /* 5 of 100 lost */
            assert_int_equal(okno_recv_stats_on_packet(&rs, s, s * 3000u, false, s * MS), 0);
    struct okno_rtcp_report_block b = report(&rs, 200 * MS);
    assert_int_equal(b.ssrc, 0xabcdef01);
    assert_int_equal(b.ext_highest_seq, 1099);
    assert_int_equal(b.cumulative_lost, 5);
    assert_int_equal(b.fraction_lost, 5 * 256 / 100);
    assert_int_equal(okno_recv_stats_expected(&rs), 100);
    /* The next interval: 50 more, none lost, and one of the old losses arrives late. */
    for (uint16_t s = 1100; s < 1150; s++)
        okno_recv_stats_on_packet(&rs, s, s * 3000u, false, s * MS);
    okno_recv_stats_on_packet(&rs, 1087, 1087 * 3000u, true, 1150 * MS);
    b = report(&rs, 1200 * MS);
    assert_int_equal(b.fraction_lost, 0); /* more received than expected: no loss to report */
    assert_int_equal(b.cumulative_lost, 4);
    /* An interval losing 1 of 4. */
    okno_recv_stats_on_packet(&rs, 1151, 0, false, 1300 * MS);
    okno_recv_stats_on_packet(&rs, 1152, 0, false, 1300 * MS);
    okno_recv_stats_on_packet(&rs, 1153, 0, false, 1300 * MS);
    b = report(&rs, 1400 * MS);
    assert_int_equal(b.fraction_lost, 64);
}

static void test_recv_stats_extends_highest_sequence_across_wrap(void **state)
{
    (void)state;
    struct okno_recv_stats rs = make(48000);
    for (uint32_t s = 65530; s < 65536 + 11; s++)
        okno_recv_stats_on_packet(&rs, (uint16_t)s, s * 960, false, s * 20 * MS);
    okno_recv_stats_on_packet(&rs, 65535, 0, false, 0); /* late, from before the wrap */
    assert_int_equal(okno_recv_stats_ext_highest(&rs), 65536 + 10);
    assert_int_equal(okno_recv_stats_expected(&rs), 17);
    assert_int_equal(okno_recv_stats_lost(&rs), -1);
    assert_int_equal(rs.duplicates, 1);
}

static void test_recv_stats_duplicates_make_cumulative_loss_negative(void **state)
{
    (void)state;
    struct okno_recv_stats rs = make(90000);
    for (uint16_t s = 1; s <= 10; s++) {
        okno_recv_stats_on_packet(&rs, s, 0, false, 0);
        okno_recv_stats_on_packet(&rs, s, 0, false, 0);
    }
    struct okno_rtcp_report_block b = report(&rs, 0);
    assert_int_equal(b.cumulative_lost, -10);
    assert_int_equal(b.fraction_lost, 0);
    assert_int_equal(rs.duplicates, 10);
}

static void test_recv_stats_clamps_cumulative_loss_to_signed_24_bits(void **state)
{
    (void)state;
    struct okno_recv_stats rs = make(90000);
    uint32_t s = 0;
    while (okno_recv_stats_lost(&rs) <= 0x7fffff) {
        assert_int_equal(okno_recv_stats_on_packet(&rs, (uint16_t)s, 0, false, 0), 0);
        s += 2999; /* just inside MAX_DROPOUT: believed, 2998 lost each time */
    }
    assert_true(okno_recv_stats_lost(&rs) > 0x7fffff);
    struct okno_rtcp_report_block b = report(&rs, 0);
    assert_int_equal(b.cumulative_lost, 0x7fffff);
    assert_int_equal(b.ext_highest_seq, s - 2999);
}

static void test_recv_stats_believes_jump_only_when_next_packet_follows_it(void **state)
{
    (void)state;
    struct okno_recv_stats rs = make(90000);
    for (uint16_t s = 100; s < 110; s++)
        okno_recv_stats_on_packet(&rs, s, 0, false, 0);
    /* A stray number far ahead is held back, and forgotten when the stream goes on. */
    assert_int_equal(okno_recv_stats_on_packet(&rs, 30000, 0, false, 0), OKNO_E_RANGE);
    assert_int_equal(okno_recv_stats_on_packet(&rs, 110, 0, false, 0), 0);
    assert_int_equal(okno_recv_stats_ext_highest(&rs), 110);
    /* A restarted sender: two packets in a row after the jump restart the counts. */
    assert_int_equal(okno_recv_stats_on_packet(&rs, 50000, 0, false, 0), OKNO_E_RANGE);
    assert_int_equal(okno_recv_stats_on_packet(&rs, 50001, 0, false, 0), 0);
    assert_int_equal(okno_recv_stats_ext_highest(&rs), 50001);
    assert_int_equal(okno_recv_stats_expected(&rs), 1);
    assert_int_equal(okno_recv_stats_lost(&rs), 0);
    assert_int_equal(rs.resyncs, 1);
    /* 150 behind is more than the 100 of misordering A.1 accepts. */
    assert_int_equal(okno_recv_stats_on_packet(&rs, 49851, 0, false, 0), OKNO_E_RANGE);
}

/* A.8 in floating point, as the RFC prints it, for comparison. */
struct ref_jitter {
    bool started;
    double transit, jitter;
};

static void ref_update(struct ref_jitter *r, double arrival_units, double ts)
{
    double transit = arrival_units - ts;
    if (r->started) {
        double d = fabs(transit - r->transit);
        r->jitter += (1.0 / 16.0) * (d - r->jitter);
    }
    r->transit = transit;
    r->started = true;
}

static void test_recv_stats_jitter_matches_rfc3550_example(void **state)
{
    (void)state;
    /* Two packets 20 ms apart at 8 kHz sent 160 units apart, the second arriving 20 ms late:
     * D = 160, J = 160 / 16 = 10. */
    struct okno_recv_stats rs = make(8000);
    okno_recv_stats_on_packet(&rs, 1, 0, false, 0);
    okno_recv_stats_on_packet(&rs, 2, 160, false, 40 * MS);
    assert_int_equal(okno_recv_stats_jitter(&rs), 10);

    /* A 90 kHz stream with arrival noise up to 30 ms, against the RFC's own formula. */
    rs = make(90000);
    struct ref_jitter ref = {0};
    uint32_t rng = 7;
    uint32_t ts0 = 4000000000u; /* the timestamps wrap on the way */
    for (uint32_t i = 0; i < 5000; i++) {
        rng = rng * 1664525u + 1013904223u;
        int64_t arrival_us = (int64_t)i * 33333 + (rng >> 8) % 30000;
        uint32_t ts = ts0 + i * 3000u;
        okno_recv_stats_on_packet(&rs, (uint16_t)i, ts, false, arrival_us);
        ref_update(&ref, (double)(arrival_us * 90000 / 1000000), (double)ts0 + i * 3000.0);
        /* The RFC's integer form keeps 4 fractional bits and reports the floor. */
        if (fabs(rs.jitter_q4 / 16.0 - ref.jitter) > 1.0)
            fail_msg("packet %u: %f vs %f", i, rs.jitter_q4 / 16.0, ref.jitter);
        assert_int_equal(okno_recv_stats_jitter(&rs), rs.jitter_q4 / 16);
    }
    assert_true(ref.jitter > 300 && ref.jitter < 1500); /* about 10 ms: the noise is real */
}

static void test_recv_stats_keeps_retransmissions_and_duplicates_out_of_jitter(void **state)
{
    (void)state;
    struct okno_recv_stats rs = make(90000);
    for (uint16_t s = 0; s < 50; s++)
        if (s != 25)
            okno_recv_stats_on_packet(&rs, s, s * 3000u, false, s * 33333 / 1000 * 1000);
    uint32_t before = okno_recv_stats_jitter(&rs);
    /* 25 comes back 300 ms late as a retransmission, 30 arrives twice, late too. */
    okno_recv_stats_on_packet(&rs, 25, 25 * 3000u, true, 2000 * MS);
    okno_recv_stats_on_packet(&rs, 30, 30 * 3000u, false, 2000 * MS);
    assert_int_equal(okno_recv_stats_jitter(&rs), before);
    assert_int_equal(rs.retransmissions, 1);
    assert_int_equal(rs.duplicates, 1);
    assert_int_equal(okno_recv_stats_lost(&rs), -1);
}

static void test_recv_stats_report_carries_lsr_and_dlsr(void **state)
{
    (void)state;
    struct okno_recv_stats rs = make(90000);
    okno_recv_stats_on_packet(&rs, 1, 0, false, 0);
    struct okno_rtcp_report_block b = report(&rs, 10 * MS);
    assert_int_equal(b.lsr, 0);
    assert_int_equal(b.dlsr, 0);
    uint64_t ntp = 0xe1234567a0000000ull; /* 0x4567a000 in the middle */
    okno_recv_stats_on_sr(&rs, ntp, 100 * MS);
    b = report(&rs, 1600 * MS);
    assert_int_equal(b.lsr, 0x4567a000);
    assert_int_equal(b.dlsr, 98304); /* 1.5 s in 1/65536 s */
    /* The sender, 40 ms of network later, finds an RTT of 40 ms. */
    uint64_t back = ntp + ((uint64_t)1540 << 32) / 1000;
    int64_t rtt = okno_rtcp_rtt_us(back, b.lsr, b.dlsr);
    assert_true(rtt > 40 * MS - 16 && rtt < 40 * MS + 16); /* LSR and DLSR count 1/65536 s */
}

static void test_recv_stats_block_survives_rr_build_and_parse(void **state)
{
    (void)state;
    struct okno_recv_stats rs = make(90000);
    for (uint16_t s = 65000; s != 200; s++)
        if (s % 50 != 0)
            okno_recv_stats_on_packet(&rs, s, s * 3000u, false, s * 7 * MS);
    okno_recv_stats_on_sr(&rs, 0x1111222233334444ull, 0);
    struct okno_rtcp_rr rr = {.ssrc = 0x5555, .report_count = 1};
    rr.blocks[0] = report(&rs, 250 * MS);
    uint8_t buf[64];
    int len = okno_rtcp_rr_build(&rr, buf, sizeof buf);
    assert_int_equal(len, 8 + OKNO_RTCP_REPORT_BLOCK_LEN);
    struct okno_rtcp_pkt pkt;
    assert_int_equal(okno_rtcp_parse(buf, (size_t)len, &pkt), len);
    struct okno_rtcp_rr back;
    assert_int_equal(okno_rtcp_rr_parse(&pkt, &back), 0);
    assert_int_equal(back.report_count, 1);
    const struct okno_rtcp_report_block *x = &back.blocks[0], *y = &rr.blocks[0];
    assert_int_equal(x->ssrc, y->ssrc);
    assert_int_equal(x->fraction_lost, y->fraction_lost);
    assert_int_equal(x->cumulative_lost, y->cumulative_lost);
    assert_int_equal(x->ext_highest_seq, y->ext_highest_seq);
    assert_int_equal(x->jitter, y->jitter);
    assert_int_equal(x->lsr, y->lsr);
    assert_int_equal(x->dlsr, y->dlsr);
    assert_true(y->fraction_lost > 0 && y->cumulative_lost > 0 && y->jitter > 0);
    assert_int_equal(back.blocks[0].ext_highest_seq, 65536 + 199);
}

static void test_recv_stats_on_chromium_opus_sample(void **state)
{
    (void)state;
    struct capture *c = malloc(sizeof *c);
    assert_non_null(c);
    capture_load(c);
    struct okno_recv_stats rs = make(48000);
    uint16_t first = 0, last = 0;
    uint32_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct okno_rtp_pkt p;
        if (okno_rtp_parse(c->pkt[i], c->len[i], &p) != 0 || p.ssrc != 0x21cf9e72)
            continue;
        if (n++ == 0)
            first = p.seq;
        last = p.seq;
        /* Arrival exactly on the media clock: a perfect network has no jitter. */
        int64_t t = (int64_t)(p.ts - 438379672u) * 1000 / 48;
        assert_int_equal(okno_recv_stats_on_packet(&rs, p.seq, p.ts, false, t), 0);
    }
    assert_true(n >= 3);
    struct okno_rtcp_report_block b = report(&rs, 0);
    assert_int_equal(b.ext_highest_seq, last);
    assert_int_equal(b.cumulative_lost, (int32_t)(last - first + 1 - n));
    assert_int_equal(b.jitter, 0);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recv_stats_refuses_zero_clock_rate_and_report_before_first_packet),
        cmocka_unit_test(test_recv_stats_counts_loss_and_fraction_per_interval),
        cmocka_unit_test(test_recv_stats_extends_highest_sequence_across_wrap),
        cmocka_unit_test(test_recv_stats_duplicates_make_cumulative_loss_negative),
        cmocka_unit_test(test_recv_stats_clamps_cumulative_loss_to_signed_24_bits),
        cmocka_unit_test(test_recv_stats_believes_jump_only_when_next_packet_follows_it),
        cmocka_unit_test(test_recv_stats_jitter_matches_rfc3550_example),
        cmocka_unit_test(test_recv_stats_keeps_retransmissions_and_duplicates_out_of_jitter),
        cmocka_unit_test(test_recv_stats_report_carries_lsr_and_dlsr),
        cmocka_unit_test(test_recv_stats_block_survives_rr_build_and_parse),
        cmocka_unit_test(test_recv_stats_on_chromium_opus_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
