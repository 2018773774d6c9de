/* okno-bench client SDP: writes the publisher offer and the subscriber answer as text, reads the
 * server's answer and offers with wire/sdp. The text is written directly rather than through the
 * sdp model because the client's descriptions are fixed in shape and small: a template reads more
 * plainly than a hundred setter calls. Not here: any decision about when to offer or answer. */
#include "client/client_sdp.h"

#include <stdio.h>
#include <string.h>

#include "okno/err.h"

#define URI_MID         "urn:ietf:params:rtp-hdrext:sdes:mid"
#define URI_ABS_SEND    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define URI_TWCC        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define URI_RID         "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define URI_RRID        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
#define URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

static void session_head(GString *out, const char *bundle)
{
    g_string_append_printf(out,
                           "v=0\r\no=- %" G_GUINT64_FORMAT " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                           "a=group:BUNDLE%s\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n",
                           (guint64)g_random_int() * 1000u + 1u, bundle);
}

static void transport_lines(GString *out, const char *mid, const char *ufrag, const char *pwd,
                            const char *fingerprint, const char *setup)
{
    g_string_append_printf(out,
                           "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:%s\r\n"
                           "a=ice-pwd:%s\r\na=ice-options:trickle\r\na=fingerprint:%s\r\n"
                           "a=setup:%s\r\na=mid:%s\r\n",
                           ufrag, pwd, fingerprint, setup, mid);
}

static void offer_audio(GString *out, const struct okno_client_offer *o, const char *mid)
{
    if (o->audio_red)
        g_string_append_printf(out, "m=audio 9 UDP/TLS/RTP/SAVPF %d %d\r\n", OKNO_CLIENT_PT_RED,
                               OKNO_CLIENT_PT_OPUS);
    else
        g_string_append_printf(out, "m=audio 9 UDP/TLS/RTP/SAVPF %d\r\n", OKNO_CLIENT_PT_OPUS);
    transport_lines(out, mid, o->ufrag, o->pwd, o->fingerprint, "actpass");
    g_string_append_printf(out,
                           "a=extmap:%d " URI_MID "\r\na=extmap:%d " URI_ABS_SEND
                           "\r\na=extmap:%d " URI_TWCC "\r\na=extmap:%d " URI_AUDIO_LEVEL "\r\n",
                           OKNO_CLIENT_EXT_MID, OKNO_CLIENT_EXT_ABS_SEND_TIME, OKNO_CLIENT_EXT_TWCC,
                           OKNO_CLIENT_EXT_AUDIO_LEVEL);
    g_string_append_printf(out, "a=sendonly\r\na=msid:%s %s-audio\r\na=rtcp-mux\r\n", o->stream,
                           o->stream);
    g_string_append_printf(out,
                           "a=rtpmap:%d opus/48000/2\r\na=rtcp-fb:%d transport-cc\r\n"
                           "a=fmtp:%d minptime=10;useinbandfec=1\r\n",
                           OKNO_CLIENT_PT_OPUS, OKNO_CLIENT_PT_OPUS, OKNO_CLIENT_PT_OPUS);
    if (o->audio_red)
        g_string_append_printf(out, "a=rtpmap:%d red/48000/2\r\na=fmtp:%d %d/%d\r\n",
                               OKNO_CLIENT_PT_RED, OKNO_CLIENT_PT_RED, OKNO_CLIENT_PT_OPUS,
                               OKNO_CLIENT_PT_OPUS);
    g_string_append_printf(out, "a=ssrc:%u cname:%s\r\na=ssrc:%u msid:%s %s-audio\r\n",
                           o->audio_ssrc, o->cname, o->audio_ssrc, o->stream, o->stream);
}

static void offer_video(GString *out, const struct okno_client_offer *o, const char *mid)
{
    static const char *const fbs[] = {"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"};
    g_string_append_printf(out, "m=video 9 UDP/TLS/RTP/SAVPF %d %d\r\n", OKNO_CLIENT_PT_VP8,
                           OKNO_CLIENT_PT_RTX);
    transport_lines(out, mid, o->ufrag, o->pwd, o->fingerprint, "actpass");
    g_string_append_printf(out,
                           "a=extmap:%d " URI_MID "\r\na=extmap:%d " URI_ABS_SEND
                           "\r\na=extmap:%d " URI_TWCC "\r\na=extmap:%d " URI_RID
                           "\r\na=extmap:%d " URI_RRID "\r\n",
                           OKNO_CLIENT_EXT_MID, OKNO_CLIENT_EXT_ABS_SEND_TIME, OKNO_CLIENT_EXT_TWCC,
                           OKNO_CLIENT_EXT_RID, OKNO_CLIENT_EXT_RRID);
    g_string_append_printf(out,
                           "a=sendonly\r\na=msid:%s %s-video\r\na=rtcp-mux\r\na=rtcp-rsize\r\n",
                           o->stream, o->stream);
    g_string_append_printf(out, "a=rtpmap:%d VP8/90000\r\n", OKNO_CLIENT_PT_VP8);
    for (size_t i = 0; i < G_N_ELEMENTS(fbs); i++)
        g_string_append_printf(out, "a=rtcp-fb:%d %s\r\n", OKNO_CLIENT_PT_VP8, fbs[i]);
    g_string_append_printf(out, "a=rtpmap:%d rtx/90000\r\na=fmtp:%d apt=%d\r\n", OKNO_CLIENT_PT_RTX,
                           OKNO_CLIENT_PT_RTX, OKNO_CLIENT_PT_VP8);
    if (o->simulcast) {
        g_string_append(out, "a=rid:q send\r\na=rid:h send\r\na=rid:f send\r\n"
                             "a=simulcast:send q;h;f\r\n");
        return;
    }
    g_string_append_printf(out,
                           "a=ssrc-group:FID %u %u\r\na=ssrc:%u cname:%s\r\na=ssrc:%u msid:%s "
                           "%s-video\r\na=ssrc:%u cname:%s\r\na=ssrc:%u msid:%s %s-video\r\n",
                           o->video_ssrc, o->rtx_ssrc, o->video_ssrc, o->cname, o->video_ssrc,
                           o->stream, o->stream, o->rtx_ssrc, o->cname, o->rtx_ssrc, o->stream,
                           o->stream);
}

int okno_client_sdp_offer(const struct okno_client_offer *o, GString *out)
{
    if (!o || !out || !o->ufrag || !o->pwd || !o->fingerprint || !o->cname || !o->stream ||
        (!o->audio && !o->video))
        return OKNO_E_INVAL;
    session_head(out, o->audio && o->video ? " 0 1" : " 0");
    if (o->audio)
        offer_audio(out, o, "0");
    if (o->video)
        offer_video(out, o, o->audio ? "1" : "0");
    return 0;
}

/* ---- reading the server's descriptions ---------------------------------------------------------
 */

static void copy_view(char *dst, size_t cap, struct okno_sdp_str s)
{
    size_t n = s.p ? (s.len < cap - 1 ? s.len : cap - 1) : 0;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

static int fingerprint_from(const struct okno_sdp_fingerprint *f, struct okno_fingerprint *out)
{
    static const struct {
        const char *name;
        enum okno_fp_alg alg;
        size_t len;
    } algs[] = {{"sha-1", OKNO_FP_SHA1, 20},
                {"sha-256", OKNO_FP_SHA256, 32},
                {"sha-384", OKNO_FP_SHA384, 48},
                {"sha-512", OKNO_FP_SHA512, 64}};
    for (size_t i = 0; i < G_N_ELEMENTS(algs); i++) {
        if (okno_sdp_str_eqi(f->hash, algs[i].name) && f->len == algs[i].len) {
            out->alg = algs[i].alg;
            out->len = f->len;
            memcpy(out->bytes, f->digest, f->len);
            return 0;
        }
    }
    return OKNO_E_MALFORMED;
}

/* Fills the transport part from the first section that has one (BUNDLE: they all share it). */
static int read_remote(const struct okno_sdp *sdp, struct okno_client_remote *r)
{
    memset(r, 0, sizeof(*r));
    for (unsigned i = 0; i < sdp->n_media; i++) {
        const struct okno_sdp_media *m = &sdp->media[i];
        struct okno_sdp_str ufrag = okno_sdp_media_ice_ufrag(sdp, m);
        struct okno_sdp_str pwd = okno_sdp_media_ice_pwd(sdp, m);
        const struct okno_sdp_fingerprint *fp = okno_sdp_media_fingerprint(sdp, m);
        if (!ufrag.p || !pwd.p || !fp || ufrag.len >= OKNO_ICE_CRED_LEN ||
            pwd.len >= OKNO_ICE_CRED_LEN)
            continue;
        if (fingerprint_from(fp, &r->fingerprint) < 0)
            return OKNO_E_MALFORMED;
        copy_view(r->ufrag, sizeof(r->ufrag), ufrag);
        copy_view(r->pwd, sizeof(r->pwd), pwd);
        /* The server answering passive (or offering actpass) leaves the ClientHello to us. */
        r->our_role = okno_sdp_media_setup(sdp, m) == OKNO_SDP_SETUP_ACTIVE ? OKNO_DTLS_SERVER
                                                                            : OKNO_DTLS_CLIENT;
        for (unsigned c = 0; c < m->n_candidates && r->n_candidates < OKNO_CLIENT_MAX_CANDS; c++) {
            if (okno_sdp_candidate_write(&m->candidates[c], r->candidates[r->n_candidates],
                                         OKNO_ICE_MAX_CANDIDATE_LEN) > 0)
                r->n_candidates++;
        }
        return 0;
    }
    return OKNO_E_MALFORMED;
}

/* Parses into the caller's scratch model, or one allocated for the call (*owned set then). */
static struct okno_sdp *parse(struct okno_sdp *scratch, const char *text, size_t len, int *rc,
                              struct okno_sdp **owned)
{
    struct okno_sdp *sdp = scratch ? scratch : (*owned = g_malloc(sizeof(*sdp)));
    *rc = okno_sdp_parse(sdp, text, len, NULL);
    return *rc < 0 ? NULL : sdp;
}

int okno_client_sdp_parse_answer(const char *text, size_t len, struct okno_sdp *scratch,
                                 struct okno_client_answer *out)
{
    if (!text || !out)
        return OKNO_E_INVAL;
    int rc;
    struct okno_sdp *owned = NULL;
    struct okno_sdp *sdp = parse(scratch, text, len, &rc, &owned);
    if (!sdp) {
        g_free(owned);
        return rc;
    }
    rc = read_remote(sdp, &out->remote);
    out->audio_accepted = out->video_accepted = out->audio_red = false;
    out->video_start_kbps = 0;
    for (unsigned i = 0; rc == 0 && i < sdp->n_media; i++) {
        const struct okno_sdp_media *m = &sdp->media[i];
        if (m->port == 0 || m->n_codecs == 0 ||
            okno_sdp_media_direction(sdp, m) == OKNO_SDP_DIR_INACTIVE)
            continue;
        if (okno_sdp_str_eq(m->media, "audio")) {
            out->audio_accepted = true;
            out->audio_red = okno_sdp_str_eqi(m->codecs[0].name, "red");
        } else if (okno_sdp_str_eq(m->media, "video")) {
            out->video_accepted = true;
            uint32_t kbps;
            if (m->codecs[0].fmtp.p &&
                okno_sdp_param_u32(m->codecs[0].fmtp, "x-google-start-bitrate", &kbps) == 0)
                out->video_start_kbps = kbps;
        }
    }
    if (rc == 0 && !out->audio_accepted && !out->video_accepted)
        rc = OKNO_E_NOTFOUND;
    g_free(owned);
    return rc;
}

/* The SSRC of the section's media stream and of its RTX, from the FID group or else the first
 * a=ssrc line. */
static void read_ssrcs(const struct okno_sdp_media *m, struct okno_client_sub_track *t)
{
    for (unsigned g = 0; g < m->n_ssrc_groups; g++) {
        if (okno_sdp_str_eq(m->ssrc_groups[g].semantics, "FID") && m->ssrc_groups[g].n_ssrcs == 2) {
            t->ssrc = m->ssrc_groups[g].ssrcs[0];
            t->rtx_ssrc = m->ssrc_groups[g].ssrcs[1];
            return;
        }
    }
    if (m->n_ssrcs)
        t->ssrc = m->ssrcs[0].id;
}

/* The feedback the offer lists for the accepted codec (or for every codec, '*'). */
static void read_fbs(const struct okno_sdp_media *m, struct okno_client_sub_track *t)
{
    for (unsigned i = 0; i < m->n_rtcp_fbs; i++) {
        const struct okno_sdp_rtcp_fb *fb = &m->rtcp_fbs[i];
        if (fb->pt != -1 && fb->pt != t->pt)
            continue;
        bool bare = !fb->subtype.p || fb->subtype.len == 0;
        if (okno_sdp_str_eq(fb->type, "transport-cc"))
            t->fb_transport_cc = true;
        else if (okno_sdp_str_eq(fb->type, "goog-remb"))
            t->fb_remb = true;
        else if (okno_sdp_str_eq(fb->type, "nack") && bare)
            t->fb_nack = true;
        else if (okno_sdp_str_eq(fb->type, "nack") && okno_sdp_str_eq(fb->subtype, "pli"))
            t->fb_pli = true;
    }
}

/* The offer's red/48000 whose fmtp names only Opus (pt), or -1. */
static int red_pt(const struct okno_sdp_media *m, int pt)
{
    char want[16];
    int n = snprintf(want, sizeof want, "%d/%d", pt, pt);
    for (unsigned i = 0; i < m->n_codecs; i++) {
        const struct okno_sdp_codec *c = &m->codecs[i];
        if (okno_sdp_str_eqi(c->name, "red") && c->clock == 48000 && c->fmtp.len == (size_t)n &&
            memcmp(c->fmtp.p, want, (size_t)n) == 0)
            return c->pt;
    }
    return -1;
}

static void read_sub_track(const struct okno_sdp *sdp, const struct okno_sdp_media *m,
                           struct okno_client_sub_track *t)
{
    memset(t, 0, sizeof(*t));
    t->pt = t->rtx_pt = t->red_pt = t->mid_ext = t->twcc_ext = t->abs_send_time_ext = -1;
    copy_view(t->mid, sizeof(t->mid), m->mid);
    t->video = okno_sdp_str_eq(m->media, "video");
    if (m->n_msids) {
        copy_view(t->participant, sizeof(t->participant), m->msids[0].stream);
        copy_view(t->track, sizeof(t->track), m->msids[0].track);
    }
    /* No mid (or an empty one) cannot be answered in a BUNDLE: refuse the section. */
    int c = m->port == 0 || !m->mid.p || m->mid.len == 0 ? -1
            : t->video                                   ? okno_sdp_codec_find(m, "VP8", 90000)
                                                         : okno_sdp_codec_find(m, "opus", 48000);
    if (c < 0) {
        t->rejected = true;
        return;
    }
    t->pt = m->codecs[c].pt;
    if (t->video)
        t->rtx_pt = okno_sdp_rtx_pt(m, t->pt);
    else
        t->red_pt = red_pt(m, t->pt);
    read_ssrcs(m, t);
    int ext = okno_sdp_extmap_find(sdp, m, URI_MID);
    t->mid_ext = ext > 0 ? ext : -1;
    ext = okno_sdp_extmap_find(sdp, m, URI_TWCC);
    t->twcc_ext = ext > 0 ? ext : -1;
    ext = okno_sdp_extmap_find(sdp, m, URI_ABS_SEND);
    t->abs_send_time_ext = ext > 0 ? ext : -1;
    read_fbs(m, t);
    t->active = okno_sdp_media_direction(sdp, m) == OKNO_SDP_DIR_SENDONLY;
}

int okno_client_sdp_parse_sub_offer(const char *text, size_t len, struct okno_sdp *scratch,
                                    struct okno_client_sub_offer *out)
{
    if (!text || !out)
        return OKNO_E_INVAL;
    int rc;
    struct okno_sdp *owned = NULL;
    struct okno_sdp *sdp = parse(scratch, text, len, &rc, &owned);
    if (!sdp) {
        g_free(owned);
        return rc;
    }
    rc = read_remote(sdp, &out->remote);
    out->n_tracks = 0;
    /* A mid is answered as it was offered: one too long to keep would be cut, and two cut alike
     * would name one section twice in the answer. */
    for (unsigned i = 0; rc == 0 && i < sdp->n_media; i++)
        if (sdp->media[i].mid.len >= OKNO_CLIENT_ID_LEN)
            rc = OKNO_E_RANGE;
    for (unsigned i = 0; rc == 0 && i < sdp->n_media; i++)
        read_sub_track(sdp, &sdp->media[i], &out->tracks[out->n_tracks++]);
    g_free(owned);
    return rc;
}

static void answer_section(GString *out, const struct okno_client_sub_track *t, const char *ufrag,
                           const char *pwd, const char *fingerprint)
{
    const char *kind = t->video ? "video" : "audio";
    if (t->rejected) {
        /* A refused section keeps its m= line and mid so the positions still line up. */
        g_string_append_printf(out, "m=%s 0 UDP/TLS/RTP/SAVPF %d\r\nc=IN IP4 0.0.0.0\r\n", kind,
                               t->pt >= 0 ? t->pt : (t->video ? 96 : 111));
        if (t->mid[0])
            g_string_append_printf(out, "a=mid:%s\r\n", t->mid);
        return;
    }
    g_string_append_printf(out, "m=%s 9 UDP/TLS/RTP/SAVPF %d", kind, t->pt);
    if (t->rtx_pt >= 0)
        g_string_append_printf(out, " %d", t->rtx_pt);
    if (t->red_pt >= 0)
        g_string_append_printf(out, " %d", t->red_pt);
    g_string_append(out, "\r\n");
    transport_lines(out, t->mid, ufrag, pwd, fingerprint, "active");
    /* An answer may only take extensions the offer has: the mid one, which names the section, and
     * the two that congestion control reads. */
    if (t->mid_ext > 0)
        g_string_append_printf(out, "a=extmap:%d " URI_MID "\r\n", t->mid_ext);
    if (t->abs_send_time_ext > 0)
        g_string_append_printf(out, "a=extmap:%d " URI_ABS_SEND "\r\n", t->abs_send_time_ext);
    if (t->twcc_ext > 0 && t->fb_transport_cc)
        g_string_append_printf(out, "a=extmap:%d " URI_TWCC "\r\n", t->twcc_ext);
    g_string_append_printf(out, "a=%s\r\na=rtcp-mux\r\n", t->active ? "recvonly" : "inactive");
    if (t->video)
        g_string_append_printf(out,
                               "a=rtcp-rsize\r\na=rtpmap:%d VP8/90000\r\na=rtcp-fb:%d nack\r\n"
                               "a=rtcp-fb:%d nack pli\r\n",
                               t->pt, t->pt, t->pt);
    else
        g_string_append_printf(out,
                               "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d minptime=10;"
                               "useinbandfec=1\r\n",
                               t->pt, t->pt);
    if (t->fb_remb)
        g_string_append_printf(out, "a=rtcp-fb:%d goog-remb\r\n", t->pt);
    if (t->fb_transport_cc && t->twcc_ext > 0)
        g_string_append_printf(out, "a=rtcp-fb:%d transport-cc\r\n", t->pt);
    if (t->rtx_pt >= 0)
        g_string_append_printf(out, "a=rtpmap:%d rtx/90000\r\na=fmtp:%d apt=%d\r\n", t->rtx_pt,
                               t->rtx_pt, t->pt);
    if (t->red_pt >= 0)
        g_string_append_printf(out, "a=rtpmap:%d red/48000/2\r\na=fmtp:%d %d/%d\r\n", t->red_pt,
                               t->red_pt, t->pt, t->pt);
}

int okno_client_sdp_sub_answer(const struct okno_client_sub_offer *offer, const char *ufrag,
                               const char *pwd, const char *fingerprint, GString *out)
{
    if (!offer || !ufrag || !pwd || !fingerprint || !out)
        return OKNO_E_INVAL;
    GString *bundle = g_string_new(NULL);
    for (unsigned i = 0; i < offer->n_tracks; i++) {
        if (!offer->tracks[i].rejected)
            g_string_append_printf(bundle, " %s", offer->tracks[i].mid);
    }
    session_head(out, bundle->str);
    g_string_free(bundle, TRUE);
    for (unsigned i = 0; i < offer->n_tracks; i++)
        answer_section(out, &offer->tracks[i], ufrag, pwd, fingerprint);
    return 0;
}
