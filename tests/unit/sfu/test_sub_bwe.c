/* A subscriber transport's bandwidth estimation plumbing (sfu/sub_bwe.h) with real downtracks
 * writing the packets: one transport-wide counter across media and RTX SSRCs and separate counters
 * per transport, stamped in place with abs-send-time; the send history; transport-cc feedback built
 * by the wire encoder reaching a recording estimator (include/okno/bwe.h) with the history's send
 * times, in parts when long; REMB, RTT and loss; no stamping when transport-cc was not negotiated;
 * the estimate kept and logged at info level when it halves or doubles. */
#include "downtrack_fixtures.h"

#include <glib.h>

#include "core/log.h"
#include "sfu/sub_bwe.h"
#include "wire/twcc.h"
#include "../../tools/sub_slots.h"

#define TWCC_ID 5
#define AST_ID  6

/* --- a recording estimator -------------------------------------------------------------------- */

struct rec {
    int created, destroyed;
    int sent;
    struct okno_bwe_sent last_sent;
    int feedbacks, firsts;
    struct okno_bwe_fb_entry entries[2048];
    size_t n_entries;
    uint8_t fb_count;
    uint64_t remb;
    int64_t rtt;
    uint8_t fraction;
    uint32_t packets;
    uint32_t target; /* what estimate() answers */
};

static struct rec rec;
static char state_token[] = "plugin state";

static int rec_create(void *state, const struct okno_bwe_transport *t, int64_t now_us, void **est)
{
    assert_ptr_equal(state, state_token);
    assert_string_equal(t->participant, "p7");
    (void)now_us;
    rec.created++;
    *est = &rec;
    return 0;
}

static void rec_destroy(void *state, void *est)
{
    assert_ptr_equal(state, state_token);
    assert_ptr_equal(est, &rec);
    rec.destroyed++;
}

static void rec_sent(void *est, const struct okno_bwe_sent *p)
{
    assert_ptr_equal(est, &rec);
    rec.sent++;
    rec.last_sent = *p;
}

static void rec_feedback(void *est, const struct okno_bwe_feedback *fb, int64_t now_us)
{
    (void)est;
    (void)now_us;
    rec.feedbacks++;
    rec.firsts += fb->first;
    rec.fb_count = fb->fb_count;
    /* Counted all, kept as far as they fit (mangled feedback may report thousands). */
    for (size_t i = 0; i < fb->n; i++, rec.n_entries++)
        if (rec.n_entries < G_N_ELEMENTS(rec.entries))
            rec.entries[rec.n_entries] = fb->entries[i];
}

static void rec_remb(void *est, uint64_t bps, int64_t now_us)
{
    (void)est;
    (void)now_us;
    rec.remb = bps;
}

static void rec_rtt(void *est, int64_t rtt_us, int64_t now_us)
{
    (void)est;
    (void)now_us;
    rec.rtt = rtt_us;
}

static void rec_loss(void *est, uint8_t fraction, uint32_t packets, int64_t now_us)
{
    (void)est;
    (void)now_us;
    rec.fraction = fraction;
    rec.packets = packets;
}

static void rec_estimate(void *est, int64_t now_us, struct okno_bwe_estimate *out)
{
    (void)est;
    (void)now_us;
    out->target_bps = rec.target;
    out->delay_bps = rec.target;
}

static const struct okno_bwe_ops rec_ops = {
    .size = sizeof(struct okno_bwe_ops),
    .create = rec_create,
    .destroy = rec_destroy,
    .on_packet_sent = rec_sent,
    .on_feedback = rec_feedback,
    .on_remb = rec_remb,
    .on_rtt = rec_rtt,
    .on_loss_report = rec_loss,
    .estimate = rec_estimate,
};

static const struct okno_bwe_transport transport = {
    .room = "r", .participant = "p7", .direction = "subscriber"};

static struct okno_sub_bwe *new_bwe(bool plugin)
{
    memset(&rec, 0, sizeof rec);
    struct okno_sub_bwe *b = okno_sub_bwe_new("p7");
    okno_sub_bwe_set_ids(b, TWCC_ID, AST_ID);
    if (plugin)
        assert_int_equal(okno_sub_bwe_attach(b, &rec_ops, state_token, &transport, 0), 0);
    return b;
}

/* --- packets ---------------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    fx_load_frames();
    return 0;
}

static struct okno_downtrack *new_dt(uint32_t ssrc, uint8_t twcc_id, uint8_t ast_id)
{
    struct okno_downtrack_params p = fx_params(true);
    p.ssrc = ssrc;
    p.rtx_ssrc = ssrc + 1;
    p.twcc_id = twcc_id;
    p.abs_send_time_id = ast_id;
    struct okno_downtrack *dt;
    assert_int_equal(okno_downtrack_create(&p, NULL, &dt), 0);
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    return dt;
}

/* The publisher's packet number i (a key frame first), forwarded by dt into out. */
static struct fx_packet pub[8];

static void forward(struct okno_downtrack *dt, int i, int64_t now_us, struct fx_packet *out)
{
    struct fx_vp8 f = {.ssrc = FX_SSRC_A,
                       .seq = (uint16_t)(1000 + i),
                       .ts = 90000u + 3000u * (uint32_t)i,
                       .pic = (uint16_t)(10 + i),
                       .tl0 = (uint8_t)i,
                       .key = i == 0};
    fx_build(&f, &pub[i]);
    assert_true(fx_forward(dt, &pub[i], now_us, out) > 0);
}

static int lookup(void *ctx, uint32_t source_ssrc, uint16_t seq, struct okno_cached_packet *out)
{
    (void)ctx;
    (void)source_ssrc;
    int i = seq - 1000;
    if (i < 0 || i >= 8 || !pub[i].len)
        return OKNO_E_NOTFOUND;
    *out = (struct okno_cached_packet){
        .data = pub[i].buf, .len = pub[i].len, .seq = seq, .arrival_us = 0};
    return 0;
}

static struct fx_packet rtx_out;

static void emit(void *ctx, const uint8_t *pkt, size_t len)
{
    (void)ctx;
    memcpy(rtx_out.buf, pkt, len);
    rtx_out.len = len;
}

static uint16_t twcc_of(const struct fx_packet *p)
{
    struct okno_rtp_pkt rtp;
    assert_int_equal(okno_rtp_parse(p->buf, p->len, &rtp), 0);
    uint16_t seq;
    assert_int_equal(okno_rtp_ext_get_twcc(&rtp, TWCC_ID, &seq), 0);
    return seq;
}

/* Stamps what is in p (as the subscription does just before protecting it). */
static int stamp(struct okno_sub_bwe *b, struct fx_packet *p, int64_t now_us)
{
    return okno_sub_bwe_on_send(b, p->buf, p->len, now_us, false);
}

/* --- tests ------------------------------------------------------------------------------------ */

static void test_one_counter_across_media_and_rtx_ssrcs_and_one_per_transport(void **state)
{
    (void)state;
    struct okno_sub_bwe *a = new_bwe(true);
    struct okno_sub_bwe *b = okno_sub_bwe_new("p8");
    okno_sub_bwe_set_ids(b, TWCC_ID, AST_ID);
    struct okno_downtrack *video = new_dt(0x1000, TWCC_ID, AST_ID);
    struct okno_downtrack *other = new_dt(0x2000, TWCC_ID, AST_ID);
    struct okno_downtrack *on_b = new_dt(0x3000, TWCC_ID, AST_ID);
    struct fx_packet out;
    uint16_t expect = 0;

    for (int i = 0; i < 3; i++) {
        forward(video, i, 1000 * i, &out);
        /* Written with the elements reserved, zeroed, then numbered in place. */
        assert_int_equal(twcc_of(&out), 0);
        size_t len = out.len;
        assert_int_equal(stamp(a, &out, 1000 * i), expect);
        assert_int_equal(out.len, len);
        assert_int_equal(twcc_of(&out), expect++);
        forward(other, i, 1000 * i + 1, &out);
        assert_int_equal(stamp(a, &out, 1000 * i + 1), expect);
        assert_int_equal(twcc_of(&out), expect++);
        /* The other transport counts on its own. */
        forward(on_b, i, 1000 * i + 2, &out);
        assert_int_equal(stamp(b, &out, 1000 * i + 2), i);
        assert_int_equal(twcc_of(&out), i);
    }
    /* A retransmission on the RTX SSRC takes the next number of the same counter. */
    uint16_t nacked = 0;
    {
        struct fx_packet first;
        okno_downtrack_destroy(video);
        video = new_dt(0x1000, TWCC_ID, AST_ID);
        forward(video, 0, 5000, &first);
        nacked = first.rtp.seq;
        assert_int_equal(stamp(a, &first, 5000), expect++);
    }
    assert_int_equal(okno_downtrack_on_nack(video, &nacked, 1, lookup, NULL, 6000, emit, NULL), 1);
    assert_int_equal(okno_rtp_parse(rtx_out.buf, rtx_out.len, &rtx_out.rtp), 0);
    assert_int_equal(rtx_out.rtp.ssrc, 0x1001);
    assert_int_equal(stamp(a, &rtx_out, 6000), expect);
    assert_int_equal(twcc_of(&rtx_out), expect++);
    /* abs-send-time says when it left: 6 ms in 6.18 fixed point. */
    uint32_t t24;
    assert_int_equal(okno_rtp_ext_get_abs_send_time(&rtx_out.rtp, AST_ID, &t24), 0);
    assert_int_equal(t24, okno_rtp_abs_send_time_from_us(6000));

    struct okno_sub_bwe_counters c;
    okno_sub_bwe_counters(a, &c, NULL);
    assert_int_equal(c.stamped, expect);
    assert_int_equal(rec.sent, expect);
    assert_int_equal(rec.last_sent.seq, expect - 1);
    assert_int_equal(rec.last_sent.bytes, rtx_out.len);
    assert_int_equal(rec.last_sent.send_us, 6000);
    okno_downtrack_destroy(video);
    okno_downtrack_destroy(other);
    okno_downtrack_destroy(on_b);
    okno_sub_bwe_free(b);
    okno_sub_bwe_free(a);
    assert_int_equal(rec.destroyed, 1);
}

static void test_history_holds_send_time_and_size_until_overwritten(void **state)
{
    (void)state;
    struct okno_sub_bwe *b = new_bwe(false);
    struct okno_downtrack *dt = new_dt(0x1000, TWCC_ID, AST_ID);
    struct fx_packet out;
    forward(dt, 0, 100, &out);
    assert_int_equal(stamp(b, &out, 777), 0);
    struct okno_sub_bwe_slot s;
    assert_int_equal(okno_sub_bwe_sent(b, 0, &s), 0);
    assert_int_equal(s.send_us, 777);
    assert_int_equal(s.bytes, out.len);
    assert_false(s.probe);
    assert_int_equal(okno_sub_bwe_sent(b, 1, &s), OKNO_E_NOTFOUND);
    /* A probe is marked; the ring forgets a number OKNO_SUB_BWE_HISTORY packets later. */
    for (int i = 1; i <= OKNO_SUB_BWE_HISTORY; i++)
        assert_int_equal(okno_sub_bwe_on_send(b, out.buf, out.len, 1000 + i, i == 5), i & 0xffff);
    assert_int_equal(okno_sub_bwe_sent(b, 0, &s), OKNO_E_NOTFOUND);
    assert_int_equal(okno_sub_bwe_sent(b, 5, &s), 0);
    assert_true(s.probe);
    assert_int_equal(s.send_us, 1005);
    /* Without a plugin the numbering works the same; there is just no estimate. */
    struct okno_bwe_estimate e;
    assert_int_equal(okno_sub_bwe_estimate(b, &e), OKNO_E_NOTFOUND);
    okno_downtrack_destroy(dt);
    okno_sub_bwe_free(b);
}

static void test_numbers_wrap_at_65536_and_keep_their_history(void **state)
{
    (void)state;
    struct okno_sub_bwe *b = new_bwe(false);
    struct okno_downtrack *dt = new_dt(0x1000, TWCC_ID, AST_ID);
    struct fx_packet out;
    forward(dt, 0, 0, &out);
    for (int i = 0; i < 65536 + 3; i++)
        assert_int_equal(okno_sub_bwe_on_send(b, out.buf, out.len, i, false), i & 0xffff);
    struct okno_sub_bwe_slot s;
    assert_int_equal(okno_sub_bwe_sent(b, 2, &s), 0);
    assert_int_equal(s.send_us, 65538);
    assert_int_equal(okno_sub_bwe_sent(b, 65535, &s), 0);
    assert_int_equal(s.send_us, 65535);
    okno_downtrack_destroy(dt);
    okno_sub_bwe_free(b);
}

/* A feedback packet for seqs first..first+n-1, lost[] not received, arrivals 5 ms apart from
 * base_us (the receiver's clock). */
static int build_feedback(uint16_t first, int n, const bool *lost, int64_t base_us, uint8_t count,
                          uint8_t *buf, size_t cap)
{
    struct okno_twcc_entry e[2048];
    assert_true(n <= 2048);
    for (int i = 0; i < n; i++)
        e[i] = (struct okno_twcc_entry){.seq = (uint16_t)(first + i),
                                        .status = lost && lost[i] ? OKNO_TWCC_NOT_RECEIVED
                                                                  : OKNO_TWCC_SMALL_DELTA,
                                        .arrival_us = base_us + 5000 * i};
    const struct okno_twcc_build_opts o = {.sender_ssrc = 0x5555, .fb_count = count};
    size_t used;
    int len = okno_twcc_build(&o, e, (size_t)n, buf, cap, &used);
    assert_true(len > 0);
    assert_int_equal(used, n);
    return len;
}

static void test_feedback_reaches_the_estimator_matched_with_the_history(void **state)
{
    (void)state;
    struct okno_sub_bwe *b = new_bwe(true);
    struct okno_downtrack *dt = new_dt(0x1000, TWCC_ID, AST_ID);
    struct fx_packet out;
    forward(dt, 0, 0, &out);
    for (int i = 0; i < 10; i++)
        okno_sub_bwe_on_send(b, out.buf, out.len - (size_t)i, 10000 + 2000 * i, false);
    /* The receiver reports 0..12: 3 and 7 lost, 10..12 never sent by us. */
    bool lost[13] = {[3] = true, [7] = true};
    uint8_t fb[512];
    int len = build_feedback(0, 13, lost, 64000 * 3 + 1250, 9, fb, sizeof fb);
    rec.target = 450000;
    assert_int_equal(okno_sub_bwe_on_feedback(b, fb, (size_t)len, 50000), 13);

    assert_int_equal(rec.feedbacks, 1);
    assert_int_equal(rec.firsts, 1);
    assert_int_equal(rec.fb_count, 9);
    assert_int_equal(rec.n_entries, 13);
    for (int i = 0; i < 13; i++) {
        const struct okno_bwe_fb_entry *e = &rec.entries[i];
        assert_int_equal(e->seq, i);
        assert_int_equal(e->received, !lost[i]);
        if (!lost[i])
            assert_int_equal(e->arrival_us, 64000 * 3 + 1250 + 5000 * i);
        if (i < 10) {
            assert_int_equal(e->send_us, 10000 + 2000 * i);
            assert_int_equal(e->bytes, out.len - (size_t)i);
        } else {
            assert_int_equal(e->send_us, -1);
            assert_int_equal(e->bytes, 0);
        }
    }
    struct okno_sub_bwe_counters c;
    okno_sub_bwe_counters(b, &c, NULL);
    assert_int_equal(c.feedbacks, 1);
    assert_int_equal(c.feedback_entries, 13);
    assert_int_equal(c.unknown_seq, 3);
    /* The estimate was asked for after the feedback. */
    struct okno_bwe_estimate e;
    assert_int_equal(okno_sub_bwe_estimate(b, &e), 0);
    assert_int_equal(e.target_bps, 450000);

    /* Garbage is counted and reaches nobody. */
    fb[0] = 0x80; /* version 2, FMT 0: not transport-cc */
    assert_true(okno_sub_bwe_on_feedback(b, fb, (size_t)len, 60000) < 0);
    okno_sub_bwe_counters(b, &c, NULL);
    assert_int_equal(c.malformed, 1);
    assert_int_equal(rec.feedbacks, 1);
    okno_downtrack_destroy(dt);
    okno_sub_bwe_free(b);
}

static void test_long_feedback_goes_in_parts(void **state)
{
    (void)state;
    struct okno_sub_bwe *b = new_bwe(true);
    uint8_t *fb = g_malloc(8192);
    int n = 2 * OKNO_SUB_BWE_FB_PART + 100;
    int len = build_feedback(65000, n, NULL, 0, 1, fb, 8192);
    assert_int_equal(okno_sub_bwe_on_feedback(b, fb, (size_t)len, 1000), n);
    assert_int_equal(rec.feedbacks, 3);
    assert_int_equal(rec.firsts, 1);
    assert_int_equal(rec.n_entries, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(rec.entries[i].seq, (uint16_t)(65000 + i));
    g_free(fb);
    okno_sub_bwe_free(b);
}

static void test_remb_rtt_and_loss_reach_the_estimator(void **state)
{
    (void)state;
    struct okno_sub_bwe *b = new_bwe(true);
    rec.target = 800000;
    okno_sub_bwe_on_remb(b, 1234567, 10);
    assert_int_equal(rec.remb, 1234567);
    okno_sub_bwe_on_rtt(b, 85000, 20);
    assert_int_equal(rec.rtt, 85000);
    okno_sub_bwe_on_loss(b, 26, 400, 30);
    assert_int_equal(rec.fraction, 26);
    assert_int_equal(rec.packets, 400);
    okno_sub_bwe_on_loss(b, 200, 0, 40); /* a report over no packets says nothing */
    assert_int_equal(rec.fraction, 26);
    struct okno_sub_bwe_counters c;
    okno_sub_bwe_counters(b, &c, NULL);
    assert_int_equal(c.rembs, 1);
    assert_int_equal(c.loss_reports, 1);
    struct okno_bwe_estimate e;
    assert_int_equal(okno_sub_bwe_estimate(b, &e), 0);
    assert_int_equal(e.target_bps, 800000);
    okno_sub_bwe_free(b);
}

static void test_without_transport_cc_nothing_is_numbered(void **state)
{
    (void)state;
    /* The answer kept neither extension: the downtrack writes no element, nothing is stamped. */
    struct okno_sub_bwe *b = new_bwe(true);
    okno_sub_bwe_set_ids(b, 0, 0);
    struct okno_downtrack *dt = new_dt(0x1000, 0, 0);
    struct fx_packet out;
    forward(dt, 0, 0, &out);
    struct okno_rtp_ext e;
    assert_int_equal(okno_rtp_ext_find(&out.rtp, TWCC_ID, &e), OKNO_E_NOTFOUND);
    uint8_t copy[1600];
    memcpy(copy, out.buf, out.len);
    assert_int_equal(stamp(b, &out, 5), -1);
    assert_memory_equal(copy, out.buf, out.len);
    /* abs-send-time alone is still stamped; transport-wide numbers need their element. */
    okno_sub_bwe_set_ids(b, TWCC_ID, AST_ID);
    assert_int_equal(stamp(b, &out, 5), -1);
    struct okno_sub_bwe_counters c;
    okno_sub_bwe_counters(b, &c, NULL);
    assert_int_equal(c.stamped, 0);
    assert_int_equal(c.unstamped, 1);
    assert_int_equal(rec.sent, 0);
    okno_downtrack_destroy(dt);
    okno_sub_bwe_free(b);
}

static void test_stamps_are_left_out_of_a_packet_that_would_not_fit(void **state)
{
    (void)state;
    struct okno_downtrack *dt = new_dt(0x1000, TWCC_ID, AST_ID);
    struct fx_vp8 f = {.ssrc = FX_SSRC_A, .seq = 1000, .ts = 90000, .pic = 10, .key = true};
    struct fx_packet in;
    fx_build(&f, &in);
    /* With the stamps the packet needs 12 more bytes (block header, 2+2 and 2+3, padding) than
     * without: give it room for the packet without them only. */
    struct okno_downtrack *plain = new_dt(0x1000, 0, 0);
    uint8_t buf[1600];
    int n_plain = okno_downtrack_forward(plain, &in.rtp, in.buf, in.len, 0, buf, sizeof buf);
    assert_true(n_plain > 0);
    struct fx_packet out;
    int n = okno_downtrack_forward(dt, &in.rtp, in.buf, in.len, 0, out.buf, (size_t)n_plain);
    assert_int_equal(n, n_plain);
    assert_int_equal(okno_rtp_parse(out.buf, (size_t)n, &out.rtp), 0);
    struct okno_rtp_ext e;
    assert_int_equal(okno_rtp_ext_find(&out.rtp, TWCC_ID, &e), OKNO_E_NOTFOUND);
    okno_downtrack_destroy(plain);
    okno_downtrack_destroy(dt);
}

static void test_ids_the_downtrack_cannot_write_are_refused(void **state)
{
    (void)state;
    struct okno_downtrack_params p = fx_params(false);
    struct okno_downtrack *dt;
    p.twcc_id = 15;
    assert_int_equal(okno_downtrack_create(&p, NULL, &dt), OKNO_E_INVAL);
    p.twcc_id = FX_MID_ID;
    assert_int_equal(okno_downtrack_create(&p, NULL, &dt), OKNO_E_INVAL);
    p.twcc_id = 5;
    p.abs_send_time_id = 5;
    assert_int_equal(okno_downtrack_create(&p, NULL, &dt), OKNO_E_INVAL);
    /* A publisher element mapped onto a stamped id gives way to the stamp. */
    p.abs_send_time_id = 3; /* fx_ext_map maps the publisher's abs-send-time 2 onto 3 */
    assert_int_equal(okno_downtrack_create(&p, NULL, &dt), 0);
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    struct fx_packet out;
    forward(dt, 0, 0, &out);
    uint32_t t24;
    assert_int_equal(okno_rtp_ext_get_abs_send_time(&out.rtp, 3, &t24), 0);
    assert_int_equal(t24, 0); /* reserved, not the publisher's 0x7a00ef */
    okno_downtrack_destroy(dt);
}

/* Everything logged into f so far. */
static char *read_log(FILE *f)
{
    fflush(f);
    long size = ftell(f);
    char *text = g_malloc0((gsize)size + 1);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    fseek(f, 0, SEEK_END);
    return text;
}

static void test_estimate_is_logged_at_info_when_it_halves_or_doubles(void **state)
{
    (void)state;
    FILE *log = tmpfile();
    assert_non_null(log);
    okno_log_set_output(log);
    okno_log_set_level(OKNO_LOG_INFO);
    struct okno_sub_bwe *b = new_bwe(true);
    okno_sub_bwe_update(b, 0); /* no target yet: nothing kept, nothing said */
    struct okno_bwe_estimate e;
    assert_int_equal(okno_sub_bwe_estimate(b, &e), OKNO_E_NOTFOUND);
    const uint32_t steps[] = {300000, 500000, 610000, 250000, 240000};
    const int lines[] = {1, 1, 2, 3, 3};
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        rec.target = steps[i];
        okno_sub_bwe_update(b, (int64_t)i * 100000);
        char *text = read_log(log);
        int n = 0;
        for (const char *p = text; (p = strstr(p, "subscriber estimate")); p++)
            n++;
        assert_int_equal(n, lines[i]);
        g_free(text);
    }
    char *text = read_log(log);
    assert_non_null(strstr(text, "p7: subscriber estimate 300 kbit/s (was 0"));
    assert_non_null(strstr(text, "p7: subscriber estimate 610 kbit/s (was 300"));
    assert_non_null(strstr(text, "p7: subscriber estimate 250 kbit/s (was 610"));
    g_free(text);
    assert_int_equal(okno_sub_bwe_estimate(b, &e), 0);
    assert_int_equal(e.target_bps, 240000);
    okno_sub_bwe_free(b);
    okno_log_set_output(NULL);
    fclose(log);
}

static void test_ops_missing_an_entry_make_no_estimator(void **state)
{
    (void)state;
    struct okno_sub_bwe *b = new_bwe(false);
    struct okno_bwe_ops bad = rec_ops;
    bad.on_feedback = NULL;
    assert_int_equal(okno_sub_bwe_attach(b, &bad, state_token, &transport, 0), OKNO_E_INVAL);
    bad = rec_ops;
    bad.size = 8;
    assert_int_equal(okno_sub_bwe_attach(b, &bad, state_token, &transport, 0), OKNO_E_INVAL);
    assert_int_equal(rec.created, 0);
    assert_int_equal(okno_sub_bwe_attach(b, NULL, NULL, &transport, 0), 0);
    okno_sub_bwe_free(b);
}

/* Feedback with random bytes flipped, cut short or grown: parsed or counted as malformed, every
 * status handed over is one the packet reports, and nothing reads outside it (ASan). */
static void test_mangled_feedback_is_refused_or_handed_over_whole(void **state)
{
    (void)state;
    struct okno_sub_bwe *b = new_bwe(true);
    struct okno_downtrack *dt = new_dt(0x1000, TWCC_ID, AST_ID);
    struct fx_packet out;
    forward(dt, 0, 0, &out);
    for (int i = 0; i < 300; i++)
        okno_sub_bwe_on_send(b, out.buf, out.len, 1000 * i, false);
    bool lost[300] = {[7] = true, [100] = true};
    uint8_t good[2048];
    int len = build_feedback(0, 300, lost, 0, 0, good, sizeof good);
    GRand *r = g_rand_new_with_seed(20261204);
    uint64_t handed = 0, refused = 0;
    for (int round = 0; round < 3000; round++) {
        uint8_t pkt[2100];
        memcpy(pkt, good, (size_t)len);
        size_t n = (size_t)len;
        int flips = g_rand_int_range(r, 1, 6);
        for (int k = 0; k < flips; k++)
            pkt[g_rand_int_range(r, 0, len)] = (uint8_t)g_rand_int_range(r, 0, 256);
        if (g_rand_boolean(r))
            n = (size_t)g_rand_int_range(r, 0, len + 40);
        uint8_t *copy = g_malloc(n ? n : 1); /* exact size: ASan sees any overread */
        memcpy(copy, pkt, n);
        rec.n_entries = 0;
        int rc = okno_sub_bwe_on_feedback(b, copy, n, 1000000 + round);
        if (rc >= 0) {
            handed++;
            assert_int_equal(rec.n_entries, (size_t)rc);
        } else {
            refused++;
            assert_int_equal(rec.n_entries, 0);
        }
        g_free(copy);
    }
    struct okno_sub_bwe_counters c;
    okno_sub_bwe_counters(b, &c, NULL);
    assert_int_equal(c.malformed, refused);
    assert_int_equal(c.feedbacks, handed);
    assert_true(handed > 0 && refused > 0);
    g_rand_free(r);
    okno_downtrack_destroy(dt);
    okno_sub_bwe_free(b);
}

/* The ids the answer in file gives the transport, with every line containing one of drop[] cut. */
static void ids_of(const char *file, const char *const *drop, uint8_t *twcc, uint8_t *ast)
{
    char *text = okno_test_read_file(file, NULL);
    GString *kept = g_string_new(NULL);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        bool cut = false;
        for (const char *const *d = drop; d && *d && !cut; d++)
            cut = strstr(*l, *d) != NULL;
        if (!cut && **l)
            g_string_append_printf(kept, "%s\n", *l);
    }
    g_strfreev(lines);
    free(text);
    struct okno_sub_slot slots[2];
    okno_test_sub_slots(slots); /* the offer those answers were made to */
    struct okno_sub_answer *ans = g_new0(struct okno_sub_answer, 1);
    char reason[OKNO_NEG_REASON_LEN];
    int rc =
        okno_sub_offer_check_answer(slots, 2, kept->str, kept->len, ans, reason, sizeof reason);
    if (rc != 0)
        fail_msg("%s: %s", file, reason);
    okno_sub_bwe_ids_from_answer(ans, 2, twcc, ast);
    g_free(ans);
    g_string_free(kept, TRUE);
}

static void test_browser_answers_give_the_transport_its_stamped_ids(void **state)
{
    (void)state;
    uint8_t twcc, ast;
    ids_of("fixtures/sdp/chromium-sub-answer.sdp", NULL, &twcc, &ast);
    assert_int_equal(twcc, 3);
    assert_int_equal(ast, 2);
    /* Firefox keeps abs-send-time on video only: the transport has it all the same. */
    ids_of("fixtures/sdp/firefox-sub-answer.sdp", NULL, &twcc, &ast);
    assert_int_equal(twcc, 3);
    assert_int_equal(ast, 2);
    /* Without transport-cc feedback nobody would report on the numbers: none are written. */
    const char *const no_fb[] = {" transport-cc", NULL};
    ids_of("fixtures/sdp/chromium-sub-answer.sdp", no_fb, &twcc, &ast);
    assert_int_equal(twcc, 0);
    assert_int_equal(ast, 2);
    const char *const no_ext[] = {"transport-wide-cc", "abs-send-time", NULL};
    ids_of("fixtures/sdp/firefox-sub-answer.sdp", no_ext, &twcc, &ast);
    assert_int_equal(twcc, 0);
    assert_int_equal(ast, 0);
    /* Feedback agreed on one section is enough: audio's still counts. */
    const char *const video_only[] = {"a=rtcp-fb:96 transport-cc", NULL};
    ids_of("fixtures/sdp/chromium-sub-answer.sdp", video_only, &twcc, &ast);
    assert_int_equal(twcc, 3);
    /* A rejected section does not count, whatever it lists. */
    struct okno_sub_answer *ans = g_new0(struct okno_sub_answer, 1);
    ans->media[0] = (struct okno_sub_answer_media){
        .accepted = false, .fb = OKNO_FB_TRANSPORT_CC, .ext_ids = {[OKNO_EXT_TWCC] = 7}};
    ans->media[1] = (struct okno_sub_answer_media){
        .accepted = true, .fb = OKNO_FB_TRANSPORT_CC, .ext_ids = {[OKNO_EXT_TWCC] = 9}};
    okno_sub_bwe_ids_from_answer(ans, 2, &twcc, &ast);
    assert_int_equal(twcc, 9);
    assert_int_equal(ast, 0);
    g_free(ans);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_counter_across_media_and_rtx_ssrcs_and_one_per_transport),
        cmocka_unit_test(test_history_holds_send_time_and_size_until_overwritten),
        cmocka_unit_test(test_numbers_wrap_at_65536_and_keep_their_history),
        cmocka_unit_test(test_feedback_reaches_the_estimator_matched_with_the_history),
        cmocka_unit_test(test_long_feedback_goes_in_parts),
        cmocka_unit_test(test_remb_rtt_and_loss_reach_the_estimator),
        cmocka_unit_test(test_without_transport_cc_nothing_is_numbered),
        cmocka_unit_test(test_stamps_are_left_out_of_a_packet_that_would_not_fit),
        cmocka_unit_test(test_ids_the_downtrack_cannot_write_are_refused),
        cmocka_unit_test(test_estimate_is_logged_at_info_when_it_halves_or_doubles),
        cmocka_unit_test(test_ops_missing_an_entry_make_no_estimator),
        cmocka_unit_test(test_mangled_feedback_is_refused_or_handed_over_whole),
        cmocka_unit_test(test_browser_answers_give_the_transport_its_stamped_ids),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
