/* The feedback a participant's publisher transport gets (the glue around sfu/pub_fb.h): what the
 * publisher's offer negotiated, the cap okno puts on the publisher, and the room timer's sending of
 * transport-cc feedback and REMB on the publisher connection, each as a compound that starts with
 * an empty receiver report (valid whether or not reduced-size RTCP was negotiated). Packets are
 * recorded by participant_media.c, which calls okno_pub_fb_on_rtp first for every RTP packet.
 *
 * It deliberately does not estimate the uplink (the publisher's browser does, from the feedback)
 * and does not choose layers for subscribers. */
#ifndef OKNO_SFU_PARTICIPANT_PUB_FB_H
#define OKNO_SFU_PARTICIPANT_PUB_FB_H

#include <stdint.h>

#include "sfu/allocator.h"
#include "sfu/negotiate.h"

struct okno_participant;
struct okno_track;

/* What okno lets the publisher p send, bits per second, as its REMB says: while someone receives
 * one of p's video tracks (a subscriber whose video of it the allocator paused does not count:
 * sfu/participant_alloc.h), what the weakest of them can take (its bandwidth estimate less
 * OKNO_ALLOC_AUDIO_BPS (the allocator's audio reserve) per audio it receives, split over its
 * videos, plus p's own audio), at most [media] max_publisher_kbps (no estimate yet: that maximum);
 * otherwise at most OKNO_PUB_FB_UNWATCHED_BPS (nobody needs more, and the uplink is kept free).
 * That floor is a browser's start rate, not lower: a browser capped lower while it waits alone
 * climbs back only a few per cent a second once someone watches (Chromium does not probe again), so
 * a consultation would start blurred. Issue 5's allocator lowers it to the most any subscriber
 * receives. */
#define OKNO_PUB_FB_UNWATCHED_BPS 300000u
/* Below this a subscriber's share still asks for video: the publisher's encoder drops frames
 * rather than the call losing video altogether. */
#define OKNO_PUB_FB_MIN_VIDEO_BPS 50000u
/* A simulcast track (two or more encodings) is not held to its weakest subscriber: each subscriber
 * is forwarded the encoding that fits it (participant_alloc.h), so its share of the cap is what
 * the encodings anybody receives cost (every encoding up to the highest chosen, or announced by
 * a subscriber's allocation as the one it may move to soon, sfu/allocator.h ahead_spatial, so that
 * the encoder has started it by then: the encoder fills lower ones first), plus this much headroom
 * for the encoder to follow its content (but with a subscriber's share to follow, the encodings
 * below the top one at their cost and the top one that share: okno__participant_pub_fb_shaped);
 * nobody receiving it, its lowest encoding's. The encodings
 * left no room are the ones the publisher's encoder allocator stops (Chromium turns a layer off
 * below its minimum rate). A publisher of only simulcast video is capped at that sum plus its
 * audio; mixed with single-encoding video, the single-encoding rule above applies to the rest. */
#define OKNO_PUB_FB_SIMULCAST_HEADROOM_PCT 25u
uint64_t okno_participant_publisher_cap_bps(const struct okno_participant *p);

/* What subscriber sub can take of each video it receives: its estimate less OKNO_ALLOC_AUDIO_BPS
 * per audio it receives, split evenly over the videos it is sent (not those paused), at least
 * OKNO_PUB_FB_MIN_VIDEO_BPS; 0 while it has no estimate or receives no video. */
uint64_t okno__participant_pub_fb_video_share(const struct okno_participant *sub);

/* The encoding of simulcast track t whose rate okno's cap shapes: the highest any subscriber
 * receives or heads to (sfu/allocator.h ahead_spatial), -1 when nobody does; *share_bps the
 * largest share (okno__participant_pub_fb_video_share) of those subscribers, left out one under
 * a client's receive limit; 0 when none has an estimate. The cap then leaves that encoding the
 * share, so it follows that subscriber's link as a single encoding follows its weakest. */
int okno__participant_pub_fb_shaped(const struct okno_track *t, uint64_t *share_bps);

/* A publisher offer was answered with pub: makes p's publisher feedback on the first one (owned
 * by p, freed by okno__participant_pub_fb_free) and takes what was negotiated: transport-cc
 * feedback needs both the transport-wide-cc extension and a=rtcp-fb transport-cc on some track,
 * REMB needs goog-remb on some track. */
void okno__participant_pub_fb_negotiated(struct okno_participant *p,
                                         const struct okno_publication *pub);

/* The room timer: sends what is due on the publisher connection (once it is connected), feedback
 * split over several packets when the window is large, and a REMB when due or the cap changed. */
void okno__participant_pub_fb_tick(struct okno_participant *p, int64_t now_us);

/* Logs the counters (packets recorded, feedback and REMBs sent) and frees p's publisher feedback.
 */
void okno__participant_pub_fb_free(struct okno_participant *p);

#endif
