/* okno-bench load's command line (load_opts.h). */
#include "load/load_opts.h"

#include <stdio.h>
#include <string.h>

#include "load/clients.h"
#include "load/loopback.h"

void okno_load_opts_init(struct okno_load_opts *o)
{
    *o = (struct okno_load_opts){.rooms = 1,
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
}

int okno_load_opts_parse(struct okno_load_opts *o, int argc, char **argv)
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
    if (!o->room_prefix)
        o->room_prefix = g_strdup("load");
    if (!o->pub_role)
        o->pub_role = g_strdup("kiosk");
    if (!o->sub_role)
        o->sub_role = g_strdup("observer");
    return 0;
}

void okno_load_opts_clear(struct okno_load_opts *o)
{
    g_free(o->server);
    g_free(o->target);
    g_free(o->json);
    g_free(o->address);
    g_free(o->room_prefix);
    g_free(o->pub_role);
    g_free(o->sub_role);
    g_free(o->token);
}
