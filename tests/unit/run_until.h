/* Helper for the unit tests that drive GLib sources on a context of their own (ICE agents, peers):
 * iterate it until a condition holds, with a deadline. Header only (static inline). */
#ifndef OKNO_TEST_RUN_UNTIL_H
#define OKNO_TEST_RUN_UNTIL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

static inline gboolean okno_test_wake(gpointer data)
{
    (void)data;
    return G_SOURCE_CONTINUE;
}

/* Iterates ctx until cond(arg) holds; false when seconds pass first. A 50 ms ticker keeps the
 * blocking iteration from sleeping past the deadline. */
static inline bool okno_test_run_until(GMainContext *ctx, bool (*cond)(void *arg), void *arg,
                                       int seconds)
{
    GSource *tick = g_timeout_source_new(50);
    g_source_set_callback(tick, okno_test_wake, NULL, NULL);
    g_source_attach(tick, ctx);
    int64_t deadline = g_get_monotonic_time() + (int64_t)seconds * G_USEC_PER_SEC;
    bool ok;
    while (!(ok = cond(arg)) && g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(tick);
    g_source_unref(tick);
    return ok;
}

#endif
