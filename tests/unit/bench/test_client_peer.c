/* okno-bench client transport against okno's own server-side net/peer over loopback, on one
 * GMainContext the test iterates: the client is ICE-controlling and the DTLS client, applies a
 * remote description in one call, and sends RTP from a buffer it does not modify. Every wait has a
 * deadline; every test ends with no ICE agent alive. */
#include "testutil.h"

#include <string.h>

#include "client/client_peer.h"
#include "okno/err.h"

struct server {
    struct okno_peer *peer;
    int n_connected, n_rtp;
    uint8_t rtp[256];
    size_t rtp_len;
};

static GMainContext *ctx;
static struct okno_cert *cert;
static struct okno_client_peer *client;
static struct server srv;
static int n_client_connected, n_closed;

static void client_candidate(void *owner, const char *candidate)
{
    (void)owner;
    assert_int_equal(okno_peer_add_remote_candidate(srv.peer, candidate), 0);
}

static void client_candidates_done(void *owner)
{
    (void)owner;
    okno_peer_remote_candidates_done(srv.peer);
}

static void client_connected(void *owner)
{
    (void)owner;
    n_client_connected++;
}

static void any_failed(void *owner, int err, const char *reason)
{
    (void)owner;
    fail_msg("transport failed: %s (%d)", reason, err);
}

static void server_candidate(void *owner, const char *candidate)
{
    (void)owner;
    assert_int_equal(okno_client_peer_add_candidate(client, candidate), 0);
}

static void server_candidates_done(void *owner)
{
    (void)owner;
    assert_int_equal(okno_client_peer_add_candidate(client, NULL), 0);
}

static void server_connected(void *owner)
{
    ((struct server *)owner)->n_connected++;
}

static void server_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    (void)now_us;
    struct server *s = owner;
    s->n_rtp++;
    s->rtp_len = len < sizeof(s->rtp) ? len : sizeof(s->rtp);
    memcpy(s->rtp, pkt, s->rtp_len);
}

static const struct okno_peer_listener client_listener = {
    .on_local_candidate = client_candidate,
    .on_local_candidates_done = client_candidates_done,
    .on_connected = client_connected,
    .on_failed = any_failed,
};

static const struct okno_peer_listener server_listener = {
    .on_local_candidate = server_candidate,
    .on_local_candidates_done = server_candidates_done,
    .on_connected = server_connected,
    .on_failed = any_failed,
    .on_rtp = server_rtp,
};

static gboolean wake(gpointer data)
{
    (void)data;
    return G_SOURCE_CONTINUE;
}

static bool run_until(bool (*cond)(void), int seconds)
{
    GSource *tick = g_timeout_source_new(50);
    g_source_set_callback(tick, wake, NULL, NULL);
    g_source_attach(tick, ctx);
    int64_t deadline = g_get_monotonic_time() + (int64_t)seconds * G_USEC_PER_SEC;
    bool ok;
    while (!(ok = cond()) && g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(tick);
    g_source_unref(tick);
    return ok;
}

static bool both_connected(void)
{
    return n_client_connected == 1 && srv.n_connected == 1;
}

static bool got_rtp(void)
{
    return srv.n_rtp > 0;
}

static bool none_alive(void)
{
    return n_closed == 2 && okno_ice_live_count() == 0;
}

static void on_closed(void *arg)
{
    (void)arg;
    n_closed++;
}

static int setup(void **state)
{
    (void)state;
    ctx = g_main_context_new();
    n_client_connected = n_closed = 0;
    memset(&srv, 0, sizeof(srv));
    assert_int_equal(okno_cert_generate(NULL, &cert), 0);
    assert_int_equal(
        okno_client_peer_create(ctx, cert, "127.0.0.1", &client_listener, NULL, &client), 0);
    struct okno_ice_config ice;
    okno_ice_config_init(&ice);
    ice.tcp = OKNO_ICE_TCP_OFF;
    assert_int_equal(okno_ice_config_add_address(&ice, "127.0.0.1"), 0);
    struct okno_peer_config cfg = {.ice = &ice, .cert = cert};
    assert_int_equal(okno_peer_create(ctx, &cfg, &server_listener, &srv, &srv.peer), 0);

    /* What the client would read from okno's answer (a=setup:passive: we are the DTLS client). */
    struct okno_client_remote remote = {.our_role = OKNO_DTLS_CLIENT};
    assert_int_equal(okno_peer_local_credentials(srv.peer, remote.ufrag, remote.pwd), 0);
    assert_int_equal(okno_cert_fingerprint(cert, OKNO_FP_SHA256, &remote.fingerprint), 0);
    assert_int_equal(okno_client_peer_apply_remote(client, &remote), 0);
    assert_int_equal(okno_client_peer_apply_remote(client, &remote), OKNO_E_STATE);

    struct okno_fingerprint fp;
    assert_int_equal(okno_cert_fingerprint(cert, OKNO_FP_SHA256, &fp), 0);
    assert_int_equal(okno_peer_set_remote(srv.peer, okno_client_peer_ufrag(client),
                                          okno_client_peer_pwd(client), &fp, OKNO_DTLS_SERVER),
                     0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    okno_client_peer_close(client, on_closed, NULL);
    okno_peer_close(srv.peer, on_closed, NULL);
    assert_true(run_until(none_alive, 5));
    okno_cert_free(cert);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
    return 0;
}

static const char rtp_hex[] = "80 6f 12 34  # V=2, PT=111, seq 0x1234\n"
                              "00 00 03 c0  # timestamp 960\n"
                              "de ad be ef  # SSRC\n"
                              "f8 ff fe     # Opus TOC (20 ms CELT) and silence\n";

static void
test_client_peer_connects_to_okno_peer_as_dtls_client_and_leaves_rtp_unmodified(void **state)
{
    (void)state;
    uint8_t pkt[32], copy[32];
    size_t n = okno_test_hex(rtp_hex, pkt, sizeof pkt);
    memcpy(copy, pkt, n);
    assert_int_equal(okno_client_peer_send_rtp(client, pkt, n), OKNO_E_STATE);
    assert_int_equal(okno_client_peer_gather(client), 0);
    assert_int_equal(okno_peer_gather(srv.peer), 0);
    assert_true(run_until(both_connected, 10));
    assert_true(okno_client_peer_connected(client));

    assert_int_equal(okno_client_peer_send_rtp(client, pkt, n), 0);
    assert_memory_equal(pkt, copy, n); /* protected in the scratch, not in the caller's buffer */
    assert_true(run_until(got_rtp, 5));
    assert_int_equal(srv.rtp_len, n);
    assert_memory_equal(srv.rtp, copy, n);
    struct okno_peer_stats st;
    okno_client_peer_stats(client, &st);
    assert_int_equal(st.tx_rtp, 1);
}

static void test_client_peer_refuses_datagram_larger_than_the_scratch(void **state)
{
    (void)state;
    static uint8_t big[OKNO_PEER_MAX_DATAGRAM + 1];
    assert_int_equal(okno_client_peer_send_rtp(client, big, sizeof big), OKNO_E_NOSPC);
    assert_int_equal(okno_client_peer_send_rtcp(client, big, sizeof big), OKNO_E_NOSPC);
}

static void test_client_peer_refuses_an_address_that_is_not_ip(void **state)
{
    (void)state;
    struct okno_client_peer *cp = NULL;
    assert_int_equal(okno_client_peer_create(ctx, cert, "not-an-ip", &client_listener, NULL, &cp),
                     OKNO_E_INVAL);
    assert_null(cp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_client_peer_connects_to_okno_peer_as_dtls_client_and_leaves_rtp_unmodified, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_client_peer_refuses_datagram_larger_than_the_scratch,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_peer_refuses_an_address_that_is_not_ip, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
