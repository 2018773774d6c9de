/* A fixed-size histogram of queue delays for the link model's statistics: bins 10 % wide from
 * 0.1 ms up to 60 s (one bin below 0.1 ms, one above 60 s), so percentiles of every packet's
 * queue delay are known to within 10 % without keeping the packets or allocating anything. It
 * deliberately knows nothing of links or time: the owner adds delays and asks for percentiles. */
#ifndef OKNO_BENCH_QDELAY_H
#define OKNO_BENCH_QDELAY_H

#include <stdint.h>

#define OKNO_QDELAY_BINS 142 /* [0, 0.1 ms), 140 bins 10 % wide, [60 s, inf) */

struct okno_qdelay_hist {
    uint64_t n;
    uint64_t bins[OKNO_QDELAY_BINS];
};

/* Counts one delay (negative counts as 0). */
void okno_qdelay_add(struct okno_qdelay_hist *h, int64_t delay_us);

/* The nearest-rank p-th percentile (0 < p <= 100) as the upper edge of its bin (a bound within
 * 10 % above the true value; 100 us for the bin below 0.1 ms), at most max_us when max_us >= 0;
 * -1 when the histogram is empty. */
int64_t okno_qdelay_percentile(const struct okno_qdelay_hist *h, double p, int64_t max_us);

/* *out = *now - *before, bin by bin (the delays counted between two snapshots). */
void okno_qdelay_diff(const struct okno_qdelay_hist *now, const struct okno_qdelay_hist *before,
                      struct okno_qdelay_hist *out);

#endif
