/* The synthetic camera of okno-bench: pictures drawn from a frame number, a capture time and a
 * seed, with the frame's identity written into large cells. Everything is drawn in a virtual 1024 x
 * 576 canvas sampled at the output size, so one frame looks the same at every size; integer
 * arithmetic only, so two machines draw identical pixels. Every luma sample carries a camera's
 * grain (see GRAIN); it does not model lighting. */
#include "media/video_source.h"

#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"

#define VW            1024 /* virtual canvas */
#define VH            576
#define BAND_VY       (VH * OKNO_VSRC_CODE_ROWS / OKNO_VSRC_GRID_ROWS) /* content starts here */
#define CODE_BITS     (OKNO_VSRC_CODE_COLS * OKNO_VSRC_CODE_ROWS)
#define CELL_ONE      224
#define CELL_ZERO     32
#define CELL_THRESH   ((CELL_ONE + CELL_ZERO) / 2)
#define PAN_PER_FRAME 3
#define N_DISCS       3
#define MIN_W         (OKNO_VSRC_CODE_COLS * OKNO_VSRC_MIN_CELL)
#define MIN_H         (OKNO_VSRC_GRID_ROWS * OKNO_VSRC_MIN_CELL)
/* Sensor grain: -GRAIN..+GRAIN luma levels, new every frame. Without it the flat code cells and
 * the panning texture are so predictable that libvpx reached its minimum quantiser at 1.8-2.2
 * Mbit/s at 640x360 (PSNR 52 dB), so a call could not fill a 2.5 Mbit/s link however well its
 * congestion control did; a real camera's noise never lets an encoder run out of detail. With
 * +-1 it fills 3.7-4.0 Mbit/s. At the quantisers of a rate-limited link the grain is below one
 * step and costs next to nothing. */
#define GRAIN 1

/* The 32-bit finaliser of MurmurHash3: a cheap, well-mixed hash for texture and disc paths. */
static uint32_t mix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xffff), bit by bit: 8 bytes per frame. */
static uint16_t crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xffff;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

static void code_bytes(const struct okno_vsrc_code *c, uint8_t out[10])
{
    okno_wr32(out, c->frame_no);
    okno_wr32(out + 4, c->capture_ms);
    okno_wr16(out + 8, crc16(out, 8));
}

static int bit_at(const uint8_t bytes[10], unsigned i)
{
    return bytes[i / 8] >> (7 - i % 8) & 1;
}

struct disc {
    int cx, cy, r;
    uint8_t y, u, v;
};

/* A position bouncing between lo and hi (inclusive of lo) at speed v per frame. */
static int bounce(uint32_t start, int v, uint32_t n, int lo, int hi)
{
    uint32_t range = (uint32_t)(hi - lo);
    uint32_t p = (start + (uint32_t)v * n) % (2 * range);
    return lo + (int)(p < range ? p : 2 * range - p);
}

static void discs_at(uint32_t seed, uint32_t n, struct disc d[N_DISCS])
{
    for (uint32_t i = 0; i < N_DISCS; i++) {
        uint32_t h = mix32(seed * 0x9e3779b9u + i * 0x7f4a7c15u + 1);
        uint32_t h2 = mix32(h ^ 0x5bd1e995u);
        d[i].r = 28 + (int)(h % 40);
        int vx = 2 + (int)(h >> 8) % 7, vy = 1 + (int)(h >> 12) % 4;
        d[i].cx = bounce(h2, vx, n, d[i].r, VW - d[i].r);
        d[i].cy = bounce(h2 >> 11, vy, n, BAND_VY, VH);
        d[i].y = (uint8_t)(60 + (h2 >> 3) % 150);
        d[i].u = (uint8_t)(64 + (h2 >> 9) % 128);
        d[i].v = (uint8_t)(64 + (h2 >> 17) % 128);
    }
}

static int in_disc(const struct disc *d, int vx, int vy)
{
    int dx = vx - d->cx, dy = vy - d->cy;
    return dx * dx + dy * dy <= d->r * d->r;
}

static uint8_t clamp8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static int grain(uint32_t seed, uint32_t n, int vx, int vy)
{
    uint32_t h = mix32((seed ^ n * 0x9e3779b9u) + (uint32_t)(vy * VW + vx) * 0x85ebca77u);
    return (int)(h % (2 * GRAIN + 1)) - GRAIN;
}

static uint8_t content_luma(uint32_t seed, uint32_t n, const struct disc *d, int vx, int vy)
{
    int px = vx + (int)(n % 65536) * PAN_PER_FRAME;
    int t = (px + vy / 2) & 511;
    int base = 48 + (t < 256 ? t : 511 - t) * 140 / 255;
    int tex =
        (int)(mix32(seed ^ (uint32_t)(px >> 3) * 0x9e3779b1u ^ (uint32_t)(vy >> 3) * 0x85ebca77u) &
              31) -
        16;
    for (int i = N_DISCS - 1; i >= 0; i--)
        if (in_disc(&d[i], vx, vy))
            return clamp8(d[i].y + tex / 2);
    return clamp8(base + tex);
}

int okno_vsrc_init(struct okno_vsrc *src, const struct okno_vsrc_config *cfg)
{
    memset(src, 0, sizeof *src);
    if (cfg->width < MIN_W || cfg->height < MIN_H)
        return OKNO_E_INVAL;
    src->cfg = *cfg;
    return okno_image_alloc(&src->scratch, cfg->width, cfg->height);
}

void okno_vsrc_deinit(struct okno_vsrc *src)
{
    okno_image_free(&src->scratch);
}

static void draw(uint32_t seed, const struct okno_vsrc_code *code, struct okno_image *out)
{
    unsigned w = out->width, h = out->height;
    uint32_t n = code->frame_no;
    uint8_t bytes[10];
    code_bytes(code, bytes);
    struct disc d[N_DISCS];
    discs_at(seed, n, d);
    unsigned band_y = h * OKNO_VSRC_CODE_ROWS / OKNO_VSRC_GRID_ROWS;

    for (unsigned y = 0; y < h; y++) {
        uint8_t *row = out->plane[0] + (size_t)y * out->stride[0];
        int vy = (int)(y * VH / h);
        if (y < band_y) {
            unsigned r = y * OKNO_VSRC_GRID_ROWS / h;
            for (unsigned x = 0; x < w; x++) {
                unsigned c = x * OKNO_VSRC_CODE_COLS / w;
                int cell = bit_at(bytes, r * OKNO_VSRC_CODE_COLS + c) ? CELL_ONE : CELL_ZERO;
                row[x] = (uint8_t)(cell + grain(seed, n, (int)(x * VW / w), vy));
            }
            continue;
        }
        for (unsigned x = 0; x < w; x++) {
            int vx = (int)(x * VW / w);
            row[x] = clamp8(content_luma(seed, n, d, vx, vy) + grain(seed, n, vx, vy));
        }
    }
    unsigned cw = okno_image_chroma_w(out), ch = okno_image_chroma_h(out);
    for (unsigned y = 0; y < ch; y++) {
        uint8_t *ru = out->plane[1] + (size_t)y * out->stride[1];
        uint8_t *rv = out->plane[2] + (size_t)y * out->stride[2];
        unsigned ly = 2 * y;
        if (ly < band_y) {
            memset(ru, 128, cw);
            memset(rv, 128, cw);
            continue;
        }
        int vy = (int)(ly * VH / h);
        for (unsigned x = 0; x < cw; x++) {
            int vx = (int)(2 * x * VW / w);
            int u = 96 + vx / 16, v = 112 + (vy - BAND_VY) / 8;
            for (int i = N_DISCS - 1; i >= 0; i--)
                if (in_disc(&d[i], vx, vy)) {
                    u = d[i].u;
                    v = d[i].v;
                    break;
                }
            ru[x] = clamp8(u);
            rv[x] = clamp8(v);
        }
    }
}

static uint32_t ms32(int64_t us)
{
    int64_t ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    return (uint32_t)(uint64_t)ms;
}

int okno_vsrc_render(const struct okno_vsrc *src, uint32_t frame_no, int64_t capture_us,
                     struct okno_image *out)
{
    if (out->width < MIN_W || out->height < MIN_H)
        return OKNO_E_INVAL;
    struct okno_vsrc_code code = {.frame_no = frame_no, .capture_ms = ms32(capture_us)};
    draw(src->cfg.seed, &code, out);
    return 0;
}

int okno_vsrc_regenerate(struct okno_vsrc *src, const struct okno_vsrc_code *code,
                         struct okno_image *out)
{
    if (out->width < MIN_W || out->height < MIN_H)
        return OKNO_E_INVAL;
    unsigned k = src->cfg.width / out->width;
    if (k > 1 && src->cfg.width / k == out->width && src->cfg.height / k == out->height) {
        draw(src->cfg.seed, code, &src->scratch);
        return okno_image_downscale(out, &src->scratch, k);
    }
    draw(src->cfg.seed, code, out);
    return 0;
}

int okno_vsrc_read_code(const struct okno_image *img, struct okno_vsrc_code *out)
{
    unsigned w = img->width, h = img->height;
    if (w < MIN_W || h < MIN_H)
        return OKNO_E_RANGE;
    uint8_t bytes[10] = {0};
    for (unsigned r = 0; r < OKNO_VSRC_CODE_ROWS; r++) {
        unsigned y0 = r * h / OKNO_VSRC_GRID_ROWS, y1 = (r + 1) * h / OKNO_VSRC_GRID_ROWS;
        unsigned my = (y1 - y0) / 4;
        for (unsigned c = 0; c < OKNO_VSRC_CODE_COLS; c++) {
            unsigned x0 = c * w / OKNO_VSRC_CODE_COLS, x1 = (c + 1) * w / OKNO_VSRC_CODE_COLS;
            unsigned mx = (x1 - x0) / 4;
            unsigned sum = 0, cnt = 0;
            for (unsigned y = y0 + my; y < y1 - my; y++)
                for (unsigned x = x0 + mx; x < x1 - mx; x++, cnt++)
                    sum += img->plane[0][(size_t)y * img->stride[0] + x];
            unsigned i = r * OKNO_VSRC_CODE_COLS + c;
            if (cnt && sum >= CELL_THRESH * cnt)
                bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
        }
    }
    if (okno_rd16(bytes + 8) != crc16(bytes, 8))
        return OKNO_E_MALFORMED;
    out->frame_no = okno_rd32(bytes);
    out->capture_ms = okno_rd32(bytes + 4);
    return 0;
}

int64_t okno_vsrc_capture_us(uint32_t capture_ms, int64_t now_us)
{
    int64_t now_ms = now_us >= 0 ? now_us / 1000 : -((-now_us + 999) / 1000);
    int32_t diff = (int32_t)(capture_ms - (uint32_t)(uint64_t)now_ms);
    return (now_ms + diff) * 1000;
}
