/* What an ICE agent of okno listens on and how it behaves: the host addresses, the UDP port range,
 * whether ICE-UDP and ICE-TCP candidates are offered, the public address announced behind a 1:1
 * NAT, and the ICE role. A plain value with fixed-size storage, so it can be copied into every
 * agent and filled from the daemon's configuration once.
 *
 * Deliberately not here: reading the configuration file (core/config does that and calls these
 * setters), STUN or TURN servers (okno is the public end of the call and gathers host candidates
 * only), and anything that touches libnice beyond validating addresses. */
#ifndef OKNO_NET_ICE_CONFIG_H
#define OKNO_NET_ICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_ICE_MAX_ADDRESSES      16
#define OKNO_ICE_ADDRSTRLEN         46    /* INET6_ADDRSTRLEN */
#define OKNO_ICE_CONSENT_TIMEOUT_MS 30000 /* RFC 7675 section 5.1 */

/* Which ICE-TCP candidates (RFC 6544) an agent offers and accepts. */
enum okno_ice_tcp {
    OKNO_ICE_TCP_OFF = 0,
    OKNO_ICE_TCP_PASSIVE, /* the server side: listen, pair with the client's active candidates */
    OKNO_ICE_TCP_ACTIVE,  /* the client side (okno-bench, tests): connect to passive candidates */
};

struct okno_ice_config {
    /* Host addresses, IP literals; none means "127.0.0.1 and the machine's other addresses" at the
     * time an agent is created (okno_ice_config_add_default_addresses). */
    char addresses[OKNO_ICE_MAX_ADDRESSES][OKNO_ICE_ADDRSTRLEN];
    size_t n_addresses;
    uint16_t port_min, port_max; /* UDP (and passive TCP) ports; 0, 0: any the system picks */
    bool udp;
    enum okno_ice_tcp tcp;
    /* Written into okno's own non-loopback host candidates of the same address family in place of
     * the local address; "" when okno is not behind a 1:1 NAT. */
    char announced[OKNO_ICE_ADDRSTRLEN];
    bool controlling; /* false: okno is the SFU side of every connection (the default) */
    /* How long a connected agent may hear nothing from its peer before it reports consent lost
     * (RFC 7675's 30 s by default; tests shorten it). */
    unsigned consent_timeout_ms;
};

/* Fills cfg with the defaults: no explicit addresses, any port, UDP on, passive TCP on, no
 * announced address, controlled role, a 30 s consent timeout. Cannot fail. */
void okno_ice_config_init(struct okno_ice_config *cfg);

/* Appends one host address (IPv4 or IPv6 literal, copied). Returns 0, OKNO_E_INVAL when addr is not
 * an IP address, OKNO_E_EXISTS when it is already listed, OKNO_E_NOSPC when the list is full. */
int okno_ice_config_add_address(struct okno_ice_config *cfg, const char *addr);

/* Appends 127.0.0.1 and every non-loopback address of the machine (IPv6 link-local ones left out:
 * they need a scope a candidate cannot carry), skipping those already listed. Returns the number of
 * addresses now listed, or OKNO_E_NOSPC when they did not all fit (those that fitted stay). */
int okno_ice_config_add_default_addresses(struct okno_ice_config *cfg);

/* Sets the port range, both ends included; 0, 0 lets the system pick. Returns 0 or OKNO_E_RANGE
 * when only one end is 0 or min > max. */
int okno_ice_config_set_port_range(struct okno_ice_config *cfg, uint16_t min, uint16_t max);

/* Sets the announced public address (copied); NULL or "" clears it. Returns 0 or OKNO_E_INVAL when
 * addr is not an IP address. */
int okno_ice_config_set_announced(struct okno_ice_config *cfg, const char *addr);

#endif
