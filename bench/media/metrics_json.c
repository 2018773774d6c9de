/* The JSON form of one stream's metrics, as okno-bench's report takes it. Written by hand into a
 * GString: the shape is fixed and flat enough that a JSON library would add a dependency and no
 * safety (no strings from outside are written). Non-finite numbers become null. It does not write
 * the report around the streams. */
#include <math.h>

#include "media/metrics.h"

static void num(GString *out, const char *key, double v, bool comma)
{
    if (isfinite(v))
        g_string_append_printf(out, "\"%s\":%.3f", key, v);
    else
        g_string_append_printf(out, "\"%s\":null", key);
    if (comma)
        g_string_append_c(out, ',');
}

static void second_json(const struct okno_metrics_second *s, size_t t, GString *out)
{
    g_string_append_printf(out, "{\"t\":%zu,\"fps\":%u,\"freezes\":%u,", t, s->frames, s->freezes);
    num(out, "bitrate_kbps", (double)s->bytes * 8 / 1000.0, true);
    num(out, "latency_ms", s->latency_n ? s->latency_sum_ms / s->latency_n : NAN, true);
    num(out, "psnr_db", s->psnr_n ? s->psnr_sum / s->psnr_n : NAN, true);
    num(out, "audio_concealment",
        s->audio_slots ? (double)s->audio_concealed / s->audio_slots : NAN, true);
    g_string_append_printf(out, "\"width\":%u,\"height\":%u,\"tid\":%d}", s->width, s->height,
                           s->max_tid);
}

void okno_metrics_json(struct okno_stream_metrics *m, int64_t now_us, GString *out)
{
    double secs = (double)(now_us - m->start_us) / 1e6;
    bool any = secs > 0;
    g_string_append_printf(out, "{\"kind\":\"%s\",", m->video ? "video" : "audio");
    num(out, "fps", any && m->video ? (double)m->frames / secs : NAN, true);
    g_string_append_printf(out, "\"frames_decoded\":%" G_GUINT64_FORMAT ",", m->frames);
    g_string_append_printf(out, "\"freezes\":%" G_GUINT64_FORMAT ",", m->freeze.count);
    num(out, "freeze_ms_total", (double)m->freeze.total_us / 1000.0, true);
    num(out, "freeze_ms_max", (double)m->freeze.max_us / 1000.0, true);
    g_string_append(out, "\"latency_ms\":{");
    num(out, "p50", okno_reservoir_percentile(&m->latency_ms, 50), true);
    num(out, "p95", okno_reservoir_percentile(&m->latency_ms, 95), true);
    num(out, "p99", okno_reservoir_percentile(&m->latency_ms, 99), false);
    g_string_append(out, "},");
    num(out, "psnr_db", m->psnr_n ? m->psnr_sum / (double)m->psnr_n : NAN, true);
    num(out, "audio_concealment",
        m->audio_slots ? (double)m->audio_concealed / (double)m->audio_slots : NAN, true);
    num(out, "bitrate_kbps", any ? (double)m->bytes * 8 / 1000.0 / secs : NAN, true);
    num(out, "utilization", m->utilization >= 0 ? m->utilization : NAN, true);
    g_string_append(out, "\"layers\":{\"tids\":[");
    bool first = true;
    for (int t = 0; t < 8; t++)
        if (m->tid_mask & (1u << t)) {
            g_string_append_printf(out, "%s%d", first ? "" : ",", t);
            first = false;
        }
    g_string_append(out, "],\"heights\":[");
    for (unsigned i = 0; i < m->n_heights; i++)
        g_string_append_printf(out, "%s%u", i ? "," : "", m->heights[i]);
    g_string_append(out, "]},\"timeline\":[");
    for (size_t i = 0; i < m->timeline_n; i++) {
        if (i)
            g_string_append_c(out, ',');
        second_json(&m->timeline[i], i, out);
    }
    g_string_append(out, "]}");
}
