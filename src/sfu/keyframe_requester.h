/* Keyframe requests to one published video stream. Many things want a keyframe from the publisher:
 * subscribers' PLIs and FIRs passed up by their downtracks, a subscriber that starts or switches to
 * the stream, the NACK generator giving up on a gap. This stage coalesces them into one request to
 * the publisher, throttles requests, repeats one that brought no keyframe, and stops when a
 * keyframe arrives. The owner asks okno_keyframe_requester_poll whether to send a PLI now (or a
 * FIR, with okno_keyframe_requester_fir_seq, when the publisher negotiated only FIR).
 *
 * The numbers, and why. A new request goes out at most once per max(RTT, 250 ms): a keyframe cannot
 * arrive sooner than one RTT after the request, so a second request within an RTT only asks for a
 * second keyframe, and on a lossy link that doubles the bitrate spike that caused the loss; the
 * 250 ms floor keeps a room of subscribers joining together on a LAN-like RTT from making the
 * publisher encode several keyframes a second (libwebrtc's encoders drop requests closer than
 * about that anyway). A request not answered within max(2 RTT + 100 ms, 1 s) is repeated: the PLI
 * or the keyframe's first packet may have been lost, and a large keyframe on a slow uplink is paced
 * out over hundreds of milliseconds, so a shorter wait would repeat requests that are being
 * answered. A FIR repeat keeps its sequence number (RFC 5104 4.3.1.2: the same request); a new
 * request after a keyframe takes the next one.
 *
 * Time is a parameter (now_us); the stage holds no timer (okno_keyframe_requester_next_wakeup says
 * when to poll) and sends nothing itself. */
#ifndef OKNO_SFU_KEYFRAME_REQUESTER_H
#define OKNO_SFU_KEYFRAME_REQUESTER_H

#include <stdbool.h>
#include <stdint.h>

#define OKNO_KEYFRAME_MIN_INTERVAL_US 250000
#define OKNO_KEYFRAME_MIN_RETRY_US    1000000

struct okno_keyframe_requester {
    int64_t rtt_us; /* last known RTT to the publisher; 0 while unknown */
    /* state */
    bool wanted;           /* someone asked and no keyframe has come since */
    bool outstanding;      /* a request went out and no keyframe has come since */
    int64_t sent_us;       /* when the last request went out; INT64_MIN before the first */
    int64_t first_sent_us; /* when the outstanding request first went out (before its repeats) */
    int64_t response_us;   /* smoothed time from a request to its keyframe; 0 before the first */
    uint8_t fir_seq;       /* of the last request sent */
    /* counters */
    uint64_t requests_in;  /* okno_keyframe_requester_request calls */
    uint64_t requests_out; /* polls that said send, retries included */
    uint64_t retries;      /* of those, repeats of an unanswered request */
    uint64_t keyframes;    /* keyframes seen */
};

/* Resets kr: nothing wanted, RTT unknown, counters zero. No error; owns nothing. */
void okno_keyframe_requester_init(struct okno_keyframe_requester *kr);

/* Sets the RTT to the publisher (from its receiver reports or transport feedback); <= 0 means
 * unknown. It changes the throttle and the retry wait from the next poll on. */
void okno_keyframe_requester_set_rtt(struct okno_keyframe_requester *kr, int64_t rtt_us);

/* Someone needs a keyframe. Cheap and idempotent: any number of requests before the next keyframe
 * make one request to the publisher. No error. */
void okno_keyframe_requester_request(struct okno_keyframe_requester *kr, int64_t now_us);

/* The first packet of a keyframe arrived from the publisher: every request so far is answered. */
void okno_keyframe_requester_on_keyframe(struct okno_keyframe_requester *kr, int64_t now_us);

/* True when a PLI (or FIR) should be sent to the publisher now; the requester then counts it as
 * sent. False while nothing is wanted, or while the throttle or the retry wait holds it back. */
bool okno_keyframe_requester_poll(struct okno_keyframe_requester *kr, int64_t now_us);

/* How long the publisher has taken to answer a request with a keyframe's first packet, from the
 * first time the request went out (its round trip, waiting for the next capture and encoding),
 * smoothed over the answers so far; 0 before the first answer. Someone who needs a keyframe at a
 * given moment asks this much earlier. */
int64_t okno_keyframe_requester_response_us(const struct okno_keyframe_requester *kr);

/* How long an unanswered request waits before it is repeated, with the RTT known now. */
int64_t okno_keyframe_requester_retry_us(const struct okno_keyframe_requester *kr);

/* The FIR command sequence number for the request poll just said to send (RFC 5104). */
uint8_t okno_keyframe_requester_fir_seq(const struct okno_keyframe_requester *kr);

/* When poll will next say true if nothing else happens: INT64_MIN when at once (nothing sent yet),
 * INT64_MAX while nothing is wanted. */
int64_t okno_keyframe_requester_next_wakeup(const struct okno_keyframe_requester *kr);

#endif
