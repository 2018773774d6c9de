#include "standing_queue.h"

#define STANDING_Q_US   50000
#define STANDING_FOR_US 1000000
#define STANDING_MAX_US 150000 /* a queue this long is drained at once */
#define DRAIN_US        1000000
#define DRAIN_MAX_SHARE 0.5
#define REBASE_AFTER_US 2000000
#define REBASE_IF_KEPT  0.7
#define RETURN_SHARE    0.85

void okno_gcc_standing_init(struct okno_gcc_standing *s)
{
    s->high_since_us = -1;
    s->drain_at_us = -1;
    s->drain_q_us = 0;
    s->drain_lost = 0;
    s->drain_acked = 0;
    s->armed = true;
}

bool okno_gcc_standing_draining(const struct okno_gcc_standing *s)
{
    return s->drain_at_us >= 0;
}

enum okno_gcc_standing_action okno_gcc_standing_check(struct okno_gcc_standing *s, int64_t q_us,
                                                      uint32_t acked_bps, bool overuse,
                                                      uint64_t packets_lost, int64_t now_us,
                                                      double *drain_bps)
{
    bool drained = false;
    if (q_us > STANDING_Q_US) {
        if (s->high_since_us < 0)
            s->high_since_us = now_us;
    } else {
        s->high_since_us = -1;
        if (q_us < OKNO_GCC_STANDING_DRAINED_US) {
            s->armed = true;
            drained = s->drain_at_us >= 0;
            s->drain_at_us = -1;
        }
    }
    bool standing = s->high_since_us >= 0 &&
                    (now_us - s->high_since_us >= STANDING_FOR_US || q_us > STANDING_MAX_US);
    if (s->armed && standing && !overuse && acked_bps > 0) {
        double share = (double)q_us / DRAIN_US;
        if (share > DRAIN_MAX_SHARE)
            share = DRAIN_MAX_SHARE;
        *drain_bps = acked_bps * (1 - share);
        s->armed = false;
        s->drain_at_us = now_us;
        s->drain_q_us = q_us;
        s->drain_lost = packets_lost;
        s->drain_acked = acked_bps;
        return OKNO_GCC_STANDING_DRAIN;
    }
    if (s->drain_at_us >= 0 && now_us - s->drain_at_us >= REBASE_AFTER_US) {
        s->drain_at_us = -1;
        bool lossless = packets_lost == s->drain_lost;
        if (lossless && q_us > STANDING_Q_US &&
            (double)q_us > REBASE_IF_KEPT * (double)s->drain_q_us) {
            s->high_since_us = -1;
            s->armed = true;
            return OKNO_GCC_STANDING_REBASE;
        }
        /* Still a long queue, and a real one (it lost packets, or it shrank): drain again, below
         * what now gets through. A full drop-tail queue on a lossy link stays pegged at its
         * limit and never reads as growth; only going under the acknowledged rate empties it
         * (libwebrtc backs off on a long RTT for the same reason). Only a long one: the tens of
         * milliseconds a jittery radio link keeps above its fastest packet are no queue to
         * drain, and draining them again and again would ratchet the rate down to nothing. */
        if (q_us > STANDING_MAX_US)
            s->armed = true;
    }
    if (drained && !overuse) {
        *drain_bps = RETURN_SHARE * s->drain_acked;
        return OKNO_GCC_STANDING_DRAINED;
    }
    return OKNO_GCC_STANDING_NONE;
}
