/* Subscriber negotiation (src/sfu/sub_offer.c): offers built from slots are parsed back with the
 * wire parser and checked; the answers Chromium 156 and Firefox 153 gave to okno-sdp's two-track
 * offer (tests/fixtures/sdp/{chromium,firefox}-sub-answer.sdp, saved by
 * tests/integration/negotiate_browser.sh) are checked against the same slots, and edited answers
 * that break the rules are refused. */
#include "testutil.h"

#include "okno/err.h"
#include "sfu/sub_offer.h"
#include "wire/sdp.h"

#include "../../tools/sub_slots.h"

static const char *const local_cands[] = {"candidate:1 1 udp 2122260223 192.0.2.10 40000 typ host"};

struct fixture {
    struct okno_neg_local local;
    struct okno_sub_slot slots[4];
    struct okno_sub_answer ans;
    char offer[OKNO_NEG_SDP_MAX];
    char reason[OKNO_NEG_REASON_LEN];
    struct okno_sdp sdp;
};

/* The slots okno-sdp offers: p3's Opus (with RED) and VP8 (with RTX) tracks. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->local.ice_ufrag = "okno";
    f->local.ice_pwd = "0123456789abcdefghijkl";
    f->local.fingerprint.alg = OKNO_FP_SHA384;
    f->local.fingerprint.len = 48;
    memset(f->local.fingerprint.bytes, 0x5a, 48);
    f->local.candidates = local_cands;
    f->local.n_candidates = 1;
    f->local.sess_id = 99;
    f->local.sess_version = 5;
    okno_test_sub_slots(f->slots);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void build(struct fixture *f, size_t n)
{
    int rc = okno_sub_offer_build(f->slots, n, &f->local, f->offer, sizeof f->offer, f->reason,
                                  sizeof f->reason);
    if (rc < 0)
        fail_msg("%s (%s)", f->reason, okno_err_name(rc));
    struct okno_sdp_error err;
    if (okno_sdp_parse(&f->sdp, f->offer, (size_t)rc, &err) != 0)
        fail_msg("offer line %u: %s\n%s", err.line, err.reason, f->offer);
}

static bool has_fb(const struct okno_sdp_media *m, int pt, const char *type, const char *sub)
{
    for (unsigned i = 0; i < m->n_rtcp_fbs; i++)
        if (m->rtcp_fbs[i].pt == pt && okno_sdp_str_eq(m->rtcp_fbs[i].type, type) &&
            (sub ? okno_sdp_str_eq(m->rtcp_fbs[i].subtype, sub) : !m->rtcp_fbs[i].subtype.p))
            return true;
    return false;
}

static bool has_ssrc(const struct okno_sdp_media *m, uint32_t id, const char *attr,
                     const char *value)
{
    for (unsigned i = 0; i < m->n_ssrcs; i++)
        if (m->ssrcs[i].id == id && okno_sdp_str_eq(m->ssrcs[i].attr, attr) &&
            okno_sdp_str_eq(m->ssrcs[i].value, value))
            return true;
    return false;
}

static void test_offer_for_two_tracks_names_the_participant_and_sends_only(void **state)
{
    struct fixture *f = *state;
    build(f, 2);
    const struct okno_sdp *o = &f->sdp;
    assert_int_equal(o->sess_id, 99);
    assert_int_equal(o->sess_version, 5);
    assert_int_equal(o->n_groups, 1);
    assert_int_equal(o->groups[0].n_mids, 2);
    assert_int_equal(o->n_media, 2);
    for (int i = 0; i < 2; i++) {
        const struct okno_sdp_media *m = &o->media[i];
        assert_int_equal(m->port, 9);
        assert_true(okno_sdp_str_eq(m->proto, "UDP/TLS/RTP/SAVPF"));
        assert_int_equal(okno_sdp_media_direction(o, m), OKNO_SDP_DIR_SENDONLY);
        assert_int_equal(okno_sdp_media_setup(o, m), OKNO_SDP_SETUP_ACTPASS);
        assert_true(okno_sdp_str_eq(okno_sdp_media_ice_ufrag(o, m), "okno"));
        assert_true(okno_sdp_str_eq(m->common.ice_options, "trickle"));
        const struct okno_sdp_fingerprint *fp = okno_sdp_media_fingerprint(o, m);
        assert_true(okno_sdp_str_eq(fp->hash, "sha-384"));
        assert_int_equal(fp->len, 48);
        assert_true(m->rtcp_mux);
        assert_int_equal(m->n_msids, 1);
        assert_true(okno_sdp_str_eq(m->msids[0].stream, "p3"));
        assert_int_equal(okno_sdp_extmap_find(o, m, "urn:ietf:params:rtp-hdrext:sdes:mid"), 1);
    }
    const struct okno_sdp_media *a = &o->media[0], *v = &o->media[1];
    assert_int_equal(a->n_candidates, 1);
    assert_false(a->common.end_of_candidates);
    assert_int_equal(v->n_candidates, 0);
    assert_true(okno_sdp_str_eq(a->msids[0].track, "p3-a0"));
    assert_int_equal(a->n_codecs, 2);
    assert_true(okno_sdp_str_eq(a->codecs[1].name, "red"));
    assert_true(okno_sdp_str_eq(a->codecs[1].fmtp, "111/111"));
    assert_true(has_fb(a, 111, "transport-cc", NULL));
    assert_int_equal(okno_sdp_extmap_find(o, a, okno_negotiate_ext_uri(OKNO_EXT_AUDIO_LEVEL)), 4);
    assert_true(has_ssrc(a, 0x11111111, "cname", "okno-p3"));
    assert_true(has_ssrc(a, 0x11111111, "msid", "p3 p3-a0"));
    assert_int_equal(a->n_ssrc_groups, 0);

    assert_int_equal(okno_sdp_rtx_pt(v, 96), 97);
    assert_true(has_fb(v, 96, "nack", NULL));
    assert_true(has_fb(v, 96, "nack", "pli"));
    assert_true(has_fb(v, 96, "ccm", "fir"));
    assert_true(has_fb(v, 96, "goog-remb", NULL));
    assert_int_equal(v->n_ssrc_groups, 1);
    assert_true(okno_sdp_str_eq(v->ssrc_groups[0].semantics, "FID"));
    assert_int_equal(v->ssrc_groups[0].ssrcs[0], 0x22222222);
    assert_int_equal(v->ssrc_groups[0].ssrcs[1], 0x33333333);
    assert_true(has_ssrc(v, 0x33333333, "cname", "okno-p3"));
    assert_int_equal(okno_sdp_extmap_find(o, v, okno_negotiate_ext_uri(OKNO_EXT_TOFFSET)), 5);
}

static void test_holes_keep_their_place_inactive_in_bundle_or_closed_outside(void **state)
{
    struct fixture *f = *state;
    f->local.candidates_done = true;
    f->slots[2] = f->slots[1];
    f->slots[2].mid = "2";
    f->slots[0].state = OKNO_SUB_SLOT_CLOSED;
    f->slots[1].state = OKNO_SUB_SLOT_INACTIVE;
    f->slots[1].track.participant = NULL; /* a hole has no track to name */
    build(f, 3);
    const struct okno_sdp *o = &f->sdp;
    assert_int_equal(o->n_media, 3);
    assert_int_equal(o->media[0].port, 0);
    assert_true(okno_sdp_str_eq(o->media[0].mid, "0"));
    assert_int_equal(o->media[1].port, 9);
    assert_int_equal(okno_sdp_media_direction(o, &o->media[1]), OKNO_SDP_DIR_INACTIVE);
    assert_int_equal(o->media[1].n_msids, 0);
    assert_int_equal(o->media[1].n_ssrcs, 0);
    assert_int_equal(o->media[1].n_codecs, 2);
    assert_int_equal(o->groups[0].n_mids, 2);
    assert_true(okno_sdp_str_eq(o->groups[0].mids[0], "1"));
    assert_true(okno_sdp_str_eq(o->groups[0].mids[1], "2"));
    /* the BUNDLE tag (first section in the group) carries the candidates */
    assert_int_equal(o->media[1].n_candidates, 1);
    assert_true(o->media[1].common.end_of_candidates);
    assert_int_equal(o->media[2].n_candidates, 0);
    assert_int_equal(okno_sdp_media_direction(o, &o->media[2]), OKNO_SDP_DIR_SENDONLY);
}

static void test_bad_slots_are_refused_with_the_slot_named(void **state)
{
    struct fixture *f = *state;
    int rc;
#define REFUSE(stmt, why)                                                                          \
    do {                                                                                           \
        struct okno_sub_slot saved[2] = {f->slots[0], f->slots[1]};                                \
        stmt;                                                                                      \
        rc = okno_sub_offer_build(f->slots, 2, &f->local, f->offer, sizeof f->offer, f->reason,    \
                                  sizeof f->reason);                                               \
        assert_int_equal(rc, OKNO_E_INVAL);                                                        \
        assert_string_equal(f->reason, why);                                                       \
        f->slots[0] = saved[0];                                                                    \
        f->slots[1] = saved[1];                                                                    \
    } while (0)
    REFUSE(f->slots[1].mid = "0", "slot 2: duplicate mid");
    REFUSE(f->slots[0].mid = "", "slot 1: no mid");
    REFUSE(f->slots[1].track.ext_ids[OKNO_EXT_TOFFSET] = 15, "slot 2: extension id out of 1..14");
    REFUSE(f->slots[1].track.ext_ids[OKNO_EXT_TOFFSET] = 1, "slot 2: extension id used twice");
    REFUSE(f->slots[0].track.cname = NULL,
           "slot 1: track without participant, track id, cname or SSRC");
    REFUSE(f->slots[1].track.codec.name[0] = '\0', "slot 2: no codec");
    REFUSE(f->slots[1].track.rtx_pt = 96, "slot 2: bad RTX or RED payload type");
#undef REFUSE
    rc = okno_sub_offer_build(f->slots, 0, &f->local, f->offer, sizeof f->offer, f->reason,
                              sizeof f->reason);
    assert_int_equal(rc, OKNO_E_INVAL);
    rc = okno_sub_offer_build(f->slots, 2, &f->local, f->offer, 100, f->reason, sizeof f->reason);
    assert_int_equal(rc, OKNO_E_NOSPC);
}

static void check_file(struct fixture *f, const char *path, int want)
{
    size_t len;
    char *answer = okno_test_read_file(path, &len);
    int rc =
        okno_sub_offer_check_answer(f->slots, 2, answer, len, &f->ans, f->reason, sizeof f->reason);
    free(answer);
    if (rc != want)
        fail_msg("%s: %d, %s", path, rc, f->reason);
}

static void test_chromium_answer_accepts_both_tracks_with_red_rtx_and_feedback(void **state)
{
    struct fixture *f = *state;
    check_file(f, "fixtures/sdp/chromium-sub-answer.sdp", 0);
    assert_int_equal(f->ans.n_media, 2);
    const struct okno_sub_answer_media *a = &f->ans.media[0], *v = &f->ans.media[1];
    assert_true(a->accepted);
    assert_true(a->red);
    assert_false(a->rtx);
    assert_int_equal(a->dir, OKNO_SDP_DIR_RECVONLY);
    assert_int_equal(a->fb, OKNO_FB_TRANSPORT_CC);
    assert_int_equal(a->ext_ids[OKNO_EXT_AUDIO_LEVEL], 4);
    assert_int_equal(a->ext_ids[OKNO_EXT_MID], 1);
    assert_int_equal(a->ext_ids[OKNO_EXT_TOFFSET], 0); /* not offered on audio */
    assert_true(v->accepted);
    assert_true(v->rtx);
    assert_int_equal(v->fb, f->slots[1].track.fb);
    assert_int_equal(v->ext_ids[OKNO_EXT_TOFFSET], 5);
    assert_int_equal(v->ext_ids[OKNO_EXT_TWCC], 3);
    assert_int_equal(f->ans.remote.role, OKNO_DTLS_SERVER); /* Chromium answers active */
    assert_string_equal(f->ans.remote.ice_ufrag, "nyhG");
    assert_int_equal(f->ans.remote.fingerprint.alg, OKNO_FP_SHA256);
    assert_int_equal(f->ans.remote.fingerprint.bytes[0], 0xbc);
    assert_int_equal(f->ans.remote.n_candidates, 0);
}

static void test_firefox_answer_accepts_both_tracks(void **state)
{
    struct fixture *f = *state;
    check_file(f, "fixtures/sdp/firefox-sub-answer.sdp", 0);
    assert_true(f->ans.media[0].accepted);
    assert_true(f->ans.media[1].accepted);
    assert_true(f->ans.media[1].rtx);
    assert_true(f->ans.media[1].fb & OKNO_FB_NACK_PLI);
    assert_int_equal(f->ans.media[1].ext_ids[OKNO_EXT_MID], 1);
    assert_int_equal(f->ans.remote.role, OKNO_DTLS_SERVER);
}

/* Checks an edited Chromium answer and returns the result. */
static int check_edited(struct fixture *f, const char *from, const char *to)
{
    char *text = okno_test_read_file("fixtures/sdp/chromium-sub-answer.sdp", NULL);
    char *hit = strstr(text, from);
    assert_non_null(hit);
    size_t nf = strlen(from), nt = strlen(to), len = strlen(text);
    char *edited = malloc(len - nf + nt + 1);
    assert_non_null(edited);
    memcpy(edited, text, (size_t)(hit - text));
    memcpy(edited + (hit - text), to, nt);
    strcpy(edited + (hit - text) + nt, hit + nf);
    free(text);
    int rc = okno_sub_offer_check_answer(f->slots, 2, edited, strlen(edited), &f->ans, f->reason,
                                         sizeof f->reason);
    free(edited);
    return rc;
}

static void test_rejected_section_is_not_an_error(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(check_edited(f, "m=video 9 ", "m=video 0 "), 0);
    assert_true(f->ans.media[0].accepted);
    assert_false(f->ans.media[1].accepted);
}

static void test_answers_breaking_the_offer_are_refused(void **state)
{
    struct fixture *f = *state;
    struct {
        const char *from, *to, *reason;
    } cases[] = {
        {"a=mid:1", "a=mid:7", "m-line 2: not the offered mid"},
        {"m=video", "m=audio", "m-line 2: not the offered kind"},
        {"a=group:BUNDLE 0 1", "a=group:BUNDLE 0", "m-line 2: accepted outside BUNDLE"},
        {"a=recvonly", "a=sendrecv", "m-line 1: answers a direction okno did not offer"},
        {"a=setup:active", "a=setup:actpass", "a=setup must be active or passive"},
        {"a=fingerprint:sha-256", "a=x-fingerprint:sha-256", "no fingerprint"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = check_edited(f, cases[i].from, cases[i].to);
        if (rc != OKNO_E_UNSUPPORTED || strcmp(f->reason, cases[i].reason) != 0)
            fail_msg("case %zu: %d \"%s\"", i, rc, f->reason);
    }
    /* as if okno had offered Opus as 110: the answer keeps none of okno's codecs */
    f->slots[0].track.codec.pt = 110;
    assert_int_equal(check_edited(f, "a=mid:0", "a=mid:0"), OKNO_E_UNSUPPORTED);
    assert_string_equal(f->reason, "m-line 1: none of the offered codecs");
    f->slots[0].track.codec.pt = 111;
    char *text = okno_test_read_file("fixtures/sdp/chromium-sub-answer.sdp", NULL);
    int rc = okno_sub_offer_check_answer(f->slots, 1, text, strlen(text), &f->ans, f->reason,
                                         sizeof f->reason);
    assert_int_equal(rc, OKNO_E_UNSUPPORTED);
    assert_string_equal(f->reason, "the answer has 2 m-lines, the offer 1");
    rc = okno_sub_offer_check_answer(f->slots, 2, "v=1\r\n", 5, &f->ans, f->reason,
                                     sizeof f->reason);
    assert_int_equal(rc, OKNO_E_MALFORMED);
    assert_true(strncmp(f->reason, "line 1: ", 8) == 0);
    free(text);
}

static void test_passive_answer_makes_okno_the_dtls_client(void **state)
{
    struct fixture *f = *state;
    /* the BUNDLE tag's a=setup is the one that counts */
    assert_int_equal(check_edited(f, "a=setup:active\r\na=mid:0", "a=setup:passive\r\na=mid:0"), 0);
    assert_int_equal(f->ans.remote.role, OKNO_DTLS_CLIENT);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_offer_for_two_tracks_names_the_participant_and_sends_only),
        T(test_holes_keep_their_place_inactive_in_bundle_or_closed_outside),
        T(test_bad_slots_are_refused_with_the_slot_named),
        T(test_chromium_answer_accepts_both_tracks_with_red_rtx_and_feedback),
        T(test_firefox_answer_accepts_both_tracks),
        T(test_rejected_section_is_not_an_error),
        T(test_answers_breaking_the_offer_are_refused),
        T(test_passive_answer_makes_okno_the_dtls_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
