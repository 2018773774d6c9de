/* okno-bench call's evidence figures. See evidence.h. */
#include "call/evidence.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static double get_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* What the link offers: NAN unlimited, 0 in an outage. */
static double capacity_kbps(const struct okno_link_params *p)
{
    return p->outage ? 0 : p->capacity_bps ? (double)p->capacity_bps / 1000.0 : NAN;
}

static bool same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

size_t okno_evidence_changes(const struct okno_schedule *s, int link_dir, int64_t t0_offset_us,
                             int64_t to_us, struct okno_capacity_change *out, size_t cap)
{
    size_t n = 0;
    struct okno_link_params p[2];
    okno_schedule_params_at(s, 0, &p[0], &p[1]);
    double prev = capacity_kbps(&p[link_dir]);
    for (int64_t t = okno_schedule_next_change(s, 0); t < to_us && n < cap;
         t = okno_schedule_next_change(s, t)) {
        okno_schedule_params_at(s, t, &p[0], &p[1]);
        double now = capacity_kbps(&p[link_dir]);
        /* an outage's start has nothing to recover to until it ends, which is the change */
        if (!same(now, prev) && now != 0 && t >= t0_offset_us)
            out[n++] = (struct okno_capacity_change){
                .t_s = (double)(t - t0_offset_us) / 1e6, .before_kbps = prev, .after_kbps = now};
        prev = now;
    }
    return n;
}

double okno_evidence_freeze_max_after(const json_t *dir, double after_s, double end_s)
{
    double worst = 0;
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(dir, "freeze_intervals"), i, f)
    {
        double a = json_number_value(json_array_get(f, 0));
        double b = json_number_value(json_array_get(f, 1));
        if (a >= after_s && (b - a) * 1000 > worst)
            worst = (b - a) * 1000;
    }
    double ago = get_num(dir, "last_frame_ago_ms");
    if (isfinite(ago) && ago >= OKNO_EVIDENCE_STALL_MS && end_s - ago / 1000 >= after_s &&
        ago > worst)
        worst = ago;
    return worst;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Recovery of one per-second figure of the timeline (key) after a change: the reference is its
 * median over the seconds within [t_s + 5, t_s + 10], the threshold share x the reference, and
 * the result the time to the first second from which the figure holds at or above it for
 * OKNO_EVIDENCE_HOLD_S seconds. Sets the members named reference_name, ms_name and
 * recovered_name on o (see okno_evidence_recovery for the nulls). */
static void recovery_of(json_t *o, const json_t *timeline, const struct okno_capacity_change *ch,
                        const char *key, double share, const char *reference_name,
                        const char *ms_name, const char *recovered_name)
{
    double tc = ch->t_s, ref_from = tc + OKNO_EVIDENCE_REF_FROM_S,
           ref_to = tc + OKNO_EVIDENCE_REF_TO_S;
    /* the seconds that matter: starting at or after the change (to the nearest second), ending
     * by the end of the reference window */
    double vals[64], ref[16];
    size_t n = 0, n_ref = 0;
    double first_start = NAN, last_end = -INFINITY;
    size_t i;
    const json_t *s;
    json_array_foreach(timeline, i, s)
    {
        double t = get_num(s, "t"), v = get_num(s, key);
        if (!isfinite(t) || t - 1 < tc - 0.5 || t > ref_to + OKNO_EVIDENCE_HOLD_S + 0.5 ||
            n == G_N_ELEMENTS(vals))
            continue;
        if (isnan(first_start))
            first_start = t - 1;
        last_end = t > last_end ? t : last_end;
        vals[n++] = isfinite(v) ? v : 0;
        if (t - 1 >= ref_from - 0.5 && t <= ref_to + 0.5 && n_ref < G_N_ELEMENTS(ref))
            ref[n_ref++] = isfinite(v) ? v : 0;
    }
    bool complete = n_ref >= 3 && last_end >= ref_to - 0.5;
    double median = NAN;
    if (complete) {
        qsort(ref, n_ref, sizeof ref[0], cmp_double);
        median = n_ref % 2 ? ref[n_ref / 2] : (ref[n_ref / 2 - 1] + ref[n_ref / 2]) / 2;
    }
    json_object_set_new(o, reference_name, num(median));
    if (!complete || !(median > 0)) {
        json_object_set_new(o, ms_name, json_null());
        json_object_set_new(o, recovered_name, json_null());
        return;
    }
    double threshold = share * median;
    for (size_t k = 0; k < n; k++) {
        size_t run = 0;
        while (k + run < n && run < OKNO_EVIDENCE_HOLD_S && vals[k + run] >= threshold)
            run++;
        if (run == OKNO_EVIDENCE_HOLD_S) {
            double ms = (first_start + (double)k - tc) * 1000;
            json_object_set_new(o, ms_name, json_real(ms > 0 ? ms : 0));
            json_object_set_new(o, recovered_name, json_true());
            return;
        }
    }
    json_object_set_new(o, ms_name, json_null());
    json_object_set_new(o, recovered_name, json_false());
}

json_t *okno_evidence_recovery(const json_t *timeline, const struct okno_capacity_change *ch)
{
    json_t *o = json_pack("{s:f,s:o,s:o}", "t_s", ch->t_s, "capacity_kbps_before",
                          num(ch->before_kbps), "capacity_kbps_after", num(ch->after_kbps));
    recovery_of(o, timeline, ch, "video_kbps", OKNO_EVIDENCE_RECOVERED, "reference_kbps",
                "recovery_ms", "recovered");
    /* a median height is one of the heights shown (or between two): at or above it is back */
    recovery_of(o, timeline, ch, "height", 1.0, "layer_reference_height", "layer_recovery_ms",
                "layer_recovered");
    return o;
}

static json_t *queue_delay(const struct okno_qdelay_hist *h, int64_t max_us)
{
    int64_t p50 = okno_qdelay_percentile(h, 50, max_us),
            p95 = okno_qdelay_percentile(h, 95, max_us),
            mx = okno_qdelay_percentile(h, 100, max_us);
    return json_pack("{s:o,s:o,s:o}", "p50", num(p50 >= 0 ? (double)p50 / 1e3 : NAN), "p95",
                     num(p95 >= 0 ? (double)p95 / 1e3 : NAN), "max",
                     num(mx >= 0 ? (double)mx / 1e3 : NAN));
}

void okno_evidence_set(json_t *dir, const struct okno_qdelay_hist *qdelay, int64_t max_us,
                       const struct okno_capacity_change *changes, size_t n_changes, double end_s)
{
    json_object_set_new(dir, "queue_delay_ms", queue_delay(qdelay, max_us));
    json_object_set_new(
        dir, "freeze_ms_max_after_5s",
        json_real(okno_evidence_freeze_max_after(dir, OKNO_EVIDENCE_FREEZE_AFTER_S, end_s)));
    json_t *list = json_array();
    double worst = NAN, worst_layer = NAN;
    int unrecovered = 0, unrecovered_layer = 0;
    const json_t *tl = json_object_get(dir, "timeline");
    for (size_t i = 0; i < n_changes; i++) {
        json_t *r = okno_evidence_recovery(tl, &changes[i]);
        double ms = get_num(r, "recovery_ms"), layer_ms = get_num(r, "layer_recovery_ms");
        if (isfinite(ms) && !(ms <= worst))
            worst = ms;
        if (isfinite(layer_ms) && !(layer_ms <= worst_layer))
            worst_layer = layer_ms;
        unrecovered += json_is_false(json_object_get(r, "recovered"));
        unrecovered_layer += json_is_false(json_object_get(r, "layer_recovered"));
        json_array_append_new(list, r);
    }
    json_object_set_new(dir, "recovery", list);
    json_object_set_new(dir, "recovery_ms_max", num(worst));
    json_object_set_new(dir, "recovery_unrecovered", json_integer(unrecovered));
    json_object_set_new(dir, "layer_recovery_ms_max", num(worst_layer));
    json_object_set_new(dir, "layer_recovery_unrecovered", json_integer(unrecovered_layer));
}
