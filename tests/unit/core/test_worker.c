/* Media workers: work runs on the worker it was posted to, in order, all of it before stop returns;
 * rooms go to the least loaded worker. */
#include "testutil.h"

#include <glib.h>

#include "core/worker.h"

#define WAIT_US (5 * G_USEC_PER_SEC)

struct seen {
    struct okno_workers *workers;
    int current;
    GThread *thread;
    gint done;
};

static void record_thread(void *data)
{
    struct seen *s = data;
    s->current = okno_workers_current(s->workers);
    s->thread = g_thread_self();
    g_atomic_int_set(&s->done, 1);
}

static void wait_for(gint *flag)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    while (!g_atomic_int_get(flag)) {
        if (g_get_monotonic_time() > deadline)
            fail_msg("work did not run within 5 s");
        g_usleep(1000);
    }
}

static void test_work_posted_to_each_worker_runs_on_that_workers_thread(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(4, &w), 0);
    assert_int_equal(okno_workers_count(w), 4);
    assert_int_equal(okno_workers_current(w), -1); /* the test's thread is no worker */
    struct seen seen[4] = {{0}};
    for (unsigned i = 0; i < 4; i++) {
        seen[i].workers = w;
        seen[i].current = -1;
        assert_int_equal(okno_workers_post(w, i, record_thread, &seen[i]), 0);
    }
    for (unsigned i = 0; i < 4; i++) {
        wait_for(&seen[i].done);
        assert_int_equal(seen[i].current, (int)i);
        assert_ptr_not_equal(seen[i].thread, g_thread_self());
        for (unsigned j = 0; j < i; j++)
            assert_ptr_not_equal(seen[i].thread, seen[j].thread);
    }
    okno_workers_stop(w);
}

struct counter {
    gint runs;
    gint out_of_order;
    int last; /* only touched on the worker */
};

struct numbered {
    struct counter *counter;
    int n;
};

static void count_in_order(void *data)
{
    struct numbered *item = data;
    if (item->n != item->counter->last + 1)
        g_atomic_int_inc(&item->counter->out_of_order);
    item->counter->last = item->n;
    g_atomic_int_inc(&item->counter->runs);
}

#define POSTS 1000

static void test_workers_stop_runs_all_work_posted_before_it_in_order(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(3, &w), 0);
    struct counter counters[3] = {{0}};
    struct numbered *items = g_new(struct numbered, 3 * POSTS);
    for (int n = 1; n <= POSTS; n++) {
        for (unsigned i = 0; i < 3; i++) {
            struct numbered *item = &items[i * POSTS + (unsigned)n - 1];
            item->counter = &counters[i];
            item->n = n;
            assert_int_equal(okno_workers_post(w, i, count_in_order, item), 0);
        }
    }
    okno_workers_stop(w); /* joins: every count is final after this */
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(counters[i].runs, POSTS);
        assert_int_equal(counters[i].out_of_order, 0);
    }
    g_free(items);
}

struct poster {
    struct okno_workers *workers;
    gint accepted;
    gint ran;
    int final_rc;
};

static void note_ran(void *data)
{
    struct poster *p = data;
    g_atomic_int_inc(&p->ran);
}

/* Runs on worker 0 while the main thread stops the set: posts until refused. */
static void post_until_refused(void *data)
{
    struct poster *p = data;
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    int rc;
    while ((rc = okno_workers_post(p->workers, 1, note_ran, p)) == 0 &&
           g_get_monotonic_time() < deadline)
        g_atomic_int_inc(&p->accepted);
    if (rc == 0)
        g_atomic_int_inc(&p->accepted);
    p->final_rc = rc;
}

static void test_post_during_stop_is_refused_and_accepted_work_still_runs(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(2, &w), 0);
    struct poster p = {.workers = w};
    assert_int_equal(okno_workers_post(w, 0, post_until_refused, &p), 0);
    okno_workers_stop(w);
    assert_int_equal(p.final_rc, OKNO_E_CLOSED);
    assert_int_equal(p.ran, p.accepted);
}

static void test_post_rejects_bad_index(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(2, &w), 0);
    assert_int_equal(okno_workers_post(w, 2, note_ran, NULL), OKNO_E_RANGE);
    assert_int_equal(okno_workers_post(w, 0, NULL, NULL), OKNO_E_INVAL);
    assert_null(okno_workers_context(w, 2));
    assert_non_null(okno_workers_context(w, 1));
    okno_workers_stop(w);
}

static gboolean timer_fired(gpointer data)
{
    struct seen *s = data;
    record_thread(s);
    return G_SOURCE_REMOVE;
}

static void test_source_attached_to_worker_context_fires_on_that_worker(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(2, &w), 0);
    struct seen seen = {.workers = w, .current = -1};
    GSource *timer = g_timeout_source_new(1);
    g_source_set_callback(timer, timer_fired, &seen, NULL);
    g_source_attach(timer, okno_workers_context(w, 1));
    g_source_unref(timer);
    wait_for(&seen.done);
    assert_int_equal(seen.current, 1);
    okno_workers_stop(w);
}

static void test_rooms_go_to_the_least_loaded_worker(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(3, &w), 0);
    assert_int_equal(okno_workers_place_room(w), 0);
    assert_int_equal(okno_workers_place_room(w), 1);
    assert_int_equal(okno_workers_place_room(w), 2);
    assert_int_equal(okno_workers_place_room(w), 0);
    okno_workers_release_room(w, 1);
    okno_workers_release_room(w, 1); /* already at zero: stays there */
    okno_workers_release_room(w, 9); /* bad index: ignored */
    assert_int_equal(okno_workers_rooms(w, 0), 2);
    assert_int_equal(okno_workers_rooms(w, 1), 0);
    assert_int_equal(okno_workers_place_room(w), 1);
    assert_int_equal(okno_workers_place_room(w), 1);
    assert_int_equal(okno_workers_place_room(w), 2);
    okno_workers_stop(w);
}

static void test_zero_workers_means_one_per_core_and_too_many_is_refused(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(0, &w), 0);
    assert_int_equal(okno_workers_count(w), MIN(g_get_num_processors(), 256));
    okno_workers_stop(w);
    assert_int_equal(okno_workers_start(257, &w), OKNO_E_RANGE);
    assert_null(w);
    okno_workers_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_posted_to_each_worker_runs_on_that_workers_thread),
        cmocka_unit_test(test_workers_stop_runs_all_work_posted_before_it_in_order),
        cmocka_unit_test(test_post_during_stop_is_refused_and_accepted_work_still_runs),
        cmocka_unit_test(test_post_rejects_bad_index),
        cmocka_unit_test(test_source_attached_to_worker_context_fires_on_that_worker),
        cmocka_unit_test(test_rooms_go_to_the_least_loaded_worker),
        cmocka_unit_test(test_zero_workers_means_one_per_core_and_too_many_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
