#include "trendline.h"

#include <math.h>
#include <string.h>

#define GROUP_US       5000    /* send-time span of one group */
#define BURST_US       5000    /* arrivals closer than this, sooner than sent, join the group */
#define MAX_GAP_US     3000000 /* a larger arrival gap restarts the grouping */
#define SMOOTHING      0.9
#define THRESHOLD_GAIN 4.0
#define MAX_DELTAS     60 /* the trend's weight grows with the samples seen, up to this */

void okno_gcc_trend_init(struct okno_gcc_trend *t)
{
    memset(t, 0, sizeof *t);
}

static bool in_burst(const struct okno_gcc_group *g, int64_t send_us, int64_t arrival_us)
{
    int64_t arrival_delta = arrival_us - g->last_arrival_us;
    int64_t send_delta = send_us - g->last_send_us;
    if (send_delta == 0)
        return true;
    return arrival_delta < BURST_US && arrival_delta - send_delta < 0;
}

/* Least-squares slope of y over x in the window; keeps the previous one when x has no spread. */
static double fit(const struct okno_gcc_trend *t)
{
    double sx = 0, sy = 0;
    for (int i = 0; i < t->n; i++) {
        sx += t->x[i];
        sy += t->y[i];
    }
    double mx = sx / t->n, my = sy / t->n;
    double num = 0, den = 0;
    for (int i = 0; i < t->n; i++) {
        num += (t->x[i] - mx) * (t->y[i] - my);
        den += (t->x[i] - mx) * (t->x[i] - mx);
    }
    return den > 0 ? num / den : t->slope;
}

static void add_delta(struct okno_gcc_trend *t, double delta_ms, int64_t arrival_us,
                      double send_delta_ms, struct okno_gcc_trend_sample *out)
{
    if (!t->have_first) {
        t->have_first = true;
        t->first_arrival_us = arrival_us;
    }
    if (t->num_deltas < 1000)
        t->num_deltas++;
    t->acc_delay_ms += delta_ms;
    t->smoothed_ms = SMOOTHING * t->smoothed_ms + (1 - SMOOTHING) * t->acc_delay_ms;
    t->x[t->head] = (double)(arrival_us - t->first_arrival_us) / 1000.0;
    t->y[t->head] = t->smoothed_ms;
    t->head = (t->head + 1) % OKNO_GCC_TREND_WINDOW;
    if (t->n < OKNO_GCC_TREND_WINDOW)
        t->n++;
    if (t->n == OKNO_GCC_TREND_WINDOW)
        t->slope = fit(t);
    uint32_t w = t->num_deltas < MAX_DELTAS ? t->num_deltas : MAX_DELTAS;
    out->trend = t->slope;
    out->modified_trend = (double)w * t->slope * THRESHOLD_GAIN;
    out->send_delta_ms = send_delta_ms;
    out->arrival_us = arrival_us;
    out->num_deltas = t->num_deltas;
}

bool okno_gcc_trend_on_packet(struct okno_gcc_trend *t, int64_t send_us, int64_t arrival_us,
                              struct okno_gcc_trend_sample *out)
{
    if (!t->have_cur) {
        t->have_cur = true;
        t->cur = (struct okno_gcc_group){send_us, send_us, arrival_us, arrival_us};
        return false;
    }
    struct okno_gcc_group *g = &t->cur;
    if (send_us < g->first_send_us)
        return false; /* sent before the group being built: reordered, no information */
    if (send_us - g->first_send_us <= GROUP_US || in_burst(g, send_us, arrival_us)) {
        if (send_us > g->last_send_us)
            g->last_send_us = send_us;
        if (arrival_us > g->last_arrival_us)
            g->last_arrival_us = arrival_us;
        return false;
    }
    /* The packet starts a new group: the current one is complete. */
    bool produced = false;
    if (t->have_prev) {
        int64_t send_delta = g->last_send_us - t->prev.last_send_us;
        int64_t arrival_delta = g->last_arrival_us - t->prev.last_arrival_us;
        if (arrival_delta > MAX_GAP_US || arrival_delta < -MAX_GAP_US) {
            /* A clock jump or a long silence: the delays before it say nothing about now. */
            t->have_prev = false;
            t->reordered = 0;
        } else if (arrival_delta < 0) {
            if (++t->reordered >= 3)
                t->have_prev = false;
        } else {
            t->reordered = 0;
            add_delta(t, (double)(arrival_delta - send_delta) / 1000.0, g->last_arrival_us,
                      (double)send_delta / 1000.0, out);
            produced = true;
        }
    }
    if (t->reordered == 0 || !t->have_prev) {
        t->prev = *g;
        t->have_prev = true;
    }
    t->cur = (struct okno_gcc_group){send_us, send_us, arrival_us, arrival_us};
    return produced;
}
