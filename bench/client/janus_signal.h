/* Janus's JSON API (janus.conf.meetecho.com/docs/rest.html) over its WebSocket transport
 * (subprotocol "janus-protocol"), for okno-bench's comparison runs: one libsoup-3 WebSocket, one
 * Janus session created at connect and kept alive every 25 s, requests matched with their replies
 * by transaction, asynchronous messages handed to a listener with the handle that sent them.
 * Every wait is bounded: the connection, the session's creation and each request have a timeout,
 * and a request still pending when the socket closes fails with OKNO_E_CLOSED.
 *
 * Deliberately not here: what a plugin's messages mean (janus_room drives the VideoRoom), SDP and
 * transports. Like signal_client, every function and callback runs on the context given at
 * connect, which must be the thread-default context of the thread running it. */
#ifndef OKNO_BENCH_JANUS_SIGNAL_H
#define OKNO_BENCH_JANUS_SIGNAL_H

#include <glib.h>
#include <jansson.h>
#include <stdint.h>

/* Janus drops a session silent for its session_timeout (60 s in bench/janus/conf). */
#define OKNO_JANUS_KEEPALIVE_MS 25000

struct okno_janus;

/* Completion of the connection or of one request. err 0 with the reply (borrowed for the call):
 * for create/attach the "success" message, for a plugin message the "event" (or "success") that
 * carries plugindata and possibly jsep. Otherwise a negative code with message (human text, valid
 * for the call): OKNO_E_IO (unreachable, not a Janus WebSocket), OKNO_E_TIMEOUT, OKNO_E_CLOSED (the
 * socket closed first), or for an error reply okno_janus_error_code's mapping; reply is then the
 * error message when there is one. The client may be closed from it. */
typedef void (*okno_janus_done_fn)(void *arg, int err, json_t *reply, const char *message);

struct okno_janus_listener {
    /* A message that answers no request (an "event" without a pending transaction, "webrtcup",
     * "media", "slowlink", "hangup", "trickle", "detached"...), borrowed for the call; handle is
     * its "sender" (0 when absent) and kind its "janus" verb. */
    void (*on_event)(void *owner, uint64_t handle, const char *kind, json_t *msg);
    /* The socket closed or broke after the session was created (err OKNO_E_CLOSED, or
     * OKNO_E_MALFORMED when Janus sent something that is not JSON); pending requests have failed
     * before this. */
    void (*on_closed)(void *owner, int err, const char *reason);
};

/* Maps a Janus error to okno's codes: a plugin's (VideoRoom) error_code 426 no such room, 425/433
 * unauthorized, 432 room full, 434/436 id taken -> OKNO_E_DENIED; 428 no such feed ->
 * OKNO_E_NOTFOUND; core 458/459/460 (session or handle gone) -> OKNO_E_STATE; anything else ->
 * OKNO_E_MALFORMED. */
int okno_janus_error_code(long code, int plugin);

/* Opens the WebSocket at url on ctx (borrowed; must outlive the close) and creates a Janus
 * session; on_open(arg) runs once: err 0 when the session exists, otherwise the owner should close
 * the client. timeout_ms bounds the connection, the creation and every request. The listener is
 * copied. Returns 0 and *out, or OKNO_E_INVAL for a missing argument or a URL libsoup cannot
 * parse. */
int okno_janus_connect(GMainContext *ctx, const char *url, guint timeout_ms,
                       const struct okno_janus_listener *listener, void *owner,
                       okno_janus_done_fn on_open, void *arg, struct okno_janus **out);

/* Attaches a handle to plugin ("janus.plugin.videoroom"); the reply's data.id is the handle (see
 * okno_janus_reply_id). Returns 0 or OKNO_E_STATE when the session is not open (done is not called
 * then). */
int okno_janus_attach(struct okno_janus *j, const char *plugin, okno_janus_done_fn done, void *arg);

/* Sends a plugin message on handle: body (stolen) and jsep (stolen; NULL: none). The ack is
 * skipped; done runs with the event carrying the plugin's answer, err set from its error_code when
 * it reports one. Returns 0 or OKNO_E_STATE / OKNO_E_INVAL (body and jsep are released then). */
int okno_janus_message(struct okno_janus *j, uint64_t handle, json_t *body, json_t *jsep,
                       okno_janus_done_fn done, void *arg);

/* Trickles one local candidate ("candidate:..." on m-line 0, mid "0") on handle; candidate NULL
 * sends {"completed": true}. Fire and forget (Janus only acks). Returns 0 or OKNO_E_STATE. */
int okno_janus_trickle(struct okno_janus *j, uint64_t handle, const char *candidate);

/* data.id of a create/attach reply, or plugindata.data.id of a join event; 0 when absent. */
uint64_t okno_janus_reply_id(json_t *reply);

/* Destroys the Janus session (fire and forget) and closes the socket; pending requests are dropped
 * without calling them and the listener is not called again. Invalidates j; the memory goes once
 * the loop is back from the current callback. NULL is a no-op. */
void okno_janus_close(struct okno_janus *j);

#endif
