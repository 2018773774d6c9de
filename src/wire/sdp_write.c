/* SDP generation: the model back to text with \r\n line ends, into a caller buffer.
 *
 * Lines come in the order Chromium writes them (session: v o s t group extmap-allow-mixed
 * msid-semantic; section: m c a=rtcp candidates ICE DTLS mid extmaps direction msid rtcp-mux/rsize,
 * other attributes, then per codec rtpmap, its rtcp-fb, fmtp, then ssrc-group, ssrc, rid,
 * simulcast), so a Chromium offer comes back byte for byte and our answers look like what browsers
 * are tested against. Firefox's alphabetical order is not kept: a re-parse gives the same model,
 * not the same bytes. Lists are written up to their capacity even if a hand-built count says more.
 */
#include "wire/sdp_internal.h"

#include <limits.h>
#include <string.h>

#include "okno/err.h"

#define UPTO(n, cap) ((n) < (cap) ? (unsigned)(n) : (unsigned)(cap))

void okno__sdp_put(struct okno__sdp_out *o, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (o->overflow || n > o->cap - o->len) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

void okno__sdp_puts(struct okno__sdp_out *o, const char *s)
{
    okno__sdp_put(o, s, strlen(s));
}

void okno__sdp_putv(struct okno__sdp_out *o, struct okno_sdp_str v)
{
    if (!v.p)
        return;
    if (memchr(v.p, '\r', v.len) || memchr(v.p, '\n', v.len) || memchr(v.p, '\0', v.len))
        o->bad = true;
    okno__sdp_put(o, v.p, v.len);
}

void okno__sdp_putc(struct okno__sdp_out *o, char ch)
{
    okno__sdp_put(o, &ch, 1);
}

void okno__sdp_putu(struct okno__sdp_out *o, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    okno__sdp_put(o, tmp + sizeof tmp - n, n);
}

int okno__sdp_finish(struct okno__sdp_out *o)
{
    if (o->bad)
        return OKNO_E_INVAL;
    if (o->overflow || o->len >= o->cap || o->len > INT_MAX)
        return OKNO_E_NOSPC;
    o->buf[o->len] = '\0';
    return (int)o->len;
}

const char *okno__sdp_dir_name(enum okno_sdp_direction d)
{
    static const char *const names[] = {"", "sendrecv", "sendonly", "recvonly", "inactive"};
    return (unsigned)d <= OKNO_SDP_DIR_INACTIVE ? names[d] : "";
}

const char *okno__sdp_setup_name(enum okno_sdp_setup s)
{
    static const char *const names[] = {"", "actpass", "active", "passive", "holdconn"};
    return (unsigned)s <= OKNO_SDP_SETUP_HOLDCONN ? names[s] : "";
}

static void eol(struct okno__sdp_out *o)
{
    okno__sdp_put(o, "\r\n", 2);
}

/* "prefix" + view + CRLF, only when the view is present. */
static void line_v(struct okno__sdp_out *o, const char *prefix, struct okno_sdp_str v)
{
    if (!v.p)
        return;
    okno__sdp_puts(o, prefix);
    okno__sdp_putv(o, v);
    eol(o);
}

static void flag(struct okno__sdp_out *o, bool on, const char *line)
{
    if (on)
        okno__sdp_puts(o, line);
}

static void put_conn(struct okno__sdp_out *o, const struct okno_sdp_conn *c)
{
    okno__sdp_putv(o, c->nettype);
    okno__sdp_putc(o, ' ');
    okno__sdp_putv(o, c->addrtype);
    okno__sdp_putc(o, ' ');
    okno__sdp_putv(o, c->address);
}

static void put_conn_bw(struct okno__sdp_out *o, const struct okno_sdp_common *l)
{
    if (l->conn.nettype.p) {
        okno__sdp_puts(o, "c=");
        put_conn(o, &l->conn);
        eol(o);
    }
    for (unsigned i = 0; i < UPTO(l->n_bandwidths, OKNO_SDP_MAX_BANDWIDTHS); i++) {
        okno__sdp_puts(o, "b=");
        okno__sdp_putv(o, l->bandwidths[i].type);
        okno__sdp_putc(o, ':');
        okno__sdp_putu(o, l->bandwidths[i].value);
        eol(o);
    }
}

static void put_ice_dtls(struct okno__sdp_out *o, const struct okno_sdp_common *l)
{
    static const char hex[] = "0123456789ABCDEF";
    line_v(o, "a=ice-ufrag:", l->ice_ufrag);
    line_v(o, "a=ice-pwd:", l->ice_pwd);
    line_v(o, "a=ice-options:", l->ice_options);
    for (unsigned i = 0; i < UPTO(l->n_fingerprints, OKNO_SDP_MAX_FINGERPRINTS); i++) {
        const struct okno_sdp_fingerprint *f = &l->fingerprints[i];
        okno__sdp_puts(o, "a=fingerprint:");
        okno__sdp_putv(o, f->hash);
        for (unsigned k = 0; k < UPTO(f->len, OKNO_SDP_MAX_DIGEST); k++) {
            char b[3] = {k ? ':' : ' ', hex[f->digest[k] >> 4], hex[f->digest[k] & 15]};
            okno__sdp_put(o, b, 3);
        }
        eol(o);
    }
    if (l->setup != OKNO_SDP_SETUP_NONE) {
        okno__sdp_puts(o, "a=setup:");
        okno__sdp_puts(o, okno__sdp_setup_name(l->setup));
        eol(o);
    }
}

static void put_extmaps(struct okno__sdp_out *o, const struct okno_sdp_common *l)
{
    for (unsigned i = 0; i < UPTO(l->n_extmaps, OKNO_SDP_MAX_EXTMAPS); i++) {
        const struct okno_sdp_extmap *e = &l->extmaps[i];
        okno__sdp_puts(o, "a=extmap:");
        okno__sdp_putu(o, e->id);
        if (e->dir != OKNO_SDP_DIR_NONE) {
            okno__sdp_putc(o, '/');
            okno__sdp_puts(o, okno__sdp_dir_name(e->dir));
        }
        okno__sdp_putc(o, ' ');
        okno__sdp_putv(o, e->uri);
        if (e->attrs.p) {
            okno__sdp_putc(o, ' ');
            okno__sdp_putv(o, e->attrs);
        }
        eol(o);
    }
}

static void put_dir(struct okno__sdp_out *o, enum okno_sdp_direction d)
{
    if (d == OKNO_SDP_DIR_NONE)
        return;
    okno__sdp_puts(o, "a=");
    okno__sdp_puts(o, okno__sdp_dir_name(d));
    eol(o);
}

static void put_attrs(struct okno__sdp_out *o, const struct okno_sdp_common *l)
{
    for (unsigned i = 0; i < UPTO(l->n_attrs, OKNO_SDP_MAX_ATTRS); i++) {
        okno__sdp_puts(o, "a=");
        okno__sdp_putv(o, l->attrs[i].name);
        if (l->attrs[i].value.p) {
            okno__sdp_putc(o, ':');
            okno__sdp_putv(o, l->attrs[i].value);
        }
        eol(o);
    }
}

static void put_session(struct okno__sdp_out *o, const struct okno_sdp *s)
{
    const struct okno_sdp_common *l = &s->common;
    okno__sdp_puts(o, "v=0\r\no=");
    okno__sdp_putv(o, s->origin_user);
    okno__sdp_putc(o, ' ');
    okno__sdp_putu(o, s->sess_id);
    okno__sdp_putc(o, ' ');
    okno__sdp_putu(o, s->sess_version);
    okno__sdp_putc(o, ' ');
    put_conn(o, &s->origin);
    eol(o);
    line_v(o, "s=", s->name.p ? s->name : okno_sdp_str("-"));
    line_v(o, "i=", s->info);
    line_v(o, "u=", s->uri);
    line_v(o, "e=", s->email);
    line_v(o, "p=", s->phone);
    put_conn_bw(o, l);
    okno__sdp_puts(o, "t=");
    okno__sdp_putu(o, s->t_start);
    okno__sdp_putc(o, ' ');
    okno__sdp_putu(o, s->t_stop);
    eol(o);
    flag(o, s->ice_lite, "a=ice-lite\r\n");
    for (unsigned i = 0; i < UPTO(s->n_groups, OKNO_SDP_MAX_GROUPS); i++) {
        okno__sdp_puts(o, "a=group:");
        okno__sdp_putv(o, s->groups[i].semantics);
        for (unsigned k = 0; k < UPTO(s->groups[i].n_mids, OKNO_SDP_MAX_MEDIA); k++) {
            okno__sdp_putc(o, ' ');
            okno__sdp_putv(o, s->groups[i].mids[k]);
        }
        eol(o);
    }
    flag(o, l->extmap_allow_mixed, "a=extmap-allow-mixed\r\n");
    if (s->msid_semantic.p) {
        okno__sdp_puts(o, "a=msid-semantic: ");
        okno__sdp_putv(o, s->msid_semantic);
        if (s->msid_semantic_ids.len) {
            okno__sdp_putc(o, ' ');
            okno__sdp_putv(o, s->msid_semantic_ids);
        }
        eol(o);
    }
    put_ice_dtls(o, l);
    put_dir(o, l->direction);
    put_extmaps(o, l);
    flag(o, l->end_of_candidates, "a=end-of-candidates\r\n");
    put_attrs(o, l);
}

static void put_codecs(struct okno__sdp_out *o, const struct okno_sdp_media *m)
{
    unsigned n_fb = UPTO(m->n_rtcp_fbs, OKNO_SDP_MAX_RTCP_FB);
    for (int k = -1; k < (int)UPTO(m->n_codecs, OKNO_SDP_MAX_CODECS); k++) {
        const struct okno_sdp_codec *c = k >= 0 ? &m->codecs[k] : NULL;
        if (c && c->name.p) {
            okno__sdp_puts(o, "a=rtpmap:");
            okno__sdp_putu(o, c->pt);
            okno__sdp_putc(o, ' ');
            okno__sdp_putv(o, c->name);
            okno__sdp_putc(o, '/');
            okno__sdp_putu(o, c->clock);
            if (c->channels) {
                okno__sdp_putc(o, '/');
                okno__sdp_putu(o, c->channels);
            }
            eol(o);
        }
        /* k == -1: the '*' lines, before any codec */
        for (unsigned i = 0; i < n_fb; i++) {
            const struct okno_sdp_rtcp_fb *fb = &m->rtcp_fbs[i];
            if (fb->pt != (c ? c->pt : -1))
                continue;
            okno__sdp_puts(o, "a=rtcp-fb:");
            if (c)
                okno__sdp_putu(o, c->pt);
            else
                okno__sdp_putc(o, '*');
            okno__sdp_putc(o, ' ');
            okno__sdp_putv(o, fb->type);
            if (fb->subtype.p) {
                okno__sdp_putc(o, ' ');
                okno__sdp_putv(o, fb->subtype);
            }
            eol(o);
        }
        if (c && c->fmtp.p) {
            okno__sdp_puts(o, "a=fmtp:");
            okno__sdp_putu(o, c->pt);
            okno__sdp_putc(o, ' ');
            okno__sdp_putv(o, c->fmtp);
            eol(o);
        }
    }
}

static void put_ssrcs(struct okno__sdp_out *o, const struct okno_sdp_media *m)
{
    for (unsigned i = 0; i < UPTO(m->n_ssrc_groups, OKNO_SDP_MAX_SSRC_GROUPS); i++) {
        const struct okno_sdp_ssrc_group *g = &m->ssrc_groups[i];
        okno__sdp_puts(o, "a=ssrc-group:");
        okno__sdp_putv(o, g->semantics);
        for (unsigned k = 0; k < UPTO(g->n_ssrcs, OKNO_SDP_MAX_GROUP_SSRCS); k++) {
            okno__sdp_putc(o, ' ');
            okno__sdp_putu(o, g->ssrcs[k]);
        }
        eol(o);
    }
    for (unsigned i = 0; i < UPTO(m->n_ssrcs, OKNO_SDP_MAX_SSRCS); i++) {
        okno__sdp_puts(o, "a=ssrc:");
        okno__sdp_putu(o, m->ssrcs[i].id);
        okno__sdp_putc(o, ' ');
        okno__sdp_putv(o, m->ssrcs[i].attr);
        if (m->ssrcs[i].value.p) {
            okno__sdp_putc(o, ':');
            okno__sdp_putv(o, m->ssrcs[i].value);
        }
        eol(o);
    }
}

static void put_sc_list(struct okno__sdp_out *o, const char *dir, const struct okno_sdp_sc_list *l)
{
    okno__sdp_puts(o, dir);
    for (unsigned i = 0; i < UPTO(l->n_streams, OKNO_SDP_MAX_RIDS); i++) {
        if (i)
            okno__sdp_putc(o, ';');
        for (unsigned k = 0; k < UPTO(l->streams[i].n_alts, OKNO_SDP_MAX_SC_ALTS); k++) {
            if (k)
                okno__sdp_putc(o, ',');
            if (l->streams[i].alts[k].paused)
                okno__sdp_putc(o, '~');
            okno__sdp_putv(o, l->streams[i].alts[k].rid);
        }
    }
}

static void put_rids(struct okno__sdp_out *o, const struct okno_sdp_media *m)
{
    for (unsigned i = 0; i < UPTO(m->n_rids, OKNO_SDP_MAX_RIDS); i++) {
        const struct okno_sdp_rid *r = &m->rids[i];
        okno__sdp_puts(o, "a=rid:");
        okno__sdp_putv(o, r->id);
        okno__sdp_puts(o, r->dir == OKNO_SDP_RID_RECV ? " recv" : " send");
        for (unsigned k = 0; k < UPTO(r->n_pts, OKNO_SDP_MAX_RID_PTS); k++) {
            okno__sdp_puts(o, k ? "," : " pt=");
            okno__sdp_putu(o, r->pts[k]);
        }
        if (r->params.p) {
            okno__sdp_putc(o, r->n_pts ? ';' : ' ');
            okno__sdp_putv(o, r->params);
        }
        eol(o);
    }
    if (m->sc_send.n_streams || m->sc_recv.n_streams) {
        okno__sdp_puts(o, "a=simulcast:");
        if (m->sc_send.n_streams)
            put_sc_list(o, "send ", &m->sc_send);
        if (m->sc_send.n_streams && m->sc_recv.n_streams)
            okno__sdp_putc(o, ' ');
        if (m->sc_recv.n_streams)
            put_sc_list(o, "recv ", &m->sc_recv);
        eol(o);
    }
}

static void put_media(struct okno__sdp_out *o, const struct okno_sdp_media *m)
{
    const struct okno_sdp_common *l = &m->common;
    okno__sdp_puts(o, "m=");
    okno__sdp_putv(o, m->media);
    okno__sdp_putc(o, ' ');
    okno__sdp_putu(o, m->port);
    if (m->num_ports) {
        okno__sdp_putc(o, '/');
        okno__sdp_putu(o, m->num_ports);
    }
    okno__sdp_putc(o, ' ');
    okno__sdp_putv(o, m->proto);
    if (m->is_rtp && m->n_codecs) {
        for (unsigned i = 0; i < UPTO(m->n_codecs, OKNO_SDP_MAX_CODECS); i++) {
            okno__sdp_putc(o, ' ');
            okno__sdp_putu(o, m->codecs[i].pt);
        }
    } else if (m->fmt.len) {
        okno__sdp_putc(o, ' ');
        okno__sdp_putv(o, m->fmt);
    } else {
        o->bad = true; /* an m= line needs a format */
    }
    eol(o);
    line_v(o, "i=", m->title);
    put_conn_bw(o, l);
    line_v(o, "a=rtcp:", m->rtcp);
    for (unsigned i = 0; i < UPTO(m->n_candidates, OKNO_SDP_MAX_CANDIDATES); i++) {
        okno__sdp_puts(o, "a=");
        okno__sdp_put_candidate(o, &m->candidates[i]);
        eol(o);
    }
    flag(o, l->end_of_candidates, "a=end-of-candidates\r\n");
    put_ice_dtls(o, l);
    line_v(o, "a=mid:", m->mid);
    put_extmaps(o, l);
    flag(o, l->extmap_allow_mixed, "a=extmap-allow-mixed\r\n");
    put_dir(o, l->direction);
    for (unsigned i = 0; i < UPTO(m->n_msids, OKNO_SDP_MAX_MSIDS); i++) {
        okno__sdp_puts(o, "a=msid:");
        okno__sdp_putv(o, m->msids[i].stream);
        if (m->msids[i].track.p) {
            okno__sdp_putc(o, ' ');
            okno__sdp_putv(o, m->msids[i].track);
        }
        eol(o);
    }
    flag(o, m->rtcp_mux, "a=rtcp-mux\r\n");
    flag(o, m->rtcp_rsize, "a=rtcp-rsize\r\n");
    put_attrs(o, l);
    if (m->sctp_port) {
        okno__sdp_puts(o, "a=sctp-port:");
        okno__sdp_putu(o, m->sctp_port);
        eol(o);
    }
    if (m->has_max_message_size) {
        okno__sdp_puts(o, "a=max-message-size:");
        okno__sdp_putu(o, m->max_message_size);
        eol(o);
    }
    put_codecs(o, m);
    put_ssrcs(o, m);
    put_rids(o, m);
}

int okno_sdp_write(const struct okno_sdp *sdp, char *buf, size_t cap)
{
    if (!sdp || (!buf && cap))
        return OKNO_E_INVAL;
    struct okno__sdp_out o = {buf, cap, 0, false, false};
    put_session(&o, sdp);
    for (unsigned i = 0; i < UPTO(sdp->n_media, OKNO_SDP_MAX_MEDIA); i++)
        put_media(&o, &sdp->media[i]);
    return okno__sdp_finish(&o);
}
