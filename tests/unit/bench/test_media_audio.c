#include "testutil.h"

#include "media/audio_receiver.h"
#include "media/opus_codec.h"
#include "okno/err.h"

#define N_PACKETS 300

struct sent {
    uint8_t data[OKNO_AUDIO_MAX_PACKET];
    int len;
};

static struct sent *encode_tone(unsigned n, bool dtx_silence_from, unsigned silence_at)
{
    struct okno_opusenc *enc;
    struct okno_opusenc_config cfg = {
        .kbps = 32, .fec = true, .loss_pct = 10, .dtx = dtx_silence_from};
    assert_int_equal(okno_opusenc_create(&cfg, &enc), 0);
    struct okno_asrc src;
    okno_asrc_init(&src);
    struct sent *s = calloc(n, sizeof *s);
    for (unsigned i = 0; i < n; i++) {
        int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES];
        assert_int_equal(okno_asrc_next(&src, pcm), i);
        if (dtx_silence_from && i >= silence_at)
            memset(pcm, 0, sizeof pcm);
        s[i].len = okno_opusenc_encode(enc, pcm, s[i].data, sizeof s[i].data);
        assert_true(s[i].len > 0);
    }
    okno_opusenc_destroy(enc);
    return s;
}

static void test_opus_round_trip_with_10_percent_loss_counts_fec_and_concealment(void **state)
{
    (void)state;
    struct sent *s = encode_tone(N_PACKETS, false, 0);
    /* 10 % loss: one packet in ten, and every fifth time its successor as well (a burst of two,
     * whose first packet no FEC can bring back). */
    bool lost[N_PACKETS] = {0};
    unsigned n_lost = 0;
    for (unsigned i = 10; i < N_PACKETS - 2; i++)
        if (i % 10 == 5 || (i % 50 == 6))
            lost[i] = true, n_lost++;
    assert_int_equal(n_lost, 28 + 6);
    /* What the receiver should make of it: a lost packet whose successor arrived and carries
     * LBRR is recovered; any other is concealed. */
    unsigned want_fec = 0, fec_carriers = 0;
    for (unsigned i = 1; i < N_PACKETS; i++)
        fec_carriers += okno_opus_has_fec(s[i].data, (size_t)s[i].len);
    for (unsigned i = 0; i + 1 < N_PACKETS; i++)
        if (lost[i] && !lost[i + 1] && okno_opus_has_fec(s[i + 1].data, (size_t)s[i + 1].len))
            want_fec++;
    assert_true(fec_carriers > N_PACKETS / 2);       /* FEC is on: most packets carry it */
    assert_true(want_fec >= 8 && want_fec < n_lost); /* FEC recovers part of the loss */

    struct okno_audio_rx *rx;
    struct okno_audio_rx_config cfg = {.target_delay_us = 60000};
    assert_int_equal(okno_audio_rx_create(&cfg, &rx), 0);
    int64_t t0 = 5000000;
    unsigned played = 0;
    for (unsigned i = 0; i < N_PACKETS; i++) {
        int64_t now = t0 + (int64_t)i * 20000 + 30000 + (i % 3) * 7000; /* 30-44 ms transit */
        played += (unsigned)okno_audio_rx_tick(rx, now);
        if (!lost[i])
            assert_int_equal(okno_audio_rx_push(rx, (uint16_t)(65000 + i), 123456 + i * 960,
                                                s[i].data, (size_t)s[i].len, now),
                             0);
    }
    played += (unsigned)okno_audio_rx_tick(rx, t0 + 30000 + 60000 + N_PACKETS * 20000 - 1);
    struct okno_audio_rx_stats st = okno_audio_rx_stats(rx);
    assert_int_equal(played, 2 * N_PACKETS);
    assert_int_equal(st.slots_decoded, 2 * (N_PACKETS - n_lost));
    assert_int_equal(st.slots_fec, 2 * want_fec);
    assert_int_equal(st.slots_concealed, 2 * (n_lost - want_fec));
    assert_int_equal(st.slots_missing, 0);
    assert_int_equal(st.late, 0);
    double ratio = okno_audio_rx_concealment(rx);
    assert_true(ratio > 0.0 && ratio < 0.1);
    assert_true(ratio * 2 * N_PACKETS > 2 * (n_lost - want_fec) - 0.5);
    assert_true(ratio * 2 * N_PACKETS < 2 * (n_lost - want_fec) + 0.5);
    okno_audio_rx_destroy(rx);
    free(s);
}

static void test_audio_receiver_counts_late_packets_outage_and_dtx(void **state)
{
    (void)state;
    struct sent *s = encode_tone(100, true, 50);
    struct okno_audio_rx *rx;
    struct okno_audio_rx_config cfg = {.target_delay_us = 40000, .max_conceal_ms = 100};
    assert_int_equal(okno_audio_rx_create(&cfg, &rx), 0);
    /* Packets 0..9 on time; 10..29 held up and delivered in a burst just before packet 40, long
     * after their deadlines (an outage: all late); the rest on time. From 50 the source is silent
     * and DTX sends one DTX frame, then only a keep-alive now and then. */
    uint16_t seq = 0;
    for (unsigned i = 0; i < 100; i++) {
        int64_t now = (int64_t)i * 20000 + 10000;
        okno_audio_rx_tick(rx, now);
        if (i >= 10 && i < 30)
            continue;
        if (i == 40)
            for (unsigned j = 10; j < 30; j++)
                assert_int_equal(
                    okno_audio_rx_push(rx, (uint16_t)j, j * 960, s[j].data, (size_t)s[j].len, now),
                    1);
        if (i == 30)
            seq = 30;
        if (s[i].len <= 2 && s[i - 1].len <= 2)
            continue; /* DTX: only the first DTX frame of a run is sent */
        assert_int_equal(okno_audio_rx_push(rx, seq++, i * 960, s[i].data, (size_t)s[i].len, now),
                         0);
    }
    okno_audio_rx_tick(rx, 100 * 20000 + 40000 + 10000 - 1);
    struct okno_audio_rx_stats st = okno_audio_rx_stats(rx);
    assert_int_equal(st.late, 20);
    /* 400 ms without audio: 100 ms of PLC, then silence, except the last 20 ms when packet 30
     * (on time) carries FEC for it. */
    unsigned fec = okno_opus_has_fec(s[30].data, (size_t)s[30].len) ? 2 : 0;
    assert_int_equal(st.slots_concealed, 10);
    assert_int_equal(st.slots_fec, fec);
    assert_int_equal(st.slots_missing, 30 - fec);
    assert_true(st.slots_dtx > 0);
    assert_int_equal(st.slots_decoded + st.slots_fec + st.slots_concealed + st.slots_missing +
                         st.slots_dtx,
                     200);
    uint8_t junk[3] = {0xff, 0xff, 0xff}; /* code 3 with an impossible frame count */
    assert_int_equal(okno_audio_rx_push(rx, seq, 100 * 960, junk, sizeof junk, 0),
                     OKNO_E_MALFORMED);
    okno_audio_rx_destroy(rx);
    free(s);
}

static void test_opus_fec_flag_reader_sees_lbrr_only_when_enabled(void **state)
{
    (void)state;
    struct okno_opusenc *enc;
    struct okno_opusenc_config cfg = {.kbps = 32, .fec = false, .loss_pct = 10};
    assert_int_equal(okno_opusenc_create(&cfg, &enc), 0);
    struct okno_asrc src;
    okno_asrc_init(&src);
    unsigned with = 0;
    for (unsigned i = 0; i < 50; i++) {
        int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES];
        uint8_t out[OKNO_AUDIO_MAX_PACKET];
        okno_asrc_next(&src, pcm);
        int n = okno_opusenc_encode(enc, pcm, out, sizeof out);
        assert_true(n > 2);
        assert_int_equal(okno_opus_packet_samples(out, (size_t)n), 960);
        with += okno_opus_has_fec(out, (size_t)n);
    }
    assert_int_equal(with, 0);
    assert_int_equal(okno_opusenc_set_bitrate(enc, 3), OKNO_E_INVAL);
    assert_int_equal(okno_opusenc_set_loss(enc, 101), OKNO_E_INVAL);
    okno_opusenc_destroy(enc);
    cfg.kbps = 1000;
    assert_int_equal(okno_opusenc_create(&cfg, &enc), OKNO_E_INVAL);
    assert_false(okno_opus_has_fec(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opus_round_trip_with_10_percent_loss_counts_fec_and_concealment),
        cmocka_unit_test(test_audio_receiver_counts_late_packets_outage_and_dtx),
        cmocka_unit_test(test_opus_fec_flag_reader_sees_lbrr_only_when_enabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
