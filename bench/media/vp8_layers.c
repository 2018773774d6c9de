/* Simulcast allocation, temporal bitrate split and temporal patterns for the VP8 sender. The table
 * and shares are libwebrtc's published defaults, so okno-bench loads the server like a browser
 * would; the patterns are simpler than libwebrtc's (no long-term golden references) on purpose,
 * which keeps the receiver's recovery rule simple. It does not adapt the number of layers. */
#include "media/vp8_layers.h"

#include <vpx/vp8cx.h>

#include "okno/err.h"

struct rate_row {
    unsigned pixels;
    struct okno_vp8_rates rates;
};

static const struct rate_row rate_table[] = {
    {1920 * 1080, {800, 4000, 5000}}, {1280 * 720, {600, 2500, 2500}},
    {960 * 540, {350, 1200, 1200}},   {640 * 360, {150, 500, 700}},
    {480 * 270, {150, 350, 450}},     {0, {30, 150, 200}},
};

struct okno_vp8_rates okno_vp8_rates_for(unsigned width, unsigned height)
{
    unsigned pixels = width * height;
    for (unsigned i = 0; i < sizeof rate_table / sizeof rate_table[0]; i++)
        if (pixels >= rate_table[i].pixels)
            return rate_table[i].rates;
    return rate_table[sizeof rate_table / sizeof rate_table[0] - 1].rates;
}

int okno_vp8_allocate(const struct okno_vp8_rates *rates, unsigned n, unsigned total_kbps,
                      unsigned *out_kbps)
{
    if (n < 1 || n > OKNO_VP8_MAX_ENCODINGS)
        return OKNO_E_INVAL;
    for (unsigned i = 0; i < n; i++)
        out_kbps[i] = 0;
    if (n == 1) {
        out_kbps[0] = total_kbps;
        return 1;
    }
    unsigned left = total_kbps, top = 0;
    for (unsigned i = 0; i < n; i++) {
        /* A higher encoding needs a higher minimum: once one cannot be afforded, none above can. */
        if (i > 0 && left < rates[i].min_kbps)
            break;
        unsigned a = left < rates[i].target_kbps ? left : rates[i].target_kbps;
        out_kbps[i] = a;
        left -= a;
        top = i;
    }
    if (left > 0) {
        unsigned a = out_kbps[top] + left;
        unsigned max = rates[top].max_kbps > out_kbps[top] ? rates[top].max_kbps : out_kbps[top];
        out_kbps[top] = a < max ? a : max;
    }
    if (out_kbps[0] == 0)
        out_kbps[0] = 1; /* libvpx needs a positive target; the bench keeps the base alive */
    return (int)top + 1;
}

void okno_vp8_temporal_split(unsigned layers, unsigned kbps, unsigned cumulative[3])
{
    cumulative[0] = cumulative[1] = cumulative[2] = kbps;
    if (layers == 2) {
        cumulative[0] = kbps * 60 / 100;
    } else if (layers == 3) {
        cumulative[0] = kbps * 40 / 100;
        cumulative[1] = kbps * 60 / 100;
    }
}

unsigned okno_vp8_temporal_period(unsigned layers)
{
    return layers >= 3 ? 4 : layers == 2 ? 2 : 1;
}

#define NO_UPD_ALL (VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF)
#define ONLY_LAST  (VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF)

struct okno_vp8_tl_frame okno_vp8_temporal_frame(unsigned layers, unsigned pos,
                                                 bool group_tl1_valid)
{
    struct okno_vp8_tl_frame f = {0};
    /* TL0: predicts from the last TL0 frame only and is the only layer that updates LAST. */
    const long tl0 = ONLY_LAST | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF;
    if (layers <= 1)
        return f; /* one layer: libvpx's defaults; any loss needs a key frame anyway */
    pos %= okno_vp8_temporal_period(layers);
    if (pos == 0) {
        f.flags = tl0;
        return f;
    }
    if (layers == 2) {
        f = (struct okno_vp8_tl_frame){ONLY_LAST | NO_UPD_ALL, 1, true, true};
        return f;
    }
    switch (pos) {
    case 1: /* TL2 from TL0, discardable */
        f = (struct okno_vp8_tl_frame){ONLY_LAST | NO_UPD_ALL, 2, true, true};
        break;
    case 2: /* TL1 from TL0, kept in the golden buffer for the group's second TL2 frame */
        f = (struct okno_vp8_tl_frame){ONLY_LAST | VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_ARF, 1,
                                       true, false};
        break;
    default: /* TL2 from TL0 and this group's TL1 */
        if (group_tl1_valid)
            f = (struct okno_vp8_tl_frame){VP8_EFLAG_NO_REF_ARF | NO_UPD_ALL, 2, false, true};
        else
            f = (struct okno_vp8_tl_frame){ONLY_LAST | NO_UPD_ALL, 2, true, true};
        break;
    }
    return f;
}
