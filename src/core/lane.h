/* A lane: a single-producer single-consumer ring of preallocated packet slots from one thread (the
 * producer, a media worker) to the GMainContext of another (the consumer). The producer copies a
 * packet into a slot with a handler and an object; the consumer's thread calls handler(obj, slot)
 * in push order. Nothing is allocated per packet; a full ring drops the packet and counts it.
 *
 * Wake-ups are few: a push wakes the consumer (one eventfd write) only when the consumer is idle
 * (it has drained everything and sleeps); while it is busy, pushes only mark the lane, and the
 * producer's context wakes it, if need be, before the producer next sleeps. So a burst of packets
 * costs a wake only each time the consumer has caught up with it, not one per packet.
 *
 * Objects named by queued slots must live until the consumer has handled them: okno_lane_retire
 * hands the consumer a free function that runs after every slot pushed before it. Deliberately
 * not here: several producers, priorities, back-pressure beyond the drop, or which worker a peer's
 * packets should go to (core/worker places them). */
#ifndef OKNO_CORE_LANE_H
#define OKNO_CORE_LANE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "okno/err.h"

/* Bytes a slot holds: the largest datagram (1500) plus the SRTP trailer protection appends in
 * place, rounded up. */
#define OKNO_LANE_SLOT_BYTES 1536

/* Slots a consumer handles before it flushes and releases them (okno_lane_set_flush). */
#define OKNO_LANE_BATCH 64

/* Runs on the consumer's thread for one slot. data is the slot, cap OKNO_LANE_SLOT_BYTES, 8-byte
 * aligned, modifiable in place and valid until the lane's flush function has run after it (during
 * the call only when the lane has none). */
typedef void (*okno_lane_fn)(void *obj, unsigned kind, uint8_t *data, size_t len, size_t cap);

struct okno_lane;

/* Creates a lane of slots slots (a power of two, 2..65536) from the thread running producer to
 * the thread running consumer; both contexts are borrowed and must outlive the lane (either may
 * be NULL in tests, which then call okno_lane_flush and okno_lane_drain themselves). Returns 0
 * and *out, or OKNO_E_INVAL. */
int okno_lane_new(GMainContext *producer, GMainContext *consumer, unsigned slots,
                  struct okno_lane **out);

/* Producer thread only. Copies data[0..len) into the next slot for fn(obj, kind, ...). Returns 0,
 * OKNO_E_AGAIN when the ring is full (the packet is dropped and counted), OKNO_E_NOSPC when len
 * exceeds OKNO_LANE_SLOT_BYTES. */
int okno_lane_push(struct okno_lane *lane, okno_lane_fn fn, void *obj, unsigned kind,
                   const uint8_t *data, size_t len);

/* flush() runs on the consumer's thread after every run of up to OKNO_LANE_BATCH slots handled,
 * before those slots are released to the producer (and before objects retired after them are
 * freed), so a consumer may only stage work in the slots and finish it there (net/egress sends a
 * run of packets in one system call). Set it before the first push; any thread; NULL: none. */
void okno_lane_set_flush(struct okno_lane *lane, void (*flush)(void));

/* Producer thread only. free_fn(obj) runs on the consumer's thread once every slot pushed before
 * this call has been handled (or at okno_lane_free if the consumer never gets to it). Never
 * fails: the list of retired objects is not the ring. */
void okno_lane_retire(struct okno_lane *lane, void (*free_fn)(void *obj), void *obj);

/* Producer thread only: wakes the consumer now if anything was pushed or retired since the last
 * flush and the consumer is idle. The producer's context does this before every poll by itself. */
void okno_lane_flush(struct okno_lane *lane);

/* Consumer thread only: handles up to max queued slots (0: all there are), then runs the retired
 * objects' free functions that are due. Returns the number of slots handled. The consumer's
 * context does this by itself when woken. */
unsigned okno_lane_drain(struct okno_lane *lane, unsigned max);

/* Packets dropped because the ring was full, and pushed in all. Any thread (a snapshot). */
uint64_t okno_lane_drops(const struct okno_lane *lane);
uint64_t okno_lane_pushed(const struct okno_lane *lane);

/* Frees the lane once neither context runs any more (after their threads stopped): sources
 * detached, retired objects' free functions run on the calling thread, queued slots discarded.
 * NULL is ignored. */
void okno_lane_free(struct okno_lane *lane);

#endif
