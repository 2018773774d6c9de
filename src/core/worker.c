/* Media worker threads (see worker.h). Posting attaches an idle source, which a context dispatches
 * in the order attached (never g_main_context_invoke, which runs the work at once when the worker
 * posts to itself: out of order, and under the lock, which deadlocked); stop posts the quit the
 * same way, so everything accepted before the stop runs before the loop ends. One mutex guards the
 * "stopping" flag and the room counts: both are touched a few times a second at most, never per
 * packet. It deliberately has no work-stealing or migration: a room stays where it was placed. */
#include "core/worker.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "core/log.h"
#include "core/poller.h"

#define WORKERS_MAX 256

struct okno_worker {
    /* borrowed */
    struct okno_workers *set;
    /* owned */
    GMainContext *context;
    GMainLoop *loop;
    GThread *thread;
    unsigned index;
    unsigned rooms; /* under set->lock */
};

struct okno_workers {
    GMutex lock;
    bool stopping; /* under lock */
    unsigned count;
    struct okno_worker *workers;
    struct okno_lane **lanes; /* owned; [from * count + to], made on first use under lock */
    unsigned egress_rr;       /* under lock: the next egress placement's offset */
    unsigned *room_share;     /* under lock, [room]: the share accumulated (place_egress) */
};

/* Which worker this thread is, for okno_workers_current(); NULL on threads that are not workers. */
static _Thread_local const struct okno_worker *current_worker;

struct posted {
    okno_worker_fn fn;
    void *data;
};

static gboolean run_posted(gpointer user_data)
{
    struct posted *p = user_data;
    p->fn(p->data);
    return G_SOURCE_REMOVE;
}

static void attach_posted(GMainContext *ctx, okno_worker_fn fn, void *data)
{
    struct posted *p = g_new(struct posted, 1);
    p->fn = fn;
    p->data = data;
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, run_posted, p, g_free);
    g_source_attach(src, ctx);
    g_source_unref(src);
}

static gpointer worker_main(gpointer user_data)
{
    struct okno_worker *w = user_data;
    current_worker = w;
    g_main_context_push_thread_default(w->context);
    g_main_loop_run(w->loop);
    g_main_context_pop_thread_default(w->context);
    okno_poller_thread_done();
    current_worker = NULL;
    return NULL;
}

static void quit_loop(void *data)
{
    struct okno_worker *w = data;
    g_main_loop_quit(w->loop);
}

/* Quits and joins the first n workers, then frees the set. */
static void stop_started(struct okno_workers *set, unsigned n)
{
    g_mutex_lock(&set->lock);
    set->stopping = true;
    for (unsigned i = 0; i < n; i++) {
        attach_posted(set->workers[i].context, quit_loop, &set->workers[i]);
    }
    g_mutex_unlock(&set->lock);
    for (unsigned i = 0; i < n; i++)
        g_thread_join(set->workers[i].thread);
    /* Every thread has stopped: lanes run what was retired on them, then their sources go with the
     * contexts. */
    for (unsigned i = 0; i < set->count * set->count; i++)
        okno_lane_free(set->lanes[i]);
    g_free(set->lanes);
    g_free(set->room_share);
    for (unsigned i = 0; i < set->count; i++) {
        if (set->workers[i].loop)
            g_main_loop_unref(set->workers[i].loop);
        if (set->workers[i].context)
            g_main_context_unref(set->workers[i].context);
    }
    g_mutex_clear(&set->lock);
    g_free(set->workers);
    g_free(set);
}

int okno_workers_start(unsigned count, struct okno_workers **out)
{
    *out = NULL;
    if (count == 0)
        count = MIN(g_get_num_processors(), WORKERS_MAX);
    if (count > WORKERS_MAX)
        return OKNO_E_RANGE;
    struct okno_workers *set = g_new0(struct okno_workers, 1);
    g_mutex_init(&set->lock);
    set->count = count;
    set->workers = g_new0(struct okno_worker, count);
    set->lanes = g_new0(struct okno_lane *, (gsize)count * count);
    set->room_share = g_new0(unsigned, count);
    for (unsigned i = 0; i < count; i++) {
        struct okno_worker *w = &set->workers[i];
        w->set = set;
        w->index = i;
        w->context = g_main_context_new();
        /* Hundreds of ICE sockets, few of them busy: poll the busy ones first (core/poller.h). */
        g_main_context_set_poll_func(w->context, okno_poller_gpoll);
        w->loop = g_main_loop_new(w->context, FALSE);
    }
    for (unsigned i = 0; i < count; i++) {
        char name[16];
        g_snprintf(name, sizeof name, "okno-worker-%u", i);
        GError *err = NULL;
        set->workers[i].thread = g_thread_try_new(name, worker_main, &set->workers[i], &err);
        if (!set->workers[i].thread) {
            okno_log(OKNO_LOG_ERROR, "worker", "cannot start worker %u: %s", i, err->message);
            g_error_free(err);
            stop_started(set, i);
            return OKNO_E_NOMEM;
        }
    }
    okno_log(OKNO_LOG_INFO, "worker", "started %u media workers", count);
    *out = set;
    return 0;
}

unsigned okno_workers_count(const struct okno_workers *workers)
{
    return workers->count;
}

int okno_workers_post(struct okno_workers *workers, unsigned index, okno_worker_fn fn, void *data)
{
    if (index >= workers->count || !fn)
        return index >= workers->count ? OKNO_E_RANGE : OKNO_E_INVAL;
    int rc = 0;
    /* Held across the attach so a stop cannot slip its quit in ahead of work it let through. */
    g_mutex_lock(&workers->lock);
    if (workers->stopping) {
        rc = OKNO_E_CLOSED;
    } else {
        attach_posted(workers->workers[index].context, fn, data);
    }
    g_mutex_unlock(&workers->lock);
    return rc;
}

GMainContext *okno_workers_context(struct okno_workers *workers, unsigned index)
{
    return index < workers->count ? workers->workers[index].context : NULL;
}

int okno_workers_current(const struct okno_workers *workers)
{
    const struct okno_worker *w = current_worker;
    return w && w->set == workers ? (int)w->index : -1;
}

unsigned okno_workers_place_room(struct okno_workers *workers)
{
    g_mutex_lock(&workers->lock);
    unsigned best = 0;
    for (unsigned i = 1; i < workers->count; i++) {
        if (workers->workers[i].rooms < workers->workers[best].rooms)
            best = i;
    }
    workers->workers[best].rooms++;
    g_mutex_unlock(&workers->lock);
    return best;
}

void okno_workers_release_room(struct okno_workers *workers, unsigned index)
{
    if (index >= workers->count)
        return;
    g_mutex_lock(&workers->lock);
    if (workers->workers[index].rooms > 0)
        workers->workers[index].rooms--;
    g_mutex_unlock(&workers->lock);
}

unsigned okno_workers_rooms(struct okno_workers *workers, unsigned index)
{
    if (index >= workers->count)
        return 0;
    g_mutex_lock(&workers->lock);
    unsigned n = workers->workers[index].rooms;
    g_mutex_unlock(&workers->lock);
    return n;
}

struct okno_lane *okno_workers_lane(struct okno_workers *workers, unsigned from, unsigned to)
{
    if (from >= workers->count || to >= workers->count)
        return NULL;
    g_mutex_lock(&workers->lock);
    struct okno_lane **l = &workers->lanes[from * workers->count + to];
    if (!*l) {
        if (okno_lane_new(workers->workers[from].context, workers->workers[to].context,
                          OKNO_WORKERS_LANE_SLOTS, l) == 0)
            okno_log(OKNO_LOG_INFO, "worker", "lane from worker %u to worker %u (%u slots)", from,
                     to, OKNO_WORKERS_LANE_SLOTS);
        else
            okno_log(OKNO_LOG_ERROR, "worker", "cannot make the lane from worker %u to %u", from,
                     to);
    }
    struct okno_lane *lane = *l;
    g_mutex_unlock(&workers->lock);
    return lane;
}

unsigned okno_workers_place_egress(struct okno_workers *workers, unsigned room, unsigned spread,
                                   unsigned room_pct)
{
    if (workers->count < 2 || room >= workers->count || spread == 0)
        return room;
    unsigned others = MIN(spread, workers->count - 1);
    g_mutex_lock(&workers->lock);
    /* Bresenham: the stays come evenly, not in a run at the start. */
    bool stay = (workers->room_share[room] += MIN(room_pct, 100)) >= 100;
    if (stay)
        workers->room_share[room] -= 100;
    unsigned off = stay ? 0 : 1 + workers->egress_rr++ % others;
    g_mutex_unlock(&workers->lock);
    return (room + off) % workers->count;
}

struct priority_job {
    int priority;
    GMutex lock;
    GCond done;
    unsigned left; /* under lock */
    int err;       /* under lock: the first failure's errno */
};

static void set_own_priority(void *data)
{
    struct priority_job *job = data;
    struct sched_param sp = {.sched_priority = job->priority};
    int rc = pthread_setschedparam(pthread_self(), job->priority ? SCHED_RR : SCHED_OTHER, &sp);
    g_mutex_lock(&job->lock);
    if (rc != 0 && job->err == 0)
        job->err = rc;
    if (--job->left == 0)
        g_cond_signal(&job->done);
    g_mutex_unlock(&job->lock);
}

int okno_workers_set_priority(struct okno_workers *workers, int priority)
{
    if (priority < 0 || priority > sched_get_priority_max(SCHED_RR))
        return OKNO_E_RANGE;
    struct priority_job job = {.priority = priority, .left = workers->count};
    g_mutex_init(&job.lock);
    g_cond_init(&job.done);
    g_mutex_lock(&job.lock);
    for (unsigned i = 0; i < workers->count; i++)
        if (okno_workers_post(workers, i, set_own_priority, &job) != 0)
            job.left--; /* stopping: that worker will not run it */
    while (job.left > 0)
        g_cond_wait(&job.done, &job.lock);
    int err = job.err;
    g_mutex_unlock(&job.lock);
    g_mutex_clear(&job.lock);
    g_cond_clear(&job.done);
    if (err != 0)
        okno_log(OKNO_LOG_WARN, "worker", "cannot put the media workers at SCHED_RR %d: %s",
                 priority, g_strerror(err));
    return err == 0 ? 0 : err == EINVAL ? OKNO_E_RANGE : OKNO_E_DENIED;
}

void okno_workers_stop(struct okno_workers *workers)
{
    if (!workers)
        return;
    if (okno_workers_current(workers) >= 0) {
        /* Joining our own thread would hang okno for good; refusing is the lesser harm. */
        g_critical("okno_workers_stop called from worker %d: ignored",
                   okno_workers_current(workers));
        return;
    }
    unsigned n = workers->count;
    stop_started(workers, n);
    okno_log(OKNO_LOG_INFO, "worker", "stopped %u media workers", n);
}
