/* How okno-bench call puts the kiosk behind its emulated link: a candidate filter (client_peer.h)
 * for the kiosk's session. Each loopback UDP candidate of the server becomes a mapping of the
 * in-process relay (listen on the kiosk's loopback address, an ephemeral port -> the candidate)
 * and the candidate is rewritten to the relay's port; the same server address always gets the same
 * mapping. TCP and non-loopback candidates are dropped (the relay only speaks loopback UDP), and
 * so are the kiosk's own candidates: the server then learns the kiosk only as the relay's address
 * (peer-reflexive, from the kiosk's checks through the relay), so no pair can go around the link.
 * Up is the kiosk to the server, down the server to the kiosk.
 *
 * Deliberately not here: the relay's life (the caller creates and destroys it) and the schedule. */
#ifndef OKNO_BENCH_CALL_KIOSK_LINK_H
#define OKNO_BENCH_CALL_KIOSK_LINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "linkemu/relay.h"

/* How a candidate line reads, for the relay: its transport, address and port. */
struct okno_candidate_addr {
    bool udp;
    struct sockaddr_in addr;
};

/* Parses an ICE candidate line ("candidate:F C udp P 127.0.0.1 5000 typ host ...", with or
 * without the "candidate:" or "a=candidate:" prefix). Returns 0, or OKNO_E_MALFORMED (too few
 * fields, an address that is not IPv4, a bad port). */
int okno_candidate_parse(const char *line, struct okno_candidate_addr *out);

/* Writes line with its address and port replaced by addr:port into out (outlen bytes), keeping
 * its prefix and every other field. Returns 0, OKNO_E_MALFORMED as above, or OKNO_E_NOSPC. */
int okno_candidate_rewrite(const char *line, const char *addr, int port, char *out, size_t outlen);

struct okno_kiosk_link {
    struct okno_relay *relay; /* borrowed */
    char listen_addr[INET_ADDRSTRLEN];
    struct {
        struct sockaddr_in target;
        int port;
    } maps[OKNO_RELAY_MAX_MAPPINGS];
    unsigned n_maps;
    unsigned dropped; /* candidates dropped (ours, TCP, not loopback, no mapping) */
};

/* Sets up l for relay (borrowed; must outlive the sessions using the filter), listening on
 * listen_addr (a 127.x.x.x literal). */
void okno_kiosk_link_init(struct okno_kiosk_link *l, struct okno_relay *relay,
                          const char *listen_addr);

/* The candidate filter (okno_client_candidate_filter) with arg = the okno_kiosk_link. */
bool okno_kiosk_link_filter(void *arg, bool remote, const char *in, char *out, size_t outlen);

#endif
