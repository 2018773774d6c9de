/* Two okno peers over loopback sockets on one GMainContext the test iterates: ICE, the DTLS
 * handshake, SRTP in both directions, a fingerprint mismatch, and closes from inside callbacks.
 * Every wait has a deadline; every test ends with no ICE agent alive. */
#include "testutil.h"
#include "net/peer.h"
#include "okno/err.h"
#include "run_until.h"
#include "wire/rtp.h"

struct side {
    struct okno_peer *peer;
    struct side *other;
    int n_connected, n_failed, failed_err;
    bool close_on_connected;
    uint8_t rtp[256], rtcp[256];
    size_t rtp_len, rtcp_len;
    int n_rtp, n_rtcp;
    /* ICE restart: local candidates are held back until both sides have new credentials. */
    bool hold;
    char held[8][OKNO_ICE_MAX_CANDIDATE_LEN];
    int n_held;
    bool held_done;
    enum okno_ice_state ice_states[16];
    int n_ice_states;
};

static GMainContext *ctx;
static struct okno_cert *cert;
static int n_closed;

static void on_local_candidate(void *owner, const char *candidate)
{
    struct side *s = owner;
    if (s->hold) {
        assert_true(s->n_held < 8);
        g_strlcpy(s->held[s->n_held++], candidate, sizeof s->held[0]);
        return;
    }
    int rc = okno_peer_add_remote_candidate(s->other->peer, candidate);
    if (rc != OKNO_E_UNSUPPORTED)
        assert_int_equal(rc, 0);
}

static void on_local_candidates_done(void *owner)
{
    struct side *s = owner;
    if (s->hold) {
        s->held_done = true;
        return;
    }
    assert_int_equal(okno_peer_remote_candidates_done(s->other->peer), 0);
}

static void on_closed(void *arg)
{
    (void)arg;
    n_closed++;
}

static void on_connected(void *owner)
{
    struct side *s = owner;
    s->n_connected++;
    if (s->close_on_connected) {
        okno_peer_close(s->peer, on_closed, NULL);
        s->peer = NULL;
    }
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
    .on_local_candidate = on_local_candidate,
    .on_local_candidates_done = on_local_candidates_done,
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
    .on_local_candidate = on_local_candidate,
    .on_local_candidates_done = on_local_candidates_done,
    .on_connected = on_connected,
    .on_failed = on_failed,
    .on_ice_state = on_ice_state,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
};

static bool run_until(bool (*cond)(void *arg), void *arg, int seconds)
{
    return okno_test_run_until(ctx, cond, arg, seconds);
}

static bool none_alive(void *arg)
{
    return okno_ice_live_count() == 0 && n_closed == *(int *)arg;
}

static int setup(void **state)
{
    (void)state;
    ctx = g_main_context_new();
    n_closed = 0;
    assert_int_equal(okno_cert_generate(NULL, &cert), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    okno_cert_free(cert);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
    return 0;
}

/* s[0] is the controlling ICE agent and the DTLS client (the browser's part), s[1] okno's. */
static void make_pair_with(struct side *s, bool wrong_fingerprint,
                           const struct okno_peer_listener *okno_listener)
{
    memset(s, 0, 2 * sizeof *s);
    s[0].other = &s[1];
    s[1].other = &s[0];
    for (int i = 0; i < 2; i++) {
        struct okno_ice_config ice;
        okno_ice_config_init(&ice);
        assert_int_equal(okno_ice_config_add_address(&ice, "127.0.0.1"), 0);
        ice.consent_timeout_ms = 5000; /* a vanished peer is noticed within the tests' waits */
        ice.controlling = i == 0;
        struct okno_peer_config cfg = {.ice = &ice, .cert = cert};
        assert_int_equal(
            okno_peer_create(ctx, &cfg, i == 1 ? okno_listener : &listener, &s[i], &s[i].peer), 0);
    }
    struct okno_fingerprint fp;
    assert_int_equal(okno_cert_fingerprint(cert, OKNO_FP_SHA256, &fp), 0);
    for (int i = 0; i < 2; i++) {
        char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
        assert_int_equal(okno_peer_local_credentials(s[1 - i].peer, ufrag, pwd), 0);
        struct okno_fingerprint want = fp;
        if (wrong_fingerprint && i == 1)
            want.bytes[0] ^= 0xff;
        assert_int_equal(okno_peer_set_remote(s[i].peer, ufrag, pwd, &want,
                                              i == 0 ? OKNO_DTLS_CLIENT : OKNO_DTLS_SERVER),
                         0);
    }
    assert_int_equal(okno_peer_set_remote(s[1].peer, "abcd", "abcdefghijklmnopqrstuvwxyz", &fp,
                                          OKNO_DTLS_SERVER),
                     OKNO_E_STATE);
    assert_int_equal(okno_peer_gather(s[0].peer), 0);
    assert_int_equal(okno_peer_gather(s[1].peer), 0);
}

static void make_pair(struct side *s, bool wrong_fingerprint)
{
    make_pair_with(s, wrong_fingerprint, &listener);
}

static void close_pair(struct side *s)
{
    int want = n_closed;
    for (int i = 0; i < 2; i++) {
        if (s[i].peer) {
            okno_peer_close(s[i].peer, on_closed, NULL);
            s[i].peer = NULL;
            want++;
        }
    }
    assert_true(run_until(none_alive, &want, 5));
}

static bool both_connected(void *arg)
{
    struct side *s = arg;
    return s[0].n_connected == 1 && s[1].n_connected == 1;
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
    assert_int_equal(okno_peer_send_rtp(s[0].peer, buf, 20, sizeof buf), OKNO_E_STATE);
    assert_true(run_until(both_connected, s, 10));
    assert_true(okno_peer_connected(s[0].peer) && okno_peer_connected(s[1].peer));

    uint8_t rtp[] = {0x80, 0x60, 0x12, 0x34, 0, 0, 0x10, 0, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3, 4, 5};
    memcpy(buf, rtp, sizeof rtp);
    assert_int_equal(okno_peer_send_rtp(s[0].peer, buf, sizeof rtp, sizeof buf), 0);
    /* A receiver report with no blocks, from s[1] to s[0]. */
    uint8_t rr[] = {0x80, 201, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
    memcpy(buf, rr, sizeof rr);
    assert_int_equal(okno_peer_send_rtcp(s[1].peer, buf, sizeof rr, sizeof buf), 0);
    assert_true(run_until(got_rtp_and_rtcp, s, 5));
    assert_int_equal(s[1].rtp_len, sizeof rtp);
    assert_memory_equal(s[1].rtp, rtp, sizeof rtp);
    assert_int_equal(s[0].rtcp_len, sizeof rr);
    assert_memory_equal(s[0].rtcp, rr, sizeof rr);

    struct okno_peer_stats st;
    okno_peer_stats(s[1].peer, &st);
    assert_int_equal(st.rx_rtp, 1);
    assert_int_equal(st.tx_rtcp, 1);
    assert_int_equal(st.drop_srtp_auth + st.drop_replay + st.drop_unknown, 0);
    assert_true(st.rx_dtls > 0);
    okno_peer_stats(s[0].peer, &st);
    assert_int_equal(st.tx_rtp, 1);
    assert_int_equal(st.drop_send, 0); /* refusing a send before the handshake is no drop */
    close_pair(s);
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
    assert_true(run_until(both_connected, s, 10));
    okno_peer_set_rtp_unverified(s[1].peer, true);
    uint8_t buf[128 + OKNO_SRTP_MAX_TRAILER];
    uint8_t rtp[] = {0x80, 0x60, 0x12, 0x34, 0, 0, 0x10, 0, 0xca, 0xfe, 0xba, 0xbe,
                     1,    2,    3,    4,    5, 6, 7,    8, 9,    10,   11,   12};
    memcpy(buf, rtp, sizeof rtp);
    assert_int_equal(okno_peer_send_rtp(s[0].peer, buf, sizeof rtp, sizeof buf), 0);
    assert_true(run_until(got_one_rtp, s, 5));
    assert_int_equal(s[1].rtp_len, sizeof rtp);
    assert_memory_equal(s[1].rtp, rtp, 12);
    assert_memory_not_equal(s[1].rtp + 12, rtp + 12, sizeof rtp - 12);

    okno_peer_set_rtp_unverified(s[1].peer, false);
    s[1].n_rtp = 0;
    rtp[3]++; /* the next sequence number */
    memcpy(buf, rtp, sizeof rtp);
    assert_int_equal(okno_peer_send_rtp(s[0].peer, buf, sizeof rtp, sizeof buf), 0);
    assert_true(run_until(got_one_rtp, s, 5));
    assert_int_equal(s[1].rtp_len, sizeof rtp);
    assert_memory_equal(s[1].rtp, rtp, sizeof rtp);
    struct okno_peer_stats st;
    okno_peer_stats(s[1].peer, &st);
    assert_int_equal(st.rx_rtp, 2);
    assert_int_equal(st.drop_srtp_auth + st.drop_replay + st.drop_unknown + st.drop_garbage, 0);
    close_pair(s);
}

static void test_peer_fails_when_the_certificate_does_not_match_the_fingerprint(void **state)
{
    (void)state;
    struct side s[2];
    make_pair(s, true);
    assert_true(run_until(one_failed, s, 10));
    assert_int_equal(s[1].n_connected, 0);
    assert_int_equal(s[1].n_failed, 1);
    assert_int_equal(s[1].failed_err, OKNO_E_DENIED);
    close_pair(s);
}

static bool server_closed(void *arg)
{
    struct side *s = arg;
    return s[1].peer == NULL && n_closed == 1;
}

static void test_peer_may_be_closed_from_its_on_connected_callback(void **state)
{
    (void)state;
    struct side s[2];
    make_pair(s, false);
    s[1].close_on_connected = true;
    assert_true(run_until(server_closed, s, 10));
    assert_int_equal(s[1].n_connected, 1);
    close_pair(s);
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

static void send_one_rtp(struct side *s, uint16_t seq)
{
    uint8_t buf[64 + OKNO_SRTP_MAX_TRAILER];
    uint8_t rtp[] = {0x80, 0x60, 0, 0, 0, 0, 0x10, 0, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3};
    rtp[2] = (uint8_t)(seq >> 8);
    rtp[3] = (uint8_t)seq;
    memcpy(buf, rtp, sizeof rtp);
    assert_int_equal(okno_peer_send_rtp(s[0].peer, buf, sizeof rtp, sizeof buf), 0);
}

static void test_peer_ice_restart_keeps_dtls_and_srtp_and_media_flows_again(void **state)
{
    (void)state;
    struct side s[2];
    make_pair_with(s, false, &keeping_listener);
    assert_true(run_until(both_connected, s, 10));
    char old_u[OKNO_ICE_CRED_LEN], old_p[OKNO_ICE_CRED_LEN];
    assert_int_equal(okno_peer_local_credentials(s[1].peer, old_u, old_p), 0);

    /* Both ends restart (the browser's offer, okno's answer); candidates wait for the new
     * credentials, as signalling orders them. */
    s[0].hold = s[1].hold = true;
    assert_int_equal(okno_peer_restart_ice(s[0].peer), 0);
    assert_int_equal(okno_peer_restart_ice(s[1].peer), 0);
    assert_true(s[0].n_held > 0 && s[1].n_held > 0 && s[0].held_done && s[1].held_done);
    struct okno_fingerprint fp;
    assert_int_equal(okno_cert_fingerprint(cert, OKNO_FP_SHA256, &fp), 0);
    for (int i = 0; i < 2; i++) {
        char u[OKNO_ICE_CRED_LEN], pw[OKNO_ICE_CRED_LEN];
        assert_int_equal(okno_peer_local_credentials(s[1 - i].peer, u, pw), 0);
        assert_true(okno_peer_remote_changed(s[i].peer, u, pw));
        assert_int_equal(okno_peer_set_remote(s[i].peer, u, pw, &fp,
                                              i == 0 ? OKNO_DTLS_CLIENT : OKNO_DTLS_SERVER),
                         0);
        assert_false(okno_peer_remote_changed(s[i].peer, u, pw));
        /* No restart pending: the same transport, as before. */
        assert_int_equal(okno_peer_set_remote(s[i].peer, u, pw, &fp, OKNO_DTLS_SERVER),
                         OKNO_E_STATE);
    }
    char new_u[OKNO_ICE_CRED_LEN], new_p[OKNO_ICE_CRED_LEN];
    assert_int_equal(okno_peer_local_credentials(s[1].peer, new_u, new_p), 0);
    assert_string_not_equal(new_u, old_u);
    for (int i = 0; i < 2; i++) {
        s[i].hold = false;
        for (int c = 0; c < s[i].n_held; c++) {
            int rc = okno_peer_add_remote_candidate(s[1 - i].peer, s[i].held[c]);
            if (rc != OKNO_E_UNSUPPORTED)
                assert_int_equal(rc, 0);
        }
        assert_int_equal(okno_peer_remote_candidates_done(s[1 - i].peer), 0);
    }

    /* Media flows with the keys of the first handshake: no second one, no failure. */
    send_one_rtp(s, 7);
    assert_true(run_until(got_rtp, s, 10));
    assert_int_equal(s[0].n_connected + s[1].n_connected, 2);
    assert_int_equal(s[0].n_failed + s[1].n_failed, 0);
    assert_true(okno_peer_connected(s[0].peer) && okno_peer_connected(s[1].peer));
    close_pair(s);
}

static void test_peer_with_on_ice_state_reports_lost_consent_there_not_as_failure(void **state)
{
    (void)state;
    struct side s[2];
    make_pair_with(s, false, &keeping_listener);
    /* The browser vanishes without a word: it closes from inside the handshake's end, where no
     * close_notify can be sent, and its ICE agent just goes away. */
    s[0].close_on_connected = true;
    assert_true(run_until(both_connected, s, 10));
    /* Consent is lost 5 s after the last datagram (make_pair_with, net/ice.h). */
    assert_true(run_until(ice_reported, &s[1], 20));
    assert_int_equal(s[1].n_failed, 0);
    /* DTLS and SRTP are kept for a restart. */
    assert_true(okno_peer_connected(s[1].peer));
    close_pair(s);
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
