/* sub_bwe_speed: what subscriber-side bandwidth estimation costs a media worker. Nanoseconds per
 * packet to stamp a 1200-byte VP8 packet (written by a downtrack with the transport-wide-cc and
 * abs-send-time elements reserved) and record it, without an estimator and with the bwe plugin's
 * GCC estimator (loaded from this build's plugins/.libs by the plugin host); and microseconds per
 * transport-cc feedback of 100 statuses matched and handed to that estimator. Prints figures;
 * judges nothing.
 *
 * usage: bench/sub_bwe_speed [packets]   (default 1000000) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "core/config.h"
#include "core/log.h"
#include "core/plugin_host.h"
#include "okno/bwe.h"
#include "okno/err.h"
#include "sfu/downtrack.h"
#include "sfu/sub_bwe.h"
#include "wire/rtp.h"
#include "wire/twcc.h"

#define PACKET_LEN 1200
#define SOURCE     0x56b46764u
#define FB_STATUS  100

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* An Opus-like packet (any payload is a place to start for a non-VP8 downtrack) forwarded by a
 * downtrack that reserves the stamped elements: what okno_sub_bwe_on_send sees. */
static int subscriber_packet(uint8_t *out, size_t cap)
{
    uint8_t in[PACKET_LEN];
    struct okno_rtp_pkt h = {.pt = 111, .seq = 1, .ts = 960, .ssrc = SOURCE};
    int hl = okno_rtp_write_header(in, sizeof in, &h);
    if (hl < 0)
        return hl;
    memset(in + hl, 0x5a, PACKET_LEN - (size_t)hl);
    struct okno_rtp_pkt pkt;
    int rc = okno_rtp_parse(in, PACKET_LEN, &pkt);
    if (rc < 0)
        return rc;
    const struct okno_downtrack_params p = {
        .ssrc = 1000, .pt = 111, .clock_rate = 48000, .twcc_id = 3, .abs_send_time_id = 2};
    struct okno_downtrack *dt;
    rc = okno_downtrack_create(&p, NULL, &dt);
    if (rc < 0)
        return rc;
    okno_downtrack_set_target(dt, SOURCE, 3, 0);
    int n = okno_downtrack_forward(dt, &pkt, in, PACKET_LEN, 0, out, cap);
    okno_downtrack_destroy(dt);
    return n > 0 ? n : OKNO_E_INVAL;
}

static double stamp_ns(struct okno_sub_bwe *b, uint8_t *pkt, size_t len, long packets)
{
    int64_t t0 = now_ns();
    for (long i = 0; i < packets; i++)
        okno_sub_bwe_on_send(b, pkt, len, i * 1000, false);
    return (double)(now_ns() - t0) / (double)packets;
}

/* Feedback rounds of FB_STATUS statuses (one in 50 lost) about packets just stamped, 1 ms apart. */
static double feedback_us(struct okno_sub_bwe *b, uint8_t *pkt, size_t len, int rounds)
{
    static struct okno_twcc_entry e[FB_STATUS];
    uint8_t fb[1500];
    int64_t spent = 0, clock_us = 0;
    for (int r = 0; r < rounds; r++) {
        int first = -1;
        for (int i = 0; i < FB_STATUS; i++) {
            clock_us += 1000;
            int seq = okno_sub_bwe_on_send(b, pkt, len, clock_us, false);
            if (first < 0)
                first = seq;
            e[i] = (struct okno_twcc_entry){.seq = (uint16_t)seq,
                                            .status = i % 50 == 7 ? OKNO_TWCC_NOT_RECEIVED
                                                                  : OKNO_TWCC_SMALL_DELTA,
                                            .arrival_us = clock_us + 30000};
        }
        const struct okno_twcc_build_opts o = {.sender_ssrc = 1, .fb_count = (uint8_t)r};
        size_t used;
        int n = okno_twcc_build(&o, e, FB_STATUS, fb, sizeof fb, &used);
        if (n < 0)
            return -1;
        int64_t t0 = now_ns();
        okno_sub_bwe_on_feedback(b, fb, (size_t)n, clock_us + 40000);
        spent += now_ns() - t0;
    }
    return (double)spent / rounds / 1000.0;
}

int main(int argc, char **argv)
{
    long packets = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    if (packets <= 0) {
        fprintf(stderr, "usage: %s [packets]\n", argv[0]);
        return 2;
    }
    okno_log_set_level(OKNO_LOG_WARN);
    static uint8_t pkt[PACKET_LEN + 64];
    int len = subscriber_packet(pkt, sizeof pkt);
    if (len < 0) {
        fprintf(stderr, "cannot write the packet: %s\n", okno_strerror(len));
        return 1;
    }

    struct okno_sub_bwe *plain = okno_sub_bwe_new("bench");
    okno_sub_bwe_set_ids(plain, 3, 2);
    printf("stamp + history, no estimator:  %6.1f ns/packet (%d-byte packets)\n",
           stamp_ns(plain, pkt, (size_t)len, packets), len);
    okno_sub_bwe_free(plain);

    const char *text = "[plugins]\ndir = " OKNO_BUILDDIR "/plugins/.libs\n";
    struct okno_config *cfg;
    char *errors = NULL;
    if (okno__config_load_data(okno__config_schema, okno__config_schema_len, "bench.conf", text,
                               strlen(text), &cfg, &errors) != 0) {
        fprintf(stderr, "config: %s\n", errors ? errors : "?");
        return 1;
    }
    struct okno_plugin_host *host;
    okno_plugin_host_new(cfg, NULL, &host);
    char *why = NULL;
    if (okno_plugin_host_load(host, "bwe", &why) != 0) {
        printf("bwe plugin not loaded (%s): estimator figures skipped\n", why ? why : "?");
        g_free(why);
        okno_plugin_host_free(host);
        okno_config_free(cfg);
        return 0;
    }
    void *state = NULL;
    const struct okno_plugin_descriptor *d =
        okno_plugin_host_find_kind(host, OKNO_BWE_KIND, &state);
    const struct okno_bwe_transport t = {"bench", "p1", "subscriber", 0};
    struct okno_sub_bwe *b = okno_sub_bwe_new("bench");
    okno_sub_bwe_set_ids(b, 3, 2);
    if (okno_sub_bwe_attach(b, d->ops, state, &t, 0) != 0) {
        fprintf(stderr, "the bwe plugin made no estimator\n");
        return 1;
    }
    printf("stamp + history + GCC:          %6.1f ns/packet\n",
           stamp_ns(b, pkt, (size_t)len, packets));
    int rounds = (int)(packets / FB_STATUS / 10 > 100 ? packets / FB_STATUS / 10 : 100);
    printf("transport-cc feedback to GCC:   %6.2f us per feedback of %d statuses (%d rounds)\n",
           feedback_us(b, pkt, (size_t)len, rounds), FB_STATUS, rounds);
    struct okno_bwe_estimate e;
    if (okno_sub_bwe_estimate(b, &e) == 0)
        printf("(estimate at the end: %u kbit/s)\n", e.target_bps / 1000);
    okno_sub_bwe_free(b);
    okno_plugin_host_free(host);
    okno_config_free(cfg);
    return 0;
}
