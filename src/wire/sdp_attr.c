/* SDP attribute lines: the table that says which attribute may appear at which level, and the
 * parsers of the transport-level ones (ICE, DTLS, grouping, mid, msid, header extensions, SCTP).
 * The RTP payload attributes (rtpmap, fmtp, rtcp-fb, ssrc, rid, simulcast) are in sdp_rtp_attr.c,
 * candidates in sdp_cand.c.
 *
 * Unknown attributes are kept raw at their level. A known attribute at the wrong level, given twice
 * where only one makes sense, or outside its grammar is OKNO_E_MALFORMED: a description we would
 * misread is refused rather than guessed at. */
#include "wire/sdp_internal.h"

#include <string.h>

#include "okno/err.h"

static int need_value(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    return v.p ? 0 : okno__sdp_fail(c, OKNO_E_MALFORMED, "attribute needs a value");
}

/* RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/" */
static bool is_ice_chars(struct okno_sdp_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
        if (!ok)
            return false;
    }
    return true;
}

static int ice_cred(struct okno__sdp_ctx *c, struct okno_sdp_str *field, struct okno_sdp_str v,
                    size_t min)
{
    v = okno__sdp_trim(v);
    if (field->p)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "ICE credential given twice");
    if (v.len < min || v.len > 256 || !is_ice_chars(v))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "ICE credential has a bad length or character");
    *field = v;
    return 0;
}

static int attr_ice_ufrag(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    return ice_cred(c, &c->lvl->ice_ufrag, v, 4);
}

static int attr_ice_pwd(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    return ice_cred(c, &c->lvl->ice_pwd, v, 22);
}

static int attr_ice_options(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    v = okno__sdp_trim(v);
    if (c->lvl->ice_options.p || v.len == 0)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "ice-options empty or given twice");
    c->lvl->ice_options = v;
    return 0;
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* The digest length a known hash function gives, 0 for one we do not know (kept, any length). */
static size_t digest_len(struct okno_sdp_str hash)
{
    static const struct {
        const char *name;
        size_t len;
    } known[] = {{"sha-1", 20},   {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48},
                 {"sha-512", 64}, {"md5", 16},     {"md2", 16}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (okno_sdp_str_eqi(hash, known[i].name))
            return known[i].len;
    return 0;
}

static int attr_fingerprint(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_common *l = c->lvl;
    struct okno_sdp_str hash, hex, extra;
    if (!okno__sdp_tok(&v, &hash) || !okno__sdp_tok(&v, &hex) || okno__sdp_tok(&v, &extra))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "fingerprint is not \"hash XX:XX...\"");
    if (l->n_fingerprints >= OKNO_SDP_MAX_FINGERPRINTS)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more fingerprints than OKNO_SDP_MAX_FINGERPRINTS");
    struct okno_sdp_fingerprint *f = &l->fingerprints[l->n_fingerprints];
    /* "XX" then ":XX" per byte */
    if (hex.len % 3 != 2 || hex.len / 3 + 1 > OKNO_SDP_MAX_DIGEST)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "fingerprint digest has a bad length");
    size_t n = hex.len / 3 + 1;
    for (size_t i = 0; i < n; i++) {
        const char *p = hex.p + 3 * i;
        int hi = hex_digit(p[0]), lo = hex_digit(p[1]);
        if (hi < 0 || lo < 0 || (i + 1 < n && p[2] != ':'))
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "fingerprint digest is not colon hex");
        f->digest[i] = (uint8_t)(hi << 4 | lo);
    }
    size_t want = digest_len(hash);
    if (want && want != n)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "fingerprint length does not match its hash");
    f->hash = hash;
    f->len = (uint8_t)n;
    l->n_fingerprints++;
    return 0;
}

static int attr_setup(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    static const char *names[] = {"actpass", "active", "passive", "holdconn"};
    v = okno__sdp_trim(v);
    if (c->lvl->setup != OKNO_SDP_SETUP_NONE)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "setup given twice");
    for (int i = 0; i < 4; i++) {
        if (okno_sdp_str_eq(v, names[i])) {
            c->lvl->setup = (enum okno_sdp_setup)(OKNO_SDP_SETUP_ACTPASS + i);
            return 0;
        }
    }
    return okno__sdp_fail(c, OKNO_E_MALFORMED, "setup is not actpass/active/passive/holdconn");
}

static int parse_dir(struct okno_sdp_str v, enum okno_sdp_direction *d)
{
    for (int i = OKNO_SDP_DIR_SENDRECV; i <= OKNO_SDP_DIR_INACTIVE; i++) {
        if (okno_sdp_str_eq(v, okno__sdp_dir_name((enum okno_sdp_direction)i))) {
            *d = (enum okno_sdp_direction)i;
            return 0;
        }
    }
    return OKNO_E_MALFORMED;
}

static int attr_extmap(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_common *l = c->lvl;
    struct okno_sdp_str idtok, idnum, dir, uri;
    if (!okno__sdp_tok(&v, &idtok) || !okno__sdp_tok(&v, &uri))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "extmap is not \"id[/direction] uri\"");
    if (l->n_extmaps >= OKNO_SDP_MAX_EXTMAPS)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more extmaps than OKNO_SDP_MAX_EXTMAPS");
    struct okno_sdp_extmap *e = &l->extmaps[l->n_extmaps];
    memset(e, 0, sizeof *e);
    uint32_t id;
    bool has_dir = okno__sdp_cut(idtok, '/', &idnum, &dir);
    if (okno__sdp_u32(idnum, 255, &id) || id == 0)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "extmap id is not 1..255");
    if (has_dir && parse_dir(dir, &e->dir))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "extmap direction is not a direction");
    for (unsigned i = 0; i < l->n_extmaps; i++)
        if (l->extmaps[i].id == id)
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "extmap id used twice");
    e->id = (uint16_t)id;
    e->uri = uri;
    v = okno__sdp_trim(v);
    if (v.len)
        e->attrs = v;
    l->n_extmaps++;
    return 0;
}

static int attr_mid(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    v = okno__sdp_trim(v);
    if (c->m->mid.p)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "mid given twice");
    if (!okno__sdp_is_token(v))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "mid is empty or has a blank");
    for (unsigned i = 0; i < c->sdp->n_media; i++)
        if (okno__sdp_eq(c->sdp->media[i].mid, v))
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "mid used by two sections");
    c->m->mid = v;
    return 0;
}

static int attr_group(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp *s = c->sdp;
    struct okno_sdp_str tok;
    if (s->n_groups >= OKNO_SDP_MAX_GROUPS)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more groups than OKNO_SDP_MAX_GROUPS");
    struct okno_sdp_group *g = &s->groups[s->n_groups];
    memset(g, 0, sizeof *g);
    if (!okno__sdp_tok(&v, &g->semantics))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "group has no semantics");
    while (okno__sdp_tok(&v, &tok)) {
        if (g->n_mids >= OKNO_SDP_MAX_MEDIA)
            return okno__sdp_fail(c, OKNO_E_RANGE, "group names more mids than OKNO_SDP_MAX_MEDIA");
        g->mids[g->n_mids++] = tok;
    }
    s->n_groups++;
    return 0;
}

static int attr_msid_semantic(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp *s = c->sdp;
    if (s->msid_semantic.p)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "msid-semantic given twice");
    if (!okno__sdp_tok(&v, &s->msid_semantic))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "msid-semantic has no semantic");
    s->msid_semantic_ids = okno__sdp_trim(v);
    return 0;
}

static int attr_msid(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_media *m = c->m;
    struct okno_sdp_str extra;
    if (m->n_msids >= OKNO_SDP_MAX_MSIDS)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more msids than OKNO_SDP_MAX_MSIDS");
    struct okno_sdp_msid *id = &m->msids[m->n_msids];
    memset(id, 0, sizeof *id);
    if (!okno__sdp_tok(&v, &id->stream))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "msid has no stream id");
    if (okno__sdp_tok(&v, &id->track) && okno__sdp_tok(&v, &extra))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "msid has more than two fields");
    m->n_msids++;
    return 0;
}

static int attr_rtcp(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    v = okno__sdp_trim(v);
    if (c->m->rtcp.p || v.len == 0)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "rtcp empty or given twice");
    c->m->rtcp = v;
    return 0;
}

static int attr_candidate(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_media *m = c->m;
    if (m->n_candidates >= OKNO_SDP_MAX_CANDIDATES)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more candidates than OKNO_SDP_MAX_CANDIDATES");
    int rc = okno__sdp_candidate(&m->candidates[m->n_candidates], v, &c->reason);
    if (rc == OKNO_E_UNSUPPORTED) {
        if (m->n_candidates_dropped < UINT8_MAX)
            m->n_candidates_dropped++;
        return 0;
    }
    if (rc == 0)
        m->n_candidates++;
    return rc;
}

static int attr_sctp_port(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    uint32_t port;
    if (c->m->sctp_port || okno__sdp_u32(okno__sdp_trim(v), 65535, &port) || port == 0)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "sctp-port is not 1..65535 or given twice");
    c->m->sctp_port = (uint16_t)port;
    return 0;
}

static int attr_max_message_size(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    if (c->m->has_max_message_size ||
        okno__sdp_u32(okno__sdp_trim(v), UINT32_MAX, &c->m->max_message_size))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "max-message-size is not a number");
    c->m->has_max_message_size = true;
    return 0;
}

/* Property attributes (no value) that set a flag. */
static bool *flag_of(struct okno__sdp_ctx *c, struct okno_sdp_str name)
{
    if (okno_sdp_str_eq(name, "extmap-allow-mixed"))
        return &c->lvl->extmap_allow_mixed;
    if (okno_sdp_str_eq(name, "end-of-candidates"))
        return &c->lvl->end_of_candidates;
    if (okno_sdp_str_eq(name, "ice-lite"))
        return c->m ? NULL : &c->sdp->ice_lite;
    if (okno_sdp_str_eq(name, "rtcp-mux"))
        return c->m ? &c->m->rtcp_mux : NULL;
    if (okno_sdp_str_eq(name, "rtcp-rsize"))
        return c->m ? &c->m->rtcp_rsize : NULL;
    return NULL;
}

enum { AT_SESSION = 1, AT_MEDIA = 2, AT_BOTH = 3 };

static const struct {
    const char *name;
    unsigned levels;
    int (*parse)(struct okno__sdp_ctx *c, struct okno_sdp_str v);
} handlers[] = {
    {"candidate", AT_MEDIA, attr_candidate},
    {"rtcp-fb", AT_MEDIA, okno__sdp_attr_rtcp_fb},
    {"rtpmap", AT_MEDIA, okno__sdp_attr_rtpmap},
    {"fmtp", AT_MEDIA, okno__sdp_attr_fmtp},
    {"extmap", AT_BOTH, attr_extmap},
    {"ssrc", AT_MEDIA, okno__sdp_attr_ssrc},
    {"ssrc-group", AT_MEDIA, okno__sdp_attr_ssrc_group},
    {"rid", AT_MEDIA, okno__sdp_attr_rid},
    {"simulcast", AT_MEDIA, okno__sdp_attr_simulcast},
    {"ice-ufrag", AT_BOTH, attr_ice_ufrag},
    {"ice-pwd", AT_BOTH, attr_ice_pwd},
    {"ice-options", AT_BOTH, attr_ice_options},
    {"fingerprint", AT_BOTH, attr_fingerprint},
    {"setup", AT_BOTH, attr_setup},
    {"mid", AT_MEDIA, attr_mid},
    {"msid", AT_MEDIA, attr_msid},
    {"rtcp", AT_MEDIA, attr_rtcp},
    {"group", AT_SESSION, attr_group},
    {"msid-semantic", AT_SESSION, attr_msid_semantic},
    {"sctp-port", AT_MEDIA, attr_sctp_port},
    {"max-message-size", AT_MEDIA, attr_max_message_size},
};

static int attr_unknown(struct okno__sdp_ctx *c, struct okno_sdp_str name, struct okno_sdp_str v)
{
    struct okno_sdp_common *l = c->lvl;
    if (l->n_attrs >= OKNO_SDP_MAX_ATTRS)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more unknown attributes than OKNO_SDP_MAX_ATTRS");
    l->attrs[l->n_attrs].name = name;
    l->attrs[l->n_attrs].value = v;
    l->n_attrs++;
    return 0;
}

int okno__sdp_attr(struct okno__sdp_ctx *c, struct okno_sdp_str line)
{
    struct okno_sdp_str name, value;
    okno__sdp_cut(line, ':', &name, &value);
    if (!okno__sdp_is_token(name))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "attribute name is empty or has a blank");
    unsigned level = c->m ? AT_MEDIA : AT_SESSION;
    enum okno_sdp_direction dir;
    if (parse_dir(name, &dir) == 0) {
        if (value.p || c->lvl->direction != OKNO_SDP_DIR_NONE)
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "direction with a value or given twice");
        c->lvl->direction = dir;
        return 0;
    }
    bool *flag = flag_of(c, name);
    if (flag) {
        if (value.p)
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "property attribute with a value");
        *flag = true;
        return 0;
    }
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
        if (!okno_sdp_str_eq(name, handlers[i].name))
            continue;
        if (!(handlers[i].levels & level))
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "attribute at the wrong level");
        int rc = need_value(c, value);
        return rc ? rc : handlers[i].parse(c, value);
    }
    if (okno_sdp_str_eq(name, "ice-lite") || okno_sdp_str_eq(name, "rtcp-mux") ||
        okno_sdp_str_eq(name, "rtcp-rsize"))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "attribute at the wrong level");
    return attr_unknown(c, name, value);
}
