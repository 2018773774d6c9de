/* okno-bench signalling client: libsoup-3 WebSocket, jansson messages, a table of pending requests
 * keyed by id, each with its own timer. The object is reference counted only so that libsoup's
 * pending connect callback and the deferred free after okno_signal_close never touch freed memory;
 * the owner sees a plain create/close lifetime. Not here: any knowledge of SDP or transports. */
#include "client/signal_client.h"

#include <libsoup/soup.h>
#include <stdbool.h>
#include <string.h>

#include "okno/err.h"

struct pending {
    struct okno_signal_client *sc; /* borrowed */
    json_int_t id;
    okno_signal_done_fn done;
    void *arg;
    GSource *timer; /* owned */
};

struct okno_signal_client {
    /* borrowed */
    GMainContext *ctx;
    /* owned */
    SoupSession *session;
    SoupWebsocketConnection *ws; /* NULL until open */
    GCancellable *cancel;
    GSource *connect_timer;
    GHashTable *pending; /* json_int_t id -> struct pending */
    /* other */
    struct okno_signal_listener listener;
    void *owner;
    okno_signal_done_fn on_open;
    void *open_arg;
    guint timeout_ms;
    json_int_t next_id;
    int refs;
    bool closed; /* by the owner: no callback may run any more */
    bool ended;  /* the socket is gone (closed, failed to open) */
};

static void unref(struct okno_signal_client *sc)
{
    if (--sc->refs > 0)
        return;
    g_hash_table_destroy(sc->pending);
    g_clear_object(&sc->cancel);
    g_clear_object(&sc->session);
    g_free(sc);
}

static GSource *timer_new(struct okno_signal_client *sc, guint ms, GSourceFunc fn, void *data)
{
    GSource *t = g_timeout_source_new(ms);
    g_source_set_callback(t, fn, data, NULL);
    g_source_attach(t, sc->ctx);
    return t;
}

static void timer_clear(GSource **t)
{
    if (*t) {
        g_source_destroy(*t);
        g_source_unref(*t);
        *t = NULL;
    }
}

static void pending_free(void *p)
{
    struct pending *pd = p;
    timer_clear(&pd->timer);
    g_free(pd);
}

/* Removes the request from the table and completes it (unless the owner has closed). */
static void pending_finish(struct pending *pd, int err, json_t *reply, const char *message)
{
    struct okno_signal_client *sc = pd->sc;
    okno_signal_done_fn done = pd->done;
    void *arg = pd->arg;
    g_hash_table_remove(sc->pending, &pd->id);
    if (!sc->closed)
        done(arg, err, reply, message);
}

static void fail_all_pending(struct okno_signal_client *sc, int err, const char *message)
{
    GHashTableIter it;
    gpointer value;
    while (!sc->closed && g_hash_table_size(sc->pending) > 0) {
        g_hash_table_iter_init(&it, sc->pending);
        if (!g_hash_table_iter_next(&it, NULL, &value))
            break;
        pending_finish(value, err, NULL, message);
    }
}

static void end(struct okno_signal_client *sc, int err, const char *reason)
{
    if (sc->ended)
        return;
    sc->ended = true;
    sc->refs++;
    fail_all_pending(sc, err, reason);
    if (!sc->closed && sc->listener.on_closed)
        sc->listener.on_closed(sc->owner, err, reason);
    unref(sc);
}

static int error_code(const char *code)
{
    if (!code)
        return OKNO_E_MALFORMED;
    if (!strcmp(code, "denied"))
        return OKNO_E_DENIED;
    if (!strcmp(code, "not_joined") || !strcmp(code, "already_joined") ||
        !strcmp(code, "bad_state"))
        return OKNO_E_STATE;
    if (!strcmp(code, "overloaded"))
        return OKNO_E_AGAIN;
    return OKNO_E_MALFORMED;
}

static void dispatch(struct okno_signal_client *sc, json_t *msg)
{
    const char *type = json_string_value(json_object_get(msg, "type"));
    json_t *id = json_object_get(msg, "id");
    struct pending *pd = NULL;
    if (json_is_integer(id)) {
        json_int_t key = json_integer_value(id);
        pd = g_hash_table_lookup(sc->pending, &key);
    }
    if (pd) {
        if (type && !strcmp(type, "error")) {
            const char *code = json_string_value(json_object_get(msg, "code"));
            const char *text = json_string_value(json_object_get(msg, "message"));
            char *m = g_strdup_printf("%s: %s", code ? code : "error", text ? text : "");
            pending_finish(pd, error_code(code), msg, m);
            g_free(m);
        } else {
            pending_finish(pd, 0, msg, NULL);
        }
        return;
    }
    if (sc->listener.on_event)
        sc->listener.on_event(sc->owner, type, msg);
}

static void on_message(SoupWebsocketConnection *ws, gint kind, GBytes *bytes, gpointer data)
{
    struct okno_signal_client *sc = data;
    gsize len;
    const char *text = g_bytes_get_data(bytes, &len);
    json_t *msg = kind == SOUP_WEBSOCKET_DATA_TEXT ? json_loadb(text, len, 0, NULL) : NULL;
    sc->refs++;
    if (sc->ended) {
        /* After a protocol error nothing more is believed, while the close completes. */
    } else if (!json_is_object(msg) || !json_is_string(json_object_get(msg, "type"))) {
        soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR, "not okno");
        end(sc, OKNO_E_MALFORMED, "the server sent a frame that is not a protocol message");
    } else
        dispatch(sc, msg);
    json_decref(msg);
    unref(sc);
}

static void on_ws_closed(SoupWebsocketConnection *ws, gpointer data)
{
    struct okno_signal_client *sc = data;
    const char *why = soup_websocket_connection_get_close_data(ws);
    char *m = g_strdup_printf("the server closed the connection (code %u%s%s)",
                              soup_websocket_connection_get_close_code(ws), why && *why ? ": " : "",
                              why ? why : "");
    end(sc, OKNO_E_CLOSED, m);
    g_free(m);
}

static void open_done(struct okno_signal_client *sc, int err, const char *message)
{
    timer_clear(&sc->connect_timer);
    if (err < 0)
        sc->ended = true;
    if (!sc->closed && sc->on_open)
        sc->on_open(sc->open_arg, err, NULL, message);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
    struct okno_signal_client *sc = data;
    GError *error = NULL;
    SoupWebsocketConnection *ws =
        soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &error);
    if (!ws) {
        if (!sc->closed && !sc->ended) {
            char *m = g_strdup_printf("cannot open the WebSocket: %s", error->message);
            open_done(sc, OKNO_E_IO, m);
            g_free(m);
        }
        g_error_free(error);
    } else if (sc->closed || sc->ended) {
        g_object_unref(ws);
    } else {
        sc->ws = ws;
        soup_websocket_connection_set_max_incoming_payload_size(ws, (guint64)256 * 1024);
        g_signal_connect(ws, "message", G_CALLBACK(on_message), sc);
        g_signal_connect(ws, "closed", G_CALLBACK(on_ws_closed), sc);
        open_done(sc, 0, NULL);
    }
    unref(sc);
}

static gboolean on_connect_timeout(gpointer data)
{
    struct okno_signal_client *sc = data;
    g_source_unref(sc->connect_timer);
    sc->connect_timer = NULL;
    g_cancellable_cancel(sc->cancel);
    open_done(sc, OKNO_E_TIMEOUT, "no WebSocket connection within the timeout");
    return G_SOURCE_REMOVE;
}

int okno_signal_connect(GMainContext *ctx, const char *url, guint timeout_ms,
                        const struct okno_signal_listener *listener, void *owner,
                        okno_signal_done_fn on_open, void *arg, struct okno_signal_client **out)
{
    if (!ctx || !url || !listener || !on_open || !out || timeout_ms == 0)
        return OKNO_E_INVAL;
    SoupMessage *msg = soup_message_new("GET", url);
    if (!msg)
        return OKNO_E_INVAL;
    struct okno_signal_client *sc = g_new0(struct okno_signal_client, 1);
    sc->ctx = ctx;
    sc->listener = *listener;
    sc->owner = owner;
    sc->on_open = on_open;
    sc->open_arg = arg;
    sc->timeout_ms = timeout_ms;
    sc->next_id = 1;
    sc->refs = 2; /* the owner's, and the pending connect's */
    sc->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, pending_free);
    sc->cancel = g_cancellable_new();
    g_main_context_push_thread_default(ctx);
    sc->session = soup_session_new_with_options("timeout", (timeout_ms + 999) / 1000, NULL);
    soup_session_websocket_connect_async(sc->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                         sc->cancel, on_connected, sc);
    g_main_context_pop_thread_default(ctx);
    g_object_unref(msg);
    sc->connect_timer = timer_new(sc, timeout_ms, on_connect_timeout, sc);
    *out = sc;
    return 0;
}

static gboolean on_request_timeout(gpointer data)
{
    struct pending *pd = data;
    g_source_unref(pd->timer);
    pd->timer = NULL;
    pending_finish(pd, OKNO_E_TIMEOUT, NULL, "no reply within the timeout");
    return G_SOURCE_REMOVE;
}

static int send_json(struct okno_signal_client *sc, json_t *msg)
{
    if (!sc->ws || sc->ended || sc->closed ||
        soup_websocket_connection_get_state(sc->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
        json_decref(msg);
        return OKNO_E_STATE;
    }
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return OKNO_E_NOMEM;
    soup_websocket_connection_send_text(sc->ws, text);
    free(text);
    return 0;
}

int okno_signal_request(struct okno_signal_client *sc, json_t *msg, okno_signal_done_fn done,
                        void *arg)
{
    if (!sc || !msg || !done) {
        json_decref(msg);
        return OKNO_E_INVAL;
    }
    json_int_t id = sc->next_id++;
    json_object_set_new(msg, "id", json_integer(id));
    int rc = send_json(sc, msg);
    if (rc < 0)
        return rc;
    struct pending *pd = g_new0(struct pending, 1);
    pd->sc = sc;
    pd->id = id;
    pd->done = done;
    pd->arg = arg;
    pd->timer = timer_new(sc, sc->timeout_ms, on_request_timeout, pd);
    g_hash_table_insert(sc->pending, &pd->id, pd);
    return 0;
}

int okno_signal_send(struct okno_signal_client *sc, json_t *msg)
{
    if (!sc || !msg) {
        json_decref(msg);
        return OKNO_E_INVAL;
    }
    return send_json(sc, msg);
}

int okno_signal_join(struct okno_signal_client *sc, const char *room, const char *role,
                     const char *name, const char *token, okno_signal_done_fn done, void *arg)
{
    if (!room || !role || !name)
        return OKNO_E_INVAL;
    json_t *m =
        json_pack("{s:s, s:s, s:s, s:s}", "type", "join", "room", room, "role", role, "name", name);
    if (m && token)
        json_object_set_new(m, "token", json_string(token));
    return m ? okno_signal_request(sc, m, done, arg) : OKNO_E_INVAL;
}

int okno_signal_publish(struct okno_signal_client *sc, const char *sdp, okno_signal_done_fn done,
                        void *arg)
{
    json_t *m = sdp ? json_pack("{s:s, s:s}", "type", "publish", "sdp", sdp) : NULL;
    return m ? okno_signal_request(sc, m, done, arg) : OKNO_E_INVAL;
}

int okno_signal_answer(struct okno_signal_client *sc, const char *sdp, okno_signal_done_fn done,
                       void *arg)
{
    json_t *m =
        sdp ? json_pack("{s:s, s:s, s:s}", "type", "answer", "pc", "subscriber", "sdp", sdp) : NULL;
    return m ? okno_signal_request(sc, m, done, arg) : OKNO_E_INVAL;
}

int okno_signal_candidate(struct okno_signal_client *sc, const char *pc, const char *candidate)
{
    if (!pc)
        return OKNO_E_INVAL;
    json_t *c = candidate ? json_pack("{s:s, s:i}", "candidate", candidate, "sdpMLineIndex", 0)
                          : json_null();
    json_t *m =
        c ? json_pack("{s:s, s:s, s:o}", "type", "candidate", "pc", pc, "candidate", c) : NULL;
    return m ? okno_signal_send(sc, m) : OKNO_E_INVAL;
}

static gboolean deferred_unref(gpointer data)
{
    unref(data);
    return G_SOURCE_REMOVE;
}

void okno_signal_close(struct okno_signal_client *sc)
{
    if (!sc || sc->closed)
        return;
    sc->closed = true;
    timer_clear(&sc->connect_timer);
    g_cancellable_cancel(sc->cancel);
    g_hash_table_remove_all(sc->pending);
    if (sc->ws) {
        g_signal_handlers_disconnect_by_data(sc->ws, sc);
        if (soup_websocket_connection_get_state(sc->ws) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(sc->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        g_clear_object(&sc->ws);
    }
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, deferred_unref, sc, NULL);
    g_source_attach(idle, sc->ctx);
    g_source_unref(idle);
}
