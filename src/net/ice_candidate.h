/* Internal to net/ice: the checks between a candidate line from signalling and libnice, and between
 * a libnice candidate and the line okno hands out. Kept apart from the agent's lifecycle so the
 * policy (which candidates okno uses and announces) reads in one place. */
#ifndef OKNO_NET_ICE_CANDIDATE_H
#define OKNO_NET_ICE_CANDIDATE_H

#include <nice/agent.h>
#include <stddef.h>

#include "net/ice_config.h"

/* Validates a remote candidate line ("candidate:..." with or without "a=", an optional line end)
 * against the grammar of RFC 8839 and okno's policy in cfg, and writes the "a=candidate:..." line
 * libnice parses into out (cap bytes, NUL-terminated). remote_ufrag ("" when unknown) rules out
 * candidates of another ICE generation. Returns 0 or the error okno_ice_add_remote_candidate
 * documents. */
int okno__ice_candidate_check(const struct okno_ice_config *cfg, const char *remote_ufrag,
                              const char *line, char *out, size_t cap);

/* Writes the "candidate:..." line okno hands out for its local candidate c into out (cap bytes,
 * NUL-terminated), with the address replaced by *announced (NULL: none) when c is a non-loopback
 * host candidate of the same family. Returns its length, OKNO_E_UNSUPPORTED for a candidate the
 * config keeps to itself (a TCP type okno does not offer, a component other than 1), OKNO_E_NOSPC,
 * or OKNO_E_NOMEM when libnice writes nothing. */
int okno__ice_candidate_local(NiceAgent *agent, const struct okno_ice_config *cfg,
                              const NiceAddress *announced, const NiceCandidate *c, char *out,
                              size_t cap);

#endif
