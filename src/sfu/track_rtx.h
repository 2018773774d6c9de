/* Loss recovery of one published track, as counters and configuration: how often okno asked the
 * publisher for lost packets, how many came back, how many were given up because they could no
 * longer be played, and what the track's subscriptions did with their clients' NACKs and with the
 * recovered packets (summed over the downtracks that still exist). The counters are read here from
 * the NACK generators and downtracks that keep them; the track logs them when it ends so an
 * operator (and tests) can see them. It deliberately does not decide anything: the deadlines are
 * applied by sfu/nack_generator.h (upstream) and sfu/downtrack.h (per subscriber). */
#ifndef OKNO_SFU_TRACK_RTX_H
#define OKNO_SFU_TRACK_RTX_H

#include <stdbool.h>
#include <stdint.h>

#include "sfu/nack_generator.h"
#include "sfu/pacer.h"

struct okno_participant;
struct okno_track;
struct okno_subscription;

struct okno_track_rtx_stats {
    /* Upstream, summed over the track's encodings. */
    uint64_t nacked_upstream;   /* sequence numbers put into NACKs to the publisher, repeats too */
    uint64_t recovered;         /* lost packets that came back after a NACK */
    uint64_t too_late_upstream; /* lost packets no longer asked for: past the playout budget */
    uint64_t given_up;          /* lost packets never recovered (too old, a keyframe came) */
    uint64_t collapses;         /* keyframes asked for on an uplink collapse (collapse_watch.h) */
    /* Downstream, summed over the track's subscriptions. */
    uint64_t nacks_received; /* sequence numbers subscribers asked for */
    uint64_t retransmitted;  /* answered from the cache */
    uint64_t forwarded_late; /* recovered packets sent into the gap kept for them */
    uint64_t too_late;       /* not sent, past the subscriber's playout deadline (NACK or late) */
    uint64_t not_in_cache;   /* NACKs for a number never sent or no longer cached */
};

/* The pacer class of a retransmission to a subscriber: audio goes with audio, first (a lost audio
 * packet is heard at once, a video one costs a frame the decoder may still conceal or wait for),
 * video as a retransmission, ahead of new video. */
enum okno_pacer_class okno_rtx_pacer_class(bool video);

/* The video playout budget in microseconds of the owner's SFU ([media] video_playout_budget_ms),
 * the NACK generator's deadline_us; 0 (no deadline) without one. */
int64_t okno_track_rtx_deadline_us(const struct okno_participant *owner);

/* The publisher-side NACK generator's configuration for a video track of owner: NACKs until the
 * playout deadline, and missing numbers remembered for twice that (at least the generator's 1 s),
 * so that a retransmission asked for near the deadline over a long publisher path (RTT of a second
 * or more on a 2G uplink with a full queue) is still recognised as recovered and forwarded, not
 * dropped as a duplicate. */
struct okno_nack_config okno_track_rtx_nack_config(const struct okno_participant *owner);

/* Adds one subscription's counters (its downtrack's) to *out; nothing without a downtrack. */
void okno_subscription_rtx_stats(const struct okno_subscription *sub,
                                 struct okno_track_rtx_stats *out);

/* The track's counters: its encodings' and its current subscriptions'. */
void okno_track_rtx_stats(const struct okno_track *t, struct okno_track_rtx_stats *out);

/* Logs "ID retransmission: ..." with the counters at info level. */
void okno_track_log_rtx(const struct okno_track *t);

/* Logs one subscription's counters at info level when it had any loss to deal with (called when
 * its downtrack goes away). */
void okno_subscription_log_rtx(const struct okno_subscription *sub);

#endif
