/* RTP sequence number and timestamp rewriting for one outgoing stream whose source changes: a
 * subscriber sees one SSRC with one continuous numbering while the SFU switches it between
 * simulcast encodings or a publisher republishes. Packets dropped on purpose (temporal layers not
 * forwarded, padding, frames skipped while waiting for a key frame) are taken out of the numbering,
 * so the subscriber sees no gap for them; packets lost before the SFU keep their gap, so the
 * subscriber NACKs them and a late retransmission from the publisher fills it. A switch continues
 * the sequence at last + 1 and the timestamp at last + the wall time elapsed (in the stream's clock
 * units), so the receiver's jitter buffer does not jump. A ring maps each output sequence number
 * back to (source, input sequence number, output timestamp, caller tag) so that a NACK for an
 * output number finds the original in the publisher's packet cache. It is a plain struct with no
 * allocation, fed decisions and times by the downtrack; it deliberately does not decide what to
 * forward, does not touch packets, and knows nothing about codecs (the tag carries the downtrack's
 * VP8 numbers opaquely). */
#ifndef OKNO_SFU_RTP_MUNGER_H
#define OKNO_SFU_RTP_MUNGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Output sequence numbers remembered for NACKs: about 4 s of a 2.5 Mbit/s video stream. A power
 * of two that divides 65536, so a slot is always the same number modulo the ring. */
#define OKNO_RTP_MUNGER_HISTORY 1024
/* Runs of packets dropped on purpose remembered for numbering late packets; a late packet older
 * than the oldest remembered run is refused rather than guessed. */
#define OKNO_RTP_MUNGER_DROP_RUNS 32

/* One packet as the munger sees it. source names the encoding the packet belongs to (the
 * publisher's SSRC); a forwarded packet from another source than the current one is a switch. */
struct okno_rtp_munger_in {
    uint32_t source;
    uint16_t seq;
    uint32_t ts;
    uint32_t tag; /* stored with the output number, returned by okno_rtp_munger_lookup */
};

/* What was sent under one output sequence number. */
struct okno_rtp_munger_entry {
    uint32_t source;
    uint16_t in_seq;
    uint16_t out_seq;
    uint32_t out_ts;
    uint32_t tag;
};

struct okno_rtp_munger {
    uint32_t clock_rate;
    bool started;
    /* Current source, sequence numbers extended to 64 bits from its first packet. */
    uint32_t source;
    int64_t switch_in;  /* first input forwarded from the source: older ones are not ours */
    int64_t highest_in; /* newest input seen from the source, forwarded or dropped */
    bool highest_dropped;
    int64_t seq_offset; /* out = in + seq_offset for inputs newer than every remembered drop */
    uint32_t ts_offset; /* out = in + ts_offset, modulo 2^32 */
    /* Output side, continued across switches. */
    int64_t highest_out;
    uint32_t last_out_ts;
    int64_t last_out_us; /* arrival time of the packet that carried last_out_ts */
    /* Runs [lo, hi] of inputs dropped on purpose, ascending, oldest at drop_head. */
    struct {
        int64_t lo, hi;
    } drops[OKNO_RTP_MUNGER_DROP_RUNS];
    size_t ndrops, drop_head;
    bool have_evicted;
    int64_t evicted_hi; /* newest input of a run pushed out of the ring */
    /* Output number -> what was sent, slot out_seq % OKNO_RTP_MUNGER_HISTORY. */
    struct {
        struct okno_rtp_munger_entry e;
        bool used;
    } ring[OKNO_RTP_MUNGER_HISTORY];
};

/* Starts a stream with nothing sent yet. The first source keeps its own numbering (its sequence
 * numbers and timestamps are already random, as RFC 3550 wants). clock_rate is the RTP clock in
 * Hz (90000 for video, 48000 for Opus); 0 is treated as 90000. */
void okno_rtp_munger_init(struct okno_rtp_munger *m, uint32_t clock_rate);

/* Numbers a packet the downtrack sends. A packet from another source than the current one
 * switches to it (the caller forwards such a packet only at a key frame). Returns 0 and fills
 * *out_seq and *out_ts; OKNO_E_RANGE for a late packet from before the switch to the current
 * source, or older than the remembered drops allow to number (drop it); OKNO_E_STATE for an input
 * sequence number that was dropped on purpose earlier (a duplicate: drop it). A late packet of the
 * current source gets the number its place in the input order gives it, so reordering and late
 * retransmissions from the publisher map consistently. Records the entry for
 * okno_rtp_munger_lookup, replacing the one of the same slot. */
int okno_rtp_munger_forward(struct okno_rtp_munger *m, const struct okno_rtp_munger_in *in,
                            int64_t now_us, uint16_t *out_seq, uint32_t *out_ts);

/* Takes a packet the downtrack does not send out of the numbering, when it is the newest of the
 * current source: later packets close up behind it. A dropped packet that is older than the newest
 * cannot be taken out any more (its number may be below one already sent) and stays a gap that the
 * subscriber will NACK; a packet of another source than the current one is ignored. Never fails. */
void okno_rtp_munger_drop(struct okno_rtp_munger *m, uint32_t source, uint16_t seq);

/* What was sent as out_seq. Returns 0 and fills *out; OKNO_E_NOTFOUND when nothing was sent under
 * that number within the last OKNO_RTP_MUNGER_HISTORY numbers (a gap, or too old). */
int okno_rtp_munger_lookup(const struct okno_rtp_munger *m, uint16_t out_seq,
                           struct okno_rtp_munger_entry *out);

/* The newest output sequence number sent; 0 before the first forwarded packet. */
uint16_t okno_rtp_munger_last_seq(const struct okno_rtp_munger *m);

#endif
