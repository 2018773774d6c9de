/* The SDP okno writes for a participant: the answer to a publisher offer and the offers of the
 * subscriber connection, as text, from the parsed offer (wire/sdp) and the participant's state.
 * Also the few readings of a remote description every connection needs (ICE credentials,
 * fingerprint, DTLS role, candidates). Control path only: it allocates.
 *
 * Deliberately narrow codec policy: Opus for audio and VP8 for video, with NACK and PLI/FIR
 * feedback, no RTX, no header extensions but the mid, no simulcast. A section offering neither
 * codec is rejected with port 0. */
#ifndef OKNO_SFU_PARTICIPANT_SDP_H
#define OKNO_SFU_PARTICIPANT_SDP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/dtls.h"
#include "wire/sdp.h"

struct okno_participant;

#define OKNO_SDP_MID_EXT "urn:ietf:params:rtp-hdrext:sdes:mid"

/* What okno says about its own end of a connection in every SDP it writes. */
struct okno_sdp_local {
    const char *ufrag, *pwd;
    const char *fingerprint; /* "sha-256 AB:..." */
    GPtrArray *candidates;   /* char *, "candidate:..." */
    bool end_of_candidates;  /* every local candidate is in the list */
};

/* A publisher section okno accepts: the codec it takes. */
struct okno_sdp_accept {
    bool accepted;
    bool video;
    bool sending; /* the client sends on it: a track */
    int pt;       /* Opus or VP8 payload type in the offer */
    uint32_t clock;
    int mid_ext; /* id of the mid header extension, or 0 */
};

/* Decides per section of offer what okno takes (out[i] for offer->media[i]). Returns the number of
 * sections accepted. */
int okno__sdp_accept(const struct okno_sdp *offer, struct okno_sdp_accept *out);

/* The answer to offer, with the decisions of okno__sdp_accept. setup is ours ("passive" or
 * "active"). Returns a new string (g_free it). */
char *okno__sdp_write_answer(const struct okno_sdp *offer, const struct okno_sdp_accept *acc,
                             const struct okno_sdp_local *local, const char *setup,
                             uint64_t session_id);

/* The subscriber offer for p's subscriptions (one section each, mid = index). Returns a new
 * string (g_free it). */
char *okno__sdp_write_offer(const struct okno_participant *p, const struct okno_sdp_local *local,
                            uint64_t session_id, uint64_t version);

/* The remote end's ICE credentials, fingerprint and first section with candidates, from the first
 * section that has them (BUNDLE: they are shared). Returns 0, or OKNO_E_MALFORMED with *why set
 * (static text) when something is missing or unusable. */
struct okno_sdp_remote {
    char ufrag[257], pwd[257];
    struct okno_fingerprint fingerprint;
    enum okno_sdp_setup setup;
};
int okno__sdp_remote(const struct okno_sdp *sdp, struct okno_sdp_remote *out, const char **why);

/* Our DTLS role given the remote's setup in an offer (actpass or active: we are the server;
 * passive: the client) or in an answer (active: server; passive: client). Returns 0 or
 * OKNO_E_MALFORMED. */
int okno__sdp_dtls_role(enum okno_sdp_setup remote, bool remote_is_offer, enum okno_dtls_role *out);

/* Writes each candidate of section m as a "candidate:..." line into cb(ud, line). */
void okno__sdp_foreach_candidate(const struct okno_sdp_media *m,
                                 void (*cb)(void *ud, const char *line), void *ud);

#endif
