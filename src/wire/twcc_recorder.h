/* The receiver side of transport-wide CC: records when each packet carrying a transport-wide
 * sequence number arrived, and turns what arrived since the previous feedback into feedback packets
 * (wire/twcc.h encodes them). Arrivals go into a fixed ring of OKNO_TWCC_RECORDER_SLOTS sequence
 * numbers inside the struct, so recording allocates nothing and costs O(1) per packet, jumps
 * included. Sequence numbers are unwrapped against the highest
 * one seen, so the 16-bit wrap, reordering and duplicates (the first arrival wins) are all handled
 * here.
 *
 * Late packets are reported again, as libwebrtc's receive-side proxy does: a packet older than the
 * previous feedback's end, but still inside the ring, moves the start of the next feedback back to
 * it, so the sender learns that a packet it was told was lost did arrive (the packets after it are
 * then reported twice, with the same times). A packet older than the ring's reach is dropped and
 * counted.
 *
 * It deliberately holds no timer and no transport: the caller asks okno_twcc_recorder_due when to
 * build, sends what okno_twcc_recorder_build writes, and passes time in as now_us. */
#ifndef OKNO_WIRE_TWCC_RECORDER_H
#define OKNO_WIRE_TWCC_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/twcc.h"

/* A power of two that divides 65536, so a 16-bit sequence number keeps its slot across the wrap. At
 * 1,000 packets a second and feedback every 100 ms, ten times what one feedback covers. */
#define OKNO_TWCC_RECORDER_SLOTS 1024

struct okno_twcc_recorder {
    /* configuration; opts.fb_count advances with every packet built */
    struct okno_twcc_build_opts opts;
    /* the window: sequence numbers unwrapped to 64 bits */
    bool started;
    int64_t max_seq;  /* highest sequence number recorded */
    int64_t next_seq; /* first one the next feedback reports; max_seq + 1 when nothing is pending */
    int64_t last_build_us;
    /* counters, for the stream's statistics */
    uint64_t duplicates; /* arrivals of a sequence number already recorded */
    uint64_t too_old;    /* arrivals from before the ring's reach, dropped */
    uint64_t unreported; /* sequence numbers that left the ring before any feedback covered them */
    /* storage */
    struct {
        int64_t seq; /* unwrapped; the slot is empty unless it is the one being looked up */
        int64_t arrival_us;
    } ring[OKNO_TWCC_RECORDER_SLOTS];
    /* The window in order, for the encoder. It stays valid from one build to the next while no
     * packet arrives, so draining a large window packet by packet orders it only once. */
    struct okno_twcc_entry scratch[OKNO_TWCC_RECORDER_SLOTS];
    int64_t scratch_seq; /* sequence number of scratch[0] */
    size_t scratch_len;  /* 0: to be rebuilt */
};

/* Resets rec to record a new stream, whose feedback packets carry these SSRCs and are at most
 * max_size bytes (0: only the buffer given to build limits them). No error; rec owns nothing and
 * needs no cleanup. */
void okno_twcc_recorder_init(struct okno_twcc_recorder *rec, uint32_t sender_ssrc,
                             uint32_t media_ssrc, size_t max_size);

/* Records that the packet with transport-wide sequence number seq arrived at arrival_us. Returns 0
 * when it was recorded; OKNO_E_EXISTS for a duplicate (the first arrival is kept); OKNO_E_RANGE
 * when it is more than OKNO_TWCC_RECORDER_SLOTS - 1 behind the newest and is dropped. A packet far
 * ahead moves the window: sequence numbers that fall out of the ring unreported are lost to
 * feedback (counted in unreported). Invalidates nothing the caller holds. */
int okno_twcc_recorder_on_packet(struct okno_twcc_recorder *rec, uint16_t seq, int64_t arrival_us);

/* Number of sequence numbers the next feedback will cover (received or not). */
size_t okno_twcc_recorder_pending(const struct okno_twcc_recorder *rec);

/* True when something is pending and at least interval_us have passed since the last build. */
bool okno_twcc_recorder_due(const struct okno_twcc_recorder *rec, int64_t now_us,
                            int64_t interval_us);

/* Writes one feedback packet into buf covering the oldest pending sequence numbers, from the start
 * of the window up to the newest arrival, and moves the window past them. One call may not cover
 * everything (a gap of more than 8 s between arrivals, or the size limit): call again until it
 * returns 0. Each packet takes the next feedback packet count. Returns the packet's size, 0 when
 * nothing is pending, or what okno_twcc_build returns on error (OKNO_E_NOSPC when cap cannot hold
 * one status), in which case nothing changes. Writes only buf; invalidates nothing. */
int okno_twcc_recorder_build(struct okno_twcc_recorder *rec, int64_t now_us, uint8_t *buf,
                             size_t cap);

#endif
