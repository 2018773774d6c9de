/* Per-subscriber layer allocation (issue 5): given what okno can send one subscriber (its
 * bandwidth estimate), the audio it receives and, for each video, the layers the publisher sends
 * with their measured rates, chooses per video a spatial and temporal layer, or pauses it.
 *
 * Audio is reserved first (OKNO_ALLOC_AUDIO_BPS each) and never dropped; videos are then served
 * in priority order (the other party of a consultation before observers), each the highest layer
 * that fits what is left. Down moves happen at once when the current layer no longer fits (a
 * lower temporal layer, then a lower spatial layer, then paused); up moves need the budget to
 * exceed the higher layer's rate by OKNO_ALLOC_UP_MARGIN_PCT for the video's hold, and none starts
 * while the estimator sees the queue grow (okno_alloc_input.overuse). The hold is short
 * (OKNO_ALLOC_UP_HOLD_US), so a capacity that came back is used within a second; a noisy estimate
 * does not flap layers because each up move undone by a down move within OKNO_ALLOC_STABLE_US
 * doubles the hold (up to OKNO_ALLOC_UP_HOLD_MAX_US), halved back for every OKNO_ALLOC_STABLE_US
 * without another. Every change carries a reason for the client.
 *
 * A send-side estimate cannot grow far above what is sent (GCC holds it under 1.5 x what was
 * acknowledged), so a video held at a low spatial layer would never see room for the next: the
 * video itself probes. One with room at its layer (the budget exceeds it by the up margin, no
 * loss, no queue growth) and the next spatial layer's lowest within reach (at most 1.5 x the
 * budget, GCC's own bound) for its hold (after a trial that found no room: the doubled trial wait)
 * tries the next spatial layer's lowest temporal layer ("probe"), kept until the estimate has grown
 * to fit it (then it stays), congestion shows (loss, queue growth, or the budget falls
 * OKNO_ALLOC_SPATIAL_TRIAL_DROP_PCT below its peak in the trial: back at once) or
 * OKNO_ALLOC_SPATIAL_TRIAL_US pass; a trial that found no room doubles the wait before the next. A
 * budget the client set (okno_alloc_input.hard_limit) is never probed above.
 *
 * For the publisher and the transport it also says where each video is heading: ahead_spatial,
 * the encoding it may move to within OKNO_ALLOC_AHEAD_US (the publisher's cap keeps that encoding
 * going, so that it has started, with a keyframe and a measured rate, by the time the subscriber
 * is moved to it), and want_bps, what it would cost one step up (what the transport may pad or
 * probe up to so the estimate can show room for it).
 *
 * An encoding the publisher shapes to this subscriber's budget (elastic_floor_bps: the top one
 * okno's cap leaves this subscriber's share) fits any budget down to its floor, and takes of the
 * budget what it is measured at, up to all of it: the publisher's encoder, not a layer switch,
 * follows the estimate, as for a single encoding.
 *
 * It is a pure function of its inputs and now_us: no I/O, no allocation, no clock. It deliberately
 * does not apply choices (the subscription's downtrack does: spatial switches at keyframes,
 * temporal at once), measure rates (the track does) or estimate bandwidth (the bwe plugin does).
 */
#ifndef OKNO_SFU_ALLOCATOR_H
#define OKNO_SFU_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_ALLOC_MAX_SPATIAL  3
#define OKNO_ALLOC_MAX_TEMPORAL 4
/* What one audio stream takes: Opus as browsers send it with RTP, SRTP, UDP and IP. */
#define OKNO_ALLOC_AUDIO_BPS 50000u
/* Up moves need budget >= rate * (100 + margin) / 100 held for the hold: OKNO_ALLOC_UP_HOLD_US,
 * doubled for each up move a down move undid within OKNO_ALLOC_STABLE_US (at most
 * OKNO_ALLOC_UP_HOLD_MAX_US), halved back for each OKNO_ALLOC_STABLE_US since the last such. Half a
 * second: GCC's estimate moves in steps (a probe result, a cut) and one that grew to fit a layer
 * has shown it for several feedback intervals by then; the spatial switch itself then waits for a
 * keyframe (an RTT and a frame more). */
#define OKNO_ALLOC_UP_MARGIN_PCT  15u
#define OKNO_ALLOC_UP_HOLD_US     500000
#define OKNO_ALLOC_UP_HOLD_MAX_US 8000000
#define OKNO_ALLOC_STABLE_US      10000000
/* The encoding a video may move to (ahead_spatial) is announced this long before its trial is due
 * and kept this long after the room for it went: time for a publisher's encoder to start it. */
#define OKNO_ALLOC_AHEAD_US 5000000
/* A smoothed loss ratio from which a down move is put down to loss rather than bandwidth. */
#define OKNO_ALLOC_LOSS_RATIO 0.05
/* A paused video is tried again at its lowest layer after this long (doubling after each trial
 * that failed, up to OKNO_ALLOC_TRIAL_MAX_WAIT_US), and kept for OKNO_ALLOC_TRIAL_US whatever
 * the estimate says unless loss or queue growth comes: with audio alone on the link, an estimator
 * bounded by what was acknowledged (GCC's 1.5 x acked) could never show room for video again, so
 * the video itself probes. */
#define OKNO_ALLOC_TRIAL_WAIT_US     5000000
#define OKNO_ALLOC_TRIAL_MAX_WAIT_US 60000000
#define OKNO_ALLOC_TRIAL_US          3000000
/* A trial of the next spatial layer (header comment) runs at most this long: GCC's estimate grows
 * about 8 % a second once more is sent, so it takes ~9 s to double. */
#define OKNO_ALLOC_SPATIAL_TRIAL_US       15000000
#define OKNO_ALLOC_SPATIAL_TRIAL_DROP_PCT 15u

enum okno_alloc_reason {
    OKNO_ALLOC_REASON_NONE = 0,  /* no change */
    OKNO_ALLOC_REASON_BANDWIDTH, /* down: the estimate no longer fits the layer */
    OKNO_ALLOC_REASON_LOSS,      /* down, with the estimate cut by loss */
    OKNO_ALLOC_REASON_RECOVERED, /* up: capacity came back */
    OKNO_ALLOC_REASON_LAYERS,    /* the publisher's layers changed (one vanished or appeared) */
    OKNO_ALLOC_REASON_PROBE,     /* up: a paused video tried again at its lowest layer */
};

/* A layer choice: spatial encoding index (0 lowest) and highest temporal layer (0 lowest), or
 * paused (no video). */
struct okno_alloc_choice {
    bool paused;
    uint8_t spatial;
    uint8_t temporal;
};

struct okno_alloc_video {
    /* In: the publisher's layers. n_spatial encodings (1 without simulcast), n_temporal layers in
     * each (1 without temporal scalability). bps[s][t] is what spatial s costs with temporal
     * layers 0..t (cumulative), as measured; 0 marks a layer not sent now (not chosen). */
    uint8_t n_spatial;
    uint8_t n_temporal;
    uint32_t bps[OKNO_ALLOC_MAX_SPATIAL][OKNO_ALLOC_MAX_TEMPORAL];
    int priority; /* higher is served first; equal keeps the array order */
    /* In: an encoding whose rate follows this subscriber's budget (okno's cap leaves the top
     * encoding sent the largest budget of those that receive it, and a publisher's encoder gives
     * its top encoding all the room it has, as it does a single encoding): it fits any budget down
     * to this floor, its temporal layers scaled alike, and costs what it is measured at up to the
     * budget; 0: it costs what it is measured at. */
    uint32_t elastic_floor_bps[OKNO_ALLOC_MAX_SPATIAL];
    /* In/out: the current choice and the hysteresis state; zero-initialise, then set cur to
     * where the subscriber starts (okno_alloc_video_init: the top). */
    struct okno_alloc_choice cur;
    int64_t up_since_us;     /* when a higher layer began to fit with the margin; 0: it does not */
    int64_t paused_since_us; /* when it was paused (0: not paused by the allocator) */
    int64_t trial_until_us;  /* a trial at the lowest layer runs until then; 0: none */
    int64_t trial_wait_us;   /* the pause before the next trial; 0: OKNO_ALLOC_TRIAL_WAIT_US */
    int64_t room_since_us;   /* since when the layer has had room, the next spatial not; 0: no */
    uint32_t trial_peak_bps; /* a spatial trial runs (trial_until_us): the highest budget in it */
    bool spatial_trial;      /* the trial running is one of the next spatial layer */
    uint8_t flaps; /* up moves undone soon after (the hold is OKNO_ALLOC_UP_HOLD_US << flaps) */
    int64_t flap_at_us;     /* when flaps last grew, or last shrank since */
    int64_t up_at_us;       /* the last up move while it may still be undone; 0: none */
    int64_t ahead_until_us; /* ahead_spatial above the current encoding holds until then */
    /* Out of each okno_alloc_run (ahead_spatial also carries over). */
    bool changed;
    enum okno_alloc_reason reason;
    uint32_t allocated_bps; /* what the choice costs (0 paused) */
    /* The highest encoding the video receives, may move to soon or may move back to: its own, the
     * next while its trial is due within OKNO_ALLOC_AHEAD_US or an up move to it is held, or one
     * it left; each kept OKNO_ALLOC_AHEAD_US after. Under a client's limit its own alone. */
    uint8_t ahead_spatial;
    /* What the video would cost one step up (the next layer with the up margin), its allocation
     * at the top or under a client's limit; 0 paused or unmeasured. */
    uint32_t want_bps;
};

struct okno_alloc_input {
    uint32_t target_bps; /* the subscriber's estimate; 0: none (nothing is changed) */
    double loss_ratio;   /* smoothed, 0..1 */
    bool congestive_loss;
    unsigned n_audio; /* audio streams the subscriber receives */
    bool hard_limit;  /* target_bps is a limit the client set, not an estimate: no spatial trial */
    bool overuse;     /* the estimator sees queuing delay grow now: no up move, trials end */
};

/* Starts v at its top layer (what a subscriber gets before any estimate). */
void okno_alloc_video_init(struct okno_alloc_video *v, uint8_t n_spatial, uint8_t n_temporal,
                           int priority);

/* One allocation round over videos[0..n) at now_us: sets each cur, changed, reason and
 * allocated_bps. Without an estimate nothing changes. n_spatial/n_temporal of 0 or above the
 * maxima are clamped; a cur outside the layers is clamped too (reason LAYERS). Returns the number
 * of videos whose choice changed. */
size_t okno_alloc_run(const struct okno_alloc_input *in, struct okno_alloc_video *videos, size_t n,
                      int64_t now_us);

/* "bandwidth", "loss", "recovered", "layers", "probe", or "none". */
const char *okno_alloc_reason_name(enum okno_alloc_reason r);

/* A publisher's priority from its role: observers last, everyone else (kiosk, specialist: the
 * other party) first. NULL is a participant. */
int okno_alloc_role_priority(const char *role);

#endif
