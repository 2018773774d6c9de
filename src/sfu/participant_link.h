/* A participant and the link memory (sfu/link_memory.h): what its client's links carried before
 * sets where its connections start, and what they carry now is learned once a second and stored
 * when it leaves.
 *
 * The uplink's rate is what okno received from the publisher in seconds when video flowed and
 * okno's cap stood well above it: the sender's own congestion control (its uplink) or its encoder
 * held it there, not okno. The downlink's is okno's estimate in seconds when the participant
 * wanted more than it (the link, not the content, held it). A static picture that its encoder
 * sends under the cap reads as a slow uplink: the next start is then lower than it could be, which
 * its start probes undo in a second. Worker thread. */
#ifndef OKNO_SFU_PARTICIPANT_LINK_H
#define OKNO_SFU_PARTICIPANT_LINK_H

#include <stdint.h>

struct okno_participant;

/* A browser's start rate, at which a client would start without a hint. */
#define OKNO_LINK_DEFAULT_START_BPS 300000u

/* Recalls what the memory knows of key (copied; NULL: nothing is recalled or learned). now_us is
 * wall-clock time, as for okno__participant_link_close (the memory may live in a file). */
void okno__participant_link_open(struct okno_participant *p, const char *key, int64_t now_us);

/* The start for the publisher's sender (0: its own default) and for okno's estimate of the
 * downlink (0: the bwe plugin's own). */
uint32_t okno__participant_link_up_start_bps(const struct okno_participant *p);
uint32_t okno__participant_link_down_start_bps(const struct okno_participant *p);

/* Samples the links, at most once a second each. */
void okno__participant_link_tick(struct okno_participant *p, int64_t now_us);

/* Stores what was learned (now_us: wall-clock time) and lets go of the key. */
void okno__participant_link_close(struct okno_participant *p, int64_t now_us);

#endif
