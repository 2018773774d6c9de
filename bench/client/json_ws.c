/* okno-bench's JSON WebSocket connection (json_ws.h): libsoup-3 WebSocket, jansson, pending
 * requests in a hash table by key, each with its own timer. Reference counted only so that
 * libsoup's pending connect callback and the deferred free after okno_json_ws_close never touch
 * freed memory; the owner sees a plain open/close lifetime. */
#include "client/json_ws.h"

#include <string.h>

#include "okno/err.h"

struct pending {
    struct okno_json_ws *ws; /* borrowed */
    char *key;               /* owned; also the table's key */
    int tag;
    okno_json_ws_done_fn done;
    void *arg;
    GSource *timer; /* owned */
};

static void unref(struct okno_json_ws *ws)
{
    if (--ws->refs > 0)
        return;
    g_hash_table_destroy(ws->pending);
    g_clear_object(&ws->cancel);
    g_clear_object(&ws->session);
    ws->ops->destroy(ws);
}

static GSource *timer_new(struct okno_json_ws *ws, guint ms, GSourceFunc fn, void *data)
{
    GSource *t = g_timeout_source_new(ms);
    g_source_set_callback(t, fn, data, NULL);
    g_source_attach(t, ws->ctx);
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
    g_free(pd->key);
    g_free(pd);
}

/* Removes the request from the table and completes it (unless the owner has closed). */
static void pending_finish(struct pending *pd, int err, json_t *reply, const char *message)
{
    struct okno_json_ws *ws = pd->ws;
    okno_json_ws_done_fn done = pd->done;
    void *arg = pd->arg;
    g_hash_table_remove(ws->pending, pd->key);
    if (!ws->closed)
        done(arg, err, reply, message);
}

static void fail_all_pending(struct okno_json_ws *ws, int err, const char *message)
{
    GHashTableIter it;
    gpointer value;
    while (!ws->closed && g_hash_table_size(ws->pending) > 0) {
        g_hash_table_iter_init(&it, ws->pending);
        if (!g_hash_table_iter_next(&it, NULL, &value))
            break;
        pending_finish(value, err, NULL, message);
    }
}

static void end(struct okno_json_ws *ws, int err, const char *reason)
{
    if (ws->ended)
        return;
    ws->ended = true;
    ws->refs++;
    fail_all_pending(ws, err, reason);
    if (!ws->closed && ws->ops->on_closed)
        ws->ops->on_closed(ws, err, reason);
    unref(ws);
}

static void on_message(SoupWebsocketConnection *conn, gint kind, GBytes *bytes, gpointer data)
{
    struct okno_json_ws *ws = data;
    gsize len;
    const char *text = g_bytes_get_data(bytes, &len);
    json_t *msg = kind == SOUP_WEBSOCKET_DATA_TEXT ? json_loadb(text, len, 0, NULL) : NULL;
    ws->refs++;
    if (ws->ended || ws->closed) {
        /* After a protocol error nothing more is believed, while the close completes. */
    } else if (!json_is_object(msg) || !json_is_string(json_object_get(msg, ws->ops->frame_key))) {
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR,
                                        "not a protocol message");
        char *m = g_strdup_printf("%s sent a frame that is not a protocol message", ws->ops->peer);
        end(ws, OKNO_E_MALFORMED, m);
        g_free(m);
    } else {
        ws->ops->on_message(ws, msg);
    }
    json_decref(msg);
    unref(ws);
}

static void on_ws_closed(SoupWebsocketConnection *conn, gpointer data)
{
    struct okno_json_ws *ws = data;
    const char *why = soup_websocket_connection_get_close_data(conn);
    char *m = g_strdup_printf("%s closed the connection (code %u%s%s)", ws->ops->peer,
                              soup_websocket_connection_get_close_code(conn),
                              why && *why ? ": " : "", why ? why : "");
    end(ws, OKNO_E_CLOSED, m);
    g_free(m);
}

static void open_done(struct okno_json_ws *ws, int err, const char *message)
{
    timer_clear(&ws->connect_timer);
    if (err < 0)
        ws->ended = true;
    if (!ws->closed)
        ws->ops->on_open(ws, err, message);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
    struct okno_json_ws *ws = data;
    GError *error = NULL;
    SoupWebsocketConnection *conn =
        soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &error);
    if (!conn) {
        if (!ws->closed && !ws->ended) {
            char *m = g_strdup_printf("cannot open the WebSocket: %s", error->message);
            open_done(ws, OKNO_E_IO, m);
            g_free(m);
        }
        g_error_free(error);
    } else if (ws->closed || ws->ended) {
        g_object_unref(conn);
    } else {
        ws->ws = conn;
        soup_websocket_connection_set_max_incoming_payload_size(conn, (guint64)256 * 1024);
        g_signal_connect(conn, "message", G_CALLBACK(on_message), ws);
        g_signal_connect(conn, "closed", G_CALLBACK(on_ws_closed), ws);
        open_done(ws, 0, NULL);
    }
    unref(ws);
}

static gboolean on_connect_timeout(gpointer data)
{
    struct okno_json_ws *ws = data;
    g_source_unref(ws->connect_timer);
    ws->connect_timer = NULL;
    g_cancellable_cancel(ws->cancel);
    open_done(ws, OKNO_E_TIMEOUT, "no WebSocket connection within the timeout");
    return G_SOURCE_REMOVE;
}

int okno_json_ws_open(struct okno_json_ws *ws, GMainContext *ctx, const char *url, guint timeout_ms,
                      const struct okno_json_ws_ops *ops)
{
    SoupMessage *msg = soup_message_new("GET", url);
    if (!msg)
        return OKNO_E_INVAL;
    ws->ctx = ctx;
    ws->ops = ops;
    ws->timeout_ms = timeout_ms;
    ws->refs = 2; /* the owner's, and the pending connect's */
    ws->pending = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, pending_free);
    ws->cancel = g_cancellable_new();
    char *protocols[] = {(char *)ops->subprotocol, NULL};
    g_main_context_push_thread_default(ctx);
    ws->session = soup_session_new_with_options("timeout", (timeout_ms + 999) / 1000, NULL);
    soup_session_websocket_connect_async(ws->session, msg, NULL,
                                         ops->subprotocol ? protocols : NULL, G_PRIORITY_DEFAULT,
                                         ws->cancel, on_connected, ws);
    g_main_context_pop_thread_default(ctx);
    g_object_unref(msg);
    ws->connect_timer = timer_new(ws, timeout_ms, on_connect_timeout, ws);
    return 0;
}

int okno_json_ws_send(struct okno_json_ws *ws, json_t *msg)
{
    if (!ws->ws || ws->ended || ws->closed ||
        soup_websocket_connection_get_state(ws->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
        json_decref(msg);
        return OKNO_E_STATE;
    }
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return OKNO_E_NOMEM;
    soup_websocket_connection_send_text(ws->ws, text);
    free(text);
    return 0;
}

static gboolean on_request_timeout(gpointer data)
{
    struct pending *pd = data;
    g_source_unref(pd->timer);
    pd->timer = NULL;
    char *m = g_strdup_printf("no reply from %s within the timeout", pd->ws->ops->peer);
    pending_finish(pd, OKNO_E_TIMEOUT, NULL, m);
    g_free(m);
    return G_SOURCE_REMOVE;
}

void okno_json_ws_expect(struct okno_json_ws *ws, const char *key, int tag,
                         okno_json_ws_done_fn done, void *arg)
{
    struct pending *pd = g_new0(struct pending, 1);
    pd->ws = ws;
    pd->key = g_strdup(key);
    pd->tag = tag;
    pd->done = done;
    pd->arg = arg;
    pd->timer = timer_new(ws, ws->timeout_ms, on_request_timeout, pd);
    g_hash_table_replace(ws->pending, pd->key, pd);
}

bool okno_json_ws_pending(struct okno_json_ws *ws, const char *key, int *tag)
{
    struct pending *pd = key ? g_hash_table_lookup(ws->pending, key) : NULL;
    if (pd && tag)
        *tag = pd->tag;
    return pd != NULL;
}

void okno_json_ws_finish(struct okno_json_ws *ws, const char *key, int err, json_t *reply,
                         const char *message)
{
    struct pending *pd = key ? g_hash_table_lookup(ws->pending, key) : NULL;
    if (pd)
        pending_finish(pd, err, reply, message);
}

static gboolean deferred_unref(gpointer data)
{
    unref(data);
    return G_SOURCE_REMOVE;
}

void okno_json_ws_close(struct okno_json_ws *ws)
{
    if (ws->closed)
        return;
    ws->closed = true;
    timer_clear(&ws->connect_timer);
    g_cancellable_cancel(ws->cancel);
    g_hash_table_remove_all(ws->pending);
    if (ws->ws) {
        g_signal_handlers_disconnect_by_data(ws->ws, ws);
        if (soup_websocket_connection_get_state(ws->ws) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(ws->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        g_clear_object(&ws->ws);
    }
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, deferred_unref, ws, NULL);
    g_source_attach(idle, ws->ctx);
    g_source_unref(idle);
}
