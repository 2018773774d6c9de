/* `okno-bench load`: many clients against one server, its capacity, added latency and memory.
 * Parses the command line, finds the server's process, encodes the media loop, starts the
 * publishers, then holds one load (or, with --ramp, steps the subscribers up until a step breaks
 * the criteria) and reports each step. See --help for the exit codes. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "load/load.h"
#include "load/loopback.h"
#include "okno/err.h"

enum { EXIT_ERROR = 1, EXIT_UNREACHABLE = 2, EXIT_REFUSED = 3, EXIT_TIMEOUT = 4 };

struct opts {
    char *server, *target, *json, *address, *room_prefix, *pub_role, *sub_role, *token;
    int rooms, publishers, subscribers, duration, warmup, decoders, threads, timeout_ms, probes;
    int server_pid, max_subscribers, step_pct, max_steps, video_kbps, janus_room, retries;
    int verify_every, batch_us, bisect, remb_kbps;
    double pacing;
    gboolean ramp, quiet;
    double max_loss, max_p99;
};

static int exit_code_of(int err)
{
    return err == OKNO_E_IO        ? EXIT_UNREACHABLE
           : err == OKNO_E_DENIED  ? EXIT_REFUSED
           : err == OKNO_E_TIMEOUT ? EXIT_TIMEOUT
                                   : EXIT_ERROR;
}

static int parse(struct opts *o, int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_STRING, &o->target, "okno (default) or janus", "okno|janus"},
        {"server", 's', 0, G_OPTION_ARG_STRING, &o->server,
         "the server's WebSocket (default ws://127.0.0.1:8080/ws; Janus ws://127.0.0.2:8188/)",
         "URL"},
        {"rooms", 0, 0, G_OPTION_ARG_INT, &o->rooms, "rooms (default 1)", "R"},
        {"publishers", 0, 0, G_OPTION_ARG_INT, &o->publishers,
         "publishers per room, each VP8 + Opus (default 1)", "P"},
        {"subscribers", 0, 0, G_OPTION_ARG_INT, &o->subscribers,
         "receive-only subscribers per room (default 1; --ramp: the first step)", "S"},
        {"duration", 'd', 0, G_OPTION_ARG_INT, &o->duration,
         "seconds measured per step (default 10)", "D"},
        {"warmup", 0, 0, G_OPTION_ARG_INT, &o->warmup,
         "seconds after every client is up before measuring (default 2)", "W"},
        {"decoders", 0, 0, G_OPTION_ARG_INT, &o->decoders,
         "subscribers per room that decode the video (fps, freezes; default 0)", "N"},
        {"latency-subscribers", 0, 0, G_OPTION_ARG_INT, &o->probes,
         "subscribers per room that measure latency, on a client thread of their own so their "
         "packets do not queue behind the others' (default 2; 0: all, no extra thread)",
         "N"},
        {"json", 0, 0, G_OPTION_ARG_FILENAME, &o->json, "write every step as JSON", "FILE"},
        {"ramp", 0, 0, G_OPTION_ARG_NONE, &o->ramp,
         "step the subscribers up until loss, latency or the generator breaks", NULL},
        {"max-subscribers", 0, 0, G_OPTION_ARG_INT, &o->max_subscribers,
         "--ramp: subscribers per room at most (default 500)", "N"},
        {"step-pct", 0, 0, G_OPTION_ARG_INT, &o->step_pct,
         "--ramp: subscribers added per step, % (at least one; default 25)", "PCT"},
        {"max-steps", 0, 0, G_OPTION_ARG_INT, &o->max_steps, "--ramp: steps at most (default 30)",
         "N"},
        {"retries", 0, 0, G_OPTION_ARG_INT, &o->retries,
         "--ramp: times a failing step is measured again before the ramp stops (default 1)", "N"},
        {"bisect", 0, 0, G_OPTION_ARG_INT, &o->bisect,
         "--ramp: after the first failing step, measure up to N loads between it and the last "
         "passing one (default 3)",
         "N"},
        {"verify-every", 0, 0, G_OPTION_ARG_INT, &o->verify_every,
         "of the subscribers that neither measure latency nor decode, one in N authenticates and "
         "decrypts every packet, the others read the clear RTP header only (default 8; 1: all)",
         "N"},
        {"batch-us", 0, 0, G_OPTION_ARG_INT, &o->batch_us,
         "the subscribers' client workers other than the latency probes' wake at most every US "
         "microseconds, timers included (default 20000; 0: on every datagram)",
         "US"},
        {"pacing", 0, 0, G_OPTION_ARG_DOUBLE, &o->pacing,
         "publishers pace video as libwebrtc does, at F x the media's rate in 5 ms steps (default "
         "2.5; 0: every frame leaves as one burst, as no browser sends it)",
         "F"},
        {"remb-kbps", 0, 0, G_OPTION_ARG_INT, &o->remb_kbps,
         "every subscriber sends a REMB of this many kbit/s once a second, as a browser's "
         "receiver does (default 10000; 0: none, the server's estimate keeps its start value)",
         "K"},
        {"max-loss", 0, 0, G_OPTION_ARG_DOUBLE, &o->max_loss, "--ramp: loss limit, % (0.5)", "PCT"},
        {"max-p99", 0, 0, G_OPTION_ARG_DOUBLE, &o->max_p99,
         "--ramp: p99 added latency limit, ms (20)", "MS"},
        {"server-pid", 0, 0, G_OPTION_ARG_INT, &o->server_pid,
         "the server's process (default: the one listening on the URL's port)", "PID"},
        {"threads", 0, 0, G_OPTION_ARG_INT, &o->threads,
         "the subscribers' client worker threads (default 2; the publishers and the latency "
         "subscribers have one each besides)",
         "N"},
        {"video-kbps", 0, 0, G_OPTION_ARG_INT, &o->video_kbps, "VP8 bitrate (default 1500)", "K"},
        {"address", 0, 0, G_OPTION_ARG_STRING, &o->address,
         "local host candidate address (default: okno's own when its URL names a 127.x address, "
         "else every address; Janus: 127.0.0.3)",
         "IP"},
        {"room-prefix", 0, 0, G_OPTION_ARG_STRING, &o->room_prefix,
         "okno room names are PREFIX-0, PREFIX-1, ... (default load)", "PREFIX"},
        {"janus-room", 0, 0, G_OPTION_ARG_INT, &o->janus_room,
         "Janus: room r is this number + r (default 1234)", "N"},
        {"pub-role", 0, 0, G_OPTION_ARG_STRING, &o->pub_role, "publishers' role (kiosk)", "ROLE"},
        {"sub-role", 0, 0, G_OPTION_ARG_STRING, &o->sub_role, "subscribers' role (observer)",
         "ROLE"},
        {"token", 0, 0, G_OPTION_ARG_STRING, &o->token, "join token", "TOKEN"},
        {"timeout", 't', 0, G_OPTION_ARG_INT, &o->timeout_ms,
         "connect/request timeout, ms (default 10000)", "MS"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "only the steps", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *oc = g_option_context_new("- many clients against one server");
    g_option_context_set_description(
        oc,
        "Each subscriber receives every publisher of its room: streams = rooms x publishers x "
        "subscribers.\nLatency is matched per packet from the publisher's send to the "
        "subscriber's receive; 'added' subtracts\nthe median of the same generator path "
        "without a server (a UDP datagram between the worker loops).\n"
        "A --ramp step passes when loss < --max-loss, received >= 99 % of sent x subscribers, "
        "p99 added < --max-p99\nand no worker thread of the generator is >= 90 % busy.\n"
        "Exit codes: 0 done (also when a ramp step fails), 1 bad arguments or another error, 2 "
        "the server cannot be\nreached, 3 a join was refused, 4 a timeout (no reply, no media).");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *error = NULL;
    bool ok = g_option_context_parse(oc, &argc, &argv, &error);
    g_option_context_free(oc);
    if (!ok) {
        fprintf(stderr, "okno-bench load: %s\n", error->message);
        g_error_free(error);
        return -1;
    }
    bool janus = o->target && !strcmp(o->target, "janus");
    if (o->target && !janus && strcmp(o->target, "okno") != 0) {
        fprintf(stderr, "okno-bench load: --target is okno or janus, not '%s'\n", o->target);
        return -1;
    }
    if (argc > 1) {
        fprintf(stderr, "okno-bench load: unexpected argument '%s'\n", argv[1]);
        return -1;
    }
    if (!o->server)
        o->server = g_strdup(janus ? "ws://127.0.0.2:8188/" : "ws://127.0.0.1:8080/ws");
    char host[64];
    if (!o->address && !janus && okno_load_loopback_host(o->server, host, sizeof(host)))
        o->address = g_strdup(host);
    if (!o->max_subscribers)
        o->max_subscribers = o->ramp ? 500 : o->subscribers;
    if (o->rooms < 1 || o->rooms > OKNO_LOAD_MAX_ROOMS || o->publishers < 1 || o->publishers > 64 ||
        o->subscribers < 1 || o->duration < 1 || o->warmup < 0 || o->decoders < 0 ||
        o->probes < 0 || o->threads < 1 || o->threads > 16 || o->max_subscribers < 1 ||
        o->step_pct < 1 || o->max_steps < 1 || o->retries < 0 || o->bisect < 0 ||
        o->remb_kbps < 0 || o->verify_every < 0 ||
        !(o->pacing == 0 || (o->pacing >= 1 && o->pacing <= 100)) || o->batch_us < 0 ||
        o->batch_us > 20000 || o->video_kbps < 100 || o->video_kbps > 20000 || o->janus_room < 1 ||
        o->max_loss <= 0 || o->max_p99 <= 0 || o->timeout_ms < 100) {
        fprintf(stderr, "okno-bench load: a count or time is out of range (see --help)\n");
        return -1;
    }
    return 0;
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
    struct opts *o;
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
    struct opts *o = r->o;
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

static unsigned next_subs(const struct opts *o, unsigned s)
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
    const struct opts *o = r->o;
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
static void end_ramp(const struct opts *o, unsigned subs, json_t *steps, char **message)
{
    printf("%5d %4d %5u  FAIL: %s\n", o->rooms, o->publishers, subs, *message);
    json_array_append_new(steps,
                          json_pack("{s:I, s:I, s:I, s:b, s:s}", "rooms", (json_int_t)o->rooms,
                                    "publishers", (json_int_t)o->publishers, "subscribers",
                                    (json_int_t)subs, "pass", 0, "reason", *message));
    g_clear_pointer(message, g_free);
}

static int write_json(const struct opts *o, json_t *steps, int best, int first_fail,
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

static int run(struct opts *o)
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
    struct opts o = {.rooms = 1,
                     .publishers = 1,
                     .subscribers = 1,
                     .duration = 10,
                     .warmup = 2,
                     .threads = 2,
                     .probes = 2,
                     .timeout_ms = 10000,
                     .step_pct = 25,
                     .max_steps = 30,
                     .retries = 1,
                     .bisect = 3,
                     .verify_every = 8,
                     .batch_us = 20000,
                     .remb_kbps = 10000,
                     .pacing = 2.5,
                     .video_kbps = 1500,
                     .janus_room = 1234,
                     .max_loss = 0.5,
                     .max_p99 = 20};
    int code = parse(&o, argc, argv);
    if (code == 0) {
        if (!o.room_prefix)
            o.room_prefix = g_strdup("load");
        if (!o.pub_role)
            o.pub_role = g_strdup("kiosk");
        if (!o.sub_role)
            o.sub_role = g_strdup("observer");
        code = run(&o);
    } else {
        code = EXIT_ERROR;
    }
    g_free(o.server);
    g_free(o.target);
    g_free(o.json);
    g_free(o.address);
    g_free(o.room_prefix);
    g_free(o.pub_role);
    g_free(o.sub_role);
    g_free(o.token);
    return code;
}
