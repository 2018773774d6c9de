/* Shared insides of the SDP files: the token helpers the line and attribute parsers share, the
 * parse context, and the bounded output buffer of the writers. Not for use outside src/wire/sdp*.c.
 */
#ifndef OKNO_WIRE_SDP_INTERNAL_H
#define OKNO_WIRE_SDP_INTERNAL_H

#include "wire/sdp.h"

/* Where the parser is: the model, the section being filled (NULL at session level) and the level
 * whose shared attributes a line sets. reason is set by whoever fails. */
struct okno__sdp_ctx {
    struct okno_sdp *sdp;
    struct okno_sdp_media *m;
    struct okno_sdp_common *lvl;
    const char *reason;
};

/* Stores why on the context and returns err, so a parser can `return FAIL(...)` in one line. */
static inline int okno__sdp_fail(struct okno__sdp_ctx *c, int err, const char *why)
{
    c->reason = why;
    return err;
}

static inline struct okno_sdp_str okno__sdp_view(const char *p, size_t len)
{
    struct okno_sdp_str s = {p, len};
    return s;
}

/* Splits the next token off *rest at a space or tab, skipping leading blanks; false at the end. */
bool okno__sdp_tok(struct okno_sdp_str *rest, struct okno_sdp_str *tok);
/* Cuts s at the first sep: *head before it, *tail after it. False (head = s, tail absent) when s
 * has no sep. */
bool okno__sdp_cut(struct okno_sdp_str s, char sep, struct okno_sdp_str *head,
                   struct okno_sdp_str *tail);
/* s without leading and trailing blanks. */
struct okno_sdp_str okno__sdp_trim(struct okno_sdp_str s);
/* A decimal number of 1..20 digits, no sign, at most max. Returns 0 or OKNO_E_MALFORMED. */
int okno__sdp_u64(struct okno_sdp_str s, uint64_t max, uint64_t *out);
int okno__sdp_u32(struct okno_sdp_str s, uint32_t max, uint32_t *out);
/* True when s is non-empty and holds no blank. */
bool okno__sdp_is_token(struct okno_sdp_str s);
bool okno__sdp_eq(struct okno_sdp_str a, struct okno_sdp_str b);
bool okno__sdp_eqi(struct okno_sdp_str a, struct okno_sdp_str b);

/* One attribute line, everything after "a=". */
int okno__sdp_attr(struct okno__sdp_ctx *c, struct okno_sdp_str line);
/* Parsers of the RTP payload attributes (sdp_rtp_attr.c); v is the value after "name:". */
int okno__sdp_attr_rtpmap(struct okno__sdp_ctx *c, struct okno_sdp_str v);
int okno__sdp_attr_fmtp(struct okno__sdp_ctx *c, struct okno_sdp_str v);
int okno__sdp_attr_rtcp_fb(struct okno__sdp_ctx *c, struct okno_sdp_str v);
int okno__sdp_attr_ssrc(struct okno__sdp_ctx *c, struct okno_sdp_str v);
int okno__sdp_attr_ssrc_group(struct okno__sdp_ctx *c, struct okno_sdp_str v);
int okno__sdp_attr_rid(struct okno__sdp_ctx *c, struct okno_sdp_str v);
int okno__sdp_attr_simulcast(struct okno__sdp_ctx *c, struct okno_sdp_str v);
/* RFC 8851 rid-id: 1*(ALPHA / DIGIT / "-" / "_"). */
bool okno__sdp_is_rid_id(struct okno_sdp_str s);

/* The value of an a=candidate line; UNSUPPORTED means "ignore this candidate". */
int okno__sdp_candidate(struct okno_sdp_candidate *cand, struct okno_sdp_str value,
                        const char **reason);

/* A bounded writer: appends stop at cap and set overflow, so a writer checks once at the end. */
struct okno__sdp_out {
    char *buf;
    size_t cap, len;
    bool overflow;
    bool bad; /* a view held a byte that would break the line structure */
};

void okno__sdp_put(struct okno__sdp_out *o, const char *s, size_t n);
void okno__sdp_puts(struct okno__sdp_out *o, const char *s);
/* A view's bytes; marks the output bad when it holds CR, LF or NUL. */
void okno__sdp_putv(struct okno__sdp_out *o, struct okno_sdp_str v);
void okno__sdp_putc(struct okno__sdp_out *o, char ch);
void okno__sdp_putu(struct okno__sdp_out *o, uint64_t v);
/* Ends the text: NUL-terminates and returns the length, OKNO_E_NOSPC or OKNO_E_INVAL. */
int okno__sdp_finish(struct okno__sdp_out *o);
/* The candidate value, "candidate:..." without "a=". */
void okno__sdp_put_candidate(struct okno__sdp_out *o, const struct okno_sdp_candidate *c);

/* Names of the enums as SDP writes them ("" for NONE). */
const char *okno__sdp_dir_name(enum okno_sdp_direction d);
const char *okno__sdp_setup_name(enum okno_sdp_setup s);

#endif
