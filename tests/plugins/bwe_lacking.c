/* Test plugin "test_bwe_lacking" (kind bwe): well formed but for its ops, which have no on_feedback
 * entry. The SFU would call it for every feedback packet, so the host must refuse the plugin at
 * load, not crash mid-call. */
#include <stdlib.h>

#include "okno/bwe.h"
#include "okno/plugin.h"

static int init(const struct okno_host_api *api, void **state)
{
    (void)api;
    *state = NULL;
    abort(); /* never reached: the host refuses the plugin before init */
}

static void destroy(void *state)
{
    (void)state;
}

static int create(void *state, const struct okno_bwe_transport *t, int64_t now_us, void **out)
{
    (void)state;
    (void)t;
    (void)now_us;
    (void)out;
    return OKNO_E_INVAL;
}

static const struct okno_bwe_ops ops = {
    .size = sizeof(struct okno_bwe_ops),
    .create = create,
};

static const struct okno_plugin_descriptor descriptor = {
    .abi_version = OKNO_PLUGIN_ABI_VERSION,
    .size = sizeof(struct okno_plugin_descriptor),
    .name = "test_bwe_lacking",
    .kind = OKNO_BWE_KIND,
    .version = "1.0.0-test",
    .init = init,
    .destroy = destroy,
    .ops = &ops,
};

OKNO_PLUGIN_EXPORT const struct okno_plugin_descriptor *okno_plugin_describe(void)
{
    return &descriptor;
}
