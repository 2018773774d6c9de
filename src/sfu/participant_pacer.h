/* The pacer of a participant's subscriber connection on the room's worker (the glue around
 * sfu/pacer.h): made with the connection, every RTP packet to the subscriber (forwarded media as
 * audio or video, answers to NACKs as retransmissions) goes through it, and a timer source on the
 * room's GMainContext, armed only while something waits, steps it every OKNO_PACER_INTERVAL_US.
 * Each step reads the connection's bandwidth estimate for the pacing rate (unpaced without one,
 * and with [media] pacing = false: packets then leave as they come, in class order).
 * A packet is numbered (transport-wide sequence, abs-send-time: sfu/sub_bwe.h), counted in its
 * subscription's sender statistics, protected and sent when it leaves the pacer, so the estimator
 * sees the paced departures. Each step also lets the connection's prober (sfu/participant_probe.h)
 * add its padding and raise the rate to a running probe cluster's; the timer keeps stepping while
 * a cluster runs or padding fills.
 *
 * It deliberately does not choose what to send (the downtracks and the allocator do) nor ask for
 * keyframes when the pacer drops video (the client's NACK or PLI does, through the downtrack). */
#ifndef OKNO_SFU_PARTICIPANT_PACER_H
#define OKNO_SFU_PARTICIPANT_PACER_H

#include <stddef.h>
#include <stdint.h>

#include "sfu/pacer.h"

struct okno_participant;
struct okno_subscription;

/* Makes p's pacer and its timer (once; p->sub_peer exists). Cannot fail. */
void okno__participant_pacer_open(struct okno_participant *p);

/* Logs the pacer's counters, stops its timer and frees it with what it holds. No-op without one. */
void okno__participant_pacer_close(struct okno_participant *p);

/* Queues pkt[0..len) (an RTP packet written for sub, which the pacer borrows until it is sent or
 * okno__participant_pacer_forget) in class cls and sends what the budget allows at once: audio,
 * and everything while unpaced, leaves before this returns. Returns 0 or okno_pacer_enqueue's
 * error (the packet is dropped and counted). Allocates nothing. */
int okno__participant_pace(struct okno_participant *p, struct okno_subscription *sub,
                           enum okno_pacer_class cls, const uint8_t *pkt, size_t len,
                           int64_t now_us);

/* sub's queued packets are dropped (its track leaves the section). */
void okno__participant_pacer_forget(struct okno_participant *p,
                                    const struct okno_subscription *sub);

/* The pacer's counters; zeroes without a subscriber connection. */
void okno_participant_pacer_stats(const struct okno_participant *p, struct okno_pacer_stats *out);

#endif
