/* The plugin host against the test plugins of tests/plugins: the good one goes through init and
 * destroy with its config and events; every broken one is refused with a reason naming its file. */
#include "testutil.h"

#include <glib.h>
#include <gmodule.h>

#include "host_fixture.h"
#include "okno/bwe.h"

#define PLUGIN_DIR OKNO_BUILDDIR "/tests/plugins/.libs"

struct events {
    GPtrArray *lines; /* "plugin type json" */
};

static void on_event(void *user, const char *plugin, const char *type, const char *json)
{
    struct events *e = user;
    g_ptr_array_add(e->lines, g_strdup_printf("%s %s %s", plugin, type, json ? json : "-"));
}

struct fixture {
    struct okno_test_host h;
    struct events events;
};

/* A host over PLUGIN_DIR with extra config text appended; the log goes to a temporary file. */
static struct fixture *fixture_new(const char *extra)
{
    struct fixture *f = g_new0(struct fixture, 1);
    f->events.lines = g_ptr_array_new_with_free_func(g_free);
    struct okno_plugin_host_listener listener = {.on_event = on_event, .user = &f->events};
    okno_test_host_new(&f->h, "host.conf", PLUGIN_DIR, extra, &listener);
    return f;
}

/* Everything logged so far (g_free it). */
static char *fixture_log(struct fixture *f)
{
    return okno_test_host_log(&f->h);
}

static void fixture_free(struct fixture *f)
{
    okno_test_host_free(&f->h);
    g_ptr_array_free(f->events.lines, TRUE);
    g_free(f);
}

/* Opens the good plugin ourselves to read its counters; our handle keeps them across host loads. */
typedef void (*counts_fn)(int *, int *);
static GModule *good_module;
static counts_fn good_counts;

static int open_good(void **state)
{
    (void)state;
    good_module = g_module_open(PLUGIN_DIR "/okno_test_good." G_MODULE_SUFFIX, G_MODULE_BIND_LOCAL);
    if (!good_module)
        fail_msg("cannot open the good test plugin: %s", g_module_error());
    gpointer sym = NULL;
    assert_true(g_module_symbol(good_module, "okno_test_good_counts", &sym));
    memcpy(&good_counts, &sym, sizeof good_counts);
    return 0;
}

static int close_good(void **state)
{
    (void)state;
    g_module_close(good_module);
    return 0;
}

static void test_good_plugin_gets_config_logs_emits_and_is_destroyed(void **state)
{
    (void)state;
    int inits0, destroys0, inits, destroys;
    good_counts(&inits0, &destroys0);
    struct fixture *f = fixture_new("[plugin.test_good]\nlimit = 5\ngreeting = hi there\n");
    char *why = NULL;
    assert_int_equal(okno_plugin_host_load(f->h.host, "test_good", &why), 0);
    assert_null(why);
    good_counts(&inits, &destroys);
    assert_int_equal(inits, inits0 + 1);
    assert_int_equal(destroys, destroys0);
    assert_int_equal(okno_plugin_host_count(f->h.host), 1);
    const struct okno_plugin_descriptor *d = okno_plugin_host_find(f->h.host, "test_good");
    assert_non_null(d);
    assert_string_equal(d->kind, "rooms");
    assert_string_equal(d->version, "1.0.0-test");
    assert_null(okno_plugin_host_find(f->h.host, "test_bad_abi"));
    void *plugin_state = NULL;
    assert_ptr_equal(okno_plugin_host_find_kind(f->h.host, "rooms", &plugin_state), d);
    assert_non_null(plugin_state);
    assert_null(okno_plugin_host_find_kind(f->h.host, "bwe", NULL));
    assert_int_equal(f->events.lines->len, 1);
    char *expected = g_strdup_printf("test_good test.init {\"inits\":%d,\"limit\":5}", inits);
    assert_string_equal(f->events.lines->pdata[0], expected);
    g_free(expected);
    char *log = fixture_log(f);
    assert_non_null(
        strstr(log, "info  [plugin.test_good] hello from test_good: hi there, limit 5"));
    g_free(log);

    okno_plugin_host_free(f->h.host);
    f->h.host = NULL;
    good_counts(&inits, &destroys);
    assert_int_equal(destroys, destroys0 + 1);
    assert_int_equal(f->events.lines->len, 2);
    assert_string_equal(f->events.lines->pdata[1], "test_good test.destroy -");
    log = fixture_log(f);
    assert_non_null(strstr(log, "[plugin.test_good] goodbye from test_good"));
    g_free(log);
    fixture_free(f);
}

/* Loads name, expecting rc and a reason that names the plugin's file and contains reason. */
static void assert_refused(struct fixture *f, const char *name, int rc, const char *reason)
{
    char *why = NULL;
    assert_int_equal(okno_plugin_host_load(f->h.host, name, &why), rc);
    assert_non_null(why);
    char *file =
        g_strdup_printf("plugin %s (%s/okno_%s.%s): ", name, PLUGIN_DIR, name, G_MODULE_SUFFIX);
    if (!g_str_has_prefix(why, file) || !strstr(why, reason))
        fail_msg("reason '%s' lacks '%s' or '%s'", why, file, reason);
    g_free(file);
    g_free(why);
    assert_int_equal(okno_plugin_host_count(f->h.host), 0);
}

static void test_plugin_with_wrong_abi_version_is_refused(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("");
    assert_refused(f, "test_bad_abi", OKNO_E_ABI, "ABI version 2, this okno speaks 1");
    fixture_free(f);
}

static void test_plugin_with_too_small_descriptor_is_refused(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("");
    assert_refused(f, "test_small_descriptor", OKNO_E_ABI, "descriptor of ");
    fixture_free(f);
}

static void test_library_without_describe_symbol_is_refused(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("");
    assert_refused(f, "test_missing_symbol", OKNO_E_NOTFOUND,
                   "no okno_plugin_describe symbol: not an okno plugin");
    fixture_free(f);
}

static void test_plugin_whose_init_fails_is_refused_and_not_destroyed(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("");
    /* Its destroy aborts: reaching the end proves the host never called it. */
    assert_refused(f, "test_failing_init", OKNO_E_CONFIG, "init failed: bad configuration (-11)");
    char *log = fixture_log(f);
    assert_non_null(strstr(log, "error [plugin.test_failing_init] test_failing_init refuses"));
    g_free(log);
    fixture_free(f);
}

static void test_missing_plugin_file_is_refused(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("");
    assert_refused(f, "test_absent", OKNO_E_NOTFOUND, "cannot open: ");
    fixture_free(f);
}

static void test_plugin_name_that_is_a_path_is_refused(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("");
    char *why = NULL;
    assert_int_equal(okno_plugin_host_load(f->h.host, "../good", &why), OKNO_E_INVAL);
    assert_string_equal(why, "plugin name '../good' must be made of a-z, 0-9 and _");
    g_free(why);
    fixture_free(f);
}

static void test_plugin_loaded_twice_is_refused(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("");
    assert_int_equal(okno_plugin_host_load(f->h.host, "test_good", NULL), 0);
    char *why = NULL;
    assert_int_equal(okno_plugin_host_load(f->h.host, "test_good", &why), OKNO_E_EXISTS);
    assert_string_equal(why, "plugin test_good: already loaded");
    g_free(why);
    assert_int_equal(okno_plugin_host_count(f->h.host), 1);
    fixture_free(f);
}

static void test_plugin_config_errors_name_file_group_and_key(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("[plugin.test_good]\nlimit = 99\ncolour = red\n");
    assert_int_equal(okno_plugin_host_load(f->h.host, "test_good", NULL), OKNO_E_CONFIG);
    char *log = fixture_log(f);
    assert_non_null(strstr(log, "host.conf: [plugin.test_good] colour: unknown key"));
    g_free(log);
    fixture_free(f);

    f = fixture_new("[plugin.test_good]\nlimit = 99\n");
    assert_int_equal(okno_plugin_host_load(f->h.host, "test_good", NULL), OKNO_E_CONFIG);
    log = fixture_log(f);
    assert_non_null(strstr(log, "host.conf: [plugin.test_good] limit: must be between 0 and 10, "
                                "got 99"));
    g_free(log);
    fixture_free(f);

    f = fixture_new("[plugin.test_good]\nloud = perhaps\n");
    assert_int_equal(okno_plugin_host_load(f->h.host, "test_good", NULL), OKNO_E_CONFIG);
    log = fixture_log(f);
    assert_non_null(strstr(log, "[plugin.test_good] loud: must be true or false, got 'perhaps'"));
    g_free(log);
    fixture_free(f);
}

static void test_configured_plugins_load_in_order_and_stop_at_first_failure(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("load = test_good, test_bad_abi\n[plugin.test_other]\nx = 1\n");
    char *why = NULL;
    assert_int_equal(okno_plugin_host_load_configured(f->h.host, &why), OKNO_E_ABI);
    assert_non_null(strstr(why, "plugin test_bad_abi ("));
    g_free(why);
    assert_int_equal(okno_plugin_host_count(f->h.host), 1);
    char *log = fixture_log(f);
    assert_non_null(strstr(log, "[plugin.test_other] is ignored"));
    g_free(log);
    fixture_free(f);
}

static void test_check_opens_plugin_without_running_it(void **state)
{
    (void)state;
    int inits0, destroys0, inits, destroys;
    good_counts(&inits0, &destroys0);
    struct fixture *f = fixture_new("");
    assert_int_equal(okno_plugin_host_check(f->h.host, "test_good", NULL), 0);
    assert_int_equal(okno_plugin_host_check(f->h.host, "test_failing_init", NULL), 0);
    char *why = NULL;
    assert_int_equal(okno_plugin_host_check(f->h.host, "test_bad_abi", &why), OKNO_E_ABI);
    g_free(why);
    good_counts(&inits, &destroys);
    assert_int_equal(inits, inits0);
    assert_int_equal(okno_plugin_host_count(f->h.host), 0);
    fixture_free(f);
}

static void test_host_api_table_reports_its_size(void **state)
{
    (void)state;
    /* What a plugin built against a later header relies on before calling a newer entry. */
    struct okno_host_api api = {.size = offsetof(struct okno_host_api, emit_event)};
    assert_true(OKNO_HOST_API_HAS(&api, config_bool));
    assert_false(OKNO_HOST_API_HAS(&api, emit_event));
    api.size = sizeof api;
    assert_true(OKNO_HOST_API_HAS(&api, emit_event));
}

/* A bwe plugin loads like a rooms one and its ops work as the SFU drives them. */
static void test_bwe_plugin_loads_and_its_ops_make_estimators(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("");
    assert_int_equal(okno_plugin_host_load(f->h.host, "test_bwe", NULL), 0);
    void *plugin_state = (void *)1;
    const struct okno_plugin_descriptor *d =
        okno_plugin_host_find_kind(f->h.host, OKNO_BWE_KIND, &plugin_state);
    assert_non_null(d);
    assert_string_equal(d->name, "test_bwe");
    const struct okno_bwe_ops *ops = d->ops;
    assert_true(okno_bwe_ops_valid(ops));
    assert_true(OKNO_BWE_OPS_HAS(ops, counters));
    const struct okno_bwe_transport t = {"room", "p1", "subscriber", 0};
    void *est = NULL;
    assert_int_equal(ops->create(plugin_state, &t, 0, &est), 0);
    assert_non_null(est);
    const struct okno_bwe_fb_entry entries[2] = {{.seq = 1, .received = true, .send_us = 5},
                                                 {.seq = 2, .send_us = -1}};
    const struct okno_bwe_feedback fb = {.entries = entries, .n = 2, .first = true};
    ops->on_feedback(est, &fb, 10);
    ops->on_remb(est, 640000, 20);
    struct okno_bwe_estimate e = {0};
    ops->estimate(est, 30, &e);
    assert_int_equal(e.target_bps, 640000);
    struct okno_bwe_counters c;
    ops->counters(est, &c);
    assert_int_equal(c.feedbacks, 1);
    assert_int_equal(c.packets_acked, 1);
    assert_int_equal(c.packets_lost, 1);
    assert_int_equal(c.unknown_seq, 1);
    ops->destroy(plugin_state, est);
    fixture_free(f);
}

static void test_bwe_plugin_whose_ops_lack_an_entry_is_refused_before_init(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("");
    assert_refused(f, "test_bwe_lacking", OKNO_E_MALFORMED,
                   "a bwe plugin's ops must be a struct okno_bwe_ops");
    char *why = NULL;
    assert_int_equal(okno_plugin_host_check(f->h.host, "test_bwe_lacking", &why), OKNO_E_MALFORMED);
    g_free(why);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_plugin_gets_config_logs_emits_and_is_destroyed),
        cmocka_unit_test(test_plugin_with_wrong_abi_version_is_refused),
        cmocka_unit_test(test_plugin_with_too_small_descriptor_is_refused),
        cmocka_unit_test(test_library_without_describe_symbol_is_refused),
        cmocka_unit_test(test_plugin_whose_init_fails_is_refused_and_not_destroyed),
        cmocka_unit_test(test_missing_plugin_file_is_refused),
        cmocka_unit_test(test_plugin_name_that_is_a_path_is_refused),
        cmocka_unit_test(test_plugin_loaded_twice_is_refused),
        cmocka_unit_test(test_plugin_config_errors_name_file_group_and_key),
        cmocka_unit_test(test_configured_plugins_load_in_order_and_stop_at_first_failure),
        cmocka_unit_test(test_check_opens_plugin_without_running_it),
        cmocka_unit_test(test_host_api_table_reports_its_size),
        cmocka_unit_test(test_bwe_plugin_loads_and_its_ops_make_estimators),
        cmocka_unit_test(test_bwe_plugin_whose_ops_lack_an_entry_is_refused_before_init),
    };
    return cmocka_run_group_tests(tests, open_good, close_good);
}
