/* I420 pictures: allocation, copy, box downscale and PSNR for okno-bench. Plain loops on purpose:
 * the pictures are at most 720p and the benchmark measures the codecs, not this file. It does no
 * SIMD, no filtering beyond a box average and no fractional scaling. */
#include "media/image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"

#define MAX_DIM 16384u

static void plane_dims(const struct okno_image *img, int p, unsigned *w, unsigned *h)
{
    *w = p ? okno_image_chroma_w(img) : img->width;
    *h = p ? okno_image_chroma_h(img) : img->height;
}

int okno_image_alloc(struct okno_image *img, unsigned width, unsigned height)
{
    memset(img, 0, sizeof *img);
    if (width == 0 || height == 0 || width > MAX_DIM || height > MAX_DIM)
        return OKNO_E_INVAL;
    img->width = width;
    img->height = height;
    img->owned = true;
    for (int p = 0; p < 3; p++) {
        unsigned w, h;
        plane_dims(img, p, &w, &h);
        img->stride[p] = (int)w;
        img->plane[p] = calloc((size_t)w * h, 1);
        if (!img->plane[p]) {
            okno_image_free(img);
            return OKNO_E_NOMEM;
        }
    }
    return 0;
}

void okno_image_free(struct okno_image *img)
{
    if (!img)
        return;
    if (img->owned)
        for (int p = 0; p < 3; p++)
            free(img->plane[p]);
    memset(img, 0, sizeof *img);
}

int okno_image_copy(struct okno_image *dst, const struct okno_image *src)
{
    if (dst->width != src->width || dst->height != src->height)
        return OKNO_E_INVAL;
    for (int p = 0; p < 3; p++) {
        unsigned w, h;
        plane_dims(src, p, &w, &h);
        for (unsigned y = 0; y < h; y++)
            memcpy(dst->plane[p] + (size_t)y * dst->stride[p],
                   src->plane[p] + (size_t)y * src->stride[p], w);
    }
    return 0;
}

/* One plane: dst pixel (x, y) is the mean of src's block at (x*f, y*f), clipped to src. */
static void downscale_plane(uint8_t *dst, int dstride, unsigned dw, unsigned dh, const uint8_t *src,
                            int sstride, unsigned sw, unsigned sh, unsigned f)
{
    for (unsigned y = 0; y < dh; y++) {
        unsigned y0 = y * f, y1 = y0 + f < sh ? y0 + f : sh;
        for (unsigned x = 0; x < dw; x++) {
            unsigned x0 = x * f, x1 = x0 + f < sw ? x0 + f : sw;
            unsigned sum = 0, n = 0;
            for (unsigned yy = y0; yy < y1; yy++)
                for (unsigned xx = x0; xx < x1; xx++, n++)
                    sum += src[(size_t)yy * sstride + xx];
            dst[(size_t)y * dstride + x] = n ? (uint8_t)((sum + n / 2) / n) : 128;
        }
    }
}

int okno_image_downscale(struct okno_image *dst, const struct okno_image *src, unsigned factor)
{
    if (factor == 0 || dst->width != src->width / factor || dst->height != src->height / factor ||
        dst->width == 0 || dst->height == 0)
        return OKNO_E_INVAL;
    if (factor == 1)
        return okno_image_copy(dst, src);
    for (int p = 0; p < 3; p++) {
        unsigned sw, sh, dw, dh;
        plane_dims(src, p, &sw, &sh);
        plane_dims(dst, p, &dw, &dh);
        downscale_plane(dst->plane[p], dst->stride[p], dw, dh, src->plane[p], src->stride[p], sw,
                        sh, factor);
    }
    return 0;
}

static uint64_t plane_sse(const struct okno_image *a, const struct okno_image *b, int p,
                          uint64_t *samples)
{
    unsigned w, h;
    plane_dims(a, p, &w, &h);
    uint64_t sse = 0;
    for (unsigned y = 0; y < h; y++) {
        const uint8_t *ra = a->plane[p] + (size_t)y * a->stride[p];
        const uint8_t *rb = b->plane[p] + (size_t)y * b->stride[p];
        for (unsigned x = 0; x < w; x++) {
            int d = (int)ra[x] - (int)rb[x];
            sse += (uint64_t)(d * d);
        }
    }
    *samples += (uint64_t)w * h;
    return sse;
}

double okno_image_psnr(const struct okno_image *a, const struct okno_image *b, bool yuv)
{
    if (a->width != b->width || a->height != b->height || a->width == 0 || a->height == 0)
        return -1.0;
    uint64_t samples = 0, sse = 0;
    for (int p = 0; p < (yuv ? 3 : 1); p++)
        sse += plane_sse(a, b, p, &samples);
    if (sse == 0)
        return OKNO_IMAGE_PSNR_MAX;
    double mse = (double)sse / (double)samples;
    double psnr = 10.0 * log10(255.0 * 255.0 / mse);
    return psnr > OKNO_IMAGE_PSNR_MAX ? OKNO_IMAGE_PSNR_MAX : psnr;
}
