/* okno-bench load's receive-only subscriber: a session that publishes nothing, with a sink per
 * subscribed track that counts packets, follows sequence numbers for loss, matches each packet to
 * its send time, and (on a decoding subscriber's video) depacketizes and decodes. A count-only
 * subscriber reads just the clear RTP header of still-protected packets (no SRTP work). Every
 * subscriber sends a REMB once a second, as a browser's receiver does. Runs on its worker's thread;
 * allocates nothing per packet. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "load/clients_internal.h"
#include "okno/err.h"
#include "wire/rtcp_fb.h"
#include "wire/rtp.h"

#define REMB_EVERY_US 1000000

static void decoder_free(struct load_decoder *d)
{
    if (!d)
        return;
    okno_vp8depack_destroy(d->depack);
    okno_vp8dec_destroy(d->dec);
    g_free(d);
}

static struct load_decoder *decoder_new(void)
{
    struct load_decoder *d = g_new0(struct load_decoder, 1);
    if (okno_vp8depack_create(NULL, &d->depack) < 0 || okno_vp8dec_create(1, &d->dec) < 0) {
        decoder_free(d);
        return NULL;
    }
    return d;
}

static void decode(struct load_decoder *d, const struct okno_rtp_pkt *r, int64_t now_us)
{
    if (okno_vp8depack_push(d->depack, r, now_us) < 0)
        return;
    struct okno_fasm_frame f;
    while (okno_vp8depack_pop(d->depack, now_us, &f) == 1) {
        struct okno_image img;
        int n = okno_vp8dec_decode(d->dec, f.data, f.len, &img);
        if (n < 0) {
            d->errors++;
            okno_vp8depack_require_keyframe(d->depack);
        } else if (n == 1) {
            d->frames++;
            okno_freeze_on_frame(&d->freeze, now_us);
        }
    }
}

/* Sequence numbers (loss) and counters of one received packet. */
static void count(struct load_slot *sl, uint16_t seq, size_t len)
{
    struct load_sub *s = sl->sub;
    struct load_worker *w = s->w;
    if (!sl->started) {
        sl->started = true;
        sl->ext_max = seq;
        sl->win_base = seq - 1;
        sl->win_rx = sl->rx;
        if (++s->live_tracks >= 2 * s->c->pubs_in_room[s->room] && !s->ready_counted) {
            s->ready_counted = true;
            okno__load_ready(s->c);
        }
    } else {
        int16_t d = (int16_t)(seq - (uint16_t)sl->ext_max);
        if (d > 0)
            sl->ext_max += d;
    }
    sl->rx++;
    w->rx_pkts++;
    w->rx_unverified += s->count_only;
    w->rx_bytes += len;
}

static void on_rtp(void *arg, const struct okno_client_sub_track *track, uint8_t *pkt, size_t len,
                   int64_t now_us)
{
    (void)track;
    (void)now_us; /* the loop iteration's time: stale by what ran before in the iteration */
    struct load_slot *sl = arg;
    struct load_sub *s = sl->sub;
    struct load_worker *w = s->w;
    if (s->count_only) {
        /* Still protected: the fixed header is in the clear, the rest is not read. */
        if (len < 12 || (pkt[0] >> 6) != 2 || (sl->rtx_pt >= 0 && (pkt[1] & 0x7f) == sl->rtx_pt))
            return;
        count(sl, (uint16_t)(pkt[2] << 8 | pkt[3]), len);
        return;
    }
    int64_t now = g_get_monotonic_time();
    struct okno_rtp_pkt r;
    if (okno_rtp_parse(pkt, len, &r) < 0 || (sl->rtx_pt >= 0 && r.pt == sl->rtx_pt))
        return;
    count(sl, r.seq, len);
    if (w->measuring && s->probe && sl->pub) {
        const struct okno_media_loop *m = s->c->cfg.media;
        int32_t pos = okno_media_loop_find(m, sl->kind, r.payload, r.payload_len);
        int64_t sent =
            pos < 0 ? 0
                    : atomic_load_explicit(&sl->pub->send_us[sl->kind][pos], memory_order_relaxed);
        /* Up to the kernel's stamp: the probe thread's own wake-up is the generator's, not the
         * server's (kept apart as read_wait). */
        int64_t arrived;
        bool stamped = okno_bench_session_sub_rx_time(s->session, &arrived) == 0 &&
                       arrived <= now && arrived >= sent;
        int64_t d = (stamped ? arrived : now) - sent;
        /* The template was sent once a loop: a send time older than half a loop is another
         * loop's. */
        if (sent > 0 && d >= 0 &&
            d < (int64_t)m->track[sl->kind].n_units * m->track[sl->kind].unit_us / 2) {
            okno_reservoir_add(&w->latency, (double)d / 1000.0);
            w->matched++;
            if (stamped) {
                okno_reservoir_add(&w->read_wait, (double)(now - arrived) / 1000.0);
                w->stamped++;
            }
        } else {
            w->unmatched++;
        }
    }
    if (sl->decoder)
        decode(sl->decoder, &r, now);
}

static void on_track(void *owner, unsigned slot, const struct okno_client_sub_track *track)
{
    struct load_sub *s = owner;
    if (slot >= OKNO_SDP_MAX_MEDIA)
        return;
    struct load_slot *sl = &s->slots[slot];
    decoder_free(sl->decoder);
    bool was_live = sl->started;
    memset(sl, 0, sizeof(*sl));
    if (was_live && s->live_tracks > 0)
        s->live_tracks--;
    sl->sub = s;
    sl->kind = track->video ? OKNO_MEDIA_VIDEO : OKNO_MEDIA_AUDIO;
    sl->rtx_pt = track->rtx_pt;
    sl->ssrc = track->ssrc;
    g_mutex_lock(&s->c->lock);
    sl->pub = g_hash_table_lookup(s->c->participants, track->participant);
    g_mutex_unlock(&s->c->lock);
    if (!track->active) {
        okno_bench_session_set_sink(s->session, slot, NULL, NULL);
        return;
    }
    if (s->decode && track->video)
        sl->decoder = decoder_new();
    okno_bench_session_set_sink(s->session, slot, on_rtp, sl);
}

static void on_failed(void *owner, int err, const char *message)
{
    struct load_sub *s = owner;
    okno__load_fail(s->c, err, "a subscriber", message);
}

static const struct okno_bench_session_listener listener = {.on_track = on_track,
                                                            .on_failed = on_failed};

int okno__load_sub_start(struct load_worker *w, unsigned room, bool decode, bool probe,
                         bool count_only, unsigned serial, struct load_sub **out)
{
    struct load_sub *s = g_new0(struct load_sub, 1);
    s->c = w->c;
    s->w = w;
    s->room = room;
    s->decode = decode;
    s->probe = probe;
    s->count_only = count_only;
    s->remb_ssrc = g_random_int();
    /* Spread over the second so a worker's subscribers do not all send in one tick. */
    s->next_remb_us = g_get_monotonic_time() + g_random_int_range(0, REMB_EVERY_US);
    struct okno_bench_session_config cfg;
    char room_buf[128], name[64];
    okno__load_room_config(w->c, room, &cfg, room_buf, sizeof(room_buf));
    snprintf(name, sizeof(name), "sub-%u-%u", room, serial);
    cfg.name = name;
    cfg.role = w->c->cfg.sub_role;
    int err = okno_bench_session_start(w->ctx, &cfg, w->c->cfg.cert, &listener, s, &s->session);
    if (err < 0) {
        g_free(s);
        return err;
    }
    okno_bench_session_set_rtp_unverified(s->session, count_only);
    *out = s;
    return 0;
}

void okno__load_sub_free(struct load_sub *s)
{
    okno_bench_session_close(s->session, okno__load_session_closed, s->w);
    s->w->closing++;
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++)
        decoder_free(s->slots[i].decoder);
    g_free(s);
}

void okno__load_sub_tick(struct load_sub *s, int64_t now)
{
    unsigned kbps = s->c->cfg.remb_kbps;
    if (!kbps || now < s->next_remb_us || !s->live_tracks)
        return;
    s->next_remb_us = now + REMB_EVERY_US;
    struct okno_rtcp_remb remb = {.bitrate = (uint64_t)kbps * 1000};
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA && remb.ssrc_count < OKNO_RTCP_REMB_MAX_SSRCS; i++)
        if (s->slots[i].started)
            remb.ssrcs[remb.ssrc_count++] = s->slots[i].ssrc;
    uint8_t buf[128];
    int len = okno_rtcp_remb_build(s->remb_ssrc, &remb, buf, sizeof(buf));
    if (len > 0)
        (void)okno_bench_session_send_sub_rtcp(s->session, buf, (size_t)len);
}

static uint64_t rx_drops(const struct load_sub *s)
{
    struct okno_peer_stats pub, sub;
    okno_bench_session_stats(s->session, &pub, &sub);
    return sub.drop_garbage + sub.drop_before_dtls + sub.drop_srtp_auth + sub.drop_replay +
           sub.drop_unknown;
}

void okno__load_sub_window_start(struct load_sub *s)
{
    s->win_drops = rx_drops(s);
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++) {
        struct load_slot *sl = &s->slots[i];
        sl->win_base = sl->ext_max;
        sl->win_rx = sl->rx;
        struct load_decoder *d = sl->decoder;
        if (d) {
            d->win_frames = d->frames;
            d->win_freezes = d->freeze.count;
            d->win_errors = d->errors;
        }
    }
}

void okno__load_sub_window_end(struct load_sub *s, struct okno_load_window *out)
{
    out->client_rx_drops += rx_drops(s) - s->win_drops;
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++) {
        const struct load_slot *sl = &s->slots[i];
        if (!sl->started)
            continue;
        uint64_t expected = (uint64_t)(sl->ext_max - sl->win_base);
        uint64_t got = sl->rx - sl->win_rx;
        out->expected += expected;
        out->lost += got < expected ? expected - got : 0;
        const struct load_decoder *d = sl->decoder;
        if (d) {
            out->decoding_tracks++;
            out->frames_decoded += d->frames - d->win_frames;
            out->freezes += d->freeze.count - d->win_freezes;
            out->decode_errors += d->errors - d->win_errors;
        }
    }
}
