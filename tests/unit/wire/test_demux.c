/* RFC 7983 / RFC 5761 classification of datagrams on a bundled transport (src/wire/demux.c). */
#include "testutil.h"
#include "wire/demux.h"

static void test_demux_classifies_every_first_byte_by_rfc7983_ranges(void **state)
{
    (void)state;
    uint8_t b[2] = {0, 0x60};
    for (unsigned v = 0; v < 256; v++) {
        b[0] = (uint8_t)v;
        enum okno_demux_kind want = OKNO_DEMUX_UNKNOWN;
        if (v <= 3)
            want = OKNO_DEMUX_STUN;
        else if (v >= 20 && v <= 63)
            want = OKNO_DEMUX_DTLS;
        else if (v >= 128 && v <= 191)
            want = OKNO_DEMUX_RTP;
        assert_int_equal(okno_demux_classify(b, sizeof b), want);
    }
}

static void test_demux_tells_rtcp_by_second_byte_192_to_223(void **state)
{
    (void)state;
    uint8_t b[2] = {0x80, 0};
    for (unsigned v = 0; v < 256; v++) {
        b[1] = (uint8_t)v;
        enum okno_demux_kind want = v >= 192 && v <= 223 ? OKNO_DEMUX_RTCP : OKNO_DEMUX_RTP;
        assert_int_equal(okno_demux_classify(b, sizeof b), want);
    }
}

static void test_demux_classifies_real_datagrams(void **state)
{
    (void)state;
    uint8_t b[32];
    size_t n = okno_test_hex("00 01 00 00  # STUN binding request, no attributes\n"
                             "21 12 a4 42  # magic cookie\n"
                             "01 02 03 04 05 06 07 08 09 0a 0b 0c # transaction id\n",
                             b, sizeof b);
    assert_int_equal(okno_demux_classify(b, n), OKNO_DEMUX_STUN);
    n = okno_test_hex("16 fe fd      # DTLS 1.2 handshake record\n"
                      "00 00 00 00 00 00 00 00 00 00 # epoch, sequence, length\n",
                      b, sizeof b);
    assert_int_equal(okno_demux_classify(b, n), OKNO_DEMUX_DTLS);
    n = okno_test_hex("81 c9 00 07  # RTCP RR, one report block\n", b, sizeof b);
    assert_int_equal(okno_demux_classify(b, n), OKNO_DEMUX_RTCP);
    n = okno_test_hex("90 ef 1a ff  # RTP, marker set, PT 111\n", b, sizeof b);
    assert_int_equal(okno_demux_classify(b, n), OKNO_DEMUX_RTP);
}

static void test_demux_calls_empty_and_one_byte_rtp_range_unknown(void **state)
{
    (void)state;
    static const uint8_t b[1] = {0x80};
    assert_int_equal(okno_demux_classify(b, 0), OKNO_DEMUX_UNKNOWN);
    assert_int_equal(okno_demux_classify(b, 1), OKNO_DEMUX_UNKNOWN);
    static const uint8_t stun[1] = {0x01};
    assert_int_equal(okno_demux_classify(stun, 1), OKNO_DEMUX_STUN);
}

static void test_demux_names_every_kind(void **state)
{
    (void)state;
    assert_string_equal(okno_demux_kind_name(OKNO_DEMUX_STUN), "stun");
    assert_string_equal(okno_demux_kind_name(OKNO_DEMUX_DTLS), "dtls");
    assert_string_equal(okno_demux_kind_name(OKNO_DEMUX_RTP), "rtp");
    assert_string_equal(okno_demux_kind_name(OKNO_DEMUX_RTCP), "rtcp");
    assert_string_equal(okno_demux_kind_name(OKNO_DEMUX_UNKNOWN), "unknown");
    assert_string_equal(okno_demux_kind_name((enum okno_demux_kind)77), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demux_classifies_every_first_byte_by_rfc7983_ranges),
        cmocka_unit_test(test_demux_tells_rtcp_by_second_byte_192_to_223),
        cmocka_unit_test(test_demux_classifies_real_datagrams),
        cmocka_unit_test(test_demux_calls_empty_and_one_byte_rtp_range_unknown),
        cmocka_unit_test(test_demux_names_every_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
