/* okno-bench load's controller: creating and ending the workers, adding and removing clients,
 * and pooling the workers' windows; see clients.h (worker.c runs the workers). */
#include "load/clients.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "load/clients_internal.h"
#include "load/server_proc.h"
#include "okno/err.h"

void okno__load_fail(struct okno_load_clients *c, int err, const char *who, const char *message)
{
    g_mutex_lock(&c->lock);
    if (!c->fail_code) {
        c->fail_code = err < 0 ? err : OKNO_E_STATE;
        c->fail_message = g_strdup_printf("%s: %s", who, message);
    }
    g_mutex_unlock(&c->lock);
}

void okno__load_ready(struct okno_load_clients *c)
{
    atomic_fetch_add(&c->n_ready, 1);
}

void okno__load_room_config(const struct okno_load_clients *c, unsigned room,
                            struct okno_bench_session_config *cfg, char *room_buf, size_t cap)
{
    snprintf(room_buf, cap, "%s-%u", c->cfg.room_prefix, room);
    *cfg = (struct okno_bench_session_config){.target = c->cfg.target,
                                              .server = c->cfg.server,
                                              .room = room_buf,
                                              .janus_room = c->cfg.janus_room + room,
                                              .token = c->cfg.token,
                                              .address = c->cfg.address,
                                              .timeout_ms = c->cfg.timeout_ms};
}

/* The process's user + system CPU, us (getrusage: the same counters as /proc/self/stat's utime and
 * stime, at microsecond resolution instead of clock ticks). */
static int64_t process_cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

int okno_load_clients_create(const struct okno_load_clients_config *cfg,
                             struct okno_load_clients **out)
{
    if (!cfg->server || !cfg->media || !cfg->cert || cfg->threads < 1 || cfg->threads > 16)
        return OKNO_E_INVAL;
    struct okno_load_clients *c = g_new0(struct okno_load_clients, 1);
    c->cfg = *cfg;
    g_mutex_init(&c->lock);
    c->participants = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->pub_worker = cfg->threads;
    c->n_workers = cfg->threads + 1 + (cfg->latency_probes > 0);
    c->workers = g_new0(struct load_worker, c->n_workers);
    int err = 0;
    for (unsigned i = 0; i < c->n_workers && err >= 0; i++)
        err = okno__load_worker_init(c, &c->workers[i], i);
    for (unsigned i = 0; i < c->n_workers && err >= 0; i++) {
        /* Worker i probes worker i + 1 (itself when alone). */
        struct load_worker *to = &c->workers[(i + 1) % c->n_workers];
        c->workers[i].probe_to = g_socket_get_local_address(to->probe, NULL);
        if (!c->workers[i].probe_to)
            err = OKNO_E_IO;
    }
    if (err < 0) {
        for (unsigned i = 0; i < c->n_workers; i++)
            okno__load_worker_deinit(&c->workers[i]);
        g_free(c->workers);
        g_hash_table_destroy(c->participants);
        g_free(c);
        return err;
    }
    for (unsigned i = 0; i < OKNO_LOAD_MAX_ROOMS; i++)
        c->counting[i] = g_ptr_array_new();
    for (unsigned i = 0; i < c->n_workers; i++) {
        struct load_worker *w = &c->workers[i];
        w->batched = cfg->latency_probes > 0 && cfg->batch_us > 0 && i < cfg->threads;
        w->measures_base = !w->batched && i != c->pub_worker;
        okno__load_worker_start(w, i == c->pub_worker ? "okno-load-pub" : "okno-load");
    }
    *out = c;
    return 0;
}

static void worker_close_subs(struct load_worker *w, void *arg)
{
    (void)arg;
    w->measuring = false;
    for (guint i = 0; i < w->subs->len; i++)
        okno__load_sub_free(g_ptr_array_index(w->subs, i));
    g_ptr_array_set_size(w->subs, 0);
}

/* After every worker closed its subscribers: no one reads the publishers' send times any more. */
static void worker_close_pubs(struct load_worker *w, void *arg)
{
    (void)arg;
    w->stopping = true;
    for (guint i = 0; i < w->pubs->len; i++)
        okno__load_pub_free(g_ptr_array_index(w->pubs, i));
    g_ptr_array_set_size(w->pubs, 0);
    if (w->closing == 0)
        g_main_loop_quit(w->loop);
}

static gboolean on_close_deadline(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

void okno_load_clients_destroy(struct okno_load_clients *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->n_workers; i++)
        okno__load_run_on(&c->workers[i], worker_close_subs, NULL);
    for (unsigned i = 0; i < c->n_workers; i++) {
        struct load_worker *w = &c->workers[i];
        /* Sessions close asynchronously: the loop runs until they are gone, 3 s at most. */
        GSource *deadline = g_timeout_source_new(3000);
        g_source_set_callback(deadline, on_close_deadline, w->loop, NULL);
        g_source_attach(deadline, w->ctx);
        okno__load_run_on(w, worker_close_pubs, NULL);
        g_thread_join(w->thread);
        g_source_destroy(deadline);
        g_source_unref(deadline);
        /* Let the sessions' last sources run (their memory goes once the loop is back). */
        g_main_context_push_thread_default(w->ctx);
        for (int n = 0; n < 100 && g_main_context_iteration(w->ctx, FALSE); n++)
            ;
        g_main_context_pop_thread_default(w->ctx);
        okno__load_worker_deinit(w);
    }
    g_free(c->workers);
    for (unsigned i = 0; i < OKNO_LOAD_MAX_ROOMS; i++)
        g_ptr_array_free(c->counting[i], TRUE);
    g_hash_table_destroy(c->participants);
    g_free(c->fail_message);
    g_mutex_clear(&c->lock);
    g_free(c);
}

/* ---- adding clients -------------------------------------------------------------------------- */

struct add {
    unsigned room, index, serial;
    bool publisher, decode, probe, count_only;
    int err;
    struct load_sub *sub; /* the subscriber started */
};

static void add_on_worker(struct load_worker *w, void *arg)
{
    struct add *a = arg;
    if (!a->publisher) {
        struct load_sub *s;
        a->err =
            okno__load_sub_start(w, a->room, a->decode, a->probe, a->count_only, a->serial, &s);
        if (a->err == 0) {
            g_ptr_array_add(w->subs, s);
            a->sub = s;
        }
        return;
    }
    struct load_pub *p;
    a->err = okno__load_pub_start(w, a->room, a->index, &p);
    if (a->err == 0)
        g_ptr_array_add(w->pubs, p);
}

static int add_clients(struct okno_load_clients *c, unsigned room, unsigned n, bool publisher)
{
    if (room >= OKNO_LOAD_MAX_ROOMS)
        return OKNO_E_RANGE;
    unsigned probes = c->cfg.latency_probes;
    for (unsigned i = 0; i < n; i++) {
        unsigned index = publisher ? c->pubs_in_room[room] : c->subs_in_room[room];
        struct add a = {.room = room, .index = index, .publisher = publisher};
        /* Publishers have a worker of their own, so their sends keep to the pacing's 5 ms steps
         * whatever the subscribers' batching; the latency probes have the last one to
         * themselves; decoders and the other subscribers take turns on the first workers, each
         * kind in its own turn (rooms of the same size would otherwise put every room's decoder
         * on the same worker). */
        struct load_worker *w = &c->workers[c->pub_worker];
        if (!publisher) {
            a.probe = probes == 0 || index < probes;
            a.decode = index >= probes && index < probes + c->cfg.decoders;
            if (probes > 0 && index < probes)
                w = &c->workers[c->pub_worker + 1];
            else if (a.decode)
                w = &c->workers[c->next_decoder_worker++ % c->cfg.threads];
            else
                w = &c->workers[c->next_worker++ % c->cfg.threads];
            unsigned plain = index - (probes + c->cfg.decoders);
            a.serial = c->next_sub_index++; /* names stay unique when a ramp steps down */
            a.count_only = !a.probe && !a.decode && c->cfg.verify_every > 1 &&
                           plain % c->cfg.verify_every != 0;
        }
        okno__load_run_on(w, add_on_worker, &a);
        if (a.err < 0)
            return a.err;
        if (a.sub && !a.probe && !a.decode)
            g_ptr_array_add(c->counting[room], a.sub);
        c->n_clients++;
        /* Subscribers read pubs_in_room on their threads only after wait_ready, which orders it. */
        if (publisher)
            c->pubs_in_room[room]++;
        else
            c->subs_in_room[room]++;
    }
    return 0;
}

int okno_load_clients_add_publishers(struct okno_load_clients *c, unsigned room, unsigned n)
{
    return add_clients(c, room, n, true);
}

int okno_load_clients_add_subscribers(struct okno_load_clients *c, unsigned room, unsigned n)
{
    return add_clients(c, room, n, false);
}

static void remove_on_worker(struct load_worker *w, void *arg)
{
    struct load_sub *s = arg;
    bool ready = s->ready_counted;
    if (g_ptr_array_remove_fast(w->subs, s)) {
        okno__load_sub_free(s);
        if (ready)
            atomic_fetch_sub(&w->c->n_ready, 1);
    }
}

int okno_load_clients_remove_subscribers(struct okno_load_clients *c, unsigned room, unsigned n)
{
    if (room >= OKNO_LOAD_MAX_ROOMS || n > c->counting[room]->len)
        return OKNO_E_RANGE;
    for (unsigned i = 0; i < n; i++) {
        struct load_sub *s = g_ptr_array_steal_index(c->counting[room], c->counting[room]->len - 1);
        okno__load_run_on(s->w, remove_on_worker, s);
        c->n_clients--;
        c->subs_in_room[room]--;
    }
    return 0;
}

int okno_load_clients_failed(struct okno_load_clients *c, char **message)
{
    g_mutex_lock(&c->lock);
    int code = c->fail_code;
    if (code && message)
        *message = g_strdup(c->fail_message);
    g_mutex_unlock(&c->lock);
    return code;
}

int okno_load_clients_wait_ready(struct okno_load_clients *c, unsigned timeout_ms, char **message)
{
    int64_t until = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int code = okno_load_clients_failed(c, message);
        if (code)
            return code;
        unsigned ready = atomic_load(&c->n_ready);
        if (ready >= c->n_clients)
            return 0;
        if (g_get_monotonic_time() >= until) {
            *message = g_strdup_printf("%u of %u clients not up (publishing, or receiving every "
                                       "track of their room) after %u ms",
                                       c->n_clients - ready, c->n_clients, timeout_ms);
            return OKNO_E_TIMEOUT;
        }
        g_usleep(20000);
    }
}

void okno_load_clients_window_start(struct okno_load_clients *c)
{
    for (unsigned i = 0; i < c->n_workers; i++)
        okno__load_run_boundary_on(&c->workers[i], okno__load_worker_window_start, NULL);
    c->window_started_us = g_get_monotonic_time();
    c->window_cpu_us = process_cpu_us();
    if (okno_proc_own_udp_drops(&c->window_socket_drops) < 0)
        c->window_socket_drops = 0;
}

/* Pools the workers' samples (each is exact until it holds its cap, which a window of a few
 * seconds at tens of thousands of packets a second does not reach) and takes percentiles. */
static const struct okno_reservoir *worker_reservoir(const struct load_worker *w, size_t offset)
{
    return (const struct okno_reservoir *)((const char *)w + offset);
}

/* offset: which of a worker's reservoirs (offsetof struct load_worker). */
static void pooled(struct okno_load_clients *c, size_t offset, double *p50, double *p95,
                   double *p99, uint64_t *n_out)
{
    size_t n = 0;
    for (unsigned i = 0; i < c->n_workers; i++)
        n += worker_reservoir(&c->workers[i], offset)->n;
    *p50 = *p95 = *p99 = NAN;
    if (n_out)
        *n_out = n;
    if (n == 0)
        return;
    struct okno_reservoir all;
    if (okno_reservoir_init(&all, n) < 0)
        return;
    for (unsigned i = 0; i < c->n_workers; i++) {
        const struct okno_reservoir *r = worker_reservoir(&c->workers[i], offset);
        for (size_t j = 0; j < r->n; j++)
            okno_reservoir_add(&all, r->v[j]);
    }
    *p50 = okno_reservoir_percentile(&all, 50);
    *p95 = okno_reservoir_percentile(&all, 95);
    *p99 = okno_reservoir_percentile(&all, 99);
    okno_reservoir_free(&all);
}

void okno_load_clients_window_end(struct okno_load_clients *c, struct okno_load_window *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < c->n_workers; i++)
        okno__load_run_boundary_on(&c->workers[i], okno__load_worker_window_end, out);
    out->seconds = (double)(g_get_monotonic_time() - c->window_started_us) / 1e6;
    out->process_cpu_s = (double)(process_cpu_us() - c->window_cpu_us) / 1e6;
    uint64_t drops;
    /* A socket closed in the window takes its drops along: never below zero. */
    if (okno_proc_own_udp_drops(&drops) == 0 && drops > c->window_socket_drops)
        out->client_socket_drops = drops - c->window_socket_drops;
    for (unsigned i = 0; i < c->n_workers; i++) {
        double pct = out->seconds > 0 ? (double)c->workers[i].cpu_ns / 1e7 / out->seconds : 0;
        out->worker_cpu_sum_pct += pct;
        if (pct > out->worker_cpu_max_pct)
            out->worker_cpu_max_pct = pct;
    }
    pooled(c, offsetof(struct load_worker, latency), &out->lat_p50, &out->lat_p95, &out->lat_p99,
           NULL);
    pooled(c, offsetof(struct load_worker, baseline), &out->base_p50, &out->base_p95,
           &out->base_p99, &out->base_n);
    pooled(c, offsetof(struct load_worker, read_wait), &out->read_p50, &out->read_p95,
           &out->read_p99, NULL);
    for (unsigned i = 0; i < c->n_workers; i++)
        out->stamped += c->workers[i].stamped;
}
