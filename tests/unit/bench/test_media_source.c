#include "testutil.h"

#include "media/video_source.h"
#include "media/vp8_decoder.h"
#include "media/vp8_encoder.h"
#include "okno/err.h"

static struct okno_vsrc make_source(unsigned w, unsigned h)
{
    struct okno_vsrc src;
    struct okno_vsrc_config cfg = {.width = w, .height = h, .seed = 7};
    assert_int_equal(okno_vsrc_init(&src, &cfg), 0);
    return src;
}

static int images_equal(const struct okno_image *a, const struct okno_image *b)
{
    return okno_image_psnr(a, b, true) >= OKNO_IMAGE_PSNR_MAX;
}

static void test_video_source_is_deterministic_and_moves(void **state)
{
    (void)state;
    struct okno_vsrc src = make_source(320, 180);
    struct okno_image a, b, c;
    assert_int_equal(okno_image_alloc(&a, 320, 180), 0);
    assert_int_equal(okno_image_alloc(&b, 320, 180), 0);
    assert_int_equal(okno_image_alloc(&c, 320, 180), 0);
    assert_int_equal(okno_vsrc_render(&src, 41, 5000000, &a), 0);
    assert_int_equal(okno_vsrc_render(&src, 41, 5000000, &b), 0);
    assert_true(images_equal(&a, &b));
    assert_int_equal(okno_vsrc_render(&src, 42, 5033333, &c), 0);
    /* The content band (below the code) changes from frame to frame, as a camera's would. */
    int changed = 0;
    for (unsigned y = 100; y < 180; y++)
        for (unsigned x = 0; x < 320; x++)
            changed += a.plane[0][y * a.stride[0] + x] != c.plane[0][y * c.stride[0] + x];
    assert_true(changed > 320 * 80 / 4);
    okno_image_free(&a);
    okno_image_free(&b);
    okno_image_free(&c);
    okno_vsrc_deinit(&src);
}

static void test_video_source_code_reads_back_at_capture_half_and_quarter_size(void **state)
{
    (void)state;
    struct okno_vsrc src = make_source(640, 360);
    const unsigned sizes[][2] = {{640, 360}, {320, 180}, {160, 90}, {100, 60}};
    for (unsigned i = 0; i < 4; i++) {
        struct okno_image img;
        assert_int_equal(okno_image_alloc(&img, sizes[i][0], sizes[i][1]), 0);
        struct okno_vsrc_code want = {.frame_no = 0xdeadbeefu - i, .capture_ms = 0x12345678u + i};
        assert_int_equal(okno_vsrc_regenerate(&src, &want, &img), 0);
        struct okno_vsrc_code got;
        assert_int_equal(okno_vsrc_read_code(&img, &got), 0);
        assert_int_equal(got.frame_no, want.frame_no);
        assert_int_equal(got.capture_ms, want.capture_ms);
        okno_image_free(&img);
    }
    okno_vsrc_deinit(&src);
}

static void test_video_source_render_writes_capture_time_in_ms(void **state)
{
    (void)state;
    struct okno_vsrc src = make_source(320, 180);
    struct okno_image img;
    assert_int_equal(okno_image_alloc(&img, 320, 180), 0);
    int64_t capture_us = 4294967296000LL * 3 + 1234567; /* past a 2^32 ms wrap */
    assert_int_equal(okno_vsrc_render(&src, 9, capture_us, &img), 0);
    struct okno_vsrc_code got;
    assert_int_equal(okno_vsrc_read_code(&img, &got), 0);
    assert_int_equal(got.frame_no, 9);
    assert_int_equal(okno_vsrc_capture_us(got.capture_ms, capture_us + 250000),
                     capture_us / 1000 * 1000);
    assert_int_equal(okno_vsrc_capture_us(got.capture_ms, capture_us - 1000),
                     capture_us / 1000 * 1000);
    okno_image_free(&img);
    okno_vsrc_deinit(&src);
}

static void test_video_source_read_reports_damaged_or_tiny_code(void **state)
{
    (void)state;
    struct okno_vsrc src = make_source(320, 180);
    struct okno_image img, tiny;
    assert_int_equal(okno_image_alloc(&img, 320, 180), 0);
    assert_int_equal(okno_vsrc_render(&src, 1000, 0, &img), 0);
    /* Invert one whole cell (row 1, column 3: 20x20 pixels). */
    for (unsigned y = 20; y < 40; y++)
        for (unsigned x = 60; x < 80; x++)
            img.plane[0][y * img.stride[0] + x] ^= 0xff;
    struct okno_vsrc_code got;
    assert_int_equal(okno_vsrc_read_code(&img, &got), OKNO_E_MALFORMED);
    /* A flat grey picture (no code at all) is unreadable too. */
    memset(img.plane[0], 128, (size_t)img.stride[0] * 180);
    assert_int_equal(okno_vsrc_read_code(&img, &got), OKNO_E_MALFORMED);
    assert_int_equal(okno_image_alloc(&tiny, 48, 27), 0);
    assert_int_equal(okno_vsrc_read_code(&tiny, &got), OKNO_E_RANGE);
    assert_int_equal(okno_vsrc_render(&src, 1, 0, &tiny), OKNO_E_INVAL);
    okno_image_free(&tiny);
    okno_image_free(&img);
    okno_vsrc_deinit(&src);
}

static void test_video_source_regenerate_matches_encoder_downscale(void **state)
{
    (void)state;
    struct okno_vsrc src = make_source(320, 180);
    struct okno_image full, half, quarter, regen;
    assert_int_equal(okno_image_alloc(&full, 320, 180), 0);
    assert_int_equal(okno_image_alloc(&half, 160, 90), 0);
    assert_int_equal(okno_image_alloc(&quarter, 80, 45), 0);
    assert_int_equal(okno_vsrc_render(&src, 77, 2000000, &full), 0);
    assert_int_equal(okno_image_downscale(&half, &full, 2), 0);
    assert_int_equal(okno_image_downscale(&quarter, &full, 4), 0);
    struct okno_vsrc_code code = {.frame_no = 77, .capture_ms = 2000};
    assert_int_equal(okno_image_alloc(&regen, 160, 90), 0);
    assert_int_equal(okno_vsrc_regenerate(&src, &code, &regen), 0);
    assert_true(images_equal(&regen, &half));
    okno_image_free(&regen);
    assert_int_equal(okno_image_alloc(&regen, 80, 45), 0);
    assert_int_equal(okno_vsrc_regenerate(&src, &code, &regen), 0);
    assert_true(images_equal(&regen, &quarter));
    struct okno_vsrc_code got;
    assert_int_equal(okno_vsrc_read_code(&quarter, &got), 0);
    assert_int_equal(got.frame_no, 77);
    okno_image_free(&regen);
    okno_image_free(&full);
    okno_image_free(&half);
    okno_image_free(&quarter);
    okno_vsrc_deinit(&src);
}

/* Encodes frames of a w x h source with n simulcast encodings at kbps, decodes encoding `layer`
 * and counts frames whose code reads back with the exact frame number. */
static void encode_and_read(unsigned w, unsigned h, unsigned encodings, unsigned kbps,
                            unsigned layer, unsigned frames, unsigned *decoded, unsigned *exact)
{
    struct okno_vsrc src = make_source(w, h);
    struct okno_vp8enc_config cfg = {.width = w,
                                     .height = h,
                                     .fps = 30,
                                     .encodings = encodings,
                                     .temporal_layers = 1,
                                     .start_kbps = kbps};
    struct okno_vp8enc *enc;
    struct okno_vp8dec *dec;
    assert_int_equal(okno_vp8enc_create(&cfg, &enc), 0);
    assert_int_equal(okno_vp8dec_create(1, &dec), 0);
    struct okno_image img;
    assert_int_equal(okno_image_alloc(&img, w, h), 0);
    *decoded = *exact = 0;
    for (unsigned n = 0; n < frames; n++) {
        int64_t t = 1000000 + (int64_t)n * 1000000 / 30;
        assert_int_equal(okno_vsrc_render(&src, n, t, &img), 0);
        struct okno_vp8enc_frame out[3];
        int k = okno_vp8enc_encode(enc, &img, t, out);
        assert_true(k >= 0);
        for (int i = 0; i < k; i++) {
            if (out[i].encoding != layer)
                continue;
            struct okno_image pic;
            assert_int_equal(okno_vp8dec_decode(dec, out[i].data, out[i].len, &pic), 1);
            (*decoded)++;
            struct okno_vsrc_code code;
            if (okno_vsrc_read_code(&pic, &code) == 0 && code.frame_no == n &&
                code.capture_ms == (uint32_t)(t / 1000))
                (*exact)++;
        }
    }
    okno_image_free(&img);
    okno_vp8dec_destroy(dec);
    okno_vp8enc_destroy(enc);
    okno_vsrc_deinit(&src);
}

static void test_video_source_code_survives_vp8_at_150kbps_320x180(void **state)
{
    (void)state;
    unsigned decoded, exact;
    encode_and_read(320, 180, 1, 150, 0, 90, &decoded, &exact);
    assert_true(decoded >= 60); /* rate control may drop a few */
    assert_int_equal(exact, decoded);
}

static void test_video_source_code_survives_quarter_size_simulcast_layer(void **state)
{
    (void)state;
    unsigned decoded, exact;
    /* 640x360 with three encodings at 250 kbit/s: the 160x90 layer gets the least. */
    encode_and_read(640, 360, 3, 250, 0, 60, &decoded, &exact);
    assert_true(decoded >= 40);
    assert_int_equal(exact, decoded);
}

/* The call's utilization measures its congestion control only if the camera can fill the link:
 * without its grain the source let libvpx reach the minimum quantiser at 1.8-2.2 Mbit/s. */
static void test_video_source_keeps_vp8_busy_at_2500kbps_640x360(void **state)
{
    (void)state;
    const unsigned kbps = 2500, frames = 120, settled = 30;
    struct okno_vsrc src = make_source(640, 360);
    struct okno_vp8enc_config cfg = {.width = 640,
                                     .height = 360,
                                     .fps = 30,
                                     .encodings = 1,
                                     .temporal_layers = 1,
                                     .start_kbps = kbps};
    struct okno_vp8enc *enc;
    assert_int_equal(okno_vp8enc_create(&cfg, &enc), 0);
    struct okno_image img;
    assert_int_equal(okno_image_alloc(&img, 640, 360), 0);
    size_t bytes = 0;
    for (unsigned n = 0; n < frames; n++) {
        int64_t t = (int64_t)n * 1000000 / 30;
        assert_int_equal(okno_vsrc_render(&src, n, t, &img), 0);
        struct okno_vp8enc_frame out[3];
        int k = okno_vp8enc_encode(enc, &img, t, out);
        assert_true(k >= 0);
        for (int i = 0; i < k && n >= settled; i++)
            bytes += out[i].len;
    }
    double spent_kbps = (double)bytes * 8 * 30 / (frames - settled) / 1000;
    assert_true(spent_kbps >= kbps * 0.9);
    okno_image_free(&img);
    okno_vp8enc_destroy(enc);
    okno_vsrc_deinit(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_video_source_is_deterministic_and_moves),
        cmocka_unit_test(test_video_source_code_reads_back_at_capture_half_and_quarter_size),
        cmocka_unit_test(test_video_source_render_writes_capture_time_in_ms),
        cmocka_unit_test(test_video_source_read_reports_damaged_or_tiny_code),
        cmocka_unit_test(test_video_source_regenerate_matches_encoder_downscale),
        cmocka_unit_test(test_video_source_code_survives_vp8_at_150kbps_320x180),
        cmocka_unit_test(test_video_source_code_survives_quarter_size_simulcast_layer),
        cmocka_unit_test(test_video_source_keeps_vp8_busy_at_2500kbps_640x360),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
