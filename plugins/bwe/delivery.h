/* What feedback says about delivery, apart from the delay gradient: the throughput the receiver
 * acknowledged (bytes by arrival time over the last 500 ms, counted only over the arrival time
 * the feedback covered: a lost feedback packet leaves a hole that must not read as a slower link)
 * and the one-way queuing delay (the
 * one-way delay, send clock to receive clock, above its minimum over the last 30 s: clock offsets
 * cancel out, skew over 30 s is negligible), both the per-packet value and a per-feedback minimum
 * that filters jitter, plus the largest queuing delay of the last 5 s, against which a delay is
 * judged "the queue is full", and the queuing delays of the last packets received, whose minimum
 * over a stretch tells a queue that stayed filled from jitter. It deliberately makes no decision.
 */
#ifndef OKNO_PLUGINS_GCC_DELIVERY_H
#define OKNO_PLUGINS_GCC_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_GCC_ACK_WINDOW_US 500000
#define OKNO_GCC_ACK_RECORDS   64  /* feedbacks remembered: 3.2 s at one per 50 ms */
#define OKNO_GCC_BASE_BUCKETS  30  /* of 1 s */
#define OKNO_GCC_QMAX_BUCKETS  5   /* of 1 s */
#define OKNO_GCC_RECENT_Q      256 /* received packets remembered: 100 ms at 25 Mbit/s */

struct okno_gcc_delivery {
    /* per feedback: the arrival time it covers and the bytes received in it */
    struct okno_gcc_ack_rec {
        int64_t from_us, to_us;
        uint64_t bytes;
    } rec[OKNO_GCC_ACK_RECORDS];
    size_t rec_head, rec_n;
    bool any;
    int64_t first_arrival_us, latest_arrival_us;
    /* minimum one-way delay by 1 s slot of send time */
    int64_t base_slot[OKNO_GCC_BASE_BUCKETS];
    int64_t base_min[OKNO_GCC_BASE_BUCKETS];
    int64_t base_us;
    /* largest per-packet queuing delay by 1 s slot of send time */
    int64_t qmax_slot[OKNO_GCC_QMAX_BUCKETS];
    int64_t qmax[OKNO_GCC_QMAX_BUCKETS];
    /* the last packets received, in the order they were reported */
    struct okno_gcc_recent_q {
        int64_t send_us, q;
    } recent[OKNO_GCC_RECENT_Q];
    size_t recent_head, recent_n;
    /* this feedback */
    bool fb_any;
    int64_t fb_min_owd;
    int64_t fb_first_us, fb_last_us;
    uint64_t fb_bytes;
    uint32_t fb_first_bytes;
    int64_t queue_delay_us; /* min-filtered, as of the last feedback with a received packet */
};

void okno_gcc_delivery_init(struct okno_gcc_delivery *d);

/* A feedback starts: the per-feedback minimum restarts. */
void okno_gcc_delivery_begin(struct okno_gcc_delivery *d);

/* A packet arrived (unwrapped receiver time). Returns its queuing delay (0 or more). */
int64_t okno_gcc_delivery_on_received(struct okno_gcc_delivery *d, int64_t send_us,
                                      int64_t arrival_us, uint32_t bytes);

/* The feedback is over: updates the min-filtered queuing delay and records what it covered.
 * contiguous: it starts right after the previous feedback's last packet, so the time between
 * the two is covered too. */
void okno_gcc_delivery_end(struct okno_gcc_delivery *d, bool contiguous);

/* Acknowledged bit/s over the last 500 ms of arrivals, 0 while under 100 ms were covered. */
uint32_t okno_gcc_delivery_acked_bps(const struct okno_gcc_delivery *d);

/* The same over the last window_us (up to 500 ms; 0 while under half of it, or 100 ms, was
 * covered): a short window follows a capacity drop sooner. */
uint32_t okno_gcc_delivery_acked_recent_bps(const struct okno_gcc_delivery *d, int64_t window_us);

/* Forgets the base one-way delay: the next packets set it anew (the path got longer, so what
 * looked like a standing queue was not one). */
void okno_gcc_delivery_rebase(struct okno_gcc_delivery *d);

/* The largest per-packet queuing delay of the last 5 s of sending, as of send time now_us. */
int64_t okno_gcc_delivery_qmax(const struct okno_gcc_delivery *d, int64_t now_send_us);

/* The smallest queuing delay of the remembered packets received that were sent at from_send_us or
 * later (the newest OKNO_GCC_RECENT_Q at most); INT64_MAX when there is none. */
int64_t okno_gcc_delivery_qmin_since(const struct okno_gcc_delivery *d, int64_t from_send_us);

#endif
