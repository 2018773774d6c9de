/* A participant and the link memory (participant_link.h). */
#include "sfu/participant_link.h"

#include "core/log.h"
#include "okno/bwe.h"
#include "sfu/participant.h"
#include "sfu/participant_pub_fb.h"
#include "sfu/pub_fb.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"
#include "sfu/sub_bwe.h"
#include "sfu/track.h"

/* The uplink held the publisher when okno's cap stood at least this far above what came. */
#define CAP_ABOVE_PERMILLE 1300u
/* An estimate under this share of what the client acknowledges is held by its downlink. */
#define ACKED_NEAR_PERMILLE 1250u

void okno__participant_link_open(struct okno_participant *p, const char *key, int64_t now_us)
{
    okno_link_learner_init(&p->up_learn);
    okno_link_learner_init(&p->down_learn);
    struct okno_link_memory *m = p->room->sfu->links;
    if (!m || !key)
        return;
    p->link_key = g_strdup(key);
    p->link_known = okno_link_memory_recall(m, key, now_us);
    if (!p->link_known.up_bps && !p->link_known.down_bps)
        return;
    uint32_t up_start = okno__participant_link_up_start_bps(p);
    uint32_t down_start = okno__participant_link_down_start_bps(p);
    char up[32] = "its own", down[32] = "the plugin's";
    if (up_start)
        g_snprintf(up, sizeof up, "%u kbit/s", up_start / 1000u);
    if (down_start)
        g_snprintf(down, sizeof down, "%u kbit/s", down_start / 1000u);
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s: its links carried %u kbit/s up, %u down before: its sender starts at %s, okno's "
             "estimate at %s",
             p->id, p->link_known.up_bps / 1000u, p->link_known.down_bps / 1000u, up, down);
}

/* The start for a link remembered at remembered_bps, 0 when it is a browser's own. */
static uint32_t start_hint(uint32_t remembered_bps)
{
    uint32_t start = okno_link_start_bps(remembered_bps, OKNO_LINK_DEFAULT_START_BPS);
    return start < OKNO_LINK_DEFAULT_START_BPS ? start : 0;
}

uint32_t okno__participant_link_up_start_bps(const struct okno_participant *p)
{
    return start_hint(p->link_known.up_bps);
}

uint32_t okno__participant_link_down_start_bps(const struct okno_participant *p)
{
    return start_hint(p->link_known.down_bps);
}

static bool video_flowing(const struct okno_participant *p, int64_t now_us)
{
    for (guint i = 0; i < p->tracks->len; i++) {
        const struct okno_track *t = p->tracks->pdata[i];
        for (unsigned e = 0; t->video && e < t->n_enc; e++)
            if (okno_track_enc_flowing(&t->enc[e], now_us))
                return true;
    }
    return false;
}

void okno__participant_link_tick(struct okno_participant *p, int64_t now_us)
{
    if (!p->link_key)
        return;
    if (p->pub_fb) {
        uint64_t rate = okno_pub_fb_rate_bps(p->pub_fb), cap = p->pub_fb->cap_bps;
        bool uplink_held = rate > 0 && cap * 1000u >= rate * CAP_ABOVE_PERMILLE;
        okno_link_learner_sample(&p->up_learn, rate, uplink_held && video_flowing(p, now_us),
                                 now_us);
    }
    struct okno_bwe_estimate est;
    if (p->sub_bwe && okno_sub_bwe_estimate(p->sub_bwe, &est) == 0) {
        /* Held by the link: the participant wanted more, or the estimate stays near what arrives
         * (an estimator free to grow runs well above what a client that wants little acks). */
        uint64_t target = est.target_bps, acked = est.acked_bps;
        bool held = okno_sub_bwe_wanted_bps(p->sub_bwe) > target ||
                    target * 1000u < acked * ACKED_NEAR_PERMILLE;
        okno_link_learner_sample(&p->down_learn, target, held, now_us);
    }
}

void okno__participant_link_close(struct okno_participant *p, int64_t now_us)
{
    if (!p->link_key)
        return;
    struct okno_link_rates seen = {okno_link_learner_result(&p->up_learn),
                                   okno_link_learner_result(&p->down_learn)};
    okno_link_memory_store(p->room->sfu->links, p->link_key, seen, now_us);
    if (seen.up_bps || seen.down_bps)
        okno_log(OKNO_LOG_INFO, "sfu", "%s: its links carried %u kbit/s up, %u down (remembered)",
                 p->id, seen.up_bps / 1000u, seen.down_bps / 1000u);
    g_free(p->link_key);
    p->link_key = NULL;
}
