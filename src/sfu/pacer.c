/* The per-subscriber pacer (pacer.h): slots on a free list, one FIFO per class threaded through
 * them, and a budget kept in bit-microseconds so a step of any length adds exactly rate x time. */
#include "sfu/pacer.h"

#include <glib.h>
#include <string.h>

#include "okno/err.h"

/* The budget never holds more than this much of the link: a stalled timer (a busy worker) does
 * not turn into a burst of more than 50 ms of data when it wakes. */
#define MAX_STEP_US 50000
#define US_PER_S    1000000

struct slot {
    int64_t enq_us;
    void *tag; /* borrowed: the enqueuer's */
    uint32_t len;
    int32_t next; /* in its class's queue or on the free list; -1: none */
    uint8_t cls;
};

struct queue {
    int32_t head, tail; /* -1: empty */
    unsigned n;
};

struct okno_pacer {
    /* owned */
    uint8_t *data;      /* n_slots x OKNO_PACER_SLOT_BYTES */
    struct slot *slots; /* n_slots */
    /* other */
    unsigned n_slots;
    int32_t free_head;
    struct queue q[OKNO_PACER_N_CLASSES];
    uint32_t rate_bps; /* 0: unpaced */
    /* What may still be sent, in bits x 1e6 (bits per second x microseconds); negative: the debt
     * of a packet larger than what was left, paid by the next steps. */
    int64_t budget;
    int64_t last_us;
    bool started;
    int64_t max_delay_us;
    struct okno_pacer_stats st;
    uint64_t delay_hist[OKNO_PACER_DELAY_BUCKETS];
    uint64_t delay_n;
};

struct okno_pacer *okno_pacer_new(unsigned n_slots)
{
    if (n_slots == 0)
        n_slots = OKNO_PACER_DEFAULT_SLOTS;
    struct okno_pacer *p = g_new0(struct okno_pacer, 1);
    p->n_slots = n_slots;
    p->data = g_malloc((size_t)n_slots * OKNO_PACER_SLOT_BYTES);
    p->slots = g_new0(struct slot, n_slots);
    for (unsigned i = 0; i < n_slots; i++)
        p->slots[i].next = i + 1 < n_slots ? (int32_t)(i + 1) : -1;
    p->free_head = 0;
    for (int c = 0; c < OKNO_PACER_N_CLASSES; c++)
        p->q[c] = (struct queue){.head = -1, .tail = -1, .n = 0};
    p->max_delay_us = OKNO_PACER_DEFAULT_MAX_DELAY_US;
    return p;
}

void okno_pacer_free(struct okno_pacer *p)
{
    if (!p)
        return;
    g_free(p->data);
    g_free(p->slots);
    g_free(p);
}

void okno_pacer_set_estimate(struct okno_pacer *p, uint32_t estimate_bps)
{
    if (estimate_bps == 0) {
        p->rate_bps = 0;
        return;
    }
    uint64_t r = (uint64_t)estimate_bps * OKNO_PACER_FACTOR_PERMILLE / 1000u;
    if (r < OKNO_PACER_MIN_RATE_BPS)
        r = OKNO_PACER_MIN_RATE_BPS;
    p->rate_bps = r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

void okno_pacer_set_max_delay(struct okno_pacer *p, int64_t max_delay_us)
{
    if (max_delay_us > 0)
        p->max_delay_us = max_delay_us;
}

static uint8_t *slot_data(const struct okno_pacer *p, int32_t i)
{
    return p->data + (size_t)i * OKNO_PACER_SLOT_BYTES;
}

/* Takes the head of class c off its queue; the caller frees or sends it. */
static int32_t pop(struct okno_pacer *p, int c)
{
    struct queue *q = &p->q[c];
    int32_t i = q->head;
    q->head = p->slots[i].next;
    if (q->head < 0)
        q->tail = -1;
    q->n--;
    p->st.queued_packets--;
    p->st.queued_bytes -= p->slots[i].len;
    return i;
}

static void release(struct okno_pacer *p, int32_t i)
{
    p->slots[i].next = p->free_head;
    p->slots[i].tag = NULL;
    p->free_head = i;
}

/* A free slot, evicting the oldest packet of the lowest class below cls when none is left. */
static int32_t take_slot(struct okno_pacer *p, int cls)
{
    if (p->free_head < 0) {
        for (int c = OKNO_PACER_N_CLASSES - 1; c > cls; c--) {
            if (p->q[c].n == 0)
                continue;
            p->st.dropped_full[c]++;
            release(p, pop(p, c));
            break;
        }
    }
    int32_t i = p->free_head;
    if (i >= 0)
        p->free_head = p->slots[i].next;
    return i;
}

int okno_pacer_enqueue(struct okno_pacer *p, enum okno_pacer_class cls, void *tag,
                       const uint8_t *pkt, size_t len, int64_t now_us)
{
    if ((unsigned)cls >= OKNO_PACER_N_CLASSES || !pkt || len == 0)
        return OKNO_E_INVAL;
    if (len > OKNO_MTU) {
        p->st.dropped_big[cls]++;
        return OKNO_E_RANGE;
    }
    int32_t i = take_slot(p, (int)cls);
    if (i < 0) {
        p->st.dropped_full[cls]++;
        return OKNO_E_NOSPC;
    }
    memcpy(slot_data(p, i), pkt, len);
    struct slot *s = &p->slots[i];
    *s = (struct slot){
        .enq_us = now_us, .tag = tag, .len = (uint32_t)len, .next = -1, .cls = (uint8_t)cls};
    struct queue *q = &p->q[cls];
    if (q->tail >= 0)
        p->slots[q->tail].next = i;
    else
        q->head = i;
    q->tail = i;
    q->n++;
    p->st.enqueued[cls]++;
    p->st.queued_packets++;
    p->st.queued_bytes += len;
    return 0;
}

static void drop_late(struct okno_pacer *p, int64_t now_us)
{
    for (int c = OKNO_PACER_RTX; c < OKNO_PACER_N_CLASSES; c++) {
        while (p->q[c].n > 0 && now_us - p->slots[p->q[c].head].enq_us > p->max_delay_us) {
            p->st.dropped_late[c]++;
            release(p, pop(p, c));
        }
    }
}

static void note_delay(struct okno_pacer *p, int64_t delay_us)
{
    if (delay_us < 0)
        delay_us = 0;
    if (delay_us > p->st.delay_max_us)
        p->st.delay_max_us = delay_us;
    int64_t b = delay_us / 1000;
    p->delay_hist[b >= OKNO_PACER_DELAY_BUCKETS ? OKNO_PACER_DELAY_BUCKETS - 1 : b]++;
    p->delay_n++;
}

static void send_one(struct okno_pacer *p, int c, int64_t now_us, okno_pacer_send_fn send, void *ud)
{
    int32_t i = pop(p, c);
    struct slot *s = &p->slots[i];
    note_delay(p, now_us - s->enq_us);
    p->budget -= (int64_t)s->len * 8 * US_PER_S;
    if (send(ud, (enum okno_pacer_class)c, s->tag, slot_data(p, i), s->len, OKNO_PACER_SLOT_BYTES,
             now_us) == 0) {
        p->st.sent[c]++;
        p->st.sent_bytes[c] += s->len;
    } else {
        p->st.dropped_send[c]++;
    }
    release(p, i);
}

unsigned okno_pacer_process(struct okno_pacer *p, int64_t now_us, okno_pacer_send_fn send, void *ud)
{
    int64_t step = p->started ? now_us - p->last_us : OKNO_PACER_INTERVAL_US;
    if (step < 0)
        step = 0;
    if (step > MAX_STEP_US)
        step = MAX_STEP_US;
    p->started = true;
    p->last_us = now_us;
    /* What is left unused of a step is kept for one step at most: an idle link is no credit. */
    int64_t add = (int64_t)p->rate_bps * step;
    int64_t cap =
        (int64_t)p->rate_bps * (step > OKNO_PACER_INTERVAL_US ? step : OKNO_PACER_INTERVAL_US);
    p->budget += add;
    if (p->budget > cap)
        p->budget = cap;

    drop_late(p, now_us);
    unsigned sent = 0;
    /* Audio is never held back by the budget; it still pays into it. */
    while (p->q[OKNO_PACER_AUDIO].n > 0) {
        send_one(p, OKNO_PACER_AUDIO, now_us, send, ud);
        sent++;
    }
    for (int c = OKNO_PACER_RTX; c < OKNO_PACER_N_CLASSES; c++) {
        while (p->q[c].n > 0 && (p->rate_bps == 0 || p->budget > 0)) {
            send_one(p, c, now_us, send, ud);
            sent++;
        }
    }
    if (p->rate_bps == 0 || p->budget < -cap * 20)
        p->budget = p->rate_bps == 0 ? 0 : -cap * 20; /* audio alone cannot run up endless debt */
    return sent;
}

void okno_pacer_forget(struct okno_pacer *p, const void *tag)
{
    for (int c = 0; c < OKNO_PACER_N_CLASSES; c++) {
        struct queue *q = &p->q[c];
        int32_t prev = -1;
        for (int32_t i = q->head; i >= 0;) {
            int32_t next = p->slots[i].next;
            if (p->slots[i].tag != tag) {
                prev = i;
                i = next;
                continue;
            }
            if (prev >= 0)
                p->slots[prev].next = next;
            else
                q->head = next;
            if (q->tail == i)
                q->tail = prev;
            q->n--;
            p->st.queued_packets--;
            p->st.queued_bytes -= p->slots[i].len;
            p->st.forgotten++;
            release(p, i);
            i = next;
        }
    }
}

unsigned okno_pacer_queued(const struct okno_pacer *p)
{
    return p->st.queued_packets;
}

uint64_t okno_pacer_queued_bytes(const struct okno_pacer *p)
{
    return p->st.queued_bytes;
}

void okno_pacer_stats(const struct okno_pacer *p, struct okno_pacer_stats *out)
{
    *out = p->st;
    out->rate_bps = p->rate_bps;
    out->delay_p95_us = 0;
    if (p->delay_n == 0)
        return;
    /* The smallest bucket by which 95 % of the delays are counted, as its upper edge. */
    uint64_t want = (p->delay_n * 95 + 99) / 100, seen = 0;
    for (int b = 0; b < OKNO_PACER_DELAY_BUCKETS; b++) {
        seen += p->delay_hist[b];
        if (seen >= want) {
            out->delay_p95_us = (int64_t)(b + 1) * 1000;
            break;
        }
    }
    if (out->delay_p95_us > out->delay_max_us)
        out->delay_p95_us = out->delay_max_us;
}
