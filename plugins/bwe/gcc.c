/* The facade of the estimator: routes sends and feedback to the parts (send_history.h,
 * delivery.h, trendline.h, overuse.h, aimd.h, standing_queue.h, loss_based.h, probe.h,
 * rise_hint.h) and combines what they say into the target. */
#include "gcc.h"

#include <stdlib.h>

#include "aimd.h"
#include "delivery.h"
#include "loss_based.h"
#include "okno/err.h"
#include "overuse.h"
#include "probe.h"
#include "rise_hint.h"
#include "send_history.h"
#include "standing_queue.h"
#include "trendline.h"
#include "wire/twcc.h"

#define DEFAULT_MIN_BPS   30000u
#define DEFAULT_START_BPS 300000u
#define DEFAULT_MAX_BPS   10000000u
#define MAX_BPS_LIMIT     4000000000u
/* No feedback for this long while sending: cut the estimate by OUTAGE_CUT, once per interval. */
#define FEEDBACK_TIMEOUT_US 1000000
#define OUTAGE_CUT          0.8
/* Feedback counts as flowing while the last one is this recent. */
#define FB_ACTIVE_US 1000000
/* A lost packet is congestive when every packet received from LOSS_WINDOW_US before it was sent
 * to the first one after it met a queue this long (and this share of the largest lately): a full
 * queue stays full, while jitter lets some packets through fast, and a delay spike next to a
 * random loss must not read as congestion. */
#define CONGESTED_MIN_US 10000
#define CONGESTED_SHARE  0.6
#define LOSS_WINDOW_US   100000
/* After a capacity drop, the acked rate of this last stretch tells the new capacity. */
#define RECENT_ACK_US 200000
/* A probe cluster's first packet met at least the queue the packets sent from this long before it
 * met; the link's share of a link-limited cluster as probe.h takes it. */
#define QUEUE_BEFORE_US  100000
#define PROBE_LINK_SHARE 0.95
/* A run of losses sent over this long is an outage (the radio link was gone), not a loss rate:
 * it is counted, but the loss-based rate does not trim for it. */
#define OUTAGE_RUN_US 500000
/* RTCP round trips are preferred over the feedback-derived one while this recent. */
#define RTCP_RTT_VALID_US 5000000
/* Arrival times beyond this are not from a transport-cc packet. */
#define MAX_ARRIVAL_US ((int64_t)1 << 52)

struct okno_gcc {
    uint32_t min_bps, start_bps, max_bps;
    struct okno_gcc_history hist;
    struct okno_gcc_delivery dl;
    struct okno_gcc_trend trend;
    struct okno_gcc_overuse ov;
    struct okno_gcc_aimd aimd;
    struct okno_gcc_loss loss;
    struct okno_gcc_probe probe;
    struct okno_gcc_rise rise;
    /* the last packet feedback reported received, for rise_hint.h's pairs */
    int64_t rx_prev_seq, rx_prev_send_us, rx_prev_arrival_us;
    bool rx_prev_media;
    enum okno_gcc_usage usage;
    uint32_t target;
    bool twcc_seen;
    /* last_congested_us: the latest overuse, or the latest feedback while a drain ran */
    int64_t last_fb_us, last_cut_us, last_congested_us, last_send_us; /* -1: never */
    uint32_t prior_outage_bps; /* the target before feedback stopped, 0: no outage */
    int64_t rtt_us, rtcp_rtt_at_us;
    struct okno_gcc_standing standing;
    uint64_t remb_bps;
    int64_t remb_us;
    struct okno_gcc_stats st;
    /* the feedback being read: all its packets, and those sent since the last decrease */
    struct okno_gcc_loss_counts fb_all, fb_fresh;
    uint32_t pending_lost, pending_fresh;
    int64_t pending_first_send_us, pending_last_send_us;
    bool have_prev_q;
    uint32_t fb_entries;
    bool fb_contiguous; /* starts right after the previous feedback's last packet */
    uint16_t fb_last_seq;
    bool have_fb_seq; /* last_fb_seq: the last packet the previous feedback reported */
    uint16_t last_fb_seq;
    int64_t prev_q, q_congested, fb_min_rtt;
};

int okno_gcc_create(const struct okno_gcc_config *cfg, int64_t now_us, struct okno_gcc **out)
{
    if (!out)
        return OKNO_E_INVAL;
    uint32_t min = cfg && cfg->min_bps ? cfg->min_bps : DEFAULT_MIN_BPS;
    uint32_t max = cfg && cfg->max_bps ? cfg->max_bps : DEFAULT_MAX_BPS;
    uint32_t start = cfg && cfg->start_bps ? cfg->start_bps : DEFAULT_START_BPS;
    if (cfg && !cfg->start_bps) { /* a default start stays within explicit bounds */
        if (start < min)
            start = min;
        if (start > max)
            start = max;
    }
    if (min > start || start > max || max > MAX_BPS_LIMIT)
        return OKNO_E_INVAL;
    struct okno_gcc *g = calloc(1, sizeof *g);
    if (!g)
        return OKNO_E_NOMEM;
    g->min_bps = min;
    g->start_bps = start;
    g->max_bps = max;
    okno_gcc_history_init(&g->hist);
    okno_gcc_delivery_init(&g->dl);
    okno_gcc_trend_init(&g->trend);
    okno_gcc_overuse_init(&g->ov);
    okno_gcc_aimd_init(&g->aimd, min, start, max);
    okno_gcc_loss_init(&g->loss, min, start, max);
    okno_gcc_probe_init(&g->probe, min, start, max);
    okno_gcc_probe_set_off(&g->probe, cfg && cfg->no_probing);
    okno_gcc_rise_init(&g->rise);
    g->rx_prev_seq = -1;
    g->usage = OKNO_GCC_NORMAL;
    g->target = start;
    g->last_fb_us = g->last_cut_us = g->last_congested_us = g->last_send_us = -1;
    g->rtcp_rtt_at_us = -1;
    okno_gcc_standing_init(&g->standing);
    g->remb_us = -1;
    (void)now_us; /* the clock starts with the first event: nothing is timed from creation */
    *out = g;
    return 0;
}

void okno_gcc_destroy(struct okno_gcc *g)
{
    free(g);
}

/* The delay-based rate: the controller's with transport-cc, bounded by REMB when the receiver
 * sends it; REMB alone without; unknown (no bound) with neither. */
static double delay_bps(const struct okno_gcc *g)
{
    double d = g->twcc_seen ? g->aimd.rate_bps : g->max_bps;
    if (g->remb_us >= 0 && (double)g->remb_bps < d)
        d = (double)g->remb_bps;
    if (d < g->min_bps)
        d = g->min_bps;
    return d;
}

static void update_target(struct okno_gcc *g)
{
    double t = delay_bps(g);
    if (g->loss.bps < t)
        t = g->loss.bps;
    if (t < g->min_bps)
        t = g->min_bps;
    if (t > g->max_bps)
        t = g->max_bps;
    g->target = (uint32_t)t;
}

void okno_gcc_on_packet_sent(struct okno_gcc *g, uint16_t seq, size_t bytes, int64_t send_us,
                             bool probe)
{
    if (!g)
        return;
    uint32_t b = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
    uint8_t cluster = okno_gcc_probe_on_sent(&g->probe, b, send_us, probe);
    okno_gcc_history_add(&g->hist, seq, b, send_us, cluster);
    if (send_us > g->last_send_us)
        g->last_send_us = send_us;
}

static void begin_feedback(struct okno_gcc *g)
{
    okno_gcc_delivery_begin(&g->dl);
    g->fb_all = g->fb_fresh = (struct okno_gcc_loss_counts){0, 0, 0};
    g->pending_lost = g->pending_fresh = 0;
    g->have_prev_q = false;
    g->prev_q = 0;
    g->fb_entries = 0;
    g->fb_contiguous = false;
    g->fb_min_rtt = INT64_MAX;
    int64_t qmax = okno_gcc_delivery_qmax(&g->dl, g->last_send_us);
    int64_t th = (int64_t)(CONGESTED_SHARE * (double)qmax);
    g->q_congested = th > CONGESTED_MIN_US ? th : CONGESTED_MIN_US;
}

/* Lost packets waiting for a received neighbour are congestive when the packets around them met
 * a filled queue: the one after them and all received over LOSS_WINDOW_US before (the lowest of
 * their delays). */
static void judge_pending(struct okno_gcc *g, int64_t q_next)
{
    if (g->pending_lost == 0)
        return;
    if (g->pending_last_send_us - g->pending_first_send_us > OUTAGE_RUN_US) {
        g->fb_all.total -= g->pending_lost;
        g->fb_all.lost -= g->pending_lost;
        g->fb_fresh.total -= g->pending_fresh;
        g->fb_fresh.lost -= g->pending_fresh;
        g->pending_lost = g->pending_fresh = 0;
        return;
    }
    int64_t q = g->have_prev_q && g->prev_q < q_next ? g->prev_q : q_next;
    int64_t before =
        okno_gcc_delivery_qmin_since(&g->dl, g->pending_first_send_us - LOSS_WINDOW_US);
    if (before < q)
        q = before;
    if (q >= g->q_congested) {
        g->fb_all.lost_congestive += g->pending_lost;
        g->fb_fresh.lost_congestive += g->pending_fresh;
    }
    g->pending_lost = g->pending_fresh = 0;
}

static void on_trend_sample(struct okno_gcc *g, const struct okno_gcc_trend_sample *s,
                            int64_t now_us)
{
    enum okno_gcc_usage u = okno_gcc_overuse_detect(&g->ov, s->modified_trend, s->trend,
                                                    s->send_delta_ms, s->num_deltas, s->arrival_us);
    if (u == OKNO_GCC_OVERUSE && g->usage != OKNO_GCC_OVERUSE)
        g->st.overuse_events++;
    if (u == OKNO_GCC_OVERUSE)
        g->last_congested_us = now_us;
    g->usage = u;
}

static void on_entry(struct okno_gcc *g, uint16_t seq, bool received, int64_t arrival_us,
                     int64_t now_us)
{
    if (g->fb_entries++ == 0)
        g->fb_contiguous = g->have_fb_seq && seq == (uint16_t)(g->last_fb_seq + 1);
    g->fb_last_seq = seq;
    struct okno_gcc_sent *e = okno_gcc_history_find(&g->hist, seq);
    if (!e || (received && (arrival_us > MAX_ARRIVAL_US || arrival_us < -MAX_ARRIVAL_US))) {
        g->st.unknown_seq++;
        return;
    }
    if (e->fb == OKNO_GCC_FB_RECEIVED || (e->fb == OKNO_GCC_FB_LOST && !received)) {
        g->st.duplicates++;
        return;
    }
    bool first = e->fb == OKNO_GCC_FB_NONE;
    bool fresh = e->send_us >= g->loss.fresh_from_us;
    if (!received) {
        e->fb = OKNO_GCC_FB_LOST;
        g->st.packets_lost++;
        g->fb_all.total++;
        g->fb_all.lost++;
        if (fresh) {
            g->fb_fresh.total++;
            g->fb_fresh.lost++;
            g->pending_fresh++;
        }
        if (g->pending_lost++ == 0)
            g->pending_first_send_us = e->send_us;
        g->pending_last_send_us = e->send_us;
        okno_gcc_probe_on_report(&g->probe, e->cluster, true, false, 0, e->bytes);
        return;
    }
    e->fb = OKNO_GCC_FB_RECEIVED;
    g->st.packets_acked++;
    if (first) {
        g->fb_all.total++;
        g->fb_fresh.total += fresh;
    }
    int64_t a = okno_gcc_history_unwrap_arrival(&g->hist, arrival_us);
    int64_t q = okno_gcc_delivery_on_received(&g->dl, e->send_us, a, e->bytes);
    judge_pending(g, q);
    g->have_prev_q = true;
    g->prev_q = q;
    if (now_us - e->send_us < g->fb_min_rtt)
        g->fb_min_rtt = now_us - e->send_us;
    if (e->cluster == 0 && g->rx_prev_media && e->seq == g->rx_prev_seq + 1)
        okno_gcc_rise_on_pair(&g->rise, e->bytes, e->send_us - g->rx_prev_send_us,
                              a - g->rx_prev_arrival_us, a);
    g->rx_prev_seq = e->seq;
    g->rx_prev_send_us = e->send_us;
    g->rx_prev_arrival_us = a;
    g->rx_prev_media = e->cluster == 0;
    if (e->cluster == 0)
        okno_gcc_probe_on_other(&g->probe, a, e->bytes);
    okno_gcc_probe_on_report(&g->probe, e->cluster, first, true, a, e->bytes);
    struct okno_gcc_trend_sample s;
    if (okno_gcc_trend_on_packet(&g->trend, e->send_us, a, &s))
        on_trend_sample(g, &s, now_us);
}

static void check_standing_queue(struct okno_gcc *g, uint32_t acked, int64_t now_us)
{
    double bps = 0;
    switch (okno_gcc_standing_check(&g->standing, g->dl.queue_delay_us, acked,
                                    g->usage == OKNO_GCC_OVERUSE, g->st.packets_lost, now_us,
                                    &bps)) {
    case OKNO_GCC_STANDING_DRAIN:
        okno_gcc_aimd_drain(&g->aimd, bps, now_us);
        g->st.drains++;
        break;
    case OKNO_GCC_STANDING_DRAINED:
        okno_gcc_aimd_raise(&g->aimd, (uint32_t)bps, now_us);
        break;
    case OKNO_GCC_STANDING_REBASE:
        okno_gcc_delivery_rebase(&g->dl);
        g->st.rebases++;
        break;
    case OKNO_GCC_STANDING_NONE:
        break;
    }
}

/* A cluster's few arrivals can be bunched by jitter: a spike holds its first packet and the
 * others queue behind it (in order), so they arrive together and read as a rate the link never
 * carried, link-limited (edge's 240 kbit/s read as 707 from 4 packets) or not even that (a
 * cluster asked at 434 kbit/s on edge's downlink read as 457 and was taken at 434). Such a first
 * packet arrived later than the base delay and the queue the packets sent just before it met
 * allow. When the rate over the span from that earliest arrival is lower, the result is at most
 * that rate or what arrived over the last 200 ms (the link was busy while the cluster went
 * through), whichever is more. */
static uint32_t jitter_checked(const struct okno_gcc *g, uint32_t r,
                               const struct okno_gcc_probe_seen *seen)
{
    if (g->dl.base_us == INT64_MAX)
        return r;
    int64_t q0 = okno_gcc_delivery_qmin_since(&g->dl, seen->first_send_us - QUEUE_BEFORE_US);
    if (q0 == INT64_MAX)
        q0 = 0;
    int64_t earliest = seen->first_send_us + g->dl.base_us + q0;
    int64_t span = seen->last_arrival_us - earliest;
    if (earliest >= seen->first_arrival_us || span <= 0)
        return r; /* its first packet was not held */
    double spread = PROBE_LINK_SHARE * (double)seen->bytes_after_first * 8e6 / (double)span;
    if (spread >= (double)r)
        return r;
    uint32_t acked = okno_gcc_delivery_acked_recent_bps(&g->dl, RECENT_ACK_US);
    double most = spread > acked ? spread : acked;
    return (double)r > most ? (uint32_t)most : r;
}

static void end_feedback(struct okno_gcc *g, int64_t now_us)
{
    judge_pending(g, g->have_prev_q ? g->prev_q : 0);
    okno_gcc_delivery_end(&g->dl, g->fb_contiguous);
    if (g->fb_entries > 0) {
        g->have_fb_seq = true;
        g->last_fb_seq = g->fb_last_seq;
    }
    g->st.feedbacks++;
    g->twcc_seen = true;
    g->last_fb_us = now_us;
    /* Without RTCP round trips, the time since the newest reported packet left is one (an upper
     * bound: it includes the receiver's wait for the next feedback). */
    bool rtcp = g->rtcp_rtt_at_us >= 0 && now_us - g->rtcp_rtt_at_us < RTCP_RTT_VALID_US;
    if (!rtcp && g->fb_min_rtt != INT64_MAX && g->fb_min_rtt > 0) {
        g->rtt_us = g->fb_min_rtt;
        okno_gcc_aimd_set_rtt(&g->aimd, g->rtt_us);
    }
    if (g->usage == OKNO_GCC_OVERUSE)
        g->last_congested_us = now_us;

    uint32_t acked = okno_gcc_delivery_acked_bps(&g->dl);
    /* After a capacity drop the last 200 ms tell the new capacity, the 500 ms window still
     * remembers the old one: the lower of the two is what a full link carries. */
    uint32_t recent = okno_gcc_delivery_acked_recent_bps(&g->dl, RECENT_ACK_US);
    uint32_t acked_full = recent > 0 && recent < acked ? recent : acked;
    uint32_t acked_now = g->usage == OKNO_GCC_OVERUSE ? acked_full : acked;
    /* While a drain runs the rate does not climb back, or the queue would not drain. */
    bool draining = okno_gcc_standing_draining(&g->standing);
    double scale = draining ? 0.0 : okno_gcc_loss_increase_scale(&g->loss);
    int64_t decreased_us = g->aimd.last_decrease_us;
    /* Even the fastest packet of this feedback met a queue: the link carries all it can. */
    okno_gcc_aimd_set_queued(&g->aimd, g->dl.queue_delay_us >= OKNO_GCC_STANDING_DRAINED_US);
    okno_gcc_aimd_update(&g->aimd, g->usage, acked_now, scale, now_us);
    /* A queue that stands is a full link too: with the 500 ms window the rate a drain may return
     * to (0.85 x it) would overflow the new link again (944 kbit/s on a 600 kbit/s link in
     * okno-bench's drop, with the kiosk's feedback prompt). */
    check_standing_queue(g, acked_full, now_us);
    /* A drain is congestion the trendline did not flag: probes wait as after an overuse. A probe
     * would refill the queue being drained, and its result is ignored until the drain ends. */
    if (okno_gcc_standing_draining(&g->standing))
        g->last_congested_us = now_us;
    /* The delay-based rate was cut: the losses of what was sent before (this feedback's
     * included) no longer move the loss-based one, or one overflow would cut twice. */
    bool cut = g->aimd.last_decrease_us != decreased_us;
    if (cut)
        okno_gcc_loss_mark_decrease(&g->loss, now_us);
    /* A probe that filled the queue says the link carries what arrived, but not while draining:
     * that would refill it. It lifts a loss-based cap as well. */
    struct okno_gcc_probe_seen seen;
    for (uint32_t r; (r = okno_gcc_probe_result(&g->probe, now_us, &seen)) != 0;) {
        if (okno_gcc_standing_draining(&g->standing))
            continue;
        uint32_t checked = jitter_checked(g, r, &seen);
        /* A start probe the link limited measured a link slower than the start rate (edge:
         * 240 kbit/s against 300): sending on at the start rate would fill its queue for the
         * seconds a long round trip takes the delay-based rate to see it. */
        if (seen.start && seen.link_limited)
            okno_gcc_aimd_link_limited(&g->aimd, checked, now_us);
        okno_gcc_aimd_raise(&g->aimd, checked, now_us);
        okno_gcc_loss_on_probe(&g->loss, checked);
    }
    static const struct okno_gcc_loss_counts none = {0, 0, 0};
    okno_gcc_loss_add(&g->loss, &g->fb_all, cut ? &none : &g->fb_fresh);
    /* What the link delivered lately: over a capacity drop the last 200 ms tell it. */
    okno_gcc_loss_update(&g->loss, delay_bps(g), g->target, acked_full, g->rtt_us, now_us);
    update_target(g);
    if (g->prior_outage_bps > 0) {
        okno_gcc_probe_on_outage(&g->probe, g->prior_outage_bps);
        g->prior_outage_bps = 0;
    }
    okno_gcc_probe_set_acked(&g->probe, acked);
    /* Media pairs say the link carries well above the target: probe now, not at the next period
     * (rise_hint.h). */
    if (g->usage != OKNO_GCC_OVERUSE && !okno_gcc_standing_draining(&g->standing) &&
        okno_gcc_rise_check(&g->rise, g->target, now_us) &&
        okno_gcc_probe_hint(&g->probe, g->target, now_us))
        g->st.rise_hints++;
    okno_gcc_probe_plan(&g->probe, g->target, true, g->last_congested_us, now_us);
}

int okno_gcc_on_feedback(struct okno_gcc *g, const struct okno_twcc_fb *fb, int64_t now_us)
{
    if (!g || !fb)
        return OKNO_E_INVAL;
    struct okno_twcc_iter it;
    okno_twcc_iter_init(&it, fb);
    begin_feedback(g);
    struct okno_twcc_entry e;
    int rc;
    while ((rc = okno_twcc_iter_next(&it, &e)) == 1)
        on_entry(g, e.seq, e.status != OKNO_TWCC_NOT_RECEIVED, e.arrival_us, now_us);
    end_feedback(g, now_us);
    return rc < 0 ? rc : 0;
}

int okno_gcc_on_feedback_entries(struct okno_gcc *g, const struct okno_gcc_fb_entry *entries,
                                 size_t n, int64_t now_us)
{
    if (!g || (!entries && n > 0))
        return OKNO_E_INVAL;
    begin_feedback(g);
    for (size_t i = 0; i < n; i++)
        on_entry(g, entries[i].seq, entries[i].received, entries[i].arrival_us, now_us);
    end_feedback(g, now_us);
    return 0;
}

void okno_gcc_on_rtt(struct okno_gcc *g, int64_t rtt_us, int64_t now_us)
{
    if (!g || rtt_us <= 0 || rtt_us > 60000000)
        return;
    g->rtt_us = rtt_us;
    g->rtcp_rtt_at_us = now_us;
    okno_gcc_aimd_set_rtt(&g->aimd, rtt_us);
}

void okno_gcc_on_remb(struct okno_gcc *g, uint64_t bps, int64_t now_us)
{
    if (!g)
        return;
    g->remb_bps = bps < g->min_bps ? g->min_bps : bps;
    g->remb_us = now_us;
    /* The loss-based cap follows the receiver's estimate where it was not limiting. */
    double d = delay_bps(g);
    if (g->loss.tracking || g->loss.bps > d)
        g->loss.bps = d;
    update_target(g);
}

void okno_gcc_on_loss_report(struct okno_gcc *g, uint8_t fraction_lost, uint32_t packets,
                             int64_t now_us)
{
    if (!g)
        return;
    /* Transport-cc feedback counts every loss itself, and tells congestion from noise. */
    if (g->last_fb_us >= 0 && now_us - g->last_fb_us < FB_ACTIVE_US)
        return;
    okno_gcc_loss_report(&g->loss, fraction_lost / 256.0, packets, delay_bps(g), g->target,
                         g->rtt_us, now_us);
    update_target(g);
}

static void check_outage(struct okno_gcc *g, int64_t now_us)
{
    if (g->last_fb_us < 0 || now_us - g->last_fb_us <= FEEDBACK_TIMEOUT_US)
        return;
    if (g->last_send_us < now_us - FEEDBACK_TIMEOUT_US)
        return; /* nothing sent lately: silence is expected */
    if (g->last_cut_us >= 0 && now_us - g->last_cut_us < FEEDBACK_TIMEOUT_US)
        return;
    if (g->last_cut_us < g->last_fb_us && g->target > g->prior_outage_bps)
        g->prior_outage_bps = g->target;
    okno_gcc_aimd_cut(&g->aimd, OUTAGE_CUT, now_us);
    okno_gcc_loss_mark_decrease(&g->loss, now_us);
    g->last_cut_us = now_us;
    update_target(g);
}

void okno_gcc_estimate(struct okno_gcc *g, int64_t now_us, struct okno_gcc_estimate *out)
{
    if (!g || !out)
        return;
    check_outage(g, now_us);
    bool active = g->last_fb_us >= 0 && now_us - g->last_fb_us < FB_ACTIVE_US;
    okno_gcc_probe_plan(&g->probe, g->target, active, g->last_congested_us, now_us);
    double d = delay_bps(g);
    *out = (struct okno_gcc_estimate){
        .target_bps = g->target,
        .delay_bps = (uint32_t)d,
        .loss_bps = (uint32_t)g->loss.bps,
        .acked_bps = okno_gcc_delivery_acked_bps(&g->dl),
        .loss_ratio = g->loss.ratio,
        .congestive_loss = okno_gcc_loss_congestive(&g->loss),
        .usage = g->usage,
        .state = g->aimd.state,
        .trend_ms = g->ov.last_modified,
        .threshold_ms = g->ov.threshold,
        .queue_delay_us = g->dl.queue_delay_us,
        .rtt_us = g->rtt_us,
        .probe_wanted = g->probe.wanted,
        .probe_bps = g->probe.wanted ? g->probe.want_bps : 0,
    };
}

void okno_gcc_stats(const struct okno_gcc *g, struct okno_gcc_stats *out)
{
    if (!g || !out)
        return;
    *out = g->st;
    out->probes = g->probe.clusters;
}
