/* okno-bench load's report: one step of a run (a load held for a measured window) with the
 * server's and the clients' figures, the verdict against the ramp's criteria, and the human line
 * and JSON object for it. Deliberately not here: running anything (load_main.c does). */
#ifndef OKNO_BENCH_LOAD_LOAD_H
#define OKNO_BENCH_LOAD_LOAD_H

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>

#include "load/clients.h"
#include "load/server_proc.h"

struct okno_load_criteria {
    double max_loss_pct;      /* loss must stay below */
    double max_added_p99_ms;  /* p99 added latency must stay below */
    double min_delivered_pct; /* received / (sent x subscribers) must reach */
    double max_worker_cpu;    /* above: the generator is saturated, the step says nothing */
    double max_host_busy;     /* above: a failing step is flagged host-limited */
};

struct okno_load_step {
    unsigned rooms, publishers, subscribers; /* per room */
    unsigned streams;                        /* rooms x publishers x subscribers */
    struct okno_load_window win;
    bool server_known;
    double server_cpu_pct;
    double rss_mb, hwm_mb, idle_rss_mb;
    unsigned server_threads;
    double host_busy_pct; /* all cores of the machine, % of all */
    /* derived */
    double fwd_pps, fwd_mbps, loss_pct, delivered_pct, mib_per_stream;
    double added_p50, added_p95, added_p99;
    double dec_fps;                        /* per decoded track */
    double gen_cpu_pct, cpu_us_per_packet; /* the generator process, per received packet */
    bool saturated, pass;
    bool host_limited; /* failed with the machine busier than max_host_busy: not the server's limit
                        */
    int attempt;       /* 0: the first measurement of this load; n: its n-th retry */
    char reason[160];  /* why it failed (empty when it passed) */
};

/* `okno-bench load ...` (argv[0] is "load"); returns the exit code (see its --help). */
int okno_bench_load_main(int argc, char **argv);

/* Derives the figures and the verdict from the raw ones. */
void okno_load_step_judge(struct okno_load_step *s, const struct okno_load_criteria *c);
void okno_load_print_header(FILE *f);
void okno_load_print_step(FILE *f, const struct okno_load_step *s);
/* A new JSON object for the step. */
json_t *okno_load_step_json(const struct okno_load_step *s);

#endif
