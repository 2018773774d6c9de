/* The SFU as the signalling layer (src/api) sees it: a facade over rooms pinned to media workers.
 *
 * Every call is made on the main thread and returns at once; the work is posted to the worker that
 * owns the room, and what comes of it returns as events delivered on the main thread through the
 * on_event callback given at creation. Sessions are named by a number the caller chooses (one per
 * WebSocket connection), requests by a number the caller chooses (0 = not a request: no ack, errors
 * without id). Nothing here knows JSON: src/api turns events into protocol messages
 * (docs/protocol.md).
 *
 * This header does not define policy: join authorization happens in src/api through the rooms
 * plugin before okno_sfu_join is called; routing asks the rooms policy given at creation. */
#ifndef OKNO_SFU_SFU_H
#define OKNO_SFU_SFU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "okno/bwe.h"
#include "okno/rooms.h"

struct okno_sfu;
struct okno_workers;
struct okno_config;

enum okno_sfu_pc {
    OKNO_SFU_PC_PUBLISHER = 0,
    OKNO_SFU_PC_SUBSCRIBER = 1,
};

enum okno_sfu_event_type {
    OKNO_SFU_EV_JOINED,             /* req, participant, room, participants[] */
    OKNO_SFU_EV_ANSWER,             /* req, sdp: answer for the publisher connection */
    OKNO_SFU_EV_OFFER,              /* sdp: offer for the subscriber connection */
    OKNO_SFU_EV_CANDIDATE,          /* pc, candidate (NULL = end-of-candidates), mid, mline_index */
    OKNO_SFU_EV_ACK,                /* req */
    OKNO_SFU_EV_ERROR,              /* req (0 when not a request), code, message */
    OKNO_SFU_EV_PARTICIPANT_JOINED, /* participant, name, role */
    OKNO_SFU_EV_PARTICIPANT_LEFT,   /* participant */
    OKNO_SFU_EV_TRACK_PUBLISHED,    /* participant, track, kind */
    OKNO_SFU_EV_TRACK_UNPUBLISHED,  /* participant, track */
    OKNO_SFU_EV_CLOSED, /* the SFU dropped the session (message says why): close the socket */
    /* What okno forwards of a video changed (sfu/allocator.h): participant (the publisher),
     * track, paused, spatial and temporal (when not paused), reason, estimate_kbps. */
    OKNO_SFU_EV_QUALITY,
};

struct okno_sfu_track_info {
    const char *track;
    const char *kind; /* "audio" or "video" */
};

struct okno_sfu_participant_info {
    const char *participant;
    const char *name;
    const char *role;
    const struct okno_sfu_track_info *tracks;
    size_t n_tracks;
};

/* One event; every pointer is owned by the SFU and valid only during the on_event call. Fields that
 * the type does not use are NULL or 0. code is one of the protocol's error codes ("bad_sdp", ...).
 */
struct okno_sfu_event {
    enum okno_sfu_event_type type;
    uint64_t session;
    uint64_t req;
    enum okno_sfu_pc pc;
    const char *room;
    const char *participant;
    const char *name;
    const char *role;
    const char *track;
    const char *kind;
    const char *sdp;
    const char *candidate;
    const char *mid;
    int mline_index;
    const char *code;
    const char *message;
    const struct okno_sfu_participant_info *participants;
    size_t n_participants;
    /* OKNO_SFU_EV_QUALITY: the layer forwarded (spatial 0 the lowest encoding, temporal the
     * highest temporal layer), or paused; why it changed ("bandwidth", "loss", "recovered",
     * "layers"); the subscriber's estimate. */
    bool paused;
    int spatial, temporal;
    const char *reason;
    uint32_t estimate_kbps;
};

struct okno_sfu_listener {
    /* Main thread. Must not call back into okno_sfu_destroy. */
    void (*on_event)(void *ud, const struct okno_sfu_event *event);
    void *ud;
};

/* Creates the SFU over running workers (borrowed; they outlive the SFU). policy may be NULL
 * (everyone receives everyone) or the rooms plugin's ops with its state (borrowed, thread-safe
 * may_receive). Reads its settings from cfg (borrowed, only during the call). Returns 0 and *out,
 * or a negative OKNO_E_* code (OKNO_E_CONFIG with a logged reason, OKNO_E_IO when no media socket
 * can be opened). */
int okno_sfu_create(struct okno_workers *workers, const struct okno_config *cfg,
                    const struct okno_rooms_ops *policy, void *policy_state,
                    const struct okno_sfu_listener *listener, struct okno_sfu **out);

/* Gives subscriber connections made from now on an estimator of the bwe plugin (ops and state
 * borrowed, outliving the SFU; ops NULL: none). Main thread, before the first join: workers read it
 * without a lock. Returns 0, or OKNO_E_INVAL (logged) for ops lacking an entry every bwe plugin
 * must have. */
int okno_sfu_set_bwe(struct okno_sfu *sfu, const struct okno_bwe_ops *ops, void *state);

/* Closes every room (participants get OKNO_SFU_EV_CLOSED), waits for the workers to finish with
 * them, and frees the SFU. Main thread; events may be delivered during the call. */
void okno_sfu_destroy(struct okno_sfu *sfu);

/* Requests. Each answers req (when non-zero) with exactly one event: its result or
 * OKNO_SFU_EV_ERROR. Strings are copied before return. */
void okno_sfu_join(struct okno_sfu *sfu, uint64_t session, uint64_t req, const char *room,
                   const char *name, const char *role);
/* okno_sfu_join for a client whose network place link_key names (NULL: unknown): its connections
 * start no faster than what that place's links carried before ([media] link_memory_days), and
 * what they carry now is remembered when it leaves. */
void okno_sfu_join_from(struct okno_sfu *sfu, uint64_t session, uint64_t req, const char *room,
                        const char *name, const char *role, const char *link_key);
void okno_sfu_publish(struct okno_sfu *sfu, uint64_t session, uint64_t req, const char *offer_sdp);
void okno_sfu_answer(struct okno_sfu *sfu, uint64_t session, uint64_t req, enum okno_sfu_pc pc,
                     const char *answer_sdp);
/* candidate NULL means end-of-candidates. */
void okno_sfu_candidate(struct okno_sfu *sfu, uint64_t session, uint64_t req, enum okno_sfu_pc pc,
                        const char *candidate, const char *mid, int mline_index);
/* ICE restart of the subscriber connection at the client's request: a new OKNO_SFU_EV_OFFER with
 * okno's new ICE credentials follows (after the answer to an offer outstanding), then the ack of
 * req. bad_request for the publisher connection (its restart is a publish offer with new
 * credentials), bad_state before the subscriber connection was offered. */
void okno_sfu_restart(struct okno_sfu *sfu, uint64_t session, uint64_t req, enum okno_sfu_pc pc);
/* The client wants to receive at most kbps (0: no limit) on its subscriber connection: its
 * bandwidth estimate is taken as at most that for layer allocation and publishers' caps, so
 * simulcast videos it receives step down to a lower encoding (a small tile, a metered link). Acks
 * req. */
void okno_sfu_receive_limit(struct okno_sfu *sfu, uint64_t session, uint64_t req, uint32_t kbps);
/* Leaves the room (also when the socket closed). Safe for a session that never joined. */
void okno_sfu_leave(struct okno_sfu *sfu, uint64_t session, uint64_t req);

#endif
