/* The in-process SFU test harness shared by test_sfu_media, test_sfu_bwe, test_sfu_alloc and
 * test_sfu_pub_fb: one SFU on a real worker behind the sfu.h facade, and clients made of okno's
 * own peers (net/peer) on the test's main context, on loopback. It gathers, writes and reads the
 * transport lines of descriptions (credentials, fingerprint, candidates), answers okno's subscriber
 * offers and keeps okno's latest offer and answer per session; it publishes a VP8 video with RTX,
 * sends a client's RTP and RTCP (with a simple VP8 packet to send), captures okno's log and offers
 * a bwe estimator that records what reaches it. It does not make media streams or audio offers:
 * each test knows what it sends and checks.
 * Every wait has a deadline. Main thread only, but for the estimator (the worker's thread, under
 * sfuh_est_lock); one harness per process (sfuh). */
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
#include "okno/bwe.h"
#include "sfu/sfu.h"
#include "wire/rtcp_report.h"

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

/* The start of a publisher offer of one video section: session lines, "m=video 9
 * UDP/TLS/RTP/SAVPF pts", c's transport (setup actpass), mid 0, sendonly, msid and rtcp-mux; the
 * caller appends the section's codecs and the rest. Returns an owned string. */
GString *sfuh_video_offer_start(struct sfuh_client *c, const char *pts);

/* Waits for okno's subscriber offer for session, takes its transport and answers it (request
 * req, drop as for sfuh_answer_offer); stores okno's SSRC and RTX SSRC (either may be NULL) from
 * its first FID group, or its first SSRC and 0 without one. */
void sfuh_subscribe(struct sfuh_client *c, int session, uint64_t req,
                    bool (*drop)(const char *line), uint32_t *ssrc, uint32_t *rtx_ssrc);

/* c publishes one VP8 video with RTX (SSRCs ssrc and rtx_ssrc) for session as request 2: extmap
 * (a=extmap lines, may be NULL) after the section's attributes, fb (a=rtcp-fb lines for 96, may
 * be NULL) after NACK and PLI. Waits for okno's answer (sfuh.answer[session]). */
void sfuh_publish_vp8(struct sfuh_client *c, int session, uint32_t ssrc, uint32_t rtx_ssrc,
                      const char *extmap, const char *fb);

/* okno's log goes to a temporary file from here on; returns it for sfuh_log_text. */
FILE *sfuh_log_capture(void);

/* Ends the capture: okno's log goes to stderr again, log is closed; returns what it held (g_free
 * it), also echoed to stderr. */
char *sfuh_log_text(FILE *log);

/* A VP8 packet of ssrc (payload type 96, timestamp 9000 x seq): keyframes carry the payload header
 * with the start code and 320x240; the last byte, seq's low one, tells the packets apart. buf holds
 * 64 bytes at least; returns the length. */
size_t sfuh_vp8_packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, bool key);

/* Sends pkt (copied: protection works in place) as RTP on c's peer. */
void sfuh_send_rtp(struct sfuh_client *c, const uint8_t *pkt, size_t len);

/* Sends a compound RTCP packet on c's peer: rr (NULL: an empty RR from SSRC 0x5555), then fb_len
 * bytes of fb when fb_len > 0. */
void sfuh_send_rtcp(struct sfuh_client *c, const struct okno_rtcp_rr *rr, const uint8_t *fb,
                    int fb_len);

/* Calls fn for every transport-layer or payload-specific feedback part (RTPFB, PSFB) of a compound
 * RTCP packet that parses, with the part and its feedback header; other parts are skipped. */
struct okno_rtcp_pkt;
struct okno_rtcp_fb;
void sfuh_each_feedback(const uint8_t *pkt, size_t len,
                        void (*fn)(void *ud, const struct okno_rtcp_pkt *rp,
                                   const struct okno_rtcp_fb *fb),
                        void *ud);

/* The estimator sfuh_est_ops gives each transport (up to SFUH_ESTS): it records what reaches it,
 * and its estimate is its transport's last REMB, with the loss ratio and queuing delay a test
 * sets here (0 unless set). sfuh_start clears the record. */
#define SFUH_ESTS 8
struct sfuh_est_record {
    int created, destroyed, sent, feedbacks;
    struct okno_bwe_fb_entry entries[64]; /* the first feedback entries, in order */
    size_t n_entries;
    uint64_t remb;                    /* the last REMB of any transport */
    uint8_t fraction;                 /* the last loss report's */
    uint32_t packets;                 /* the last loss report's */
    char participants[SFUH_ESTS][16]; /* by creation order */
    uint64_t est_remb[SFUH_ESTS];     /* by creation order: each transport's last REMB */
    double loss_ratio;                /* set by a test: every estimate's loss_ratio */
    int64_t queue_delay_us;           /* set by a test: every estimate's queue_delay_us */
};
extern GMutex sfuh_est_lock;
extern struct sfuh_est_record sfuh_est; /* under sfuh_est_lock */
extern const struct okno_bwe_ops sfuh_est_ops;

#endif
