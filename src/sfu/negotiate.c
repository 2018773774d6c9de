/* The publisher side of negotiation: a client's offer becomes okno's answer and the publication the
 * SFU core builds its tracks from. Each m= line is taken (answered recvonly, or inactive when the
 * client sends nothing on it), rejected (port 0, outside BUNDLE) or, when it tries to send audio or
 * video okno cannot forward, the reason the whole offer fails.
 *
 * The answer keeps the offer's payload types and extension ids, so RTP arrives exactly as the
 * client's packetizer made it and the publication describes it as is. Codec choice is first match
 * in the client's preference order; okno never proposes anything the offer did not contain. Not
 * here: transport reading and writing (negotiate_common.c) and anything about subscribers. */
#include "sfu/negotiate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/negotiate_internal.h"

struct answer_ctx {
    const struct okno_sdp *off;
    struct okno_sdp *ans;
    const struct okno_neg_local *local;
    const struct okno_sdp_group *bundle;
    struct okno_publication *pub;
    enum okno_sdp_setup setup; /* ours */
    int first_accepted;        /* index in ans of the BUNDLE tag, -1 until one is taken */
    char *reason;
    size_t reason_cap;
    /* The video fmtp lines with the start rate appended (local->video_start_kbps). */
    char start_fmtp[OKNO_NEG_MAX_MEDIA][OKNO_NEG_FMTP_LEN + 40];
};

/* The Opus codec of an audio section: opus/48000/2, the first in preference order. */
static int pick_opus(const struct okno_sdp_media *m)
{
    for (unsigned i = 0; i < m->n_codecs && i < OKNO_SDP_MAX_CODECS; i++) {
        const struct okno_sdp_codec *c = &m->codecs[i];
        if (okno_sdp_str_eqi(c->name, "opus") && c->clock == 48000 && c->channels == 2)
            return (int)i;
    }
    return OKNO_E_NOTFOUND;
}

/* RED for audio (RFC 2198 as Chromium uses it): red/48000/2 whose fmtp ("111/111") names only the
 * Opus payload type, so a RED packet okno cannot unwrap never arrives. */
static int pick_red(const struct okno_sdp_media *m, uint8_t opus_pt)
{
    for (unsigned i = 0; i < m->n_codecs && i < OKNO_SDP_MAX_CODECS; i++) {
        const struct okno_sdp_codec *c = &m->codecs[i];
        if (!okno_sdp_str_eqi(c->name, "red") || c->clock != 48000 || !c->fmtp.len)
            continue;
        bool only_opus = true;
        unsigned pt = 0, digits = 0;
        for (size_t k = 0; k <= c->fmtp.len && only_opus; k++) {
            char ch = '/'; /* a final separator ends the last number */
            if (k < c->fmtp.len)
                ch = c->fmtp.p[k];
            if (ch >= '0' && ch <= '9' && digits < 3) {
                pt = pt * 10 + (unsigned)(ch - '0');
                digits++;
            } else if (ch == '/' && digits) {
                only_opus = pt == opus_pt;
                pt = digits = 0;
            } else {
                only_opus = false;
            }
        }
        if (only_opus)
            return (int)i;
    }
    return OKNO_E_NOTFOUND;
}

static int pick_vp8(const struct okno_sdp_media *m)
{
    return okno_sdp_codec_find(m, "VP8", 90000);
}

/* The rtx/90000 payload type whose apt is pt, or -1. */
static int pick_rtx(const struct okno_sdp_media *m, uint8_t pt)
{
    int rtx = okno_sdp_rtx_pt(m, pt);
    if (rtx < 0)
        return -1;
    const struct okno_sdp_codec *c = &m->codecs[okno_sdp_codec_by_pt(m, rtx)];
    return c->clock == 90000 ? rtx : -1;
}

static bool sends(enum okno_sdp_direction d)
{
    return d == OKNO_SDP_DIR_SENDRECV || d == OKNO_SDP_DIR_SENDONLY;
}

static bool view_eq(struct okno_sdp_str a, struct okno_sdp_str b)
{
    return !a.p ? !b.p : b.p && a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* True when the answer already has this '*' feedback line (taken with an earlier codec). */
static bool has_wildcard_fb(const struct okno_sdp_media *am, const struct okno_sdp_rtcp_fb *fb)
{
    for (unsigned i = 0; i < am->n_rtcp_fbs && i < OKNO_SDP_MAX_RTCP_FB; i++) {
        const struct okno_sdp_rtcp_fb *a = &am->rtcp_fbs[i];
        if (a->pt == -1 && view_eq(a->type, fb->type) && view_eq(a->subtype, fb->subtype))
            return true;
    }
    return false;
}

/* Copies a codec and its supported feedback from the offer into the answer; '*' lines once. */
static int take_codec(const struct okno_sdp_media *om, struct okno_sdp_media *am, int pt)
{
    int rc = okno_sdp_codec_add(am, &om->codecs[okno_sdp_codec_by_pt(om, pt)]);
    for (unsigned i = 0; rc >= 0 && i < om->n_rtcp_fbs && i < OKNO_SDP_MAX_RTCP_FB; i++) {
        const struct okno_sdp_rtcp_fb *fb = &om->rtcp_fbs[i];
        if ((fb->pt != pt && fb->pt != -1) || !okno__neg_fb_supported(fb))
            continue;
        if (fb->pt == -1 && has_wildcard_fb(am, fb))
            continue;
        if (am->n_rtcp_fbs >= OKNO_SDP_MAX_RTCP_FB)
            return OKNO_E_RANGE;
        am->rtcp_fbs[am->n_rtcp_fbs++] = *fb;
    }
    return rc < 0 ? rc : 0;
}

/* The known header extensions okno can receive, with the offer's ids; session-level ones too. */
static void take_extmaps(const struct okno_sdp *off, const struct okno_sdp_media *om,
                         struct okno_sdp_media *am, uint8_t ext_ids[OKNO_EXT_COUNT])
{
    const struct okno_sdp_common *levels[2] = {&om->common, &off->common};
    for (int lv = 0; lv < 2; lv++) {
        const struct okno_sdp_common *l = levels[lv];
        for (unsigned i = 0; i < l->n_extmaps && i < OKNO_SDP_MAX_EXTMAPS; i++) {
            struct okno_sdp_extmap e = l->extmaps[i];
            int ext = okno__neg_ext_from_uri(e.uri);
            if (ext < 0 || e.id > 14 || e.dir == OKNO_SDP_DIR_RECVONLY ||
                e.dir == OKNO_SDP_DIR_INACTIVE)
                continue;
            e.dir = e.dir == OKNO_SDP_DIR_SENDONLY ? OKNO_SDP_DIR_RECVONLY : OKNO_SDP_DIR_NONE;
            e.attrs = (struct okno_sdp_str){NULL, 0};
            if (okno_sdp_extmap_add(am, &e) == 0)
                ext_ids[ext] = (uint8_t)e.id;
        }
    }
}

static const struct okno_sdp_rid *find_send_rid(const struct okno_sdp_media *om,
                                                struct okno_sdp_str id)
{
    for (unsigned i = 0; i < om->n_rids && i < OKNO_SDP_MAX_RIDS; i++)
        if (om->rids[i].dir == OKNO_SDP_RID_SEND && om->rids[i].id.len == id.len &&
            memcmp(om->rids[i].id.p, id.p, id.len) == 0)
            return &om->rids[i];
    return NULL;
}

/* a=simulcast:send with its a=rid send lines becomes a=simulcast:recv and a=rid recv. A rid whose
 * pt= restriction keeps none of the answered payload types cannot be received and is left out. */
static int take_simulcast(const struct okno_sdp_media *om, struct okno_sdp_media *am,
                          struct okno_pub_track *t)
{
    for (unsigned s = 0; s < om->sc_send.n_streams && s < OKNO_SDP_MAX_RIDS; s++) {
        const struct okno_sdp_sc_stream *os = &om->sc_send.streams[s];
        struct okno_sdp_sc_stream *as = &am->sc_recv.streams[am->sc_recv.n_streams];
        as->n_alts = 0;
        for (unsigned a = 0; a < os->n_alts && a < OKNO_SDP_MAX_SC_ALTS; a++) {
            const struct okno_sdp_rid *orid = find_send_rid(om, os->alts[a].rid);
            if (!orid || am->n_rids >= OKNO_SDP_MAX_RIDS || t->n_rids >= OKNO_NEG_MAX_RIDS)
                continue;
            struct okno_sdp_rid r = {.id = orid->id, .dir = OKNO_SDP_RID_RECV};
            for (unsigned k = 0; k < orid->n_pts && k < OKNO_SDP_MAX_RID_PTS; k++)
                if (okno_sdp_codec_by_pt(am, orid->pts[k]) >= 0)
                    r.pts[r.n_pts++] = orid->pts[k];
            if (orid->n_pts && !r.n_pts)
                continue;
            if (okno__neg_copy(t->rids[t->n_rids].id, sizeof t->rids[0].id, orid->id))
                return OKNO_E_RANGE;
            t->rids[t->n_rids++].paused = os->alts[a].paused;
            am->rids[am->n_rids++] = r;
            as->alts[as->n_alts++] = os->alts[a];
        }
        if (as->n_alts)
            am->sc_recv.n_streams++;
    }
    return 0;
}

static bool has_u32(const uint32_t *v, unsigned n, uint32_t x)
{
    for (unsigned i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* SSRCs, FID pairs, the SIM group, cname and msid of a section okno takes. */
static int describe_sources(const struct okno_sdp_media *om, struct okno_pub_track *t)
{
    struct okno_sdp_str msid = {NULL, 0};
    for (unsigned i = 0; i < om->n_ssrcs && i < OKNO_SDP_MAX_SSRCS; i++) {
        const struct okno_sdp_ssrc *s = &om->ssrcs[i];
        if (!has_u32(t->ssrcs, t->n_ssrcs, s->id) && t->n_ssrcs < OKNO_NEG_MAX_SSRCS)
            t->ssrcs[t->n_ssrcs++] = s->id;
        if (!t->cname[0] && okno_sdp_str_eq(s->attr, "cname") &&
            okno__neg_copy(t->cname, sizeof t->cname, s->value))
            return OKNO_E_RANGE;
        if (!msid.p && okno_sdp_str_eq(s->attr, "msid"))
            msid = s->value;
    }
    for (unsigned i = 0; i < om->n_ssrc_groups && i < OKNO_SDP_MAX_SSRC_GROUPS; i++) {
        const struct okno_sdp_ssrc_group *g = &om->ssrc_groups[i];
        if (okno_sdp_str_eq(g->semantics, "FID") && g->n_ssrcs == 2 &&
            t->n_fids < OKNO_NEG_MAX_FIDS) {
            t->fids[t->n_fids++] = (struct okno_pub_fid){g->ssrcs[0], g->ssrcs[1]};
        } else if (okno_sdp_str_eq(g->semantics, "SIM") && !t->n_sim) {
            for (unsigned k = 0; k < g->n_ssrcs && k < OKNO_NEG_MAX_SIM; k++)
                t->sim[t->n_sim++] = g->ssrcs[k];
        }
    }
    struct okno_sdp_str stream = {NULL, 0}, track = {NULL, 0};
    if (om->n_msids) {
        stream = om->msids[0].stream;
        track = om->msids[0].track;
    } else if (msid.p) {
        const char *sp = memchr(msid.p, ' ', msid.len);
        stream = (struct okno_sdp_str){msid.p, sp ? (size_t)(sp - msid.p) : msid.len};
        if (sp)
            track = (struct okno_sdp_str){sp + 1, msid.len - stream.len - 1};
    }
    if (okno_sdp_str_eq(stream, "-"))
        stream = (struct okno_sdp_str){NULL, 0};
    if (okno__neg_copy(t->msid_stream, sizeof t->msid_stream, stream) ||
        okno__neg_copy(t->msid_track, sizeof t->msid_track, track))
        return OKNO_E_RANGE;
    return 0;
}

/* Appends x-google-start-bitrate to the answer's fmtp of payload type pt, when a start is asked
 * for and the offer's parameters leave room (they are short: VP8 has none). */
static void add_start_rate(struct answer_ctx *c, unsigned i, struct okno_sdp_media *am, uint8_t pt)
{
    if (!c->local->video_start_kbps || i >= OKNO_NEG_MAX_MEDIA)
        return;
    for (unsigned k = 0; k < am->n_codecs && k < OKNO_SDP_MAX_CODECS; k++) {
        struct okno_sdp_codec *ac = &am->codecs[k];
        if (ac->pt != pt)
            continue;
        char *buf = c->start_fmtp[i];
        size_t cap = sizeof c->start_fmtp[i];
        int n = ac->fmtp.len
                    ? snprintf(buf, cap, "%.*s;x-google-start-bitrate=%u", (int)ac->fmtp.len,
                               ac->fmtp.p, c->local->video_start_kbps)
                    : snprintf(buf, cap, "x-google-start-bitrate=%u", c->local->video_start_kbps);
        if (n > 0 && (size_t)n < cap)
            ac->fmtp = (struct okno_sdp_str){buf, (size_t)n};
        return;
    }
}

/* Answers section i with port 0: rejected, outside BUNDLE, its m= line kept valid. */
static void reject(const struct okno_sdp_media *om, struct okno_sdp_media *am)
{
    memset(am, 0, sizeof *am);
    am->media = om->media;
    am->proto = om->proto;
    am->is_rtp = om->is_rtp;
    am->fmt = om->fmt.len ? om->fmt : okno_sdp_str("0");
    am->mid = om->mid;
    am->common.direction = OKNO_SDP_DIR_INACTIVE;
    okno__neg_null_conn(am);
}

/* RFC 8843 7.2: with bundlePolicy max-bundle, Firefox offers every section but the first with port
 * 0 and a=bundle-only. Such a section is offered, not rejected. */
static bool bundle_only(const struct okno_sdp_media *om)
{
    for (unsigned k = 0; k < om->common.n_attrs && k < OKNO_SDP_MAX_ATTRS; k++) {
        if (okno_sdp_str_eq(om->common.attrs[k].name, "bundle-only"))
            return true;
    }
    return false;
}

/* Fills the answer section and, when the client sends, the publication track. Returns 0 (taken),
 * 1 (to be rejected) or a negative error with a reason. */
static int take(struct answer_ctx *c, unsigned i, struct okno_sdp_media *am)
{
    const struct okno_sdp_media *om = &c->off->media[i];
    bool audio = okno_sdp_str_eq(om->media, "audio"), video = okno_sdp_str_eq(om->media, "video");
    if ((om->port == 0 && !bundle_only(om)) || !(audio || video) || !om->is_rtp || !om->mid.p ||
        !okno__neg_in_group(c->bundle, om->mid) || !om->rtcp_mux || !om->proto.p ||
        !memmem(om->proto.p, om->proto.len, "SAVPF", 5))
        return 1;
    enum okno_sdp_direction dir = okno_sdp_media_direction(c->off, om);
    int ci = audio ? pick_opus(om) : pick_vp8(om);
    if (ci < 0) {
        if (!sends(dir))
            return 1;
        okno__neg_reason(c->reason, c->reason_cap, "m-line %u: no codec okno can forward (%s)",
                         i + 1, audio ? "Opus" : "VP8");
        return OKNO_E_UNSUPPORTED;
    }
    struct okno_pub_track *t = &c->pub->tracks[c->pub->n_tracks];
    memset(t, 0, sizeof *t);
    t->mline = (uint8_t)i;
    t->kind = audio ? OKNO_MEDIA_AUDIO : OKNO_MEDIA_VIDEO;
    const struct okno_sdp_codec *oc = &om->codecs[ci];
    int red = audio ? pick_red(om, oc->pt) : -1;
    int rtx = video ? pick_rtx(om, oc->pt) : -1;
    am->media = om->media;
    am->proto = om->proto;
    am->is_rtp = true;
    am->mid = om->mid;
    am->rtcp_mux = true;
    am->rtcp_rsize = om->rtcp_rsize;
    am->common.extmap_allow_mixed = om->common.extmap_allow_mixed;
    am->common.direction = sends(dir) ? OKNO_SDP_DIR_RECVONLY : OKNO_SDP_DIR_INACTIVE;
    okno__neg_null_conn(am);
    /* RED keeps its place in the client's order: listed before Opus it is what the client sends,
     * which is how a client asks for redundancy on a lossy uplink. */
    int rc = red >= 0 && red < ci ? take_codec(om, am, om->codecs[red].pt) : 0;
    if (rc == 0)
        rc = take_codec(om, am, oc->pt);
    if (rc == 0 && red > ci)
        rc = take_codec(om, am, om->codecs[red].pt);
    if (rc == 0 && rtx >= 0)
        rc = take_codec(om, am, rtx);
    if (rc < 0)
        return rc;
    if (video)
        add_start_rate(c, i, am, oc->pt);
    take_extmaps(c->off, om, am, t->ext_ids);
    if (!sends(dir))
        return 0;
    t->codec.pt = oc->pt;
    t->codec.clock = oc->clock;
    t->codec.channels = oc->channels;
    t->rtx_pt = (int16_t)(rtx >= 0 ? rtx : -1);
    t->red_pt = (int16_t)(red >= 0 ? om->codecs[red].pt : -1);
    t->fb = okno__neg_fb_flags(am, oc->pt);
    t->rtcp_rsize = om->rtcp_rsize;
    if (okno__neg_copy(t->codec.name, sizeof t->codec.name, oc->name) ||
        okno__neg_copy(t->codec.fmtp, sizeof t->codec.fmtp, oc->fmtp) ||
        okno__neg_copy(t->mid, sizeof t->mid, om->mid) || take_simulcast(om, am, t) ||
        describe_sources(om, t)) {
        okno__neg_reason(c->reason, c->reason_cap, "m-line %u: a value is too long", i + 1);
        return OKNO_E_RANGE;
    }
    c->pub->n_tracks++;
    return 0;
}

static int answer_sections(struct answer_ctx *c)
{
    struct okno_sdp_group *group = &c->ans->groups[0];
    group->semantics = okno_sdp_str("BUNDLE");
    for (unsigned i = 0; i < c->off->n_media; i++) {
        struct okno_sdp_media *am = &c->ans->media[c->ans->n_media++];
        memset(am, 0, sizeof *am);
        am->port = 9;
        int rc = take(c, i, am);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            reject(&c->off->media[i], am);
            continue;
        }
        group->mids[group->n_mids++] = am->mid;
        rc = okno__neg_local(am, c->local, c->setup, c->first_accepted < 0, c->reason,
                             c->reason_cap);
        if (rc)
            return rc;
        if (c->first_accepted < 0)
            c->first_accepted = (int)i;
    }
    if (c->first_accepted < 0) {
        okno__neg_reason(c->reason, c->reason_cap,
                         "no m-line okno can take (audio or video, "
                         "UDP/TLS/RTP/SAVPF, BUNDLE, rtcp-mux)");
        return OKNO_E_UNSUPPORTED;
    }
    c->ans->n_groups = 1;
    return 0;
}

static int find_mid(const struct okno_sdp *sdp, struct okno_sdp_str mid)
{
    for (unsigned i = 0; i < sdp->n_media && i < OKNO_SDP_MAX_MEDIA; i++)
        if (sdp->media[i].mid.p && sdp->media[i].mid.len == mid.len &&
            memcmp(sdp->media[i].mid.p, mid.p, mid.len) == 0)
            return (int)i;
    return -1;
}

/* Checks the offer's session-wide transport and fills pub->remote. */
static int check_transport(struct answer_ctx *c)
{
    c->bundle = okno__neg_bundle(c->off);
    if (!c->bundle || c->bundle->n_mids == 0) {
        okno__neg_reason(c->reason, c->reason_cap, "no a=group:BUNDLE (okno is BUNDLE-only)");
        return OKNO_E_UNSUPPORTED;
    }
    int tag = -1;
    for (unsigned k = 0; k < c->bundle->n_mids && tag < 0; k++)
        tag = find_mid(c->off, c->bundle->mids[k]);
    if (tag < 0) {
        okno__neg_reason(c->reason, c->reason_cap, "a=group:BUNDLE names no m-line");
        return OKNO_E_UNSUPPORTED;
    }
    const struct okno_sdp_media *tm = &c->off->media[tag];
    int rc = okno__neg_remote(c->off, tm, true, &c->pub->remote, c->reason, c->reason_cap);
    if (rc)
        return rc;
    if (!tm->rtcp_mux) {
        okno__neg_reason(c->reason, c->reason_cap, "no a=rtcp-mux (okno is rtcp-mux-only)");
        return OKNO_E_UNSUPPORTED;
    }
    c->setup =
        c->pub->remote.role == OKNO_DTLS_SERVER ? OKNO_SDP_SETUP_PASSIVE : OKNO_SDP_SETUP_ACTIVE;
    return 0;
}

static int negotiate(struct answer_ctx *c, const char *offer, size_t len, char *answer, size_t cap)
{
    struct okno_sdp_error perr = {0, NULL};
    int rc = okno_sdp_parse((struct okno_sdp *)c->off, offer, len, &perr);
    if (rc) {
        okno__neg_reason(c->reason, c->reason_cap, "line %u: %s", perr.line,
                         perr.reason ? perr.reason : "does not parse");
        return rc == OKNO_E_RANGE ? OKNO_E_RANGE : OKNO_E_MALFORMED;
    }
    rc = check_transport(c);
    if (rc)
        return rc;
    okno_sdp_init(c->ans);
    c->ans->sess_id = c->local->sess_id;
    c->ans->sess_version = c->local->sess_version;
    c->ans->common.extmap_allow_mixed = c->off->common.extmap_allow_mixed;
    c->ans->msid_semantic = okno_sdp_str("WMS");
    rc = answer_sections(c);
    if (rc)
        return rc;
    rc = okno_sdp_write(c->ans, answer, cap);
    if (rc < 0)
        okno__neg_reason(c->reason, c->reason_cap, "%s",
                         rc == OKNO_E_NOSPC ? "the answer does not fit its buffer"
                                            : "the answer cannot be written");
    return rc;
}

int okno__negotiate_answer_in(struct okno_sdp models[2], const char *offer, size_t len,
                              const struct okno_neg_local *local, struct okno_publication *pub,
                              char *answer, size_t cap, char *reason, size_t reason_cap)
{
    okno__neg_reason(reason, reason_cap, "%s", "");
    if (!offer || !local || !pub || !answer) {
        okno__neg_reason(reason, reason_cap, "missing argument");
        return OKNO_E_INVAL;
    }
    memset(pub, 0, sizeof *pub);
    struct answer_ctx c = {
        .off = &models[0],
        .ans = &models[1],
        .local = local,
        .pub = pub,
        .first_accepted = -1,
        .reason = reason,
        .reason_cap = reason_cap,
    };
    return negotiate(&c, offer, len, answer, cap);
}

int okno_negotiate_answer(const char *offer, size_t len, const struct okno_neg_local *local,
                          struct okno_publication *pub, char *answer, size_t cap, char *reason,
                          size_t reason_cap)
{
    struct okno_sdp *models = malloc(2 * sizeof *models);
    if (!models) {
        okno__neg_reason(reason, reason_cap, "out of memory");
        return OKNO_E_NOMEM;
    }
    int rc =
        okno__negotiate_answer_in(models, offer, len, local, pub, answer, cap, reason, reason_cap);
    free(models);
    return rc;
}
