/* okno-bench load's default host candidate address: the server's own when its URL names an IPv4
 * loopback address (127.0.0.0/8), so every client transport opens one UDP socket instead of one per
 * address of the machine (three on a host with an IPv4 and an IPv6 interface). The others carried
 * nothing (the pair okno and the client select is loopback either way) but each was polled by its
 * worker at every wake-up for the whole run, and checked during ICE. Deliberately not here: Janus
 * (its harness runs in a network namespace and needs --address), names (localhost) and IPv6. */
#ifndef OKNO_BENCH_LOAD_LOOPBACK_H
#define OKNO_BENCH_LOAD_LOOPBACK_H

#include <arpa/inet.h>
#include <glib.h>
#include <stdbool.h>
#include <string.h>

/* Writes the URL's host into out (cap bytes) and returns true when it is an IPv4 loopback literal;
 * false (out empty) for anything else, a bad URL included. */
static inline bool okno_load_loopback_host(const char *url, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    GUri *uri = url ? g_uri_parse(url, G_URI_FLAGS_NONE, NULL) : NULL;
    if (!uri)
        return false;
    const char *host = g_uri_get_host(uri);
    struct in_addr a;
    bool ok = host && inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127 &&
              strlen(host) < cap;
    if (ok)
        memcpy(out, host, strlen(host) + 1);
    g_uri_unref(uri);
    return ok;
}

#endif
