/* Test helper for the sender tests: a fake transport that records every RTP and RTCP datagram the
 * sender hands it with the simulated time it left, a loop that drives okno_sender_poll in
 * simulated time (jumping from one due time to the next), and an optional transport-cc loopback:
 * a one-way link of fixed delay and a given capacity (a FIFO bottleneck: each packet leaves when
 * the one before it has and its own bits are through) whose arrivals are reported back every
 * 50 ms with okno_twcc_build, as a browser's receiver does. */
#ifndef OKNO_TEST_SENDER_LOOP_H
#define OKNO_TEST_SENDER_LOOP_H

#include <stdlib.h>
#include <string.h>

#include "call/sender.h"
#include "okno/err.h"
#include "wire/rtp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtp_ext.h"
#include "wire/twcc.h"

#define LOOP_T0       5000000 /* simulated clock start, us */
#define LOOP_MAX_PKTS 60000
#define LOOP_MAX_RTCP 512
#define LOOP_TWCC_ID  3

struct loop_pkt {
    int64_t at;
    uint16_t len;
    uint8_t buf[1300];
};

struct loop {
    struct okno_sender *s;
    int64_t now;
    struct loop_pkt *rtp; /* owned, LOOP_MAX_PKTS */
    size_t n_rtp;
    struct loop_pkt *rtcp; /* owned, LOOP_MAX_RTCP */
    size_t n_rtcp;
    bool refuse;     /* the transport refuses everything */
    int64_t late_us; /* each wake comes this late (a loop busy encoding, millisecond timers) */
    /* transport-cc loopback */
    bool twcc;
    uint64_t capacity_bps; /* 0: unlimited */
    int64_t delay_us, link_free_us, next_fb_us;
    size_t fb_from; /* first recorded packet not yet reported */
    uint8_t fb_count;
    struct okno_twcc_entry *entries; /* owned, LOOP_MAX_PKTS */
    int64_t *arrival;                /* owned: per recorded packet, its arrival */
};

static inline int loop_send_rtp(void *arg, const uint8_t *pkt, size_t len)
{
    struct loop *l = arg;
    if (l->refuse || l->n_rtp >= LOOP_MAX_PKTS || len > sizeof l->rtp[0].buf)
        return -1;
    struct loop_pkt *p = &l->rtp[l->n_rtp];
    p->at = l->now;
    p->len = (uint16_t)len;
    memcpy(p->buf, pkt, len);
    /* The bottleneck: a packet leaves when its bits are through after the one before it. */
    int64_t start = l->now > l->link_free_us ? l->now : l->link_free_us;
    int64_t ser = l->capacity_bps ? (int64_t)(len * 8 * 1000000 / l->capacity_bps) : 0;
    l->link_free_us = start + ser;
    l->arrival[l->n_rtp] = l->link_free_us + l->delay_us;
    l->n_rtp++;
    return 0;
}

static inline int loop_send_rtcp(void *arg, const uint8_t *pkt, size_t len)
{
    struct loop *l = arg;
    if (l->refuse || l->n_rtcp >= LOOP_MAX_RTCP || len > sizeof l->rtcp[0].buf)
        return -1;
    struct loop_pkt *p = &l->rtcp[l->n_rtcp++];
    p->at = l->now;
    p->len = (uint16_t)len;
    memcpy(p->buf, pkt, len);
    return 0;
}

/* A sender configuration with the native client's extension ids, sending into l. */
static inline struct okno_sender_config loop_config(struct loop *l, bool audio, bool video)
{
    struct okno_sender_config c = {.audio = audio,
                                   .video = video,
                                   .seed = 7,
                                   .cname = "test-cname",
                                   .audio_mid = "0",
                                   .video_mid = "1",
                                   .ext_mid = 1,
                                   .ext_abs_send_time = 2,
                                   .ext_twcc = LOOP_TWCC_ID,
                                   .ext_rid = 4,
                                   .ext_repaired_rid = 5,
                                   .send_rtp = loop_send_rtp,
                                   .send_rtcp = loop_send_rtcp,
                                   .arg = l};
    return c;
}

static inline void loop_init(struct loop *l)
{
    memset(l, 0, sizeof *l);
    l->rtp = calloc(LOOP_MAX_PKTS, sizeof *l->rtp);
    l->rtcp = calloc(LOOP_MAX_RTCP, sizeof *l->rtcp);
    l->entries = calloc(LOOP_MAX_PKTS, sizeof *l->entries);
    l->arrival = calloc(LOOP_MAX_PKTS, sizeof *l->arrival);
    l->now = LOOP_T0;
    l->delay_us = 20000;
}

static inline int loop_start(struct loop *l, const struct okno_sender_config *c)
{
    return okno_sender_create(c, l->now, &l->s);
}

static inline void loop_free(struct loop *l)
{
    okno_sender_destroy(l->s);
    free(l->rtp);
    free(l->rtcp);
    free(l->entries);
    free(l->arrival);
    memset(l, 0, sizeof *l);
}

static inline void loop_rtcp_in(struct loop *l, const uint8_t *pkt, size_t len)
{
    okno_sender_on_rtcp(l->s, pkt, len, l->now);
}

/* Hands the sender a REMB of bps, as the server sends one. Returns the REMB's length, or the
 * builder's error (nothing handed over then). */
static inline int loop_remb(struct loop *l, uint64_t bps)
{
    struct okno_rtcp_remb remb = {.bitrate = bps, .ssrc_count = 1};
    uint8_t buf[64];
    int n = okno_rtcp_remb_build(9, &remb, buf, sizeof buf);
    if (n > 0)
        loop_rtcp_in(l, buf, (size_t)n);
    return n;
}

/* Reports every recorded packet that has arrived by now (and was stamped) in one or more feedback
 * packets. */
static inline void loop_feedback(struct loop *l)
{
    size_t n = 0, i = l->fb_from;
    for (; i < l->n_rtp && l->arrival[i] <= l->now; i++) {
        struct okno_rtp_pkt p;
        uint16_t seq;
        if (okno_rtp_parse(l->rtp[i].buf, l->rtp[i].len, &p) < 0 ||
            okno_rtp_ext_get_twcc(&p, LOOP_TWCC_ID, &seq) < 0)
            continue;
        l->entries[n++] = (struct okno_twcc_entry){
            .seq = seq, .status = OKNO_TWCC_SMALL_DELTA, .arrival_us = l->arrival[i]};
    }
    l->fb_from = i;
    for (size_t done = 0; done < n;) {
        uint8_t buf[1200];
        size_t used;
        struct okno_twcc_build_opts o = {
            .sender_ssrc = 1, .media_ssrc = 2, .fb_count = l->fb_count++};
        int len = okno_twcc_build(&o, l->entries + done, n - done, buf, sizeof buf, &used);
        if (len < 0)
            break;
        loop_rtcp_in(l, buf, (size_t)len);
        done += used;
    }
}

/* Runs the sender until `until` (absolute simulated time). */
static inline void loop_run(struct loop *l, int64_t until)
{
    while (l->now < until) {
        int64_t next = okno_sender_poll(l->s, l->now);
        if (l->twcc) {
            if (l->next_fb_us == 0)
                l->next_fb_us = l->now + 50000;
            if (l->now >= l->next_fb_us) {
                loop_feedback(l);
                l->next_fb_us += 50000;
            }
            if (l->next_fb_us < next)
                next = l->next_fb_us;
        }
        if (next > l->now)
            next += l->late_us;
        l->now = next < until ? next : until;
    }
}

/* Parses recorded packet i (the test fails on a packet that does not parse). */
/* Every byte the sender put on the wire in [from, to): audio, video and retransmissions alike. */
static inline uint64_t loop_bytes_between(const struct loop *l, int64_t from, int64_t to)
{
    uint64_t b = 0;
    for (size_t i = 0; i < l->n_rtp; i++)
        if (l->rtp[i].at >= from && l->rtp[i].at < to)
            b += l->rtp[i].len;
    return b;
}

static inline struct okno_rtp_pkt loop_parse(const struct loop *l, size_t i)
{
    struct okno_rtp_pkt p;
    memset(&p, 0, sizeof p);
    int rc = okno_rtp_parse(l->rtp[i].buf, l->rtp[i].len, &p);
    assert_int_equal(rc, 0);
    return p;
}

#endif
