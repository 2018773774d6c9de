/* The transport-wide part of okno-bench's receiving side, for one subscriber transport: records the
 * transport-wide sequence number and arrival time of every packet (wire/twcc_recorder.h) and sends
 * transport-cc feedback every 100 ms when the extension was negotiated; otherwise, when goog-remb
 * was, a REMB once a second from a deliberately simple estimate (the rate received over the last
 * second times 1.5, or times 0.85 when more than 2 % of it was lost), so a REMB-only sender still
 * hears something sensible. It also keeps the received bytes, packets and losses per second for the
 * run's timeline. Losses are counted from the transport-wide numbers when there are any, else from
 * each SSRC's sequence numbers (RTX included: its own SSRC). It deliberately does no delay-based
 * estimation (the sender's GCC does that from the feedback) and no per-track work. */
#include <stdlib.h>
#include <string.h>

#include "call/receiver.h"
#include "okno/err.h"
#include "wire/rtcp_fb.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/twcc_recorder.h"

#define FEEDBACK_INTERVAL_US 100000
#define REMB_INTERVAL_US     1000000
#define MAX_SSRCS            16
#define REMB_FLOOR_BPS       30000
#define FB_MAX               1200

/* Per-SSRC sequence accounting over the current second, for the loss of the REMB estimate. */
struct src {
    uint32_t ssrc;
    int64_t max_seq;       /* unwrapped */
    int64_t expected_base; /* max_seq at the start of the interval */
    uint64_t received;     /* in the interval */
};

struct okno_rx_transport {
    struct okno_rx_transport_config cfg; /* arg borrowed */
    struct okno_twcc_recorder rec;
    bool started;
    int64_t next_fb_us, next_second_us; /* feedback; the once-a-second loss count and REMB */
    /* twcc accounting: unwrapped first and highest numbers, distinct arrivals */
    bool twcc_started;
    int64_t twcc_first, twcc_max;
    uint16_t twcc_last;
    uint64_t twcc_received;
    uint64_t twcc_lost_prev; /* losses already put into the timeline */
    /* REMB estimate inputs */
    struct src srcs[MAX_SSRCS];
    unsigned n_srcs;
    uint64_t window_bytes;
    /* owned */
    struct okno_rx_second *timeline;
    size_t timeline_cap, timeline_n;
    uint8_t fb[FB_MAX];
    struct okno_rtcp_remb remb;
    struct okno_rx_transport_stats st;
};

int okno_rx_transport_create(const struct okno_rx_transport_config *cfg,
                             struct okno_rx_transport **out)
{
    *out = NULL;
    if (!cfg || !cfg->send_rtcp || cfg->ext_twcc < 0 || cfg->ext_twcc > 255 ||
        cfg->ext_abs_send_time < 0 || cfg->ext_abs_send_time > 255 || cfg->timeline_s > 1000000)
        return OKNO_E_INVAL;
    struct okno_rx_transport *t = calloc(1, sizeof *t);
    if (!t)
        return OKNO_E_NOMEM;
    t->cfg = *cfg;
    if (cfg->timeline_s) {
        t->timeline = calloc(cfg->timeline_s, sizeof *t->timeline);
        if (!t->timeline) {
            free(t);
            return OKNO_E_NOMEM;
        }
        t->timeline_cap = cfg->timeline_s;
    }
    okno_twcc_recorder_init(&t->rec, cfg->local_ssrc, 0, FB_MAX);
    t->next_fb_us = t->next_second_us = INT64_MAX;
    *out = t;
    return 0;
}

void okno_rx_transport_destroy(struct okno_rx_transport *t)
{
    if (!t)
        return;
    free(t->timeline);
    free(t);
}

static struct okno_rx_second *second_at(struct okno_rx_transport *t, int64_t now_us)
{
    if (now_us < t->cfg.start_us || !t->timeline)
        return NULL;
    uint64_t i = (uint64_t)(now_us - t->cfg.start_us) / 1000000;
    if (i >= t->timeline_cap)
        return NULL;
    while (t->timeline_n <= i)
        memset(&t->timeline[t->timeline_n++], 0, sizeof *t->timeline);
    return &t->timeline[i];
}

static int64_t unwrap16(int64_t ref, uint16_t seq)
{
    int16_t d = (int16_t)(uint16_t)(seq - (uint16_t)ref);
    return ref + d;
}

static void on_twcc(struct okno_rx_transport *t, uint16_t seq, int64_t now_us)
{
    if (okno_twcc_recorder_on_packet(&t->rec, seq, now_us) != 0)
        return; /* duplicate or too old */
    if (!t->twcc_started) {
        t->twcc_started = true;
        t->twcc_first = t->twcc_max = seq;
        t->next_fb_us = now_us + FEEDBACK_INTERVAL_US;
    }
    int64_t s = unwrap16(t->twcc_max, seq);
    if (s > t->twcc_max)
        t->twcc_max = s;
    if (s < t->twcc_first)
        t->twcc_first = s;
    t->twcc_received++;
}

static void on_src(struct okno_rx_transport *t, const struct okno_rtp_pkt *pkt)
{
    struct src *s = NULL;
    for (unsigned i = 0; i < t->n_srcs && !s; i++)
        if (t->srcs[i].ssrc == pkt->ssrc)
            s = &t->srcs[i];
    if (!s) {
        if (t->n_srcs == MAX_SSRCS)
            return;
        s = &t->srcs[t->n_srcs++];
        *s = (struct src){.ssrc = pkt->ssrc, .max_seq = (int64_t)pkt->seq - 1};
        s->expected_base = s->max_seq;
    }
    int64_t seq = unwrap16(s->max_seq, pkt->seq);
    if (seq > s->max_seq)
        s->max_seq = seq;
    s->received++;
}

void okno_rx_transport_on_rtp(struct okno_rx_transport *t, const uint8_t *buf, size_t len,
                              int64_t now_us)
{
    struct okno_rtp_pkt pkt;
    if (okno_rtp_parse(buf, len, &pkt) < 0) {
        t->st.garbage++;
        return;
    }
    if (!t->started) {
        t->started = true;
        t->rec.opts.media_ssrc = pkt.ssrc;
        t->next_second_us = now_us + REMB_INTERVAL_US;
    }
    t->st.packets++;
    t->st.bytes += len;
    t->window_bytes += len;
    struct okno_rx_second *sec = second_at(t, now_us);
    if (sec) {
        sec->bytes += len;
        sec->packets++;
    }
    uint16_t seq;
    if (t->cfg.ext_twcc && okno_rtp_ext_get_twcc(&pkt, (uint8_t)t->cfg.ext_twcc, &seq) == 0)
        on_twcc(t, seq, now_us);
    on_src(t, &pkt); /* padding-only probes too: they take RTX sequence numbers */
}

/* Losses since the last look (transport-wide numbers or per SSRC), expected in *expected. */
static uint64_t take_losses(struct okno_rx_transport *t, uint64_t *expected)
{
    uint64_t exp = 0, rec = 0;
    for (unsigned i = 0; i < t->n_srcs; i++) {
        struct src *s = &t->srcs[i];
        uint64_t e = (uint64_t)(s->max_seq - s->expected_base);
        exp += e;
        rec += s->received < e ? s->received : e;
        s->expected_base = s->max_seq;
        s->received = 0;
    }
    *expected = exp;
    if (!t->twcc_started)
        return exp - rec;
    uint64_t total = (uint64_t)(t->twcc_max - t->twcc_first + 1);
    uint64_t lost = total > t->twcc_received ? total - t->twcc_received : 0;
    uint64_t d = lost > t->twcc_lost_prev ? lost - t->twcc_lost_prev : 0;
    t->twcc_lost_prev = lost > t->twcc_lost_prev ? lost : t->twcc_lost_prev;
    return d;
}

static void send_remb(struct okno_rx_transport *t, uint64_t bytes, uint64_t lost, uint64_t expected)
{
    uint64_t bps = bytes * 8 * 1000000 / REMB_INTERVAL_US;
    bps = expected && lost * 50 > expected ? bps * 85 / 100 : bps * 3 / 2;
    if (bps < REMB_FLOOR_BPS)
        bps = REMB_FLOOR_BPS;
    t->remb.bitrate = bps;
    t->remb.ssrc_count = (uint8_t)t->n_srcs;
    for (unsigned i = 0; i < t->n_srcs; i++)
        t->remb.ssrcs[i] = t->srcs[i].ssrc;
    int len = okno_rtcp_remb_build(t->cfg.local_ssrc, &t->remb, t->fb, sizeof t->fb);
    if (len <= 0)
        return;
    t->st.rembs_sent++;
    t->st.remb_bps = bps;
    t->cfg.send_rtcp(t->cfg.arg, t->fb, (size_t)len);
}

/* The second that ended at end_us: its losses into the timeline (the second they were noticed
 * in, however late the poll), and the REMB when that is the feedback. */
static void on_second(struct okno_rx_transport *t, int64_t end_us)
{
    uint64_t expected;
    uint64_t lost = take_losses(t, &expected);
    struct okno_rx_second *sec = second_at(t, end_us - 1);
    if (sec)
        sec->lost += (uint32_t)lost;
    uint64_t bytes = t->window_bytes;
    t->window_bytes = 0;
    if (t->cfg.remb && !t->cfg.ext_twcc)
        send_remb(t, bytes, lost, expected);
}

int64_t okno_rx_transport_poll(struct okno_rx_transport *t, int64_t now_us)
{
    if (now_us >= t->next_fb_us) {
        int len;
        while ((len = okno_twcc_recorder_build(&t->rec, now_us, t->fb, sizeof t->fb)) > 0) {
            t->st.feedbacks_sent++;
            t->cfg.send_rtcp(t->cfg.arg, t->fb, (size_t)len);
        }
        while (t->next_fb_us <= now_us)
            t->next_fb_us += FEEDBACK_INTERVAL_US;
    }
    if (now_us >= t->next_second_us) {
        on_second(t, t->next_second_us);
        while (t->next_second_us <= now_us)
            t->next_second_us += REMB_INTERVAL_US;
    }
    return t->next_fb_us < t->next_second_us ? t->next_fb_us : t->next_second_us;
}

void okno_rx_transport_stats(const struct okno_rx_transport *t, struct okno_rx_transport_stats *out)
{
    *out = t->st;
    out->timeline = t->timeline;
    out->timeline_n = t->timeline_n;
}
