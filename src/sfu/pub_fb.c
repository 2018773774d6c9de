/* Publisher feedback scheduling (pub_fb.h): the transport-wide CC recorder and the rate that
 * paces its feedback, and the REMB timer. The recorder (wire/twcc_recorder.h) does the recording
 * and the encoding; this file only decides when. */
#include "sfu/pub_fb.h"

#include <string.h>

#include "okno/err.h"
#include "wire/rtcp_fb.h"
#include "wire/rtp_ext.h"

void okno_pub_fb_init(struct okno_pub_fb *fb, uint32_t sender_ssrc, size_t max_size)
{
    fb->twcc_id = 0;
    fb->remb = false;
    fb->sender_ssrc = sender_ssrc;
    fb->draining = false;
    fb->interval_us = OKNO_PUB_FB_DEFAULT_INTERVAL_US;
    fb->rate_start_us = INT64_MIN;
    fb->rate_bytes = 0;
    fb->rate_bps = 0;
    fb->cap_bps = 0;
    fb->remb_due = false;
    fb->last_remb_us = INT64_MIN;
    memset(&fb->counters, 0, sizeof fb->counters);
    okno_twcc_recorder_init(&fb->rec, sender_ssrc, 0, max_size);
}

void okno_pub_fb_configure(struct okno_pub_fb *fb, uint8_t twcc_id, bool remb)
{
    fb->twcc_id = twcc_id;
    if (!fb->remb && remb)
        fb->remb_due = fb->cap_bps > 0; /* a cap set before goes out with the first chance */
    fb->remb = remb;
}

/* libwebrtc's rule: the interval at which a feedback of OKNO_PUB_FB_WIRE_BYTES takes
 * OKNO_PUB_FB_RATE_PERCENT of the rate, within the bounds. */
static int64_t interval_for(uint64_t rate_bps)
{
    if (rate_bps == 0)
        return OKNO_PUB_FB_DEFAULT_INTERVAL_US;
    uint64_t us = (uint64_t)OKNO_PUB_FB_WIRE_BYTES * 8u * 100u * 1000000u /
                  ((uint64_t)OKNO_PUB_FB_RATE_PERCENT * rate_bps);
    if (us < OKNO_PUB_FB_MIN_INTERVAL_US)
        return OKNO_PUB_FB_MIN_INTERVAL_US;
    if (us > OKNO_PUB_FB_MAX_INTERVAL_US)
        return OKNO_PUB_FB_MAX_INTERVAL_US;
    return (int64_t)us;
}

/* Rate over consecutive windows: a window closes at the first packet after its end, and a gap of
 * more than one window (the publisher paused) counts as such, at the low rate it really was. */
static void count_bytes(struct okno_pub_fb *fb, size_t len, int64_t now_us)
{
    if (fb->rate_start_us == INT64_MIN || now_us < fb->rate_start_us) {
        fb->rate_start_us = now_us;
        fb->rate_bytes = 0;
    }
    int64_t span = now_us - fb->rate_start_us;
    if (span >= OKNO_PUB_FB_RATE_WINDOW_US) {
        fb->rate_bps = fb->rate_bytes * 8u * 1000000u / (uint64_t)span;
        fb->interval_us = interval_for(fb->rate_bps);
        fb->rate_start_us = now_us;
        fb->rate_bytes = 0;
    }
    fb->rate_bytes += len;
}

void okno_pub_fb_on_rtp(struct okno_pub_fb *fb, const struct okno_rtp_pkt *rtp, size_t len,
                        int64_t now_us)
{
    count_bytes(fb, len, now_us);
    if (fb->twcc_id == 0)
        return;
    uint16_t seq;
    if (okno_rtp_ext_get_twcc(rtp, fb->twcc_id, &seq) != 0) {
        fb->counters.unnumbered++;
        return;
    }
    if (okno_twcc_recorder_on_packet(&fb->rec, seq, now_us) != 0) {
        fb->counters.refused++;
        return;
    }
    /* libwebrtc names the media SSRC of the latest packet; senders do not look at it. */
    fb->rec.opts.media_ssrc = rtp->ssrc;
    fb->counters.recorded++;
}

int64_t okno_pub_fb_interval_us(const struct okno_pub_fb *fb)
{
    return fb->interval_us;
}

uint64_t okno_pub_fb_rate_bps(const struct okno_pub_fb *fb)
{
    return fb->rate_bps;
}

int okno_pub_fb_poll_twcc(struct okno_pub_fb *fb, int64_t now_us, uint8_t *buf, size_t cap)
{
    if (fb->twcc_id == 0)
        return 0;
    if (!fb->draining && !okno_twcc_recorder_due(&fb->rec, now_us, fb->interval_us))
        return 0;
    int n = okno_twcc_recorder_build(&fb->rec, now_us, buf, cap);
    if (n < 0) {
        fb->counters.build_errors++;
        fb->draining = false;
        return 0;
    }
    fb->draining = n > 0 && okno_twcc_recorder_pending(&fb->rec) > 0;
    if (n > 0)
        fb->counters.feedbacks++;
    return n;
}

bool okno_pub_fb_set_cap(struct okno_pub_fb *fb, uint64_t cap_bps)
{
    if (cap_bps == fb->cap_bps)
        return false;
    uint64_t old = fb->cap_bps;
    uint64_t moved = cap_bps > old ? cap_bps - old : old - cap_bps;
    fb->cap_bps = cap_bps;
    if (old == 0 || moved * 100u > old * OKNO_PUB_FB_REMB_URGENT_PCT)
        fb->remb_due = fb->remb_due || cap_bps > 0;
    return true;
}

int okno_pub_fb_poll_remb(struct okno_pub_fb *fb, int64_t now_us, const uint32_t *ssrcs, size_t n,
                          uint8_t *buf, size_t cap)
{
    if (!fb->remb || fb->cap_bps == 0 || n == 0)
        return 0;
    bool periodic =
        fb->last_remb_us == INT64_MIN || now_us - fb->last_remb_us >= OKNO_PUB_FB_REMB_INTERVAL_US;
    if (!fb->remb_due && !periodic)
        return 0;
    struct okno_rtcp_remb remb = {.bitrate = fb->cap_bps};
    for (size_t i = 0; i < n && i < OKNO_RTCP_REMB_MAX_SSRCS; i++)
        remb.ssrcs[remb.ssrc_count++] = ssrcs[i];
    int len = okno_rtcp_remb_build(fb->sender_ssrc, &remb, buf, cap);
    if (len < 0)
        return len;
    fb->remb_due = false;
    fb->last_remb_us = now_us;
    fb->counters.rembs++;
    return len;
}
