/* The relay's own thread (relay_thread.h). */
#include "linkemu/relay_thread.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "okno/err.h"

struct okno_relay_thread {
    GMainContext *ctx;
    GMainLoop *loop;
    GThread *thread;
    struct okno_relay *relay;
    int rt_priority;
    /* set by the thread before its loop runs, read after start returns */
    GMutex lock;
    GCond started;
    bool running, realtime;
};

static gpointer run(gpointer data)
{
    struct okno_relay_thread *t = data;
    bool rt = false;
    if (t->rt_priority > 0) {
        struct sched_param sp = {.sched_priority = t->rt_priority};
        rt = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
    }
    g_main_context_push_thread_default(t->ctx);
    g_mutex_lock(&t->lock);
    t->realtime = rt;
    t->running = true;
    g_cond_signal(&t->started);
    g_mutex_unlock(&t->lock);
    g_main_loop_run(t->loop);
    g_main_context_pop_thread_default(t->ctx);
    return NULL;
}

int okno_relay_thread_start(const struct okno_relay_config *cfg, int64_t start_us, int rt_priority,
                            struct okno_relay_thread **out)
{
    if (!out || rt_priority < 0 || rt_priority > 99)
        return OKNO_E_INVAL;
    struct okno_relay_thread *t = calloc(1, sizeof *t);
    if (!t)
        return OKNO_E_NOMEM;
    t->ctx = g_main_context_new();
    t->loop = g_main_loop_new(t->ctx, FALSE);
    t->rt_priority = rt_priority;
    g_mutex_init(&t->lock);
    g_cond_init(&t->started);
    int rc = okno_relay_create(t->ctx, cfg, start_us, &t->relay);
    if (rc < 0) {
        okno_relay_thread_stop(t);
        return rc;
    }
    t->thread = g_thread_new("okno-relay", run, t);
    g_mutex_lock(&t->lock);
    while (!t->running)
        g_cond_wait(&t->started, &t->lock);
    g_mutex_unlock(&t->lock);
    *out = t;
    return 0;
}

struct okno_relay *okno_relay_thread_relay(struct okno_relay_thread *t)
{
    return t->relay;
}

bool okno_relay_thread_realtime(const struct okno_relay_thread *t)
{
    return t->realtime;
}

static gboolean quit(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

void okno_relay_thread_stop(struct okno_relay_thread *t)
{
    if (!t)
        return;
    if (t->thread) {
        /* From the thread itself, so that a quit before its loop started is not lost. */
        GSource *s = g_idle_source_new();
        g_source_set_callback(s, quit, t->loop, NULL);
        g_source_attach(s, t->ctx);
        g_source_unref(s);
        g_thread_join(t->thread);
    }
    okno_relay_destroy(t->relay);
    g_main_loop_unref(t->loop);
    g_main_context_unref(t->ctx);
    g_cond_clear(&t->started);
    g_mutex_clear(&t->lock);
    free(t);
}
