/* SDP parsing, line level: splits the text into lines, checks the session-level structure (v=
 * first, one o=, s= and t=, sections after the session lines) and parses the non-attribute lines
 * (o=, s=, i=, u=, e=, p=, c=, b=, t=, m=). Attribute lines go to sdp_attr.c. Also the small string
 * helpers and the model builders the other SDP files share.
 *
 * It does not interpret anything across lines (BUNDLE membership, rtx pairs): lookups in sdp_find.c
 * do that on request. */
#include "wire/sdp_internal.h"

#include <string.h>

#include "okno/err.h"

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

bool okno__sdp_tok(struct okno_sdp_str *rest, struct okno_sdp_str *tok)
{
    const char *p = rest->p;
    size_t n = rest->len;
    while (n && is_blank(*p)) {
        p++;
        n--;
    }
    if (!p || n == 0) {
        rest->len = 0;
        return false;
    }
    size_t k = 0;
    while (k < n && !is_blank(p[k]))
        k++;
    *tok = okno__sdp_view(p, k);
    *rest = okno__sdp_view(p + k, n - k);
    return true;
}

bool okno__sdp_cut(struct okno_sdp_str s, char sep, struct okno_sdp_str *head,
                   struct okno_sdp_str *tail)
{
    const char *hit = s.p ? memchr(s.p, sep, s.len) : NULL;
    if (!hit) {
        *head = s;
        *tail = okno__sdp_view(NULL, 0);
        return false;
    }
    *head = okno__sdp_view(s.p, (size_t)(hit - s.p));
    *tail = okno__sdp_view(hit + 1, s.len - (size_t)(hit - s.p) - 1);
    return true;
}

struct okno_sdp_str okno__sdp_trim(struct okno_sdp_str s)
{
    while (s.len && is_blank(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_blank(s.p[s.len - 1]))
        s.len--;
    return s;
}

int okno__sdp_u64(struct okno_sdp_str s, uint64_t max, uint64_t *out)
{
    if (!s.p || s.len == 0 || s.len > 20)
        return OKNO_E_MALFORMED;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return OKNO_E_MALFORMED;
        unsigned d = (unsigned)(s.p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return OKNO_E_MALFORMED;
        v = v * 10 + d;
    }
    if (v > max)
        return OKNO_E_MALFORMED;
    *out = v;
    return 0;
}

int okno__sdp_u32(struct okno_sdp_str s, uint32_t max, uint32_t *out)
{
    uint64_t v;
    int rc = okno__sdp_u64(s, max, &v);
    if (rc == 0)
        *out = (uint32_t)v;
    return rc;
}

bool okno__sdp_is_token(struct okno_sdp_str s)
{
    if (!s.p || s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (is_blank(s.p[i]))
            return false;
    return true;
}

bool okno__sdp_eq(struct okno_sdp_str a, struct okno_sdp_str b)
{
    if (!a.p || !b.p)
        return !a.p && !b.p;
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static char lower(char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return (char)(ch | 0x20);
    return ch;
}

bool okno__sdp_eqi(struct okno_sdp_str a, struct okno_sdp_str b)
{
    if (!a.p || !b.p)
        return !a.p && !b.p;
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++)
        if (lower(a.p[i]) != lower(b.p[i]))
            return false;
    return true;
}

struct okno_sdp_str okno_sdp_str(const char *s)
{
    return okno__sdp_view(s, s ? strlen(s) : 0);
}

bool okno_sdp_str_eq(struct okno_sdp_str a, const char *s)
{
    return s && a.p && okno__sdp_eq(a, okno_sdp_str(s));
}

bool okno_sdp_str_eqi(struct okno_sdp_str a, const char *s)
{
    return s && a.p && okno__sdp_eqi(a, okno_sdp_str(s));
}

void okno_sdp_init(struct okno_sdp *sdp)
{
    memset(sdp, 0, sizeof *sdp);
    sdp->origin_user = okno_sdp_str("-");
    sdp->origin.nettype = okno_sdp_str("IN");
    sdp->origin.addrtype = okno_sdp_str("IP4");
    sdp->origin.address = okno_sdp_str("127.0.0.1");
    sdp->name = okno_sdp_str("-");
}

int okno_sdp_media_add(struct okno_sdp *sdp, const char *media, const char *proto)
{
    if (sdp->n_media >= OKNO_SDP_MAX_MEDIA)
        return OKNO_E_RANGE;
    struct okno_sdp_media *m = &sdp->media[sdp->n_media];
    memset(m, 0, sizeof *m);
    m->media = okno_sdp_str(media);
    m->port = 9;
    m->proto = okno_sdp_str(proto);
    m->is_rtp = proto && strstr(proto, "RTP/") != NULL;
    return sdp->n_media++;
}

/* ---- non-attribute lines ------------------------------------------------------------------------
 */

/* Takes exactly n tokens from v into toks; anything more or less is malformed. */
static bool take_tokens(struct okno_sdp_str v, struct okno_sdp_str *toks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!okno__sdp_tok(&v, &toks[i]))
            return false;
    struct okno_sdp_str extra;
    return !okno__sdp_tok(&v, &extra);
}

static int parse_origin(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_str t[6];
    struct okno_sdp *s = c->sdp;
    if (!take_tokens(v, t, 6))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "o= needs six fields");
    if (okno__sdp_u64(t[1], UINT64_MAX, &s->sess_id) ||
        okno__sdp_u64(t[2], UINT64_MAX, &s->sess_version))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "o= session id or version is not a number");
    s->origin_user = t[0];
    s->origin.nettype = t[3];
    s->origin.addrtype = t[4];
    s->origin.address = t[5];
    return 0;
}

static int parse_conn(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_str t[3];
    if (c->lvl->conn.nettype.p)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "more than one c= line");
    if (!take_tokens(v, t, 3))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "c= needs three fields");
    c->lvl->conn.nettype = t[0];
    c->lvl->conn.addrtype = t[1];
    c->lvl->conn.address = t[2];
    return 0;
}

static int parse_bandwidth(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_str type, value;
    struct okno_sdp_common *l = c->lvl;
    if (!okno__sdp_cut(v, ':', &type, &value) || !okno__sdp_is_token(type))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "b= is not type:value");
    if (l->n_bandwidths >= OKNO_SDP_MAX_BANDWIDTHS)
        return okno__sdp_fail(c, OKNO_E_RANGE, "too many b= lines");
    struct okno_sdp_bandwidth *b = &l->bandwidths[l->n_bandwidths];
    if (okno__sdp_u32(value, UINT32_MAX, &b->value))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "b= value is not a number");
    b->type = type;
    l->n_bandwidths++;
    return 0;
}

static int parse_timing(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp_str t[2];
    if (!take_tokens(v, t, 2) || okno__sdp_u64(t[0], UINT64_MAX, &c->sdp->t_start) ||
        okno__sdp_u64(t[1], UINT64_MAX, &c->sdp->t_stop))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "t= needs two numbers");
    return 0;
}

static int parse_fmts(struct okno__sdp_ctx *c, struct okno_sdp_media *m, struct okno_sdp_str rest)
{
    struct okno_sdp_str tok;
    while (okno__sdp_tok(&rest, &tok)) {
        uint32_t pt;
        if (okno__sdp_u32(tok, 127, &pt))
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "m= payload type is not 0..127");
        if (okno_sdp_codec_by_pt(m, (int)pt) >= 0)
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "m= lists a payload type twice");
        if (m->n_codecs >= OKNO_SDP_MAX_CODECS)
            return okno__sdp_fail(c, OKNO_E_RANGE, "more payload types than OKNO_SDP_MAX_CODECS");
        struct okno_sdp_codec *k = &m->codecs[m->n_codecs++];
        memset(k, 0, sizeof *k);
        k->pt = (uint8_t)pt;
    }
    return 0;
}

static int parse_media(struct okno__sdp_ctx *c, struct okno_sdp_str v)
{
    struct okno_sdp *s = c->sdp;
    struct okno_sdp_str media, port, proto, count;
    if (s->n_media >= OKNO_SDP_MAX_MEDIA)
        return okno__sdp_fail(c, OKNO_E_RANGE, "more m= sections than OKNO_SDP_MAX_MEDIA");
    struct okno_sdp_media *m = &s->media[s->n_media];
    memset(m, 0, sizeof *m);
    if (!okno__sdp_tok(&v, &media) || !okno__sdp_tok(&v, &port) || !okno__sdp_tok(&v, &proto))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "m= needs media, port, proto and formats");
    uint32_t n;
    bool has_count = okno__sdp_cut(port, '/', &port, &count);
    if (okno__sdp_u32(port, 65535, &n))
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "m= port is not 0..65535");
    m->port = (uint16_t)n;
    if (has_count) {
        if (okno__sdp_u32(count, 65535, &n) || n == 0)
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "m= port count is not 1..65535");
        m->num_ports = (uint16_t)n;
    }
    m->media = media;
    m->proto = proto;
    m->fmt = okno__sdp_trim(v);
    if (m->fmt.len == 0)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "m= has no format");
    m->is_rtp = memmem(proto.p, proto.len, "RTP/", 4) != NULL;
    if (m->is_rtp) {
        int rc = parse_fmts(c, m, m->fmt);
        if (rc)
            return rc;
    }
    s->n_media++;
    c->m = m;
    c->lvl = &m->common;
    return 0;
}

/* Session-level text lines that may each appear once. */
static int set_once(struct okno__sdp_ctx *c, struct okno_sdp_str *field, struct okno_sdp_str v)
{
    if (field->p)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "line type repeated");
    *field = v;
    return 0;
}

/* One line "x=value" after v=; seen tracks which of o= s= t= came. */
static int parse_line(struct okno__sdp_ctx *c, char type, struct okno_sdp_str v, unsigned *seen)
{
    enum { SEEN_O = 1, SEEN_S = 2, SEEN_T = 4 };
    bool session = c->m == NULL;
    switch (type) {
    case 'a':
        return okno__sdp_attr(c, v);
    case 'm':
        if ((*seen & (SEEN_O | SEEN_S | SEEN_T)) != (SEEN_O | SEEN_S | SEEN_T))
            return okno__sdp_fail(c, OKNO_E_MALFORMED, "m= before o=, s= and t=");
        return parse_media(c, v);
    case 'c':
        return parse_conn(c, v);
    case 'b':
        return parse_bandwidth(c, v);
    case 'i':
        return set_once(c, session ? &c->sdp->info : &c->m->title, v);
    case 'o':
    case 's':
    case 't':
    case 'u':
    case 'e':
    case 'p':
        break;
    case 'r':
    case 'z':
    case 'k':
        return okno__sdp_fail(c, OKNO_E_UNSUPPORTED, "r=, z= and k= lines are not supported");
    case 'v':
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "v= repeated");
    default:
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "unknown line type");
    }
    if (!session)
        return okno__sdp_fail(c, OKNO_E_MALFORMED, "session-level line in a media section");
    unsigned bit = type == 'o' ? SEEN_O : type == 's' ? SEEN_S : type == 't' ? SEEN_T : 0;
    if (bit & *seen)
        return okno__sdp_fail(c, type == 't' ? OKNO_E_UNSUPPORTED : OKNO_E_MALFORMED,
                              type == 't' ? "more than one t= line" : "line type repeated");
    *seen |= bit;
    switch (type) {
    case 'o':
        return parse_origin(c, v);
    case 's':
        c->sdp->name = v;
        return 0;
    case 't':
        return parse_timing(c, v);
    case 'u':
        return set_once(c, &c->sdp->uri, v);
    case 'e':
        return set_once(c, &c->sdp->email, v);
    default:
        return set_once(c, &c->sdp->phone, v);
    }
}

int okno_sdp_parse(struct okno_sdp *sdp, const char *text, size_t len, struct okno_sdp_error *err)
{
    if (!sdp || (!text && len))
        return OKNO_E_INVAL;
    memset(sdp, 0, sizeof *sdp);
    struct okno__sdp_ctx c = {sdp, NULL, &sdp->common, NULL};
    unsigned lineno = 0, seen = 0;
    bool seen_v = false;
    size_t pos = 0;
    int rc = 0;
    while (pos < len && rc == 0) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        lineno++;
        if (n && line[n - 1] == '\r')
            n--;
        if (n > OKNO_SDP_MAX_LINE)
            rc = okno__sdp_fail(&c, OKNO_E_RANGE, "line longer than OKNO_SDP_MAX_LINE");
        else if (memchr(line, '\0', n))
            rc = okno__sdp_fail(&c, OKNO_E_MALFORMED, "NUL byte in a line");
        else if (memchr(line, '\r', n))
            rc = okno__sdp_fail(&c, OKNO_E_MALFORMED, "CR inside a line");
        else if (n == 0)
            continue;
        else if (n < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
            rc = okno__sdp_fail(&c, OKNO_E_MALFORMED, "not a type=value line");
        else if (!seen_v) {
            if (n != 3 || memcmp(line, "v=0", 3) != 0)
                rc = okno__sdp_fail(&c, OKNO_E_MALFORMED, "first line is not v=0");
            seen_v = true;
        } else {
            rc = parse_line(&c, line[0], okno__sdp_view(line + 2, n - 2), &seen);
        }
    }
    if (rc == 0 && !seen_v) {
        lineno = 1;
        rc = okno__sdp_fail(&c, OKNO_E_MALFORMED, "missing v=0");
    } else if (rc == 0 && seen != 7) {
        rc = okno__sdp_fail(&c, OKNO_E_MALFORMED, "missing o=, s= or t=");
    }
    if (rc && err) {
        err->line = lineno;
        err->reason = c.reason ? c.reason : "invalid";
    }
    return rc;
}
