/* SDP text for the participant's two connections (see participant_sdp.h). Written line by line
 * rather than through the wire/sdp model and writer: okno's descriptions are small and fixed in
 * shape, and a line here reads like the SDP it produces. The parse side uses wire/sdp. */
#include "sfu/participant_sdp.h"

#include <stdio.h>
#include <string.h>

#include "net/ice.h"
#include "okno/err.h"
#include "sfu/participant.h"
#include "sfu/subscription.h"

static bool takes_codec(const struct okno_sdp_media *m, const char *name, uint32_t clock, int *pt)
{
    int i = okno_sdp_codec_find(m, name, clock);
    if (i < 0)
        return false;
    *pt = m->codecs[i].pt;
    return true;
}

int okno__sdp_accept(const struct okno_sdp *offer, struct okno_sdp_accept *out)
{
    int n = 0;
    for (unsigned i = 0; i < offer->n_media; i++) {
        const struct okno_sdp_media *m = &offer->media[i];
        struct okno_sdp_accept *a = &out[i];
        memset(a, 0, sizeof *a);
        if (!m->is_rtp || m->port == 0 || !m->mid.p)
            continue;
        if (okno_sdp_str_eq(m->media, "audio") && takes_codec(m, "opus", 48000, &a->pt)) {
            a->clock = 48000;
        } else if (okno_sdp_str_eq(m->media, "video") && takes_codec(m, "VP8", 90000, &a->pt)) {
            a->video = true;
            a->clock = 90000;
        } else {
            continue;
        }
        a->accepted = true;
        enum okno_sdp_direction dir = okno_sdp_media_direction(offer, m);
        a->sending = dir == OKNO_SDP_DIR_SENDONLY || dir == OKNO_SDP_DIR_SENDRECV ||
                     dir == OKNO_SDP_DIR_NONE;
        int ext = okno_sdp_extmap_find(offer, m, OKNO_SDP_MID_EXT);
        a->mid_ext = ext > 0 && ext <= 14 ? ext : 0; /* one-byte form only */
        n++;
    }
    return n;
}

static void put_str(GString *s, const char *prefix, struct okno_sdp_str v, const char *suffix)
{
    g_string_append(s, prefix);
    g_string_append_len(s, v.p ? v.p : "", (gssize)v.len);
    g_string_append(s, suffix);
}

static void put_transport(GString *s, const struct okno_sdp_local *local, const char *setup,
                          bool trickle)
{
    for (guint i = 0; local->candidates && i < local->candidates->len; i++)
        g_string_append_printf(s, "a=%s\r\n", (const char *)local->candidates->pdata[i]);
    g_string_append_printf(s, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", local->ufrag, local->pwd);
    if (trickle)
        g_string_append(s, "a=ice-options:trickle\r\n");
    g_string_append_printf(s, "a=fingerprint:%s\r\na=setup:%s\r\n", local->fingerprint, setup);
}

static void put_head(GString *s, uint64_t session_id, uint64_t version)
{
    g_string_append_printf(s, "v=0\r\no=- %llu %llu IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
                           (unsigned long long)session_id, (unsigned long long)version);
}

static void put_codec(GString *s, bool video, int pt, const struct okno_sdp_codec *offered)
{
    if (video) {
        g_string_append_printf(s, "a=rtpmap:%d VP8/90000\r\n", pt);
        g_string_append_printf(s, "a=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\n", pt, pt);
        g_string_append_printf(s, "a=rtcp-fb:%d ccm fir\r\n", pt);
        return;
    }
    g_string_append_printf(s, "a=rtpmap:%d opus/48000/2\r\n", pt);
    if (offered && offered->fmtp.p) {
        g_string_append_printf(s, "a=fmtp:%d ", pt);
        put_str(s, "", offered->fmtp, "\r\n");
    } else {
        g_string_append_printf(s, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", pt);
    }
}

char *okno__sdp_write_answer(const struct okno_sdp *offer, const struct okno_sdp_accept *acc,
                             const struct okno_sdp_local *local, const char *setup,
                             uint64_t session_id)
{
    GString *s = g_string_new(NULL);
    put_head(s, session_id, 2);
    g_string_append(s, "a=group:BUNDLE");
    for (unsigned i = 0; i < offer->n_media; i++) {
        if (acc[i].accepted)
            put_str(s, " ", offer->media[i].mid, "");
    }
    g_string_append(s, "\r\na=msid-semantic: WMS *\r\n");
    for (unsigned i = 0; i < offer->n_media; i++) {
        const struct okno_sdp_media *m = &offer->media[i];
        if (!acc[i].accepted) {
            put_str(s, "m=", m->media, " 0 ");
            put_str(s, "", m->proto, " ");
            if (m->is_rtp && m->n_codecs > 0)
                g_string_append_printf(s, "%u", m->codecs[0].pt);
            else
                put_str(s, "", m->fmt.p ? m->fmt : okno_sdp_str("0"), "");
            g_string_append(s, "\r\nc=IN IP4 0.0.0.0\r\n");
            if (m->mid.p)
                put_str(s, "a=mid:", m->mid, "\r\n");
            continue;
        }
        put_str(s, "m=", m->media, " 9 ");
        put_str(s, "", m->proto, "");
        g_string_append_printf(s, " %d\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n",
                               acc[i].pt);
        put_transport(s, local, setup, false);
        put_str(s, "a=mid:", m->mid, "\r\n");
        if (acc[i].mid_ext)
            g_string_append_printf(s, "a=extmap:%d %s\r\n", acc[i].mid_ext, OKNO_SDP_MID_EXT);
        g_string_append(s, acc[i].sending ? "a=recvonly\r\n" : "a=inactive\r\n");
        g_string_append(s, "a=rtcp-mux\r\n");
        if (m->rtcp_rsize)
            g_string_append(s, "a=rtcp-rsize\r\n");
        int ci = okno_sdp_codec_by_pt(m, acc[i].pt);
        put_codec(s, acc[i].video, acc[i].pt, ci >= 0 ? &m->codecs[ci] : NULL);
        if (local->end_of_candidates)
            g_string_append(s, "a=end-of-candidates\r\n");
    }
    return g_string_free(s, FALSE);
}

char *okno__sdp_write_offer(const struct okno_participant *p, const struct okno_sdp_local *local,
                            uint64_t session_id, uint64_t version)
{
    GString *s = g_string_new(NULL);
    put_head(s, session_id, version);
    g_string_append(s, "a=group:BUNDLE");
    for (guint i = 0; i < p->subs->len; i++)
        g_string_append_printf(s, " %u", i);
    g_string_append(s, "\r\na=msid-semantic: WMS *\r\n");
    for (guint i = 0; i < p->subs->len; i++) {
        const struct okno_subscription *sub = p->subs->pdata[i];
        int pt = sub->video ? OKNO_SUB_PT_VP8 : OKNO_SUB_PT_OPUS;
        g_string_append_printf(s, "m=%s 9 UDP/TLS/RTP/SAVPF %d\r\n", sub->video ? "video" : "audio",
                               pt);
        g_string_append(s, "c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n");
        put_transport(s, local, p->sub_setup, true);
        g_string_append_printf(s, "a=mid:%u\r\n", i);
        if (sub->track) {
            g_string_append_printf(s, "a=sendonly\r\na=msid:%s %s\r\n", sub->publisher,
                                   sub->track_id);
        } else {
            g_string_append(s, "a=inactive\r\n");
        }
        g_string_append(s, "a=rtcp-mux\r\na=rtcp-rsize\r\n");
        put_codec(s, sub->video, pt, NULL);
        if (sub->track && sub->ssrc) {
            g_string_append_printf(s, "a=ssrc:%u cname:%s\r\n", sub->ssrc, sub->publisher);
            g_string_append_printf(s, "a=ssrc:%u msid:%s %s\r\n", sub->ssrc, sub->publisher,
                                   sub->track_id);
        }
        if (local->end_of_candidates)
            g_string_append(s, "a=end-of-candidates\r\n");
    }
    return g_string_free(s, FALSE);
}

static bool hash_alg(struct okno_sdp_str hash, enum okno_fp_alg *alg)
{
    static const struct {
        const char *name;
        enum okno_fp_alg alg;
    } algs[] = {{"sha-1", OKNO_FP_SHA1},
                {"sha-256", OKNO_FP_SHA256},
                {"sha-384", OKNO_FP_SHA384},
                {"sha-512", OKNO_FP_SHA512}};
    for (size_t i = 0; i < G_N_ELEMENTS(algs); i++) {
        if (okno_sdp_str_eqi(hash, algs[i].name)) {
            *alg = algs[i].alg;
            return true;
        }
    }
    return false;
}

static bool copy_cred(char *dst, struct okno_sdp_str v)
{
    if (!v.p || v.len == 0 || v.len > 256)
        return false;
    memcpy(dst, v.p, v.len);
    dst[v.len] = '\0';
    return true;
}

int okno__sdp_remote(const struct okno_sdp *sdp, struct okno_sdp_remote *out, const char **why)
{
    for (unsigned i = 0; i < sdp->n_media; i++) {
        const struct okno_sdp_media *m = &sdp->media[i];
        if (m->port == 0)
            continue;
        if (!copy_cred(out->ufrag, okno_sdp_media_ice_ufrag(sdp, m)) ||
            !copy_cred(out->pwd, okno_sdp_media_ice_pwd(sdp, m))) {
            *why = "a section has no usable a=ice-ufrag or a=ice-pwd";
            return OKNO_E_MALFORMED;
        }
        const struct okno_sdp_fingerprint *fp = okno_sdp_media_fingerprint(sdp, m);
        if (!fp || !hash_alg(fp->hash, &out->fingerprint.alg) || fp->len > OKNO_FP_MAX_LEN) {
            *why = "no a=fingerprint with sha-1, sha-256, sha-384 or sha-512";
            return OKNO_E_MALFORMED;
        }
        out->fingerprint.len = fp->len;
        memcpy(out->fingerprint.bytes, fp->digest, fp->len);
        out->setup = okno_sdp_media_setup(sdp, m);
        return 0;
    }
    *why = "no media section in use";
    return OKNO_E_MALFORMED;
}

int okno__sdp_dtls_role(enum okno_sdp_setup remote, bool remote_is_offer, enum okno_dtls_role *out)
{
    switch (remote) {
    case OKNO_SDP_SETUP_ACTPASS:
        if (!remote_is_offer)
            return OKNO_E_MALFORMED;
        *out = OKNO_DTLS_SERVER;
        return 0;
    case OKNO_SDP_SETUP_NONE: /* RFC 4145 default: active */
    case OKNO_SDP_SETUP_ACTIVE:
        *out = OKNO_DTLS_SERVER;
        return 0;
    case OKNO_SDP_SETUP_PASSIVE:
        *out = OKNO_DTLS_CLIENT;
        return 0;
    default:
        return OKNO_E_MALFORMED;
    }
}

void okno__sdp_foreach_candidate(const struct okno_sdp_media *m,
                                 void (*cb)(void *ud, const char *line), void *ud)
{
    char line[OKNO_ICE_MAX_CANDIDATE_LEN];
    for (unsigned i = 0; i < m->n_candidates; i++) {
        if (okno_sdp_candidate_write(&m->candidates[i], line, sizeof line) > 0)
            cb(ud, line);
    }
}
