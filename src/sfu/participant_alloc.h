/* Layer allocation for one subscriber, on the room timer (the glue around sfu/allocator.h): every
 * OKNO_PARTICIPANT_ALLOC_INTERVAL_US it reads the subscriber connection's bandwidth estimate and
 * what each video it receives costs (the track's per encoding, per temporal layer meters), runs
 * the allocator,
 * applies each changed choice to the subscription's downtrack (a paused video forwards nothing, a
 * resumed one, and a switch to another simulcast encoding, start at a keyframe of that encoding
 * asked of the publisher through the track's coalescing requester, the old encoding forwarded
 * until it comes; a temporal layer change applies at the next frame) and tells the client with a
 * quality event (OKNO_SFU_EV_QUALITY) that carries the spatial layer.
 *
 * A simulcast track's encodings are costed at their measured rates; one the publisher does not
 * send now (its encoder stopped it because okno's cap left it no room: participant_pub_fb.h) at
 * its last measured rate, or a nominal one (okno.js's 150k/500k/1.5M) if it never came, so that a
 * subscriber with room can choose it and the cap then brings it back. The top encoding the cap
 * shapes to this subscriber's share (participant_pub_fb.h okno__participant_pub_fb_shaped), or one
 * above that it would be the only one to receive, follows its budget as a single encoding does:
 * it costs a floor (sfu/allocator.h elastic_floor_bps), so an estimate that dips does not move the
 * subscriber down an encoding the publisher is about to shrink anyway.
 *
 * A track okno receives as one encoding (no simulcast) is shaped by okno's own
 * REMB cap to fit its weakest subscriber (participant_pub_fb.h), so its measured rate is not what
 * it would cost once the encoder follows: its layers are costed as if it sent
 * OKNO_PUB_FB_MIN_VIDEO_BPS in all, the least at which the cap still asks for video, split over
 * temporal layers as measured. Such a video is thinned to its lower temporal layers, then paused,
 * only when the subscriber cannot take even that; a paused video then no longer holds its
 * publisher's cap down for the others.
 *
 * It deliberately does not estimate bandwidth (sub_bwe.h) or cap publishers
 * (participant_pub_fb.h). Allocates nothing. */
#ifndef OKNO_SFU_PARTICIPANT_ALLOC_H
#define OKNO_SFU_PARTICIPANT_ALLOC_H

#include <stdint.h>

struct okno_alloc_video;
struct okno_participant;
struct okno_subscription;
struct okno_track;

#define OKNO_PARTICIPANT_ALLOC_INTERVAL_US 100000

/* A collapse (the video restarts at a keyframe, see okno__participant_alloc_tick): the
 * estimate fell to under 1/OKNO_PARTICIPANT_COLLAPSE_FALL of what the video was forwarded at, with
 * at least OKNO_PARTICIPANT_COLLAPSE_LOSS of the packets lost or OKNO_PARTICIPANT_COLLAPSE_QUEUE_US
 * queued at the bottleneck; at most one per video per OKNO_PARTICIPANT_COLLAPSE_HOLD_US. */
#define OKNO_PARTICIPANT_COLLAPSE_FALL     2u
#define OKNO_PARTICIPANT_COLLAPSE_LOSS     0.05
#define OKNO_PARTICIPANT_COLLAPSE_QUEUE_US 150000
#define OKNO_PARTICIPANT_COLLAPSE_HOLD_US  2000000
/* The longest wait for the bottleneck's queue to drain before the keyframe is asked for. */
#define OKNO_PARTICIPANT_COLLAPSE_MAX_DRAIN_US 1000000

/* The room timer: an allocation round for p's videos when one is due and p has an estimate.
 *
 * At every call (not only when a round is due), when the estimate collapses under a video (a
 * capacity drop: what was forwarded at the old rate overflowed the bottleneck's queue and lost a
 * share of its packets, or filled it so far that it soon will), the video restarts at a keyframe
 * (sfu/downtrack.h okno_downtrack_restart): nothing of it is forwarded until the keyframe, what the
 * pacer still holds of it is dropped, and the publisher is asked for the keyframe so that it comes
 * as the queue the estimator reports has drained (at most OKNO_PARTICIPANT_COLLAPSE_MAX_DRAIN_US):
 * that long after the restart less the time the publisher's keyframes have taken to come
 * (sfu/keyframe_requester.h okno_keyframe_requester_response_us). Retransmission into the same
 * full queue comes too late for the lost frames, and a browser asks for a keyframe itself only
 * after up to 3 s without a decodable frame; asked by okno after its cap on the publisher fell
 * with the estimate, the keyframe comes at the rate that fits, into an empty queue. */
void okno__participant_alloc_tick(struct okno_participant *p, int64_t now_us);

/* The publisher SSRC s's downtrack is aimed at by the allocation (for keyframe requests on the
 * subscriber's behalf): the chosen encoding's while the publisher sends it
 * (okno_track_enc_flowing), else that of the highest encoding below it that is sent, else the
 * chosen one's (the nearest known below it while its own is not known); the track's first known
 * before any choice; 0 once the track ended. */
uint32_t okno__participant_alloc_source(const struct okno_subscription *s, int64_t now_us);

/* The encoding a quality event names (0 the lowest): that of okno__participant_alloc_source, the
 * one standing in when the chosen one is not sent, so that a client is told what it gets; the
 * choice when the source is none of the track's encodings. A stand-in that changes while the
 * choice does not (the publisher started or paused an encoding) is told too, reason "layers". */
unsigned okno__participant_alloc_shown_spatial(const struct okno_subscription *s, int64_t now_us);

/* What encoding s of simulcast track t costs in all, bits per second: as measured now, else (not
 * sent now, or sent at under half its recent peak: stopping or starting) its decaying recent peak,
 * else nominal. */
uint32_t okno__participant_alloc_enc_cost(const struct okno_track *t, unsigned s);

/* The room the publisher's cap leaves encoding s of t: its cost, at least its nominal rate (what
 * okno.js asks of it), so an encoder that sends less now can still reach its own target. */
uint32_t okno__participant_alloc_enc_room(const struct okno_track *t, unsigned s);

/* Which encodings of simulcast track t follow subscriber p's budget (allocator.h
 * elastic_floor_bps), set in v: the ones sent now that the cap would leave p's share once p
 * receives them, the top one shaped (participant_pub_fb.h okno__participant_pub_fb_shaped) when
 * p's share is the largest there, any above it, and the lowest when every other subscriber of t
 * is on it with no larger share (the cap would follow p's share once p is on it: a budget under
 * its rate now is a step down, not a pause); each at the least the encoder keeps it at. None
 * for a single encoding, or under a client's receive limit (a limit is not a rate to shape an
 * encoder to). */
void okno__participant_alloc_elastic(struct okno_alloc_video *v, const struct okno_participant *p,
                                     const struct okno_track *t);

#endif
