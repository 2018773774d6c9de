/* Test plugin "test_good": a well-formed plugin that counts its init and destroy calls, checks its
 * [plugin.test_good] keys through the host, logs through the host and emits an event from each
 * callback, so unit and daemon tests can watch the whole plugin life cycle. Not a real plugin: it
 * does nothing with its kind. */
#include <stdio.h>
#include <stdlib.h>

#include "okno/plugin.h"

static int inits;
static int destroys;

struct good_state {
    const struct okno_host_api *api;
    int64_t limit;
};

/* For tests that dlopen this file themselves: how often init and destroy ran in this process. */
OKNO_PLUGIN_EXPORT void okno_test_good_counts(int *init_calls, int *destroy_calls)
{
    *init_calls = inits;
    *destroy_calls = destroys;
}

static int good_init(const struct okno_host_api *api, void **state)
{
    static const char *const known[] = {"greeting", "limit", "loud", NULL};
    int rc = api->config_check_keys(api->ctx, known);
    if (rc != 0)
        return rc;
    int64_t limit;
    bool loud;
    rc = api->config_int(api->ctx, "limit", 3, 0, 10, &limit);
    if (rc == 0)
        rc = api->config_bool(api->ctx, "loud", false, &loud);
    if (rc != 0)
        return rc;
    struct good_state *s = malloc(sizeof *s);
    if (!s)
        return OKNO_E_NOMEM;
    s->api = api;
    s->limit = limit;
    inits++;
    const char *greeting = api->config_get(api->ctx, "greeting");
    api->log(api->ctx, loud ? OKNO_LOG_WARN : OKNO_LOG_INFO, "hello from test_good: %s, limit %lld",
             greeting ? greeting : "(no greeting)", (long long)limit);
    char json[64];
    snprintf(json, sizeof json, "{\"inits\":%d,\"limit\":%lld}", inits, (long long)limit);
    api->emit_event(api->ctx, "test.init", json);
    *state = s;
    return 0;
}

static void good_destroy(void *state)
{
    struct good_state *s = state;
    destroys++;
    s->api->log(s->api->ctx, OKNO_LOG_INFO, "goodbye from test_good");
    s->api->emit_event(s->api->ctx, "test.destroy", NULL);
    free(s);
}

static const struct okno_plugin_descriptor descriptor = {
    .abi_version = OKNO_PLUGIN_ABI_VERSION,
    .size = sizeof(struct okno_plugin_descriptor),
    .name = "test_good",
    .kind = "rooms",
    .version = "1.0.0-test",
    .init = good_init,
    .destroy = good_destroy,
    .ops = NULL,
};

OKNO_PLUGIN_EXPORT const struct okno_plugin_descriptor *okno_plugin_describe(void)
{
    return &descriptor;
}
