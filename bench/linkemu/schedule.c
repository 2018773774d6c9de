/* The link schedule (schedule.h). Changes sit in one sorted array: schedules are short (a few
 * dozen steps), so a query scans it rather than keeping a cursor, which keeps every query a pure
 * function of t. In a periodic schedule the state at t is the base, then one whole period's
 * changes (what earlier periods left behind: each parameter ends where the period last set it),
 * then the changes of the current period up to t. It deliberately knows no units or names: those
 * are params.h's. */
#include "linkemu/schedule.h"

#include <stdlib.h>
#include <string.h>

#include "linkemu/params.h"
#include "okno/err.h"

void okno_schedule_init(struct okno_schedule *s, const struct okno_link_params *up,
                        const struct okno_link_params *down)
{
    memset(s, 0, sizeof *s);
    if (up)
        s->base[0] = *up;
    if (down)
        s->base[1] = *down;
}

void okno_schedule_clear(struct okno_schedule *s)
{
    free(s->changes);
    s->changes = NULL;
    s->n_changes = 0;
    s->period_us = 0;
    s->outage_every_us = 0;
}

int okno_schedule_add(struct okno_schedule *s, int64_t at_us, unsigned dirs, int param,
                      double value, int line)
{
    if (at_us < 0 || at_us > OKNO_SCHEDULE_MAX_US || (s->period_us && at_us >= s->period_us) ||
        !(dirs & OKNO_DIR_BOTH) || (dirs & ~(unsigned)OKNO_DIR_BOTH) || param < 0 ||
        param >= OKNO_LP_COUNT)
        return OKNO_E_INVAL;
    if (s->n_changes >= OKNO_SCHEDULE_MAX_CHANGES)
        return OKNO_E_NOSPC;
    struct okno_schedule_change *c = realloc(s->changes, (s->n_changes + 1) * sizeof *c);
    if (!c)
        return OKNO_E_NOMEM;
    s->changes = c;
    size_t i = s->n_changes;
    while (i > 0 && c[i - 1].at_us > at_us) {
        c[i] = c[i - 1];
        i--;
    }
    c[i] = (struct okno_schedule_change){at_us, dirs, param, value, line};
    s->n_changes++;
    return 0;
}

int okno_schedule_set_period(struct okno_schedule *s, int64_t period_us)
{
    if (period_us < 0 || period_us > OKNO_SCHEDULE_MAX_US)
        return OKNO_E_INVAL;
    if (period_us && s->n_changes && s->changes[s->n_changes - 1].at_us >= period_us)
        return OKNO_E_INVAL;
    s->period_us = period_us;
    return 0;
}

int okno_schedule_set_outages(struct okno_schedule *s, int64_t every_us, int64_t duration_us,
                              int64_t first_us, unsigned dirs)
{
    if (every_us == 0) {
        s->outage_every_us = 0;
        return 0;
    }
    if (every_us < 0 || every_us > OKNO_SCHEDULE_MAX_US || duration_us <= 0 ||
        duration_us >= every_us || first_us < 0 || first_us > OKNO_SCHEDULE_MAX_US ||
        !(dirs & OKNO_DIR_BOTH) || (dirs & ~(unsigned)OKNO_DIR_BOTH))
        return OKNO_E_INVAL;
    s->outage_every_us = every_us;
    s->outage_duration_us = duration_us;
    s->outage_first_us = first_us;
    s->outage_dirs = dirs;
    return 0;
}

static void apply(struct okno_link_params *p, const struct okno_schedule_change *c)
{
    if (c->dirs & OKNO_DIR_UP)
        okno_link_param_apply(&p[0], c->param, c->value);
    if (c->dirs & OKNO_DIR_DOWN)
        okno_link_param_apply(&p[1], c->param, c->value);
}

static bool in_outage(const struct okno_schedule *s, int64_t t)
{
    if (!s->outage_every_us || t < s->outage_first_us)
        return false;
    return (t - s->outage_first_us) % s->outage_every_us < s->outage_duration_us;
}

void okno_schedule_params_at(const struct okno_schedule *s, int64_t t_us,
                             struct okno_link_params *up, struct okno_link_params *down)
{
    if (t_us < 0)
        t_us = 0;
    struct okno_link_params p[2] = {s->base[0], s->base[1]};
    int64_t phase = t_us;
    if (s->period_us) {
        if (t_us >= s->period_us)
            for (size_t i = 0; i < s->n_changes; i++)
                apply(p, &s->changes[i]);
        phase = t_us % s->period_us;
    }
    for (size_t i = 0; i < s->n_changes && s->changes[i].at_us <= phase; i++)
        apply(p, &s->changes[i]);
    if (in_outage(s, t_us)) {
        if (s->outage_dirs & OKNO_DIR_UP)
            p[0].outage = true;
        if (s->outage_dirs & OKNO_DIR_DOWN)
            p[1].outage = true;
    }
    if (up)
        *up = p[0];
    if (down)
        *down = p[1];
}

static int64_t next_timed(const struct okno_schedule *s, int64_t t)
{
    if (!s->n_changes)
        return INT64_MAX;
    if (!s->period_us) {
        for (size_t i = 0; i < s->n_changes; i++)
            if (s->changes[i].at_us > t)
                return s->changes[i].at_us;
        return INT64_MAX;
    }
    int64_t start = t / s->period_us * s->period_us;
    for (size_t i = 0; i < s->n_changes; i++)
        if (start + s->changes[i].at_us > t)
            return start + s->changes[i].at_us;
    return start + s->period_us + s->changes[0].at_us;
}

static int64_t next_outage_edge(const struct okno_schedule *s, int64_t t)
{
    if (!s->outage_every_us)
        return INT64_MAX;
    if (t < s->outage_first_us)
        return s->outage_first_us;
    int64_t k = (t - s->outage_first_us) / s->outage_every_us;
    int64_t start = s->outage_first_us + k * s->outage_every_us;
    int64_t end = start + s->outage_duration_us;
    return t < end ? end : start + s->outage_every_us;
}

int64_t okno_schedule_next_change(const struct okno_schedule *s, int64_t t_us)
{
    if (t_us < 0)
        t_us = -1; /* a change at 0 is still ahead */
    int64_t a = next_timed(s, t_us), b = next_outage_edge(s, t_us);
    return a < b ? a : b;
}

static int check_at(const struct okno_schedule *s, int64_t t)
{
    struct okno_link_params p[2];
    okno_schedule_params_at(s, t, &p[0], &p[1]);
    return okno_link_params_check(&p[0]) < 0 || okno_link_params_check(&p[1]) < 0 ? OKNO_E_INVAL
                                                                                  : 0;
}

int okno_schedule_check(const struct okno_schedule *s, const struct okno_schedule_change **bad)
{
    if (bad)
        *bad = NULL;
    if (okno_link_params_check(&s->base[0]) < 0 || okno_link_params_check(&s->base[1]) < 0)
        return OKNO_E_INVAL;
    /* Outages only set a boolean, so the states worth checking are those right after each change,
       in the first period and (when periodic) in a later one. */
    for (size_t i = 0; i < s->n_changes; i++) {
        int64_t t = s->changes[i].at_us;
        if (check_at(s, t) < 0 || (s->period_us && check_at(s, s->period_us + t) < 0)) {
            if (bad)
                *bad = &s->changes[i];
            return OKNO_E_INVAL;
        }
    }
    return 0;
}
