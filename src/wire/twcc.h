/* Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01):
 * the RTCP RTPFB packet with FMT 15 that tells a sender when each of its packets, numbered by the
 * transport-wide sequence number header extension, reached the receiver. This file parses and
 * encodes that packet: status chunks (run-length, one-bit and two-bit vectors) and receive deltas,
 * with the absolute arrival time of every packet rebuilt from the reference time. Parsing is a
 * validating walk that keeps views into the input, then either an iterator or a copy into a caller
 * array; nothing is allocated. It deliberately knows nothing about when feedback is due or which
 * packets to report (twcc_recorder.h is the receiver side), nor about unwrapping the 24-bit
 * reference time across feedback packets: that belongs to the sender's estimator, which sees the
 * sequence of feedback (libwebrtc reads the field unsigned; the two readings differ by one period,
 * which that unwrapping absorbs). Feedback without receive deltas, which a sender of the -02 header
 * extension may ask for, is refused as truncated: okno never asks for it. */
#ifndef OKNO_WIRE_TWCC_H
#define OKNO_WIRE_TWCC_H

#include <stddef.h>
#include <stdint.h>

#define OKNO_TWCC_FMT 15
/* RTCP header, sender SSRC, media SSRC. */
#define OKNO_TWCC_HEADER_LEN 12
/* Base sequence number, status count, reference time, feedback packet count. */
#define OKNO_TWCC_FCI_FIXED_LEN 8
/* The smallest packet the encoder writes: headers, one chunk, one two-byte delta. */
#define OKNO_TWCC_MIN_PACKET (OKNO_TWCC_HEADER_LEN + OKNO_TWCC_FCI_FIXED_LEN + 4)
/* Units of the reference time and of the receive deltas. */
#define OKNO_TWCC_REF_TIME_US 64000
#define OKNO_TWCC_DELTA_US    250
/* The reference time field is 24 bits: arrival times repeat after this many microseconds (about 12
 * days). */
#define OKNO_TWCC_REF_PERIOD_US ((int64_t)OKNO_TWCC_REF_TIME_US << 24)

/* The packet status symbols of the draft (section 3.1.1). */
enum okno_twcc_status {
    OKNO_TWCC_NOT_RECEIVED = 0,
    OKNO_TWCC_SMALL_DELTA = 1, /* received, one-byte delta: 0 to 63.75 ms after the previous one */
    OKNO_TWCC_LARGE_DELTA = 2, /* received, two-byte signed delta: large or negative */
    OKNO_TWCC_RESERVED = 3,    /* never valid for a reported packet */
};

/* One reported packet. arrival_us is meaningful only when status is not OKNO_TWCC_NOT_RECEIVED. */
struct okno_twcc_entry {
    uint16_t seq;
    uint8_t status;     /* enum okno_twcc_status */
    int64_t arrival_us; /* reference time * 64000 + the sum of the deltas so far * 250 */
};

/* A parsed feedback packet. The views point into the parsed buffer and stay valid as long as it
 * does. */
struct okno_twcc_fb {
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    uint16_t base_seq;
    uint16_t status_count; /* never 0 after a successful parse */
    int32_t ref_time;      /* 64 ms units, sign-extended from 24 bits */
    uint8_t fb_count;
    const uint8_t *chunks; /* the packet status chunks */
    size_t chunks_len;
    const uint8_t *deltas; /* the receive deltas, exactly as many bytes as the statuses ask for */
    size_t deltas_len;
};

/* Parses a whole feedback packet at the start of buf (len may hold more packets of a compound
 * datagram after it): checks V=2, PT=205 and FMT=15, honours the padding bit, then parses the FCI
 * as okno_twcc_parse_fci does. Returns the packet's size in bytes; OKNO_E_TRUNCATED when buf holds
 * less than the header or the length field claims, or the FCI ends early; OKNO_E_VERSION for a
 * version other than 2; OKNO_E_INVAL for another packet type or format; OKNO_E_MALFORMED for a bad
 * padding count and whatever okno_twcc_parse_fci rejects. *fb points into buf; on error its
 * contents are unspecified. */
int okno_twcc_parse(const uint8_t *buf, size_t len, struct okno_twcc_fb *fb);

/* Parses and validates the FCI alone (from the base sequence number on, padding already removed),
 * as handed over by the RTCP feedback decoder; the SSRCs in *fb are left untouched. Validation
 * walks every chunk: the chunks must cover the status count (the last one may cover more, and the
 * extra symbols are ignored), every status within the count must be a defined symbol, every delta
 * must be present, and at most three bytes of padding may follow the deltas. Returns 0;
 * OKNO_E_TRUNCATED when the chunks or deltas run past len; OKNO_E_MALFORMED for a zero status count
 * (libwebrtc refuses those too), a reserved symbol or more than three trailing bytes. *fb points
 * into fci. */
int okno_twcc_parse_fci(const uint8_t *fci, size_t len, struct okno_twcc_fb *fb);

/* Walks the statuses of a parsed packet in order, rebuilding arrival times, without copying. */
struct okno_twcc_iter {
    const struct okno_twcc_fb *fb; /* borrowed */
    size_t chunk_off;
    size_t delta_off;
    uint32_t done;      /* statuses produced so far */
    uint16_t chunk;     /* the chunk being read */
    uint16_t chunk_pos; /* next symbol within it */
    uint16_t chunk_n;   /* symbols it holds */
    int64_t ticks;      /* sum of the deltas so far, in 250 us units */
};

/* Starts a walk over fb, which must come from a successful parse and stay alive (and unmoved)
 * during it. */
void okno_twcc_iter_init(struct okno_twcc_iter *it, const struct okno_twcc_fb *fb);

/* Fills *out with the next status. Returns 1 when an entry was produced, 0 after the last one, and
 * OKNO_E_MALFORMED or OKNO_E_TRUNCATED only if fb did not come from a successful parse. */
int okno_twcc_iter_next(struct okno_twcc_iter *it, struct okno_twcc_entry *out);

/* Copies every status of fb into out[0..cap). Returns the count (fb->status_count); OKNO_E_RANGE,
 * with nothing written, when cap is smaller than that. */
int okno_twcc_parse_entries(const struct okno_twcc_fb *fb, struct okno_twcc_entry *out, size_t cap);

/* What the encoder puts around the statuses. */
struct okno_twcc_build_opts {
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    uint8_t fb_count; /* feedback packet count: the caller increments it for each packet it sends */
    size_t max_size; /* upper bound on the packet, headers and padding included; 0 means only cap */
};

/* Encodes one feedback packet into buf from entries[0..n), which must have consecutive sequence
 * numbers (each one more than the last, modulo 2^16). An entry counts as received whenever its
 * status is not OKNO_TWCC_NOT_RECEIVED; whether its delta is small or large is decided here from
 * the arrival times. The reference time is the first received arrival rounded down to 64 ms (modulo
 * 2^24), and deltas are rounded to 250 us without drift: each arrival is rebuilt within 125 us.
 * Chunks are chosen as libwebrtc does: a run-length chunk for a run of one symbol, otherwise a
 * one-bit vector of fourteen when no large delta is among them, otherwise a two-bit vector of
 * seven. The packet stops early, before an entry whose delta does not fit 16 bits signed or which
 * would push the packet past max_size (or cap), or after 65535 statuses; the caller then encodes
 * the rest, from entries + *consumed, into the next packet. The packet is padded to 32 bits with
 * zero bytes after the deltas, as the draft shows it, never with the RTCP padding bit. Returns the
 * packet's size and sets *consumed (at least 1); OKNO_E_INVAL for n == 0, or for a sequence gap or
 * a status above OKNO_TWCC_LARGE_DELTA among the entries the packet reaches (those after its end
 * are not looked at); OKNO_E_NOSPC when not even the first entry fits. Writes only buf[0..returned
 * size) on success. */
int okno_twcc_build(const struct okno_twcc_build_opts *opts, const struct okno_twcc_entry *entries,
                    size_t n, uint8_t *buf, size_t cap, size_t *consumed);

#endif
