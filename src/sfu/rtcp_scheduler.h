/* When one RTCP sender of the SFU (a peer connection's reports for its streams) sends what: regular
 * reports at a fixed mean interval, randomised to 0.5-1.5 times it as RFC 3550 6.3.5 does so that
 * the reports of many streams started together do not stay in lockstep, and feedback (NACK, PLI,
 * FIR) early whenever it is needed, as RFC 4585's immediate mode allows, but never closer than a
 * minimum interval, which bounds what a storm of losses can cost the uplink of a poor link.
 *
 * Simplified for an SFU on purpose: the interval is given (1 s for video, 5 s for audio suit us)
 * instead of derived from the session bandwidth and member count, since an SFU peer connection has
 * two members and a known bitrate; so there is no timer reconsideration either, and no division by
 * e - 3/2 (which compensates for reconsideration only). The first report comes after half an
 * interval (randomised the same way), as RFC 3550 halves the first. The random numbers come from a
 * seeded xorshift, so tests and replays are deterministic. Time is a parameter (now_us). */
#ifndef OKNO_SFU_RTCP_SCHEDULER_H
#define OKNO_SFU_RTCP_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#define OKNO_RTCP_VIDEO_INTERVAL_US 1000000
#define OKNO_RTCP_AUDIO_INTERVAL_US 5000000
/* About 35 minutes: far beyond any use, and keeps the randomising arithmetic in 64 bits. */
#define OKNO_RTCP_MAX_INTERVAL_US ((int64_t)1 << 31)

struct okno_rtcp_scheduler {
    /* configuration */
    int64_t interval_us;
    int64_t min_feedback_us;
    /* state */
    uint32_t rng;
    int64_t next_report_us;
    int64_t last_feedback_us; /* INT64_MIN before the first */
    /* counters */
    uint64_t reports;
    uint64_t feedback;
};

/* Starts a schedule at now_us: regular reports every interval_us on average (1 to
 * OKNO_RTCP_MAX_INTERVAL_US), feedback at
 * least min_feedback_us apart (>= 0; 0 = whenever). seed picks the random sequence (any value, 0
 * included). Returns 0 or OKNO_E_INVAL. Owns nothing. */
int okno_rtcp_scheduler_init(struct okno_rtcp_scheduler *s, int64_t interval_us,
                             int64_t min_feedback_us, uint32_t seed, int64_t now_us);

/* True when the regular report is due at now_us. */
bool okno_rtcp_scheduler_report_due(const struct okno_rtcp_scheduler *s, int64_t now_us);

/* A regular report (compound SR/RR with SDES, maybe with feedback appended) was sent at now_us:
 * the next one is scheduled a randomised interval later. */
void okno_rtcp_scheduler_on_report_sent(struct okno_rtcp_scheduler *s, int64_t now_us);

/* True when feedback may be sent at now_us (the minimum interval since the last has passed). */
bool okno_rtcp_scheduler_feedback_allowed(const struct okno_rtcp_scheduler *s, int64_t now_us);

/* Feedback was sent at now_us, alone (reduced-size) or in a compound packet. */
void okno_rtcp_scheduler_on_feedback_sent(struct okno_rtcp_scheduler *s, int64_t now_us);

/* When feedback is next allowed (possibly already past). */
int64_t okno_rtcp_scheduler_feedback_at(const struct okno_rtcp_scheduler *s);

/* When the next regular report is due. */
int64_t okno_rtcp_scheduler_next_report(const struct okno_rtcp_scheduler *s);

#endif
