/* okno-bench call's evidence figures (issue 5's table) for one direction, computed from the
 * direction's report object (report.h) and the link's queue delays once the run is over:
 *
 *   queue_delay_ms {p50, p95, max}: time the direction's packets spent in the emulated link's
 *     bottleneck queue (arrival to the end of serialization), from when both published; from a
 *     histogram with 10 % bins, so each is an upper bound within 10 % (max is exact when the
 *     longest wait of the run came after both published);
 *   freeze_ms_max_after_5s: the longest freeze (webrtc-stats) that started at least 5 s into the
 *     timeline, a stall still going at the end counted from its last frame when it is >= 500 ms;
 *   recovery: one object per capacity change of the profile's schedule in this direction within
 *     the run (an outage's start is not one, its end is), recovery_ms_max and
 *     layer_recovery_ms_max. bench/README.md defines both recovery times exactly
 *     (okno_evidence_recovery below).
 *
 * Deliberately not here: collecting the figures (call.c and call_second.c do) and judging them. */
#ifndef OKNO_BENCH_CALL_EVIDENCE_H
#define OKNO_BENCH_CALL_EVIDENCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "linkemu/qdelay.h"
#include "linkemu/schedule.h"

#define OKNO_EVIDENCE_FREEZE_AFTER_S 5.0
#define OKNO_EVIDENCE_STALL_MS       500.0
#define OKNO_EVIDENCE_REF_FROM_S     5.0 /* the reference window after a change */
#define OKNO_EVIDENCE_REF_TO_S       10.0
#define OKNO_EVIDENCE_RECOVERED      0.85 /* of the reference */
#define OKNO_EVIDENCE_HOLD_S         3    /* seconds in a row at or above it */
#define OKNO_EVIDENCE_MAX_CHANGES    64

/* A change of the capacity one link direction offers. */
struct okno_capacity_change {
    double t_s;                     /* on the timeline's clock (0: both published) */
    double before_kbps, after_kbps; /* NAN: unlimited; 0: an outage */
};

/* The capacity changes of link direction link_dir (0 up, 1 down) between schedule times from_us
 * and to_us, written to out (at most cap) with times on the timeline's clock (schedule time
 * minus t0_offset_us). Returns how many. */
size_t okno_evidence_changes(const struct okno_schedule *s, int link_dir, int64_t t0_offset_us,
                             int64_t to_us, struct okno_capacity_change *out, size_t cap);

/* The longest freeze of dir (its "freeze_intervals", "last_frame_ago_ms") starting at or after
 * after_s of a run end_s long, in ms; 0 when none. */
double okno_evidence_freeze_max_after(const json_t *dir, double after_s, double end_s);

/* Recovery after one change, from a direction's "timeline" (seconds ending at t, each with
 * video_kbps and height). The reference is the median video_kbps of the seconds lying within
 * [t_s + 5, t_s + 10]; the recovery time is from the change to the start of the first second
 * (among those starting at or after the change, to the nearest second) from which the video rate
 * stays at or above 85 % of the reference for 3 seconds in a row (the run may go on past the
 * window), 0 when that is the first second. The layer recovery is the same with the height of
 * the last frame shown in each second (0 when none) and the median height itself as the
 * threshold: issue 5's "video back to the top layer that fits", the layer being the one the
 * stream settles on 5-10 s after the change. Returns {t_s, capacity_kbps_before,
 * capacity_kbps_after, reference_kbps, recovery_ms, recovered, layer_reference_height,
 * layer_recovery_ms, layer_recovered}: a recovery_ms null and its recovered false when it never
 * did within the window, both null when the window is not complete (the run ended) or the
 * reference is 0. */
json_t *okno_evidence_recovery(const json_t *timeline, const struct okno_capacity_change *ch);

/* Sets queue_delay_ms, freeze_ms_max_after_5s, recovery, recovery_ms_max and
 * recovery_unrecovered (changes not recovered within the window) on dir. qdelay are the delays
 * since both published, max_us the link's longest queue delay of the run. */
void okno_evidence_set(json_t *dir, const struct okno_qdelay_hist *qdelay, int64_t max_us,
                       const struct okno_capacity_change *changes, size_t n_changes, double end_s);

#endif
