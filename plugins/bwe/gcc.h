/* A send-side bandwidth estimator after Google Congestion Control (draft-ietf-rmcat-gcc-02 with
 * transport-wide feedback, as libwebrtc runs it), as a pure library: the sender reports every
 * packet it sends and every feedback it gets, and asks for the rate it should send at. A
 * delay-based part (send-time grouping, trendline of the one-way delay variation, adaptive
 * threshold, AIMD rate control) and a loss-based part give the target, which is their minimum
 * clamped to the configured bounds; probe clusters are asked for when the estimate needs to grow
 * faster than AIMD lets it.
 *
 * Unlike libwebrtc's loss-based v1, loss is judged congestive only when it comes with a filled
 * queue (the packet after a loss and every one received over the 100 ms before it met a queuing
 * delay near the largest seen lately, so a jitter spike next to a loss is not one):
 * random loss on a radio link only slows increases and trims the rate by at most 20 %, congestive
 * loss backs off as GCC says, judged only on packets sent since the last decrease and never below
 * 0.85 x the delivered rate (a capacity drop's overflow, made by what was in flight before the cut
 * or by a forwarded stream that comes down late, does not cut a second time); a probe result lifts
 * it. Two more departures from plain GCC: a standing queue the trend cannot see (filled by a probe
 * or a capacity drop, no longer growing) is drained once by going below the acknowledged rate (and
 * the rate returns to 0.85 x that once it is empty), and the base delay is measured anew when that
 * does not lower it (a longer path, not a queue); and the acknowledged rate counts only the arrival
 * time feedback covered, so lost feedback is not read as a slower link.
 *
 * Time is always a parameter (a monotonic microsecond clock) and nothing is allocated after
 * create. It deliberately does not pace, send or parse anything itself (src/wire/twcc.h parses the
 * feedback), keeps no timer (okno_gcc_estimate advances it) and is not thread-safe: one estimator
 * per transport, used from one thread. */
#ifndef OKNO_PLUGINS_GCC_H
#define OKNO_PLUGINS_GCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct okno_twcc_fb; /* src/wire/twcc.h */

struct okno_gcc_config {
    uint32_t min_bps, start_bps, max_bps; /* 0: 30 kbit/s, 300 kbit/s, 10 Mbit/s */
    bool no_probing; /* never ask for probe clusters (A/B runs); false: probe (probe.h) */
};

enum okno_gcc_usage { OKNO_GCC_NORMAL, OKNO_GCC_UNDERUSE, OKNO_GCC_OVERUSE };
enum okno_gcc_state { OKNO_GCC_HOLD, OKNO_GCC_INCREASE, OKNO_GCC_DECREASE };

struct okno_gcc_estimate {
    uint32_t
        target_bps; /* what the sender should send now: min(delay-based, loss-based), clamped */
    uint32_t delay_bps, loss_bps;
    uint32_t acked_bps; /* throughput the receiver acknowledged over the last ~500 ms; 0 unknown */
    double loss_ratio;  /* smoothed fraction of packets lost, 0..1 */
    bool congestive_loss; /* current loss is judged congestive (comes with queuing-delay growth) */
    enum okno_gcc_usage usage;
    enum okno_gcc_state state;
    double trend_ms; /* modified trend (threshold units) and the adaptive threshold */
    double threshold_ms;
    int64_t queue_delay_us; /* current one-way queuing delay estimate (min-filtered) */
    int64_t rtt_us;         /* last RTT given or measured; 0 unknown */
    bool probe_wanted;      /* the sender should send a probe cluster now (padding/RTX) */
    uint32_t probe_bps;     /* at this rate, for about 15-20 ms / >= 5 packets */
};

struct okno_gcc;

/* Makes an estimator into *out (owned by the caller: okno_gcc_destroy). cfg may be NULL for the
 * defaults. Returns 0, OKNO_E_INVAL for min > start, start > max or max above 10 Gbit/s,
 * OKNO_E_NOMEM. */
int okno_gcc_create(const struct okno_gcc_config *cfg, int64_t now_us, struct okno_gcc **out);

/* NULL is a no-op. */
void okno_gcc_destroy(struct okno_gcc *g);

/* A packet carrying transport-wide sequence number seq (as stamped, 16 bit) left at send_us; bytes
 * is the whole RTP packet size; probe marks packets of a probe cluster (padding or RTX sent to
 * probe). When an estimate says probe_wanted, send at probe_bps in all for 15-20 ms and at least
 * 5 packets, marking every packet of that burst (media ones too) as probe; the request clears once
 * enough was sent, or after 1 s unanswered. */
void okno_gcc_on_packet_sent(struct okno_gcc *g, uint16_t seq, size_t bytes, int64_t send_us,
                             bool probe);

/* A transport-cc feedback packet (parsed by src/wire/twcc.h) arrived at now_us. Returns 0 or a
 * negative okno error (feedback about packets never sent is counted and ignored, never an error
 * that stops use). */
int okno_gcc_on_feedback(struct okno_gcc *g, const struct okno_twcc_fb *fb, int64_t now_us);

/* One packet a feedback reported, for a host that parsed the feedback itself (as okno's bwe plugin
 * API hands it over). arrival_us as okno_twcc_iter_next gives it: the reference time
 * (sign-extended from 24 bits) * 64 ms plus the deltas; meaningful only when received. */
struct okno_gcc_fb_entry {
    uint16_t seq;
    bool received;
    int64_t arrival_us;
};

/* The same as okno_gcc_on_feedback for entries[0..n) of one feedback packet in sequence order; a
 * packet handed over in parts may be given in consecutive calls. Returns 0, or OKNO_E_INVAL for a
 * NULL estimator, or NULL entries with n > 0. */
int okno_gcc_on_feedback_entries(struct okno_gcc *g, const struct okno_gcc_fb_entry *entries,
                                 size_t n, int64_t now_us);

/* Round-trip time from RTCP (RR LSR/DLSR) when known. */
void okno_gcc_on_rtt(struct okno_gcc *g, int64_t rtt_us, int64_t now_us);

/* Fallbacks where transport-cc was not negotiated: the receiver's REMB, and RR fraction lost
 * (0..255) over packets packets. */
void okno_gcc_on_remb(struct okno_gcc *g, uint64_t bps, int64_t now_us);
void okno_gcc_on_loss_report(struct okno_gcc *g, uint8_t fraction_lost, uint32_t packets,
                             int64_t now_us);

/* The current estimate as of now_us (advances timers: e.g. rate increase while feedback keeps
 * coming). */
void okno_gcc_estimate(struct okno_gcc *g, int64_t now_us, struct okno_gcc_estimate *out);

/* Counters for reports/tests. */
struct okno_gcc_stats {
    uint64_t feedbacks, packets_acked, packets_lost, unknown_seq, overuse_events, probes;
    uint64_t duplicates; /* reports of packets already reported received (or lost twice) */
    uint64_t drains;     /* standing queues drained by a one-off decrease */
    uint64_t rebases;    /* base delay measured anew: the path got longer, it was no queue */
    uint64_t rise_hints; /* probes asked as media pairs said the link got faster (rise_hint.h) */
};
void okno_gcc_stats(const struct okno_gcc *g, struct okno_gcc_stats *out);

#endif
