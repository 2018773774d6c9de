/* Single-producer single-consumer lane between two worker threads (lane.h).
 *
 * head and tail are free-running 64-bit counters (slot = counter & mask), each written by one side
 * only, so a push and a handled slot cost a release store and an acquire load, no lock. The
 * consumer sleeps in its context's poll on an eventfd; "armed" says it is idle and wants a write.
 * Arming follows Dekker's pattern with sequentially consistent operations on both sides: the
 * consumer stores armed = 1 and then looks at tail (and at the retired count); the producer
 * publishes tail (or a retired object) and then takes armed. Whichever comes second sees the
 * other's write, so a packet is never left queued while the consumer sleeps, and a wake is
 * written only when the consumer is idle and at most once per producer iteration.
 *
 * Retired objects go in a mutex-guarded queue with the tail they were retired at: a retired object
 * is freed once head has passed that ticket, i.e. after every slot that may name it. */
#include "core/lane.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct lane_slot {
    okno_lane_fn fn;
    void *obj;
    uint32_t len;
    uint32_t kind;
    _Alignas(8) uint8_t data[OKNO_LANE_SLOT_BYTES];
};

struct retired {
    uint64_t ticket;
    void (*free_fn)(void *obj);
    void *obj;
};

struct lane_source {
    GSource base;
    struct okno_lane *lane; /* borrowed: the lane destroys its sources before it is freed */
};

struct okno_lane {
    /* Written by the producer only. */
    _Alignas(64) _Atomic uint64_t tail;
    _Atomic uint64_t drops;
    bool wake_pending;    /* producer thread only */
    uint64_t cached_head; /* producer thread only: head as last read, re-read when it looks full */
    /* Written by the consumer only. */
    _Alignas(64) _Atomic uint64_t head;
    /* Both. */
    _Alignas(64) atomic_int armed;
    atomic_int n_retired;
    pthread_mutex_t lock; /* guards retired; pthread, not GMutex: ThreadSanitizer sees it */
    GQueue retired;
    _Atomic(void (*)(void)) flush; /* okno_lane_set_flush; read by the consumer */
    /* Immutable after creation; owned. */
    uint64_t mask;
    struct lane_slot *slots;
    int efd;
    GSource *consumer_src, *producer_src;
};

/* --- consumer side ---------------------------------------------------------------------------- */

static void free_due(struct okno_lane *lane, uint64_t head)
{
    if (atomic_load(&lane->n_retired) == 0)
        return;
    GQueue due = G_QUEUE_INIT;
    pthread_mutex_lock(&lane->lock);
    for (;;) {
        struct retired *r = g_queue_peek_head(&lane->retired);
        if (!r || r->ticket > head)
            break;
        g_queue_push_tail(&due, g_queue_pop_head(&lane->retired));
    }
    pthread_mutex_unlock(&lane->lock);
    struct retired *r;
    while ((r = g_queue_pop_head(&due))) {
        r->free_fn(r->obj);
        g_free(r);
        atomic_fetch_sub(&lane->n_retired, 1);
    }
}

unsigned okno_lane_drain(struct okno_lane *lane, unsigned max)
{
    uint64_t h = atomic_load_explicit(&lane->head, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&lane->tail, memory_order_acquire);
    /* After tail: a flush set before a push is seen with the push. */
    void (*flush)(void) = atomic_load_explicit(&lane->flush, memory_order_relaxed);
    unsigned n = 0, run = 0;
    while (h != t && (max == 0 || n < max)) {
        struct lane_slot *s = &lane->slots[h & lane->mask];
        s->fn(s->obj, s->kind, s->data, s->len, sizeof s->data);
        h++;
        n++;
        /* Without a flush each slot is released at once, so the producer can reuse it; with one,
         * after the run it belongs to has been flushed. */
        if (!flush || ++run == OKNO_LANE_BATCH) {
            if (flush)
                flush();
            run = 0;
            atomic_store_explicit(&lane->head, h, memory_order_release);
        }
        if (h == t)
            t = atomic_load_explicit(&lane->tail, memory_order_acquire);
    }
    if (run > 0) {
        flush();
        atomic_store_explicit(&lane->head, h, memory_order_release);
    }
    free_due(lane, h);
    return n;
}

void okno_lane_set_flush(struct okno_lane *lane, void (*flush)(void))
{
    atomic_store_explicit(&lane->flush, flush, memory_order_relaxed);
}

static bool lane_busy(struct okno_lane *lane)
{
    return atomic_load(&lane->tail) != atomic_load_explicit(&lane->head, memory_order_relaxed) ||
           atomic_load(&lane->n_retired) > 0;
}

static gboolean consumer_dispatch(GSource *src, GSourceFunc cb, gpointer ud)
{
    (void)cb;
    (void)ud;
    struct okno_lane *lane = ((struct lane_source *)src)->lane;
    g_source_set_ready_time(src, -1);
    uint64_t v;
    if (read(lane->efd, &v, sizeof v) < 0 && errno != EAGAIN)
        g_warning("lane: eventfd read: %s", g_strerror(errno));
    /* At most one ring's worth per dispatch, so a flood cannot starve the worker's own rooms. */
    okno_lane_drain(lane, (unsigned)lane->mask + 1);
    if (atomic_load_explicit(&lane->tail, memory_order_acquire) !=
        atomic_load_explicit(&lane->head, memory_order_relaxed)) {
        g_source_set_ready_time(src, 0); /* still disarmed: come back next iteration */
        return G_SOURCE_CONTINUE;
    }
    atomic_store(&lane->armed, 1);
    if (lane_busy(lane) && atomic_exchange(&lane->armed, 0) == 1)
        g_source_set_ready_time(src, 0); /* the producer did not take it: no write is coming */
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs consumer_funcs = {.dispatch = consumer_dispatch};

/* --- producer side ---------------------------------------------------------------------------- */

void okno_lane_flush(struct okno_lane *lane)
{
    if (!lane->wake_pending)
        return;
    lane->wake_pending = false;
    if (atomic_exchange(&lane->armed, 0) == 1) {
        uint64_t one = 1;
        if (write(lane->efd, &one, sizeof one) < 0 && errno != EAGAIN)
            g_warning("lane: eventfd write: %s", g_strerror(errno));
    }
}

/* Runs before the producer's context polls: the end of the batch this iteration pushed. */
static gboolean producer_prepare(GSource *src, gint *timeout)
{
    okno_lane_flush(((struct lane_source *)src)->lane);
    *timeout = -1;
    return FALSE;
}

static gboolean producer_dispatch(GSource *src, GSourceFunc cb, gpointer ud)
{
    (void)src;
    (void)cb;
    (void)ud;
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs producer_funcs = {.prepare = producer_prepare, .dispatch = producer_dispatch};

int okno_lane_push(struct okno_lane *lane, okno_lane_fn fn, void *obj, unsigned kind,
                   const uint8_t *data, size_t len)
{
    if (len > OKNO_LANE_SLOT_BYTES)
        return OKNO_E_NOSPC;
    uint64_t t = atomic_load_explicit(&lane->tail, memory_order_relaxed);
    /* head's line is the consumer's: read only when the ring looks full by the last reading. */
    if (t - lane->cached_head > lane->mask)
        lane->cached_head = atomic_load_explicit(&lane->head, memory_order_acquire);
    if (t - lane->cached_head > lane->mask) {
        atomic_store_explicit(&lane->drops,
                              atomic_load_explicit(&lane->drops, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        return OKNO_E_AGAIN;
    }
    struct lane_slot *s = &lane->slots[t & lane->mask];
    s->fn = fn;
    s->obj = obj;
    s->kind = kind;
    s->len = (uint32_t)len;
    memcpy(s->data, data, len);
    atomic_store(&lane->tail, t + 1); /* seq_cst: before the flush's look at armed */
    lane->wake_pending = true;
    /* An idle consumer is woken at once, so it sends while the producer is still fanning the rest
     * out: waiting for the end of a worker's iteration held the first of a 100-subscriber fan-out
     * for the whole of it. A busy one is not (armed is 0 until it has drained everything). The
     * relaxed look may miss an arming that has just happened: the flush before the producer sleeps
     * does not. */
    if (atomic_load_explicit(&lane->armed, memory_order_relaxed))
        okno_lane_flush(lane);
    return 0;
}

void okno_lane_retire(struct okno_lane *lane, void (*free_fn)(void *obj), void *obj)
{
    struct retired *r = g_new(struct retired, 1);
    r->ticket = atomic_load_explicit(&lane->tail, memory_order_relaxed);
    r->free_fn = free_fn;
    r->obj = obj;
    pthread_mutex_lock(&lane->lock);
    g_queue_push_tail(&lane->retired, r);
    pthread_mutex_unlock(&lane->lock);
    atomic_fetch_add(&lane->n_retired, 1);
    lane->wake_pending = true;
}

/* --- life ------------------------------------------------------------------------------------- */

int okno_lane_new(GMainContext *producer, GMainContext *consumer, unsigned slots,
                  struct okno_lane **out)
{
    if (!out || slots < 2 || slots > 65536 || (slots & (slots - 1)) != 0)
        return OKNO_E_INVAL;
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0)
        return OKNO_E_IO;
    /* 64-byte aligned: the two sides' counters are on cache lines of their own. */
    struct okno_lane *lane = g_aligned_alloc0(1, sizeof *lane, 64);
    lane->slots = g_new(struct lane_slot, slots);
    lane->mask = slots - 1;
    lane->efd = efd;
    atomic_init(&lane->armed, 1); /* nothing queued: the consumer is idle */
    pthread_mutex_init(&lane->lock, NULL);
    g_queue_init(&lane->retired);
    if (consumer) {
        lane->consumer_src = g_source_new(&consumer_funcs, sizeof(struct lane_source));
        ((struct lane_source *)lane->consumer_src)->lane = lane;
        g_source_add_unix_fd(lane->consumer_src, efd, G_IO_IN);
        g_source_set_name(lane->consumer_src, "okno lane consumer");
        g_source_attach(lane->consumer_src, consumer);
    }
    if (producer) {
        lane->producer_src = g_source_new(&producer_funcs, sizeof(struct lane_source));
        ((struct lane_source *)lane->producer_src)->lane = lane;
        g_source_set_name(lane->producer_src, "okno lane producer");
        /* A context stops preparing sources below the priority of one already ready: above every
         * other, this one's prepare (the flush) runs in every iteration. */
        g_source_set_priority(lane->producer_src, G_PRIORITY_HIGH - 100);
        g_source_attach(lane->producer_src, producer);
    }
    *out = lane;
    return 0;
}

uint64_t okno_lane_drops(const struct okno_lane *lane)
{
    return atomic_load_explicit(&lane->drops, memory_order_relaxed);
}

uint64_t okno_lane_pushed(const struct okno_lane *lane)
{
    return atomic_load_explicit(&lane->tail, memory_order_relaxed);
}

static void destroy_source(GSource *src)
{
    if (src) {
        g_source_destroy(src);
        g_source_unref(src);
    }
}

void okno_lane_free(struct okno_lane *lane)
{
    if (!lane)
        return;
    destroy_source(lane->consumer_src);
    destroy_source(lane->producer_src);
    /* Queued slots are discarded: every object they name is retired below at the latest. */
    free_due(lane, UINT64_MAX);
    pthread_mutex_destroy(&lane->lock);
    close(lane->efd);
    g_free(lane->slots);
    g_aligned_free(lane);
}
