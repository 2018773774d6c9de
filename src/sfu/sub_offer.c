/* The subscriber side of negotiation: okno's offer built from a list of slots, and the check of the
 * client's answer against the same slots. The offer carries okno's payload types (the publisher's,
 * so RTP is forwarded without rewriting them), its extension ids and SSRCs, and a=msid naming the
 * publishing participant, which is how the client's MediaStream.id says whose track it is.
 *
 * Slots are validated here because a bad slot is a bug in the SFU, not in the client: the caller
 * gets OKNO_E_INVAL and a reason naming the slot. Not here: choosing ids (the caller keeps them
 * stable per session) or remembering what was offered (the caller passes the same slots again). */
#include "sfu/sub_offer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/negotiate_internal.h"

static const char *kind_name(enum okno_media_kind k)
{
    return k == OKNO_MEDIA_AUDIO ? "audio" : "video";
}

static int check_slot(const struct okno_sub_slot *slots, size_t i, char *reason, size_t cap)
{
    const struct okno_sub_slot *s = &slots[i];
    const struct okno_sub_track *t = &s->track;
    const char *why = NULL;
    if (!s->mid || !s->mid[0] || strpbrk(s->mid, " \t\r\n"))
        why = "no mid";
    for (size_t k = 0; !why && k < i; k++)
        if (strcmp(slots[k].mid, s->mid) == 0)
            why = "duplicate mid";
    if (!why && s->state > OKNO_SUB_SLOT_CLOSED)
        why = "unknown state";
    if (!why && t->kind != OKNO_MEDIA_AUDIO && t->kind != OKNO_MEDIA_VIDEO)
        why = "unknown kind";
    if (!why && s->state != OKNO_SUB_SLOT_CLOSED) {
        if (!t->codec.name[0] || memchr(t->codec.name, '\0', sizeof t->codec.name) == NULL ||
            memchr(t->codec.fmtp, '\0', sizeof t->codec.fmtp) == NULL || t->codec.pt > 127)
            why = "no codec";
        else if (t->rtx_pt > 127 || t->red_pt > 127 || t->rtx_pt == t->codec.pt ||
                 t->red_pt == t->codec.pt || (t->rtx_pt >= 0 && t->rtx_pt == t->red_pt))
            why = "bad RTX or RED payload type";
        for (int e = 0; !why && e < OKNO_EXT_COUNT; e++) {
            if (t->ext_ids[e] > 14)
                why = "extension id out of 1..14";
            for (int k = 0; !why && k < e; k++)
                if (t->ext_ids[e] && t->ext_ids[k] == t->ext_ids[e])
                    why = "extension id used twice";
        }
    }
    if (!why && s->state == OKNO_SUB_SLOT_TRACK &&
        (!t->participant || !t->track || !t->cname || !t->participant[0] || !t->track[0] ||
         strlen(t->participant) > 255 || strlen(t->track) > 255 || t->ssrc == 0))
        why = "track without participant, track id, cname or SSRC";
    if (!why)
        return 0;
    okno__neg_reason(reason, cap, "slot %zu: %s", i + 1, why);
    return OKNO_E_INVAL;
}

static int add_codecs(struct okno_sdp_media *m, const struct okno_sub_track *t,
                      struct okno__sub_slot_text *txt)
{
    struct okno_sdp_codec c = {
        .pt = t->codec.pt,
        .channels = t->codec.channels,
        .clock = t->codec.clock,
        .name = okno_sdp_str(t->codec.name),
        .fmtp = t->codec.fmtp[0] ? okno_sdp_str(t->codec.fmtp) : (struct okno_sdp_str){NULL, 0},
    };
    int rc = okno_sdp_codec_add(m, &c);
    static const struct {
        uint32_t flag;
        const char *type, *sub;
    } fbs[] = {
        {OKNO_FB_GOOG_REMB, "goog-remb", NULL}, {OKNO_FB_TRANSPORT_CC, "transport-cc", NULL},
        {OKNO_FB_CCM_FIR, "ccm", "fir"},        {OKNO_FB_NACK, "nack", NULL},
        {OKNO_FB_NACK_PLI, "nack", "pli"},
    };
    for (size_t i = 0; rc >= 0 && i < sizeof fbs / sizeof fbs[0]; i++)
        if (t->fb & fbs[i].flag)
            rc = okno_sdp_rtcp_fb_add(m, t->codec.pt, fbs[i].type, fbs[i].sub);
    if (rc >= 0 && t->red_pt >= 0) {
        snprintf(txt->red_fmtp, sizeof txt->red_fmtp, "%u/%u", t->codec.pt, t->codec.pt);
        struct okno_sdp_codec red = {.pt = (uint8_t)t->red_pt,
                                     .channels = t->codec.channels,
                                     .clock = t->codec.clock,
                                     .name = okno_sdp_str("red"),
                                     .fmtp = okno_sdp_str(txt->red_fmtp)};
        rc = okno_sdp_codec_add(m, &red);
    }
    if (rc >= 0 && t->rtx_pt >= 0) {
        snprintf(txt->rtx_fmtp, sizeof txt->rtx_fmtp, "apt=%u", t->codec.pt);
        struct okno_sdp_codec rtx = {.pt = (uint8_t)t->rtx_pt,
                                     .clock = t->codec.clock,
                                     .name = okno_sdp_str("rtx"),
                                     .fmtp = okno_sdp_str(txt->rtx_fmtp)};
        rc = okno_sdp_codec_add(m, &rtx);
    }
    for (int e = 0; rc >= 0 && e < OKNO_EXT_COUNT; e++) {
        if (!t->ext_ids[e])
            continue;
        struct okno_sdp_extmap x = {.id = t->ext_ids[e],
                                    .uri = okno_sdp_str(okno_negotiate_ext_uri((enum okno_ext)e))};
        rc = okno_sdp_extmap_add(m, &x);
    }
    return rc < 0 ? rc : 0;
}

static int add_sources(struct okno_sdp_media *m, const struct okno_sub_track *t,
                       struct okno__sub_slot_text *txt)
{
    m->msids[0].stream = okno_sdp_str(t->participant);
    m->msids[0].track = okno_sdp_str(t->track);
    m->n_msids = 1;
    snprintf(txt->msid, sizeof txt->msid, "%s %s", t->participant, t->track);
    if (t->rtx_ssrc && t->rtx_pt >= 0) {
        struct okno_sdp_ssrc_group *g = &m->ssrc_groups[m->n_ssrc_groups++];
        g->semantics = okno_sdp_str("FID");
        g->ssrcs[0] = t->ssrc;
        g->ssrcs[1] = t->rtx_ssrc;
        g->n_ssrcs = 2;
    }
    uint32_t ids[2] = {t->ssrc, t->rtx_ssrc && t->rtx_pt >= 0 ? t->rtx_ssrc : 0};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0 && ids[i]; i++) {
        rc = okno_sdp_ssrc_add(m, ids[i], "cname", t->cname);
        if (rc == 0)
            rc = okno_sdp_ssrc_add(m, ids[i], "msid", txt->msid);
    }
    return rc;
}

static int build(const struct okno_sub_slot *slots, size_t n, const struct okno_neg_local *local,
                 struct okno__sub_offer_ws *s, char *reason, size_t cap)
{
    struct okno_sdp *sdp = &s->sdp;
    okno_sdp_init(sdp);
    sdp->sess_id = local->sess_id;
    sdp->sess_version = local->sess_version;
    sdp->msid_semantic = okno_sdp_str("WMS");
    /* "*": every stream id of the a=msid lines; with a bare "WMS" aiortc and older browsers
     * ignore the msid stream ids and make up their own streams. */
    sdp->msid_semantic_ids = okno_sdp_str("*");
    struct okno_sdp_group *bundle = &sdp->groups[0];
    bundle->semantics = okno_sdp_str("BUNDLE");
    for (size_t i = 0; i < n; i++) {
        const struct okno_sub_slot *slot = &slots[i];
        const struct okno_sub_track *t = &slot->track;
        int mi = okno_sdp_media_add(sdp, kind_name(t->kind), "UDP/TLS/RTP/SAVPF");
        if (mi < 0)
            return mi;
        struct okno_sdp_media *m = &sdp->media[mi];
        m->mid = okno_sdp_str(slot->mid);
        okno__neg_null_conn(m);
        if (slot->state == OKNO_SUB_SLOT_CLOSED) {
            m->port = 0;
            m->common.direction = OKNO_SDP_DIR_INACTIVE;
            m->fmt = okno_sdp_str("0");
            if (t->codec.name[0] && memchr(t->codec.name, '\0', sizeof t->codec.name))
                okno_sdp_codec_add(m,
                                   &(struct okno_sdp_codec){.pt = t->codec.pt,
                                                            .channels = t->codec.channels,
                                                            .clock = t->codec.clock,
                                                            .name = okno_sdp_str(t->codec.name)});
            continue;
        }
        int rc =
            okno__neg_local(m, local, OKNO_SDP_SETUP_ACTPASS, bundle->n_mids == 0, reason, cap);
        if (rc)
            return rc;
        bundle->mids[bundle->n_mids++] = m->mid;
        m->rtcp_mux = m->rtcp_rsize = true;
        m->common.direction =
            slot->state == OKNO_SUB_SLOT_TRACK ? OKNO_SDP_DIR_SENDONLY : OKNO_SDP_DIR_INACTIVE;
        rc = add_codecs(m, t, &s->text[i]);
        if (rc == 0 && slot->state == OKNO_SUB_SLOT_TRACK)
            rc = add_sources(m, t, &s->text[i]);
        if (rc) {
            okno__neg_reason(reason, cap, "slot %zu: cannot be described (error %d)", i + 1, rc);
            return OKNO_E_INVAL;
        }
    }
    sdp->n_groups = bundle->n_mids ? 1 : 0;
    return 0;
}

int okno__sub_offer_build_in(struct okno__sub_offer_ws *ws, const struct okno_sub_slot *slots,
                             size_t n, const struct okno_neg_local *local, char *offer, size_t cap,
                             char *reason, size_t reason_cap)
{
    okno__neg_reason(reason, reason_cap, "%s", "");
    if (!slots || !local || !offer || n == 0) {
        okno__neg_reason(reason, reason_cap, "missing argument");
        return OKNO_E_INVAL;
    }
    if (n > OKNO_NEG_MAX_MEDIA) {
        okno__neg_reason(reason, reason_cap, "more than %d slots", OKNO_NEG_MAX_MEDIA);
        return OKNO_E_RANGE;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = check_slot(slots, i, reason, reason_cap);
        if (rc)
            return rc;
    }
    int rc = build(slots, n, local, ws, reason, reason_cap);
    if (rc)
        return rc;
    rc = okno_sdp_write(&ws->sdp, offer, cap);
    if (rc < 0)
        okno__neg_reason(reason, reason_cap, "%s",
                         rc == OKNO_E_NOSPC ? "the offer does not fit its buffer"
                                            : "the offer cannot be written");
    return rc;
}

int okno_sub_offer_build(const struct okno_sub_slot *slots, size_t n,
                         const struct okno_neg_local *local, char *offer, size_t cap, char *reason,
                         size_t reason_cap)
{
    struct okno__sub_offer_ws *ws = malloc(sizeof *ws);
    if (!ws) {
        okno__neg_reason(reason, reason_cap, "out of memory");
        return OKNO_E_NOMEM;
    }
    int rc = okno__sub_offer_build_in(ws, slots, n, local, offer, cap, reason, reason_cap);
    free(ws);
    return rc;
}

/* ---- the client's answer -----------------------------------------------------------------------
 */

static bool has_pt(const struct okno_sdp_media *m, int pt)
{
    return pt >= 0 && okno_sdp_codec_by_pt(m, pt) >= 0;
}

/* Checks one section of the answer against its slot. Returns 0 or OKNO_E_UNSUPPORTED. */
static int check_media(const struct okno_sdp *sdp, const struct okno_sdp_group *bundle,
                       const struct okno_sub_slot *slot, unsigned i,
                       struct okno_sub_answer_media *out, char *reason, size_t cap)
{
    const struct okno_sdp_media *m = &sdp->media[i];
    const struct okno_sub_track *t = &slot->track;
    const char *why = NULL;
    if (!okno_sdp_str_eq(m->media, kind_name(t->kind)))
        why = "not the offered kind";
    else if (m->mid.p && !okno_sdp_str_eq(m->mid, slot->mid))
        why = "not the offered mid";
    else if (m->port != 0 && slot->state == OKNO_SUB_SLOT_CLOSED)
        why = "accepts a section okno closed";
    if (why || m->port == 0 || slot->state == OKNO_SUB_SLOT_CLOSED)
        goto done;
    out->accepted = true;
    out->dir = okno_sdp_media_direction(sdp, m);
    if (!okno__neg_in_group(bundle, okno_sdp_str(slot->mid)))
        why = "accepted outside BUNDLE";
    else if (!m->rtcp_mux)
        why = "no a=rtcp-mux";
    else if (out->dir != OKNO_SDP_DIR_INACTIVE &&
             (out->dir != OKNO_SDP_DIR_RECVONLY || slot->state != OKNO_SUB_SLOT_TRACK))
        why = "answers a direction okno did not offer";
    else if (!has_pt(m, t->codec.pt))
        why = "none of the offered codecs";
    if (why)
        goto done;
    out->rtx = has_pt(m, t->rtx_pt);
    out->red = has_pt(m, t->red_pt);
    out->fb = okno__neg_fb_flags(m, t->codec.pt) & t->fb;
    const struct okno_sdp_common *levels[2] = {&m->common, &sdp->common};
    for (int lv = 0; lv < 2; lv++) {
        for (unsigned k = 0; k < levels[lv]->n_extmaps && k < OKNO_SDP_MAX_EXTMAPS; k++) {
            const struct okno_sdp_extmap *x = &levels[lv]->extmaps[k];
            int e = okno__neg_ext_from_uri(x->uri);
            if (e >= 0 && t->ext_ids[e] && !out->ext_ids[e] && x->id <= 14 &&
                x->dir != OKNO_SDP_DIR_SENDONLY && x->dir != OKNO_SDP_DIR_INACTIVE)
                out->ext_ids[e] = (uint8_t)x->id;
        }
    }
done:
    if (!why)
        return 0;
    okno__neg_reason(reason, cap, "m-line %u: %s", i + 1, why);
    return OKNO_E_UNSUPPORTED;
}

static int check(const struct okno_sub_slot *slots, size_t n, const struct okno_sdp *sdp,
                 struct okno_sub_answer *out, char *reason, size_t cap)
{
    if (sdp->n_media != n) {
        okno__neg_reason(reason, cap, "the answer has %u m-lines, the offer %zu", sdp->n_media, n);
        return OKNO_E_UNSUPPORTED;
    }
    const struct okno_sdp_group *bundle = okno__neg_bundle(sdp);
    int tag = -1;
    for (unsigned i = 0; i < n; i++) {
        int rc = check_media(sdp, bundle, &slots[i], i, &out->media[i], reason, cap);
        if (rc)
            return rc;
        if (tag < 0 && out->media[i].accepted)
            tag = (int)i;
    }
    out->n_media = (uint8_t)n;
    if (tag < 0)
        return 0; /* everything rejected: no transport to read */
    return okno__neg_remote(sdp, &sdp->media[tag], false, &out->remote, reason, cap);
}

int okno__sub_offer_check_in(struct okno_sdp *sdp, const struct okno_sub_slot *slots, size_t n,
                             const char *answer, size_t len, struct okno_sub_answer *out,
                             char *reason, size_t reason_cap)
{
    okno__neg_reason(reason, reason_cap, "%s", "");
    if (!slots || !answer || !out || n == 0) {
        okno__neg_reason(reason, reason_cap, "missing argument");
        return OKNO_E_INVAL;
    }
    if (n > OKNO_NEG_MAX_MEDIA) {
        okno__neg_reason(reason, reason_cap, "more than %d slots", OKNO_NEG_MAX_MEDIA);
        return OKNO_E_RANGE;
    }
    memset(out, 0, sizeof *out);
    struct okno_sdp_error perr = {0, NULL};
    int rc = okno_sdp_parse(sdp, answer, len, &perr);
    if (rc) {
        okno__neg_reason(reason, reason_cap, "line %u: %s", perr.line,
                         perr.reason ? perr.reason : "does not parse");
        return rc == OKNO_E_RANGE ? OKNO_E_RANGE : OKNO_E_MALFORMED;
    }
    return check(slots, n, sdp, out, reason, reason_cap);
}

int okno_sub_offer_check_answer(const struct okno_sub_slot *slots, size_t n, const char *answer,
                                size_t len, struct okno_sub_answer *out, char *reason,
                                size_t reason_cap)
{
    struct okno_sdp *sdp = malloc(sizeof *sdp);
    if (!sdp) {
        okno__neg_reason(reason, reason_cap, "out of memory");
        return OKNO_E_NOMEM;
    }
    int rc = okno__sub_offer_check_in(sdp, slots, n, answer, len, out, reason, reason_cap);
    free(sdp);
    return rc;
}
