/* Single attributes in detail (trickle candidates, rid and simulcast syntax, rtcp-fb wildcards,
 * fmtp parameters) and the building side: editing a parsed offer and writing an answer made from
 * scratch. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/sdp.h"

#define HEAD "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

static struct okno_sdp sdp, again;
static char out[64 * 1024];

static void assert_str(struct okno_sdp_str v, const char *want)
{
    assert_non_null(v.p);
    assert_int_equal(v.len, strlen(want));
    assert_memory_equal(v.p, want, v.len);
}

static void parse_ok(const char *text)
{
    struct okno_sdp_error err = {0, NULL};
    int rc = okno_sdp_parse(&sdp, text, strlen(text), &err);
    if (rc)
        fail_msg("%s at line %u: %s", okno_err_name(rc), err.line, err.reason);
}

/* Writing sdp gives exactly want, and want parses back to an equal model. */
static void assert_writes(const char *want)
{
    int n = okno_sdp_write(&sdp, out, sizeof out);
    assert_true(n > 0);
    assert_string_equal(out, want);
    assert_int_equal(okno_sdp_parse(&again, out, (size_t)n, NULL), 0);
    struct okno_sdp_diff d = {0, NULL, 0};
    if (!okno_sdp_equal(&sdp, &again, &d))
        fail_msg("models differ: media %d, %s [%d]", d.media, d.field, d.index);
}

static void test_sdp_candidate_parse_reads_trickled_srflx_and_writes_it_back(void **state)
{
    (void)state;
    const char *s = "candidate:842163049 1 udp 1677729535 203.0.113.7 51234 typ srflx raddr "
                    "192.168.1.20 rport 51234 generation 0 ufrag PKJp network-id 1 network-cost 10";
    struct okno_sdp_candidate c;
    assert_int_equal(okno_sdp_candidate_parse(&c, s, strlen(s)), 0);
    assert_str(c.foundation, "842163049");
    assert_int_equal(c.type, OKNO_SDP_SRFLX);
    assert_str(c.address, "203.0.113.7");
    assert_str(c.raddr, "192.168.1.20");
    assert_true(c.has_rport && c.rport == 51234);
    assert_str(c.ufrag, "PKJp");
    assert_true(c.has_network_cost && c.network_cost == 10);
    char buf[256];
    assert_int_equal(okno_sdp_candidate_write(&c, buf, sizeof buf), (int)strlen(s));
    assert_string_equal(buf, s);
    assert_int_equal(okno_sdp_candidate_write(&c, buf, strlen(s)), OKNO_E_NOSPC);
}

static void test_sdp_candidate_parse_keeps_unknown_pairs_and_reads_tcp_and_mdns(void **state)
{
    (void)state;
    const char *s =
        "a=candidate:7 2 TCP 1 3f0c9c4e-2a5e-4a6b-9d9e-1c2b3a4d5e6f.local 443 typ relay "
        "tcptype so x-turn-proto tls generation 3";
    struct okno_sdp_candidate c;
    assert_int_equal(okno_sdp_candidate_parse(&c, s, strlen(s)), 0);
    assert_int_equal(c.component, 2);
    assert_int_equal(c.transport, OKNO_SDP_TCP);
    assert_int_equal(c.type, OKNO_SDP_RELAY);
    assert_int_equal(c.tcptype, OKNO_SDP_TCPTYPE_SO);
    assert_str(c.address, "3f0c9c4e-2a5e-4a6b-9d9e-1c2b3a4d5e6f.local");
    assert_int_equal(c.n_exts, 1);
    assert_str(c.exts[0].name, "x-turn-proto");
    assert_str(c.exts[0].value, "tls");
    char buf[256];
    assert_true(okno_sdp_candidate_write(&c, buf, sizeof buf) > 0);
    /* Chromium's field order; unknown pairs last; lower-case transport */
    assert_string_equal(buf, "candidate:7 2 tcp 1 3f0c9c4e-2a5e-4a6b-9d9e-1c2b3a4d5e6f.local 443 "
                             "typ relay tcptype so generation 3 x-turn-proto tls");
    const char *odd = "candidate:7 1 dccp 1 10.0.0.1 9 typ host";
    assert_int_equal(okno_sdp_candidate_parse(&c, odd, strlen(odd)), OKNO_E_UNSUPPORTED);
    const char *bare = "7 1 udp 1 10.0.0.1 9 typ host";
    assert_int_equal(okno_sdp_candidate_parse(&c, bare, strlen(bare)), OKNO_E_MALFORMED);
    const char *nl = "candidate:7 1 udp 1 10.0.0.1 9 typ host\r\n";
    assert_int_equal(okno_sdp_candidate_parse(&c, nl, strlen(nl)), OKNO_E_MALFORMED);
}

static void test_sdp_rid_restrictions_and_simulcast_alternatives_round_trip(void **state)
{
    (void)state;
    parse_ok(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                  "a=rid:1 recv pt=96,97;max-width=1280;max-height=720\r\n"
                  "a=rid:2 recv max-fps=15\r\n"
                  "a=rid:3 recv\r\n"
                  "a=rid:4 recv pt=96\r\n"
                  "a=simulcast:recv 1,~4;2;~3 send 5\r\n");
    const struct okno_sdp_media *m = &sdp.media[0];
    assert_int_equal(m->n_rids, 4);
    assert_int_equal(m->rids[0].dir, OKNO_SDP_RID_RECV);
    assert_int_equal(m->rids[0].n_pts, 2);
    assert_int_equal(m->rids[0].pts[1], 97);
    uint32_t w = 0;
    assert_int_equal(okno_sdp_param_u32(m->rids[0].params, "max-width", &w), 0);
    assert_int_equal(w, 1280);
    assert_str(m->rids[1].params, "max-fps=15");
    assert_null(m->rids[2].params.p);
    assert_null(m->rids[3].params.p);
    assert_int_equal(m->sc_recv.n_streams, 3);
    assert_int_equal(m->sc_recv.streams[0].n_alts, 2);
    assert_str(m->sc_recv.streams[0].alts[1].rid, "4");
    assert_true(m->sc_recv.streams[0].alts[1].paused);
    assert_false(m->sc_recv.streams[1].alts[0].paused);
    assert_true(m->sc_recv.streams[2].alts[0].paused);
    assert_int_equal(m->sc_send.n_streams, 1);
    /* send is written first */
    assert_writes(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                       "a=rid:1 recv pt=96,97;max-width=1280;max-height=720\r\n"
                       "a=rid:2 recv max-fps=15\r\n"
                       "a=rid:3 recv\r\n"
                       "a=rid:4 recv pt=96\r\n"
                       "a=simulcast:send 5 recv 1,~4;2;~3\r\n");
}

static void test_sdp_rtcp_fb_wildcard_and_fmtp_parameters_are_read(void **state)
{
    (void)state;
    parse_ok(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                  "a=rtpmap:97 rtx/90000\r\n"
                  "a=fmtp:97 APT = 96 \r\n"
                  "a=rtcp-fb:* nack\r\n"
                  "a=rtcp-fb:96 ccm fir\r\n"
                  "a=rtpmap:96 VP8/90000\r\n"
                  "a=fmtp:96 max-fs=12288;max-fr=60\r\n"
                  "a=rtcp-fb:* trr-int 100\r\n");
    const struct okno_sdp_media *m = &sdp.media[0];
    assert_int_equal(okno_sdp_rtx_pt(m, 96), 97); /* keys are case-insensitive, blanks ignored */
    uint32_t v = 0;
    assert_int_equal(okno_sdp_param_u32(m->codecs[0].fmtp, "max-fr", &v), 0);
    assert_int_equal(v, 60);
    assert_int_equal(okno_sdp_param_u32(m->codecs[0].fmtp, "max", &v), OKNO_E_NOTFOUND);
    assert_int_equal(m->n_rtcp_fbs, 3);
    assert_int_equal(m->rtcp_fbs[0].pt, -1);
    assert_str(m->rtcp_fbs[2].subtype, "100");
    /* wildcards first, then per codec in m= order: rtpmap, its feedback, fmtp */
    assert_writes(HEAD "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                       "a=rtcp-fb:* nack\r\n"
                       "a=rtcp-fb:* trr-int 100\r\n"
                       "a=rtpmap:96 VP8/90000\r\n"
                       "a=rtcp-fb:96 ccm fir\r\n"
                       "a=fmtp:96 max-fs=12288;max-fr=60\r\n"
                       "a=rtpmap:97 rtx/90000\r\n"
                       "a=fmtp:97 APT = 96\r\n");
}

static void test_sdp_codec_remove_drops_its_feedback_and_keeps_the_order(void **state)
{
    (void)state;
    size_t len;
    char *text = okno_test_read_file("fixtures/sdp/chromium-av-offer.sdp", &len);
    assert_int_equal(okno_sdp_parse(&sdp, text, len, NULL), 0);
    struct okno_sdp_media *m = &sdp.media[1];
    int h264 = okno_sdp_codec_find(m, "H264", 90000);
    assert_int_equal(okno_sdp_codec_remove(m, 102), 0);
    assert_int_equal(okno_sdp_codec_remove(m, 102), OKNO_E_NOTFOUND);
    assert_int_equal(m->n_codecs, 22);
    assert_int_equal(m->codecs[h264].pt, 103); /* the next one moved up */
    assert_int_equal(m->n_rtcp_fbs, 45);
    for (int i = 0; i < m->n_rtcp_fbs; i++)
        assert_int_not_equal(m->rtcp_fbs[i].pt, 102);
    struct okno_sdp_codec av1 = m->codecs[okno_sdp_codec_find(m, "AV1", 90000)];
    assert_int_equal(okno_sdp_codec_add(m, &av1), OKNO_E_EXISTS);
    av1.pt = 102;
    assert_int_equal(okno_sdp_codec_add(m, &av1), 22);
    assert_int_equal(okno_sdp_rtcp_fb_add(m, 102, "nack", "pli"), 0);
    assert_int_equal(okno_sdp_rtcp_fb_add(m, 12, "nack", NULL), OKNO_E_NOTFOUND);
    int n = okno_sdp_write(&sdp, out, sizeof out);
    assert_true(n > 0);
    assert_non_null(strstr(out, "118 119 120 102\r\n"));
    assert_non_null(strstr(out, "a=rtpmap:102 AV1/90000\r\na=rtcp-fb:102 nack pli\r\n"
                                "a=fmtp:102 level-idx=5;profile=0;tier=0\r\na=ssrc-group"));
    assert_int_equal(okno_sdp_parse(&again, out, (size_t)n, NULL), 0);
    assert_true(okno_sdp_equal(&sdp, &again, NULL));
    free(text);
}

static void test_sdp_extmap_candidate_and_ssrc_edits(void **state)
{
    (void)state;
    size_t len;
    char *text = okno_test_read_file("fixtures/sdp/firefox-simulcast.sdp", &len);
    assert_int_equal(okno_sdp_parse(&sdp, text, len, NULL), 0);
    struct okno_sdp_media *m = &sdp.media[1];
    struct okno_sdp_extmap e = {4, OKNO_SDP_DIR_NONE, okno_sdp_str("urn:x"), {NULL, 0}};
    assert_int_equal(okno_sdp_extmap_add(m, &e), OKNO_E_EXISTS); /* id 4 is abs-send-time */
    e.id = 14;
    assert_int_equal(okno_sdp_extmap_add(m, &e), 0);
    assert_int_equal(okno_sdp_extmap_find(&sdp, m, "urn:x"), 14);
    assert_int_equal(okno_sdp_extmap_remove(m, 14), 0);
    assert_int_equal(okno_sdp_extmap_find(&sdp, m, "urn:x"), OKNO_E_NOTFOUND);
    assert_int_equal(okno_sdp_extmap_remove(m, 14), OKNO_E_NOTFOUND);

    assert_int_equal(m->n_candidates, 8);
    struct okno_sdp_candidate c = m->candidates[7];
    assert_int_equal(okno_sdp_candidate_remove(m, 0), 0);
    assert_int_equal(okno_sdp_candidate_remove(m, 7), OKNO_E_NOTFOUND);
    assert_int_equal(m->candidates[6].port, c.port);
    assert_int_equal(okno_sdp_candidate_add(m, &c), 0);
    assert_int_equal(m->n_candidates, 8);

    /* removing an ssrc removes its lines and the FID group it was in */
    assert_int_equal(okno_sdp_ssrc_remove(m, 980861615u), 0);
    assert_int_equal(m->n_ssrcs, 5);
    assert_int_equal(m->n_ssrc_groups, 2);
    assert_true(m->ssrc_groups[1].ssrcs[0] == 1483894630u);
    assert_int_equal(okno_sdp_ssrc_remove(m, 980861615u), OKNO_E_NOTFOUND);
    assert_int_equal(okno_sdp_ssrc_add(m, 42, "cname", "okno"), 0);
    assert_int_equal(okno_sdp_ssrc_add(m, 42, "x-flag", NULL), 0);
    int n = okno_sdp_write(&sdp, out, sizeof out);
    assert_true(n > 0);
    assert_non_null(strstr(out, "a=ssrc:42 cname:okno\r\na=ssrc:42 x-flag\r\n"));
    assert_int_equal(okno_sdp_parse(&again, out, (size_t)n, NULL), 0);
    assert_true(okno_sdp_equal(&sdp, &again, NULL));
    free(text);
}

static void test_sdp_answer_built_from_scratch_writes_the_expected_text(void **state)
{
    (void)state;
    static const uint8_t digest[32] = {0xAB, 1,  2,  3,  4,  5,  6,  7,  8,  9,   10,
                                       11,   12, 13, 14, 15, 16, 17, 18, 19, 20,  21,
                                       22,   23, 24, 25, 26, 27, 28, 29, 30, 0xFF};
    okno_sdp_init(&sdp);
    sdp.sess_id = 4242;
    sdp.ice_lite = true;
    sdp.n_groups = 1;
    sdp.groups[0].semantics = okno_sdp_str("BUNDLE");
    sdp.groups[0].mids[0] = okno_sdp_str("0");
    sdp.groups[0].n_mids = 1;
    sdp.msid_semantic = okno_sdp_str("WMS");
    sdp.msid_semantic_ids = okno_sdp_str("");

    int i = okno_sdp_media_add(&sdp, "audio", "UDP/TLS/RTP/SAVPF");
    assert_int_equal(i, 0);
    struct okno_sdp_media *m = &sdp.media[i];
    m->common.conn.nettype = okno_sdp_str("IN");
    m->common.conn.addrtype = okno_sdp_str("IP4");
    m->common.conn.address = okno_sdp_str("203.0.113.1");
    struct okno_sdp_candidate c = {0};
    c.foundation = okno_sdp_str("1");
    c.component = 1;
    c.priority = 2130706431u;
    c.address = okno_sdp_str("203.0.113.1");
    c.port = 40000;
    assert_int_equal(okno_sdp_candidate_add(m, &c), 0);
    m->common.end_of_candidates = true;
    m->common.ice_ufrag = okno_sdp_str("okno");
    m->common.ice_pwd = okno_sdp_str("0123456789abcdefghijkl");
    m->common.fingerprints[0].hash = okno_sdp_str("sha-256");
    memcpy(m->common.fingerprints[0].digest, digest, 32);
    m->common.fingerprints[0].len = 32;
    m->common.n_fingerprints = 1;
    m->common.setup = OKNO_SDP_SETUP_PASSIVE;
    m->mid = okno_sdp_str("0");
    struct okno_sdp_extmap e = {
        3, OKNO_SDP_DIR_NONE, okno_sdp_str("urn:ietf:params:rtp-hdrext:sdes:mid"), {NULL, 0}};
    assert_int_equal(okno_sdp_extmap_add(m, &e), 0);
    m->common.direction = OKNO_SDP_DIR_RECVONLY;
    m->rtcp_mux = true;
    struct okno_sdp_codec opus = {111, 2, 48000, okno_sdp_str("opus"),
                                  okno_sdp_str("minptime=10;useinbandfec=1")};
    assert_int_equal(okno_sdp_codec_add(m, &opus), 0);
    assert_int_equal(okno_sdp_rtcp_fb_add(m, 111, "transport-cc", NULL), 0);

    /* a data channel the SFU refuses: port 0, the offer's format kept */
    i = okno_sdp_media_add(&sdp, "application", "UDP/DTLS/SCTP");
    assert_int_equal(i, 1);
    sdp.media[1].port = 0;
    sdp.media[1].fmt = okno_sdp_str("webrtc-datachannel");
    sdp.media[1].mid = okno_sdp_str("1");

    assert_writes(
        "v=0\r\n"
        "o=- 4242 0 IN IP4 127.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=ice-lite\r\n"
        "a=group:BUNDLE 0\r\n"
        "a=msid-semantic: WMS\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "c=IN IP4 203.0.113.1\r\n"
        "a=candidate:1 1 udp 2130706431 203.0.113.1 40000 typ host\r\n"
        "a=end-of-candidates\r\n"
        "a=ice-ufrag:okno\r\n"
        "a=ice-pwd:0123456789abcdefghijkl\r\n"
        "a=fingerprint:sha-256 AB:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:"
        "14:15:16:17:18:19:1A:1B:1C:1D:1E:FF\r\n"
        "a=setup:passive\r\n"
        "a=mid:0\r\n"
        "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
        "a=recvonly\r\n"
        "a=rtcp-mux\r\n"
        "a=rtpmap:111 opus/48000/2\r\n"
        "a=rtcp-fb:111 transport-cc\r\n"
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
        "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        "a=mid:1\r\n");
}

static void test_sdp_write_refuses_models_that_would_break_the_text(void **state)
{
    (void)state;
    okno_sdp_init(&sdp);
    assert_int_equal(okno_sdp_write(&sdp, out, sizeof out), (int)strlen(HEAD));
    assert_int_equal(okno_sdp_media_add(&sdp, "video", "UDP/TLS/RTP/SAVPF"), 0);
    assert_int_equal(okno_sdp_write(&sdp, out, sizeof out), OKNO_E_INVAL); /* no format */
    sdp.media[0].fmt = okno_sdp_str("96");
    assert_true(okno_sdp_write(&sdp, out, sizeof out) > 0);
    sdp.media[0].mid = okno_sdp_str("0\r\na=inject");
    assert_int_equal(okno_sdp_write(&sdp, out, sizeof out), OKNO_E_INVAL);
    for (int k = 1; k < OKNO_SDP_MAX_MEDIA; k++)
        assert_int_equal(okno_sdp_media_add(&sdp, "audio", "RTP/AVP"), k);
    assert_int_equal(okno_sdp_media_add(&sdp, "audio", "RTP/AVP"), OKNO_E_RANGE);
}

static void test_sdp_equal_names_the_first_difference(void **state)
{
    (void)state;
    size_t len;
    char *text = okno_test_read_file("fixtures/sdp/chromium-av-offer.sdp", &len);
    assert_int_equal(okno_sdp_parse(&sdp, text, len, NULL), 0);
    assert_int_equal(okno_sdp_parse(&again, text, len, NULL), 0);
    struct okno_sdp_diff d = {0, NULL, 0};
    assert_true(okno_sdp_equal(&sdp, &again, &d));
    again.media[2].candidates[5].port = 10;
    assert_false(okno_sdp_equal(&sdp, &again, &d));
    assert_int_equal(d.media, 2);
    assert_string_equal(d.field, "candidate port");
    assert_int_equal(d.index, 5);
    again.sess_version++;
    assert_false(okno_sdp_equal(&sdp, &again, &d));
    assert_int_equal(d.media, -1);
    assert_string_equal(d.field, "o= session version");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdp_candidate_parse_reads_trickled_srflx_and_writes_it_back),
        cmocka_unit_test(test_sdp_candidate_parse_keeps_unknown_pairs_and_reads_tcp_and_mdns),
        cmocka_unit_test(test_sdp_rid_restrictions_and_simulcast_alternatives_round_trip),
        cmocka_unit_test(test_sdp_rtcp_fb_wildcard_and_fmtp_parameters_are_read),
        cmocka_unit_test(test_sdp_codec_remove_drops_its_feedback_and_keeps_the_order),
        cmocka_unit_test(test_sdp_extmap_candidate_and_ssrc_edits),
        cmocka_unit_test(test_sdp_answer_built_from_scratch_writes_the_expected_text),
        cmocka_unit_test(test_sdp_write_refuses_models_that_would_break_the_text),
        cmocka_unit_test(test_sdp_equal_names_the_first_difference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
