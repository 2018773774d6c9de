/* One room on its media worker: the participants, their ids, who receives whose tracks, and the
 * room's timer (NACKs and receiver reports). Everything here runs on the room's worker thread; the
 * facade (sfu.c) creates the room on the main thread, then only posts to it, and frees it with
 * okno_room_free posted after the last leave. It deliberately holds no transport or SDP logic
 * (participant.c) and no per-packet logic (track.c, subscription.c). */
#ifndef OKNO_SFU_ROOM_H
#define OKNO_SFU_ROOM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sfu/sfu.h"

struct okno_sfu;
struct okno_participant;
struct okno_track;

struct okno_room {
    /* borrowed */
    struct okno_sfu *sfu;
    GMainContext *ctx; /* the worker's */
    /* owned */
    char *name;
    GPtrArray *participants; /* struct okno_participant *, in join order */
    GSource *tick;
    /* other */
    unsigned worker;
    unsigned next_id; /* "p1", "p2", ...: never reused within the room's life */
};

/* Creates an empty room for worker index (any thread; the room is used only on that worker from
 * then on). name is copied. Cannot fail. */
struct okno_room *okno_room_new(struct okno_sfu *sfu, const char *name, unsigned worker);

/* Worker thread. Drops every participant left (each gets OKNO_SFU_EV_CLOSED with message when
 * message is not NULL), stops the timer and frees the room. Invalidates room. */
void okno_room_free(struct okno_room *room, const char *message);

/* The requests of sfu.h, on the worker thread; each answers req as sfu.h says. */
void okno_room_join(struct okno_room *room, uint64_t session, uint64_t req, const char *name,
                    const char *role, const char *link_key);
void okno_room_leave(struct okno_room *room, uint64_t session, uint64_t req);
void okno_room_publish(struct okno_room *room, uint64_t session, uint64_t req, const char *sdp);
void okno_room_answer(struct okno_room *room, uint64_t session, uint64_t req, enum okno_sfu_pc pc,
                      const char *sdp);
void okno_room_candidate(struct okno_room *room, uint64_t session, uint64_t req,
                         enum okno_sfu_pc pc, const char *candidate, const char *mid,
                         int mline_index);
void okno_room_restart(struct okno_room *room, uint64_t session, uint64_t req, enum okno_sfu_pc pc);
/* The participant's receive limit (okno_sfu_receive_limit); acks req. */
void okno_room_receive_limit(struct okno_room *room, uint64_t session, uint64_t req, uint32_t kbps);

/* For participants: a track was published (or ended): route it to (or from) everyone else who
 * may receive it, and tell everyone. */
void okno__room_track_published(struct okno_room *room, struct okno_track *track);
void okno__room_track_ended(struct okno_room *room, struct okno_track *track);

/* For participants: the transport failed; the participant is dropped (OKNO_SFU_EV_CLOSED to its
 * session, participant_left to the others). Invalidates p. */
void okno__room_drop(struct okno_room *room, struct okno_participant *p, const char *why);

#endif
