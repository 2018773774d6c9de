/* Configuration: the schema's defaults, each kind of error with file/group/key in the message,
 * typed getters, plugin groups, paths, and conf/okno.conf documenting every key. */
#include "testutil.h"

#include <glib.h>

#include "core/config.h"

/* Loads text against the daemon's schema; returns the config, or NULL with the errors in *errors.
 */
static struct okno_config *load(const char *text, char **errors)
{
    struct okno_config *cfg = NULL;
    char *ignored = NULL;
    int rc = okno__config_load_data(okno__config_schema, okno__config_schema_len, "test.conf", text,
                                    strlen(text), &cfg, errors ? errors : &ignored);
    g_free(ignored);
    assert_int_equal(rc == 0, cfg != NULL);
    if (rc != 0)
        assert_int_equal(rc, OKNO_E_CONFIG);
    return cfg;
}

/* Asserts that text is refused with exactly the message expected. */
static void assert_refused(const char *text, const char *expected)
{
    char *errors = NULL;
    assert_null(load(text, &errors));
    assert_non_null(errors);
    assert_string_equal(errors, expected);
    g_free(errors);
}

static void test_config_empty_file_gives_every_default(void **state)
{
    (void)state;
    char *errors = NULL;
    struct okno_config *cfg = load("", &errors);
    assert_non_null(cfg);
    assert_null(errors);
    assert_int_equal(okno_config_int(cfg, "general", "workers"), 0);
    assert_int_equal(okno_config_enum(cfg, "general", "log_level"), 2); /* info */
    assert_string_equal(okno_config_string(cfg, "plugins", "dir"), OKNO_PLUGIN_DIR);
    assert_null(okno_config_strv(cfg, "plugins", "load")[0]);
    assert_string_equal(okno_config_string(cfg, "http", "address"), "0.0.0.0");
    assert_int_equal(okno_config_int(cfg, "http", "port"), 8080);
    okno_config_free(cfg);
}

static void test_config_reads_typed_values(void **state)
{
    (void)state;
    struct okno_config *cfg = load("# comment\n"
                                   "[general]\n"
                                   "workers = 4\n"
                                   "log_level = debug\n"
                                   "[plugins]\n"
                                   "load = rooms, bwe ,record,\n"
                                   "[http]\n"
                                   "address = 127.0.0.1  \n"
                                   "port = 65535\n",
                                   NULL);
    assert_non_null(cfg);
    assert_int_equal(okno_config_int(cfg, "general", "workers"), 4);
    assert_int_equal(okno_config_enum(cfg, "general", "log_level"), 3);
    const char *const *load_list = okno_config_strv(cfg, "plugins", "load");
    assert_string_equal(load_list[0], "rooms");
    assert_string_equal(load_list[1], "bwe");
    assert_string_equal(load_list[2], "record");
    assert_null(load_list[3]);
    assert_string_equal(okno_config_string(cfg, "http", "address"), "127.0.0.1");
    assert_int_equal(okno_config_int(cfg, "http", "port"), 65535);
    okno_config_free(cfg);
}

static void test_config_rejects_out_of_range_int_naming_file_group_key(void **state)
{
    (void)state;
    assert_refused("[general]\nworkers = -1\n",
                   "test.conf: [general] workers: must be between 0 and 256, got -1");
    assert_refused("[http]\nport = 0\n",
                   "test.conf: [http] port: must be between 1 and 65535, got 0");
}

static void test_config_rejects_non_integer(void **state)
{
    (void)state;
    assert_refused("[general]\nworkers = four\n",
                   "test.conf: [general] workers: must be an integer, got 'four'");
    assert_refused("[general]\nworkers = 4x\n",
                   "test.conf: [general] workers: must be an integer, got '4x'");
    assert_refused("[general]\nworkers =\n",
                   "test.conf: [general] workers: must be an integer, got ''");
}

static void test_config_rejects_value_outside_enum(void **state)
{
    (void)state;
    assert_refused("[general]\nlog_level = loud\n",
                   "test.conf: [general] log_level: must be one of error, warn, info, debug, got "
                   "'loud'");
}

static void test_config_rejects_unknown_group_and_key(void **state)
{
    (void)state;
    assert_refused("[genral]\nworkers = 1\n", "test.conf: [genral]: unknown group");
    assert_refused("[general]\nwrokers = 1\n", "test.conf: [general] wrokers: unknown key");
}

static void test_config_reports_every_problem_at_once(void **state)
{
    (void)state;
    assert_refused("[general]\nworkers = 300\nlog_level = x\nextra = 1\n[nope]\n",
                   "test.conf: [general] extra: unknown key\n"
                   "test.conf: [nope]: unknown group\n"
                   "test.conf: [general] workers: must be between 0 and 256, got 300\n"
                   "test.conf: [general] log_level: must be one of error, warn, info, debug, got "
                   "'x'");
}

static void test_config_rejects_bad_plugin_names(void **state)
{
    (void)state;
    assert_refused("[plugins]\nload = rooms, ../evil\n",
                   "test.conf: [plugins] load: must be made of a-z, 0-9 and _, got '../evil'");
    assert_refused("[plugins]\nload = rooms, rooms\n",
                   "test.conf: [plugins] load: 'rooms' is listed twice");
    assert_refused("[plugin.Rooms]\nx = 1\n",
                   "test.conf: [plugin.Rooms]: plugin name must be made of a-z, 0-9 and _");
}

static void test_config_rejects_syntax_error(void **state)
{
    (void)state;
    char *errors = NULL;
    assert_null(load("[general\nworkers = 1\n", &errors));
    assert_true(g_str_has_prefix(errors, "test.conf: "));
    g_free(errors);
    assert_null(load("workers = 1\n", &errors)); /* key before any group */
    assert_true(g_str_has_prefix(errors, "test.conf: "));
    g_free(errors);
}

/* A value GKeyFile cannot read (an unknown escape, bytes that are not UTF-8) is refused, naming
 * the key: it used to be taken as absent, so a schema key silently got its default and a plugin
 * saw a key listed without a value (found by fuzz_config). */
static void test_config_rejects_unreadable_values_instead_of_defaulting(void **state)
{
    (void)state;
    char *errors = NULL;
    assert_null(load("[general]\nlog_level = de\\qbug\n", &errors));
    assert_true(g_str_has_prefix(errors, "test.conf: [general] log_level: unreadable value: "));
    assert_null(strchr(errors, '\n'));
    g_free(errors);
    assert_null(load("[general]\nlog_level = debug\xff\n", &errors));
    assert_true(g_str_has_prefix(errors, "test.conf: [general] log_level: unreadable value: "));
    g_free(errors);
    assert_null(load("[plugin.rooms]\ntoken_secret = a\\qb\n", &errors));
    assert_true(
        g_str_has_prefix(errors, "test.conf: [plugin.rooms] token_secret: unreadable value: "));
    g_free(errors);
    /* A "\n" escape is a newline in the value: the message stays one line. */
    assert_refused("[media]\nice_tcp = fa\\nlse\n",
                   "test.conf: [media] ice_tcp: must be true or false, got 'fa\\x0alse'");
    /* The escapes GKeyFile knows still read. */
    struct okno_config *cfg = load("[plugin.rooms]\ntoken_secret = a\\sb\\\\c\n", NULL);
    assert_non_null(cfg);
    assert_string_equal(okno_config_plugin_value(cfg, "rooms", "token_secret"), "a b\\c");
    okno_config_free(cfg);
}

static void test_config_missing_file_names_the_file_and_reason(void **state)
{
    (void)state;
    struct okno_config *cfg = (struct okno_config *)&cfg;
    char *errors = NULL;
    assert_int_equal(okno_config_load("/nonexistent/okno.conf", &cfg, &errors), OKNO_E_CONFIG);
    assert_null(cfg);
    assert_string_equal(errors, "/nonexistent/okno.conf: cannot read: No such file or directory");
    g_free(errors);
}

static void test_config_keeps_plugin_groups_for_the_plugins(void **state)
{
    (void)state;
    struct okno_config *cfg = load("[plugins]\nload = rooms\n"
                                   "[plugin.rooms]\nmax_queue = 12 \nwelcome = hello there\n"
                                   "[plugin.bwe]\nstart_kbps = 300\n",
                                   NULL);
    assert_non_null(cfg);
    assert_string_equal(okno_config_plugin_value(cfg, "rooms", "max_queue"), "12");
    assert_string_equal(okno_config_plugin_value(cfg, "rooms", "welcome"), "hello there");
    assert_null(okno_config_plugin_value(cfg, "rooms", "start_kbps"));
    assert_null(okno_config_plugin_value(cfg, "record", "x"));
    char **keys = okno_config_plugin_keys(cfg, "rooms");
    assert_int_equal(g_strv_length(keys), 2);
    g_strfreev(keys);
    keys = okno_config_plugin_keys(cfg, "absent");
    assert_int_equal(g_strv_length(keys), 0);
    g_strfreev(keys);
    char **groups = okno_config_plugin_groups(cfg);
    assert_int_equal(g_strv_length(groups), 2);
    assert_true(g_strv_contains((const char *const *)groups, "bwe"));
    g_strfreev(groups);
    okno_config_free(cfg);
}

static void test_config_resolves_relative_paths_from_the_config_directory(void **state)
{
    (void)state;
    struct okno_config *cfg = NULL;
    assert_int_equal(okno__config_load_data(okno__config_schema, okno__config_schema_len,
                                            "/etc/okno/okno.conf", "", 0, &cfg, NULL),
                     0);
    char *p = okno_config_resolve_path(cfg, "../lib/plugins");
    assert_string_equal(p, "/etc/lib/plugins");
    g_free(p);
    p = okno_config_resolve_path(cfg, "/opt/okno/plugins/");
    assert_string_equal(p, "/opt/okno/plugins");
    g_free(p);
    char *described = okno_config_describe(cfg, "plugin.rooms", "max_queue", "too big");
    assert_string_equal(described, "/etc/okno/okno.conf: [plugin.rooms] max_queue: too big");
    g_free(described);
    okno_config_free(cfg);
}

static const struct okno_config_key bool_schema[] = {
    {"t", "flag", OKNO_CONFIG_BOOL, "false", 0, 0, NULL, NULL, "a flag"},
    {"t", "broken", OKNO_CONFIG_INT, "x", 0, 9, NULL, NULL, "a row with a bad default"},
};

static void test_config_bool_accepts_true_false_yes_no(void **state)
{
    (void)state;
    const char *yes[] = {"[t]\nflag=true\n", "[t]\nflag=YES\n", "[t]\nflag=1\n"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        struct okno_config *cfg = NULL;
        assert_int_equal(
            okno__config_load_data(bool_schema, 1, "b.conf", yes[i], strlen(yes[i]), &cfg, NULL),
            0);
        assert_true(okno_config_bool(cfg, "t", "flag"));
        okno_config_free(cfg);
    }
    struct okno_config *cfg = NULL;
    char *errors = NULL;
    const char *bad = "[t]\nflag = maybe\n";
    assert_int_equal(
        okno__config_load_data(bool_schema, 1, "b.conf", bad, strlen(bad), &cfg, &errors),
        OKNO_E_CONFIG);
    assert_string_equal(errors, "b.conf: [t] flag: must be true or false, got 'maybe'");
    g_free(errors);
}

static void test_config_bad_default_is_reported_as_the_default(void **state)
{
    (void)state;
    struct okno_config *cfg = NULL;
    char *errors = NULL;
    assert_int_equal(okno__config_load_data(bool_schema, 2, "b.conf", "", 0, &cfg, &errors),
                     OKNO_E_CONFIG);
    assert_string_equal(errors,
                        "b.conf: [t] broken: must be an integer, got 'x' (the built-in default)");
    g_free(errors);
}

static void count_critical(const gchar *domain, GLogLevelFlags level, const gchar *message,
                           gpointer user_data)
{
    (void)domain;
    (void)message;
    if (level & G_LOG_LEVEL_CRITICAL)
        (*(int *)user_data)++;
}

static void test_config_getter_for_unknown_key_complains_and_returns_zero_value(void **state)
{
    (void)state;
    struct okno_config *cfg = load("", NULL);
    int criticals = 0;
    GLogFunc old = g_log_set_default_handler(count_critical, &criticals);
    /* A programming error: a GLib critical and a harmless value. */
    assert_int_equal(okno_config_int(cfg, "general", "nope"), 0);
    assert_string_equal(okno_config_string(cfg, "general", "workers"), "");
    assert_null(okno_config_strv(cfg, "http", "port")[0]);
    assert_false(okno_config_bool(cfg, "http", "port"));
    assert_int_equal(okno_config_enum(cfg, "http", "address"), 0);
    g_log_set_default_handler(old, NULL);
    assert_int_equal(criticals, 5);
    okno_config_free(cfg);
}

/* The shipped config must document every key, in its group, and must itself be valid. */
static void test_shipped_config_documents_every_key_and_loads(void **state)
{
    (void)state;
    char *text = okno_test_read_file("../conf/okno.conf", NULL);
    /* "group/key" for every "key =" or "# key =" line, under the group header above it. */
    GHashTable *documented = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GRegex *key_line = g_regex_new("^#? ?([a-z0-9_]+) =", 0, 0, NULL);
    char **lines = g_strsplit(text, "\n", -1);
    char *group = g_strdup("");
    for (char **l = lines; *l; l++) {
        GMatchInfo *m = NULL;
        if ((*l)[0] == '[' && strchr(*l, ']')) {
            g_free(group);
            group = g_strndup(*l + 1, (gsize)(strchr(*l, ']') - *l - 1));
        } else if (g_regex_match(key_line, *l, 0, &m)) {
            char *key = g_match_info_fetch(m, 1);
            g_hash_table_add(documented, g_strdup_printf("%s/%s", group, key));
            g_free(key);
        }
        g_match_info_free(m);
    }
    for (size_t i = 0; i < okno__config_schema_len; i++) {
        const struct okno_config_key *row = &okno__config_schema[i];
        char *id = g_strdup_printf("%s/%s", row->group, row->key);
        if (!g_hash_table_contains(documented, id))
            fail_msg("conf/okno.conf does not document [%s] %s", row->group, row->key);
        g_free(id);
    }
    g_free(group);
    g_strfreev(lines);
    g_regex_unref(key_line);
    g_hash_table_destroy(documented);
    g_free(text);
    struct okno_config *cfg = NULL;
    char *errors = NULL;
    int rc = okno_config_load(OKNO_SRCDIR "/conf/okno.conf", &cfg, &errors);
    if (rc != 0)
        fail_msg("conf/okno.conf: %s", errors);
    okno_config_free(cfg);
}

int main(void)
{
    /* The getter test provokes criticals on purpose; keep them from aborting under G_DEBUG. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    g_log_set_fatal_mask(NULL, G_LOG_LEVEL_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_empty_file_gives_every_default),
        cmocka_unit_test(test_config_reads_typed_values),
        cmocka_unit_test(test_config_rejects_out_of_range_int_naming_file_group_key),
        cmocka_unit_test(test_config_rejects_non_integer),
        cmocka_unit_test(test_config_rejects_value_outside_enum),
        cmocka_unit_test(test_config_rejects_unknown_group_and_key),
        cmocka_unit_test(test_config_reports_every_problem_at_once),
        cmocka_unit_test(test_config_rejects_bad_plugin_names),
        cmocka_unit_test(test_config_rejects_syntax_error),
        cmocka_unit_test(test_config_rejects_unreadable_values_instead_of_defaulting),
        cmocka_unit_test(test_config_missing_file_names_the_file_and_reason),
        cmocka_unit_test(test_config_keeps_plugin_groups_for_the_plugins),
        cmocka_unit_test(test_config_resolves_relative_paths_from_the_config_directory),
        cmocka_unit_test(test_config_bool_accepts_true_false_yes_no),
        cmocka_unit_test(test_config_bad_default_is_reported_as_the_default),
        cmocka_unit_test(test_config_getter_for_unknown_key_complains_and_returns_zero_value),
        cmocka_unit_test(test_shipped_config_documents_every_key_and_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
