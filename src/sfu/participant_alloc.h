/* Layer allocation for one subscriber, on the room timer (the glue around sfu/allocator.h): every
 * OKNO_PARTICIPANT_ALLOC_INTERVAL_US it reads the subscriber connection's bandwidth estimate and
 * what each video it receives costs (the track's per temporal layer meter), runs the allocator,
 * applies each changed choice to the subscription's downtrack (a paused video forwards nothing, a
 * resumed one starts at a keyframe asked of the publisher through the track's coalescing
 * requester, a temporal layer change applies at the next frame) and tells the client with a
 * quality event (OKNO_SFU_EV_QUALITY).
 *
 * A track okno receives as one encoding (no simulcast: every track today) is shaped by okno's own
 * REMB cap to fit its weakest subscriber (participant_pub_fb.h), so its measured rate is not what
 * it would cost once the encoder follows: its layers are costed as if it sent
 * OKNO_PUB_FB_MIN_VIDEO_BPS in all, the least at which the cap still asks for video, split over
 * temporal layers as measured. Such a video is thinned to its lower temporal layers, then paused,
 * only when the subscriber cannot take even that; a paused video then no longer holds its
 * publisher's cap down for the others. Spatial choices need simulcast reception, which
 * the tracks do not do yet (track.h): the allocator supports them, nothing feeds them.
 *
 * It deliberately does not estimate bandwidth (sub_bwe.h) or cap publishers
 * (participant_pub_fb.h). Allocates nothing. */
#ifndef OKNO_SFU_PARTICIPANT_ALLOC_H
#define OKNO_SFU_PARTICIPANT_ALLOC_H

#include <stdint.h>

struct okno_participant;

#define OKNO_PARTICIPANT_ALLOC_INTERVAL_US 100000

/* The room timer: an allocation round for p's videos when one is due and p has an estimate. */
void okno__participant_alloc_tick(struct okno_participant *p, int64_t now_us);

#endif
