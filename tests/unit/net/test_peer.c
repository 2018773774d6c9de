/* Two okno peers over loopback sockets on one GMainContext the test iterates: ICE, the DTLS
 * handshake, SRTP in both directions, a fingerprint mismatch, and closes from inside callbacks.
 * Every wait has a deadline; every test ends with no ICE agent alive. */
#include "testutil.h"

#include "../../tools/peer_pair.h"
#include "net/peer.h"
#include "okno/err.h"
#include "wire/rtp.h"

struct side {
    struct okno_test_pair *pair;
    int index;
    int n_failed, failed_err;
    bool close_on_connected;
    uint8_t rtp[256], rtcp[256];
    size_t rtp_len, rtcp_len;
    int n_rtp, n_rtcp;
    enum okno_ice_state ice_states[16];
    int n_ice_states;
};

static GMainContext *ctx;
static struct okno_test_pair pair;

static void on_connected(void *owner)
{
    struct side *s = owner;
    if (s->close_on_connected)
        okno_test_pair_close_end(s->pair, s->index);
}

static void on_failed(void *owner, int err, const char *reason)
{
    struct side *s = owner;
    assert_non_null(reason);
    s->n_failed++;
    s->failed_err = err;
}

static void on_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct side *s = owner;
    assert_true(now_us > 0);
    assert_true(len <= sizeof s->rtp);
    memcpy(s->rtp, pkt, len);
    s->rtp_len = len;
    s->n_rtp++;
}

static void on_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct side *s = owner;
    (void)now_us;
    assert_true(len <= sizeof s->rtcp);
    memcpy(s->rtcp, pkt, len);
    s->rtcp_len = len;
    s->n_rtcp++;
}

static const struct okno_peer_listener listener = {
    .on_connected = on_connected,
    .on_failed = on_failed,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
};

static void on_ice_state(void *owner, enum okno_ice_state state)
{
    struct side *s = owner;
    assert_true(s->n_ice_states < 16);
    s->ice_states[s->n_ice_states++] = state;
}

/* okno's listener: lost ICE goes to on_ice_state, the owner decides. */
static const struct okno_peer_listener keeping_listener = {
    .on_connected = on_connected,
    .on_failed = on_failed,
    .on_ice_state = on_ice_state,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
};

static bool run_until(bool (*cond)(void *arg), void *arg, int seconds)
{
    return okno_test_pair_run_until(&pair, cond, arg, seconds);
}

static int setup(void **state)
{
    (void)state;
    ctx = g_main_context_new();
    okno_test_pair_init(&pair, ctx);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    okno_test_pair_fini(&pair);
    g_main_context_unref(ctx);
    return 0;
}

/* s[0] is the controlling ICE agent and the DTLS client (the browser's part), s[1] okno's; both
 * lose consent after 5 s of silence, so a vanished peer is noticed within the tests' waits. */
static void make_pair_with(struct side *s, bool wrong_fingerprint,
                           const struct okno_peer_listener *okno_listener)
{
    memset(s, 0, 2 * sizeof *s);
    struct okno_ice_config ice;
    okno_ice_config_init(&ice);
    ice.consent_timeout_ms = 5000;
    struct okno_peer_config cfg = {.ice = &ice};
    const struct okno_peer_config *cfgs[2] = {&cfg, &cfg};
    const struct okno_peer_listener *listeners[2] = {&listener, okno_listener};
    void *owners[2] = {&s[0], &s[1]};
    for (int i = 0; i < 2; i++) {
        s[i].pair = &pair;
        s[i].index = i;
    }
    okno_test_pair_make(&pair, cfgs, listeners, owners, wrong_fingerprint);
    struct okno_fingerprint fp;
    assert_int_equal(okno_cert_fingerprint(pair.cert, OKNO_FP_SHA256, &fp), 0);
    assert_int_equal(okno_peer_set_remote(pair.peer[1], "abcd", "abcdefghijklmnopqrstuvwxyz", &fp,
                                          OKNO_DTLS_SERVER),
                     OKNO_E_STATE);
}

static void make_pair(struct side *s, bool wrong_fingerprint)
{
    make_pair_with(s, wrong_fingerprint, &listener);
}

static bool got_rtp_and_rtcp(void *arg)
{
    struct side *s = arg;
    return s[1].n_rtp == 1 && s[0].n_rtcp == 1;
}

static bool one_failed(void *arg)
{
    struct side *s = arg;
    return s[0].n_failed + s[1].n_failed > 0;
}

static void test_peer_handshake_then_srtp_carries_rtp_and_rtcp_both_ways(void **state)
{
    (void)state;
    struct side s[2];
    make_pair(s, false);
    uint8_t buf[128 + OKNO_SRTP_MAX_TRAILER];
    assert_int_equal(okno_peer_send_rtp(pair.peer[0], buf, 20, sizeof buf), OKNO_E_STATE);
    assert_true(run_until(okno_test_pair_connected, &pair, 10));
    assert_true(okno_peer_connected(pair.peer[0]) && okno_peer_connected(pair.peer[1]));

    uint8_t rtp[] = {0x80, 0x60, 0x12, 0x34, 0, 0, 0x10, 0, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4, 5};
    memcpy(buf, rtp, sizeof rtp);
    assert_int_equal(okno_peer_send_rtp(pair.peer[0], buf, sizeof rtp, sizeof buf), 0);
    /* A receiver report with no blocks, from s[1] to s[0]. */
    uint8_t rr[] = {0x80, 201, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
    memcpy(buf, rr, sizeof rr);
    assert_int_equal(okno_peer_send_rtcp(pair.peer[1], buf, sizeof rr, sizeof buf), 0);
    assert_true(run_until(got_rtp_and_rtcp, s, 5));
    assert_int_equal(s[1].rtp_len, sizeof rtp);
    assert_memory_equal(s[1].rtp, rtp, sizeof rtp);
    assert_int_equal(s[0].rtcp_len, sizeof rr);
    assert_memory_equal(s[0].rtcp, rr, sizeof rr);

    struct okno_peer_stats st;
    okno_peer_stats(pair.peer[1], &st);
    assert_int_equal(st.rx_rtp, 1);
    assert_int_equal(st.tx_rtcp, 1);
    assert_int_equal(st.drop_srtp_auth + st.drop_replay + st.drop_unknown, 0);
    assert_true(st.rx_dtls > 0);
    okno_peer_stats(pair.peer[0], &st);
    assert_int_equal(st.tx_rtp, 1);
    assert_int_equal(st.drop_send, 0); /* refusing a send before the handshake is no drop */
    okno_test_pair_close(&pair);
}

static bool got_one_rtp(void *arg)
{
    struct side *s = arg;
    return s[1].n_rtp == 1;
}

/* A load generator's counting receiver: the packet as it came, header in the clear, payload still
 * encrypted, the tag left off the length; turned off again, packets are unprotected as before. */
static void test_peer_unverified_rtp_comes_still_protected_without_its_tag(void **state)
{
    (void)state;
    struct side s[2];
    make_pair(s, false);
    assert_true(run_until(okno_test_pair_connected, &pair, 10));
    okno_peer_set_rtp_unverified(pair.peer[1], true);
    uint8_t buf[128 + OKNO_SRTP_MAX_TRAILER];
    uint8_t rtp[] = {0x80, 0x60, 0x12, 0x34, 0, 0, 0x10, 0, 0xca, 0xfe, 0xba, 0xbe,
                     1,    2,    3,    4,    5, 6, 7,    8, 9,    10,   11,   12};
    memcpy(buf, rtp, sizeof rtp);
    assert_int_equal(okno_peer_send_rtp(pair.peer[0], buf, sizeof rtp, sizeof buf), 0);
    assert_true(run_until(got_one_rtp, s, 5));
    assert_int_equal(s[1].rtp_len, sizeof rtp);
    assert_memory_equal(s[1].rtp, rtp, 12);
    assert_memory_not_equal(s[1].rtp + 12, rtp + 12, sizeof rtp - 12);

    okno_peer_set_rtp_unverified(pair.peer[1], false);
    s[1].n_rtp = 0;
    rtp[3]++; /* the next sequence number */
    memcpy(buf, rtp, sizeof rtp);
    assert_int_equal(okno_peer_send_rtp(pair.peer[0], buf, sizeof rtp, sizeof buf), 0);
    assert_true(run_until(got_one_rtp, s, 5));
    assert_int_equal(s[1].rtp_len, sizeof rtp);
    assert_memory_equal(s[1].rtp, rtp, sizeof rtp);
    struct okno_peer_stats st;
    okno_peer_stats(pair.peer[1], &st);
    assert_int_equal(st.rx_rtp, 2);
    assert_int_equal(st.drop_srtp_auth + st.drop_replay + st.drop_unknown + st.drop_garbage, 0);
    okno_test_pair_close(&pair);
}

static void test_peer_fails_when_the_certificate_does_not_match_the_fingerprint(void **state)
{
    (void)state;
    struct side s[2];
    make_pair(s, true);
    assert_true(run_until(one_failed, s, 10));
    assert_int_equal(pair.n_connected[1], 0);
    assert_int_equal(s[1].n_failed, 1);
    assert_int_equal(s[1].failed_err, OKNO_E_DENIED);
    okno_test_pair_close(&pair);
}

static bool server_closed(void *arg)
{
    (void)arg;
    return pair.peer[1] == NULL && pair.n_closed == 1;
}

static void test_peer_may_be_closed_from_its_on_connected_callback(void **state)
{
    (void)state;
    struct side s[2];
    make_pair(s, false);
    s[1].close_on_connected = true;
    assert_true(run_until(server_closed, NULL, 10));
    assert_int_equal(pair.n_connected[1], 1);
    okno_test_pair_close(&pair);
}

static bool got_rtp(void *arg)
{
    struct side *s = arg;
    return s[1].n_rtp > 0;
}

static bool ice_reported(void *arg)
{
    struct side *s = arg;
    for (int i = 0; i < s->n_ice_states; i++) {
        if (s->ice_states[i] == OKNO_ICE_FAILED)
            return true;
    }
    return false;
}

static void send_one_rtp(uint16_t seq)
{
    uint8_t buf[64 + OKNO_SRTP_MAX_TRAILER];
    uint8_t rtp[] = {0x80, 0x60, 0, 0, 0, 0, 0x10, 0, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3};
    rtp[2] = (uint8_t)(seq >> 8);
    rtp[3] = (uint8_t)seq;
    memcpy(buf, rtp, sizeof rtp);
    assert_int_equal(okno_peer_send_rtp(pair.peer[0], buf, sizeof rtp, sizeof buf), 0);
}

static void test_peer_ice_restart_keeps_dtls_and_srtp_and_media_flows_again(void **state)
{
    (void)state;
    struct side s[2];
    make_pair_with(s, false, &keeping_listener);
    assert_true(run_until(okno_test_pair_connected, &pair, 10));
    char old_u[OKNO_ICE_CRED_LEN], old_p[OKNO_ICE_CRED_LEN];
    assert_int_equal(okno_peer_local_credentials(pair.peer[1], old_u, old_p), 0);

    /* Both ends restart (the browser's offer, okno's answer); candidates wait for the new
     * credentials, as signalling orders them. */
    pair.hold[0] = pair.hold[1] = true;
    assert_int_equal(okno_peer_restart_ice(pair.peer[0]), 0);
    assert_int_equal(okno_peer_restart_ice(pair.peer[1]), 0);
    assert_true(pair.n_held[0] > 0 && pair.n_held[1] > 0 && pair.held_done[0] && pair.held_done[1]);
    struct okno_fingerprint fp;
    assert_int_equal(okno_cert_fingerprint(pair.cert, OKNO_FP_SHA256, &fp), 0);
    for (int i = 0; i < 2; i++) {
        char u[OKNO_ICE_CRED_LEN], pw[OKNO_ICE_CRED_LEN];
        assert_int_equal(okno_peer_local_credentials(pair.peer[1 - i], u, pw), 0);
        assert_true(okno_peer_remote_changed(pair.peer[i], u, pw));
        assert_int_equal(okno_peer_set_remote(pair.peer[i], u, pw, &fp,
                                              i == 0 ? OKNO_DTLS_CLIENT : OKNO_DTLS_SERVER),
                         0);
        assert_false(okno_peer_remote_changed(pair.peer[i], u, pw));
        /* No restart pending: the same transport, as before. */
        assert_int_equal(okno_peer_set_remote(pair.peer[i], u, pw, &fp, OKNO_DTLS_SERVER),
                         OKNO_E_STATE);
    }
    char new_u[OKNO_ICE_CRED_LEN], new_p[OKNO_ICE_CRED_LEN];
    assert_int_equal(okno_peer_local_credentials(pair.peer[1], new_u, new_p), 0);
    assert_string_not_equal(new_u, old_u);
    okno_test_pair_release(&pair, 0);
    okno_test_pair_release(&pair, 1);

    /* Media flows with the keys of the first handshake: no second one, no failure. */
    send_one_rtp(7);
    assert_true(run_until(got_rtp, s, 10));
    assert_int_equal(pair.n_connected[0] + pair.n_connected[1], 2);
    assert_int_equal(s[0].n_failed + s[1].n_failed, 0);
    assert_true(okno_peer_connected(pair.peer[0]) && okno_peer_connected(pair.peer[1]));
    okno_test_pair_close(&pair);
}

static void test_peer_with_on_ice_state_reports_lost_consent_there_not_as_failure(void **state)
{
    (void)state;
    struct side s[2];
    make_pair_with(s, false, &keeping_listener);
    /* The browser vanishes without a word: it closes from inside the handshake's end, where no
     * close_notify can be sent, and its ICE agent just goes away. */
    s[0].close_on_connected = true;
    assert_true(run_until(okno_test_pair_connected, &pair, 10));
    /* Consent is lost 5 s after the last datagram (make_pair_with, net/ice.h). */
    assert_true(run_until(ice_reported, &s[1], 20));
    assert_int_equal(s[1].n_failed, 0);
    /* DTLS and SRTP are kept for a restart. */
    assert_true(okno_peer_connected(pair.peer[1]));
    okno_test_pair_close(&pair);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_peer_handshake_then_srtp_carries_rtp_and_rtcp_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_peer_unverified_rtp_comes_still_protected_without_its_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_peer_fails_when_the_certificate_does_not_match_the_fingerprint, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_peer_ice_restart_keeps_dtls_and_srtp_and_media_flows_again, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_peer_with_on_ice_state_reports_lost_consent_there_not_as_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_may_be_closed_from_its_on_connected_callback,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
