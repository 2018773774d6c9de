/* The real browser offers in tests/fixtures/sdp (captured by capture.sh there): each parses, its
 * interesting fields check out, and writing it back gives Chromium's bytes exactly and, for
 * Firefox, text that parses to an equal model. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/sdp.h"

static struct okno_sdp sdp, again;
static char out[64 * 1024];
static char *text;
static size_t text_len;

static void load(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "fixtures/sdp/%s", name);
    free(text);
    text = okno_test_read_file(rel, &text_len);
    struct okno_sdp_error err = {0, NULL};
    int rc = okno_sdp_parse(&sdp, text, text_len, &err);
    if (rc)
        fail_msg("%s: %s at line %u: %s", name, okno_err_name(rc), err.line, err.reason);
}

static int teardown(void **state)
{
    (void)state;
    free(text);
    text = NULL;
    return 0;
}

static void assert_str(struct okno_sdp_str v, const char *want)
{
    assert_non_null(v.p);
    assert_int_equal(v.len, strlen(want));
    assert_memory_equal(v.p, want, v.len);
}

/* Writes sdp, parses the output and requires an equal model; returns the written length. */
static int write_and_reparse(void)
{
    int n = okno_sdp_write(&sdp, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal(okno_sdp_parse(&again, out, (size_t)n, NULL), 0);
    struct okno_sdp_diff d = {0, NULL, 0};
    if (!okno_sdp_equal(&sdp, &again, &d))
        fail_msg("models differ: media %d, %s [%d]", d.media, d.field, d.index);
    return n;
}

static void test_sdp_chromium_av_offer_session_and_bundle(void **state)
{
    (void)state;
    load("chromium-av-offer.sdp");
    assert_int_equal(sdp.n_media, 3);
    assert_true(sdp.sess_id == 617589061098573738ULL);
    assert_int_equal(sdp.sess_version, 2);
    assert_str(sdp.origin.address, "127.0.0.1");
    assert_str(sdp.name, "-");
    assert_int_equal(sdp.n_groups, 1);
    assert_str(sdp.groups[0].semantics, "BUNDLE");
    assert_int_equal(sdp.groups[0].n_mids, 3);
    assert_str(sdp.groups[0].mids[2], "2");
    assert_true(sdp.common.extmap_allow_mixed);
    assert_str(sdp.msid_semantic, "WMS");
    assert_str(sdp.msid_semantic_ids, "4905a6e4-e815-4b34-9f26-bf177a3dd9db");
    assert_int_equal(okno_sdp_media_find(&sdp, "1"), 1);
    assert_int_equal(okno_sdp_media_find(&sdp, "7"), OKNO_E_NOTFOUND);
}

static void test_sdp_chromium_av_offer_audio_section(void **state)
{
    (void)state;
    load("chromium-av-offer.sdp");
    const struct okno_sdp_media *m = &sdp.media[0];
    assert_str(m->media, "audio");
    assert_int_equal(m->port, 40426);
    assert_str(m->proto, "UDP/TLS/RTP/SAVPF");
    assert_true(m->is_rtp);
    assert_str(m->mid, "0");
    assert_str(m->rtcp, "9 IN IP4 0.0.0.0");
    assert_str(m->common.ice_ufrag, "PKJp");
    assert_str(m->common.ice_pwd, "Dn3cXo6MJ7wkZirBJgPiAYSI");
    assert_str(m->common.ice_options, "trickle");
    assert_int_equal(m->common.setup, OKNO_SDP_SETUP_ACTPASS);
    assert_int_equal(m->common.direction, OKNO_SDP_DIR_SENDRECV);
    assert_true(m->rtcp_mux && m->rtcp_rsize);
    assert_int_equal(m->n_msids, 1);
    assert_str(m->msids[0].track, "d14b24e3-9e17-4025-98a5-86ddb623310e");
    /* codecs in m= order, opus first */
    assert_int_equal(m->n_codecs, 8);
    assert_int_equal(m->codecs[0].pt, 111);
    assert_str(m->codecs[0].name, "opus");
    assert_int_equal(m->codecs[0].clock, 48000);
    assert_int_equal(m->codecs[0].channels, 2);
    uint32_t v = 0;
    assert_int_equal(okno_sdp_param_u32(m->codecs[0].fmtp, "useinbandfec", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(okno_sdp_param_u32(m->codecs[0].fmtp, "minptime", &v), 0);
    assert_int_equal(v, 10);
    assert_int_equal(okno_sdp_param_u32(m->codecs[0].fmtp, "stereo", &v), OKNO_E_NOTFOUND);
    assert_str(m->codecs[1].fmtp, "111/111");
    assert_int_equal(okno_sdp_codec_find(m, "PCMU", 8000), 3);
    assert_int_equal(okno_sdp_codec_find(m, "telephone-event", 8000), 7);
    assert_int_equal(okno_sdp_codec_find(m, "telephone-event", 0), 6);
    assert_int_equal(m->n_rtcp_fbs, 1);
    assert_int_equal(m->rtcp_fbs[0].pt, 111);
    assert_str(m->rtcp_fbs[0].type, "transport-cc");
    assert_null(m->rtcp_fbs[0].subtype.p);
    assert_int_equal(m->n_ssrcs, 2);
    assert_true(m->ssrcs[0].id == 3276904902u);
    assert_str(m->ssrcs[0].attr, "cname");
    assert_str(m->ssrcs[0].value, "yrd1T6ldNz+dMsn3");
    assert_str(m->ssrcs[1].value, "4905a6e4-e815-4b34-9f26-bf177a3dd9db "
                                  "d14b24e3-9e17-4025-98a5-86ddb623310e");
    assert_int_equal(m->common.n_attrs, 1); /* kept raw */
    assert_str(m->common.attrs[0].name, "rtcp-xr");
    assert_str(m->common.attrs[0].value, "rcvr-rtt=all");
    assert_int_equal(okno_sdp_extmap_find(&sdp, m, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
                     1);
}

static void test_sdp_chromium_av_offer_candidates_and_fingerprint(void **state)
{
    (void)state;
    load("chromium-av-offer.sdp");
    const struct okno_sdp_media *m = &sdp.media[0];
    assert_int_equal(m->n_candidates, 8);
    assert_int_equal(m->n_candidates_dropped, 0);
    const struct okno_sdp_candidate *c = &m->candidates[0];
    assert_str(c->foundation, "4154014173");
    assert_int_equal(c->component, 1);
    assert_int_equal(c->transport, OKNO_SDP_UDP);
    assert_int_equal(c->priority, 2122194687);
    assert_str(c->address, "127.0.0.1");
    assert_int_equal(c->port, 40426);
    assert_int_equal(c->type, OKNO_SDP_HOST);
    assert_true(c->has_generation && c->generation == 0);
    assert_true(c->has_network_id && c->network_id == 3);
    assert_true(c->has_network_cost && c->network_cost == 50);
    assert_null(c->raddr.p);
    assert_false(m->candidates[1].has_network_cost);
    assert_str(m->candidates[2].address, "::1");
    c = &m->candidates[4];
    assert_int_equal(c->transport, OKNO_SDP_TCP);
    assert_int_equal(c->tcptype, OKNO_SDP_TCPTYPE_ACTIVE);
    assert_int_equal(c->port, 9);
    static const uint8_t want[32] = {0x71, 0x50, 0xA7, 0x30, 0x5A, 0x78, 0x01, 0xB3,
                                     0x49, 0x90, 0xD4, 0x19, 0x35, 0x58, 0x9D, 0x98,
                                     0x9D, 0xBA, 0x08, 0xC5, 0x6A, 0xEB, 0x97, 0xC1,
                                     0xE6, 0xD3, 0x42, 0x86, 0xA2, 0x68, 0x76, 0xB2};
    const struct okno_sdp_fingerprint *f = okno_sdp_media_fingerprint(&sdp, m);
    assert_non_null(f);
    assert_str(f->hash, "sha-256");
    assert_int_equal(f->len, 32);
    assert_memory_equal(f->digest, want, 32);
}

static void test_sdp_chromium_av_offer_video_codecs_rtx_and_extmaps(void **state)
{
    (void)state;
    load("chromium-av-offer.sdp");
    const struct okno_sdp_media *m = &sdp.media[1];
    assert_str(m->media, "video");
    assert_int_equal(m->n_codecs, 23);
    int vp8 = okno_sdp_codec_find(m, "vp8", 90000); /* names compare case-insensitively */
    assert_int_equal(vp8, 0);
    assert_int_equal(okno_sdp_rtx_pt(m, 96), 97);
    assert_int_equal(okno_sdp_rtx_pt(m, 45), 46);
    assert_int_equal(okno_sdp_rtx_pt(m, 97), OKNO_E_NOTFOUND);
    int h264 = okno_sdp_codec_find(m, "H264", 90000);
    assert_int_equal(m->codecs[h264].pt, 102);
    struct okno_sdp_str plid;
    assert_int_equal(okno_sdp_param_find(m->codecs[h264].fmtp, "profile-level-id", &plid), 0);
    assert_str(plid, "42001f");
    assert_int_equal(m->n_rtcp_fbs, 50);
    assert_str(m->rtcp_fbs[4].type, "nack");
    assert_str(m->rtcp_fbs[4].subtype, "pli");
    assert_int_equal(m->common.n_extmaps, 11);
    assert_int_equal(m->common.extmaps[0].id, 14);
    const char *twcc = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    assert_int_equal(okno_sdp_extmap_find(&sdp, m, twcc), 3);
    assert_int_equal(okno_sdp_extmap_find(&sdp, m, "urn:ietf:params:rtp-hdrext:sdes:mid"), 4);
    assert_int_equal(okno_sdp_extmap_find(&sdp, m, "urn:nope"), OKNO_E_NOTFOUND);
    assert_int_equal(m->n_ssrc_groups, 1);
    assert_str(m->ssrc_groups[0].semantics, "FID");
    assert_int_equal(m->ssrc_groups[0].n_ssrcs, 2);
    assert_true(m->ssrc_groups[0].ssrcs[0] == 1394011243u);
    assert_true(m->ssrc_groups[0].ssrcs[1] == 1272203356u);
    assert_int_equal(m->n_ssrcs, 4);
}

static void test_sdp_chromium_av_offer_datachannel_section(void **state)
{
    (void)state;
    load("chromium-av-offer.sdp");
    const struct okno_sdp_media *m = &sdp.media[2];
    assert_str(m->media, "application");
    assert_str(m->proto, "UDP/DTLS/SCTP");
    assert_false(m->is_rtp);
    assert_str(m->fmt, "webrtc-datachannel");
    assert_int_equal(m->n_codecs, 0);
    assert_int_equal(m->sctp_port, 5000);
    assert_true(m->has_max_message_size);
    assert_int_equal(m->max_message_size, 262144);
    assert_int_equal(m->n_candidates, 8);
}

static void test_sdp_chromium_vp8_simulcast_rids_and_simulcast(void **state)
{
    (void)state;
    load("chromium-vp8-simulcast.sdp");
    const struct okno_sdp_media *m = &sdp.media[1];
    assert_int_equal(m->common.direction, OKNO_SDP_DIR_SENDONLY);
    assert_int_equal(m->n_codecs, 2);
    assert_str(m->codecs[0].name, "VP8");
    assert_int_equal(okno_sdp_rtx_pt(m, 96), 97);
    assert_int_equal(m->n_rids, 3);
    const char *ids[] = {"q", "h", "f"};
    for (int i = 0; i < 3; i++) {
        assert_str(m->rids[i].id, ids[i]);
        assert_int_equal(m->rids[i].dir, OKNO_SDP_RID_SEND);
        assert_int_equal(m->rids[i].n_pts, 0);
        assert_null(m->rids[i].params.p);
        assert_int_equal(m->sc_send.streams[i].n_alts, 1);
        assert_str(m->sc_send.streams[i].alts[0].rid, ids[i]);
        assert_false(m->sc_send.streams[i].alts[0].paused);
    }
    assert_int_equal(m->sc_send.n_streams, 3);
    assert_int_equal(m->sc_recv.n_streams, 0);
    assert_int_equal(m->n_ssrcs, 0); /* rids replace ssrc lines */
    assert_int_equal(okno_sdp_extmap_find(&sdp, m, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"),
                     10);
    assert_int_equal(
        okno_sdp_extmap_find(&sdp, m, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"),
        11);
}

static void test_sdp_chromium_recvonly_offer_has_no_streams(void **state)
{
    (void)state;
    load("chromium-recvonly.sdp");
    assert_int_equal(sdp.n_media, 2);
    assert_str(sdp.msid_semantic_ids, ""); /* "a=msid-semantic: WMS" with no ids */
    for (int i = 0; i < 2; i++) {
        const struct okno_sdp_media *m = &sdp.media[i];
        assert_int_equal(okno_sdp_media_direction(&sdp, m), OKNO_SDP_DIR_RECVONLY);
        assert_int_equal(m->n_msids, 0);
        assert_int_equal(m->n_ssrcs, 0);
        assert_int_equal(m->n_candidates, 8);
    }
    assert_int_equal(sdp.media[1].n_codecs, 34); /* more than 32: why the capacity is 64 */
    assert_int_equal(sdp.media[1].n_rtcp_fbs, 77);
}

static void test_sdp_chromium_offers_write_back_byte_for_byte(void **state)
{
    (void)state;
    const char *names[] = {"chromium-av-offer.sdp", "chromium-vp8-simulcast.sdp",
                           "chromium-recvonly.sdp"};
    for (int i = 0; i < 3; i++) {
        load(names[i]);
        int n = write_and_reparse();
        assert_int_equal((size_t)n, text_len);
        assert_memory_equal(out, text, text_len);
    }
}

static void test_sdp_firefox_av_offer_session_level_attributes(void **state)
{
    (void)state;
    load("firefox-av-offer.sdp");
    assert_str(sdp.origin_user, "mozilla...THIS_IS_SDPARTA-99.0");
    assert_int_equal(sdp.sess_version, 0);
    assert_int_equal(sdp.common.direction, OKNO_SDP_DIR_SENDRECV);
    assert_str(sdp.common.ice_options, "trickle");
    assert_str(sdp.msid_semantic_ids, "*");
    const struct okno_sdp_media *a = &sdp.media[0], *v = &sdp.media[1];
    /* the fingerprint is only at session level: the section falls back to it */
    assert_int_equal(a->common.n_fingerprints, 0);
    const struct okno_sdp_fingerprint *f = okno_sdp_media_fingerprint(&sdp, a);
    assert_non_null(f);
    assert_int_equal(f->len, 32);
    assert_int_equal(f->digest[0], 0xDC);
    assert_int_equal(f->digest[31], 0x4F);
    assert_int_equal(okno_sdp_media_setup(&sdp, a), OKNO_SDP_SETUP_ACTPASS);
    assert_str(okno_sdp_media_ice_ufrag(&sdp, a), "37873a85");
    assert_str(okno_sdp_media_ice_pwd(&sdp, a), "821ecb424a935e5a96f8f32b250d4caa");
    assert_true(a->common.end_of_candidates);
    assert_true(a->common.extmap_allow_mixed);
    assert_int_equal(a->common.extmaps[1].id, 2);
    assert_int_equal(a->common.extmaps[1].dir, OKNO_SDP_DIR_RECVONLY);
    assert_str(a->rtcp, "59989 IN IP4 192.0.2.2");
    /* Firefox: upper-case transports, RTP and RTCP components */
    assert_int_equal(a->n_candidates, 8);
    assert_int_equal(a->candidates[2].transport, OKNO_SDP_TCP);
    assert_int_equal(a->candidates[4].component, 2);
    assert_int_equal(a->candidates[4].port, 59989);
    assert_false(a->candidates[0].has_generation);
    /* fmtp lines come before their rtpmap in Firefox's alphabetical order */
    int opus = okno_sdp_codec_find(a, "opus", 48000);
    assert_int_equal(a->codecs[opus].pt, 109);
    uint32_t stereo = 0;
    assert_int_equal(okno_sdp_param_u32(a->codecs[opus].fmtp, "stereo", &stereo), 0);
    assert_int_equal(stereo, 1);
    assert_int_equal(a->codecs[okno_sdp_codec_find(a, "G722", 8000)].channels, 1);
    assert_int_equal(okno_sdp_rtx_pt(v, 120), 124);
    assert_int_equal(okno_sdp_rtx_pt(v, 122), 119);
    assert_int_equal(v->n_ssrc_groups, 1);
    assert_int_equal(v->n_rtcp_fbs, 25);
}

static void test_sdp_firefox_simulcast_offer_rids_and_fid_groups(void **state)
{
    (void)state;
    load("firefox-simulcast.sdp");
    const struct okno_sdp_media *m = &sdp.media[1];
    assert_int_equal(m->common.direction, OKNO_SDP_DIR_SENDONLY);
    assert_int_equal(m->n_rids, 3);
    assert_str(m->rids[2].id, "f");
    assert_int_equal(m->sc_send.n_streams, 3);
    assert_str(m->sc_send.streams[1].alts[0].rid, "h");
    assert_int_equal(m->n_ssrcs, 6);
    assert_int_equal(m->n_ssrc_groups, 3);
    assert_true(m->ssrc_groups[2].ssrcs[0] == 1483894630u);
    assert_true(m->ssrc_groups[2].ssrcs[1] == 3532279187u);
    assert_int_equal(m->common.extmaps[6].id, 9);
    assert_int_equal(m->common.extmaps[6].dir, OKNO_SDP_DIR_SENDONLY);
}

static void test_sdp_firefox_offers_write_back_to_an_equal_model(void **state)
{
    (void)state;
    load("firefox-av-offer.sdp");
    write_and_reparse();
    /* written in Chromium's order: the fingerprint stays at session level */
    assert_non_null(strstr(out, "t=0 0\r\na=group:BUNDLE 0 1\r\na=msid-semantic: WMS *\r\n"));
    load("firefox-simulcast.sdp");
    write_and_reparse();
    assert_non_null(strstr(out, "a=rid:f send\r\na=simulcast:send q;h;f\r\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sdp_chromium_av_offer_session_and_bundle, teardown),
        cmocka_unit_test_teardown(test_sdp_chromium_av_offer_audio_section, teardown),
        cmocka_unit_test_teardown(test_sdp_chromium_av_offer_candidates_and_fingerprint, teardown),
        cmocka_unit_test_teardown(test_sdp_chromium_av_offer_video_codecs_rtx_and_extmaps,
                                  teardown),
        cmocka_unit_test_teardown(test_sdp_chromium_av_offer_datachannel_section, teardown),
        cmocka_unit_test_teardown(test_sdp_chromium_vp8_simulcast_rids_and_simulcast, teardown),
        cmocka_unit_test_teardown(test_sdp_chromium_recvonly_offer_has_no_streams, teardown),
        cmocka_unit_test_teardown(test_sdp_chromium_offers_write_back_byte_for_byte, teardown),
        cmocka_unit_test_teardown(test_sdp_firefox_av_offer_session_level_attributes, teardown),
        cmocka_unit_test_teardown(test_sdp_firefox_simulcast_offer_rids_and_fid_groups, teardown),
        cmocka_unit_test_teardown(test_sdp_firefox_offers_write_back_to_an_equal_model, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
