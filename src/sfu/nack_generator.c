/* The missing list behind the NACK generator: entries sorted by unwrapped sequence number in one
 * array allocated at create, live between head and head + count. Gaps only ever open above the
 * newest number, so appending keeps the order; giving up old numbers advances head; a recovered
 * number is found by binary search and closed up with memmove. With 1 % loss the list holds a few
 * entries, and at its worst (capacity 1000) the memmove is a few kilobytes on a rare event, which
 * beats the pointer chasing of a tree. Polls walk the whole list: it is short, and the
 * RTT-dependent due times cannot be kept in order anyway. This file deliberately knows nothing of
 * RTCP. */
#include "sfu/nack_generator.h"

#include <stdlib.h>
#include <string.h>

#include "okno/err.h"
#include "wire/seq.h"

#define LIMIT_SEQ   16384 /* capacity and max_seq_age: well inside half the 16-bit space */
#define RESTART_GAP 16384

struct entry {
    int64_t seq;        /* unwrapped */
    int64_t missing_us; /* when the gap was seen */
    int64_t sent_us;    /* last NACK; meaningless while retries is 0 */
    uint32_t retries;   /* NACKs sent */
    bool too_late;      /* past the deadline: tracked, never NACKed again */
};

struct okno_nack_generator {
    struct okno_nack_config cfg; /* copied, defaults filled */
    /* owned, allocated at create */
    struct entry *list; /* cfg.capacity entries */
    size_t head, count;
    /* the stream */
    bool started;
    int64_t newest;          /* unwrapped */
    int64_t last_missing_us; /* of the gap the last on_packet filled; -1: none */
    int64_t hold_until_us;   /* nothing NACKed before this (okno_nack_generator_hold); 0: none */
    struct okno_nack_stats stats;
};

int okno_nack_generator_create(const struct okno_nack_config *cfg, struct okno_nack_generator **out)
{
    struct okno_nack_config c = cfg ? *cfg : (struct okno_nack_config){0};
    if (c.capacity > LIMIT_SEQ || c.max_seq_age > LIMIT_SEQ || c.max_retries > 255 ||
        c.reorder_wait_us < 0 || c.min_interval_us < 0 || c.default_rtt_us < 0 ||
        c.max_age_us < 0 || c.deadline_us < 0)
        return OKNO_E_INVAL;
    if (!c.capacity)
        c.capacity = 1000;
    if (!c.reorder_wait_us)
        c.reorder_wait_us = 10000;
    if (!c.min_interval_us)
        c.min_interval_us = 20000;
    if (!c.default_rtt_us)
        c.default_rtt_us = 100000;
    if (!c.max_age_us)
        c.max_age_us = 1000000;
    if (!c.max_seq_age)
        c.max_seq_age = 1000;
    if (!c.max_retries)
        c.max_retries = 10;
    struct okno_nack_generator *ng = calloc(1, sizeof *ng);
    if (!ng)
        return OKNO_E_NOMEM;
    ng->list = calloc(c.capacity, sizeof *ng->list);
    if (!ng->list) {
        free(ng);
        return OKNO_E_NOMEM;
    }
    ng->cfg = c;
    ng->last_missing_us = -1;
    *out = ng;
    return 0;
}

void okno_nack_generator_destroy(struct okno_nack_generator *ng)
{
    if (!ng)
        return;
    free(ng->list);
    free(ng);
}

static struct entry *at(struct okno_nack_generator *ng, size_t i)
{
    return &ng->list[ng->head + i];
}

/* Drops the n oldest entries. */
static void drop_front(struct okno_nack_generator *ng, size_t n)
{
    ng->head += n;
    ng->count -= n;
    if (ng->count == 0)
        ng->head = 0;
}

/* Gives up the n oldest entries, counted. */
static void give_up_oldest(struct okno_nack_generator *ng, size_t n)
{
    ng->stats.given_up += n;
    drop_front(ng, n);
}

static void give_up_all(struct okno_nack_generator *ng)
{
    give_up_oldest(ng, ng->count);
}

/* Index of the first entry whose number is >= seq (count when none). */
static size_t lower_bound(struct okno_nack_generator *ng, int64_t seq)
{
    size_t lo = 0, hi = ng->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (at(ng, mid)->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void restart(struct okno_nack_generator *ng, int64_t seq)
{
    give_up_all(ng);
    ng->started = true;
    ng->newest = seq;
}

static bool expired(const struct okno_nack_generator *ng, const struct entry *e, int64_t now_us)
{
    return ng->newest - e->seq > (int64_t)ng->cfg.max_seq_age ||
           now_us - e->missing_us >= ng->cfg.max_age_us;
}

/* Entries are appended in order of both number and time, so the expired ones are a prefix. */
static void give_up_expired(struct okno_nack_generator *ng, int64_t now_us)
{
    size_t old = 0;
    while (old < ng->count && expired(ng, at(ng, old), now_us))
        old++;
    give_up_oldest(ng, old);
}

/* A hold reached its end without its keyframe: what went missing during it is still useless, and
 * the keyframe requester's retry goes out now (a burst of NACKs for all of it was seen to cost the
 * retry's way). Entries are in time order: those are a prefix. */
static void end_hold(struct okno_nack_generator *ng)
{
    size_t held = 0;
    while (held < ng->count && at(ng, held)->missing_us < ng->hold_until_us)
        held++;
    give_up_oldest(ng, held);
    ng->hold_until_us = 0;
}

/* Opens the gap between the newest number and seq (exclusive); seq is the new newest. */
static unsigned open_gap(struct okno_nack_generator *ng, int64_t seq, int64_t now_us)
{
    unsigned res = OKNO_NACK_NEW;
    size_t gap = (size_t)(seq - ng->newest - 1);
    ng->newest = seq;
    give_up_expired(ng, now_us);
    if (gap == 0)
        return res;
    ng->stats.missing += gap;
    if (gap > ng->cfg.max_seq_age || gap > ng->cfg.capacity) {
        /* Every number of the gap would be given up before it could be repaired. */
        give_up_all(ng);
        ng->stats.given_up += gap;
        return res | OKNO_NACK_KEYFRAME;
    }
    if (ng->count + gap > ng->cfg.capacity) {
        size_t drop = ng->count + gap - ng->cfg.capacity;
        ng->stats.given_up += drop;
        drop_front(ng, drop);
        res |= OKNO_NACK_KEYFRAME;
    }
    if (ng->head + ng->count + gap > ng->cfg.capacity) {
        memmove(ng->list, at(ng, 0), ng->count * sizeof *ng->list);
        ng->head = 0;
    }
    for (size_t i = 0; i < gap; i++) {
        *at(ng, ng->count + i) = (struct entry){
            .seq = seq - (int64_t)gap + (int64_t)i,
            .missing_us = now_us,
        };
    }
    ng->count += gap;
    return res;
}

/* Removes seq from the list if it is there. */
static unsigned fill_gap(struct okno_nack_generator *ng, int64_t seq)
{
    size_t i = lower_bound(ng, seq);
    if (i == ng->count || at(ng, i)->seq != seq)
        return OKNO_NACK_DUPLICATE;
    ng->last_missing_us = at(ng, i)->missing_us;
    unsigned res;
    if (at(ng, i)->retries > 0) {
        ng->stats.recovered++;
        res = OKNO_NACK_RECOVERED;
    } else {
        ng->stats.reordered++;
        res = OKNO_NACK_REORDERED;
    }
    if (i == 0) {
        drop_front(ng, 1);
    } else {
        memmove(at(ng, i), at(ng, i + 1), (ng->count - i - 1) * sizeof *ng->list);
        ng->count--;
    }
    return res;
}

unsigned okno_nack_generator_on_packet(struct okno_nack_generator *ng, uint16_t seq16,
                                       unsigned pkt_flags, int64_t now_us)
{
    unsigned res;
    if (pkt_flags & OKNO_NACK_PKT_RETRANSMISSION)
        ng->stats.retransmissions++;
    ng->last_missing_us = -1;
    if (!ng->started) {
        restart(ng, seq16);
        res = OKNO_NACK_NEW;
    } else {
        int32_t d = okno_seq_diff(seq16, (uint16_t)ng->newest);
        int64_t seq = ng->newest + d;
        if (d <= -RESTART_GAP) {
            restart(ng, seq16);
            res = OKNO_NACK_NEW | OKNO_NACK_KEYFRAME;
        } else if (d > 0) {
            res = open_gap(ng, seq, now_us);
        } else {
            res = fill_gap(ng, seq);
        }
    }
    if ((pkt_flags & OKNO_NACK_PKT_KEYFRAME) && ng->count > 0) {
        int64_t seq = ng->newest + okno_seq_diff(seq16, (uint16_t)ng->newest);
        size_t n = lower_bound(ng, seq);
        ng->stats.cleared_by_keyframe += n;
        drop_front(ng, n);
    }
    if (pkt_flags & OKNO_NACK_PKT_KEYFRAME) {
        res &= ~(unsigned)OKNO_NACK_KEYFRAME; /* this very packet is what we would ask for */
        ng->hold_until_us = 0;                /* what the hold waited for */
    }
    if (res & OKNO_NACK_KEYFRAME)
        ng->stats.keyframe_requests++;
    return res;
}

size_t okno_nack_generator_poll(struct okno_nack_generator *ng, int64_t now_us, int64_t rtt_us,
                                uint16_t *out, size_t cap)
{
    int64_t rtt = rtt_us > 0 ? rtt_us : ng->cfg.default_rtt_us;
    int64_t interval = rtt;
    if (interval < ng->cfg.min_interval_us)
        interval = ng->cfg.min_interval_us;
    give_up_expired(ng, now_us);
    if (ng->hold_until_us) {
        if (now_us < ng->hold_until_us)
            return 0;
        end_hold(ng);
    }

    size_t n = 0;
    for (size_t i = 0; i < ng->count && n < cap; i++) {
        struct entry *e = at(ng, i);
        if (e->retries >= ng->cfg.max_retries || e->too_late)
            continue; /* kept until it expires, so a late arrival still counts as recovered */
        if (ng->cfg.deadline_us > 0 &&
            now_us - e->missing_us + rtt / 2 > ng->cfg.deadline_us + rtt) {
            e->too_late = true;
            ng->stats.too_late++;
            continue;
        }
        bool due = e->retries == 0 ? now_us - e->missing_us >= ng->cfg.reorder_wait_us
                                   : now_us - e->sent_us >= interval;
        if (!due)
            continue;
        e->retries++;
        e->sent_us = now_us;
        out[n++] = (uint16_t)e->seq;
    }
    ng->stats.nacked += n;
    return n;
}

int64_t okno_nack_generator_next_wakeup(const struct okno_nack_generator *ng)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < ng->count; i++) {
        const struct entry *e = &ng->list[ng->head + i];
        int64_t t;
        if (e->retries == 0)
            t = e->missing_us + ng->cfg.reorder_wait_us;
        else if (e->retries < ng->cfg.max_retries && !e->too_late)
            t = e->sent_us + ng->cfg.min_interval_us;
        else
            t = INT64_MAX; /* only its expiry is left */
        if (t < ng->hold_until_us)
            t = ng->hold_until_us; /* a NACK due in a hold waits for its end */
        int64_t expiry = e->missing_us + ng->cfg.max_age_us;
        if (expiry < t)
            t = expiry;
        if (t < next)
            next = t;
    }
    return next;
}

int64_t okno_nack_generator_last_missing_us(const struct okno_nack_generator *ng)
{
    return ng->last_missing_us;
}

void okno_nack_generator_hold(struct okno_nack_generator *ng, int64_t until_us)
{
    ng->stats.holds++;
    if (until_us > ng->hold_until_us)
        ng->hold_until_us = until_us;
}

size_t okno_nack_generator_missing_count(const struct okno_nack_generator *ng)
{
    return ng->count;
}

void okno_nack_generator_stats(const struct okno_nack_generator *ng, struct okno_nack_stats *out)
{
    *out = ng->stats;
}
