#include "testutil.h"

#include <math.h>

#include "media/metrics.h"
#include "okno/err.h"

/* Feeds n gaps of gap_ms each to f starting at *t (ms), returning the freezes detected. */
static unsigned gaps(struct okno_freeze *f, int64_t *t, unsigned n, int64_t gap_ms)
{
    unsigned frozen = 0;
    for (unsigned i = 0; i < n; i++) {
        *t += gap_ms;
        frozen += okno_freeze_on_frame(f, *t * 1000) > 0;
    }
    return frozen;
}

static void test_freeze_detector_follows_webrtc_stats_rule_on_synthetic_gaps(void **state)
{
    (void)state;
    struct okno_freeze f = {0};
    int64_t t = 0;
    assert_int_equal(okno_freeze_on_frame(&f, 0), 0); /* the first frame has no gap */
    /* 25 fps: mean 40 ms, so a gap freezes at max(120, 190) = 190 ms, exactly. */
    assert_int_equal(gaps(&f, &t, 30, 40), 0);
    assert_int_equal(gaps(&f, &t, 1, 190), 1);
    assert_int_equal(gaps(&f, &t, 30, 40), 0); /* the 190 ms gap leaves the window */
    assert_int_equal(gaps(&f, &t, 1, 189), 0); /* 1 ms short */
    /* Mean of the previous 30 gaps is now (29 x 40 + 189) / 30 = 44.97: threshold 194.97 ms. */
    assert_int_equal(gaps(&f, &t, 1, 194), 0);
    assert_int_equal(gaps(&f, &t, 1, 500), 1);
    /* 5 fps: mean 200 ms, the 3 x mean rule wins: 600 ms. The rising mean keeps the change of
     * rate itself from counting. */
    assert_int_equal(gaps(&f, &t, 30, 200), 0);
    assert_int_equal(gaps(&f, &t, 1, 599), 0);
    assert_int_equal(gaps(&f, &t, 29, 200), 0);
    /* window: 599 and 29 x 200: mean 213.3, threshold 640 */
    assert_int_equal(gaps(&f, &t, 1, 640), 1);
    assert_int_equal(f.count, 3);
    assert_int_equal(f.total_us, (190 + 500 + 640) * 1000);
    assert_int_equal(f.max_us, 640 * 1000);
}

static void test_percentiles_are_exact_nearest_rank_on_small_arrays(void **state)
{
    (void)state;
    struct okno_reservoir r;
    assert_int_equal(okno_reservoir_init(&r, 16), 0);
    assert_true(isnan(okno_reservoir_percentile(&r, 50)));
    const double v[] = {50, 15, 40, 20, 35};
    for (unsigned i = 0; i < 5; i++)
        okno_reservoir_add(&r, v[i]);
    assert_true(okno_reservoir_percentile(&r, 5) == 15);
    assert_true(okno_reservoir_percentile(&r, 30) == 20);
    assert_true(okno_reservoir_percentile(&r, 40) == 20);
    assert_true(okno_reservoir_percentile(&r, 50) == 35);
    assert_true(okno_reservoir_percentile(&r, 95) == 50);
    assert_true(okno_reservoir_percentile(&r, 100) == 50);
    assert_true(isnan(okno_reservoir_percentile(&r, 0)));
    okno_reservoir_add(&r, 1); /* adding after a sort keeps it exact */
    assert_true(okno_reservoir_percentile(&r, 1) == 1);
    okno_reservoir_free(&r);

    assert_int_equal(okno_reservoir_init(&r, 10), 0);
    for (int i = 10; i >= 1; i--)
        okno_reservoir_add(&r, i);
    assert_true(okno_reservoir_percentile(&r, 50) == 5);
    assert_true(okno_reservoir_percentile(&r, 95) == 10);
    assert_true(okno_reservoir_percentile(&r, 99) == 10);
    /* Past its capacity it keeps a bounded, fair sample. */
    for (int i = 0; i < 100000; i++)
        okno_reservoir_add(&r, i % 1000);
    assert_int_equal(r.n, 10);
    okno_reservoir_free(&r);
    assert_int_equal(okno_reservoir_init(&r, 0), OKNO_E_INVAL);
    assert_int_equal(okno_reservoir_init(&r, 2000), 0);
    for (int i = 0; i < 200000; i++)
        okno_reservoir_add(&r, i % 1000);
    double p50 = okno_reservoir_percentile(&r, 50);
    assert_true(p50 > 450 && p50 < 550);
    okno_reservoir_free(&r);
}

static void test_psnr_of_frame_against_itself_is_capped_and_falls_with_noise(void **state)
{
    (void)state;
    struct okno_vsrc src;
    struct okno_vsrc_config cfg = {.width = 320, .height = 180, .seed = 2};
    assert_int_equal(okno_vsrc_init(&src, &cfg), 0);
    struct okno_image img, scratch = {0};
    assert_int_equal(okno_image_alloc(&img, 160, 90), 0);
    struct okno_vsrc_code code = {.frame_no = 12, .capture_ms = 400};
    assert_int_equal(okno_vsrc_regenerate(&src, &code, &img), 0);
    assert_true(okno_metrics_psnr(&src, &code, &img, &scratch) == OKNO_IMAGE_PSNR_MAX);
    assert_true(okno_image_psnr(&img, &img, true) == OKNO_IMAGE_PSNR_MAX);
    double last = OKNO_IMAGE_PSNR_MAX;
    for (int amp = 1; amp <= 16; amp *= 4) {
        for (unsigned i = 0; i < 90 * 160; i++) {
            int v = img.plane[0][i] + ((i * 7919u) % 3 == 0 ? amp : (i % 2 ? -amp : 0));
            img.plane[0][i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
        double p = okno_metrics_psnr(&src, &code, &img, &scratch);
        assert_true(p < last);
        assert_true(p > 20);
        last = p;
    }
    /* Noise of +-1 on a third of the pixels or so: near 53 dB; after +-16 well below 35 dB. */
    assert_true(last < 35);
    struct okno_image other;
    assert_int_equal(okno_image_alloc(&other, 80, 45), 0);
    assert_true(okno_image_psnr(&img, &other, false) < 0);
    okno_image_free(&other);
    okno_image_free(&scratch);
    okno_image_free(&img);
    okno_vsrc_deinit(&src);
}

static void test_stream_metrics_json_reports_rates_latency_layers_and_timeline(void **state)
{
    (void)state;
    struct okno_stream_metrics m;
    int64_t t0 = 1000000;
    assert_int_equal(okno_metrics_init(&m, true, t0, 10, 1024), 0);
    /* Three seconds at 30 fps of 50 ms latency, 1250 bytes a frame (300 kbit/s), tids 0 and 1;
     * then a 1 s freeze, then one more frame. */
    int64_t now = t0;
    for (unsigned n = 0; n < 90; n++) {
        now = t0 + (int64_t)n * 1000000 / 30;
        okno_metrics_on_bytes(&m, now, 1250);
        struct okno_frame_sample s = {.capture_us = now - 50000,
                                      .psnr_db = 40.0 + n % 2,
                                      .width = 320,
                                      .height = 180,
                                      .tid = (int)(n % 2)};
        okno_metrics_on_frame(&m, now, &s);
    }
    now += 1000000;
    struct okno_frame_sample late = {
        .capture_us = -1, .psnr_db = -1, .width = 640, .height = 360, .tid = 0};
    okno_metrics_on_frame(&m, now, &late);
    assert_int_equal(m.freeze.count, 1);
    m.utilization = 0.5;
    GString *js = g_string_new(NULL);
    okno_metrics_json(&m, t0 + 5000000, js);
    assert_non_null(strstr(js->str, "\"kind\":\"video\""));
    assert_non_null(strstr(js->str, "\"fps\":18.200")); /* 91 frames in 5 s */
    assert_non_null(strstr(js->str, "\"freezes\":1,"));
    assert_non_null(strstr(js->str, "\"freeze_ms_total\":1000.000"));
    assert_non_null(
        strstr(js->str, "\"latency_ms\":{\"p50\":50.000,\"p95\":50.000,\"p99\":50.000}"));
    assert_non_null(strstr(js->str, "\"psnr_db\":40.500"));
    assert_non_null(strstr(js->str, "\"audio_concealment\":null"));
    assert_non_null(strstr(js->str, "\"bitrate_kbps\":180.000")); /* 90 x 1250 B in 5 s */
    assert_non_null(strstr(js->str, "\"utilization\":0.500"));
    assert_non_null(strstr(js->str, "\"layers\":{\"tids\":[0,1],\"heights\":[180,360]}"));
    assert_non_null(strstr(js->str, "{\"t\":0,\"fps\":30,\"freezes\":0,\"bitrate_kbps\":300.000"));
    assert_non_null(strstr(js->str, "{\"t\":3,\"fps\":1,\"freezes\":1,"));
    assert_null(strstr(js->str, "\"t\":4"));
    g_string_free(js, TRUE);
    okno_metrics_free(&m);

    assert_int_equal(okno_metrics_init(&m, false, 0, 2, 16), 0);
    okno_metrics_on_audio(&m, 500000, 50, 5);
    okno_metrics_on_audio(&m, 1500000, 100, 0);
    okno_metrics_on_audio(&m, 9000000, 100, 10); /* past the timeline: totals only */
    js = g_string_new(NULL);
    okno_metrics_json(&m, 2000000, js);
    assert_non_null(strstr(js->str, "\"audio_concealment\":0.060"));
    assert_non_null(strstr(js->str, "\"fps\":null"));
    assert_non_null(strstr(js->str, "\"latency_ms\":{\"p50\":null"));
    assert_non_null(strstr(js->str, "\"t\":0,\"fps\":0,\"freezes\":0,\"bitrate_kbps\":0.000,"
                                    "\"latency_ms\":null,\"psnr_db\":null,"
                                    "\"audio_concealment\":0.100"));
    g_string_free(js, TRUE);
    okno_metrics_free(&m);
    assert_int_equal(okno_metrics_init(&m, false, 0, 0, 16), OKNO_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freeze_detector_follows_webrtc_stats_rule_on_synthetic_gaps),
        cmocka_unit_test(test_percentiles_are_exact_nearest_rank_on_small_arrays),
        cmocka_unit_test(test_psnr_of_frame_against_itself_is_capped_and_falls_with_noise),
        cmocka_unit_test(test_stream_metrics_json_reports_rates_latency_layers_and_timeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
