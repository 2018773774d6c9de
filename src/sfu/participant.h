/* One participant of a room, on the room's worker: its identity, its two peer connections (the
 * publisher one the client offers, the subscriber one okno offers), the tracks it publishes and the
 * subscriber media sections it receives through. It turns signalling (offers, answers, candidates)
 * into peer calls and SDP, and peer events into SFU events. It deliberately does not decide who
 * receives what (room.c asks the policy) and does not touch packets beyond handing them to the
 * track or subscription they belong to. */
#ifndef OKNO_SFU_PARTICIPANT_H
#define OKNO_SFU_PARTICIPANT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/peer.h"
#include "net/srtp.h"
#include "sfu/link_memory.h"
#include "sfu/mtu.h"
#include "sfu/sfu.h"
#include "sfu/uplink_drain.h"

struct okno_room;
struct okno_track;
struct okno_subscription;
struct okno_sub_bwe;
struct okno_pacer;
struct okno_participant_probe;
struct okno_pub_fb;
struct okno_bwe_estimate;

#define OKNO_PARTICIPANT_ID_LEN 16

struct okno_participant {
    /* borrowed */
    struct okno_room *room;
    /* owned */
    char *name, *role;
    struct okno_peer *pub_peer, *sub_peer;
    struct okno_sub_bwe
        *sub_bwe; /* made with sub_peer: its transport-wide numbering and estimate */
    /* Made with sub_peer: every RTP packet to the subscriber leaves through it, stepped by
     * pace_timer (armed at pace_due_us while packets wait, else -1). sfu/participant_pacer.h */
    struct okno_pacer *pacer;
    GSource *pace_timer;
    struct okno_participant_probe *probe; /* with pacer: sfu/participant_probe.h */
    GPtrArray *tracks;                    /* struct okno_track *, published, in publication order */
    GPtrArray *subs;                      /* struct okno_subscription *, index = subscriber mid */
    GSource *grace; /* running while a connection has lost ICE: the drop when it fires */
    char *pub_mid;  /* first accepted mid of the publisher answer: our candidates' sdpMid */
    GPtrArray *pub_cands, *sub_cands; /* our local candidates, char *, for SDPs written later */
    /* Made at the first publisher answer: transport-cc feedback and REMB to the publisher. */
    struct okno_pub_fb *pub_fb;
    char *link_key; /* the client's network place for the link memory; NULL: none */
    /* other */
    struct okno_link_rates link_known;             /* recalled at join (sfu/participant_link.h) */
    struct okno_link_learner up_learn, down_learn; /* what the links carry on this visit */
    struct okno_uplink_drain drain; /* its publisher caps while its uplink queue drains */
    char id[OKNO_PARTICIPANT_ID_LEN];
    uint64_t session;
    int pub_mline;
    int pub_mid_ext;                /* id of the mid header extension in publisher RTP, 0: none */
    bool pub_answered, sub_offered; /* candidates may be trickled from then on */
    unsigned next_track;
    uint64_t pub_version, sub_version;
    unsigned offered_n;     /* sections in the outstanding (or last) subscriber offer */
    bool offer_outstanding; /* a subscriber offer awaits its answer */
    bool offer_dirty;       /* the set of tracks changed since that offer */
    bool dropped;           /* leaving: no new work */
    bool sub_restart;       /* the client asked for an ICE restart of the subscriber connection */
    bool pub_ice_lost, sub_ice_lost; /* that connection's ICE is disconnected or failed */
    /* Smoothed RTT to the client from its receiver reports on the subscriber connection; the
     * publisher connection runs over the same path, so its NACKs and keyframe requests use it.
     * 0 while unknown. */
    int64_t rtt_us;
    int64_t alloc_due_us;       /* the next layer allocation round (sfu/participant_alloc.h) */
    uint32_t receive_limit_bps; /* the client's receive_limit (okno_sfu_receive_limit); 0: none */
    int64_t pace_due_us;        /* when pace_timer fires; -1: disarmed */
    /* Send scratch: forwarding copies a packet here, rewrites it for this subscriber and protects
     * it in place, so a packet fanned out to N subscribers is never protected twice in one buffer.
     */
    _Alignas(8) uint8_t tx[OKNO_MTU + OKNO_SRTP_MAX_TRAILER + 16];
    /* Publisher RTX is unwrapped here (the original then fans out from it). */
    _Alignas(8) uint8_t rtx[OKNO_MTU];
};

/* Creates a participant of room with a copy of name and role. Cannot fail. */
struct okno_participant *okno_participant_new(struct okno_room *room, uint64_t session,
                                              unsigned number, const char *name, const char *role);

/* Closes both peers (asynchronously), ends its subscriptions and frees its tracks. The room must
 * have unrouted the tracks first (okno__room_track_ended). Invalidates p. */
void okno_participant_free(struct okno_participant *p);

/* A publisher offer: answers it (OKNO_SFU_EV_ANSWER for req) or errors; new media sections become
 * tracks announced through okno__room_track_published, vanished ones end. */
void okno_participant_publish(struct okno_participant *p, uint64_t req, const char *sdp);

/* The client's answer to our latest subscriber offer. */
void okno_participant_answer(struct okno_participant *p, uint64_t req, const char *sdp);

/* A trickled remote candidate (NULL: end-of-candidates) for one of the connections. */
void okno_participant_candidate(struct okno_participant *p, uint64_t req, enum okno_sfu_pc pc,
                                const char *candidate);

/* The client asks for an ICE restart of the subscriber connection: okno restarts its side and
 * sends a new subscriber offer with the new credentials (OKNO_SFU_EV_OFFER), then acks req. Errors
 * with bad_state when that connection is not negotiated yet or an offer is outstanding. */
void okno_participant_restart(struct okno_participant *p, uint64_t req, enum okno_sfu_pc pc);

/* Adds a subscriber media section for track, or reuses an inactive one of the same kind; the next
 * okno_participant_renegotiate offers it. Returns the subscription (owned by p), or NULL when the
 * connection already has OKNO_NEG_MAX_MEDIA sections and none is free (logged). */
struct okno_subscription *okno_participant_subscribe(struct okno_participant *p,
                                                     struct okno_track *track);

/* The track of a subscription ended: its section turns inactive in the next offer. */
void okno_participant_unsubscribe(struct okno_participant *p, struct okno_subscription *sub);

/* Sends okno's next subscriber offer when the set of tracks changed and none is outstanding. */
void okno_participant_renegotiate(struct okno_participant *p);

/* The bandwidth estimate of p's subscriber connection (what okno can send it) from the bwe plugin,
 * its target at most the client's receive limit when it set one. Returns 0 and fills *out;
 * OKNO_E_NOTFOUND without a subscriber connection, without a bwe plugin, or before the first
 * estimate. Room's worker only. */
int okno_participant_bwe_estimate(const struct okno_participant *p, struct okno_bwe_estimate *out);

/* Emits an event of p's session with the fields of ev (session filled in). */
void okno__participant_emit(struct okno_participant *p, struct okno_sfu_event *ev);

#endif
