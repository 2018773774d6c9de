#include "probe.h"

#include <string.h>

#define CLUSTER_GAP_US      20000
#define CLUSTER_MAX_PKTS    200
#define CLUSTER_US          15000 /* the length asked for */
#define CLUSTER_MIN_PKTS    5
#define REQUEST_TIMEOUT_US  1000000
#define REPORT_TIMEOUT_US   2000000
#define PERIOD_US           5000000
#define AFTER_DROP_US       1000000 /* the first period while below the recent high */
#define AFTER_DROP_MAX_US   2000000 /* and the period after that */
#define AFTER_DROP_QUIET_US 1000000 /* no overuse or drain for this long while below */
#define HIGH_KEEP_US        30000000
#define BELOW_HIGH          0.66
#define QUIET_US            2000000
#define HINT_AFTER_US       1000000 /* a rise hint waits this long after any request */
#define FIRST_SCALE         3
#define SECOND_SCALE        6
#define GROW_IF             0.7 /* a result this close to the rate asked: search higher */
#define LINK_LIMITED        0.9 /* received slower than this share of sent: the link limited it */
#define LINK_SHARE          0.95
#define MAX_SEND_SPAN_US    1000000
#define MIN_RECV_SHARE      0.8 /* of the packets sent, and of the bytes asked for, received */
#define BUNCHED_SPAN        0.5 /* received within this share of the send span: bunched */
#define HELD_MIN_PKTS       4   /* a held latest packet is told from three gaps before it */
#define HELD_GAP            3.0 /* its gap over the mean of the others': held */

void okno_gcc_probe_init(struct okno_gcc_probe *p, uint32_t min_bps, uint32_t start_bps,
                         uint32_t max_bps)
{
    memset(p, 0, sizeof *p);
    p->min_bps = min_bps;
    p->start_bps = start_bps;
    p->max_bps = max_bps;
    p->last_request_us = -1;
    p->next_id = 1;
}

void okno_gcc_probe_set_acked(struct okno_gcc_probe *p, uint32_t acked_bps)
{
    p->acked_bps = acked_bps;
}

void okno_gcc_probe_set_off(struct okno_gcc_probe *p, bool off)
{
    p->off = off;
    if (off)
        p->wanted = false;
}

static void request(struct okno_gcc_probe *p, uint64_t bps, int64_t now_us)
{
    if (bps > p->max_bps)
        bps = p->max_bps;
    if (bps < p->min_bps)
        bps = p->min_bps;
    p->wanted = true;
    p->want_bps = (uint32_t)bps;
    p->want_since_us = now_us;
    p->want_sent_bytes = 0;
    p->want_sent_pkts = 0;
    p->last_request_us = now_us;
    p->open_id = 0; /* the packets for this request make a cluster of their own */
    p->want_start = false;
}

/* Start probe n (1: 3 x the start rate, 2: 6 x). */
static void request_start(struct okno_gcc_probe *p, int n, int64_t now_us)
{
    p->initial = n;
    request(p, (uint64_t)p->start_bps * (n == 1 ? FIRST_SCALE : SECOND_SCALE), now_us);
    p->want_start = true;
}

static struct okno_gcc_cluster *cluster(struct okno_gcc_probe *p, uint8_t id)
{
    struct okno_gcc_cluster *c = &p->c[id % OKNO_GCC_PROBE_CLUSTERS];
    return (id != 0 && c->id == id) ? c : NULL;
}

uint8_t okno_gcc_probe_on_sent(struct okno_gcc_probe *p, uint32_t bytes, int64_t send_us,
                               bool probe)
{
    if (!probe)
        return 0;
    struct okno_gcc_cluster *c = cluster(p, p->open_id);
    if (!c || send_us - c->last_send_us > CLUSTER_GAP_US || c->sent >= CLUSTER_MAX_PKTS) {
        uint8_t id = p->next_id;
        p->next_id = (uint8_t)(p->next_id == 255 ? 1 : p->next_id + 1);
        c = &p->c[id % OKNO_GCC_PROBE_CLUSTERS];
        memset(c, 0, sizeof *c);
        c->id = id;
        c->bps = p->wanted ? p->want_bps : 0;
        c->start = p->wanted && p->want_start;
        c->first_send_us = send_us;
        p->open_id = id;
        p->clusters++;
    }
    c->sent++;
    c->sent_bytes += bytes;
    c->last_sent_bytes = bytes;
    c->last_send_us = send_us;
    uint8_t id = c->id;
    if (p->wanted) {
        p->want_sent_bytes += bytes;
        p->want_sent_pkts++;
        uint64_t need = (uint64_t)p->want_bps * CLUSTER_US / 8000000u;
        if (p->want_sent_bytes >= need && p->want_sent_pkts >= CLUSTER_MIN_PKTS) {
            p->wanted = false;
            p->open_id = 0;
            if (p->initial == 1)
                request_start(p, 2, send_us);
        }
    }
    return id;
}

void okno_gcc_probe_on_report(struct okno_gcc_probe *p, uint8_t id, bool first_report,
                              bool received, int64_t arrival_us, uint32_t bytes)
{
    struct okno_gcc_cluster *c = cluster(p, id);
    if (!c || c->evaluated)
        return;
    if (first_report)
        c->reported++;
    if (!received)
        return;
    if (c->received == 0 || arrival_us < c->first_arrival_us) {
        c->first_arrival_us = arrival_us;
        c->first_recv_bytes = bytes;
    }
    if (c->received == 0 || arrival_us > c->last_arrival_us) {
        c->prev_arrival_us = c->received == 0 ? arrival_us : c->last_arrival_us;
        c->last_arrival_us = arrival_us;
        c->last_recv_bytes = bytes;
        c->other_before_last = c->other_bytes;
    }
    c->other_bytes += c->other_pending;
    c->other_pending = 0;
    c->received++;
    c->recv_bytes += bytes;
}

void okno_gcc_probe_on_other(struct okno_gcc_probe *p, int64_t arrival_us, uint32_t bytes)
{
    for (size_t i = 0; i < OKNO_GCC_PROBE_CLUSTERS; i++) {
        struct okno_gcc_cluster *c = &p->c[i];
        if (c->id != 0 && !c->evaluated && c->received > 0 && c->reported < c->sent &&
            arrival_us >= c->first_arrival_us)
            c->other_pending += bytes;
    }
}

/* A link-limited cluster whose latest packet came a jitter spike late: nothing queued behind it
 * to show the link was free meanwhile, so the whole hold reads as link time (edge's 200 kbit/s
 * uplink, 40 ms of jitter: a start probe's six packets arrived over 116 ms, "109 kbit/s", and the
 * sender started at that for the call). Its gap to the packet before is then well over the
 * others' mean; the rate up to that packet is what the link carried, 0 when it was not held
 * (or when the packets before it came faster than the link-limited share of what was sent). */
static double held_last_bps(const struct okno_gcc_cluster *c, double send_bps)
{
    if (c->received < HELD_MIN_PKTS || c->prev_arrival_us <= c->first_arrival_us)
        return 0;
    int64_t before = c->prev_arrival_us - c->first_arrival_us;
    double mean_gap = (double)before / (double)(c->received - 2);
    if ((double)(c->last_arrival_us - c->prev_arrival_us) <= HELD_GAP * mean_gap)
        return 0;
    int64_t over = before > CLUSTER_US ? before : CLUSTER_US;
    double bytes =
        (double)(c->recv_bytes - c->first_recv_bytes - c->last_recv_bytes + c->other_before_last);
    double bps = LINK_SHARE * bytes * 8e6 / (double)over;
    /* Faster than the link-limited share of what was sent: bunched behind an earlier hold, so
     * its small gaps say nothing of the last one. */
    return bps < LINK_LIMITED * send_bps ? bps : 0;
}

static uint32_t judge(const struct okno_gcc_cluster *c, bool *limited)
{
    *limited = false;
    if (c->received < CLUSTER_MIN_PKTS || c->received < MIN_RECV_SHARE * c->sent)
        return 0;
    /* Too few bytes arrived to say anything about the rate asked (libwebrtc's 80 %). */
    double asked_bytes = (double)c->bps * CLUSTER_US / 8e6;
    if (c->bps > 0 && (double)c->recv_bytes < MIN_RECV_SHARE * asked_bytes)
        return 0;
    int64_t send_span = c->last_send_us - c->first_send_us;
    int64_t recv_span = c->last_arrival_us - c->first_arrival_us;
    if (send_span <= 0 || recv_span <= 0 || send_span > MAX_SEND_SPAN_US)
        return 0;
    /* The link delivers in order: arrivals much closer together than the sends were bunched by
     * something else (a delayed packet the later ones queued behind), not spread by the link. */
    if ((double)recv_span < BUNCHED_SPAN * (double)send_span)
        return 0;
    /* A cluster is judged over at least its intended 15 ms: a few packets leaving in one pacer
     * step, or arriving together after a jitter spike, span a fraction of it and read as rates no
     * link carried (edge's 240 kbit/s downlink "carried" 707). */
    int64_t send_over = send_span > CLUSTER_US ? send_span : CLUSTER_US;
    int64_t recv_over = recv_span > CLUSTER_US ? recv_span : CLUSTER_US;
    double send_bps = (double)(c->sent_bytes - c->last_sent_bytes) * 8e6 / (double)send_over;
    double recv_bps = (double)(c->recv_bytes - c->first_recv_bytes) * 8e6 / (double)recv_over;
    if (recv_bps > 2 * send_bps)
        return 0; /* arrivals bunched by something else than the link: not a measurement */
    double r = recv_bps < send_bps ? recv_bps : send_bps;
    if (recv_bps < LINK_LIMITED * send_bps) {
        /* The link was busy throughout: what it carried is the cluster and the media between. */
        double all = (double)(c->recv_bytes - c->first_recv_bytes + c->other_bytes);
        r = LINK_SHARE * all * 8e6 / (double)recv_over;
        double held = held_last_bps(c, send_bps);
        if (held > r)
            r = held;
        *limited = true;
    }
    /* What was asked is the most a cluster shows. */
    if (c->bps > 0 && r > c->bps)
        r = c->bps;
    return r > 4e9 ? 4000000000u : (uint32_t)r;
}

uint32_t okno_gcc_probe_result(struct okno_gcc_probe *p, int64_t now_us,
                               struct okno_gcc_probe_seen *seen)
{
    for (size_t i = 0; i < OKNO_GCC_PROBE_CLUSTERS; i++) {
        struct okno_gcc_cluster *c = &p->c[i];
        if (c->id == 0 || c->evaluated || c->sent == 0)
            continue;
        bool closed = c->id != p->open_id || now_us - c->last_send_us > CLUSTER_GAP_US;
        bool complete = c->reported >= c->sent || now_us - c->last_send_us > REPORT_TIMEOUT_US;
        if (!closed || !complete)
            continue;
        c->evaluated = true;
        if (c->id == p->open_id)
            p->open_id = 0;
        if (c->start) {
            p->start_heard = p->start_heard || c->reported > 0;
            p->start_again = !p->start_heard && p->start_retries < OKNO_GCC_PROBE_START_RETRIES;
        }
        bool limited;
        uint32_t r = judge(c, &limited);
        if (r == 0)
            continue;
        if (seen)
            *seen = (struct okno_gcc_probe_seen){.link_limited = limited,
                                                 .start = c->start,
                                                 .first_send_us = c->first_send_us,
                                                 .first_arrival_us = c->first_arrival_us,
                                                 .last_arrival_us = c->last_arrival_us,
                                                 .bytes_after_first =
                                                     c->recv_bytes - c->first_recv_bytes +
                                                     (limited ? c->other_bytes : 0)};
        /* The link limited it: that is the capacity, nothing to search above. */
        if (c->bps > 0 && r >= GROW_IF * c->bps && c->bps < p->max_bps && !p->wanted)
            request(p, (uint64_t)r * 2, now_us);
        return r;
    }
    return 0;
}

void okno_gcc_probe_plan(struct okno_gcc_probe *p, uint32_t target_bps, bool fb_active,
                         int64_t last_congested_us, int64_t now_us)
{
    if (p->off)
        return;
    if (p->wanted) {
        if (now_us - p->want_since_us <= REQUEST_TIMEOUT_US)
            return;
        p->wanted = false; /* the sender did not probe: do not keep asking */
        /* but a start probe it could not send yet (no video to pad with) is asked again */
        if (p->want_start && p->want_sent_pkts == 0 && !p->start_heard)
            p->start_again = p->start_retries < OKNO_GCC_PROBE_START_RETRIES;
        return;
    }
    if (p->initial == 0) {
        request_start(p, 1, now_us);
        return;
    }
    if (!fb_active)
        return;
    if (p->start_again) {
        p->start_again = false;
        if (target_bps < (uint64_t)p->start_bps * FIRST_SCALE) {
            p->start_retries++;
            request_start(p, 1, now_us);
            return;
        }
    }
    if (p->recovery_bps > 0) {
        if (p->recovery_bps > target_bps)
            request(p, p->recovery_bps, now_us);
        p->recovery_bps = 0;
        return;
    }
    /* The high is what the link carried, not a target it never did (a start rate above the
     * link's capacity would otherwise read as a large drop and probe every 2 s for 30 s). */
    uint32_t carried = p->acked_bps < target_bps ? p->acked_bps : target_bps;
    if (carried > 0 && (carried >= p->high_bps || now_us - p->high_us > HIGH_KEEP_US)) {
        p->high_bps = carried;
        p->high_us = now_us;
    }
    bool below = target_bps < BELOW_HIGH * p->high_bps;
    if (below && !p->below)
        p->drop_period_us = AFTER_DROP_US;
    p->below = below;
    int64_t period = below ? p->drop_period_us : PERIOD_US;
    bool quiet = last_congested_us < 0 ||
                 now_us - last_congested_us >= (below ? AFTER_DROP_QUIET_US : QUIET_US);
    if (quiet && target_bps < p->max_bps &&
        (p->last_request_us < 0 || now_us - p->last_request_us >= period)) {
        request(p, (uint64_t)target_bps * 2, now_us);
        if (below)
            p->drop_period_us = AFTER_DROP_MAX_US;
    }
}

bool okno_gcc_probe_hint(struct okno_gcc_probe *p, uint32_t target_bps, int64_t now_us)
{
    if (p->off || p->wanted || p->initial == 0 || target_bps >= p->max_bps ||
        (p->last_request_us >= 0 && now_us - p->last_request_us < HINT_AFTER_US))
        return false;
    request(p, (uint64_t)target_bps * 2, now_us);
    return true;
}

void okno_gcc_probe_on_outage(struct okno_gcc_probe *p, uint32_t prior_bps)
{
    if (prior_bps > p->recovery_bps)
        p->recovery_bps = prior_bps;
}
