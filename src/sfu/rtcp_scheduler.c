/* The RTCP report timer's arithmetic: a randomised interval and a feedback floor. This file
 * deliberately decides nothing about what goes in a packet. */
#include "sfu/rtcp_scheduler.h"

#include "okno/err.h"

/* xorshift32 (Marsaglia): the state must never be 0. */
static uint32_t next_random(struct okno_rtcp_scheduler *s)
{
    uint32_t x = s->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rng = x;
    return x;
}

/* interval * [0.5, 1.5), with 2^-32 resolution; interval < 2^31 keeps the product in 64 bits. */
static int64_t randomised(struct okno_rtcp_scheduler *s, int64_t interval)
{
    uint64_t r = next_random(s);
    return interval / 2 + (int64_t)(((uint64_t)interval * r) >> 32);
}

int okno_rtcp_scheduler_init(struct okno_rtcp_scheduler *s, int64_t interval_us,
                             int64_t min_feedback_us, uint32_t seed, int64_t now_us)
{
    if (interval_us <= 0 || interval_us > OKNO_RTCP_MAX_INTERVAL_US || min_feedback_us < 0)
        return OKNO_E_INVAL;
    *s = (struct okno_rtcp_scheduler){
        .interval_us = interval_us,
        .min_feedback_us = min_feedback_us,
        .rng = seed ? seed : 0x9e3779b9u,
        .last_feedback_us = INT64_MIN,
    };
    s->next_report_us = now_us + randomised(s, interval_us / 2);
    return 0;
}

bool okno_rtcp_scheduler_report_due(const struct okno_rtcp_scheduler *s, int64_t now_us)
{
    return now_us >= s->next_report_us;
}

void okno_rtcp_scheduler_on_report_sent(struct okno_rtcp_scheduler *s, int64_t now_us)
{
    s->reports++;
    s->next_report_us = now_us + randomised(s, s->interval_us);
}

int64_t okno_rtcp_scheduler_feedback_at(const struct okno_rtcp_scheduler *s)
{
    if (s->last_feedback_us == INT64_MIN)
        return INT64_MIN;
    return s->last_feedback_us + s->min_feedback_us;
}

bool okno_rtcp_scheduler_feedback_allowed(const struct okno_rtcp_scheduler *s, int64_t now_us)
{
    return now_us >= okno_rtcp_scheduler_feedback_at(s);
}

void okno_rtcp_scheduler_on_feedback_sent(struct okno_rtcp_scheduler *s, int64_t now_us)
{
    s->feedback++;
    s->last_feedback_us = now_us;
}

int64_t okno_rtcp_scheduler_next_report(const struct okno_rtcp_scheduler *s)
{
    return s->next_report_us;
}
