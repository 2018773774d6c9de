/* okno-bench's Janus API client: libsoup-3 WebSocket with the "janus-protocol" subprotocol, one
 * session, a table of pending requests keyed by transaction, each with its own timer, and a
 * keepalive timer. Reference counted only so that libsoup's pending connect callback and the
 * deferred free after okno_janus_close never touch freed memory. Not here: any plugin logic. */
#include "client/janus_signal.h"

#include <libsoup/soup.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "okno/err.h"

struct pending {
    struct okno_janus *j; /* borrowed */
    char tid[24];
    bool plugin_message; /* its "ack" is not the answer */
    okno_janus_done_fn done;
    void *arg;
    GSource *timer; /* owned */
};

struct okno_janus {
    /* borrowed */
    GMainContext *ctx;
    /* owned */
    SoupSession *soup;
    SoupWebsocketConnection *ws; /* NULL until open */
    GCancellable *cancel;
    GSource *connect_timer, *keepalive;
    GHashTable *pending; /* transaction -> struct pending */
    char *url;
    /* other */
    struct okno_janus_listener listener;
    void *owner;
    okno_janus_done_fn on_open;
    void *open_arg;
    guint timeout_ms;
    uint64_t session;
    unsigned next_tid;
    int refs;
    bool closed; /* by the owner: no callback may run any more */
    bool ended;  /* the socket is gone (closed, failed to open) */
};

static void unref(struct okno_janus *j)
{
    if (--j->refs > 0)
        return;
    g_hash_table_destroy(j->pending);
    g_clear_object(&j->cancel);
    g_clear_object(&j->soup);
    g_free(j->url);
    g_free(j);
}

static GSource *timer_new(struct okno_janus *j, guint ms, GSourceFunc fn, void *data)
{
    GSource *t = g_timeout_source_new(ms);
    g_source_set_callback(t, fn, data, NULL);
    g_source_attach(t, j->ctx);
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

int okno_janus_error_code(long code, int plugin)
{
    if (plugin) {
        switch (code) {
        case 425: /* unauthorized (secret, pin) */
        case 426: /* no such room */
        case 432: /* too many publishers */
        case 433: /* unauthorized (token) */
        case 434: /* user id exists */
        case 436: /* id taken */
            return OKNO_E_DENIED;
        case 428: /* no such feed */
            return OKNO_E_NOTFOUND;
        default:
            return OKNO_E_MALFORMED;
        }
    }
    return code == 458 || code == 459 || code == 460 ? OKNO_E_STATE : OKNO_E_MALFORMED;
}

/* Removes the request from the table and completes it (unless the owner has closed). */
static void pending_finish(struct pending *pd, int err, json_t *reply, const char *message)
{
    struct okno_janus *j = pd->j;
    okno_janus_done_fn done = pd->done;
    void *arg = pd->arg;
    g_hash_table_remove(j->pending, pd->tid);
    if (!j->closed)
        done(arg, err, reply, message);
}

static void fail_all_pending(struct okno_janus *j, int err, const char *message)
{
    GHashTableIter it;
    gpointer value;
    while (!j->closed && g_hash_table_size(j->pending) > 0) {
        g_hash_table_iter_init(&it, j->pending);
        if (!g_hash_table_iter_next(&it, NULL, &value))
            break;
        pending_finish(value, err, NULL, message);
    }
}

static void end(struct okno_janus *j, int err, const char *reason)
{
    if (j->ended)
        return;
    j->ended = true;
    j->refs++;
    timer_clear(&j->keepalive);
    fail_all_pending(j, err, reason);
    if (!j->closed && j->listener.on_closed)
        j->listener.on_closed(j->owner, err, reason);
    unref(j);
}

/* A reply to pd: a core error, a plugin event with error_code, or the answer itself. */
static void answer(struct pending *pd, const char *kind, json_t *msg)
{
    if (!strcmp(kind, "error")) {
        json_t *e = json_object_get(msg, "error");
        long code = (long)json_integer_value(json_object_get(e, "code"));
        const char *reason = json_string_value(json_object_get(e, "reason"));
        char *m = g_strdup_printf("Janus error %ld: %s", code, reason ? reason : "");
        pending_finish(pd, okno_janus_error_code(code, 0), msg, m);
        g_free(m);
        return;
    }
    json_t *data = json_object_get(json_object_get(msg, "plugindata"), "data");
    json_t *code = json_object_get(data, "error_code");
    if (json_is_integer(code)) {
        const char *reason = json_string_value(json_object_get(data, "error"));
        char *m = g_strdup_printf("Janus plugin error %" JSON_INTEGER_FORMAT ": %s",
                                  json_integer_value(code), reason ? reason : "");
        pending_finish(pd, okno_janus_error_code((long)json_integer_value(code), 1), msg, m);
        g_free(m);
        return;
    }
    pending_finish(pd, 0, msg, NULL);
}

static void dispatch(struct okno_janus *j, json_t *msg)
{
    const char *kind = json_string_value(json_object_get(msg, "janus"));
    const char *tid = json_string_value(json_object_get(msg, "transaction"));
    struct pending *pd = tid ? g_hash_table_lookup(j->pending, tid) : NULL;
    if (pd && !(pd->plugin_message && !strcmp(kind, "ack"))) {
        answer(pd, kind, msg);
        return;
    }
    if (pd || !strcmp(kind, "ack"))
        return; /* a plugin message's ack, or a fire-and-forget request's */
    json_t *sender = json_object_get(msg, "sender");
    uint64_t handle = json_is_integer(sender) ? (uint64_t)json_integer_value(sender) : 0;
    if (j->listener.on_event)
        j->listener.on_event(j->owner, handle, kind, msg);
}

static void on_message(SoupWebsocketConnection *ws, gint kind, GBytes *bytes, gpointer data)
{
    struct okno_janus *j = data;
    gsize len;
    const char *text = g_bytes_get_data(bytes, &len);
    json_t *msg = kind == SOUP_WEBSOCKET_DATA_TEXT ? json_loadb(text, len, 0, NULL) : NULL;
    j->refs++;
    if (j->ended) {
        /* After a protocol error nothing more is believed, while the close completes. */
    } else if (!json_is_object(msg) || !json_is_string(json_object_get(msg, "janus"))) {
        soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR, "not Janus");
        end(j, OKNO_E_MALFORMED, "the server sent a frame that is not a Janus message");
    } else
        dispatch(j, msg);
    json_decref(msg);
    unref(j);
}

static void on_ws_closed(SoupWebsocketConnection *ws, gpointer data)
{
    struct okno_janus *j = data;
    const char *why = soup_websocket_connection_get_close_data(ws);
    char *m = g_strdup_printf("Janus closed the connection (code %u%s%s)",
                              soup_websocket_connection_get_close_code(ws), why && *why ? ": " : "",
                              why ? why : "");
    end(j, OKNO_E_CLOSED, m);
    g_free(m);
}

static void open_done(struct okno_janus *j, int err, json_t *reply, const char *message)
{
    timer_clear(&j->connect_timer);
    if (err < 0)
        j->ended = true;
    if (!j->closed && j->on_open)
        j->on_open(j->open_arg, err, reply, message);
}

static int send_json(struct okno_janus *j, json_t *msg)
{
    if (!j->ws || j->ended || j->closed ||
        soup_websocket_connection_get_state(j->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
        json_decref(msg);
        return OKNO_E_STATE;
    }
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return OKNO_E_NOMEM;
    soup_websocket_connection_send_text(j->ws, text);
    free(text);
    return 0;
}

static gboolean on_request_timeout(gpointer data)
{
    struct pending *pd = data;
    g_source_unref(pd->timer);
    pd->timer = NULL;
    pending_finish(pd, OKNO_E_TIMEOUT, NULL, "no reply from Janus within the timeout");
    return G_SOURCE_REMOVE;
}

/* Adds transaction, session and handle (when not 0) to msg (stolen) and sends it; with done, the
 * reply completes it. */
static int request(struct okno_janus *j, json_t *msg, uint64_t handle, okno_janus_done_fn done,
                   void *arg)
{
    if (!msg)
        return OKNO_E_INVAL;
    char tid[24];
    snprintf(tid, sizeof(tid), "okno-%u", j->next_tid++);
    json_object_set_new(msg, "transaction", json_string(tid));
    if (j->session)
        json_object_set_new(msg, "session_id", json_integer((json_int_t)j->session));
    if (handle)
        json_object_set_new(msg, "handle_id", json_integer((json_int_t)handle));
    const char *verb = json_string_value(json_object_get(msg, "janus"));
    bool plugin_message = verb && !strcmp(verb, "message");
    int rc = send_json(j, msg);
    if (rc < 0 || !done)
        return rc;
    struct pending *pd = g_new0(struct pending, 1);
    pd->j = j;
    g_strlcpy(pd->tid, tid, sizeof(pd->tid));
    pd->plugin_message = plugin_message;
    pd->done = done;
    pd->arg = arg;
    pd->timer = timer_new(j, j->timeout_ms, on_request_timeout, pd);
    g_hash_table_insert(j->pending, pd->tid, pd);
    return 0;
}

static gboolean on_keepalive(gpointer data)
{
    struct okno_janus *j = data;
    (void)request(j, json_pack("{s:s}", "janus", "keepalive"), 0, NULL, NULL);
    return G_SOURCE_CONTINUE;
}

static void on_created(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_janus *j = arg;
    if (err == 0) {
        j->session = okno_janus_reply_id(reply);
        if (!j->session) {
            err = OKNO_E_MALFORMED;
            message = "Janus's create reply has no session id";
        }
    }
    if (err == 0)
        j->keepalive = timer_new(j, OKNO_JANUS_KEEPALIVE_MS, on_keepalive, j);
    open_done(j, err, reply, message);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer data)
{
    struct okno_janus *j = data;
    GError *error = NULL;
    SoupWebsocketConnection *ws =
        soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &error);
    if (!ws) {
        if (!j->closed && !j->ended) {
            char *m = g_strdup_printf("cannot open the WebSocket: %s", error->message);
            open_done(j, OKNO_E_IO, NULL, m);
            g_free(m);
        }
        g_error_free(error);
    } else if (j->closed || j->ended) {
        g_object_unref(ws);
    } else {
        j->ws = ws;
        soup_websocket_connection_set_max_incoming_payload_size(ws, (guint64)256 * 1024);
        g_signal_connect(ws, "message", G_CALLBACK(on_message), j);
        g_signal_connect(ws, "closed", G_CALLBACK(on_ws_closed), j);
        int rc = request(j, json_pack("{s:s}", "janus", "create"), 0, on_created, j);
        if (rc < 0)
            open_done(j, rc, NULL, "cannot send create");
    }
    unref(j);
}

static gboolean on_connect_timeout(gpointer data)
{
    struct okno_janus *j = data;
    g_source_unref(j->connect_timer);
    j->connect_timer = NULL;
    g_cancellable_cancel(j->cancel);
    open_done(j, OKNO_E_TIMEOUT, NULL, "no WebSocket connection within the timeout");
    return G_SOURCE_REMOVE;
}

int okno_janus_connect(GMainContext *ctx, const char *url, guint timeout_ms,
                       const struct okno_janus_listener *listener, void *owner,
                       okno_janus_done_fn on_open, void *arg, struct okno_janus **out)
{
    if (!ctx || !url || !listener || !on_open || !out || timeout_ms == 0)
        return OKNO_E_INVAL;
    SoupMessage *msg = soup_message_new("GET", url);
    if (!msg)
        return OKNO_E_INVAL;
    struct okno_janus *j = g_new0(struct okno_janus, 1);
    j->ctx = ctx;
    j->url = g_strdup(url);
    j->listener = *listener;
    j->owner = owner;
    j->on_open = on_open;
    j->open_arg = arg;
    j->timeout_ms = timeout_ms;
    j->next_tid = 1;
    j->refs = 2; /* the owner's, and the pending connect's */
    j->pending = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, pending_free);
    j->cancel = g_cancellable_new();
    char *protocols[] = {"janus-protocol", NULL};
    g_main_context_push_thread_default(ctx);
    j->soup = soup_session_new_with_options("timeout", (timeout_ms + 999) / 1000, NULL);
    soup_session_websocket_connect_async(j->soup, msg, NULL, protocols, G_PRIORITY_DEFAULT,
                                         j->cancel, on_connected, j);
    g_main_context_pop_thread_default(ctx);
    g_object_unref(msg);
    j->connect_timer = timer_new(j, timeout_ms, on_connect_timeout, j);
    *out = j;
    return 0;
}

int okno_janus_attach(struct okno_janus *j, const char *plugin, okno_janus_done_fn done, void *arg)
{
    if (!j || !plugin || !done)
        return OKNO_E_INVAL;
    return request(j, json_pack("{s:s, s:s}", "janus", "attach", "plugin", plugin), 0, done, arg);
}

int okno_janus_message(struct okno_janus *j, uint64_t handle, json_t *body, json_t *jsep,
                       okno_janus_done_fn done, void *arg)
{
    if (!j || !handle || !json_is_object(body) || !done) {
        json_decref(body);
        json_decref(jsep);
        return OKNO_E_INVAL;
    }
    json_t *m = json_pack("{s:s, s:o}", "janus", "message", "body", body);
    if (m && jsep)
        json_object_set_new(m, "jsep", jsep);
    else
        json_decref(jsep);
    return request(j, m, handle, done, arg);
}

int okno_janus_trickle(struct okno_janus *j, uint64_t handle, const char *candidate)
{
    if (!j || !handle)
        return OKNO_E_INVAL;
    json_t *c = candidate ? json_pack("{s:s, s:s, s:i}", "candidate", candidate, "sdpMid", "0",
                                      "sdpMLineIndex", 0)
                          : json_pack("{s:b}", "completed", 1);
    json_t *m = c ? json_pack("{s:s, s:o}", "janus", "trickle", "candidate", c) : NULL;
    return request(j, m, handle, NULL, NULL);
}

uint64_t okno_janus_reply_id(json_t *reply)
{
    json_t *id = json_object_get(json_object_get(reply, "data"), "id");
    if (!json_is_integer(id))
        id = json_object_get(json_object_get(json_object_get(reply, "plugindata"), "data"), "id");
    return json_is_integer(id) && json_integer_value(id) > 0 ? (uint64_t)json_integer_value(id) : 0;
}

static gboolean deferred_unref(gpointer data)
{
    unref(data);
    return G_SOURCE_REMOVE;
}

void okno_janus_close(struct okno_janus *j)
{
    if (!j || j->closed)
        return;
    /* Destroying the session ends its handles and PeerConnections on Janus's side at once,
     * instead of after the session timeout. */
    if (j->session)
        (void)request(j, json_pack("{s:s}", "janus", "destroy"), 0, NULL, NULL);
    j->closed = true;
    timer_clear(&j->connect_timer);
    timer_clear(&j->keepalive);
    g_cancellable_cancel(j->cancel);
    g_hash_table_remove_all(j->pending);
    if (j->ws) {
        g_signal_handlers_disconnect_by_data(j->ws, j);
        if (soup_websocket_connection_get_state(j->ws) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(j->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        g_clear_object(&j->ws);
    }
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, deferred_unref, j, NULL);
    g_source_attach(idle, j->ctx);
    g_source_unref(idle);
}
