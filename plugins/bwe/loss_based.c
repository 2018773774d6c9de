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

void okno_gcc_loss_init(struct okno_gcc_loss *l, uint32_t min_bps, uint32_t start_bps,
                        uint32_t max_bps)
{
    l->min_bps = min_bps;
    l->max_bps = max_bps;
    l->bps = start_bps;
    l->tracking = true;
    l->lost = l->lost_congestive = l->total = 0;
    l->ratio = 0;
    l->cong_share = 0;
    l->last_update_us = -1;
    l->last_decrease_us = -1;
}

void okno_gcc_loss_add(struct okno_gcc_loss *l, uint32_t total, uint32_t lost,
                       uint32_t lost_congestive)
{
    l->total += total;
    l->lost += lost;
    l->lost_congestive += lost_congestive;
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

/* The rate rules. p and congestive describe the loss now (the last window); random loss trims
 * by the smoothed ratio, which is steadier. */
static void move(struct okno_gcc_loss *l, double p, bool congestive, double decrease_above,
                 double goal, double target, int64_t rtt_us, int64_t now_us)
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
            l->bps = base * (1 - 0.5 * p);
            l->last_decrease_us = now_us;
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
        } else {
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
                          int64_t rtt_us, int64_t now_us)
{
    if (l->total >= MIN_PACKETS) {
        double frac = (double)l->lost / l->total;
        l->window_ratio = frac;
        l->window_congestive = l->lost > 0 && 2 * l->lost_congestive > l->lost;
        double w = l->total / (l->total + RATIO_PACKETS);
        l->ratio += w * (frac - l->ratio);
        if (l->lost > 0) {
            double share = (double)l->lost_congestive / l->lost;
            double ws = l->lost / (l->lost + SHARE_LOSSES);
            l->cong_share += ws * (share - l->cong_share);
        }
        l->total = l->lost = l->lost_congestive = 0;
    }
    move(l, l->window_ratio, l->window_congestive, LOW_LOSS, delay_bps, target_bps, rtt_us, now_us);
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
    /* Without a delay-based estimate (no REMB either) the rate grows by itself under low loss;
     * with REMB it follows the receiver's estimate. As libwebrtc's v1: decrease above 10 %. */
    bool no_goal = delay_bps >= l->max_bps;
    if (no_goal)
        l->tracking = false;
    move(l, fraction, fraction > LOW_LOSS, HIGH_LOSS, delay_bps, target_bps, rtt_us, now_us);
    if (no_goal)
        l->tracking = false;
}
