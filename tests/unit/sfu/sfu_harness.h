/* The in-process SFU test harness shared by test_sfu_media, test_sfu_bwe, test_sfu_alloc and
 * test_sfu_pub_fb: one SFU on a real worker behind the sfu.h facade, and clients made of okno's
 * own peers (net/peer) on the test's main context, on loopback. It gathers, writes and reads the
 * transport lines of descriptions (credentials, fingerprint, candidates), answers okno's subscriber
 * offers and keeps okno's latest offer and answer per session. It does not build publisher offers
 * or media: each test knows what it publishes and checks. Every wait has a deadline. Main thread
 * only; one harness per process (sfuh). */
#ifndef OKNO_TEST_SFU_HARNESS_H
#define OKNO_TEST_SFU_HARNESS_H

#include "testutil.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/worker.h"
#include "net/dtls.h"
#include "net/peer.h"
#include "sfu/sfu.h"

#define SFUH_SESSIONS 8 /* sessions 0..7 are recorded; events of others are ignored */

struct sfuh {
    struct okno_workers *workers; /* owned */
    struct okno_config *cfg;      /* owned */
    struct okno_sfu *sfu;         /* owned */
    struct okno_cert *cert;       /* owned: every client's certificate */
    char *offer[SFUH_SESSIONS];   /* owned: okno's latest subscriber offer per session */
    char *answer[SFUH_SESSIONS];  /* owned: okno's latest publisher answer per session */
    bool leaving; /* set by sfuh_stop: closes and errors from then on are expected */
};

extern struct sfuh sfuh;

struct sfuh_client;

/* What a test wants to know about its client, all optional. The test's client struct starts with
 * its struct sfuh_client, so a hook casts c to it. */
struct sfuh_hooks {
    void (*on_connected)(struct sfuh_client *c);
    void (*on_rtp)(struct sfuh_client *c, uint8_t *pkt, size_t len, int64_t now_us);
    void (*on_rtcp)(struct sfuh_client *c, uint8_t *pkt, size_t len, int64_t now_us);
};

struct sfuh_client {
    struct okno_peer *peer; /* owned; NULL once the test closed it itself */
    GPtrArray *cands;       /* owned: our candidate lines, without "a=" */
    bool gathered, connected;
    const struct sfuh_hooks *hooks; /* borrowed, may be NULL */
};

/* Loads conf ([media] settings), starts one worker, creates the SFU with on_event as its listener
 * (NULL: sfuh_on_event) and the clients' certificate. */
void sfuh_start(const char *conf, void (*on_event)(void *ud, const struct okno_sfu_event *ev));

/* The default listener, for a test's own to call with what it does not handle: records offers
 * and answers; fails the test on an error or, before sfuh_stop, a closed session. */
void sfuh_on_event(void *ud, const struct okno_sfu_event *ev);

/* Sessions 1..n leave, the clients' peers close (a NULL peer is skipped), the SFU, worker,
 * config and certificate go, and every ICE agent is gone within 2 s. */
void sfuh_stop(struct sfuh_client **clients, int n);

/* A client on loopback, gathered (ICE controlling or not). */
void sfuh_open(struct sfuh_client *c, bool controlling, const struct sfuh_hooks *hooks);

/* Runs the main context until cond(arg) or 10 s; returns cond(arg). */
bool sfuh_run_until(bool (*cond)(void *), void *arg);
/* Runs the main context for us microseconds. */
void sfuh_run_for(int64_t us);
/* Conditions: *(bool *)arg; an offer / answer recorded for session GPOINTER_TO_INT(arg). */
bool sfuh_is_true(void *arg);
bool sfuh_has_offer(void *arg);
bool sfuh_has_answer(void *arg);

/* Appends our ICE and DTLS lines (setup: "actpass", "active") and candidates to a description. */
void sfuh_append_transport(GString *s, struct sfuh_client *c, const char *setup);

/* Takes okno's transport out of its description: credentials, fingerprint, candidates. */
void sfuh_take_remote(struct sfuh_client *c, const char *sdp, enum okno_dtls_role role);

/* The answer to okno's subscriber offer: its media sections, receiving, with our transport;
 * lines for which drop (may be NULL) returns true are left out. Returns an owned string. */
char *sfuh_answer_offer(struct sfuh_client *c, const char *offer, bool (*drop)(const char *line));

/* Waits for okno's subscriber offer for session, takes its transport and answers it (request
 * req, drop as for sfuh_answer_offer); stores okno's SSRC and RTX SSRC (either may be NULL) from
 * its first FID group, or its first SSRC and 0 without one. */
void sfuh_subscribe(struct sfuh_client *c, int session, uint64_t req,
                    bool (*drop)(const char *line), uint32_t *ssrc, uint32_t *rtx_ssrc);

#endif
