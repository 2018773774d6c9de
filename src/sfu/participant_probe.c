/* A subscriber connection's probing on the room's worker (participant_probe.h). */
#include "sfu/participant_probe.h"

#include <glib.h>
#include <string.h>

#include "net/peer.h"
#include "okno/bwe.h"
#include "sfu/downtrack_probe.h"
#include "sfu/mtu.h"
#include "sfu/pacer.h"
#include "sfu/participant.h"
#include "sfu/sub_bwe.h"
#include "sfu/subscription.h"
#include "sfu/track.h"

struct okno_participant_probe {
    struct okno_prober pr;
    uint16_t back; /* the downtrack's probe copy cursor (downtrack_probe.h) */
    uint8_t buf[OKNO_MTU];
};

void okno__participant_probe_open(struct okno_participant *p)
{
    if (p->probe)
        return;
    p->probe = g_new0(struct okno_participant_probe, 1);
    okno_prober_init(&p->probe->pr);
}

void okno__participant_probe_close(struct okno_participant *p)
{
    g_free(p->probe);
    p->probe = NULL;
}

/* The video subscription the probe packets go on: the first whose client negotiated RTX and whose
 * downtrack forwards; NULL when none (then nothing is probed). */
static struct okno_subscription *probe_sub(const struct okno_participant *p)
{
    if (!p->subs || !p->sub_peer || !okno_peer_connected(p->sub_peer))
        return NULL;
    for (guint i = 0; i < p->subs->len; i++) {
        struct okno_subscription *s = p->subs->pdata[i];
        if (s && s->track && s->video && s->rtx_ok && s->dt && s->targeted)
            return s;
    }
    return NULL;
}

/* Probing needs the transport-wide numbers the estimator judges a cluster by. */
static bool can_probe(const struct okno_participant *p)
{
    return p->sub_bwe && p->sub_bwe->twcc_id != 0 && p->sub_bwe->est != NULL;
}

uint32_t okno__participant_probe_plan(struct okno_participant *p,
                                      const struct okno_bwe_estimate *est, int64_t now_us)
{
    uint32_t pace = est ? est->target_bps : 0;
    if (!p->probe)
        return pace;
    struct okno_prober *pr = &p->probe->pr;
    okno_prober_expire(pr, now_us);
    bool able = est && can_probe(p) && probe_sub(p);
    /* The client's own limit is no estimate to probe above. */
    bool limited = est && p->receive_limit_bps && est->target_bps >= p->receive_limit_bps;
    if (able && !limited && est->probe_wanted && est->probe_bps > 0)
        okno_prober_start(pr, est->probe_bps, now_us);
    uint32_t wanted = p->sub_bwe ? okno_sub_bwe_wanted_bps(p->sub_bwe) : 0;
    uint32_t fill = able && est ? MIN(wanted, est->target_bps) : 0;
    okno_prober_set_fill(pr, fill, now_us);
    if (okno_prober_active(pr) && pace > 0 && pr->bps > pace)
        pace = pr->bps;
    return pace;
}

static int cache_lookup(void *ctx, uint32_t source_ssrc, uint16_t seq,
                        struct okno_cached_packet *out)
{
    return okno_track_cache_get(ctx, source_ssrc, seq, out);
}

unsigned okno__participant_probe_pad(struct okno_participant *p, uint64_t queued_bytes,
                                     int64_t now_us)
{
    if (!p->probe || !p->pacer)
        return 0;
    struct okno_participant_probe *pp = p->probe;
    size_t due = okno_prober_active(&pp->pr)
                     ? okno_prober_cluster_deficit(&pp->pr, queued_bytes, now_us)
                     : okno_prober_fill_deficit(&pp->pr, now_us);
    if (due == 0)
        return 0;
    struct okno_subscription *sub = probe_sub(p);
    if (!sub)
        return 0;
    unsigned n = 0;
    while (due > 0 && n < OKNO_PARTICIPANT_PROBE_MAX_PKTS) {
        int len = okno_downtrack_write_probe(sub->dt, cache_lookup, sub->track, &pp->back, due,
                                             now_us, pp->buf, sizeof pp->buf);
        if (len <= 0 || okno_pacer_enqueue(p->pacer, OKNO_PACER_PADDING, sub, pp->buf, (size_t)len,
                                           now_us) != 0)
            break;
        n++;
        due = (size_t)len >= due ? 0 : due - (size_t)len;
    }
    return n;
}

bool okno__participant_probe_on_sent(struct okno_participant *p, size_t len, bool padding,
                                     int64_t now_us, bool *done)
{
    *done = false;
    return p->probe && okno_prober_on_sent(&p->probe->pr, len, padding, now_us, done);
}

bool okno__participant_probe_busy(const struct okno_participant *p)
{
    return p->probe && (okno_prober_active(&p->probe->pr) || p->probe->pr.fill_bps > 0);
}

void okno_participant_probe_stats(const struct okno_participant *p,
                                  struct okno_prober_counters *out)
{
    if (p->probe)
        *out = p->probe->pr.c;
    else
        memset(out, 0, sizeof *out);
}
