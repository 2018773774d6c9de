/* Helpers participant.c shares with participant_sub.c; not for use outside src/sfu. */
#ifndef OKNO_SFU_PARTICIPANT_INTERNAL_H
#define OKNO_SFU_PARTICIPANT_INTERNAL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/peer.h"
#include "sfu/negotiate.h"
#include "sfu/participant.h"

/* Our candidate (NULL: end-of-candidates) for one connection, as OKNO_SFU_EV_CANDIDATE. */
void okno__participant_emit_candidate(struct okno_participant *p, enum okno_sfu_pc pc,
                                      const char *cand);

/* Opens and gathers the publisher (okno controlled) or subscriber (okno controlling: it offers)
 * transport. Returns 0 or the peer's error; *out is set (and counted) as soon as it exists. */
int okno__participant_open_peer(struct okno_participant *p, bool publisher, struct okno_peer **out);

/* Sets the remote transport of a negotiated description (first time only) and adds its
 * candidates. Returns 0, or an error already reported to the client for req. */
int okno__participant_take_remote(struct okno_participant *p, struct okno_peer *peer,
                                  const struct okno_neg_remote *r, uint64_t req);

/* Restarts ICE on one connection (logged): its candidate list is emptied and refilled, and they
 * are trickled again only after the next description. Returns 0 or okno_peer_restart_ice's error.
 */
int okno__participant_restart_peer(struct okno_participant *p, enum okno_sfu_pc pc);

/* okno's transport for the next description; ufrag and pwd are the caller's OKNO_ICE_CRED_LEN
 * buffers, cands the connection's candidate list (borrowed by *l). */
void okno__participant_local_transport(struct okno_participant *p, struct okno_peer *peer,
                                       GPtrArray *cands, uint64_t version, char *ufrag, char *pwd,
                                       struct okno_neg_local *l);

#endif
