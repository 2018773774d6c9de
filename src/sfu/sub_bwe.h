/* Send-side bandwidth estimation plumbing of one subscriber transport: the transport-wide sequence
 * number every RTP packet okno sends on it carries (one counter for all its SSRCs: media, RTX,
 * padding), the abs-send-time stamped beside it, the history of what was sent (a preallocated ring
 * of send time and size by sequence number), and the way back: transport-cc feedback parsed and
 * matched against that history, REMB, and receiver-report RTT and loss, all handed to the bwe
 * plugin's estimator for the transport (include/okno/bwe.h). The latest estimate is kept here for
 * the allocator and the stats, and logged (info when it doubles or halves, debug otherwise).
 *
 * Packets are stamped in place: the downtrack reserves the two extension elements with zero values
 * (downtrack.h, twcc_id and abs_send_time_id) so stamping never moves a byte and never needs room
 * beyond what the packet was written with. Nothing is allocated after okno_sub_bwe_new; the time
 * is always a parameter. Without a plugin the numbering and the history still work (the client's
 * own congestion control needs neither), there is just no estimate.
 *
 * It deliberately does not send anything, choose layers, pace or probe: those read the estimate
 * (and what the allocator wants, which it only keeps for the prober). It
 * does not parse anything but the feedback it is handed; participant_media.c finds that. */
#ifndef OKNO_SFU_SUB_BWE_H
#define OKNO_SFU_SUB_BWE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "okno/bwe.h"
#include "sfu/sub_offer.h"

/* Sequence numbers the history remembers: a power of two dividing 65536 (a number keeps its slot
 * across the wrap). At 1,000 packets a second, four seconds: feedback comes every 50-100 ms. */
#define OKNO_SUB_BWE_HISTORY 4096
/* Feedback entries handed to the plugin per call; a longer feedback goes in parts. */
#define OKNO_SUB_BWE_FB_PART 512
/* Longest participant id kept for the logs. */
#define OKNO_SUB_BWE_WHO_LEN 32

struct okno_sub_bwe_counters {
    uint64_t stamped;   /* packets numbered */
    uint64_t unstamped; /* packets sent without the element (not negotiated at their start) */
    uint64_t feedbacks; /* transport-cc packets taken */
    uint64_t feedback_entries; /* statuses they carried */
    uint64_t unknown_seq;      /* statuses about numbers the history does not hold */
    uint64_t malformed;        /* feedback that did not parse */
    uint64_t rembs;
    uint64_t loss_reports;
};

struct okno_sub_bwe_slot {
    int64_t send_us;
    uint32_t bytes;
    uint16_t seq;
    bool used;
    bool probe;
};

struct okno_sub_bwe {
    /* borrowed: the plugin's, valid while okno runs */
    const struct okno_bwe_ops *ops;
    void *plugin_state;
    /* owned: the plugin's estimator, NULL without one */
    void *est;
    /* other */
    char who[OKNO_SUB_BWE_WHO_LEN];
    uint8_t twcc_id;          /* the subscriber's id of transport-wide-cc; 0: not negotiated */
    uint8_t abs_send_time_id; /* 0: not negotiated */
    uint16_t next_seq;
    bool have_estimate;
    struct okno_bwe_estimate estimate;
    uint32_t info_bps;   /* the target last logged at info level */
    uint32_t debug_bps;  /* the target last logged at either level */
    uint32_t wanted_bps; /* what the allocator would send (okno_sub_bwe_set_wanted_bps); 0: none */
    struct okno_sub_bwe_counters counters;
    struct okno_sub_bwe_slot history[OKNO_SUB_BWE_HISTORY];
    struct okno_bwe_fb_entry part[OKNO_SUB_BWE_FB_PART];
};

/* Allocates the plumbing of a transport of participant who (copied, cut at its size): nothing
 * negotiated, no estimator. Cannot fail (g_new0). Free with okno_sub_bwe_free. */
struct okno_sub_bwe *okno_sub_bwe_new(const char *who);

/* Destroys the estimator, if any, and frees b. NULL is ignored. */
void okno_sub_bwe_free(struct okno_sub_bwe *b);

/* Makes an estimator with the bwe plugin's ops (borrowed; NULL: none) for transport t. Replaces an
 * estimator made before. Returns 0; OKNO_E_INVAL for ops lacking a required entry; the plugin's
 * create error (logged; the transport then has no estimate). */
int okno_sub_bwe_attach(struct okno_sub_bwe *b, const struct okno_bwe_ops *ops, void *plugin_state,
                        const struct okno_bwe_transport *t, int64_t now_us);

/* The header extension ids the subscriber's answer accepted (0: not negotiated). Numbering starts
 * once twcc_id is set; the ids are the transport's, shared by every section of the BUNDLE. */
void okno_sub_bwe_set_ids(struct okno_sub_bwe *b, uint8_t twcc_id, uint8_t abs_send_time_id);

/* The stamped extensions' ids that a checked subscriber answer (ans, n sections) accepted for the
 * transport, as the first accepted section that took each says (BUNDLE shares ids across
 * sections): abs-send-time wherever it was kept, transport-wide-cc only where the client also
 * agreed to send transport-cc feedback, since numbers nobody reports on are wasted bytes. 0: not
 * negotiated. */
void okno_sub_bwe_ids_from_answer(const struct okno_sub_answer *ans, size_t n, uint8_t *twcc_id,
                                  uint8_t *abs_send_time_id);

/* An RTP packet pkt[0..len) about to be protected and sent at now_us (probe: padding or RTX sent to
 * probe): when it carries the transport-wide-cc element, writes the next sequence number into it
 * (and the send time into abs-send-time, which is stamped even without it), records it in the
 * history and tells the estimator. Returns the number stamped (0-65535), or -1 when the packet
 * has no transport-wide-cc element (not negotiated, or written without one). Allocates nothing. */
int okno_sub_bwe_on_send(struct okno_sub_bwe *b, uint8_t *pkt, size_t len, int64_t now_us,
                         bool probe);

/* One RTCP transport-cc feedback packet (RTPFB FMT 15, the whole packet as framed) that arrived at
 * now_us: its statuses, matched with the history, go to the estimator. Returns the number of
 * statuses, or OKNO_E_MALFORMED / OKNO_E_TRUNCATED (counted, nothing handed over). */
int okno_sub_bwe_on_feedback(struct okno_sub_bwe *b, const uint8_t *pkt, size_t len,
                             int64_t now_us);

/* The receiver's REMB, bits per second. */
void okno_sub_bwe_on_remb(struct okno_sub_bwe *b, uint64_t bps, int64_t now_us);

/* A smoothed round-trip time from receiver reports. */
void okno_sub_bwe_on_rtt(struct okno_sub_bwe *b, int64_t rtt_us, int64_t now_us);

/* Receiver reports' loss: fraction_lost (0..255) over packets packets. */
void okno_sub_bwe_on_loss(struct okno_sub_bwe *b, uint8_t fraction_lost, uint32_t packets,
                          int64_t now_us);

/* Asks the estimator for its estimate as of now_us (its timers move on), keeps and logs it. The
 * room timer calls it so an estimate also moves between feedback packets. */
void okno_sub_bwe_update(struct okno_sub_bwe *b, int64_t now_us);

/* What the allocator would like to send on the transport now, in bits per second: the rate of its
 * videos' next layers when the estimate keeps them below (allocator.h want_bps summed with what
 * is sent), 0 when it wants nothing more. The transport's prober (sfu/participant_probe.h) pads
 * what is sent up to it, never above the estimate, so a send-side estimate held under what is
 * acknowledged can grow to show room for the next layer (libwebrtc pads up to the next layer's
 * minimum the same way). Kept until set again. */
void okno_sub_bwe_set_wanted_bps(struct okno_sub_bwe *b, uint32_t wanted_bps);

/* What okno_sub_bwe_set_wanted_bps set; 0: nothing. */
uint32_t okno_sub_bwe_wanted_bps(const struct okno_sub_bwe *b);

/* The latest estimate. Returns 0 and fills *out; OKNO_E_NOTFOUND when there is none (no plugin,
 * or no target yet). */
int okno_sub_bwe_estimate(const struct okno_sub_bwe *b, struct okno_bwe_estimate *out);

/* What the history says about transport-wide sequence number seq: 0 and *out, or OKNO_E_NOTFOUND
 * (never sent, or overwritten since). */
int okno_sub_bwe_sent(const struct okno_sub_bwe *b, uint16_t seq, struct okno_sub_bwe_slot *out);

/* The estimator's counters (zero without a plugin or when it keeps none) and the plumbing's own. */
void okno_sub_bwe_counters(const struct okno_sub_bwe *b, struct okno_sub_bwe_counters *mine,
                           struct okno_bwe_counters *plugin);

#endif
