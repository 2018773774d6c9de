/* A collapse of a publisher's uplink, seen in the numbers that go missing (collapse_watch.h). */
#include "sfu/collapse_watch.h"

#include <string.h>

#include "wire/seq.h"

void okno_collapse_watch_init(struct okno_collapse_watch *w)
{
    memset(w, 0, sizeof *w);
    w->since_us = -1;
}

/* The window that ended: a collapse begins, goes on, or is over. */
static void close_window(struct okno_collapse_watch *w, int64_t now_us)
{
    bool collapsed = w->missing >= OKNO_COLLAPSE_MIN_MISSING &&
                     (uint64_t)w->missing * 100u >= (uint64_t)w->expected * OKNO_COLLAPSE_SHARE_PCT;
    if (collapsed && w->since_us < 0)
        w->since_us = w->win_start_us;
    if (!collapsed) {
        w->since_us = -1;
        w->asked = false;
    }
    w->win_start_us = now_us;
    w->expected = w->missing = 0;
}

/* A window half gone that already holds what a whole one needs (the minimum, and the share of what
 * a whole window at the rate so far would expect) is a collapse now, not at its end: until it is
 * found, every hole of it is NACKed, and the publisher's retransmissions cross the collapsed uplink
 * ahead of the keyframe and spend its retransmission budget (okno-bench's drop: found 0.2 s after
 * the first loss, when that fell early in a window). The count to reach is the one the whole
 * window would need, so a burst the window would not call a collapse is not called one early. */
static void judge_early(struct okno_collapse_watch *w, int64_t now_us)
{
    int64_t elapsed = now_us - w->win_start_us;
    if (w->since_us >= 0 || elapsed < OKNO_COLLAPSE_WINDOW_US / 2 ||
        w->missing < OKNO_COLLAPSE_MIN_MISSING)
        return;
    uint64_t whole = (uint64_t)w->expected * OKNO_COLLAPSE_WINDOW_US / (uint64_t)elapsed;
    if ((uint64_t)w->missing * 100u >= whole * OKNO_COLLAPSE_SHARE_PCT)
        w->since_us = w->win_start_us;
}

bool okno_collapse_watch_on_packet(struct okno_collapse_watch *w, uint16_t seq, bool keyframe,
                                   int64_t rtt_us, int64_t now_us)
{
    int32_t jump = w->started ? okno_seq_diff(seq, w->highest) : 0;
    if (!w->started || jump > OKNO_COLLAPSE_MAX_JUMP || jump < -OKNO_COLLAPSE_MAX_JUMP) {
        /* the first packet, or the sender's numbering restarted: a new stream */
        uint64_t collapses = w->collapses;
        okno_collapse_watch_init(w);
        w->collapses = collapses;
        w->started = true;
        w->highest = seq;
        w->win_start_us = now_us;
        return false;
    }
    if (jump > 0) {
        w->highest = seq;
        w->expected += (uint32_t)jump;
        w->missing += (uint32_t)(jump - 1);
    } else if (w->missing > 0) {
        w->missing--; /* a late packet fills a hole of the window (or an older one) */
    }
    if (now_us - w->win_start_us >= OKNO_COLLAPSE_WINDOW_US)
        close_window(w, now_us);
    else
        judge_early(w, now_us);
    if (keyframe) {
        if (w->since_us >= 0)
            w->asked = true; /* one is here: the collapse needs no other */
        return false;
    }
    int64_t rtt = rtt_us > 0 ? rtt_us : OKNO_COLLAPSE_DEFAULT_RTT_US;
    if (w->since_us < 0 || w->asked || now_us - w->since_us < rtt + OKNO_COLLAPSE_WINDOW_US)
        return false;
    w->asked = true;
    w->collapses++;
    return true;
}

bool okno_collapse_watch_ask(struct okno_collapse_watch *w)
{
    if (w->since_us < 0 || w->asked)
        return false;
    w->asked = true;
    w->collapses++;
    return true;
}
