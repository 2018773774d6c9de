/* Probing of a participant's subscriber connection on the room's worker (the glue around
 * sfu/prober.h, driven by the pacer glue, sfu/participant_pacer.h): when the connection's estimate
 * asks for a probe (okno/bwe.h probe_wanted), a cluster at probe_bps goes through the pacer's
 * padding class, every packet that leaves while it runs (media too) marked probe for the
 * estimator (sfu/sub_bwe.h); when the allocator wants more than is sent
 * (okno_sub_bwe_set_wanted_bps), padding fills what is sent up to that, at most the estimate. The
 * packets are RTX copies of recent video or padding-only RTX (sfu/downtrack_probe.h) of a video
 * subscription whose client negotiated RTX, so nothing is probed without transport-wide-cc
 * (REMB-only clients estimate on their side) or without such a subscription, and the media
 * numbering is never touched. Packets are written into one buffer made at open and copied into the
 * pacer's slots: nothing is allocated per packet. It deliberately does not pace (the pacer does) or
 * judge the probe (the estimator does). */
#ifndef OKNO_SFU_PARTICIPANT_PROBE_H
#define OKNO_SFU_PARTICIPANT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfu/prober.h"

struct okno_participant;
struct okno_bwe_estimate;

/* Padding packets made per pacer step at most. */
#define OKNO_PARTICIPANT_PROBE_MAX_PKTS 32

/* Makes p's prober (once). Cannot fail. */
void okno__participant_probe_open(struct okno_participant *p);

/* Frees it. No-op without one. */
void okno__participant_probe_close(struct okno_participant *p);

/* A pacer step at now_us with the connection's estimate (NULL: none): starts a cluster when the
 * estimate asks for one and the connection can probe, and sets the fill rate. Returns the rate the
 * pacer should pace at: the estimate's target, raised to the cluster's rate while one runs. */
uint32_t okno__participant_probe_plan(struct okno_participant *p,
                                      const struct okno_bwe_estimate *est, int64_t now_us);

/* Queues the padding due at now_us (the running cluster's, or fill) in the pacer's padding class;
 * queued_bytes is what already waits in the pacer. Returns the packets queued. */
unsigned okno__participant_probe_pad(struct okno_participant *p, uint64_t queued_bytes,
                                     int64_t now_us);

/* A packet of len bytes leaves the pacer at now_us (padding: of the padding class). Returns true
 * when it is part of a probe cluster (mark it so); *done when it completed the cluster (ask the
 * estimate again once it is numbered, so the next request of an exponential search is seen at
 * once). */
bool okno__participant_probe_on_sent(struct okno_participant *p, size_t len, bool padding,
                                     int64_t now_us, bool *done);

/* Whether the pacer's timer must keep stepping for the prober (a cluster runs or fill is on). */
bool okno__participant_probe_busy(const struct okno_participant *p);

/* The prober's counters; zeroes without one. */
void okno_participant_probe_stats(const struct okno_participant *p,
                                  struct okno_prober_counters *out);

#endif
