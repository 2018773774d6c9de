/* okno-bench call: the run (the kiosk's relay, the two participants, the once-a-second tick, the
 * end) and the report with its evidence figures; the options are in call_cli.c, the second's
 * sample in call_second.c. The kiosk's ICE goes through the relay by a candidate filter: each
 * loopback UDP candidate of the server becomes a relay mapping and the candidate is rewritten to
 * the relay's port; TCP and non-loopback candidates are dropped, and so are the kiosk's own
 * candidates: the server then learns the kiosk only as the relay's address (peer-reflexive, from
 * the kiosk's checks), so no pair can go around the emulated link. */
#include "call/call_internal.h"

#include <arpa/inet.h>
#include <glib-unix.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call/evidence.h"
#include "call/plot.h"
#include "okno-bench.h"
#include "okno/err.h"

#define SETUP_SLACK_S 15 /* timeline room beyond the duration: set-up and the last poll */
/* The emulated link stands for hardware between the kiosk and the server: its departures go
 * before the clients' work and the server's (a real-time priority above okno's own
 * `realtime_priority` examples), so the profile's delays are what the packets meet. */
#define RELAY_RT_PRIORITY 50

/* ---- the run -----------------------------------------------------------------------------------
 */

static void finish(struct okno_call *c, int code)
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
    struct okno_call *c = owner;
    fprintf(stderr, "okno-bench call: %s\n", message);
    finish(c, local ? OKNO_CALL_EXIT_ERROR : exit_code_of(err));
}

static gboolean on_tick(gpointer data)
{
    struct okno_call *c = data;
    int64_t now = g_get_monotonic_time();
    okno_participant_poll(c->kiosk, now);
    okno_participant_poll(c->specialist, now);
    struct okno_report_second s[2];
    for (int i = 0; i < 2; i++) {
        okno__call_sample(c, &c->dirs[i], now, &s[i]);
        okno_report_add_second(c->dirs[i].report, &s[i]);
    }
    if (!c->o.quiet)
        okno__call_print_second(s);
    if (now - c->t0_us >= (int64_t)c->o.duration_s * 1000000 - 50000)
        finish(c, OKNO_CALL_EXIT_OK);
    return G_SOURCE_CONTINUE;
}

static void on_publishing(void *owner, struct okno_participant *p)
{
    (void)p;
    struct okno_call *c = owner;
    if (++c->publishing < 2)
        return;
    c->t0_us = g_get_monotonic_time();
    /* What arrived before both published (one side's media may flow for seconds while the
     * other's transport crosses a slow link) is not part of the first second. */
    struct okno_relay_stats rs;
    okno_relay_stats(c->relay, &rs);
    for (int i = 0; i < 2; i++) {
        struct okno_report_second discard;
        okno__call_sample(c, &c->dirs[i], c->t0_us, &discard);
        c->dirs[i].qdelay_at_t0 = c->dirs[i].link_dir ? rs.down.qdelay_hist : rs.up.qdelay_hist;
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
    struct okno_call *c = data;
    g_source_unref(c->setup_guard);
    c->setup_guard = NULL;
    fprintf(stderr, "okno-bench call: media did not start within %d ms\n", 3 * c->o.timeout_ms);
    finish(c, OKNO_CALL_EXIT_TIMEOUT);
    return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer data)
{
    struct okno_call *c = data;
    if (!c->interrupted)
        fprintf(stderr, "okno-bench call: interrupted, reporting what was measured\n");
    c->interrupted = true;
    finish(c, OKNO_CALL_EXIT_OK);
    return G_SOURCE_CONTINUE;
}

static int start_participant(struct okno_call *c, bool kiosk, struct okno_participant **out)
{
    static const struct okno_participant_listener listener = {.on_publishing = on_publishing,
                                                              .on_failed = on_failed};
    const struct okno_call_options *o = &c->o;
    uint32_t seed = (uint32_t)o->seed * 2 + (kiosk ? 1 : 2);
    uint32_t remote_seed = (uint32_t)o->seed * 2 + (kiosk ? 2 : 1);
    bool janus = !g_strcmp0(o->target, "janus");
    /* Receivers wait for retransmissions about as long as a browser's jitter buffer would on this
     * link: one and a half of its round trips plus jitter and the link's queue bound (a
     * retransmission crosses it once more, and behind a sender's queue on a slow uplink), at least
     * receiver.h's 400 ms; audio plays out behind the link's jitter. A browser gives up on a frame
     * later still: it asks for a key frame after 3 s without one to decode. */
    struct okno_link_params up, down;
    okno_schedule_params_at(&c->profile.schedule, 0, &up, &down);
    int64_t rtt = up.delay_us + down.delay_us, jitter = MAX(up.jitter_us, down.jitter_us);
    int64_t queue = MAX(up.queue_us, down.queue_us);
    int64_t nack_wait = MAX(rtt * 3 / 2 + 2 * jitter + queue + 100000, (int64_t)400000);
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
        .audio_red_off = o->audio_red && strcmp(o->audio_red, "off") == 0,
        .timeline_s = (size_t)o->duration_s + SETUP_SLACK_S + (size_t)o->timeout_ms / 1000 * 3,
    };
    return okno_participant_start(c->ctx, &pc, c->cert, &listener, c, out);
}

/* Issue 5's figures (evidence.h): the queue delays since both published, the late freezes and
 * the recovery after each capacity change of this direction within the run. */
static void add_evidence(struct okno_call *c, struct okno_call_direction *d, json_t *dir,
                         int64_t now_us)
{
    struct okno_relay_stats rs;
    okno_relay_stats(c->relay, &rs);
    const struct okno_link_stats *ls = d->link_dir ? &rs.down : &rs.up;
    struct okno_qdelay_hist q;
    okno_qdelay_diff(&ls->qdelay_hist, &d->qdelay_at_t0, &q);
    struct okno_capacity_change ch[OKNO_EVIDENCE_MAX_CHANGES];
    size_t n =
        okno_evidence_changes(&c->profile.schedule, d->link_dir, c->t0_us - c->relay_start_us,
                              now_us - c->relay_start_us, ch, G_N_ELEMENTS(ch));
    okno_evidence_set(dir, &q, ls->qdelay_max_us, ch, n, (double)(now_us - c->t0_us) / 1e6);
}

/* The direction's objects, from the receivers' metrics and the counters, as of now_us. */
static void complete_direction(struct okno_call *c, struct okno_call_direction *d, int64_t now_us)
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
    add_evidence(c, d, dir, now_us);
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

static int report(struct okno_call *c)
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
    json_object_set_new(r, "link",
                        okno_report_link_json(&rs, okno_relay_thread_realtime(c->relay_thread)));
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
static int run(struct okno_call *c)
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
    rc = okno_relay_thread_start(&rcfg, c->relay_start_us, RELAY_RT_PRIORITY, &c->relay_thread);
    if (rc == 0)
        c->relay = okno_relay_thread_relay(c->relay_thread);
    if (rc < 0) {
        fprintf(stderr, "okno-bench call: cannot start the link emulator: %s\n", okno_strerror(rc));
        return OKNO_CALL_EXIT_ERROR;
    }
    okno_kiosk_link_init(&c->link, c->relay, loopback ? c->o.address : "127.0.0.1");
    c->dirs[0] = (struct okno_call_direction){.key = "kiosk_to_specialist",
                                              .from = &c->kiosk,
                                              .to = &c->specialist,
                                              .link_dir = 0,
                                              .report = okno_report_direction(NULL, NULL, 0)};
    c->dirs[1] = (struct okno_call_direction){.key = "specialist_to_kiosk",
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
    struct okno_call c = {0};
    g_set_prgname("okno-bench call");
    if (okno__call_parse_args(&c.o, argc, argv) < 0) {
        okno__call_free_options(&c.o);
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
    okno_relay_thread_stop(c.relay_thread);
    for (int i = 0; i < 2; i++)
        json_decref(c.dirs[i].report);
    g_main_loop_unref(c.loop);
    g_main_context_pop_thread_default(c.ctx);
    g_main_context_unref(c.ctx);
    if (c.profile_loaded)
        okno_profile_clear(&c.profile);
    okno_cert_free(c.cert);
    okno__call_free_options(&c.o);
    return code;
}
