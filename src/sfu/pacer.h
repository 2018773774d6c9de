/* The pacer of one subscriber transport: every RTP packet okno sends a subscriber waits here in
 * one of four priority classes (audio, retransmissions, video, padding/probes) and leaves at the
 * pacing rate, the transport's bandwidth estimate times OKNO_PACER_FACTOR (libwebrtc's pacing
 * factor), in 5 ms steps driven by a timer. A keyframe's burst of 30 packets is spread over the
 * time the link needs for it instead of landing in a bottleneck queue in one go, so the
 * congestion controller sees the link and not okno's bursts. Audio is never held: it goes out at
 * the next step, first, whatever the budget says (it still counts against the budget).
 *
 * Memory is one ring of OKNO_PACER_SLOT_BYTES slots made at okno_pacer_new; enqueueing copies the
 * packet into a free slot, nothing is allocated per packet. The queue is bounded by time: video
 * and retransmissions that waited longer than the delay limit are dropped (counted) and so are
 * packets that find no free slot after the lowest class was evicted. A dropped video packet is a
 * hole the client NACKs or, when the cache has lost it, asks a keyframe for: the pacer does not
 * ask for keyframes itself, the downtrack and the track's keyframe requester do.
 *
 * The sender is a callback called at okno_pacer_process with the packet in its slot (room after
 * it for the SRTP trailer): it stamps the transport-wide sequence number and abs-send-time there,
 * protects and sends, so the numbers record when a packet left, not when it was queued. Time is
 * always a parameter. It deliberately knows nothing about SRTP, ICE or RTP beyond the length. */
#ifndef OKNO_SFU_PACER_H
#define OKNO_SFU_PACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfu/mtu.h"

/* The priority classes, highest first. */
enum okno_pacer_class {
    OKNO_PACER_AUDIO = 0,
    OKNO_PACER_RTX, /* retransmissions answering NACKs */
    OKNO_PACER_VIDEO,
    OKNO_PACER_PADDING, /* padding and probes: only when nothing else waits */
    OKNO_PACER_N_CLASSES
};

/* libwebrtc's pacing factor: the link is fed at 2.5 x the estimate so the pacer only smooths. */
#define OKNO_PACER_FACTOR_PERMILLE 2500u
/* The timer's step. */
#define OKNO_PACER_INTERVAL_US 5000
/* Slots of a subscriber transport: 2 s of a 2.5 Mbit/s video at 1,200 bytes a packet. */
#define OKNO_PACER_DEFAULT_SLOTS 512
/* A slot holds the largest packet and the SRTP trailer protection appends in place. */
#define OKNO_PACER_SLOT_BYTES (OKNO_MTU + 64)
/* Video and retransmissions older than this are dropped: the client's jitter buffer has moved on
 * and a NACK or keyframe request repairs faster than a queue that only grows. */
#define OKNO_PACER_DEFAULT_MAX_DELAY_US 400000
/* The pacing rate never goes below this, so a collapsed estimate cannot starve the transport. */
#define OKNO_PACER_MIN_RATE_BPS 50000u
/* Queue delay histogram: 1 ms buckets, the last one holds everything longer. */
#define OKNO_PACER_DELAY_BUCKETS 512

struct okno_pacer_stats {
    uint64_t enqueued[OKNO_PACER_N_CLASSES];
    uint64_t sent[OKNO_PACER_N_CLASSES];
    uint64_t sent_bytes[OKNO_PACER_N_CLASSES];
    uint64_t dropped_late[OKNO_PACER_N_CLASSES]; /* waited longer than the delay limit */
    uint64_t dropped_full[OKNO_PACER_N_CLASSES]; /* no slot (evicted or refused) */
    uint64_t dropped_big[OKNO_PACER_N_CLASSES];  /* larger than a slot: refused */
    uint64_t dropped_send[OKNO_PACER_N_CLASSES]; /* the send callback failed */
    uint64_t forgotten;                          /* dropped by okno_pacer_forget */
    uint32_t queued_packets;                     /* now */
    uint64_t queued_bytes;                       /* now */
    int64_t delay_max_us;                        /* longest wait of a sent packet */
    int64_t delay_p95_us;                        /* of every sent packet, 1 ms resolution */
    uint32_t rate_bps;                           /* pacing rate now; 0: unpaced */
};

/* Sends pkt[0..len) of class cls (tag as given to okno_pacer_enqueue) at now_us. The slot has cap
 * bytes: the callback may stamp and protect in place. Returns 0, or a negative code (the packet is
 * gone either way; counted as dropped_send). */
typedef int (*okno_pacer_send_fn)(void *ud, enum okno_pacer_class cls, void *tag, uint8_t *pkt,
                                  size_t len, size_t cap, int64_t now_us);

struct okno_pacer;

/* Makes a pacer with n_slots slots (0: OKNO_PACER_DEFAULT_SLOTS) and the default delay limit,
 * unpaced until okno_pacer_set_estimate. Cannot fail (g_new). Free with okno_pacer_free. */
struct okno_pacer *okno_pacer_new(unsigned n_slots);

/* Frees p and what it still holds (those packets are never sent). NULL is ignored. */
void okno_pacer_free(struct okno_pacer *p);

/* The transport's estimate in bits per second: the pacing rate becomes estimate x 2.5 (at least
 * OKNO_PACER_MIN_RATE_BPS). 0: no estimate, packets leave at the next step unpaced. */
void okno_pacer_set_estimate(struct okno_pacer *p, uint32_t estimate_bps);

/* How long video and retransmissions may wait (> 0). */
void okno_pacer_set_max_delay(struct okno_pacer *p, int64_t max_delay_us);

/* Copies pkt[0..len) into a slot of class cls, to be sent by a later okno_pacer_process; tag is
 * handed back to the send callback (borrowed: see okno_pacer_forget). When no slot is free the
 * oldest packet of the lowest class below cls is evicted for it (counted in that class's
 * dropped_full). Returns 0; OKNO_E_INVAL for an empty packet or a bad class; OKNO_E_RANGE for a
 * packet larger than a slot; OKNO_E_NOSPC when every slot holds cls or higher (the packet is
 * dropped and counted). Allocates nothing. */
int okno_pacer_enqueue(struct okno_pacer *p, enum okno_pacer_class cls, void *tag,
                       const uint8_t *pkt, size_t len, int64_t now_us);

/* The timer's step at now_us: drops what waited too long, then sends audio, then retransmissions,
 * video and padding while the budget (the pacing rate times the time since the last step, debt
 * carried over) lasts. Returns the number of packets handed to send. Allocates nothing. */
unsigned okno_pacer_process(struct okno_pacer *p, int64_t now_us, okno_pacer_send_fn send,
                            void *ud);

/* Drops every queued packet carrying tag (its owner is going away); counted as forgotten. */
void okno_pacer_forget(struct okno_pacer *p, const void *tag);

/* Queued packets of every class. */
unsigned okno_pacer_queued(const struct okno_pacer *p);

/* Bytes queued in every class. */
uint64_t okno_pacer_queued_bytes(const struct okno_pacer *p);

/* The counters and the current queue. */
void okno_pacer_stats(const struct okno_pacer *p, struct okno_pacer_stats *out);

#endif
