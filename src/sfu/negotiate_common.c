/* The parts of SDP negotiation that both directions share: which header extensions and RTCP
 * feedback okno understands, how the remote transport (ICE, DTLS fingerprint and role, candidates)
 * is read out of a BUNDLE description, and how okno's own transport is written into a section.
 *
 * It makes no decision about codecs or sections; negotiate.c and sub_offer.c do. The fingerprint
 * rule is here because it is a security rule and must be the same both ways: SHA-1 and MD5 are
 * refused, the strongest SHA-2 digest offered is the one the certificate is checked against. */
#include "sfu/negotiate_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "okno/err.h"

static const char *const ext_uris[OKNO_EXT_COUNT] = {
    [OKNO_EXT_MID] = "urn:ietf:params:rtp-hdrext:sdes:mid",
    [OKNO_EXT_RID] = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    [OKNO_EXT_RRID] = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    [OKNO_EXT_ABS_SEND_TIME] = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    [OKNO_EXT_TWCC] = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    [OKNO_EXT_AUDIO_LEVEL] = "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    [OKNO_EXT_TOFFSET] = "urn:ietf:params:rtp-hdrext:toffset",
};

const char *okno_negotiate_ext_uri(enum okno_ext ext)
{
    return (unsigned)ext < OKNO_EXT_COUNT ? ext_uris[ext] : NULL;
}

int okno__neg_ext_from_uri(struct okno_sdp_str uri)
{
    for (int i = 0; i < OKNO_EXT_COUNT; i++)
        if (okno_sdp_str_eq(uri, ext_uris[i]))
            return i;
    return -1;
}

static uint32_t fb_flag(const struct okno_sdp_rtcp_fb *fb)
{
    if (okno_sdp_str_eqi(fb->type, "nack"))
        return !fb->subtype.p                         ? OKNO_FB_NACK
               : okno_sdp_str_eqi(fb->subtype, "pli") ? OKNO_FB_NACK_PLI
                                                      : 0;
    if (okno_sdp_str_eqi(fb->type, "ccm"))
        return okno_sdp_str_eqi(fb->subtype, "fir") ? OKNO_FB_CCM_FIR : 0;
    if (fb->subtype.p)
        return 0;
    if (okno_sdp_str_eqi(fb->type, "transport-cc"))
        return OKNO_FB_TRANSPORT_CC;
    if (okno_sdp_str_eqi(fb->type, "goog-remb"))
        return OKNO_FB_GOOG_REMB;
    return 0;
}

bool okno__neg_fb_supported(const struct okno_sdp_rtcp_fb *fb)
{
    return fb_flag(fb) != 0;
}

uint32_t okno__neg_fb_flags(const struct okno_sdp_media *m, int pt)
{
    uint32_t flags = 0;
    for (unsigned i = 0; i < m->n_rtcp_fbs && i < OKNO_SDP_MAX_RTCP_FB; i++)
        if (m->rtcp_fbs[i].pt == pt || m->rtcp_fbs[i].pt == -1)
            flags |= fb_flag(&m->rtcp_fbs[i]);
    return flags;
}

int okno__neg_copy(char *dst, size_t cap, struct okno_sdp_str s)
{
    if (cap == 0)
        return OKNO_E_RANGE;
    dst[0] = '\0';
    if (!s.p)
        return 0;
    if (s.len >= cap)
        return OKNO_E_RANGE;
    memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
    return 0;
}

void okno__neg_reason(char *reason, size_t cap, const char *fmt, ...)
{
    if (!reason || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, cap, fmt, ap);
    va_end(ap);
}

const struct okno_sdp_group *okno__neg_bundle(const struct okno_sdp *sdp)
{
    for (unsigned i = 0; i < sdp->n_groups && i < OKNO_SDP_MAX_GROUPS; i++)
        if (okno_sdp_str_eqi(sdp->groups[i].semantics, "BUNDLE"))
            return &sdp->groups[i];
    return NULL;
}

bool okno__neg_in_group(const struct okno_sdp_group *g, struct okno_sdp_str mid)
{
    if (!g || !mid.p)
        return false;
    for (unsigned i = 0; i < g->n_mids && i < OKNO_SDP_MAX_MEDIA; i++)
        if (g->mids[i].len == mid.len && memcmp(g->mids[i].p, mid.p, mid.len) == 0)
            return true;
    return false;
}

/* ---- the remote transport ----------------------------------------------------------------------
 */

struct fp_alg {
    const char *name;
    enum okno_fp_alg alg;
    uint8_t len;
    int strength;
};

static const struct fp_alg fp_algs[] = {
    {"sha-1", OKNO_FP_SHA1, 20, 0},
    {"sha-256", OKNO_FP_SHA256, 32, 1},
    {"sha-384", OKNO_FP_SHA384, 48, 2},
    {"sha-512", OKNO_FP_SHA512, 64, 3},
};

static const struct fp_alg *fp_alg_by_name(struct okno_sdp_str name)
{
    for (size_t i = 0; i < sizeof fp_algs / sizeof fp_algs[0]; i++)
        if (okno_sdp_str_eqi(name, fp_algs[i].name))
            return &fp_algs[i];
    return NULL;
}

/* The strongest sha-2 fingerprint of a level's list, or NULL; *seen says whether any was there. */
static const struct okno_sdp_fingerprint *best_fp(const struct okno_sdp_common *l, int *best,
                                                  bool *seen)
{
    const struct okno_sdp_fingerprint *pick = NULL;
    for (unsigned i = 0; i < l->n_fingerprints && i < OKNO_SDP_MAX_FINGERPRINTS; i++) {
        const struct fp_alg *a = fp_alg_by_name(l->fingerprints[i].hash);
        *seen = true;
        if (a && a->strength > 0 && a->len == l->fingerprints[i].len && a->strength > *best) {
            *best = a->strength;
            pick = &l->fingerprints[i];
        }
    }
    return pick;
}

static bool ice_chars(struct okno_sdp_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return false;
    }
    return true;
}

static int remote_ice(const struct okno_sdp *sdp, const struct okno_sdp_media *tag,
                      struct okno_neg_remote *out, char *reason, size_t cap)
{
    struct okno_sdp_str ufrag = okno_sdp_media_ice_ufrag(sdp, tag);
    struct okno_sdp_str pwd = okno_sdp_media_ice_pwd(sdp, tag);
    if (!ufrag.p || !pwd.p) {
        okno__neg_reason(reason, cap, "no ICE credentials (a=ice-ufrag, a=ice-pwd)");
        return OKNO_E_UNSUPPORTED;
    }
    if (ufrag.len < 4 || ufrag.len > 256 || !ice_chars(ufrag)) {
        okno__neg_reason(reason, cap, "a=ice-ufrag must be 4 to 256 ice-chars");
        return OKNO_E_UNSUPPORTED;
    }
    if (pwd.len < 22 || pwd.len > 256 || !ice_chars(pwd)) {
        okno__neg_reason(reason, cap, "a=ice-pwd must be 22 to 256 ice-chars");
        return OKNO_E_UNSUPPORTED;
    }
    okno__neg_copy(out->ice_ufrag, sizeof out->ice_ufrag, ufrag);
    okno__neg_copy(out->ice_pwd, sizeof out->ice_pwd, pwd);
    return 0;
}

static int remote_fingerprint(const struct okno_sdp *sdp, const struct okno_sdp_media *tag,
                              struct okno_neg_remote *out, char *reason, size_t cap)
{
    int best = 0;
    bool seen = false;
    /* A section's fingerprints replace the session's (RFC 8122 5), they do not add to them. */
    const struct okno_sdp_fingerprint *fp = tag->common.n_fingerprints
                                                ? best_fp(&tag->common, &best, &seen)
                                                : best_fp(&sdp->common, &best, &seen);
    if (!seen) {
        okno__neg_reason(reason, cap, "no fingerprint");
        return OKNO_E_UNSUPPORTED;
    }
    if (!fp) {
        okno__neg_reason(reason, cap, "no usable fingerprint (sha-256 at least)");
        return OKNO_E_UNSUPPORTED;
    }
    const struct fp_alg *a = fp_alg_by_name(fp->hash);
    out->fingerprint.alg = a->alg;
    out->fingerprint.len = fp->len;
    memcpy(out->fingerprint.bytes, fp->digest, fp->len);
    return 0;
}

static int remote_role(const struct okno_sdp *sdp, const struct okno_sdp_media *tag, bool is_offer,
                       struct okno_neg_remote *out, char *reason, size_t cap)
{
    switch (okno_sdp_media_setup(sdp, tag)) {
    case OKNO_SDP_SETUP_ACTPASS:
        if (!is_offer)
            break;
        /* okno takes the server role: it never has to reach a client behind a NAT first. */
        out->role = OKNO_DTLS_SERVER;
        return 0;
    case OKNO_SDP_SETUP_ACTIVE:
        out->role = OKNO_DTLS_SERVER;
        return 0;
    case OKNO_SDP_SETUP_PASSIVE:
        out->role = OKNO_DTLS_CLIENT;
        return 0;
    case OKNO_SDP_SETUP_NONE:
        okno__neg_reason(reason, cap, "no a=setup");
        return OKNO_E_UNSUPPORTED;
    case OKNO_SDP_SETUP_HOLDCONN:
        break;
    }
    okno__neg_reason(reason, cap, "a=setup must be %s",
                     is_offer ? "actpass, active or passive" : "active or passive");
    return OKNO_E_UNSUPPORTED;
}

int okno__neg_remote(const struct okno_sdp *sdp, const struct okno_sdp_media *tag, bool is_offer,
                     struct okno_neg_remote *out, char *reason, size_t cap)
{
    memset(out, 0, sizeof *out);
    int rc = remote_fingerprint(sdp, tag, out, reason, cap);
    if (rc == 0)
        rc = remote_ice(sdp, tag, out, reason, cap);
    if (rc == 0)
        rc = remote_role(sdp, tag, is_offer, out, reason, cap);
    if (rc)
        return rc;
    for (unsigned i = 0; i < tag->n_candidates && i < OKNO_SDP_MAX_CANDIDATES; i++) {
        const struct okno_sdp_candidate *c = &tag->candidates[i];
        if (c->component != 1) /* RTCP candidates of a client that also allows no mux */
            continue;
        rc = okno_sdp_candidate_write(c, out->candidates[out->n_candidates],
                                      sizeof out->candidates[0]);
        if (rc < 0) {
            okno__neg_reason(reason, cap, "candidate %u does not fit", i + 1);
            return OKNO_E_RANGE;
        }
        out->n_candidates++;
    }
    out->end_of_candidates = tag->common.end_of_candidates || sdp->common.end_of_candidates;
    return 0;
}

/* ---- okno's transport ---------------------------------------------------------------------------
 */

int okno__neg_local(struct okno_sdp_media *m, const struct okno_neg_local *local,
                    enum okno_sdp_setup setup, bool with_candidates, char *reason, size_t cap)
{
    struct okno_sdp_common *l = &m->common;
    if (!local->ice_ufrag || !local->ice_pwd || (local->n_candidates && !local->candidates)) {
        okno__neg_reason(reason, cap, "okno's ICE parameters are missing");
        return OKNO_E_INVAL;
    }
    const struct fp_alg *a = NULL;
    for (size_t i = 0; i < sizeof fp_algs / sizeof fp_algs[0]; i++)
        if (fp_algs[i].alg == local->fingerprint.alg)
            a = &fp_algs[i];
    if (!a || local->fingerprint.len != a->len) {
        okno__neg_reason(reason, cap, "okno's fingerprint is not a SHA digest");
        return OKNO_E_INVAL;
    }
    l->ice_ufrag = okno_sdp_str(local->ice_ufrag);
    l->ice_pwd = okno_sdp_str(local->ice_pwd);
    l->ice_options = okno_sdp_str("trickle");
    l->fingerprints[0].hash = okno_sdp_str(a->name);
    l->fingerprints[0].len = a->len;
    memcpy(l->fingerprints[0].digest, local->fingerprint.bytes, a->len);
    l->n_fingerprints = 1;
    l->setup = setup;
    if (!with_candidates)
        return 0;
    for (size_t i = 0; i < local->n_candidates; i++) {
        const char *s = local->candidates[i];
        struct okno_sdp_candidate c;
        if (!s || okno_sdp_candidate_parse(&c, s, strlen(s)) != 0) {
            okno__neg_reason(reason, cap, "okno's candidate %zu does not parse", i + 1);
            return OKNO_E_INVAL;
        }
        if (okno_sdp_candidate_add(m, &c) != 0) {
            okno__neg_reason(reason, cap, "okno has more than %d candidates",
                             OKNO_SDP_MAX_CANDIDATES);
            return OKNO_E_RANGE;
        }
    }
    l->end_of_candidates = local->candidates_done;
    return 0;
}

void okno__neg_null_conn(struct okno_sdp_media *m)
{
    m->common.conn.nettype = okno_sdp_str("IN");
    m->common.conn.addrtype = okno_sdp_str("IP4");
    m->common.conn.address = okno_sdp_str("0.0.0.0");
}
