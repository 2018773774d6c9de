/* okno-bench load's publisher pacing, as libwebrtc's pacer paces a browser's video: a budget
 * (IntervalBudget without underuse build-up) that every process step refills with the elapsed
 * time's bytes at the pacing rate, never carrying a surplus over, and packets leave while it is
 * positive, the last one taking it below zero. Pure: the caller owns the clock and the sending.
 * Deliberately not here: priorities between kinds (the publisher sends audio at once). */
#ifndef OKNO_BENCH_LOAD_PACE_H
#define OKNO_BENCH_LOAD_PACE_H

#include <stdbool.h>
#include <stdint.h>

/* Elapsed time counted at most per refill, so a stalled worker does not then send a burst. */
#define OKNO_LOAD_PACE_MAX_ELAPSED_US 30000

/* The budget after dt_us more at bytes_per_us: a debt is paid off, a surplus is not kept. */
static inline double okno_load_pace_refill(double budget, int64_t dt_us, double bytes_per_us)
{
    if (dt_us <= 0)
        return budget;
    if (dt_us > OKNO_LOAD_PACE_MAX_ELAPSED_US)
        dt_us = OKNO_LOAD_PACE_MAX_ELAPSED_US;
    double add = (double)dt_us * bytes_per_us;
    return budget < 0 ? budget + add : add;
}

/* Whether a packet may leave now; sending it then takes its length off the budget. */
static inline bool okno_load_pace_may_send(double budget)
{
    return budget > 0;
}

#endif
