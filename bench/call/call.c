/* okno-bench call: options, the kiosk's relay, the two participants, the once-a-second sampling
 * and the end of the run. The kiosk's ICE goes through the relay by a candidate filter: each
 * loopback UDP candidate of the server becomes a relay mapping and the candidate is rewritten to
 * the relay's port; TCP and non-loopback candidates are dropped, and so are the kiosk's own
 * candidates: the server then learns the kiosk only as the relay's address (peer-reflexive, from
 * the kiosk's checks), so no pair can go around the emulated link. */
#include "call/call.h"

#include <arpa/inet.h>
#include <glib-unix.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call/kiosk_link.h"
#include "call/participant.h"
#include "call/plot.h"
#include "call/report.h"
#include "linkemu/profile.h"
#include "linkemu/relay.h"
#include "okno-bench.h"
#include "okno/err.h"

#define SETUP_SLACK_S 15 /* timeline room beyond the duration: set-up and the last poll */

struct options {
    char *server, *room, *profile, *json, *plot, *address, *target, *token;
    char *kiosk_role, *specialist_role;
    int duration_s, seed, temporal_layers, width, height, fps, max_kbps, start_kbps, timeout_ms;
    gint64 janus_room;
    gboolean simulcast, quiet;
};

/* One direction of the call: who sends, who receives, which link direction it crosses. */
struct direction {
    const char *key;
    struct okno_participant **from, **to;
    int link_dir; /* 0 up, 1 down */
    json_t *report;
    /* previous sample, for per-second deltas */
    uint64_t rx_bytes, frames, freezes, link_in, link_dropped;
};

struct call {
    struct options o;
    /* owned */
    GMainContext *ctx;
    GMainLoop *loop;
    struct okno_cert *cert;
    struct okno_profile profile;
    bool profile_loaded;
    struct okno_relay *relay;
    struct okno_participant *kiosk, *specialist;
    GSource *tick, *setup_guard, *sigint, *sigterm;
    struct okno_kiosk_link link; /* the kiosk's candidates through the relay */
    /* state */
    int64_t relay_start_us, t0_us;
    int publishing; /* participants whose sender runs */
    int exit_code;
    bool interrupted;
    struct direction dirs[2];
};

char *okno_call_profile_path(const char *name)
{
    if (g_file_test(name, G_FILE_TEST_IS_REGULAR) || strchr(name, '/'))
        return g_strdup(name);
    const char *src = g_getenv("OKNO_SRCDIR");
    return g_strdup_printf("%s/bench/profiles/%s.profile", src && *src ? src : OKNO_SRCDIR, name);
}

/* ---- the run -----------------------------------------------------------------------------------
 */

static void finish(struct call *c, int code)
{
    if (c->exit_code == OKNO_CALL_EXIT_OK)
        c->exit_code = code;
    g_main_loop_quit(c->loop);
}

static int exit_code_of(int err)
{
    return err == OKNO_E_IO        ? OKNO_CALL_EXIT_UNREACHABLE
           : err == OKNO_E_DENIED  ? OKNO_CALL_EXIT_REFUSED
           : err == OKNO_E_TIMEOUT ? OKNO_CALL_EXIT_TIMEOUT
                                   : OKNO_CALL_EXIT_ERROR;
}

static void on_failed(void *owner, struct okno_participant *p, int err, bool local,
                      const char *message)
{
    (void)p;
    struct call *c = owner;
    fprintf(stderr, "okno-bench call: %s\n", message);
    finish(c, local ? OKNO_CALL_EXIT_ERROR : exit_code_of(err));
}

static uint64_t rx_bytes(struct okno_participant *p)
{
    uint64_t n = 0;
    for (int v = 0; v < 2; v++) {
        struct okno_receiver *r = okno_participant_receiver(p, v == 1);
        if (r) {
            struct okno_receiver_stats s;
            okno_receiver_stats(r, &s);
            n += s.bytes;
        }
    }
    return n;
}

/* The mean latency of the receiver's last complete second. */
static double last_second_latency(struct okno_stream_metrics *m, int64_t now_us)
{
    int64_t idx = (now_us - m->start_us) / 1000000 - 1;
    if (idx < 0 || (size_t)idx >= m->timeline_n)
        return NAN;
    const struct okno_metrics_second *s = &m->timeline[idx];
    return s->latency_n ? s->latency_sum_ms / s->latency_n : NAN;
}

/* cur - *prev, then *prev = cur; a counter that went back (a receiver replaced by a new one for
 * a reused slot) counts from zero. */
static uint64_t delta(uint64_t cur, uint64_t *prev)
{
    uint64_t d = cur >= *prev ? cur - *prev : cur;
    *prev = cur;
    return d;
}

static void sample(struct call *c, struct direction *d, int64_t now_us,
                   struct okno_report_second *s)
{
    memset(s, 0, sizeof(*s));
    s->t_s = (double)(now_us - c->t0_us) / 1e6;
    struct okno_link_params lp[2];
    okno_schedule_params_at(&c->profile.schedule, now_us - c->relay_start_us, &lp[0], &lp[1]);
    const struct okno_link_params *l = &lp[d->link_dir];
    s->capacity_kbps = l->outage ? 0 : l->capacity_bps ? (double)l->capacity_bps / 1000.0 : NAN;
    s->sent_kbps = s->estimate_kbps = s->target_kbps = s->rtt_ms = NAN;
    struct okno_sender *snd = okno_participant_sender(*d->from);
    if (snd) {
        struct okno_sender_stats ss;
        okno_sender_stats(snd, now_us, &ss);
        s->sent_kbps = ss.sent_kbps;
        s->estimate_kbps = ss.estimate_kbps;
        s->target_kbps = ss.target_kbps;
    }
    /* RTT of the kiosk's link: its sender's (RR from the server), else its video receiver's. */
    struct okno_sender *ks = okno_participant_sender(c->kiosk);
    struct okno_receiver *kr = okno_participant_receiver(c->kiosk, true);
    if (ks) {
        struct okno_sender_stats ss;
        okno_sender_stats(ks, now_us, &ss);
        if (ss.rtt_us > 0)
            s->rtt_ms = (double)ss.rtt_us / 1000.0;
    }
    if (!isfinite(s->rtt_ms) && kr) {
        struct okno_receiver_stats rs;
        okno_receiver_stats(kr, &rs);
        if (rs.rtt_us > 0)
            s->rtt_ms = (double)rs.rtt_us / 1000.0;
    }
    s->recv_kbps = (double)delta(rx_bytes(*d->to), &d->rx_bytes) * 8 / 1000.0;
    struct okno_relay_stats rs;
    okno_relay_stats(c->relay, &rs);
    const struct okno_link_stats *ls = d->link_dir ? &rs.down : &rs.up;
    uint64_t dropped = 0;
    for (int v = 1; v < OKNO_LINK_N_VERDICTS; v++)
        dropped += ls->dropped[v];
    uint64_t in = ls->packets_in - d->link_in;
    s->loss_pct = in ? 100.0 * (double)(dropped - d->link_dropped) / (double)in : 0;
    d->link_in = ls->packets_in;
    d->link_dropped = dropped;
    s->latency_ms = NAN;
    struct okno_receiver *vr = okno_participant_receiver(*d->to, true);
    if (vr) {
        struct okno_stream_metrics *m = okno_receiver_metrics(vr);
        s->fps = (unsigned)delta(m->frames, &d->frames);
        s->freezes = (unsigned)delta(m->freeze.count, &d->freezes);
        s->latency_ms = last_second_latency(m, now_us);
    }
}

static gboolean on_tick(gpointer data)
{
    struct call *c = data;
    int64_t now = g_get_monotonic_time();
    okno_participant_poll(c->kiosk, now);
    okno_participant_poll(c->specialist, now);
    struct okno_report_second s[2];
    for (int i = 0; i < 2; i++) {
        sample(c, &c->dirs[i], now, &s[i]);
        okno_report_add_second(c->dirs[i].report, &s[i]);
    }
    if (!c->o.quiet) {
        printf("t=%2.0f", s[0].t_s);
        for (int i = 0; i < 2; i++)
            printf("  %s: sent %4.0f recv %4.0f est %4.0f kbit/s fps %2u%s", i ? "down" : "up",
                   s[i].sent_kbps, s[i].recv_kbps, s[i].estimate_kbps, s[i].fps,
                   s[i].freezes ? " FREEZE" : "");
        printf("\n");
        fflush(stdout);
    }
    if (now - c->t0_us >= (int64_t)c->o.duration_s * 1000000 - 50000)
        finish(c, OKNO_CALL_EXIT_OK);
    return G_SOURCE_CONTINUE;
}

static void on_publishing(void *owner, struct okno_participant *p)
{
    (void)p;
    struct call *c = owner;
    if (++c->publishing < 2)
        return;
    c->t0_us = g_get_monotonic_time();
    /* What arrived before both published (one side's media may flow for seconds while the
     * other's transport crosses a slow link) is not part of the first second. */
    for (int i = 0; i < 2; i++) {
        struct okno_report_second discard;
        sample(c, &c->dirs[i], c->t0_us, &discard);
    }
    if (c->setup_guard) {
        g_source_destroy(c->setup_guard);
        g_source_unref(c->setup_guard);
        c->setup_guard = NULL;
    }
    fprintf(stderr, "okno-bench call: both publish; running %d s\n", c->o.duration_s);
    c->tick = g_timeout_source_new(1000);
    g_source_set_callback(c->tick, on_tick, c, NULL);
    g_source_attach(c->tick, c->ctx);
}

static gboolean on_setup_guard(gpointer data)
{
    struct call *c = data;
    g_source_unref(c->setup_guard);
    c->setup_guard = NULL;
    fprintf(stderr, "okno-bench call: media did not start within %d ms\n", 3 * c->o.timeout_ms);
    finish(c, OKNO_CALL_EXIT_TIMEOUT);
    return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer data)
{
    struct call *c = data;
    if (!c->interrupted)
        fprintf(stderr, "okno-bench call: interrupted, reporting what was measured\n");
    c->interrupted = true;
    finish(c, OKNO_CALL_EXIT_OK);
    return G_SOURCE_CONTINUE;
}

static int start_participant(struct call *c, bool kiosk, struct okno_participant **out)
{
    static const struct okno_participant_listener listener = {.on_publishing = on_publishing,
                                                              .on_failed = on_failed};
    const struct options *o = &c->o;
    uint32_t seed = (uint32_t)o->seed * 2 + (kiosk ? 1 : 2);
    uint32_t remote_seed = (uint32_t)o->seed * 2 + (kiosk ? 2 : 1);
    bool janus = !g_strcmp0(o->target, "janus");
    /* Receivers wait for retransmissions about as long as a browser's jitter buffer would on this
     * link: one and a half of its round trips plus jitter (a retransmission crosses it once more),
     * at least receiver.h's 400 ms; audio plays out behind the link's jitter. */
    struct okno_link_params up, down;
    okno_schedule_params_at(&c->profile.schedule, 0, &up, &down);
    int64_t rtt = up.delay_us + down.delay_us, jitter = MAX(up.jitter_us, down.jitter_us);
    int64_t nack_wait = MAX(rtt * 3 / 2 + 2 * jitter + 100000, (int64_t)400000);
    struct okno_participant_config pc = {
        .label = kiosk ? "kiosk" : "specialist",
        .session = {.target = janus ? OKNO_BENCH_TARGET_JANUS : OKNO_BENCH_TARGET_OKNO,
                    .server = o->server,
                    .room = o->room,
                    .role = kiosk ? o->kiosk_role : o->specialist_role,
                    .name = kiosk ? "kiosk" : "specialist",
                    .janus_room = (uint64_t)o->janus_room,
                    .token = o->token,
                    .address = o->address,
                    .timeout_ms = (unsigned)o->timeout_ms,
                    .audio = true,
                    .video = true,
                    .simulcast = o->simulcast,
                    .candidate_filter = kiosk ? okno_kiosk_link_filter : NULL,
                    .filter_arg = &c->link},
        .width = (unsigned)o->width,
        .height = (unsigned)o->height,
        .fps = (unsigned)o->fps,
        .temporal_layers = (unsigned)o->temporal_layers,
        .start_kbps = (uint32_t)o->start_kbps,
        .max_kbps = (uint32_t)o->max_kbps,
        .seed = seed,
        .remote_width = o->width ? (unsigned)o->width : 640,
        .remote_height = o->height ? (unsigned)o->height : 360,
        .remote_seed = remote_seed,
        .nack_wait_us = nack_wait,
        .audio_delay_us = 60000 + 2 * jitter,
        .timeline_s = (size_t)o->duration_s + SETUP_SLACK_S + (size_t)o->timeout_ms / 1000 * 3,
    };
    return okno_participant_start(c->ctx, &pc, c->cert, &listener, c, out);
}

/* The direction's objects, from the receivers' metrics and the counters, as of now_us. */
static void complete_direction(struct call *c, struct direction *d, int64_t now_us)
{
    struct okno_receiver *vr = okno_participant_receiver(*d->to, true);
    struct okno_receiver *ar = okno_participant_receiver(*d->to, false);
    json_t *dir = okno_report_direction(vr ? okno_receiver_metrics(vr) : NULL,
                                        ar ? okno_receiver_metrics(ar) : NULL, now_us);
    /* the timeline sampled during the run moves over */
    json_object_set(dir, "timeline", json_object_get(d->report, "timeline"));
    size_t n;
    const struct okno_freeze_interval *fz = okno_participant_freezes(*d->to, &n);
    for (size_t i = 0; i < n; i++)
        okno_report_add_freeze(dir, (double)(fz[i].start_us - c->t0_us) / 1e6,
                               (double)(fz[i].end_us - c->t0_us) / 1e6);
    okno_report_set_rates(dir);
    /* A freeze counts when the next frame comes (webrtc-stats): a run ending in a stall would
     * hide it, so say how long the last frame is ago. */
    if (vr) {
        const struct okno_freeze *f = &okno_receiver_metrics(vr)->freeze;
        double ago = f->has_last ? (double)(now_us - f->last_us) / 1000.0 : NAN;
        json_object_set_new(dir, "last_frame_ago_ms", isfinite(ago) ? json_real(ago) : json_null());
    }
    struct okno_sender *snd = okno_participant_sender(*d->from);
    if (snd) {
        struct okno_sender_stats ss;
        okno_sender_stats(snd, now_us, &ss);
        json_object_set_new(dir, "sender", okno_report_sender_json(&ss));
    } else {
        json_object_set_new(dir, "sender", json_null());
    }
    json_t *rx = json_object();
    struct okno_receiver_stats rs;
    if (vr) {
        okno_receiver_stats(vr, &rs);
        json_object_set_new(rx, "video", okno_report_receiver_json(&rs));
    }
    if (ar) {
        okno_receiver_stats(ar, &rs);
        json_object_set_new(rx, "audio", okno_report_receiver_json(&rs));
        okno_report_audio_delay(json_object_get(dir, "audio"), &rs);
    }
    json_object_set_new(dir, "receiver", rx);
    json_decref(d->report);
    d->report = dir;
}

static int report(struct call *c)
{
    int64_t now = g_get_monotonic_time();
    okno_participant_poll(c->kiosk, now);
    okno_participant_poll(c->specialist, now);
    json_t *r = json_object();
    json_object_set_new(r, "profile", json_string(c->profile.name));
    json_object_set_new(r, "description", json_string(c->profile.description));
    json_object_set_new(r, "duration_s", json_real((double)(now - c->t0_us) / 1e6));
    json_object_set_new(r, "requested_duration_s", json_integer(c->o.duration_s));
    /* From the start (the link's schedule begins, both join) until both publish: the timeline's
     * t is counted from there, the profile's schedule from the start. */
    json_object_set_new(r, "setup_s", json_real((double)(c->t0_us - c->relay_start_us) / 1e6));
    json_object_set_new(r, "interrupted", json_boolean(c->interrupted));
    json_object_set_new(r, "seed", json_integer(c->o.seed));
    json_object_set_new(r, "target", json_string(c->o.target));
    json_object_set_new(r, "server", json_string(c->o.server));
    for (int i = 0; i < 2; i++) {
        complete_direction(c, &c->dirs[i], now);
        json_object_set(r, c->dirs[i].key, c->dirs[i].report);
    }
    struct okno_relay_stats rs;
    okno_relay_stats(c->relay, &rs);
    json_object_set_new(r, "link", okno_report_link_json(&rs));
    okno_report_print(stdout, r);
    int code = 0;
    for (int i = 0; i < 2; i++)
        if (!okno_participant_receiver(*c->dirs[i].to, true)) {
            fprintf(stderr, "okno-bench call: %s: no video track was received\n", c->dirs[i].key);
            code = OKNO_CALL_EXIT_ERROR;
        }
    char err[256];
    if (c->o.json && okno_report_write(r, c->o.json, err, sizeof(err)) < 0) {
        fprintf(stderr, "okno-bench call: %s\n", err);
        code = OKNO_CALL_EXIT_ERROR;
    }
    if (c->o.plot && okno_plot_write(r, c->o.plot, err, sizeof(err)) < 0) {
        fprintf(stderr, "okno-bench call: %s\n", err);
        code = OKNO_CALL_EXIT_ERROR;
    }
    if (code == 0 && (c->o.json || c->o.plot))
        printf("written:%s%s%s%s\n", c->o.json ? " report " : "", c->o.json ? c->o.json : "",
               c->o.plot ? " plot " : "", c->o.plot ? c->o.plot : "");
    json_decref(r);
    return code;
}

/* ---- options and the main ----------------------------------------------------------------------
 */

static const char help_text[] =
    "A kiosk and a specialist in one room through the server; the profile emulates the kiosk's\n"
    "link in both directions (the specialist connects directly). Prints a summary per direction\n"
    "and writes a JSON report (--json) and an SVG plot (--plot).\n\n"
    "A profile NAME is bench/profiles/NAME.profile under $OKNO_SRCDIR (else the source tree).\n\n"
    "Exit codes: 0 completed; 1 other failure (protocol, transport, no media in a direction,\n"
    "a file not written); 2 bad usage or bad profile; 3 join refused; 4 timeout; 5 server\n"
    "unreachable.";

static int parse_args(struct options *o, int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"server", 's', 0, G_OPTION_ARG_STRING, &o->server,
         "SFU WebSocket URL [ws://127.0.0.1:8080/ws]", "URL"},
        {"room", 'r', 0, G_OPTION_ARG_STRING, &o->room, "room [bench-call]", "ROOM"},
        {"profile", 'p', 0, G_OPTION_ARG_STRING, &o->profile, "link profile (required)",
         "NAME|FILE"},
        {"duration", 'd', 0, G_OPTION_ARG_INT, &o->duration_s,
         "seconds of media [the profile's duration_s, else 30]", "S"},
        {"seed", 0, 0, G_OPTION_ARG_INT, &o->seed, "link and source seed [1]", "N"},
        {"json", 'j', 0, G_OPTION_ARG_FILENAME, &o->json, "write the JSON report here", "FILE"},
        {"plot", 0, 0, G_OPTION_ARG_FILENAME, &o->plot, "write the SVG plot here", "FILE.svg"},
        {"simulcast", 0, 0, G_OPTION_ARG_NONE, &o->simulcast, "send three simulcast encodings",
         NULL},
        {"temporal-layers", 0, 0, G_OPTION_ARG_INT, &o->temporal_layers,
         "VP8 temporal layers 1..3 [1]", "N"},
        {"width", 0, 0, G_OPTION_ARG_INT, &o->width, "camera width [640]", "W"},
        {"height", 0, 0, G_OPTION_ARG_INT, &o->height, "camera height [360]", "H"},
        {"fps", 0, 0, G_OPTION_ARG_INT, &o->fps, "camera frame rate [30]", "F"},
        {"max-kbps", 0, 0, G_OPTION_ARG_INT, &o->max_kbps, "sender's maximum rate [2500]", "K"},
        {"start-kbps", 0, 0, G_OPTION_ARG_INT, &o->start_kbps, "sender's start rate [300]", "K"},
        {"address", 0, 0, G_OPTION_ARG_STRING, &o->address,
         "local host candidate address [127.0.0.1]", "IP"},
        {"target", 0, 0, G_OPTION_ARG_STRING, &o->target, "okno or janus [okno]", "SFU"},
        {"janus-room", 0, 0, G_OPTION_ARG_INT64, &o->janus_room, "Janus VideoRoom [1234]", "N"},
        {"token", 0, 0, G_OPTION_ARG_STRING, &o->token, "join token", "TOKEN"},
        {"kiosk-role", 0, 0, G_OPTION_ARG_STRING, &o->kiosk_role, "the kiosk's role [kiosk]",
         "ROLE"},
        {"specialist-role", 0, 0, G_OPTION_ARG_STRING, &o->specialist_role,
         "the specialist's role [specialist]", "ROLE"},
        {"timeout", 't', 0, G_OPTION_ARG_INT, &o->timeout_ms,
         "connect, request and transport set-up timeout [10000]", "MS"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "no per-second lines", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *oc =
        g_option_context_new("- a kiosk and a specialist through an emulated link");
    g_option_context_set_description(oc, help_text);
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *error = NULL;
    bool ok = g_option_context_parse(oc, &argc, &argv, &error);
    g_option_context_free(oc);
    if (!ok) {
        fprintf(stderr, "okno-bench call: %s\n", error->message);
        g_error_free(error);
        return -1;
    }
    const char *why = NULL;
    if (argc > 1)
        why = "unexpected arguments";
    else if (!o->profile)
        why = "--profile is required";
    else if (o->duration_s < 0 || o->duration_s > 86400)
        why = "--duration must be 1..86400";
    else if (o->temporal_layers < 0 || o->temporal_layers > 3)
        why = "--temporal-layers must be 1..3";
    else if (o->width < 0 || o->height < 0 || o->fps < 0 || o->fps > 120 || o->max_kbps < 0 ||
             o->start_kbps < 0 || o->timeout_ms < 0 || o->seed < 0)
        why = "a size, rate, timeout or seed is negative or absurd";
    else if (o->target && strcmp(o->target, "okno") != 0 && strcmp(o->target, "janus") != 0)
        why = "--target must be okno or janus";
    if (why) {
        fprintf(stderr, "okno-bench call: %s (see --help)\n", why);
        return -1;
    }
    if (!o->server)
        o->server = g_strdup("ws://127.0.0.1:8080/ws");
    if (!o->room)
        o->room = g_strdup("bench-call");
    if (!o->target)
        o->target = g_strdup("okno");
    if (!o->kiosk_role)
        o->kiosk_role = g_strdup("kiosk");
    if (!o->specialist_role)
        o->specialist_role = g_strdup("specialist");
    if (!o->address)
        o->address = g_strdup("127.0.0.1");
    if (o->timeout_ms == 0)
        o->timeout_ms = 10000;
    if (o->seed == 0)
        o->seed = 1;
    return 0;
}

static void free_options(struct options *o)
{
    g_free(o->server);
    g_free(o->room);
    g_free(o->profile);
    g_free(o->json);
    g_free(o->plot);
    g_free(o->address);
    g_free(o->target);
    g_free(o->token);
    g_free(o->kiosk_role);
    g_free(o->specialist_role);
}

static void on_closed(void *arg)
{
    (*(int *)arg)--;
}

static gboolean on_wake(gpointer data)
{
    (void)data;
    return G_SOURCE_CONTINUE;
}

static void drop(GSource **s)
{
    if (*s) {
        g_source_destroy(*s);
        g_source_unref(*s);
        *s = NULL;
    }
}

/* Everything after the options: returns the exit code. */
static int run(struct call *c)
{
    char *path = okno_call_profile_path(c->o.profile);
    char err[512];
    int rc = okno_profile_load(path, &c->profile, err, sizeof(err));
    g_free(path);
    if (rc < 0) {
        fprintf(stderr, "okno-bench call: bad profile: %s\n", err);
        return OKNO_CALL_EXIT_USAGE;
    }
    c->profile_loaded = true;
    if (c->o.duration_s == 0)
        c->o.duration_s =
            c->profile.duration_us > 0 ? (int)((c->profile.duration_us + 999999) / 1000000) : 30;
    struct in_addr a;
    bool loopback = inet_pton(AF_INET, c->o.address, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;

    if (okno_cert_generate("okno-bench", &c->cert) < 0) {
        fprintf(stderr, "okno-bench call: cannot make the DTLS certificate\n");
        return OKNO_CALL_EXIT_ERROR;
    }
    c->relay_start_us = g_get_monotonic_time();
    struct okno_relay_config rcfg = {.schedule = &c->profile.schedule, .seed = (uint64_t)c->o.seed};
    rc = okno_relay_create(c->ctx, &rcfg, c->relay_start_us, &c->relay);
    if (rc < 0) {
        fprintf(stderr, "okno-bench call: cannot start the link emulator: %s\n", okno_strerror(rc));
        return OKNO_CALL_EXIT_ERROR;
    }
    okno_kiosk_link_init(&c->link, c->relay, loopback ? c->o.address : "127.0.0.1");
    c->dirs[0] = (struct direction){.key = "kiosk_to_specialist",
                                    .from = &c->kiosk,
                                    .to = &c->specialist,
                                    .link_dir = 0,
                                    .report = okno_report_direction(NULL, NULL, 0)};
    c->dirs[1] = (struct direction){.key = "specialist_to_kiosk",
                                    .from = &c->specialist,
                                    .to = &c->kiosk,
                                    .link_dir = 1,
                                    .report = okno_report_direction(NULL, NULL, 0)};
    rc = start_participant(c, false, &c->specialist);
    if (rc == 0)
        rc = start_participant(c, true, &c->kiosk);
    if (rc < 0) {
        fprintf(stderr, "okno-bench call: cannot start: %s (bad server URL %s?)\n",
                okno_strerror(rc), c->o.server);
        return OKNO_CALL_EXIT_USAGE;
    }
    c->setup_guard = g_timeout_source_new((guint)c->o.timeout_ms * 3);
    g_source_set_callback(c->setup_guard, on_setup_guard, c, NULL);
    g_source_attach(c->setup_guard, c->ctx);
    c->sigint = g_unix_signal_source_new(SIGINT);
    c->sigterm = g_unix_signal_source_new(SIGTERM);
    g_source_set_callback(c->sigint, on_signal, c, NULL);
    g_source_set_callback(c->sigterm, on_signal, c, NULL);
    g_source_attach(c->sigint, c->ctx);
    g_source_attach(c->sigterm, c->ctx);
    g_main_loop_run(c->loop);
    int code = c->exit_code;
    if (c->t0_us > 0) {
        int r = report(c);
        if (code == OKNO_CALL_EXIT_OK)
            code = r;
    }
    return code;
}

int okno_bench_call_main(int argc, char **argv)
{
    struct call c = {0};
    g_set_prgname("okno-bench call");
    if (parse_args(&c.o, argc, argv) < 0) {
        free_options(&c.o);
        return OKNO_CALL_EXIT_USAGE;
    }
    c.ctx = g_main_context_new();
    /* libsoup keeps attaching sources to the thread-default context after the connect call. */
    g_main_context_push_thread_default(c.ctx);
    c.loop = g_main_loop_new(c.ctx, FALSE);
    int code = run(&c);
    drop(&c.tick);
    drop(&c.setup_guard);
    drop(&c.sigint);
    drop(&c.sigterm);
    int open = 0;
    if (c.kiosk) {
        open++;
        okno_participant_close(c.kiosk, on_closed, &open);
    }
    if (c.specialist) {
        open++;
        okno_participant_close(c.specialist, on_closed, &open);
    }
    /* Let the transports and sockets finish closing (bounded: 2 s). */
    gint64 until = g_get_monotonic_time() + (gint64)2 * G_USEC_PER_SEC;
    GSource *wake = g_timeout_source_new(50);
    g_source_set_callback(wake, on_wake, NULL, NULL);
    g_source_attach(wake, c.ctx);
    while ((open > 0 || g_main_context_pending(c.ctx)) && g_get_monotonic_time() < until)
        g_main_context_iteration(c.ctx, open > 0);
    drop(&wake);
    okno_relay_destroy(c.relay);
    for (int i = 0; i < 2; i++)
        json_decref(c.dirs[i].report);
    g_main_loop_unref(c.loop);
    g_main_context_pop_thread_default(c.ctx);
    g_main_context_unref(c.ctx);
    if (c.profile_loaded)
        okno_profile_clear(&c.profile);
    okno_cert_free(c.cert);
    free_options(&c.o);
    return code;
}
