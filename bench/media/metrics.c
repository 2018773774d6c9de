/* Per-stream quality metrics for okno-bench: the freeze detector, the latency reservoir and the
 * per-second timeline. The freeze rule compares a gap with the mean of the gaps before it, freezes
 * included, as libwebrtc's video quality observer does; the first gap has nothing to compare with
 * and is never a freeze. It does not smooth frame rates or weight PSNR by time. */
#include "media/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"

int64_t okno_freeze_on_frame(struct okno_freeze *f, int64_t now_us)
{
    if (!f->has_last) {
        f->has_last = true;
        f->last_us = now_us;
        return 0;
    }
    int64_t gap = now_us - f->last_us;
    f->last_us = now_us;
    int64_t frozen = 0;
    if (f->n > 0) {
        /* gap >= max(3 * mean, mean + 150 ms), in integers: n * gap against sums. */
        int64_t n = f->n;
        if (gap * n >= 3 * f->sum && gap * n >= f->sum + OKNO_FREEZE_MIN_EXTRA_US * n) {
            frozen = gap;
            f->count++;
            f->total_us += gap;
            if (gap > f->max_us)
                f->max_us = gap;
        }
    }
    if (f->n == OKNO_FREEZE_WINDOW)
        f->sum -= f->gaps[f->pos];
    else
        f->n++;
    f->gaps[f->pos] = gap;
    f->sum += gap;
    f->pos = (f->pos + 1) % OKNO_FREEZE_WINDOW;
    return frozen;
}

int okno_reservoir_init(struct okno_reservoir *r, size_t cap)
{
    memset(r, 0, sizeof *r);
    if (cap == 0)
        return OKNO_E_INVAL;
    r->v = malloc(cap * sizeof *r->v);
    if (!r->v)
        return OKNO_E_NOMEM;
    r->cap = cap;
    r->rng = 0x9e3779b97f4a7c15ull;
    return 0;
}

void okno_reservoir_free(struct okno_reservoir *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

static uint64_t xorshift64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

void okno_reservoir_add(struct okno_reservoir *r, double v)
{
    r->seen++;
    r->sorted = false;
    if (r->n < r->cap) {
        r->v[r->n++] = v;
        return;
    }
    uint64_t j = xorshift64(&r->rng) % r->seen;
    if (j < r->cap)
        r->v[j] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double okno_reservoir_percentile(struct okno_reservoir *r, double p)
{
    if (r->n == 0 || !(p > 0) || p > 100)
        return NAN;
    if (!r->sorted) {
        qsort(r->v, r->n, sizeof *r->v, cmp_double);
        r->sorted = true;
    }
    size_t rank = (size_t)ceil(p / 100.0 * (double)r->n);
    if (rank < 1)
        rank = 1;
    if (rank > r->n)
        rank = r->n;
    return r->v[rank - 1];
}

int okno_metrics_init(struct okno_stream_metrics *m, bool video, int64_t start_us,
                      size_t timeline_seconds, size_t latency_cap)
{
    memset(m, 0, sizeof *m);
    if (timeline_seconds == 0 || timeline_seconds > 1000000)
        return OKNO_E_INVAL;
    m->video = video;
    m->start_us = start_us;
    m->utilization = -1;
    int rc = okno_reservoir_init(&m->latency_ms, latency_cap);
    if (rc)
        return rc;
    m->timeline = calloc(timeline_seconds, sizeof *m->timeline);
    if (!m->timeline) {
        okno_reservoir_free(&m->latency_ms);
        return OKNO_E_NOMEM;
    }
    m->timeline_cap = timeline_seconds;
    return 0;
}

void okno_metrics_free(struct okno_stream_metrics *m)
{
    okno_reservoir_free(&m->latency_ms);
    free(m->timeline);
    memset(m, 0, sizeof *m);
}

/* The timeline second now_us falls in, or NULL outside the timeline. */
static struct okno_metrics_second *second_at(struct okno_stream_metrics *m, int64_t now_us)
{
    if (now_us < m->start_us)
        return NULL;
    uint64_t i = (uint64_t)(now_us - m->start_us) / 1000000;
    if (i >= m->timeline_cap)
        return NULL;
    while (m->timeline_n <= i)
        m->timeline[m->timeline_n++].max_tid = -1;
    return &m->timeline[i];
}

void okno_metrics_on_bytes(struct okno_stream_metrics *m, int64_t now_us, size_t bytes)
{
    m->bytes += bytes;
    struct okno_metrics_second *s = second_at(m, now_us);
    if (s)
        s->bytes += bytes;
}

void okno_metrics_on_frame(struct okno_stream_metrics *m, int64_t now_us,
                           const struct okno_frame_sample *f)
{
    struct okno_metrics_second *s = second_at(m, now_us);
    m->frames++;
    int64_t frozen = okno_freeze_on_frame(&m->freeze, now_us);
    if (f->tid >= 0 && f->tid < 8)
        m->tid_mask |= (uint8_t)(1u << f->tid);
    bool known = false;
    for (unsigned i = 0; i < m->n_heights; i++)
        known |= m->heights[i] == f->height;
    if (!known && m->n_heights < 4)
        m->heights[m->n_heights++] = f->height;
    double lat = -1;
    if (f->capture_us >= 0) {
        lat = (double)(now_us - f->capture_us) / 1000.0;
        okno_reservoir_add(&m->latency_ms, lat);
    }
    if (f->psnr_db >= 0) {
        m->psnr_sum += f->psnr_db;
        m->psnr_n++;
    }
    if (!s)
        return;
    s->frames++;
    s->freezes += frozen > 0;
    s->width = f->width;
    s->height = f->height;
    if (f->tid > s->max_tid)
        s->max_tid = f->tid;
    if (lat >= 0) {
        s->latency_sum_ms += lat;
        s->latency_n++;
    }
    if (f->psnr_db >= 0) {
        s->psnr_sum += f->psnr_db;
        s->psnr_n++;
    }
}

void okno_metrics_on_audio(struct okno_stream_metrics *m, int64_t now_us, unsigned slots,
                           unsigned concealed)
{
    m->audio_slots += slots;
    m->audio_concealed += concealed;
    struct okno_metrics_second *s = second_at(m, now_us);
    if (s) {
        s->audio_slots += slots;
        s->audio_concealed += concealed;
    }
}

double okno_metrics_psnr(struct okno_vsrc *src, const struct okno_vsrc_code *code,
                         const struct okno_image *decoded, struct okno_image *scratch)
{
    if (scratch->width != decoded->width || scratch->height != decoded->height) {
        okno_image_free(scratch);
        if (okno_image_alloc(scratch, decoded->width, decoded->height) < 0)
            return -1;
    }
    if (okno_vsrc_regenerate(src, code, scratch) < 0)
        return -1;
    return okno_image_psnr(scratch, decoded, false);
}
