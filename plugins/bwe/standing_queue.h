/* Standing queues: a queuing delay above 50 ms for a second without overuse (or above 150 ms at
 * once) is a queue the trendline cannot see, because it no longer grows (filled by a probe, a
 * capacity drop, or the slow sawtooth of low rates; or a drop-tail queue pegged at its limit on a
 * lossy link, where the losses hide that it is full). It is drained: the rate goes below the
 * acknowledged one by the share that empties it in about a second (at most half), and does not
 * climb until the delay is under 25 ms. If the delay has not fallen 2 s later although we sent
 * less, and nothing was lost meanwhile (an overflowing queue is real, filled by other flows), the
 * path got longer: the base delay is to be measured anew. Otherwise, while the delay stays above
 * 150 ms, it is drained again every 2 s, each time below what then gets through (below that it is
 * left to the trendline: a jittery radio link keeps tens of ms above its fastest packet).
 * Once a drain has emptied the queue, the rate may return to 0.85 x what got through when it began
 * (the link was busy then, so that is its capacity, and 0.85 x is where an overuse would have put
 * it): the drain is a detour to empty the queue, not a new estimate to climb back from by a few
 * kbit/s a second.
 * It deliberately only decides; gcc.c applies the decisions to aimd.h and delivery.h. */
#ifndef OKNO_PLUGINS_GCC_STANDING_QUEUE_H
#define OKNO_PLUGINS_GCC_STANDING_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

/* Under this queuing delay the queue is gone (a drain ends, a new one may start); at or above it
 * a queue stands, which also stops the rate's climb at the acknowledged rate (aimd.h): jitter
 * alone seldom keeps every packet of a feedback this late. */
#define OKNO_GCC_STANDING_DRAINED_US 25000

struct okno_gcc_standing {
    int64_t high_since_us; /* the delay is above the bound since, -1: it is not */
    int64_t drain_at_us;   /* a drain runs since, -1: none */
    int64_t drain_q_us;
    uint64_t drain_lost;  /* packets lost so far, at the drain */
    uint32_t drain_acked; /* the acknowledged rate when it began */
    bool armed;           /* a drain may start (re-armed once the queue was gone) */
};

enum okno_gcc_standing_action {
    OKNO_GCC_STANDING_NONE = 0,
    OKNO_GCC_STANDING_DRAIN,   /* set the rate to *drain_bps and hold */
    OKNO_GCC_STANDING_REBASE,  /* measure the base delay anew */
    OKNO_GCC_STANDING_DRAINED, /* the queue is gone: the rate may return to *drain_bps */
};

void okno_gcc_standing_init(struct okno_gcc_standing *s);

/* After a feedback: the min-filtered queuing delay q_us, the acked rate (0 unknown), whether the
 * detector says overuse, the count of packets lost since the start. Returns what to do; for a
 * drain, the rate in *drain_bps, and for the end of one the rate it may return to. */
enum okno_gcc_standing_action okno_gcc_standing_check(struct okno_gcc_standing *s, int64_t q_us,
                                                      uint32_t acked_bps, bool overuse,
                                                      uint64_t packets_lost, int64_t now_us,
                                                      double *drain_bps);

/* A drain runs: the rate must not climb, nor take probe results (that would refill the queue). */
bool okno_gcc_standing_draining(const struct okno_gcc_standing *s);

#endif
