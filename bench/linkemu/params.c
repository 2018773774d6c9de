/* The table of named link parameters (params.h): name, unit conversion and range of each, and the
 * strict number and boolean readers the profile loader shares. Values travel as doubles in the
 * file's units so a schedule can store any of them alike. It deliberately knows nothing about
 * files, lines or groups: callers put those in their messages. */
#include "linkemu/params.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "okno/err.h"

enum kind { NUM, INT, BOOL, DIST, CAPACITY };

struct param {
    const char *name;
    enum kind kind;
    double max;
};

static const struct param params[OKNO_LP_COUNT] = {
    [OKNO_LP_CAPACITY_KBPS] = {"capacity_kbps", CAPACITY, 10000000},
    [OKNO_LP_BURST_BYTES] = {"burst_bytes", INT, (double)OKNO_LINK_MAX_BURST_BYTES},
    [OKNO_LP_DELAY_MS] = {"delay_ms", NUM, OKNO_LINK_MAX_DELAY_US / 1000.0},
    [OKNO_LP_JITTER_MS] = {"jitter_ms", NUM, OKNO_LINK_MAX_DELAY_US / 1000.0},
    [OKNO_LP_JITTER_DIST] = {"jitter_dist", DIST, 1},
    [OKNO_LP_JITTER_REORDER] = {"jitter_reorder", BOOL, 1},
    [OKNO_LP_LOSS_PCT] = {"loss_pct", NUM, 100},
    [OKNO_LP_GE_P_PCT] = {"ge_p_pct", NUM, 100},
    [OKNO_LP_GE_R_PCT] = {"ge_r_pct", NUM, 100},
    [OKNO_LP_GE_LOSS_GOOD_PCT] = {"ge_loss_good_pct", NUM, 100},
    [OKNO_LP_GE_LOSS_BAD_PCT] = {"ge_loss_bad_pct", NUM, 100},
    [OKNO_LP_QUEUE_MS] = {"queue_ms", NUM, OKNO_LINK_MAX_QUEUE_US / 1000.0},
    [OKNO_LP_QUEUE_BYTES] = {"queue_bytes", INT, (double)OKNO_LINK_MAX_QUEUE_BYTES},
    [OKNO_LP_OUTAGE] = {"outage", BOOL, 1},
};

#define MIN_CAPACITY_KBPS 8.0

int okno_link_param_lookup(const char *name)
{
    for (int i = 0; i < OKNO_LP_COUNT; i++)
        if (strcmp(params[i].name, name) == 0)
            return i;
    return OKNO_E_NOTFOUND;
}

const char *okno_link_param_name(int id)
{
    return id >= 0 && id < OKNO_LP_COUNT ? params[id].name : "?";
}

/* Copies text without surrounding blanks into buf; false when it does not fit. */
static bool trimmed(const char *text, char *buf, size_t cap)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t n = strlen(text);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    if (n >= cap)
        return false;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return true;
}

int okno_link_parse_number(const char *text, double *out)
{
    char buf[64];
    if (!trimmed(text, buf, sizeof buf) || !buf[0])
        return OKNO_E_MALFORMED;
    /* Plain decimals only: strtod would also take "inf", "nan" and hex. */
    for (const char *p = buf; *p; p++)
        if (!strchr("0123456789.eE+-", *p))
            return OKNO_E_MALFORMED;
    char *end = NULL;
    double v = g_ascii_strtod(buf, &end);
    if (end == buf || *end || !isfinite(v))
        return OKNO_E_MALFORMED;
    if (v < 0)
        return OKNO_E_RANGE;
    *out = v == 0 ? 0.0 : v; /* no -0 */
    return 0;
}

int okno_link_parse_bool(const char *text)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    char buf[16];
    if (!trimmed(text, buf, sizeof buf))
        return OKNO_E_MALFORMED;
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(buf, yes[i]) == 0)
            return 1;
        if (g_ascii_strcasecmp(buf, no[i]) == 0)
            return 0;
    }
    return OKNO_E_MALFORMED;
}

static int fail(const char **why, const char *msg, int err)
{
    if (why)
        *why = msg;
    return err;
}

int okno_link_param_parse(int id, const char *text, double *value, const char **why)
{
    if (id < 0 || id >= OKNO_LP_COUNT)
        return fail(why, "unknown parameter", OKNO_E_NOTFOUND);
    const struct param *p = &params[id];
    char buf[64];
    if (!trimmed(text, buf, sizeof buf))
        return fail(why, "value too long", OKNO_E_MALFORMED);
    int b;
    switch (p->kind) {
    case BOOL:
        b = okno_link_parse_bool(buf);
        if (b < 0)
            return fail(why, "not a boolean (true/false, yes/no, on/off, 1/0)", b);
        *value = b;
        return 0;
    case DIST:
        if (strcmp(buf, "normal") == 0 || strcmp(buf, "uniform") == 0) {
            *value = buf[0] == 'u' ? OKNO_LINK_JITTER_UNIFORM : OKNO_LINK_JITTER_NORMAL;
            return 0;
        }
        return fail(why, "not a distribution (normal or uniform)", OKNO_E_MALFORMED);
    case CAPACITY:
        if (strcmp(buf, "unlimited") == 0) {
            *value = 0;
            return 0;
        }
        break;
    default:
        break;
    }
    double v;
    int rc = okno_link_parse_number(buf, &v);
    if (rc == OKNO_E_RANGE)
        return fail(why, "must not be negative", rc);
    if (rc < 0)
        return fail(why, "not a number", rc);
    if (v > p->max)
        return fail(why, "above the limit", OKNO_E_RANGE);
    if (p->kind == CAPACITY && v < MIN_CAPACITY_KBPS)
        return fail(why, "below 8 kbit/s (write \"unlimited\" for no limit)", OKNO_E_RANGE);
    if (p->kind == INT && v != floor(v))
        return fail(why, "must be a whole number", OKNO_E_RANGE);
    *value = v;
    return 0;
}

void okno_link_param_apply(struct okno_link_params *p, int id, double v)
{
    switch (id) {
    case OKNO_LP_CAPACITY_KBPS:
        p->capacity_bps = (uint64_t)llround(v * 1000.0);
        break;
    case OKNO_LP_BURST_BYTES:
        p->burst_bytes = (uint64_t)v;
        break;
    case OKNO_LP_DELAY_MS:
        p->delay_us = llround(v * 1000.0);
        break;
    case OKNO_LP_JITTER_MS:
        p->jitter_us = llround(v * 1000.0);
        break;
    case OKNO_LP_JITTER_DIST:
        p->jitter_dist = v > 0 ? OKNO_LINK_JITTER_UNIFORM : OKNO_LINK_JITTER_NORMAL;
        break;
    case OKNO_LP_JITTER_REORDER:
        p->jitter_reorder = v > 0;
        break;
    case OKNO_LP_LOSS_PCT:
        p->loss = v / 100.0;
        break;
    case OKNO_LP_GE_P_PCT:
        p->ge_p = v / 100.0;
        break;
    case OKNO_LP_GE_R_PCT:
        p->ge_r = v / 100.0;
        break;
    case OKNO_LP_GE_LOSS_GOOD_PCT:
        p->ge_loss_good = v / 100.0;
        break;
    case OKNO_LP_GE_LOSS_BAD_PCT:
        p->ge_loss_bad = v / 100.0;
        break;
    case OKNO_LP_QUEUE_MS:
        p->queue_us = llround(v * 1000.0);
        break;
    case OKNO_LP_QUEUE_BYTES:
        p->queue_bytes = (uint64_t)v;
        break;
    case OKNO_LP_OUTAGE:
        p->outage = v > 0;
        break;
    default:
        break;
    }
}
