/* The sender's memory of what it sent, for matching transport-cc feedback: a ring of the last
 * OKNO_GCC_HISTORY_SIZE packets indexed by the unwrapped transport-wide sequence number (send time,
 * size, probe cluster, and whether feedback already reported the packet, so duplicated or
 * overlapping feedback is not counted twice). It also unwraps the two counters feedback carries:
 * the 16-bit sequence number and the receiver's 24-bit reference time. It deliberately does not
 * interpret arrivals (trendline.h, delivery.h do). */
#ifndef OKNO_PLUGINS_GCC_SEND_HISTORY_H
#define OKNO_PLUGINS_GCC_SEND_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 2^13 packets: 8 s at 1000 packets/s (10 Mbit/s of 1200-byte packets), longer than any feedback
 * is worth waiting for. Must stay a power of two. */
#define OKNO_GCC_HISTORY_SIZE 8192u

enum okno_gcc_fb_state { OKNO_GCC_FB_NONE = 0, OKNO_GCC_FB_LOST = 1, OKNO_GCC_FB_RECEIVED = 2 };

struct okno_gcc_sent {
    int64_t seq; /* unwrapped; -1 for a slot never used */
    int64_t send_us;
    uint32_t bytes;
    uint8_t cluster; /* probe cluster id (probe.h), 0: not a probe */
    uint8_t fb;      /* enum okno_gcc_fb_state */
};

struct okno_gcc_history {
    struct okno_gcc_sent ring[OKNO_GCC_HISTORY_SIZE];
    int64_t last_seq; /* highest unwrapped sequence number sent; -1 before the first */
    bool have_arrival;
    int64_t last_arrival_us; /* the last unwrapped arrival time feedback gave */
};

void okno_gcc_history_init(struct okno_gcc_history *h);

/* Records a packet; returns its unwrapped sequence number (the one nearest the last sent, so a
 * packet sent out of order keeps its place). */
int64_t okno_gcc_history_add(struct okno_gcc_history *h, uint16_t seq, uint32_t bytes,
                             int64_t send_us, uint8_t cluster);

/* The slot of a packet feedback reports by its 16-bit number, or NULL when it was never sent or
 * has left the ring. */
struct okno_gcc_sent *okno_gcc_history_find(struct okno_gcc_history *h, uint16_t seq);

/* Unwraps an arrival time rebuilt from a sign-extended 24-bit reference time: adds the multiple
 * of OKNO_TWCC_REF_PERIOD_US that brings it nearest the previous one. */
int64_t okno_gcc_history_unwrap_arrival(struct okno_gcc_history *h, int64_t arrival_us);

#endif
