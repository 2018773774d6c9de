/* The feedback okno owes a publisher's transport so that the publisher's own congestion control
 * can adapt its uplink: transport-wide CC feedback (RTCP RTPFB FMT 15) about every packet that
 * arrives on the transport carrying a transport-wide sequence number (media, RTX and padding of
 * every SSRC: one recorder per transport, not per track), and a REMB that caps the publisher's
 * rate. It decides when each is due and builds it; the caller sends what it builds.
 *
 * Schedule of transport-cc feedback, after libwebrtc's receiver (RemoteEstimatorProxy): every
 * 100 ms until the incoming rate is known, then as often as keeps a feedback of ~76 bytes on the
 * wire at 5 % of that rate, between every 50 ms (above ~243 kbit/s) and every 250 ms (below
 * ~49 kbit/s). A window too large for one packet of max_size bytes goes out in several at once.
 * REMB: once a second and at once when the cap changes.
 *
 * Pure: time is a parameter, no transport, no timer, nothing allocated (the recorder's ring is in
 * the struct, about 32 KiB, so make it with the participant, not per packet). It deliberately does
 * not decide the cap (participant_pub_fb.c does, from the config and the subscribers) and does not
 * estimate anything: the publisher's sender-side estimator does that with what we send. */
#ifndef OKNO_SFU_PUB_FB_H
#define OKNO_SFU_PUB_FB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/rtp.h"
#include "wire/twcc_recorder.h"

#define OKNO_PUB_FB_DEFAULT_INTERVAL_US 100000
#define OKNO_PUB_FB_MIN_INTERVAL_US     50000
#define OKNO_PUB_FB_MAX_INTERVAL_US     250000
/* One feedback on the wire: libwebrtc's estimate (68 bytes: IP, UDP, SRTCP, RTCP and a few
 * statuses) plus the empty receiver report okno puts before it. */
#define OKNO_PUB_FB_WIRE_BYTES (68 + 8)
/* Share of the incoming rate the feedback may take, in percent. */
#define OKNO_PUB_FB_RATE_PERCENT 5
/* The incoming rate is measured over windows of this length. */
#define OKNO_PUB_FB_RATE_WINDOW_US   500000
#define OKNO_PUB_FB_REMB_INTERVAL_US 1000000

struct okno_pub_fb_counters {
    uint64_t recorded;     /* packets whose transport-wide number was recorded */
    uint64_t unnumbered;   /* packets without the element although it was negotiated */
    uint64_t refused;      /* duplicates and packets too old for the recorder */
    uint64_t feedbacks;    /* transport-cc packets built */
    uint64_t rembs;        /* REMB packets built */
    uint64_t build_errors; /* a feedback that could not be built (buffer below one status) */
};

struct okno_pub_fb {
    /* negotiated */
    uint8_t twcc_id; /* the transport's id of transport-wide-cc; 0: no transport-cc feedback */
    bool remb;       /* goog-remb negotiated */
    uint32_t sender_ssrc;
    /* transport-cc schedule */
    bool draining; /* a window is going out in several packets */
    int64_t interval_us;
    int64_t rate_start_us; /* start of the rate window; INT64_MIN before the first packet */
    uint64_t rate_bytes;   /* bytes in the rate window so far */
    uint64_t rate_bps;     /* the last window's rate; 0 while unknown */
    /* REMB */
    uint64_t cap_bps;     /* 0: no cap set */
    bool remb_due;        /* the cap changed since the last REMB */
    int64_t last_remb_us; /* INT64_MIN: none yet */
    struct okno_pub_fb_counters counters;
    struct okno_twcc_recorder rec;
};

/* Resets fb: nothing negotiated (nothing is ever due), no cap. Feedback is sent as sender_ssrc and
 * each transport-cc packet is at most max_size bytes (0: only the buffer given to poll limits it).
 * No error; fb owns nothing and needs no cleanup. */
void okno_pub_fb_init(struct okno_pub_fb *fb, uint32_t sender_ssrc, size_t max_size);

/* What the publisher's offer negotiated: the transport-wide-cc extension id when transport-cc
 * feedback was accepted with it (0: not), and whether goog-remb was. May be called again after a
 * renegotiation; what was recorded stays. */
void okno_pub_fb_configure(struct okno_pub_fb *fb, uint8_t twcc_id, bool remb);

/* One RTP packet (len bytes, parsed into rtp) arrived on the transport at now_us: its transport-
 * wide sequence number is recorded, and its size counted for the incoming rate. Call it for every
 * packet before anything else can drop it. Allocates nothing; never fails (what is not recorded is
 * counted). */
void okno_pub_fb_on_rtp(struct okno_pub_fb *fb, const struct okno_rtp_pkt *rtp, size_t len,
                        int64_t now_us);

/* The transport-cc feedback interval as of the last rate measured. */
int64_t okno_pub_fb_interval_us(const struct okno_pub_fb *fb);

/* The incoming rate of the last complete window, bits per second; 0 while unknown. */
uint64_t okno_pub_fb_rate_bps(const struct okno_pub_fb *fb);

/* Writes the next transport-cc feedback packet into buf (cap bytes) when one is due at now_us and
 * returns its size; 0 when none is due (or transport-cc is not negotiated). Call again until it
 * returns 0: a window larger than one packet comes in several. The feedback packet count
 * advances with each packet. A buffer too small for one status is counted in build_errors and
 * returns 0. Writes only buf. */
int okno_pub_fb_poll_twcc(struct okno_pub_fb *fb, int64_t now_us, uint8_t *buf, size_t cap);

/* Sets the cap the REMB announces, bits per second (0: none, no REMB). A cap that moved by more
 * than OKNO_PUB_FB_REMB_URGENT_PCT per cent (or from or to 0) makes a REMB due at once; a smaller
 * move rides on the next periodic one, because a cap that follows subscribers' estimates changes
 * a little at every tick. Returns true when it changed. */
#define OKNO_PUB_FB_REMB_URGENT_PCT 10
bool okno_pub_fb_set_cap(struct okno_pub_fb *fb, uint64_t cap_bps);

/* Writes a REMB for the cap and the publisher's SSRCs (ssrcs[0..n), at most
 * OKNO_RTCP_REMB_MAX_SSRCS are taken) into buf when one is due at now_us and returns its size; 0
 * when none is due, goog-remb was not negotiated, no cap is set or n is 0; OKNO_E_NOSPC when buf
 * cannot hold it (nothing changes). Writes only buf. */
int okno_pub_fb_poll_remb(struct okno_pub_fb *fb, int64_t now_us, const uint32_t *ssrcs, size_t n,
                          uint8_t *buf, size_t cap);

#endif
