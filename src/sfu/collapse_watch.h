/* Watches one published video stream for a collapse of the publisher's uplink: a capacity drop
 * that overflows the queue in front of okno loses most of the stream for as long as the sender
 * keeps sending at its old rate and drains its backlog. No retransmission gets through such a
 * queue in time, so every subscriber will need a keyframe, but a subscriber's receiver asks only
 * once it has given up waiting for the holes (okno-bench's after its NACK wait, a browser's after
 * seconds), and its PLI then crosses to the publisher too: on RFC 8867's drop from 2.5 to
 * 0.6 Mbit/s the freeze was 2 s, the subscriber's PLI 1.2 s after the last frame. okno sees the
 * holes first and asks for the keyframe itself.
 *
 * A collapse is a window of OKNO_COLLAPSE_WINDOW_US in which at least OKNO_COLLAPSE_SHARE_PCT of
 * the sequence numbers went missing, OKNO_COLLAPSE_MIN_MISSING or more (the random loss of a radio
 * link, a few percent in runs of a few packets, never is one); found as soon as half the window
 * holds that many. Where okno drains the queue (uplink_drain.h) the keyframe is asked for with the
 * drain's cap, when the collapse begins (okno_collapse_watch_ask); otherwise once the collapse has
 * lasted a round trip to the publisher and another window: the feedback that shows it the losses
 * has reached it and its congestion control has cut its rate by then, so the keyframe is encoded
 * for the link that is left instead of the one that is gone (a keyframe at the old rate would be
 * lost in the same full queue). Once per collapse: a window without one ends it, and the keyframe
 * requester repeats an unanswered request (keyframe_requester.h).
 *
 * A plain struct driven by now_us: no I/O, no allocation. It deliberately does not send the
 * request (the track does, through its keyframe requester) or count losses for reports
 * (recv_stats.h does). */
#ifndef OKNO_SFU_COLLAPSE_WATCH_H
#define OKNO_SFU_COLLAPSE_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#define OKNO_COLLAPSE_WINDOW_US   200000
#define OKNO_COLLAPSE_SHARE_PCT   25u
#define OKNO_COLLAPSE_MIN_MISSING 8u
/* A jump in the numbers further than this is a restarted stream, not a loss. */
#define OKNO_COLLAPSE_MAX_JUMP 3000
/* The round trip assumed while the publisher's is unknown. */
#define OKNO_COLLAPSE_DEFAULT_RTT_US 100000

struct okno_collapse_watch {
    bool started;
    uint16_t highest;     /* the newest sequence number seen */
    int64_t win_start_us; /* the window being counted */
    uint32_t expected, missing;
    int64_t since_us;   /* when the collapse began (its first window's start); -1: none */
    bool asked;         /* the keyframe of this collapse was asked for */
    uint64_t collapses; /* keyframes asked for, counted */
};

void okno_collapse_watch_init(struct okno_collapse_watch *w);

/* A packet of the stream arrived (not a retransmission): seq, whether it starts a keyframe, the
 * round trip to the publisher (<= 0: unknown). Returns true when a keyframe should be asked for
 * now. */
bool okno_collapse_watch_on_packet(struct okno_collapse_watch *w, uint16_t seq, bool keyframe,
                                   int64_t rtt_us, int64_t now_us);

/* The collapse under way (since_us >= 0) has its keyframe asked for now, by another stage (the
 * uplink drain's): returns true, and counts it, unless it was asked for already. */
bool okno_collapse_watch_ask(struct okno_collapse_watch *w);

#endif
