#include "overuse.h"

#include <math.h>

#define K_UP            0.01
#define K_DOWN          0.00018
#define THRESHOLD_MIN   6.0
#define THRESHOLD_MAX   600.0
#define THRESHOLD_START 12.5
#define OVERUSE_MS      10.0
/* A trend this far above gamma is an outlier (a delay spike), not a level to adapt to. */
#define MAX_ADAPT_JUMP 15.0
#define MAX_STEP_MS    100.0

void okno_gcc_overuse_init(struct okno_gcc_overuse *o)
{
    o->threshold = THRESHOLD_START;
    o->last_update_us = -1;
    o->time_over_ms = -1;
    o->count = 0;
    o->prev_trend = 0;
    o->last_modified = 0;
    o->usage = OKNO_GCC_NORMAL;
}

static void adapt(struct okno_gcc_overuse *o, double modified, int64_t now_us)
{
    if (o->last_update_us < 0)
        o->last_update_us = now_us;
    double a = fabs(modified);
    if (a > o->threshold + MAX_ADAPT_JUMP) {
        o->last_update_us = now_us;
        return;
    }
    double k = a < o->threshold ? K_DOWN : K_UP;
    double dt_ms = (double)(now_us - o->last_update_us) / 1000.0;
    if (dt_ms > MAX_STEP_MS)
        dt_ms = MAX_STEP_MS;
    if (dt_ms < 0)
        dt_ms = 0;
    o->threshold += k * (a - o->threshold) * dt_ms;
    if (o->threshold < THRESHOLD_MIN)
        o->threshold = THRESHOLD_MIN;
    if (o->threshold > THRESHOLD_MAX)
        o->threshold = THRESHOLD_MAX;
    o->last_update_us = now_us;
}

enum okno_gcc_usage okno_gcc_overuse_detect(struct okno_gcc_overuse *o, double modified_trend,
                                            double trend, double send_delta_ms, uint32_t num_deltas,
                                            int64_t now_us)
{
    o->last_modified = modified_trend;
    if (num_deltas < 2)
        return OKNO_GCC_NORMAL;
    if (modified_trend > o->threshold) {
        if (o->time_over_ms < 0)
            o->time_over_ms = send_delta_ms / 2;
        else
            o->time_over_ms += send_delta_ms;
        o->count++;
        if (o->time_over_ms > OVERUSE_MS && o->count > 1 && trend >= o->prev_trend) {
            o->time_over_ms = 0;
            o->count = 0;
            o->usage = OKNO_GCC_OVERUSE;
        }
    } else if (modified_trend < -o->threshold) {
        o->time_over_ms = -1;
        o->count = 0;
        o->usage = OKNO_GCC_UNDERUSE;
    } else {
        o->time_over_ms = -1;
        o->count = 0;
        o->usage = OKNO_GCC_NORMAL;
    }
    o->prev_trend = trend;
    adapt(o, modified_trend, now_us);
    return o->usage;
}
