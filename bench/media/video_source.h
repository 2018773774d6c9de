/* okno-bench's camera: a deterministic synthetic I420 source whose pictures carry their own frame
 * number and capture time in a code of large black and white cells, so a receiver can tell which
 * frame it decoded, when it was captured, and regenerate the original for PSNR. The picture moves
 * like a camera's (a panning gradient with seeded texture and bouncing discs in the lower part) so
 * the encoder spends bits as it would on real video. The code is a 16 x 5 grid of cells covering
 * the top 5/9 of the picture: 32 bits of frame number, the low 32 bits of the capture time in
 * milliseconds and a CRC-16, cells sized to the picture so they survive a /4 simulcast downscale
 * and heavy quantisation. It deliberately does not pace frames (the caller owns time) and does not
 * correct code errors: a damaged code is reported unreadable, never guessed. */
#ifndef OKNO_BENCH_MEDIA_VIDEO_SOURCE_H
#define OKNO_BENCH_MEDIA_VIDEO_SOURCE_H

#include <stdint.h>

#include "media/image.h"

#define OKNO_VSRC_CODE_COLS 16
#define OKNO_VSRC_CODE_ROWS 5
/* The grid divides the height in nine rows of cells; the code takes the top five. */
#define OKNO_VSRC_GRID_ROWS 9
/* The smallest cell the reader accepts, in pixels (a 64x36 picture). */
#define OKNO_VSRC_MIN_CELL 4

struct okno_vsrc_config {
    unsigned width, height; /* the capture size: simulcast layers are /2 and /4 of it */
    uint32_t seed;          /* texture and disc paths; same seed, same pictures */
};

/* What the code in a picture says. */
struct okno_vsrc_code {
    uint32_t frame_no;
    uint32_t capture_ms; /* capture time in ms, modulo 2^32 (okno_vsrc_capture_us widens it) */
};

struct okno_vsrc {
    struct okno_vsrc_config cfg;
    /* owned: a capture-size picture for regenerating reduced sizes the way the encoder made them */
    struct okno_image scratch;
};

/* Sets up a source. Returns 0, OKNO_E_INVAL for a size outside 64x36 .. 16384x16384, OKNO_E_NOMEM.
 * Release with okno_vsrc_deinit. */
int okno_vsrc_init(struct okno_vsrc *src, const struct okno_vsrc_config *cfg);
void okno_vsrc_deinit(struct okno_vsrc *src);

/* Draws frame frame_no captured at capture_us (any clock; the code keeps it in ms modulo 2^32) into
 * out at out's own size: the capture size for the camera, or any other size by point sampling.
 * Returns 0 or OKNO_E_INVAL when out is smaller than 64x36. Allocates nothing. */
int okno_vsrc_render(const struct okno_vsrc *src, uint32_t frame_no, int64_t capture_us,
                     struct okno_image *out);

/* Regenerates the frame a receiver decoded, at out's size, from what its code said: at the capture
 * size, or at capture size / k drawn at the capture size and box-downscaled exactly as the
 * simulcast encoder does (so PSNR measures only the codec), or point-sampled at any other size.
 * Returns 0 or OKNO_E_INVAL as okno_vsrc_render. Uses the source's scratch picture: not thread-safe
 * per source.
 */
int okno_vsrc_regenerate(struct okno_vsrc *src, const struct okno_vsrc_code *code,
                         struct okno_image *out);

/* Reads the code of a (decoded) picture of any size. Each cell is judged by the mean luma of its
 * inner half, so coding noise and ringing at cell edges do not flip bits. Returns 0 with *out set;
 * OKNO_E_RANGE when the picture is too small for cells of OKNO_VSRC_MIN_CELL pixels;
 * OKNO_E_MALFORMED when the CRC does not match (the code is unreadable). */
int okno_vsrc_read_code(const struct okno_image *img, struct okno_vsrc_code *out);

/* The full capture time (us) whose ms count modulo 2^32 is capture_ms, chosen nearest to now_us: a
 * receiver on the same host widens a code's time with its own clock. */
int64_t okno_vsrc_capture_us(uint32_t capture_ms, int64_t now_us);

#endif
