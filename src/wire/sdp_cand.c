/* ICE candidates (RFC 8839 section 5.1, RFC 6544 tcptype, and the extension pairs browsers add:
 * generation, ufrag, network-id, network-cost): parsed from an a=candidate line or from a trickled
 * "candidate:..." string, and written back in Chromium's field order.
 *
 * A candidate with a transport other than UDP/TCP or an unknown type is reported as
 * OKNO_E_UNSUPPORTED so the caller can skip it, as RFC 8839 asks; unknown extension pairs are kept
 * and written back. Addresses are not resolved or checked beyond being one token: an mDNS name is
 * as valid as an IP. */
#include "wire/sdp_internal.h"

#include <string.h>

#include "okno/err.h"

static const char *const type_names[] = {"host", "srflx", "prflx", "relay"};
static const char *const tcptype_names[] = {"", "active", "passive", "so"};

static bool is_foundation(struct okno_sdp_str s)
{
    if (s.len == 0 || s.len > 32)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char ch = s.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/'))
            return false;
    }
    return true;
}

#define BAD(why) (*reason = (why), OKNO_E_MALFORMED)

/* One "name value" extension pair. */
static int cand_ext(struct okno_sdp_candidate *c, struct okno_sdp_str name, struct okno_sdp_str val,
                    const char **reason)
{
    uint32_t n;
    if (okno_sdp_str_eq(name, "raddr")) {
        if (c->raddr.p)
            return BAD("candidate raddr given twice");
        c->raddr = val;
    } else if (okno_sdp_str_eq(name, "rport")) {
        if (c->has_rport || okno__sdp_u32(val, 65535, &n))
            return BAD("candidate rport is not 0..65535 or given twice");
        c->rport = (uint16_t)n;
        c->has_rport = true;
    } else if (okno_sdp_str_eq(name, "tcptype")) {
        if (c->tcptype != OKNO_SDP_TCPTYPE_NONE)
            return BAD("candidate tcptype given twice");
        for (int i = 1; i < 4; i++)
            if (okno_sdp_str_eq(val, tcptype_names[i]))
                c->tcptype = (enum okno_sdp_tcptype)i;
        if (c->tcptype == OKNO_SDP_TCPTYPE_NONE)
            return BAD("candidate tcptype is not active/passive/so");
    } else if (okno_sdp_str_eq(name, "generation")) {
        if (c->has_generation || okno__sdp_u32(val, UINT32_MAX, &c->generation))
            return BAD("candidate generation is not a number or given twice");
        c->has_generation = true;
    } else if (okno_sdp_str_eq(name, "network-id")) {
        if (c->has_network_id || okno__sdp_u32(val, UINT32_MAX, &c->network_id))
            return BAD("candidate network-id is not a number or given twice");
        c->has_network_id = true;
    } else if (okno_sdp_str_eq(name, "network-cost")) {
        if (c->has_network_cost || okno__sdp_u32(val, UINT32_MAX, &c->network_cost))
            return BAD("candidate network-cost is not a number or given twice");
        c->has_network_cost = true;
    } else if (okno_sdp_str_eq(name, "ufrag")) {
        if (c->ufrag.p)
            return BAD("candidate ufrag given twice");
        c->ufrag = val;
    } else {
        if (c->n_exts >= OKNO_SDP_MAX_CAND_EXTS) {
            *reason = "more unknown candidate extensions than OKNO_SDP_MAX_CAND_EXTS";
            return OKNO_E_RANGE;
        }
        c->exts[c->n_exts].name = name;
        c->exts[c->n_exts].value = val;
        c->n_exts++;
    }
    return 0;
}

int okno__sdp_candidate(struct okno_sdp_candidate *c, struct okno_sdp_str v, const char **reason)
{
    struct okno_sdp_str t[8];
    uint32_t n;
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 8; i++)
        if (!okno__sdp_tok(&v, &t[i]))
            return BAD("candidate has fewer than eight fields");
    if (!is_foundation(t[0]))
        return BAD("candidate foundation is not 1..32 ice-chars");
    if (okno__sdp_u32(t[1], 256, &n) || n == 0)
        return BAD("candidate component is not 1..256");
    c->component = (uint16_t)n;
    if (okno_sdp_str_eqi(t[2], "udp")) {
        c->transport = OKNO_SDP_UDP;
    } else if (okno_sdp_str_eqi(t[2], "tcp")) {
        c->transport = OKNO_SDP_TCP;
    } else {
        *reason = "candidate transport is not UDP or TCP";
        return OKNO_E_UNSUPPORTED;
    }
    if (okno__sdp_u32(t[3], UINT32_MAX, &c->priority))
        return BAD("candidate priority is not a 32-bit number");
    if (okno__sdp_u32(t[5], 65535, &n))
        return BAD("candidate port is not 0..65535");
    c->port = (uint16_t)n;
    if (!okno_sdp_str_eq(t[6], "typ"))
        return BAD("candidate has no typ");
    int type = -1;
    for (int i = 0; i < 4; i++)
        if (okno_sdp_str_eq(t[7], type_names[i]))
            type = i;
    if (type < 0) {
        *reason = "candidate type is not host/srflx/prflx/relay";
        return OKNO_E_UNSUPPORTED;
    }
    c->type = (enum okno_sdp_cand_type)type;
    c->foundation = t[0];
    c->address = t[4];
    struct okno_sdp_str name, val;
    while (okno__sdp_tok(&v, &name)) {
        if (!okno__sdp_tok(&v, &val))
            return BAD("candidate extension has a name and no value");
        int rc = cand_ext(c, name, val, reason);
        if (rc)
            return rc;
    }
    return 0;
}

int okno_sdp_candidate_parse(struct okno_sdp_candidate *c, const char *s, size_t len)
{
    const char *reason = NULL;
    if (!c || (!s && len))
        return OKNO_E_INVAL;
    if (len >= 2 && memcmp(s, "a=", 2) == 0) {
        s += 2;
        len -= 2;
    }
    if (len < 10 || memcmp(s, "candidate:", 10) != 0 || len > OKNO_SDP_MAX_LINE)
        return OKNO_E_MALFORMED;
    if (memchr(s, '\0', len) || memchr(s, '\r', len) || memchr(s, '\n', len))
        return OKNO_E_MALFORMED;
    return okno__sdp_candidate(c, okno__sdp_view(s + 10, len - 10), &reason);
}

void okno__sdp_put_candidate(struct okno__sdp_out *o, const struct okno_sdp_candidate *c)
{
    if (!c->foundation.len || !c->address.len || c->type > OKNO_SDP_RELAY ||
        c->tcptype > OKNO_SDP_TCPTYPE_SO) {
        o->bad = true;
        return;
    }
    okno__sdp_puts(o, "candidate:");
    okno__sdp_putv(o, c->foundation);
    okno__sdp_putc(o, ' ');
    okno__sdp_putu(o, c->component);
    okno__sdp_puts(o, c->transport == OKNO_SDP_TCP ? " tcp " : " udp ");
    okno__sdp_putu(o, c->priority);
    okno__sdp_putc(o, ' ');
    okno__sdp_putv(o, c->address);
    okno__sdp_putc(o, ' ');
    okno__sdp_putu(o, c->port);
    okno__sdp_puts(o, " typ ");
    okno__sdp_puts(o, type_names[c->type]);
    if (c->raddr.p) {
        okno__sdp_puts(o, " raddr ");
        okno__sdp_putv(o, c->raddr);
    }
    if (c->has_rport) {
        okno__sdp_puts(o, " rport ");
        okno__sdp_putu(o, c->rport);
    }
    if (c->tcptype != OKNO_SDP_TCPTYPE_NONE) {
        okno__sdp_puts(o, " tcptype ");
        okno__sdp_puts(o, tcptype_names[c->tcptype]);
    }
    if (c->has_generation) {
        okno__sdp_puts(o, " generation ");
        okno__sdp_putu(o, c->generation);
    }
    if (c->ufrag.p) {
        okno__sdp_puts(o, " ufrag ");
        okno__sdp_putv(o, c->ufrag);
    }
    if (c->has_network_id) {
        okno__sdp_puts(o, " network-id ");
        okno__sdp_putu(o, c->network_id);
    }
    if (c->has_network_cost) {
        okno__sdp_puts(o, " network-cost ");
        okno__sdp_putu(o, c->network_cost);
    }
    for (unsigned i = 0; i < c->n_exts && i < OKNO_SDP_MAX_CAND_EXTS; i++) {
        okno__sdp_putc(o, ' ');
        okno__sdp_putv(o, c->exts[i].name);
        okno__sdp_putc(o, ' ');
        okno__sdp_putv(o, c->exts[i].value);
    }
}

int okno_sdp_candidate_write(const struct okno_sdp_candidate *c, char *buf, size_t cap)
{
    if (!c || (!buf && cap))
        return OKNO_E_INVAL;
    struct okno__sdp_out o = {buf, cap, 0, false, false};
    okno__sdp_put_candidate(&o, c);
    return okno__sdp_finish(&o);
}
