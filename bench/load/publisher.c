/* okno-bench load's publisher: a session publishing audio and video whose packets are the media
 * loop's templates with this publisher's numbers, sent when due on the worker's tick (video paced
 * as a browser paces it, unless cfg.pace_factor is 0: then a frame leaves as one burst); it records
 * each template's last send time for the subscribers' latency matching. Runs on its worker's
 * thread; allocates nothing per packet. */
#include <stdio.h>

#include "load/clients_internal.h"
#include "load/pace.h"
#include "okno/err.h"

/* Sends per kind per tick at most: a generator that fell behind catches up over a few ticks
 * instead of flooding (its lag is reported). */
#define MAX_BURST 64

static void pace_refill(struct load_pub *p, int64_t now)
{
    const struct okno_media_loop *m = p->c->cfg.media;
    int64_t dt = now - p->pace_last_us;
    if (dt <= 0)
        return;
    p->pace_last_us = now;
    /* The media's own rate (both kinds, over the loop), as a browser's target would be. */
    double bytes_per_us = 0;
    for (int k = 0; k < 2; k++)
        bytes_per_us += (double)m->track[k].bytes * m->track[k].units_per_s /
                        ((double)m->track[k].n_units * 1e6);
    p->pace_budget =
        okno_load_pace_refill(p->pace_budget, dt, bytes_per_us * p->c->cfg.pace_factor);
}

static void pump(struct load_pub *p, enum okno_media_kind k, int64_t now)
{
    const struct okno_media_loop *m = p->c->cfg.media;
    const struct okno_media_track *t = &m->track[k];
    struct load_worker *w = p->w;
    /* Audio leaves at once (libwebrtc's pacer gives it priority) but spends the budget. */
    bool paced = p->c->cfg.pace_factor > 0 && k == OKNO_MEDIA_VIDEO;
    uint8_t buf[1500];
    for (int n = 0; n < MAX_BURST; n++) {
        const struct okno_media_pkt *tp = &t->pkts[p->idx[k]];
        uint64_t unit = p->iter[k] * t->n_units + tp->unit;
        int64_t due = p->t0 + (int64_t)(unit * 1000000 / t->units_per_s);
        if (due > now) {
            if (paced)
                p->pace_held = false;
            return;
        }
        if (paced && !okno_load_pace_may_send(p->pace_budget)) {
            p->pace_held = true;
            return;
        }
        struct okno_media_numbering num = {.ssrc = p->ssrc[k],
                                           .seq = p->seq[k]++,
                                           .ts_base = p->ts_base[k],
                                           .pic_base = p->pic_base};
        int len = okno_media_loop_write(m, k, p->idx[k], p->iter[k], &num, buf, sizeof(buf));
        int64_t sent = g_get_monotonic_time();
        atomic_store_explicit(&p->send_us[k][p->idx[k]], sent, memory_order_relaxed);
        if (len > 0 && p->c->cfg.pace_factor > 0)
            p->pace_budget -= len;
        if (len > 0 && okno_bench_session_send_rtp(p->session, buf, (size_t)len) == 0 &&
            w->measuring) {
            w->sent++;
            if (!(paced && p->pace_held) && sent - due > w->send_lag_max_us)
                w->send_lag_max_us = sent - due;
        }
        if (++p->idx[k] == t->n_pkts) {
            p->idx[k] = 0;
            p->iter[k]++;
        }
    }
}

static void pub_on_joined(void *owner, const char *participant, json_t *joined)
{
    (void)joined;
    struct load_pub *p = owner;
    g_mutex_lock(&p->c->lock);
    g_hash_table_insert(p->c->participants, g_strdup(participant), p);
    g_mutex_unlock(&p->c->lock);
}

static void pub_on_publishing(void *owner)
{
    struct load_pub *p = owner;
    uint32_t rtx;
    okno_bench_session_ssrcs(p->session, &p->ssrc[OKNO_MEDIA_AUDIO], &p->ssrc[OKNO_MEDIA_VIDEO],
                             &rtx);
    for (int k = 0; k < 2; k++) {
        p->seq[k] = (uint16_t)g_random_int();
        p->ts_base[k] = g_random_int();
    }
    p->pic_base = (uint16_t)g_random_int();
    /* Publishers start at random points of a frame interval, as real ones do, so their frames
     * do not all reach the server in the same millisecond. */
    p->t0 = g_get_monotonic_time() + g_random_int_range(0, 33000);
    p->pace_last_us = p->t0;
    p->pace_budget = 0;
    p->publishing = true;
    if (!p->ready_counted) {
        p->ready_counted = true;
        okno__load_ready(p->c);
    }
}

static void pub_on_failed(void *owner, int err, const char *message)
{
    struct load_pub *p = owner;
    okno__load_fail(p->c, err, "a publisher", message);
}

static const struct okno_bench_session_listener pub_listener = {
    .on_joined = pub_on_joined, .on_publishing = pub_on_publishing, .on_failed = pub_on_failed};

void okno__load_pub_free(struct load_pub *p)
{
    okno_bench_session_close(p->session, okno__load_session_closed, p->w);
    p->w->closing++;
    g_mutex_lock(&p->c->lock);
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, p->c->participants);
    while (g_hash_table_iter_next(&it, &key, &val))
        if (val == p)
            g_hash_table_iter_remove(&it);
    g_mutex_unlock(&p->c->lock);
    for (int k = 0; k < 2; k++)
        g_free((void *)p->send_us[k]);
    g_free(p);
}

int okno__load_pub_start(struct load_worker *w, unsigned room, unsigned index,
                         struct load_pub **out)
{
    struct okno_load_clients *c = w->c;
    struct load_pub *p = g_new0(struct load_pub, 1);
    p->c = c;
    p->w = w;
    p->room = room;
    for (int k = 0; k < 2; k++)
        p->send_us[k] = g_new0(_Atomic int64_t, c->cfg.media->track[k].n_pkts);
    struct okno_bench_session_config cfg;
    char room_buf[128], name[64];
    okno__load_room_config(c, room, &cfg, room_buf, sizeof(room_buf));
    snprintf(name, sizeof(name), "pub-%u-%u", room, index);
    cfg.name = name;
    cfg.role = c->cfg.pub_role;
    cfg.audio = cfg.video = true;
    int err = okno_bench_session_start(w->ctx, &cfg, c->cfg.cert, &pub_listener, p, &p->session);
    if (err < 0) {
        for (int k = 0; k < 2; k++)
            g_free((void *)p->send_us[k]);
        g_free(p);
        return err;
    }
    *out = p;
    return 0;
}

void okno__load_pub_pump(struct load_pub *p, int64_t now)
{
    if (p->publishing) {
        if (p->c->cfg.pace_factor > 0)
            pace_refill(p, now);
        pump(p, OKNO_MEDIA_AUDIO, now);
        pump(p, OKNO_MEDIA_VIDEO, now);
    }
}

uint64_t okno__load_pub_drops(const struct load_pub *p)
{
    struct okno_peer_stats pub, sub;
    okno_bench_session_stats(p->session, &pub, &sub);
    return pub.drop_send;
}
