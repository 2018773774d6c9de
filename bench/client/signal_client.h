/* The okno signalling protocol (docs/protocol.md) from the client's side, for okno-bench: one
 * libsoup-3 WebSocket on a GMainContext, requests matched with their replies by id, server events
 * handed to a listener. Every wait is bounded: the connection attempt and each request have a
 * timeout, and a request still pending when the socket closes fails with OKNO_E_CLOSED, so a
 * caller never hangs on a server that is gone or silent.
 *
 * Deliberately not here: SDP (client_sdp), transports (client_peer) and what to do about an event;
 * the messages are jansson objects handed through as they came, so the protocol can grow without
 * this module changing. All functions and callbacks run on the context given at connect, which
 * must be the thread-default context of the thread running it (g_main_context_push_thread_default)
 * for as long as the client lives: libsoup attaches its later sources to the thread default. */
#ifndef OKNO_BENCH_SIGNAL_CLIENT_H
#define OKNO_BENCH_SIGNAL_CLIENT_H

#include <glib.h>
#include <jansson.h>

struct okno_signal_client;

/* Completion of the connection or of one request. err is 0 with the reply (borrowed for the call;
 * json_incref to keep it), or a negative code with message (human text, valid for the call):
 * OKNO_E_IO (unreachable, refused, not a WebSocket), OKNO_E_TIMEOUT, OKNO_E_CLOSED (the socket
 * closed first), OKNO_E_DENIED (error "denied"), OKNO_E_STATE (not_joined, already_joined,
 * bad_state), OKNO_E_AGAIN (overloaded) or OKNO_E_MALFORMED (any other error reply, or a reply
 * that is not an object). The client may be closed from it. */
typedef void (*okno_signal_done_fn)(void *arg, int err, json_t *reply, const char *message);

/* Events up to the owner; either may be NULL. The owner may call okno_signal_close from both. */
struct okno_signal_listener {
    /* A server message that answers no request (offer, candidate, participant_joined, an error
     * without id...), borrowed for the call. */
    void (*on_event)(void *owner, const char *type, json_t *msg);
    /* The socket closed or broke after it had opened: err OKNO_E_CLOSED or OKNO_E_MALFORMED (the
     * server sent something that is not a protocol message), reason valid for the call. Pending
     * requests have failed before this. */
    void (*on_closed)(void *owner, int err, const char *reason);
};

/* Opens the WebSocket at url (ws:// or wss://) on ctx (borrowed; must outlive the close). on_open
 * (arg) runs once: err 0 when open, otherwise the owner should close the client. timeout_ms bounds
 * the connection and every request. The listener is copied. Returns 0 and *out, or OKNO_E_INVAL
 * for a missing argument or a URL libsoup cannot parse. */
int okno_signal_connect(GMainContext *ctx, const char *url, guint timeout_ms,
                        const struct okno_signal_listener *listener, void *owner,
                        okno_signal_done_fn on_open, void *arg, struct okno_signal_client **out);

/* Sends msg (stolen) with a fresh numeric id; done(arg) runs once with the reply. Returns 0, or
 * OKNO_E_STATE when the socket is not open (done is not called then; msg is released). */
int okno_signal_request(struct okno_signal_client *sc, json_t *msg, okno_signal_done_fn done,
                        void *arg);
/* Sends msg (stolen) without an id. Returns 0 or OKNO_E_STATE. */
int okno_signal_send(struct okno_signal_client *sc, json_t *msg);

/* The protocol's requests; strings are copied. token may be NULL. */
int okno_signal_join(struct okno_signal_client *sc, const char *room, const char *role,
                     const char *name, const char *token, okno_signal_done_fn done, void *arg);
int okno_signal_publish(struct okno_signal_client *sc, const char *sdp, okno_signal_done_fn done,
                        void *arg);
int okno_signal_answer(struct okno_signal_client *sc, const char *sdp, okno_signal_done_fn done,
                       void *arg);
/* A trickled candidate for pc ("publisher" or "subscriber") on the first m= line of the bundle;
 * candidate NULL is end-of-candidates. */
int okno_signal_candidate(struct okno_signal_client *sc, const char *pc, const char *candidate);

/* Closes the socket (when open) and drops pending requests without calling them; the listener and
 * the done callbacks are not called again. Invalidates sc; the memory goes once the loop is back
 * from the current callback. NULL is a no-op. */
void okno_signal_close(struct okno_signal_client *sc);

#endif
