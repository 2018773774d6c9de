/* okno-bench load's command line: the options, their defaults and their ranges (--help says what
 * each means). Deliberately not here: running anything (load_main.c does). */
#ifndef OKNO_BENCH_LOAD_LOAD_OPTS_H
#define OKNO_BENCH_LOAD_LOAD_OPTS_H

#include <glib.h>

struct okno_load_opts {
    /* owned (g_free) */
    char *server, *target, *json, *address, *room_prefix, *pub_role, *sub_role, *token;
    int rooms, publishers, subscribers, duration, warmup, decoders, threads, timeout_ms, probes;
    int server_pid, max_subscribers, step_pct, max_steps, video_kbps, janus_room, retries;
    int verify_every, batch_us, bisect, remb_kbps;
    double pacing;
    gboolean ramp, quiet;
    double max_loss, max_p99;
};

/* The defaults of every option. */
void okno_load_opts_init(struct okno_load_opts *o);
/* Parses argv (argv[0] is "load") into o; out of range, unknown or malformed: a message on stderr
 * and -1. */
int okno_load_opts_parse(struct okno_load_opts *o, int argc, char **argv);
/* Frees o's strings. */
void okno_load_opts_clear(struct okno_load_opts *o);

#endif
