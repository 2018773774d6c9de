/* The sender's pacer: see pacer.h. */
#include "call/pacer.h"

#include <stdlib.h>
#include <string.h>

#include "okno/err.h"

#define US_PER_S  ((int64_t)1000000)
#define CREDIT_US 2000    /* idle credit kept, at the pacing rate */
#define MAX_QUEUE 2000000 /* us: libwebrtc's kMaxExpectedQueueLength */
#define MAX_SLOTS 65536u
#define MIN_LEFT  1000 /* us: the drain-faster rate spreads over at least this (libwebrtc: 1 ms) */

int okno_pacer_init(struct okno_pacer *p, uint32_t n_slots, uint64_t rate_bps, int64_t now_us)
{
    memset(p, 0, sizeof *p);
    if (n_slots == 0 || n_slots > MAX_SLOTS)
        return OKNO_E_INVAL;
    p->slots = calloc(n_slots, sizeof *p->slots);
    p->free_list = calloc(n_slots, sizeof *p->free_list);
    bool ok = p->slots && p->free_list;
    for (int c = 0; c < OKNO_PACER_CLASSES && ok; c++) {
        p->ring[c] = calloc(n_slots, sizeof *p->ring[c]);
        ok = p->ring[c] != NULL;
    }
    if (!ok) {
        okno_pacer_deinit(p);
        return OKNO_E_NOMEM;
    }
    p->n_slots = n_slots;
    for (uint32_t i = 0; i < n_slots; i++)
        p->free_list[i] = n_slots - 1 - i;
    p->n_free = n_slots;
    p->rate_bps = rate_bps > 0 ? rate_bps : 1;
    p->last_us = now_us;
    p->media_t0_us = now_us;
    return 0;
}

void okno_pacer_deinit(struct okno_pacer *p)
{
    free(p->slots);
    free(p->free_list);
    for (int c = 0; c < OKNO_PACER_CLASSES; c++)
        free(p->ring[c]);
    memset(p, 0, sizeof *p);
}

static uint32_t media_count(const struct okno_pacer *p)
{
    return p->count[OKNO_PACER_RTX] + p->count[OKNO_PACER_VIDEO] + p->count[OKNO_PACER_PADDING];
}

/* The rate the queue drains at: the pacing rate, or, when the non-audio packets' average wait
 * would pass MAX_QUEUE at it, the rate that sends what is queued in the time left to that average
 * (libwebrtc's PacingController: queue size / (2 s - average queue time)). Keyed to the average
 * and not the oldest packet so one old retransmission does not flush a fresh frame with it, and
 * only past 2 s so a rate just lowered holds: it is the encoder's frame skipping (the sender's),
 * not the pacer, that keeps the queue short. */
static uint64_t drain_rate(const struct okno_pacer *p, int64_t now_us)
{
    uint32_t n = media_count(p);
    if (n == 0)
        return p->rate_bps; /* only audio, which does not wait */
    int64_t avg_wait = now_us - (p->media_t0_us + p->media_wait_sum_us / (int64_t)n);
    int64_t left = MAX_QUEUE - avg_wait;
    if (left < MIN_LEFT)
        left = MIN_LEFT;
    uint64_t need = p->media_bytes * 8 * US_PER_S / (uint64_t)left;
    return need > p->rate_bps ? need : p->rate_bps;
}

static void drain(struct okno_pacer *p, int64_t now_us)
{
    if (now_us <= p->last_us)
        return;
    int64_t dt = now_us - p->last_us;
    uint64_t rate = drain_rate(p, p->last_us);
    p->last_us = now_us;
    /* Saturating: a long idle time must not overflow the product. */
    int64_t floor = -(int64_t)(p->rate_bps * CREDIT_US);
    if (dt > US_PER_S * 10 || (uint64_t)dt * rate > (uint64_t)(p->debt - floor)) {
        p->debt = floor;
        return;
    }
    p->debt -= (int64_t)((uint64_t)dt * rate);
    if (p->debt < floor)
        p->debt = floor;
}

void okno_pacer_set_rate(struct okno_pacer *p, uint64_t rate_bps, int64_t now_us)
{
    drain(p, now_us);
    p->rate_bps = rate_bps > 0 ? rate_bps : 1;
    int64_t floor = -(int64_t)(p->rate_bps * CREDIT_US);
    if (p->debt < floor)
        p->debt = floor;
}

static uint32_t index_of(const struct okno_pacer *p, const struct okno_pacer_pkt *pkt)
{
    return (uint32_t)(pkt - p->slots);
}

struct okno_pacer_pkt *okno_pacer_alloc(struct okno_pacer *p)
{
    if (p->n_free == 0)
        return NULL;
    struct okno_pacer_pkt *pkt = &p->slots[p->free_list[--p->n_free]];
    pkt->len = 0;
    pkt->payload_len = 0;
    pkt->cls = OKNO_PACER_VIDEO;
    pkt->stream = 0;
    pkt->keyframe = false;
    return pkt;
}

void okno_pacer_release(struct okno_pacer *p, struct okno_pacer_pkt *pkt)
{
    p->free_list[p->n_free++] = index_of(p, pkt);
}

void okno_pacer_push(struct okno_pacer *p, struct okno_pacer_pkt *pkt, int64_t now_us)
{
    unsigned c = pkt->cls < OKNO_PACER_CLASSES ? pkt->cls : OKNO_PACER_PADDING;
    pkt->cls = (uint8_t)c;
    pkt->enqueued_us = now_us;
    /* The pool bounds every ring, so a push always has room. */
    p->ring[c][(p->head[c] + p->count[c]) % p->n_slots] = index_of(p, pkt);
    p->count[c]++;
    p->queued_bytes += pkt->len;
    if (c != OKNO_PACER_AUDIO) {
        p->media_bytes += pkt->len;
        p->media_wait_sum_us += now_us - p->media_t0_us;
    }
}

struct okno_pacer_pkt *okno_pacer_pop(struct okno_pacer *p, int64_t now_us, int64_t *due_us)
{
    drain(p, now_us);
    *due_us = INT64_MAX;
    int c = 0;
    while (c < OKNO_PACER_CLASSES && p->count[c] == 0)
        c++;
    if (c == OKNO_PACER_CLASSES)
        return NULL;
    /* Audio goes at once; everything else waits for the debt to drain. */
    if (c != OKNO_PACER_AUDIO && p->debt > 0) {
        uint64_t rate = drain_rate(p, now_us);
        *due_us = now_us + (int64_t)(((uint64_t)p->debt + rate - 1) / rate);
        return NULL;
    }
    uint32_t idx = p->ring[c][p->head[c]];
    p->head[c] = (p->head[c] + 1) % p->n_slots;
    p->count[c]--;
    struct okno_pacer_pkt *pkt = &p->slots[idx];
    p->queued_bytes -= pkt->len;
    if (c != OKNO_PACER_AUDIO) {
        p->media_bytes -= pkt->len;
        p->media_wait_sum_us -= pkt->enqueued_us - p->media_t0_us;
    }
    *due_us = now_us;
    return pkt;
}

void okno_pacer_sent(struct okno_pacer *p, struct okno_pacer_pkt *pkt, int64_t now_us)
{
    drain(p, now_us);
    p->debt += (int64_t)(pkt->len * 8 * US_PER_S);
    okno_pacer_release(p, pkt);
}

bool okno_pacer_has_keyframe(const struct okno_pacer *p, int8_t stream)
{
    const unsigned c = OKNO_PACER_VIDEO;
    for (uint32_t i = 0; i < p->count[c]; i++) {
        const struct okno_pacer_pkt *pkt = &p->slots[p->ring[c][(p->head[c] + i) % p->n_slots]];
        if (pkt->stream == stream && pkt->keyframe)
            return true;
    }
    return false;
}

/* Removes class c's packets of stream, compacting the ring in place. */
static uint32_t flush_class(struct okno_pacer *p, unsigned c, int8_t stream)
{
    uint32_t kept = 0, n = p->count[c];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx = p->ring[c][(p->head[c] + i) % p->n_slots];
        struct okno_pacer_pkt *pkt = &p->slots[idx];
        if (pkt->stream != stream) {
            p->ring[c][(p->head[c] + kept++) % p->n_slots] = idx;
            continue;
        }
        p->queued_bytes -= pkt->len;
        p->media_bytes -= pkt->len;
        p->media_wait_sum_us -= pkt->enqueued_us - p->media_t0_us;
        okno_pacer_release(p, pkt);
    }
    p->count[c] = kept;
    return n - kept;
}

uint32_t okno_pacer_flush_stream(struct okno_pacer *p, int8_t stream)
{
    return flush_class(p, OKNO_PACER_VIDEO, stream) + flush_class(p, OKNO_PACER_RTX, stream);
}

uint32_t okno_pacer_free_slots(const struct okno_pacer *p)
{
    return p->n_free;
}

uint32_t okno_pacer_queued(const struct okno_pacer *p, enum okno_pacer_class cls)
{
    return (unsigned)cls < OKNO_PACER_CLASSES ? p->count[cls] : 0;
}

uint64_t okno_pacer_queued_bytes(const struct okno_pacer *p)
{
    return p->queued_bytes;
}

int64_t okno_pacer_queue_us(const struct okno_pacer *p)
{
    return (int64_t)(p->queued_bytes * 8 * US_PER_S / p->rate_bps);
}

uint64_t okno_pacer_media_bytes(const struct okno_pacer *p)
{
    return p->media_bytes;
}

int64_t okno_pacer_media_queue_us(const struct okno_pacer *p)
{
    return (int64_t)(p->media_bytes * 8 * US_PER_S / p->rate_bps);
}
