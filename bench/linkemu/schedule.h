/* A timeline of both directions' link params: base params, timed changes of single parameters
 * ("at 40 s, down.capacity_kbps = 2500"), optionally repeating with a period, and repeating
 * outages (every N s for M ms, in one direction or both). It answers two questions for any time t
 * since the start of a run: which params are in force, and when they next change. Both are pure
 * functions of t, so the owner may ask in any order and a schedule can be checked before a run.
 * It deliberately does not drive links or timers (the relay does) nor read files (profile.h). */
#ifndef OKNO_BENCH_SCHEDULE_H
#define OKNO_BENCH_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "linkemu/link.h"

enum okno_dir {
    OKNO_DIR_UP = 1 << 0,   /* client to target */
    OKNO_DIR_DOWN = 1 << 1, /* target to client */
    OKNO_DIR_BOTH = OKNO_DIR_UP | OKNO_DIR_DOWN,
};

#define OKNO_SCHEDULE_MAX_CHANGES 4096
#define OKNO_SCHEDULE_MAX_US      (86400LL * 1000000) /* a day */

struct okno_schedule_change {
    int64_t at_us; /* since the start (within the period when there is one) */
    unsigned dirs; /* enum okno_dir bits */
    int param;     /* enum okno_link_param */
    double value;  /* as okno_link_param_parse gives it */
    int line;      /* where it was written, for messages; 0 when not from a file */
};

struct okno_schedule {
    struct okno_link_params base[2]; /* [0] up, [1] down */
    /* owned */
    struct okno_schedule_change *changes; /* sorted by at_us, equal times in insertion order */
    size_t n_changes;
    int64_t period_us; /* 0: the changes happen once */
    /* repeating outages; every_us 0: none */
    int64_t outage_every_us, outage_duration_us, outage_first_us;
    unsigned outage_dirs;
};

/* Starts a schedule with base params (copied; NULL is a perfect link) and nothing timed. Cannot
 * fail; okno_schedule_clear frees what okno_schedule_add allocates. */
void okno_schedule_init(struct okno_schedule *s, const struct okno_link_params *up,
                        const struct okno_link_params *down);

/* Frees the changes; s is then empty (base params kept). */
void okno_schedule_clear(struct okno_schedule *s);

/* Adds a change of parameter param to value in directions dirs at at_us. Returns 0,
 * OKNO_E_INVAL (at_us negative or above OKNO_SCHEDULE_MAX_US or not below the period, no
 * direction, unknown param), OKNO_E_NOSPC (OKNO_SCHEDULE_MAX_CHANGES reached), OKNO_E_NOMEM.
 * Invalidates pointers into s->changes. */
int okno_schedule_add(struct okno_schedule *s, int64_t at_us, unsigned dirs, int param,
                      double value, int line);

/* Makes the changes repeat every period_us (0: once). Returns 0, or OKNO_E_INVAL when a change
 * is not earlier than the period or period_us is negative or above OKNO_SCHEDULE_MAX_US. */
int okno_schedule_set_period(struct okno_schedule *s, int64_t period_us);

/* Outages of duration_us every every_us in directions dirs, the first at first_us. every_us 0
 * removes them. Returns 0, or OKNO_E_INVAL unless 0 < duration_us < every_us, 0 <= first_us, all
 * at most OKNO_SCHEDULE_MAX_US, and dirs is not 0. */
int okno_schedule_set_outages(struct okno_schedule *s, int64_t every_us, int64_t duration_us,
                              int64_t first_us, unsigned dirs);

/* The params in force at t_us (a negative t is taken as 0) into *up and *down (either may be
 * NULL). They are not checked: see okno_schedule_check. */
void okno_schedule_params_at(const struct okno_schedule *s, int64_t t_us,
                             struct okno_link_params *up, struct okno_link_params *down);

/* The first time after t_us at which the params may change; INT64_MAX when they never do. */
int64_t okno_schedule_next_change(const struct okno_schedule *s, int64_t t_us);

/* Checks every state the schedule can reach with okno_link_params_check. Returns 0, or
 * OKNO_E_INVAL with the offending change in *bad (NULL when the base params are at fault). */
int okno_schedule_check(const struct okno_schedule *s, const struct okno_schedule_change **bad);

#endif
