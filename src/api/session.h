/* Signalling sessions: one per WebSocket at /ws. A session parses each text frame (protocol.h),
 * keeps the join state (not_joined, already_joined), asks the rooms plugin's authorize_join before
 * okno_sfu_join, hands every other request to the SFU, and turns the SFU's events for it into
 * frames. Each request gets a request number of the session's own; the client's id is kept beside
 * it and put back on the reply. Everything the client receives goes through one queue in order:
 * replies in the order the requests arrived (a reply the SFU has not given yet holds back what
 * follows it), SFU events in the order emitted. A client that earns more than 20 error replies in
 * 10 s is closed with 1008 (flood.h); a peer that answers no ping for 45 s is closed with 1001.
 * Closing the socket leaves the room. Main thread only. It deliberately does not serve HTTP
 * (http.h hands it upgraded connections) and does not check origins or tokens itself. */
#ifndef OKNO_API_SESSION_H
#define OKNO_API_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <libsoup/soup.h>

#include "okno/rooms.h"
#include "sfu/sfu.h"

struct okno_sessions;

/* Creates the set of sessions over sfu (borrowed; it must outlive the set) and the rooms policy
 * (ops and state borrowed from the rooms plugin; ops NULL: every join is allowed). Returns 0 and
 * *out (free with okno_sessions_free); cannot fail otherwise. */
int okno_sessions_new(struct okno_sfu *sfu, const struct okno_rooms_ops *rooms, void *rooms_state,
                      struct okno_sessions **out);

/* Starts a session on an open WebSocket; the set takes its own reference on ws. peer (the client's
 * address, for logs) is copied. Returns the session's number. */
uint64_t okno_sessions_add(struct okno_sessions *set, SoupWebsocketConnection *ws,
                           const char *peer);

/* An okno_sfu_listener callback (ud is the set): routes ev to its session as a frame, or drops it
 * when the session is gone. */
void okno_sessions_on_sfu_event(void *set, const struct okno_sfu_event *ev);

/* Open sessions. */
size_t okno_sessions_count(const struct okno_sessions *set);

/* Closes every socket with 1001 (each session leaves its room), waits up to about two seconds on
 * the main context for the close handshakes, and frees the set and every session. Runs the
 * thread-default main context while it waits. NULL is ignored. */
void okno_sessions_free(struct okno_sessions *set);

#endif
