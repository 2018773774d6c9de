/* The queue-delay histogram. See qdelay.h. */
#include "linkemu/qdelay.h"

#include <math.h>

#define FIRST_EDGE_US 100.0
#define RATIO         1.1

/* Upper edge of bin i (i >= 1 is [edge(i-1), edge(i))), whole microseconds. */
static int64_t edge_us(unsigned i)
{
    return llround(FIRST_EDGE_US * pow(RATIO, (double)i));
}

static unsigned bin_of(int64_t us)
{
    if (us < (int64_t)FIRST_EDGE_US)
        return 0;
    double k = floor(log((double)us / FIRST_EDGE_US) / log(RATIO)) + 1;
    /* rounding at an edge: the value belongs below edge(k) and at or above edge(k-1) */
    while (k > 1 && us < edge_us((unsigned)k - 1))
        k--;
    while (k < OKNO_QDELAY_BINS - 1 && us >= edge_us((unsigned)k))
        k++;
    return k >= OKNO_QDELAY_BINS - 1 ? OKNO_QDELAY_BINS - 1 : (unsigned)k;
}

void okno_qdelay_add(struct okno_qdelay_hist *h, int64_t delay_us)
{
    h->bins[bin_of(delay_us < 0 ? 0 : delay_us)]++;
    h->n++;
}

int64_t okno_qdelay_percentile(const struct okno_qdelay_hist *h, double p, int64_t max_us)
{
    if (h->n == 0 || !(p > 0))
        return -1;
    double rank = ceil(p / 100.0 * (double)h->n);
    uint64_t need = rank < 1 ? 1 : (uint64_t)rank, seen = 0;
    unsigned i = 0;
    for (; i < OKNO_QDELAY_BINS - 1; i++) {
        seen += h->bins[i];
        if (seen >= need)
            break;
    }
    int64_t v = i == OKNO_QDELAY_BINS - 1 ? INT64_MAX : edge_us(i);
    return max_us >= 0 && v > max_us ? max_us : v;
}

void okno_qdelay_diff(const struct okno_qdelay_hist *now, const struct okno_qdelay_hist *before,
                      struct okno_qdelay_hist *out)
{
    out->n = now->n - before->n;
    for (unsigned i = 0; i < OKNO_QDELAY_BINS; i++)
        out->bins[i] = now->bins[i] - before->bins[i];
}
