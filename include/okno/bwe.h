/* The ops of a plugin of kind "bwe": send-side bandwidth estimation for the transports okno sends
 * media on (a subscriber's connection). The descriptor's ops points to a struct okno_bwe_ops.
 *
 * The core keeps the mechanism: it numbers every RTP packet it sends on a transport with one
 * transport-wide sequence number (the transport-wide-cc header extension), remembers when each
 * left and how big it was, parses what the receiver reports back (transport-cc feedback, REMB,
 * receiver reports) and matches the feedback against what it sent. The plugin holds the policy:
 * what those observations say about the link's capacity. It creates one estimator per transport
 * and returns, when asked, the rate okno should send at. It never sends, paces or drops anything.
 *
 * Threading: create, destroy and every estimator call happen on the media worker that owns the
 * transport; different transports' estimators are used from different workers at the same time, so
 * create and destroy must be thread-safe (read only what init wrote), and an estimator must not be
 * shared between transports. No call may block. Nothing the host passes is kept after the call.
 *
 * Appended entries follow struct okno_host_api's rule: check OKNO_BWE_OPS_HAS() before use. */
#ifndef OKNO_BWE_H
#define OKNO_BWE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "okno/plugin.h"

#define OKNO_BWE_KIND "bwe"

/* The transport an estimator is made for, for the plugin's logs. Strings are the host's, valid for
 * the duration of create only. */
struct okno_bwe_transport {
    const char *room;
    const char *participant;
    const char *direction; /* "subscriber": okno sends media to the participant */
    /* Where the host would have the estimate start, from what the client's link carried on an
     * earlier connection; 0: no hint. A plugin may start lower, should not start higher. */
    uint32_t start_bps;
};

/* One RTP packet okno sent on the transport. */
struct okno_bwe_sent {
    uint16_t seq;    /* transport-wide sequence number, as stamped */
    uint32_t bytes;  /* the whole RTP packet, header and extensions included, before SRTP */
    int64_t send_us; /* okno's monotonic clock */
    bool probe;      /* part of a probe cluster (padding or RTX sent to probe the link) */
};

/* One packet as a transport-cc feedback reported it, matched against okno's send history. */
struct okno_bwe_fb_entry {
    uint16_t seq;
    bool received;
    /* The receiver's clock (reference time * 64 ms + deltas * 250 us, as the packet says), only
     * meaningful when received. */
    int64_t arrival_us;
    /* From okno's send history: when it was sent and its size; send_us is -1 when the history
     * does not know the sequence number (never sent, or too old). */
    int64_t send_us;
    uint32_t bytes;
    bool probe;
};

/* One transport-cc feedback packet (RTPFB FMT 15), in sequence number order. A feedback packet
 * reporting more packets than the host's buffer is handed over in consecutive parts: first is true
 * on the first part only. */
struct okno_bwe_feedback {
    const struct okno_bwe_fb_entry *entries;
    size_t n;
    bool first;
    uint8_t fb_count; /* the packet's feedback packet count */
    int32_t ref_time; /* 64 ms units, sign-extended from 24 bits: the base of arrival_us */
    uint32_t sender_ssrc;
};

enum okno_bwe_usage { OKNO_BWE_NORMAL = 0, OKNO_BWE_UNDERUSE, OKNO_BWE_OVERUSE };
enum okno_bwe_state { OKNO_BWE_HOLD = 0, OKNO_BWE_INCREASE, OKNO_BWE_DECREASE };

/* What an estimator says about its link. The host zeroes it before asking; fields a plugin does
 * not compute stay 0. Append only. */
struct okno_bwe_estimate {
    uint32_t target_bps;  /* what okno should send now; 0: no estimate yet */
    uint32_t delay_bps;   /* the delay-based part of it, 0: unknown */
    uint32_t loss_bps;    /* the loss-based part, 0: unknown */
    uint32_t acked_bps;   /* throughput the receiver acknowledged lately, 0: unknown */
    double loss_ratio;    /* smoothed fraction of packets lost, 0..1 */
    bool congestive_loss; /* the loss comes with queuing delay: congestion, not a radio link */
    enum okno_bwe_usage usage;
    enum okno_bwe_state state;
    int64_t queue_delay_us; /* one-way queuing delay estimate */
    int64_t rtt_us;         /* 0: unknown */
    bool probe_wanted;      /* the sender should probe at probe_bps now */
    uint32_t probe_bps;
};

struct okno_bwe_counters {
    uint64_t feedbacks, packets_acked, packets_lost, unknown_seq, overuse_events, probes;
};

struct okno_bwe_ops {
    /* sizeof(struct okno_bwe_ops) as the plugin was built. */
    uint32_t size;
    /* Makes an estimator for one transport into *est. Returns 0 or a negative OKNO_E_* code (the
     * transport then runs without an estimate). */
    int (*create)(void *state, const struct okno_bwe_transport *t, int64_t now_us, void **est);
    void (*destroy)(void *state, void *est);
    /* A packet left (called for every one, in sending order). */
    void (*on_packet_sent)(void *est, const struct okno_bwe_sent *pkt);
    /* A transport-cc feedback arrived at now_us. */
    void (*on_feedback)(void *est, const struct okno_bwe_feedback *fb, int64_t now_us);
    /* The receiver's REMB (where transport-cc was not negotiated, or on top of it). */
    void (*on_remb)(void *est, uint64_t bps, int64_t now_us);
    /* A round-trip time measured from a receiver report's LSR/DLSR. */
    void (*on_rtt)(void *est, int64_t rtt_us, int64_t now_us);
    /* A receiver report's fraction lost (0..255) over packets sent since its previous report. */
    void (*on_loss_report)(void *est, uint8_t fraction_lost, uint32_t packets, int64_t now_us);
    /* The estimate as of now_us (may advance the estimator's timers). */
    void (*estimate)(void *est, int64_t now_us, struct okno_bwe_estimate *out);
    /* Counters since create; may be NULL. */
    void (*counters)(void *est, struct okno_bwe_counters *out);
};

#define OKNO_BWE_OPS_HAS(ops, member)                                                              \
    ((ops)->size >= offsetof(struct okno_bwe_ops, member) + sizeof((ops)->member))

/* The entries every bwe plugin must have (a host refuses a plugin without them): all but counters.
 */
#define OKNO_BWE_OPS_MIN_SIZE (offsetof(struct okno_bwe_ops, estimate) + sizeof(void (*)(void)))

static inline bool okno_bwe_ops_valid(const struct okno_bwe_ops *ops)
{
    return ops && ops->size >= OKNO_BWE_OPS_MIN_SIZE && ops->create && ops->destroy &&
           ops->on_packet_sent && ops->on_feedback && ops->on_remb && ops->on_rtt &&
           ops->on_loss_report && ops->estimate;
}

#endif
