/* The pacer of okno-bench's sender: a preallocated pool of packet slots queued in four priority
 * classes (audio, retransmissions, video, padding) and a leaky-bucket budget at the pacing rate
 * (the owner sets it to 2.5 x the target, as browsers do). Audio leaves at once whatever the budget
 * (it only adds to the debt, so it never waits behind a video burst); the other classes leave in
 * class order, first in first out within a class, when the debt has drained. A short credit (2 ms
 * at the pacing rate) survives idle time so a late timer does not lose throughput, and no more:
 * bursts on the wire stay within a few ms. The pacing rate is the only rate while the queue stays
 * short: after the owner lowers it (a capacity drop), what is queued leaves at the new rate, not
 * at the old one. Only when the non-audio packets would wait longer than 2 s on average (the time
 * they have waited so far plus what the queue takes at the pacing rate) does the queue drain
 * faster, at the rate that keeps that average at 2 s, as libwebrtc's pacer does with its
 * kMaxExpectedQueueLength: a key frame at a low target is not delayed without bound, and a
 * backlog is not flushed into a link that just shrank. Time is a parameter; nothing is
 * allocated after init. It deliberately does not stamp, send or build packets (the sender does)
 * and knows nothing about probes (sent at their own rate beside it).
 *
 * A key frame flushes its stream (okno_pacer_flush_stream), as Chromium's pacer does (its
 * PacingController drops a stream's queued media and retransmissions when the first packet of a
 * key frame is queued and none is queued already): what waits behind a key frame is older than it
 * and useless once it arrives, and on an uplink that just shrank it would hold the key frame back
 * for as long as it takes to drain. Seen with Chromium 156 (session 18): a key frame that answered
 * a PLI while its pacer held a backlog came with picture IDs missing before it and no sequence
 * number missing, as libwebrtc numbers packets when they leave the pacer. */
#ifndef OKNO_BENCH_CALL_PACER_H
#define OKNO_BENCH_CALL_PACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet a slot holds: an RTX copy of a 1200-byte packet and some room. */
#define OKNO_PACER_PKT_MAX 1280

enum okno_pacer_class {
    OKNO_PACER_AUDIO = 0,
    OKNO_PACER_RTX,
    OKNO_PACER_VIDEO,
    OKNO_PACER_PADDING,
    OKNO_PACER_CLASSES
};

/* One queued packet; the sender fills buf and len and may use the tags. */
struct okno_pacer_pkt {
    uint8_t buf[OKNO_PACER_PKT_MAX];
    size_t len;
    size_t payload_len; /* RTP payload bytes, for the SR octet count */
    uint8_t cls;        /* enum okno_pacer_class */
    int8_t stream;      /* the sender's stream index (audio or a video encoding) */
    bool keyframe;      /* a video packet of a key frame */
    int64_t enqueued_us;
};

struct okno_pacer {
    struct okno_pacer_pkt *slots; /* owned, n_slots */
    uint32_t *free_list;          /* owned: indices of free slots */
    uint32_t n_slots, n_free;
    uint32_t *ring[OKNO_PACER_CLASSES]; /* owned: per class, a FIFO of slot indices */
    uint32_t head[OKNO_PACER_CLASSES], count[OKNO_PACER_CLASSES];
    uint64_t queued_bytes;
    uint64_t media_bytes;      /* of queued_bytes, the non-audio classes' */
    int64_t media_t0_us;       /* init time: enqueue times are summed relative to it */
    int64_t media_wait_sum_us; /* sum over non-audio packets of (enqueued_us - media_t0_us) */
    uint64_t rate_bps;
    int64_t debt;    /* bit-microseconds (bits x 10^6) still to drain; negative: credit */
    int64_t last_us; /* when debt was last drained */
};

/* Allocates n_slots (1..65536) slots. Returns 0, OKNO_E_INVAL, OKNO_E_NOMEM. */
int okno_pacer_init(struct okno_pacer *p, uint32_t n_slots, uint64_t rate_bps, int64_t now_us);
void okno_pacer_deinit(struct okno_pacer *p);

/* Sets the pacing rate (bit/s, at least 1) from now on. */
void okno_pacer_set_rate(struct okno_pacer *p, uint64_t rate_bps, int64_t now_us);

/* A free slot to fill and push, or NULL when the pool is exhausted. */
struct okno_pacer_pkt *okno_pacer_alloc(struct okno_pacer *p);
/* Gives back a slot that was allocated but will not be pushed. */
void okno_pacer_release(struct okno_pacer *p, struct okno_pacer_pkt *pkt);
/* Queues an allocated slot at the end of its class (pkt->cls). */
void okno_pacer_push(struct okno_pacer *p, struct okno_pacer_pkt *pkt, int64_t now_us);

/* The packet that may leave at now_us, taken off its queue (the caller sends it, then hands it to
 * okno_pacer_sent), or NULL; then *due_us says when the next one may (INT64_MAX: queue empty). */
struct okno_pacer_pkt *okno_pacer_pop(struct okno_pacer *p, int64_t now_us, int64_t *due_us);
/* A popped packet left (or failed to): charges the budget and frees the slot. */
void okno_pacer_sent(struct okno_pacer *p, struct okno_pacer_pkt *pkt, int64_t now_us);

/* Whether a video packet of a key frame of stream waits in the queue. */
bool okno_pacer_has_keyframe(const struct okno_pacer *p, int8_t stream);
/* Drops stream's queued video and retransmissions (audio and padding stay), keeping the order of
 * the rest, and frees their slots. Returns how many packets it dropped. */
uint32_t okno_pacer_flush_stream(struct okno_pacer *p, int8_t stream);

uint32_t okno_pacer_free_slots(const struct okno_pacer *p);
uint32_t okno_pacer_queued(const struct okno_pacer *p, enum okno_pacer_class cls);
uint64_t okno_pacer_queued_bytes(const struct okno_pacer *p);
/* How long the queue takes to drain at the pacing rate, in microseconds. */
int64_t okno_pacer_queue_us(const struct okno_pacer *p);
/* The bytes queued in the non-audio classes (retransmissions, video, padding): what an encoder's
 * next frame would wait behind (audio never waits). */
uint64_t okno_pacer_media_bytes(const struct okno_pacer *p);
/* How long those take to leave at the pacing rate, in microseconds. */
int64_t okno_pacer_media_queue_us(const struct okno_pacer *p);

#endif
