/* Drains a publisher's uplink queue after a collapse (collapse_watch.h). When a capacity drop
 * overflows the queue in front of okno, the publisher's congestion control cuts its rate once the
 * feedback that shows the losses reaches it, to about what that feedback says arrived (libwebrtc:
 * 0.85 x the acknowledged rate). A queue that filled at the old rate then drains at the 15 % that
 * is left: some 2 s for RFC 8867's 300 ms queue. Every packet sent meanwhile waits in it or is lost
 * at its tail, and so was the keyframe that should end the freeze: on the drop from 2.5 to
 * 0.6 Mbit/s the first one okno asked for was lost whole, and the second, a second later, ended a
 * freeze of 1.7-2.3 s.
 *
 * So when the collapse begins okno caps the publisher (REMB, which a browser obeys at once as the
 * receiver's limit) at a quarter of what arrived (OKNO_DRAIN_CAP_PCT), and asks for the keyframe
 * with it (the track does). The keyframe, encoded at the cap, is small, and a browser's pacer drops
 * the stale frames queued before it (bench/call/pacer.h), so it goes out at once into a queue that
 * now drains at three quarters of the link's rate. At half the rate the queue drained too slowly
 * for it: freezes of 1.0-1.8 s against 0.93-1.03 s at a quarter (bench/README.md, session 18).
 * The cap is lifted as soon as what arrives falls under three quarters of the rate the collapse
 * began with (the queue is gone: the link carries what the publisher sends), not before the cap
 * can have had that effect (a round trip and two windows), and after OKNO_DRAIN_MAX_US at the
 * latest (a publisher that ignores REMB).
 *
 * Arrival is everything the publisher sends (audio, video and retransmissions share the queue)
 * over windows of OKNO_DRAIN_WINDOW_US. A window that follows a silence of a window or more does
 * not start a drain: after an outage nothing was queued, the numbers lost in it only look like a
 * collapse.
 *
 * A plain struct driven by now_us: no I/O, no allocation. It deliberately does not send the REMB
 * (the participant's publisher feedback does, taking the lower of this cap and its own) or the
 * keyframe request. */
#ifndef OKNO_SFU_UPLINK_DRAIN_H
#define OKNO_SFU_UPLINK_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_DRAIN_WINDOW_US 100000LL
#define OKNO_DRAIN_MAX_US    3000000LL
#define OKNO_DRAIN_CAP_PCT   25u
/* The cap's floor: the publisher's audio and a little video. */
#define OKNO_DRAIN_MIN_BPS        60000u
#define OKNO_DRAIN_DEFAULT_RTT_US 100000LL

struct okno_uplink_drain {
    int64_t win_start_us; /* the window being counted */
    uint64_t win_bytes;
    int64_t last_pkt_us; /* INT64_MIN: no packet yet */
    bool after_silence;  /* the window being counted began after a silence */
    uint64_t last_bps;   /* the last whole window's arrival rate; 0: none yet */
    bool last_regular;   /* that window did not begin after a silence */
    int64_t collapse_id; /* the collapse drained last (its begin time); INT64_MIN: none */
    uint64_t full_bps;   /* arrival when the drain began */
    uint64_t cap_bps;    /* the cap while draining */
    int64_t until_us;    /* the cap holds before then; 0: no drain */
    int64_t hold_us;     /* and whatever arrives, at least until then */
    uint64_t drains;     /* drains begun, counted */
};

/* Resets d: nothing measured, no drain. No error; owns nothing. */
void okno_uplink_drain_init(struct okno_uplink_drain *d);

/* A packet of len bytes from the publisher arrived at now_us. Ends a drain whose queue is gone (one
 * whose time is up has ended already: okno_uplink_drain_cap says so). */
void okno_uplink_drain_on_packet(struct okno_uplink_drain *d, size_t len, int64_t now_us);

/* The collapse collapse_id (collapse_watch's since_us) is on: begins a drain unless one runs, this
 * collapse was drained already or the last window does not show the link's rate (none yet, or
 * after a silence). The cap is OKNO_DRAIN_CAP_PCT of that rate, at least OKNO_DRAIN_MIN_BPS; rtt_us
 * is the round trip to the publisher (<= 0: unknown, OKNO_DRAIN_DEFAULT_RTT_US). Returns true when
 * a drain began. */
bool okno_uplink_drain_begin(struct okno_uplink_drain *d, int64_t collapse_id, int64_t rtt_us,
                             int64_t now_us);

/* The cap while a drain runs at now_us, else 0. */
uint64_t okno_uplink_drain_cap(const struct okno_uplink_drain *d, int64_t now_us);

#endif
