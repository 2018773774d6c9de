/* The kiosk's candidates through the relay. Candidate lines are split on blanks rather than
 * parsed with wire/sdp: only fields 5 and 6 (address, port) change and every other byte must
 * survive, extensions (generation, ufrag, network-id) included. */
#include "call/kiosk_link.h"

#include <arpa/inet.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"

/* The fields after the prefix ([2] transport, [4] address, [5] port); *rest points after the
 * prefix. NULL for fewer than 8 fields. */
static char **fields(const char *line, const char **rest)
{
    const char *p = line;
    if (g_str_has_prefix(p, "a="))
        p += 2;
    if (g_str_has_prefix(p, "candidate:"))
        p += strlen("candidate:");
    *rest = p;
    char **f = g_strsplit(p, " ", -1);
    if (g_strv_length(f) < 8) {
        g_strfreev(f);
        return NULL;
    }
    return f;
}

int okno_candidate_parse(const char *line, struct okno_candidate_addr *out)
{
    const char *rest;
    char **f = line ? fields(line, &rest) : NULL;
    if (!f)
        return OKNO_E_MALFORMED;
    memset(out, 0, sizeof(*out));
    out->udp = !g_ascii_strcasecmp(f[2], "udp");
    out->addr.sin_family = AF_INET;
    char *end;
    long port = strtol(f[5], &end, 10);
    bool ok = inet_pton(AF_INET, f[4], &out->addr.sin_addr) == 1 && end != f[5] && *end == '\0' &&
              port > 0 && port <= 65535;
    out->addr.sin_port = htons(ok ? (uint16_t)port : 0);
    g_strfreev(f);
    return ok ? 0 : OKNO_E_MALFORMED;
}

int okno_candidate_rewrite(const char *line, const char *addr, int port, char *out, size_t outlen)
{
    struct okno_candidate_addr check;
    if (okno_candidate_parse(line, &check) < 0)
        return OKNO_E_MALFORMED;
    const char *rest;
    char **f = fields(line, &rest);
    g_free(f[4]);
    f[4] = g_strdup(addr);
    g_free(f[5]);
    f[5] = g_strdup_printf("%d", port);
    char *body = g_strjoinv(" ", f);
    g_strfreev(f);
    int n = snprintf(out, outlen, "%.*s%s", (int)(rest - line), line, body);
    g_free(body);
    return n >= 0 && (size_t)n < outlen ? 0 : OKNO_E_NOSPC;
}

void okno_kiosk_link_init(struct okno_kiosk_link *l, struct okno_relay *relay,
                          const char *listen_addr)
{
    memset(l, 0, sizeof(*l));
    l->relay = relay;
    g_strlcpy(l->listen_addr, listen_addr, sizeof(l->listen_addr));
}

/* The relay port for a server address: its mapping, made on first use. */
static int port_for(struct okno_kiosk_link *l, const struct sockaddr_in *target)
{
    for (unsigned i = 0; i < l->n_maps; i++)
        if (l->maps[i].target.sin_addr.s_addr == target->sin_addr.s_addr &&
            l->maps[i].target.sin_port == target->sin_port)
            return l->maps[i].port;
    if (l->n_maps == OKNO_RELAY_MAX_MAPPINGS)
        return OKNO_E_NOSPC;
    struct sockaddr_in listen = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, l->listen_addr, &listen.sin_addr) != 1)
        return OKNO_E_INVAL;
    int idx = okno_relay_add_mapping(l->relay, &listen, target);
    int port = idx < 0 ? idx : okno_relay_listen_port(l->relay, idx);
    if (port < 0)
        return port;
    l->maps[l->n_maps].target = *target;
    l->maps[l->n_maps].port = port;
    l->n_maps++;
    return port;
}

bool okno_kiosk_link_filter(void *arg, bool remote, const char *in, char *out, size_t outlen)
{
    struct okno_kiosk_link *l = arg;
    struct okno_candidate_addr c;
    if (!remote || okno_candidate_parse(in, &c) < 0 || !c.udp ||
        (ntohl(c.addr.sin_addr.s_addr) >> 24) != 127) {
        l->dropped++;
        return false;
    }
    int port = port_for(l, &c.addr);
    if (port < 0 || okno_candidate_rewrite(in, l->listen_addr, port, out, outlen) < 0) {
        fprintf(stderr, "okno-bench call: cannot route a server candidate through the link: %s\n",
                okno_strerror(port < 0 ? port : OKNO_E_NOSPC));
        l->dropped++;
        return false;
    }
    return true;
}
