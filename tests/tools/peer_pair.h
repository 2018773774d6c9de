/* A fixture for cmocka tests of WebRTC transports: two net/peer ends over loopback sockets on one
 * GMainContext the test iterates, made from the peer configs the test passes. End 0 plays the
 * browser (ICE-controlling, DTLS client), end 1 okno (controlled, DTLS server). The fixture
 * trickles each end's candidates to the other (or holds them back, for an ICE restart), counts
 * connections and closes, and closes with a deadline, checking that no ICE agent is left alive.
 * Every other listener call goes to the test's own listener with the test's owner.
 *
 * Deliberately not here: what the tests send or check, and transports of other kinds (a test with
 * a bench client at one end makes only end 1 here and counts the client's close with
 * okno_test_pair_closing). Failures are cmocka assertions: for test programs only. */
#ifndef OKNO_TEST_PEER_PAIR_H
#define OKNO_TEST_PEER_PAIR_H

#include <glib.h>
#include <stdbool.h>

#include "net/cert.h"
#include "net/peer.h"

#define OKNO_TEST_PAIR_MAX_HELD 8

struct okno_test_pair;

/* One end as the fixture sees it; the test reads only the public fields of okno_test_pair. */
struct okno_test_pair_end {
    struct okno_test_pair *pair;        /* borrowed: the pair this end belongs to */
    int index;                          /* 0 or 1 */
    struct okno_peer_listener listener; /* the test's, copied */
    void *owner;                        /* the test's, passed to its listener */
};

struct okno_test_pair {
    /* borrowed */
    GMainContext *ctx; /* the peers' context, iterated by okno_test_pair_run_until */
    /* owned */
    struct okno_cert *cert;    /* presented by both ends unless their config names another */
    struct okno_peer *peer[2]; /* NULL before it is made and once its close started */
    /* other: what the fixture counts */
    int n_connected[2];      /* on_connected calls of each end */
    int n_closing, n_closed; /* closes started, and finished */
    bool hold[2];            /* while set, the end's local candidates are kept in held[] */
    char held[2][OKNO_TEST_PAIR_MAX_HELD][OKNO_ICE_MAX_CANDIDATE_LEN];
    int n_held[2];
    bool held_done[2]; /* the end's end-of-candidates came while held */
    struct okno_test_pair_end end[2];
};

/* A pair on ctx (borrowed) with a fresh certificate and no end made yet. p must not move until
 * okno_test_pair_fini. */
void okno_test_pair_init(struct okno_test_pair *p, GMainContext *ctx);

/* Closes the ends still open, waits for them (okno_test_pair_close), frees the certificate and
 * runs what is left pending on ctx. */
void okno_test_pair_fini(struct okno_test_pair *p);

/* Makes end i from cfg (NULL: defaults; copied). Its ICE config is cfg->ice's with controlling set
 * for end 0 and 127.0.0.1 as the only address when it lists none; its certificate the pair's when
 * cfg->cert is NULL. listener (copied; NULL: none) and owner receive every call the fixture does
 * not take: a listener without on_local_candidate(s_done) has the fixture trickle them to the other
 * end. Fails the test when okno_peer_create fails. */
void okno_test_pair_create(struct okno_test_pair *p, int i, const struct okno_peer_config *cfg,
                           const struct okno_peer_listener *listener, void *owner);

/* Makes both ends (okno_test_pair_create with cfg[i], listener[i], owner[i]; any array may be
 * NULL), gives each the other's ICE credentials and the certificate's fingerprint (its first byte
 * wrong at end 1 when wrong_fingerprint), with DTLS roles client (0) and server (1), and gathers
 * both. Does not wait for them to connect. */
void okno_test_pair_make(struct okno_test_pair *p, const struct okno_peer_config *const cfg[2],
                         const struct okno_peer_listener *const listener[2], void *const owner[2],
                         bool wrong_fingerprint);

/* Hands end i's held candidates (and their end, if it came) to the other end and stops holding. */
void okno_test_pair_release(struct okno_test_pair *p, int i);

/* Iterates the pair's context until cond(arg) holds; false when seconds pass first. */
bool okno_test_pair_run_until(struct okno_test_pair *p, bool (*cond)(void *arg), void *arg,
                              int seconds);

/* Condition for okno_test_pair_run_until (arg: the pair): both ends connected, once each. */
bool okno_test_pair_connected(void *pair);

/* Starts closing end i (allowed from inside its listener's calls); peer[i] is NULL after. */
void okno_test_pair_close_end(struct okno_test_pair *p, int i);

/* For a transport the fixture did not make: counts one more close to wait for; pass
 * okno_test_pair_closed and the pair as its close callback and argument. */
void okno_test_pair_closing(struct okno_test_pair *p);
void okno_test_pair_closed(void *pair);

/* Closes the ends still open and waits (5 s at most, else the test fails) until every close has
 * finished and no ICE agent is alive. */
void okno_test_pair_close(struct okno_test_pair *p);

#endif
