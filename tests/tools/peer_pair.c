/* The peer-pair fixture (peer_pair.h): the fixture's own listener sits between each peer and the
 * test's, takes trickle, connection counts and closes, and passes everything else on. */
#include "peer_pair.h"

#include "testutil.h"

#include <string.h>

#include "okno/err.h"
#include "run_until.h"

static struct okno_peer *other_peer(struct okno_test_pair_end *e)
{
    return e->pair->peer[1 - e->index];
}

static void add_candidate(struct okno_peer *to, const char *candidate)
{
    int rc = okno_peer_add_remote_candidate(to, candidate);
    if (rc != OKNO_E_UNSUPPORTED) /* a TCP candidate with ICE-TCP off, for instance */
        assert_int_equal(rc, 0);
}

static void on_local_candidate(void *owner, const char *candidate)
{
    struct okno_test_pair_end *e = owner;
    struct okno_test_pair *p = e->pair;
    if (e->listener.on_local_candidate) {
        e->listener.on_local_candidate(e->owner, candidate);
    } else if (p->hold[e->index]) {
        assert_true(p->n_held[e->index] < OKNO_TEST_PAIR_MAX_HELD);
        g_strlcpy(p->held[e->index][p->n_held[e->index]++], candidate, sizeof p->held[0][0]);
    } else {
        assert_non_null(other_peer(e));
        add_candidate(other_peer(e), candidate);
    }
}

static void on_local_candidates_done(void *owner)
{
    struct okno_test_pair_end *e = owner;
    struct okno_test_pair *p = e->pair;
    if (e->listener.on_local_candidates_done) {
        e->listener.on_local_candidates_done(e->owner);
    } else if (p->hold[e->index]) {
        p->held_done[e->index] = true;
    } else {
        assert_non_null(other_peer(e));
        assert_int_equal(okno_peer_remote_candidates_done(other_peer(e)), 0);
    }
}

static void on_connected(void *owner)
{
    struct okno_test_pair_end *e = owner;
    e->pair->n_connected[e->index]++;
    if (e->listener.on_connected)
        e->listener.on_connected(e->owner);
}

static void on_failed(void *owner, int err, const char *reason)
{
    struct okno_test_pair_end *e = owner;
    if (e->listener.on_failed)
        e->listener.on_failed(e->owner, err, reason);
}

static void on_ice_state(void *owner, enum okno_ice_state state)
{
    struct okno_test_pair_end *e = owner;
    e->listener.on_ice_state(e->owner, state); /* set only when the test's listener has it */
}

static void on_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct okno_test_pair_end *e = owner;
    if (e->listener.on_rtp)
        e->listener.on_rtp(e->owner, pkt, len, now_us);
}

static void on_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct okno_test_pair_end *e = owner;
    if (e->listener.on_rtcp)
        e->listener.on_rtcp(e->owner, pkt, len, now_us);
}

void okno_test_pair_init(struct okno_test_pair *p, GMainContext *ctx)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    assert_int_equal(okno_cert_generate(NULL, &p->cert), 0);
}

void okno_test_pair_create(struct okno_test_pair *p, int i, const struct okno_peer_config *cfg,
                           const struct okno_peer_listener *listener, void *owner)
{
    assert_true(i == 0 || i == 1);
    assert_null(p->peer[i]);
    struct okno_test_pair_end *e = &p->end[i];
    memset(e, 0, sizeof *e);
    p->n_connected[i] = 0; /* a pair may be made again after a close */
    p->hold[i] = p->held_done[i] = false;
    p->n_held[i] = 0;
    e->pair = p;
    e->index = i;
    if (listener)
        e->listener = *listener;
    e->owner = owner;

    struct okno_peer_config c = {0};
    struct okno_ice_config ice;
    if (cfg)
        c = *cfg;
    if (c.ice)
        ice = *c.ice;
    else
        okno_ice_config_init(&ice);
    if (ice.n_addresses == 0)
        assert_int_equal(okno_ice_config_add_address(&ice, "127.0.0.1"), 0);
    ice.controlling = i == 0;
    c.ice = &ice;
    if (!c.cert)
        c.cert = p->cert;
    /* A whole table, so that on_ice_state stays NULL when the test has none (net/peer then turns
     * an ICE failure into on_failed). */
    struct okno_peer_listener mine = {
        .on_local_candidate = on_local_candidate,
        .on_local_candidates_done = on_local_candidates_done,
        .on_connected = on_connected,
        .on_failed = on_failed,
        .on_ice_state = e->listener.on_ice_state ? on_ice_state : NULL,
        .on_rtp = on_rtp,
        .on_rtcp = on_rtcp,
    };
    assert_int_equal(okno_peer_create(p->ctx, &c, &mine, e, &p->peer[i]), 0);
}

void okno_test_pair_make(struct okno_test_pair *p, const struct okno_peer_config *const cfg[2],
                         const struct okno_peer_listener *const listener[2], void *const owner[2],
                         bool wrong_fingerprint)
{
    for (int i = 0; i < 2; i++)
        okno_test_pair_create(p, i, cfg ? cfg[i] : NULL, listener ? listener[i] : NULL,
                              owner ? owner[i] : NULL);
    for (int i = 0; i < 2; i++) {
        const struct okno_cert *cert =
            cfg && cfg[1 - i] && cfg[1 - i]->cert ? cfg[1 - i]->cert : p->cert;
        struct okno_fingerprint fp;
        assert_int_equal(okno_cert_fingerprint(cert, OKNO_FP_SHA256, &fp), 0);
        if (wrong_fingerprint && i == 1)
            fp.bytes[0] ^= 0xff;
        char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
        assert_int_equal(okno_peer_local_credentials(p->peer[1 - i], ufrag, pwd), 0);
        assert_int_equal(okno_peer_set_remote(p->peer[i], ufrag, pwd, &fp,
                                              i == 0 ? OKNO_DTLS_CLIENT : OKNO_DTLS_SERVER),
                         0);
    }
    assert_int_equal(okno_peer_gather(p->peer[0]), 0);
    assert_int_equal(okno_peer_gather(p->peer[1]), 0);
}

void okno_test_pair_release(struct okno_test_pair *p, int i)
{
    struct okno_peer *to = p->peer[1 - i];
    assert_non_null(to);
    p->hold[i] = false;
    for (int c = 0; c < p->n_held[i]; c++)
        add_candidate(to, p->held[i][c]);
    p->n_held[i] = 0;
    if (p->held_done[i])
        assert_int_equal(okno_peer_remote_candidates_done(to), 0);
    p->held_done[i] = false;
}

bool okno_test_pair_run_until(struct okno_test_pair *p, bool (*cond)(void *arg), void *arg,
                              int seconds)
{
    return okno_test_run_until(p->ctx, cond, arg, seconds);
}

bool okno_test_pair_connected(void *pair)
{
    const struct okno_test_pair *p = pair;
    return p->n_connected[0] == 1 && p->n_connected[1] == 1;
}

void okno_test_pair_closed(void *pair)
{
    ((struct okno_test_pair *)pair)->n_closed++;
}

void okno_test_pair_closing(struct okno_test_pair *p)
{
    p->n_closing++;
}

void okno_test_pair_close_end(struct okno_test_pair *p, int i)
{
    struct okno_peer *peer = p->peer[i];
    assert_non_null(peer);
    p->peer[i] = NULL;
    p->n_closing++;
    okno_peer_close(peer, okno_test_pair_closed, p);
}

static bool none_alive(void *pair)
{
    const struct okno_test_pair *p = pair;
    return okno_ice_live_count() == 0 && p->n_closed == p->n_closing;
}

void okno_test_pair_close(struct okno_test_pair *p)
{
    for (int i = 0; i < 2; i++) {
        if (p->peer[i])
            okno_test_pair_close_end(p, i);
    }
    assert_true(okno_test_pair_run_until(p, none_alive, p, 5));
}

void okno_test_pair_fini(struct okno_test_pair *p)
{
    okno_test_pair_close(p);
    okno_cert_free(p->cert);
    p->cert = NULL;
    while (g_main_context_iteration(p->ctx, FALSE))
        ;
}
