/* `okno-bench load`: many clients against one server, its capacity, added latency and memory.
 * Takes the command line (load_opts.h), finds the server's process, encodes the media loop, starts
 * the publishers, then holds one load (or, with --ramp, steps the subscribers up until a step
 * breaks the criteria) and reports each step. See --help for the exit codes. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "load/load.h"
#include "load/load_opts.h"
#include "okno/err.h"

enum { EXIT_ERROR = 1, EXIT_UNREACHABLE = 2, EXIT_REFUSED = 3, EXIT_TIMEOUT = 4 };

static int exit_code_of(int err)
{
    return err == OKNO_E_IO        ? EXIT_UNREACHABLE
           : err == OKNO_E_DENIED  ? EXIT_REFUSED
           : err == OKNO_E_TIMEOUT ? EXIT_TIMEOUT
                                   : EXIT_ERROR;
}

static int server_port(const char *url)
{
    GUri *uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    if (!uri)
        return -1;
    int port = g_uri_get_port(uri);
    if (port < 0)
        port = !g_strcmp0(g_uri_get_scheme(uri), "wss") ? 443 : 80;
    g_uri_unref(uri);
    return port;
}

/* The machine's busy share of all cores since the last call (-1 the first time). */
static double host_busy(unsigned long long *last_busy, unsigned long long *last_total)
{
    char *text = NULL;
    unsigned long long v[8] = {0};
    if (!g_file_get_contents("/proc/stat", &text, NULL, NULL))
        return NAN;
    int n = sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    g_free(text);
    if (n < 4)
        return NAN;
    unsigned long long total = 0;
    for (int i = 0; i < 8; i++)
        total += v[i];
    unsigned long long busy = total - v[3] - v[4];
    double pct = total > *last_total && *last_total
                     ? 100.0 * (double)(busy - *last_busy) / (double)(total - *last_total)
                     : NAN;
    *last_busy = busy;
    *last_total = total;
    return pct;
}

struct run {
    struct okno_load_opts *o;
    struct okno_load_clients *clients;
    int pid;
    struct okno_proc_sample idle;
    bool server_known;
    unsigned subs; /* per room, up now */
};

/* Sleeps up to ms, returning early with the failure's code when a client failed. */
static int hold(struct run *r, int64_t ms, char **message)
{
    int64_t until = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < until) {
        int code = okno_load_clients_failed(r->clients, message);
        if (code)
            return code;
        g_usleep(50000);
    }
    return 0;
}

/* Brings every room to subs subscribers and measures a window. Returns 0 or a client's error
 * (with *message). */
static int step(struct run *r, unsigned subs, struct okno_load_step *out, char **message)
{
    struct okno_load_opts *o = r->o;
    memset(out, 0, sizeof(*out));
    for (int room = 0; room < o->rooms; room++) {
        int err =
            subs >= r->subs
                ? okno_load_clients_add_subscribers(r->clients, (unsigned)room, subs - r->subs)
                : okno_load_clients_remove_subscribers(r->clients, (unsigned)room, r->subs - subs);
        if (err < 0) {
            *message = g_strdup_printf("cannot start a subscriber: %s", okno_strerror(err));
            return err;
        }
    }
    r->subs = subs;
    int err = okno_load_clients_wait_ready(
        r->clients, (unsigned)o->timeout_ms + 30u * subs * (unsigned)o->rooms, message);
    if (err == 0)
        err = hold(r, (int64_t)o->warmup * 1000, message);
    if (err)
        return err;
    unsigned long long hb = 0, ht = 0;
    host_busy(&hb, &ht);
    struct okno_proc_sample a, b;
    bool known = r->server_known && okno_proc_sample(r->pid, g_get_monotonic_time(), &a) == 0;
    okno_load_clients_window_start(r->clients);
    err = hold(r, (int64_t)o->duration * 1000, message);
    okno_load_clients_window_end(r->clients, &out->win);
    if (err)
        return err;
    known = known && okno_proc_sample(r->pid, g_get_monotonic_time(), &b) == 0;
    out->host_busy_pct = host_busy(&hb, &ht);
    out->rooms = (unsigned)o->rooms;
    out->publishers = (unsigned)o->publishers;
    out->subscribers = subs;
    out->server_known = known;
    if (known) {
        out->server_cpu_pct = okno_proc_cpu_pct(&a, &b);
        out->rss_mb = (double)b.rss_kb / 1000.0;
        out->hwm_mb = (double)b.hwm_kb / 1000.0;
        out->idle_rss_mb = (double)r->idle.rss_kb / 1000.0;
        out->server_threads = b.threads;
    }
    return 0;
}

static unsigned next_subs(const struct okno_load_opts *o, unsigned s)
{
    unsigned n = (unsigned)ceil(s * (1.0 + o->step_pct / 100.0));
    if (n <= s)
        n = s + 1;
    return n > (unsigned)o->max_subscribers ? (unsigned)o->max_subscribers : n;
}

static void raise_fd_limit(void)
{
    /* Every client holds a few sockets: hundreds of clients pass the usual soft limit of 1024. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Holds subs subscribers per room, judges and prints the step; a failing step of a ramp is
 * measured again (--retries) so one burst of someone else's work on the shared machine does not
 * decide the capacity. Returns 0 or a client's error (with *message). */
static int measure(struct run *r, unsigned subs, const struct okno_load_criteria *crit, bool header,
                   struct okno_load_step *s, char **message)
{
    const struct okno_load_opts *o = r->o;
    int err = step(r, subs, s, message);
    if (err)
        return err;
    okno_load_step_judge(s, crit);
    if (header)
        okno_load_print_header(stdout);
    okno_load_print_step(stdout, s);
    for (int a = 0; o->ramp && !s->pass && !s->saturated && a < o->retries; a++) {
        err = step(r, subs, s, message);
        if (err)
            return err;
        okno_load_step_judge(s, crit);
        s->attempt = a + 1;
        okno_load_print_step(stdout, s);
    }
    return 0;
}

/* A later step whose clients did not come up (or failed) ends the ramp there. */
static void end_ramp(const struct okno_load_opts *o, unsigned subs, json_t *steps, char **message)
{
    printf("%5d %4d %5u  FAIL: %s\n", o->rooms, o->publishers, subs, *message);
    json_array_append_new(steps,
                          json_pack("{s:I, s:I, s:I, s:b, s:s}", "rooms", (json_int_t)o->rooms,
                                    "publishers", (json_int_t)o->publishers, "subscribers",
                                    (json_int_t)subs, "pass", 0, "reason", *message));
    g_clear_pointer(message, g_free);
}

static int write_json(const struct okno_load_opts *o, json_t *steps, int best, int first_fail,
                      const char *error, const struct okno_media_loop *m, const struct run *r)
{
    json_t *root = json_pack(
        "{s:s, s:s, s:b, s:o, s:O, s:o, s:o, s:{s:I, s:I, s:f, s:o, s:o}, s:o, s:o}", "target",
        o->target ? o->target : "okno", "server", o->server, "ramp", o->ramp, "server_pid",
        r->server_known ? json_integer(r->pid) : json_null(), "steps", steps, "result",
        best >= 0 ? json_deep_copy(json_array_get(steps, (size_t)best)) : json_null(),
        "first_failure",
        first_fail >= 0 ? json_deep_copy(json_array_get(steps, (size_t)first_fail)) : json_null(),
        "media", "video_kbps", (json_int_t)o->video_kbps, "audio_kbps", (json_int_t)32, "pacing",
        o->pacing, "video_kbps_measured",
        m ? json_real((double)m->track[OKNO_MEDIA_VIDEO].bytes * 8 /
                      (m->track[OKNO_MEDIA_VIDEO].n_units / (double)m->fps) / 1000)
          : json_null(),
        "audio_kbps_measured",
        m ? json_real((double)m->track[OKNO_MEDIA_AUDIO].bytes * 8 /
                      (m->track[OKNO_MEDIA_AUDIO].n_units / 50.0) / 1000)
          : json_null(),
        "error", error ? json_string(error) : json_null(), "criteria",
        json_pack("{s:f, s:f, s:f, s:f}", "max_loss_pct", o->max_loss, "max_added_p99_ms",
                  o->max_p99, "min_delivered_pct", 99.0, "max_worker_cpu_pct", 90.0));
    if (!root)
        return -1;
    int rc = json_dump_file(root, o->json, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (rc < 0)
        fprintf(stderr, "okno-bench load: cannot write %s\n", o->json);
    return rc;
}

static int run(struct okno_load_opts *o)
{
    raise_fd_limit();
    struct run r = {.o = o};
    int port = server_port(o->server);
    if (port <= 0) {
        fprintf(stderr, "okno-bench load: bad server URL '%s'\n", o->server);
        return EXIT_ERROR;
    }
    r.pid = o->server_pid > 0 ? o->server_pid : okno_proc_find_listener((uint16_t)port);
    r.server_known = r.pid > 0 && okno_proc_sample(r.pid, g_get_monotonic_time(), &r.idle) == 0;
    if (!o->quiet)
        printf(r.server_known ? "server: pid %d, %.1f MB resident before the load\n"
                              : "server: no process found listening on port %d (--server-pid): "
                                "no CPU or memory figures\n",
               r.server_known ? r.pid : port, (double)r.idle.rss_kb / 1000.0);
    struct okno_media_loop *media = NULL;
    struct okno_cert *cert = NULL;
    struct okno_media_loop_config mcfg = {.video_kbps = (unsigned)o->video_kbps, .seed = 1};
    int err = okno_media_loop_create(&mcfg, &media);
    if (err < 0 || okno_cert_generate("okno-bench", &cert) < 0) {
        fprintf(stderr, "okno-bench load: cannot prepare the media or the certificate: %s\n",
                okno_strerror(err));
        okno_media_loop_destroy(media);
        return EXIT_ERROR;
    }
    if (!o->quiet)
        printf("media: %u VP8 frames (%u packets) and %u Opus packets, looped every %u s\n",
               media->track[OKNO_MEDIA_VIDEO].n_pics, media->track[OKNO_MEDIA_VIDEO].n_pkts,
               media->track[OKNO_MEDIA_AUDIO].n_pkts,
               media->track[OKNO_MEDIA_VIDEO].n_units / media->fps);
    if (!o->quiet)
        printf("clients: host candidates on %s; %d subscriber threads woken every %.1f ms, one "
               "for the publishers%s\n",
               o->address ? o->address : "every address", o->threads,
               o->probes > 0 ? o->batch_us / 1000.0 : 0.0,
               o->probes > 0 ? ", one for the latency subscribers" : "");
    bool janus = o->target && !strcmp(o->target, "janus");
    struct okno_load_clients_config ccfg = {.target = janus ? OKNO_BENCH_TARGET_JANUS
                                                            : OKNO_BENCH_TARGET_OKNO,
                                            .server = o->server,
                                            .room_prefix = o->room_prefix,
                                            .janus_room = (uint64_t)o->janus_room,
                                            .pub_role = o->pub_role,
                                            .sub_role = o->sub_role,
                                            .token = o->token,
                                            .address = o->address,
                                            .timeout_ms = (unsigned)o->timeout_ms,
                                            .threads = (unsigned)o->threads,
                                            .decoders = (unsigned)o->decoders,
                                            .latency_probes = (unsigned)o->probes,
                                            .verify_every = (unsigned)o->verify_every,
                                            .batch_us = (unsigned)o->batch_us,
                                            .remb_kbps = (unsigned)o->remb_kbps,
                                            .pace_factor = o->pacing,
                                            .media = media,
                                            .cert = cert};
    err = okno_load_clients_create(&ccfg, &r.clients);
    char *message = NULL;
    int code = 0;
    json_t *steps = json_array();
    int best = -1;
    if (err < 0) {
        message = g_strdup_printf("cannot start the client threads: %s", okno_strerror(err));
        code = EXIT_ERROR;
    }
    for (int room = 0; !code && room < o->rooms; room++) {
        err = okno_load_clients_add_publishers(r.clients, (unsigned)room, (unsigned)o->publishers);
        if (err < 0) {
            message = g_strdup_printf("cannot start a publisher: %s", okno_strerror(err));
            code = EXIT_ERROR;
        }
    }
    if (!code) {
        err = okno_load_clients_wait_ready(
            r.clients, (unsigned)o->timeout_ms + 50u * (unsigned)(o->rooms * o->publishers),
            &message);
        if (err)
            code = exit_code_of(err);
    }
    struct okno_load_criteria crit = {.max_loss_pct = o->max_loss,
                                      .max_added_p99_ms = o->max_p99,
                                      .min_delivered_pct = 99.0,
                                      .max_worker_cpu = 90.0,
                                      .max_host_busy = 95.0};
    unsigned subs = (unsigned)o->subscribers;
    int first_fail = -1;                   /* the smallest failing load's step */
    unsigned pass_subs = 0, fail_subs = 0; /* per room; 0: none yet */
    for (int n = 0; !code && n < (o->ramp ? o->max_steps : 1); n++) {
        struct okno_load_step s;
        err = measure(&r, subs, &crit, n == 0, &s, &message);
        if (err) {
            if (n == 0) {
                code = exit_code_of(err);
                break;
            }
            end_ramp(o, subs, steps, &message);
            break;
        }
        json_array_append_new(steps, okno_load_step_json(&s));
        if (s.pass || !o->ramp) {
            best = (int)json_array_size(steps) - 1;
            pass_subs = subs;
        } else {
            first_fail = (int)json_array_size(steps) - 1;
            fail_subs = subs;
        }
        if (!s.pass || subs >= (unsigned)o->max_subscribers)
            break;
        subs = next_subs(o, subs);
    }
    /* Bisection between the last passing load and the first failing one: the coarse steps only
     * bracket the limit. */
    for (int n = 0;
         !code && o->ramp && pass_subs && fail_subs && n < o->bisect && fail_subs - pass_subs > 1;
         n++) {
        subs = pass_subs + (fail_subs - pass_subs) / 2;
        struct okno_load_step s;
        err = measure(&r, subs, &crit, false, &s, &message);
        if (err) {
            end_ramp(o, subs, steps, &message);
            break;
        }
        json_array_append_new(steps, okno_load_step_json(&s));
        if (s.pass) {
            best = (int)json_array_size(steps) - 1;
            pass_subs = subs;
        } else {
            first_fail = (int)json_array_size(steps) - 1;
            fail_subs = subs;
        }
    }
    if (code) {
        fprintf(stderr, "okno-bench load: %s\n", message ? message : "failed");
    } else if (o->ramp && !o->quiet) {
        if (best >= 0) {
            json_t *b = json_array_get(steps, (size_t)best);
            printf("largest passing load: %lld streams (%lld rooms x %lld publishers x %lld "
                   "subscribers)\n",
                   (long long)json_integer_value(json_object_get(b, "streams")),
                   (long long)json_integer_value(json_object_get(b, "rooms")),
                   (long long)json_integer_value(json_object_get(b, "publishers")),
                   (long long)json_integer_value(json_object_get(b, "subscribers")));
            json_t *srv = json_object_get(b, "server");
            if (json_is_object(srv))
                printf("  server there: %.1f %% of a core (%.3f %% per stream), %.1f MB resident "
                       "(%.3f MiB per stream above idle)\n",
                       json_number_value(json_object_get(srv, "cpu_pct")),
                       json_number_value(json_object_get(srv, "cpu_pct_per_stream")),
                       json_number_value(json_object_get(srv, "rss_mb")),
                       json_number_value(json_object_get(srv, "mib_per_stream")));
        } else {
            printf("largest passing load: none (the first step failed)\n");
        }
        if (first_fail >= 0) {
            json_t *f = json_array_get(steps, (size_t)first_fail);
            printf("first failing load: %lld streams: %s\n",
                   (long long)json_integer_value(json_object_get(f, "streams")),
                   json_string_value(json_object_get(f, "reason")));
        }
    }
    if (!o->quiet && !code)
        printf("latency: publisher send call to the subscriber socket's kernel receive stamp, "
               "matched per packet; added = that minus the median of the same path without a "
               "server (JSON: latency_kernel_stamped, probe_read_wait_ms = stamp to callback)\n");
    if (o->json && write_json(o, steps, best, first_fail, code ? message : NULL, media, &r) < 0 &&
        !code)
        code = EXIT_ERROR;
    json_decref(steps);
    g_free(message);
    okno_load_clients_destroy(r.clients);
    okno_cert_free(cert);
    okno_media_loop_destroy(media);
    return code;
}

int okno_bench_load_main(int argc, char **argv)
{
    struct okno_load_opts o;
    okno_load_opts_init(&o);
    int code = okno_load_opts_parse(&o, argc, argv) == 0 ? run(&o) : EXIT_ERROR;
    okno_load_opts_clear(&o);
    return code;
}
