/* Frame assembly for okno-bench's receiver: RTP payloads of one stream go in, in any order, and
 * complete frames come out in sequence order: a first packet that starts a frame, every following
 * sequence number up to the marker, one timestamp. It waits a bounded time (and a bounded number of
 * newer packets) for a missing packet, as a NACK/RTX round trip needs, then declares it lost, drops
 * the frames it belonged to and tells the next complete frame that something was lost before it.
 * A complete key frame does not wait for what is missing before it (a browser decodes it at once):
 * the holes and frames before it are given up then. Storage is a fixed ring allocated at creation,
 * so nothing is allocated per packet. It deliberately does not parse codec payloads (the
 * depacketizer hands it the codec bytes and a few facts about the first packet), decide whether a
 * frame can be decoded after a loss (vp8_depacketizer.h does), or send NACKs. */
#ifndef OKNO_BENCH_MEDIA_FRAME_ASSEMBLER_H
#define OKNO_BENCH_MEDIA_FRAME_ASSEMBLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ring size in packets: the reorder window and the largest frame. */
#define OKNO_FASM_SLOTS 512
/* Largest codec payload of one packet. */
#define OKNO_FASM_MAX_PAYLOAD 1500

/* What the codec layer says about a packet; kept for the first packet of each frame. */
struct okno_fasm_meta {
    bool keyframe;
    bool has_temporal; /* TID and TL0PICIDX are meaningful */
    uint8_t tid;
    bool layer_sync;
    uint8_t tl0picidx;
    uint16_t picture_id;
    uint16_t width, height; /* key frames */
};

/* One packet as the assembler sees it. payload is copied. */
struct okno_fasm_pkt {
    uint16_t seq;
    uint32_t ts;
    bool marker;
    bool frame_start; /* the first packet of a frame */
    const uint8_t *payload;
    size_t len;
    struct okno_fasm_meta meta;
};

struct okno_fasm_frame {
    const uint8_t *data; /* the assembler's buffer: valid until the next pop or destroy */
    size_t len;
    uint32_t ts;
    struct okno_fasm_meta meta;  /* the first packet's */
    int64_t first_seq, last_seq; /* unwrapped */
    int64_t arrival_us;          /* when its last packet arrived */
    bool lost_before;            /* packets or frames were lost or dropped since the last frame */
};

struct okno_fasm_stats {
    uint64_t packets, duplicates, late, too_far, lost_packets;
    uint64_t frames, incomplete_frames, oversized_frames;
};

struct okno_fasm_config {
    unsigned reorder_pkts;  /* a hole is lost once this many newer packets arrived; 0: 128 */
    int64_t reorder_us;     /* or once it has been waited for this long; 0: 150 ms */
    size_t max_frame_bytes; /* larger frames are dropped; 0: 1 MiB */
};

struct okno_fasm;

/* Creates an assembler. Returns 0, OKNO_E_INVAL for reorder_pkts above OKNO_FASM_SLOTS / 2,
 * OKNO_E_NOMEM. Destroy with okno_fasm_destroy. */
int okno_fasm_create(const struct okno_fasm_config *cfg, struct okno_fasm **out);
void okno_fasm_destroy(struct okno_fasm *a);

/* Stores a copy of one packet that arrived at now_us. A packet a whole ring ahead of the oldest
 * missing one is stored after the packets it pushes out of the window are declared lost. Returns 0
 * when stored; 1 when ignored as a duplicate or as late (its frame was already given out or given
 * up); OKNO_E_INVAL for an empty payload or one above OKNO_FASM_MAX_PAYLOAD. Invalidates nothing.
 */
int okno_fasm_push(struct okno_fasm *a, const struct okno_fasm_pkt *pkt, int64_t now_us);

/* Takes the next complete frame in sequence order, declaring holes lost when their wait is over at
 * now_us. A hole's wait counts from the first pop that found it, so callers pop after every push.
 * Returns 1 with *out filled (the previous frame's data is invalidated), 0 when no frame is ready.
 */
int okno_fasm_pop(struct okno_fasm *a, int64_t now_us, struct okno_fasm_frame *out);

struct okno_fasm_stats okno_fasm_stats(const struct okno_fasm *a);

#endif
