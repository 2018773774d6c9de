/* The bwe plugin (kind "bwe", include/okno/bwe.h): one Google Congestion Control estimator
 * (plugins/bwe/gcc.h) per transport okno sends media on. The host numbers and remembers the
 * packets and parses the receiver's feedback; this plugin turns those observations into the rate
 * okno should send at, within [plugin.bwe] min_kbps..max_kbps, starting at start_kbps.
 *
 * The host has already parsed the transport-cc feedback: its statuses go to the estimator as they
 * are (okno_gcc_on_feedback_entries), one host part as one feedback, the same update the library
 * makes from the wire packet. The copy into the library's entry type is the estimator's buffer,
 * allocated at create.
 *
 * Its state is written once in init and only read afterwards, which is what makes create safe to
 * call from several media workers at once. It logs only from init (the host's log is for the main
 * thread); the host logs the estimates. It deliberately does not pace, probe or choose layers. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "okno/bwe.h"
#include "okno/plugin.h"
#include "gcc.h"

/* Statuses handed to the library per call; the host hands over at most a few hundred at a time,
 * a longer part is given in consecutive calls. */
#define CHUNK 1024

struct bwe_state {
    const struct okno_host_api *api;
    struct okno_gcc_config cfg;
};

struct bwe_est {
    struct okno_gcc *gcc;
    uint64_t refused; /* feedback the estimator returned an error for */
    struct okno_gcc_fb_entry entries[CHUNK];
};

static const char *const known_keys[] = {"min_kbps", "start_kbps", "max_kbps", "probing", NULL};

static int bwe_init(const struct okno_host_api *api, void **state)
{
    struct bwe_state *s = calloc(1, sizeof *s);
    if (!s)
        return OKNO_E_NOMEM;
    s->api = api;
    int64_t min_kbps, start_kbps, max_kbps;
    int rc = api->config_check_keys(api->ctx, known_keys);
    if (rc == 0)
        rc = api->config_int(api->ctx, "min_kbps", 30, 10, 1000000, &min_kbps);
    if (rc == 0)
        rc = api->config_int(api->ctx, "start_kbps", 300, 10, 1000000, &start_kbps);
    if (rc == 0)
        rc = api->config_int(api->ctx, "max_kbps", 10000, 10, 1000000, &max_kbps);
    bool probing = true;
    if (rc == 0)
        rc = api->config_bool(api->ctx, "probing", true, &probing);
    if (rc == 0 && !(min_kbps <= start_kbps && start_kbps <= max_kbps)) {
        api->log(api->ctx, OKNO_LOG_ERROR,
                 "[plugin.bwe]: min_kbps (%lld) <= start_kbps (%lld) <= max_kbps (%lld) must hold",
                 (long long)min_kbps, (long long)start_kbps, (long long)max_kbps);
        rc = OKNO_E_CONFIG;
    }
    if (rc != 0) {
        free(s);
        return rc;
    }
    s->cfg = (struct okno_gcc_config){.min_bps = (uint32_t)min_kbps * 1000u,
                                      .start_bps = (uint32_t)start_kbps * 1000u,
                                      .max_bps = (uint32_t)max_kbps * 1000u,
                                      .no_probing = !probing};
    api->log(api->ctx, OKNO_LOG_INFO,
             "send-side GCC estimates within %lld..%lld kbit/s from %lld, probing %s",
             (long long)min_kbps, (long long)max_kbps, (long long)start_kbps,
             probing ? "on" : "off");
    *state = s;
    return 0;
}

static void bwe_destroy(void *state)
{
    free(state);
}

static int est_create(void *state, const struct okno_bwe_transport *t, int64_t now_us, void **out)
{
    const struct bwe_state *s = state;
    struct bwe_est *e = calloc(1, sizeof *e);
    if (!e)
        return OKNO_E_NOMEM;
    /* The host's hint (what this client's link carried before) only lowers the start: a start
     * above the configured one is what the start probes are for. */
    struct okno_gcc_config cfg = s->cfg;
    if (t && t->start_bps && t->start_bps < cfg.start_bps)
        cfg.start_bps = t->start_bps > cfg.min_bps ? t->start_bps : cfg.min_bps;
    int rc = okno_gcc_create(&cfg, now_us, &e->gcc);
    if (rc != 0) {
        free(e);
        return rc;
    }
    *out = e;
    return 0;
}

static void est_destroy(void *state, void *est)
{
    (void)state;
    struct bwe_est *e = est;
    okno_gcc_destroy(e->gcc);
    free(e);
}

static void est_on_packet_sent(void *est, const struct okno_bwe_sent *pkt)
{
    struct bwe_est *e = est;
    okno_gcc_on_packet_sent(e->gcc, pkt->seq, pkt->bytes, pkt->send_us, pkt->probe);
}

static void est_on_feedback(void *est, const struct okno_bwe_feedback *fb, int64_t now_us)
{
    struct bwe_est *e = est;
    if (!fb->entries)
        return;
    for (size_t done = 0; done < fb->n;) {
        size_t n = fb->n - done < CHUNK ? fb->n - done : CHUNK;
        for (size_t i = 0; i < n; i++) {
            const struct okno_bwe_fb_entry *in = &fb->entries[done + i];
            e->entries[i] = (struct okno_gcc_fb_entry){
                .seq = in->seq, .received = in->received, .arrival_us = in->arrival_us};
        }
        if (okno_gcc_on_feedback_entries(e->gcc, e->entries, n, now_us) < 0)
            e->refused++;
        done += n;
    }
}

static void est_on_remb(void *est, uint64_t bps, int64_t now_us)
{
    okno_gcc_on_remb(((struct bwe_est *)est)->gcc, bps, now_us);
}

static void est_on_rtt(void *est, int64_t rtt_us, int64_t now_us)
{
    okno_gcc_on_rtt(((struct bwe_est *)est)->gcc, rtt_us, now_us);
}

static void est_on_loss_report(void *est, uint8_t fraction_lost, uint32_t packets, int64_t now_us)
{
    okno_gcc_on_loss_report(((struct bwe_est *)est)->gcc, fraction_lost, packets, now_us);
}

static void est_estimate(void *est, int64_t now_us, struct okno_bwe_estimate *out)
{
    struct okno_gcc_estimate g;
    okno_gcc_estimate(((struct bwe_est *)est)->gcc, now_us, &g);
    out->target_bps = g.target_bps;
    out->delay_bps = g.delay_bps;
    out->loss_bps = g.loss_bps;
    out->acked_bps = g.acked_bps;
    out->loss_ratio = g.loss_ratio;
    out->congestive_loss = g.congestive_loss;
    out->usage = g.usage == OKNO_GCC_OVERUSE    ? OKNO_BWE_OVERUSE
                 : g.usage == OKNO_GCC_UNDERUSE ? OKNO_BWE_UNDERUSE
                                                : OKNO_BWE_NORMAL;
    out->state = g.state == OKNO_GCC_INCREASE   ? OKNO_BWE_INCREASE
                 : g.state == OKNO_GCC_DECREASE ? OKNO_BWE_DECREASE
                                                : OKNO_BWE_HOLD;
    out->queue_delay_us = g.queue_delay_us;
    out->rtt_us = g.rtt_us;
    out->probe_wanted = g.probe_wanted;
    out->probe_bps = g.probe_bps;
}

static void est_counters(void *est, struct okno_bwe_counters *out)
{
    const struct bwe_est *e = est;
    struct okno_gcc_stats st;
    okno_gcc_stats(e->gcc, &st);
    *out = (struct okno_bwe_counters){.feedbacks = st.feedbacks,
                                      .packets_acked = st.packets_acked,
                                      .packets_lost = st.packets_lost,
                                      .unknown_seq = st.unknown_seq,
                                      .overuse_events = st.overuse_events,
                                      .probes = st.probes};
}

static const struct okno_bwe_ops ops = {
    .size = sizeof(struct okno_bwe_ops),
    .create = est_create,
    .destroy = est_destroy,
    .on_packet_sent = est_on_packet_sent,
    .on_feedback = est_on_feedback,
    .on_remb = est_on_remb,
    .on_rtt = est_on_rtt,
    .on_loss_report = est_on_loss_report,
    .estimate = est_estimate,
    .counters = est_counters,
};

static const struct okno_plugin_descriptor descriptor = {
    .abi_version = OKNO_PLUGIN_ABI_VERSION,
    .size = sizeof(struct okno_plugin_descriptor),
    .name = "bwe",
    .kind = OKNO_BWE_KIND,
    .version = "0.1.0",
    .init = bwe_init,
    .destroy = bwe_destroy,
    .ops = &ops,
};

OKNO_PLUGIN_EXPORT const struct okno_plugin_descriptor *okno_plugin_describe(void)
{
    return &descriptor;
}
