/* okno-bench call's state, shared by its files: call_cli.c (options), call_second.c (the
 * once-a-second sample and line) and call.c (the run and the report). Not for other modules:
 * they use call.h. */
#ifndef OKNO_BENCH_CALL_CALL_INTERNAL_H
#define OKNO_BENCH_CALL_CALL_INTERNAL_H

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "call/call.h"
#include "call/kiosk_link.h"
#include "call/participant.h"
#include "call/report.h"
#include "linkemu/profile.h"
#include "linkemu/qdelay.h"
#include "linkemu/relay_thread.h"

struct okno_call_options {
    char *server, *room, *profile, *json, *plot, *address, *target, *token;
    char *kiosk_role, *specialist_role;
    char *audio_red; /* "on" (default) or "off" */
    int duration_s, seed, temporal_layers, width, height, fps, max_kbps, start_kbps, timeout_ms;
    gint64 janus_room;
    gboolean simulcast, quiet;
};

/* One direction of the call: who sends, who receives, which link direction it crosses. */
struct okno_call_direction {
    const char *key;
    struct okno_participant **from, **to; /* borrowed: the call's */
    int link_dir;                         /* 0 up, 1 down */
    json_t *report;                       /* owned */
    /* previous sample, for per-second deltas */
    uint64_t rx_bytes, video_bytes, frames, freezes, link_in, link_dropped;
    /* the link's queue delays when both started publishing: the report counts from there */
    struct okno_qdelay_hist qdelay_at_t0;
};

struct okno_call {
    struct okno_call_options o;
    /* owned */
    GMainContext *ctx;
    GMainLoop *loop;
    struct okno_cert *cert;
    struct okno_profile profile;
    bool profile_loaded;
    struct okno_relay_thread *relay_thread;
    struct okno_relay *relay; /* the thread's */
    struct okno_participant *kiosk, *specialist;
    GSource *tick, *setup_guard, *sigint, *sigterm;
    struct okno_kiosk_link link; /* the kiosk's candidates through the relay */
    /* state */
    int64_t relay_start_us, t0_us;
    int publishing; /* participants whose sender runs */
    int exit_code;
    bool interrupted;
    struct okno_call_direction dirs[2];
};

/* call_cli.c: parses argv into o (defaults filled in); returns 0, or -1 after a message on
 * stderr. okno__call_free_options frees what it set. */
int okno__call_parse_args(struct okno_call_options *o, int argc, char **argv);
void okno__call_free_options(struct okno_call_options *o);

/* call_second.c: one second of direction d as of now_us (per-second figures are deltas from the
 * previous sample, which this one becomes). */
void okno__call_sample(struct okno_call *c, struct okno_call_direction *d, int64_t now_us,
                       struct okno_report_second *s);
/* The per-second line of both directions on stdout. */
void okno__call_print_second(const struct okno_report_second s[2]);

#endif
