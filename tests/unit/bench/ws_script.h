/* Test helper for the signalling clients' tests (test_signal_client, test_janus_signal): a scripted
 * WebSocket peer, a libsoup server in the test's process on a loopback port of its own, running on
 * a main context the test spins itself. The test's message handler is the script; this only
 * listens, keeps the server side of the one connection, spins the context with a deadline and
 * takes everything down again. Header only (static inline). */
#ifndef OKNO_TEST_WS_SCRIPT_H
#define OKNO_TEST_WS_SCRIPT_H

#include "testutil.h"

#include <jansson.h>
#include <libsoup/soup.h>
#include <stdbool.h>

struct ws_script {
    GMainContext *ctx;             /* owned; the thread default while the script runs */
    SoupServer *server;            /* owned */
    SoupWebsocketConnection *conn; /* owned: the server side of the latest connection */
    char *url;                     /* owned: ws://127.0.0.1:PORT/PATH */
    /* the script: each frame the client sends, parsed as JSON (NULL when it is not), with the user
     * data given to start; m is borrowed */
    void (*on_json)(SoupWebsocketConnection *c, json_t *m, void *data);
    void *data; /* borrowed */
    /* set by ws_script_on_closed */
    bool closed;
    int closed_err;
};

/* An on_closed for the client's listener whose owner starts with its struct ws_script: records
 * that the client's connection ended, and why. */
static inline void ws_script_on_closed(void *owner, int err, const char *reason)
{
    (void)reason;
    struct ws_script *w = owner;
    w->closed = true;
    w->closed_err = err;
}

/* Sends o as one compact text frame; takes o. */
static inline void ws_script_send(SoupWebsocketConnection *c, json_t *o)
{
    char *t = json_dumps(o, JSON_COMPACT);
    soup_websocket_connection_send_text(c, t);
    free(t);
    json_decref(o);
}

static inline void ws_script_message(SoupWebsocketConnection *c, gint kind, GBytes *bytes,
                                     gpointer data)
{
    (void)kind;
    struct ws_script *w = data;
    gsize len;
    const char *text = g_bytes_get_data(bytes, &len);
    json_t *m = json_loadb(text, len, 0, NULL);
    w->on_json(c, m, w->data);
    json_decref(m);
}

static inline void ws_script_accept(SoupServer *s, SoupServerMessage *msg, const char *path,
                                    SoupWebsocketConnection *c, gpointer data)
{
    (void)s;
    (void)msg;
    (void)path;
    struct ws_script *w = data;
    if (w->conn)
        g_object_unref(w->conn);
    w->conn = g_object_ref(c);
    g_signal_connect(c, "message", G_CALLBACK(ws_script_message), w);
}

/* Listens on a free loopback port for WebSocket connections to path (with protocol, or any when
 * NULL), each frame going to on_json(c, parsed frame, data). */
static inline void ws_script_start(struct ws_script *w, const char *path, const char *protocol,
                                   void (*on_json)(SoupWebsocketConnection *, json_t *, void *),
                                   void *data)
{
    w->on_json = on_json;
    w->data = data;
    w->ctx = g_main_context_new();
    g_main_context_push_thread_default(w->ctx);
    w->server = soup_server_new(NULL, NULL);
    char *protocols[] = {(char *)protocol, NULL};
    soup_server_add_websocket_handler(w->server, path, NULL, protocol ? protocols : NULL,
                                      ws_script_accept, w, NULL);
    GError *error = NULL;
    assert_true(soup_server_listen_local(w->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
    GSList *uris = soup_server_get_uris(w->server);
    w->url = g_strdup_printf("ws://127.0.0.1:%d%s", g_uri_get_port(uris->data), path);
    g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
}

/* Runs the context until *flag or ms milliseconds. */
static inline void ws_script_spin(struct ws_script *w, const bool *flag, int ms)
{
    gint64 until = g_get_monotonic_time() + (gint64)ms * 1000;
    while (!*flag && g_get_monotonic_time() < until)
        g_main_context_iteration(w->ctx, FALSE);
}

/* After the client was closed: lets its deferred free and the close frames run, then the server
 * and the context go. */
static inline void ws_script_stop(struct ws_script *w)
{
    bool never = false;
    ws_script_spin(w, &never, 100);
    if (w->conn)
        g_object_unref(w->conn);
    g_object_unref(w->server);
    ws_script_spin(w, &never, 20);
    g_main_context_pop_thread_default(w->ctx);
    g_main_context_unref(w->ctx);
    g_free(w->url);
}

#endif
