/* The delay-based rate controller (draft-ietf-rmcat-gcc-02 section 5.5, libwebrtc's
 * AimdRateControl): a state machine driven by the overuse detector's signal. Overuse moves it to
 * Decrease (rate = 0.85 x the acknowledged rate, at most once per round trip), underuse to Hold
 * (let the queue drain), normal from Hold to Increase. The increase is multiplicative (8 %/s) while
 * the link capacity is unknown or clearly exceeded, additive (about one packet per response time)
 * near the capacity estimated from the acknowledged rates at earlier decreases; it never runs far
 * ahead of what the receiver acknowledges, and not ahead at all while a queue stands (the link
 * already carries all it can: more only lengthens the queue, which the trendline, its threshold
 * raised by an earlier collapse, may not flag before it overflows). It deliberately does not look
 * at loss (loss_based.h) or probe (probe.h): a probe result is handed in with okno_gcc_aimd_raise.
 */
#ifndef OKNO_PLUGINS_GCC_AIMD_H
#define OKNO_PLUGINS_GCC_AIMD_H

#include <stdbool.h>
#include <stdint.h>

#include "gcc.h"

struct okno_gcc_aimd {
    double min_bps, max_bps;
    double rate_bps;
    enum okno_gcc_state state;
    int64_t last_change_us;   /* -1: no update yet */
    int64_t last_decrease_us; /* -1: never */
    int64_t rtt_us;
    /* link capacity: exponential average (and variance, normalised) of the acknowledged rate at
       overuse, in kbit/s */
    bool cap_valid;
    double cap_kbps, cap_var;
    bool queued; /* a queue stands (okno_gcc_aimd_set_queued) */
};

void okno_gcc_aimd_init(struct okno_gcc_aimd *a, uint32_t min_bps, uint32_t start_bps,
                        uint32_t max_bps);

/* One feedback's verdict at now_us: usage from the detector, acked_bps the receiver's recent
 * throughput (0 unknown), increase_scale in 0..1 slows increases (random loss). Returns the rate.
 */
uint32_t okno_gcc_aimd_update(struct okno_gcc_aimd *a, enum okno_gcc_usage usage,
                              uint32_t acked_bps, double increase_scale, int64_t now_us);

/* A measurement (probe result) says the link carries at least bps: jump there if higher. */
void okno_gcc_aimd_raise(struct okno_gcc_aimd *a, uint32_t bps, int64_t now_us);

/* The link limited a start probe to bps (probe.h): before any feedback the rate is the start
 * rate, a guess; this is a measurement of the link. A lower rate is taken at once (as libwebrtc
 * sets its estimate from a probe result), and it is the capacity known, so the increase after it
 * is additive. */
void okno_gcc_aimd_link_limited(struct okno_gcc_aimd *a, uint32_t bps, int64_t now_us);

/* A standing queue the trend cannot see (it no longer grows): brings the rate down to bps, if
 * lower, and holds, so that the queue drains. */
void okno_gcc_aimd_drain(struct okno_gcc_aimd *a, double bps, int64_t now_us);

/* Scales the rate down (no feedback for a long time), not below the minimum. */
void okno_gcc_aimd_cut(struct okno_gcc_aimd *a, double factor, int64_t now_us);

/* Whether the queuing delay says a queue stands now: while it does, the rate climbs no higher than
 * the acknowledged rate (plus a packet or so), instead of 1.5 x it. */
void okno_gcc_aimd_set_queued(struct okno_gcc_aimd *a, bool queued);

void okno_gcc_aimd_set_rtt(struct okno_gcc_aimd *a, int64_t rtt_us);

#endif
