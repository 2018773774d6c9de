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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_chromium_av_offer_gets_opus_red_and_vp8_rtx_and_data_channel_rejected, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_offer_without_fingerprint_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
