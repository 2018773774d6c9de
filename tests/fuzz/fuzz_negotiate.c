/* Fuzz target for SDP negotiation (src/sfu/negotiate*.c, sub_offer.c): every input is answered as
 * a publisher offer and checked as a subscriber answer. When okno answers, the answer must parse
 * back and agree with the publication (each track's section taken with its codec, RTX and rids,
 * BUNDLE naming exactly the taken sections, remote candidates that parse), and the publication
 * must make a subscriber offer that parses back with the same payload types. Any disagreement
 * traps. The workspace variants (negotiate_internal.h) keep the half-megabyte models in one
 * allocation made once, so the fuzzer spends its time in the code rather than in page faults. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/negotiate_internal.h"
#include "wire/sdp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static const char *const cands[] = {"candidate:1 1 udp 2122260223 127.0.0.1 9 typ host"};

struct scratch {
    struct okno_publication pub;
    struct okno_sub_answer ans;
    struct okno_sdp sdp;
    struct okno_sdp models[2];
    struct okno__sub_offer_ws ws;
    struct okno_sub_slot slots[OKNO_NEG_MAX_MEDIA];
    char text[OKNO_NEG_SDP_MAX];
    char reason[OKNO_NEG_REASON_LEN];
};

static bool in_bundle(const struct okno_sdp *s, struct okno_sdp_str mid)
{
    for (unsigned i = 0; s->n_groups && i < s->groups[0].n_mids; i++)
        if (s->groups[0].mids[i].len == mid.len &&
            memcmp(s->groups[0].mids[i].p, mid.p, mid.len) == 0)
            return true;
    return false;
}

static void check_answer(struct scratch *x, int len)
{
    CHECK(len > 0 && (size_t)len == strlen(x->text));
    CHECK(okno_sdp_parse(&x->sdp, x->text, (size_t)len, NULL) == 0);
    const struct okno_sdp *a = &x->sdp;
    CHECK(a->n_groups == 1);
    unsigned taken = 0;
    for (unsigned i = 0; i < a->n_media; i++) {
        const struct okno_sdp_media *m = &a->media[i];
        CHECK((m->port != 0) == in_bundle(a, m->mid));
        taken += m->port != 0;
    }
    CHECK(taken == a->groups[0].n_mids && taken > 0);
    for (unsigned i = 0; i < x->pub.n_tracks; i++) {
        const struct okno_pub_track *t = &x->pub.tracks[i];
        CHECK(t->mline < a->n_media);
        const struct okno_sdp_media *m = &a->media[t->mline];
        CHECK(m->port == 9 && m->rtcp_mux && okno_sdp_str_eq(m->mid, t->mid));
        CHECK(okno_sdp_media_direction(a, m) == OKNO_SDP_DIR_RECVONLY);
        CHECK(okno_sdp_codec_by_pt(m, t->codec.pt) >= 0);
        CHECK(m->codecs[0].pt == t->codec.pt || m->codecs[0].pt == t->red_pt);
        CHECK(t->rtx_pt < 0 || okno_sdp_rtx_pt(m, t->codec.pt) == t->rtx_pt);
        CHECK(t->red_pt < 0 || okno_sdp_codec_by_pt(m, t->red_pt) >= 0);
        CHECK(m->n_rids == t->n_rids);
        for (int e = 0; e < OKNO_EXT_COUNT; e++)
            CHECK(!t->ext_ids[e] ||
                  okno_sdp_extmap_find(a, m, okno_negotiate_ext_uri((enum okno_ext)e)) ==
                      t->ext_ids[e]);
    }
    for (unsigned i = 0; i < x->pub.remote.n_candidates; i++) {
        struct okno_sdp_candidate c;
        const char *s = x->pub.remote.candidates[i];
        CHECK(okno_sdp_candidate_parse(&c, s, strlen(s)) == 0);
    }
}

/* The publication's tracks offered back to a subscriber, as the SFU would. */
static void check_sub_offer(struct scratch *x, const struct okno_neg_local *local)
{
    size_t n = x->pub.n_tracks;
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        const struct okno_pub_track *t = &x->pub.tracks[i];
        struct okno_sub_slot *s = &x->slots[i];
        memset(s, 0, sizeof *s);
        s->mid = t->mid;
        s->track = (struct okno_sub_track){.participant = "p",
                                           .track = t->mid,
                                           .kind = t->kind,
                                           .codec = t->codec,
                                           .rtx_pt = t->rtx_pt,
                                           .red_pt = t->red_pt,
                                           .ssrc = 1000 + (uint32_t)i,
                                           .rtx_ssrc = t->rtx_pt >= 0 ? 2000 + (uint32_t)i : 0,
                                           .cname = "c",
                                           .fb = t->fb};
        for (int e = 0; e < OKNO_EXT_COUNT; e++)
            s->track.ext_ids[e] = (uint8_t)(t->ext_ids[e] <= 14 ? t->ext_ids[e] : 0);
    }
    int rc = okno__sub_offer_build_in(&x->ws, x->slots, n, local, x->text, sizeof x->text,
                                      x->reason, sizeof x->reason);
    if (rc == OKNO_E_INVAL) /* duplicate mids or ids the offer got away with */
        return;
    CHECK(rc > 0);
    CHECK(okno_sdp_parse(&x->sdp, x->text, (size_t)rc, NULL) == 0);
    CHECK(x->sdp.n_media == n);
    for (size_t i = 0; i < n; i++) {
        const struct okno_sdp_media *m = &x->sdp.media[i];
        CHECK(m->codecs[0].pt == x->pub.tracks[i].codec.pt);
        CHECK(okno_sdp_media_direction(&x->sdp, m) == OKNO_SDP_DIR_SENDONLY);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct scratch *x;
    if (!x && !(x = malloc(sizeof *x)))
        return 0;
    struct okno_neg_local local = {.ice_ufrag = "fuzz",
                                   .ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz",
                                   .fingerprint = {.alg = OKNO_FP_SHA256, .len = 32},
                                   .candidates = cands,
                                   .n_candidates = 1,
                                   .candidates_done = true};
    const char *in = (const char *)data;
    int rc = okno__negotiate_answer_in(x->models, in, size, &local, &x->pub, x->text,
                                       sizeof x->text, x->reason, sizeof x->reason);
    CHECK(rc != 0);
    if (rc > 0) {
        check_answer(x, rc);
        check_sub_offer(x, &local);
    } else {
        CHECK(x->reason[0] != '\0');
    }

    /* The same bytes as a client's answer to a two-track subscriber offer. */
    struct okno_sub_slot slots[2] = {
        {.mid = "0",
         .track = {.participant = "p",
                   .track = "a",
                   .kind = OKNO_MEDIA_AUDIO,
                   .codec = {.pt = 111, .channels = 2, .clock = 48000, .name = "opus"},
                   .rtx_pt = -1,
                   .red_pt = 63,
                   .ssrc = 1,
                   .cname = "c",
                   .ext_ids = {[OKNO_EXT_MID] = 1, [OKNO_EXT_AUDIO_LEVEL] = 4},
                   .fb = OKNO_FB_TRANSPORT_CC}},
        {.mid = "1",
         .track = {.participant = "p",
                   .track = "v",
                   .kind = OKNO_MEDIA_VIDEO,
                   .codec = {.pt = 96, .clock = 90000, .name = "VP8"},
                   .rtx_pt = 97,
                   .red_pt = -1,
                   .ssrc = 2,
                   .rtx_ssrc = 3,
                   .cname = "c",
                   .ext_ids = {[OKNO_EXT_MID] = 1, [OKNO_EXT_TOFFSET] = 5},
                   .fb = OKNO_FB_NACK | OKNO_FB_NACK_PLI}},
    };
    rc = okno__sub_offer_check_in(&x->models[0], slots, 2, in, size, &x->ans, x->reason,
                                  sizeof x->reason);
    CHECK(rc <= 0);
    if (rc == 0) {
        CHECK(x->ans.n_media == 2);
        for (int i = 0; i < 2; i++) {
            CHECK((x->ans.media[i].fb & ~slots[i].track.fb) == 0);
            for (int e = 0; e < OKNO_EXT_COUNT; e++)
                CHECK(!x->ans.media[i].ext_ids[e] || slots[i].track.ext_ids[e]);
        }
    } else {
        CHECK(x->reason[0] != '\0');
    }
    return 0;
}
