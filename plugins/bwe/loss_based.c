#include "loss_based.h"

#include <math.h>

#define LOW_LOSS          0.02
#define HIGH_LOSS         0.10
#define GROWTH_PER_S      1.08
#define MAX_TRIM          0.20
#define TRIM_GAIN         1.5
#define MIN_PACKETS       20    /* an update needs this many packets */
#define RATIO_PACKETS     150.0 /* the smoothing's time constant, in packets */
#define SHARE_LOSSES      3.0   /* the congestive share's, in lost packets */
#define DECREASE_EXTRA_US 300000
#define DELIVERED_SHARE   0.85 /* a decrease goes no lower than this share of the acked rate */

void okno_gcc_loss_init(struct okno_gcc_loss *l, uint32_t min_bps, uint32_t start_bps,
                        uint32_t max_bps)
{
    l->min_bps = min_bps;
    l->max_bps = max_bps;
    l->bps = start_bps;
    l->tracking = true;
    l->all = (struct okno_gcc_loss_counts){0};
    l->fresh = (struct okno_gcc_loss_counts){0};
    l->ratio = 0;
    l->cong_share = 0;
    l->window_ratio = 0;
    l->window_congestive = false;
    l->window_valid = false;
    l->congested = false;
    l->last_update_us = -1;
    l->last_decrease_us = -1;
    l->fresh_from_us = INT64_MIN;
}

static void counts_add(struct okno_gcc_loss_counts *to, const struct okno_gcc_loss_counts *c)
{
    to->total += c->total;
    to->lost += c->lost;
    to->lost_congestive += c->lost_congestive;
}

void okno_gcc_loss_add(struct okno_gcc_loss *l, const struct okno_gcc_loss_counts *all,
                       const struct okno_gcc_loss_counts *fresh)
{
    counts_add(&l->all, all);
    counts_add(&l->fresh, fresh);
}

void okno_gcc_loss_mark_decrease(struct okno_gcc_loss *l, int64_t now_us)
{
    l->fresh_from_us = now_us;
    l->fresh = (struct okno_gcc_loss_counts){0};
    l->window_ratio = 0;
    l->window_congestive = false;
    l->window_valid = false;
}

bool okno_gcc_loss_congestive(const struct okno_gcc_loss *l)
{
    return l->ratio > 0.005 && l->cong_share > 0.5;
}

static double random_ratio(const struct okno_gcc_loss *l)
{
    return l->ratio * (1 - l->cong_share);
}

double okno_gcc_loss_increase_scale(const struct okno_gcc_loss *l)
{
    double p = random_ratio(l);
    if (p <= LOW_LOSS)
        return 1.0;
    double s = 1.0 - (p - LOW_LOSS) * 8.0;
    return s < 0.25 ? 0.25 : s;
}

static double clampd(const struct okno_gcc_loss *l, double r)
{
    if (r < l->min_bps)
        r = l->min_bps;
    if (r > l->max_bps)
        r = l->max_bps;
    return r;
}

void okno_gcc_loss_on_probe(struct okno_gcc_loss *l, double bps)
{
    if (!l->congested && bps > l->bps)
        l->bps = clampd(l, bps);
}

/* The rate rules. p and congestive describe the loss now (the last window); random loss trims
 * by the smoothed ratio, which is steadier. acked: what the link delivered lately, 0 unknown. */
static void move(struct okno_gcc_loss *l, double p, bool congestive, double decrease_above,
                 double goal, double target, double acked, int64_t rtt_us, int64_t now_us)
{
    double dt_s = l->last_update_us < 0 ? 0 : (double)(now_us - l->last_update_us) / 1e6;
    if (dt_s > 1)
        dt_s = 1;
    if (dt_s < 0)
        dt_s = 0;
    if (congestive && p > LOW_LOSS) {
        int64_t gap = DECREASE_EXTRA_US + (rtt_us > 0 ? rtt_us : 0);
        if (p > decrease_above &&
            (l->last_decrease_us < 0 || now_us - l->last_decrease_us >= gap)) {
            double base = l->bps < target ? l->bps : target;
            double r = base * (1 - 0.5 * p);
            if (r < DELIVERED_SHARE * acked)
                r = DELIVERED_SHARE * acked;
            if (r < base) {
                l->bps = r;
                l->last_decrease_us = now_us;
                okno_gcc_loss_mark_decrease(l, now_us);
            } else {
                l->bps = base;
            }
        } else if (l->bps > target) {
            l->bps = target; /* hold: no increase */
        }
        l->tracking = false;
    } else {
        double pr = random_ratio(l);
        if (pr > LOW_LOSS) {
            double trim = (pr - LOW_LOSS) * TRIM_GAIN;
            goal *= 1 - (trim > MAX_TRIM ? MAX_TRIM : trim);
        }
        if (l->tracking || l->bps > goal) {
            l->bps = goal;
            l->tracking = true;
        } else if (l->window_valid) {
            l->bps *= pow(GROWTH_PER_S, dt_s);
            if (l->bps >= goal) {
                l->bps = goal;
                l->tracking = true;
            }
        }
    }
    l->bps = clampd(l, l->bps);
    l->last_update_us = now_us;
}

void okno_gcc_loss_update(struct okno_gcc_loss *l, double delay_bps, double target_bps,
                          double acked_bps, int64_t rtt_us, int64_t now_us)
{
    if (l->fresh.total >= MIN_PACKETS) {
        l->window_ratio = (double)l->fresh.lost / l->fresh.total;
        l->window_congestive = l->fresh.lost > 0 && 2 * l->fresh.lost_congestive > l->fresh.lost;
        l->fresh = (struct okno_gcc_loss_counts){0};
        l->window_valid = true;
        l->congested = l->window_congestive && l->window_ratio > LOW_LOSS;
    }
    if (l->all.total >= MIN_PACKETS) {
        double frac = (double)l->all.lost / l->all.total;
        double w = l->all.total / (l->all.total + RATIO_PACKETS);
        l->ratio += w * (frac - l->ratio);
        if (l->all.lost > 0) {
            double share = (double)l->all.lost_congestive / l->all.lost;
            double ws = l->all.lost / (l->all.lost + SHARE_LOSSES);
            l->cong_share += ws * (share - l->cong_share);
        }
        l->all = (struct okno_gcc_loss_counts){0};
    }
    move(l, l->window_ratio, l->window_congestive, LOW_LOSS, delay_bps, target_bps, acked_bps,
         rtt_us, now_us);
}

void okno_gcc_loss_report(struct okno_gcc_loss *l, double fraction, uint32_t packets,
                          double delay_bps, double target_bps, int64_t rtt_us, int64_t now_us)
{
    if (packets == 0)
        return;
    if (fraction < 0)
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    /* A report covers about a second: its own figure is the current one. */
    l->ratio = fraction;
    l->cong_share = 1.0;
    l->window_ratio = fraction;
    l->window_congestive = true;
    l->window_valid = true;
    l->congested = fraction > LOW_LOSS;
    /* Without a delay-based estimate (no REMB either) the rate grows by itself under low loss;
     * with REMB it follows the receiver's estimate. As libwebrtc's v1: decrease above 10 %. */
    bool no_goal = delay_bps >= l->max_bps;
    if (no_goal)
        l->tracking = false;
    move(l, fraction, fraction > LOW_LOSS, HIGH_LOSS, delay_bps, target_bps, 0, rtt_us, now_us);
    if (no_goal)
        l->tracking = false;
}
