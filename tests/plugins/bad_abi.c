/* Test plugin "test_bad_abi": well-formed except that it claims an ABI version this okno does not
 * speak, as a plugin built against a future header would. The host must refuse it before calling
 * anything else in it. */
#include <stdlib.h>

#include "okno/plugin.h"

static int bad_abi_init(const struct okno_host_api *api, void **state)
{
    /* Never reached when the host checks the version; abort makes a missing check loud. */
    (void)api;
    (void)state;
    abort();
}

static void bad_abi_destroy(void *state)
{
    (void)state;
    abort();
}

static const struct okno_plugin_descriptor descriptor = {
    .abi_version = OKNO_PLUGIN_ABI_VERSION + 1,
    .size = sizeof(struct okno_plugin_descriptor),
    .name = "test_bad_abi",
    .kind = "rooms",
    .version = "9.9.9-test",
    .init = bad_abi_init,
    .destroy = bad_abi_destroy,
};

OKNO_PLUGIN_EXPORT const struct okno_plugin_descriptor *okno_plugin_describe(void)
{
    return &descriptor;
}
