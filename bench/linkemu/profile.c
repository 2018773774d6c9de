/* The profile reader (profile.h): one pass over the lines, each either blank, a comment ('#' or
 * ';' first), a [group] or a key = value; a '#' ends any line's content. Every problem stops the
 * parse at once with the first error, since later messages after a bad line mostly mislead.
 * Checks that need the whole file (outage group complete, changes inside the period, parameter
 * combinations) run at the end and still name the line at fault. It deliberately accepts no
 * include, variable or continuation line: a profile reads top to bottom. */
#include "linkemu/profile.h"

#include <errno.h>
#include <glib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "linkemu/params.h"
#include "okno/err.h"

#define MAX_LINE 1024

enum group { G_NONE, G_PROFILE, G_UP, G_DOWN, G_SCHEDULE, G_OUTAGE, G_COUNT };
static const char *const group_names[G_COUNT] = {"", "profile", "up", "down", "schedule", "outage"};

/* keys of [profile] and [outage], for duplicate detection */
enum { K_NAME, K_DESCRIPTION, K_DURATION, K_EVERY, K_OUTAGE_DURATION, K_FIRST, K_DIRECTION };

struct parser {
    const char *file;
    char *err;
    size_t errlen;
    int line;
    enum group group;
    int group_line[G_COUNT];
    uint32_t seen[G_COUNT]; /* keys given, as bits (params.h ids for up and down) */
    int period_line;
    int64_t period_us; /* set on the schedule at the end, once every change is known */
    struct okno_profile *out;
    int64_t every_us, outage_duration_us, first_us;
    unsigned outage_dirs;
};

static int failf(struct parser *ps, int line, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Formats "FILE:LINE: " (or "FILE: " for line 0) and the rest into the error buffer. */
static int failf(struct parser *ps, int line, const char *fmt, ...)
{
    if (!ps->errlen)
        return OKNO_E_CONFIG;
    int n = line > 0 ? snprintf(ps->err, ps->errlen, "%s:%d: ", ps->file, line)
                     : snprintf(ps->err, ps->errlen, "%s: ", ps->file);
    if (n >= 0 && (size_t)n < ps->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return OKNO_E_CONFIG;
}

static int fail_key(struct parser *ps, const char *key, const char *why)
{
    return failf(ps, ps->line, "[%s] %s: %s", group_names[ps->group], key, why);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* "40s", "1.5s", "1500ms" into microseconds. */
static int parse_time(const char *text, int64_t *out)
{
    char buf[64];
    g_strlcpy(buf, text, sizeof buf);
    char *s = trim(buf);
    size_t n = strlen(s);
    double scale;
    if (n > 2 && strcmp(s + n - 2, "ms") == 0) {
        scale = 1e3;
        s[n - 2] = '\0';
    } else if (n > 1 && s[n - 1] == 's') {
        scale = 1e6;
        s[n - 1] = '\0';
    } else {
        return OKNO_E_MALFORMED;
    }
    double v;
    int rc = okno_link_parse_number(s, &v);
    if (rc < 0)
        return rc;
    if (v * scale > (double)OKNO_SCHEDULE_MAX_US)
        return OKNO_E_RANGE;
    *out = llround(v * scale);
    return 0;
}

/* A number of seconds or milliseconds in (0, a day] (or [0, a day] with zero_ok). */
static int key_duration(struct parser *ps, const char *key, const char *value, double scale,
                        bool zero_ok, int64_t *out)
{
    double v;
    int rc = okno_link_parse_number(value, &v);
    if (rc == OKNO_E_RANGE)
        return fail_key(ps, key, "must not be negative");
    if (rc < 0)
        return fail_key(ps, key, "not a number");
    if ((!zero_ok && v == 0) || v * scale > (double)OKNO_SCHEDULE_MAX_US)
        return fail_key(ps, key, zero_ok ? "above a day" : "must be above 0 and at most a day");
    *out = llround(v * scale);
    return 0;
}

static int parse_dirs(const char *text, unsigned *dirs)
{
    if (strcmp(text, "up") == 0)
        *dirs = OKNO_DIR_UP;
    else if (strcmp(text, "down") == 0)
        *dirs = OKNO_DIR_DOWN;
    else if (strcmp(text, "both") == 0)
        *dirs = OKNO_DIR_BOTH;
    else
        return OKNO_E_MALFORMED;
    return 0;
}

static int once(struct parser *ps, const char *key, unsigned bit)
{
    if (ps->seen[ps->group] & (1u << bit))
        return fail_key(ps, key, "given twice");
    ps->seen[ps->group] |= 1u << bit;
    return 0;
}

static int key_profile(struct parser *ps, const char *key, const char *value)
{
    struct okno_profile *p = ps->out;
    if (strcmp(key, "name") == 0 || strcmp(key, "description") == 0) {
        bool name = key[0] == 'n';
        int rc = once(ps, key, name ? K_NAME : K_DESCRIPTION);
        if (rc < 0)
            return rc;
        size_t cap = name ? sizeof p->name : sizeof p->description;
        if (strlen(value) >= cap)
            return fail_key(ps, key, "too long");
        if (name && !*value)
            return fail_key(ps, key, "empty");
        g_strlcpy(name ? p->name : p->description, value, cap);
        return 0;
    }
    if (strcmp(key, "duration_s") == 0) {
        int rc = once(ps, key, K_DURATION);
        return rc < 0 ? rc : key_duration(ps, key, value, 1e6, false, &p->duration_us);
    }
    return fail_key(ps, key, "unknown key (name, description, duration_s)");
}

static int key_link(struct parser *ps, const char *key, const char *value)
{
    int id = okno_link_param_lookup(key);
    if (id < 0)
        return fail_key(ps, key, "unknown link parameter");
    int rc = once(ps, key, (unsigned)id);
    if (rc < 0)
        return rc;
    double v;
    const char *why = NULL;
    if (okno_link_param_parse(id, value, &v, &why) < 0)
        return fail_key(ps, key, why);
    okno_link_param_apply(&ps->out->schedule.base[ps->group == G_UP ? 0 : 1], id, v);
    return 0;
}

static int key_outage(struct parser *ps, const char *key, const char *value)
{
    if (strcmp(key, "every_s") == 0) {
        int rc = once(ps, key, K_EVERY);
        return rc < 0 ? rc : key_duration(ps, key, value, 1e6, false, &ps->every_us);
    }
    if (strcmp(key, "duration_ms") == 0) {
        int rc = once(ps, key, K_OUTAGE_DURATION);
        return rc < 0 ? rc : key_duration(ps, key, value, 1e3, false, &ps->outage_duration_us);
    }
    if (strcmp(key, "first_s") == 0) {
        int rc = once(ps, key, K_FIRST);
        return rc < 0 ? rc : key_duration(ps, key, value, 1e6, true, &ps->first_us);
    }
    if (strcmp(key, "direction") == 0) {
        int rc = once(ps, key, K_DIRECTION);
        if (rc < 0)
            return rc;
        return parse_dirs(value, &ps->outage_dirs) < 0 ? fail_key(ps, key, "not up, down or both")
                                                       : 0;
    }
    return fail_key(ps, key, "unknown key (every_s, duration_ms, first_s, direction)");
}

/* One "dir.param=value" of a schedule line. */
static int schedule_item(struct parser *ps, const char *key, int64_t at_us, char *item)
{
    item = trim(item);
    char *eq = strchr(item, '=');
    char *dot = strchr(item, '.');
    if (!eq || !dot || dot > eq)
        return fail_key(ps, key, "expected changes like down.capacity_kbps=2500, up.delay_ms=40");
    *dot = '\0';
    *eq = '\0';
    unsigned dirs;
    if (parse_dirs(trim(item), &dirs) < 0)
        return fail_key(ps, key, "a change must start with up., down. or both.");
    const char *name = trim(dot + 1);
    int id = okno_link_param_lookup(name);
    if (id < 0) {
        char why[128];
        snprintf(why, sizeof why, "unknown link parameter \"%.40s\"", name);
        return fail_key(ps, key, why);
    }
    double v;
    const char *why = NULL;
    if (okno_link_param_parse(id, eq + 1, &v, &why) < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: %s", name, why);
        return fail_key(ps, key, msg);
    }
    int rc = okno_schedule_add(&ps->out->schedule, at_us, dirs, id, v, ps->line);
    if (rc == OKNO_E_NOMEM)
        return rc;
    return rc < 0 ? fail_key(ps, key, "too many changes") : 0;
}

static int key_schedule(struct parser *ps, const char *key, char *value)
{
    struct okno_schedule *s = &ps->out->schedule;
    if (strcmp(key, "period_s") == 0) {
        if (ps->period_line)
            return fail_key(ps, key, "given twice");
        ps->period_line = ps->line;
        return key_duration(ps, key, value, 1e6, false, &ps->period_us);
    }
    int64_t at;
    int rc = parse_time(key, &at);
    if (rc == OKNO_E_RANGE)
        return fail_key(ps, key, "time negative or beyond a day");
    if (rc < 0)
        return fail_key(ps, key, "not a time like 40s or 1500ms, nor period_s");
    for (size_t i = 0; i < s->n_changes; i++)
        if (s->changes[i].at_us == at)
            return fail_key(ps, key, "this time is already given on an earlier line");
    if (!*value)
        return fail_key(ps, key, "no change given");
    for (char *save = NULL, *item = strtok_r(value, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        rc = schedule_item(ps, key, at, item);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int group_line(struct parser *ps, char *s)
{
    char *end = strchr(s, ']');
    if (!end || *trim(end + 1))
        return failf(ps, ps->line, "malformed group header (expected [name])");
    *end = '\0';
    const char *name = trim(s + 1);
    for (int g = G_PROFILE; g < G_COUNT; g++) {
        if (strcmp(name, group_names[g]) == 0) {
            if (ps->group_line[g])
                return failf(ps, ps->line, "[%s] given twice (first on line %d)", name,
                             ps->group_line[g]);
            ps->group = (enum group)g;
            ps->group_line[g] = ps->line;
            return 0;
        }
    }
    return failf(ps, ps->line, "unknown group [%.40s] (profile, up, down, schedule, outage)", name);
}

static int content_line(struct parser *ps, char *s)
{
    char *hash = strchr(s, '#');
    if (hash)
        *hash = '\0';
    s = trim(s);
    if (!*s || *s == ';')
        return 0;
    if (*s == '[')
        return group_line(ps, s);
    char *eq = strchr(s, '=');
    if (!eq)
        return failf(ps, ps->line, "expected key = value or [group]");
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    if (!*key)
        return failf(ps, ps->line, "missing key before '='");
    switch (ps->group) {
    case G_PROFILE:
        return key_profile(ps, key, value);
    case G_UP:
    case G_DOWN:
        return key_link(ps, key, value);
    case G_SCHEDULE:
        return key_schedule(ps, key, value);
    case G_OUTAGE:
        return key_outage(ps, key, value);
    default:
        return failf(ps, ps->line, "%.40s: key outside any group", key);
    }
}

/* The checks that need the whole file. */
static int finish(struct parser *ps)
{
    struct okno_schedule *s = &ps->out->schedule;
    if (ps->group_line[G_OUTAGE]) {
        ps->line = ps->group_line[G_OUTAGE];
        ps->group = G_OUTAGE;
        if (!ps->every_us || !ps->outage_duration_us)
            return failf(ps, ps->line, "[outage] needs every_s and duration_ms");
        if (!(ps->seen[G_OUTAGE] & (1u << K_FIRST)))
            ps->first_us = ps->every_us;
        if (okno_schedule_set_outages(s, ps->every_us, ps->outage_duration_us, ps->first_us,
                                      ps->outage_dirs) < 0)
            return failf(ps, ps->line, "[outage] duration_ms must be shorter than every_s");
    }
    if (ps->period_us) {
        int64_t period = ps->period_us;
        if (okno_schedule_set_period(s, period) < 0) {
            const struct okno_schedule_change *last = &s->changes[s->n_changes - 1];
            return failf(ps, last->line, "[schedule] change at %.3f s is not before period_s %.3f",
                         (double)last->at_us / 1e6, (double)period / 1e6);
        }
    }
    for (int d = 0; d < 2; d++)
        if (okno_link_params_check(&s->base[d]) < 0)
            return failf(ps, ps->group_line[d ? G_DOWN : G_UP],
                         "[%s] ge_p_pct above 0 needs ge_r_pct above 0 (else the bad state never "
                         "ends)",
                         d ? "down" : "up");
    const struct okno_schedule_change *bad;
    if (okno_schedule_check(s, &bad) < 0)
        return failf(ps, bad ? bad->line : 0,
                     "[schedule] leaves ge_p_pct above 0 with ge_r_pct 0 (the bad state would "
                     "never end)");
    return 0;
}

int okno_profile_parse(const char *text, size_t len, const char *filename, struct okno_profile *out,
                       char *err, size_t errlen)
{
    struct parser ps = {.file = filename ? filename : "(profile)",
                        .err = err,
                        .errlen = errlen,
                        .out = out,
                        .outage_dirs = OKNO_DIR_BOTH};
    if (errlen)
        err[0] = '\0';
    memset(out, 0, sizeof *out);
    struct okno_link_params base = {.ge_loss_bad = 1.0};
    okno_schedule_init(&out->schedule, &base, &base);
    int rc = 0;
    char line[MAX_LINE + 1];
    size_t pos = 0;
    while (rc == 0 && pos < len) {
        ps.line++;
        size_t n = 0;
        while (pos < len && text[pos] != '\n') {
            if (text[pos] == '\0') {
                rc = failf(&ps, ps.line, "NUL byte: not a text file");
                break;
            }
            if (n == MAX_LINE) {
                rc = failf(&ps, ps.line, "line longer than %d bytes", MAX_LINE);
                break;
            }
            line[n++] = text[pos++];
        }
        if (rc < 0)
            break;
        pos++; /* the '\n' */
        if (n && line[n - 1] == '\r')
            n--;
        line[n] = '\0';
        rc = content_line(&ps, line);
    }
    if (rc == 0)
        rc = finish(&ps);
    if (rc == 0 && !out->name[0]) {
        /* named after the file: ".../edge.profile" is "edge" */
        char *base_name = g_path_get_basename(ps.file);
        char *dot = strrchr(base_name, '.');
        if (dot && dot != base_name)
            *dot = '\0';
        g_strlcpy(out->name, base_name, sizeof out->name);
        g_free(base_name);
    }
    if (rc < 0)
        okno_profile_clear(out);
    if (rc == OKNO_E_NOMEM && errlen)
        snprintf(err, errlen, "%s: out of memory", ps.file);
    return rc;
}

int okno_profile_load(const char *path, struct okno_profile *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, g_strerror(errno));
        return OKNO_E_IO;
    }
    char *buf = g_malloc(OKNO_PROFILE_MAX_BYTES + 1);
    size_t n = fread(buf, 1, OKNO_PROFILE_MAX_BYTES + 1, f);
    int read_error = ferror(f);
    fclose(f);
    int rc;
    if (read_error) {
        if (errlen)
            snprintf(err, errlen, "%s: read error", path);
        rc = OKNO_E_IO;
    } else if (n > OKNO_PROFILE_MAX_BYTES) {
        if (errlen)
            snprintf(err, errlen, "%s: larger than %d bytes", path, OKNO_PROFILE_MAX_BYTES);
        rc = OKNO_E_IO;
    } else {
        rc = okno_profile_parse(buf, n, path, out, err, errlen);
    }
    g_free(buf);
    return rc;
}

void okno_profile_clear(struct okno_profile *p)
{
    okno_schedule_clear(&p->schedule);
}
