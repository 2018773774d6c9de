/* okno-bench call's report. The stream metrics arrive as the JSON text media/metrics_json.c writes;
 * they are parsed back here so that one writer owns each figure's definition and the direction
 * object only lifts the keys to its top level. */
#include "call/report.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "okno/err.h"

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A number member, NAN when absent or null. */
static double get_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_t *metrics_object(struct okno_stream_metrics *m, int64_t now_us)
{
    if (!m)
        return json_null();
    GString *s = g_string_new(NULL);
    okno_metrics_json(m, now_us, s);
    json_error_t e;
    json_t *o = json_loadb(s->str, s->len, 0, &e);
    g_string_free(s, TRUE);
    if (!o)
        return json_null();
    json_t *tl = json_object_get(o, "timeline");
    if (tl) {
        json_object_set(o, "stream_timeline", tl);
        json_object_del(o, "timeline");
    }
    return o;
}

json_t *okno_report_direction(struct okno_stream_metrics *video, struct okno_stream_metrics *audio,
                              int64_t now_us)
{
    json_t *v = metrics_object(video, now_us);
    json_t *a = metrics_object(audio, now_us);
    json_t *d = json_object();
    if (!d) {
        json_decref(v);
        json_decref(a);
        return NULL;
    }
    static const char *const video_keys[] = {
        "fps",           "frames_decoded", "freezes", "freeze_ms_total",
        "freeze_ms_max", "latency_ms",     "psnr_db", "layers"};
    for (size_t i = 0; i < G_N_ELEMENTS(video_keys); i++) {
        json_t *x = json_object_get(v, video_keys[i]);
        json_object_set_new(d, video_keys[i], x ? json_incref(x) : json_null());
    }
    if (!json_is_object(json_object_get(d, "latency_ms")))
        json_object_set_new(d, "latency_ms", json_pack("{s:n,s:n,s:n}", "p50", "p95", "p99"));
    json_object_set_new(d, "audio_concealment", num(get_num(a, "audio_concealment")));
    double vb = get_num(v, "bitrate_kbps"), ab = get_num(a, "bitrate_kbps");
    double total =
        isfinite(vb) || isfinite(ab) ? (isfinite(vb) ? vb : 0) + (isfinite(ab) ? ab : 0) : NAN;
    json_object_set_new(d, "bitrate_kbps", num(total));
    json_object_set_new(d, "utilization", json_null());
    json_object_set_new(d, "video", v);
    json_object_set_new(d, "audio", a);
    json_object_set_new(d, "timeline", json_array());
    json_object_set_new(d, "freeze_intervals", json_array());
    return d;
}

void okno_report_add_second(json_t *dir, const struct okno_report_second *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "t", json_real(s->t_s));
    json_object_set_new(o, "capacity_kbps", num(s->capacity_kbps));
    json_object_set_new(o, "sent_kbps", num(s->sent_kbps));
    json_object_set_new(o, "recv_kbps", num(s->recv_kbps));
    json_object_set_new(o, "estimate_kbps", num(s->estimate_kbps));
    json_object_set_new(o, "target_kbps", num(s->target_kbps));
    json_object_set_new(o, "rtt_ms", num(s->rtt_ms));
    json_object_set_new(o, "loss_pct", num(s->loss_pct));
    json_object_set_new(o, "fps", json_integer(s->fps));
    json_object_set_new(o, "freezes", json_integer(s->freezes));
    json_object_set_new(o, "latency_ms", num(s->latency_ms));
    json_object_set_new(o, "video_kbps", num(s->video_kbps));
    json_object_set_new(o, "width", s->height ? json_integer(s->width) : json_null());
    json_object_set_new(o, "height", s->height ? json_integer(s->height) : json_null());
    json_object_set_new(o, "spatial",
                        s->height && s->spatial >= 0 ? json_integer(s->spatial) : json_null());
    json_array_append_new(json_object_get(dir, "timeline"), o);
}

void okno_report_add_freeze(json_t *dir, double start_s, double end_s)
{
    json_array_append_new(json_object_get(dir, "freeze_intervals"),
                          json_pack("[f,f]", start_s, end_s));
}

double okno_report_set_rates(json_t *dir)
{
    const json_t *tl = json_object_get(dir, "timeline");
    double recv = 0, cap = 0, frames = 0, t_last = 0;
    size_t i, n_recv = 0;
    bool limited = json_array_size(tl) > 0;
    const json_t *s;
    json_array_foreach(tl, i, s)
    {
        double c = get_num(s, "capacity_kbps"), r = get_num(s, "recv_kbps");
        double t = get_num(s, "t"), f = get_num(s, "fps");
        if (isfinite(r)) {
            recv += r;
            n_recv++;
            if (isfinite(c))
                cap += c;
        }
        limited = limited && isfinite(c);
        frames += isfinite(f) ? f : 0;
        t_last = isfinite(t) && t > t_last ? t : t_last;
    }
    if (t_last > 0)
        json_object_set_new(dir, "fps", num(frames / t_last));
    if (n_recv)
        json_object_set_new(dir, "bitrate_kbps", num(recv / (double)n_recv));
    /* the received resolution, second by second: how long each size was shown */
    json_t *layers = json_object_get(dir, "layers");
    if (json_is_object(layers)) {
        json_t *by = json_object();
        json_array_foreach(tl, i, s)
        {
            double h = get_num(s, "height");
            if (!isfinite(h))
                continue;
            char key[16];
            g_snprintf(key, sizeof(key), "%.0f", h);
            json_t *c = json_object_get(by, key);
            json_object_set_new(by, key, json_integer(c ? json_integer_value(c) + 1 : 1));
        }
        json_object_set_new(layers, "seconds_by_height", by);
    }
    double u = limited && cap > 0 ? recv / cap : NAN;
    json_object_set_new(dir, "utilization", num(u));
    json_t *v = json_object_get(dir, "video");
    if (json_is_object(v))
        json_object_set_new(v, "utilization", num(u));
    return u;
}

json_t *okno_report_sender_json(const struct okno_sender_stats *s)
{
    return json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:i,s:i,"
        "s:o,s:f,s:i,s:i,s:i,s:I,s:I,s:I,s:I,s:I}",
        "rtp_packets", (json_int_t)s->rtp_packets, "rtp_bytes", (json_int_t)s->rtp_bytes,
        "rtx_packets", (json_int_t)s->rtx_packets, "padding_packets",
        (json_int_t)s->padding_packets, "frames_encoded", (json_int_t)s->frames_encoded,
        "frames_dropped", (json_int_t)s->frames_dropped, "keyframes", (json_int_t)s->keyframes,
        "nacks_received", (json_int_t)s->nacks_received, "plis_received",
        (json_int_t)s->plis_received, "firs_received", (json_int_t)s->firs_received,
        "rembs_received", (json_int_t)s->rembs_received, "twcc_feedbacks",
        (json_int_t)s->twcc_feedbacks, "rtcp_errors", (json_int_t)s->rtcp_errors, "target_kbps",
        (int)s->target_kbps, "encoder_kbps", (int)s->encoder_kbps, "sent_kbps", (int)s->sent_kbps,
        "estimate_kbps", (int)s->estimate_kbps, "remb_kbps", (int)s->remb_kbps, "rtt_ms",
        num(s->rtt_us > 0 ? (double)s->rtt_us / 1000.0 : NAN), "loss_fraction", s->loss_fraction,
        "active_encodings", (int)s->active_encodings, "width", (int)s->width, "height",
        (int)s->height, "resolution_switches", (json_int_t)s->resolution_switches,
        "frames_skipped_queue", (json_int_t)s->frames_skipped_queue, "packets_flushed",
        (json_int_t)s->packets_flushed, "frames_skipped_rate", (json_int_t)s->frames_skipped_rate,
        "frames_late", (json_int_t)s->frames_late);
}

json_t *okno_report_receiver_json(const struct okno_receiver_stats *s)
{
    return json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o}", "packets",
        (json_int_t)s->packets, "bytes", (json_int_t)s->bytes, "rtx_packets",
        (json_int_t)s->rtx_packets, "duplicates", (json_int_t)s->duplicates, "lost",
        (json_int_t)s->lost, "recovered", (json_int_t)s->recovered, "late", (json_int_t)s->late,
        "nacks_sent", (json_int_t)s->nacks_sent, "nack_items", (json_int_t)s->nack_items,
        "plis_sent", (json_int_t)s->plis_sent, "frames_assembled", (json_int_t)s->frames_assembled,
        "frames_decoded", (json_int_t)s->frames_decoded, "decode_errors",
        (json_int_t)s->decode_errors, "undecodable_frames", (json_int_t)s->undecodable_frames,
        "garbage", (json_int_t)s->garbage, "jitter_ms", (double)s->jitter_us / 1000.0, "rtt_ms",
        num(s->rtt_us > 0 ? (double)s->rtt_us / 1000.0 : NAN));
}

void okno_report_audio_delay(json_t *audio, const struct okno_receiver_stats *s)
{
    if (!json_is_object(audio))
        return;
    json_object_set_new(audio, "playout_delay_ms", num(s->audio_delay_ms));
    json_object_set_new(audio, "playout_delay_last_ms", num(s->audio_delay_last_ms));
    json_object_set_new(audio, "playout_target_ms", num(s->audio_target_ms));
    json_object_set_new(audio, "jitter_buffer_delay_ms",
                        num(s->audio_jb_delay_ms >= 0 ? s->audio_jb_delay_ms : NAN));
    json_object_set_new(audio, "inserted_slots", json_integer((json_int_t)s->audio_inserted_slots));
    json_object_set_new(audio, "removed_slots", json_integer((json_int_t)s->audio_removed_slots));
    json_object_set_new(audio, "red_recovered", json_integer((json_int_t)s->audio_red_recovered));
}

static json_t *link_dir_json(const struct okno_link_stats *l)
{
    json_t *drops = json_object();
    for (int v = 1; v < OKNO_LINK_N_VERDICTS; v++)
        json_object_set_new(drops, okno_link_verdict_name((enum okno_link_verdict)v),
                            json_integer((json_int_t)l->dropped[v]));
    return json_pack(
        "{s:I,s:I,s:I,s:I,s:o,s:o,s:f}", "packets_in", (json_int_t)l->packets_in, "bytes_in",
        (json_int_t)l->bytes_in, "packets_out", (json_int_t)l->packets_out, "bytes_out",
        (json_int_t)l->bytes_out, "dropped", drops, "queue_delay_ms_mean",
        num(l->qdelay_count ? (double)l->qdelay_sum_us / (double)l->qdelay_count / 1e3 : NAN),
        "queue_delay_ms_max", (double)l->qdelay_max_us / 1e3);
}

static double late_ms(const struct okno_relay_stats *s, double p)
{
    int64_t us = okno_qdelay_percentile(&s->wake_late, p, s->wake_late_max_us);
    return us < 0 ? NAN : (double)us / 1e3;
}

json_t *okno_report_link_json(const struct okno_relay_stats *s, bool realtime)
{
    json_t *late =
        json_pack("{s:o,s:o,s:f,s:I}", "p50", num(late_ms(s, 50)), "p99", num(late_ms(s, 99)),
                  "max", (double)s->wake_late_max_us / 1e3, "wakes", (json_int_t)s->wake_late.n);
    return json_pack("{s:o,s:o,s:I,s:I,s:I,s:I,s:{s:o,s:b}}", "up", link_dir_json(&s->up), "down",
                     link_dir_json(&s->down), "clients", (json_int_t)s->clients, "oversize",
                     (json_int_t)s->oversize, "refused", (json_int_t)s->refused, "send_errors",
                     (json_int_t)s->send_errors, "emulator", "wake_late_ms", late, "realtime",
                     realtime);
}

/* ---- the human summary -------------------------------------------------------------------------
 */

static void fmt(char *buf, size_t n, const char *f, double v)
{
    if (isfinite(v))
        g_snprintf(buf, n, f, v);
    else
        g_strlcpy(buf, "-", n);
}

static double sub_num(const json_t *o, const char *obj, const char *key)
{
    return get_num(json_object_get(o, obj), key);
}

/* evidence.h's figures, when the report has them. */
static void print_evidence(FILE *f, const json_t *d)
{
    const json_t *q = json_object_get(d, "queue_delay_ms");
    if (!json_is_object(q))
        return;
    char a[32], b[32], c[32], r[32], l[32];
    fmt(a, sizeof(a), "%.0f", get_num(q, "p50"));
    fmt(b, sizeof(b), "%.0f", get_num(q, "p95"));
    fmt(c, sizeof(c), "%.0f", get_num(q, "max"));
    fmt(r, sizeof(r), "%.0f ms", get_num(d, "recovery_ms_max"));
    fmt(l, sizeof(l), "%.0f ms", get_num(d, "layer_recovery_ms_max"));
    fprintf(f,
            "  evidence   queue delay p50 %s p95 %s max %s ms; longest freeze after 5 s %.0f ms; "
            "recovery max %s (rate) / %s (layer) of %zu capacity changes, %.0f / %.0f not "
            "recovered\n",
            a, b, c, get_num(d, "freeze_ms_max_after_5s"), r, l,
            json_array_size(json_object_get(d, "recovery")), get_num(d, "recovery_unrecovered"),
            get_num(d, "layer_recovery_unrecovered"));
}

static void print_direction(FILE *f, const char *title, const json_t *d)
{
    char a[32], b[32], c[32];
    fprintf(f, "%s\n", title);
    if (!json_is_object(d)) {
        fprintf(f, "  nothing received\n");
        return;
    }
    fmt(a, sizeof(a), "%.1f", get_num(d, "fps"));
    fprintf(f, "  video      %s fps, %.0f frames decoded, PSNR ", a, get_num(d, "frames_decoded"));
    fmt(a, sizeof(a), "%.1f dB", get_num(d, "psnr_db"));
    fprintf(f, "%s\n", a);
    fmt(a, sizeof(a), "%.0f", get_num(d, "freeze_ms_total"));
    fmt(b, sizeof(b), "%.0f", get_num(d, "freeze_ms_max"));
    fprintf(f, "  freezes    %.0f (total %s ms, longest %s ms)", get_num(d, "freezes"), a, b);
    double ago = get_num(d, "last_frame_ago_ms");
    if (!isfinite(ago))
        fprintf(f, "; no frame");
    else if (ago > 500)
        fprintf(f, "; stalled at the end: last frame %.0f ms ago", ago);
    fprintf(f, "\n");
    fmt(a, sizeof(a), "%.1f", sub_num(d, "latency_ms", "p50"));
    fmt(b, sizeof(b), "%.1f", sub_num(d, "latency_ms", "p95"));
    fmt(c, sizeof(c), "%.1f", sub_num(d, "latency_ms", "p99"));
    fprintf(f, "  latency    p50 %s  p95 %s  p99 %s ms (capture to decode)\n", a, b, c);
    fmt(a, sizeof(a), "%.1f %%", get_num(d, "audio_concealment") * 100);
    fprintf(f, "  audio      concealed %s", a);
    const json_t *au = json_object_get(d, "audio");
    if (isfinite(get_num(au, "playout_delay_ms"))) {
        fmt(a, sizeof(a), "%.0f", get_num(au, "jitter_buffer_delay_ms"));
        fprintf(f,
                ", playout delay %.0f ms (last %.0f, target %.0f), jitter buffer %s ms, "
                "stretched +%.0f/-%.0f slots",
                get_num(au, "playout_delay_ms"), get_num(au, "playout_delay_last_ms"),
                get_num(au, "playout_target_ms"), a, get_num(au, "inserted_slots"),
                get_num(au, "removed_slots"));
    }
    fprintf(f, "\n");
    fmt(a, sizeof(a), "%.0f", get_num(d, "bitrate_kbps"));
    fmt(b, sizeof(b), "%.0f %%", get_num(d, "utilization") * 100);
    fprintf(f, "  bitrate    %s kbit/s received, utilization %s\n", a, b);
    const json_t *layers = json_object_get(d, "layers");
    char *tids = json_dumps(json_object_get(layers, "tids"), JSON_COMPACT | JSON_ENCODE_ANY);
    char *heights = json_dumps(json_object_get(layers, "heights"), JSON_COMPACT | JSON_ENCODE_ANY);
    char *secs = json_dumps(json_object_get(layers, "seconds_by_height"), JSON_COMPACT);
    fprintf(f, "  layers     temporal %s, heights %s, seconds by height %s\n", tids ? tids : "-",
            heights ? heights : "-", secs ? secs : "-");
    free(tids);
    free(heights);
    free(secs);
    print_evidence(f, d);
    const json_t *rv = json_object_get(json_object_get(d, "receiver"), "video");
    const json_t *s = json_object_get(d, "sender");
    fprintf(f,
            "  recovery   NACK items %.0f, PLI %.0f, lost %.0f, recovered %.0f; sender RTX %.0f\n",
            get_num(rv, "nack_items"), get_num(rv, "plis_sent"), get_num(rv, "lost"),
            get_num(rv, "recovered"), get_num(s, "rtx_packets"));
    fmt(a, sizeof(a), "%.0f", get_num(s, "target_kbps"));
    fmt(b, sizeof(b), "%.0f", get_num(s, "estimate_kbps"));
    fmt(c, sizeof(c), "%.0f", get_num(s, "rtt_ms"));
    fprintf(f, "  sender     target %s kbit/s, estimate %s kbit/s, RTT %s ms, keyframes %.0f\n", a,
            b, c, get_num(s, "keyframes"));
    if (!json_is_number(json_object_get(s, "width")))
        return;
    fprintf(f,
            "  encoder    %.0fx%.0f at the end, %.0f resolution switches, %.0f of %.0f frames "
            "dropped\n",
            get_num(s, "width"), get_num(s, "height"), get_num(s, "resolution_switches"),
            get_num(s, "frames_dropped"),
            get_num(s, "frames_dropped") + get_num(s, "frames_encoded"));
}

void okno_report_print(FILE *f, const json_t *report)
{
    const char *profile = json_string_value(json_object_get(report, "profile"));
    const char *target = json_string_value(json_object_get(report, "target"));
    char setup[48] = "";
    double setup_s = get_num(report, "setup_s");
    if (isfinite(setup_s))
        g_snprintf(setup, sizeof(setup), " after %.1f s of set-up", setup_s);
    fprintf(f, "okno-bench call: profile %s, %.0f s%s, target %s\n", profile ? profile : "?",
            get_num(report, "duration_s"), setup, target ? target : "?");
    print_direction(f, "kiosk -> specialist (over the kiosk's uplink)",
                    json_object_get(report, "kiosk_to_specialist"));
    print_direction(f, "specialist -> kiosk (over the kiosk's downlink)",
                    json_object_get(report, "specialist_to_kiosk"));
    const json_t *link = json_object_get(report, "link");
    for (int i = 0; i < 2 && json_is_object(link); i++) {
        const json_t *l = json_object_get(link, i ? "down" : "up");
        char *drops = json_dumps(json_object_get(l, "dropped"), JSON_COMPACT);
        char q[32];
        fmt(q, sizeof(q), "%.1f", get_num(l, "queue_delay_ms_mean"));
        fprintf(f, "link %-4s   %.0f packets in, %.0f out, queue delay mean %s ms, drops %s\n",
                i ? "down" : "up", get_num(l, "packets_in"), get_num(l, "packets_out"), q,
                drops ? drops : "{}");
        free(drops);
    }
    const json_t *emu = json_object_get(link, "emulator");
    const json_t *late = json_object_get(emu, "wake_late_ms");
    if (json_is_object(late) && get_num(late, "wakes") == 0) {
        fprintf(f, "link timing no departure waited for the emulator's timer (nothing delayed)\n");
    } else if (json_is_object(late)) {
        char a[32], b[32];
        fmt(a, sizeof(a), "%.1f", get_num(late, "p50"));
        fmt(b, sizeof(b), "%.1f", get_num(late, "p99"));
        fprintf(f, "link timing departures late p50 %s p99 %s max %.1f ms (%s priority)\n", a, b,
                get_num(late, "max"),
                json_is_true(json_object_get(emu, "realtime")) ? "real-time" : "normal");
    }
    fflush(f);
}

int okno_report_write(const json_t *report, const char *path, char *err, size_t errlen)
{
    if (json_dump_file(report, path, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) != 0) {
        g_snprintf(err, errlen, "cannot write %s: %s", path, g_strerror(errno));
        return OKNO_E_IO;
    }
    return 0;
}
