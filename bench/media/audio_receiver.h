/* okno-bench's audio receiver: a jitter buffer in front of the Opus decoder that plays out 10 ms
 * slots against deadlines and counts what each slot held: audio decoded from its own packet,
 * recovered from the next packet's FEC, concealed by PLC, missing (silence, after concealment ran
 * longer than max_conceal_ms), or comfort noise in a DTX pause, which the sender announces with a
 * 1-2 byte DTX frame (libwebrtc's convention) or shows by a later packet with the next sequence
 * number. The playout clock starts at the first packet's arrival plus the target delay. The
 * concealment ratio is the share of slots with no decodable audio in time (concealed + missing),
 * as webrtc-stats' concealedSamples / totalSamplesReceived.
 *
 * Fixed mode (adaptive false) keeps that delay, which makes runs comparable: a packet that arrives
 * after its deadline is late and dropped. Adaptive mode models what a browser's NetEq plays:
 * - a target delay from the recent arrival-delay statistics (media/audio_delay.h);
 * - the playout delay moved toward it by time-stretching decoded audio, which webrtc-stats do not
 *   count as concealment: below the target a slot is played twice (inserted for deceleration, at
 *   most every other slot); 10 ms above NetEq's high limit, max(target, 3/4 target + 20 ms), a
 *   slot is dropped (removed for acceleration, at most one in ten: the delay falls slowly,
 *   except above twice the limit + 100 ms, after a spike, where every other slot may go);
 * - an underrun (the next frame missing, nothing later buffered) is waited out like NetEq's expand:
 *   concealed slots, and the delayed packet plays when it comes, the delay grown by the wait (up to
 *   2 s). A packet is late only once playout has passed it. When a later packet shows a loss, the
 *   slots concealed while waiting cover as much of the gap, so an outage is concealed once;
 * - in a DTX pause the delay moves for free, one comfort-noise slot at a time (counted as DTX, not
 *   inserted or removed), and the first packet after a pause resumes playout however late it is;
 * - a missing frame with a later packet buffered is recovered from FEC or concealed, as in fixed
 *   mode.
 * It does not model NetEq's pitch-based stretching (a stretched slot is counted, not synthesised),
 * its expand fading and merge, or a delay floor from audio/video sync; it sends no NACKs. */
#ifndef OKNO_BENCH_MEDIA_AUDIO_RECEIVER_H
#define OKNO_BENCH_MEDIA_AUDIO_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_AUDIO_RX_SLOTS 128 /* packets buffered: 2.56 s of 20 ms packets (2 s max delay) */

struct okno_audio_rx_config {
    int64_t target_delay_us; /* from the first packet's arrival; 0: 60 ms. Adaptive: the start */
    unsigned max_conceal_ms; /* PLC this long in a row, then silence; 0: 200 ms */
    bool adaptive;           /* added after the first version; false: fixed delay */
};

struct okno_audio_rx_stats {
    uint64_t slots_decoded, slots_fec, slots_concealed, slots_missing, slots_dtx;
    uint64_t packets, late, duplicates, bad_packets;
    /* added after the first version */
    uint64_t slots_inserted; /* decoded audio played twice (deceleration); counts as played */
    uint64_t slots_removed;  /* decoded audio dropped (acceleration); not played */
    /* Playout delay above the fastest packet of the last 2 s (the adaptive mode's control
     * variable; in fixed mode measured all the same) and the target (fixed mode: the configured
     * delay), in ms, as of the last packet or slot. */
    double delay_ms, target_ms;
    double delay_ms_mean; /* delay_ms averaged over the slots played */
    /* webrtc-stats jitterBufferDelay / jitterBufferEmittedCount, per slot: the sum over slots
     * played from a packet of the time from its arrival to the slot's deadline (us). */
    uint64_t jb_delay_sum_us, jb_emitted;
};

struct okno_audio_rx;

/* Creates a receiver with its own Opus decoder. Returns 0, OKNO_E_INVAL (negative delay),
 * OKNO_E_NOMEM, OKNO_E_IO. Destroy with okno_audio_rx_destroy. */
int okno_audio_rx_create(const struct okno_audio_rx_config *cfg, struct okno_audio_rx **out);
void okno_audio_rx_destroy(struct okno_audio_rx *rx);

/* Takes one RTP packet's Opus payload (copied) with its sequence number and 48 kHz timestamp,
 * arrived at now_us. Returns 0 when buffered; 1 when dropped as late or duplicate (counted);
 * OKNO_E_MALFORMED (counted) when the payload is not a sane Opus packet. */
int okno_audio_rx_push(struct okno_audio_rx *rx, uint16_t seq, uint32_t ts, const uint8_t *payload,
                       size_t len, int64_t now_us);

/* Plays out every 10 ms slot whose deadline is at or before now_us, decoding, recovering or
 * concealing as needed. Returns the number of slots played (0 before the first packet). */
int okno_audio_rx_tick(struct okno_audio_rx *rx, int64_t now_us);

/* (concealed + missing) / all slots played, 0 when none were. */
double okno_audio_rx_concealment(const struct okno_audio_rx *rx);

struct okno_audio_rx_stats okno_audio_rx_stats(const struct okno_audio_rx *rx);

#endif
