/* okno-bench's audio receiver: a fixed-delay jitter buffer in front of the Opus decoder that plays
 * out 10 ms slots against deadlines and counts what each slot held: audio decoded from its own
 * packet, recovered from the next packet's FEC, concealed by PLC, missing (silence, after
 * concealment ran longer than max_conceal_ms), or comfort noise in a DTX pause, which the sender
 * announces with a 1-2 byte DTX frame (libwebrtc's convention) or shows by a later packet with the
 * next sequence number. The playout clock starts at the first packet's arrival
 * plus the target delay; a packet that arrives after its deadline is late and dropped. The
 * concealment ratio is the share of slots with no decodable audio in time (concealed + missing).
 * It deliberately does not adapt its delay (a fixed target makes runs comparable), stretch time,
 * or send NACKs. */
#ifndef OKNO_BENCH_MEDIA_AUDIO_RECEIVER_H
#define OKNO_BENCH_MEDIA_AUDIO_RECEIVER_H

#include <stddef.h>
#include <stdint.h>

#define OKNO_AUDIO_RX_SLOTS 64 /* packets buffered: 1.28 s of 20 ms packets */

struct okno_audio_rx_config {
    int64_t target_delay_us; /* from the first packet's arrival; 0: 60 ms */
    unsigned max_conceal_ms; /* PLC this long in a row, then silence; 0: 200 ms */
};

struct okno_audio_rx_stats {
    uint64_t slots_decoded, slots_fec, slots_concealed, slots_missing, slots_dtx;
    uint64_t packets, late, duplicates, bad_packets;
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
