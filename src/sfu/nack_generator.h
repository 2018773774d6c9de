/* Publisher-side NACK generation for one received RTP stream (after RTX unwrap). Every received
 * sequence number is fed in with its arrival time; gaps become entries of a missing list (fixed
 * capacity, allocated at create) holding when the number went missing, how often it was NACKed and
 * when last. okno_nack_generator_poll says which numbers to NACK now: the first time after a short
 * reorder wait, then again every max(RTT, a floor) while the packet stays missing, so a lost
 * retransmission is asked for again, at most a fixed number of times and never for a packet so old
 * that the decoder has moved on. When the list overflows or a gap is too large to repair, it tells
 * the owner to ask for a keyframe instead.
 *
 * Time is a parameter (now_us, a monotonic microsecond clock) and the RTT is given to every poll,
 * so the stage holds no timer: okno_nack_generator_next_wakeup tells the owner when to poll again.
 * It deliberately does not build the RTCP packet (wire/rtcp_fb.h does, from the numbers poll
 * returns), keep the packets (packet_cache.h), or request the keyframe itself
 * (keyframe_requester.h). */
#ifndef OKNO_SFU_NACK_GENERATOR_H
#define OKNO_SFU_NACK_GENERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tuning. A zero field takes the default in brackets. */
struct okno_nack_config {
    size_t capacity; /* missing numbers tracked at once, at most 16384 [1000] */
    int64_t
        reorder_wait_us; /* before the first NACK of a number, for reordering to settle [10 ms] */
    int64_t min_interval_us; /* floor of the re-NACK interval, whatever the RTT [20 ms] */
    int64_t default_rtt_us;  /* used while the RTT is unknown (poll given rtt_us <= 0) [100 ms] */
    int64_t max_age_us;      /* a number missing longer than this is given up [1 s] */
    uint32_t max_seq_age; /* ... and so is one this far behind the newest, at most 16384 [1000] */
    uint32_t max_retries; /* NACKs per number, at most 255 [10] */
    /* Playout budget: a number is not NACKed (again) once its age plus half the RTT exceeds the
     * budget plus the RTT (a receiver that NACKs holds video about an RTT longer): it could no
     * longer be played. It stays tracked until max_age_us, so a retransmission already in flight
     * still counts as recovered. [0: none] */
    int64_t deadline_us;
};

/* What okno_nack_generator_on_packet reports, as bits. */
enum okno_nack_result {
    OKNO_NACK_NEW = 1 << 0,       /* newest so far (possibly after a gap) */
    OKNO_NACK_RECOVERED = 1 << 1, /* filled a gap that had been NACKed */
    OKNO_NACK_REORDERED = 1 << 2, /* filled a gap before any NACK went out */
    OKNO_NACK_DUPLICATE = 1 << 3, /* not missing: already received, given up, or too old */
    OKNO_NACK_KEYFRAME = 1 << 4,  /* the list overflowed or a gap cannot be repaired: request a
                                     keyframe (keyframe_requester.h) */
};

/* How a packet came in, as bits for okno_nack_generator_on_packet. */
enum okno_nack_packet_flags {
    OKNO_NACK_PKT_RETRANSMISSION = 1 << 0, /* it came as RTX (counted; it still fills its gap) */
    OKNO_NACK_PKT_KEYFRAME = 1 << 1,       /* the first packet of a keyframe: everything missing
                                              before it is no longer needed */
};

struct okno_nack_stats {
    uint64_t missing;             /* numbers that went missing (each once) */
    uint64_t nacked;              /* numbers put into NACKs, each repeat counted */
    uint64_t recovered;           /* missing numbers that arrived after a NACK */
    uint64_t reordered;           /* missing numbers that arrived before any NACK */
    uint64_t given_up;            /* removed unrecovered: too old, or overflow */
    uint64_t cleared_by_keyframe; /* removed unrecovered because a keyframe made them useless */
    uint64_t retransmissions;     /* packets received with OKNO_NACK_PKT_RETRANSMISSION */
    uint64_t keyframe_requests;   /* times OKNO_NACK_KEYFRAME was returned */
    uint64_t too_late; /* numbers no longer NACKed because deadline_us had passed (each once) */
    uint64_t holds;    /* okno_nack_generator_hold calls */
};

struct okno_nack_generator;

/* Allocates a generator; cfg may be NULL for all defaults and is copied. Returns 0 and the
 * generator in *out (the caller owns it: destroy it), OKNO_E_INVAL for a capacity, max_seq_age or
 * max_retries above their limits or a negative duration, OKNO_E_NOMEM. *out is untouched on error.
 */
int okno_nack_generator_create(const struct okno_nack_config *cfg,
                               struct okno_nack_generator **out);

/* Frees it. NULL is a no-op. */
void okno_nack_generator_destroy(struct okno_nack_generator *ng);

/* Takes one received packet's sequence number. A number newer than the newest adds the numbers
 * skipped to the missing list (dropping the oldest entries and returning OKNO_NACK_KEYFRAME if they
 * do not fit); a jump of more than max_seq_age ahead, or of 16384 or more back (the sender
 * restarted its counter), empties the list, restarts from seq and returns OKNO_NACK_KEYFRAME. An
 * older number leaves the list if it was in it. Returns a non-zero set of enum okno_nack_result
 * bits; never fails. */
unsigned okno_nack_generator_on_packet(struct okno_nack_generator *ng, uint16_t seq,
                                       unsigned pkt_flags, int64_t now_us);

/* When the number the last okno_nack_generator_on_packet call took out of the missing list
 * (OKNO_NACK_RECOVERED or OKNO_NACK_REORDERED) went missing: the time it was expected. -1 when
 * that call filled no gap. */
int64_t okno_nack_generator_last_missing_us(const struct okno_nack_generator *ng);

/* Writes into out[0..cap) the numbers to NACK at now_us, ascending in RTP order (ready for
 * okno_rtcp_nack_build), and marks them sent; rtt_us <= 0 means unknown. Numbers past max_age_us,
 * max_seq_age or max_retries are given up on the way, and numbers past deadline_us with this RTT
 * (default_rtt_us while unknown) are no longer NACKed (counted too_late). When more are due than
 * cap, the oldest go first and the rest stay due for the next poll. Returns the count written (0
 * when nothing is due or cap is 0); never fails. */
size_t okno_nack_generator_poll(struct okno_nack_generator *ng, int64_t now_us, int64_t rtt_us,
                                uint16_t *out, size_t cap);

/* When the next poll can have something to do (a first NACK due, a re-NACK at the earliest the
 * floor allows, an entry to give up), independent of the RTT: arming one timer for it is never
 * late, and at worst the poll finds a re-NACK still waiting for the RTT and the owner re-arms.
 * INT64_MAX when nothing is missing. Invalidates nothing. */
int64_t okno_nack_generator_next_wakeup(const struct okno_nack_generator *ng);

/* A keyframe was asked for because what is missing cannot be repaired in time (the publisher's
 * uplink collapsed): nothing is NACKed until the first packet of the next keyframe arrives or
 * until_us passes (the owner passes the time its keyframe request is repeated). Retransmissions of
 * packets that keyframe makes useless would cross the same collapsed uplink ahead of it, and spend
 * the publisher's retransmission budget (a browser's is its target rate) that the keyframe's own
 * lost packets need. Numbers go on being tracked: the keyframe clears those before it and the
 * rest are NACKed as usual; a hold that ends at until_us gives up what went missing before then
 * (counted given_up), as the repeated request makes it useless too. Holds only ever extend. */
void okno_nack_generator_hold(struct okno_nack_generator *ng, int64_t until_us);

/* Missing numbers currently tracked. */
size_t okno_nack_generator_missing_count(const struct okno_nack_generator *ng);

/* A snapshot of the counters. */
void okno_nack_generator_stats(const struct okno_nack_generator *ng, struct okno_nack_stats *out);

#endif
