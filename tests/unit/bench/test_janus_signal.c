/* okno-bench's Janus client (janus_signal) and VideoRoom participant (janus_room) against a
 * scripted Janus (a libsoup WebSocket server in this process, subprotocol janus-protocol only):
 * session creation, plugin events matched by transaction whether the ack comes first or not,
 * Janus's error codes mapped (426 no such room -> denied), every wait bounded, and the room's
 * subscription machine: feeds announced at join and later are subscribed in one batch per
 * renegotiation, unpublished feeds unsubscribed, a batch refused for a feed that has gone (428)
 * retried one feed at a time, and participant_left told once. The real Janus is exercised by
 * tests/integration/bench_janus.sh; this scripts what a healthy Janus does not do on demand. */
#include "testutil.h"

#include <libsoup/soup.h>
#include <stdbool.h>
#include <string.h>

#include "client/janus_room.h"
#include "client/janus_signal.h"
#include "okno/err.h"
#include "ws_script.h"

struct result {
    bool done;
    int err;
    uint64_t id;
    char *message;
};

struct fixture {
    struct ws_script ws; /* first (ws_script_on_closed): the scripted peer */
    uint64_t next_handle;
    json_t *gone;    /* feed ids the scripted Janus answers 428 for */
    GString *log;    /* "verb:feeds;" of each subscription request, in order */
    unsigned offers; /* room: "offer" events */
    unsigned joined, left;
    bool room_closed;
    /* janus_signal level */
    struct okno_janus *j;
    struct okno_janus_room *room;
    struct result open;
    unsigned events;
    uint64_t event_handle;
    char *event_kind;
};

static json_t *plugin_event(json_t *tid, json_t *handle, json_t *data)
{
    json_t *e =
        json_pack("{s:s, s:I, s:O, s:{s:s, s:o}}", "janus", "event", "session_id", (json_int_t)777,
                  "sender", handle, "plugindata", "plugin", "janus.plugin.videoroom", "data", data);
    if (tid)
        json_object_set(e, "transaction", tid);
    return e;
}

static int cmp_int(const void *a, const void *b)
{
    json_int_t x = *(const json_int_t *)a, y = *(const json_int_t *)b;
    return x < y ? -1 : x > y;
}

/* A subscription request: logged with its sorted feeds, refused with 428 when one has gone, else
 * answered with an offer listing one audio stream per feed. */
static void subscription(struct fixture *f, SoupWebsocketConnection *c, json_t *tid, json_t *h,
                         const char *verb, json_t *streams)
{
    json_int_t ids[16];
    size_t n = 0, i;
    json_t *st;
    bool gone = false;
    json_array_foreach(streams, i, st)
    {
        if (n < G_N_ELEMENTS(ids))
            ids[n++] = json_integer_value(json_object_get(st, "feed"));
    }
    qsort(ids, n, sizeof(ids[0]), cmp_int);
    g_string_append_printf(f->log, "%s:", verb);
    json_t *out = json_array();
    for (i = 0; i < n; i++) {
        g_string_append_printf(f->log, "%s%" JSON_INTEGER_FORMAT, i ? "," : "", ids[i]);
        size_t k;
        json_t *g;
        json_array_foreach(f->gone, k, g) gone |= json_integer_value(g) == ids[i];
        char mid[24];
        snprintf(mid, sizeof(mid), "%zu", i);
        json_array_append_new(
            out, json_pack("{s:s, s:I, s:s}", "mid", mid, "feed_id", ids[i], "feed_mid", "0"));
    }
    g_string_append(f->log, ";");
    ws_script_send(c, json_pack("{s:s, s:O}", "janus", "ack", "transaction", tid));
    if (gone) {
        json_decref(out);
        ws_script_send(c, plugin_event(tid, h,
                                       json_pack("{s:s, s:i, s:s}", "videoroom", "event",
                                                 "error_code", 428, "error", "No such feed")));
        return;
    }
    json_t *e =
        plugin_event(tid, h,
                     json_pack("{s:s, s:o}", "videoroom",
                               !strcmp(verb, "join") ? "attached" : "updated", "streams", out));
    json_object_set_new(e, "jsep", json_pack("{s:s, s:s}", "type", "offer", "sdp", "v=0\r\n"));
    ws_script_send(c, e);
}

static void plugin_message(struct fixture *f, SoupWebsocketConnection *c, json_t *m, json_t *tid)
{
    json_t *body = json_object_get(m, "body");
    json_t *h = json_object_get(m, "handle_id");
    const char *req = json_string_value(json_object_get(body, "request"));
    const char *ptype = json_string_value(json_object_get(body, "ptype"));
    json_t *ack = json_pack("{s:s, s:O}", "janus", "ack", "transaction", tid);
    if (!strcmp(req, "join") && ptype && !strcmp(ptype, "publisher")) {
        if (json_integer_value(json_object_get(body, "room")) == 999) {
            ws_script_send(c, ack);
            ws_script_send(
                c, plugin_event(tid, h,
                                json_pack("{s:s, s:i, s:s}", "videoroom", "event", "error_code",
                                          426, "error", "No such room (999)")));
            return;
        }
        /* The event before its ack, as Janus may send them. */
        ws_script_send(c,
                       plugin_event(tid, h,
                                    json_pack("{s:s, s:i, s:[{s:i, s:s}, {s:i, s:s}]}", "videoroom",
                                              "joined", "id", 11, "publishers", "id", 12, "display",
                                              "B", "id", 13, "display", "C")));
        ws_script_send(c, ack);
    } else if (!strcmp(req, "join") || !strcmp(req, "subscribe") || !strcmp(req, "unsubscribe")) {
        json_decref(ack);
        subscription(f, c, tid, h, req, json_object_get(body, "streams"));
    } else if (!strcmp(req, "publish")) {
        /* Answers only an offer that says its rids come low to high, as client_sdp writes them. */
        json_t *jsep = json_object_get(m, "jsep");
        const char *order = json_string_value(json_object_get(jsep, "rid_order"));
        ws_script_send(c, ack);
        json_t *e =
            plugin_event(tid, h, json_pack("{s:s, s:s}", "videoroom", "event", "configured", "ok"));
        if (order && !strcmp(order, "lmh"))
            json_object_set_new(e, "jsep",
                                json_pack("{s:s, s:s}", "type", "answer", "sdp", "v=0 answer\r\n"));
        ws_script_send(c, e);
    } else if (!strcmp(req, "start")) {
        ws_script_send(c, ack);
        ws_script_send(
            c,
            plugin_event(tid, h, json_pack("{s:s, s:s}", "videoroom", "event", "started", "ok")));
    } else if (!strcmp(req, "nohandle")) {
        json_decref(ack);
        ws_script_send(c, json_pack("{s:s, s:O, s:{s:i, s:s}}", "janus", "error", "transaction",
                                    tid, "error", "code", 460, "reason", "No such handle"));
    } else if (!strcmp(req, "poke")) {
        ws_script_send(c, ack);
        ws_script_send(c, json_pack("{s:s, s:I, s:O}", "janus", "webrtcup", "session_id",
                                    (json_int_t)777, "sender", h));
    } else if (!strcmp(req, "garbage")) {
        json_decref(ack);
        soup_websocket_connection_send_text(c, "this is not json");
    } else {
        json_decref(ack); /* "silent": never answered */
    }
}

static void server_message(SoupWebsocketConnection *c, json_t *m, void *data)
{
    struct fixture *f = data;
    const char *verb = json_string_value(json_object_get(m, "janus"));
    json_t *tid = json_object_get(m, "transaction");
    if (!strcmp(verb, "create")) {
        ws_script_send(c, json_pack("{s:s, s:O, s:{s:I}}", "janus", "success", "transaction", tid,
                                    "data", "id", (json_int_t)777));
    } else if (!strcmp(verb, "attach")) {
        ws_script_send(c, json_pack("{s:s, s:O, s:{s:I}}", "janus", "success", "transaction", tid,
                                    "data", "id", (json_int_t)f->next_handle++));
    } else if (!strcmp(verb, "message")) {
        plugin_message(f, c, m, tid);
    } else {
        ws_script_send(c, json_pack("{s:s, s:O}", "janus", "ack", "transaction", tid));
    }
}

static int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    ws_script_start(&f->ws, "/", "janus-protocol", server_message, f);
    f->next_handle = 100;
    f->gone = json_array();
    f->log = g_string_new(NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    okno_janus_close(f->j);
    okno_janus_room_close(f->room);
    ws_script_stop(&f->ws);
    json_decref(f->gone);
    g_string_free(f->log, TRUE);
    g_free(f->event_kind);
    g_free(f->open.message);
    g_free(f);
    return 0;
}

static void record(void *arg, int err, json_t *reply, const char *message)
{
    struct result *r = arg;
    r->done = true;
    r->err = err;
    r->id = okno_janus_reply_id(reply);
    g_free(r->message);
    r->message = g_strdup(message);
}

static void on_event(void *owner, uint64_t handle, const char *kind, json_t *msg)
{
    (void)msg;
    struct fixture *f = owner;
    f->events++;
    f->event_handle = handle;
    g_free(f->event_kind);
    f->event_kind = g_strdup(kind);
}

static const struct okno_janus_listener listener = {.on_event = on_event,
                                                    .on_closed = ws_script_on_closed};

static void connect_ok(struct fixture *f, guint timeout_ms)
{
    assert_int_equal(
        okno_janus_connect(f->ws.ctx, f->ws.url, timeout_ms, &listener, f, record, &f->open, &f->j),
        0);
    ws_script_spin(&f->ws, &f->open.done, 5000);
    assert_true(f->open.done);
    assert_int_equal(f->open.err, 0);
    assert_int_equal(f->open.id, 777); /* the session */
}

/* Sends a plugin message; r (the caller's, reset here) gets its result within ms, or later. */
static void message(struct fixture *f, uint64_t handle, json_t *body, int ms, struct result *r)
{
    g_free(r->message);
    memset(r, 0, sizeof(*r));
    assert_int_equal(okno_janus_message(f->j, handle, body, NULL, record, r), 0);
    ws_script_spin(&f->ws, &r->done, ms);
}

static void test_janus_signal_attach_and_event_before_ack(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, 2000);
    struct result a = {0};
    assert_int_equal(okno_janus_attach(f->j, "janus.plugin.videoroom", record, &a), 0);
    ws_script_spin(&f->ws, &a.done, 2000);
    assert_int_equal(a.err, 0);
    assert_int_equal(a.id, 100);
    struct result r = {0};
    message(f, a.id,
            json_pack("{s:s, s:s, s:i}", "request", "join", "ptype", "publisher", "room", 1234),
            2000, &r);
    assert_true(r.done);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.id, 11); /* the feed id, from the event that came before the ack */
    g_free(r.message);
    g_free(a.message);
}

static void test_janus_signal_maps_errors(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, 2000);
    struct result r = {0};
    message(f, 100,
            json_pack("{s:s, s:s, s:i}", "request", "join", "ptype", "publisher", "room", 999),
            2000, &r);
    assert_int_equal(r.err, OKNO_E_DENIED);
    assert_non_null(strstr(r.message, "426"));
    message(f, 100, json_pack("{s:s}", "request", "nohandle"), 2000, &r);
    assert_int_equal(r.err, OKNO_E_STATE);
    assert_non_null(strstr(r.message, "No such handle"));
    g_free(r.message);
    assert_int_equal(okno_janus_error_code(428, 1), OKNO_E_NOTFOUND);
    assert_int_equal(okno_janus_error_code(432, 1), OKNO_E_DENIED);
    assert_int_equal(okno_janus_error_code(499, 1), OKNO_E_MALFORMED);
    assert_int_equal(okno_janus_error_code(458, 0), OKNO_E_STATE);
}

static void test_janus_signal_unsolicited_event_and_timeout(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, 500);
    struct result r = {0};
    message(f, 100, json_pack("{s:s}", "request", "poke"), 100, &r);
    assert_false(r.done); /* an ack alone does not answer a plugin message */
    bool seen = false;
    gint64 until = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (!seen && g_get_monotonic_time() < until) {
        g_main_context_iteration(f->ws.ctx, FALSE);
        seen = f->events > 0;
    }
    assert_int_equal(f->events, 1);
    assert_string_equal(f->event_kind, "webrtcup");
    assert_int_equal(f->event_handle, 100);
    ws_script_spin(&f->ws, &r.done,
                   2000); /* the poke itself is never answered: its timer ends it */
    assert_true(r.done);
    assert_int_equal(r.err, OKNO_E_TIMEOUT);
    g_free(r.message);
}

static void test_janus_signal_garbage_and_unreachable(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, 2000);
    struct result r = {0};
    message(f, 100, json_pack("{s:s}", "request", "garbage"), 2000, &r);
    ws_script_spin(&f->ws, &f->ws.closed, 2000);
    assert_true(r.done);
    assert_int_equal(r.err, OKNO_E_MALFORMED);
    assert_true(f->ws.closed);
    assert_int_equal(f->ws.closed_err, OKNO_E_MALFORMED);
    g_free(r.message);

    /* A port nothing listens on: the open fails at once with OKNO_E_IO. */
    GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *sa = g_inet_socket_address_new(lo, 0);
    assert_true(g_socket_bind(s, sa, FALSE, NULL));
    GSocketAddress *bound = g_socket_get_local_address(s, NULL);
    char *url = g_strdup_printf("ws://127.0.0.1:%u/",
                                g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)));
    struct okno_janus *dead = NULL;
    struct result open = {0};
    assert_int_equal(okno_janus_connect(f->ws.ctx, url, 2000, &listener, f, record, &open, &dead),
                     0);
    ws_script_spin(&f->ws, &open.done, 3000);
    assert_true(open.done);
    assert_int_equal(open.err, OKNO_E_IO);
    okno_janus_close(dead);
    assert_int_equal(
        okno_janus_connect(f->ws.ctx, "not a url", 1000, &listener, f, record, &open, &dead),
        OKNO_E_INVAL);
    g_free(open.message);
    g_free(url);
    g_object_unref(bound);
    g_object_unref(sa);
    g_object_unref(lo);
    g_object_unref(s);
}

/* ---- the VideoRoom participant ------------------------------------------------------------------
 */

static void room_event(void *owner, const char *type, json_t *msg)
{
    (void)msg;
    struct fixture *f = owner;
    if (!strcmp(type, "offer")) {
        f->offers++;
        assert_true(json_is_array(json_object_get(msg, "streams")));
    } else if (!strcmp(type, "participant_joined")) {
        f->joined++;
    } else if (!strcmp(type, "participant_left")) {
        f->left++;
    }
}

static void room_closed(void *owner, int err, const char *reason)
{
    (void)err;
    (void)reason;
    ((struct fixture *)owner)->room_closed = true;
}

static const struct okno_janus_room_listener room_listener = {.on_event = room_event,
                                                              .on_closed = room_closed};

/* Waits for offer number n, then answers it. */
static void answer_offer(struct fixture *f, unsigned n)
{
    gint64 until = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (f->offers < n && g_get_monotonic_time() < until)
        g_main_context_iteration(f->ws.ctx, FALSE);
    assert_int_equal(f->offers, n);
    struct result r = {0};
    assert_int_equal(okno_janus_room_answer(f->room, "v=0\r\n", record, &r), 0);
    ws_script_spin(&f->ws, &r.done, 2000);
    assert_int_equal(r.err, 0);
    g_free(r.message);
}

static void push_event(struct fixture *f, json_t *data)
{
    json_t *h = json_integer(100); /* the publisher handle */
    ws_script_send(f->ws.conn, plugin_event(NULL, h, data));
    json_decref(h);
}

static void spin_log(struct fixture *f, const char *want)
{
    gint64 until = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (!strstr(f->log->str, want) && g_get_monotonic_time() < until)
        g_main_context_iteration(f->ws.ctx, FALSE);
    if (!strstr(f->log->str, want))
        fail_msg("no '%s' in '%s'", want, f->log->str);
}

/* The room client connects to VideoRoom room (its session and handle ready in *open). */
static void room_open(struct fixture *f, uint64_t room, struct result *open)
{
    assert_int_equal(okno_janus_room_connect(f->ws.ctx, f->ws.url, room, 2000, &room_listener, f,
                                             record, open, &f->room),
                     0);
    ws_script_spin(&f->ws, &open->done, 3000);
    assert_int_equal(open->err, 0);
}

/* The room client joins as "A"; its result in *joined (within 3 s). */
static void room_join(struct fixture *f, struct result *joined)
{
    assert_int_equal(okno_janus_room_join(f->room, "A", record, joined), 0);
    ws_script_spin(&f->ws, &joined->done, 3000);
}

static void test_janus_room_subscribes_batches_and_retries(void **state)
{
    struct fixture *f = *state;
    struct result open = {0}, joined = {0};
    room_open(f, 0, &open);
    room_join(f, &joined);
    assert_int_equal(joined.err, 0);
    /* Feeds 12 and 13 were there at the join: one subscriber join for both. */
    answer_offer(f, 1);
    assert_string_equal(f->log->str, "join:12,13;");
    assert_int_equal(f->joined, 2);

    /* 12 unpublishes, then leaves: one unsubscribe, one participant_left. */
    push_event(f, json_pack("{s:s, s:i}", "videoroom", "event", "unpublished", 12));
    push_event(f, json_pack("{s:s, s:i}", "videoroom", "event", "leaving", 12));
    answer_offer(f, 2);
    assert_string_equal(f->log->str, "join:12,13;unsubscribe:12;");
    assert_int_equal(f->left, 1);

    /* 14 and 15 appear, but 14 has gone by the time it is asked for: the batch is refused, retried
     * singly, and 15 ends up subscribed. */
    json_array_append_new(f->gone, json_integer(14));
    push_event(f, json_pack("{s:s, s:[{s:i}, {s:i}]}", "videoroom", "event", "publishers", "id", 14,
                            "id", 15));
    spin_log(f, "subscribe:15;");
    answer_offer(f, 3);
    assert_non_null(strstr(f->log->str, "unsubscribe:12;subscribe:14,15;"));
    spin_log(f, "subscribe:14;"); /* before or after 15: the order of a retried batch is free */
    assert_int_equal(f->joined, 4);
    assert_false(f->room_closed);

    /* Labels: participant is the feed, the track names feed and its mid. */
    struct okno_client_sub_offer o = {.n_tracks = 2};
    g_strlcpy(o.tracks[0].mid, "0", sizeof(o.tracks[0].mid));
    g_strlcpy(o.tracks[1].mid, "1", sizeof(o.tracks[1].mid));
    g_strlcpy(o.tracks[1].participant, "janus", sizeof(o.tracks[1].participant));
    json_t *streams = json_pack("[{s:s, s:I, s:s}, {s:s}]", "mid", "0", "feed_id",
                                (json_int_t)8404679226520814, "feed_mid", "1", "mid", "1");
    okno_janus_room_label(streams, &o);
    json_decref(streams);
    assert_string_equal(o.tracks[0].participant, "8404679226520814");
    assert_string_equal(o.tracks[0].track, "8404679226520814-1");
    assert_string_equal(o.tracks[1].participant, "janus"); /* no feed: left as the SDP said */
    g_free(open.message);
    g_free(joined.message);
}

static void record_sdp(void *arg, int err, json_t *reply, const char *message)
{
    (void)message;
    char **out = arg;
    const char *sdp = json_string_value(json_object_get(reply, "sdp"));
    *out = g_strdup(err == 0 && sdp ? sdp : "error");
}

static void test_janus_room_publish_gives_the_answer(void **state)
{
    struct fixture *f = *state;
    struct result open = {0}, joined = {0};
    room_open(f, 0, &open);
    /* Publishing needs the publisher handle: refused before the join. */
    assert_int_equal(okno_janus_room_publish(f->room, "v=0\r\n", record_sdp, NULL), OKNO_E_INVAL);
    room_join(f, &joined);
    assert_int_equal(joined.err, 0);
    char *answer = NULL;
    assert_int_equal(okno_janus_room_publish(f->room, "v=0 offer\r\n", record_sdp, &answer), 0);
    gint64 until = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (!answer && g_get_monotonic_time() < until)
        g_main_context_iteration(f->ws.ctx, FALSE);
    assert_non_null(answer);
    assert_string_equal(answer, "v=0 answer\r\n");
    g_free(answer);
    g_free(open.message);
    g_free(joined.message);
}

static void test_janus_room_unknown_room_is_denied(void **state)
{
    struct fixture *f = *state;
    struct result open = {0}, joined = {0};
    room_open(f, 999, &open);
    room_join(f, &joined);
    assert_int_equal(joined.err, OKNO_E_DENIED);
    g_free(open.message);
    g_free(joined.message);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_janus_signal_attach_and_event_before_ack, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_janus_signal_maps_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_janus_signal_unsolicited_event_and_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_janus_signal_garbage_and_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_janus_room_subscribes_batches_and_retries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_janus_room_publish_gives_the_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_janus_room_unknown_room_is_denied, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
