/* okno-bench call's pure parts: candidate lines rewritten for the kiosk's relay, the report's
 * direction objects (issue keys at the top level, utilization from the timeline) and the SVG plot
 * (well-formed XML with the plotted series, escaped profile text). */
#include "testutil.h"

#include <arpa/inet.h>
#include <glib.h>
#include <math.h>

#include "call/kiosk_link.h"
#include "call/plot.h"
#include "call/report.h"
#include "okno/err.h"

static void test_candidate_lines_are_parsed_and_rewritten_keeping_every_other_field(void **state)
{
    (void)state;
    struct okno_candidate_addr c;
    const char *line = "candidate:1 1 UDP 2013266431 127.0.0.1 45678 typ host generation 0";
    assert_int_equal(okno_candidate_parse(line, &c), 0);
    assert_true(c.udp);
    assert_int_equal(ntohs(c.addr.sin_port), 45678);
    assert_int_equal(ntohl(c.addr.sin_addr.s_addr), 0x7f000001);
    char out[256];
    assert_int_equal(okno_candidate_rewrite(line, "127.0.0.3", 5000, out, sizeof(out)), 0);
    assert_string_equal(out, "candidate:1 1 UDP 2013266431 127.0.0.3 5000 typ host generation 0");
    /* the a= form and no prefix keep their prefix */
    assert_int_equal(okno_candidate_rewrite("a=candidate:7 1 udp 1 127.0.0.2 9 typ host",
                                            "127.0.0.1", 40000, out, sizeof(out)),
                     0);
    assert_string_equal(out, "a=candidate:7 1 udp 1 127.0.0.1 40000 typ host");
    assert_int_equal(okno_candidate_parse("7 1 tcp 1 127.0.0.2 9 typ host tcptype passive", &c), 0);
    assert_false(c.udp);
    /* bad lines */
    assert_int_equal(okno_candidate_parse("candidate:1 1 UDP 1 ::1 5000 typ host", &c),
                     OKNO_E_MALFORMED);
    assert_int_equal(okno_candidate_parse("candidate:1 1 UDP 1 127.0.0.1 70000 typ host", &c),
                     OKNO_E_MALFORMED);
    assert_int_equal(okno_candidate_parse("candidate:1 1 UDP 1 127.0.0.1 x typ host", &c),
                     OKNO_E_MALFORMED);
    assert_int_equal(okno_candidate_parse("candidate:1 1 UDP", &c), OKNO_E_MALFORMED);
    assert_int_equal(okno_candidate_parse(NULL, &c), OKNO_E_MALFORMED);
    assert_int_equal(okno_candidate_rewrite(line, "127.0.0.3", 5000, out, 20), OKNO_E_NOSPC);
}

static void test_kiosk_filter_maps_loopback_udp_through_the_relay_and_drops_the_rest(void **state)
{
    (void)state;
    GMainContext *ctx = g_main_context_new();
    struct okno_relay *relay;
    struct okno_relay_config cfg = {.seed = 1};
    assert_int_equal(okno_relay_create(ctx, &cfg, 0, &relay), 0);
    struct okno_kiosk_link l;
    okno_kiosk_link_init(&l, relay, "127.0.0.1");
    char a[256], b[256];
    const char *line = "candidate:1 1 udp 2013266431 127.0.0.1 45678 typ host";
    assert_true(okno_kiosk_link_filter(&l, true, line, a, sizeof(a)));
    struct okno_candidate_addr c;
    assert_int_equal(okno_candidate_parse(a, &c), 0);
    assert_int_equal(ntohs(c.addr.sin_port), okno_relay_listen_port(relay, 0));
    assert_int_not_equal(ntohs(c.addr.sin_port), 45678);
    /* the same server address again (trickle after the SDP): the same mapping */
    assert_true(okno_kiosk_link_filter(&l, true, line, b, sizeof(b)));
    assert_string_equal(a, b);
    assert_int_equal(l.n_maps, 1);
    /* ours, TCP, not loopback, garbage: dropped */
    assert_false(okno_kiosk_link_filter(&l, false, line, a, sizeof(a)));
    assert_false(okno_kiosk_link_filter(
        &l, true, "candidate:2 1 tcp 1 127.0.0.1 45678 typ host tcptype passive", a, sizeof(a)));
    assert_false(
        okno_kiosk_link_filter(&l, true, "candidate:3 1 udp 1 10.1.2.3 45678 typ host", a, 256));
    assert_false(okno_kiosk_link_filter(&l, true, "nonsense", a, sizeof(a)));
    assert_int_equal(l.dropped, 4);
    assert_int_equal(l.n_maps, 1);
    okno_relay_destroy(relay);
    g_main_context_unref(ctx);
}

/* A video stream of 30 fps for 3 s with one 500 ms gap, and an audio stream with 10 % concealed. */
static void make_metrics(struct okno_stream_metrics *v, struct okno_stream_metrics *a)
{
    assert_int_equal(okno_metrics_init(v, true, 0, 10, 256), 0);
    assert_int_equal(okno_metrics_init(a, false, 0, 10, 16), 0);
    int64_t t = 0;
    for (int i = 0; i < 90; i++) {
        t += i == 60 ? 500000 : 33333;
        struct okno_frame_sample s = {
            .capture_us = t - 40000, .psnr_db = 40, .width = 640, .height = 360, .tid = -1};
        okno_metrics_on_frame(v, t, &s);
        okno_metrics_on_bytes(v, t, 1000);
    }
    okno_metrics_on_audio(a, t, 300, 30);
    okno_metrics_on_bytes(a, t, 9000);
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void test_direction_lifts_issue_keys_and_computes_utilization(void **state)
{
    (void)state;
    struct okno_stream_metrics v, a;
    make_metrics(&v, &a);
    int64_t now = 4000000;
    json_t *d = okno_report_direction(&v, &a, now);
    assert_non_null(d);
    assert_float_equal(num(d, "fps"), 90 / 4.0, 1e-9);
    assert_int_equal((int)num(d, "freezes"), 1);
    assert_float_equal(num(d, "freeze_ms_max"), 500, 1e-6);
    assert_float_equal(num(json_object_get(d, "latency_ms"), "p95"), 40, 1e-6);
    assert_float_equal(num(d, "psnr_db"), 40, 1e-9);
    assert_float_equal(num(d, "audio_concealment"), 0.1, 1e-9);
    /* video + audio payload: (90 000 + 9 000) bytes over 4 s */
    assert_float_equal(num(d, "bitrate_kbps"), 99000 * 8 / 1000.0 / 4, 1e-6);
    assert_non_null(json_object_get(json_object_get(d, "video"), "stream_timeline"));
    assert_null(json_object_get(json_object_get(d, "video"), "timeline"));
    assert_true(json_is_null(json_object_get(d, "utilization")));
    /* two seconds at 500 kbit/s capacity, 200 and 300 received: 0.5 */
    struct okno_report_second s = {.t_s = 1,
                                   .capacity_kbps = 500,
                                   .recv_kbps = 200,
                                   .sent_kbps = NAN,
                                   .estimate_kbps = NAN,
                                   .target_kbps = NAN,
                                   .rtt_ms = NAN,
                                   .loss_pct = 0,
                                   .latency_ms = NAN,
                                   .fps = 30};
    okno_report_add_second(d, &s);
    s.t_s = 2;
    s.recv_kbps = 300;
    okno_report_add_second(d, &s);
    assert_float_equal(okno_report_set_rates(d), 0.5, 1e-9);
    assert_float_equal(num(d, "utilization"), 0.5, 1e-9);
    assert_float_equal(num(json_object_get(d, "video"), "utilization"), 0.5, 1e-9);
    /* the rates now cover the timeline: 60 frames in 2 s, (200 + 300) / 2 kbit/s */
    assert_float_equal(num(d, "fps"), 30, 1e-9);
    assert_float_equal(num(d, "bitrate_kbps"), 250, 1e-9);
    const json_t *tl = json_object_get(d, "timeline");
    assert_int_equal(json_array_size(tl), 2);
    assert_true(json_is_null(json_object_get(json_array_get(tl, 0), "rtt_ms")));
    /* an unlimited second makes utilization unknown */
    s.t_s = 3;
    s.capacity_kbps = NAN;
    okno_report_add_second(d, &s);
    assert_true(isnan(okno_report_set_rates(d)));
    assert_true(json_is_null(json_object_get(d, "utilization")));
    /* the whole object survives a text round trip (no NaN written) */
    char *text = json_dumps(d, JSON_COMPACT);
    assert_non_null(text);
    json_error_t e;
    json_t *back = json_loads(text, 0, &e);
    assert_non_null(back);
    json_decref(back);
    free(text);
    json_decref(d);
    /* nothing received: the keys are there, null */
    d = okno_report_direction(NULL, NULL, now);
    assert_true(json_is_null(json_object_get(d, "fps")));
    assert_true(json_is_null(json_object_get(json_object_get(d, "latency_ms"), "p99")));
    assert_true(json_is_null(json_object_get(d, "audio_concealment")));
    json_decref(d);
    okno_metrics_free(&v);
    okno_metrics_free(&a);
}

static void test_nice_axis_maxima(void **state)
{
    (void)state;
    double step;
    assert_float_equal(okno_plot_nice_max(830, &step), 1000, 1e-9);
    assert_float_equal(step, 200, 1e-9);
    assert_float_equal(okno_plot_nice_max(1600, &step), 2000, 1e-9);
    assert_float_equal(step, 500, 1e-9);
    assert_float_equal(okno_plot_nice_max(2100, &step), 2500, 1e-9);
    assert_float_equal(step, 500, 1e-9);
    assert_float_equal(okno_plot_nice_max(2500, &step), 2500, 1e-9);
    assert_float_equal(okno_plot_nice_max(2625, &step), 3000, 1e-9);
    assert_float_equal(step, 500, 1e-9);
    assert_float_equal(okno_plot_nice_max(0.31, &step), 0.4, 1e-9);
    assert_float_equal(step, 0.1, 1e-9);
    assert_float_equal(okno_plot_nice_max(0, &step), 1, 1e-9);
    assert_float_equal(okno_plot_nice_max(NAN, &step), 1, 1e-9);
}

struct xml_count {
    unsigned elements, polylines, rects;
    GString *text;
};

static void on_start(GMarkupParseContext *c, const gchar *name, const gchar **an, const gchar **av,
                     gpointer data, GError **e)
{
    (void)c, (void)an, (void)av, (void)e;
    struct xml_count *x = data;
    x->elements++;
    x->polylines += !strcmp(name, "polyline");
    x->rects += !strcmp(name, "rect");
}

static void on_text(GMarkupParseContext *c, const gchar *text, gsize len, gpointer data, GError **e)
{
    (void)c, (void)e;
    g_string_append_len(((struct xml_count *)data)->text, text, (gssize)len);
}

static void test_plot_is_well_formed_svg_with_series_bands_and_escaped_text(void **state)
{
    (void)state;
    json_t *r = json_object();
    json_object_set_new(r, "profile", json_string("a<b&c"));
    json_object_set_new(r, "description", json_string("\"quoted\" > text"));
    json_object_set_new(r, "target", json_string("okno"));
    json_object_set_new(r, "duration_s", json_real(10));
    for (int d = 0; d < 2; d++) {
        json_t *dir = okno_report_direction(NULL, NULL, 0);
        for (int t = 1; t <= 10; t++) {
            struct okno_report_second s = {.t_s = t,
                                           .capacity_kbps = t < 5 ? 1000 : 600,
                                           .sent_kbps = 500 + 10 * t,
                                           .recv_kbps = t == 6 ? NAN : 480,
                                           .estimate_kbps = 700,
                                           .target_kbps = 650,
                                           .rtt_ms = 100 + t,
                                           .loss_pct = t == 3 ? 2.5 : 0,
                                           .latency_ms = 60,
                                           .fps = 30};
            okno_report_add_second(dir, &s);
        }
        okno_report_add_freeze(dir, 4.2, 4.9);
        json_object_set_new(r, d ? "specialist_to_kiosk" : "kiosk_to_specialist", dir);
    }
    GString *svg = g_string_new(NULL);
    okno_plot_svg(r, svg);
    struct xml_count x = {.text = g_string_new(NULL)};
    GMarkupParser p = {.start_element = on_start, .text = on_text};
    GMarkupParseContext *pc = g_markup_parse_context_new(&p, 0, &x, NULL);
    GError *e = NULL;
    /* GMarkup does not take the XML declaration: parse from the root element */
    const char *root = strstr(svg->str, "<svg");
    assert_non_null(root);
    gboolean ok =
        g_markup_parse_context_parse(pc, root, -1, &e) && g_markup_parse_context_end_parse(pc, &e);
    if (!ok)
        fail_msg("SVG is not well-formed: %s", e->message);
    /* 4 bitrate series per direction (received broken once: 2 pieces) + RTT + 2 losses */
    assert_true(x.polylines >= 2 * 5 + 3);
    assert_true(x.rects >= 2);                     /* the freeze bands, frames and background */
    assert_non_null(strstr(x.text->str, "a<b&c")); /* unescaped back by the parser */
    assert_non_null(strstr(x.text->str, "kiosk -> specialist"));
    g_markup_parse_context_free(pc);
    g_string_free(x.text, TRUE);
    g_string_free(svg, TRUE);
    /* an empty report still gives a document */
    json_t *empty = json_object();
    svg = g_string_new(NULL);
    okno_plot_svg(empty, svg);
    assert_non_null(strstr(svg->str, "</svg>"));
    g_string_free(svg, TRUE);
    json_decref(empty);
    json_decref(r);
}

static void test_summary_prints_each_direction_and_unknowns_as_dashes(void **state)
{
    (void)state;
    struct okno_stream_metrics v, a;
    make_metrics(&v, &a);
    json_t *r = json_object();
    json_object_set_new(r, "profile", json_string("clean"));
    json_object_set_new(r, "target", json_string("okno"));
    json_object_set_new(r, "duration_s", json_real(4));
    json_t *up = okno_report_direction(&v, &a, 4000000);
    json_object_set_new(up, "last_frame_ago_ms", json_real(1200));
    json_object_set_new(r, "kiosk_to_specialist", up);
    json_object_set_new(r, "specialist_to_kiosk", okno_report_direction(NULL, NULL, 0));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    okno_report_print(f, r);
    fclose(f);
    assert_non_null(strstr(text, "profile clean, 4 s, target okno"));
    assert_non_null(strstr(text, "kiosk -> specialist"));
    assert_non_null(strstr(text, "22.5 fps, 90 frames decoded, PSNR 40.0 dB"));
    assert_non_null(
        strstr(text, "freezes    1 (total 500 ms, longest 500 ms); stalled at the end"));
    assert_non_null(strstr(text, "concealed 10.0 %"));
    assert_non_null(strstr(text, "specialist -> kiosk"));
    assert_non_null(strstr(text, "video      - fps"));
    free(text);
    json_decref(r);
    okno_metrics_free(&v);
    okno_metrics_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_candidate_lines_are_parsed_and_rewritten_keeping_every_other_field),
        cmocka_unit_test(test_kiosk_filter_maps_loopback_udp_through_the_relay_and_drops_the_rest),
        cmocka_unit_test(test_direction_lifts_issue_keys_and_computes_utilization),
        cmocka_unit_test(test_nice_axis_maxima),
        cmocka_unit_test(test_plot_is_well_formed_svg_with_series_bands_and_escaped_text),
        cmocka_unit_test(test_summary_prints_each_direction_and_unknowns_as_dashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
