/* A subscriber transport's bandwidth estimation plumbing (sub_bwe.h): stamping, the send history,
 * feedback matched against it, and the estimator of the bwe plugin. */
#include "sfu/sub_bwe.h"

#include <glib.h>
#include <string.h>

#include "core/log.h"
#include "okno/err.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/twcc.h"

#define HISTORY_MASK (OKNO_SUB_BWE_HISTORY - 1)
/* Debug lines only when the target moved this much (per mille) since the last one: the estimate
 * is asked for every 20 ms. */
#define DEBUG_STEP_PERMILLE 100

struct okno_sub_bwe *okno_sub_bwe_new(const char *who)
{
    struct okno_sub_bwe *b = g_new0(struct okno_sub_bwe, 1);
    g_strlcpy(b->who, who ? who : "?", sizeof b->who);
    return b;
}

static void drop_estimator(struct okno_sub_bwe *b)
{
    if (b->est)
        b->ops->destroy(b->plugin_state, b->est);
    b->est = NULL;
    b->have_estimate = false;
    b->info_bps = b->debug_bps = 0;
}

void okno_sub_bwe_free(struct okno_sub_bwe *b)
{
    if (!b)
        return;
    drop_estimator(b);
    g_free(b);
}

int okno_sub_bwe_attach(struct okno_sub_bwe *b, const struct okno_bwe_ops *ops, void *plugin_state,
                        const struct okno_bwe_transport *t, int64_t now_us)
{
    drop_estimator(b);
    b->ops = NULL;
    if (!ops)
        return 0;
    if (!okno_bwe_ops_valid(ops))
        return OKNO_E_INVAL;
    void *est = NULL;
    int rc = ops->create(plugin_state, t, now_us, &est);
    if (rc != 0 || !est) {
        okno_log(OKNO_LOG_WARN, "sfu", "%s: the bwe plugin made no estimator: %s", b->who,
                 okno_strerror(rc ? rc : OKNO_E_INVAL));
        return rc ? rc : OKNO_E_INVAL;
    }
    b->ops = ops;
    b->plugin_state = plugin_state;
    b->est = est;
    return 0;
}

void okno_sub_bwe_set_ids(struct okno_sub_bwe *b, uint8_t twcc_id, uint8_t abs_send_time_id)
{
    b->twcc_id = twcc_id;
    b->abs_send_time_id = abs_send_time_id;
}

void okno_sub_bwe_ids_from_answer(const struct okno_sub_answer *ans, size_t n, uint8_t *twcc_id,
                                  uint8_t *abs_send_time_id)
{
    uint8_t twcc = 0, abs = 0;
    for (size_t i = 0; i < n && i < OKNO_NEG_MAX_MEDIA; i++) {
        const struct okno_sub_answer_media *m = &ans->media[i];
        if (!m->accepted)
            continue;
        if (!twcc && (m->fb & OKNO_FB_TRANSPORT_CC))
            twcc = m->ext_ids[OKNO_EXT_TWCC];
        if (!abs)
            abs = m->ext_ids[OKNO_EXT_ABS_SEND_TIME];
    }
    *twcc_id = twcc;
    *abs_send_time_id = abs;
}

/* Finds the element id of the parsed packet and returns its value's offset in the packet, or -1. */
static long element_at(const struct okno_rtp_pkt *rtp, uint8_t id, uint8_t len)
{
    struct okno_rtp_ext e;
    if (id == 0 || okno_rtp_ext_find(rtp, id, &e) != 0 || e.len != len)
        return -1;
    return (long)(e.data - rtp->raw);
}

int okno_sub_bwe_on_send(struct okno_sub_bwe *b, uint8_t *pkt, size_t len, int64_t now_us,
                         bool probe)
{
    if (b->twcc_id == 0 && b->abs_send_time_id == 0)
        return -1;
    struct okno_rtp_pkt rtp;
    if (okno_rtp_parse(pkt, len, &rtp) != 0)
        return -1;
    /* abs-send-time alone serves a client that estimates on its side (REMB). */
    long abs_at = element_at(&rtp, b->abs_send_time_id, 3);
    if (abs_at >= 0) {
        uint32_t t24 = okno_rtp_abs_send_time_from_us((uint64_t)now_us);
        pkt[abs_at] = (uint8_t)(t24 >> 16);
        pkt[abs_at + 1] = (uint8_t)(t24 >> 8);
        pkt[abs_at + 2] = (uint8_t)t24;
    }
    if (b->twcc_id == 0)
        return -1;
    long at = element_at(&rtp, b->twcc_id, 2);
    if (at < 0) {
        b->counters.unstamped++;
        return -1;
    }
    uint16_t seq = b->next_seq++;
    pkt[at] = (uint8_t)(seq >> 8);
    pkt[at + 1] = (uint8_t)seq;
    struct okno_sub_bwe_slot *s = &b->history[seq & HISTORY_MASK];
    *s = (struct okno_sub_bwe_slot){
        .send_us = now_us, .bytes = (uint32_t)len, .seq = seq, .used = true, .probe = probe};
    b->counters.stamped++;
    if (b->est) {
        const struct okno_bwe_sent sent = {
            .seq = seq, .bytes = (uint32_t)len, .send_us = now_us, .probe = probe};
        b->ops->on_packet_sent(b->est, &sent);
    }
    return seq;
}

int okno_sub_bwe_sent(const struct okno_sub_bwe *b, uint16_t seq, struct okno_sub_bwe_slot *out)
{
    const struct okno_sub_bwe_slot *s = &b->history[seq & HISTORY_MASK];
    if (!s->used || s->seq != seq)
        return OKNO_E_NOTFOUND;
    *out = *s;
    return 0;
}

/* Info when the target doubled or halved since the last info line (a slow drift counts too), debug
 * when it moved a tenth since the last line of either. */
static void log_estimate(struct okno_sub_bwe *b, const struct okno_bwe_estimate *e)
{
    uint32_t now = e->target_bps;
    uint32_t info = b->info_bps, dbg = b->debug_bps;
    bool big = info == 0 || now >= 2ull * info || 2ull * now <= info;
    bool moved = (uint64_t)now * 1000u >= (uint64_t)dbg * (1000u + DEBUG_STEP_PERMILLE) ||
                 (uint64_t)now * 1000u <= (uint64_t)dbg * (1000u - DEBUG_STEP_PERMILLE);
    if (!big && !moved)
        return;
    uint32_t was = big ? info : dbg;
    okno_log(big ? OKNO_LOG_INFO : OKNO_LOG_DEBUG, "sfu",
             "%s: subscriber estimate %u kbit/s (was %u; delay %u, loss %u, acked %u kbit/s, "
             "loss %.1f%%%s, queue %lld ms, rtt %lld ms)",
             b->who, now / 1000u, was / 1000u, e->delay_bps / 1000u, e->loss_bps / 1000u,
             e->acked_bps / 1000u, e->loss_ratio * 100.0, e->congestive_loss ? " congestive" : "",
             (long long)(e->queue_delay_us / 1000), (long long)(e->rtt_us / 1000));
    b->debug_bps = now;
    if (big)
        b->info_bps = now;
}

void okno_sub_bwe_update(struct okno_sub_bwe *b, int64_t now_us)
{
    if (!b->est)
        return;
    struct okno_bwe_estimate e;
    memset(&e, 0, sizeof e);
    b->ops->estimate(b->est, now_us, &e);
    if (e.target_bps == 0)
        return;
    b->estimate = e;
    b->have_estimate = true;
    log_estimate(b, &e);
}

void okno_sub_bwe_set_wanted_bps(struct okno_sub_bwe *b, uint32_t wanted_bps)
{
    b->wanted_bps = wanted_bps;
}

uint32_t okno_sub_bwe_wanted_bps(const struct okno_sub_bwe *b)
{
    return b->wanted_bps;
}

int okno_sub_bwe_estimate(const struct okno_sub_bwe *b, struct okno_bwe_estimate *out)
{
    if (!b->have_estimate)
        return OKNO_E_NOTFOUND;
    *out = b->estimate;
    return 0;
}

static void hand_part(struct okno_sub_bwe *b, const struct okno_twcc_fb *fb, size_t n, bool first,
                      int64_t now_us)
{
    if (!b->est || n == 0)
        return;
    const struct okno_bwe_feedback part = {.entries = b->part,
                                           .n = n,
                                           .first = first,
                                           .fb_count = fb->fb_count,
                                           .ref_time = fb->ref_time,
                                           .sender_ssrc = fb->sender_ssrc};
    b->ops->on_feedback(b->est, &part, now_us);
}

int okno_sub_bwe_on_feedback(struct okno_sub_bwe *b, const uint8_t *pkt, size_t len, int64_t now_us)
{
    struct okno_twcc_fb fb;
    int rc = okno_twcc_parse(pkt, len, &fb);
    if (rc < 0) {
        b->counters.malformed++;
        return rc;
    }
    b->counters.feedbacks++;
    struct okno_twcc_iter it;
    struct okno_twcc_entry e;
    okno_twcc_iter_init(&it, &fb);
    size_t n = 0;
    int total = 0;
    bool first = true;
    while (okno_twcc_iter_next(&it, &e) == 1) {
        struct okno_bwe_fb_entry *out = &b->part[n++];
        struct okno_sub_bwe_slot sent;
        bool known = okno_sub_bwe_sent(b, e.seq, &sent) == 0;
        *out = (struct okno_bwe_fb_entry){
            .seq = e.seq,
            .received = e.status != OKNO_TWCC_NOT_RECEIVED,
            .arrival_us = e.status != OKNO_TWCC_NOT_RECEIVED ? e.arrival_us : 0,
            .send_us = known ? sent.send_us : -1,
            .bytes = known ? sent.bytes : 0,
            .probe = known && sent.probe,
        };
        if (!known)
            b->counters.unknown_seq++;
        total++;
        if (n == OKNO_SUB_BWE_FB_PART) {
            hand_part(b, &fb, n, first, now_us);
            first = false;
            n = 0;
        }
    }
    hand_part(b, &fb, n, first, now_us);
    b->counters.feedback_entries += (uint64_t)total;
    okno_sub_bwe_update(b, now_us);
    return total;
}

void okno_sub_bwe_on_remb(struct okno_sub_bwe *b, uint64_t bps, int64_t now_us)
{
    b->counters.rembs++;
    if (!b->est)
        return;
    b->ops->on_remb(b->est, bps, now_us);
    okno_sub_bwe_update(b, now_us);
}

void okno_sub_bwe_on_rtt(struct okno_sub_bwe *b, int64_t rtt_us, int64_t now_us)
{
    if (b->est && rtt_us > 0)
        b->ops->on_rtt(b->est, rtt_us, now_us);
}

void okno_sub_bwe_on_loss(struct okno_sub_bwe *b, uint8_t fraction_lost, uint32_t packets,
                          int64_t now_us)
{
    if (packets == 0)
        return;
    b->counters.loss_reports++;
    if (!b->est)
        return;
    b->ops->on_loss_report(b->est, fraction_lost, packets, now_us);
    okno_sub_bwe_update(b, now_us);
}

void okno_sub_bwe_counters(const struct okno_sub_bwe *b, struct okno_sub_bwe_counters *mine,
                           struct okno_bwe_counters *plugin)
{
    if (mine)
        *mine = b->counters;
    if (!plugin)
        return;
    memset(plugin, 0, sizeof *plugin);
    if (b->est && OKNO_BWE_OPS_HAS(b->ops, counters) && b->ops->counters)
        b->ops->counters(b->est, plugin);
}
