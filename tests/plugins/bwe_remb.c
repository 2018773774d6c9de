/* Test plugin "test_bwe" (kind bwe): the simplest estimator there is, the receiver's last REMB as
 * the target, and counts of what it was handed. The plugin host's test loads it through its
 * descriptor and drives its ops as the SFU would. */
#include <stdlib.h>
#include <string.h>

#include "okno/bwe.h"
#include "okno/plugin.h"

struct est {
    uint64_t remb;
    struct okno_bwe_counters counters;
};

static int init(const struct okno_host_api *api, void **state)
{
    (void)api;
    *state = NULL;
    return 0;
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
    *out = calloc(1, sizeof(struct est));
    return *out ? 0 : OKNO_E_NOMEM;
}

static void est_destroy(void *state, void *est)
{
    (void)state;
    free(est);
}

static void sent(void *est, const struct okno_bwe_sent *pkt)
{
    (void)est;
    (void)pkt;
}

static void feedback(void *est, const struct okno_bwe_feedback *fb, int64_t now_us)
{
    struct est *e = est;
    (void)now_us;
    e->counters.feedbacks += fb->first;
    for (size_t i = 0; i < fb->n; i++) {
        if (fb->entries[i].received)
            e->counters.packets_acked++;
        else
            e->counters.packets_lost++;
        if (fb->entries[i].send_us < 0)
            e->counters.unknown_seq++;
    }
}

static void remb(void *est, uint64_t bps, int64_t now_us)
{
    (void)now_us;
    ((struct est *)est)->remb = bps;
}

static void rtt(void *est, int64_t rtt_us, int64_t now_us)
{
    (void)est;
    (void)rtt_us;
    (void)now_us;
}

static void loss(void *est, uint8_t fraction_lost, uint32_t packets, int64_t now_us)
{
    (void)est;
    (void)fraction_lost;
    (void)packets;
    (void)now_us;
}

static void estimate(void *est, int64_t now_us, struct okno_bwe_estimate *out)
{
    (void)now_us;
    const struct est *e = est;
    out->target_bps = e->remb > UINT32_MAX ? UINT32_MAX : (uint32_t)e->remb;
}

static void counters(void *est, struct okno_bwe_counters *out)
{
    *out = ((struct est *)est)->counters;
}

static const struct okno_bwe_ops ops = {
    .size = sizeof(struct okno_bwe_ops),
    .create = create,
    .destroy = est_destroy,
    .on_packet_sent = sent,
    .on_feedback = feedback,
    .on_remb = remb,
    .on_rtt = rtt,
    .on_loss_report = loss,
    .estimate = estimate,
    .counters = counters,
};

static const struct okno_plugin_descriptor descriptor = {
    .abi_version = OKNO_PLUGIN_ABI_VERSION,
    .size = sizeof(struct okno_plugin_descriptor),
    .name = "test_bwe",
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
