/* okno-bench call's command line: the options, their checks and defaults, and where a profile
 * named there is found. See call.h. */
#include <stdio.h>
#include <string.h>

#include "call/call_internal.h"
#include "okno-bench.h"

char *okno_call_profile_path(const char *name)
{
    if (g_file_test(name, G_FILE_TEST_IS_REGULAR) || strchr(name, '/'))
        return g_strdup(name);
    const char *src = g_getenv("OKNO_SRCDIR");
    return g_strdup_printf("%s/bench/profiles/%s.profile", src && *src ? src : OKNO_SRCDIR, name);
}

static const char help_text[] =
    "A kiosk and a specialist in one room through the server; the profile emulates the kiosk's\n"
    "link in both directions (the specialist connects directly). Prints a summary per direction\n"
    "and writes a JSON report (--json) and an SVG plot (--plot).\n\n"
    "A profile NAME is bench/profiles/NAME.profile under $OKNO_SRCDIR (else the source tree).\n\n"
    "Exit codes: 0 completed; 1 other failure (protocol, transport, no media in a direction,\n"
    "a file not written); 2 bad usage or bad profile; 3 join refused; 4 timeout; 5 server\n"
    "unreachable.";

int okno__call_parse_args(struct okno_call_options *o, int argc, char **argv)
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
        {"audio-red", 0, 0, G_OPTION_ARG_STRING, &o->audio_red,
         "RFC 2198 redundant audio, offered, sent and received as Chromium does [on]", "on|off"},
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
    else if (o->audio_red && strcmp(o->audio_red, "on") != 0 && strcmp(o->audio_red, "off") != 0)
        why = "--audio-red must be on or off";
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

void okno__call_free_options(struct okno_call_options *o)
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
    g_free(o->audio_red);
    g_free(o->specialist_role);
}
