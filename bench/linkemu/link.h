/* The model of one direction of an emulated link, as the bench's user-space stand-in for netem.
 * A packet offered at now_us meets, in this order: an outage (everything offered is dropped),
 * random loss and Gilbert-Elliott burst loss (decided on arrival, so a lost packet uses no
 * capacity, as with netem's loss in front of a rate limiter), a drop-tail queue bounded in
 * milliseconds of queue delay at the current rate and/or in bytes, serialization at the capacity
 * by a token bucket, then a fixed one-way delay plus jitter (normal or uniform; with reordering
 * or, without it, never departing before the packet ahead). All randomness comes from seeded
 * xoshiro256** streams of its own, one per use, so a run repeats exactly for the same inputs and
 * does not depend on how often the owner polls.
 *
 * Time is a parameter (a monotonic microsecond clock) and the model holds no timer: the owner arms
 * one at okno_link_next_departure(). Every packet slot is allocated at create, so nothing is
 * allocated per packet. The model carries an opaque cookie and a length per packet, never the
 * bytes: the relay (relay.h) keeps those. It deliberately does not know about schedules (the
 * owner calls okno_link_set_params when one says so, see schedule.h) or sockets. */
#ifndef OKNO_BENCH_LINK_H
#define OKNO_BENCH_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linkemu/qdelay.h"

#define OKNO_LINK_MAX_CAPACITY_BPS 10000000000ULL /* 10 Gbit/s */
#define OKNO_LINK_MAX_DELAY_US     10000000LL     /* 10 s, delay and jitter each */
#define OKNO_LINK_MAX_QUEUE_US     60000000LL     /* 60 s */
#define OKNO_LINK_MAX_QUEUE_BYTES  1000000000ULL
#define OKNO_LINK_MAX_BURST_BYTES  10000000ULL
#define OKNO_LINK_MAX_PACKETS      (1u << 20) /* slots: queued plus in flight */
#define OKNO_LINK_MAX_LEN          65535u

enum okno_link_jitter_dist {
    OKNO_LINK_JITTER_NORMAL = 0,  /* jitter_us is the standard deviation */
    OKNO_LINK_JITTER_UNIFORM = 1, /* jitter_us is the half-width: delay +- jitter_us */
};

/* What one direction does to packets; changed at any time with okno_link_set_params. Zero for
 * every field is a perfect link: unlimited capacity, no delay, no loss, no queue bound. */
struct okno_link_params {
    uint64_t capacity_bps; /* token bucket rate; 0 is unlimited (no queue ever forms) */
    uint64_t burst_bytes;  /* bucket depth beyond one packet: bytes an idle link may send at
                              once with no serialization delay [0] */
    int64_t delay_us;      /* fixed one-way delay after serialization */
    int64_t jitter_us;     /* spread added to delay_us, see jitter_dist; a sample that would
                              make the delay negative is clamped to 0 */
    enum okno_link_jitter_dist jitter_dist;
    bool jitter_reorder; /* false: a packet never departs before the one ahead of it (it
                            waits behind it, which raises the mean delay when the jitter is
                            larger than the packet spacing) */
    double loss;         /* independent random loss probability, 0..1 */
    /* Gilbert-Elliott: a two-state Markov chain advanced once per packet offered (outside
       outages). All 0 turns it off. */
    double ge_p;          /* P(good -> bad) per packet, 0..1 */
    double ge_r;          /* P(bad -> good) per packet, 0..1; must be > 0 when ge_p > 0 */
    double ge_loss_good;  /* loss probability in the good state (1 - k), 0..1 */
    double ge_loss_bad;   /* loss probability in the bad state (1 - h), 0..1 */
    int64_t queue_us;     /* drop-tail bound: an arrival is dropped when the queue, itself
                             included, would take longer than this to drain at the current
                             rate; 0 is no time bound */
    uint64_t queue_bytes; /* drop-tail bound in bytes queued, itself included; 0 is none */
    bool outage;          /* every packet offered is dropped; queued ones still leave */
};

enum okno_link_verdict {
    OKNO_LINK_ACCEPTED = 0,
    OKNO_LINK_DROP_OUTAGE = 1,
    OKNO_LINK_DROP_LOSS = 2,     /* random loss */
    OKNO_LINK_DROP_GE_LOSS = 3,  /* Gilbert-Elliott loss */
    OKNO_LINK_DROP_QUEUE = 4,    /* drop-tail: queue_us or queue_bytes exceeded */
    OKNO_LINK_DROP_OVERFLOW = 5, /* every packet slot in use */
    OKNO_LINK_DROP_TOO_BIG = 6,  /* len 0 or above OKNO_LINK_MAX_LEN */
    OKNO_LINK_N_VERDICTS
};

struct okno_link_stats {
    uint64_t packets_in, bytes_in;          /* everything offered */
    uint64_t packets_out, bytes_out;        /* delivered by okno_link_dequeue */
    uint64_t dropped[OKNO_LINK_N_VERDICTS]; /* packets, by verdict; [0] stays 0 */
    uint64_t bytes_dropped;
    /* queue delay: arrival to the end of serialization, of packets that left the queue */
    uint64_t qdelay_count;
    int64_t qdelay_sum_us, qdelay_max_us;
    struct okno_qdelay_hist qdelay_hist; /* the same delays, for percentiles */
    /* now */
    size_t queued_packets; /* waiting or being serialized */
    uint64_t queued_bytes;
    size_t in_flight; /* serialized, waiting for their delay to pass */
};

struct okno_link;

/* Checks params: OKNO_E_INVAL for a probability outside 0..1 or not a number, ge_p > 0 with
 * ge_r == 0, a negative or absurd value (above the OKNO_LINK_MAX_* limits); 0 when usable. */
int okno_link_params_check(const struct okno_link_params *p);

/* Allocates a link with max_packets slots (queued plus in flight; 0 takes 4096) and a PRNG seeded
 * with seed; params is copied. Returns 0 and the link in *out (the caller owns it: destroy it),
 * OKNO_E_INVAL for bad params (okno_link_params_check) or max_packets above
 * OKNO_LINK_MAX_PACKETS, OKNO_E_NOMEM. *out is untouched on error. */
int okno_link_create(const struct okno_link_params *params, size_t max_packets, uint64_t seed,
                     struct okno_link **out);

/* Frees it and forgets the cookies it held (the owner frees what they stand for). NULL is a
 * no-op. */
void okno_link_destroy(struct okno_link *link);

/* Switches to new params from now_us: the queue drains at the old rate up to now_us and at the
 * new one after; packets already serialized keep their departure times; the queue bounds apply
 * to later arrivals (a rate cut can leave more queued than the new bound). Returns 0, or
 * OKNO_E_INVAL for bad params (the link is unchanged). */
int okno_link_set_params(struct okno_link *link, int64_t now_us,
                         const struct okno_link_params *params);

/* The params in force. */
const struct okno_link_params *okno_link_params(const struct okno_link *link);

/* Offers a packet of len bytes that arrives at now_us; cookie comes back from okno_link_dequeue
 * if it is delivered. Returns OKNO_LINK_ACCEPTED or the drop reason (the owner keeps the cookie's
 * resources then). A now_us earlier than an earlier call's is taken as that earlier time. */
enum okno_link_verdict okno_link_enqueue(struct okno_link *link, int64_t now_us, size_t len,
                                         uint64_t cookie);

/* The time of the model's next event: a packet's departure or the end of a packet's
 * serialization (after which its departure time is known). No packet departs before it; call
 * okno_link_dequeue at that time, which may then return nothing, and ask again. INT64_MAX when
 * the link is empty. Invalidates nothing. */
int64_t okno_link_next_departure(const struct okno_link *link);

/* Takes the packet departing first at or before now_us: returns 1 with its cookie and length in
 * *cookie and *len (either may be NULL), or 0 when none is due. Packets come out in departure
 * order (ties in arrival order). */
int okno_link_dequeue(struct okno_link *link, int64_t now_us, uint64_t *cookie, size_t *len);

/* A snapshot of the counters. */
void okno_link_stats(const struct okno_link *link, struct okno_link_stats *out);

/* Short name of a verdict ("queue", "ge-loss"); never NULL, static storage. */
const char *okno_link_verdict_name(enum okno_link_verdict v);

/* What Gilbert-Elliott params imply in the long run: the mean loss probability, and the mean
 * number of consecutive packets spent in the bad state (1 / ge_r; with ge_loss_bad 1 and
 * ge_loss_good 0, the mean length of a loss burst). Both 0 when the chain is off (ge_p 0). */
double okno_link_ge_mean_loss(const struct okno_link_params *p);
double okno_link_ge_mean_burst(const struct okno_link_params *p);

#endif
