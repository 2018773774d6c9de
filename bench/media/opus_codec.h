/* okno-bench's Opus sender and decoder ends, and its audio source. The encoder is libopus as a
 * browser runs it for calls: 48 kHz mono, 20 ms frames, VOIP application, in-band FEC (LBRR) on
 * with a packet-loss percentage that sizes it, optional DTX, bitrate settable on the fly. The
 * decoder adds the two ways to fill a missing frame: the next packet's FEC, or packet loss
 * concealment. The source is a tone whose pitch steps with a frame counter, so audio is never
 * silent (DTX only engages when asked to by silence) and a listener can hear dropouts. It
 * deliberately does not time playout (audio_receiver.h does) nor resample or mix. */
#ifndef OKNO_BENCH_MEDIA_OPUS_CODEC_H
#define OKNO_BENCH_MEDIA_OPUS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_AUDIO_RATE          48000
#define OKNO_AUDIO_FRAME_SAMPLES 960  /* 20 ms */
#define OKNO_AUDIO_SLOT_SAMPLES  480  /* 10 ms: the unit audio concealment is counted in */
#define OKNO_AUDIO_MAX_SAMPLES   5760 /* 120 ms, the longest Opus packet */
#define OKNO_AUDIO_MAX_PACKET    1275

struct okno_opusenc_config {
    unsigned kbps;     /* 6..510 */
    bool fec;          /* in-band FEC */
    unsigned loss_pct; /* expected loss 0..100: how much FEC the encoder spends */
    bool dtx;
};

struct okno_opusenc;
struct okno_opusdec;

/* Creates an encoder. Returns 0, OKNO_E_INVAL for a setting out of range, OKNO_E_IO when libopus
 * refuses. Destroy with okno_opusenc_destroy. */
int okno_opusenc_create(const struct okno_opusenc_config *cfg, struct okno_opusenc **out);
void okno_opusenc_destroy(struct okno_opusenc *e);

/* Change the bitrate or the expected loss from the next frame. Return 0, OKNO_E_INVAL, OKNO_E_IO.
 */
int okno_opusenc_set_bitrate(struct okno_opusenc *e, unsigned kbps);
int okno_opusenc_set_loss(struct okno_opusenc *e, unsigned loss_pct);

/* Encodes one 20 ms frame of OKNO_AUDIO_FRAME_SAMPLES mono samples into out. Returns the packet
 * length, OKNO_E_NOSPC, OKNO_E_IO. With DTX, 2 bytes or less is a DTX frame: the caller sends the
 * first of a run (it tells the receiver a pause began) and skips the rest, still advancing the RTP
 * timestamp. */
int okno_opusenc_encode(struct okno_opusenc *e, const int16_t *pcm, uint8_t *out, size_t cap);

/* Creates a 48 kHz mono decoder. Returns 0, OKNO_E_IO. Destroy with okno_opusdec_destroy. */
int okno_opusdec_create(struct okno_opusdec **out);
void okno_opusdec_destroy(struct okno_opusdec *d);

/* Decodes a packet into pcm (room for max_samples). Returns the samples decoded or
 * OKNO_E_MALFORMED. */
int okno_opusdec_decode(struct okno_opusdec *d, const uint8_t *pkt, size_t len, int16_t *pcm,
                        unsigned max_samples);

/* Recovers the `samples` samples before packet pkt from its FEC data (or, when it carries none,
 * conceals them). Returns samples or OKNO_E_MALFORMED. */
int okno_opusdec_decode_fec(struct okno_opusdec *d, const uint8_t *pkt, size_t len, int16_t *pcm,
                            unsigned samples);

/* Conceals `samples` missing samples (a multiple of 2.5 ms). Returns samples or OKNO_E_IO. */
int okno_opusdec_conceal(struct okno_opusdec *d, int16_t *pcm, unsigned samples);

/* Samples in packet pkt at 48 kHz, or OKNO_E_MALFORMED. */
int okno_opus_packet_samples(const uint8_t *pkt, size_t len);

/* Whether packet pkt carries FEC (SILK LBRR) data for the packet before it. The LBRR flag is the
 * range coder's first symbols after the VAD flags, coded at probability 1/2, so it can be read from
 * the first frame's first byte (RFC 6716 4.2.3-4.2.4). CELT-only packets never carry FEC. */
bool okno_opus_has_fec(const uint8_t *pkt, size_t len);

/* The audio source: a tone of 300 + 50 * (frame % 16) Hz at about -12 dBFS. */
struct okno_asrc {
    uint32_t frame;
    double phase;
};

void okno_asrc_init(struct okno_asrc *s);
/* Writes the next 20 ms frame into pcm and returns its number. */
uint32_t okno_asrc_next(struct okno_asrc *s, int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES]);

#endif
