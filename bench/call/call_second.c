/* okno-bench call's once-a-second sample of each direction (what the link, the sender and the
 * receivers did in the last second) and the line printed for it. See call.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "call/call_internal.h"

static uint64_t rx_bytes(struct okno_participant *p)
{
    uint64_t n = 0;
    for (int v = 0; v < 2; v++) {
        struct okno_receiver *r = okno_participant_receiver(p, v == 1);
        if (r) {
            struct okno_receiver_stats s;
            okno_receiver_stats(r, &s);
            n += s.media_bytes;
        }
    }
    return n;
}

/* The receiver's last complete second (NULL when there is none yet). */
static const struct okno_metrics_second *last_second(const struct okno_stream_metrics *m,
                                                     int64_t now_us)
{
    int64_t idx = (now_us - m->start_us) / 1000000 - 1;
    if (idx < 0 || (size_t)idx >= m->timeline_n)
        return NULL;
    return &m->timeline[idx];
}

/* cur - *prev, then *prev = cur; a counter that went back (a receiver replaced by a new one for
 * a reused slot) counts from zero. */
static uint64_t delta(uint64_t cur, uint64_t *prev)
{
    uint64_t d = cur >= *prev ? cur - *prev : cur;
    *prev = cur;
    return d;
}

/* Which of the sender's encodings (0: /4, 1: /2, 2: the capture) a received height is; -1 when
 * it is none of them. */
static int spatial_of(const struct okno_call *c, unsigned height)
{
    unsigned capture = c->o.height ? (unsigned)c->o.height : 360;
    for (int l = 0; l < 3; l++)
        if (height && height == capture >> (2 - l))
            return l;
    return -1;
}

static void sample_sender(struct okno_call *c, struct okno_call_direction *d, int64_t now_us,
                          struct okno_report_second *s)
{
    struct okno_sender *snd = okno_participant_sender(*d->from);
    if (snd) {
        struct okno_sender_stats ss;
        okno_sender_stats(snd, now_us, &ss);
        s->sent_kbps = ss.sent_kbps;
        s->estimate_kbps = ss.estimate_kbps;
        s->target_kbps = ss.target_kbps;
    }
    /* RTT of the kiosk's link: its sender's (RR from the server), else its video receiver's. */
    struct okno_sender *ks = okno_participant_sender(c->kiosk);
    struct okno_receiver *kr = okno_participant_receiver(c->kiosk, true);
    if (ks) {
        struct okno_sender_stats ss;
        okno_sender_stats(ks, now_us, &ss);
        if (ss.rtt_us > 0)
            s->rtt_ms = (double)ss.rtt_us / 1000.0;
    }
    if (!isfinite(s->rtt_ms) && kr) {
        struct okno_receiver_stats rs;
        okno_receiver_stats(kr, &rs);
        if (rs.rtt_us > 0)
            s->rtt_ms = (double)rs.rtt_us / 1000.0;
    }
}

static void sample_link(struct okno_call *c, struct okno_call_direction *d,
                        struct okno_report_second *s)
{
    struct okno_relay_stats rs;
    okno_relay_stats(c->relay, &rs);
    const struct okno_link_stats *ls = d->link_dir ? &rs.down : &rs.up;
    uint64_t dropped = 0;
    for (int v = 1; v < OKNO_LINK_N_VERDICTS; v++)
        dropped += ls->dropped[v];
    uint64_t in = ls->packets_in - d->link_in;
    s->loss_pct = in ? 100.0 * (double)(dropped - d->link_dropped) / (double)in : 0;
    d->link_in = ls->packets_in;
    d->link_dropped = dropped;
}

void okno__call_sample(struct okno_call *c, struct okno_call_direction *d, int64_t now_us,
                       struct okno_report_second *s)
{
    memset(s, 0, sizeof(*s));
    s->t_s = (double)(now_us - c->t0_us) / 1e6;
    struct okno_link_params lp[2];
    okno_schedule_params_at(&c->profile.schedule, now_us - c->relay_start_us, &lp[0], &lp[1]);
    const struct okno_link_params *l = &lp[d->link_dir];
    s->capacity_kbps = l->outage ? 0 : l->capacity_bps ? (double)l->capacity_bps / 1000.0 : NAN;
    s->sent_kbps = s->estimate_kbps = s->target_kbps = s->rtt_ms = NAN;
    sample_sender(c, d, now_us, s);
    s->recv_kbps = (double)delta(rx_bytes(*d->to), &d->rx_bytes) * 8 / 1000.0;
    sample_link(c, d, s);
    s->latency_ms = s->video_kbps = NAN;
    s->spatial = -1;
    struct okno_receiver *vr = okno_participant_receiver(*d->to, true);
    if (vr) {
        struct okno_receiver_stats rs;
        okno_receiver_stats(vr, &rs);
        s->video_kbps = (double)delta(rs.bytes, &d->video_bytes) * 8 / 1000.0;
        struct okno_stream_metrics *m = okno_receiver_metrics(vr);
        s->fps = (unsigned)delta(m->frames, &d->frames);
        s->freezes = (unsigned)delta(m->freeze.count, &d->freezes);
        const struct okno_metrics_second *ms = last_second(m, now_us);
        if (ms) {
            s->latency_ms = ms->latency_n ? ms->latency_sum_ms / ms->latency_n : NAN;
            s->width = ms->width;
            s->height = ms->height;
            s->spatial = spatial_of(c, ms->height);
        }
    }
}

void okno__call_print_second(const struct okno_report_second s[2])
{
    printf("t=%2.0f", s[0].t_s);
    for (int i = 0; i < 2; i++) {
        printf("  %s: sent %4.0f recv %4.0f est %4.0f kbit/s fps %2u", i ? "down" : "up",
               s[i].sent_kbps, s[i].recv_kbps, s[i].estimate_kbps, s[i].fps);
        if (s[i].height)
            printf(" %up", s[i].height);
        printf("%s", s[i].freezes ? " FREEZE" : "");
    }
    printf("\n");
    fflush(stdout);
}
