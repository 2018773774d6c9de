/* Hot-first polling of a worker's descriptors (poller.h). */
#include "core/poller.h"

#include <stdbool.h>
#include <string.h>

struct okno_poller {
    /* owned: the time each descriptor number was last seen ready (0: never), by number */
    int64_t *last_ready;
    guint last_ready_len;
    /* owned: the hot subset of the current call and where each entry came from */
    GPollFD *sub;
    guint *from;
    guint sub_cap;
    int64_t last_full_us; /* when every descriptor was last polled; 0: never */
    struct okno_poller_stats stats;
};

struct okno_poller *okno_poller_new(void)
{
    return g_new0(struct okno_poller, 1);
}

void okno_poller_free(struct okno_poller *p)
{
    if (!p)
        return;
    g_free(p->last_ready);
    g_free(p->sub);
    g_free(p->from);
    g_free(p);
}

void okno_poller_stats(const struct okno_poller *p, struct okno_poller_stats *out)
{
    *out = p->stats;
}

static void mark_ready(struct okno_poller *p, const GPollFD *fds, guint n, int64_t now_us)
{
    for (guint i = 0; i < n; i++) {
        int fd = fds[i].fd;
        if (!fds[i].revents || fd < 0)
            continue;
        if ((guint)fd >= p->last_ready_len) {
            guint len = MAX(64u, p->last_ready_len);
            while (len <= (guint)fd)
                len *= 2;
            p->last_ready = g_renew(int64_t, p->last_ready, len);
            memset(p->last_ready + p->last_ready_len, 0,
                   (len - p->last_ready_len) * sizeof *p->last_ready);
            p->last_ready_len = len;
        }
        p->last_ready[fd] = now_us;
    }
}

static int poll_all(struct okno_poller *p, GPollFD *fds, guint n, gint timeout_ms, int64_t now_us)
{
    p->stats.full++;
    p->last_full_us = now_us;
    int r = g_poll(fds, n, timeout_ms);
    if (r > 0)
        mark_ready(p, fds, n, now_us);
    return r;
}

static bool hot(const struct okno_poller *p, int fd, int64_t now_us)
{
    return fd >= 0 && (guint)fd < p->last_ready_len && p->last_ready[fd] != 0 &&
           now_us - p->last_ready[fd] < OKNO_POLLER_HOT_US;
}

int okno_poller_poll(struct okno_poller *p, GPollFD *fds, guint n, gint timeout_ms, int64_t now_us)
{
    int64_t due_us = p->last_full_us + OKNO_POLLER_FULL_US;
    if (n < OKNO_POLLER_MIN_FDS || p->last_full_us == 0 || now_us >= due_us)
        return poll_all(p, fds, n, timeout_ms, now_us);
    if (p->sub_cap < n) {
        p->sub_cap = MAX(n, 2 * p->sub_cap);
        p->sub = g_renew(GPollFD, p->sub, p->sub_cap);
        p->from = g_renew(guint, p->from, p->sub_cap);
    }
    guint m = 0;
    for (guint i = 0; i < n; i++) {
        fds[i].revents = 0;
        if (hot(p, fds[i].fd, now_us)) {
            p->sub[m] = fds[i];
            p->from[m++] = i;
        }
    }
    if (m == 0 || m == n)
        return poll_all(p, fds, n, timeout_ms, now_us);
    /* Wait on the hot ones no longer than until everything is due again: a quiet descriptor
     * that turns ready while the others sleep is seen then (GLib polls again after a 0). */
    gint until_due = (gint)((due_us - now_us + 999) / 1000);
    gint wait = timeout_ms < 0 ? until_due : MIN(timeout_ms, until_due);
    p->stats.partial++;
    int r = g_poll(p->sub, m, wait);
    if (r <= 0)
        return r;
    p->stats.partial_hits++;
    for (guint k = 0; k < m; k++)
        fds[p->from[k]].revents = p->sub[k].revents;
    mark_ready(p, p->sub, m, now_us);
    return r;
}

static _Thread_local struct okno_poller *thread_poller;

gint okno_poller_gpoll(GPollFD *fds, guint n, gint timeout_ms)
{
    if (!thread_poller)
        thread_poller = okno_poller_new();
    return okno_poller_poll(thread_poller, fds, n, timeout_ms, g_get_monotonic_time());
}

void okno_poller_thread_done(void)
{
    okno_poller_free(thread_poller);
    thread_poller = NULL;
}
