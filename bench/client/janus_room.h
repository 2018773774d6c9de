/* One okno-bench participant in a Janus VideoRoom (Janus 1.x, multistream), presented to the
 * session with the shape of okno's own signalling (signal_client.h), so the session composes the
 * same SDP and transports for both targets: join, publish an offer and get the answer, answer the
 * subscriber offers that arrive as "offer" events, trickle candidates both ways.
 *
 * Behind that shape: a publisher handle joined as "publisher" (a receive-only participant simply
 * never publishes on it), and one subscriber handle whose single PeerConnection carries every other
 * publisher's streams. Feeds announced by "publishers" (in the join reply and in later events) are
 * subscribed, feeds that are "unpublished" or "leaving" are unsubscribed; each change is one
 * renegotiation, and changes are serialized (one request, then Janus's offer and our answer, at a
 * time) and batched while one is in flight. Janus is half-trickle: its candidates come in its SDP.
 *
 * Deliberately not here: SDP and transports (the session), and any VideoRoom feature the bench does
 * not use (simulcast substream choice, data channels, moderation, recording). */
#ifndef OKNO_BENCH_JANUS_ROOM_H
#define OKNO_BENCH_JANUS_ROOM_H

#include <glib.h>
#include <jansson.h>
#include <stdint.h>

#include "client/client_sdp.h"
#include "client/janus_signal.h"

#define OKNO_JANUS_DEFAULT_ROOM 1234

struct okno_janus_room;

/* Events up to the owner, with okno's message shapes; either may be NULL; the owner may close from
 * both. on_event types: "offer" {"sdp": ..., "streams": Janus's stream list} (answer it with
 * okno_janus_room_answer), "candidate" {"pc": "publisher"|"subscriber", "candidate":
 * {"candidate": ...} or null for the end}, "participant_joined" {"participant", "name"},
 * "participant_left" {"participant"} (participant: the feed id in decimal), and Janus's own
 * "hangup", "slowlink" and "media" messages as they came. on_closed as in signal_client.h. */
struct okno_janus_room_listener {
    void (*on_event)(void *owner, const char *type, json_t *msg);
    void (*on_closed)(void *owner, int err, const char *reason);
};

/* Connects to Janus at url and creates its session; on_open(arg) runs once (err 0: ready to join).
 * room is the VideoRoom number (0: OKNO_JANUS_DEFAULT_ROOM). Returns 0 and *out, or OKNO_E_INVAL.
 */
int okno_janus_room_connect(GMainContext *ctx, const char *url, uint64_t room, guint timeout_ms,
                            const struct okno_janus_room_listener *listener, void *owner,
                            okno_janus_done_fn on_open, void *arg, struct okno_janus_room **out);

/* Attaches the publisher handle and joins as publisher named display. done gets {"participant":
 * "<feed id>", "room": N, "publishers": [...]} or an error: OKNO_E_DENIED for a room that does not
 * exist (Janus 426) or another refusal. Subscribing to the feeds already there starts after it. */
int okno_janus_room_join(struct okno_janus_room *r, const char *display, okno_janus_done_fn done,
                         void *arg);

/* Publishes the offer sdp on the publisher handle; done gets {"sdp": Janus's answer}. */
int okno_janus_room_publish(struct okno_janus_room *r, const char *sdp, okno_janus_done_fn done,
                            void *arg);

/* Answers the latest subscriber offer ("start" with the answer); done gets the "started" event. */
int okno_janus_room_answer(struct okno_janus_room *r, const char *sdp, okno_janus_done_fn done,
                           void *arg);

/* Trickles a local candidate of pc ("publisher" or "subscriber"); NULL is the end of them. */
int okno_janus_room_candidate(struct okno_janus_room *r, const char *pc, const char *candidate);

/* Names the tracks of a parsed subscriber offer after Janus's stream list (an "offer" event's
 * "streams"): participant = the feed id in decimal, track = "<feed id>-<feed's mid>", so they mean
 * what they mean on okno (who publishes it, which of their tracks). Sections without a feed keep
 * what the SDP said. */
void okno_janus_room_label(json_t *streams, struct okno_client_sub_offer *offer);

/* Leaves: destroys the Janus session and closes the socket; nothing is called any more.
 * Invalidates r (freed once the loop is back). NULL is a no-op. */
void okno_janus_room_close(struct okno_janus_room *r);

#endif
