/* okno-bench call participant: session + sender + receivers on one context and one timer. The
 * timer is a GSource with a ready time rather than g_timeout (milliseconds, re-created each time):
 * the pacer wants its next wake-up a few ms away and re-arming a ready time allocates nothing.
 * Arrivals may make a receiver due earlier than it said, so each one pulls the timer to "now"
 * (the poll then runs once per loop iteration, after all datagrams of that wake-up). */
#include "call/participant.h"

#include <string.h>

#include "net/rx_stamp.h"
#include "okno/err.h"

struct slot {
    struct okno_participant *p; /* the owner, for the sink */
    struct okno_receiver *rx;   /* owned; NULL when the slot has no track */
    bool video;
};

struct okno_participant {
    /* borrowed */
    GMainContext *ctx;
    const struct okno_cert *cert;
    /* owned */
    struct okno_bench_session *session;
    struct okno_sender *sender;
    struct okno_rx_transport *rxt;
    GSource *timer;
    struct slot slots[OKNO_SDP_MAX_MEDIA];
    /* other */
    struct okno_participant_config cfg;
    struct okno_participant_listener listener;
    void *owner;
    uint32_t rtcp_ssrc; /* our receivers' RTCP sender SSRC */
    bool failed;
    int64_t rtt_checked_us; /* when the sender's RTT was last handed to the receivers */
    /* freeze log of the first video receiver */
    uint64_t freezes_seen;
    int64_t freeze_total_seen_us;
    struct okno_freeze_interval freezes[OKNO_PARTICIPANT_MAX_FREEZES];
    size_t n_freezes;
};

static void fail(struct okno_participant *p, int err, bool local, const char *message)
{
    if (p->failed)
        return;
    p->failed = true;
    if (p->listener.on_failed)
        p->listener.on_failed(p->owner, p, err, local, message);
}

static void arm(struct okno_participant *p, int64_t due_us)
{
    int64_t cur = g_source_get_ready_time(p->timer);
    if (cur < 0 || due_us < cur)
        g_source_set_ready_time(p->timer, due_us);
}

/* Logs a freeze that ended since the last look: the detector keeps the last frame time (the
 * frame that ended it) and the running total, so the gap is the total's growth. */
static void watch_freezes(struct okno_participant *p)
{
    struct okno_receiver *rx = okno_participant_receiver(p, true);
    if (!rx)
        return;
    const struct okno_freeze *f = &okno_receiver_metrics(rx)->freeze;
    if (f->count == p->freezes_seen)
        return;
    int64_t gap = f->total_us - p->freeze_total_seen_us;
    if (p->n_freezes < OKNO_PARTICIPANT_MAX_FREEZES)
        p->freezes[p->n_freezes++] =
            (struct okno_freeze_interval){.start_us = f->last_us - gap, .end_us = f->last_us};
    p->freezes_seen = f->count;
    p->freeze_total_seen_us = f->total_us;
}

void okno_participant_poll(struct okno_participant *p, int64_t now_us)
{
    int64_t next = now_us + 100000; /* at the latest: the objects may all be idle */
    int64_t rtt_us = 0;
    if (p->sender) {
        int64_t t = okno_sender_poll(p->sender, now_us);
        next = MIN(next, t);
        if (now_us - p->rtt_checked_us >= 200000) {
            struct okno_sender_stats ss;
            okno_sender_stats(p->sender, now_us, &ss);
            rtt_us = ss.rtt_us;
            p->rtt_checked_us = now_us;
        }
    }
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++)
        if (p->slots[i].rx) {
            /* Both transports share this participant's path to the server: the publisher's
             * reports measure its round trip for the receivers' NACK and PLI pacing. */
            if (rtt_us > 0)
                okno_receiver_set_rtt(p->slots[i].rx, rtt_us);
            int64_t t = okno_receiver_poll(p->slots[i].rx, now_us);
            next = MIN(next, t);
        }
    if (p->rxt) {
        int64_t t = okno_rx_transport_poll(p->rxt, now_us);
        next = MIN(next, t);
    }
    watch_freezes(p);
    g_source_set_ready_time(p->timer, MAX(next, now_us));
}

static gboolean on_timer(gpointer data)
{
    struct okno_participant *p = data;
    g_source_set_ready_time(p->timer, -1);
    okno_participant_poll(p, g_get_monotonic_time());
    return G_SOURCE_CONTINUE;
}

static gboolean timer_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    (void)src;
    return cb(data);
}

static GSourceFuncs timer_funcs = {.dispatch = timer_dispatch};

/* ---- transport glue ----------------------------------------------------------------------------
 */

static int send_rtp(void *arg, const uint8_t *pkt, size_t len)
{
    return okno_bench_session_send_rtp(((struct okno_participant *)arg)->session, pkt, len);
}

static int send_rtcp(void *arg, const uint8_t *pkt, size_t len)
{
    return okno_bench_session_send_rtcp(((struct okno_participant *)arg)->session, pkt, len);
}

static int send_sub_rtcp(void *arg, const uint8_t *pkt, size_t len)
{
    return okno_bench_session_send_sub_rtcp(((struct okno_participant *)arg)->session, pkt, len);
}

static void on_sub_rtp(void *arg, const struct okno_client_sub_track *track, uint8_t *pkt,
                       size_t len, int64_t now_us)
{
    (void)track;
    struct slot *sl = arg;
    struct okno_participant *p = sl->p;
    /* The transport first: the receiver may rewrite an RTX packet in place. Its feedback reports
     * the kernel's arrival times, as a browser's network thread reads them at once: this thread
     * also encodes and decodes, and its late reads would show as queuing on the sender's link. */
    if (p->rxt) {
        int64_t stamp = 0;
        int rc = okno_bench_session_sub_rx_time(p->session, &stamp);
        okno_rx_transport_on_rtp(p->rxt, pkt, len, okno_rx_stamp_arrival(rc, stamp, now_us));
    }
    if (sl->rx)
        okno_receiver_on_rtp(sl->rx, pkt, len, now_us);
    arm(p, now_us);
}

static void on_rtcp(void *owner, bool subscriber, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct okno_participant *p = owner;
    if (!subscriber) {
        if (p->sender)
            okno_sender_on_rtcp(p->sender, pkt, len, now_us);
    } else {
        for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++)
            if (p->slots[i].rx)
                okno_receiver_on_rtcp(p->slots[i].rx, pkt, len, now_us);
    }
    arm(p, now_us);
}

/* ---- session events ----------------------------------------------------------------------------
 */

static void on_publishing(void *owner)
{
    struct okno_participant *p = owner;
    if (p->sender)
        return;
    uint32_t audio, video, rtx;
    okno_bench_session_ssrcs(p->session, &audio, &video, &rtx);
    const struct okno_participant_config *c = &p->cfg;
    bool both = c->session.audio && c->session.video;
    /* Like Chromium, the answer's start rate wins over the sender's own, within its range. */
    uint32_t start_kbps = okno_bench_session_video_start_kbps(p->session);
    if (start_kbps < OKNO_SENDER_DEFAULT_MIN_KBPS ||
        start_kbps > (c->max_kbps ? c->max_kbps : OKNO_SENDER_DEFAULT_MAX_KBPS))
        start_kbps = c->start_kbps;
    struct okno_sender_config sc = {
        .audio = c->session.audio,
        .video = c->session.video,
        .width = c->width,
        .height = c->height,
        .fps = c->fps,
        .encodings = c->session.simulcast ? 3 : 1,
        .temporal_layers = c->temporal_layers,
        .start_kbps = start_kbps,
        .max_kbps = c->max_kbps,
        .seed = c->seed,
        .audio_ssrc = audio,
        .video_ssrc = {video},
        .rtx_ssrc = {rtx},
        .cname = c->session.name,
        /* client_sdp's offer: audio is mid 0, video mid 1 (0 when alone) */
        .audio_mid = "0",
        .video_mid = both ? "1" : "0",
        .ext_mid = OKNO_CLIENT_EXT_MID,
        .ext_rid = c->session.simulcast ? OKNO_CLIENT_EXT_RID : -1,
        .ext_repaired_rid = c->session.simulcast ? OKNO_CLIENT_EXT_RRID : -1,
        .ext_abs_send_time = OKNO_CLIENT_EXT_ABS_SEND_TIME,
        .ext_twcc = OKNO_CLIENT_EXT_TWCC,
        .audio_red_pt = okno_bench_session_sends_red(p->session) ? OKNO_CLIENT_PT_RED : 0,
        .send_rtp = send_rtp,
        .send_rtcp = send_rtcp,
        .arg = p,
    };
    int64_t now = g_get_monotonic_time();
    int rc = okno_sender_create(&sc, now, &p->sender);
    if (rc < 0) {
        char m[128];
        g_snprintf(m, sizeof(m), "%s: cannot make the sender: %s", c->label, okno_strerror(rc));
        fail(p, rc, true, m);
        return;
    }
    arm(p, now);
    if (p->listener.on_publishing)
        p->listener.on_publishing(p->owner, p);
}

/* The subscriber transport's feedback, as the first track's section negotiated it (BUNDLE: one
 * set of extension ids for the transport). */
static int make_rx_transport(struct okno_participant *p, const struct okno_client_sub_track *t,
                             int64_t now)
{
    struct okno_rx_transport_config tc = {
        .ext_twcc = t->twcc_ext > 0 && t->fb_transport_cc ? t->twcc_ext : 0,
        .ext_abs_send_time = t->abs_send_time_ext > 0 ? t->abs_send_time_ext : 0,
        .remb = t->fb_remb,
        .local_ssrc = p->rtcp_ssrc,
        .send_rtcp = send_sub_rtcp,
        .arg = p,
        .start_us = now,
        .timeline_s = p->cfg.timeline_s,
    };
    return okno_rx_transport_create(&tc, &p->rxt);
}

static void on_track(void *owner, unsigned slot, const struct okno_client_sub_track *track)
{
    struct okno_participant *p = owner;
    if (slot >= OKNO_SDP_MAX_MEDIA)
        return;
    struct slot *sl = &p->slots[slot];
    okno_receiver_destroy(sl->rx);
    sl->rx = NULL;
    int64_t now = g_get_monotonic_time();
    int rc = p->rxt ? 0 : make_rx_transport(p, track, now);
    const struct okno_participant_config *c = &p->cfg;
    struct okno_receiver_config rc_cfg = {
        .video = track->video,
        .ssrc = track->ssrc,
        .rtx_ssrc = track->rtx_ssrc,
        .pt = track->pt,
        .rtx_pt = track->rtx_pt,
        .red_pt = track->red_pt,
        .src_width = track->video ? c->remote_width : 0,
        .src_height = track->video ? c->remote_height : 0,
        .src_seed = c->remote_seed,
        .decode = true,
        .start_us = now,
        .timeline_s = c->timeline_s,
        .local_ssrc = p->rtcp_ssrc,
        .send_rtcp = send_sub_rtcp,
        .arg = p,
        .nack_wait_us = c->nack_wait_us,
        .audio_delay_us = c->audio_delay_us,
    };
    if (rc == 0)
        rc = okno_receiver_create(&rc_cfg, &sl->rx);
    if (rc < 0) {
        char m[160];
        g_snprintf(m, sizeof(m), "%s: cannot make a receiver for track %s: %s", c->label,
                   track->track, okno_strerror(rc));
        fail(p, rc, true, m);
        return;
    }
    sl->video = track->video;
    if (track->video && okno_participant_receiver(p, true) == sl->rx) {
        /* a new video receiver's freeze detector starts from zero */
        p->freezes_seen = 0;
        p->freeze_total_seen_us = 0;
    }
    okno_bench_session_set_sink(p->session, slot, on_sub_rtp, sl);
    arm(p, now);
    if (p->listener.on_receiving)
        p->listener.on_receiving(p->owner, p, track->video);
}

static void on_session_failed(void *owner, int err, const char *message)
{
    struct okno_participant *p = owner;
    char *m = g_strdup_printf("%s: %s", p->cfg.label, message);
    fail(p, err, false, m);
    g_free(m);
}

/* ---- lifetime ----------------------------------------------------------------------------------
 */

int okno_participant_start(GMainContext *ctx, const struct okno_participant_config *cfg,
                           const struct okno_cert *cert,
                           const struct okno_participant_listener *listener, void *owner,
                           struct okno_participant **out)
{
    if (!ctx || !cfg || !cert || !listener || !out || !cfg->label)
        return OKNO_E_INVAL;
    struct okno_participant *p = g_new0(struct okno_participant, 1);
    p->ctx = ctx;
    p->cert = cert;
    p->cfg = *cfg;
    p->listener = *listener;
    p->owner = owner;
    do
        p->rtcp_ssrc = g_random_int();
    while (p->rtcp_ssrc == 0);
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++)
        p->slots[i].p = p;
    p->timer = g_source_new(&timer_funcs, sizeof(GSource));
    g_source_set_callback(p->timer, on_timer, p, NULL);
    g_source_set_ready_time(p->timer, -1);
    g_source_attach(p->timer, ctx);
    static const struct okno_bench_session_listener sl = {
        .on_publishing = on_publishing,
        .on_track = on_track,
        .on_rtcp = on_rtcp,
        .on_failed = on_session_failed,
    };
    struct okno_bench_session_config scfg = cfg->session;
    scfg.audio_red = !cfg->audio_red_off;
    int rc = okno_bench_session_start(ctx, &scfg, cert, &sl, p, &p->session);
    if (rc < 0) {
        g_source_destroy(p->timer);
        g_source_unref(p->timer);
        g_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

struct okno_sender *okno_participant_sender(struct okno_participant *p)
{
    return p->sender;
}

struct okno_receiver *okno_participant_receiver(struct okno_participant *p, bool video)
{
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++)
        if (p->slots[i].rx && p->slots[i].video == video)
            return p->slots[i].rx;
    return NULL;
}

struct okno_rx_transport *okno_participant_rx_transport(struct okno_participant *p)
{
    return p->rxt;
}

struct okno_bench_session *okno_participant_session(struct okno_participant *p)
{
    return p->session;
}

const struct okno_freeze_interval *okno_participant_freezes(const struct okno_participant *p,
                                                            size_t *n)
{
    *n = p->n_freezes;
    return p->freezes;
}

void okno_participant_close(struct okno_participant *p, void (*on_closed)(void *arg), void *arg)
{
    if (!p)
        return;
    g_source_destroy(p->timer);
    g_source_unref(p->timer);
    /* The session first: its sinks and listener are not called again once it is closed. */
    okno_bench_session_close(p->session, on_closed, arg);
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++)
        okno_receiver_destroy(p->slots[i].rx);
    okno_rx_transport_destroy(p->rxt);
    okno_sender_destroy(p->sender);
    g_free(p);
}
