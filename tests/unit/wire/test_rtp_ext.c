/* RFC 8285 header extension elements (src/wire/rtp_ext.c, rtp_ext_types.c): walking both forms,
 * lookup, in-place set, block building, rewriting a packet with an element added or replaced, typed
 * accessors. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/bytes.h"
#include "wire/rtp_ext.h"

/* RFC 8285 4.2's one-byte example, values filled in by hand. */
static const char rfc_one_byte_hex[] =
    "90 60 00 01 00 00 00 00 00 00 00 01 # RTP header X=1, seq 1, SSRC 1\n"
    "be de 00 03    # one-byte block, 3 words\n"
    "10 11 21 22    # id 1 L=0: 11; id 2 L=1: 22 ..\n"
    "22 00 00 33    # .. 22; two padding octets; id 3 L=3: ..\n"
    "33 33 33 33    # .. 33 33 33 33\n";

/* RFC 8285 4.3's two-byte example, values filled in by hand. */
static const char rfc_two_byte_hex[] =
    "90 60 00 01 00 00 00 00 00 00 00 01 # RTP header X=1, seq 1, SSRC 1\n"
    "10 00 00 03    # two-byte block, appbits 0, 3 words\n"
    "01 00 02 01    # id 1 L=0; id 2 L=1 ..\n"
    "22 00 03 04    # .. 22; one padding octet; id 3 L=4 ..\n"
    "33 33 33 33    # .. 33 33 33 33\n";

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

static void assert_elem(const struct okno_rtp_ext *e, uint8_t id, uint8_t len, uint8_t fill)
{
    assert_int_equal(e->id, id);
    assert_int_equal(e->len, len);
    for (size_t i = 0; i < len; i++)
        assert_int_equal(e->data[i], fill);
}

static void test_rtp_ext_walks_rfc8285_one_byte_example(void **state)
{
    (void)state;
    uint8_t b[64];
    struct okno_rtp_pkt p;
    load(rfc_one_byte_hex, b, sizeof b, &p);
    assert_int_equal(okno_rtp_ext_form_of(p.ext_profile), OKNO_RTP_EXT_ONE_BYTE);
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    okno_rtp_ext_iter_init(&it, &p);
    assert_int_equal(okno_rtp_ext_iter_next(&it, &e), 1);
    assert_elem(&e, 1, 1, 0x11);
    assert_int_equal(okno_rtp_ext_iter_next(&it, &e), 1);
    assert_elem(&e, 2, 2, 0x22);
    assert_int_equal(okno_rtp_ext_iter_next(&it, &e), 1);
    assert_elem(&e, 3, 4, 0x33);
    assert_int_equal(okno_rtp_ext_iter_next(&it, &e), 0);
    assert_int_equal(okno_rtp_ext_iter_next(&it, &e), 0);
}

static void test_rtp_ext_walks_rfc8285_two_byte_example(void **state)
{
    (void)state;
    uint8_t b[64];
    struct okno_rtp_pkt p;
    load(rfc_two_byte_hex, b, sizeof b, &p);
    assert_int_equal(okno_rtp_ext_form_of(p.ext_profile), OKNO_RTP_EXT_TWO_BYTE);
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    okno_rtp_ext_iter_init(&it, &p);
    assert_int_equal(okno_rtp_ext_iter_next(&it, &e), 1);
    assert_elem(&e, 1, 0, 0);
    assert_int_equal(okno_rtp_ext_iter_next(&it, &e), 1);
    assert_elem(&e, 2, 1, 0x22);
    assert_int_equal(okno_rtp_ext_iter_next(&it, &e), 1);
    assert_elem(&e, 3, 4, 0x33);
    assert_int_equal(okno_rtp_ext_iter_next(&it, &e), 0);
}

static void test_rtp_ext_build_reencodes_rfc8285_examples(void **state)
{
    (void)state;
    static const uint8_t v11[] = {0x11}, v22[] = {0x22, 0x22}, v33[] = {0x33, 0x33, 0x33, 0x33};
    const struct okno_rtp_ext one[] = {{1, 1, v11}, {2, 2, v22}, {3, 4, v33}};
    uint8_t out[32], want[32];
    uint16_t profile = 0;
    /* Same elements as the one-byte example; the padding moves to the end. */
    size_t n = okno_test_hex("10 11 21 22  # id 1: 11; id 2: 22 ..\n"
                             "22 33 33 33  # .. 22; id 3: 33 33 ..\n"
                             "33 33 00 00  # .. 33 33; padding\n",
                             want, sizeof want);
    assert_int_equal(okno_rtp_ext_build(out, sizeof out, one, 3, &profile), n);
    assert_int_equal(profile, 0xbede);
    assert_memory_equal(out, want, n);

    /* The two-byte example: the empty element forces the two-byte form. */
    const struct okno_rtp_ext two[] = {{1, 0, NULL}, {2, 1, v22}, {3, 4, v33}};
    n = okno_test_hex("01 00 02 01  # id 1 L=0; id 2 L=1 ..\n"
                      "22 03 04 33  # .. 22; id 3 L=4: 33 ..\n"
                      "33 33 33 00  # .. 33 33 33; padding\n",
                      want, sizeof want);
    assert_int_equal(okno_rtp_ext_build(out, sizeof out, two, 3, &profile), n);
    assert_int_equal(profile, 0x1000);
    assert_memory_equal(out, want, n);
    for (size_t cap = 0; cap < n; cap++)
        assert_int_equal(okno_rtp_ext_build(out, cap, two, 3, &profile), OKNO_E_NOSPC);
}

static void test_rtp_ext_build_round_trips_parsed_block(void **state)
{
    (void)state;
    uint8_t b[64], out[64];
    struct okno_rtp_pkt p;
    load(opus_hex, b, sizeof b, &p);
    struct okno_rtp_ext elems[8];
    size_t n = 0;
    struct okno_rtp_ext_iter it;
    okno_rtp_ext_iter_init(&it, &p);
    while (okno_rtp_ext_iter_next(&it, &elems[n]) > 0)
        n++;
    assert_int_equal(n, 4);
    uint16_t profile = 0;
    assert_int_equal(okno_rtp_ext_build(out, sizeof out, elems, n, &profile), p.ext_len);
    assert_int_equal(profile, p.ext_profile);
    assert_memory_equal(out, p.ext, p.ext_len);
}

static void test_rtp_ext_build_picks_two_byte_form_when_an_element_needs_it(void **state)
{
    (void)state;
    static const uint8_t d[17] = {0};
    uint8_t out[64];
    uint16_t profile = 0;
    struct okno_rtp_ext e[2] = {{1, 1, d}, {14, 16, d}};
    assert_int_equal(okno_rtp_ext_build(out, sizeof out, e, 2, &profile), 20);
    assert_int_equal(profile, 0xbede);
    e[1].id = 15; /* reserved in the one-byte form */
    assert_int_equal(okno_rtp_ext_build(out, sizeof out, e, 2, &profile), 24);
    assert_int_equal(profile, 0x1000);
    e[1].id = 14;
    e[1].len = 17;
    assert_int_equal(okno_rtp_ext_build(out, sizeof out, e, 2, &profile), 24);
    assert_int_equal(profile, 0x1000);
    assert_int_equal(out[3], 14);
    assert_int_equal(out[4], 17);
    assert_int_equal(okno_rtp_ext_build(out, sizeof out, e, 0, &profile), 0);
    assert_int_equal(profile, 0xbede);
}

static void test_rtp_ext_build_rejects_id_zero_and_missing_data(void **state)
{
    (void)state;
    uint8_t out[16];
    uint16_t profile = 0;
    static const uint8_t d[1] = {0};
    struct okno_rtp_ext e = {0, 1, d};
    assert_int_equal(okno_rtp_ext_build(out, sizeof out, &e, 1, &profile), OKNO_E_INVAL);
    e.id = 1;
    e.data = NULL;
    assert_int_equal(okno_rtp_ext_build(out, sizeof out, &e, 1, &profile), OKNO_E_INVAL);
}

/* Walks a packet whose block body is given as hex, under the given profile, and returns the walk's
 * end. */
static int walk_body(uint16_t profile, const char *body_hex, int *elements)
{
    uint8_t b[64];
    okno_wr16(b, 0x9060);
    memset(b + 2, 0, 10);
    size_t n = okno_test_hex(body_hex, b + 16, sizeof b - 16);
    okno_wr16(b + 12, profile);
    okno_wr16(b + 14, (uint16_t)(n / 4));
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, 16 + n, &p), 0);
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    int r;
    *elements = 0;
    okno_rtp_ext_iter_init(&it, &p);
    while ((r = okno_rtp_ext_iter_next(&it, &e)) > 0)
        (*elements)++;
    return r;
}

static void test_rtp_ext_one_byte_id_15_ends_the_walk(void **state)
{
    (void)state;
    int n;
    assert_int_equal(walk_body(0xbede,
                               "10 aa f0 20  # id 1; id 15 stops; what follows is ignored\n"
                               "bb 00 00 00\n",
                               &n),
                     0);
    assert_int_equal(n, 1);
}

static void test_rtp_ext_rejects_one_byte_id_0_with_length(void **state)
{
    (void)state;
    int n;
    assert_int_equal(
        walk_body(0xbede, "10 aa 01 00  # id 1; then id 0 L=1, which is not padding\n", &n),
        OKNO_E_MALFORMED);
    assert_int_equal(n, 1);
}

static void test_rtp_ext_rejects_elements_overrunning_the_block(void **state)
{
    (void)state;
    int n;
    assert_int_equal(walk_body(0xbede, "10 aa 23 bb  # id 1; id 2 L=3 needs 4 bytes, 1 left\n", &n),
                     OKNO_E_MALFORMED);
    assert_int_equal(n, 1);
    assert_int_equal(walk_body(0x1000, "01 01 aa 05  # id 1 L=1; id 5 and no length octet\n", &n),
                     OKNO_E_MALFORMED);
    assert_int_equal(n, 1);
    assert_int_equal(walk_body(0x1000, "01 04 aa bb  # id 1 L=4, 2 bytes left\n", &n),
                     OKNO_E_MALFORMED);
    assert_int_equal(n, 0);
}

static void test_rtp_ext_reports_unknown_profile_as_unsupported(void **state)
{
    (void)state;
    int n;
    assert_int_equal(walk_body(0x0001, "10 aa 00 00\n", &n), OKNO_E_UNSUPPORTED);
    assert_int_equal(walk_body(0x1010, "10 aa 00 00\n", &n), OKNO_E_UNSUPPORTED);
    assert_int_equal(walk_body(0x100f, "10 00 00 00  # appbits 15, id 16 L=0\n", &n), 0);
    assert_int_equal(n, 1);
}

static void test_rtp_ext_find_returns_first_match_or_notfound(void **state)
{
    (void)state;
    uint8_t b[64];
    struct okno_rtp_pkt p;
    struct okno_rtp_ext e;
    load(rfc_one_byte_hex, b, sizeof b, &p);
    assert_int_equal(okno_rtp_ext_find(&p, 3, &e), 0);
    assert_ptr_equal(e.data, b + 24);
    assert_int_equal(okno_rtp_ext_find(&p, 4, &e), OKNO_E_NOTFOUND);
    b[16] = 0x30; /* first element becomes id 3 too */
    assert_int_equal(okno_rtp_ext_find(&p, 3, &e), 0);
    assert_ptr_equal(e.data, b + 17);
    b[0] = 0x80; /* no X bit */
    assert_int_equal(okno_rtp_parse(b, 28, &p), 0);
    assert_int_equal(okno_rtp_ext_find(&p, 3, &e), OKNO_E_NOTFOUND);
}

static void test_rtp_ext_set_changes_value_only_when_length_matches(void **state)
{
    (void)state;
    uint8_t b[64], orig[64];
    struct okno_rtp_pkt p;
    size_t n = load(rfc_one_byte_hex, b, sizeof b, &p);
    memcpy(orig, b, n);
    static const uint8_t v[4] = {1, 2, 3, 4};
    assert_int_equal(okno_rtp_ext_set(b, n, 2, v, 3), OKNO_E_RANGE);
    assert_int_equal(okno_rtp_ext_set(b, n, 9, v, 2), OKNO_E_NOTFOUND);
    assert_int_equal(okno_rtp_ext_set(b, 11, 2, v, 2), OKNO_E_TRUNCATED);
    assert_memory_equal(b, orig, n);
    assert_int_equal(okno_rtp_ext_set(b, n, 2, v, 2), 0);
    assert_int_equal(b[19], 1);
    assert_int_equal(b[20], 2);
    b[19] = orig[19];
    b[20] = orig[20];
    assert_memory_equal(b, orig, n);
}

static void test_rtp_ext_put_adds_block_to_packet_without_one(void **state)
{
    (void)state;
    uint8_t in[64], out[64], want[64];
    size_t n = okno_test_hex("a0 6f 00 01    # P=1 X=0, PT 111, seq 1\n"
                             "00 00 00 02 00 00 00 03 # timestamp, SSRC\n"
                             "aa bb cc       # payload\n"
                             "00 02          # padding, count 2\n",
                             in, sizeof in);
    size_t w = okno_test_hex("b0 6f 00 01    # X now set\n"
                             "00 00 00 02 00 00 00 03 # timestamp, SSRC\n"
                             "be de 00 01    # one-byte block, 1 word\n"
                             "31 12 34 00    # id 3 transport-wide-cc 0x1234, padding\n"
                             "aa bb cc 00 02 # payload and padding as they were\n",
                             want, sizeof want);
    static const uint8_t seq[2] = {0x12, 0x34};
    const struct okno_rtp_ext e = {3, 2, seq};
    assert_int_equal(okno_rtp_ext_put(in, n, out, sizeof out, &e), w);
    assert_memory_equal(out, want, w);
    for (size_t cap = 0; cap < w; cap++)
        assert_int_equal(okno_rtp_ext_put(in, n, out, cap, &e), OKNO_E_NOSPC);
}

static void test_rtp_ext_put_replaces_in_place_and_shifts_payload(void **state)
{
    (void)state;
    uint8_t in[64], out[64];
    struct okno_rtp_pkt p, q;
    size_t n = load(opus_hex, in, sizeof in, &p);
    static const uint8_t mid[5] = {'a', 'u', 'd', 'i', 'o'};
    const struct okno_rtp_ext e = {4, 5, mid};
    int w = okno_rtp_ext_put(in, n, out, sizeof out, &e);
    assert_int_equal(w, n + 4);
    assert_int_equal(okno_rtp_parse(out, (size_t)w, &q), 0);
    assert_int_equal(q.ext_profile, 0xbede);
    assert_int_equal(q.ext_len, p.ext_len + 4);
    assert_int_equal(q.payload_len, p.payload_len);
    assert_memory_equal(q.payload, p.payload, p.payload_len + p.pad_len);
    assert_int_equal(q.seq, p.seq);
    /* Order kept: 2, 3, then the replaced 4 where it was, then 1. */
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext x;
    static const uint8_t order[] = {2, 3, 4, 1};
    okno_rtp_ext_iter_init(&it, &q);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(okno_rtp_ext_iter_next(&it, &x), 1);
        assert_int_equal(x.id, order[i]);
    }
    assert_int_equal(okno_rtp_ext_iter_next(&it, &x), 0);
    const char *s;
    size_t sn;
    assert_int_equal(okno_rtp_ext_get_mid(&q, 4, &s, &sn), 0);
    assert_int_equal(sn, 5);
    assert_memory_equal(s, "audio", 5);
}

static void test_rtp_ext_put_switches_to_two_byte_form_when_needed(void **state)
{
    (void)state;
    uint8_t in[64], out[64];
    struct okno_rtp_pkt p, q;
    size_t n = load(opus_hex, in, sizeof in, &p);
    const struct okno_rtp_ext e = {20, 0, NULL};
    int w = okno_rtp_ext_put(in, n, out, sizeof out, &e);
    assert_true(w > 0);
    assert_int_equal(okno_rtp_parse(out, (size_t)w, &q), 0);
    assert_int_equal(q.ext_profile, 0x1000);
    uint16_t seq;
    uint32_t t;
    bool voice;
    uint8_t level;
    struct okno_rtp_ext x;
    assert_int_equal(okno_rtp_ext_get_twcc(&q, 3, &seq), 0);
    assert_int_equal(seq, 1);
    assert_int_equal(okno_rtp_ext_get_abs_send_time(&q, 2, &t), 0);
    assert_int_equal(t, 0x9330a9);
    assert_int_equal(okno_rtp_ext_get_audio_level(&q, 1, &voice, &level), 0);
    assert_true(voice);
    assert_int_equal(level, 127);
    assert_int_equal(okno_rtp_ext_find(&q, 20, &x), 0);
    assert_int_equal(x.len, 0);
    assert_memory_equal(q.payload, p.payload, p.payload_len + p.pad_len);
}

static void test_rtp_ext_put_keeps_two_byte_form_and_appbits(void **state)
{
    (void)state;
    uint8_t in[64], out[64];
    struct okno_rtp_pkt p, q;
    size_t n = load(rfc_two_byte_hex, in, sizeof in, &p);
    in[13] = 0x05; /* appbits 5 */
    static const uint8_t v = 0x77;
    const struct okno_rtp_ext e = {2, 1, &v};
    int w = okno_rtp_ext_put(in, n, out, sizeof out, &e);
    assert_int_equal(okno_rtp_parse(out, (size_t)w, &q), 0);
    assert_int_equal(q.ext_profile, 0x1005);
    struct okno_rtp_ext x;
    assert_int_equal(okno_rtp_ext_find(&q, 2, &x), 0);
    assert_int_equal(x.data[0], 0x77);
    assert_int_equal(okno_rtp_ext_find(&q, 1, &x), 0);
    assert_int_equal(x.len, 0);
}

static void test_rtp_ext_put_refuses_unknown_profile_and_bad_blocks(void **state)
{
    (void)state;
    uint8_t in[64], out[64];
    struct okno_rtp_pkt p;
    size_t n = load(rfc_one_byte_hex, in, sizeof in, &p);
    static const uint8_t v = 1;
    const struct okno_rtp_ext e = {5, 1, &v};
    in[12] = 0x12;
    assert_int_equal(okno_rtp_ext_put(in, n, out, sizeof out, &e), OKNO_E_UNSUPPORTED);
    in[12] = 0xbe;
    in[18] = 0x2f; /* id 2 claims 16 bytes */
    assert_int_equal(okno_rtp_ext_put(in, n, out, sizeof out, &e), OKNO_E_MALFORMED);
    const struct okno_rtp_ext zero = {0, 1, &v};
    in[18] = 0x21;
    assert_int_equal(okno_rtp_ext_put(in, n, out, sizeof out, &zero), OKNO_E_INVAL);
}

/* Every packet of the Chromium capture: the block walks cleanly, carries transport-wide-cc and
 * abs-send-time (ids 3 and 2 in that call, see the capture's README), audio packets carry a level
 * (id 1), and restamping transport-wide-cc through put changes only that value. */
static void test_rtp_ext_walks_and_restamps_every_chromium_capture_packet(void **state)
{
    (void)state;
    char *text = okno_test_read_file("fixtures/captures/chromium-rtp.hex", NULL);
    static uint8_t pkt[4096], out[4096];
    unsigned count = 0;
    bool audio = false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            audio = strstr(line, "rtp:opus:") != NULL;
            continue;
        }
        size_t n = okno_test_hex(line, pkt, sizeof pkt);
        struct okno_rtp_pkt p, q;
        assert_int_equal(okno_rtp_parse(pkt, n, &p), 0);
        struct okno_rtp_ext_iter it;
        struct okno_rtp_ext e;
        int r, elems = 0;
        okno_rtp_ext_iter_init(&it, &p);
        while ((r = okno_rtp_ext_iter_next(&it, &e)) > 0)
            elems++;
        assert_int_equal(r, 0);
        assert_true(elems > 0);
        uint16_t seq, seq2;
        assert_int_equal(okno_rtp_ext_get_twcc(&p, 3, &seq), 0);
        uint32_t t;
        assert_int_equal(okno_rtp_ext_get_abs_send_time(&p, 2, &t), 0);
        bool voice;
        uint8_t level;
        assert_int_equal(okno_rtp_ext_get_audio_level(&p, 1, &voice, &level),
                         audio ? 0 : OKNO_E_NOTFOUND);
        uint8_t v[2];
        okno_wr16(v, (uint16_t)(seq + 1000));
        const struct okno_rtp_ext tw = {3, 2, v};
        int w = okno_rtp_ext_put(pkt, n, out, sizeof out, &tw);
        assert_true(w > 0);
        assert_int_equal(okno_rtp_parse(out, (size_t)w, &q), 0);
        assert_int_equal(okno_rtp_ext_get_twcc(&q, 3, &seq2), 0);
        assert_int_equal(seq2, (uint16_t)(seq + 1000));
        assert_int_equal(q.payload_len, p.payload_len);
        assert_memory_equal(q.payload, p.payload, p.payload_len + p.pad_len);
        assert_memory_equal(out, pkt, 12);
        count++;
    }
    assert_true(count > 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtp_ext_walks_rfc8285_one_byte_example),
        cmocka_unit_test(test_rtp_ext_walks_rfc8285_two_byte_example),
        cmocka_unit_test(test_rtp_ext_build_reencodes_rfc8285_examples),
        cmocka_unit_test(test_rtp_ext_build_round_trips_parsed_block),
        cmocka_unit_test(test_rtp_ext_build_picks_two_byte_form_when_an_element_needs_it),
        cmocka_unit_test(test_rtp_ext_build_rejects_id_zero_and_missing_data),
        cmocka_unit_test(test_rtp_ext_one_byte_id_15_ends_the_walk),
        cmocka_unit_test(test_rtp_ext_rejects_one_byte_id_0_with_length),
        cmocka_unit_test(test_rtp_ext_rejects_elements_overrunning_the_block),
        cmocka_unit_test(test_rtp_ext_reports_unknown_profile_as_unsupported),
        cmocka_unit_test(test_rtp_ext_find_returns_first_match_or_notfound),
        cmocka_unit_test(test_rtp_ext_set_changes_value_only_when_length_matches),
        cmocka_unit_test(test_rtp_ext_put_adds_block_to_packet_without_one),
        cmocka_unit_test(test_rtp_ext_put_replaces_in_place_and_shifts_payload),
        cmocka_unit_test(test_rtp_ext_put_switches_to_two_byte_form_when_needed),
        cmocka_unit_test(test_rtp_ext_put_keeps_two_byte_form_and_appbits),
        cmocka_unit_test(test_rtp_ext_put_refuses_unknown_profile_and_bad_blocks),
        cmocka_unit_test(test_rtp_ext_walks_and_restamps_every_chromium_capture_packet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
