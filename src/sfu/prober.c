/* Probe clusters and fill padding of a subscriber transport as byte bookkeeping (prober.h). */
#include "sfu/prober.h"

#include <string.h>

#define US_PER_S INT64_C(1000000)

void okno_prober_init(struct okno_prober *pr)
{
    memset(pr, 0, sizeof *pr);
}

bool okno_prober_start(struct okno_prober *pr, uint32_t bps, int64_t now_us)
{
    if (pr->active || bps == 0)
        return false;
    pr->active = true;
    pr->bps = bps;
    pr->start_us = now_us;
    pr->want_bytes = (uint64_t)bps * OKNO_PROBER_CLUSTER_US / 8u / US_PER_S;
    pr->sent_bytes = 0;
    pr->sent_pkts = 0;
    pr->c.clusters++;
    return true;
}

bool okno_prober_active(const struct okno_prober *pr)
{
    return pr->active;
}

size_t okno_prober_cluster_deficit(const struct okno_prober *pr, uint64_t queued_bytes,
                                   int64_t now_us)
{
    if (!pr->active)
        return 0;
    int64_t elapsed = now_us - pr->start_us + OKNO_PROBER_AHEAD_US;
    if (elapsed < 0)
        elapsed = 0;
    uint64_t due = (uint64_t)pr->bps * (uint64_t)elapsed / 8u / US_PER_S;
    if (due > pr->want_bytes)
        due = pr->want_bytes;
    /* Met in bytes but short of packets: one more packet's worth at a time. */
    if (due <= pr->sent_bytes + queued_bytes && pr->sent_bytes >= pr->want_bytes &&
        pr->sent_pkts < OKNO_PROBER_CLUSTER_MIN_PKTS && queued_bytes == 0)
        return 1;
    if (due <= pr->sent_bytes + queued_bytes)
        return 0;
    return (size_t)(due - pr->sent_bytes - queued_bytes);
}

bool okno_prober_expire(struct okno_prober *pr, int64_t now_us)
{
    if (!pr->active || now_us - pr->start_us <= OKNO_PROBER_CLUSTER_MAX_US)
        return false;
    pr->active = false;
    pr->c.given_up++;
    return true;
}

static void fill_pay(struct okno_prober *pr, size_t bytes)
{
    if (pr->fill_bps == 0)
        return;
    int64_t floor = -(int64_t)pr->fill_bps * OKNO_PROBER_FILL_WINDOW_US;
    pr->fill_budget -= (int64_t)bytes * 8 * US_PER_S;
    if (pr->fill_budget < floor)
        pr->fill_budget = floor;
}

bool okno_prober_on_sent(struct okno_prober *pr, size_t bytes, bool padding, int64_t now_us,
                         bool *done)
{
    *done = false;
    fill_pay(pr, bytes);
    if (padding) {
        pr->c.padding_pkts++;
        pr->c.padding_bytes += bytes;
    }
    okno_prober_expire(pr, now_us);
    if (!pr->active)
        return false;
    pr->sent_bytes += bytes;
    pr->sent_pkts++;
    pr->c.cluster_pkts++;
    pr->c.cluster_bytes += bytes;
    if (pr->sent_bytes >= pr->want_bytes && pr->sent_pkts >= OKNO_PROBER_CLUSTER_MIN_PKTS) {
        pr->active = false;
        *done = true;
    }
    return true;
}

void okno_prober_set_fill(struct okno_prober *pr, uint32_t fill_bps, int64_t now_us)
{
    if (fill_bps == pr->fill_bps)
        return;
    pr->fill_bps = fill_bps;
    pr->fill_budget = 0;
    pr->fill_last_us = now_us;
    pr->fill_started = fill_bps > 0;
}

size_t okno_prober_fill_deficit(struct okno_prober *pr, int64_t now_us)
{
    if (pr->fill_bps == 0)
        return 0;
    int64_t step = pr->fill_started ? now_us - pr->fill_last_us : 0;
    if (step < 0)
        step = 0;
    if (step > OKNO_PROBER_FILL_WINDOW_US)
        step = OKNO_PROBER_FILL_WINDOW_US;
    pr->fill_started = true;
    pr->fill_last_us = now_us;
    int64_t cap = (int64_t)pr->fill_bps * OKNO_PROBER_FILL_WINDOW_US;
    pr->fill_budget += (int64_t)pr->fill_bps * step;
    if (pr->fill_budget > cap)
        pr->fill_budget = cap;
    if (pr->active || pr->fill_budget <= 0)
        return 0;
    return (size_t)(pr->fill_budget / (8 * US_PER_S));
}
