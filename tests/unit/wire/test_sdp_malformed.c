/* SDP input that must be refused, with the line and reason, and input cut short anywhere: the
 * parser never crashes, and what it accepts always survives a write and re-parse. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/sdp.h"

#define HEAD "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

static struct okno_sdp sdp, again;
static char out[64 * 1024];
static char big[64 * 1024];

/* Parses text and requires error rc on line `line`; returns the reason. */
static const char *expect_error(const char *text, int rc, unsigned line)
{
    struct okno_sdp_error err = {0, NULL};
    int got = okno_sdp_parse(&sdp, text, strlen(text), &err);
    if (got != rc || err.line != line)
        fail_msg("want %s at line %u, got %s at line %u (%s)", okno_err_name(rc), line,
                 okno_err_name(got), err.line, err.reason ? err.reason : "-");
    assert_non_null(err.reason);
    return err.reason;
}

/* A parse result that is accepted must write, re-parse and compare equal. */
static void assert_survives_cycle(void)
{
    int n = okno_sdp_write(&sdp, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal(okno_sdp_parse(&again, out, (size_t)n, NULL), 0);
    assert_true(okno_sdp_equal(&sdp, &again, NULL));
}

static void test_sdp_parse_rejects_missing_or_wrong_version_line(void **state)
{
    (void)state;
    expect_error("", OKNO_E_MALFORMED, 1);
    expect_error("o=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", OKNO_E_MALFORMED, 1);
    expect_error("v=1\r\n", OKNO_E_MALFORMED, 1);
    expect_error("v=0\r\nv=0\r\n", OKNO_E_MALFORMED, 2);
    expect_error("v=0\r\ns=-\r\nt=0 0\r\n", OKNO_E_MALFORMED, 3); /* no o= */
}

static void test_sdp_parse_rejects_bad_m_lines_with_their_line_number(void **state)
{
    (void)state;
    expect_error(HEAD "m=audio\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", OKNO_E_MALFORMED, 5);
    const char *why =
        expect_error(HEAD "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", OKNO_E_MALFORMED, 5);
    assert_non_null(strstr(why, "port"));
    expect_error(HEAD "m=audio -9 UDP/TLS/RTP/SAVPF 111\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "m=audio 9x UDP/TLS/RTP/SAVPF 111\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "m=audio 9/0 UDP/TLS/RTP/SAVPF 111\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111 111\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "m=audio 9 UDP/TLS/RTP/SAVPF opus\r\n", OKNO_E_MALFORMED, 5);
    expect_error("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nm=audio 9 RTP/AVP 0\r\n", OKNO_E_MALFORMED, 3);
}

static void test_sdp_parse_rejects_more_sections_than_capacity(void **state)
{
    (void)state;
    size_t n = (size_t)snprintf(big, sizeof big, HEAD);
    for (int i = 0; i <= OKNO_SDP_MAX_MEDIA; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "m=audio 9 RTP/AVP 0\r\na=mid:%d\r\n", i);
    expect_error(big, OKNO_E_RANGE, 5 + 2 * OKNO_SDP_MAX_MEDIA);
}

static void test_sdp_parse_rejects_overlong_line_nul_and_stray_cr(void **state)
{
    (void)state;
    size_t n = (size_t)snprintf(big, sizeof big, HEAD "a=x-long:");
    memset(big + n, 'x', OKNO_SDP_MAX_LINE);
    strcpy(big + n + OKNO_SDP_MAX_LINE, "\r\n");
    expect_error(big, OKNO_E_RANGE, 5);

    static const char nul[] = HEAD "s=a\0b\r\n";
    struct okno_sdp_error err = {0, NULL};
    assert_int_equal(okno_sdp_parse(&sdp, nul, sizeof nul - 1, &err), OKNO_E_MALFORMED);
    assert_int_equal(err.line, 5);
    expect_error(HEAD "a=mid:0\rx\r\n", OKNO_E_MALFORMED, 5);
}

static void test_sdp_parse_rejects_unknown_line_types_and_refuses_repeat_times(void **state)
{
    (void)state;
    expect_error(HEAD "x=1\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "A=1\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "no equals\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "r=7d 1h 0 25h\r\n", OKNO_E_UNSUPPORTED, 5);
    expect_error(HEAD "t=1 2\r\n", OKNO_E_UNSUPPORTED, 5);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\ns=-\r\n", OKNO_E_MALFORMED, 6);
}

static void test_sdp_parse_rejects_attributes_at_the_wrong_level_or_repeated(void **state)
{
    (void)state;
    expect_error(HEAD "a=mid:0\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n", OKNO_E_MALFORMED, 5);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=group:BUNDLE 0\r\n", OKNO_E_MALFORMED, 6);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=ice-lite\r\n", OKNO_E_MALFORMED, 6);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=mid:0\r\na=mid:1\r\n", OKNO_E_MALFORMED, 7);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=mid:a\r\nm=audio 9 RTP/AVP 0\r\na=mid:a\r\n",
                 OKNO_E_MALFORMED, 8);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=sendonly\r\na=recvonly\r\n", OKNO_E_MALFORMED, 7);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=rtcp-mux:yes\r\n", OKNO_E_MALFORMED, 6);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=mid\r\n", OKNO_E_MALFORMED, 6);
    expect_error(HEAD "a=\r\n", OKNO_E_MALFORMED, 5);
}

static void test_sdp_parse_rejects_payload_attributes_for_undeclared_types(void **state)
{
    (void)state;
    const char *why = expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:111 opus/48000/2\r\n",
                                   OKNO_E_MALFORMED, 6);
    assert_non_null(strstr(why, "payload type"));
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=fmtp:8 x=1\r\n", OKNO_E_MALFORMED, 6);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=rtcp-fb:8 nack\r\n", OKNO_E_MALFORMED, 6);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", OKNO_E_MALFORMED, 6);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/0\r\n", OKNO_E_MALFORMED, 6);
    expect_error(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:0 PCMA/8000\r\n",
                 OKNO_E_MALFORMED, 7);
    /* data channel sections have no payload types */
    expect_error(HEAD "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=rtpmap:0 x/1\r\n",
                 OKNO_E_MALFORMED, 6);
}

static void test_sdp_parse_rejects_bad_transport_attribute_values(void **state)
{
    (void)state;
    const char *m = HEAD "m=audio 9 RTP/AVP 0\r\n";
    char line[512];
#define BAD(attr, err)                                                                             \
    do {                                                                                           \
        snprintf(line, sizeof line, "%sa=%s\r\n", m, attr);                                        \
        expect_error(line, err, 6);                                                                \
    } while (0)
    BAD("fingerprint:sha-256 71:50:A7", OKNO_E_MALFORMED); /* 3 bytes for a 32-byte hash */
    BAD("fingerprint:sha-256 7150A7", OKNO_E_MALFORMED);
    BAD("fingerprint:sha-1 zz:50:A7:30:5A:78:01:B3:49:90:D4:19:35:58:9D:98:9D:BA:08:C5",
        OKNO_E_MALFORMED);
    BAD("setup:both", OKNO_E_MALFORMED);
    BAD("ice-ufrag:abc", OKNO_E_MALFORMED);   /* shorter than 4 */
    BAD("ice-pwd:short", OKNO_E_MALFORMED);   /* shorter than 22 */
    BAD("ice-ufrag:ab-cd", OKNO_E_MALFORMED); /* not an ice-char */
    BAD("extmap:0 urn:x", OKNO_E_MALFORMED);  /* ids are 1..255 */
    BAD("extmap:256 urn:x", OKNO_E_MALFORMED);
    BAD("extmap:1/both urn:x", OKNO_E_MALFORMED);
    BAD("extmap:1", OKNO_E_MALFORMED);
    BAD("candidate:1 1 udp 1 10.0.0.1 9 host", OKNO_E_MALFORMED); /* no "typ" */
    BAD("candidate:1 0 udp 1 10.0.0.1 9 typ host", OKNO_E_MALFORMED);
    BAD("candidate:1 1 udp 1 10.0.0.1 65536 typ host", OKNO_E_MALFORMED);
    BAD("candidate:1 1 tcp 1 10.0.0.1 9 typ host tcptype both", OKNO_E_MALFORMED);
    BAD("candidate:1 1 udp 1 10.0.0.1 9 typ host generation", OKNO_E_MALFORMED);
    BAD("candidate:1 1 udp 1 10.0.0.1 9 typ host a 1 b 2 c 3 d 4 e 5", OKNO_E_RANGE);
    BAD("ssrc:4294967296 cname:x", OKNO_E_MALFORMED);
    BAD("ssrc:1", OKNO_E_MALFORMED);
    BAD("ssrc-group:FID", OKNO_E_MALFORMED);
    BAD("rid:q both", OKNO_E_MALFORMED);
    BAD("rid:q;x send", OKNO_E_MALFORMED);
    BAD("rid:q send pt=", OKNO_E_MALFORMED);
    BAD("simulcast:send", OKNO_E_MALFORMED);
    BAD("simulcast:send rid=q;h", OKNO_E_MALFORMED); /* the old draft syntax */
    BAD("simulcast:send q;;h", OKNO_E_MALFORMED);
    BAD("simulcast:send q recv h send f", OKNO_E_MALFORMED);
    BAD("simulcast:sideways q", OKNO_E_MALFORMED);
    BAD("simulcast:send q;h;h", OKNO_E_MALFORMED); /* found by fuzz_negotiate */
    BAD("simulcast:send q,~q", OKNO_E_MALFORMED);
    BAD("simulcast:send q recv q", OKNO_E_MALFORMED);
    BAD("sctp-port:0", OKNO_E_MALFORMED);
    BAD("max-message-size:big", OKNO_E_MALFORMED);
#undef BAD
}

static void test_sdp_parse_drops_candidates_of_unknown_transport_or_type(void **state)
{
    (void)state;
    const char *text = HEAD "m=audio 9 RTP/AVP 0\r\n"
                            "a=candidate:1 1 sctp 1 10.0.0.1 9 typ host\r\n"
                            "a=candidate:1 1 udp 1 10.0.0.1 9 typ wormhole\r\n"
                            "a=candidate:2 1 UDP 7 10.0.0.2 9 typ host\r\n";
    assert_int_equal(okno_sdp_parse(&sdp, text, strlen(text), NULL), 0);
    assert_int_equal(sdp.media[0].n_candidates, 1);
    assert_int_equal(sdp.media[0].n_candidates_dropped, 2);
    assert_int_equal(sdp.media[0].candidates[0].priority, 7);
}

static void test_sdp_parse_rejects_lists_beyond_capacity(void **state)
{
    (void)state;
    size_t n = (size_t)snprintf(big, sizeof big, HEAD "m=audio 9 RTP/AVP 0\r\n");
    for (int i = 0; i <= OKNO_SDP_MAX_CANDIDATES; i++)
        n += (size_t)snprintf(big + n, sizeof big - n,
                              "a=candidate:%d 1 udp 1 10.0.0.1 %d typ host\r\n", i, 1000 + i);
    expect_error(big, OKNO_E_RANGE, 6 + OKNO_SDP_MAX_CANDIDATES);

    n = (size_t)snprintf(big, sizeof big, HEAD "m=audio 9 RTP/AVP 0\r\n");
    for (int i = 0; i <= OKNO_SDP_MAX_SSRCS; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "a=ssrc:%d cname:x\r\n", i);
    expect_error(big, OKNO_E_RANGE, 6 + OKNO_SDP_MAX_SSRCS);

    n = (size_t)snprintf(big, sizeof big, HEAD "m=video 9 RTP/AVP");
    for (int i = 0; i <= OKNO_SDP_MAX_CODECS; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, " %d", i);
    snprintf(big + n, sizeof big - n, "\r\n");
    expect_error(big, OKNO_E_RANGE, 5);
}

static void test_sdp_parse_accepts_lf_line_ends_and_no_final_line_end(void **state)
{
    (void)state;
    size_t len;
    char *crlf = okno_test_read_file("fixtures/sdp/chromium-av-offer.sdp", &len);
    char *lf = malloc(len);
    assert_non_null(lf);
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (crlf[i] != '\r')
            lf[k++] = crlf[i];
    assert_int_equal(okno_sdp_parse(&again, crlf, len, NULL), 0);
    assert_int_equal(okno_sdp_parse(&sdp, lf, k - 1, NULL), 0); /* without the last \n */
    assert_true(okno_sdp_equal(&sdp, &again, NULL));
    free(lf);
    free(crlf);
}

/* Every prefix of a real offer: an error that says where, or a model that survives the cycle. */
static void check_prefixes(const char *name, bool every_byte)
{
    char rel[128];
    size_t len;
    snprintf(rel, sizeof rel, "fixtures/sdp/%s", name);
    char *text = okno_test_read_file(rel, &len);
    unsigned accepted = 0, refused = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        if (!every_byte && cut != len && text[cut] != '\n' && (cut == 0 || text[cut - 1] != '\n'))
            continue;
        char *copy = malloc(cut + 1); /* exact size, so ASan sees any overread */
        assert_non_null(copy);
        memcpy(copy, text, cut);
        struct okno_sdp_error err = {0, NULL};
        int rc = okno_sdp_parse(&sdp, copy, cut, &err);
        if (rc == 0) {
            accepted++;
            assert_survives_cycle();
        } else {
            refused++;
            assert_true(rc == OKNO_E_MALFORMED);
            assert_true(err.line >= 1 && err.reason != NULL);
        }
        free(copy);
    }
    assert_true(accepted > 0 && refused > 0);
    free(text);
}

static void test_sdp_parse_survives_truncation_at_every_line_boundary(void **state)
{
    (void)state;
    const char *names[] = {"chromium-av-offer.sdp", "chromium-vp8-simulcast.sdp",
                           "chromium-recvonly.sdp", "firefox-av-offer.sdp",
                           "firefox-simulcast.sdp"};
    for (int i = 0; i < 5; i++)
        check_prefixes(names[i], false);
}

static void test_sdp_parse_survives_truncation_at_every_byte(void **state)
{
    (void)state;
    check_prefixes("chromium-vp8-simulcast.sdp", true);
    check_prefixes("firefox-simulcast.sdp", true);
}

static void test_sdp_write_reports_nospc_for_every_short_buffer(void **state)
{
    (void)state;
    size_t len;
    char *text = okno_test_read_file("fixtures/sdp/chromium-vp8-simulcast.sdp", &len);
    assert_int_equal(okno_sdp_parse(&sdp, text, len, NULL), 0);
    for (size_t cap = 0; cap <= len; cap++) {
        char *buf = malloc(cap ? cap : 1);
        assert_non_null(buf);
        assert_int_equal(okno_sdp_write(&sdp, cap ? buf : NULL, cap), OKNO_E_NOSPC);
        free(buf);
    }
    assert_int_equal(okno_sdp_write(&sdp, out, len + 1), (int)len);
    assert_int_equal(out[len], '\0');
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdp_parse_rejects_missing_or_wrong_version_line),
        cmocka_unit_test(test_sdp_parse_rejects_bad_m_lines_with_their_line_number),
        cmocka_unit_test(test_sdp_parse_rejects_more_sections_than_capacity),
        cmocka_unit_test(test_sdp_parse_rejects_overlong_line_nul_and_stray_cr),
        cmocka_unit_test(test_sdp_parse_rejects_unknown_line_types_and_refuses_repeat_times),
        cmocka_unit_test(test_sdp_parse_rejects_attributes_at_the_wrong_level_or_repeated),
        cmocka_unit_test(test_sdp_parse_rejects_payload_attributes_for_undeclared_types),
        cmocka_unit_test(test_sdp_parse_rejects_bad_transport_attribute_values),
        cmocka_unit_test(test_sdp_parse_drops_candidates_of_unknown_transport_or_type),
        cmocka_unit_test(test_sdp_parse_rejects_lists_beyond_capacity),
        cmocka_unit_test(test_sdp_parse_accepts_lf_line_ends_and_no_final_line_end),
        cmocka_unit_test(test_sdp_parse_survives_truncation_at_every_line_boundary),
        cmocka_unit_test(test_sdp_parse_survives_truncation_at_every_byte),
        cmocka_unit_test(test_sdp_write_reports_nospc_for_every_short_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
