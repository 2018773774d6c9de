/* The monotonic clock the media path runs on, in microseconds. Loop glue reads it once per wake-up
 * and passes now_us down, so everything below the glue takes time as an argument and is tested with
 * made-up times. It deliberately offers no wall-clock time (that is for logs and reports, see
 * log.c) and no timers (those are GMainContext sources). */
#ifndef OKNO_CORE_CLOCK_H
#define OKNO_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Microseconds since an arbitrary fixed point (boot, on Linux); never goes backwards, unaffected by
 * wall-clock changes. Cannot fail on the systems okno runs on; returns 0 if the clock is missing.
 */
static inline int64_t okno_clock_now_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
