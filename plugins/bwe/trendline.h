/* The delay-based estimator's measurement: packets are grouped by send time (a group is what left
 * within 5 ms, plus packets that arrived in a burst behind it), and for each pair of consecutive
 * groups the inter-group delay variation d = (arrival delta) - (send delta) is accumulated into
 * the one-way delay gradient. A linear fit over the last 20 smoothed accumulated delays against
 * arrival time gives the trend (draft-ietf-rmcat-gcc-02 section 5, libwebrtc's
 * TrendlineEstimator): a positive slope means a queue is growing. It deliberately does not decide
 * over- or underuse (overuse.h) nor look at loss. */
#ifndef OKNO_PLUGINS_GCC_TRENDLINE_H
#define OKNO_PLUGINS_GCC_TRENDLINE_H

#include <stdbool.h>
#include <stdint.h>

#define OKNO_GCC_TREND_WINDOW 20

struct okno_gcc_group {
    int64_t first_send_us, last_send_us;
    int64_t first_arrival_us, last_arrival_us;
};

struct okno_gcc_trend {
    bool have_cur, have_prev;
    struct okno_gcc_group cur, prev;
    int reordered; /* consecutive negative arrival deltas, to resynchronise after a clock jump */
    /* the trendline */
    bool have_first;
    int64_t first_arrival_us;
    double acc_delay_ms, smoothed_ms;
    double x[OKNO_GCC_TREND_WINDOW], y[OKNO_GCC_TREND_WINDOW];
    int n, head;
    uint32_t num_deltas;
    double slope;
};

/* What one completed group pair says. */
struct okno_gcc_trend_sample {
    double trend;          /* slope of the fit, ms of delay per ms */
    double modified_trend; /* min(deltas, 60) * slope * 4: compared with the threshold */
    double send_delta_ms;
    int64_t arrival_us; /* of the group that completed the pair */
    uint32_t num_deltas;
};

void okno_gcc_trend_init(struct okno_gcc_trend *t);

/* One received packet, fed in sequence order with the receiver's (unwrapped) arrival time.
 * Returns true and fills *out when it completed a group, giving a new delay-variation sample. */
bool okno_gcc_trend_on_packet(struct okno_gcc_trend *t, int64_t send_us, int64_t arrival_us,
                              struct okno_gcc_trend_sample *out);

#endif
