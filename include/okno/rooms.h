/* The ops of a plugin of kind "rooms": the join policy (who may join which room, in which role) and
 * the routing policy (who receives whom). The core holds the mechanism (rooms, peers, tracks,
 * routes); this table is where policy enters. The descriptor's ops points to a struct
 * okno_rooms_ops.
 *
 * Appended entries follow the same rule as struct okno_host_api: check OKNO_ROOMS_OPS_HAS() before
 * use. */
#ifndef OKNO_ROOMS_H
#define OKNO_ROOMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "okno/plugin.h"

/* A participant as policy sees it. Strings are the host's, valid for the duration of the call. */
struct okno_rooms_participant {
    const char *room;
    const char *participant; /* id assigned by the core, unique in the room */
    const char *name;
    const char *role;
};

/* What authorize_join may set besides allowing. Fixed-size so no allocation crosses the ABI. */
struct okno_rooms_join_decision {
    /* Shown to the client in the error message when the join is refused. */
    char reason[128];
};

struct okno_rooms_ops {
    /* sizeof(struct okno_rooms_ops) as the plugin was built. */
    uint32_t size;
    /* Decides whether a client may join. token is NULL when the client sent none. Called on the
     * main thread. Returns 0 to allow, OKNO_E_DENIED (with decision->reason filled) to refuse,
     * another negative code for an internal failure. */
    int (*authorize_join)(void *state, const struct okno_rooms_participant *who, const char *token,
                          struct okno_rooms_join_decision *decision);
    /* Whether subscriber receives the track of kind ("audio", "video") that publisher publishes.
     * Called on the room's media worker thread, possibly from several workers at once: it must be
     * thread-safe and must not block (decide from the arguments and immutable state). */
    bool (*may_receive)(void *state, const struct okno_rooms_participant *subscriber,
                        const struct okno_rooms_participant *publisher, const char *kind);
    /* Told after a participant joined or left (main thread), for queues and history. May be NULL.
     */
    void (*on_joined)(void *state, const struct okno_rooms_participant *who);
    void (*on_left)(void *state, const struct okno_rooms_participant *who);
};

#define OKNO_ROOMS_OPS_HAS(ops, member)                                                            \
    ((ops)->size >= offsetof(struct okno_rooms_ops, member) + sizeof((ops)->member))

#endif
