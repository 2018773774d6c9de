/* Publisher negotiation (src/sfu/negotiate.c) on real browser offers: the answer is parsed back
 * with the wire parser and checked section by section, and the publication is checked against what
 * the offer says. Also the refusals and their reasons. */
#include "testutil.h"

#include "okno/err.h"
#include "sfu/negotiate.h"
#include "wire/sdp.h"

static const char *const local_cands[] = {
    "candidate:1 1 udp 2122260223 192.0.2.10 40000 typ host",
    "candidate:2 1 tcp 1518280447 192.0.2.10 443 typ host tcptype passive",
};

struct fixture {
    struct okno_neg_local local;
    struct okno_publication pub;
    char answer[OKNO_NEG_SDP_MAX];
    char reason[OKNO_NEG_REASON_LEN];
    struct okno_sdp sdp; /* the answer parsed back */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->local.ice_ufrag = "okno";
    f->local.ice_pwd = "0123456789abcdefghijkl";
    f->local.fingerprint.alg = OKNO_FP_SHA256;
    f->local.fingerprint.len = 32;
    for (int i = 0; i < 32; i++)
        f->local.fingerprint.bytes[i] = (uint8_t)(0xa0 + i);
    f->local.candidates = local_cands;
    f->local.n_candidates = 2;
    f->local.candidates_done = true;
    f->local.sess_id = 4242;
    f->local.sess_version = 3;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Answers a fixture offer, expects success and parses the answer back into f->sdp. */
static void answer_file(struct fixture *f, const char *path)
{
    size_t len;
    char *offer = okno_test_read_file(path, &len);
    int rc = okno_negotiate_answer(offer, len, &f->local, &f->pub, f->answer, sizeof f->answer,
                                   f->reason, sizeof f->reason);
    free(offer);
    if (rc < 0)
        fail_msg("%s: %s (%s)", path, f->reason, okno_err_name(rc));
    assert_int_equal((size_t)rc, strlen(f->answer));
    struct okno_sdp_error err;
    if (okno_sdp_parse(&f->sdp, f->answer, (size_t)rc, &err) != 0)
        fail_msg("answer line %u: %s\n%s", err.line, err.reason, f->answer);
}

/* Answers offer text and expects failure with err, returning the reason. */
static const char *refuse(struct fixture *f, const char *offer, int err)
{
    int rc = okno_negotiate_answer(offer, strlen(offer), &f->local, &f->pub, f->answer,
                                   sizeof f->answer, f->reason, sizeof f->reason);
    assert_int_equal(rc, err);
    assert_true(f->reason[0] != '\0');
    return f->reason;
}

/* text with every occurrence of from replaced by to (heap string, free() it). */
static char *edit_text(const char *text, const char *from, const char *to)
{
    size_t nf = strlen(from), nt = strlen(to), hits = 0;
    for (const char *p = strstr(text, from); p; p = strstr(p + nf, from))
        hits++;
    assert_true(hits > 0);
    char *out = malloc(strlen(text) + hits * nt + 1), *o = out;
    assert_non_null(out);
    const char *p = text, *q;
    while ((q = strstr(p, from))) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, nt);
        o += nt;
        p = q + nf;
    }
    strcpy(o, p);
    return out;
}

/* A fixture with every occurrence of from replaced by to (heap string, free() it). */
static char *edit(const char *path, const char *from, const char *to)
{
    char *text = okno_test_read_file(path, NULL);
    char *out = edit_text(text, from, to);
    free(text);
    return out;
}

/* Answers edited offer text, expects success and parses the answer back. */
static void answer_text(struct fixture *f, const char *offer)
{
    int rc = okno_negotiate_answer(offer, strlen(offer), &f->local, &f->pub, f->answer,
                                   sizeof f->answer, f->reason, sizeof f->reason);
    if (rc < 0)
        fail_msg("%s (%s)", f->reason, okno_err_name(rc));
    struct okno_sdp_error err;
    if (okno_sdp_parse(&f->sdp, f->answer, (size_t)rc, &err) != 0)
        fail_msg("answer line %u: %s\n%s", err.line, err.reason, f->answer);
}

static bool has_fb(const struct okno_sdp_media *m, int pt, const char *type, const char *sub)
{
    for (unsigned i = 0; i < m->n_rtcp_fbs; i++)
        if (m->rtcp_fbs[i].pt == pt && okno_sdp_str_eq(m->rtcp_fbs[i].type, type) &&
            (sub ? okno_sdp_str_eq(m->rtcp_fbs[i].subtype, sub) : !m->rtcp_fbs[i].subtype.p))
            return true;
    return false;
}

static void assert_transport(const struct fixture *f, const struct okno_sdp_media *m,
                             enum okno_sdp_setup setup)
{
    assert_true(okno_sdp_str_eq(okno_sdp_media_ice_ufrag(&f->sdp, m), "okno"));
    assert_true(okno_sdp_str_eq(okno_sdp_media_ice_pwd(&f->sdp, m), "0123456789abcdefghijkl"));
    const struct okno_sdp_fingerprint *fp = okno_sdp_media_fingerprint(&f->sdp, m);
    assert_non_null(fp);
    assert_true(okno_sdp_str_eqi(fp->hash, "sha-256"));
    assert_memory_equal(fp->digest, f->local.fingerprint.bytes, 32);
    assert_int_equal(okno_sdp_media_setup(&f->sdp, m), setup);
    assert_true(m->rtcp_mux);
}

static void test_chromium_av_offer_gets_opus_red_and_vp8_rtx_and_data_channel_rejected(void **state)
{
    struct fixture *f = *state;
    answer_file(f, "fixtures/sdp/chromium-av-offer.sdp");
    const struct okno_sdp *a = &f->sdp;
    assert_int_equal(a->n_media, 3);
    assert_int_equal(a->sess_id, 4242);
    assert_int_equal(a->sess_version, 3);
    assert_int_equal(a->n_groups, 1);
    assert_int_equal(a->groups[0].n_mids, 2);
    assert_true(okno_sdp_str_eq(a->groups[0].mids[0], "0"));
    assert_true(okno_sdp_str_eq(a->groups[0].mids[1], "1"));

    const struct okno_sdp_media *au = &a->media[0];
    assert_true(okno_sdp_str_eq(au->media, "audio"));
    assert_int_equal(au->port, 9);
    assert_int_equal(au->n_codecs, 2);
    assert_int_equal(au->codecs[0].pt, 111);
    assert_true(okno_sdp_str_eq(au->codecs[0].name, "opus"));
    assert_true(okno_sdp_str_eq(au->codecs[0].fmtp, "minptime=10;useinbandfec=1"));
    assert_int_equal(au->codecs[1].pt, 63);
    assert_true(okno_sdp_str_eq(au->codecs[1].name, "red"));
    assert_true(has_fb(au, 111, "transport-cc", NULL));
    assert_int_equal(okno_sdp_media_direction(a, au), OKNO_SDP_DIR_RECVONLY);
    assert_int_equal(okno_sdp_extmap_find(a, au, "urn:ietf:params:rtp-hdrext:ssrc-audio-level"), 1);
    assert_int_equal(au->n_msids, 0);
    assert_int_equal(au->n_ssrcs, 0);
    assert_transport(f, au, OKNO_SDP_SETUP_PASSIVE);
    assert_int_equal(au->n_candidates, 2);
    assert_true(au->common.end_of_candidates);

    const struct okno_sdp_media *v = &a->media[1];
    assert_int_equal(v->n_codecs, 2);
    assert_true(okno_sdp_str_eq(v->codecs[0].name, "VP8"));
    assert_int_equal(okno_sdp_rtx_pt(v, v->codecs[0].pt), v->codecs[1].pt);
    int pt = v->codecs[0].pt;
    assert_true(has_fb(v, pt, "nack", NULL));
    assert_true(has_fb(v, pt, "nack", "pli"));
    assert_true(has_fb(v, pt, "ccm", "fir"));
    assert_true(has_fb(v, pt, "goog-remb", NULL));
    assert_true(has_fb(v, pt, "transport-cc", NULL));
    assert_int_equal(okno_sdp_media_direction(a, v), OKNO_SDP_DIR_RECVONLY);
    assert_transport(f, v, OKNO_SDP_SETUP_PASSIVE);
    assert_int_equal(v->n_candidates, 0); /* bundled: only the tag carries candidates */

    const struct okno_sdp_media *dc = &a->media[2];
    assert_true(okno_sdp_str_eq(dc->media, "application"));
    assert_int_equal(dc->port, 0);
    assert_true(okno_sdp_str_eq(dc->mid, "2"));

    assert_int_equal(f->pub.n_tracks, 2);
    const struct okno_pub_track *ta = &f->pub.tracks[0], *tv = &f->pub.tracks[1];
    assert_int_equal(ta->kind, OKNO_MEDIA_AUDIO);
    assert_string_equal(ta->mid, "0");
    assert_int_equal(ta->codec.pt, 111);
    assert_int_equal(ta->codec.clock, 48000);
    assert_int_equal(ta->codec.channels, 2);
    assert_int_equal(ta->red_pt, 63);
    assert_int_equal(ta->rtx_pt, -1);
    assert_int_equal(ta->fb, OKNO_FB_TRANSPORT_CC);
    assert_int_equal(tv->kind, OKNO_MEDIA_VIDEO);
    assert_int_equal(tv->mline, 1);
    assert_int_equal(tv->rtx_pt, v->codecs[1].pt);
    assert_int_equal(tv->red_pt, -1);
    assert_int_equal(tv->fb, OKNO_FB_NACK | OKNO_FB_NACK_PLI | OKNO_FB_CCM_FIR |
                                 OKNO_FB_TRANSPORT_CC | OKNO_FB_GOOG_REMB);
    assert_int_equal(tv->n_fids, 1);
    assert_int_equal(tv->n_ssrcs, 2);
    assert_int_equal(tv->fids[0].primary, tv->ssrcs[0]);
    assert_int_equal(tv->fids[0].rtx, tv->ssrcs[1]);
    assert_true(tv->cname[0] != '\0');
    assert_true(tv->msid_stream[0] != '\0' && tv->msid_track[0] != '\0');
    assert_int_equal(f->pub.remote.role, OKNO_DTLS_SERVER);
    assert_int_equal(f->pub.remote.fingerprint.alg, OKNO_FP_SHA256);
    assert_int_equal(f->pub.remote.fingerprint.len, 32);
}

static void test_offer_without_fingerprint_is_refused(void **state)
{
    struct fixture *f = *state;
    char *offer = okno_test_read_file("fixtures/captures/chromium-call-offer.sdp", NULL);
    assert_string_equal(refuse(f, offer, OKNO_E_UNSUPPORTED), "no fingerprint");
    free(offer);
}

static void test_firefox_simulcast_offer_gets_rids_recv_and_only_vp8_with_its_rtx(void **state)
{
    struct fixture *f = *state;
    answer_file(f, "fixtures/sdp/firefox-simulcast.sdp");
    const struct okno_sdp_media *v = &f->sdp.media[1];
    /* VP9, AV1, ulpfec, red and their rtx are gone: VP8 120 and rtx 124 only */
    assert_int_equal(v->n_codecs, 2);
    assert_int_equal(v->codecs[0].pt, 120);
    assert_int_equal(v->codecs[1].pt, 124);
    assert_true(okno_sdp_str_eq(v->codecs[0].fmtp, "max-fs=12288;max-fr=60"));
    for (unsigned i = 0; i < v->n_rtcp_fbs; i++)
        assert_int_equal(v->rtcp_fbs[i].pt, 120);
    assert_int_equal(v->n_rids, 3);
    const char *ids[] = {"q", "h", "f"};
    for (int i = 0; i < 3; i++) {
        assert_true(okno_sdp_str_eq(v->rids[i].id, ids[i]));
        assert_int_equal(v->rids[i].dir, OKNO_SDP_RID_RECV);
        assert_true(okno_sdp_str_eq(v->sc_recv.streams[i].alts[0].rid, ids[i]));
    }
    assert_int_equal(v->sc_recv.n_streams, 3);
    assert_int_equal(v->sc_send.n_streams, 0);
    /* Firefox's sendonly extension directions are answered recvonly; DD is unknown and dropped */
    for (unsigned i = 0; i < v->common.n_extmaps; i++) {
        const struct okno_sdp_extmap *e = &v->common.extmaps[i];
        assert_false(okno_sdp_str_eq(e->uri, "https://aomediacodec.github.io/av1-rtp-spec/"
                                             "#dependency-descriptor-rtp-header-extension"));
        if (e->id == 9 || e->id == 10)
            assert_int_equal(e->dir, OKNO_SDP_DIR_RECVONLY);
    }
    assert_int_equal(okno_sdp_extmap_find(NULL, v, "urn:ietf:params:rtp-hdrext:csrc-audio-level"),
                     OKNO_E_NOTFOUND);

    const struct okno_pub_track *t = &f->pub.tracks[1];
    assert_int_equal(t->codec.pt, 120);
    assert_int_equal(t->rtx_pt, 124);
    assert_int_equal(t->n_rids, 3);
    assert_string_equal(t->rids[2].id, "f");
    assert_false(t->rids[0].paused);
    assert_int_equal(t->n_ssrcs, 6);
    assert_int_equal(t->n_fids, 3);
    assert_int_equal(t->fids[1].primary, 980861615u);
    assert_int_equal(t->fids[1].rtx, 1557310896u);
    assert_string_equal(t->cname, "{745dcfd7-b942-4069-83e6-8c4adf7821a6}");
    assert_string_equal(t->msid_stream, "{06f99e82-b7bd-497a-8adc-e333219c1c35}");
    assert_int_equal(t->ext_ids[OKNO_EXT_RID], 9);
    assert_int_equal(t->ext_ids[OKNO_EXT_RRID], 10);
    assert_int_equal(t->ext_ids[OKNO_EXT_MID], 3);
    assert_int_equal(t->ext_ids[OKNO_EXT_TWCC], 7);
    assert_int_equal(t->ext_ids[OKNO_EXT_TOFFSET], 5);
    assert_int_equal(t->ext_ids[OKNO_EXT_AUDIO_LEVEL], 0);
    /* session-level fingerprint; RTCP (component 2) candidates are not kept */
    assert_int_equal(f->pub.remote.fingerprint.bytes[0], 0x6e);
    assert_int_equal(f->pub.remote.n_candidates, 4);
    assert_true(f->pub.remote.end_of_candidates);
    assert_string_equal(f->pub.remote.candidates[0],
                        "candidate:0 1 udp 2122187007 192.0.2.2 46952 typ host");
    assert_string_equal(f->pub.remote.ice_ufrag, "3eeea810");
}

/* Firefox with bundlePolicy max-bundle (what okno.js asks for) offers its video with port 0 and
 * a=bundle-only (RFC 8843); okno used to take that for a rejected section and published audio only.
 */
static void test_firefox_bundle_only_video_section_is_taken(void **state)
{
    struct fixture *f = *state;
    answer_file(f, "fixtures/sdp/firefox-max-bundle-offer.sdp");
    assert_int_equal(f->pub.n_tracks, 2);
    assert_int_equal(f->pub.tracks[1].kind, OKNO_MEDIA_VIDEO);
    assert_int_equal(f->pub.tracks[1].codec.pt, 120);
    assert_int_equal(f->pub.tracks[1].rtx_pt, 124);
    const struct okno_sdp_media *v = &f->sdp.media[1];
    assert_int_not_equal(v->port, 0);
    assert_int_equal(v->n_codecs, 2);
}

static void test_chromium_simulcast_offer_without_ssrcs_lists_rids(void **state)
{
    struct fixture *f = *state;
    answer_file(f, "fixtures/sdp/chromium-vp8-simulcast.sdp");
    const struct okno_pub_track *t = &f->pub.tracks[1];
    assert_int_equal(t->n_ssrcs, 0);
    assert_int_equal(t->n_rids, 3);
    assert_string_equal(t->rids[0].id, "q");
    assert_int_equal(t->ext_ids[OKNO_EXT_RID], 10);
    assert_int_equal(t->ext_ids[OKNO_EXT_RRID], 11);
    assert_int_equal(f->sdp.media[1].sc_recv.n_streams, 3);
    assert_int_equal(f->pub.remote.n_candidates, 8);
    assert_string_equal(f->pub.remote.ice_pwd, "Ay36CmTI25rF/VeSPrJ4MYxr");
}

static void
test_paused_rid_stays_paused_and_rid_restricted_to_rejected_codec_is_dropped(void **state)
{
    struct fixture *f = *state;
    /* q may only use VP9, which okno refuses; h is paused */
    char *restricted = edit("fixtures/sdp/firefox-simulcast.sdp", "a=rid:q send",
                            "a=rid:q send pt=121;max-width=320");
    char *offer = edit_text(restricted, "a=simulcast:send q;h;f", "a=simulcast:send q;~h;f");
    free(restricted);
    answer_text(f, offer);
    free(offer);
    const struct okno_sdp_media *v = &f->sdp.media[1];
    assert_int_equal(v->n_rids, 2);
    assert_true(okno_sdp_str_eq(v->rids[0].id, "h"));
    assert_int_equal(v->sc_recv.n_streams, 2);
    assert_true(v->sc_recv.streams[0].alts[0].paused);
    assert_false(v->sc_recv.streams[1].alts[0].paused);
    const struct okno_pub_track *t = &f->pub.tracks[1];
    assert_int_equal(t->n_rids, 2);
    assert_string_equal(t->rids[0].id, "h");
    assert_true(t->rids[0].paused);
}

static void test_red_preferred_by_the_client_stays_first(void **state)
{
    struct fixture *f = *state;
    char *offer = edit("fixtures/sdp/chromium-av-offer.sdp", "SAVPF 111 63 9", "SAVPF 63 111 9");
    answer_text(f, offer);
    free(offer);
    const struct okno_sdp_media *au = &f->sdp.media[0];
    assert_int_equal(au->n_codecs, 2);
    assert_int_equal(au->codecs[0].pt, 63);
    assert_int_equal(au->codecs[1].pt, 111);
    assert_int_equal(f->pub.tracks[0].codec.pt, 111);
    assert_int_equal(f->pub.tracks[0].red_pt, 63);
}

/* The codec of payload type pt in section m; fails when absent. */
static const struct okno_sdp_codec *codec_of(const struct okno_sdp_media *m, int pt)
{
    for (unsigned i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    fail_msg("no payload type %d", pt);
    return NULL;
}

/* The link memory's start (sfu/participant_link.h): VP8's fmtp in the answer carries it, Opus's and
 * RTX's do not, the publication keeps the offer's parameters (subscribers get those), and a VP8
 * fmtp the offer had keeps its parameters before it. None without a start. */
static void test_publisher_answer_asks_the_video_sender_to_start_at_the_start_given(void **state)
{
    struct fixture *f = *state;
    answer_file(f, "fixtures/sdp/chromium-av-offer.sdp");
    assert_null(strstr(f->answer, "x-google-start-bitrate"));
    f->local.video_start_kbps = 127;
    answer_file(f, "fixtures/sdp/chromium-av-offer.sdp");
    const struct okno_sdp_codec *vp8 = codec_of(&f->sdp.media[1], 96);
    assert_true(okno_sdp_str_eq(vp8->fmtp, "x-google-start-bitrate=127"));
    assert_true(okno_sdp_str_eq(codec_of(&f->sdp.media[1], 97)->fmtp, "apt=96"));
    assert_true(
        okno_sdp_str_eq(codec_of(&f->sdp.media[0], 111)->fmtp, "minptime=10;useinbandfec=1"));
    assert_string_equal(f->pub.tracks[1].codec.fmtp, "");
    char *offer = edit("fixtures/sdp/chromium-av-offer.sdp", "a=rtpmap:96 VP8/90000\r\n",
                       "a=rtpmap:96 VP8/90000\r\na=fmtp:96 max-fr=30\r\n");
    answer_text(f, offer);
    free(offer);
    vp8 = codec_of(&f->sdp.media[1], 96);
    assert_true(okno_sdp_str_eq(vp8->fmtp, "max-fr=30;x-google-start-bitrate=127"));
    assert_string_equal(f->pub.tracks[1].codec.fmtp, "max-fr=30");
}

static unsigned count_fb(const struct okno_sdp_media *m, int pt, const char *type)
{
    unsigned n = 0;
    for (unsigned i = 0; i < m->n_rtcp_fbs; i++)
        n += m->rtcp_fbs[i].pt == pt && okno_sdp_str_eq(m->rtcp_fbs[i].type, type);
    return n;
}

/* What okno's publisher feedback needs (sfu/participant_pub_fb.h): the transport-wide-cc extension
 * with the offer's id, transport-cc on both sections and goog-remb on the video. */
static void test_publisher_answer_accepts_transport_cc_and_remb(void **state)
{
    struct fixture *f = *state;
    answer_file(f, "fixtures/sdp/chromium-av-offer.sdp");
    for (int i = 0; i < 2; i++) {
        const struct okno_pub_track *t = &f->pub.tracks[i];
        assert_int_equal(t->ext_ids[OKNO_EXT_TWCC], 3);
        assert_true(t->fb & OKNO_FB_TRANSPORT_CC);
        assert_true(has_fb(&f->sdp.media[i], t->codec.pt, "transport-cc", NULL));
    }
    assert_true(f->pub.tracks[1].fb & OKNO_FB_GOOG_REMB);
    assert_true(has_fb(&f->sdp.media[1], 96, "goog-remb", NULL));
}

/* a=rtcp-fb:* lines apply to every codec: the answer keeps them, once per section. */
static void test_wildcard_transport_cc_is_answered_once(void **state)
{
    struct fixture *f = *state;
    char *a = edit("fixtures/sdp/chromium-av-offer.sdp", "a=rtcp-fb:111 transport-cc",
                   "a=rtcp-fb:* transport-cc");
    char *offer = edit_text(a, "a=rtcp-fb:96 transport-cc", "a=rtcp-fb:* transport-cc");
    free(a);
    answer_text(f, offer);
    free(offer);
    for (int i = 0; i < 2; i++) {
        assert_true(f->pub.tracks[i].fb & OKNO_FB_TRANSPORT_CC);
        assert_int_equal(count_fb(&f->sdp.media[i], -1, "transport-cc"), 1);
        assert_int_equal(count_fb(&f->sdp.media[i], f->pub.tracks[i].codec.pt, "transport-cc"), 0);
    }
    assert_non_null(strstr(f->answer, "a=rtcp-fb:* transport-cc\r\n"));
}

static void test_recvonly_offer_is_answered_inactive_with_no_tracks(void **state)
{
    struct fixture *f = *state;
    answer_file(f, "fixtures/sdp/chromium-recvonly.sdp");
    assert_int_equal(f->pub.n_tracks, 0);
    assert_int_equal(f->sdp.n_media, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(f->sdp.media[i].port, 9);
        assert_int_equal(okno_sdp_media_direction(&f->sdp, &f->sdp.media[i]),
                         OKNO_SDP_DIR_INACTIVE);
    }
}

static void test_offer_setup_decides_okno_dtls_role(void **state)
{
    struct fixture *f = *state;
    char *offer = edit("fixtures/sdp/chromium-av-offer.sdp", "a=setup:actpass", "a=setup:active");
    answer_text(f, offer);
    free(offer);
    assert_int_equal(f->pub.remote.role, OKNO_DTLS_SERVER);
    assert_int_equal(okno_sdp_media_setup(&f->sdp, &f->sdp.media[0]), OKNO_SDP_SETUP_PASSIVE);

    offer = edit("fixtures/sdp/chromium-av-offer.sdp", "a=setup:actpass", "a=setup:passive");
    answer_text(f, offer);
    free(offer);
    assert_int_equal(f->pub.remote.role, OKNO_DTLS_CLIENT);
    assert_int_equal(okno_sdp_media_setup(&f->sdp, &f->sdp.media[0]), OKNO_SDP_SETUP_ACTIVE);

    offer = edit("fixtures/sdp/chromium-av-offer.sdp", "a=setup:actpass", "a=setup:holdconn");
    assert_string_equal(refuse(f, offer, OKNO_E_UNSUPPORTED),
                        "a=setup must be actpass, active or passive");
    free(offer);
}

static void test_section_outside_bundle_is_rejected_with_port_zero(void **state)
{
    struct fixture *f = *state;
    char *offer =
        edit("fixtures/sdp/chromium-av-offer.sdp", "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 2");
    answer_text(f, offer);
    free(offer);
    assert_int_equal(f->sdp.media[1].port, 0);
    assert_true(okno_sdp_str_eq(f->sdp.media[1].mid, "1"));
    assert_int_equal(f->sdp.groups[0].n_mids, 1);
    assert_true(okno_sdp_str_eq(f->sdp.groups[0].mids[0], "0"));
    assert_int_equal(f->pub.n_tracks, 1);
}

static void test_audio_sent_in_other_codecs_fails_with_the_m_line(void **state)
{
    struct fixture *f = *state;
    char *offer = edit("fixtures/sdp/chromium-av-offer.sdp", "opus/48000/2", "opus/48000/1");
    assert_string_equal(refuse(f, offer, OKNO_E_UNSUPPORTED),
                        "m-line 1: no codec okno can forward (Opus)");
    free(offer);
    offer = edit("fixtures/sdp/chromium-vp8-simulcast.sdp", "VP8/90000", "H264/90000");
    assert_string_equal(refuse(f, offer, OKNO_E_UNSUPPORTED),
                        "m-line 2: no codec okno can forward (VP8)");
    free(offer);
}

static void test_recvonly_section_without_usable_codec_is_only_rejected(void **state)
{
    struct fixture *f = *state;
    char *offer = edit("fixtures/sdp/chromium-recvonly.sdp", "VP8/90000", "H264/90000");
    answer_text(f, offer);
    free(offer);
    assert_int_equal(f->sdp.media[0].port, 9);
    assert_int_equal(f->sdp.media[1].port, 0);
}

static void test_transport_refusals_say_why(void **state)
{
    struct fixture *f = *state;
    const char *path = "fixtures/sdp/firefox-av-offer.sdp";
    struct {
        const char *from, *to, *reason;
    } cases[] = {
        {"a=group:BUNDLE 0 1", "a=group:LS 0 1", "no a=group:BUNDLE (okno is BUNDLE-only)"},
        {"a=group:BUNDLE 0 1", "a=group:BUNDLE 7", "a=group:BUNDLE names no m-line"},
        {"a=fingerprint:sha-256 DC:A7:A3:67:8B:93:F3:7E:01:60:40:2B:D0:FA:9D:92:2D:C6:44:EE:72:"
         "67:1F:A8:2F:60:AB:C2:94:D4:9F:4F",
         "a=fingerprint:sha-1 DC:A7:A3:67:8B:93:F3:7E:01:60:40:2B:D0:FA:9D:92:2D:C6:44:EE",
         "no usable fingerprint (sha-256 at least)"},
        {"a=ice-ufrag:", "a=x-ufrag:", "no ICE credentials (a=ice-ufrag, a=ice-pwd)"},
        {"a=setup:actpass", "a=x-setup:actpass", "no a=setup"},
        {"a=rtcp-mux", "a=x-rtcp-mux", "no a=rtcp-mux (okno is rtcp-mux-only)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *offer = edit(path, cases[i].from, cases[i].to);
        int rc = okno_negotiate_answer(offer, strlen(offer), &f->local, &f->pub, f->answer,
                                       sizeof f->answer, f->reason, sizeof f->reason);
        free(offer);
        if (rc != OKNO_E_UNSUPPORTED || strcmp(f->reason, cases[i].reason) != 0)
            fail_msg("case %zu: %d \"%s\"", i, rc, f->reason);
    }
}

static void test_offer_that_does_not_parse_names_the_line(void **state)
{
    struct fixture *f = *state;
    const char *r = refuse(f, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio x\r\n",
                           OKNO_E_MALFORMED);
    assert_true(strncmp(r, "line 5: ", 8) == 0);
    refuse(f, "", OKNO_E_MALFORMED);
}

static void test_offer_with_only_a_data_channel_is_refused(void **state)
{
    struct fixture *f = *state;
    char *text = edit("fixtures/sdp/chromium-av-offer.sdp", "m=audio", "m=text");
    char *offer = edit_text(text, "m=video", "m=vidoo");
    free(text);
    assert_string_equal(refuse(f, offer, OKNO_E_UNSUPPORTED),
                        "no m-line okno can take (audio or video, UDP/TLS/RTP/SAVPF, BUNDLE, "
                        "rtcp-mux)");
    free(offer);
}

static void test_small_answer_buffer_is_nospc_and_bad_arguments_are_inval(void **state)
{
    struct fixture *f = *state;
    char *offer = okno_test_read_file("fixtures/sdp/chromium-av-offer.sdp", NULL);
    char small[256];
    int rc = okno_negotiate_answer(offer, strlen(offer), &f->local, &f->pub, small, sizeof small,
                                   f->reason, sizeof f->reason);
    assert_int_equal(rc, OKNO_E_NOSPC);
    f->local.candidates = (const char *const[]){"candidate:garbage"};
    f->local.n_candidates = 1;
    rc = okno_negotiate_answer(offer, strlen(offer), &f->local, &f->pub, f->answer,
                               sizeof f->answer, f->reason, sizeof f->reason);
    assert_int_equal(rc, OKNO_E_INVAL);
    assert_string_equal(f->reason, "okno's candidate 1 does not parse");
    rc = okno_negotiate_answer(NULL, 0, &f->local, &f->pub, f->answer, sizeof f->answer, NULL, 0);
    assert_int_equal(rc, OKNO_E_INVAL);
    free(offer);
}

static void test_extension_uris_map_both_ways(void **state)
{
    (void)state;
    for (int e = 0; e < OKNO_EXT_COUNT; e++)
        assert_non_null(okno_negotiate_ext_uri((enum okno_ext)e));
    assert_null(okno_negotiate_ext_uri(OKNO_EXT_COUNT));
    assert_string_equal(
        okno_negotiate_ext_uri(OKNO_EXT_TWCC),
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_chromium_av_offer_gets_opus_red_and_vp8_rtx_and_data_channel_rejected),
        T(test_firefox_simulcast_offer_gets_rids_recv_and_only_vp8_with_its_rtx),
        T(test_firefox_bundle_only_video_section_is_taken),
        T(test_chromium_simulcast_offer_without_ssrcs_lists_rids),
        T(test_paused_rid_stays_paused_and_rid_restricted_to_rejected_codec_is_dropped),
        T(test_red_preferred_by_the_client_stays_first),
        T(test_publisher_answer_accepts_transport_cc_and_remb),
        T(test_publisher_answer_asks_the_video_sender_to_start_at_the_start_given),
        T(test_wildcard_transport_cc_is_answered_once),
        T(test_recvonly_offer_is_answered_inactive_with_no_tracks),
        T(test_offer_setup_decides_okno_dtls_role),
        T(test_section_outside_bundle_is_rejected_with_port_zero),
        T(test_audio_sent_in_other_codecs_fails_with_the_m_line),
        T(test_recvonly_section_without_usable_codec_is_only_rejected),
        T(test_offer_without_fingerprint_is_refused),
        T(test_transport_refusals_say_why),
        T(test_offer_that_does_not_parse_names_the_line),
        T(test_offer_with_only_a_data_channel_is_refused),
        T(test_small_answer_buffer_is_nospc_and_bad_arguments_are_inval),
        T(test_extension_uris_map_both_ways),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
