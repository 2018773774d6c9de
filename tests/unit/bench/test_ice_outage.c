/* An okno ICE transport across the link emulator's relay through a 12 s outage in both directions:
 * nothing crosses (media, consent checks and their answers, keepalives), longer than libnice's own
 * 10 s consent expiry, shorter than RFC 7675's 30 s. Both agents must still be connected afterwards
 * and datagrams must flow again both ways. Before net/ice kept consent itself, libnice failed the
 * transport 10 s after the last answered check; okno-bench calls died the same way on lte-edge
 * (a 1.6 s outage) and edge (a lost check in a full queue).
 *
 * The client agent (controlling, as okno-bench's) knows only the relay's port as the server's
 * candidate; the server agent learns the relay's upstream socket as a peer-reflexive candidate. */
#include "testutil.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "linkemu/relay.h"
#include "linkemu/schedule.h"
#include "net/ice.h"
#include "okno/err.h"

#define OUTAGE_FIRST_US (4 * G_USEC_PER_SEC)
#define OUTAGE_US       (12 * G_USEC_PER_SEC)

struct peer {
    struct okno_ice *ice;
    enum okno_ice_state state;
    int n_failed, n_pairs, n_rx;
    int udp_port; /* of its UDP host candidate, 0 until gathered */
};

static GMainContext *ctx;
static int n_closed;

static void on_local_candidate(void *owner, const char *candidate)
{
    struct peer *p = owner;
    char transport[8], addr[64];
    int port = 0;
    /* "candidate:F 1 UDP PRIO ADDR PORT typ host ..." */
    if (sscanf(candidate, "candidate:%*s %*d %7s %*u %63s %d typ host", transport, addr, &port) ==
            3 &&
        g_ascii_strcasecmp(transport, "udp") == 0 && strcmp(addr, "127.0.0.1") == 0 &&
        p->udp_port == 0)
        p->udp_port = port;
}

static void on_state(void *owner, enum okno_ice_state state)
{
    struct peer *p = owner;
    p->state = state;
    if (state == OKNO_ICE_FAILED)
        p->n_failed++;
}

static void on_selected_pair(void *owner, const struct okno_ice_pair *pair)
{
    (void)pair;
    ((struct peer *)owner)->n_pairs++;
}

static void on_recv(void *owner, const uint8_t *data, size_t len, int64_t now_us)
{
    (void)data;
    (void)len;
    (void)now_us;
    ((struct peer *)owner)->n_rx++;
}

static const struct okno_ice_listener listener = {
    .on_local_candidate = on_local_candidate,
    .on_state = on_state,
    .on_selected_pair = on_selected_pair,
    .on_recv = on_recv,
};

static void on_closed(void *arg)
{
    (void)arg;
    n_closed++;
}

/* Each side sends a datagram every 100 ms whenever it can, as media would. */
static gboolean send_tick(gpointer data)
{
    struct peer *p = data;
    for (int i = 0; i < 2; i++) {
        if (p[i].ice && p[i].state == OKNO_ICE_CONNECTED)
            (void)okno_ice_send(p[i].ice, (const uint8_t *)"media", 5);
    }
    return G_SOURCE_CONTINUE;
}

/* Iterates ctx until cond(arg) holds or seconds pass (a 50 ms ticker bounds each iteration). */
static bool run_until(bool (*cond)(void *arg), void *arg, double seconds)
{
    GSource *tick = g_timeout_source_new(50);
    g_source_set_callback(tick, send_tick, arg, NULL);
    g_source_attach(tick, ctx);
    int64_t deadline = g_get_monotonic_time() + (int64_t)(seconds * G_USEC_PER_SEC);
    bool ok;
    while (!(ok = cond && cond(arg)) && g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(tick);
    g_source_unref(tick);
    return ok;
}

static bool both_connected(void *arg)
{
    struct peer *p = arg;
    return p[0].state == OKNO_ICE_CONNECTED && p[1].state == OKNO_ICE_CONNECTED &&
           p[0].n_pairs > 0 && p[1].n_pairs > 0;
}

static bool both_received(void *arg)
{
    struct peer *p = arg;
    return p[0].n_rx > 0 && p[1].n_rx > 0;
}

static bool closed_and_gone(void *arg)
{
    return n_closed == *(int *)arg && okno_ice_live_count() == 0;
}

static void test_ice_transport_survives_a_12_s_outage_through_the_relay(void **state)
{
    (void)state;
    ctx = g_main_context_new();
    n_closed = 0;
    struct peer p[2] = {0}; /* p[0] the client, p[1] okno */
    struct okno_ice_config cfg;
    okno_ice_config_init(&cfg);
    assert_int_equal(okno_ice_config_add_address(&cfg, "127.0.0.1"), 0);
    cfg.tcp = OKNO_ICE_TCP_OFF;
    cfg.controlling = true;
    assert_int_equal(okno_ice_create(ctx, &cfg, &listener, &p[0], &p[0].ice), 0);
    cfg.controlling = false;
    assert_int_equal(okno_ice_create(ctx, &cfg, &listener, &p[1], &p[1].ice), 0);

    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    assert_int_equal(okno_ice_local_credentials(p[0].ice, ufrag, pwd), 0);
    assert_int_equal(okno_ice_set_remote_credentials(p[1].ice, ufrag, pwd), 0);
    assert_int_equal(okno_ice_local_credentials(p[1].ice, ufrag, pwd), 0);
    assert_int_equal(okno_ice_set_remote_credentials(p[0].ice, ufrag, pwd), 0);
    assert_int_equal(okno_ice_gather(p[1].ice), 0);
    assert_int_equal(okno_ice_gather(p[0].ice), 0);
    run_until(NULL, p, 0.2);
    assert_true(p[1].udp_port > 0);

    struct okno_schedule sched;
    okno_schedule_init(&sched, NULL, NULL);
    assert_int_equal(okno_schedule_set_outages(&sched, 1000 * G_USEC_PER_SEC, OUTAGE_US,
                                               OUTAGE_FIRST_US, OKNO_DIR_BOTH),
                     0);
    struct okno_relay_config rcfg = {.schedule = &sched, .seed = 3};
    struct okno_relay *relay = NULL;
    int64_t start_us = okno_clock_now_us();
    assert_int_equal(okno_relay_create(ctx, &rcfg, start_us, &relay), 0);
    struct sockaddr_in l, t;
    char to[32];
    snprintf(to, sizeof to, "127.0.0.1:%d", p[1].udp_port);
    assert_int_equal(okno_relay_parse_addr("127.0.0.1:0", &l), 0);
    assert_int_equal(okno_relay_parse_addr(to, &t), 0);
    int idx = okno_relay_add_mapping(relay, &l, &t);
    assert_true(idx >= 0);
    char cand[128];
    snprintf(cand, sizeof cand, "candidate:1 1 udp 2130706431 127.0.0.1 %d typ host",
             okno_relay_listen_port(relay, idx));
    assert_int_equal(okno_ice_add_remote_candidate(p[0].ice, cand), 0);
    assert_int_equal(okno_ice_remote_candidates_done(p[0].ice), 0);
    assert_true(run_until(both_connected, p, 3.5));
    assert_true(run_until(both_received, p, 3));
    int64_t connected_s = (okno_clock_now_us() - start_us) / 1000;
    assert_true(connected_s < OUTAGE_FIRST_US / 1000);

    /* Through the outage and 3 s beyond it. */
    int64_t end_us = start_us + OUTAGE_FIRST_US + OUTAGE_US + 3 * G_USEC_PER_SEC;
    run_until(NULL, p, (double)(end_us - okno_clock_now_us()) / G_USEC_PER_SEC);
    struct okno_relay_stats st;
    okno_relay_stats(relay, &st);
    printf("# after a %lld s outage: client %s, okno %s, failures %d/%d\n",
           (long long)(OUTAGE_US / G_USEC_PER_SEC), okno_ice_state_name(p[0].state),
           okno_ice_state_name(p[1].state), p[0].n_failed, p[1].n_failed);
    assert_int_equal(p[0].n_failed + p[1].n_failed, 0);
    assert_int_equal(okno_ice_state(p[0].ice), OKNO_ICE_CONNECTED);
    assert_int_equal(okno_ice_state(p[1].ice), OKNO_ICE_CONNECTED);

    /* Datagrams cross again, both ways. */
    p[0].n_rx = p[1].n_rx = 0;
    assert_true(run_until(both_received, p, 3));

    int want = 2;
    okno_ice_close(p[0].ice, on_closed, NULL);
    okno_ice_close(p[1].ice, on_closed, NULL);
    p[0].ice = p[1].ice = NULL;
    assert_true(run_until(closed_and_gone, &want, 5));
    okno_relay_destroy(relay);
    okno_schedule_clear(&sched);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
    ctx = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ice_transport_survives_a_12_s_outage_through_the_relay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
