/* okno-bench load's media: a few seconds of the synthetic camera encoded once (VP8, one encoding,
 * periodic key frames, the loop starting with one) and of the audio tone encoded once (Opus),
 * packetized once into RTP templates. Every publisher replays the same templates in a loop at the
 * real rate, each with its own SSRCs, sequence numbers, timestamps and VP8 picture ids that keep
 * increasing across loops, so decoders see one continuous stream; only headers are rewritten, so
 * a publisher costs a memcpy and an SRTP protect per packet and no encoding.
 *
 * Because payloads are sent unchanged and the SFU forwards them unchanged (okno and Janus rewrite
 * headers and the VP8 descriptor, never the codec data), a receiver can tell which template a
 * packet came from by the last bytes of its payload: okno_media_loop_find. Okno strips RTP padding
 * and forwards no free-form header extension, so this is how a packet is matched to its send time.
 * Deliberately not here: timing (the caller owns the clock), sockets, anything per publisher. */
#ifndef OKNO_BENCH_LOAD_MEDIA_LOOP_H
#define OKNO_BENCH_LOAD_MEDIA_LOOP_H

#include <stddef.h>
#include <stdint.h>

enum okno_media_kind { OKNO_MEDIA_AUDIO = 0, OKNO_MEDIA_VIDEO = 1 };

struct okno_media_loop_config {
    unsigned width, height, fps; /* the camera; 0: 640x360 at 30 */
    unsigned video_kbps;         /* 0: 1500 */
    unsigned audio_kbps;         /* 0: 32 */
    unsigned seconds;            /* loop length; 0: 4 */
    unsigned keyframe_frames;    /* frames between key frames; 0: 2 s */
    uint32_t seed;
};

/* One template packet: RTP header (SSRC, sequence number and timestamp zero, the mid extension of
 * its section), payload. */
struct okno_media_pkt {
    uint8_t *data; /* owned by the loop */
    uint16_t len;
    uint16_t header_len;
    uint32_t unit; /* video: the frame index; audio: the packet index */
    uint32_t pic;  /* video: the index among encoded frames (the picture id offset) */
};

struct okno_media_track {
    struct okno_media_pkt *pkts; /* owned */
    uint32_t n_pkts;
    uint32_t n_units;     /* frames (video) or packets (audio) in one loop */
    uint32_t n_pics;      /* encoded frames in one loop (rate control may drop some) */
    int64_t unit_us;      /* time between units, rounded down */
    uint32_t units_per_s; /* the exact rate: unit k is due k * 10^6 / units_per_s us after 0 */
    uint32_t ts_per_unit; /* RTP clock ticks between units */
    uint64_t bytes;       /* RTP bytes in one loop */
};

struct okno_media_loop {
    struct okno_media_track track[2]; /* by enum okno_media_kind */
    unsigned fps;
    /* owned: open-addressed table of template keys (0: free slot); value: the template's index
     * with its kind in bit 30, or -1 when two templates share a key (never matched then) */
    uint64_t *keys;
    int32_t *vals;
    size_t table_size;
    uint32_t ambiguous; /* templates that share their key with another */
};

/* Encodes and packetizes. Returns 0 with *out, OKNO_E_INVAL for a bad size or rate, OKNO_E_NOMEM,
 * OKNO_E_IO when a codec fails. Takes about a second of CPU for 4 s of 640x360. */
int okno_media_loop_create(const struct okno_media_loop_config *cfg, struct okno_media_loop **out);
void okno_media_loop_destroy(struct okno_media_loop *m);

/* How one publisher numbers its packets. */
struct okno_media_numbering {
    uint32_t ssrc;
    uint16_t seq;     /* of this packet */
    uint32_t ts_base; /* the timestamp of unit 0 of loop 0 */
    uint16_t pic_base;
};

/* Writes template idx of kind for loop iteration iter with the publisher's numbers into out.
 * Returns the length, OKNO_E_NOSPC or OKNO_E_RANGE for a bad index. */
int okno_media_loop_write(const struct okno_media_loop *m, enum okno_media_kind kind, uint32_t idx,
                          uint64_t iter, const struct okno_media_numbering *num, uint8_t *out,
                          size_t cap);

/* The template index of a received packet of kind whose RTP payload (padding excluded) is
 * payload[0..len), or -1 when none (or an ambiguous one) matches. */
int32_t okno_media_loop_find(const struct okno_media_loop *m, enum okno_media_kind kind,
                             const uint8_t *payload, size_t len);

#endif
