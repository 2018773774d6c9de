/* One direction of the emulated link (link.h). Packets live in two preallocated arrays: a ring
 * for the bottleneck queue (FIFO, the head being serialized) and a binary min-heap for packets in
 * flight, ordered by departure time then arrival order, so reordering costs nothing extra and
 * ties keep FIFO order. The token bucket counts in micro-bits (bits x 10^6), the unit in which a
 * rate of C bit/s accrues exactly C per microsecond, so serialization is integer arithmetic with
 * the sub-microsecond remainder carried as credit: the achieved rate does not drift with packet
 * size, and each finish time is the exact fluid time rounded up. The queue is drained lazily up
 * to the `now_us` of every call; nothing here reads a clock. It deliberately knows nothing about
 * schedules, sockets or packet bytes. */
#include "linkemu/link.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linkemu/prng.h"
#include "okno/err.h"

#define UBITS_PER_BYTE 8000000ULL /* micro-bits */

enum { RNG_LOSS, RNG_GE, RNG_JITTER };

struct pkt {
    uint64_t cookie;
    uint64_t order; /* arrival order, for ties */
    int64_t arrival_us;
    int64_t depart_us; /* once in flight */
    uint32_t len;
};

struct okno_link {
    struct okno_link_params p;
    size_t cap; /* slots, queued plus in flight */
    /* owned, allocated at create */
    struct pkt *fifo; /* ring: the bottleneck queue */
    struct pkt *heap; /* in flight, min-heap on (depart_us, order) */
    size_t fifo_head, fifo_count, heap_count;
    /* the bottleneck */
    uint64_t queued_bytes;
    uint64_t credit; /* micro-bits the bucket holds (toward the head while queued) */
    int64_t last_us; /* the model is drained up to here */
    bool started;
    int64_t last_depart_us; /* latest departure given, for jitter without reordering */
    uint64_t next_order;
    bool ge_bad;
    struct okno_prng rng[3];
    struct okno_link_stats st;
};

static bool prob_ok(double x)
{
    return x >= 0.0 && x <= 1.0; /* false for NaN */
}

int okno_link_params_check(const struct okno_link_params *p)
{
    if (!p)
        return OKNO_E_INVAL;
    if (p->capacity_bps > OKNO_LINK_MAX_CAPACITY_BPS || p->burst_bytes > OKNO_LINK_MAX_BURST_BYTES)
        return OKNO_E_INVAL;
    if (p->delay_us < 0 || p->delay_us > OKNO_LINK_MAX_DELAY_US || p->jitter_us < 0 ||
        p->jitter_us > OKNO_LINK_MAX_DELAY_US)
        return OKNO_E_INVAL;
    if (p->jitter_dist != OKNO_LINK_JITTER_NORMAL && p->jitter_dist != OKNO_LINK_JITTER_UNIFORM)
        return OKNO_E_INVAL;
    if (!prob_ok(p->loss) || !prob_ok(p->ge_p) || !prob_ok(p->ge_r) || !prob_ok(p->ge_loss_good) ||
        !prob_ok(p->ge_loss_bad))
        return OKNO_E_INVAL;
    if (p->ge_p > 0.0 && p->ge_r <= 0.0)
        return OKNO_E_INVAL; /* the chain would stay bad for ever */
    if (p->queue_us < 0 || p->queue_us > OKNO_LINK_MAX_QUEUE_US ||
        p->queue_bytes > OKNO_LINK_MAX_QUEUE_BYTES)
        return OKNO_E_INVAL;
    return 0;
}

int okno_link_create(const struct okno_link_params *params, size_t max_packets, uint64_t seed,
                     struct okno_link **out)
{
    if (okno_link_params_check(params) < 0 || max_packets > OKNO_LINK_MAX_PACKETS || !out)
        return OKNO_E_INVAL;
    if (!max_packets)
        max_packets = 4096;
    struct okno_link *l = calloc(1, sizeof *l);
    if (!l)
        return OKNO_E_NOMEM;
    l->fifo = calloc(max_packets, sizeof *l->fifo);
    l->heap = calloc(max_packets, sizeof *l->heap);
    if (!l->fifo || !l->heap) {
        okno_link_destroy(l);
        return OKNO_E_NOMEM;
    }
    l->p = *params;
    l->cap = max_packets;
    for (int i = 0; i < 3; i++)
        okno_prng_seed(&l->rng[i], seed, (uint64_t)i);
    *out = l;
    return 0;
}

void okno_link_destroy(struct okno_link *link)
{
    if (!link)
        return;
    free(link->fifo);
    free(link->heap);
    free(link);
}

const struct okno_link_params *okno_link_params(const struct okno_link *link)
{
    return &link->p;
}

static bool heap_less(const struct pkt *a, const struct pkt *b)
{
    return a->depart_us < b->depart_us || (a->depart_us == b->depart_us && a->order < b->order);
}

static void heap_push(struct okno_link *l, const struct pkt *x)
{
    size_t i = l->heap_count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less(x, &l->heap[parent]))
            break;
        l->heap[i] = l->heap[parent];
        i = parent;
    }
    l->heap[i] = *x;
}

static void heap_pop(struct okno_link *l)
{
    struct pkt last = l->heap[--l->heap_count];
    size_t n = l->heap_count, i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(&l->heap[c + 1], &l->heap[c]))
            c++;
        if (!heap_less(&l->heap[c], &last))
            break;
        l->heap[i] = l->heap[c];
        i = c;
    }
    if (n)
        l->heap[i] = last;
}

static int64_t jitter_sample(struct okno_link *l)
{
    if (l->p.jitter_us <= 0)
        return 0;
    double j = (double)l->p.jitter_us;
    double x = l->p.jitter_dist == OKNO_LINK_JITTER_UNIFORM
                   ? (2.0 * okno_prng_uniform(&l->rng[RNG_JITTER]) - 1.0) * j
                   : okno_prng_normal(&l->rng[RNG_JITTER]) * j;
    return (int64_t)llround(x);
}

/* The head of the queue finished serialization at finish_us: it goes in flight. */
static void head_done(struct okno_link *l, int64_t finish_us)
{
    struct pkt x = l->fifo[l->fifo_head];
    l->fifo_head = (l->fifo_head + 1) % l->cap;
    l->fifo_count--;
    l->queued_bytes -= x.len;

    int64_t q = finish_us - x.arrival_us;
    l->st.qdelay_count++;
    l->st.qdelay_sum_us += q;
    if (q > l->st.qdelay_max_us)
        l->st.qdelay_max_us = q;
    okno_qdelay_add(&l->st.qdelay_hist, q);

    int64_t d = finish_us + l->p.delay_us + jitter_sample(l);
    if (d < finish_us)
        d = finish_us;
    if (!l->p.jitter_reorder && d < l->last_depart_us)
        d = l->last_depart_us;
    if (d > l->last_depart_us)
        l->last_depart_us = d;
    x.depart_us = d;
    heap_push(l, &x);
}

/* Brings the bottleneck up to now_us at the current rate. */
static void drain(struct okno_link *l, int64_t now_us)
{
    if (!l->started) {
        l->started = true;
        l->last_us = now_us;
    }
    if (now_us < l->last_us)
        now_us = l->last_us;
    uint64_t c = l->p.capacity_bps;
    while (l->fifo_count) {
        uint64_t need = (uint64_t)l->fifo[l->fifo_head].len * UBITS_PER_BYTE;
        if (!c || l->credit >= need) {
            if (c)
                l->credit -= need;
            head_done(l, l->last_us);
            continue;
        }
        uint64_t dt = (need - l->credit + c - 1) / c;
        if ((uint64_t)(now_us - l->last_us) < dt) {
            l->credit += (uint64_t)(now_us - l->last_us) * c;
            l->last_us = now_us;
            return;
        }
        l->last_us += (int64_t)dt;
        l->credit = l->credit + dt * c - need;
        head_done(l, l->last_us);
    }
    /* Idle: the bucket fills up to its depth. The remainder of the last packet (under one
       microsecond's worth) may exceed a zero depth; it is kept, being time already spent. */
    uint64_t depth = l->p.burst_bytes * UBITS_PER_BYTE;
    uint64_t idle = (uint64_t)(now_us - l->last_us);
    if (c && l->credit < depth)
        l->credit = idle >= (depth - l->credit) / c + 1 ? depth : l->credit + idle * c;
    l->last_us = now_us;
}

int okno_link_set_params(struct okno_link *link, int64_t now_us,
                         const struct okno_link_params *params)
{
    if (okno_link_params_check(params) < 0)
        return OKNO_E_INVAL;
    drain(link, now_us);
    link->p = *params;
    if (params->ge_p <= 0.0)
        link->ge_bad = false;
    drain(link, now_us);
    return 0;
}

static enum okno_link_verdict admit(struct okno_link *l, size_t len)
{
    if (len == 0 || len > OKNO_LINK_MAX_LEN)
        return OKNO_LINK_DROP_TOO_BIG;
    if (l->p.outage)
        return OKNO_LINK_DROP_OUTAGE;
    /* Both decisions draw every time their feature is on, so one feature's verdict never shifts
       the other's stream. */
    bool lost = l->p.loss > 0.0 && okno_prng_uniform(&l->rng[RNG_LOSS]) < l->p.loss;
    bool ge_lost = false;
    if (l->p.ge_p > 0.0) {
        double u = okno_prng_uniform(&l->rng[RNG_GE]);
        l->ge_bad = l->ge_bad ? !(u < l->p.ge_r) : u < l->p.ge_p;
    }
    double pl = l->ge_bad ? l->p.ge_loss_bad : l->p.ge_loss_good;
    if (pl > 0.0)
        ge_lost = okno_prng_uniform(&l->rng[RNG_GE]) < pl;
    if (lost)
        return OKNO_LINK_DROP_LOSS;
    if (ge_lost)
        return OKNO_LINK_DROP_GE_LOSS;
    if (l->fifo_count + l->heap_count >= l->cap)
        return OKNO_LINK_DROP_OVERFLOW;
    uint64_t c = l->p.capacity_bps;
    if (!c)
        return OKNO_LINK_ACCEPTED; /* nothing ever waits */
    uint64_t bytes = l->queued_bytes + len;
    if (l->p.queue_bytes && bytes > l->p.queue_bytes)
        return OKNO_LINK_DROP_QUEUE;
    if (l->p.queue_us) {
        uint64_t backlog = bytes * UBITS_PER_BYTE;
        backlog = backlog > l->credit ? backlog - l->credit : 0;
        if (backlog > (uint64_t)l->p.queue_us * c)
            return OKNO_LINK_DROP_QUEUE;
    }
    return OKNO_LINK_ACCEPTED;
}

enum okno_link_verdict okno_link_enqueue(struct okno_link *link, int64_t now_us, size_t len,
                                         uint64_t cookie)
{
    drain(link, now_us);
    link->st.packets_in++;
    link->st.bytes_in += len;
    enum okno_link_verdict v = admit(link, len);
    if (v != OKNO_LINK_ACCEPTED) {
        link->st.dropped[v]++;
        link->st.bytes_dropped += len;
        return v;
    }
    size_t tail = (link->fifo_head + link->fifo_count) % link->cap;
    link->fifo[tail] = (struct pkt){.cookie = cookie,
                                    .order = link->next_order++,
                                    .arrival_us = link->last_us,
                                    .len = (uint32_t)len};
    link->fifo_count++;
    link->queued_bytes += len;
    drain(link, link->last_us); /* it may leave at once */
    return OKNO_LINK_ACCEPTED;
}

int64_t okno_link_next_departure(const struct okno_link *link)
{
    int64_t t = link->heap_count ? link->heap[0].depart_us : INT64_MAX;
    if (link->fifo_count) {
        uint64_t c = link->p.capacity_bps;
        uint64_t need = (uint64_t)link->fifo[link->fifo_head].len * UBITS_PER_BYTE;
        int64_t f = link->last_us;
        if (c && link->credit < need)
            f += (int64_t)((need - link->credit + c - 1) / c);
        if (f < t)
            t = f;
    }
    return t;
}

int okno_link_dequeue(struct okno_link *link, int64_t now_us, uint64_t *cookie, size_t *len)
{
    drain(link, now_us);
    if (!link->heap_count || link->heap[0].depart_us > now_us)
        return 0;
    const struct pkt *x = &link->heap[0];
    if (cookie)
        *cookie = x->cookie;
    if (len)
        *len = x->len;
    link->st.packets_out++;
    link->st.bytes_out += x->len;
    heap_pop(link);
    return 1;
}

void okno_link_stats(const struct okno_link *link, struct okno_link_stats *out)
{
    *out = link->st;
    out->queued_packets = link->fifo_count;
    out->queued_bytes = link->queued_bytes;
    out->in_flight = link->heap_count;
}

const char *okno_link_verdict_name(enum okno_link_verdict v)
{
    static const char *const names[OKNO_LINK_N_VERDICTS] = {
        "accepted", "outage", "loss", "ge-loss", "queue", "overflow", "too-big"};
    return (unsigned)v < OKNO_LINK_N_VERDICTS ? names[v] : "unknown";
}

double okno_link_ge_mean_loss(const struct okno_link_params *p)
{
    if (p->ge_p <= 0.0)
        return 0.0;
    double bad = p->ge_p / (p->ge_p + p->ge_r); /* stationary share of the bad state */
    return bad * p->ge_loss_bad + (1.0 - bad) * p->ge_loss_good;
}

double okno_link_ge_mean_burst(const struct okno_link_params *p)
{
    return p->ge_p <= 0.0 ? 0.0 : 1.0 / p->ge_r;
}
