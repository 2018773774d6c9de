/* The overuse detector of the delay-based estimator: compares the modified trend (trendline.h)
 * with an adaptive threshold gamma (draft-ietf-rmcat-gcc-02 section 5.4-5.6). Overuse is signalled
 * when the trend stays above gamma for more than 10 ms and over at least two samples while not
 * falling; underuse when it is below -gamma. gamma follows |trend| slowly (K_u = 0.01 when the
 * trend is above it, K_d = 0.00018 below, per ms, clamped to 6..600) so that the detector neither
 * starves against a concurrent TCP flow nor fires on noise. It deliberately knows nothing of rates.
 */
#ifndef OKNO_PLUGINS_GCC_OVERUSE_H
#define OKNO_PLUGINS_GCC_OVERUSE_H

#include <stdint.h>

#include "gcc.h"

struct okno_gcc_overuse {
    double threshold;       /* gamma, ms (modified trend units) */
    int64_t last_update_us; /* -1 before the first sample */
    double time_over_ms;    /* < 0: not above the threshold */
    int count;
    double prev_trend;
    double last_modified;
    enum okno_gcc_usage usage;
};

void okno_gcc_overuse_init(struct okno_gcc_overuse *o);

/* One trendline sample at (the receiver's) now_us. Returns the usage it implies; the state holds
 * (an earlier overuse stays) until a sample decides otherwise. */
enum okno_gcc_usage okno_gcc_overuse_detect(struct okno_gcc_overuse *o, double modified_trend,
                                            double trend, double send_delta_ms, uint32_t num_deltas,
                                            int64_t now_us);

#endif
