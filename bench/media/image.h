/* Planar I420 pictures for okno-bench's media pipeline: a small owned-or-borrowed picture type that
 * the synthetic source draws into, the encoder reads, the decoder hands out and the quality metric
 * compares, plus the two pieces of pixel arithmetic they share: an integer box downscale (the
 * simulcast encoder's /2 and /4 scaler, and the PSNR reference's) and PSNR itself. It deliberately
 * knows nothing about codecs and does no colour conversion, cropping or fractional scaling. */
#ifndef OKNO_BENCH_MEDIA_IMAGE_H
#define OKNO_BENCH_MEDIA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* PSNR reported for identical pictures (and the cap for nearly identical ones), as libwebrtc's
 * quality tests do, so averages stay finite. */
#define OKNO_IMAGE_PSNR_MAX 99.0

/* One I420 picture. Chroma planes are (width+1)/2 x (height+1)/2. The planes either belong to the
 * picture (owned: okno_image_alloc, okno_image_free) or are views into someone else's memory (a
 * decoder's frame buffer), which okno_image_free leaves alone. */
struct okno_image {
    unsigned width, height;
    uint8_t *plane[3]; /* Y, U, V */
    int stride[3];
    bool owned;
};

static inline unsigned okno_image_chroma_w(const struct okno_image *img)
{
    return (img->width + 1) / 2;
}

static inline unsigned okno_image_chroma_h(const struct okno_image *img)
{
    return (img->height + 1) / 2;
}

/* Allocates the planes of a width x height picture (contents zero). Returns 0, OKNO_E_INVAL for a
 * zero or larger than 16384 dimension, OKNO_E_NOMEM. On failure *img is left empty (free is safe).
 * Free with okno_image_free. */
int okno_image_alloc(struct okno_image *img, unsigned width, unsigned height);

/* Frees an owned picture's planes and empties *img; a view is only emptied. NULL-safe. */
void okno_image_free(struct okno_image *img);

/* Copies pixels of src into dst, which must have the same size. Returns 0 or OKNO_E_INVAL. */
int okno_image_copy(struct okno_image *dst, const struct okno_image *src);

/* Averages each factor x factor block of src into one pixel of dst (plane by plane, blocks clipped
 * at the right and bottom edges). dst must be src->width / factor x src->height / factor, at least
 * 1x1. Returns 0 or OKNO_E_INVAL (factor 0, or dst the wrong size). factor 1 is a copy. */
int okno_image_downscale(struct okno_image *dst, const struct okno_image *src, unsigned factor);

/* PSNR of b against a over the Y plane only (yuv false), or over all three planes weighted 4:1:1
 * by sample count (yuv true, libvpx's way). Capped at OKNO_IMAGE_PSNR_MAX. Returns a negative value
 * when the sizes differ. */
double okno_image_psnr(const struct okno_image *a, const struct okno_image *b, bool yuv);

#endif
