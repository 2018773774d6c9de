/* okno-bench load's figures, verdict, human line and JSON for one step. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "load/load.h"

static double added(double lat, double base)
{
    if (isnan(lat))
        return NAN;
    /* The generator's own path (its loops' scheduling, loopback) is what a packet meets with no
     * server at all: its median is subtracted. */
    double d = lat - (isnan(base) ? 0 : base);
    return d > 0 ? d : 0;
}

void okno_load_step_judge(struct okno_load_step *s, const struct okno_load_criteria *c)
{
    const struct okno_load_window *w = &s->win;
    double secs = w->seconds > 0 ? w->seconds : 1;
    s->streams = s->rooms * s->publishers * s->subscribers;
    s->fwd_pps = (double)w->rx_pkts / secs;
    s->fwd_mbps = (double)w->rx_bytes * 8 / secs / 1e6;
    s->loss_pct = w->expected ? 100.0 * (double)w->lost / (double)w->expected : NAN;
    double want = (double)w->sent_pkts * s->subscribers;
    s->delivered_pct = want > 0 ? 100.0 * (double)w->rx_pkts / want : NAN;
    s->mib_per_stream =
        s->server_known && s->streams ? (s->rss_mb - s->idle_rss_mb) / 1.048576 / s->streams : NAN;
    s->added_p50 = added(w->lat_p50, w->base_p50);
    s->added_p95 = added(w->lat_p95, w->base_p50);
    s->added_p99 = added(w->lat_p99, w->base_p50);
    s->dec_fps = w->decoding_tracks ? (double)w->frames_decoded / w->decoding_tracks / secs : NAN;
    s->gen_cpu_pct = 100.0 * w->process_cpu_s / secs;
    s->cpu_us_per_packet = w->rx_pkts ? w->process_cpu_s * 1e6 / (double)w->rx_pkts : NAN;
    s->saturated = w->worker_cpu_max_pct >= c->max_worker_cpu;
    s->reason[0] = 0;
    if (isnan(s->loss_pct) || w->rx_pkts == 0)
        snprintf(s->reason, sizeof(s->reason), "nothing received");
    else if (!(s->loss_pct < c->max_loss_pct))
        snprintf(s->reason, sizeof(s->reason), "loss %.2f %% >= %.2f %%", s->loss_pct,
                 c->max_loss_pct);
    else if (!(s->delivered_pct >= c->min_delivered_pct))
        snprintf(s->reason, sizeof(s->reason), "delivered %.2f %% < %.2f %%", s->delivered_pct,
                 c->min_delivered_pct);
    else if (isnan(s->added_p99) || !(s->added_p99 < c->max_added_p99_ms))
        snprintf(s->reason, sizeof(s->reason), "p99 added latency %.2f ms >= %.2f ms", s->added_p99,
                 c->max_added_p99_ms);
    else if (s->saturated)
        snprintf(s->reason, sizeof(s->reason),
                 "load generator saturated (a worker thread at %.0f %% of a core): the limit "
                 "measured is the generator's",
                 w->worker_cpu_max_pct);
    if (s->reason[0] && w->client_socket_drops) {
        size_t n = strlen(s->reason);
        snprintf(s->reason + n, sizeof(s->reason) - n, " [generator socket drops: %llu]",
                 (unsigned long long)w->client_socket_drops);
    }
    s->pass = s->reason[0] == 0;
    s->host_limited = !s->pass && s->host_busy_pct > c->max_host_busy;
    if (s->host_limited) {
        size_t n = strlen(s->reason);
        snprintf(s->reason + n, sizeof(s->reason) - n, " [host-limited: %.0f %% busy]",
                 s->host_busy_pct);
    }
}

void okno_load_print_header(FILE *f)
{
    fprintf(f, "%5s %4s %5s %7s %8s %7s %7s %7s %7s %8s %7s %15s %15s %11s %9s %6s %s\n", "rooms",
            "pubs", "subs", "streams", "fwd pps", "Mbit/s", "srv CPU", "RSS MB", "MiB/str",
            "loss %", "deliv%", "lat p50/p99 ms", "added p50/p99", "dec fps/frz", "gen/host%",
            "us/pkt", "verdict");
}

void okno_load_print_step(FILE *f, const struct okno_load_step *s)
{
    const struct okno_load_window *w = &s->win;
    char dec[32] = "-";
    if (w->decoding_tracks)
        snprintf(dec, sizeof(dec), "%.1f/%llu", s->dec_fps, (unsigned long long)w->freezes);
    char cpu[16] = "?", rss[16] = "?", per[16] = "?";
    if (s->server_known) {
        snprintf(cpu, sizeof(cpu), "%.1f%%", s->server_cpu_pct);
        snprintf(rss, sizeof(rss), "%.1f", s->rss_mb);
        snprintf(per, sizeof(per), "%.3f", s->mib_per_stream);
    }
    char lat[32], add[32], cpus[24];
    snprintf(cpus, sizeof(cpus), "%.0f/%.0f", s->gen_cpu_pct, s->host_busy_pct);
    snprintf(lat, sizeof(lat), "%.2f/%.2f", w->lat_p50, w->lat_p99);
    snprintf(add, sizeof(add), "%.2f/%.2f", s->added_p50, s->added_p99);
    fprintf(f,
            "%5u %4u %5u %7u %8.0f %7.1f %7s %7s %7s %8.3f %7.2f %15s %15s %11s %9s %6.2f %s%s%s\n",
            s->rooms, s->publishers, s->subscribers, s->streams, s->fwd_pps, s->fwd_mbps, cpu, rss,
            per, s->loss_pct, s->delivered_pct, lat, add, dec, cpus, s->cpu_us_per_packet,
            s->pass ? "pass" : "FAIL: ", s->reason, s->attempt ? " (measured again)" : "");
    fflush(f);
}

static json_t *num(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *pcts(double p50, double p95, double p99)
{
    return json_pack("{s:o, s:o, s:o}", "p50", num(p50), "p95", num(p95), "p99", num(p99));
}

json_t *okno_load_step_json(const struct okno_load_step *s)
{
    const struct okno_load_window *w = &s->win;
    json_t *server = json_null();
    if (s->server_known)
        server = json_pack(
            "{s:o, s:o, s:o, s:o, s:o, s:I, s:o}", "cpu_pct", num(s->server_cpu_pct),
            "cpu_pct_per_stream", num(s->streams ? s->server_cpu_pct / s->streams : NAN), "rss_mb",
            num(s->rss_mb), "hwm_mb", num(s->hwm_mb), "idle_rss_mb", num(s->idle_rss_mb), "threads",
            (json_int_t)s->server_threads, "mib_per_stream", num(s->mib_per_stream));
    json_t *dec =
        json_pack("{s:I, s:o, s:I, s:I, s:I}", "tracks", (json_int_t)w->decoding_tracks, "fps",
                  num(s->dec_fps), "frames", (json_int_t)w->frames_decoded, "freezes",
                  (json_int_t)w->freezes, "errors", (json_int_t)w->decode_errors);
    json_t *gen = json_pack(
        "{s:I, s:I, s:I, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:I, s:b}", "client_rx_drops",
        (json_int_t)w->client_rx_drops, "client_send_drops", (json_int_t)w->client_send_drops,
        "socket_drops", (json_int_t)w->client_socket_drops, "worker_cpu_max_pct",
        num(w->worker_cpu_max_pct), "worker_cpu_sum_pct", num(w->worker_cpu_sum_pct), "saturated",
        s->saturated, "send_lag_max_ms", num((double)w->send_lag_max_us / 1000.0), "host_busy_pct",
        num(s->host_busy_pct), "host_idle_pct", num(100.0 - s->host_busy_pct), "cpu_pct",
        num(s->gen_cpu_pct), "cpu_us_per_packet", num(s->cpu_us_per_packet), "rx_unverified",
        (json_int_t)w->rx_unverified, "host_limited", s->host_limited);
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:I, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:I, "
        "s:I, s:I, s:o, s:o, s:o, s:o, s:b, s:s, s:I}",
        "rooms", (json_int_t)s->rooms, "publishers", (json_int_t)s->publishers, "subscribers",
        (json_int_t)s->subscribers, "streams", (json_int_t)s->streams, "duration_s",
        num(w->seconds), "fwd_pps", num(s->fwd_pps), "fwd_mbps", num(s->fwd_mbps),
        "packets_received", (json_int_t)w->rx_pkts, "packets_sent", (json_int_t)w->sent_pkts,
        "loss_pct", num(s->loss_pct), "packets_expected", (json_int_t)w->expected, "packets_lost",
        (json_int_t)w->lost, "delivered_pct", num(s->delivered_pct), "latency_ms",
        pcts(w->lat_p50, w->lat_p95, w->lat_p99), "baseline_latency_ms",
        pcts(w->base_p50, w->base_p95, w->base_p99), "added_latency_ms",
        pcts(s->added_p50, s->added_p95, s->added_p99), "latency_matched", (json_int_t)w->matched,
        "latency_unmatched", (json_int_t)w->unmatched, "latency_kernel_stamped",
        (json_int_t)w->stamped, "probe_read_wait_ms", pcts(w->read_p50, w->read_p95, w->read_p99),
        "server", server, "decoders", dec, "generator", gen, "pass", s->pass, "reason", s->reason,
        "attempt", (json_int_t)s->attempt);
}
