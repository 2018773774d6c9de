/* The VP8 picture ID and TL0PICIDX rewriting state of one SFU downtrack. A subscriber sees one VP8
 * stream although the SFU switches it between simulcast encodings (each with its own numbering) and
 * drops temporal-layer frames to save bandwidth; its decoder treats a gap in picture IDs as loss
 * and a gap in TL0PICIDX as a lost base frame. The munger keeps both continuous: the first
 * forwarded frame of a new source continues where the previous source left off, and each dropped
 * frame's picture ID (and a dropped base frame's TL0PICIDX) is taken out of the numbering. It is
 * pure: fed the parsed fields and the forwarding decision, it returns the values to write (with
 * okno_vp8_rewrite). It deliberately does not decide what to forward (layer choice and waiting for
 * a key frame belong to the downtrack), does not touch RTP sequence numbers or timestamps, and does
 * not rewrite KEYIDX, which browsers do not send. */
#ifndef OKNO_WIRE_VP8_MUNGER_H
#define OKNO_WIRE_VP8_MUNGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Dropped frames remembered so that late packets (reordered or retransmitted) of frames older than
 * a drop still get the numbers their frame was given. */
#define OKNO_VP8_MUNGER_DROPS 16

/* What the munger needs from a packet, filled from its parsed descriptor and the forwarding
 * decision. */
struct okno_vp8_munger_in {
    uint32_t source;         /* which encoding the packet belongs to (its SSRC, say) */
    uint16_t picture_id;     /* the packet's picture ID; required */
    uint8_t picture_id_bits; /* 7 or 15 */
    bool has_tl0picidx;
    uint8_t tl0picidx;
    bool forward; /* the downtrack sends this frame; decided once per frame */
};

struct okno_vp8_munger_out {
    uint16_t picture_id; /* 15 bits: okno_vp8_rewrite wraps it to the packet's field */
    bool has_tl0picidx;
    uint8_t tl0picidx;
};

struct okno_vp8_munger {
    bool started;
    uint32_t source;
    /* Input numbering of the current source. Picture IDs are kept extended to 15 bits so 7-bit
     * sources and 15-bit ones share the arithmetic. */
    uint16_t last_in;     /* newest picture seen from the source, forwarded or not */
    uint16_t switch_in;   /* first picture forwarded from the source: older ones are not ours */
    bool last_in_dropped; /* the newest picture was dropped */
    bool have_in_tl0;
    uint8_t last_in_tl0;
    /* out = in + offset for pictures newer than every remembered drop. */
    uint16_t pic_offset;
    uint8_t tl0_offset;
    /* Output numbering, continued across switches. */
    uint16_t last_out;
    bool have_out_tl0;
    uint8_t last_out_tl0;
    /* Ring of recent drops, oldest at drop_head when full. */
    struct {
        uint16_t pic;
        bool tl0; /* the dropped frame started a new TL0PICIDX */
    } drops[OKNO_VP8_MUNGER_DROPS];
    size_t ndrops, drop_head;
    bool have_evicted;
    uint16_t evicted_pic; /* newest drop pushed out of the ring */
};

/* Starts a downtrack's state: nothing forwarded yet. */
void okno_vp8_munger_init(struct okno_vp8_munger *m);

/* Feeds one packet. A forwarded packet from a source other than the current one switches to that
 * source (the caller forwards a key frame there); a dropped packet from another source is ignored.
 * Returns 1 when the packet is forwarded and *out holds the values to write, 0 when it is dropped
 * (*out untouched; a newly dropped picture is taken out of the numbering), OKNO_E_INVAL for a
 * picture_id_bits other than 7 or 15, OKNO_E_STATE for a forwarded packet of a frame that was
 * dropped earlier (the caller changed its decision within a frame: drop the packet), OKNO_E_RANGE
 * for a late packet older than the switch to this source or than the remembered drops allow to
 * number (drop it). */
int okno_vp8_munger_update(struct okno_vp8_munger *m, const struct okno_vp8_munger_in *in,
                           struct okno_vp8_munger_out *out);

#endif
