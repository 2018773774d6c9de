/* okno-bench signalling client: okno's protocol over the shared JSON WebSocket (json_ws.h), framed
 * by "type", requests matched with their replies by a numeric id. Not here: any knowledge of SDP
 * or transports. */
#include "client/signal_client.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "client/json_ws.h"
#include "okno/err.h"

struct okno_signal_client {
    struct okno_json_ws ws; /* first: json_ws's callbacks cast back */
    struct okno_signal_listener listener;
    void *owner;
    okno_signal_done_fn on_open;
    void *open_arg;
    json_int_t next_id;
};

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

static void on_message(struct okno_json_ws *ws, json_t *msg)
{
    struct okno_signal_client *sc = (struct okno_signal_client *)ws;
    const char *type = json_string_value(json_object_get(msg, "type"));
    json_t *id = json_object_get(msg, "id");
    char key[32] = "";
    if (json_is_integer(id))
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    if (key[0] && okno_json_ws_pending(ws, key, NULL)) {
        if (!strcmp(type, "error")) {
            const char *code = json_string_value(json_object_get(msg, "code"));
            const char *text = json_string_value(json_object_get(msg, "message"));
            char *m = g_strdup_printf("%s: %s", code ? code : "error", text ? text : "");
            okno_json_ws_finish(ws, key, error_code(code), msg, m);
            g_free(m);
        } else {
            okno_json_ws_finish(ws, key, 0, msg, NULL);
        }
        return;
    }
    if (sc->listener.on_event)
        sc->listener.on_event(sc->owner, type, msg);
}

static void on_open(struct okno_json_ws *ws, int err, const char *message)
{
    struct okno_signal_client *sc = (struct okno_signal_client *)ws;
    sc->on_open(sc->open_arg, err, NULL, message);
}

static void on_closed(struct okno_json_ws *ws, int err, const char *reason)
{
    struct okno_signal_client *sc = (struct okno_signal_client *)ws;
    if (sc->listener.on_closed)
        sc->listener.on_closed(sc->owner, err, reason);
}

static void destroy(struct okno_json_ws *ws)
{
    g_free(ws);
}

static const struct okno_json_ws_ops ops = {
    .frame_key = "type",
    .peer = "the server",
    .on_open = on_open,
    .on_message = on_message,
    .on_closed = on_closed,
    .destroy = destroy,
};

int okno_signal_connect(GMainContext *ctx, const char *url, guint timeout_ms,
                        const struct okno_signal_listener *listener, void *owner,
                        okno_signal_done_fn on_open_fn, void *arg, struct okno_signal_client **out)
{
    if (!ctx || !url || !listener || !on_open_fn || !out || timeout_ms == 0)
        return OKNO_E_INVAL;
    struct okno_signal_client *sc = g_new0(struct okno_signal_client, 1);
    sc->listener = *listener;
    sc->owner = owner;
    sc->on_open = on_open_fn;
    sc->open_arg = arg;
    sc->next_id = 1;
    int rc = okno_json_ws_open(&sc->ws, ctx, url, timeout_ms, &ops);
    if (rc < 0) {
        g_free(sc);
        return rc;
    }
    *out = sc;
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
    int rc = okno_json_ws_send(&sc->ws, msg);
    if (rc < 0)
        return rc;
    char key[32];
    snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, id);
    okno_json_ws_expect(&sc->ws, key, 0, done, arg);
    return 0;
}

int okno_signal_send(struct okno_signal_client *sc, json_t *msg)
{
    if (!sc || !msg) {
        json_decref(msg);
        return OKNO_E_INVAL;
    }
    return okno_json_ws_send(&sc->ws, msg);
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

void okno_signal_close(struct okno_signal_client *sc)
{
    if (sc)
        okno_json_ws_close(&sc->ws);
}
