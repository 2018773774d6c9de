/* A call in simulated time for the estimator's tests: a sender paced at the estimator's target
 * (1200-byte packets, probe clusters when asked), one direction of the link emulator's model
 * (bench/linkemu/link.h), a receiver that reports every packet in real transport-cc feedback
 * built with okno_twcc_build every fb_interval_us, and a fixed reverse delay after which the
 * sender parses it (okno_twcc_parse) and hands it to the estimator. Everything is deterministic:
 * the same inputs give the same run. Header-only so each test program stays one .c file. */
#ifndef OKNO_TEST_GCC_SIM_H
#define OKNO_TEST_GCC_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkemu/link.h"
#include "okno/err.h"
#include "plugins/bwe/gcc.h"
#include "wire/twcc.h"

#define SIM_RING        65536u /* receiver state by 16-bit sequence number */
#define SIM_FBQ         256
#define SIM_FB_MAX      1500
#define SIM_LAG_SLOTS   512 /* of SIM_LAG_STEP_US: lags up to 5 s */
#define SIM_LAG_STEP_US 10000

struct sim_fb {
    int64_t at_us;
    size_t len;
    uint8_t buf[SIM_FB_MAX];
};

struct sim {
    struct okno_gcc *g;     /* owned */
    struct okno_link *link; /* owned */
    int64_t now_us;
    /* sender */
    size_t pkt_bytes;
    uint64_t fixed_bps; /* not 0: send at this rate whatever the estimate */
    /* not 0: the sender follows the target this late, as an SFU forwarding a publisher that
       adapts to the SFU's REMB a second or two after the estimate moved; a pacer at pace_factor x
       the current target still bounds it (0: unbounded) */
    int64_t lag_us;
    double pace_factor;
    /* not 0: media leaves this many packets at a time (a pacer's release every few ms), the
       average rate unchanged; 0 or 1: one packet at a time, evenly spaced */
    unsigned burst, burst_sent;
    uint32_t lag_ring[SIM_LAG_SLOTS]; /* the target every SIM_LAG_STEP_US */
    int64_t lag_last_us;
    size_t lag_head;
    bool no_probe;      /* a sender that never probes (the estimate alone must climb) */
    uint64_t cross_bps; /* not 0: unresponsive cross traffic into the same queue */
    int64_t next_cross_us;
    uint64_t cross_seq;
    int64_t next_send_us;
    uint64_t seq; /* next transport-wide number, unwrapped (stamped modulo 2^16) */
    int64_t probe_until_us;
    uint32_t probe_bps;
    int64_t *send_us; /* by seq modulo SIM_RING */
    /* receiver */
    int64_t rx_offset_us; /* the receiver's clock minus the sender's */
    int64_t *arrival_us;  /* by seq modulo SIM_RING, -1: not (yet) received */
    bool rx_any;
    uint64_t rx_next, rx_high; /* next to report, highest received */
    int64_t fb_interval_us, next_fb_us, rev_delay_us;
    uint8_t fb_count;
    unsigned fb_drop_mod; /* not 0: every fb_drop_mod-th feedback packet is lost on the way */
    struct sim_fb fbq[SIM_FBQ];
    size_t fbq_head, fbq_n;
    /* figures of the current step, reset by sim_step */
    int64_t max_owd_us;
    uint64_t bytes_out;
    int fb_errors;
};

static inline struct sim *sim_new(const struct okno_gcc_config *cfg,
                                  const struct okno_link_params *lp, uint64_t seed)
{
    struct sim *s = calloc(1, sizeof *s);
    assert_non_null(s);
    assert_int_equal(okno_gcc_create(cfg, 0, &s->g), 0);
    assert_int_equal(okno_link_create(lp, 1u << 16, seed, &s->link), 0);
    s->send_us = malloc(SIM_RING * sizeof *s->send_us);
    s->arrival_us = malloc(SIM_RING * sizeof *s->arrival_us);
    assert_non_null(s->send_us);
    assert_non_null(s->arrival_us);
    for (size_t i = 0; i < SIM_RING; i++)
        s->arrival_us[i] = -1;
    s->pkt_bytes = 1200;
    s->fb_interval_us = 50000;
    s->next_fb_us = 50000;
    s->rev_delay_us = 20000;
    s->probe_until_us = -1;
    s->lag_last_us = -1;
    return s;
}

static inline void sim_free(struct sim *s)
{
    okno_gcc_destroy(s->g);
    okno_link_destroy(s->link);
    free(s->send_us);
    free(s->arrival_us);
    free(s);
}

/* Starts (bps > 0) or stops cross traffic from now. */
static inline void sim_set_cross(struct sim *s, uint64_t bps)
{
    s->cross_bps = bps;
    s->next_cross_us = s->now_us;
}

static inline void sim_set_link(struct sim *s, const struct okno_link_params *lp)
{
    assert_int_equal(okno_link_set_params(s->link, s->now_us, lp), 0);
}

/* The rate a lagging sender sends at now: the target lag_us ago (the oldest known before that),
 * at most pace_factor x the target now. */
static inline uint64_t sim_lagged_rate(struct sim *s, uint32_t target)
{
    if (s->lag_last_us < 0) {
        for (size_t i = 0; i < SIM_LAG_SLOTS; i++)
            s->lag_ring[i] = target;
        s->lag_last_us = s->now_us;
    }
    while (s->now_us - s->lag_last_us >= SIM_LAG_STEP_US) {
        s->lag_head = (s->lag_head + 1) % SIM_LAG_SLOTS;
        s->lag_ring[s->lag_head] = target;
        s->lag_last_us += SIM_LAG_STEP_US;
    }
    size_t back = (size_t)(s->lag_us / SIM_LAG_STEP_US);
    if (back >= SIM_LAG_SLOTS)
        back = SIM_LAG_SLOTS - 1;
    uint64_t r = s->lag_ring[(s->lag_head + SIM_LAG_SLOTS - back) % SIM_LAG_SLOTS];
    if (s->pace_factor > 0 && (double)r > s->pace_factor * target)
        r = (uint64_t)(s->pace_factor * target);
    return r;
}

static inline void sim_send(struct sim *s)
{
    struct okno_gcc_estimate e;
    okno_gcc_estimate(s->g, s->now_us, &e);
    bool probe = false;
    uint64_t rate = s->lag_us > 0 ? sim_lagged_rate(s, e.target_bps) : e.target_bps;
    if (!s->no_probe && s->probe_until_us < s->now_us && e.probe_wanted) {
        /* A cluster of about 20 ms at the asked rate, at least 5 packets. */
        s->probe_bps = e.probe_bps;
        s->probe_until_us = s->now_us + 20000;
    }
    if (s->now_us < s->probe_until_us) {
        probe = true;
        rate = s->probe_bps;
    }
    if (s->fixed_bps)
        rate = s->fixed_bps, probe = false;
    if (rate < 10000)
        rate = 10000;
    uint64_t q = s->seq++;
    s->send_us[q % SIM_RING] = s->now_us;
    s->arrival_us[q % SIM_RING] = -1;
    okno_gcc_on_packet_sent(s->g, (uint16_t)q, s->pkt_bytes, s->now_us, probe);
    okno_link_enqueue(s->link, s->now_us, s->pkt_bytes, q);
    int64_t gap = (int64_t)(s->pkt_bytes * 8 * 1000000 / rate);
    if (s->burst > 1 && !probe) {
        /* the burst's packets leave 50 us apart, the next burst a burst's worth of gaps later */
        bool more = ++s->burst_sent < s->burst;
        if (!more)
            s->burst_sent = 0;
        gap = more ? 50 : gap * (int64_t)s->burst - 50 * (int64_t)(s->burst - 1);
    }
    s->next_send_us = s->now_us + gap;
}

#define SIM_CROSS (1ull << 62) /* cookie bit of cross-traffic packets */

static inline void sim_cross(struct sim *s)
{
    okno_link_enqueue(s->link, s->now_us, s->pkt_bytes, SIM_CROSS | s->cross_seq++);
    s->next_cross_us = s->now_us + (int64_t)(s->pkt_bytes * 8 * 1000000 / s->cross_bps);
}

static inline void sim_depart(struct sim *s)
{
    uint64_t q;
    size_t len;
    while (okno_link_dequeue(s->link, s->now_us, &q, &len)) {
        if (q & SIM_CROSS)
            continue;
        int64_t owd = s->now_us - s->send_us[q % SIM_RING];
        if (owd > s->max_owd_us)
            s->max_owd_us = owd;
        s->bytes_out += len;
        s->arrival_us[q % SIM_RING] = s->now_us + s->rx_offset_us;
        if (!s->rx_any) {
            s->rx_any = true;
            s->rx_next = q;
            s->rx_high = q;
        } else if (q > s->rx_high) {
            s->rx_high = q;
        }
    }
}

/* The receiver reports everything from the first unreported packet to the highest received. */
static inline void sim_feedback_build(struct sim *s)
{
    if (!s->rx_any || s->rx_high < s->rx_next)
        return;
    static struct okno_twcc_entry ent[SIM_RING];
    size_t n = 0;
    for (uint64_t q = s->rx_next; q <= s->rx_high && n < SIM_RING / 2; q++) {
        int64_t a = s->arrival_us[q % SIM_RING];
        ent[n].seq = (uint16_t)q;
        ent[n].status = a >= 0 ? OKNO_TWCC_SMALL_DELTA : OKNO_TWCC_NOT_RECEIVED;
        ent[n].arrival_us = a >= 0 ? a : 0;
        n++;
    }
    s->rx_next += n;
    size_t off = 0;
    while (off < n) {
        assert_true(s->fbq_n < SIM_FBQ);
        struct sim_fb *f = &s->fbq[(s->fbq_head + s->fbq_n) % SIM_FBQ];
        struct okno_twcc_build_opts o = {
            .sender_ssrc = 1, .media_ssrc = 2, .fb_count = s->fb_count++, .max_size = SIM_FB_MAX};
        size_t used = 0;
        int len = okno_twcc_build(&o, ent + off, n - off, f->buf, sizeof f->buf, &used);
        assert_true(len > 0);
        f->len = (size_t)len;
        f->at_us = s->now_us + s->rev_delay_us;
        off += used;
        if (s->fb_drop_mod && o.fb_count % s->fb_drop_mod == 0)
            continue;
        s->fbq_n++;
    }
}

static inline void sim_feedback_deliver(struct sim *s)
{
    while (s->fbq_n > 0 && s->fbq[s->fbq_head].at_us <= s->now_us) {
        struct sim_fb *f = &s->fbq[s->fbq_head];
        struct okno_twcc_fb fb;
        int len = okno_twcc_parse(f->buf, f->len, &fb);
        assert_int_equal(len, (int)f->len);
        if (okno_gcc_on_feedback(s->g, &fb, s->now_us) != 0)
            s->fb_errors++;
        s->fbq_head = (s->fbq_head + 1) % SIM_FBQ;
        s->fbq_n--;
    }
}

/* Runs the call until end_us, event by event. */
static inline void sim_run(struct sim *s, int64_t end_us)
{
    for (;;) {
        int64_t t = s->next_send_us;
        int64_t dep = okno_link_next_departure(s->link);
        if (dep < t)
            t = dep;
        if (s->next_fb_us < t)
            t = s->next_fb_us;
        if (s->cross_bps && s->next_cross_us < t)
            t = s->next_cross_us;
        if (s->fbq_n > 0 && s->fbq[s->fbq_head].at_us < t)
            t = s->fbq[s->fbq_head].at_us;
        if (t > end_us)
            break;
        s->now_us = t;
        if (dep <= t)
            sim_depart(s);
        if (s->fbq_n > 0 && s->fbq[s->fbq_head].at_us <= t)
            sim_feedback_deliver(s);
        if (s->next_fb_us <= t) {
            sim_feedback_build(s);
            s->next_fb_us += s->fb_interval_us;
        }
        if (s->next_send_us <= t)
            sim_send(s);
        if (s->cross_bps && s->next_cross_us <= t)
            sim_cross(s);
    }
    s->now_us = end_us;
}

/* One step of step_us: runs it and returns the estimate at its end; the step's figures are in
 * s->max_owd_us and s->bytes_out until the next step. */
static inline struct okno_gcc_estimate sim_step(struct sim *s, int64_t step_us)
{
    s->max_owd_us = 0;
    s->bytes_out = 0;
    sim_run(s, s->now_us + step_us);
    struct okno_gcc_estimate e;
    okno_gcc_estimate(s->g, s->now_us, &e);
    return e;
}

/* One line of the estimator's state per call when GCC_SIM_VERBOSE is set (quiet otherwise): what
 * a failing seed needs to be understood. sent_bps is what the harness sent over the last step. */
static inline void sim_trace(const char *name, const struct sim *s,
                             const struct okno_gcc_estimate *e, double sent_bps)
{
    if (getenv("GCC_SIM_VERBOSE") == NULL)
        return;
    printf("# %s t=%.1f target=%u delay=%u loss=%u acked=%u q=%.1fms owdmax=%.1fms usage=%d "
           "state=%d trend=%.2f thr=%.2f lr=%.3f cong=%d probe=%d/%u out=%.0f\n",
           name, (double)s->now_us / 1e6, e->target_bps, e->delay_bps, e->loss_bps, e->acked_bps,
           (double)e->queue_delay_us / 1e3, (double)s->max_owd_us / 1e3, e->usage, e->state,
           e->trend_ms, e->threshold_ms, e->loss_ratio, e->congestive_loss, e->probe_wanted,
           e->probe_bps, sent_bps);
}

#endif
