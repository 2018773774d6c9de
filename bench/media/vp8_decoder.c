/* libvpx VP8 decoding for okno-bench. A thin wrapper on purpose: what it adds is the error count
 * and the view type the metrics use. It does not request key frames itself: the depacketizer knows
 * why a frame is missing, this file only knows that libvpx refused one. */
#include "media/vp8_decoder.h"

#include <stdlib.h>
#include <string.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "okno/err.h"

struct okno_vp8dec {
    vpx_codec_ctx_t codec; /* owned */
    struct okno_vp8dec_stats stats;
};

int okno_vp8dec_create(unsigned threads, struct okno_vp8dec **out)
{
    *out = NULL;
    struct okno_vp8dec *d = calloc(1, sizeof *d);
    if (!d)
        return OKNO_E_NOMEM;
    vpx_codec_dec_cfg_t cfg = {.threads = threads ? threads : 1};
    if (vpx_codec_dec_init(&d->codec, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
        free(d);
        return OKNO_E_IO;
    }
    *out = d;
    return 0;
}

void okno_vp8dec_destroy(struct okno_vp8dec *d)
{
    if (!d)
        return;
    vpx_codec_destroy(&d->codec);
    free(d);
}

int okno_vp8dec_decode(struct okno_vp8dec *d, const uint8_t *data, size_t len,
                       struct okno_image *img)
{
    memset(img, 0, sizeof *img);
    if (!data || len == 0 || len > UINT32_MAX ||
        vpx_codec_decode(&d->codec, data, (unsigned)len, NULL, 0) != VPX_CODEC_OK) {
        d->stats.errors++;
        return OKNO_E_MALFORMED;
    }
    vpx_codec_iter_t iter = NULL;
    vpx_image_t *v = vpx_codec_get_frame(&d->codec, &iter);
    if (!v) {
        d->stats.hidden++;
        return 0;
    }
    img->width = v->d_w;
    img->height = v->d_h;
    for (int p = 0; p < 3; p++) {
        img->plane[p] = v->planes[p];
        img->stride[p] = v->stride[p];
    }
    img->owned = false;
    d->stats.frames++;
    return 1;
}

struct okno_vp8dec_stats okno_vp8dec_stats(const struct okno_vp8dec *d)
{
    return d->stats;
}
