/* Link parameters by name, as profile files and schedules write them: "capacity_kbps = 2500",
 * "loss_pct = 3", "jitter_dist = uniform". Each name has a unit a person would use (kbit/s,
 * milliseconds, percent) and a sane range; parsing a value checks both, and applying converts to
 * the model's units (struct okno_link_params). It deliberately checks one value at a time: rules
 * across fields (ge_p needs ge_r) are okno_link_params_check's, on the params that result. */
#ifndef OKNO_BENCH_PARAMS_H
#define OKNO_BENCH_PARAMS_H

#include "linkemu/link.h"

enum okno_link_param {
    OKNO_LP_CAPACITY_KBPS, /* 8..10000000, or "unlimited" */
    OKNO_LP_BURST_BYTES,
    OKNO_LP_DELAY_MS,
    OKNO_LP_JITTER_MS,
    OKNO_LP_JITTER_DIST,    /* normal | uniform */
    OKNO_LP_JITTER_REORDER, /* boolean */
    OKNO_LP_LOSS_PCT,
    OKNO_LP_GE_P_PCT,
    OKNO_LP_GE_R_PCT,
    OKNO_LP_GE_LOSS_GOOD_PCT,
    OKNO_LP_GE_LOSS_BAD_PCT,
    OKNO_LP_QUEUE_MS,
    OKNO_LP_QUEUE_BYTES,
    OKNO_LP_OUTAGE, /* boolean */
    OKNO_LP_COUNT
};

/* The parameter called name, or OKNO_E_NOTFOUND. */
int okno_link_param_lookup(const char *name);

/* The name of a parameter ("delay_ms"); "?" for an unknown id. Static storage. */
const char *okno_link_param_name(int id);

/* Parses text (surrounding blanks allowed) as a value of parameter id into *value, in the
 * parameter's own unit (capacity "unlimited" is 0, booleans and jitter_dist 0 or 1). Returns 0,
 * or OKNO_E_MALFORMED (not a number, a word not allowed, trailing junk) or OKNO_E_RANGE
 * (negative, above the parameter's limit, fractional where a whole number is needed), with a
 * static sentence saying why in *why (may be NULL). */
int okno_link_param_parse(int id, const char *text, double *value, const char **why);

/* Sets parameter id of p to value (as okno_link_param_parse gives it), in the model's units.
 * Unknown ids are ignored. */
void okno_link_param_apply(struct okno_link_params *p, int id, double value);

/* Parses a boolean: true/false, yes/no, on/off, 1/0. Returns 0 or 1, or OKNO_E_MALFORMED. */
int okno_link_parse_bool(const char *text);

/* Parses a whole-text non-negative decimal number (no inf, nan or hex) into *out. Returns 0,
 * OKNO_E_MALFORMED, or OKNO_E_RANGE for a negative value. */
int okno_link_parse_number(const char *text, double *out);

#endif
