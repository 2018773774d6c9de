/* okno-bench's Janus API client: Janus's JSON over the shared JSON WebSocket (json_ws.h) with the
 * "janus-protocol" subprotocol, framed by "janus", one session, requests matched with their
 * replies by transaction, and a keepalive timer. Not here: any plugin logic. */
#include "client/janus_signal.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "client/json_ws.h"
#include "okno/err.h"

/* The tag of a pending plugin message: its "ack" is not the answer. */
#define PLUGIN_MESSAGE 1

struct okno_janus {
    struct okno_json_ws ws; /* first: json_ws's callbacks cast back */
    GSource *keepalive;     /* owned; while the session lives */
    struct okno_janus_listener listener;
    void *owner;
    okno_janus_done_fn on_open;
    void *open_arg;
    uint64_t session;
    unsigned next_tid;
};

static void timer_clear(GSource **t)
{
    if (*t) {
        g_source_destroy(*t);
        g_source_unref(*t);
        *t = NULL;
    }
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

/* A reply to the pending transaction tid: a core error, a plugin event with error_code, or the
 * answer itself. */
static void answer(struct okno_janus *j, const char *tid, const char *kind, json_t *msg)
{
    if (!strcmp(kind, "error")) {
        json_t *e = json_object_get(msg, "error");
        long code = (long)json_integer_value(json_object_get(e, "code"));
        const char *reason = json_string_value(json_object_get(e, "reason"));
        char *m = g_strdup_printf("Janus error %ld: %s", code, reason ? reason : "");
        okno_json_ws_finish(&j->ws, tid, okno_janus_error_code(code, 0), msg, m);
        g_free(m);
        return;
    }
    json_t *data = json_object_get(json_object_get(msg, "plugindata"), "data");
    json_t *code = json_object_get(data, "error_code");
    if (json_is_integer(code)) {
        const char *reason = json_string_value(json_object_get(data, "error"));
        char *m = g_strdup_printf("Janus plugin error %" JSON_INTEGER_FORMAT ": %s",
                                  json_integer_value(code), reason ? reason : "");
        okno_json_ws_finish(&j->ws, tid, okno_janus_error_code((long)json_integer_value(code), 1),
                            msg, m);
        g_free(m);
        return;
    }
    okno_json_ws_finish(&j->ws, tid, 0, msg, NULL);
}

static void on_message(struct okno_json_ws *ws, json_t *msg)
{
    struct okno_janus *j = (struct okno_janus *)ws;
    const char *kind = json_string_value(json_object_get(msg, "janus"));
    const char *tid = json_string_value(json_object_get(msg, "transaction"));
    int tag = 0;
    bool pending = okno_json_ws_pending(ws, tid, &tag);
    if (pending && !(tag == PLUGIN_MESSAGE && !strcmp(kind, "ack"))) {
        answer(j, tid, kind, msg);
        return;
    }
    if (pending || !strcmp(kind, "ack"))
        return; /* a plugin message's ack, or a fire-and-forget request's */
    json_t *sender = json_object_get(msg, "sender");
    uint64_t handle = json_is_integer(sender) ? (uint64_t)json_integer_value(sender) : 0;
    if (j->listener.on_event)
        j->listener.on_event(j->owner, handle, kind, msg);
}

static void on_closed(struct okno_json_ws *ws, int err, const char *reason)
{
    struct okno_janus *j = (struct okno_janus *)ws;
    timer_clear(&j->keepalive);
    if (j->listener.on_closed)
        j->listener.on_closed(j->owner, err, reason);
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
    int rc = okno_json_ws_send(&j->ws, msg);
    if (rc < 0 || !done)
        return rc;
    okno_json_ws_expect(&j->ws, tid, plugin_message ? PLUGIN_MESSAGE : 0, done, arg);
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
    if (err == 0) {
        j->keepalive = g_timeout_source_new(OKNO_JANUS_KEEPALIVE_MS);
        g_source_set_callback(j->keepalive, on_keepalive, j, NULL);
        g_source_attach(j->keepalive, j->ws.ctx);
    }
    j->on_open(j->open_arg, err, reply, message);
}

/* The WebSocket is open: the session is created before the owner hears of it. */
static void on_open(struct okno_json_ws *ws, int err, const char *message)
{
    struct okno_janus *j = (struct okno_janus *)ws;
    if (err == 0)
        err = request(j, json_pack("{s:s}", "janus", "create"), 0, on_created, j);
    if (err < 0)
        j->on_open(j->open_arg, err, NULL, message ? message : "cannot send create");
}

static void destroy(struct okno_json_ws *ws)
{
    g_free(ws);
}

static const struct okno_json_ws_ops ops = {
    .frame_key = "janus",
    .subprotocol = "janus-protocol",
    .peer = "Janus",
    .on_open = on_open,
    .on_message = on_message,
    .on_closed = on_closed,
    .destroy = destroy,
};

int okno_janus_connect(GMainContext *ctx, const char *url, guint timeout_ms,
                       const struct okno_janus_listener *listener, void *owner,
                       okno_janus_done_fn on_open_fn, void *arg, struct okno_janus **out)
{
    if (!ctx || !url || !listener || !on_open_fn || !out || timeout_ms == 0)
        return OKNO_E_INVAL;
    struct okno_janus *j = g_new0(struct okno_janus, 1);
    j->listener = *listener;
    j->owner = owner;
    j->on_open = on_open_fn;
    j->open_arg = arg;
    j->next_tid = 1;
    int rc = okno_json_ws_open(&j->ws, ctx, url, timeout_ms, &ops);
    if (rc < 0) {
        g_free(j);
        return rc;
    }
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

void okno_janus_close(struct okno_janus *j)
{
    if (!j || j->ws.closed)
        return;
    /* Destroying the session ends its handles and PeerConnections on Janus's side at once,
     * instead of after the session timeout. */
    if (j->session)
        (void)request(j, json_pack("{s:s}", "janus", "destroy"), 0, NULL, NULL);
    timer_clear(&j->keepalive);
    okno_json_ws_close(&j->ws);
}
