/* okno-bench client SDP: the publisher offer read back with wire/sdp, the server's answer and
 * subscriber offer (shaped as okno writes them) read into the client's structs, and the client's
 * subscriber answer read back. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "client/client_sdp.h"
#include "okno/err.h"

#define FP                                                                                         \
    "sha-256 65:46:B4:18:BA:88:F9:6F:75:08:F5:B8:85:CE:01:40:4B:3D:FF:32:8F:77:E6:79:0D:C4:AC:73:" \
    "71:5A:51:5C"

static const struct okno_client_offer base_offer = {
    .audio = true,
    .video = true,
    .audio_ssrc = 1111,
    .video_ssrc = 2222,
    .rtx_ssrc = 3333,
    .ufrag = "abcd",
    .pwd = "0123456789abcdefghijkl",
    .fingerprint = FP,
    .cname = "probe",
    .stream = "p1",
};

/* okno's answer to an audio+video offer, with video refused (port 0). */
static const char server_answer[] =
    "v=0\r\no=- 8 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=candidate:1 1 udp 2015364095 127.0.0.1 33503 typ host\r\na=end-of-candidates\r\n"
    "a=ice-ufrag:RVk6\r\na=ice-pwd:P4cI+6xOnvF2sxOv8Oddk9\r\na=ice-options:trickle\r\n"
    "a=fingerprint:" FP "\r\na=setup:passive\r\na=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=recvonly\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n";

/* okno's subscriber offer: one audio track, one video track with RTX, one closed slot. */
static const char server_sub_offer[] =
    "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "a=msid-semantic: WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=candidate:1 1 udp 2015364095 127.0.0.1 55146 typ host\r\na=end-of-candidates\r\n"
    "a=ice-ufrag:da4P\r\na=ice-pwd:sZSc0/p1YDzvhSPHZqqVPx\r\na=ice-options:trickle\r\n"
    "a=fingerprint:" FP "\r\na=setup:actpass\r\na=mid:0\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendonly\r\na=msid:p3 p3-a0\r\n"
    "a=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\na=ssrc:5001 cname:okno\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:da4P\r\na=ice-pwd:sZSc0/p1YDzvhSPHZqqVPx\r\na=ice-options:trickle\r\n"
    "a=fingerprint:" FP "\r\na=setup:actpass\r\na=mid:1\r\na=sendonly\r\na=msid:p3 p3-v1\r\n"
    "a=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\na=ssrc-group:FID 6001 6002\r\na=ssrc:6001 cname:okno\r\n"
    "a=ssrc:6002 cname:okno\r\n"
    "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=inactive\r\n"
    "a=rtpmap:96 VP8/90000\r\n";

static struct okno_sdp *parse_text(const char *text)
{
    struct okno_sdp *sdp = g_malloc(sizeof(*sdp));
    struct okno_sdp_error err = {0};
    int rc = okno_sdp_parse(sdp, text, strlen(text), &err);
    if (rc != 0)
        fprintf(stderr, "# line %u: %s\n", err.line, err.reason);
    assert_int_equal(rc, 0);
    return sdp;
}

static void test_client_offer_has_opus_fec_vp8_rtx_and_fid_group(void **state)
{
    (void)state;
    GString *text = g_string_new(NULL);
    assert_int_equal(okno_client_sdp_offer(&base_offer, text), 0);
    struct okno_sdp *sdp = parse_text(text->str);
    assert_int_equal(sdp->n_media, 2);
    const struct okno_sdp_media *a = &sdp->media[0], *v = &sdp->media[1];
    int opus = okno_sdp_codec_find(a, "opus", 48000);
    assert_true(opus >= 0);
    assert_int_equal(a->codecs[opus].pt, OKNO_CLIENT_PT_OPUS);
    uint32_t fec = 0;
    assert_int_equal(okno_sdp_param_u32(a->codecs[opus].fmtp, "useinbandfec", &fec), 0);
    assert_int_equal(fec, 1);
    assert_int_equal(okno_sdp_extmap_find(sdp, a, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
                     OKNO_CLIENT_EXT_AUDIO_LEVEL);
    assert_int_equal(okno_sdp_codec_find(v, "VP8", 90000), 0);
    assert_int_equal(okno_sdp_rtx_pt(v, OKNO_CLIENT_PT_VP8), OKNO_CLIENT_PT_RTX);
    assert_int_equal(v->n_rtcp_fbs, 5);
    assert_int_equal(v->n_ssrc_groups, 1);
    assert_true(okno_sdp_str_eq(v->ssrc_groups[0].semantics, "FID"));
    assert_int_equal(v->ssrc_groups[0].ssrcs[0], 2222);
    assert_int_equal(v->ssrc_groups[0].ssrcs[1], 3333);
    assert_int_equal(okno_sdp_media_setup(sdp, v), OKNO_SDP_SETUP_ACTPASS);
    assert_int_equal(okno_sdp_media_direction(sdp, v), OKNO_SDP_DIR_SENDONLY);
    assert_true(okno_sdp_str_eq(okno_sdp_media_ice_ufrag(sdp, a), "abcd"));
    assert_int_equal(okno_sdp_media_fingerprint(sdp, a)->len, 32);
    assert_int_equal(sdp->groups[0].n_mids, 2);
    g_free(sdp);
    g_string_free(text, TRUE);
}

/* text with the first occurrence of from replaced by to (g_free it). */
static char *replace_once(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    return g_strdup_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

/* RFC 2198 RED: offered before Opus (what the client sends), read back from okno's answer when it
 * kept it first, and taken in a subscriber offer unless the caller clears it. */
static void test_client_red_offered_first_answered_and_taken(void **state)
{
    (void)state;
    struct okno_client_offer o = base_offer;
    o.audio_red = true;
    GString *text = g_string_new(NULL);
    assert_int_equal(okno_client_sdp_offer(&o, text), 0);
    struct okno_sdp *sdp = parse_text(text->str);
    const struct okno_sdp_media *a = &sdp->media[0];
    assert_true(okno_sdp_str_eqi(a->codecs[0].name, "red"));
    assert_int_equal(a->codecs[0].pt, OKNO_CLIENT_PT_RED);
    assert_int_equal(a->codecs[0].clock, 48000);
    assert_true(okno_sdp_str_eq(a->codecs[0].fmtp, "111/111"));
    assert_true(okno_sdp_codec_find(a, "opus", 48000) > 0);
    g_free(sdp);
    g_string_free(text, TRUE);

    struct okno_client_answer ans;
    assert_int_equal(okno_client_sdp_parse_answer(server_answer, strlen(server_answer), NULL, &ans),
                     0);
    assert_false(ans.audio_red);
    char *red_first = replace_once(server_answer, "SAVPF 111\r\nc=", "SAVPF 63 111\r\nc=");
    char *with_map = replace_once(red_first, "a=rtpmap:111 opus/48000/2\r\n",
                                  "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"
                                  "a=rtpmap:111 opus/48000/2\r\n");
    assert_int_equal(okno_client_sdp_parse_answer(with_map, strlen(with_map), NULL, &ans), 0);
    assert_true(ans.audio_red);
    g_free(red_first);
    g_free(with_map);

    char *sub1 = replace_once(server_sub_offer, "SAVPF 111\r\nc=", "SAVPF 111 63\r\nc=");
    char *sub = replace_once(sub1, "a=fmtp:111 minptime=10;useinbandfec=1\r\n",
                             "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\n"
                             "a=fmtp:63 111/111\r\n");
    struct okno_client_sub_offer *so = g_new(struct okno_client_sub_offer, 1);
    assert_int_equal(okno_client_sdp_parse_sub_offer(sub, strlen(sub), NULL, so), 0);
    assert_int_equal(so->tracks[0].red_pt, 63);
    assert_int_equal(so->tracks[1].red_pt, -1);
    GString *answer = g_string_new(NULL);
    assert_int_equal(okno_client_sdp_sub_answer(so, "wxyz", "0123456789abcdefghijkl", FP, answer),
                     0);
    sdp = parse_text(answer->str);
    assert_int_equal(okno_sdp_codec_find(&sdp->media[0], "red", 48000), 1);
    g_free(sdp);
    so->tracks[0].red_pt = -1; /* refused */
    g_string_truncate(answer, 0);
    assert_int_equal(okno_client_sdp_sub_answer(so, "wxyz", "0123456789abcdefghijkl", FP, answer),
                     0);
    sdp = parse_text(answer->str);
    assert_true(okno_sdp_codec_find(&sdp->media[0], "red", 48000) < 0);
    g_free(sdp);
    g_string_free(answer, TRUE);
    g_free(so);
    g_free(sub1);
    g_free(sub);
}

static void test_client_offer_simulcast_uses_rids_instead_of_ssrcs(void **state)
{
    (void)state;
    struct okno_client_offer o = base_offer;
    o.simulcast = true;
    GString *text = g_string_new(NULL);
    assert_int_equal(okno_client_sdp_offer(&o, text), 0);
    struct okno_sdp *sdp = parse_text(text->str);
    const struct okno_sdp_media *v = &sdp->media[1];
    assert_int_equal(v->n_rids, 3);
    assert_true(okno_sdp_str_eq(v->rids[0].id, "q"));
    assert_true(okno_sdp_str_eq(v->rids[2].id, "f"));
    assert_int_equal(v->rids[1].dir, OKNO_SDP_RID_SEND);
    assert_int_equal(v->sc_send.n_streams, 3);
    assert_int_equal(v->n_ssrcs, 0);
    assert_int_equal(v->n_ssrc_groups, 0);
    assert_true(okno_sdp_extmap_find(sdp, v, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id") ==
                OKNO_CLIENT_EXT_RID);
    g_free(sdp);
    g_string_free(text, TRUE);
}

static void test_client_offer_refuses_missing_credentials_or_no_media(void **state)
{
    (void)state;
    GString *text = g_string_new(NULL);
    struct okno_client_offer o = base_offer;
    o.fingerprint = NULL;
    assert_int_equal(okno_client_sdp_offer(&o, text), OKNO_E_INVAL);
    o = base_offer;
    o.audio = o.video = false;
    assert_int_equal(okno_client_sdp_offer(&o, text), OKNO_E_INVAL);
    assert_int_equal(text->len, 0);
    g_string_free(text, TRUE);
}

static void test_client_reads_passive_answer_as_dtls_client_with_candidates(void **state)
{
    (void)state;
    struct okno_client_answer ans;
    assert_int_equal(okno_client_sdp_parse_answer(server_answer, strlen(server_answer), NULL, &ans),
                     0);
    assert_string_equal(ans.remote.ufrag, "RVk6");
    assert_string_equal(ans.remote.pwd, "P4cI+6xOnvF2sxOv8Oddk9");
    assert_int_equal(ans.remote.our_role, OKNO_DTLS_CLIENT);
    assert_int_equal(ans.remote.fingerprint.alg, OKNO_FP_SHA256);
    assert_int_equal(ans.remote.fingerprint.bytes[0], 0x65);
    assert_int_equal(ans.remote.fingerprint.bytes[31], 0x5C);
    assert_int_equal(ans.remote.n_candidates, 1);
    assert_string_equal(ans.remote.candidates[0],
                        "candidate:1 1 udp 2015364095 127.0.0.1 33503 typ host");
    assert_true(ans.audio_accepted);
    assert_false(ans.video_accepted);
}

static void test_client_answer_without_fingerprint_is_malformed(void **state)
{
    (void)state;
    char *text = g_strdup(server_answer);
    char *fp = strstr(text, "a=fingerprint:");
    memcpy(fp, "a=x-nothing-:", 13); /* same length as "a=fingerprint", keeps the line valid */
    struct okno_client_answer ans;
    assert_int_equal(okno_client_sdp_parse_answer(text, strlen(text), NULL, &ans),
                     OKNO_E_MALFORMED);
    assert_int_equal(okno_client_sdp_parse_answer("v=1\r\n", 5, NULL, &ans), OKNO_E_MALFORMED);
    g_free(text);
}

static void test_client_reads_sub_offer_tracks_participants_and_ssrcs(void **state)
{
    (void)state;
    struct okno_client_sub_offer *o = g_new(struct okno_client_sub_offer, 1);
    assert_int_equal(
        okno_client_sdp_parse_sub_offer(server_sub_offer, strlen(server_sub_offer), NULL, o), 0);
    assert_int_equal(o->n_tracks, 3);
    assert_int_equal(o->remote.our_role, OKNO_DTLS_CLIENT); /* actpass: the answerer picks */
    const struct okno_client_sub_track *a = &o->tracks[0], *v = &o->tracks[1], *c = &o->tracks[2];
    assert_string_equal(a->participant, "p3");
    assert_string_equal(a->track, "p3-a0");
    assert_true(a->active);
    assert_false(a->video);
    assert_int_equal(a->pt, 111);
    assert_int_equal(a->ssrc, 5001);
    assert_int_equal(a->mid_ext, 4);
    assert_string_equal(v->track, "p3-v1");
    assert_true(v->video);
    assert_int_equal(v->pt, 96);
    assert_int_equal(v->rtx_pt, 97);
    assert_int_equal(v->ssrc, 6001);
    assert_int_equal(v->rtx_ssrc, 6002);
    assert_int_equal(v->mid_ext, -1);
    assert_true(c->rejected);
    assert_false(c->active);
    g_free(o);
}

static void test_client_sub_answer_is_recvonly_active_and_keeps_positions(void **state)
{
    (void)state;
    struct okno_client_sub_offer *o = g_new(struct okno_client_sub_offer, 1);
    assert_int_equal(
        okno_client_sdp_parse_sub_offer(server_sub_offer, strlen(server_sub_offer), NULL, o), 0);
    GString *text = g_string_new(NULL);
    assert_int_equal(okno_client_sdp_sub_answer(o, "wxyz", "0123456789abcdefghijkl", FP, text), 0);
    struct okno_sdp *sdp = parse_text(text->str);
    assert_int_equal(sdp->n_media, 3);
    assert_int_equal(sdp->groups[0].n_mids, 2);
    assert_true(okno_sdp_str_eq(sdp->groups[0].mids[1], "1"));
    for (int i = 0; i < 2; i++) {
        const struct okno_sdp_media *m = &sdp->media[i];
        assert_int_equal(okno_sdp_media_direction(sdp, m), OKNO_SDP_DIR_RECVONLY);
        assert_int_equal(okno_sdp_media_setup(sdp, m), OKNO_SDP_SETUP_ACTIVE);
        assert_true(okno_sdp_str_eq(okno_sdp_media_ice_ufrag(sdp, m), "wxyz"));
    }
    assert_int_equal(
        okno_sdp_extmap_find(sdp, &sdp->media[0], "urn:ietf:params:rtp-hdrext:sdes:mid"), 4);
    assert_true(okno_sdp_extmap_find(sdp, &sdp->media[1], "urn:ietf:params:rtp-hdrext:sdes:mid") <
                0);
    assert_int_equal(okno_sdp_rtx_pt(&sdp->media[1], 96), 97);
    assert_int_equal(sdp->media[2].port, 0);
    assert_true(okno_sdp_str_eq(sdp->media[2].mid, "2"));
    g_free(sdp);
    g_string_free(text, TRUE);
    g_free(o);
}

/* Two mids alike in their first 64 bytes would be one mid once cut to what a track keeps, and the
 * answer would name one section twice: such an offer is refused. One that fits is answered as is.
 */
static void test_client_refuses_sub_offer_with_a_mid_too_long_to_keep(void **state)
{
    (void)state;
    char long_mid[OKNO_CLIENT_ID_LEN + 1];
    memset(long_mid, 'm', sizeof long_mid - 1);
    long_mid[sizeof long_mid - 1] = '\0';
    GString *text = g_string_new(server_sub_offer);
    char *m1 = strstr(text->str, "a=mid:1\r\n");
    assert_non_null(m1);
    g_string_insert(text, m1 - text->str + 6, long_mid);
    struct okno_client_sub_offer *o = g_new(struct okno_client_sub_offer, 1);
    assert_int_equal(okno_client_sdp_parse_sub_offer(text->str, text->len, NULL, o), OKNO_E_RANGE);
    /* 64 bytes fit, and come back whole */
    long_mid[OKNO_CLIENT_ID_LEN - 1] = '\0';
    g_string_assign(text, server_sub_offer);
    m1 = strstr(text->str, "a=mid:1\r\n");
    g_string_erase(text, m1 - text->str + 6, 1);
    g_string_insert(text, m1 - text->str + 6, long_mid);
    char *bundle = strstr(text->str, "BUNDLE 0 1");
    g_string_erase(text, bundle - text->str + 9, 1);
    g_string_insert(text, bundle - text->str + 9, long_mid);
    assert_int_equal(okno_client_sdp_parse_sub_offer(text->str, text->len, NULL, o), 0);
    assert_string_equal(o->tracks[1].mid, long_mid);
    g_string_free(text, TRUE);
    g_free(o);
}

static void test_client_refuses_sub_section_without_mid_and_answer_still_parses(void **state)
{
    (void)state;
    static const char offer_text[] =
        "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "a=ice-ufrag:da4P\r\na=ice-pwd:sZSc0/p1YDzvhSPHZqqVPx\r\na=fingerprint:" FP "\r\n"
        "a=setup:actpass\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=sendonly\r\n"
        "a=rtpmap:111 opus/48000/2\r\n";
    struct okno_client_sub_offer *o = g_new(struct okno_client_sub_offer, 1);
    assert_int_equal(okno_client_sdp_parse_sub_offer(offer_text, strlen(offer_text), NULL, o), 0);
    assert_int_equal(o->n_tracks, 1);
    assert_true(o->tracks[0].rejected);
    assert_string_equal(o->remote.ufrag, "da4P"); /* session-level credentials are used */
    GString *text = g_string_new(NULL);
    assert_int_equal(okno_client_sdp_sub_answer(o, "wxyz", "0123456789abcdefghijkl", FP, text), 0);
    struct okno_sdp *sdp = parse_text(text->str);
    assert_int_equal(sdp->n_media, 1);
    assert_int_equal(sdp->media[0].port, 0);
    g_free(sdp);
    g_string_free(text, TRUE);
    g_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_offer_has_opus_fec_vp8_rtx_and_fid_group),
        cmocka_unit_test(test_client_offer_simulcast_uses_rids_instead_of_ssrcs),
        cmocka_unit_test(test_client_red_offered_first_answered_and_taken),
        cmocka_unit_test(test_client_offer_refuses_missing_credentials_or_no_media),
        cmocka_unit_test(test_client_reads_passive_answer_as_dtls_client_with_candidates),
        cmocka_unit_test(test_client_answer_without_fingerprint_is_malformed),
        cmocka_unit_test(test_client_reads_sub_offer_tracks_participants_and_ssrcs),
        cmocka_unit_test(test_client_sub_answer_is_recvonly_active_and_keeps_positions),
        cmocka_unit_test(test_client_refuses_sub_section_without_mid_and_answer_still_parses),
        cmocka_unit_test(test_client_refuses_sub_offer_with_a_mid_too_long_to_keep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
