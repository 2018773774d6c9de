/* okno-bench signalling client against a scripted WebSocket peer (a libsoup server in this process,
 * on loopback): replies matched by id even out of order, events without id to the listener, error
 * codes mapped, and every way of waiting bounded: unreachable, no reply, the server closing, a
 * frame that is not a protocol message. The real okno is exercised by
 * tests/integration/bench_probe.sh; this scripts what okno never does on purpose. */
#include "testutil.h"

#include <libsoup/soup.h>
#include <stdbool.h>
#include <string.h>

#include "client/signal_client.h"
#include "okno/err.h"
#include "ws_script.h"

struct result {
    bool done;
    int err;
    char *type;    /* reply type */
    char *message; /* error text */
    json_int_t id;
};

struct fixture {
    struct ws_script ws; /* first (ws_script_on_closed): the scripted peer */
    json_t *held;        /* request held back for "release" */
    struct okno_signal_client *sc;
    struct result open;
    int events;
    char *last_event;
};

/* The script: join (room "deny" refused, else an event then joined), hold (no reply until
 * release, which is answered first), silent (never answered), close, garbage. */
static void server_message(SoupWebsocketConnection *c, json_t *m, void *data)
{
    struct fixture *f = data;
    const char *type = json_string_value(json_object_get(m, "type"));
    json_t *id = json_object_get(m, "id");
    if (!strcmp(type, "join")) {
        if (!strcmp(json_string_value(json_object_get(m, "room")), "deny")) {
            ws_script_send(c, json_pack("{s:s, s:O, s:s, s:s}", "type", "error", "id", id, "code",
                                        "denied", "message", "role not allowed"));
        } else {
            ws_script_send(
                c, json_pack("{s:s, s:s}", "type", "participant_joined", "participant", "p9"));
            ws_script_send(
                c, json_pack("{s:s, s:O, s:s}", "type", "joined", "id", id, "participant", "p1"));
        }
    } else if (!strcmp(type, "hold")) {
        f->held = json_incref(id);
    } else if (!strcmp(type, "release")) {
        ws_script_send(c, json_pack("{s:s, s:O}", "type", "ack", "id", id));
        ws_script_send(c, json_pack("{s:s, s:O}", "type", "ack", "id", f->held));
        json_decref(f->held);
        f->held = NULL;
    } else if (!strcmp(type, "close")) {
        soup_websocket_connection_close(c, 1001, "going away");
    } else if (!strcmp(type, "garbage")) {
        soup_websocket_connection_send_text(c, "this is not json");
    }
}

static int setup(void **state)
{
    struct fixture *f = g_new0(struct fixture, 1);
    ws_script_start(&f->ws, "/ws", NULL, server_message, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    okno_signal_close(f->sc);
    ws_script_stop(&f->ws);
    json_decref(f->held);
    g_free(f->last_event);
    g_free(f->open.type);
    g_free(f->open.message);
    g_free(f);
    return 0;
}

static void record(void *arg, int err, json_t *reply, const char *message)
{
    struct result *r = arg;
    r->done = true;
    r->err = err;
    g_free(r->type);
    g_free(r->message);
    r->type = g_strdup(json_string_value(json_object_get(reply, "type")));
    r->id = json_integer_value(json_object_get(reply, "id"));
    r->message = g_strdup(message);
}

static void result_clear(struct result *r)
{
    g_free(r->type);
    g_free(r->message);
    memset(r, 0, sizeof(*r));
}

static void on_event(void *owner, const char *type, json_t *msg)
{
    (void)msg;
    struct fixture *f = owner;
    f->events++;
    g_free(f->last_event);
    f->last_event = g_strdup(type);
}

static const struct okno_signal_listener listener = {.on_event = on_event,
                                                     .on_closed = ws_script_on_closed};

static void connect_ok(struct fixture *f, const char *url, guint timeout_ms)
{
    assert_int_equal(
        okno_signal_connect(f->ws.ctx, url, timeout_ms, &listener, f, record, &f->open, &f->sc), 0);
    ws_script_spin(&f->ws, &f->open.done, 5000);
    assert_true(f->open.done);
}

static int request(struct fixture *f, const char *type, struct result *r)
{
    return okno_signal_request(f->sc, json_pack("{s:s}", "type", type), record, r);
}

static void test_signal_client_join_reply_and_event_before_it(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, f->ws.url, 2000);
    assert_int_equal(f->open.err, 0);
    struct result r = {0};
    assert_int_equal(okno_signal_join(f->sc, "room1", "kiosk", "A", NULL, record, &r), 0);
    ws_script_spin(&f->ws, &r.done, 2000);
    assert_int_equal(r.err, 0);
    assert_string_equal(r.type, "joined");
    assert_int_equal(f->events, 1);
    assert_string_equal(f->last_event, "participant_joined");
    result_clear(&r);
}

static void test_signal_client_matches_replies_out_of_order(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, f->ws.url, 2000);
    struct result held = {0}, release = {0};
    assert_int_equal(request(f, "hold", &held), 0);
    assert_int_equal(request(f, "release", &release), 0);
    ws_script_spin(&f->ws, &held.done, 2000);
    assert_true(release.done);
    assert_int_equal(held.err, 0);
    assert_int_equal(release.err, 0);
    assert_int_equal(held.id + 1, release.id);
    assert_int_equal(f->events, 0); /* both acks went to their requests, not the listener */
    result_clear(&held);
    result_clear(&release);
}

static void test_signal_client_maps_denied_with_server_message(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, f->ws.url, 2000);
    struct result r = {0};
    assert_int_equal(okno_signal_join(f->sc, "deny", "janitor", "A", "tok", record, &r), 0);
    ws_script_spin(&f->ws, &r.done, 2000);
    assert_int_equal(r.err, OKNO_E_DENIED);
    assert_string_equal(r.message, "denied: role not allowed");
    result_clear(&r);
}

static void test_signal_client_times_out_unanswered_request(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, f->ws.url, 300);
    struct result r = {0};
    gint64 start = g_get_monotonic_time();
    assert_int_equal(request(f, "silent", &r), 0);
    ws_script_spin(&f->ws, &r.done, 3000);
    assert_int_equal(r.err, OKNO_E_TIMEOUT);
    assert_true(g_get_monotonic_time() - start < 2 * G_USEC_PER_SEC);
    assert_false(f->ws.closed);
    result_clear(&r);
}

static void test_signal_client_server_close_fails_pending_then_reports(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, f->ws.url, 2000);
    struct result held = {0}, closer = {0};
    assert_int_equal(request(f, "hold", &held), 0);
    assert_int_equal(request(f, "close", &closer), 0);
    ws_script_spin(&f->ws, &f->ws.closed, 3000);
    assert_true(held.done && closer.done);
    assert_int_equal(held.err, OKNO_E_CLOSED);
    assert_int_equal(f->ws.closed_err, OKNO_E_CLOSED);
    struct result late = {0};
    assert_int_equal(request(f, "silent", &late), OKNO_E_STATE);
    result_clear(&held);
    result_clear(&closer);
}

static void test_signal_client_frame_that_is_not_json_ends_the_session(void **state)
{
    struct fixture *f = *state;
    connect_ok(f, f->ws.url, 2000);
    struct result r = {0};
    assert_int_equal(request(f, "garbage", &r), 0);
    ws_script_spin(&f->ws, &f->ws.closed, 2000);
    assert_int_equal(f->ws.closed_err, OKNO_E_MALFORMED);
    assert_int_equal(r.err, OKNO_E_MALFORMED);
    result_clear(&r);
}

static void test_signal_client_unreachable_server_fails_open_quickly(void **state)
{
    struct fixture *f = *state;
    /* The fixture's own port with a path nobody serves: an HTTP 404, not a WebSocket. */
    char *url = g_strndup(f->ws.url, strlen(f->ws.url) - 3);
    char *other = g_strconcat(url, "/nothing", NULL);
    g_free(url);
    url = other;
    connect_ok(f, url, 2000);
    assert_int_equal(f->open.err, OKNO_E_IO);
    assert_non_null(strstr(f->open.message, "cannot open the WebSocket"));
    okno_signal_close(f->sc);
    f->sc = NULL;
    result_clear(&f->open);
    connect_ok(f, "ws://127.0.0.1:1/ws", 2000);
    assert_int_equal(f->open.err, OKNO_E_IO);
    g_free(url);
}

static void test_signal_client_rejects_bad_url_and_missing_arguments(void **state)
{
    struct fixture *f = *state;
    struct okno_signal_client *sc = NULL;
    assert_int_equal(
        okno_signal_connect(f->ws.ctx, "not a url", 1000, &listener, f, record, &f->open, &sc),
        OKNO_E_INVAL);
    assert_int_equal(
        okno_signal_connect(f->ws.ctx, f->ws.url, 0, &listener, f, record, &f->open, &sc),
        OKNO_E_INVAL);
    assert_null(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signal_client_join_reply_and_event_before_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_signal_client_matches_replies_out_of_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_signal_client_maps_denied_with_server_message, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_signal_client_times_out_unanswered_request, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_signal_client_server_close_fails_pending_then_reports,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_client_frame_that_is_not_json_ends_the_session,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_client_unreachable_server_fails_open_quickly,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_signal_client_rejects_bad_url_and_missing_arguments,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
