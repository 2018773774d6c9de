/* Test plugin "test_small_descriptor": the right ABI version but a descriptor size smaller than ABI
 * 1's struct, as a plugin built against a broken or truncated header would report. The host must
 * refuse it without reading past the size it was given. */
#include <stddef.h>
#include <stdlib.h>

#include "okno/plugin.h"

static int small_init(const struct okno_host_api *api, void **state)
{
    (void)api;
    (void)state;
    abort();
}

static void small_destroy(void *state)
{
    (void)state;
    abort();
}

static const struct okno_plugin_descriptor descriptor = {
    .abi_version = OKNO_PLUGIN_ABI_VERSION,
    .size = offsetof(struct okno_plugin_descriptor, init),
    .name = "test_small_descriptor",
    .kind = "rooms",
    .version = "1.0.0-test",
    .init = small_init,
    .destroy = small_destroy,
};

OKNO_PLUGIN_EXPORT const struct okno_plugin_descriptor *okno_plugin_describe(void)
{
    return &descriptor;
}
