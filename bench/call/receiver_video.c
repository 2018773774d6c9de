/* The frame end of okno-bench's video receiver: takes the frames the depacketizer declares
 * decodable, decodes them (unless in load mode), reads the frame code for the capture time and
 * the PSNR against the regenerated source, and feeds the stream metrics. It also decides when the
 * decoder cannot go on without a key frame (no key frame yet, a loss before a frame that needs
 * what was lost, a decode error) and a PLI is due: at most one per max(RTT, 300 ms), and none
 * while a key frame whose first packet arrived after the need began is still being assembled
 * (a PLI then would only cost the sender a second key frame). FIR is never sent, as browsers do
 * not either. */
#include "call/receiver_internal.h"
#include "okno/err.h"

int64_t okno__receiver_pli_interval(const struct okno_receiver *r)
{
    return r->rtt_us > OKNO_RECEIVER_PLI_MIN_US ? r->rtt_us : OKNO_RECEIVER_PLI_MIN_US;
}

bool okno__receiver_video_key_needed(const struct okno_receiver *r, int64_t now_us)
{
    if (r->pli_wanted)
        return r->last_pli_us == INT64_MIN ||
               now_us - r->last_pli_us >= okno__receiver_pli_interval(r);
    if (!okno_vp8depack_keyframe_needed(r->depack))
        return false;
    if (r->key_start_us != INT64_MIN && r->key_start_us >= r->need_since_us &&
        now_us - r->key_start_us < r->cfg.nack_wait_us)
        return false; /* one is on its way */
    return r->last_pli_us == INT64_MIN || now_us - r->last_pli_us >= okno__receiver_pli_interval(r);
}

static void decode(struct okno_receiver *r, const struct okno_fasm_frame *f,
                   struct okno_frame_sample *s, int64_t now_us)
{
    struct okno_image img = {0};
    int rc = okno_vp8dec_decode(r->dec, f->data, f->len, &img);
    if (rc < 0) {
        r->st.decode_errors++;
        okno_vp8depack_require_keyframe(r->depack);
        return;
    }
    if (rc == 0)
        return; /* nothing to show */
    r->st.frames_decoded++;
    s->width = img.width;
    s->height = img.height;
    struct okno_vsrc_code code;
    if (okno_vsrc_read_code(&img, &code) == 0) {
        s->capture_us = okno_vsrc_capture_us(code.capture_ms, now_us);
        r->transit_us_sum += f->arrival_us - s->capture_us;
        r->receive_us_sum += now_us - f->arrival_us;
        r->timed_frames++;
        if (r->have_src &&
            (r->last_psnr_us == INT64_MIN || now_us - r->last_psnr_us >= r->cfg.psnr_interval_us)) {
            s->psnr_db = okno_metrics_psnr(&r->src, &code, &img, &r->psnr_scratch);
            r->last_psnr_us = now_us;
        }
    }
    okno_metrics_on_frame(&r->m, now_us, s);
}

static void on_frame(struct okno_receiver *r, const struct okno_fasm_frame *f, int64_t now_us)
{
    if (f->meta.keyframe && f->meta.width && f->meta.height) {
        r->last_width = f->meta.width;
        r->last_height = f->meta.height;
    }
    struct okno_frame_sample s = {
        .capture_us = -1,
        .psnr_db = -1,
        .width = r->last_width,
        .height = r->last_height,
        .tid = f->meta.has_temporal ? f->meta.tid : -1,
    };
    if (r->dec)
        decode(r, f, &s, now_us);
    else
        okno_metrics_on_frame(&r->m, now_us, &s); /* load mode: the frame counts as shown */
}

/* Notes when the need for a key frame began, so a key frame already on its way can be told from
 * one that started before the need (and was lost with it). */
static void track_need(struct okno_receiver *r, int64_t now_us)
{
    bool need = okno_vp8depack_keyframe_needed(r->depack);
    if (need && !r->need_prev)
        r->need_since_us = now_us;
    r->need_prev = need;
}

void okno__receiver_video_drain(struct okno_receiver *r, int64_t now_us)
{
    struct okno_fasm_frame f;
    while (okno_vp8depack_pop(r->depack, now_us, &f) == 1) {
        track_need(r, now_us);
        on_frame(r, &f, now_us);
    }
    track_need(r, now_us);
}
