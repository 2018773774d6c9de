/* The link memory (sfu/link_memory.h): recall of what was stored per key, a zero half keeping the
 * direction known, expiry, eviction of the least recently stored key when full; the start taken
 * from a remembered rate; the learner's mean over the seconds the link held, its once-a-second
 * step and its minimum of seconds. Time is a parameter throughout. */
#include "testutil.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/link_file.h"
#include "sfu/link_memory.h"

#define S    1000000LL
#define KEEP (7 * 86400 * S)

static void test_link_memory_recalls_what_was_stored_per_key(void **state)
{
    (void)state;
    struct okno_link_memory *m = okno_link_memory_new(16, KEEP);
    struct okno_link_rates r = okno_link_memory_recall(m, "10.0.0.7|kiosk", 0);
    assert_int_equal(r.up_bps, 0);
    assert_int_equal(r.down_bps, 0);
    okno_link_memory_store(m, "10.0.0.7|kiosk", (struct okno_link_rates){170000, 190000}, 10 * S);
    okno_link_memory_store(m, "10.0.0.8|specialist", (struct okno_link_rates){2000000, 0}, 11 * S);
    r = okno_link_memory_recall(m, "10.0.0.7|kiosk", 20 * S);
    assert_int_equal(r.up_bps, 170000);
    assert_int_equal(r.down_bps, 190000);
    r = okno_link_memory_recall(m, "10.0.0.8|specialist", 20 * S);
    assert_int_equal(r.up_bps, 2000000);
    assert_int_equal(r.down_bps, 0);
    r = okno_link_memory_recall(m, "10.0.0.7|specialist", 20 * S);
    assert_int_equal(r.up_bps, 0);
    assert_int_equal(okno_link_memory_size(m), 2);
    /* NULL memory (link_memory_days = 0) and NULL key are no-ops */
    okno_link_memory_store(NULL, "k", (struct okno_link_rates){1, 1}, 0);
    okno_link_memory_store(m, NULL, (struct okno_link_rates){1, 1}, 0);
    r = okno_link_memory_recall(NULL, "k", 0);
    assert_int_equal(r.up_bps, 0);
    assert_int_equal(okno_link_memory_size(m), 2);
    okno_link_memory_free(m);
}

static void test_link_memory_zero_half_keeps_the_direction_known(void **state)
{
    (void)state;
    struct okno_link_memory *m = okno_link_memory_new(16, KEEP);
    okno_link_memory_store(m, "k", (struct okno_link_rates){150000, 200000}, 0);
    /* a visit that never published says nothing of the uplink */
    okno_link_memory_store(m, "k", (struct okno_link_rates){0, 220000}, S);
    struct okno_link_rates r = okno_link_memory_recall(m, "k", 2 * S);
    assert_int_equal(r.up_bps, 150000);
    assert_int_equal(r.down_bps, 220000);
    /* a visit that learned nothing stores nothing, and does not refresh the entry */
    okno_link_memory_store(m, "k", (struct okno_link_rates){0, 0}, KEEP);
    r = okno_link_memory_recall(m, "k", KEEP + 2 * S);
    assert_int_equal(r.up_bps, 0);
    okno_link_memory_free(m);
}

static void test_link_memory_forgets_after_keep_and_drops_a_stale_half(void **state)
{
    (void)state;
    struct okno_link_memory *m = okno_link_memory_new(16, 100 * S);
    okno_link_memory_store(m, "k", (struct okno_link_rates){150000, 200000}, 0);
    assert_int_equal(okno_link_memory_recall(m, "k", 100 * S).up_bps, 150000);
    assert_int_equal(okno_link_memory_recall(m, "k", 100 * S + 1).up_bps, 0);
    /* a fresh downlink figure does not revive the stale uplink one */
    okno_link_memory_store(m, "k", (struct okno_link_rates){0, 210000}, 200 * S);
    struct okno_link_rates r = okno_link_memory_recall(m, "k", 201 * S);
    assert_int_equal(r.up_bps, 0);
    assert_int_equal(r.down_bps, 210000);
    okno_link_memory_free(m);
}

static void test_link_memory_evicts_the_least_recently_stored_when_full(void **state)
{
    (void)state;
    struct okno_link_memory *m = okno_link_memory_new(3, KEEP);
    okno_link_memory_store(m, "a", (struct okno_link_rates){1000, 0}, 1 * S);
    okno_link_memory_store(m, "b", (struct okno_link_rates){2000, 0}, 2 * S);
    okno_link_memory_store(m, "c", (struct okno_link_rates){3000, 0}, 3 * S);
    okno_link_memory_store(m, "a", (struct okno_link_rates){1500, 0}, 4 * S); /* a is fresh */
    okno_link_memory_store(m, "d", (struct okno_link_rates){4000, 0}, 5 * S);
    assert_int_equal(okno_link_memory_size(m), 3);
    assert_int_equal(okno_link_memory_recall(m, "b", 6 * S).up_bps, 0);
    assert_int_equal(okno_link_memory_recall(m, "a", 6 * S).up_bps, 1500);
    assert_int_equal(okno_link_memory_recall(m, "c", 6 * S).up_bps, 3000);
    assert_int_equal(okno_link_memory_recall(m, "d", 6 * S).up_bps, 4000);
    okno_link_memory_free(m);
}

static void test_link_start_goes_only_below_the_default(void **state)
{
    (void)state;
    assert_int_equal(okno_link_start_bps(0, 300000), 300000);      /* nothing known */
    assert_int_equal(okno_link_start_bps(200000, 300000), 170000); /* 85 % of it */
    assert_int_equal(okno_link_start_bps(352941, 300000), 299999); /* just under */
    assert_int_equal(okno_link_start_bps(2000000, 300000),
                     300000); /* a fast link: probes find it */
    assert_int_equal(okno_link_start_bps(UINT32_MAX, 300000), 300000);
    assert_int_equal(okno_link_start_bps(20000, 300000), 50000); /* a camera that hardly sent */
}

static void test_link_learner_averages_the_seconds_the_link_held(void **state)
{
    (void)state;
    struct okno_link_learner l;
    okno_link_learner_init(&l);
    /* four seconds are not enough to say anything */
    for (int i = 0; i < 4; i++)
        okno_link_learner_sample(&l, 200000, true, i * S);
    assert_int_equal(okno_link_learner_result(&l), 0);
    /* seconds the content or okno's cap set the rate do not count */
    okno_link_learner_sample(&l, 40000, false, 4 * S);
    assert_int_equal(okno_link_learner_result(&l), 0);
    okno_link_learner_sample(&l, 100000, true, 4 * S);
    assert_int_equal(okno_link_learner_result(&l), (4 * 200000 + 100000) / 5);
    /* at most one sample a second: the 20 ms room tick calls it fifty times */
    for (int i = 0; i < 49; i++)
        okno_link_learner_sample(&l, 1000, true, 4 * S + 20000 * (i + 1));
    assert_int_equal(okno_link_learner_result(&l), 180000);
}

static void test_link_learner_follows_a_changed_link_within_its_window(void **state)
{
    (void)state;
    struct okno_link_learner l;
    okno_link_learner_init(&l);
    int64_t t = 0;
    for (int i = 0; i < 100; i++, t += S)
        okno_link_learner_sample(&l, 1000000, true, t);
    assert_int_equal(okno_link_learner_result(&l), 1000000);
    /* the link falls to 200 kbit/s for the last minute of the call: 1000 - 800 (1 - 0.95^60) */
    for (int i = 0; i < 60; i++, t += S)
        okno_link_learner_sample(&l, 200000, true, t);
    uint32_t r = okno_link_learner_result(&l);
    assert_true(r > 230000 && r < 245000);
}

static void test_link_file_lines_parse_and_format_back(void **state)
{
    (void)state;
    struct okno_link_record r;
    const char good[] = "143000 199000 1796500000 127.0.0.1|kiosk";
    assert_int_equal(okno_link_file_parse(good, strlen(good), &r), 0);
    assert_int_equal(r.rates.up_bps, 143000);
    assert_int_equal(r.rates.down_bps, 199000);
    assert_int_equal(r.stored_s, 1796500000);
    assert_string_equal(r.key, "127.0.0.1|kiosk");
    char line[OKNO_LINK_LINE_MAX];
    assert_int_equal(okno_link_file_format(&r, line, sizeof line), (int)strlen(good) + 1);
    assert_memory_equal(line, "143000 199000 1796500000 127.0.0.1|kiosk\n", strlen(good) + 1);
    assert_int_equal(okno_link_file_format(&r, line, strlen(good) + 1), OKNO_E_NOSPC);
    const char *bad[] = {
        "",
        "143000 199000 1796500000",       /* no key */
        "143000 199000 1796500000 ",      /* empty key */
        "143000 199000 1796500000 a b",   /* a space in the key */
        "143000  199000 1796500000 k",    /* two spaces */
        "-1 199000 1796500000 k",         /* a sign */
        "4294967296 0 1796500000 k",      /* over UINT32_MAX */
        "0 0 1099511627777 k",            /* a time past 2^40 s */
        "0 0 999999999999999999999999 k", /* 24 digits */
        "0x10 0 1 k",                     /* not decimal */
        "1 2 3 k\x01",                    /* a control character */
        "1 2 3 k\xc3\xa9",                /* not ASCII */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(okno_link_file_parse(bad[i], strlen(bad[i]), &r), OKNO_E_MALFORMED);
    char key[OKNO_LINK_KEY_MAX + 8];
    memset(key, 'k', sizeof key);
    key[OKNO_LINK_KEY_MAX - 1] = '\0';
    assert_true(okno_link_key_storable(key));
    key[OKNO_LINK_KEY_MAX - 1] = 'k';
    key[OKNO_LINK_KEY_MAX] = '\0';
    assert_false(okno_link_key_storable(key));
    assert_false(okno_link_key_storable("a b"));
}

static char *scratch_dir;

static char *scratch_path(const char *name)
{
    if (!scratch_dir)
        scratch_dir = g_dir_make_tmp("okno-link-XXXXXX", NULL);
    assert_non_null(scratch_dir);
    return g_build_filename(scratch_dir, name, NULL);
}

static int remove_scratch(void **state)
{
    (void)state;
    if (!scratch_dir)
        return 0;
    const char *names[] = {"links", "edited", "links-again"};
    for (size_t i = 0; i < 3; i++) {
        char *p = g_build_filename(scratch_dir, names[i], NULL);
        remove(p);
        g_free(p);
    }
    int rc = remove(scratch_dir);
    g_free(scratch_dir);
    scratch_dir = NULL;
    return rc;
}

static void test_link_memory_outlives_a_restart_in_its_file(void **state)
{
    (void)state;
    char *path = scratch_path("links");
    int64_t now = 1796500000LL * S;
    struct okno_link_memory *m = okno_link_memory_new(16, KEEP);
    okno_link_memory_store(m, "10.0.0.7|kiosk", (struct okno_link_rates){170000, 190000}, now);
    okno_link_memory_store(m, "10.0.0.8|specialist", (struct okno_link_rates){0, 2500000}, now);
    assert_int_equal(okno_link_memory_save(m, path, false), 0);
    okno_link_memory_free(m);

    m = okno_link_memory_new(16, KEEP);
    unsigned loaded, ignored;
    assert_int_equal(okno_link_memory_load(m, path, now + 3600 * S, &loaded, &ignored), 0);
    assert_int_equal(loaded, 2);
    assert_int_equal(ignored, 0);
    struct okno_link_rates r = okno_link_memory_recall(m, "10.0.0.7|kiosk", now + 3600 * S);
    assert_int_equal(r.up_bps, 170000);
    assert_int_equal(r.down_bps, 190000);
    assert_int_equal(okno_link_memory_recall(m, "10.0.0.8|specialist", now).down_bps, 2500000);
    /* a week later the file's clients are too old to load */
    okno_link_memory_free(m);
    m = okno_link_memory_new(16, KEEP);
    assert_int_equal(okno_link_memory_load(m, path, now + KEEP + S, &loaded, &ignored), 0);
    assert_int_equal(loaded, 0);
    assert_int_equal(ignored, 2);
    okno_link_memory_free(m);
    g_free(path);
}

static void test_link_memory_file_with_bad_lines_loads_the_good_ones(void **state)
{
    (void)state;
    char *path = scratch_path("edited");
    GString *text = g_string_new("150000 200000 1796500000 a|kiosk\n"
                                 "what is this\n"
                                 "0 0 1796500000 nothing|kiosk\n");
    g_string_append_c(text, '1');
    for (int i = 0; i < 3 * OKNO_LINK_LINE_MAX; i++)
        g_string_append_c(text, '0'); /* a line longer than any okno writes */
    g_string_append(text, " 0 1 long|kiosk\n160000 0 1796500000 b|kiosk"); /* no last newline */
    assert_true(g_file_set_contents(path, text->str, (gssize)text->len, NULL));
    g_string_free(text, TRUE);
    struct okno_link_memory *m = okno_link_memory_new(16, KEEP);
    unsigned loaded, ignored;
    assert_int_equal(okno_link_memory_load(m, path, 1796500000LL * S, &loaded, &ignored), 0);
    assert_int_equal(loaded, 2);
    assert_int_equal(ignored, 3);
    assert_int_equal(okno_link_memory_recall(m, "a|kiosk", 1796500000LL * S).up_bps, 150000);
    assert_int_equal(okno_link_memory_recall(m, "b|kiosk", 1796500000LL * S).up_bps, 160000);
    assert_int_equal(okno_link_memory_size(m), 2);
    g_free(path);

    /* no file yet: NOTFOUND; a file okno cannot write: IO, and the next save tries again */
    path = scratch_path("missing");
    assert_int_equal(okno_link_memory_load(m, path, 0, &loaded, &ignored), OKNO_E_NOTFOUND);
    g_free(path);
    path = scratch_path("no-such-dir/links");
    okno_link_memory_store(m, "c|kiosk", (struct okno_link_rates){1, 1}, 1796500000LL * S);
    assert_int_equal(okno_link_memory_save(m, path, false), OKNO_E_IO);
    g_free(path);
    path = scratch_path("links-again");
    assert_int_equal(okno_link_memory_save(m, path, false), 0);
    char *saved = NULL;
    assert_true(g_file_get_contents(path, &saved, NULL, NULL));
    assert_non_null(strstr(saved, "1 1 1796500000 c|kiosk\n"));
    g_free(saved);
    /* nothing stored since: no write */
    assert_int_equal(remove(path), 0);
    assert_int_equal(okno_link_memory_save(m, path, false), 0);
    assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_free(path);
    okno_link_memory_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_memory_recalls_what_was_stored_per_key),
        cmocka_unit_test(test_link_memory_zero_half_keeps_the_direction_known),
        cmocka_unit_test(test_link_memory_forgets_after_keep_and_drops_a_stale_half),
        cmocka_unit_test(test_link_memory_evicts_the_least_recently_stored_when_full),
        cmocka_unit_test(test_link_start_goes_only_below_the_default),
        cmocka_unit_test(test_link_learner_averages_the_seconds_the_link_held),
        cmocka_unit_test(test_link_learner_follows_a_changed_link_within_its_window),
        cmocka_unit_test(test_link_file_lines_parse_and_format_back),
        cmocka_unit_test(test_link_memory_outlives_a_restart_in_its_file),
        cmocka_unit_test(test_link_memory_file_with_bad_lines_loads_the_good_ones),
    };
    return cmocka_run_group_tests(tests, NULL, remove_scratch);
}
