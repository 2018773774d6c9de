/* RTP header parsing, writing and in-place rewriting (src/wire/rtp.c), on annotated fixtures and on
 * the real Chromium packets under tests/fixtures/captures. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/rtp.h"

/* Opus-like packet: no CSRC, no extension, no padding. */
static const char plain_hex[] = "80 6f          # V=2 P=0 X=0 CC=0, M=0 PT=111\n"
                                "1a ff          # seq 6911\n"
                                "45 76 a6 cd    # timestamp 1165403853\n"
                                "5b 09 f3 10    # SSRC\n"
                                "de ad be ef 01 # payload, 5 bytes\n";

/* Everything at once: two CSRCs, marker, a one-byte extension block and 4 bytes of padding. */
static const char full_hex[] = "b2 e0          # V=2 P=1 X=1 CC=2, M=1 PT=96\n"
                               "ff ff          # seq 65535\n"
                               "00 00 00 01    # timestamp 1\n"
                               "11 22 33 44    # SSRC\n"
                               "aa aa aa aa    # CSRC 1\n"
                               "bb bb bb bb    # CSRC 2\n"
                               "be de 00 01    # one-byte extension block, 1 word\n"
                               "10 ff 00 00    # id 1 len 1 value ff, 2 padding octets\n"
                               "01 02 03       # payload, 3 bytes\n"
                               "00 00 00 04    # padding: 3 zero octets then the count 4\n";

/* Header only: CSRC, two-byte extension and padding; no payload. Any truncation of it breaks a
 * length. */
static const char header_only_hex[] = "b1 08          # V=2 P=1 X=1 CC=1, M=0 PT=8\n"
                                      "00 07          # seq 7\n"
                                      "00 00 03 e8    # timestamp 1000\n"
                                      "01 02 03 04    # SSRC\n"
                                      "0c 0c 0c 0c    # CSRC\n"
                                      "10 00 00 02    # two-byte extension block, 2 words\n"
                                      "05 03 61 62    # id 5 len 3 'ab..\n"
                                      "63 00 00 00    # ..c', 3 padding octets\n"
                                      "00 00 00 04    # padding, count 4\n";

static size_t hex(const char *h, uint8_t *out, size_t cap)
{
    return okno_test_hex(h, out, cap);
}

static void test_rtp_parse_reads_fixed_header_and_payload(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex(plain_hex, b, sizeof b);
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    assert_false(p.padding);
    assert_false(p.extension);
    assert_false(p.marker);
    assert_int_equal(p.pt, 111);
    assert_int_equal(p.seq, 6911);
    assert_int_equal(p.ts, 1165403853u);
    assert_int_equal(p.ssrc, 0x5b09f310u);
    assert_int_equal(p.csrc_count, 0);
    assert_null(p.ext);
    assert_int_equal(p.ext_profile, 0);
    assert_int_equal(p.header_len, 12);
    assert_ptr_equal(p.payload, b + 12);
    assert_int_equal(p.payload_len, 5);
    assert_int_equal(p.pad_len, 0);
    assert_ptr_equal(p.raw, b);
    assert_int_equal(p.raw_len, n);
}

static void test_rtp_parse_reads_csrcs_extension_and_padding(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex(full_hex, b, sizeof b);
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    assert_true(p.padding);
    assert_true(p.extension);
    assert_true(p.marker);
    assert_int_equal(p.pt, 96);
    assert_int_equal(p.seq, 65535);
    assert_int_equal(p.ts, 1);
    assert_int_equal(p.ssrc, 0x11223344u);
    assert_int_equal(p.csrc_count, 2);
    assert_int_equal(p.csrc[0], 0xaaaaaaaau);
    assert_int_equal(p.csrc[1], 0xbbbbbbbbu);
    assert_int_equal(p.ext_profile, 0xbede);
    assert_ptr_equal(p.ext, b + 24);
    assert_int_equal(p.ext_len, 4);
    assert_int_equal(p.header_len, 28);
    assert_ptr_equal(p.payload, b + 28);
    assert_int_equal(p.payload_len, 3);
    assert_int_equal(p.pad_len, 4);
}

static void test_rtp_parse_accepts_fifteen_csrcs_and_empty_extension(void **state)
{
    (void)state;
    uint8_t b[12 + 60 + 4];
    memset(b, 0, sizeof b);
    b[0] = 0x9f; /* V=2 X=1 CC=15 */
    for (int i = 0; i < 15; i++)
        b[12 + 4 * i + 3] = (uint8_t)(i + 1);
    b[72] = 0xbe;
    b[73] = 0xde; /* zero words */
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, sizeof b, &p), 0);
    assert_int_equal(p.csrc_count, 15);
    assert_int_equal(p.csrc[14], 15);
    assert_true(p.extension);
    assert_int_equal(p.ext_len, 0);
    assert_int_equal(p.payload_len, 0);
    assert_int_equal(p.header_len, sizeof b);
}

static void test_rtp_parse_rejects_short_input(void **state)
{
    (void)state;
    uint8_t b[64];
    hex(plain_hex, b, sizeof b);
    struct okno_rtp_pkt p;
    for (size_t len = 0; len < 12; len++)
        assert_int_equal(okno_rtp_parse(b, len, &p), OKNO_E_TRUNCATED);
}

static void test_rtp_parse_rejects_versions_other_than_2(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex(plain_hex, b, sizeof b);
    struct okno_rtp_pkt p;
    for (unsigned v = 0; v < 4; v++) {
        b[0] = (uint8_t)(v << 6);
        assert_int_equal(okno_rtp_parse(b, n, &p), v == 2 ? 0 : OKNO_E_VERSION);
    }
}

static void test_rtp_parse_rejects_csrcs_past_end(void **state)
{
    (void)state;
    uint8_t b[] = {
        0x82, 0x60, 0x00, 0x01,             /* CC=2 */
        0,    0,    0,    0,    0, 0, 0, 1, /* ts, SSRC */
        0xaa, 0xaa, 0xaa, 0xaa,             /* CSRC 1; CSRC 2 missing */
        0xbb, 0xbb, 0xbb,                   /* 3 of its 4 bytes */
    };
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, sizeof b, &p), OKNO_E_TRUNCATED);
}

static void test_rtp_parse_rejects_extension_header_past_end(void **state)
{
    (void)state;
    uint8_t b[] = {
        0x90, 0x60, 0x00, 0x01,             /* X=1 */
        0,    0,    0,    0,    0, 0, 0, 1, /* ts, SSRC */
        0xbe, 0xde, 0x00,                   /* 3 of the block header's 4 bytes */
    };
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, sizeof b, &p), OKNO_E_TRUNCATED);
}

static void test_rtp_parse_rejects_extension_overrunning_packet(void **state)
{
    (void)state;
    uint8_t b[] = {
        0x90, 0x60, 0x00, 0x01,             /* X=1 */
        0,    0,    0,    0,    0, 0, 0, 1, /* ts, SSRC */
        0xbe, 0xde, 0x00, 0x02,             /* 2 words announced */
        0x10, 0xff, 0x00, 0x00,             /* 1 word present */
        0x01, 0x02,                         /* and half of the next */
    };
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, sizeof b, &p), OKNO_E_TRUNCATED);
}

static void test_rtp_parse_rejects_padding_count_zero(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex(full_hex, b, sizeof b);
    struct okno_rtp_pkt p;
    b[n - 1] = 0;
    assert_int_equal(okno_rtp_parse(b, n, &p), OKNO_E_MALFORMED);
}

static void test_rtp_parse_rejects_padding_larger_than_body(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex(full_hex, b, sizeof b);
    struct okno_rtp_pkt p;
    b[n - 1] = 7; /* payload 3 + padding 4 = 7 bytes after the header: exactly all of it */
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    assert_int_equal(p.payload_len, 0);
    b[n - 1] = 8;
    assert_int_equal(okno_rtp_parse(b, n, &p), OKNO_E_MALFORMED);
    b[n - 1] = 255;
    assert_int_equal(okno_rtp_parse(b, n, &p), OKNO_E_MALFORMED);
}

static void test_rtp_parse_rejects_padding_bit_without_body(void **state)
{
    (void)state;
    uint8_t b[] = {
        0xa0, 0x60, 0x00, 0x01,             /* P=1, nothing after the header */
        0,    0,    0,    0,    0, 0, 0, 1, /* ts, SSRC (last octet 1 would be a plausible count) */
    };
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, sizeof b, &p), OKNO_E_MALFORMED);
}

static void test_rtp_parse_rejects_header_only_packet_truncated_anywhere(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex(header_only_hex, b, sizeof b);
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    assert_int_equal(p.payload_len, 0);
    assert_int_equal(p.pad_len, 4);
    for (size_t len = 0; len < n; len++)
        assert_true(okno_rtp_parse(b, len, &p) < 0);
}

static void test_rtp_parse_rejects_any_cut_into_the_header(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex(full_hex, b, sizeof b);
    struct okno_rtp_pkt p;
    assert_true(n > 28);
    /* Beyond the header a cut only shortens the body, which is a different but possibly valid
     * packet. */
    for (size_t len = 0; len < 28; len++)
        assert_true(okno_rtp_parse(b, len, &p) < 0);
}

/* Parses fixture bytes, rewrites the header from the view, appends the payload and padding, and
 * expects the original bytes back. */
static void assert_rebuilds(const uint8_t *b, size_t n)
{
    struct okno_rtp_pkt p;
    uint8_t out[2048];
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    int w = okno_rtp_write_header(out, sizeof out, &p);
    assert_int_equal(w, p.header_len);
    memcpy(out + w, p.payload, p.payload_len + p.pad_len);
    assert_memory_equal(out, b, n);
}

static void test_rtp_write_header_rebuilds_fixtures_byte_for_byte(void **state)
{
    (void)state;
    const char *fixtures[] = {plain_hex, full_hex, header_only_hex};
    for (size_t i = 0; i < 3; i++) {
        uint8_t b[64];
        size_t n = hex(fixtures[i], b, sizeof b);
        assert_rebuilds(b, n);
    }
}

static void test_rtp_write_header_builds_from_fields(void **state)
{
    (void)state;
    static const uint8_t ext[] = {0x10, 0x7f, 0x00, 0x00};
    struct okno_rtp_pkt h;
    memset(&h, 0, sizeof h);
    h.marker = true;
    h.pt = 96;
    h.seq = 65535;
    h.ts = 1;
    h.ssrc = 0x11223344;
    h.csrc_count = 1;
    h.csrc[0] = 0xaaaaaaaa;
    h.extension = true;
    h.ext_profile = 0xbede;
    h.ext = ext;
    h.ext_len = sizeof ext;
    uint8_t want[64], out[64];
    size_t n = hex("91 e0          # V=2 X=1 CC=1, M=1 PT=96\n"
                   "ff ff          # seq\n"
                   "00 00 00 01    # timestamp\n"
                   "11 22 33 44    # SSRC\n"
                   "aa aa aa aa    # CSRC\n"
                   "be de 00 01    # one-byte block, 1 word\n"
                   "10 7f 00 00    # id 1 len 1, padding\n",
                   want, sizeof want);
    assert_int_equal(okno_rtp_write_header(out, sizeof out, &h), n);
    assert_memory_equal(out, want, n);
    for (size_t cap = 0; cap < n; cap++)
        assert_int_equal(okno_rtp_write_header(out, cap, &h), OKNO_E_NOSPC);
}

static void test_rtp_write_header_rejects_impossible_fields(void **state)
{
    (void)state;
    static const uint8_t ext[8] = {0};
    uint8_t out[128];
    struct okno_rtp_pkt h;
    memset(&h, 0, sizeof h);
    h.pt = 128;
    assert_int_equal(okno_rtp_write_header(out, sizeof out, &h), OKNO_E_INVAL);
    h.pt = 0;
    h.csrc_count = 16;
    assert_int_equal(okno_rtp_write_header(out, sizeof out, &h), OKNO_E_INVAL);
    h.csrc_count = 0;
    h.extension = true;
    h.ext = ext;
    h.ext_len = 6;
    assert_int_equal(okno_rtp_write_header(out, sizeof out, &h), OKNO_E_INVAL);
    h.ext_len = 8;
    assert_int_equal(okno_rtp_write_header(out, sizeof out, &h), 24);
}

static void test_rtp_setters_rewrite_only_their_field(void **state)
{
    (void)state;
    uint8_t b[64], orig[64];
    size_t n = hex(full_hex, b, sizeof b);
    memcpy(orig, b, n);
    assert_int_equal(okno_rtp_set_ssrc(b, n, 0xcafebabe), 0);
    assert_int_equal(okno_rtp_set_seq(b, n, 4242), 0);
    assert_int_equal(okno_rtp_set_ts(b, n, 0x80000000u), 0);
    assert_int_equal(okno_rtp_set_marker(b, n, false), 0);
    assert_int_equal(okno_rtp_set_pt(b, n, 127), 0);
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    assert_int_equal(p.ssrc, 0xcafebabeu);
    assert_int_equal(p.seq, 4242);
    assert_int_equal(p.ts, 0x80000000u);
    assert_false(p.marker);
    assert_int_equal(p.pt, 127);
    assert_int_equal(b[0], orig[0]);
    assert_memory_equal(b + 12, orig + 12, n - 12);
    assert_int_equal(okno_rtp_set_marker(b, n, true), 0);
    assert_int_equal(b[1], 0xff);
}

static void test_rtp_setters_refuse_non_rtp_buffers(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex(plain_hex, b, sizeof b);
    assert_int_equal(okno_rtp_set_seq(b, 11, 1), OKNO_E_TRUNCATED);
    assert_int_equal(okno_rtp_set_pt(b, n, 128), OKNO_E_INVAL);
    b[0] = 0x40;
    assert_int_equal(okno_rtp_set_ssrc(b, n, 1), OKNO_E_VERSION);
    assert_int_equal(okno_rtp_set_ts(b, n, 1), OKNO_E_VERSION);
    assert_int_equal(okno_rtp_set_marker(b, n, true), OKNO_E_VERSION);
    assert_int_equal(b[1], 0x6f);
}

static void test_rtp_append_padding_sets_bit_and_count(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = hex(plain_hex, b, sizeof b);
    assert_int_equal(okno_rtp_append_padding(b, n, n + 3, 4), OKNO_E_NOSPC);
    assert_int_equal(okno_rtp_append_padding(b, n, sizeof b, 0), OKNO_E_INVAL);
    int len = okno_rtp_append_padding(b, n, sizeof b, 4);
    assert_int_equal(len, n + 4);
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, (size_t)len, &p), 0);
    assert_true(p.padding);
    assert_int_equal(p.pad_len, 4);
    assert_int_equal(p.payload_len, 5);
    assert_int_equal(okno_rtp_append_padding(b, (size_t)len, sizeof b, 4), OKNO_E_STATE);
}

/* Walks tests/fixtures/captures/chromium-rtp.hex: a '#' line describing a packet, then its hex. */
static void test_rtp_parse_accepts_every_chromium_capture_packet(void **state)
{
    (void)state;
    size_t flen;
    char *text = okno_test_read_file("fixtures/captures/chromium-rtp.hex", &flen);
    static uint8_t pkt[4096];
    unsigned seq = 0, marker = 0, want_len = 0, count = 0;
    unsigned long ts = 0, ssrc = 0;
    bool described = false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            const char *d = strstr(line, "seq=");
            described = d && sscanf(d, "seq=%u ts=%lu ssrc=%lx marker=%u len=%u", &seq, &ts, &ssrc,
                                    &marker, &want_len) == 5;
            continue;
        }
        assert_true(described);
        size_t n = okno_test_hex(line, pkt, sizeof pkt);
        assert_int_equal(n, want_len);
        struct okno_rtp_pkt p;
        assert_int_equal(okno_rtp_parse(pkt, n, &p), 0);
        assert_int_equal(p.seq, seq);
        assert_int_equal(p.ts, ts);
        assert_int_equal(p.ssrc, ssrc);
        assert_int_equal(p.marker, marker);
        assert_true(p.extension);
        assert_int_equal(p.header_len + p.payload_len + p.pad_len, n);
        assert_rebuilds(pkt, n);
        described = false;
        count++;
    }
    assert_true(count > 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtp_parse_reads_fixed_header_and_payload),
        cmocka_unit_test(test_rtp_parse_reads_csrcs_extension_and_padding),
        cmocka_unit_test(test_rtp_parse_accepts_fifteen_csrcs_and_empty_extension),
        cmocka_unit_test(test_rtp_parse_rejects_short_input),
        cmocka_unit_test(test_rtp_parse_rejects_versions_other_than_2),
        cmocka_unit_test(test_rtp_parse_rejects_csrcs_past_end),
        cmocka_unit_test(test_rtp_parse_rejects_extension_header_past_end),
        cmocka_unit_test(test_rtp_parse_rejects_extension_overrunning_packet),
        cmocka_unit_test(test_rtp_parse_rejects_padding_count_zero),
        cmocka_unit_test(test_rtp_parse_rejects_padding_larger_than_body),
        cmocka_unit_test(test_rtp_parse_rejects_padding_bit_without_body),
        cmocka_unit_test(test_rtp_parse_rejects_header_only_packet_truncated_anywhere),
        cmocka_unit_test(test_rtp_parse_rejects_any_cut_into_the_header),
        cmocka_unit_test(test_rtp_write_header_rebuilds_fixtures_byte_for_byte),
        cmocka_unit_test(test_rtp_write_header_builds_from_fields),
        cmocka_unit_test(test_rtp_write_header_rejects_impossible_fields),
        cmocka_unit_test(test_rtp_setters_rewrite_only_their_field),
        cmocka_unit_test(test_rtp_setters_refuse_non_rtp_buffers),
        cmocka_unit_test(test_rtp_append_padding_sets_bit_and_count),
        cmocka_unit_test(test_rtp_parse_accepts_every_chromium_capture_packet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
