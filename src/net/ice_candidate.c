/* Candidate policy of net/ice. Remote lines are checked with wire/sdp's strict RFC 8839 parser
 * before libnice sees them, because libnice's own parser is lenient (it wraps port 99999 to 34463
 * and reads a priority "x" as 0): what reaches the agent is a candidate we would have written
 * ourselves. Local candidates are filtered by the config (okno offers passive TCP only, a test
 * client active only) and, behind a 1:1 NAT, rewritten to carry the announced address while libnice
 * keeps using the local socket.
 *
 * Deliberately not here: resolving mDNS (".local") candidates. Browsers on other machines hide host
 * addresses behind them, but their server-reflexive and peer-reflexive candidates still reach okno,
 * which is public; a browser on the same machine sends loopback checks that libnice learns as
 * peer-reflexive. */
#include "net/ice_candidate.h"
#include "net/ice.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "okno/err.h"
#include "wire/sdp.h"

static bool view_eq(struct okno_sdp_str v, const char *s)
{
    return v.p && v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

/* Whether okno takes a remote candidate of this transport: a passive okno pairs with active clients
 * and the reverse, so local active sockets never chase remote passive ones when okno is the server.
 */
static bool transport_wanted(const struct okno_ice_config *cfg, const struct okno_sdp_candidate *c)
{
    if (c->transport == OKNO_SDP_UDP)
        return cfg->udp;
    switch (cfg->tcp) {
    case OKNO_ICE_TCP_PASSIVE:
        return c->tcptype == OKNO_SDP_TCPTYPE_ACTIVE;
    case OKNO_ICE_TCP_ACTIVE:
        return c->tcptype == OKNO_SDP_TCPTYPE_PASSIVE;
    default:
        return false;
    }
}

int okno__ice_candidate_check(const struct okno_ice_config *cfg, const char *remote_ufrag,
                              const char *line, char *out, size_t cap)
{
    if (!line)
        return OKNO_E_MALFORMED;
    size_t len = strnlen(line, OKNO_ICE_MAX_CANDIDATE_LEN + 1);
    if (len > OKNO_ICE_MAX_CANDIDATE_LEN)
        return OKNO_E_MALFORMED;
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    struct okno_sdp_candidate c;
    int err = okno_sdp_candidate_parse(&c, line, len);
    if (err ==
        OKNO_E_RANGE) /* more unknown extensions than the parser keeps: valid, but not for us */
        return OKNO_E_UNSUPPORTED;
    if (err)
        return err == OKNO_E_UNSUPPORTED ? err : OKNO_E_MALFORMED;
    if (c.component !=
        1) /* rtcp-mux: a component 2 candidate would only open a useless socket pair */
        return OKNO_E_UNSUPPORTED;

    char addr[OKNO_ICE_ADDRSTRLEN];
    unsigned char bin[16];
    if (c.address.len >= sizeof addr)
        return OKNO_E_UNSUPPORTED; /* a long name; no IP literal is that long */
    memcpy(addr, c.address.p, c.address.len);
    addr[c.address.len] = '\0';
    if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
        return OKNO_E_UNSUPPORTED; /* mDNS or another name */
    if (!transport_wanted(cfg, &c))
        return OKNO_E_UNSUPPORTED;
    if (c.ufrag.p && remote_ufrag && *remote_ufrag && !view_eq(c.ufrag, remote_ufrag))
        return OKNO_E_STATE;

    if (len >= 2 && memcmp(line, "a=", 2) == 0) {
        line += 2;
        len -= 2;
    }
    int n = snprintf(out, cap, "a=%.*s", (int)len, line);
    if (n < 0 || (size_t)n >= cap)
        return OKNO_E_MALFORMED;
    return 0;
}

static bool is_loopback(const NiceAddress *a)
{
    struct sockaddr_storage ss;
    nice_address_copy_to_sockaddr(a, (struct sockaddr *)&ss);
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss.ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
    return false;
}

static bool local_offered(const struct okno_ice_config *cfg, const NiceCandidate *c)
{
    switch (c->transport) {
    case NICE_CANDIDATE_TRANSPORT_UDP:
        return cfg->udp;
    case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE:
        return cfg->tcp == OKNO_ICE_TCP_ACTIVE;
    case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE:
        return cfg->tcp == OKNO_ICE_TCP_PASSIVE;
    default:
        return false;
    }
}

int okno__ice_candidate_local(NiceAgent *agent, const struct okno_ice_config *cfg,
                              const NiceAddress *announced, const NiceCandidate *c, char *out,
                              size_t cap)
{
    if (c->component_id != 1 || !local_offered(cfg, c))
        return OKNO_E_UNSUPPORTED;
    NiceCandidate *copy = nice_candidate_copy(c);
    /* Loopback stays as it is: a browser on this machine reaches okno there, and the public address
     * would not route back to it. */
    if (announced && c->type == NICE_CANDIDATE_TYPE_HOST &&
        nice_address_ip_version(&c->addr) == nice_address_ip_version(announced) &&
        !is_loopback(&c->addr)) {
        guint port = nice_address_get_port(&c->addr);
        copy->addr = *announced;
        nice_address_set_port(&copy->addr, port);
        /* libnice writes "raddr" when base and address differ: that would leak the private address
         * and make a host candidate look reflexive. */
        copy->base_addr = copy->addr;
    }
    gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, copy);
    nice_candidate_free(copy);
    if (!sdp)
        return OKNO_E_NOMEM;
    const char *s = g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp;
    size_t len = strlen(s);
    int ret = len < cap ? (int)len : OKNO_E_NOSPC;
    if (len < cap)
        memcpy(out, s, len + 1);
    g_free(sdp);
    return ret;
}
