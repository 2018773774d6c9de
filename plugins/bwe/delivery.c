#include "delivery.h"

#include <string.h>

#define BASE_SLOT_US 1000000
#define QMAX_SLOT_US 1000000
#define MIN_SPAN_US  100000
/* Arrivals this far apart across feedbacks are an outage, not a slow link: not covered. */
#define MAX_COVER_GAP_US 500000

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
    d->fb_first_us = INT64_MAX;
    d->fb_last_us = INT64_MIN;
    d->fb_bytes = 0;
    d->fb_first_bytes = 0;
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
    d->fb_bytes += bytes;
    if (arrival_us < d->fb_first_us) {
        d->fb_first_us = arrival_us;
        d->fb_first_bytes = bytes;
    }
    if (arrival_us > d->fb_last_us)
        d->fb_last_us = arrival_us;
    if (!d->any) {
        d->any = true;
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

    size_t ri = (d->recent_head + d->recent_n) % OKNO_GCC_RECENT_Q;
    if (d->recent_n == OKNO_GCC_RECENT_Q)
        d->recent_head = (d->recent_head + 1) % OKNO_GCC_RECENT_Q;
    else
        d->recent_n++;
    d->recent[ri] = (struct okno_gcc_recent_q){.send_us = send_us, .q = q};

    d->fb_any = true;
    if (owd < d->fb_min_owd)
        d->fb_min_owd = owd;
    return q;
}

void okno_gcc_delivery_end(struct okno_gcc_delivery *d, bool contiguous)
{
    if (!d->fb_any)
        return;
    if (d->base_us != INT64_MAX)
        d->queue_delay_us = d->fb_min_owd - d->base_us;
    /* Contiguous with the previous feedback: covered from its last arrival, every byte counts.
     * Otherwise from this one's first arrival, whose bytes were carried before it. */
    struct okno_gcc_ack_rec r = {.from_us = d->fb_first_us,
                                 .to_us = d->fb_last_us,
                                 .bytes = d->fb_bytes - d->fb_first_bytes};
    if (contiguous && d->rec_n > 0) {
        const struct okno_gcc_ack_rec *prev =
            &d->rec[(d->rec_head + d->rec_n - 1) % OKNO_GCC_ACK_RECORDS];
        if (prev->to_us <= d->fb_first_us && d->fb_first_us - prev->to_us <= MAX_COVER_GAP_US) {
            r.from_us = prev->to_us;
            r.bytes = d->fb_bytes;
        }
    }
    if (r.to_us <= r.from_us)
        return; /* a single packet, or reordered: no time to measure over */
    if (d->rec_n == OKNO_GCC_ACK_RECORDS) {
        d->rec_head = (d->rec_head + 1) % OKNO_GCC_ACK_RECORDS;
        d->rec_n--;
    }
    d->rec[(d->rec_head + d->rec_n) % OKNO_GCC_ACK_RECORDS] = r;
    d->rec_n++;
}

uint32_t okno_gcc_delivery_acked_bps(const struct okno_gcc_delivery *d)
{
    return okno_gcc_delivery_acked_recent_bps(d, OKNO_GCC_ACK_WINDOW_US);
}

uint32_t okno_gcc_delivery_acked_recent_bps(const struct okno_gcc_delivery *d, int64_t window_us)
{
    if (d->rec_n == 0 || window_us <= 0)
        return 0;
    if (window_us > OKNO_GCC_ACK_WINDOW_US)
        window_us = OKNO_GCC_ACK_WINDOW_US;
    int64_t latest = INT64_MIN;
    for (size_t k = 0; k < d->rec_n; k++) {
        const struct okno_gcc_ack_rec *r = &d->rec[(d->rec_head + k) % OKNO_GCC_ACK_RECORDS];
        if (r->to_us > latest)
            latest = r->to_us;
    }
    int64_t start = latest - window_us;
    double bytes = 0;
    int64_t covered = 0;
    for (size_t k = 0; k < d->rec_n; k++) {
        const struct okno_gcc_ack_rec *r = &d->rec[(d->rec_head + k) % OKNO_GCC_ACK_RECORDS];
        if (r->to_us <= start)
            continue;
        int64_t from = r->from_us > start ? r->from_us : start;
        /* A record reaching into the window counts with the share of it inside. */
        bytes += (double)r->bytes * (double)(r->to_us - from) / (double)(r->to_us - r->from_us);
        covered += r->to_us - from;
    }
    int64_t min_covered = window_us / 2 < MIN_SPAN_US ? window_us / 2 : MIN_SPAN_US;
    if (covered < min_covered || covered <= 0)
        return 0;
    double bps = bytes * 8.0 * 1e6 / (double)covered;
    return bps > 4e9 ? 4000000000u : (uint32_t)bps;
}

void okno_gcc_delivery_rebase(struct okno_gcc_delivery *d)
{
    for (size_t i = 0; i < OKNO_GCC_BASE_BUCKETS; i++)
        d->base_slot[i] = INT64_MIN;
    d->base_us = INT64_MAX;
    d->queue_delay_us = 0;
    d->recent_n = 0; /* measured from the old base */
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

int64_t okno_gcc_delivery_qmin_since(const struct okno_gcc_delivery *d, int64_t from_send_us)
{
    int64_t m = INT64_MAX;
    /* Newest first; reported in sequence order, so send times fall going back. */
    for (size_t k = d->recent_n; k > 0; k--) {
        const struct okno_gcc_recent_q *r =
            &d->recent[(d->recent_head + k - 1) % OKNO_GCC_RECENT_Q];
        if (r->send_us < from_send_us)
            break;
        if (r->q < m)
            m = r->q;
    }
    return m;
}
