/* A JSON-over-WebSocket client connection for okno-bench's signalling clients (signal_client for
 * okno's protocol, janus_signal for Janus's API): one libsoup-3 WebSocket on a GMainContext, text
 * frames parsed as JSON objects that must carry a string framing member ("type", "janus"), a table
 * of pending requests keyed by a string (an id, a transaction) with a timer each, and the lifetime
 * rules both clients share: a connection attempt bounded by a timeout, pending requests failed with
 * OKNO_E_CLOSED when the socket goes, nothing called back after the owner's close, the memory freed
 * once the loop is back from the current callback.
 *
 * Deliberately not here: what a message means, how replies are matched to requests (the protocol
 * module reads each message and finishes the pending request it answers) and any request format.
 * The protocol module embeds struct okno_json_ws as its first member and frees itself in
 * ops->destroy. Every function and callback runs on the context given at open, which must be the
 * thread-default context of the thread running it: libsoup attaches its later sources to it. */
#ifndef OKNO_BENCH_JSON_WS_H
#define OKNO_BENCH_JSON_WS_H

#include <glib.h>
#include <jansson.h>
#include <libsoup/soup.h>
#include <stdbool.h>

/* Completion of one request: err 0 with the reply (borrowed for the call), or a negative code
 * with message (human text, valid for the call). */
typedef void (*okno_json_ws_done_fn)(void *arg, int err, json_t *reply, const char *message);

struct okno_json_ws;

struct okno_json_ws_ops {
    const char *frame_key;   /* the string member every message has: "type", "janus" */
    const char *subprotocol; /* offered at connect; NULL: none */
    const char *peer;        /* who is at the other end, for close reasons: "the server" */
    /* Once: the socket is open (err 0), or it could not be opened: OKNO_E_IO (unreachable, not a
     * WebSocket) or OKNO_E_TIMEOUT, message valid for the call. */
    void (*on_open)(struct okno_json_ws *ws, int err, const char *message);
    /* A message with the framing member, borrowed for the call. */
    void (*on_message)(struct okno_json_ws *ws, json_t *msg);
    /* The socket closed (OKNO_E_CLOSED) or the peer sent a frame that is no message
     * (OKNO_E_MALFORMED) after it had opened; pending requests have failed before this. */
    void (*on_closed)(struct okno_json_ws *ws, int err, const char *reason);
    /* Frees the object embedding ws, once nothing refers to it any more. */
    void (*destroy)(struct okno_json_ws *ws);
};

/* Embedded by the protocol module; its fields are this module's. */
struct okno_json_ws {
    GMainContext *ctx; /* borrowed */
    const struct okno_json_ws_ops *ops;
    /* owned */
    SoupSession *session;
    SoupWebsocketConnection *ws; /* NULL until open */
    GCancellable *cancel;
    GSource *connect_timer;
    GHashTable *pending; /* key -> struct pending */
    /* other */
    guint timeout_ms;
    int refs;
    bool closed; /* by the owner: no callback may run any more */
    bool ended;  /* the socket is gone (closed, failed to open) */
};

/* Starts connecting ws (the embedded struct, zeroed) to url on ctx (borrowed; must outlive the
 * close); ops (borrowed, static) calls back as above. timeout_ms bounds the connection and every
 * request. Returns 0, or OKNO_E_INVAL for a URL libsoup cannot parse (ops->destroy is not called
 * then: the caller frees). */
int okno_json_ws_open(struct okno_json_ws *ws, GMainContext *ctx, const char *url, guint timeout_ms,
                      const struct okno_json_ws_ops *ops);

/* Sends msg (stolen) as one text frame. Returns 0, OKNO_E_STATE when the socket is not open, or
 * OKNO_E_NOMEM. */
int okno_json_ws_send(struct okno_json_ws *ws, json_t *msg);

/* Records a pending request under key (copied) with tag (the protocol's own flags): done(arg) runs
 * once, through okno_json_ws_finish, on timeout (OKNO_E_TIMEOUT) or when the socket goes
 * (OKNO_E_CLOSED). */
void okno_json_ws_expect(struct okno_json_ws *ws, const char *key, int tag,
                         okno_json_ws_done_fn done, void *arg);

/* Whether key is pending; *tag (may be NULL) is its tag. */
bool okno_json_ws_pending(struct okno_json_ws *ws, const char *key, int *tag);

/* Completes the pending request key (a no-op when there is none) and forgets it. */
void okno_json_ws_finish(struct okno_json_ws *ws, const char *key, int err, json_t *reply,
                         const char *message);

/* Closes the socket (when open) and drops pending requests without calling them; no callback runs
 * any more. ops->destroy runs later, on the context. */
void okno_json_ws_close(struct okno_json_ws *ws);

#endif
