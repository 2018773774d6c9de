/* Resolution levels of a single-stream sender: see sender_scaling.h. The thresholds are
 * libwebrtc's VP8 bitrate limits per resolution (the minimum start bitrate: 200 kbit/s for
 * 480x270, 300 for 640x360, 500 for 960x540, 900 for 1280x720) with a floor at about two thirds
 * of each; 320x180 110 / 80 and 160x90 50 / 30 kbit/s, where the synthetic camera still holds
 * about 25 fps (at 70 kbit/s libvpx drops a fifth of the 320x180 frames, fewer of 160x90). */
#include "call/sender_scaling.h"

#include <string.h>

#define DOWN_HOLD_US        2000000
#define UP_HOLD_US          4000000
#define UP_HOLD_MAX_SHIFT   3 /* 4, 8, 16, 32 s */
#define DROP_WINDOW_US      2000000
#define DROP_PCT            30
#define DROP_MIN_CAPTURES   10
#define SWITCH_GRACE_US     1500000
#define SCALING_MIN_SIDE_PX 16

struct row {
    unsigned pixels, up_kbps, down_kbps;
};

static const struct row rows[] = {
    {160 * 90, 50, 30},    {320 * 180, 110, 80},  {480 * 270, 200, 130},
    {640 * 360, 300, 200}, {960 * 540, 500, 330}, {1280 * 720, 900, 600},
};

static struct row row_for(unsigned pixels)
{
    for (unsigned i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (pixels <= rows[i].pixels)
            return rows[i];
    return (struct row){0, 1500, 1000};
}

unsigned okno_scaling_levels_for(unsigned width, unsigned height)
{
    unsigned n = 1;
    while (n < OKNO_SCALING_MAX_LEVELS && width >> n >= SCALING_MIN_SIDE_PX &&
           height >> n >= SCALING_MIN_SIDE_PX)
        n++;
    return n;
}

void okno_scaling_init(struct okno_scaling *sc, unsigned levels, unsigned width, unsigned height,
                       unsigned start_kbps, int64_t now_us)
{
    memset(sc, 0, sizeof *sc);
    if (levels < 1)
        levels = 1;
    if (levels > OKNO_SCALING_MAX_LEVELS)
        levels = OKNO_SCALING_MAX_LEVELS;
    sc->levels = levels;
    for (unsigned i = 0; i < levels; i++) {
        unsigned shift = levels - 1 - i;
        struct row r = row_for((width >> shift) * (height >> shift));
        /* the lowest level is always affordable: the sender keeps sending something */
        sc->up_kbps[i] = i ? r.up_kbps : 0;
        sc->down_kbps[i] = i ? r.down_kbps : 0;
    }
    sc->level = 0;
    while (sc->level + 1 < levels && start_kbps >= sc->down_kbps[sc->level + 1])
        sc->level++;
    sc->above_since_us = sc->below_since_us = INT64_MIN;
    sc->window_start_us = now_us;
}

static void switch_to(struct okno_scaling *sc, unsigned level, int64_t now_us)
{
    sc->level = level;
    sc->switches++;
    sc->above_since_us = sc->below_since_us = INT64_MIN;
    /* the key frame of the new level and the encoder settling cost a few captures: they are not
     * counted against it */
    sc->window_start_us = now_us + SWITCH_GRACE_US;
    sc->captures = sc->drops = 0;
}

/* The hold before going up to level: longer after the encoder failed there, unless the rate is
 * now well above the one it failed at. */
static int64_t up_hold(const struct okno_scaling *sc, unsigned level, unsigned kbps)
{
    unsigned f = sc->failures[level];
    if (kbps >= sc->fail_kbps[level] / 2 * 3)
        f = 0;
    return UP_HOLD_US << (f < UP_HOLD_MAX_SHIFT ? f : UP_HOLD_MAX_SHIFT);
}

bool okno_scaling_on_rate(struct okno_scaling *sc, unsigned video_kbps, int64_t now_us)
{
    unsigned l = sc->level;
    sc->kbps = video_kbps;
    if (video_kbps < sc->down_kbps[l]) {
        sc->above_since_us = INT64_MIN;
        if (sc->below_since_us == INT64_MIN)
            sc->below_since_us = now_us;
        if (now_us - sc->below_since_us < DOWN_HOLD_US)
            return false;
        unsigned to = l;
        while (to > 0 && video_kbps < sc->down_kbps[to])
            to--;
        switch_to(sc, to, now_us);
        return true;
    }
    sc->below_since_us = INT64_MIN;
    if (l + 1 >= sc->levels || video_kbps < sc->up_kbps[l + 1]) {
        sc->above_since_us = INT64_MIN;
        return false;
    }
    if (sc->above_since_us == INT64_MIN)
        sc->above_since_us = now_us;
    if (now_us - sc->above_since_us < up_hold(sc, l + 1, video_kbps))
        return false;
    unsigned to = l + 1;
    while (to + 1 < sc->levels && video_kbps >= sc->up_kbps[to + 1] &&
           now_us - sc->above_since_us >= up_hold(sc, to + 1, video_kbps))
        to++;
    switch_to(sc, to, now_us);
    return true;
}

bool okno_scaling_on_capture(struct okno_scaling *sc, bool dropped, int64_t now_us)
{
    if (now_us < sc->window_start_us)
        return false;
    sc->captures++;
    sc->drops += dropped;
    if (now_us - sc->window_start_us < DROP_WINDOW_US)
        return false;
    bool overloaded =
        sc->captures >= DROP_MIN_CAPTURES && sc->drops * 100 > sc->captures * DROP_PCT;
    sc->window_start_us = now_us;
    sc->captures = sc->drops = 0;
    if (!overloaded || sc->level == 0)
        return false;
    if (sc->failures[sc->level] < UP_HOLD_MAX_SHIFT)
        sc->failures[sc->level]++;
    sc->fail_kbps[sc->level] = sc->kbps;
    switch_to(sc, sc->level - 1, now_us);
    return true;
}
