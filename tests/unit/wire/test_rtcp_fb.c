/* Feedback messages: common header, generic NACK, PLI, FIR and REMB. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"

static const char NACK[] =
    "81 cd 00 04  # V=2, FMT=1, PT=205 RTPFB (generic NACK), length 4 words\n"
    "00 00 00 01  # sender SSRC 1\n"
    "12 34 56 78  # media SSRC\n"
    "00 64 00 05  # PID 100, BLP 0x0005: 101 and 103 lost too\n"
    "01 00 80 00  # PID 256, BLP 0x8000: 272 lost too\n";

static const char NACK_WRAP[] = "81 cd 00 04  # generic NACK, length 4 words\n"
                                "00 00 00 01  # sender SSRC 1\n"
                                "12 34 56 78  # media SSRC\n"
                                "ff fe 00 07  # PID 65534, BLP 0x0007: 65535, 0 and 1\n"
                                "00 14 00 00  # PID 20 alone\n";

static const char PLI[] = "81 ce 00 02  # V=2, FMT=1, PT=206 PSFB (PLI), length 2 words\n"
                          "00 00 00 01  # sender SSRC 1\n"
                          "12 34 56 78  # media SSRC\n";

static const char FIR[] = "84 ce 00 06  # V=2, FMT=4, PT=206 PSFB (FIR), length 6 words\n"
                          "00 00 00 01  # sender SSRC 1\n"
                          "00 00 00 00  # media SSRC: unused, 0\n"
                          "12 34 56 78  # entry 1: SSRC\n"
                          "07 00 00 00  # command sequence number 7, reserved\n"
                          "9a bc de f0  # entry 2: SSRC\n"
                          "08 00 00 00  # command sequence number 8, reserved\n";

static const char REMB[] = "8f ce 00 06  # V=2, FMT=15, PT=206 PSFB (AFB), length 6 words\n"
                           "00 00 00 01  # sender SSRC 1\n"
                           "00 00 00 00  # media SSRC: unused, 0\n"
                           "52 45 4d 42  # 'REMB'\n"
                           "02 0b d0 90  # 2 SSRCs, exponent 2, mantissa 0x3d090: 1 Mbit/s\n"
                           "12 34 56 78  # SSRC 1\n"
                           "9a bc de f0  # SSRC 2\n";

static struct okno_rtcp_fb load(const char *hex, uint8_t *buf, size_t cap, size_t *len)
{
    *len = okno_test_hex(hex, buf, cap);
    struct okno_rtcp_pkt pkt;
    assert_int_equal(okno_rtcp_parse(buf, *len, &pkt), (int)*len);
    struct okno_rtcp_fb fb;
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), 0);
    return fb;
}

typedef int (*fb_decoder)(const struct okno_rtcp_fb *fb);

/* Every cut must fail framing; every length rewritten to `words` must give expect[words - 1]. */
static void check_short_lengths(const char *hex, fb_decoder decode, const int *expect)
{
    uint8_t orig[128], buf[128];
    size_t len = okno_test_hex(hex, orig, sizeof orig);
    struct okno_rtcp_pkt pkt;
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(okno_rtcp_parse(orig, cut, &pkt), OKNO_E_TRUNCATED);
    for (size_t words = 1; words < len / 4; words++) {
        memcpy(buf, orig, len);
        buf[3] = (uint8_t)(words - 1);
        assert_int_equal(okno_rtcp_parse(buf, len, &pkt), (int)(words * 4));
        struct okno_rtcp_fb fb;
        int rc = okno_rtcp_fb_parse(&pkt, &fb);
        if (rc == 0)
            rc = decode(&fb);
        assert_int_equal(rc, expect[words - 1]);
    }
}

static int nack_decode(const struct okno_rtcp_fb *fb)
{
    uint16_t lost[64];
    int n = okno_rtcp_nack_expand(fb, lost, 64);
    return n < 0 ? n : 0;
}

static int fir_decode(const struct okno_rtcp_fb *fb)
{
    struct okno_rtcp_fir_entry e[4];
    int n = okno_rtcp_fir_parse(fb, e, 4);
    return n < 0 ? n : 0;
}

static int remb_decode(const struct okno_rtcp_fb *fb)
{
    struct okno_rtcp_remb remb;
    return okno_rtcp_remb_parse(fb, &remb);
}

static void test_fb_parse_splits_header_and_fci(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len;
    struct okno_rtcp_fb fb = load(NACK, buf, sizeof buf, &len);
    assert_int_equal(fb.pt, OKNO_RTCP_RTPFB);
    assert_int_equal(fb.fmt, 1);
    assert_int_equal(fb.sender_ssrc, 1);
    assert_int_equal(fb.media_ssrc, 0x12345678);
    assert_ptr_equal(fb.fci, buf + 12);
    assert_int_equal(fb.fci_len, 8);
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_NACK);
}

static void test_fb_parse_rejects_short_body_and_other_types(void **state)
{
    (void)state;
    uint8_t buf[16];
    size_t len = okno_test_hex("81 cd 00 01  # generic NACK, length 1: no media SSRC\n"
                               "00 00 00 01  # sender SSRC\n",
                               buf, sizeof buf);
    struct okno_rtcp_pkt pkt;
    struct okno_rtcp_fb fb;
    assert_int_equal(okno_rtcp_parse(buf, len, &pkt), 8);
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), OKNO_E_MALFORMED);
    buf[1] = OKNO_RTCP_RR;
    assert_int_equal(okno_rtcp_parse(buf, len, &pkt), 8);
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), OKNO_E_INVAL);
}

static void test_fb_kind_tells_twcc_and_unknown_afb_apart_from_remb(void **state)
{
    (void)state;
    static const uint8_t abcd[4] = {'A', 'B', 'C', 'D'};
    struct okno_rtcp_fb fb = {.pt = OKNO_RTCP_RTPFB, .fmt = 15};
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_TWCC);
    fb.fmt = 3; /* TMMBR */
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_OTHER);
    fb = (struct okno_rtcp_fb){.pt = OKNO_RTCP_PSFB, .fmt = 15, .fci = abcd, .fci_len = 4};
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_OTHER);
    fb.fci_len = 0;
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_OTHER);
    fb.fmt = 4;
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_FIR);
}

static void test_nack_expand_lists_pid_then_blp_bits_and_build_gives_same_bytes(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    size_t len;
    struct okno_rtcp_fb fb = load(NACK, buf, sizeof buf, &len);
    uint16_t lost[32];
    assert_int_equal(okno_rtcp_nack_expand(&fb, lost, 32), 5);
    static const uint16_t want[] = {100, 101, 103, 256, 272};
    assert_memory_equal(lost, want, sizeof want);
    assert_int_equal(okno_rtcp_nack_build(1, 0x12345678, lost, 5, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
}

static void test_nack_build_handles_sequence_wrap(void **state)
{
    (void)state;
    uint8_t want[64], out[64];
    size_t len = okno_test_hex(NACK_WRAP, want, sizeof want);
    static const uint16_t lost[] = {65534, 65535, 0, 1, 20};
    assert_int_equal(okno_rtcp_nack_build(1, 0x12345678, lost, 5, out, sizeof out), (int)len);
    assert_memory_equal(out, want, len);
    struct okno_rtcp_fb fb = load(NACK_WRAP, want, sizeof want, &len);
    uint16_t back[8];
    assert_int_equal(okno_rtcp_nack_expand(&fb, back, 8), 5);
    assert_memory_equal(back, lost, sizeof lost);
}

static void test_nack_build_reaches_exactly_16_past_pid_then_starts_new_fci(void **state)
{
    (void)state;
    static const uint16_t lost[] = {10, 26, 27};
    uint8_t out[64];
    assert_int_equal(okno_rtcp_nack_build(1, 2, lost, 3, out, sizeof out), 20);
    assert_memory_equal(out + 12, "\x00\x0a\x80\x00\x00\x1b\x00\x00", 8);
}

static void test_nack_build_skips_duplicates_and_rejects_disorder(void **state)
{
    (void)state;
    uint8_t out[64];
    static const uint16_t dup[] = {5, 5, 6, 6};
    assert_int_equal(okno_rtcp_nack_build(1, 2, dup, 4, out, sizeof out), 16);
    assert_memory_equal(out + 12, "\x00\x05\x00\x01", 4);
    static const uint16_t disorder[] = {5, 4};
    assert_int_equal(okno_rtcp_nack_build(1, 2, disorder, 2, out, sizeof out), OKNO_E_INVAL);
    static const uint16_t half[] = {0, 0x8000}; /* as far behind as ahead: no order */
    assert_int_equal(okno_rtcp_nack_build(1, 2, half, 2, out, sizeof out), OKNO_E_INVAL);
    assert_int_equal(okno_rtcp_nack_build(1, 2, dup, 0, out, sizeof out), OKNO_E_INVAL);
    out[0] = 0;
    assert_int_equal(okno_rtcp_nack_build(1, 2, dup, 4, out, 15), OKNO_E_NOSPC);
    assert_int_equal(out[0], 0);
}

static void test_nack_build_then_expand_returns_the_same_set(void **state)
{
    (void)state;
    uint32_t rng = 12345;
    for (int round = 0; round < 500; round++) {
        uint16_t lost[200], back[200 * 17];
        size_t n = 1 + round % 200;
        rng = rng * 1103515245 + 12345;
        uint16_t seq = (uint16_t)(rng >> 8);
        for (size_t i = 0; i < n; i++) {
            lost[i] = seq;
            rng = rng * 1103515245 + 12345;
            seq = (uint16_t)(seq + 1 + (rng >> 16) % (round % 3 == 0 ? 40 : 5));
        }
        uint8_t out[12 + 200 * 4];
        int size = okno_rtcp_nack_build(7, 8, lost, n, out, sizeof out);
        assert_true(size >= 16);
        struct okno_rtcp_pkt pkt;
        struct okno_rtcp_fb fb;
        assert_int_equal(okno_rtcp_parse(out, (size_t)size, &pkt), size);
        assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), 0);
        assert_int_equal(okno_rtcp_nack_expand(&fb, back, sizeof back / sizeof back[0]), (int)n);
        assert_memory_equal(back, lost, n * sizeof lost[0]);
    }
}

static int stop_at_103(uint16_t seq, void *ud)
{
    int *calls = ud;
    ++*calls;
    return seq == 103 ? 42 : 0;
}

static void test_nack_foreach_stops_when_callback_says_so(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len;
    struct okno_rtcp_fb fb = load(NACK, buf, sizeof buf, &len);
    int calls = 0;
    assert_int_equal(okno_rtcp_nack_foreach(&fb, stop_at_103, &calls), 42);
    assert_int_equal(calls, 3);
    uint16_t lost[4];
    assert_int_equal(okno_rtcp_nack_expand(&fb, lost, 4), OKNO_E_NOSPC);
    assert_int_equal(lost[3], 256);
}

static void test_nack_rejects_every_short_length(void **state)
{
    (void)state;
    static const int expect[] = {OKNO_E_MALFORMED, OKNO_E_MALFORMED, OKNO_E_MALFORMED, 0};
    check_short_lengths(NACK, nack_decode, expect);
}

static void test_nack_rejects_fci_that_is_not_whole_entries(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len;
    struct okno_rtcp_fb fb = load(NACK, buf, sizeof buf, &len);
    fb.fci_len = 6;
    assert_int_equal(nack_decode(&fb), OKNO_E_MALFORMED);
    fb.pt = OKNO_RTCP_PSFB;
    assert_int_equal(nack_decode(&fb), OKNO_E_INVAL);
}

static void test_pli_parse_then_build_gives_same_bytes(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    size_t len;
    struct okno_rtcp_fb fb = load(PLI, buf, sizeof buf, &len);
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_PLI);
    assert_int_equal(okno_rtcp_pli_parse(&fb), 0);
    assert_int_equal(okno_rtcp_pli_build(fb.sender_ssrc, fb.media_ssrc, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
    assert_int_equal(okno_rtcp_pli_build(1, 2, out, 11), OKNO_E_NOSPC);
    fb.fci_len = 4;
    assert_int_equal(okno_rtcp_pli_parse(&fb), OKNO_E_MALFORMED);
    fb.fmt = 2;
    assert_int_equal(okno_rtcp_pli_parse(&fb), OKNO_E_INVAL);
}

static void test_fir_parse_reads_entries_then_build_gives_same_bytes(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    size_t len;
    struct okno_rtcp_fb fb = load(FIR, buf, sizeof buf, &len);
    struct okno_rtcp_fir_entry e[4];
    assert_int_equal(okno_rtcp_fir_parse(&fb, e, 4), 2);
    assert_int_equal(e[0].ssrc, 0x12345678);
    assert_int_equal(e[0].seq_nr, 7);
    assert_int_equal(e[1].ssrc, 0x9abcdef0);
    assert_int_equal(e[1].seq_nr, 8);
    assert_int_equal(okno_rtcp_fir_build(1, e, 2, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
    assert_int_equal(okno_rtcp_fir_build(1, e, 2, out, len - 1), OKNO_E_NOSPC);
    assert_int_equal(okno_rtcp_fir_build(1, e, 0, out, sizeof out), OKNO_E_INVAL);
}

static void test_fir_parse_ignores_reserved_bits_and_reports_small_array(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len;
    struct okno_rtcp_fb fb = load(FIR, buf, sizeof buf, &len);
    buf[17] = 0xff; /* reserved bits set by a sloppy sender; fb's FCI is a view, so it sees them */
    struct okno_rtcp_fir_entry e[2];
    assert_int_equal(okno_rtcp_fir_parse(&fb, e, 2), 2);
    assert_int_equal(e[0].seq_nr, 7);
    assert_int_equal(okno_rtcp_fir_parse(&fb, e, 1), OKNO_E_NOSPC);
    assert_int_equal(e[0].ssrc, 0x12345678);
}

static void test_fir_rejects_every_short_length(void **state)
{
    (void)state;
    static const int expect[] = {
        OKNO_E_MALFORMED, OKNO_E_MALFORMED, OKNO_E_MALFORMED, OKNO_E_MALFORMED, 0,
        OKNO_E_MALFORMED};
    check_short_lengths(FIR, fir_decode, expect);
}

static void test_remb_parse_reads_bitrate_and_ssrcs_then_build_gives_same_bytes(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    size_t len;
    struct okno_rtcp_fb fb = load(REMB, buf, sizeof buf, &len);
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_REMB);
    struct okno_rtcp_remb remb;
    assert_int_equal(okno_rtcp_remb_parse(&fb, &remb), 0);
    assert_true(remb.bitrate == 1000000);
    assert_int_equal(remb.ssrc_count, 2);
    assert_int_equal(remb.ssrcs[0], 0x12345678);
    assert_int_equal(remb.ssrcs[1], 0x9abcdef0);
    assert_int_equal(okno_rtcp_remb_build(fb.sender_ssrc, &remb, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
    assert_int_equal(okno_rtcp_remb_build(1, &remb, out, len - 1), OKNO_E_NOSPC);
}

/* Builds a REMB for bitrate and reads back exponent, mantissa and the parsed rate. */
static uint64_t remb_round(uint64_t bitrate, unsigned *exp, uint32_t *mantissa)
{
    struct okno_rtcp_remb remb = {.bitrate = bitrate};
    uint8_t out[32];
    assert_int_equal(okno_rtcp_remb_build(1, &remb, out, sizeof out), 20);
    *exp = out[17] >> 2;
    *mantissa = (uint32_t)(out[17] & 3) << 16 | (uint32_t)out[18] << 8 | out[19];
    struct okno_rtcp_pkt pkt;
    struct okno_rtcp_fb fb;
    assert_int_equal(okno_rtcp_parse(out, 20, &pkt), 20);
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), 0);
    assert_int_equal(okno_rtcp_remb_parse(&fb, &remb), 0);
    assert_int_equal(remb.ssrc_count, 0);
    return remb.bitrate;
}

static void test_remb_build_picks_smallest_exponent_that_fits_mantissa(void **state)
{
    (void)state;
    unsigned exp;
    uint32_t m;
    assert_true(remb_round(0x3ffff, &exp, &m) == 0x3ffff);
    assert_int_equal(exp, 0);
    assert_int_equal(m, 0x3ffff);
    assert_true(remb_round(0x40000, &exp, &m) == 0x40000);
    assert_int_equal(exp, 1);
    assert_int_equal(m, 0x20000);
    /* Never rounds up: the cap sent is at most the one meant, and within one step of it. */
    uint64_t got = remb_round(1000001, &exp, &m);
    assert_true(got <= 1000001 && got > 1000001 - (1u << exp));
    assert_true(remb_round(UINT64_MAX, &exp, &m) == 0x3ffffull << 46);
    assert_int_equal(exp, 46);
    assert_true(remb_round(0, &exp, &m) == 0);
}

static void test_remb_parse_rejects_bitrate_past_64_bits_and_count_mismatch(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len;
    struct okno_rtcp_fb fb = load(REMB, buf, sizeof buf, &len);
    struct okno_rtcp_remb remb;
    buf[17] = 63 << 2; /* exponent 63 */
    buf[18] = 0;
    buf[19] = 1; /* mantissa 1: 2^63 still fits */
    assert_int_equal(okno_rtcp_remb_parse(&fb, &remb), 0);
    assert_true(remb.bitrate == 1ull << 63);
    buf[19] = 2; /* 2^64 does not */
    assert_int_equal(okno_rtcp_remb_parse(&fb, &remb), OKNO_E_RANGE);
    buf[19] = 1;
    buf[16] = 3; /* claims 3 SSRCs, carries 2 */
    assert_int_equal(okno_rtcp_remb_parse(&fb, &remb), OKNO_E_MALFORMED);
    buf[16] = 1; /* claims 1, carries 2 */
    assert_int_equal(okno_rtcp_remb_parse(&fb, &remb), OKNO_E_MALFORMED);
}

static void test_remb_rejects_every_short_length(void **state)
{
    (void)state;
    /* Without 4 bytes of FCI the packet is no longer recognisable as REMB at all. */
    static const int expect[] = {OKNO_E_MALFORMED, OKNO_E_MALFORMED, OKNO_E_INVAL,
                                 OKNO_E_MALFORMED, OKNO_E_MALFORMED, OKNO_E_MALFORMED};
    check_short_lengths(REMB, remb_decode, expect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fb_parse_splits_header_and_fci),
        cmocka_unit_test(test_fb_parse_rejects_short_body_and_other_types),
        cmocka_unit_test(test_fb_kind_tells_twcc_and_unknown_afb_apart_from_remb),
        cmocka_unit_test(test_nack_expand_lists_pid_then_blp_bits_and_build_gives_same_bytes),
        cmocka_unit_test(test_nack_build_handles_sequence_wrap),
        cmocka_unit_test(test_nack_build_reaches_exactly_16_past_pid_then_starts_new_fci),
        cmocka_unit_test(test_nack_build_skips_duplicates_and_rejects_disorder),
        cmocka_unit_test(test_nack_build_then_expand_returns_the_same_set),
        cmocka_unit_test(test_nack_foreach_stops_when_callback_says_so),
        cmocka_unit_test(test_nack_rejects_every_short_length),
        cmocka_unit_test(test_nack_rejects_fci_that_is_not_whole_entries),
        cmocka_unit_test(test_pli_parse_then_build_gives_same_bytes),
        cmocka_unit_test(test_fir_parse_reads_entries_then_build_gives_same_bytes),
        cmocka_unit_test(test_fir_parse_ignores_reserved_bits_and_reports_small_array),
        cmocka_unit_test(test_fir_rejects_every_short_length),
        cmocka_unit_test(test_remb_parse_reads_bitrate_and_ssrcs_then_build_gives_same_bytes),
        cmocka_unit_test(test_remb_build_picks_smallest_exponent_that_fits_mantissa),
        cmocka_unit_test(test_remb_parse_rejects_bitrate_past_64_bits_and_count_mismatch),
        cmocka_unit_test(test_remb_rejects_every_short_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
