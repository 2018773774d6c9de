/* RTCP framing: common header, compound walk, validation rules and the datagram writer. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"

/* What Chrome sends every second or so while publishing: SR with one report block, then SDES CNAME.
 */
static const char SR_SDES[] = "81 c8 00 0c  # V=2, RC=1, PT=200 SR, length 12 words\n"
                              "12 34 56 78  # sender SSRC\n"
                              "ea 8f 2b 3c  # NTP seconds\n"
                              "80 00 00 00  # NTP fraction: half a second\n"
                              "00 01 5f 90  # RTP timestamp 90000\n"
                              "00 00 01 2c  # sender packet count 300\n"
                              "00 03 a9 80  # sender octet count 240000\n"
                              "87 65 43 21  # block: source SSRC\n"
                              "05 00 00 0a  # fraction lost 5/256, cumulative lost 10\n"
                              "00 01 03 e8  # extended highest seq: 1 cycle, seq 1000\n"
                              "00 00 00 20  # interarrival jitter 32\n"
                              "9a bc de f0  # LSR\n"
                              "00 01 80 00  # DLSR 1.5 s\n"
                              "81 ca 00 06  # V=2, SC=1, PT=202 SDES, length 6 words\n"
                              "12 34 56 78  # chunk SSRC\n"
                              "01 10 61 62  # CNAME, 16 bytes: ab\n"
                              "63 64 45 46  # cdEF\n"
                              "47 48 69 6a  # GHij\n"
                              "6b 6c 4d 4e  # klMN\n"
                              "4f 50 00 00  # OP, end of items, one null of padding\n";
#define SR_LEN 52

/* A receiver's report with no blocks followed by a bandwidth cap. */
static const char RR_REMB[] = "80 c9 00 01  # V=2, RC=0, PT=201 RR, length 1 word\n"
                              "00 00 00 01  # sender SSRC 1\n"
                              "8f ce 00 05  # V=2, FMT=15, PT=206 PSFB, length 5 words\n"
                              "00 00 00 01  # sender SSRC 1\n"
                              "00 00 00 00  # media SSRC: unused, 0\n"
                              "52 45 4d 42  # 'REMB'\n"
                              "01 0b d0 90  # 1 SSRC, exponent 2, mantissa 0x3d090: 1 Mbit/s\n"
                              "12 34 56 78  # SSRC the cap applies to\n";

/* Reduced-size RTCP (RFC 5506): a PLI on its own. */
static const char LONE_PLI[] = "81 ce 00 02  # V=2, FMT=1, PT=206 PSFB (PLI), length 2 words\n"
                               "00 00 00 01  # sender SSRC 1\n"
                               "12 34 56 78  # media SSRC\n";

static void test_rtcp_iter_walks_sr_sdes_compound_as_views(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = okno_test_hex(SR_SDES, buf, sizeof buf);
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt pkt;
    okno_rtcp_iter_init(&it, buf, len);

    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 1);
    assert_int_equal(pkt.version, 2);
    assert_false(pkt.padding);
    assert_int_equal(pkt.count, 1);
    assert_int_equal(pkt.pt, OKNO_RTCP_SR);
    assert_int_equal(pkt.length, 12);
    assert_int_equal(pkt.sender_ssrc, 0x12345678);
    assert_ptr_equal(pkt.raw, buf);
    assert_int_equal(pkt.raw_len, SR_LEN);
    assert_ptr_equal(pkt.body, buf + 4);
    assert_int_equal(pkt.body_len, SR_LEN - 4);

    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 1);
    assert_int_equal(pkt.pt, OKNO_RTCP_SDES);
    assert_int_equal(pkt.count, 1);
    assert_int_equal(pkt.length, 6);
    assert_ptr_equal(pkt.raw, buf + SR_LEN);
    assert_int_equal(pkt.raw_len, 28);
    assert_int_equal(pkt.sender_ssrc, 0x12345678);

    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 0);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 0);
    assert_int_equal(okno_rtcp_validate(buf, len, false), 2);
}

static void test_rtcp_iter_reads_fmt_from_count_field_of_feedback(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(RR_REMB, buf, sizeof buf);
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt pkt;
    okno_rtcp_iter_init(&it, buf, len);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 1);
    assert_int_equal(pkt.pt, OKNO_RTCP_RR);
    assert_int_equal(pkt.count, 0);
    assert_int_equal(pkt.body_len, 4);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 1);
    assert_int_equal(pkt.pt, OKNO_RTCP_PSFB);
    assert_int_equal(pkt.count, 15);
    assert_int_equal(pkt.body_len, 20);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 0);
    assert_int_equal(okno_rtcp_validate(buf, len, false), 2);
}

static void test_rtcp_parse_rejects_version_other_than_2(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(RR_REMB, buf, sizeof buf);
    struct okno_rtcp_pkt pkt;
    for (uint8_t v = 0; v < 4; v++) {
        buf[0] = (uint8_t)(v << 6 | (buf[0] & 0x3f));
        assert_int_equal(okno_rtcp_parse(buf, len, &pkt), v == 2 ? 8 : OKNO_E_VERSION);
    }
}

static void test_rtcp_parse_rejects_length_claiming_more_than_buffer(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(RR_REMB, buf, sizeof buf);
    struct okno_rtcp_pkt pkt;
    buf[3] = 0x08; /* RR says 9 words; the datagram holds 8 in all */
    assert_int_equal(okno_rtcp_parse(buf, len, &pkt), OKNO_E_TRUNCATED);
    assert_int_equal(okno_rtcp_validate(buf, len, false), OKNO_E_TRUNCATED);
    buf[2] = 0xff; /* and a length near the field's maximum */
    assert_int_equal(okno_rtcp_parse(buf, len, &pkt), OKNO_E_TRUNCATED);
}

static void test_rtcp_validate_rejects_lengths_that_miss_packet_boundaries(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(RR_REMB, buf, sizeof buf);
    /* RR claims 3 words: the walk lands inside REMB, on its sender SSRC, which is no header. */
    buf[3] = 0x02;
    assert_int_equal(okno_rtcp_validate(buf, len, false), OKNO_E_VERSION);
    /* REMB claims one word less: the SSRC it leaves behind is read as a header and refused. */
    len = okno_test_hex(RR_REMB, buf, sizeof buf);
    buf[11] = 0x04;
    assert_int_equal(okno_rtcp_validate(buf, len, false), OKNO_E_VERSION);
}

static void test_rtcp_validate_rejects_every_truncation_of_compound(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = okno_test_hex(SR_SDES, buf, sizeof buf);
    for (size_t cut = 0; cut < len; cut++) {
        int rc = okno_rtcp_validate(buf, cut, false);
        /* Cutting exactly between the packets leaves a valid datagram holding the SR alone. */
        if (cut == SR_LEN)
            assert_int_equal(rc, 1);
        else
            assert_int_equal(rc, OKNO_E_TRUNCATED);
    }
}

static void test_rtcp_iter_rejects_trailing_bytes_shorter_than_header(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(LONE_PLI, buf, sizeof buf);
    buf[len++] = 0x80;
    buf[len++] = 0xc9;
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt pkt;
    okno_rtcp_iter_init(&it, buf, len);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 1);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), OKNO_E_TRUNCATED);
    /* The error sticks: a caller looping until <= 0 cannot walk on. */
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), OKNO_E_TRUNCATED);
}

static void test_rtcp_iter_rejects_padding_in_packet_that_is_not_last(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex("a0 c9 00 02  # V=2, P=1, RC=0, RR, length 2\n"
                               "00 00 00 01  # sender SSRC\n"
                               "00 00 00 04  # padding: 4 bytes\n"
                               "81 ce 00 02  # PLI\n"
                               "00 00 00 01  # sender SSRC\n"
                               "12 34 56 78  # media SSRC\n",
                               buf, sizeof buf);
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt pkt;
    okno_rtcp_iter_init(&it, buf, len);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), OKNO_E_MALFORMED);
    assert_int_equal(okno_rtcp_validate(buf, len, false), OKNO_E_MALFORMED);
    /* The same padded RR is fine at the end of the datagram. */
    assert_int_equal(okno_rtcp_validate(buf, 12, false), 1);
}

static void test_rtcp_parse_strips_padding_from_body(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex("a1 ce 00 03  # V=2, P=1, FMT=1 PSFB (PLI), length 3\n"
                               "00 00 00 01  # sender SSRC\n"
                               "12 34 56 78  # media SSRC\n"
                               "00 00 00 04  # padding: 4 bytes\n",
                               buf, sizeof buf);
    struct okno_rtcp_pkt pkt;
    assert_int_equal(okno_rtcp_parse(buf, len, &pkt), 16);
    assert_true(pkt.padding);
    assert_int_equal(pkt.pad_len, 4);
    assert_int_equal(pkt.body_len, 8);
    struct okno_rtcp_fb fb;
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), 0);
    assert_int_equal(okno_rtcp_pli_parse(&fb), 0);
}

static void test_rtcp_parse_rejects_padding_count_zero_or_past_header(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex("a1 ce 00 03  # V=2, P=1, PLI, length 3\n"
                               "00 00 00 01  # sender SSRC\n"
                               "12 34 56 78  # media SSRC\n"
                               "00 00 00 00  # padding count 0: a lie\n",
                               buf, sizeof buf);
    struct okno_rtcp_pkt pkt;
    assert_int_equal(okno_rtcp_parse(buf, len, &pkt), OKNO_E_MALFORMED);
    buf[len - 1] = 12; /* eats the body exactly: allowed, the PLI parser then complains */
    assert_int_equal(okno_rtcp_parse(buf, len, &pkt), 16);
    assert_int_equal(pkt.body_len, 0);
    buf[len - 1] = 13; /* would eat into the header */
    assert_int_equal(okno_rtcp_parse(buf, len, &pkt), OKNO_E_MALFORMED);
}

static void test_rtcp_validate_accepts_lone_feedback_only_when_reduced_size(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(LONE_PLI, buf, sizeof buf);
    assert_int_equal(okno_rtcp_validate(buf, len, true), 1);
    assert_int_equal(okno_rtcp_validate(buf, len, false), OKNO_E_MALFORMED);
    /* Two feedback packets back to back, as Chrome batches them under rtcp-rsize. */
    memcpy(buf + len, buf, len);
    assert_int_equal(okno_rtcp_validate(buf, 2 * len, true), 2);
}

static void test_rtcp_validate_rejects_empty_datagram(void **state)
{
    (void)state;
    uint8_t b = 0;
    assert_int_equal(okno_rtcp_validate(&b, 0, true), OKNO_E_TRUNCATED);
}

static void test_rtcp_writer_builds_sr_and_sdes_cname_identical_to_fixture(void **state)
{
    (void)state;
    uint8_t want[128];
    size_t want_len = okno_test_hex(SR_SDES, want, sizeof want);
    struct okno_rtcp_sr sr = {
        .ssrc = 0x12345678,
        .ntp = 0xea8f2b3c80000000ull,
        .rtp_ts = 90000,
        .packet_count = 300,
        .octet_count = 240000,
        .report_count = 1,
        .blocks = {{0x87654321, 5, 10, 0x103e8, 32, 0x9abcdef0, 0x18000}},
    };
    uint8_t buf[128];
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, buf, sizeof buf);
    okno_rtcp_writer_commit(
        &w, okno_rtcp_sr_build(&sr, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    okno_rtcp_writer_commit(&w, okno_rtcp_sdes_build_cname(0x12345678, "abcdEFGHijklMNOP", 16,
                                                           okno_rtcp_writer_tail(&w),
                                                           okno_rtcp_writer_room(&w)));
    assert_int_equal(okno_rtcp_writer_finish(&w), (int)want_len);
    assert_memory_equal(buf, want, want_len);
}

static void test_rtcp_writer_builds_rr_and_remb_identical_to_fixture(void **state)
{
    (void)state;
    uint8_t want[64];
    size_t want_len = okno_test_hex(RR_REMB, want, sizeof want);
    struct okno_rtcp_rr rr = {.ssrc = 1};
    struct okno_rtcp_remb remb = {.bitrate = 1000000, .ssrc_count = 1, .ssrcs = {0x12345678}};
    uint8_t buf[64];
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, buf, sizeof buf);
    okno_rtcp_writer_commit(
        &w, okno_rtcp_rr_build(&rr, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    okno_rtcp_writer_commit(
        &w, okno_rtcp_remb_build(1, &remb, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    assert_int_equal(okno_rtcp_writer_finish(&w), (int)want_len);
    assert_memory_equal(buf, want, want_len);
}

static void test_rtcp_writer_appends_rr_nack_pli_into_walkable_compound(void **state)
{
    (void)state;
    static const uint16_t lost[] = {7, 9, 40};
    uint8_t buf[128];
    struct okno_rtcp_writer w;
    struct okno_rtcp_rr rr = {.ssrc = 1};
    okno_rtcp_writer_init(&w, buf, sizeof buf);
    okno_rtcp_writer_commit(
        &w, okno_rtcp_rr_build(&rr, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    okno_rtcp_writer_commit(&w, okno_rtcp_nack_build(1, 0xabc, lost, 3, okno_rtcp_writer_tail(&w),
                                                     okno_rtcp_writer_room(&w)));
    okno_rtcp_writer_commit(
        &w, okno_rtcp_pli_build(1, 0xabc, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    int len = okno_rtcp_writer_finish(&w);
    assert_int_equal(len, 8 + 20 + 12);
    assert_int_equal(okno_rtcp_validate(buf, (size_t)len, false), 3);

    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt pkt;
    struct okno_rtcp_fb fb;
    okno_rtcp_iter_init(&it, buf, (size_t)len);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 1);
    assert_int_equal(pkt.pt, OKNO_RTCP_RR);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 1);
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), 0);
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_NACK);
    uint16_t back[8];
    assert_int_equal(okno_rtcp_nack_expand(&fb, back, 8), 3);
    assert_memory_equal(back, lost, sizeof lost);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 1);
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), 0);
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_PLI);
    assert_int_equal(fb.media_ssrc, 0xabc);
    assert_int_equal(okno_rtcp_iter_next(&it, &pkt), 0);
}

static void test_rtcp_writer_error_sticks_after_nospc(void **state)
{
    (void)state;
    uint8_t buf[20];
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, buf, sizeof buf);
    assert_int_equal(
        okno_rtcp_writer_commit(
            &w, okno_rtcp_pli_build(1, 2, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w))),
        0);
    assert_int_equal(
        okno_rtcp_writer_commit(
            &w, okno_rtcp_pli_build(1, 2, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w))),
        OKNO_E_NOSPC);
    assert_null(okno_rtcp_writer_tail(&w));
    assert_int_equal(okno_rtcp_writer_room(&w), 0);
    /* Later builders see no room, fail the same way, and the first error is what finish reports. */
    assert_int_equal(
        okno_rtcp_writer_commit(
            &w, okno_rtcp_pli_build(1, 2, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w))),
        OKNO_E_NOSPC);
    assert_int_equal(okno_rtcp_writer_finish(&w), OKNO_E_NOSPC);
}

static void test_rtcp_writer_commit_refuses_size_that_disagrees_with_header(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, buf, sizeof buf);
    int n = okno_rtcp_pli_build(1, 2, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w));
    assert_int_equal(n, 12);
    assert_int_equal(okno_rtcp_writer_commit(&w, n + 4), OKNO_E_INVAL);
    assert_int_equal(okno_rtcp_writer_finish(&w), OKNO_E_INVAL);
}

static void test_rtcp_writer_pad_fixes_up_last_packet_length(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, buf, sizeof buf);
    struct okno_rtcp_rr rr = {.ssrc = 1};
    okno_rtcp_writer_commit(
        &w, okno_rtcp_rr_build(&rr, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    okno_rtcp_writer_commit(
        &w, okno_rtcp_pli_build(1, 2, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    assert_int_equal(okno_rtcp_writer_pad(&w, 16), 0); /* 20 bytes -> 32 */
    assert_int_equal(okno_rtcp_writer_pad(&w, 16), 0); /* already aligned: no change */
    assert_int_equal(okno_rtcp_writer_finish(&w), 32);
    assert_int_equal(buf[8], 0xa1); /* P bit set on the PLI, not the RR */
    assert_int_equal(buf[0], 0x80);
    assert_int_equal(buf[11], 5);  /* PLI length now 6 words - 1 */
    assert_int_equal(buf[31], 12); /* padding count */
    assert_int_equal(okno_rtcp_validate(buf, 32, false), 2);
    struct okno_rtcp_pkt pkt;
    assert_int_equal(okno_rtcp_parse(buf + 8, 24, &pkt), 24);
    assert_int_equal(pkt.body_len, 8);
    /* Growing the padding again keeps one count that covers both. */
    assert_int_equal(okno_rtcp_writer_pad(&w, 64), 0);
    assert_int_equal(okno_rtcp_writer_finish(&w), 64);
    assert_int_equal(buf[31], 0);
    assert_int_equal(buf[63], 44);
    assert_int_equal(okno_rtcp_parse(buf + 8, 56, &pkt), 56);
    assert_int_equal(pkt.body_len, 8);
}

static void test_rtcp_writer_pad_rejects_bad_alignment_and_empty_datagram(void **state)
{
    (void)state;
    uint8_t buf[16];
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, buf, sizeof buf);
    assert_int_equal(okno_rtcp_writer_pad(&w, 16), OKNO_E_INVAL);
    okno_rtcp_writer_commit(
        &w, okno_rtcp_pli_build(1, 2, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    assert_int_equal(okno_rtcp_writer_pad(&w, 12), OKNO_E_INVAL);
    assert_int_equal(okno_rtcp_writer_pad(&w, 256), OKNO_E_INVAL);
    assert_int_equal(okno_rtcp_writer_pad(&w, 32), OKNO_E_NOSPC);
    assert_int_equal(okno_rtcp_writer_finish(&w), OKNO_E_NOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtcp_iter_walks_sr_sdes_compound_as_views),
        cmocka_unit_test(test_rtcp_iter_reads_fmt_from_count_field_of_feedback),
        cmocka_unit_test(test_rtcp_parse_rejects_version_other_than_2),
        cmocka_unit_test(test_rtcp_parse_rejects_length_claiming_more_than_buffer),
        cmocka_unit_test(test_rtcp_validate_rejects_lengths_that_miss_packet_boundaries),
        cmocka_unit_test(test_rtcp_validate_rejects_every_truncation_of_compound),
        cmocka_unit_test(test_rtcp_iter_rejects_trailing_bytes_shorter_than_header),
        cmocka_unit_test(test_rtcp_iter_rejects_padding_in_packet_that_is_not_last),
        cmocka_unit_test(test_rtcp_parse_strips_padding_from_body),
        cmocka_unit_test(test_rtcp_parse_rejects_padding_count_zero_or_past_header),
        cmocka_unit_test(test_rtcp_validate_accepts_lone_feedback_only_when_reduced_size),
        cmocka_unit_test(test_rtcp_validate_rejects_empty_datagram),
        cmocka_unit_test(test_rtcp_writer_builds_sr_and_sdes_cname_identical_to_fixture),
        cmocka_unit_test(test_rtcp_writer_builds_rr_and_remb_identical_to_fixture),
        cmocka_unit_test(test_rtcp_writer_appends_rr_nack_pli_into_walkable_compound),
        cmocka_unit_test(test_rtcp_writer_error_sticks_after_nospc),
        cmocka_unit_test(test_rtcp_writer_commit_refuses_size_that_disagrees_with_header),
        cmocka_unit_test(test_rtcp_writer_pad_fixes_up_last_packet_length),
        cmocka_unit_test(test_rtcp_writer_pad_rejects_bad_alignment_and_empty_datagram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
