/* okno-bench client transport against okno's own server-side net/peer over loopback, on one
 * GMainContext the test iterates: the client is ICE-controlling and the DTLS client, applies a
 * remote description in one call, and sends RTP from a buffer it does not modify. Every wait has a
 * deadline; every test ends with no ICE agent alive. */
#include "testutil.h"

#include <string.h>

#include "../../tools/peer_pair.h"
#include "client/client_peer.h"
#include "okno/err.h"

struct server {
    int n_rtp;
    uint8_t rtp[256];
    size_t rtp_len;
};

/* End 1 of the pair is okno's peer; the client in place of end 0 is not a net/peer. */
static GMainContext *ctx;
static struct okno_test_pair pair;
static struct okno_client_peer *client;
static struct server srv;
static int n_client_connected;

static void client_candidate(void *owner, const char *candidate)
{
    (void)owner;
    assert_int_equal(okno_peer_add_remote_candidate(pair.peer[1], candidate), 0);
}

static void client_candidates_done(void *owner)
{
    (void)owner;
    okno_peer_remote_candidates_done(pair.peer[1]);
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
    .on_failed = any_failed,
    .on_rtp = server_rtp,
};

static bool run_until(bool (*cond)(void *arg), int seconds)
{
    return okno_test_pair_run_until(&pair, cond, NULL, seconds);
}

static bool both_connected(void *arg)
{
    (void)arg;
    return n_client_connected == 1 && pair.n_connected[1] == 1;
}

static bool got_rtp(void *arg)
{
    (void)arg;
    return srv.n_rtp > 0;
}

static int setup(void **state)
{
    (void)state;
    ctx = g_main_context_new();
    okno_test_pair_init(&pair, ctx);
    n_client_connected = 0;
    memset(&srv, 0, sizeof(srv));
    assert_int_equal(
        okno_client_peer_create(ctx, pair.cert, "127.0.0.1", &client_listener, NULL, &client), 0);
    struct okno_ice_config ice;
    okno_ice_config_init(&ice);
    ice.tcp = OKNO_ICE_TCP_OFF;
    struct okno_peer_config cfg = {.ice = &ice};
    okno_test_pair_create(&pair, 1, &cfg, &server_listener, &srv);

    /* What the client would read from okno's answer (a=setup:passive: we are the DTLS client). */
    struct okno_client_remote remote = {.our_role = OKNO_DTLS_CLIENT};
    assert_int_equal(okno_peer_local_credentials(pair.peer[1], remote.ufrag, remote.pwd), 0);
    assert_int_equal(okno_cert_fingerprint(pair.cert, OKNO_FP_SHA256, &remote.fingerprint), 0);
    assert_int_equal(okno_client_peer_apply_remote(client, &remote), 0);
    assert_int_equal(okno_client_peer_apply_remote(client, &remote), OKNO_E_STATE);

    struct okno_fingerprint fp;
    assert_int_equal(okno_cert_fingerprint(pair.cert, OKNO_FP_SHA256, &fp), 0);
    assert_int_equal(okno_peer_set_remote(pair.peer[1], okno_client_peer_ufrag(client),
                                          okno_client_peer_pwd(client), &fp, OKNO_DTLS_SERVER),
                     0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    okno_test_pair_closing(&pair);
    okno_client_peer_close(client, okno_test_pair_closed, &pair);
    okno_test_pair_fini(&pair); /* closes okno's end, waits for both */
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
    assert_int_equal(okno_peer_gather(pair.peer[1]), 0);
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
    assert_int_equal(
        okno_client_peer_create(ctx, pair.cert, "not-an-ip", &client_listener, NULL, &cp),
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
