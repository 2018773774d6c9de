/* One okno-bench call participant, composed the way a browser tab is: a session (signalling and
 * both transports), a sender (camera, encoders, pacer, congestion control) on the publisher
 * transport, and on the subscriber transport one receiver per subscribed track plus the
 * transport-wide feedback (rx_transport). It routes what arrives: publisher-transport RTCP to the
 * sender, subscriber RTP to the transport then the receiver of its slot, subscriber RTCP to every
 * receiver. One GSource (ready time = the earliest next-due of its objects) drives them all, so
 * there is one timer per participant whatever the number of tracks. Freeze intervals of the
 * received video are logged with their times for the plot.
 *
 * Deliberately not here: the link emulation (the call hands a candidate filter in the session
 * config), what a run is (duration, reporting, exit codes) and anything about the other side but
 * the source it must regenerate for PSNR. All of it runs on the context given at start, which
 * must be the thread default (session.h). */
#ifndef OKNO_BENCH_CALL_PARTICIPANT_H
#define OKNO_BENCH_CALL_PARTICIPANT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "call/receiver.h"
#include "call/sender.h"
#include "client/session.h"

#define OKNO_PARTICIPANT_MAX_FREEZES 512

struct okno_participant_config {
    const char *label; /* for messages ("kiosk"); borrowed for the participant's life */
    /* The session's config: server, room, role, name, token, address, timeout, the kinds
     * published, simulcast, candidate filter. Copied (its strings are copied by the session). */
    struct okno_bench_session_config session;
    /* What the sender makes (0: sender.h's defaults). */
    unsigned width, height, fps, temporal_layers;
    uint32_t start_kbps, max_kbps, seed;
    /* The remote side's synthetic source, regenerated for PSNR (0 size: no PSNR). */
    unsigned remote_width, remote_height;
    uint32_t remote_seed;
    size_t timeline_s; /* seconds of per-second history the receivers keep */
    /* Receivers: how long a missing packet is waited for and the audio playout delay (0:
     * receiver.h's defaults); the call sets them from the emulated link's round trip and
     * jitter, as a browser's jitter buffer would adapt to them. */
    int64_t nack_wait_us, audio_delay_us;
    /* RFC 2198 RED for audio is on unless set (as in Chromium): offered and sent when the server
     * keeps it, taken in subscriber offers; overrides session.audio_red. */
    bool audio_red_off;
};

struct okno_participant;

/* Events up to the owner; any may be NULL. The owner may close the participant from each. */
struct okno_participant_listener {
    /* The publisher transport is up and the sender runs. */
    void (*on_publishing)(void *owner, struct okno_participant *p);
    /* A receiver now exists for a subscribed track of this kind. */
    void (*on_receiving)(void *owner, struct okno_participant *p, bool video);
    /* The session failed (session.h's codes; local false) or the sender or a receiver could not
     * be made (local true: err is theirs, not the server's). */
    void (*on_failed)(void *owner, struct okno_participant *p, int err, bool local,
                      const char *message);
};

/* Starts the session on ctx (borrowed; the thread default). cert is borrowed and must outlive the
 * participant. Returns 0 and *out, or okno_bench_session_start's errors. */
int okno_participant_start(GMainContext *ctx, const struct okno_participant_config *cfg,
                           const struct okno_cert *cert,
                           const struct okno_participant_listener *listener, void *owner,
                           struct okno_participant **out);

/* The sender (NULL before on_publishing) and the receiver of the first active subscribed track of
 * a kind (NULL until there is one); borrowed from the participant. */
struct okno_sender *okno_participant_sender(struct okno_participant *p);
struct okno_receiver *okno_participant_receiver(struct okno_participant *p, bool video);
/* The subscriber transport's feedback object (NULL before the first track). */
struct okno_rx_transport *okno_participant_rx_transport(struct okno_participant *p);
struct okno_bench_session *okno_participant_session(struct okno_participant *p);

/* A freeze of the received video: [start_us, end_us) on the monotonic clock. */
struct okno_freeze_interval {
    int64_t start_us, end_us;
};
/* The freezes of the received video so far (borrowed; at most OKNO_PARTICIPANT_MAX_FREEZES,
 * the earliest kept). */
const struct okno_freeze_interval *okno_participant_freezes(const struct okno_participant *p,
                                                            size_t *n);

/* Runs every object's timers due by now_us (the owner calls it before reading stats, so they are
 * current). */
void okno_participant_poll(struct okno_participant *p, int64_t now_us);

/* Leaves: stops the timer, destroys sender and receivers, closes the session; on_closed(arg) runs
 * on the context once the transports are gone (may be NULL). Invalidates p. NULL: a no-op. */
void okno_participant_close(struct okno_participant *p, void (*on_closed)(void *arg), void *arg);

#endif
