/* The sender's retransmission history for one video stream: a preallocated ring of the packets
 * sent lately, indexed by sequence number, so a NACK can be answered with an RTX copy (RFC 4588).
 * Packets older than max_age_us are forgotten (a browser keeps max(1 s, 3 x RTT)), and a packet is
 * not handed out again sooner than the caller's minimum interval (one RTT in browsers), so
 * repeated NACKs for one loss do not multiply the retransmissions. Time is a parameter; nothing is
 * allocated after init. It deliberately does not build RTX packets (wire/rtx.h and the sender do)
 * nor decide what to resend for probing. */
#ifndef OKNO_BENCH_CALL_RTX_HISTORY_H
#define OKNO_BENCH_CALL_RTX_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_RTX_HISTORY_PKT_MAX 1250

struct okno_rtx_history_slot {
    uint8_t buf[OKNO_RTX_HISTORY_PKT_MAX];
    uint16_t len; /* 0: empty */
    uint16_t seq;
    int64_t sent_us;
    int64_t resent_us; /* INT64_MIN: never resent */
};

struct okno_rtx_history {
    struct okno_rtx_history_slot *slots; /* owned */
    uint32_t mask;                       /* slots - 1 */
    int64_t max_age_us;
};

/* Allocates slots (a power of two, 16..65536) entries keeping packets up to max_age_us. Returns 0,
 * OKNO_E_INVAL, OKNO_E_NOMEM. */
int okno_rtx_history_init(struct okno_rtx_history *h, uint32_t slots, int64_t max_age_us);
void okno_rtx_history_deinit(struct okno_rtx_history *h);

/* Changes how long packets are kept (browsers keep max(1 s, 3 x RTT)); at least 1 us. */
void okno_rtx_history_set_max_age(struct okno_rtx_history *h, int64_t max_age_us);

/* Keeps a copy of a packet with sequence number seq sent at now_us (replacing whatever had the
 * same slot). Returns 0 or OKNO_E_RANGE for a packet longer than a slot (not kept). */
int okno_rtx_history_put(struct okno_rtx_history *h, uint16_t seq, const uint8_t *pkt, size_t len,
                         int64_t now_us);

/* The kept packet with sequence number seq, for resending at now_us: sets *len and marks it
 * resent. NULL when it is not kept (never sent, overwritten, older than max_age_us) or was resent
 * less than min_interval_us ago. The pointer is valid until the next put. */
const uint8_t *okno_rtx_history_take(struct okno_rtx_history *h, uint16_t seq, int64_t now_us,
                                     int64_t min_interval_us, size_t *len);

#endif
