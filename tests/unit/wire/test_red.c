/* Unit tests of RFC 2198 RED payloads (wire/red.h): the RFC's section 4 example and a real Opus RED
 * payload parsed, checked and rebuilt byte for byte; truncations; strip and recover. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/red.h"

/* RFC 2198 section 4: LPC redundancy (PT 7, 14 bytes) before a DVI4 primary (PT 5, 84 bytes). The
 * RFC draws the timestamp offset without a value; 160 is one 20 ms DVI4 packet at 8 kHz. The data
 * bytes are filled in by rfc_example(). */
static const char rfc2198_headers[] = "87       # F=1 block PT=7\n"
                                      "02 80 0e # timestamp offset 160, block length 14\n"
                                      "05       # F=0 primary PT=5\n";
#define RFC_HDR 5
#define RFC_LPC 14
#define RFC_DVI 84
#define RFC_LEN (RFC_HDR + RFC_LPC + RFC_DVI)

/* Opus RED as browsers send it (RED PT 63 around Opus PT 111, two older packets of redundancy),
 * built from three consecutive real 20 ms packets from libopus. */
static const char opus_red[] =
    "ef       # F=1 PT=111\n"
    "1e 00 45 # offset 1920 (two packets back), 69 bytes\n"
    "ef       # F=1 PT=111\n"
    "0f 00 3d # offset 960 (one packet back), 61 bytes\n"
    "6f       # F=0 primary PT=111\n"
    "78 82 b5 b7 6c 7e 40 e6 00 00 06 4c 1d 25 f9 45 1f 39 df f6 2a f2 64 89 # packet n-2\n"
    "f7 8a fd b2 2a 3d f6 4a 26 7c 02 53 58 dd 20 c7 c6 dc 26 15 7f 4d b7 f1\n"
    "dd 09 3f 28 cb 76 d0 81 56 cc 0b 5b cc 1a e9 cc ad 8b 34 00 dd\n"
    "78 a8 cb de c3 32 78 07 66 69 7a 64 c8 a7 c2 fd ec ca 2a bf 12 c7 20 6c # packet n-1\n"
    "76 91 a4 b2 33 8a b9 66 5b a1 0c 9d b5 8e 25 14 ac 71 9f ac f2 65 ba cb\n"
    "72 c3 64 dc 68 bb 81 69 2e 6a bc 83 10\n"
    "78 9e b1 59 78 5c 88 30 2e fa d1 b7 19 95 02 0b a9 b2 b1 6e 37 89 4f 16 # packet n, primary\n"
    "2c 61 25 e2 85 d7 61 55 fe 76 e8 7e 03 16 03 ac 08 65 f0 53 b9 d9 94 13\n"
    "45 b7 e1 30 50 ab\n";
#define OPUS_HDR 9
#define OPUS_N2  69
#define OPUS_N1  61
#define OPUS_N0  54

static void rfc_example(uint8_t *buf)
{
    assert_int_equal(okno_test_hex(rfc2198_headers, buf, RFC_HDR), RFC_HDR);
    memset(buf + RFC_HDR, 0x1c, RFC_LPC);
    memset(buf + RFC_HDR + RFC_LPC, 0xd4, RFC_DVI);
}

static void test_red_parse_rfc2198_example_and_rebuild(void **state)
{
    (void)state;
    uint8_t buf[RFC_LEN], out[RFC_LEN];
    rfc_example(buf);
    struct okno_red_block red[2], primary;
    assert_int_equal(okno_red_parse(buf, sizeof buf, red, 2, &primary), 1);
    assert_int_equal(red[0].pt, 7);
    assert_int_equal(red[0].ts_offset, 160);
    assert_int_equal(red[0].len, RFC_LPC);
    assert_ptr_equal(red[0].data, buf + RFC_HDR);
    assert_int_equal(primary.pt, 5);
    assert_int_equal(primary.ts_offset, 0);
    assert_int_equal(primary.len, RFC_DVI);
    assert_ptr_equal(primary.data, buf + RFC_HDR + RFC_LPC);
    assert_int_equal(okno_red_size(red, 1, &primary), RFC_LEN);
    assert_int_equal(okno_red_build(out, sizeof out, red, 1, &primary), RFC_LEN);
    assert_memory_equal(out, buf, RFC_LEN);
}

static void test_red_parse_real_opus_red_and_rebuild(void **state)
{
    (void)state;
    uint8_t buf[256], out[256];
    size_t len = okno_test_hex(opus_red, buf, sizeof buf);
    assert_int_equal(len, OPUS_HDR + OPUS_N2 + OPUS_N1 + OPUS_N0);
    struct okno_red_block red[4], primary;
    assert_int_equal(okno_red_parse(buf, len, red, 4, &primary), 2);
    assert_int_equal(red[0].pt, 111);
    assert_int_equal(red[0].ts_offset, 1920);
    assert_int_equal(red[0].len, OPUS_N2);
    assert_ptr_equal(red[0].data, buf + OPUS_HDR);
    assert_int_equal(red[1].ts_offset, 960);
    assert_int_equal(red[1].len, OPUS_N1);
    assert_ptr_equal(red[1].data, buf + OPUS_HDR + OPUS_N2);
    assert_int_equal(primary.pt, 111);
    assert_int_equal(primary.len, OPUS_N0);
    assert_int_equal(primary.data[0], 0x78);
    assert_int_equal(okno_red_build(out, sizeof out, red, 2, &primary), (int)len);
    assert_memory_equal(out, buf, len);
}

static void test_red_parse_rejects_every_truncation_into_redundant_data(void **state)
{
    (void)state;
    /* The primary's length is implicit, so a cut inside it still parses, with a shorter primary; a
     * cut anywhere before it leaves a header or a redundant block short. */
    uint8_t buf[RFC_LEN];
    rfc_example(buf);
    struct okno_red_block red[1], primary;
    for (size_t cut = 0; cut < RFC_HDR + RFC_LPC; cut++)
        assert_int_equal(okno_red_parse(buf, cut, red, 1, &primary), OKNO_E_TRUNCATED);
    for (size_t cut = RFC_HDR + RFC_LPC; cut <= RFC_LEN; cut++) {
        assert_int_equal(okno_red_parse(buf, cut, red, 1, &primary), 1);
        assert_int_equal(primary.len, cut - RFC_HDR - RFC_LPC);
    }
}

static void test_red_parse_rejects_block_lengths_past_end(void **state)
{
    (void)state;
    uint8_t buf[32];
    size_t len = okno_test_hex("ef 00 00 05 # 5 bytes of redundancy\n"
                               "ef 00 00 05 # 5 more\n"
                               "6f          # primary\n"
                               "01 02 03 04 05 06 07 08 09 // only 9 bytes\n",
                               buf, sizeof buf);
    struct okno_red_block red[2], primary;
    assert_int_equal(okno_red_parse(buf, len, red, 2, &primary), OKNO_E_TRUNCATED);
    assert_int_equal(okno_red_primary(buf, len, &primary), OKNO_E_TRUNCATED);
    uint8_t pt;
    assert_int_equal(okno_red_strip(buf, len, &pt), OKNO_E_TRUNCATED);
    assert_int_equal(buf[0], 0xef);
    /* A chain of F=1 headers with no final header. */
    const uint8_t no_final[] = {0xef, 0x00, 0x00, 0x00};
    assert_int_equal(okno_red_parse(no_final, sizeof no_final, red, 2, &primary), OKNO_E_TRUNCATED);
}

static void test_red_parse_reports_nospc_for_more_blocks_than_cap(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = okno_test_hex(opus_red, buf, sizeof buf);
    struct okno_red_block red[1], primary;
    assert_int_equal(okno_red_parse(buf, len, red, 1, &primary), OKNO_E_NOSPC);
    assert_int_equal(okno_red_parse(buf, len, NULL, 0, &primary), OKNO_E_NOSPC);
}

static void test_red_parse_primary_only_and_empty_blocks(void **state)
{
    (void)state;
    const uint8_t only[] = {0x6f, 0xaa, 0xbb};
    struct okno_red_block red[2], primary;
    assert_int_equal(okno_red_parse(only, sizeof only, NULL, 0, &primary), 0);
    assert_int_equal(primary.pt, 111);
    assert_int_equal(primary.len, 2);
    /* An empty redundant block (nothing to repeat) and an empty primary are both well formed. */
    const uint8_t empty[] = {0xef, 0x0f, 0x00, 0x00, 0x6f};
    assert_int_equal(okno_red_parse(empty, sizeof empty, red, 2, &primary), 1);
    assert_int_equal(red[0].len, 0);
    assert_int_equal(red[0].ts_offset, 960);
    assert_int_equal(primary.len, 0);
    uint8_t out[8];
    assert_int_equal(okno_red_build(out, sizeof out, red, 1, &primary), 5);
    assert_memory_equal(out, empty, 5);
    assert_int_equal(okno_red_parse(empty, 0, red, 2, &primary), OKNO_E_TRUNCATED);
}

static void test_red_strip_leaves_primary_at_start(void **state)
{
    (void)state;
    uint8_t buf[256], expect[OPUS_N0];
    size_t len = okno_test_hex(opus_red, buf, sizeof buf);
    memcpy(expect, buf + len - OPUS_N0, OPUS_N0);
    uint8_t pt = 0;
    assert_int_equal(okno_red_strip(buf, len, &pt), OPUS_N0);
    assert_int_equal(pt, 111);
    assert_memory_equal(buf, expect, OPUS_N0);
}

static void test_red_recover_gives_each_block_with_its_timestamp(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = okno_test_hex(opus_red, buf, sizeof buf);
    struct okno_red_recovered r;
    assert_int_equal(okno_red_recover(buf, len, 100000, 0, &r), 0);
    assert_int_equal(r.pt, 111);
    assert_int_equal(r.timestamp, 100000 - 1920);
    assert_int_equal(r.len, OPUS_N2);
    assert_ptr_equal(r.data, buf + OPUS_HDR);
    assert_int_equal(okno_red_recover(buf, len, 100000, 1, &r), 0);
    assert_int_equal(r.timestamp, 100000 - 960);
    assert_int_equal(r.len, OPUS_N1);
    assert_ptr_equal(r.data, buf + OPUS_HDR + OPUS_N2);
    assert_int_equal(okno_red_recover(buf, len, 100000, 2, &r), OKNO_E_NOTFOUND);
    /* The timestamp wraps like the RTP timestamp it comes from. */
    assert_int_equal(okno_red_recover(buf, len, 500, 0, &r), 0);
    assert_int_equal(r.timestamp, (uint32_t)(500 - 1920));
    assert_int_equal(okno_red_recover(buf, len - OPUS_N0 - 1, 500, 0, &r), OKNO_E_TRUNCATED);
}

static void test_red_build_rejects_fields_too_wide_and_small_buffer(void **state)
{
    (void)state;
    const uint8_t data[4] = {1, 2, 3, 4};
    struct okno_red_block primary = {.pt = 111, .data = data, .len = 4};
    struct okno_red_block red = {
        .pt = 111, .ts_offset = OKNO_RED_MAX_TS_OFFSET, .data = data, .len = 4};
    uint8_t out[16];
    assert_int_equal(okno_red_build(out, sizeof out, &red, 1, &primary), 13);
    red.ts_offset = OKNO_RED_MAX_TS_OFFSET + 1;
    assert_int_equal(okno_red_build(out, sizeof out, &red, 1, &primary), OKNO_E_RANGE);
    red.ts_offset = 0;
    red.pt = 128;
    assert_int_equal(okno_red_build(out, sizeof out, &red, 1, &primary), OKNO_E_RANGE);
    red.pt = 111;
    red.len = OKNO_RED_MAX_BLOCK_LEN + 1;
    assert_int_equal(okno_red_size(&red, 1, &primary), OKNO_E_RANGE);
    red.len = 4;
    primary.pt = 200;
    assert_int_equal(okno_red_size(&red, 1, &primary), OKNO_E_RANGE);
    primary.pt = 111;
    assert_int_equal(okno_red_build(out, 12, &red, 1, &primary), OKNO_E_NOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_red_parse_rfc2198_example_and_rebuild),
        cmocka_unit_test(test_red_parse_real_opus_red_and_rebuild),
        cmocka_unit_test(test_red_parse_rejects_every_truncation_into_redundant_data),
        cmocka_unit_test(test_red_parse_rejects_block_lengths_past_end),
        cmocka_unit_test(test_red_parse_reports_nospc_for_more_blocks_than_cap),
        cmocka_unit_test(test_red_parse_primary_only_and_empty_blocks),
        cmocka_unit_test(test_red_strip_leaves_primary_at_start),
        cmocka_unit_test(test_red_recover_gives_each_block_with_its_timestamp),
        cmocka_unit_test(test_red_build_rejects_fields_too_wide_and_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
