/* Fixture for the unit tests that load plugins through the real plugin host (test_plugin_host,
 * test_rooms, test_bwe): a config made of "[plugins] dir = DIR" and the test's text, the host over
 * it, and okno's log captured in a temporary file for the test to read back. Loading and checking
 * a particular plugin stays with its test. Header only (static inline). */
#ifndef OKNO_TEST_HOST_FIXTURE_H
#define OKNO_TEST_HOST_FIXTURE_H

#include "testutil.h"

#include <glib.h>

#include "core/config.h"
#include "core/log.h"
#include "core/plugin_host.h"

struct okno_test_host {
    struct okno_config *cfg;       /* owned */
    struct okno_plugin_host *host; /* owned; NULL once the test freed it itself */
    FILE *log;                     /* owned: okno's log while the fixture lives */
};

/* The host over plugins in dir with config text after the [plugins] group's dir (name: the config
 * file's name in messages; listener may be NULL); okno's log goes to a temporary file from here
 * on. Fails the test on a config error. */
static inline void okno_test_host_new(struct okno_test_host *h, const char *name, const char *dir,
                                      const char *text,
                                      const struct okno_plugin_host_listener *listener)
{
    memset(h, 0, sizeof *h);
    char *conf = g_strdup_printf("[plugins]\ndir = %s\n%s", dir, text);
    char *errors = NULL;
    int rc = okno__config_load_data(okno__config_schema, okno__config_schema_len, name, conf,
                                    strlen(conf), &h->cfg, &errors);
    if (rc != 0)
        fail_msg("config: %s", errors);
    g_free(conf);
    assert_int_equal(okno_plugin_host_new(h->cfg, listener, &h->host), 0);
    h->log = tmpfile();
    assert_non_null(h->log);
    okno_log_set_output(h->log);
}

/* Everything logged so far (g_free it). */
static inline char *okno_test_host_log(struct okno_test_host *h)
{
    fflush(h->log);
    long size = ftell(h->log);
    assert_true(size >= 0);
    char *text = g_malloc0((gsize)size + 1);
    rewind(h->log);
    assert_int_equal(fread(text, 1, (size_t)size, h->log), (size_t)size);
    return text;
}

/* The host (unless the test freed it), the log capture and the config go. */
static inline void okno_test_host_free(struct okno_test_host *h)
{
    okno_plugin_host_free(h->host);
    okno_log_set_output(NULL);
    fclose(h->log);
    okno_config_free(h->cfg);
    memset(h, 0, sizeof *h);
}

#endif
