/* One subscriber's view of RFC 2198 redundant audio (RED) on one audio track. For each packet of
 * the publisher's stream it says what the subscriber gets:
 *  - RED to a subscriber that negotiated RED: forwarded as is, unless its leg loses more than the
 *    publisher's blocks cover (a browser on a clean uplink sends one; a fading radio downlink
 *    loses runs of packets, of which one block repairs only the last): then rebuilt with the
 *    previous payloads from the history below, up to the depth the leg's loss calls for;
 *  - RED to a subscriber that did not: stripped to its Opus primary, and when packets of the source
 *    went missing just before it, the redundant blocks that cover them are delivered first as
 *    packets of their own, with the lost packets' sequence numbers (the block for seq S-k of a
 *    packet S is its k-th newest, as senders put the previous packets in order) and the timestamps
 *    the blocks carry, so the downtrack numbers them into the gap and the subscriber hears them;
 *    an original that arrives late after its block was delivered is dropped;
 *  - plain Opus to a subscriber that negotiated RED: forwarded as is while its leg loses little;
 *    once the leg's smoothed loss (okno_red_adapter_on_loss) passes OKNO_RED_ADAPTER_ON_PERMILLE
 *    (with hysteresis) each packet is wrapped as RED with the previous one (two above
 *    OKNO_RED_ADAPTER_TWO_PERMILLE) from a history kept here, within the MTU and the 14-bit
 *    timestamp offset and 10-bit length fields.
 * Packets come out as whole RTP packets (the input's header with the sequence number, timestamp
 * and payload type set) for the downtrack to rewrite, in views into the adapter's own buffers or
 * into the input. It is a plain struct, embedded in the subscription, taking time and loss as
 * arguments: the media path allocates nothing.
 *
 * It deliberately does not number or send anything (the downtrack and subscription do) and does
 * not look inside Opus (an FEC-carrying primary is still only a payload here). */
#ifndef OKNO_SFU_RED_ADAPTER_H
#define OKNO_SFU_RED_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfu/mtu.h"
#include "wire/red.h"
#include "wire/rtp.h"

/* Previous payloads kept for adding redundancy, and the most added to one packet. */
#define OKNO_RED_ADAPTER_DEPTH 2
/* Redundant blocks looked at in a received RED packet; a packet with more is only stripped. */
#define OKNO_RED_ADAPTER_MAX_BLOCKS 8
/* Packets one input can become: recovered blocks, then the primary. */
#define OKNO_RED_ADAPTER_MAX_OUT (OKNO_RED_ADAPTER_DEPTH + 1)
/* Room left in OKNO_MTU for what the downtrack adds to a packet it is given (the subscriber's mid,
 * transport-wide-cc and abs-send-time elements). */
#define OKNO_RED_ADAPTER_HEADROOM 64
/* Loss thresholds of the smoothed fraction lost, in per mille: redundancy goes on above ON and off
 * below OFF; a second block above TWO, dropped again below TWO_OFF. Low, because radio links lose
 * packets in runs (edge: 1.7 % in runs of 3, which one block repairs a third of), because audio is
 * what a consultation cannot do without, and because a block costs one Opus payload (about
 * 30 kbit/s), little beside the video it shares the leg with. */
#define OKNO_RED_ADAPTER_ON_PERMILLE      10
#define OKNO_RED_ADAPTER_OFF_PERMILLE     5
#define OKNO_RED_ADAPTER_TWO_PERMILLE     15
#define OKNO_RED_ADAPTER_TWO_OFF_PERMILLE 10

struct okno_red_adapter_params {
    uint8_t opus_pt; /* the publisher's Opus payload type (the subscriber's too) */
    int16_t red_in;  /* the publisher's RED payload type; -1: it sends none */
    int16_t red_out; /* the subscriber's RED payload type; -1: it did not negotiate RED */
};

struct okno_red_adapter_stats {
    uint64_t red_forwarded;    /* RED passed on as RED */
    uint64_t red_stripped;     /* RED sent as its Opus primary */
    uint64_t red_added;        /* Opus sent as RED with at least one redundant block */
    uint64_t red_deepened;     /* RED forwarded with more blocks than the publisher put in */
    uint64_t blocks_recovered; /* redundant blocks delivered in place of a lost packet */
    uint64_t late_dropped;     /* originals that came after their block was delivered */
    uint64_t malformed;        /* RED payloads that do not parse, or carry no Opus primary */
};

/* One packet for the downtrack: pkt[0..len) parsed into rtp (views into pkt), to be sent with
 * payload type pt (the downtrack writes the codec's; the caller sets pt in what it wrote). */
struct okno_red_adapter_pkt {
    const uint8_t *pkt;
    size_t len;
    struct okno_rtp_pkt rtp;
    uint8_t pt;
};

struct okno_red_adapter {
    /* other: parameters, copied at init */
    struct okno_red_adapter_params p;
    /* Loss of the subscriber's leg, smoothed (per mille x 256), and the redundancy it calls for. */
    uint32_t loss_q8;
    bool have_loss;
    uint8_t depth;
    /* The source's newest packet seen, for recovery (non-RED subscriber) and history. */
    bool have_last;
    uint32_t last_ssrc;
    uint16_t last_seq;
    uint32_t last_ts;
    /* Sequence numbers recently delivered from redundant blocks: their late originals are
     * dropped. */
    uint16_t recovered[8];
    uint8_t n_recovered, recovered_next;
    /* owned: previous Opus payloads (RED subscriber), newest at hist_next - 1 */
    struct {
        bool used;
        uint32_t ssrc;
        uint16_t seq;
        uint32_t ts;
        uint16_t len;
        uint8_t data[OKNO_RED_MAX_BLOCK_LEN];
    } hist[OKNO_RED_ADAPTER_DEPTH];
    uint8_t hist_next;
    /* owned: the packets handed out by the last okno_red_adapter_process */
    uint8_t out[OKNO_RED_ADAPTER_MAX_OUT][OKNO_MTU];
    struct okno_red_adapter_stats stats;
};

/* Sets the adapter up for a subscription (all state cleared). Returns 0, or OKNO_E_INVAL for a
 * payload type above 127 or a RED payload type equal to Opus's. */
int okno_red_adapter_init(struct okno_red_adapter *a, const struct okno_red_adapter_params *p);

/* The loss of the subscriber's leg as a fraction (0..255, as in an RFC 3550 report block; the
 * subscription hands in the transport-wide one where the estimator has it): the smoothed loss and
 * the redundancy depth follow it. Returns the depth now used for a RED subscriber, for plain Opus
 * wrapped and RED rebuilt (0, 1 or 2; always 0 without RED). */
unsigned okno_red_adapter_on_loss(struct okno_red_adapter *a, uint8_t fraction_lost);

/* One packet of the source, parsed into *in (in->raw[0..in->raw_len) is the packet). Fills
 * out[0..n) (at most OKNO_RED_ADAPTER_MAX_OUT) in sending order and returns n: 0 when the packet is
 * not sent (malformed RED, a late original already recovered, a payload type that is neither Opus
 * nor the publisher's RED). Views stay valid until the next call. Allocates nothing. */
int okno_red_adapter_process(struct okno_red_adapter *a, const struct okno_rtp_pkt *in,
                             struct okno_red_adapter_pkt *out);

/* Which lost packet a redundant block stands for, for a receiver that saw last_ts as the timestamp
 * of its newest packet before a RED packet at ts, with gap packets missing in between: the block's
 * distance back from the RED packet (1: the packet just before), from the timestamps when the
 * missing packets are evenly spaced, else from its place pos among the packet's n blocks (senders
 * put the previous packets in order, the newest last). 0: the block is not Opus (opus_pt), empty,
 * or covers nothing in the gap. Pure. */
unsigned okno_red_block_distance(uint32_t ts, uint32_t last_ts, unsigned gap, uint8_t opus_pt,
                                 const struct okno_red_block *b, size_t pos, size_t n);

#endif
