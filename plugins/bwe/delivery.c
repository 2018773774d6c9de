#include "delivery.h"

#include <string.h>

#define ACK_SLOT_US  25000
#define BASE_SLOT_US 1000000
#define QMAX_SLOT_US 1000000
#define MIN_SPAN_US  100000

/* Floor division: slots of negative times (the receiver's clock may be anywhere) stay distinct. */
static int64_t slot_of(int64_t t, int64_t width)
{
    int64_t s = t / width;
    return (t % width != 0 && t < 0) ? s - 1 : s;
}

static size_t ring_index(int64_t slot, size_t n)
{
    int64_t m = slot % (int64_t)n;
    return (size_t)(m < 0 ? m + (int64_t)n : m);
}

void okno_gcc_delivery_init(struct okno_gcc_delivery *d)
{
    memset(d, 0, sizeof *d);
    for (size_t i = 0; i < OKNO_GCC_ACK_BUCKETS; i++)
        d->ack_slot[i] = INT64_MIN;
    for (size_t i = 0; i < OKNO_GCC_BASE_BUCKETS; i++)
        d->base_slot[i] = INT64_MIN;
    for (size_t i = 0; i < OKNO_GCC_QMAX_BUCKETS; i++)
        d->qmax_slot[i] = INT64_MIN;
    d->base_us = INT64_MAX;
}

void okno_gcc_delivery_begin(struct okno_gcc_delivery *d)
{
    d->fb_any = false;
    d->fb_min_owd = INT64_MAX;
}

static void recompute_base(struct okno_gcc_delivery *d, int64_t now_slot)
{
    d->base_us = INT64_MAX;
    for (size_t i = 0; i < OKNO_GCC_BASE_BUCKETS; i++) {
        int64_t s = d->base_slot[i];
        if (s != INT64_MIN && s > now_slot - OKNO_GCC_BASE_BUCKETS && d->base_min[i] < d->base_us)
            d->base_us = d->base_min[i];
    }
}

int64_t okno_gcc_delivery_on_received(struct okno_gcc_delivery *d, int64_t send_us,
                                      int64_t arrival_us, uint32_t bytes)
{
    /* acknowledged bytes */
    int64_t as = slot_of(arrival_us, ACK_SLOT_US);
    size_t ai = ring_index(as, OKNO_GCC_ACK_BUCKETS);
    if (d->ack_slot[ai] != as && (d->ack_slot[ai] == INT64_MIN || as > d->ack_slot[ai])) {
        d->ack_slot[ai] = as;
        d->ack_bytes[ai] = 0;
        d->ack_first_us[ai] = arrival_us;
        d->ack_first_bytes[ai] = bytes;
    }
    if (d->ack_slot[ai] == as) {
        d->ack_bytes[ai] += bytes;
        if (arrival_us < d->ack_first_us[ai]) {
            d->ack_first_us[ai] = arrival_us;
            d->ack_first_bytes[ai] = bytes;
        }
    }
    if (!d->any) {
        d->any = true;
        d->first_arrival_us = arrival_us;
        d->latest_arrival_us = arrival_us;
    } else if (arrival_us > d->latest_arrival_us) {
        d->latest_arrival_us = arrival_us;
    }

    /* base one-way delay */
    int64_t owd = arrival_us - send_us;
    int64_t bs = slot_of(send_us, BASE_SLOT_US);
    size_t bi = ring_index(bs, OKNO_GCC_BASE_BUCKETS);
    bool changed = false;
    if (d->base_slot[bi] != bs && (d->base_slot[bi] == INT64_MIN || bs > d->base_slot[bi])) {
        d->base_slot[bi] = bs;
        d->base_min[bi] = owd;
        changed = true; /* an old slot left the window */
    } else if (d->base_slot[bi] == bs && owd < d->base_min[bi]) {
        d->base_min[bi] = owd;
    }
    if (changed)
        recompute_base(d, bs);
    if (owd < d->base_us)
        d->base_us = owd;
    int64_t q = owd - d->base_us;

    int64_t qs = slot_of(send_us, QMAX_SLOT_US);
    size_t qi = ring_index(qs, OKNO_GCC_QMAX_BUCKETS);
    if (d->qmax_slot[qi] != qs && (d->qmax_slot[qi] == INT64_MIN || qs > d->qmax_slot[qi])) {
        d->qmax_slot[qi] = qs;
        d->qmax[qi] = q;
    } else if (d->qmax_slot[qi] == qs && q > d->qmax[qi]) {
        d->qmax[qi] = q;
    }

    d->fb_any = true;
    if (owd < d->fb_min_owd)
        d->fb_min_owd = owd;
    return q;
}

void okno_gcc_delivery_end(struct okno_gcc_delivery *d)
{
    if (d->fb_any && d->base_us != INT64_MAX)
        d->queue_delay_us = d->fb_min_owd - d->base_us;
}

uint32_t okno_gcc_delivery_acked_bps(const struct okno_gcc_delivery *d)
{
    return okno_gcc_delivery_acked_recent_bps(d, OKNO_GCC_ACK_BUCKETS);
}

uint32_t okno_gcc_delivery_acked_recent_bps(const struct okno_gcc_delivery *d, int slots)
{
    if (!d->any || slots < 1)
        return 0;
    if (slots > OKNO_GCC_ACK_BUCKETS)
        slots = OKNO_GCC_ACK_BUCKETS;
    int64_t latest = slot_of(d->latest_arrival_us, ACK_SLOT_US);
    uint64_t bytes = 0;
    int64_t oldest = INT64_MAX;
    size_t oi = 0;
    for (size_t i = 0; i < OKNO_GCC_ACK_BUCKETS; i++) {
        int64_t s = d->ack_slot[i];
        if (s != INT64_MIN && s <= latest && s > latest - slots) {
            bytes += d->ack_bytes[i];
            if (s < oldest) {
                oldest = s;
                oi = i;
            }
        }
    }
    /* From the first packet of the window to the last: that first packet's bytes were carried
     * before the window began. */
    int64_t span = d->latest_arrival_us - d->ack_first_us[oi];
    int64_t min_span = (int64_t)slots * ACK_SLOT_US / 2;
    if (min_span > MIN_SPAN_US)
        min_span = MIN_SPAN_US;
    if (span < min_span || bytes <= d->ack_first_bytes[oi])
        return 0;
    bytes -= d->ack_first_bytes[oi];
    double bps = (double)bytes * 8.0 * 1e6 / (double)span;
    return bps > 4e9 ? 4000000000u : (uint32_t)bps;
}

void okno_gcc_delivery_rebase(struct okno_gcc_delivery *d)
{
    for (size_t i = 0; i < OKNO_GCC_BASE_BUCKETS; i++)
        d->base_slot[i] = INT64_MIN;
    d->base_us = INT64_MAX;
    d->queue_delay_us = 0;
}

int64_t okno_gcc_delivery_qmax(const struct okno_gcc_delivery *d, int64_t now_send_us)
{
    int64_t now = slot_of(now_send_us, QMAX_SLOT_US);
    int64_t m = 0;
    for (size_t i = 0; i < OKNO_GCC_QMAX_BUCKETS; i++) {
        int64_t s = d->qmax_slot[i];
        if (s != INT64_MIN && s > now - OKNO_GCC_QMAX_BUCKETS && d->qmax[i] > m)
            m = d->qmax[i];
    }
    return m;
}
