/* Whether two SDP models describe the same session, and where they first differ. Views compare by
 * their text, rtcp-fb lines by their order within each payload type (the order the writer keeps),
 * so a model parsed from our own output equals the model it was written from; that is what the
 * round-trip tests and the fuzzer check, and what tells the SFU a renegotiation changed nothing.
 *
 * Not compared: n_candidates_dropped (the writer never writes dropped candidates) and the raw fmt
 * of an RTP section that has codecs (the writer lists the codecs' payload types instead). */
#include "wire/sdp_internal.h"

#include <string.h>

struct cmp {
    struct okno_sdp_diff *d;
    int media;
};

static bool differ(struct cmp *c, const char *field, int index)
{
    if (c->d) {
        c->d->media = c->media;
        c->d->field = field;
        c->d->index = index;
    }
    return false;
}

#define SAME_V(a, b, name, i)                                                                      \
    do {                                                                                           \
        if (!okno__sdp_eq((a), (b)))                                                               \
            return differ(c, name, i);                                                             \
    } while (0)
#define SAME(a, b, name, i)                                                                        \
    do {                                                                                           \
        if ((a) != (b))                                                                            \
            return differ(c, name, i);                                                             \
    } while (0)

static bool conn_eq(struct cmp *c, const struct okno_sdp_conn *a, const struct okno_sdp_conn *b,
                    const char *name)
{
    SAME_V(a->nettype, b->nettype, name, -1);
    SAME_V(a->addrtype, b->addrtype, name, -1);
    SAME_V(a->address, b->address, name, -1);
    return true;
}

static bool common_eq(struct cmp *c, const struct okno_sdp_common *a,
                      const struct okno_sdp_common *b)
{
    if (!conn_eq(c, &a->conn, &b->conn, "c="))
        return false;
    SAME(a->n_bandwidths, b->n_bandwidths, "b=", -1);
    for (int i = 0; i < a->n_bandwidths && i < OKNO_SDP_MAX_BANDWIDTHS; i++) {
        SAME_V(a->bandwidths[i].type, b->bandwidths[i].type, "b= type", i);
        SAME(a->bandwidths[i].value, b->bandwidths[i].value, "b= value", i);
    }
    SAME_V(a->ice_ufrag, b->ice_ufrag, "ice-ufrag", -1);
    SAME_V(a->ice_pwd, b->ice_pwd, "ice-pwd", -1);
    SAME_V(a->ice_options, b->ice_options, "ice-options", -1);
    SAME(a->n_fingerprints, b->n_fingerprints, "fingerprint", -1);
    for (int i = 0; i < a->n_fingerprints && i < OKNO_SDP_MAX_FINGERPRINTS; i++) {
        const struct okno_sdp_fingerprint *x = &a->fingerprints[i], *y = &b->fingerprints[i];
        SAME_V(x->hash, y->hash, "fingerprint hash", i);
        SAME(x->len, y->len, "fingerprint length", i);
        if (x->len <= OKNO_SDP_MAX_DIGEST && memcmp(x->digest, y->digest, x->len) != 0)
            return differ(c, "fingerprint digest", i);
    }
    SAME(a->setup, b->setup, "setup", -1);
    SAME(a->direction, b->direction, "direction", -1);
    SAME(a->extmap_allow_mixed, b->extmap_allow_mixed, "extmap-allow-mixed", -1);
    SAME(a->end_of_candidates, b->end_of_candidates, "end-of-candidates", -1);
    SAME(a->n_extmaps, b->n_extmaps, "extmap", -1);
    for (int i = 0; i < a->n_extmaps && i < OKNO_SDP_MAX_EXTMAPS; i++) {
        const struct okno_sdp_extmap *x = &a->extmaps[i], *y = &b->extmaps[i];
        SAME(x->id, y->id, "extmap id", i);
        SAME(x->dir, y->dir, "extmap direction", i);
        SAME_V(x->uri, y->uri, "extmap uri", i);
        SAME_V(x->attrs, y->attrs, "extmap attributes", i);
    }
    SAME(a->n_attrs, b->n_attrs, "attributes", -1);
    for (int i = 0; i < a->n_attrs && i < OKNO_SDP_MAX_ATTRS; i++) {
        SAME_V(a->attrs[i].name, b->attrs[i].name, "attribute name", i);
        SAME_V(a->attrs[i].value, b->attrs[i].value, "attribute value", i);
    }
    return true;
}

static bool cand_eq(struct cmp *c, const struct okno_sdp_candidate *x,
                    const struct okno_sdp_candidate *y, int i)
{
    SAME_V(x->foundation, y->foundation, "candidate foundation", i);
    SAME(x->component, y->component, "candidate component", i);
    SAME(x->transport, y->transport, "candidate transport", i);
    SAME(x->priority, y->priority, "candidate priority", i);
    SAME_V(x->address, y->address, "candidate address", i);
    SAME(x->port, y->port, "candidate port", i);
    SAME(x->type, y->type, "candidate type", i);
    SAME_V(x->raddr, y->raddr, "candidate raddr", i);
    SAME(x->has_rport, y->has_rport, "candidate rport", i);
    SAME(x->rport * x->has_rport, y->rport * y->has_rport, "candidate rport", i);
    SAME(x->tcptype, y->tcptype, "candidate tcptype", i);
    SAME(x->has_generation, y->has_generation, "candidate generation", i);
    SAME(x->generation * x->has_generation, y->generation * y->has_generation,
         "candidate generation", i);
    SAME_V(x->ufrag, y->ufrag, "candidate ufrag", i);
    SAME(x->has_network_id, y->has_network_id, "candidate network-id", i);
    SAME(x->network_id * x->has_network_id, y->network_id * y->has_network_id,
         "candidate network-id", i);
    SAME(x->has_network_cost, y->has_network_cost, "candidate network-cost", i);
    SAME(x->network_cost * x->has_network_cost, y->network_cost * y->has_network_cost,
         "candidate network-cost", i);
    SAME(x->n_exts, y->n_exts, "candidate extensions", i);
    for (int k = 0; k < x->n_exts && k < OKNO_SDP_MAX_CAND_EXTS; k++) {
        SAME_V(x->exts[k].name, y->exts[k].name, "candidate extension name", i);
        SAME_V(x->exts[k].value, y->exts[k].value, "candidate extension value", i);
    }
    return true;
}

static bool sc_eq(struct cmp *c, const struct okno_sdp_sc_list *a, const struct okno_sdp_sc_list *b)
{
    SAME(a->n_streams, b->n_streams, "simulcast streams", -1);
    for (int i = 0; i < a->n_streams && i < OKNO_SDP_MAX_RIDS; i++) {
        const struct okno_sdp_sc_stream *x = &a->streams[i], *y = &b->streams[i];
        SAME(x->n_alts, y->n_alts, "simulcast alternatives", i);
        for (int k = 0; k < x->n_alts && k < OKNO_SDP_MAX_SC_ALTS; k++) {
            SAME_V(x->alts[k].rid, y->alts[k].rid, "simulcast rid", i);
            SAME(x->alts[k].paused, y->alts[k].paused, "simulcast paused", i);
        }
    }
    return true;
}

/* rtcp-fb lines are written grouped by payload type, so only their order within one payload type is
 * kept: line i of a matches the line of b with the same pt and the same rank among that pt's lines.
 */
static int fb_rank(const struct okno_sdp_media *m, int i)
{
    int rank = 0;
    for (int k = 0; k < i; k++)
        rank += m->rtcp_fbs[k].pt == m->rtcp_fbs[i].pt;
    return rank;
}

static const struct okno_sdp_rtcp_fb *nth_fb(const struct okno_sdp_media *m, int pt, int rank)
{
    for (int k = 0; k < m->n_rtcp_fbs && k < OKNO_SDP_MAX_RTCP_FB; k++)
        if (m->rtcp_fbs[k].pt == pt && rank-- == 0)
            return &m->rtcp_fbs[k];
    return NULL;
}

static bool rtp_eq(struct cmp *c, const struct okno_sdp_media *a, const struct okno_sdp_media *b)
{
    SAME(a->n_codecs, b->n_codecs, "codecs", -1);
    for (int i = 0; i < a->n_codecs && i < OKNO_SDP_MAX_CODECS; i++) {
        const struct okno_sdp_codec *x = &a->codecs[i], *y = &b->codecs[i];
        SAME(x->pt, y->pt, "codec pt", i);
        SAME_V(x->name, y->name, "codec name", i);
        SAME(x->clock, y->clock, "codec clock", i);
        SAME(x->channels, y->channels, "codec channels", i);
        SAME_V(x->fmtp, y->fmtp, "codec fmtp", i);
    }
    SAME(a->n_rtcp_fbs, b->n_rtcp_fbs, "rtcp-fb", -1);
    for (int i = 0; i < a->n_rtcp_fbs && i < OKNO_SDP_MAX_RTCP_FB; i++) {
        const struct okno_sdp_rtcp_fb *x = &a->rtcp_fbs[i], *y = nth_fb(b, x->pt, fb_rank(a, i));
        if (!y)
            return differ(c, "rtcp-fb pt", i);
        SAME_V(x->type, y->type, "rtcp-fb type", i);
        SAME_V(x->subtype, y->subtype, "rtcp-fb subtype", i);
    }
    SAME(a->n_ssrcs, b->n_ssrcs, "ssrc", -1);
    for (int i = 0; i < a->n_ssrcs && i < OKNO_SDP_MAX_SSRCS; i++) {
        SAME(a->ssrcs[i].id, b->ssrcs[i].id, "ssrc id", i);
        SAME_V(a->ssrcs[i].attr, b->ssrcs[i].attr, "ssrc attribute", i);
        SAME_V(a->ssrcs[i].value, b->ssrcs[i].value, "ssrc value", i);
    }
    SAME(a->n_ssrc_groups, b->n_ssrc_groups, "ssrc-group", -1);
    for (int i = 0; i < a->n_ssrc_groups && i < OKNO_SDP_MAX_SSRC_GROUPS; i++) {
        const struct okno_sdp_ssrc_group *x = &a->ssrc_groups[i], *y = &b->ssrc_groups[i];
        SAME_V(x->semantics, y->semantics, "ssrc-group semantics", i);
        SAME(x->n_ssrcs, y->n_ssrcs, "ssrc-group size", i);
        if (x->n_ssrcs <= OKNO_SDP_MAX_GROUP_SSRCS &&
            memcmp(x->ssrcs, y->ssrcs, x->n_ssrcs * sizeof x->ssrcs[0]) != 0)
            return differ(c, "ssrc-group members", i);
    }
    SAME(a->n_rids, b->n_rids, "rid", -1);
    for (int i = 0; i < a->n_rids && i < OKNO_SDP_MAX_RIDS; i++) {
        const struct okno_sdp_rid *x = &a->rids[i], *y = &b->rids[i];
        SAME_V(x->id, y->id, "rid id", i);
        SAME(x->dir, y->dir, "rid direction", i);
        SAME(x->n_pts, y->n_pts, "rid pt", i);
        if (x->n_pts <= OKNO_SDP_MAX_RID_PTS && memcmp(x->pts, y->pts, x->n_pts) != 0)
            return differ(c, "rid pt", i);
        SAME_V(x->params, y->params, "rid restrictions", i);
    }
    return sc_eq(c, &a->sc_send, &b->sc_send) && sc_eq(c, &a->sc_recv, &b->sc_recv);
}

static bool media_eq(struct cmp *c, const struct okno_sdp_media *a, const struct okno_sdp_media *b)
{
    SAME_V(a->media, b->media, "m= media", -1);
    SAME(a->port, b->port, "m= port", -1);
    SAME(a->num_ports, b->num_ports, "m= port count", -1);
    SAME_V(a->proto, b->proto, "m= proto", -1);
    SAME(a->is_rtp, b->is_rtp, "m= proto", -1);
    if (!(a->is_rtp && a->n_codecs))
        SAME_V(a->fmt, b->fmt, "m= formats", -1);
    SAME_V(a->title, b->title, "i=", -1);
    SAME_V(a->mid, b->mid, "mid", -1);
    SAME_V(a->rtcp, b->rtcp, "rtcp", -1);
    SAME(a->rtcp_mux, b->rtcp_mux, "rtcp-mux", -1);
    SAME(a->rtcp_rsize, b->rtcp_rsize, "rtcp-rsize", -1);
    SAME(a->n_msids, b->n_msids, "msid", -1);
    for (int i = 0; i < a->n_msids && i < OKNO_SDP_MAX_MSIDS; i++) {
        SAME_V(a->msids[i].stream, b->msids[i].stream, "msid stream", i);
        SAME_V(a->msids[i].track, b->msids[i].track, "msid track", i);
    }
    SAME(a->n_candidates, b->n_candidates, "candidates", -1);
    for (int i = 0; i < a->n_candidates && i < OKNO_SDP_MAX_CANDIDATES; i++)
        if (!cand_eq(c, &a->candidates[i], &b->candidates[i], i))
            return false;
    SAME(a->sctp_port, b->sctp_port, "sctp-port", -1);
    SAME(a->has_max_message_size, b->has_max_message_size, "max-message-size", -1);
    SAME(a->max_message_size * a->has_max_message_size,
         b->max_message_size * b->has_max_message_size, "max-message-size", -1);
    return common_eq(c, &a->common, &b->common) && rtp_eq(c, a, b);
}

bool okno_sdp_equal(const struct okno_sdp *a, const struct okno_sdp *b, struct okno_sdp_diff *diff)
{
    struct cmp cc = {diff, -1}, *c = &cc;
    SAME_V(a->origin_user, b->origin_user, "o= username", -1);
    SAME(a->sess_id, b->sess_id, "o= session id", -1);
    SAME(a->sess_version, b->sess_version, "o= session version", -1);
    if (!conn_eq(c, &a->origin, &b->origin, "o= address"))
        return false;
    SAME_V(a->name, b->name, "s=", -1);
    SAME_V(a->info, b->info, "i=", -1);
    SAME_V(a->uri, b->uri, "u=", -1);
    SAME_V(a->email, b->email, "e=", -1);
    SAME_V(a->phone, b->phone, "p=", -1);
    SAME(a->t_start, b->t_start, "t= start", -1);
    SAME(a->t_stop, b->t_stop, "t= stop", -1);
    SAME(a->ice_lite, b->ice_lite, "ice-lite", -1);
    SAME(a->n_groups, b->n_groups, "group", -1);
    for (int i = 0; i < a->n_groups && i < OKNO_SDP_MAX_GROUPS; i++) {
        const struct okno_sdp_group *x = &a->groups[i], *y = &b->groups[i];
        SAME_V(x->semantics, y->semantics, "group semantics", i);
        SAME(x->n_mids, y->n_mids, "group mids", i);
        for (int k = 0; k < x->n_mids && k < OKNO_SDP_MAX_MEDIA; k++)
            SAME_V(x->mids[k], y->mids[k], "group mid", i);
    }
    SAME_V(a->msid_semantic, b->msid_semantic, "msid-semantic", -1);
    SAME_V(a->msid_semantic_ids, b->msid_semantic_ids, "msid-semantic ids", -1);
    if (!common_eq(c, &a->common, &b->common))
        return false;
    SAME(a->n_media, b->n_media, "m= count", -1);
    for (int i = 0; i < a->n_media && i < OKNO_SDP_MAX_MEDIA; i++) {
        cc.media = i;
        if (!media_eq(c, &a->media[i], &b->media[i]))
            return false;
    }
    return true;
}
