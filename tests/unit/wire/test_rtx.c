/* RFC 4588 RTX wrap and unwrap and padding-only probe recognition (src/wire/rtx.c). */
#include "testutil.h"
#include "okno/err.h"
#include "wire/rtx.h"

/* An original video packet: CSRC, one-byte extension block, payload, padding. */
static const char orig_hex[] = "b1 e0 30 39    # V=2 P=1 X=1 CC=1, M=1 PT=96, seq 12345\n"
                               "00 01 5f 90    # timestamp 90000\n"
                               "11 11 11 11    # media SSRC\n"
                               "cc cc cc cc    # CSRC\n"
                               "be de 00 01    # one-byte block, 1 word\n"
                               "31 00 07 00    # transport-wide-cc 7, padding\n"
                               "90 e0 80 00 01 # payload (VP8 descriptor and a byte)\n"
                               "00 00 03       # padding, count 3\n";

/* The same packet as RTX: SSRC, PT and seq are the RTX stream's, the OSN leads the payload. */
static const char rtx_hex[] = "b1 e1 00 05    # V=2 P=1 X=1 CC=1, M=1 PT=97 (apt=96), RTX seq 5\n"
                              "00 01 5f 90    # timestamp unchanged\n"
                              "22 22 22 22    # RTX SSRC\n"
                              "cc cc cc cc    # CSRC unchanged\n"
                              "be de 00 01    # block unchanged\n"
                              "31 00 07 00\n"
                              "30 39          # OSN 12345\n"
                              "90 e0 80 00 01 # original payload\n"
                              "00 00 03       # padding unchanged\n";

static void test_rtx_wrap_inserts_osn_and_rewrites_header(void **state)
{
    (void)state;
    uint8_t orig[64], want[64], out[64];
    size_t n = okno_test_hex(orig_hex, orig, sizeof orig);
    size_t w = okno_test_hex(rtx_hex, want, sizeof want);
    assert_int_equal(okno_rtx_wrap(orig, n, out, sizeof out, 0x22222222, 97, 5), w);
    assert_memory_equal(out, want, w);
    for (size_t cap = 0; cap < w; cap++)
        assert_int_equal(okno_rtx_wrap(orig, n, out, cap, 0x22222222, 97, 5), OKNO_E_NOSPC);
    assert_int_equal(okno_rtx_wrap(orig, n, out, sizeof out, 1, 128, 5), OKNO_E_INVAL);
    assert_int_equal(okno_rtx_wrap(orig, 11, out, sizeof out, 1, 97, 5), OKNO_E_TRUNCATED);
}

static void test_rtx_unwrap_restores_original_packet(void **state)
{
    (void)state;
    uint8_t rtx[64], want[64], out[64];
    size_t n = okno_test_hex(rtx_hex, rtx, sizeof rtx);
    size_t w = okno_test_hex(orig_hex, want, sizeof want);
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(rtx, n, &p), 0);
    assert_false(okno_rtx_is_padding_only(&p));
    assert_int_equal(okno_rtx_osn(&p), 12345);
    assert_int_equal(okno_rtx_unwrap(rtx, n, out, sizeof out, 0x11111111, 96), w);
    assert_memory_equal(out, want, w);
    for (size_t cap = 0; cap < w; cap++)
        assert_int_equal(okno_rtx_unwrap(rtx, n, out, cap, 0x11111111, 96), OKNO_E_NOSPC);
    assert_int_equal(okno_rtx_unwrap(rtx, n, out, sizeof out, 0x11111111, 200), OKNO_E_INVAL);
}

static void test_rtx_unwrap_rejects_payload_shorter_than_osn(void **state)
{
    (void)state;
    uint8_t b[32], out[32];
    size_t n = okno_test_hex("80 61 00 05 00 00 00 00 22 22 22 22 # RTX header, PT 97\n"
                             "30                                  # half an OSN\n",
                             b, sizeof b);
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    assert_int_equal(okno_rtx_osn(&p), OKNO_E_TRUNCATED);
    assert_int_equal(okno_rtx_unwrap(b, n, out, sizeof out, 1, 96), OKNO_E_TRUNCATED);
    assert_int_equal(okno_rtx_unwrap(b, n - 1, out, sizeof out, 1, 96), OKNO_E_TRUNCATED);
    /* An OSN and nothing else is an original with an empty payload. */
    b[n++] = 0x39;
    assert_int_equal(okno_rtx_unwrap(b, n, out, sizeof out, 1, 96), 12);
    assert_int_equal(okno_rtp_parse(out, 12, &p), 0);
    assert_int_equal(p.seq, 12345);
    assert_int_equal(p.pt, 96);
    assert_int_equal(p.ssrc, 1);
}

static void test_rtx_recognises_padding_only_probe(void **state)
{
    (void)state;
    uint8_t b[32], out[32];
    size_t n = okno_test_hex("a0 61 00 05    # P=1, PT 97, RTX seq 5\n"
                             "00 00 00 00 22 22 22 22 # timestamp, RTX SSRC\n"
                             "00 00 00 00 00 00 00 08 # 8 bytes of padding, nothing else\n",
                             b, sizeof b);
    struct okno_rtp_pkt p;
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    assert_true(okno_rtx_is_padding_only(&p));
    assert_int_equal(okno_rtx_osn(&p), OKNO_E_TRUNCATED);
    assert_int_equal(okno_rtx_unwrap(b, n, out, sizeof out, 1, 96), 0);
    b[n - 1] = 6; /* now 2 bytes before the padding: an OSN, so a real retransmission */
    assert_int_equal(okno_rtp_parse(b, n, &p), 0);
    assert_false(okno_rtx_is_padding_only(&p));
    assert_int_equal(okno_rtx_unwrap(b, n, out, sizeof out, 1, 96), n - 2);
}

/* The capture's RTX stream holds bandwidth probes and real retransmissions: probes must be
 * recognised, retransmissions must unwrap to their OSN and wrap back to the same bytes; media
 * packets must survive a wrap and unwrap unchanged. */
static void test_rtx_handles_every_chromium_capture_packet(void **state)
{
    (void)state;
    char *text = okno_test_read_file("fixtures/captures/chromium-rtp.hex", NULL);
    static uint8_t pkt[4096], rtx[4096], back[4096];
    unsigned probes = 0, retransmissions = 0, media = 0;
    bool is_rtx = false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            is_rtx = strstr(line, "rtp:rtx:") != NULL;
            continue;
        }
        size_t n = okno_test_hex(line, pkt, sizeof pkt);
        struct okno_rtp_pkt p, o;
        assert_int_equal(okno_rtp_parse(pkt, n, &p), 0);
        if (is_rtx && okno_rtx_is_padding_only(&p)) {
            assert_int_equal(okno_rtx_unwrap(pkt, n, back, sizeof back, 1, 96), 0);
            probes++;
            continue;
        }
        if (is_rtx) {
            int osn = okno_rtx_osn(&p);
            assert_true(osn >= 0);
            int w = okno_rtx_unwrap(pkt, n, back, sizeof back, 0x12345678, 96);
            assert_int_equal(w, n - 2);
            assert_int_equal(okno_rtp_parse(back, (size_t)w, &o), 0);
            assert_int_equal(o.seq, osn);
            assert_int_equal(o.ssrc, 0x12345678);
            assert_int_equal(o.ts, p.ts);
            assert_int_equal(okno_rtx_wrap(back, (size_t)w, rtx, sizeof rtx, p.ssrc, p.pt, p.seq),
                             n);
            assert_memory_equal(rtx, pkt, n);
            retransmissions++;
            continue;
        }
        assert_false(okno_rtx_is_padding_only(&p));
        int w = okno_rtx_wrap(pkt, n, rtx, sizeof rtx, 0xabcdef01, 97, (uint16_t)media);
        assert_int_equal(w, n + 2);
        int r = okno_rtx_unwrap(rtx, (size_t)w, back, sizeof back, p.ssrc, p.pt);
        assert_int_equal(r, n);
        assert_memory_equal(back, pkt, n);
        media++;
    }
    assert_true(probes > 0);
    assert_true(retransmissions > 0);
    assert_true(media > 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtx_wrap_inserts_osn_and_rewrites_header),
        cmocka_unit_test(test_rtx_unwrap_restores_original_packet),
        cmocka_unit_test(test_rtx_unwrap_rejects_payload_shorter_than_osn),
        cmocka_unit_test(test_rtx_recognises_padding_only_probe),
        cmocka_unit_test(test_rtx_handles_every_chromium_capture_packet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
