/* What the SFU's worker-side objects (room, participant, track) share with the main-thread facade
 * (sfu.c): the settings every peer is made from, the rooms policy, and the way events travel back
 * to the main thread. Internal to src/sfu; src/api sees only sfu.h.
 *
 * It deliberately holds no room state: that lives in struct okno_room on the room's worker, and the
 * fields here are written once at creation (or are atomics), so workers read them without locks. */
#ifndef OKNO_SFU_SFU_CORE_H
#define OKNO_SFU_SFU_CORE_H

#include <glib.h>
#include <stdbool.h>

#include "net/cert.h"
#include "net/ice_config.h"
#include "okno/bwe.h"
#include "okno/rooms.h"
#include "sfu/link_memory.h"
#include "sfu/sfu.h"

struct okno_sfu {
    /* borrowed */
    struct okno_workers *workers;
    const struct okno_rooms_ops *policy; /* NULL: everyone receives everyone */
    void *policy_state;
    const struct okno_bwe_ops *bwe; /* NULL: no estimates (okno_sfu_set_bwe) */
    void *bwe_state;
    struct okno_sfu_listener listener;
    GMainContext *main_ctx; /* where events are delivered: the creating thread's default */
    /* owned, immutable after create */
    struct okno_cert *cert;
    struct okno_ice_config ice;
    unsigned ice_restart_grace_s; /* [media] ice_restart_grace_s */
    unsigned max_publisher_kbps;  /* [media] max_publisher_kbps: the REMB cap on publishers */
    bool pacing;                  /* [media] pacing */
    unsigned egress_workers;      /* [general] egress_workers */
    unsigned egress_room_share;   /* [general] egress_room_share */
    unsigned pacer_max_delay_ms;  /* [media] pacer_max_delay_ms */
    unsigned video_budget_ms;     /* [media] video_playout_budget_ms: retransmission deadline */
    unsigned audio_budget_ms;     /* [media] audio_playout_budget_ms */
    /* owned, locks itself: NULL when [media] link_memory_days is 0 (sfu/link_memory.h) */
    struct okno_link_memory *links;
    char *links_file;    /* [media] link_memory_file, resolved; NULL: memory only */
    GSource *links_save; /* on main_ctx: writes links_file every minute */
    /* owned, main thread only */
    GHashTable *sessions; /* uint64 session -> struct sfu_session */
    GHashTable *rooms;    /* room name -> struct sfu_room_ref */
    /* owned, any thread */
    GMutex lock; /* guards events and event_source only */
    GQueue events;
    GSource *event_source;
    gint live_rooms; /* rooms not yet freed by their worker */
    gint live_peers; /* peers not yet freed after their close */
};

/* Queues a deep copy of ev for delivery on the main thread, in the order emitted (from any
 * thread). Strings and the participants list are copied; ev is not kept. Allocates (control path
 * only). */
void okno__sfu_emit(struct okno_sfu *sfu, const struct okno_sfu_event *ev);

/* An error event answering req (0: not a request). code is a protocol code ("bad_sdp"). */
void okno__sfu_error(struct okno_sfu *sfu, uint64_t session, uint64_t req, const char *code,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Acknowledges req, when non-zero. */
void okno__sfu_ack(struct okno_sfu *sfu, uint64_t session, uint64_t req);

/* Tells the rooms policy (on the main thread, after the events before it) that who joined or
 * left. Strings are copied. */
void okno__sfu_notify_policy(struct okno_sfu *sfu, bool joined, const char *room,
                             const char *participant, const char *name, const char *role);

/* Peers closing asynchronously are counted so that okno_sfu_destroy waits for every one. The
 * close callback for okno_peer_close. */
void okno__sfu_peer_opened(struct okno_sfu *sfu);
void okno__sfu_peer_closed(void *sfu);

#endif
