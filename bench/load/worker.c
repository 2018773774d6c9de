/* okno-bench load's worker threads: each runs its clients' GLib loop, their pacing tick and the
 * latency probe to the next worker, the controller's calls, and its share of a window's
 * counting; see clients_internal.h. */
#include <time.h>

#include "load/batch.h"
#include "load/clients_internal.h"
#include "net/rx_stamp.h"
#include "okno/err.h"

#define TICK_MS          5
#define PROBE_EVERY_US   20000
#define PROBE_MAGIC      0x6f6b6e6f4c4f4144ull /* "oknoLOAD" */
#define LATENCY_SAMPLES  (1u << 18)
#define BASELINE_SAMPLES (1u << 14)

/* ---- running on a worker ------------------------------------------------------------------- */

struct call {
    GMutex m;
    GCond cond;
    bool done;
    struct load_worker *w;
    void (*fn)(struct load_worker *, void *);
    void *arg;
};

static gboolean call_cb(gpointer data)
{
    struct call *c = data;
    c->fn(c->w, c->arg);
    atomic_fetch_sub(&c->w->calls_pending, 1);
    g_mutex_lock(&c->m);
    c->done = true;
    g_cond_signal(&c->cond);
    g_mutex_unlock(&c->m);
    return G_SOURCE_REMOVE;
}

static void run_on_at(struct load_worker *w, void (*fn)(struct load_worker *, void *), void *arg,
                      int priority)
{
    struct call c = {.w = w, .fn = fn, .arg = arg};
    g_mutex_init(&c.m);
    g_cond_init(&c.cond);
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, priority);
    g_source_set_callback(src, call_cb, &c, NULL);
    /* A batched worker sleeping out its batch wakes for it (batched_poll). */
    g_mutex_lock(&w->batch_lock);
    atomic_fetch_add(&w->calls_pending, 1);
    g_cond_signal(&w->batch_cond);
    g_mutex_unlock(&w->batch_lock);
    g_source_attach(src, w->ctx);
    g_source_unref(src);
    g_mutex_lock(&c.m);
    while (!c.done)
        g_cond_wait(&c.cond, &c.m);
    g_mutex_unlock(&c.m);
    g_mutex_clear(&c.m);
    g_cond_clear(&c.cond);
}

void okno__load_run_on(struct load_worker *w, void (*fn)(struct load_worker *, void *), void *arg)
{
    run_on_at(w, fn, arg, G_PRIORITY_HIGH);
}

/* A window's boundary runs at the sockets' priority: GLib dispatches sources of one priority in
 * the order they were attached, so it runs after every client's socket has given what it holds
 * (a batched worker's backlog of up to a batch), and the window counts what arrived after it, not
 * what arrived up to a batch before. */
void okno__load_run_boundary_on(struct load_worker *w, void (*fn)(struct load_worker *, void *),
                                void *arg)
{
    run_on_at(w, fn, arg, G_PRIORITY_DEFAULT);
}

void okno__load_session_closed(void *worker)
{
    struct load_worker *w = worker;
    if (w->closing > 0 && --w->closing == 0 && w->stopping)
        g_main_loop_quit(w->loop);
}

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- workers --------------------------------------------------------------------------------- */

/* A batched worker's poll (batch.h): sleep out the rest of the batch first, so datagrams gather in
 * the sockets and one iteration (whose cost grows with the sources of every client on the worker)
 * and one dispatch of each socket serve many. A call of the controller ends the sleep, so window
 * boundaries are not a batch late. */
static _Thread_local struct load_worker *batch_worker;
static _Thread_local int64_t last_wake_us;

static gint batched_poll(GPollFD *fds, guint nfds, gint timeout_ms)
{
    struct load_worker *w = batch_worker;
    if (!w) /* the controller, draining the context after the worker's thread ended */
        return g_poll(fds, nfds, timeout_ms);
    int64_t wait =
        okno_load_batch_sleep_us(g_get_monotonic_time(), last_wake_us, w->c->cfg.batch_us,
                                 atomic_load(&w->calls_pending) > 0, &timeout_ms);
    if (wait > 0) {
        int64_t until = g_get_monotonic_time() + wait;
        g_mutex_lock(&w->batch_lock);
        while (atomic_load(&w->calls_pending) == 0 &&
               g_cond_wait_until(&w->batch_cond, &w->batch_lock, until))
            ;
        g_mutex_unlock(&w->batch_lock);
    }
    gint n = g_poll(fds, nfds, timeout_ms);
    last_wake_us = g_get_monotonic_time();
    return n;
}

static gboolean on_tick(gpointer data)
{
    struct load_worker *w = data;
    int64_t now = g_get_monotonic_time();
    for (guint i = 0; i < w->pubs->len; i++) {
        struct load_pub *p = g_ptr_array_index(w->pubs, i);
        okno__load_pub_pump(p, now);
    }
    for (guint i = 0; i < w->subs->len; i++)
        okno__load_sub_tick(g_ptr_array_index(w->subs, i), now);
    if (now >= w->next_probe_us && w->probe_to) {
        w->next_probe_us = now + PROBE_EVERY_US;
        uint64_t msg[2] = {PROBE_MAGIC, (uint64_t)g_get_monotonic_time()};
        (void)g_socket_send_to(w->probe, w->probe_to, (const gchar *)msg, sizeof(msg), NULL, NULL);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_probe(GSocket *sock, GIOCondition cond, gpointer data)
{
    (void)cond;
    struct load_worker *w = data;
    uint64_t msg[2];
    gssize n;
    while ((n = g_socket_receive(sock, (gchar *)msg, sizeof(msg), NULL, NULL)) > 0) {
        int64_t now = g_get_monotonic_time(), arrived;
        if (okno_rx_stamp_mono(g_socket_get_fd(sock), &arrived) == 0 && arrived <= now)
            now = arrived;
        int64_t d = now - (int64_t)msg[1];
        /* A batched worker's datagrams wait for its next wake-up, which the latency probes'
         * worker does not: only unbatched subscribers' workers measure the baseline. */
        if (n == sizeof(msg) && msg[0] == PROBE_MAGIC && d >= 0 && w->measuring && w->measures_base)
            okno_reservoir_add(&w->baseline, (double)d / 1000.0);
    }
    return G_SOURCE_CONTINUE;
}

static gpointer worker_main(gpointer data)
{
    struct load_worker *w = data;
    g_main_context_push_thread_default(w->ctx);
    if (w->batched) {
        batch_worker = w;
        g_main_context_set_poll_func(w->ctx, batched_poll);
    }
    g_main_loop_run(w->loop);
    g_main_context_pop_thread_default(w->ctx);
    return NULL;
}

void okno__load_worker_start(struct load_worker *w, const char *name)
{
    w->thread = g_thread_new(name, worker_main, w);
}

int okno__load_worker_init(struct okno_load_clients *c, struct load_worker *w, unsigned index)
{
    w->c = c;
    w->index = index;
    g_mutex_init(&w->batch_lock);
    g_cond_init(&w->batch_cond);
    w->ctx = g_main_context_new();
    w->loop = g_main_loop_new(w->ctx, FALSE);
    w->pubs = g_ptr_array_new();
    w->subs = g_ptr_array_new();
    if (okno_reservoir_init(&w->latency, LATENCY_SAMPLES) < 0 ||
        okno_reservoir_init(&w->baseline, BASELINE_SAMPLES) < 0 ||
        okno_reservoir_init(&w->read_wait, LATENCY_SAMPLES) < 0)
        return OKNO_E_NOMEM;
    w->probe =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *any = g_inet_socket_address_new(lo, 0);
    g_object_unref(lo);
    bool ok = w->probe && g_socket_bind(w->probe, any, FALSE, NULL);
    g_object_unref(any);
    if (!ok)
        return OKNO_E_IO;
    g_socket_set_blocking(w->probe, FALSE);
    w->probe_src = g_socket_create_source(w->probe, G_IO_IN, NULL);
    g_source_set_callback(w->probe_src, (GSourceFunc)(void (*)(void))on_probe, w, NULL);
    g_source_attach(w->probe_src, w->ctx);
    w->tick = g_timeout_source_new(TICK_MS);
    g_source_set_callback(w->tick, on_tick, w, NULL);
    g_source_attach(w->tick, w->ctx);
    return 0;
}

void okno__load_worker_deinit(struct load_worker *w)
{
    if (w->tick)
        g_source_destroy(w->tick);
    if (w->probe_src)
        g_source_destroy(w->probe_src);
    g_clear_pointer(&w->tick, g_source_unref);
    g_clear_pointer(&w->probe_src, g_source_unref);
    g_clear_object(&w->probe);
    g_clear_object(&w->probe_to);
    okno_reservoir_free(&w->latency);
    okno_reservoir_free(&w->baseline);
    okno_reservoir_free(&w->read_wait);
    if (w->pubs)
        g_ptr_array_free(w->pubs, TRUE);
    if (w->subs)
        g_ptr_array_free(w->subs, TRUE);
    if (w->loop)
        g_main_loop_unref(w->loop);
    if (w->ctx)
        g_main_context_unref(w->ctx);
    g_mutex_clear(&w->batch_lock);
    g_cond_clear(&w->batch_cond);
}

/* ---- windows --------------------------------------------------------------------------------- */

static void reservoir_reset(struct okno_reservoir *r)
{
    r->n = 0;
    r->seen = 0;
    r->sorted = false;
}

void okno__load_worker_window_start(struct load_worker *w, void *arg)
{
    (void)arg;
    w->measuring = true;
    w->sent = w->rx_pkts = w->rx_bytes = w->matched = w->unmatched = w->rx_unverified = 0;
    w->send_lag_max_us = 0;
    reservoir_reset(&w->latency);
    reservoir_reset(&w->baseline);
    reservoir_reset(&w->read_wait);
    w->stamped = 0;
    for (guint i = 0; i < w->subs->len; i++)
        okno__load_sub_window_start(g_ptr_array_index(w->subs, i));
    for (guint i = 0; i < w->pubs->len; i++) {
        struct load_pub *p = g_ptr_array_index(w->pubs, i);
        p->win_drops = okno__load_pub_drops(p);
    }
    w->cpu_start_ns = thread_cpu_ns();
}

void okno__load_worker_window_end(struct load_worker *w, void *arg)
{
    struct okno_load_window *out = arg;
    w->measuring = false;
    w->cpu_ns = thread_cpu_ns() - w->cpu_start_ns;
    out->sent_pkts += w->sent;
    out->rx_pkts += w->rx_pkts;
    out->rx_bytes += w->rx_bytes;
    out->rx_unverified += w->rx_unverified;
    out->matched += w->matched;
    out->unmatched += w->unmatched;
    if (w->send_lag_max_us > out->send_lag_max_us)
        out->send_lag_max_us = w->send_lag_max_us;
    for (guint i = 0; i < w->subs->len; i++)
        okno__load_sub_window_end(g_ptr_array_index(w->subs, i), out);
    for (guint i = 0; i < w->pubs->len; i++) {
        struct load_pub *p = g_ptr_array_index(w->pubs, i);
        out->client_send_drops += okno__load_pub_drops(p) - p->win_drops;
    }
}
