/* Consent for a connection with nothing to carry, through an in-process SFU (sfu_harness.h): B
 * subscribes to A's video and then goes silent (its client vanishes right after the handshake, as
 * a browser sends nothing okno sees once no stream is left: no RTCP, and its STUN checks end in
 * libnice). While B's subscriber connection has an active section, B's silence is a lost client:
 * dropped after [media] consent_timeout_s and ice_restart_grace_s. With no active section (A left)
 * the connection is idle, not lost: consent is held (net/ice.h) and B keeps its seat for three
 * timeouts and more; once a new publisher gives B's connection a stream again, the silence counts
 * from then and B is dropped. Every wait has a deadline. */
#include "sfu_harness.h"

#include "okno/err.h"

#define TIMEOUT_S 3
#define GRACE_S   1

struct client {
    struct sfuh_client h; /* first: the harness's hooks cast back */
    bool vanish;
};

static int64_t dropped_at[SFUH_SESSIONS];
static bool a_leaving; /* A's close_notify may beat its leave to the worker */

static void on_event(void *ud, const struct okno_sfu_event *ev)
{
    if (ev->session == 2 && ev->type == OKNO_SFU_EV_CLOSED && !sfuh.leaving) {
        if (!dropped_at[ev->session])
            dropped_at[ev->session] = g_get_monotonic_time();
        return;
    }
    if (ev->session == 1 && ev->type == OKNO_SFU_EV_CLOSED && a_leaving)
        return;
    sfuh_on_event(ud, ev);
}

static void on_connected(struct sfuh_client *h)
{
    struct client *c = (struct client *)h;
    if (c->vanish) {
        /* From inside the handshake no close_notify goes out: to okno the client went silent. */
        okno_peer_close(c->h.peer, NULL, NULL);
        c->h.peer = NULL;
    }
}

static const struct sfuh_hooks hooks = {.on_connected = on_connected};

/* c publishes one VP8 section for session and takes okno's answer. */
static void publish(struct client *c, int session, unsigned ssrc)
{
    GString *offer = sfuh_video_offer_start(&c->h, "96");
    g_string_append_printf(offer, "a=rtpmap:96 VP8/90000\r\na=ssrc:%u cname:c\r\n", ssrc);
    okno_sfu_publish(sfuh.sfu, (uint64_t)session, 2, offer->str);
    g_string_free(offer, TRUE);
    assert_true(sfuh_run_until(sfuh_has_answer, GINT_TO_POINTER(session)));
    sfuh_take_remote(&c->h, sfuh.answer[session], OKNO_DTLS_CLIENT);
}

/* Runs the main context until session is dropped or us pass; returns the drop time or 0. */
static int64_t wait_drop(int session, int64_t us)
{
    int64_t deadline = g_get_monotonic_time() + us;
    while (!dropped_at[session] && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    return dropped_at[session];
}

static void test_an_idle_subscriber_connection_keeps_consent_a_lost_one_does_not(void **state)
{
    (void)state;
    char conf[160];
    snprintf(conf, sizeof conf,
             "[media]\naddresses = 127.0.0.1\nice_tcp = false\nconsent_timeout_s = %d\n"
             "ice_restart_grace_s = %d\n",
             TIMEOUT_S, GRACE_S);
    sfuh_start(conf, on_event);
    memset(dropped_at, 0, sizeof dropped_at);
    a_leaving = false;

    struct client a, b, a2;
    memset(&b, 0, sizeof b);
    sfuh_open(&a.h, true, &hooks);
    a.vanish = false;
    sfuh_open(&b.h, false, &hooks);
    b.vanish = true;
    okno_sfu_join(sfuh.sfu, 1, 1, "consent", "A", "specialist");
    okno_sfu_join(sfuh.sfu, 2, 1, "consent", "B", "kiosk");
    publish(&a, 1, 1111u);
    sfuh_subscribe(&b.h, 2, 3, NULL, NULL, NULL);
    assert_true(sfuh_run_until(sfuh_is_true, &a.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &b.h.connected));
    assert_null(b.h.peer); /* B is silent from here on */

    /* A leaves: B's only section goes inactive and B's connection is idle. */
    a_leaving = true;
    okno_sfu_leave(sfuh.sfu, 1, 0);
    okno_peer_close(a.h.peer, NULL, NULL);
    a.h.peer = NULL;
    int64_t idle_from = g_get_monotonic_time();
    int64_t idle_us = (3 * TIMEOUT_S + GRACE_S + 1) * G_USEC_PER_SEC;
    assert_int_equal(wait_drop(2, idle_us), 0);
    print_message("# B kept its idle connection %lld ms (consent timeout %d s, grace %d s)\n",
                  (long long)((g_get_monotonic_time() - idle_from) / 1000), TIMEOUT_S, GRACE_S);

    /* A2 publishes: B's connection carries a stream again, and B's silence now counts. */
    sfuh_open(&a2.h, true, &hooks);
    a2.vanish = false;
    okno_sfu_join(sfuh.sfu, 3, 1, "consent", "A2", "specialist");
    publish(&a2, 3, 3333u);
    int64_t active_from = g_get_monotonic_time();
    int64_t at = wait_drop(2, (TIMEOUT_S + GRACE_S + 5) * G_USEC_PER_SEC);
    assert_true(at > 0);
    int64_t after_ms = (at - active_from) / 1000;
    print_message("# B dropped %lld ms after its connection became active again\n",
                  (long long)after_ms);
    /* Consent lost a whole timeout after the stream came, then the grace. Had the clock not
     * restarted, the next 1 s tick would have found it expired: a drop within 1 s + the grace. */
    assert_true(after_ms >= TIMEOUT_S * 1000);
    assert_true(after_ms <= (TIMEOUT_S + GRACE_S + 4) * 1000);
    assert_true(sfuh_run_until(sfuh_is_true, &a2.h.connected));

    struct sfuh_client *clients[] = {&a.h, &b.h, &a2.h};
    sfuh_stop(clients, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_idle_subscriber_connection_keeps_consent_a_lost_one_does_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
