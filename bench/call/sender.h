/* okno-bench's media sender: the publishing side of the native client, behaving like a browser's
 * sender. A deterministic synthetic camera (media/video_source.h) encoded by VP8 (1-3 simulcast
 * encodings, 1-3 temporal layers; libvpx's own rate control drops frames when it overshoots a
 * low target, and captures are skipped while the pacer's queue is long) and a synthetic tone
 * encoded by Opus (20 ms, 32 kbit/s, in-band FEC sized by the reported loss, optional DTX) are
 * packetized into RTP with the negotiated header extensions (mid, rid, abs-send-time,
 * transport-wide sequence number: one counter for the whole transport, stamped when a packet
 * leaves), kept for max(1 s, 3 x RTT) for RTX (RFC 4588) answers to NACKs (once per round trip, and
 * no more than the target's worth a second, as libwebrtc limits them), and sent through a pacer
 * (audio at once, then retransmissions, then video, at 2.5 x the target; probe clusters of
 * padding-only RTX at the rate the estimator asks, beside it). PLI and FIR make a key frame (at
 * most one per 300 ms per encoding); RTCP carries a sender report with CNAME per media SSRC each
 * second; receiver reports (RTT, loss), transport-cc feedback and REMB feed a send-side GCC
 * estimator (plugins/bwe/gcc.h) whose target, capped by the last REMB, less what the last second
 * sent of audio, RTX and video packet headers, drives the encoder (at most every 200 ms, on changes
 * over 5 %, but a fall of more than 20 % at once) and, with one
 * encoding, the resolution it encodes at (scaling below). As libwebrtc's, the encoder skips
 * captures while the pacer's video and RTX queue would take more than max(100 ms, 3 frame
 * intervals) to drain at the pacing rate, so after a capacity drop the sender sends at 2.5 x the
 * new target at most, not what was encoded for the old one. Everything is driven with now_us by the
 * owner: no GLib sources, no threads, nothing allocated per packet. It deliberately does not
 * encrypt (the owner's transport protects), receive media or negotiate anything. */
#ifndef OKNO_BENCH_CALL_SENDER_H
#define OKNO_BENCH_CALL_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The sender's rate range when its config leaves it out, kbit/s (libwebrtc's VP8 range at 640x360
 * is 30..1700; okno-bench goes to 2500 so that a 2.5 Mbit/s link can be filled). */
#define OKNO_SENDER_DEFAULT_MIN_KBPS 30
#define OKNO_SENDER_DEFAULT_MAX_KBPS 2500

struct okno_sender_config {
    bool audio, video;
    unsigned width, height, fps;             /* 0: 640, 360, 30 */
    unsigned encodings, temporal_layers;     /* 0: 1 and 1 (simulcast 3 x 3 like Chromium: 3, 3) */
    uint32_t start_kbps, min_kbps, max_kbps; /* 0: 300, 30, 2500 (whole send rate: audio + video) */
    uint32_t seed;
    bool opus_dtx;
    uint32_t audio_ssrc, video_ssrc[3], rtx_ssrc[3]; /* 0: chosen from seed */
    const char *cname, *audio_mid, *video_mid;       /* copied; NULL mid: omit */
    /* negotiated extension ids; -1 (or 0): not negotiated */
    int ext_mid, ext_rid, ext_abs_send_time, ext_twcc;
    /* Transport, called from poll/on_rtcp: must not call back into the sender. Return <0 = not
     * sent. */
    int (*send_rtp)(void *arg, const uint8_t *pkt, size_t len);
    int (*send_rtcp)(void *arg, const uint8_t *pkt, size_t len);
    void *arg; /* borrowed */
    /* added after the first version */
    int ext_repaired_rid; /* repaired-rtp-stream-id on RTX packets when simulcast; -1 or 0: none */
    /* Resolution adaptation of a single encoding, as a browser's balanced degradation does: the
     * one video SSRC carries the capture at /4, /2 or /1 (whichever the target bitrate and the
     * encoder's dropped frames allow; sender_scaling.h), switching with a key frame while its
     * sequence numbers, timestamps, picture ids and TL0PICIDX carry on. AUTO: on when
     * encodings == 1; simulcast never scales. */
    enum okno_sender_scaling {
        OKNO_SENDER_SCALING_AUTO = 0,
        OKNO_SENDER_SCALING_ON,
        OKNO_SENDER_SCALING_OFF
    } scaling;
    /* > 0: audio goes as RFC 2198 RED with this payload type (what the server's answer kept), each
     * packet carrying the previous one's Opus payload too, as Chromium sends it, and the two
     * before it while the audio's reported loss, smoothed, is 1 % or more (back under 0.5 %). */
    int audio_red_pt;
};

struct okno_sender;

/* Makes a sender into *out (owned by the caller: okno_sender_destroy). Returns 0, OKNO_E_INVAL (no
 * send_rtp/send_rtcp, neither audio nor video, a size/fps/layer count/rate out of range, an
 * extension id above 14, or two extensions with one id), OKNO_E_NOMEM, OKNO_E_IO (a codec refused).
 */
int okno_sender_create(const struct okno_sender_config *cfg, int64_t now_us,
                       struct okno_sender **out);
/* NULL is a no-op. */
void okno_sender_destroy(struct okno_sender *s);

/* Does everything due by now_us (capture+encode a frame, an Opus frame, pacing, RTCP, estimator
 * timers). Returns the time of the next thing due (the owner arms a timer for it). */
int64_t okno_sender_poll(struct okno_sender *s, int64_t now_us);

/* One compound RTCP datagram from the remote side (unprotected). Bad RTCP is counted, never fatal.
 * Retransmissions it asks for are queued for the pacer: poll again (at once) afterwards. */
void okno_sender_on_rtcp(struct okno_sender *s, const uint8_t *pkt, size_t len, int64_t now_us);

struct okno_sender_stats {
    /* rtp_*: every RTP packet sent (media, RTX, padding); rtx_packets answered NACKs; padding
     * packets probed; frames_* count per encoding; frames_dropped: by the encoder's rate control,
     * a full pacer, or a capture time the owner's poll came too late for */
    uint64_t rtp_packets, rtp_bytes, rtx_packets, padding_packets, frames_encoded, frames_dropped,
        keyframes;
    uint64_t nacks_received, plis_received, firs_received, rembs_received, twcc_feedbacks,
        rtcp_errors;
    /* the target (audio + video), the video encodings' allocation out of it (less than the video
     * share when every encoding is at its maximum), the rate sent over the last second */
    uint32_t target_kbps, encoder_kbps, sent_kbps;
    uint32_t estimate_kbps; /* okno_gcc's delay/loss estimate */
    uint32_t remb_kbps;     /* last REMB received; 0 none */
    int64_t rtt_us;         /* from RR LSR/DLSR; 0 unknown */
    double loss_fraction;   /* last RR fraction lost, 0..1 */
    unsigned active_encodings;
    /* added after the first version */
    uint64_t send_errors; /* packets send_rtp/send_rtcp refused */
    uint64_t srs_sent, rrs_received;
    uint32_t pacer_queue_ms; /* how long the pacer queue takes to drain now */
    /* the size the video is encoded at now (the top encoding's with simulcast; 0 without video)
     * and how often scaling switched it */
    unsigned width, height;
    uint64_t resolution_switches;
    /* of frames_dropped, the frames skipped because the pacer's video and retransmission queue
     * took longer than max(100 ms, 3 frame intervals) to drain at the pacing rate */
    uint64_t frames_skipped_queue;
    /* of frames_dropped, the frames libvpx's rate control dropped (it overshot the allocation),
     * and the captures whose time passed before the owner polled (an overloaded machine) */
    uint64_t frames_skipped_rate, frames_late;
    /* video and retransmissions a key frame dropped from the pacer queue (pacer.h) */
    uint64_t packets_flushed;
};
void okno_sender_stats(const struct okno_sender *s, int64_t now_us, struct okno_sender_stats *out);

#endif
