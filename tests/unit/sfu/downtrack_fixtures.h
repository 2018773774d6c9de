/* Fixtures shared by the downtrack tests: real packets from the Chromium capture
 * (tests/fixtures/captures/chromium-rtp.hex: VP8 pt 96, RTX 97; extension ids 2 abs-send-time,
 * 3 transport-cc, 4 mid, 7 video-timing, 8 color-space, 13 video-orientation), VP8 packets with
 * temporal-layer descriptors built around the capture's real frames, and a recording listener.
 * Header-only so each test program stays one .c file. */
#ifndef OKNO_TEST_DOWNTRACK_FIXTURES_H
#define OKNO_TEST_DOWNTRACK_FIXTURES_H

#include "testutil.h"
#include "okno/err.h"
#include "sfu/downtrack.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/vp8.h"

/* Publisher encodings in the capture: two VP8 SSRCs with a key frame start each. */
#define FX_SSRC_A   0x56b46764u /* key frame seq 27681 ts 4069415935, picture ID 0x4716 */
#define FX_SSRC_B   0x9422451cu /* key frame seq 28296 ts 1028779017, picture ID 0x62ac */
#define FX_KEY_A    "seq=27681 ts=4069415935 ssrc=56b46764"
#define FX_DELTA_A  "seq=27762 ts=4069780525 ssrc=56b46764"
#define FX_KEY_B    "seq=28296 ts=1028779017 ssrc=9422451c"
#define FX_RTX_KEYB "seq=23179 ts=1028779017 ssrc=b5cd2d95" /* Chromium's own RTX of FX_KEY_B */

/* The subscriber's side. */
#define FX_OUT_SSRC 0x0badcafeu
#define FX_OUT_PT   100
#define FX_RTX_SSRC 0x0badbeefu
#define FX_RTX_PT   101
#define FX_MID_ID   1
#define FX_MID      "v7"

struct fx_packet {
    uint8_t buf[1600];
    size_t len;
    struct okno_rtp_pkt rtp;
};

/* Loads the capture packet whose comment line contains needle, and parses it. */
static inline void fx_load(const char *needle, struct fx_packet *p)
{
    char *text = okno_test_read_file("fixtures/captures/chromium-rtp.hex", NULL);
    char *at = strstr(text, needle);
    if (!at)
        fail_msg("no packet \"%s\" in the capture", needle);
    char *line = strchr(at, '\n');
    assert_non_null(line);
    line++;
    char *end = strchr(line, '\n');
    if (end)
        *end = '\0';
    p->len = okno_test_hex(line, p->buf, sizeof p->buf);
    free(text);
    assert_int_equal(okno_rtp_parse(p->buf, p->len, &p->rtp), 0);
}

/* The real VP8 frames (payload header and bitstream, after the descriptor) of the capture's key
 * frame start and of a delta frame start, to build packets with other descriptors around. */
static struct fx_packet fx_key_src, fx_delta_src;
static struct okno_vp8_packet fx_key_vp8, fx_delta_vp8;

static inline void fx_load_frames(void)
{
    fx_load(FX_KEY_A, &fx_key_src);
    fx_load(FX_DELTA_A, &fx_delta_src);
    assert_int_equal(
        okno_vp8_parse(fx_key_src.rtp.payload, fx_key_src.rtp.payload_len, &fx_key_vp8), 0);
    assert_int_equal(
        okno_vp8_parse(fx_delta_src.rtp.payload, fx_delta_src.rtp.payload_len, &fx_delta_vp8), 0);
    assert_true(okno_vp8_is_keyframe(&fx_key_vp8));
    assert_true(fx_delta_vp8.has_header && !okno_vp8_is_keyframe(&fx_delta_vp8));
}

/* One frame in one packet with a full descriptor (15-bit picture ID, TL0PICIDX, TID/Y), the
 * capture's extensions 2 (abs-send-time) and 4 (mid "1"). */
struct fx_vp8 {
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    uint16_t pic;
    uint8_t tl0;
    uint8_t tid;
    bool y;
    bool key;
};

static inline void fx_build(const struct fx_vp8 *f, struct fx_packet *p)
{
    static const uint8_t ast[3] = {0x7a, 0x00, 0xef};
    static const uint8_t mid[1] = {'1'};
    const struct okno_rtp_ext elems[2] = {{.id = 2, .len = 3, .data = ast},
                                          {.id = 4, .len = 1, .data = mid}};
    uint8_t ext[32];
    uint16_t profile;
    int ext_len = okno_rtp_ext_build(ext, sizeof ext, elems, 2, &profile);
    assert_true(ext_len > 0);
    struct okno_rtp_pkt h = {.marker = true,
                             .pt = 96,
                             .seq = f->seq,
                             .ts = f->ts,
                             .ssrc = f->ssrc,
                             .extension = true,
                             .ext_profile = profile,
                             .ext = ext,
                             .ext_len = (size_t)ext_len};
    int hl = okno_rtp_write_header(p->buf, sizeof p->buf, &h);
    assert_true(hl > 0);
    struct okno_vp8_desc d = {.s = true,
                              .has_picture_id = true,
                              .picture_id_bits = 15,
                              .picture_id = f->pic,
                              .has_tl0picidx = true,
                              .tl0picidx = f->tl0,
                              .has_tid = true,
                              .tid = f->tid,
                              .y = f->y};
    int dl = okno_vp8_write_descriptor(p->buf + hl, sizeof p->buf - (size_t)hl, &d);
    assert_true(dl > 0);
    const struct okno_vp8_packet *src = f->key ? &fx_key_vp8 : &fx_delta_vp8;
    memcpy(p->buf + hl + dl, src->payload, src->payload_len);
    p->len = (size_t)hl + (size_t)dl + src->payload_len;
    assert_int_equal(okno_rtp_parse(p->buf, p->len, &p->rtp), 0);
}

/* The subscriber's parameters the tests use: VP8 with RTX, abs-send-time 2 -> 3, video-orientation
 * 13 -> 4, the subscriber's mid at id 1; transport-cc (3), the publisher's mid (4), video-timing
 * (7) and color-space (8) not negotiated. */
static const struct okno_downtrack_ext_map fx_ext_map[] = {{.from = 2, .to = 3},
                                                           {.from = 13, .to = 4}};

static inline struct okno_downtrack_params fx_params(bool rtx)
{
    struct okno_downtrack_params p = {.ssrc = FX_OUT_SSRC,
                                      .pt = FX_OUT_PT,
                                      .clock_rate = 90000,
                                      .rtx = rtx,
                                      .rtx_ssrc = rtx ? FX_RTX_SSRC : 0,
                                      .rtx_pt = rtx ? FX_RTX_PT : 0,
                                      .vp8 = true,
                                      .ext_map = fx_ext_map,
                                      .n_ext_map = 2,
                                      .mid_id = FX_MID_ID,
                                      .mid = FX_MID};
    return p;
}

/* Records on_keyframe_needed calls. */
static unsigned fx_keyframe_calls;
static uint32_t fx_keyframe_ssrc;

static inline void fx_on_keyframe_needed(void *ud, uint32_t ssrc)
{
    (void)ud;
    fx_keyframe_calls++;
    fx_keyframe_ssrc = ssrc;
}

static const struct okno_downtrack_listener fx_listener = {.on_keyframe_needed =
                                                               fx_on_keyframe_needed};

/* Forwards p and parses what came out into *out (buf holds the bytes). Returns forward's result. */
static inline int fx_forward(struct okno_downtrack *dt, const struct fx_packet *p, int64_t now_us,
                             struct fx_packet *out)
{
    int n = okno_downtrack_forward(dt, &p->rtp, p->buf, p->len, now_us, out->buf, sizeof out->buf);
    if (n > 0) {
        out->len = (size_t)n;
        assert_int_equal(okno_rtp_parse(out->buf, out->len, &out->rtp), 0);
    }
    return n;
}

static inline uint16_t fx_picture_id(const struct fx_packet *p)
{
    struct okno_vp8_desc d;
    assert_true(okno_vp8_parse_desc(p->rtp.payload, p->rtp.payload_len, &d) > 0);
    assert_true(d.has_picture_id);
    return d.picture_id;
}

static inline uint8_t fx_tl0picidx(const struct fx_packet *p)
{
    struct okno_vp8_desc d;
    assert_true(okno_vp8_parse_desc(p->rtp.payload, p->rtp.payload_len, &d) > 0);
    assert_true(d.has_tl0picidx);
    return d.tl0picidx;
}

#endif
