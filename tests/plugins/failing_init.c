/* Test plugin "test_failing_init": a well-formed plugin whose init fails, as one with a bad setting
 * would; it says why through the host log first. The host must report the failure, never call
 * destroy, and unload it. */
#include <stdlib.h>

#include "okno/plugin.h"

static int failing_init(const struct okno_host_api *api, void **state)
{
    (void)state;
    api->log(api->ctx, OKNO_LOG_ERROR, "test_failing_init refuses to start, on purpose");
    return OKNO_E_CONFIG;
}

static void failing_destroy(void *state)
{
    /* destroy after a failed init would free what init never made. */
    (void)state;
    abort();
}

static const struct okno_plugin_descriptor descriptor = {
    .abi_version = OKNO_PLUGIN_ABI_VERSION,
    .size = sizeof(struct okno_plugin_descriptor),
    .name = "test_failing_init",
    .kind = "record",
    .version = "1.0.0-test",
    .init = failing_init,
    .destroy = failing_destroy,
};

OKNO_PLUGIN_EXPORT const struct okno_plugin_descriptor *okno_plugin_describe(void)
{
    return &descriptor;
}
