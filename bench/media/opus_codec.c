/* libopus for okno-bench: thin on purpose, since the point is to run the codec as browsers do.
 * What it adds is the FEC flag reader (so the receiver can tell recovered audio from concealed
 * audio) and the tone source. It does not support stereo or other frame durations. */
#include "media/opus_codec.h"

#include <math.h>
#include <opus.h>
#include <stdlib.h>

#include "okno/err.h"

struct okno_opusenc {
    OpusEncoder *enc; /* owned */
};

struct okno_opusdec {
    OpusDecoder *dec; /* owned */
};

int okno_opusenc_create(const struct okno_opusenc_config *cfg, struct okno_opusenc **out)
{
    *out = NULL;
    if (cfg->kbps < 6 || cfg->kbps > 510 || cfg->loss_pct > 100)
        return OKNO_E_INVAL;
    struct okno_opusenc *e = calloc(1, sizeof *e);
    if (!e)
        return OKNO_E_NOMEM;
    int err;
    e->enc = opus_encoder_create(OKNO_AUDIO_RATE, 1, OPUS_APPLICATION_VOIP, &err);
    if (!e->enc || err != OPUS_OK ||
        opus_encoder_ctl(e->enc, OPUS_SET_BITRATE((opus_int32)cfg->kbps * 1000)) != OPUS_OK ||
        opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(cfg->fec ? 1 : 0)) != OPUS_OK ||
        opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC((opus_int32)cfg->loss_pct)) != OPUS_OK ||
        opus_encoder_ctl(e->enc, OPUS_SET_DTX(cfg->dtx ? 1 : 0)) != OPUS_OK ||
        opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(9)) != OPUS_OK) {
        okno_opusenc_destroy(e);
        return OKNO_E_IO;
    }
    *out = e;
    return 0;
}

void okno_opusenc_destroy(struct okno_opusenc *e)
{
    if (!e)
        return;
    opus_encoder_destroy(e->enc);
    free(e);
}

int okno_opusenc_set_bitrate(struct okno_opusenc *e, unsigned kbps)
{
    if (kbps < 6 || kbps > 510)
        return OKNO_E_INVAL;
    return opus_encoder_ctl(e->enc, OPUS_SET_BITRATE((opus_int32)kbps * 1000)) == OPUS_OK
               ? 0
               : OKNO_E_IO;
}

int okno_opusenc_set_loss(struct okno_opusenc *e, unsigned loss_pct)
{
    if (loss_pct > 100)
        return OKNO_E_INVAL;
    return opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC((opus_int32)loss_pct)) == OPUS_OK
               ? 0
               : OKNO_E_IO;
}

int okno_opusenc_encode(struct okno_opusenc *e, const int16_t *pcm, uint8_t *out, size_t cap)
{
    if (cap < 3)
        return OKNO_E_NOSPC;
    opus_int32 n =
        opus_encode(e->enc, pcm, OKNO_AUDIO_FRAME_SAMPLES, out,
                    (opus_int32)(cap > OKNO_AUDIO_MAX_PACKET ? OKNO_AUDIO_MAX_PACKET : cap));
    if (n == OPUS_BUFFER_TOO_SMALL)
        return OKNO_E_NOSPC;
    return n < 0 ? OKNO_E_IO : (int)n;
}

int okno_opusdec_create(struct okno_opusdec **out)
{
    *out = NULL;
    struct okno_opusdec *d = calloc(1, sizeof *d);
    if (!d)
        return OKNO_E_NOMEM;
    int err;
    d->dec = opus_decoder_create(OKNO_AUDIO_RATE, 1, &err);
    if (!d->dec || err != OPUS_OK) {
        okno_opusdec_destroy(d);
        return OKNO_E_IO;
    }
    *out = d;
    return 0;
}

void okno_opusdec_destroy(struct okno_opusdec *d)
{
    if (!d)
        return;
    if (d->dec)
        opus_decoder_destroy(d->dec);
    free(d);
}

int okno_opusdec_decode(struct okno_opusdec *d, const uint8_t *pkt, size_t len, int16_t *pcm,
                        unsigned max_samples)
{
    if (!pkt || len == 0 || len > OKNO_AUDIO_MAX_PACKET)
        return OKNO_E_MALFORMED;
    int n = opus_decode(d->dec, pkt, (opus_int32)len, pcm, (int)max_samples, 0);
    return n < 0 ? OKNO_E_MALFORMED : n;
}

int okno_opusdec_decode_fec(struct okno_opusdec *d, const uint8_t *pkt, size_t len, int16_t *pcm,
                            unsigned samples)
{
    if (!pkt || len == 0 || len > OKNO_AUDIO_MAX_PACKET || samples > OKNO_AUDIO_MAX_SAMPLES)
        return OKNO_E_MALFORMED;
    int n = opus_decode(d->dec, pkt, (opus_int32)len, pcm, (int)samples, 1);
    return n < 0 ? OKNO_E_MALFORMED : n;
}

int okno_opusdec_conceal(struct okno_opusdec *d, int16_t *pcm, unsigned samples)
{
    if (samples == 0 || samples > OKNO_AUDIO_MAX_SAMPLES)
        return OKNO_E_INVAL;
    int n = opus_decode(d->dec, NULL, 0, pcm, (int)samples, 0);
    return n < 0 ? OKNO_E_IO : n;
}

int okno_opus_packet_samples(const uint8_t *pkt, size_t len)
{
    if (!pkt || len == 0 || len > OKNO_AUDIO_MAX_PACKET)
        return OKNO_E_MALFORMED;
    int n = opus_packet_get_nb_samples(pkt, (opus_int32)len, OKNO_AUDIO_RATE);
    return n <= 0 ? OKNO_E_MALFORMED : n;
}

bool okno_opus_has_fec(const uint8_t *pkt, size_t len)
{
    if (!pkt || len < 2 || len > OKNO_AUDIO_MAX_PACKET)
        return false;
    unsigned config = pkt[0] >> 3;
    if (config >= 16)
        return false; /* CELT only */
    const unsigned char *frames[48];
    opus_int16 sizes[48];
    if (opus_packet_parse(pkt, (opus_int32)len, NULL, frames, sizes, NULL) < 1 || sizes[0] < 2)
        return false;
    /* SILK frames of 20 ms (10 ms counts as one) in one Opus frame of this configuration. */
    static const unsigned silk_frames[4] = {1, 1, 2, 3};
    unsigned nsf = config < 12 ? silk_frames[config & 3] : 1;
    bool stereo = pkt[0] & 0x04;
    uint8_t b = frames[0][0];
    if (b & (0x80 >> nsf))
        return true;
    return stereo && (b & (0x80 >> (2 * nsf + 1)));
}

void okno_asrc_init(struct okno_asrc *s)
{
    s->frame = 0;
    s->phase = 0;
}

uint32_t okno_asrc_next(struct okno_asrc *s, int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES])
{
    double f = 300.0 + 50.0 * (s->frame % 16);
    double step = 2.0 * M_PI * f / OKNO_AUDIO_RATE;
    for (unsigned i = 0; i < OKNO_AUDIO_FRAME_SAMPLES; i++) {
        pcm[i] = (int16_t)lrint(8000.0 * sin(s->phase));
        s->phase += step;
    }
    s->phase = fmod(s->phase, 2.0 * M_PI); /* continuous across frames, bounded */
    return s->frame++;
}
