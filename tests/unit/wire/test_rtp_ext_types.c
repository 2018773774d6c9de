/* Typed accessors for the header extensions WebRTC negotiates (src/wire/rtp_ext_types.c): length
 * checks, value decoding, in-place setters and the abs-send-time conversions. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/rtp_ext.h"

/* What Chromium puts on an Opus packet (from the capture), with a payload and 2 bytes of padding.
 */
static const char opus_hex[] = "b0 ef 1a ff    # V=2 P=1 X=1, M=1 PT=111, seq 6911\n"
                               "45 76 a6 cd    # timestamp\n"
                               "5b 09 f3 10    # SSRC\n"
                               "be de 00 03    # one-byte block, 3 words\n"
                               "22 93 30 a9    # id 2 abs-send-time 0x9330a9\n"
                               "31 00 01 40    # id 3 transport-wide-cc 1; id 4 (mid) ..\n"
                               "30 10 ff 00    # .. '0'; id 1 audio level V=1 127; padding\n"
                               "de ad be ef    # payload\n"
                               "00 02          # padding, count 2\n";

static size_t load(const char *hex, uint8_t *b, size_t cap, struct okno_rtp_pkt *p)
{
    size_t n = okno_test_hex(hex, b, cap);
    assert_int_equal(okno_rtp_parse(b, n, p), 0);
    return n;
}

static void test_rtp_ext_typed_setters_write_in_place(void **state)
{
    (void)state;
    uint8_t b[64];
    struct okno_rtp_pkt p;
    size_t n = load(opus_hex, b, sizeof b, &p);
    uint16_t seq;
    uint32_t t;
    assert_int_equal(okno_rtp_ext_set_twcc(b, n, 3, 0xfffe), 0);
    assert_int_equal(okno_rtp_ext_get_twcc(&p, 3, &seq), 0);
    assert_int_equal(seq, 0xfffe);
    assert_int_equal(okno_rtp_ext_set_abs_send_time(b, n, 2, 0x123456), 0);
    assert_int_equal(okno_rtp_ext_get_abs_send_time(&p, 2, &t), 0);
    assert_int_equal(t, 0x123456);
    assert_int_equal(okno_rtp_ext_set_twcc(b, n, 2, 1), OKNO_E_MALFORMED);
    assert_int_equal(okno_rtp_ext_set_abs_send_time(b, n, 9, 1), OKNO_E_NOTFOUND);
}

static void test_rtp_ext_typed_getters_check_lengths(void **state)
{
    (void)state;
    uint8_t b[64];
    struct okno_rtp_pkt p;
    load(opus_hex, b, sizeof b, &p);
    uint16_t seq;
    uint32_t t;
    int32_t off;
    bool voice;
    uint8_t level;
    const char *s;
    size_t sn;
    assert_int_equal(okno_rtp_ext_get_twcc(&p, 2, &seq), OKNO_E_MALFORMED);
    assert_int_equal(okno_rtp_ext_get_abs_send_time(&p, 3, &t), OKNO_E_MALFORMED);
    assert_int_equal(okno_rtp_ext_get_audio_level(&p, 3, &voice, &level), OKNO_E_MALFORMED);
    assert_int_equal(okno_rtp_ext_get_toffset(&p, 1, &off), OKNO_E_MALFORMED);
    assert_int_equal(okno_rtp_ext_get_toffset(&p, 2, &off), 0);
    assert_int_equal(off, 0x9330a9 - 0x1000000); /* the same bytes read as a negative offset */
    assert_int_equal(okno_rtp_ext_get_rid(&p, 4, &s, &sn), 0);
    assert_int_equal(sn, 1);
    assert_int_equal(s[0], '0');
    assert_int_equal(okno_rtp_ext_get_repaired_rid(&p, 7, &s, &sn), OKNO_E_NOTFOUND);
}

static void test_rtp_ext_strings_stop_at_nul_and_reject_empty(void **state)
{
    (void)state;
    uint8_t b[64];
    struct okno_rtp_pkt p;
    size_t n = okno_test_hex("90 60 00 01 00 00 00 00 00 00 00 01 # RTP header X=1\n"
                             "10 00 00 02    # two-byte block, 2 words\n"
                             "0a 03 68 00    # id 10 L=3: 'h', NUL, ..\n"
                             "00 0b 00 00    # .. NUL; id 11 L=0; padding\n",
                             b, sizeof b);
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    const char *s;
    size_t sn;
    assert_int_equal(okno_rtp_ext_get_rid(&p, 10, &s, &sn), 0);
    assert_int_equal(sn, 1);
    assert_int_equal(s[0], 'h');
    assert_int_equal(okno_rtp_ext_get_repaired_rid(&p, 11, &s, &sn), OKNO_E_MALFORMED);
    b[18] = 0;
    assert_int_equal(okno_rtp_ext_get_string(&p, 10, &s, &sn), OKNO_E_MALFORMED);
}

static void test_rtp_ext_abs_send_time_converts_microseconds(void **state)
{
    (void)state;
    assert_int_equal(okno_rtp_abs_send_time_from_us(0), 0);
    assert_int_equal(okno_rtp_abs_send_time_from_us(1000000), 1u << 18);
    assert_int_equal(okno_rtp_abs_send_time_from_us(500000), 1u << 17);
    assert_int_equal(okno_rtp_abs_send_time_from_us(64000000), 0); /* wraps every 64 s */
    assert_int_equal(okno_rtp_abs_send_time_from_us(65000000), 1u << 18);
    assert_int_equal(okno_rtp_abs_send_time_from_us(63999999), 0); /* rounds up to 64 s == 0 */
    assert_int_equal(okno_rtp_abs_send_time_from_us(UINT64_MAX),
                     okno_rtp_abs_send_time_from_us(UINT64_MAX % 64000000u));
    assert_int_equal(okno_rtp_abs_send_time_to_us(1u << 18), 1000000);
    assert_int_equal(okno_rtp_abs_send_time_to_us(0xffffff), 63999996);
    for (uint64_t us = 0; us < 64000000; us += 999983) {
        uint64_t back = okno_rtp_abs_send_time_to_us(okno_rtp_abs_send_time_from_us(us));
        assert_true(back + 2 >= us && back <= us + 2); /* one step is 3.8 us */
    }
}

static void test_rtp_ext_audio_level_reads_voice_bit(void **state)
{
    (void)state;
    uint8_t b[64];
    struct okno_rtp_pkt p;
    bool voice = true;
    uint8_t level = 0;
    load(opus_hex, b, sizeof b, &p);
    b[26] = 0x21; /* V=0, 33 dBov below full scale */
    assert_int_equal(okno_rtp_ext_get_audio_level(&p, 1, &voice, &level), 0);
    assert_false(voice);
    assert_int_equal(level, 33);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtp_ext_typed_setters_write_in_place),
        cmocka_unit_test(test_rtp_ext_typed_getters_check_lengths),
        cmocka_unit_test(test_rtp_ext_strings_stop_at_nul_and_reject_empty),
        cmocka_unit_test(test_rtp_ext_abs_send_time_converts_microseconds),
        cmocka_unit_test(test_rtp_ext_audio_level_reads_voice_bit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
