#include "testutil.h"
#include "okno/err.h"
#include "wire/bytes.h"
#include "wire/twcc.h"

/* A packet of Chromium 156 (tests/fixtures/captures), padded with the RTCP padding bit. */
static const char chromium_hex[] = "af cd 00 07  # V=2 P=1 FMT=15, PT=205 RTPFB, 7+1 words\n"
                                   "56 b4 67 64  # sender SSRC\n"
                                   "21 cf 9e 72  # media SSRC\n"
                                   "01 6d 00 07  # base seq 365, status count 7\n"
                                   "00 49 28 40  # ref time 0x4928 (18728 x 64 ms), fb count 64\n"
                                   "20 07        # run-length chunk: small delta x7 (365..371)\n"
                                   "df 00 30 50  # deltas 223, 0, 48, 80 (x 250 us)\n"
                                   "4f 00 02     # deltas 79, 0, 2\n"
                                   "00 00 03     # padding: 3 bytes\n";

/* What okno writes for the same statuses: the draft's zero padding, P clear, so that the packet may
 * sit anywhere in a compound datagram. */
static const char chromium_okno_hex[] = "8f cd 00 07  # P=0\n"
                                        "56 b4 67 64 21 cf 9e 72  # SSRCs\n"
                                        "01 6d 00 07 00 49 28 40  # as above\n"
                                        "20 07 df 00 30 50 4f 00 02  # chunk and deltas\n"
                                        "00 00 00     # zero padding\n";

/* Hand-made: every chunk type, a large and a negative delta, across the sequence number wrap. */
static const char mixed_hex[] =
    "8f cd 00 0b  # V=2 P=0 FMT=15, PT=205, 11+1 words (48 bytes)\n"
    "11 22 33 44  # sender SSRC\n"
    "55 66 77 88  # media SSRC\n"
    "ff fa 00 28  # base seq 65530, status count 40\n"
    "00 01 00 05  # ref time 256 (16.384 s), fb count 5\n"
    "b4 f7        # one-bit vector 11010011110111: R R - R - - R R R R - R R R (65530..7)\n"
    "e1 91        # two-bit vector 10 00 01 10 01 00 01: L - S L S - S (8..14)\n"
    "00 10        # run-length: not received x16 (15..30)\n"
    "20 03        # run-length: small x3 (31..33)\n"
    "04 08 ff 00 0c  # one-bit vector's deltas: 4 8 255 0 12\n"
    "01 64 14 28 02  # ... 1 100 20 40 2\n"
    "01 2c        # large +300 (seq 8)\n"
    "07           # small 7 (seq 10)\n"
    "ff fc        # large -4: earlier than the previous packet (seq 11)\n"
    "10 03        # small 16, small 3 (seqs 12, 14)\n"
    "c8 06 0a     # run's deltas 200 6 10 (seqs 31..33)\n";

/* Arrival times of mixed_hex, in microseconds: 16384000 + the running sum of the deltas x 250. */
static const struct {
    uint16_t seq;
    uint8_t status;
    int64_t arrival_us;
} mixed_expect[] = {
    {65530, 1, 16385000}, {65531, 1, 16387000}, {65532, 0, 0},     {65533, 1, 16450750},
    {65534, 0, 0},        {65535, 0, 0},        {0, 1, 16450750},  {1, 1, 16453750},
    {2, 1, 16454000},     {3, 1, 16479000},     {4, 0, 0},         {5, 1, 16484000},
    {6, 1, 16494000},     {7, 1, 16494500},     {8, 2, 16569500},  {9, 0, 0},
    {10, 1, 16571250},    {11, 2, 16570250},    {12, 1, 16574250}, {13, 0, 0},
    {14, 1, 16575000},    {31, 1, 16625000},    {32, 1, 16626500}, {33, 1, 16629000},
};

/* Parses buf as one whole packet into entries (cap 512); returns the count. */
static int parse_all(const uint8_t *buf, size_t len, struct okno_twcc_fb *fb,
                     struct okno_twcc_entry *entries)
{
    int r = okno_twcc_parse(buf, len, fb);
    assert_int_equal(r, (int)len);
    return okno_twcc_parse_entries(fb, entries, 512);
}

/* Re-encodes what was parsed with the parsed SSRCs and count: must give back exactly buf, taking
 * libwebrtc's RTCP padding (up to three bytes) for the zero padding okno writes instead. */
static void assert_reencodes(const struct okno_twcc_fb *fb, const struct okno_twcc_entry *e, int n,
                             const uint8_t *buf, size_t len)
{
    struct okno_twcc_build_opts o = {fb->sender_ssrc, fb->media_ssrc, fb->fb_count, 0};
    uint8_t out[1024];
    size_t used = 0;
    int r = okno_twcc_build(&o, e, (size_t)n, out, sizeof out, &used);
    assert_int_equal(r, (int)len);
    assert_int_equal(used, (size_t)n);
    uint8_t want[1024];
    memcpy(want, buf, len);
    if (want[0] & 0x20) {
        assert_true(want[len - 1] <= 3);
        memset(want + len - want[len - 1], 0, want[len - 1]);
        want[0] &= (uint8_t)~0x20;
    }
    assert_memory_equal(out, want, len);
}

static void test_twcc_parses_chromium_run_length_packet_and_reencodes_it(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(chromium_hex, buf, sizeof buf);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[512];
    int n = parse_all(buf, len, &fb, e);
    assert_int_equal(n, 7);
    assert_int_equal(fb.sender_ssrc, 0x56b46764);
    assert_int_equal(fb.media_ssrc, 0x21cf9e72);
    assert_int_equal(fb.base_seq, 365);
    assert_int_equal(fb.ref_time, 0x4928);
    assert_int_equal(fb.fb_count, 64);
    assert_int_equal(fb.chunks_len, 2);
    assert_int_equal(fb.deltas_len, 7);
    static const int64_t at[] = {1198647750, 1198647750, 1198659750, 1198679750,
                                 1198699500, 1198699500, 1198700000};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(e[i].seq, 365 + i);
        assert_int_equal(e[i].status, OKNO_TWCC_SMALL_DELTA);
        assert_int_equal(e[i].arrival_us, at[i]);
    }
    uint8_t want[64], out[64];
    size_t wlen = okno_test_hex(chromium_okno_hex, want, sizeof want);
    struct okno_twcc_build_opts o = {fb.sender_ssrc, fb.media_ssrc, fb.fb_count, 0};
    size_t used;
    assert_int_equal(okno_twcc_build(&o, e, 7, out, sizeof out, &used), (int)wlen);
    assert_int_equal(used, 7);
    assert_memory_equal(out, want, wlen);
    /* Both spellings of the padding parse alike. */
    assert_int_equal(okno_twcc_parse(want, wlen, &fb), 32);
    assert_int_equal(fb.deltas_len, 7);
}

static void test_twcc_parses_every_chunk_type_and_reencodes_byte_exact(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(mixed_hex, buf, sizeof buf);
    assert_int_equal(len, 48);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[512];
    int n = parse_all(buf, len, &fb, e);
    assert_int_equal(n, 40);
    assert_int_equal(fb.base_seq, 65530);
    assert_int_equal(fb.ref_time, 256);
    assert_int_equal(fb.fb_count, 5);
    assert_int_equal(fb.chunks_len, 8);
    assert_int_equal(fb.deltas_len, 20);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        assert_int_equal(e[i].seq, (uint16_t)(65530 + i));
        if (k < sizeof mixed_expect / sizeof mixed_expect[0] && mixed_expect[k].seq == e[i].seq) {
            assert_int_equal(e[i].status, mixed_expect[k].status);
            if (e[i].status)
                assert_int_equal(e[i].arrival_us, mixed_expect[k].arrival_us);
            k++;
        } else {
            assert_int_equal(e[i].status, OKNO_TWCC_NOT_RECEIVED); /* the run 15..30 */
        }
    }
    assert_int_equal(k, sizeof mixed_expect / sizeof mixed_expect[0]);
    assert_reencodes(&fb, e, n, buf, len);
}

static void test_twcc_iterator_yields_what_parse_entries_copies(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(mixed_hex, buf, sizeof buf);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry all[512], one;
    int n = parse_all(buf, len, &fb, all);
    struct okno_twcc_iter it;
    okno_twcc_iter_init(&it, &fb);
    int i = 0;
    while (okno_twcc_iter_next(&it, &one) == 1) {
        assert_true(i < n);
        assert_int_equal(one.seq, all[i].seq);
        assert_int_equal(one.status, all[i].status);
        assert_int_equal(one.arrival_us, all[i].arrival_us);
        i++;
    }
    assert_int_equal(i, n);
    assert_int_equal(okno_twcc_iter_next(&it, &one), 0);
}

static void test_twcc_parse_entries_refuses_too_small_array(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(mixed_hex, buf, sizeof buf);
    struct okno_twcc_fb fb;
    assert_int_equal(okno_twcc_parse(buf, len, &fb), 48);
    struct okno_twcc_entry e[40];
    e[0].seq = 1234;
    assert_int_equal(okno_twcc_parse_entries(&fb, e, 39), OKNO_E_RANGE);
    assert_int_equal(e[0].seq, 1234);
    assert_int_equal(okno_twcc_parse_entries(&fb, e, 40), 40);
}

static void test_twcc_parses_every_chromium_capture_and_reencodes_it(void **state)
{
    (void)state;
    char *text = okno_test_read_file("fixtures/captures/chromium-rtcp.hex", NULL);
    int seen = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        uint8_t buf[1500];
        size_t len = okno_test_hex(line, buf, sizeof buf);
        for (size_t off = 0; off + 4 <= len;) {
            size_t size = ((size_t)buf[off + 2] << 8 | buf[off + 3]) * 4 + 4;
            if (buf[off + 1] == 205 && (buf[off] & 0x1f) == OKNO_TWCC_FMT) {
                struct okno_twcc_fb fb;
                struct okno_twcc_entry e[512];
                int n = parse_all(buf + off, size, &fb, e);
                assert_true(n > 0);
                assert_reencodes(&fb, e, n, buf + off, size);
                seen++;
            }
            off += size;
        }
    }
    free(text);
    assert_true(seen >= 5);
}

static void test_twcc_reference_time_is_signed_24_bits(void **state)
{
    (void)state;
    uint8_t buf[32];
    size_t len = okno_test_hex("8f cd 00 05  # 24 bytes\n"
                               "00 00 00 01 00 00 00 02  # SSRCs\n"
                               "00 0a 00 02  # base seq 10, 2 statuses\n"
                               "80 00 00 00  # ref time 0x800000: -2^23 x 64 ms, fb count 0\n"
                               "20 02        # run-length: small x2\n"
                               "04 08        # deltas 4, 8\n",
                               buf, sizeof buf);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[512];
    assert_int_equal(parse_all(buf, len, &fb, e), 2);
    assert_int_equal(fb.ref_time, -8388608);
    assert_int_equal(e[0].arrival_us, -8388608LL * 64000 + 1000);
    assert_int_equal(e[1].arrival_us, -8388608LL * 64000 + 3000);
    assert_reencodes(&fb, e, 2, buf, len);

    buf[16] = 0xff, buf[17] = 0xff, buf[18] = 0xff; /* -1: 64 ms before zero */
    assert_int_equal(parse_all(buf, len, &fb, e), 2);
    assert_int_equal(fb.ref_time, -1);
    assert_int_equal(e[0].arrival_us, -64000 + 1000);
    assert_reencodes(&fb, e, 2, buf, len);
}

static void test_twcc_reference_time_wraps_after_2_pow_24_units(void **state)
{
    (void)state;
    /* 2^23 x 64 ms is one past the largest positive field: it goes out as 0x800000 and comes back
     * one period (2^24 x 64 ms) earlier, which the sender's estimator unwraps. */
    struct okno_twcc_entry in = {7, OKNO_TWCC_SMALL_DELTA, 8388608LL * 64000 + 500};
    struct okno_twcc_build_opts o = {1, 2, 0, 0};
    uint8_t buf[64];
    size_t used;
    int len = okno_twcc_build(&o, &in, 1, buf, sizeof buf, &used);
    assert_int_equal(len, 24);
    assert_int_equal(buf[16], 0x80);
    assert_int_equal(buf[17] | buf[18], 0);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry out[512];
    assert_int_equal(parse_all(buf, (size_t)len, &fb, out), 1);
    assert_int_equal(out[0].arrival_us, in.arrival_us - OKNO_TWCC_REF_PERIOD_US);
}

static void test_twcc_last_chunk_may_cover_more_than_the_status_count(void **state)
{
    (void)state;
    uint8_t buf[32];
    size_t len =
        okno_test_hex("8f cd 00 05  # P=0, 24 bytes\n"
                      "00 00 00 01 00 00 00 02  # SSRCs\n"
                      "00 0a 00 03  # base seq 10, 3 statuses\n"
                      "00 00 10 01  # ref time 16, fb count 1\n"
                      "a7 ff        # one-bit vector: R - -, then eleven R past the count\n"
                      "04           # delta 4 (seq 10)\n"
                      "00           # alignment\n",
                      buf, sizeof buf);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[512];
    assert_int_equal(parse_all(buf, len, &fb, e), 3);
    assert_int_equal(fb.deltas_len, 1);
    assert_int_equal(e[0].status, OKNO_TWCC_SMALL_DELTA);
    assert_int_equal(e[0].arrival_us, 16 * 64000 + 1000);
    assert_int_equal(e[1].status, OKNO_TWCC_NOT_RECEIVED);
    assert_int_equal(e[2].status, OKNO_TWCC_NOT_RECEIVED);

    /* Reserved symbols past the count are ignored too (two-bit S - - then 11 x4)... */
    buf[20] = 0xd0, buf[21] = 0xff;
    assert_int_equal(parse_all(buf, len, &fb, e), 3);
    /* ...but not within it. */
    buf[20] = 0xf0, buf[21] = 0x00;
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_MALFORMED);

    /* A run of 8191 small deltas covering 3 asks for three delta bytes; two are there. */
    buf[20] = 0x3f, buf[21] = 0xff;
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_TRUNCATED);
    buf[15] = 2;
    assert_int_equal(parse_all(buf, len, &fb, e), 2);
    assert_int_equal(e[1].arrival_us, 16 * 64000 + 1000);
}

static void test_twcc_status_count_that_lies_is_refused(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(mixed_hex, buf, sizeof buf);
    struct okno_twcc_fb fb;
    /* 41: the first delta byte pair is taken for a fifth chunk, and the deltas then run out. */
    buf[15] = 41;
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_TRUNCATED);
    /* 1000: the delta bytes read as a run of 1032 cover it, and the deltas run out. */
    buf[14] = 0x03, buf[15] = 0xe8;
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_TRUNCATED);
    /* 30: three chunks, the fourth read as deltas, five bytes left over: not padding. */
    buf[14] = 0, buf[15] = 30;
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_MALFORMED);
    /* 0: nothing to report; libwebrtc refuses it too. */
    buf[15] = 0;
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_MALFORMED);
}

static void test_twcc_parse_refuses_every_truncation(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(mixed_hex, buf, sizeof buf);
    struct okno_twcc_fb fb;
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(okno_twcc_parse(buf, cut, &fb), OKNO_E_TRUNCATED);
    /* The same packet claiming fewer words, and its FCI cut at every byte. */
    for (uint8_t words = 0; words < 11; words++) {
        buf[3] = words;
        assert_true(okno_twcc_parse(buf, len, &fb) < 0);
    }
    for (size_t cut = 0; cut < len - 12; cut++)
        assert_int_equal(okno_twcc_parse_fci(buf + 12, cut, &fb), OKNO_E_TRUNCATED);

    uint8_t pb[64];
    size_t plen = okno_test_hex(chromium_hex, pb, sizeof pb);
    for (size_t cut = 0; cut < plen; cut++)
        assert_int_equal(okno_twcc_parse(pb, cut, &fb), OKNO_E_TRUNCATED);
}

static void test_twcc_parse_checks_header_and_padding(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(chromium_hex, buf, sizeof buf);
    struct okno_twcc_fb fb;
    /* Another packet after it in the buffer: the size returned is this packet's. */
    assert_int_equal(okno_twcc_parse(buf, sizeof buf, &fb), 32);

    buf[0] = 0x6f; /* version 1 */
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_VERSION);
    buf[0] = 0xa1; /* FMT 1: a generic NACK */
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_INVAL);
    buf[0] = 0xaf, buf[1] = 206; /* PSFB */
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_INVAL);
    buf[1] = 205;
    buf[31] = 0; /* padding count 0 */
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_MALFORMED);
    buf[31] = 21; /* eats into the SSRCs */
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_MALFORMED);
    buf[31] = 20; /* leaves nothing of the FCI */
    assert_int_equal(okno_twcc_parse(buf, len, &fb), OKNO_E_TRUNCATED);
    buf[31] = 3;
    buf[0] = 0x8f; /* no padding bit: the three bytes are tolerated as trailing padding */
    assert_int_equal(okno_twcc_parse(buf, len, &fb), 32);
    assert_int_equal(fb.deltas_len, 7);
}

static void test_twcc_build_chooses_run_length_for_long_runs(void **state)
{
    (void)state;
    struct okno_twcc_entry e[9000];
    for (int i = 0; i < 9000; i++)
        e[i] = (struct okno_twcc_entry){(uint16_t)(100 + i), 1, 1000000 + i * 1000};
    e[20].status = 0;
    struct okno_twcc_build_opts o = {1, 2, 0, 0};
    static uint8_t buf[16384];
    size_t used;
    /* 20 small, 1 missing, 8979 small: a run of 20, the missing one opens a one-bit vector that 13
     * smalls fill, and the rest is a full run of 8191 and one of 775. */
    int len = okno_twcc_build(&o, e, 9000, buf, sizeof buf, &used);
    assert_true(len > 0);
    assert_int_equal(used, 9000);
    struct okno_twcc_fb fb;
    assert_int_equal(okno_twcc_parse(buf, (size_t)len, &fb), len);
    assert_int_equal(fb.chunks_len, 8);
    assert_int_equal(okno_rd16(fb.chunks), 0x2000 | 20);      /* run: small x20 (0..19) */
    assert_int_equal(okno_rd16(fb.chunks + 2), 0x9fff);       /* one-bit: - then S x13 (20..33) */
    assert_int_equal(okno_rd16(fb.chunks + 4), 0x3fff);       /* run: small x8191 */
    assert_int_equal(okno_rd16(fb.chunks + 6), 0x2000 | 775); /* run: the last 775 */
}

static void test_twcc_build_chooses_vectors_for_mixed_statuses(void **state)
{
    (void)state;
    struct okno_twcc_build_opts o = {1, 2, 0, 0};
    uint8_t buf[256];
    size_t used;
    struct okno_twcc_fb fb;
    struct okno_twcc_entry e[32];
    /* Alternating received and missing, no large delta: one-bit vectors of fourteen. */
    for (int i = 0; i < 28; i++)
        e[i] = (struct okno_twcc_entry){(uint16_t)i, (uint8_t)(i % 2 == 0), 64000 + i * 500};
    int len = okno_twcc_build(&o, e, 28, buf, sizeof buf, &used);
    assert_int_equal(okno_twcc_parse(buf, (size_t)len, &fb), len);
    assert_int_equal(fb.chunks_len, 4);
    assert_int_equal(okno_rd16(fb.chunks), 0xaaaa);
    assert_int_equal(okno_rd16(fb.chunks + 2), 0xaaaa);

    /* A 100 ms gap (a large delta) among them: two-bit vectors of seven. */
    for (int i = 3; i < 28; i++)
        e[i].arrival_us += 100000;
    len = okno_twcc_build(&o, e, 28, buf, sizeof buf, &used);
    assert_int_equal(okno_twcc_parse(buf, (size_t)len, &fb), len);
    assert_int_equal(fb.chunks_len, 6);
    assert_int_equal(okno_rd16(fb.chunks), 0xd121);     /* two-bit: S - S - L - S (0..6) */
    assert_int_equal(okno_rd16(fb.chunks + 2), 0x9555); /* one-bit: - S - S ... (7..20) */
    assert_int_equal(okno_rd16(fb.chunks + 4), 0xc444); /* the last seven: two-bit - S - S - S - */
    /* Ten large deltas in a row (the first is 256 ticks after the reference time) make one run. */
    for (int i = 0; i < 10; i++)
        e[i] = (struct okno_twcc_entry){(uint16_t)i, 1, 63900 + i * 100000};
    len = okno_twcc_build(&o, e, 10, buf, sizeof buf, &used);
    assert_int_equal(okno_twcc_parse(buf, (size_t)len, &fb), len);
    assert_int_equal(fb.chunks_len, 2);
    assert_int_equal(okno_rd16(fb.chunks), 0x4000 | 10);
    assert_int_equal(okno_rd16(fb.deltas), 256);
}

static void test_twcc_build_starts_new_packet_when_delta_overflows_16_bits(void **state)
{
    (void)state;
    struct okno_twcc_entry e[4] = {
        {500, 1, 1000000},
        {501, 1, 1000000 + 8191750},           /* 32767 ticks: still fits */
        {502, 1, 1000000 + 8191750 + 8192000}, /* 32768 ticks: does not */
        {503, 1, 1000000 + 8191750},           /* 32768 ticks back: -32768 fits */
    };
    struct okno_twcc_build_opts o = {1, 2, 9, 0};
    uint8_t buf[64];
    size_t used;
    struct okno_twcc_fb fb;
    struct okno_twcc_entry out[512];
    int len = okno_twcc_build(&o, e, 4, buf, sizeof buf, &used);
    assert_int_equal(used, 2);
    assert_int_equal(parse_all(buf, (size_t)len, &fb, out), 2);
    assert_int_equal(out[1].status, OKNO_TWCC_LARGE_DELTA);
    assert_int_equal(out[1].arrival_us, e[1].arrival_us);
    o.fb_count++;
    len = okno_twcc_build(&o, e + 2, 2, buf, sizeof buf, &used);
    assert_int_equal(used, 2);
    assert_int_equal(parse_all(buf, (size_t)len, &fb, out), 2);
    assert_int_equal(fb.base_seq, 502);
    assert_int_equal(fb.fb_count, 10);
    assert_int_equal(out[0].arrival_us, e[2].arrival_us);
    assert_int_equal(out[1].arrival_us, e[3].arrival_us);
    assert_int_equal(okno_rd16(fb.deltas + 1), 0x8000); /* -32768 */
}

static void test_twcc_build_splits_at_max_size_covering_every_entry(void **state)
{
    (void)state;
    struct okno_twcc_entry e[100];
    for (int i = 0; i < 100; i++)
        e[i] = (struct okno_twcc_entry){(uint16_t)(65500 + i), (uint8_t)(i % 3 != 1), i * 4000};
    struct okno_twcc_build_opts o = {1, 2, 250, 40};
    uint8_t buf[64];
    size_t done = 0;
    int packets = 0;
    while (done < 100) {
        size_t used;
        int len = okno_twcc_build(&o, e + done, 100 - done, buf, sizeof buf, &used);
        assert_true(len > 0 && len <= 40 && len % 4 == 0);
        struct okno_twcc_fb fb;
        struct okno_twcc_entry out[512];
        assert_int_equal(parse_all(buf, (size_t)len, &fb, out), (int)used);
        assert_int_equal(fb.fb_count, (uint8_t)(250 + packets));
        for (size_t i = 0; i < used; i++) {
            assert_int_equal(out[i].seq, e[done + i].seq);
            assert_int_equal(out[i].status != 0, e[done + i].status != 0);
            if (out[i].status)
                assert_int_equal(out[i].arrival_us, e[done + i].arrival_us);
        }
        done += used;
        o.fb_count++;
        packets++;
    }
    assert_true(packets > 3);
}

static void test_twcc_build_rounds_arrivals_without_drift(void **state)
{
    (void)state;
    struct okno_twcc_entry e[200];
    for (int i = 0; i < 200; i++)
        e[i] = (struct okno_twcc_entry){(uint16_t)i, 1, -777777 + i * 333};
    struct okno_twcc_build_opts o = {1, 2, 0, 0};
    uint8_t buf[512];
    size_t used;
    int len = okno_twcc_build(&o, e, 200, buf, sizeof buf, &used);
    assert_int_equal(used, 200);
    struct okno_twcc_fb fb;
    struct okno_twcc_entry out[512];
    assert_int_equal(parse_all(buf, (size_t)len, &fb, out), 200);
    for (int i = 0; i < 200; i++)
        assert_true(llabs(out[i].arrival_us - e[i].arrival_us) <= 125);
}

static void test_twcc_build_refuses_gaps_bad_status_and_no_room(void **state)
{
    (void)state;
    struct okno_twcc_entry e[3] = {{65535, 1, 0}, {0, 0, 0}, {1, 1, 250}};
    struct okno_twcc_build_opts o = {1, 2, 0, 0};
    uint8_t buf[64];
    size_t used = 77;
    assert_int_equal(okno_twcc_build(&o, e, 0, buf, sizeof buf, &used), OKNO_E_INVAL);
    assert_int_equal(okno_twcc_build(&o, e, 3, buf, OKNO_TWCC_MIN_PACKET - 1, &used), OKNO_E_NOSPC);
    assert_int_equal(used, 77);
    /* 24 bytes hold the first entry, and the padding it needs has room for the other two. */
    assert_int_equal(okno_twcc_build(&o, e, 3, buf, OKNO_TWCC_MIN_PACKET, &used), 24);
    assert_int_equal(used, 3);
    assert_int_equal(okno_twcc_build(&o, e, 3, buf, OKNO_TWCC_MIN_PACKET + 3, &used), 24);
    e[2].seq = 2;
    assert_int_equal(okno_twcc_build(&o, e, 3, buf, sizeof buf, &used), OKNO_E_INVAL);
    e[2].seq = 1;
    e[1].status = OKNO_TWCC_RESERVED;
    assert_int_equal(okno_twcc_build(&o, e, 3, buf, sizeof buf, &used), OKNO_E_INVAL);
}

static void test_twcc_build_of_only_missing_packets_has_zero_reference_time(void **state)
{
    (void)state;
    struct okno_twcc_entry e[3] = {{7, 0, 0}, {8, 0, 0}, {9, 0, 0}};
    struct okno_twcc_build_opts o = {1, 2, 0, 0};
    uint8_t buf[64], want[64];
    size_t used;
    int len = okno_twcc_build(&o, e, 3, buf, sizeof buf, &used);
    size_t wlen = okno_test_hex("8f cd 00 05  # 24 bytes\n"
                                "00 00 00 01 00 00 00 02  # SSRCs\n"
                                "00 07 00 03  # base seq 7, 3 statuses\n"
                                "00 00 00 00  # ref time 0, fb count 0\n"
                                "00 03        # run-length: not received x3\n"
                                "00 00        # no deltas; zero padding\n",
                                want, sizeof want);
    assert_int_equal(len, (int)wlen);
    assert_memory_equal(buf, want, wlen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twcc_parses_chromium_run_length_packet_and_reencodes_it),
        cmocka_unit_test(test_twcc_parses_every_chunk_type_and_reencodes_byte_exact),
        cmocka_unit_test(test_twcc_iterator_yields_what_parse_entries_copies),
        cmocka_unit_test(test_twcc_parse_entries_refuses_too_small_array),
        cmocka_unit_test(test_twcc_parses_every_chromium_capture_and_reencodes_it),
        cmocka_unit_test(test_twcc_reference_time_is_signed_24_bits),
        cmocka_unit_test(test_twcc_reference_time_wraps_after_2_pow_24_units),
        cmocka_unit_test(test_twcc_last_chunk_may_cover_more_than_the_status_count),
        cmocka_unit_test(test_twcc_status_count_that_lies_is_refused),
        cmocka_unit_test(test_twcc_parse_refuses_every_truncation),
        cmocka_unit_test(test_twcc_parse_checks_header_and_padding),
        cmocka_unit_test(test_twcc_build_chooses_run_length_for_long_runs),
        cmocka_unit_test(test_twcc_build_chooses_vectors_for_mixed_statuses),
        cmocka_unit_test(test_twcc_build_starts_new_packet_when_delta_overflows_16_bits),
        cmocka_unit_test(test_twcc_build_splits_at_max_size_covering_every_entry),
        cmocka_unit_test(test_twcc_build_rounds_arrivals_without_drift),
        cmocka_unit_test(test_twcc_build_refuses_gaps_bad_status_and_no_room),
        cmocka_unit_test(test_twcc_build_of_only_missing_packets_has_zero_reference_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
