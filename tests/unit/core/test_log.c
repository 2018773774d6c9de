/* The log's line format, level filtering, GLib routing and thread safety. */
#include "testutil.h"

#include <glib.h>

#include "core/log.h"

/* Runs fn with the log writing to a temporary stream and returns what was written (g_free it). */
static char *capture(void (*fn)(void *), void *arg)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    okno_log_set_output(f);
    fn(arg);
    okno_log_set_output(NULL);
    long size = ftell(f);
    assert_true(size >= 0);
    char *text = g_malloc0((gsize)size + 1);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    return text;
}

static void log_one_warning(void *arg)
{
    (void)arg;
    okno_log(OKNO_LOG_WARN, "worker", "queue at %d%%", 90);
}

static void test_log_line_has_iso8601_millis_level_and_module(void **state)
{
    (void)state;
    okno_log_set_level(OKNO_LOG_INFO);
    char *text = capture(log_one_warning, NULL);
    GRegex *re =
        g_regex_new("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z warn  \\[worker\\] "
                    "queue at 90%\n$",
                    0, 0, NULL);
    assert_non_null(re);
    if (!g_regex_match(re, text, 0, NULL))
        fail_msg("unexpected line: '%s'", text);
    g_regex_unref(re);
    g_free(text);
}

static void log_each_level(void *arg)
{
    (void)arg;
    okno_log(OKNO_LOG_ERROR, "t", "e");
    okno_log(OKNO_LOG_WARN, "t", "w");
    okno_log(OKNO_LOG_INFO, "t", "i");
    okno_log(OKNO_LOG_DEBUG, "t", "d");
}

static void test_log_drops_messages_below_the_level(void **state)
{
    (void)state;
    okno_log_set_level(OKNO_LOG_WARN);
    char *text = capture(log_each_level, NULL);
    assert_non_null(strstr(text, "error [t] e\n"));
    assert_non_null(strstr(text, "warn  [t] w\n"));
    assert_null(strstr(text, "[t] i"));
    assert_null(strstr(text, "[t] d"));
    g_free(text);
    okno_log_set_level(OKNO_LOG_DEBUG);
    text = capture(log_each_level, NULL);
    assert_non_null(strstr(text, "debug [t] d\n"));
    g_free(text);
    okno_log_set_level(OKNO_LOG_INFO);
}

static void test_log_level_names_parse_back(void **state)
{
    (void)state;
    for (int l = OKNO_LOG_ERROR; l <= OKNO_LOG_DEBUG; l++) {
        enum okno_log_level parsed = OKNO_LOG_DEBUG;
        assert_int_equal(okno_log_level_parse(okno_log_level_name((enum okno_log_level)l), &parsed),
                         0);
        assert_int_equal(parsed, l);
    }
    enum okno_log_level untouched = OKNO_LOG_WARN;
    assert_int_equal(okno_log_level_parse("loud", &untouched), OKNO_E_INVAL);
    assert_int_equal(okno_log_level_parse(NULL, &untouched), OKNO_E_INVAL);
    assert_int_equal(untouched, OKNO_LOG_WARN);
}

static void log_huge(void *arg)
{
    (void)arg;
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    okno_log(OKNO_LOG_ERROR, "big", "%s", big);
}

static void test_log_cuts_long_line_and_marks_it(void **state)
{
    (void)state;
    char *text = capture(log_huge, NULL);
    size_t len = strlen(text);
    assert_true(len <= 1024);
    assert_true(g_str_has_suffix(text, "xxx...\n"));
    assert_int_equal(strchr(text, '\n') - text, (ptrdiff_t)len - 1);
    g_free(text);
}

static void log_through_glib(void *arg)
{
    (void)arg;
    g_log("libnice", G_LOG_LEVEL_WARNING, "agent %d lost", 7);
    g_message("plain message");
    g_log_structured("GLib-GIO", G_LOG_LEVEL_WARNING, "MESSAGE", "structured %s", "one");
}

static void test_glib_messages_come_out_in_our_format(void **state)
{
    (void)state;
    okno_log_init();
    okno_log_init(); /* twice is harmless */
    char *text = capture(log_through_glib, NULL);
    assert_non_null(strstr(text, "Z warn  [libnice] agent 7 lost\n"));
    assert_non_null(strstr(text, "Z info  [glib] plain message\n"));
    assert_non_null(strstr(text, "Z warn  [GLib-GIO] structured one\n"));
    g_free(text);
}

#define THREADS 4
#define LINES   500

static gpointer log_many(gpointer arg)
{
    int id = GPOINTER_TO_INT(arg);
    for (int i = 0; i < LINES; i++)
        okno_log(OKNO_LOG_INFO, "thread", "t%d line %d %s", id, i,
                 "padding padding padding padding padding padding padding padding padding");
    return NULL;
}

static void log_from_threads(void *arg)
{
    (void)arg;
    GThread *threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        threads[t] = g_thread_new("log", log_many, GINT_TO_POINTER(t));
    for (int t = 0; t < THREADS; t++)
        g_thread_join(threads[t]);
}

static void test_log_lines_from_threads_never_interleave(void **state)
{
    (void)state;
    okno_log_set_level(OKNO_LOG_INFO);
    char *text = capture(log_from_threads, NULL);
    char **lines = g_strsplit(text, "\n", -1);
    int count = 0;
    for (char **l = lines; *l && **l; l++, count++) {
        assert_non_null(strstr(*l, "[thread] t"));
        assert_true(g_str_has_suffix(*l, "padding"));
    }
    assert_int_equal(count, THREADS * LINES);
    g_strfreev(lines);
    g_free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_line_has_iso8601_millis_level_and_module),
        cmocka_unit_test(test_log_drops_messages_below_the_level),
        cmocka_unit_test(test_log_level_names_parse_back),
        cmocka_unit_test(test_log_cuts_long_line_and_marks_it),
        cmocka_unit_test(test_glib_messages_come_out_in_our_format),
        cmocka_unit_test(test_log_lines_from_threads_never_interleave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
