/* bench/media_speed: how long this machine takes to encode and decode one frame of VP8 (realtime,
 * as okno-bench runs it) at 640x360 and 1280x720, and one 20 ms Opus frame, so a benchmark run can
 * tell how many simulated clients one box can carry. It measures wall time over a few seconds of
 * the synthetic source (drawing the source is not counted) and prints one line per case. It does
 * not measure packetization or the network path. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "media/opus_codec.h"
#include "media/video_source.h"
#include "media/vp8_decoder.h"
#include "media/vp8_encoder.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int video(unsigned w, unsigned h, unsigned kbps, unsigned frames)
{
    struct okno_vsrc src;
    struct okno_vsrc_config scfg = {.width = w, .height = h, .seed = 1};
    struct okno_vp8enc_config ecfg = {.width = w,
                                      .height = h,
                                      .fps = 30,
                                      .encodings = 1,
                                      .temporal_layers = 3,
                                      .start_kbps = kbps};
    struct okno_vp8enc *enc = NULL;
    struct okno_vp8dec *dec = NULL;
    struct okno_image img;
    if (okno_vsrc_init(&src, &scfg) || okno_vp8enc_create(&ecfg, &enc) ||
        okno_vp8dec_create(1, &dec) || okno_image_alloc(&img, w, h)) {
        fprintf(stderr, "media_speed: cannot set up %ux%u\n", w, h);
        return 1;
    }
    double enc_ms = 0, dec_ms = 0;
    unsigned encoded = 0;
    size_t bytes = 0;
    for (unsigned n = 0; n < frames; n++) {
        int64_t t = (int64_t)n * 1000000 / 30;
        okno_vsrc_render(&src, n, t, &img);
        struct okno_vp8enc_frame out[3];
        double a = now_ms();
        int k = okno_vp8enc_encode(enc, &img, t, out);
        double b = now_ms();
        enc_ms += b - a;
        if (k != 1)
            continue;
        struct okno_image pic;
        a = now_ms();
        okno_vp8dec_decode(dec, out[0].data, out[0].len, &pic);
        dec_ms += now_ms() - a;
        encoded++;
        bytes += out[0].len;
    }
    printf("vp8 %4ux%-4u %5u kbit/s: encode %.2f ms/frame, decode %.2f ms/frame (%u frames, "
           "%.0f kbit/s out)\n",
           w, h, kbps, enc_ms / frames, encoded ? dec_ms / encoded : 0.0, encoded,
           (double)bytes * 8 / 1000 / ((double)frames / 30));
    okno_image_free(&img);
    okno_vp8dec_destroy(dec);
    okno_vp8enc_destroy(enc);
    okno_vsrc_deinit(&src);
    return 0;
}

static int audio(unsigned frames)
{
    struct okno_opusenc_config cfg = {.kbps = 32, .fec = true, .loss_pct = 10};
    struct okno_opusenc *enc = NULL;
    struct okno_opusdec *dec = NULL;
    if (okno_opusenc_create(&cfg, &enc) || okno_opusdec_create(&dec)) {
        fprintf(stderr, "media_speed: cannot set up Opus\n");
        return 1;
    }
    struct okno_asrc src;
    okno_asrc_init(&src);
    double enc_ms = 0, dec_ms = 0;
    for (unsigned n = 0; n < frames; n++) {
        int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES], outpcm[OKNO_AUDIO_MAX_SAMPLES];
        uint8_t pkt[OKNO_AUDIO_MAX_PACKET];
        okno_asrc_next(&src, pcm);
        double a = now_ms();
        int len = okno_opusenc_encode(enc, pcm, pkt, sizeof pkt);
        double b = now_ms();
        if (len > 0)
            okno_opusdec_decode(dec, pkt, (size_t)len, outpcm, OKNO_AUDIO_MAX_SAMPLES);
        dec_ms += now_ms() - b;
        enc_ms += b - a;
    }
    printf("opus 48 kHz mono 32 kbit/s FEC: encode %.3f ms/frame, decode %.3f ms/frame (20 ms "
           "frames)\n",
           enc_ms / frames, dec_ms / frames);
    okno_opusdec_destroy(dec);
    okno_opusenc_destroy(enc);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned frames = argc > 1 ? (unsigned)atoi(argv[1]) : 150;
    if (frames == 0)
        frames = 150;
    int rc = video(640, 360, 800, frames);
    rc |= video(1280, 720, 2500, frames);
    rc |= audio(frames * 5);
    return rc;
}
