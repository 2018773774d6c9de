/* A subscriber connection's pacer on the room's worker (participant_pacer.h). */
#include "sfu/participant_pacer.h"

#include <glib.h>
#include <string.h>

#include "core/log.h"
#include "net/peer.h"
#include "net/srtp.h"
#include "okno/bwe.h"
#include "okno/err.h"
#include "sfu/participant.h"
#include "sfu/participant_probe.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"
#include "sfu/send_stats.h"
#include "sfu/sub_bwe.h"
#include "sfu/subscription.h"
#include "wire/rtp.h"

_Static_assert(OKNO_PACER_SLOT_BYTES >= OKNO_MTU + OKNO_SRTP_MAX_TRAILER,
               "a pacer slot must hold the SRTP trailer protection appends in place");

static int send_paced(void *ud, enum okno_pacer_class cls, void *tag, uint8_t *pkt, size_t len,
                      size_t cap, int64_t now_us)
{
    struct okno_participant *p = ud;
    struct okno_subscription *sub = tag;
    struct okno_peer *peer = p->sub_peer;
    if (!peer || !okno_peer_connected(peer) || !sub || !sub->dt)
        return OKNO_E_STATE;
    bool media = cls == OKNO_PACER_AUDIO || cls == OKNO_PACER_VIDEO;
    struct okno_rtp_pkt rtp;
    /* Read before protection encrypts the payload in place. */
    if (media && okno_rtp_parse(pkt, len, &rtp) != 0)
        return OKNO_E_MALFORMED;
    uint32_t ts = media ? rtp.ts : 0, payload_len = media ? (uint32_t)rtp.payload_len : 0;
    bool done;
    bool probe = okno__participant_probe_on_sent(p, len, cls == OKNO_PACER_PADDING, now_us, &done);
    if (p->sub_bwe) {
        okno_sub_bwe_on_send(p->sub_bwe, pkt, len, now_us, probe);
        if (done) /* the estimator counted the cluster: its next request, if any, shows now */
            okno_sub_bwe_update(p->sub_bwe, now_us);
    }
    int rc = okno_peer_send_rtp(peer, pkt, len, cap);
    if (rc == 0 && media)
        okno_send_stats_on_packet(&sub->stats, ts, payload_len, now_us);
    return rc;
}

/* A step: the estimate as of now, what the budget allows, and the timer armed for the next step
 * only while packets wait. */
static void run(struct okno_participant *p, int64_t now_us)
{
    struct okno_bwe_estimate est;
    bool have = okno_participant_bwe_estimate(p, &est) == 0;
    uint32_t rate = okno__participant_probe_plan(p, have ? &est : NULL, now_us);
    okno_pacer_set_estimate(p->pacer, p->room->sfu->pacing ? rate : 0);
    okno__participant_probe_pad(p, okno_pacer_queued_bytes(p->pacer), now_us);
    okno_pacer_process(p->pacer, now_us, send_paced, p);
    bool waiting = okno_pacer_queued(p->pacer) > 0 || okno__participant_probe_busy(p);
    /* Armed when packets start to wait, disarmed when none do: not touched once a packet. */
    if (waiting && p->pace_due_us < 0) {
        p->pace_due_us = now_us + OKNO_PACER_INTERVAL_US;
        g_source_set_ready_time(p->pace_timer, p->pace_due_us);
    } else if (!waiting && p->pace_due_us >= 0) {
        p->pace_due_us = -1;
        g_source_set_ready_time(p->pace_timer, -1);
    }
}

static gboolean pace_dispatch(GSource *src, GSourceFunc cb, gpointer ud)
{
    (void)src;
    return cb(ud);
}

/* A source that fires at its ready time only: no poll, no prepare. */
static GSourceFuncs pace_funcs = {.dispatch = pace_dispatch};

static gboolean on_pace(gpointer data)
{
    struct okno_participant *p = data;
    p->pace_due_us = -1; /* fell due: run rearms */
    g_source_set_ready_time(p->pace_timer, -1);
    run(p, g_source_get_time(p->pace_timer));
    return G_SOURCE_CONTINUE;
}

void okno__participant_pacer_open(struct okno_participant *p)
{
    if (p->pacer)
        return;
    p->pacer = okno_pacer_new(OKNO_PACER_DEFAULT_SLOTS);
    okno__participant_probe_open(p);
    okno_pacer_set_max_delay(p->pacer, 1000 * (int64_t)p->room->sfu->pacer_max_delay_ms);
    p->pace_due_us = -1;
    p->pace_timer = g_source_new(&pace_funcs, sizeof(GSource));
    g_source_set_callback(p->pace_timer, on_pace, p, NULL);
    g_source_set_ready_time(p->pace_timer, -1);
    g_source_attach(p->pace_timer, p->room->ctx);
}

void okno__participant_pacer_close(struct okno_participant *p)
{
    if (!p->pacer)
        return;
    struct okno_pacer_stats s;
    okno_pacer_stats(p->pacer, &s);
    uint64_t late = 0, full = 0, failed = 0;
    for (int c = 0; c < OKNO_PACER_N_CLASSES; c++) {
        late += s.dropped_late[c];
        full += s.dropped_full[c] + s.dropped_big[c];
        failed += s.dropped_send[c];
    }
    struct okno_prober_counters pc;
    okno_participant_probe_stats(p, &pc);
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s pacer: sent audio %llu, rtx %llu, video %llu, padding %llu; dropped late %llu, "
             "full %llu, unsent %llu; queue delay p95 %lld ms, max %lld ms; probes %llu clusters "
             "(%llu given up), %llu packets, %llu bytes; padding made %llu packets, %llu bytes",
             p->id, (unsigned long long)s.sent[OKNO_PACER_AUDIO],
             (unsigned long long)s.sent[OKNO_PACER_RTX],
             (unsigned long long)s.sent[OKNO_PACER_VIDEO],
             (unsigned long long)s.sent[OKNO_PACER_PADDING], (unsigned long long)late,
             (unsigned long long)full, (unsigned long long)failed,
             (long long)(s.delay_p95_us / 1000), (long long)(s.delay_max_us / 1000),
             (unsigned long long)pc.clusters, (unsigned long long)pc.given_up,
             (unsigned long long)pc.cluster_pkts, (unsigned long long)pc.cluster_bytes,
             (unsigned long long)pc.padding_pkts, (unsigned long long)pc.padding_bytes);
    g_source_destroy(p->pace_timer);
    g_source_unref(p->pace_timer);
    p->pace_timer = NULL;
    okno_pacer_free(p->pacer);
    p->pacer = NULL;
    okno__participant_probe_close(p);
}

int okno__participant_pace(struct okno_participant *p, struct okno_subscription *sub,
                           enum okno_pacer_class cls, const uint8_t *pkt, size_t len,
                           int64_t now_us)
{
    if (!p->pacer)
        return OKNO_E_STATE;
    int rc = okno_pacer_enqueue(p->pacer, cls, sub, pkt, len, now_us);
    run(p, now_us);
    return rc;
}

void okno__participant_pacer_forget(struct okno_participant *p, const struct okno_subscription *sub)
{
    if (p->pacer)
        okno_pacer_forget(p->pacer, sub);
}

void okno_participant_pacer_stats(const struct okno_participant *p, struct okno_pacer_stats *out)
{
    if (p->pacer)
        okno_pacer_stats(p->pacer, out);
    else
        memset(out, 0, sizeof *out);
}
