/* A hint that the link got faster than the target, from the media itself: a pacer releases a few
 * packets at once every few milliseconds, and a bottleneck spreads such a pair to its own
 * serialization time, so bytes / arrival gap of two packets sent together is the rate the path
 * carried them at: the capacity while the link is the limit (1.0 Mbit/s: 9.6 ms per 1200 bytes),
 * more once it is not. When three quarters of the last second's pairs (their lower quartile) say
 * more than 1.5 x the target, the link very likely carries more than the estimate, which the delay
 * gradient cannot tell (nothing queues) and acknowledged rates do not (they show what was sent):
 * without the hint the rise is found by the next periodic probe, up to 5 s later (probe.h;
 * rfc8867-5.1's step to 2.5 Mbit/s was found after 3.8-4.7 s). The hint asks for that probe now,
 * and the probe's result, not the pairs, moves the estimate. A jittery path spreads and bunches
 * pairs at random; the lower quartile stays near the link's rate there (edge's 240 kbit/s). Hints
 * are spaced by OKNO_GCC_RISE_GAP_US. Pure: time is a parameter; nothing is allocated; it
 * deliberately does not probe. */
#ifndef OKNO_PLUGINS_GCC_RISE_HINT_H
#define OKNO_PLUGINS_GCC_RISE_HINT_H

#include <stdbool.h>
#include <stdint.h>

#define OKNO_GCC_RISE_GAP_US 2000000
#define OKNO_GCC_RISE_PAIRS  32

struct okno_gcc_rise {
    struct {
        int64_t at_us; /* arrival of the pair's second packet */
        double bps;
    } pair[OKNO_GCC_RISE_PAIRS];
    unsigned head, n;
    int64_t last_hint_us; /* -1: never */
};

void okno_gcc_rise_init(struct okno_gcc_rise *r);

/* Two media packets reported received in a row: the second's size, and the gaps between their
 * sends and between their arrivals. Only a pair sent together (within 1 ms) and not arrived
 * together (a bunching says nothing of a rate) is kept. */
void okno_gcc_rise_on_pair(struct okno_gcc_rise *r, uint32_t bytes, int64_t send_gap_us,
                           int64_t arrival_gap_us, int64_t arrival_us);

/* After a feedback at now_us: returns true when a probe should be asked now because the link
 * seems to carry well above target_bps. A hint forgets the pairs: the next one needs new ones. */
bool okno_gcc_rise_check(struct okno_gcc_rise *r, uint32_t target_bps, int64_t now_us);

#endif
