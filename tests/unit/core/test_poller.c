/* core/poller: hot descriptors polled alone, every descriptor at least every OKNO_POLLER_FULL_US
 * (a wait on the hot ones ends then), a full wait when nothing is hot, small sets polled whole.
 * The clock is a parameter; descriptors are eventfds made ready by writing to them. */
#include "testutil.h"

#include <glib-unix.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/poller.h"

#define N 100

struct fx {
    struct okno_poller *p;
    GPollFD fds[N];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    f->p = okno_poller_new();
    for (int i = 0; i < N; i++) {
        f->fds[i].fd = eventfd(0, EFD_NONBLOCK);
        assert_true(f->fds[i].fd >= 0);
        f->fds[i].events = G_IO_IN;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < N; i++)
        close(f->fds[i].fd);
    okno_poller_free(f->p);
    free(f);
    return 0;
}

static void set_ready(struct fx *f, int i, bool ready)
{
    uint64_t v = 1;
    if (ready)
        assert_int_equal(write(f->fds[i].fd, &v, sizeof v), sizeof v);
    else
        (void)!read(f->fds[i].fd, &v, sizeof v);
}

static void dirty(struct fx *f)
{
    for (int i = 0; i < N; i++)
        f->fds[i].revents = 0xffff; /* what the poll does not set must be cleared */
}

static void test_cold_descriptor_is_seen_within_the_full_interval(void **state)
{
    struct fx *f = *state;
    int64_t t = 1000000;
    set_ready(f, 3, true);
    dirty(f);
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 0, t), 1); /* first call: full */
    assert_int_equal(f->fds[3].revents, G_IO_IN);
    assert_int_equal(f->fds[4].revents, 0);
    /* 3 stays ready (hot, busy); 50 becomes ready: not seen until the interval has passed. */
    set_ready(f, 50, true);
    for (int64_t dt = 100; dt < OKNO_POLLER_FULL_US; dt += 100) {
        dirty(f);
        assert_int_equal(okno_poller_poll(f->p, f->fds, N, 0, t + dt), 1);
        assert_int_equal(f->fds[3].revents, G_IO_IN);
        assert_int_equal(f->fds[50].revents, 0);
        assert_int_equal(f->fds[99].revents, 0);
    }
    dirty(f);
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 0, t + OKNO_POLLER_FULL_US), 2);
    assert_int_equal(f->fds[3].revents, G_IO_IN);
    assert_int_equal(f->fds[50].revents, G_IO_IN);
    assert_int_equal(f->fds[0].revents, 0);
    /* Both hot now: both seen at once. */
    dirty(f);
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 0, t + OKNO_POLLER_FULL_US + 10), 2);
    assert_int_equal(f->fds[50].revents, G_IO_IN);
    struct okno_poller_stats s;
    okno_poller_stats(f->p, &s);
    assert_int_equal(s.full, 2);
    assert_int_equal(s.partial, OKNO_POLLER_FULL_US / 100 - 1 + 1);
    assert_int_equal(s.partial_hits, s.partial);
}

static void test_hot_wait_ends_when_the_full_poll_is_due(void **state)
{
    struct fx *f = *state;
    int64_t t = 5000000;
    set_ready(f, 7, true);
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 0, t), 1);
    set_ready(f, 7, false);
    /* 7 is hot but quiet; 60 (cold) is ready: the wait on the hot ones ends when the full poll
     * falls due (2 ms here, not GLib's 1 s), and the full poll finds 60. */
    set_ready(f, 60, true);
    dirty(f);
    gint64 before = g_get_monotonic_time();
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 1000, t + OKNO_POLLER_FULL_US - 2000), 0);
    gint64 waited = g_get_monotonic_time() - before;
    assert_true(waited >= 1500 && waited < 500000);
    assert_int_equal(f->fds[60].revents, 0);
    dirty(f);
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 1000, t + OKNO_POLLER_FULL_US), 1);
    assert_int_equal(f->fds[60].revents, G_IO_IN);
    assert_int_equal(f->fds[7].revents, 0);
    set_ready(f, 60, false);
    struct okno_poller_stats s;
    okno_poller_stats(f->p, &s);
    assert_int_equal(s.full, 2);
    assert_int_equal(s.partial, 1);
    assert_int_equal(s.partial_hits, 0);
}

static void test_nothing_hot_polls_everything_with_the_timeout(void **state)
{
    struct fx *f = *state;
    int64_t t = 7000000;
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 0, t), 0);
    /* Nothing was ever ready, so nothing is hot: the whole set, GLib's timeout. */
    gint64 before = g_get_monotonic_time();
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 20, t + 10), 0);
    assert_true(g_get_monotonic_time() - before >= 15000);
    set_ready(f, 99, true);
    dirty(f);
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 20, t + 20), 1);
    assert_int_equal(f->fds[99].revents, G_IO_IN);
    assert_int_equal(f->fds[98].revents, 0);
    struct okno_poller_stats s;
    okno_poller_stats(f->p, &s);
    assert_int_equal(s.full, 3);
    assert_int_equal(s.partial, 0);
}

static void test_hot_descriptor_cools_down(void **state)
{
    struct fx *f = *state;
    int64_t t = 9000000;
    set_ready(f, 1, true);
    set_ready(f, 2, true);
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 0, t), 2);
    set_ready(f, 2, false);
    /* 1 keeps the worker busy; 2 stays quiet longer than the hot window, then turns ready: from
     * then on it is cold and seen only by the next full poll. */
    int64_t now = t;
    for (; now < t + OKNO_POLLER_HOT_US + OKNO_POLLER_FULL_US; now += OKNO_POLLER_FULL_US / 2)
        assert_int_equal(okno_poller_poll(f->p, f->fds, N, 0, now), 1);
    set_ready(f, 2, true);
    dirty(f);
    int r = okno_poller_poll(f->p, f->fds, N, 0, now);
    if (r == 1) { /* a partial poll: 2 not among the hot */
        assert_int_equal(f->fds[2].revents, 0);
        r = okno_poller_poll(f->p, f->fds, N, 0, now + OKNO_POLLER_FULL_US);
    }
    assert_int_equal(r, 2);
    assert_int_equal(f->fds[2].revents, G_IO_IN);
}

static void test_small_sets_and_bad_descriptors(void **state)
{
    struct fx *f = *state;
    set_ready(f, 5, true);
    /* Under OKNO_POLLER_MIN_FDS: always whole, even right after a full poll. */
    for (int k = 0; k < 3; k++) {
        dirty(f);
        assert_int_equal(okno_poller_poll(f->p, f->fds, 10, 0, 100 + k), 1);
        assert_int_equal(f->fds[5].revents, G_IO_IN);
        assert_int_equal(f->fds[6].revents, 0);
    }
    struct okno_poller_stats s;
    okno_poller_stats(f->p, &s);
    assert_int_equal(s.full, 3);
    /* A negative descriptor is ignored by poll, and a closed one reports G_IO_NVAL. */
    int keep8 = f->fds[8].fd;
    f->fds[8].fd = -1;
    int closed = eventfd(0, 0);
    close(closed);
    int keep = f->fds[9].fd;
    f->fds[9].fd = closed;
    dirty(f);
    assert_int_equal(okno_poller_poll(f->p, f->fds, N, 0, 1000000), 2);
    assert_int_equal(f->fds[8].revents, 0);
    assert_int_equal(f->fds[9].revents, G_IO_NVAL);
    f->fds[9].fd = keep;
    f->fds[8].fd = keep8;
}

/* The GPollFunc on a real context: a source on a quiet descriptor among many still dispatches. */
static gboolean on_ready(gint fd, GIOCondition cond, gpointer data)
{
    (void)cond;
    uint64_t v;
    (void)!read(fd, &v, sizeof v);
    (*(int *)data)++;
    return G_SOURCE_CONTINUE;
}

static void test_context_dispatches_through_the_poll_func(void **state)
{
    struct fx *f = *state;
    GMainContext *ctx = g_main_context_new();
    g_main_context_set_poll_func(ctx, okno_poller_gpoll);
    int hits[N] = {0};
    for (int i = 0; i < N; i++) {
        GSource *s = g_unix_fd_source_new(f->fds[i].fd, G_IO_IN);
        g_source_set_callback(s, G_SOURCE_FUNC(on_ready), &hits[i], NULL);
        g_source_attach(s, ctx);
        g_source_unref(s);
    }
    for (int round = 0; round < 50; round++) {
        set_ready(f, 0, true);
        if (round % 10 == 9)
            set_ready(f, 40 + round / 10, true);
        int64_t deadline = g_get_monotonic_time() + 2000000;
        while (hits[0] <= round && g_get_monotonic_time() < deadline)
            g_main_context_iteration(ctx, TRUE);
    }
    /* The quiet ones are seen within a few iterations (a full poll at least every millisecond). */
    int64_t deadline = g_get_monotonic_time() + 2000000;
    while ((hits[44] == 0) && g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, TRUE);
    assert_int_equal(hits[0], 50);
    for (int k = 0; k < 5; k++)
        assert_int_equal(hits[40 + k], 1);
    assert_int_equal(hits[1], 0);
    g_main_context_unref(ctx);
    okno_poller_thread_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cold_descriptor_is_seen_within_the_full_interval,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_hot_wait_ends_when_the_full_poll_is_due, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nothing_hot_polls_everything_with_the_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hot_descriptor_cools_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_sets_and_bad_descriptors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_dispatches_through_the_poll_func, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
