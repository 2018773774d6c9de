/* Unit tests of Opus packet framing (wire/opus.h): RFC 6716 table 2 for every TOC configuration,
 * each frame count code, real libopus packets, and one case for each of the rules R1-R7. There is
 * no builder, so these tests stop at parse and check. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/opus.h"

/* A real 20 ms packet from libopus (VOIP, 16 kb/s, mono). */
static const char real_code0[] =
    "78 # config 15: hybrid FB 20 ms, mono, code 0\n"
    "82 b5 b7 6c 7e 40 e6 00 00 06 4c 1d 25 f9 45 1f 39 df f6 2a f2 64 89 f7\n"
    "8a fd b2 2a 3d f6 4a 26 7c 02 53 58 dd 20 c7 c6 dc 26 15 7f 4d b7 f1 dd\n"
    "09 3f 28 cb 76 d0 81 56 cc 0b 5b cc 1a e9 cc ad 8b 34 00 dd // 68 bytes\n";

/* RFC 6716 table 2, written out row by row rather than derived, so the decoder is checked against
 * it. */
static const struct {
    enum okno_opus_mode mode;
    enum okno_opus_bandwidth bw;
    uint16_t samples;
} table2[32] = {
    {OKNO_OPUS_SILK, OKNO_OPUS_NB, 480},    {OKNO_OPUS_SILK, OKNO_OPUS_NB, 960},
    {OKNO_OPUS_SILK, OKNO_OPUS_NB, 1920},   {OKNO_OPUS_SILK, OKNO_OPUS_NB, 2880},
    {OKNO_OPUS_SILK, OKNO_OPUS_MB, 480},    {OKNO_OPUS_SILK, OKNO_OPUS_MB, 960},
    {OKNO_OPUS_SILK, OKNO_OPUS_MB, 1920},   {OKNO_OPUS_SILK, OKNO_OPUS_MB, 2880},
    {OKNO_OPUS_SILK, OKNO_OPUS_WB, 480},    {OKNO_OPUS_SILK, OKNO_OPUS_WB, 960},
    {OKNO_OPUS_SILK, OKNO_OPUS_WB, 1920},   {OKNO_OPUS_SILK, OKNO_OPUS_WB, 2880},
    {OKNO_OPUS_HYBRID, OKNO_OPUS_SWB, 480}, {OKNO_OPUS_HYBRID, OKNO_OPUS_SWB, 960},
    {OKNO_OPUS_HYBRID, OKNO_OPUS_FB, 480},  {OKNO_OPUS_HYBRID, OKNO_OPUS_FB, 960},
    {OKNO_OPUS_CELT, OKNO_OPUS_NB, 120},    {OKNO_OPUS_CELT, OKNO_OPUS_NB, 240},
    {OKNO_OPUS_CELT, OKNO_OPUS_NB, 480},    {OKNO_OPUS_CELT, OKNO_OPUS_NB, 960},
    {OKNO_OPUS_CELT, OKNO_OPUS_WB, 120},    {OKNO_OPUS_CELT, OKNO_OPUS_WB, 240},
    {OKNO_OPUS_CELT, OKNO_OPUS_WB, 480},    {OKNO_OPUS_CELT, OKNO_OPUS_WB, 960},
    {OKNO_OPUS_CELT, OKNO_OPUS_SWB, 120},   {OKNO_OPUS_CELT, OKNO_OPUS_SWB, 240},
    {OKNO_OPUS_CELT, OKNO_OPUS_SWB, 480},   {OKNO_OPUS_CELT, OKNO_OPUS_SWB, 960},
    {OKNO_OPUS_CELT, OKNO_OPUS_FB, 120},    {OKNO_OPUS_CELT, OKNO_OPUS_FB, 240},
    {OKNO_OPUS_CELT, OKNO_OPUS_FB, 480},    {OKNO_OPUS_CELT, OKNO_OPUS_FB, 960},
};

static void test_opus_toc_decodes_every_config_per_rfc6716_table2(void **state)
{
    (void)state;
    for (unsigned config = 0; config < 32; config++) {
        for (unsigned low = 0; low < 8; low++) {
            struct okno_opus_toc toc;
            okno_opus_parse_toc((uint8_t)(config << 3 | low), &toc);
            assert_int_equal(toc.config, config);
            assert_int_equal(toc.mode, table2[config].mode);
            assert_int_equal(toc.bandwidth, table2[config].bw);
            assert_int_equal(toc.frame_samples, table2[config].samples);
            assert_int_equal(toc.stereo, (low & 4) != 0);
            assert_int_equal(toc.code, low & 3);
        }
    }
}

/* Every configuration with each frame count code, in the smallest packet each code allows. */
static void test_opus_parse_every_config_with_each_code(void **state)
{
    (void)state;
    for (unsigned config = 0; config < 32; config++) {
        uint8_t toc = (uint8_t)(config << 3);
        uint16_t fs = table2[config].samples;
        struct okno_opus_packet p;

        uint8_t c0[] = {toc, 0xaa, 0xbb};
        assert_int_equal(okno_opus_parse(c0, sizeof c0, &p), 0);
        assert_int_equal(p.frame_count, 1);
        assert_int_equal(p.frame_len[0], 2);
        assert_int_equal(p.samples, fs);

        uint8_t c1[] = {toc | 1, 0xaa, 0xbb};
        assert_int_equal(okno_opus_parse(c1, sizeof c1, &p), 0);
        assert_int_equal(p.frame_count, 2);
        assert_int_equal(p.frame_len[0], 1);
        assert_int_equal(p.frame_len[1], 1);
        assert_int_equal(p.samples, 2u * fs);

        uint8_t c2[] = {toc | 2, 0x01, 0xaa, 0xbb, 0xcc};
        assert_int_equal(okno_opus_parse(c2, sizeof c2, &p), 0);
        assert_int_equal(p.frame_count, 2);
        assert_int_equal(p.frame_len[0], 1);
        assert_int_equal(p.frame_len[1], 2);
        assert_ptr_equal(p.frame[1], c2 + 3);
        assert_int_equal(p.samples, 2u * fs);

        uint8_t c3[] = {toc | 3, 0x01, 0xaa};
        assert_int_equal(okno_opus_parse(c3, sizeof c3, &p), 0);
        assert_int_equal(p.frame_count, 1);
        assert_int_equal(p.samples, fs);
        assert_int_equal(okno_opus_packet_samples(c3, sizeof c3), fs);
    }
}

static void test_opus_parse_real_hybrid_packet(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t len = okno_test_hex(real_code0, buf, sizeof buf);
    struct okno_opus_packet p;
    assert_int_equal(okno_opus_parse(buf, len, &p), 0);
    assert_int_equal(p.toc.config, 15);
    assert_int_equal(p.toc.mode, OKNO_OPUS_HYBRID);
    assert_int_equal(p.toc.bandwidth, OKNO_OPUS_FB);
    assert_false(p.toc.stereo);
    assert_int_equal(p.toc.code, 0);
    assert_int_equal(p.frame_count, 1);
    assert_ptr_equal(p.frame[0], buf + 1);
    assert_int_equal(p.frame_len[0], 68);
    assert_int_equal(p.samples, 960);
    assert_int_equal(okno_opus_packet_samples(buf, len), 960);
}

static void test_opus_parse_dtx_packet_is_one_empty_frame(void **state)
{
    (void)state;
    const uint8_t toc_only[] = {0x78};
    struct okno_opus_packet p;
    assert_int_equal(okno_opus_parse(toc_only, 1, &p), 0);
    assert_int_equal(p.frame_count, 1);
    assert_int_equal(p.frame_len[0], 0);
}

/* A 60 ms stereo CELT packet as libopus writes it in CBR mode: code 3, three frames, three bytes of
 * padding. The frame bytes are a pattern; only the framing is real. */
static void test_opus_parse_code3_cbr_with_padding(void **state)
{
    (void)state;
    uint8_t buf[399];
    memset(buf, 0x5a, sizeof buf);
    okno_test_hex("ff # config 31 CELT FB 20 ms, stereo, code 3\n"
                  "43 # v=0 CBR, p=1, M=3\n"
                  "03 # 3 bytes of padding at the end\n",
                  buf, 3);
    struct okno_opus_packet p;
    assert_int_equal(okno_opus_parse(buf, sizeof buf, &p), 0);
    assert_true(p.toc.stereo);
    assert_false(p.vbr);
    assert_int_equal(p.frame_count, 3);
    assert_int_equal(p.padding, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(p.frame_len[i], 131);
        assert_ptr_equal(p.frame[i], buf + 3 + 131 * i);
    }
    assert_int_equal(p.samples, 2880);
}

static void test_opus_parse_code3_vbr_with_padding_chain(void **state)
{
    (void)state;
    /* 255 bytes of padding coded as 255 (254 and continue) then 1. */
    uint8_t buf[10 + 255];
    memset(buf, 0, sizeof buf);
    okno_test_hex("fb    # config 31, mono, code 3\n"
                  "c2    # v=1 VBR, p=1, M=2\n"
                  "ff 01 # padding 254 + 1\n"
                  "01    # first frame 1 byte; the second takes the rest\n"
                  "aa    # frame 0\n"
                  "b0 b1 b2 b3 // frame 1\n",
                  buf, 11);
    struct okno_opus_packet p;
    assert_int_equal(okno_opus_parse(buf, sizeof buf, &p), 0);
    assert_true(p.vbr);
    assert_int_equal(p.frame_count, 2);
    assert_int_equal(p.padding, 255);
    assert_int_equal(p.frame_len[0], 1);
    assert_int_equal(p.frame[0][0], 0xaa);
    assert_int_equal(p.frame_len[1], 4);
    assert_int_equal(p.frame[1][0], 0xb0);
    /* Cut to an empty second frame and the packet still holds; cut into the padding and it does
     * not. */
    assert_int_equal(okno_opus_parse(buf, 6 + 255, &p), 0);
    assert_int_equal(p.frame_len[1], 0);
    assert_int_equal(okno_opus_parse(buf, 4 + 254, &p), OKNO_E_TRUNCATED);
}

static void test_opus_parse_reads_two_byte_frame_length(void **state)
{
    (void)state;
    uint8_t buf[3 + 300];
    memset(buf, 0x11, sizeof buf);
    buf[0] = 0x7a; /* config 15, code 2 */
    buf[1] = 252;  /* 252 + 4 * 12 = 300 */
    buf[2] = 12;
    struct okno_opus_packet p;
    assert_int_equal(okno_opus_parse(buf, sizeof buf, &p), 0);
    assert_int_equal(p.frame_len[0], 300);
    assert_int_equal(p.frame_len[1], 0);
    assert_int_equal(okno_opus_parse(buf, sizeof buf - 1, &p), OKNO_E_TRUNCATED);
}

static void test_opus_parse_rejects_what_r1_to_r7_forbid(void **state)
{
    (void)state;
    struct okno_opus_packet p;
    static uint8_t big[2 * 1276 + 1];
    /* R1: at least one byte. */
    assert_int_equal(okno_opus_parse(big, 0, &p), OKNO_E_TRUNCATED);
    /* R2: code 0 frame of 1276 bytes; 1275 is the limit. */
    big[0] = 0x78;
    assert_int_equal(okno_opus_parse(big, 1 + 1276, &p), OKNO_E_MALFORMED);
    assert_int_equal(okno_opus_parse(big, 1 + 1275, &p), 0);
    /* R2: code 1 frames of 1276. */
    big[0] = 0x79;
    assert_int_equal(okno_opus_parse(big, sizeof big, &p), OKNO_E_MALFORMED);
    /* R3: code 1 with an even total length. */
    const uint8_t odd[] = {0x79, 0xaa, 0xbb, 0xcc};
    assert_int_equal(okno_opus_parse(odd, sizeof odd, &p), OKNO_E_MALFORMED);
    /* R4: code 2 with no length byte, half a two-byte length, or a length past the end. */
    const uint8_t c2[] = {0x7a, 0xfc, 0x00};
    assert_int_equal(okno_opus_parse(c2, 1, &p), OKNO_E_TRUNCATED);
    assert_int_equal(okno_opus_parse(c2, 2, &p), OKNO_E_TRUNCATED);
    const uint8_t c2_over[] = {0x7a, 0x05, 0xaa};
    assert_int_equal(okno_opus_parse(c2_over, sizeof c2_over, &p), OKNO_E_TRUNCATED);
    /* R2: code 2's implicit second frame over 1275. */
    big[0] = 0x7a;
    big[1] = 0;
    assert_int_equal(okno_opus_parse(big, 2 + 1276, &p), OKNO_E_MALFORMED);
    /* R5: code 3 with no count byte, no frames, or more than 120 ms. */
    const uint8_t c3_short[] = {0x7b};
    assert_int_equal(okno_opus_parse(c3_short, 1, &p), OKNO_E_TRUNCATED);
    const uint8_t c3_zero[] = {0x7b, 0x00};
    assert_int_equal(okno_opus_parse(c3_zero, 2, &p), OKNO_E_MALFORMED);
    const uint8_t c3_180ms[] = {0x1b, 0x03}; /* config 3: SILK NB 60 ms, three frames */
    assert_int_equal(okno_opus_parse(c3_180ms, 2, &p), OKNO_E_MALFORMED);
    assert_int_equal(okno_opus_packet_samples(c3_180ms, 2), OKNO_E_MALFORMED);
    const uint8_t c3_120ms[] = {0x7b, 0x06}; /* six 20 ms frames of zero bytes */
    assert_int_equal(okno_opus_parse(c3_120ms, 2, &p), 0);
    assert_int_equal(p.samples, OKNO_OPUS_MAX_PACKET_SAMPLES);
    const uint8_t c3_140ms[] = {0x7b, 0x07};
    assert_int_equal(okno_opus_parse(c3_140ms, 2, &p), OKNO_E_MALFORMED);
    /* R6: CBR data that the frame count does not divide; padding past the end. */
    const uint8_t cbr[] = {0x7b, 0x03, 1, 2, 3, 4};
    assert_int_equal(okno_opus_parse(cbr, sizeof cbr, &p), OKNO_E_MALFORMED);
    const uint8_t pad_over[] = {0x7b, 0x41, 0x05, 0xaa};
    assert_int_equal(okno_opus_parse(pad_over, sizeof pad_over, &p), OKNO_E_TRUNCATED);
    const uint8_t pad_chain_cut[] = {0x7b, 0x41, 0xff};
    assert_int_equal(okno_opus_parse(pad_chain_cut, sizeof pad_chain_cut, &p), OKNO_E_TRUNCATED);
    /* R7: VBR lengths past the end, or a length byte missing. */
    const uint8_t vbr_over[] = {0x7b, 0x82, 0x05, 0xaa};
    assert_int_equal(okno_opus_parse(vbr_over, sizeof vbr_over, &p), OKNO_E_TRUNCATED);
    const uint8_t vbr_nolen[] = {0x7b, 0x83, 0x01};
    assert_int_equal(okno_opus_parse(vbr_nolen, sizeof vbr_nolen, &p), OKNO_E_TRUNCATED);
}

static void test_opus_packet_samples_needs_count_byte_for_code3(void **state)
{
    (void)state;
    const uint8_t c3[] = {0xfb, 0x03};
    assert_int_equal(okno_opus_packet_samples(c3, 1), OKNO_E_TRUNCATED);
    assert_int_equal(okno_opus_packet_samples(c3, 2), 3 * 960);
    assert_int_equal(okno_opus_packet_samples(c3, 0), OKNO_E_TRUNCATED);
    const uint8_t c1 = 0x09; /* config 1: SILK NB 20 ms, code 1 */
    assert_int_equal(okno_opus_packet_samples(&c1, 1), 1920);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opus_toc_decodes_every_config_per_rfc6716_table2),
        cmocka_unit_test(test_opus_parse_every_config_with_each_code),
        cmocka_unit_test(test_opus_parse_real_hybrid_packet),
        cmocka_unit_test(test_opus_parse_dtx_packet_is_one_empty_frame),
        cmocka_unit_test(test_opus_parse_code3_cbr_with_padding),
        cmocka_unit_test(test_opus_parse_code3_vbr_with_padding_chain),
        cmocka_unit_test(test_opus_parse_reads_two_byte_frame_length),
        cmocka_unit_test(test_opus_parse_rejects_what_r1_to_r7_forbid),
        cmocka_unit_test(test_opus_packet_samples_needs_count_byte_for_code3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
