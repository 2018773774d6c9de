#include "rise_hint.h"

#include <stdlib.h>

#define TOGETHER_US 1000    /* sends this close are one release of the pacer */
#define WINDOW_US   1000000 /* pairs that arrived within this of the newest one count */
#define MIN_PAIRS   12
#define ABOVE       1.5 /* the lower quartile above this x the target hints */

void okno_gcc_rise_init(struct okno_gcc_rise *r)
{
    r->head = r->n = 0;
    r->last_hint_us = -1;
}

void okno_gcc_rise_on_pair(struct okno_gcc_rise *r, uint32_t bytes, int64_t send_gap_us,
                           int64_t arrival_gap_us, int64_t arrival_us)
{
    if (send_gap_us < 0 || send_gap_us > TOGETHER_US || arrival_gap_us <= 0 || bytes == 0)
        return;
    unsigned i = (r->head + r->n) % OKNO_GCC_RISE_PAIRS;
    if (r->n == OKNO_GCC_RISE_PAIRS)
        r->head = (r->head + 1) % OKNO_GCC_RISE_PAIRS;
    else
        r->n++;
    r->pair[i].at_us = arrival_us;
    r->pair[i].bps = (double)bytes * 8e6 / (double)arrival_gap_us;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bool okno_gcc_rise_check(struct okno_gcc_rise *r, uint32_t target_bps, int64_t now_us)
{
    if (r->n < MIN_PAIRS || target_bps == 0 ||
        (r->last_hint_us >= 0 && now_us - r->last_hint_us < OKNO_GCC_RISE_GAP_US))
        return false;
    int64_t newest = r->pair[(r->head + r->n - 1) % OKNO_GCC_RISE_PAIRS].at_us;
    double bps[OKNO_GCC_RISE_PAIRS];
    unsigned m = 0;
    for (unsigned k = 0; k < r->n; k++) {
        unsigned i = (r->head + k) % OKNO_GCC_RISE_PAIRS;
        if (newest - r->pair[i].at_us <= WINDOW_US)
            bps[m++] = r->pair[i].bps;
    }
    if (m < MIN_PAIRS)
        return false;
    qsort(bps, m, sizeof bps[0], cmp_double);
    if (bps[m / 4] <= ABOVE * (double)target_bps)
        return false;
    r->last_hint_us = now_us;
    r->n = 0;
    return true;
}
