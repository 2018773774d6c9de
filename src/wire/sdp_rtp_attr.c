/* SDP attributes about RTP payloads and streams: rtpmap, fmtp, rtcp-fb (RFC 4585), ssrc and
 * ssrc-group (RFC 5576), rid (RFC 8851) and simulcast (RFC 8853).
 *
 * rtpmap, fmtp and rtcp-fb attach to a payload type the m= line declared, so they may come in any
 * order (Firefox writes every fmtp before the rtpmaps); naming an undeclared payload type is
 * malformed. The fmtp parameters stay one raw string, read on demand with okno_sdp_param_find():
 * each codec has its own grammar and most are never looked at. The old draft simulcast syntax
 * ("rid=" prefix) is refused. */
#include "wire/sdp_internal.h"

#include <string.h>

#include "okno/err.h"

/* The codec of the payload type that opens v ("96 ..."); the rest of v goes to *rest. */
static struct okno_sdp_codec *codec_of(struct okno__sdp_ctx *c, struct okno_sdp_str *v)
{
    struct okno_sdp_str tok;
    uint32_t pt;
    if (!okno__sdp_tok(v, &tok) || okno__sdp_u32(tok, 127, &pt)) {
        c->reason = "payload type is not 0..127";
        return NULL;
    }
    int i = okno_sdp_codec_by_pt(c->m, (int)pt);
    if (i < 0) {
        c->reason = "attribute names a payload type the m= line does not list";
        return NULL;
    }
    return &c->m->codecs[i];
}

int okno__sdp_attr_rtpmap(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_codec *k = codec_of(c, &v);
    if (!k)
        return OKNO_E_MALFORMED;
    if (k->name.p)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "rtpmap given twice for a payload type");
    struct okno_sdp_str enc = okno__sdp_trim(v), name, clock, chans, extra;
    if (!okno__sdp_is_token(enc) || !okno__sdp_cut(enc, '/', &name, &clock) || name.len == 0)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "rtpmap is not \"pt name/clock[/channels]\"");
    uint32_t n = 0;
    bool has_chans = okno__sdp_cut(clock, '/', &clock, &chans);
    if (okno__sdp_u32(clock, UINT32_MAX, &k->clock))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "rtpmap clock rate is not a number");
    if (has_chans &&
        (okno__sdp_cut(chans, '/', &chans, &extra) || okno__sdp_u32(chans, 255, &n) || n == 0))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "rtpmap channel count is not 1..255");
    k->channels = (uint8_t)n;
    k->name = name;
    return 0;
}

int okno__sdp_attr_fmtp(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_codec *k = codec_of(c, &v);
    if (!k)
        return OKNO_E_MALFORMED;
    if (k->fmtp.p)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "fmtp given twice for a payload type");
    k->fmtp = okno__sdp_trim(v);
    return 0;
}

int okno__sdp_attr_rtcp_fb(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_media *m = c->m;
    struct okno_sdp_str rest = v, tok;
    int pt = -1;
    if (!okno__sdp_tok(&rest, &tok))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "rtcp-fb has no payload type");
    if (!okno_sdp_str_eq(tok, "*")) {
        const struct okno_sdp_codec *k = codec_of(c, &v);
        if (!k)
            return OKNO_E_MALFORMED;
        pt = k->pt;
    }
    if (m->n_rtcp_fbs >= OKNO_SDP_MAX_RTCP_FB)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more rtcp-fb lines than OKNO_SDP_MAX_RTCP_FB");
    struct okno_sdp_rtcp_fb *fb = &m->rtcp_fbs[m->n_rtcp_fbs];
    memset(fb, 0, sizeof *fb);
    fb->pt = (int16_t)pt;
    if (!okno__sdp_tok(&rest, &fb->type))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "rtcp-fb has no feedback type");
    rest = okno__sdp_trim(rest);
    if (rest.len)
        fb->subtype = rest;
    m->n_rtcp_fbs++;
    return 0;
}

int okno__sdp_attr_ssrc(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_media *m = c->m;
    struct okno_sdp_str tok, attr, value;
    if (m->n_ssrcs >= OKNO_SDP_MAX_SSRCS)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more ssrc lines than OKNO_SDP_MAX_SSRCS");
    struct okno_sdp_ssrc *s = &m->ssrcs[m->n_ssrcs];
    if (!okno__sdp_tok(&v, &tok) || okno__sdp_u32(tok, UINT32_MAX, &s->id))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "ssrc id is not a 32-bit number");
    /* The value may hold blanks ("msid:stream track"): only the attribute name is a token. */
    if (!okno__sdp_tok(&v, &tok))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "ssrc has no attribute");
    v = okno__sdp_view(tok.p, v.len + (size_t)(v.p - tok.p));
    okno__sdp_cut(v, ':', &attr, &value);
    if (!okno__sdp_is_token(attr))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "ssrc has no attribute");
    s->attr = attr;
    s->value = value;
    m->n_ssrcs++;
    return 0;
}

int okno__sdp_attr_ssrc_group(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_media *m = c->m;
    struct okno_sdp_str tok;
    if (m->n_ssrc_groups >= OKNO_SDP_MAX_SSRC_GROUPS)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more ssrc-groups than OKNO_SDP_MAX_SSRC_GROUPS");
    struct okno_sdp_ssrc_group *g = &m->ssrc_groups[m->n_ssrc_groups];
    memset(g, 0, sizeof *g);
    if (!okno__sdp_tok(&v, &g->semantics))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "ssrc-group has no semantics");
    while (okno__sdp_tok(&v, &tok)) {
        if (g->n_ssrcs >= OKNO_SDP_MAX_GROUP_SSRCS)
            return okno__sdp_fail(c, OKNO_E_RANGE,
                                  "ssrc-group larger than OKNO_SDP_MAX_GROUP_SSRCS");
        if (okno__sdp_u32(tok, UINT32_MAX, &g->ssrcs[g->n_ssrcs]))
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "ssrc-group member is not a 32-bit number");
        g->n_ssrcs++;
    }
    if (g->n_ssrcs == 0)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "ssrc-group has no ssrc");
    m->n_ssrc_groups++;
    return 0;
}

bool okno__sdp_is_rid_id(struct okno_sdp_str s)
{
    if (!s.p || s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

/* "pt=96,97" at the head of the restrictions; the rest after ';' stays raw. */
static int rid_pts(struct okno__sdp_ctx *c, struct okno_sdp_rid *r, struct okno_sdp_str params)
{
    struct okno_sdp_str list, rest, pt;
    bool more = okno__sdp_cut(params, ';', &list, &rest);
    list = okno__sdp_view(list.p + 3, list.len - 3);
    do {
        bool next = okno__sdp_cut(list, ',', &pt, &list);
        uint32_t n;
        if (okno__sdp_u32(pt, 127, &n))
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "rid pt= is not a list of 0..127");
        if (r->n_pts >= OKNO_SDP_MAX_RID_PTS)
            return okno__sdp_fail(c, OKNO_E_RANGE, "rid lists more than OKNO_SDP_MAX_RID_PTS");
        r->pts[r->n_pts++] = (uint8_t)n;
        if (!next)
            break;
    } while (1);
    if (more)
        r->params = rest;
    return 0;
}

int okno__sdp_attr_rid(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_media *m = c->m;
    struct okno_sdp_str dir;
    if (m->n_rids >= OKNO_SDP_MAX_RIDS)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more rids than OKNO_SDP_MAX_RIDS");
    struct okno_sdp_rid *r = &m->rids[m->n_rids];
    memset(r, 0, sizeof *r);
    if (!okno__sdp_tok(&v, &r->id) || !okno__sdp_is_rid_id(r->id) || !okno__sdp_tok(&v, &dir))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "rid is not \"id send|recv [restrictions]\"");
    if (okno_sdp_str_eq(dir, "send"))
        r->dir = OKNO_SDP_RID_SEND;
    else if (okno_sdp_str_eq(dir, "recv"))
        r->dir = OKNO_SDP_RID_RECV;
    else
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "rid direction is not send or recv");
    for (unsigned i = 0; i < m->n_rids; i++)
        if (okno__sdp_eq(m->rids[i].id, r->id))
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "rid id given twice");
    struct okno_sdp_str params = okno__sdp_trim(v);
    if (params.len >= 3 && memcmp(params.p, "pt=", 3) == 0) {
        int rc = rid_pts(c, r, params);
        if (rc)
            return rc;
    } else if (params.len) {
        r->params = params;
    }
    m->n_rids++;
    return 0;
}

static bool sc_names(const struct okno_sdp_sc_list *l, struct okno_sdp_str rid)
{
    for (unsigned i = 0; i < l->n_streams; i++)
        for (unsigned j = 0; j < l->streams[i].n_alts; j++)
            if (okno__sdp_eq(l->streams[i].alts[j].rid, rid))
                return true;
    return false;
}

/* One direction's "a;b,~c" list. A rid named twice (RFC 8853 5.1 forbids it) would make two
 * layers of one encoding, and an answer naming it twice that no parser takes back. */
static int sc_list(struct okno__sdp_ctx *c, struct okno_sdp_sc_list *l,
                   const struct okno_sdp_sc_list *other, struct okno_sdp_str v)
{
    struct okno_sdp_str stream, alt;
    bool more;
    do {
        more = okno__sdp_cut(v, ';', &stream, &v);
        if (l->n_streams >= OKNO_SDP_MAX_RIDS)
            return okno__sdp_fail(c, OKNO_E_RANGE, "simulcast lists more than OKNO_SDP_MAX_RIDS");
        struct okno_sdp_sc_stream *s = &l->streams[l->n_streams++];
        bool next;
        do {
            next = okno__sdp_cut(stream, ',', &alt, &stream);
            if (s->n_alts >= OKNO_SDP_MAX_SC_ALTS)
                return okno__sdp_fail(c, OKNO_E_RANGE, "more simulcast alternatives than allowed");
            bool paused = alt.len && alt.p[0] == '~';
            struct okno_sdp_str rid = paused ? okno__sdp_view(alt.p + 1, alt.len - 1) : alt;
            if (!okno__sdp_is_rid_id(rid))
                return okno__sdp_fail(c, OKNO_E_MALFORMED, "simulcast names an invalid rid");
            if (sc_names(l, rid) || sc_names(other, rid))
                return okno__sdp_fail(c, OKNO_E_MALFORMED, "simulcast names a rid twice");
            s->alts[s->n_alts++] = (struct okno_sdp_sc_alt){.rid = rid, .paused = paused};
        } while (next);
    } while (more);
    return 0;
}

int okno__sdp_attr_simulcast(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_media *m = c->m;
    struct okno_sdp_str dir, list;
    if (m->sc_send.n_streams || m->sc_recv.n_streams)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "simulcast given twice");
    int pairs = 0;
    while (okno__sdp_tok(&v, &dir)) {
        struct okno_sdp_sc_list *l = okno_sdp_str_eq(dir, "send")   ? &m->sc_send
                                     : okno_sdp_str_eq(dir, "recv") ? &m->sc_recv
                                                                    : NULL;
        if (!l || l->n_streams || !okno__sdp_tok(&v, &list))
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "simulcast is not \"send|recv list\"");
        memset(l, 0, sizeof *l);
        int rc = sc_list(c, l, l == &m->sc_send ? &m->sc_recv : &m->sc_send, list);
        if (rc)
            return rc;
        pairs++;
    }
    if (pairs == 0)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "simulcast has no list");
    return 0;
}
