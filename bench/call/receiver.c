/* okno-bench's receiving side of one track: packets in (RTX unwrap, receive statistics, NACK
 * generation, depacketizing or the audio jitter buffer), timers (NACK, RR, PLI, audio playout,
 * assembler waits) and the statistics out. Frames are handled in receiver_video.c, RTCP in
 * receiver_rtcp.c. Every buffer is allocated at create; a packet costs copies into them only. */
#include <stdlib.h>
#include <string.h>

#include "call/receiver_internal.h"
#include "okno/err.h"
#include "sfu/red_adapter.h"
#include "wire/red.h"
#include "wire/rtx.h"
#include "wire/seq.h"
#include "wire/vp8.h"

/* Latency samples kept for the percentiles. */
#define LATENCY_CAP 8192

static int create_video(struct okno_receiver *r)
{
    const struct okno_receiver_config *c = &r->cfg;
    /* Gaps are NACKed until the assembler gives their frames up: no point asking later. */
    struct okno_nack_config nc = {.max_age_us = c->nack_wait_us};
    int rc = okno_nack_generator_create(&nc, &r->ng);
    if (rc)
        return rc;
    struct okno_fasm_config fc = {.reorder_pkts = OKNO_FASM_SLOTS / 2,
                                  .reorder_us = c->nack_wait_us};
    rc = okno_vp8depack_create(&fc, &r->depack); /* restart_depack makes the same */
    if (rc || !c->decode)
        return rc;
    rc = okno_vp8dec_create(1, &r->dec);
    if (rc)
        return rc;
    if (c->src_width && c->src_height) {
        struct okno_vsrc_config sc = {c->src_width, c->src_height, c->src_seed};
        rc = okno_vsrc_init(&r->src, &sc);
        if (rc)
            return rc;
        r->have_src = true;
    }
    return 0;
}

int okno_receiver_create(const struct okno_receiver_config *cfg, struct okno_receiver **out)
{
    *out = NULL;
    if (!cfg || !cfg->send_rtcp || cfg->pt > 127 || cfg->pt < -1 || cfg->rtx_pt > 127 ||
        cfg->rtx_pt < -1 || (cfg->pt >= 0 && cfg->pt == cfg->rtx_pt) || cfg->nack_wait_us < 0 ||
        cfg->audio_delay_us < 0 || cfg->timeline_s == 0)
        return OKNO_E_INVAL;
    struct okno_receiver *r = calloc(1, sizeof *r);
    if (!r)
        return OKNO_E_NOMEM;
    r->cfg = *cfg;
    if (!r->cfg.nack_wait_us)
        r->cfg.nack_wait_us = 1000000;
    r->ssrc = cfg->ssrc;
    r->have_ssrc = cfg->ssrc != 0;
    r->rtx_ssrc = cfg->rtx_ssrc;
    r->have_rtx_ssrc = cfg->rtx_ssrc != 0;
    r->pt = cfg->pt >= 0 ? (uint8_t)cfg->pt : 0;
    r->have_pt = cfg->pt >= 0;
    r->first_pkt_us = -1;
    r->rtt_us = -1;
    r->next_rr_us = r->next_frame_poll_us = r->next_audio_us = INT64_MAX;
    r->last_pli_us = r->key_start_us = r->need_since_us = r->last_psnr_us = INT64_MIN;
    if (!r->cfg.psnr_interval_us)
        r->cfg.psnr_interval_us = 200000;
    r->need_prev = true; /* the depacketizer starts waiting for a key frame */
    int rc = okno_metrics_init(&r->m, cfg->video, cfg->start_us, cfg->timeline_s, LATENCY_CAP);
    if (rc) {
        free(r);
        return rc;
    }
    if (cfg->video) {
        rc = create_video(r);
    } else {
        struct okno_audio_rx_config ac = {.target_delay_us = cfg->audio_delay_us,
                                          .adaptive = !cfg->audio_fixed};
        rc = okno_audio_rx_create(&ac, &r->arx);
    }
    if (rc) {
        okno_receiver_destroy(r);
        return rc;
    }
    *out = r;
    return 0;
}

void okno_receiver_destroy(struct okno_receiver *r)
{
    if (!r)
        return;
    okno_nack_generator_destroy(r->ng);
    okno_vp8depack_destroy(r->depack);
    okno_vp8dec_destroy(r->dec);
    if (r->have_src)
        okno_vsrc_deinit(&r->src);
    okno_image_free(&r->psnr_scratch);
    okno_audio_rx_destroy(r->arx);
    okno_metrics_free(&r->m);
    free(r);
}

/* Turns an RTX packet into its original in r->unwrap and parses that into *pkt. Returns 0, 1 for
 * a padding-only probe (nothing to do) or a negative code. */
static int unwrap_rtx(struct okno_receiver *r, const uint8_t *buf, size_t len,
                      struct okno_rtp_pkt *pkt)
{
    if (okno_rtx_is_padding_only(pkt))
        return 1;
    if (!r->have_ssrc || !r->have_pt)
        return OKNO_E_STATE; /* nothing to restore it to yet */
    int n = okno_rtx_unwrap(buf, len, r->unwrap, sizeof r->unwrap, r->ssrc, r->pt);
    if (n <= 0)
        return n < 0 ? n : 1;
    return okno_rtp_parse(r->unwrap, (size_t)n, pkt);
}

/* Whether pkt is an RTX packet of this track, learning the RTX SSRC from the RTX payload type. */
static bool is_rtx(struct okno_receiver *r, const struct okno_rtp_pkt *pkt)
{
    if (r->have_rtx_ssrc && pkt->ssrc == r->rtx_ssrc)
        return true;
    if (r->cfg.rtx_pt < 0 || pkt->pt != r->cfg.rtx_pt)
        return false;
    if (r->have_rtx_ssrc || (r->have_ssrc && pkt->ssrc == r->ssrc))
        return false; /* the RTX pt on another SSRC: not ours */
    r->rtx_ssrc = pkt->ssrc;
    r->have_rtx_ssrc = true;
    return true;
}

/* Whether a VP8 packet starts a key frame (the NACK generator then forgets older gaps). */
static bool starts_keyframe(const struct okno_rtp_pkt *pkt)
{
    struct okno_vp8_packet vp;
    return okno_vp8_parse(pkt->payload, pkt->payload_len, &vp) == 0 && okno_vp8_is_keyframe(&vp);
}

/* The assembler calls every packet late after the sender's numbers jumped back (a restarted
 * stream, or a burst of junk that moved its window): start again from scratch, the one time a
 * packet path allocates. On failure the old one stays. */
static void restart_depack(struct okno_receiver *r)
{
    struct okno_vp8depack *d;
    struct okno_fasm_config fc = {.reorder_pkts = OKNO_FASM_SLOTS / 2,
                                  .reorder_us = r->cfg.nack_wait_us};
    if (okno_vp8depack_create(&fc, &d) != 0)
        return;
    struct okno_vp8depack_stats old = okno_vp8depack_stats(r->depack);
    r->st.frames_assembled += old.assembler.frames;
    r->st.undecodable_frames += old.skipped_frames;
    r->st.late += old.assembler.late;
    okno_vp8depack_destroy(r->depack);
    r->depack = d;
    r->ignored_run = 0;
    r->need_prev = true;
    r->need_since_us = INT64_MIN;
    r->st.restarts++;
}

static void on_video(struct okno_receiver *r, const struct okno_rtp_pkt *pkt, bool rtx,
                     int64_t now_us)
{
    bool key = starts_keyframe(pkt);
    if (key)
        r->key_start_us = now_us;
    unsigned flags = (rtx ? OKNO_NACK_PKT_RETRANSMISSION : 0) | (key ? OKNO_NACK_PKT_KEYFRAME : 0);
    unsigned res = okno_nack_generator_on_packet(r->ng, pkt->seq, flags, now_us);
    if (res & OKNO_NACK_KEYFRAME)
        r->pli_wanted = true;
    int rc = okno_vp8depack_push(r->depack, pkt, now_us);
    if (rc < 0)
        r->st.garbage++;
    r->ignored_run = rc == 1 ? r->ignored_run + 1 : 0;
    if (r->ignored_run >= OKNO_RECEIVER_RESTART_RUN)
        restart_depack(r);
    okno__receiver_video_drain(r, now_us);
    if (r->next_frame_poll_us == INT64_MAX)
        r->next_frame_poll_us = now_us + OKNO_RECEIVER_FRAME_POLL_US;
    if (okno__receiver_video_key_needed(r, now_us))
        okno__receiver_send_pli(r, now_us);
}

static bool is_red(const struct okno_receiver *r, uint8_t pt)
{
    return !r->cfg.video && r->cfg.red_pt > 0 && r->cfg.red_pt <= 127 && pt == r->cfg.red_pt;
}

/* RFC 2198: the redundant blocks that cover packets missing just before this one go into the
 * jitter buffer first (a block too late for its slot is dropped there as late), then the primary.
 * Returns the primary in *primary, or false for a payload that is not RED around Opus. */
static bool on_red(struct okno_receiver *r, const struct okno_rtp_pkt *pkt,
                   struct okno_red_block *primary, int64_t now_us)
{
    struct okno_red_block blocks[4];
    int nb = okno_red_parse(pkt->payload, pkt->payload_len, blocks, 4, primary);
    if (nb == OKNO_E_NOSPC)
        nb = okno_red_primary(pkt->payload, pkt->payload_len, primary) == 0 ? 0 : OKNO_E_MALFORMED;
    if (nb < 0 || primary->pt != r->pt)
        return false;
    if (!r->audio_have_last || !okno_seq_newer(pkt->seq, r->audio_last_seq))
        return true;
    unsigned gap = (unsigned)okno_seq_diff(pkt->seq, r->audio_last_seq) - 1, prev = gap + 1;
    for (int i = 0; i < nb; i++) {
        unsigned d = okno_red_block_distance(pkt->ts, r->audio_last_ts, gap, r->pt, &blocks[i],
                                             (size_t)i, (size_t)nb);
        if (d == 0 || d >= prev)
            continue;
        prev = d;
        if (okno_audio_rx_push(r->arx, (uint16_t)(pkt->seq - d), pkt->ts - blocks[i].ts_offset,
                               blocks[i].data, blocks[i].len, now_us) == 0)
            r->st.audio_red_recovered++;
    }
    return true;
}

static void on_audio(struct okno_receiver *r, const struct okno_rtp_pkt *pkt, int64_t now_us)
{
    struct okno_red_block primary = {.data = pkt->payload, .len = pkt->payload_len};
    if (is_red(r, pkt->pt) && !on_red(r, pkt, &primary, now_us)) {
        r->st.garbage++;
        return;
    }
    if (!r->audio_have_last || okno_seq_newer(pkt->seq, r->audio_last_seq)) {
        r->audio_have_last = true;
        r->audio_last_seq = pkt->seq;
        r->audio_last_ts = pkt->ts;
    }
    if (okno_audio_rx_push(r->arx, pkt->seq, pkt->ts, primary.data, primary.len, now_us) < 0)
        r->st.garbage++;
    if (r->next_audio_us == INT64_MAX)
        r->next_audio_us = now_us;
}

void okno_receiver_on_rtp(struct okno_receiver *r, uint8_t *buf, size_t len, int64_t now_us)
{
    struct okno_rtp_pkt pkt;
    if (len > OKNO_RECEIVER_MAX_PKT || okno_rtp_parse(buf, len, &pkt) < 0) {
        r->st.garbage++;
        return;
    }
    bool rtx = is_rtx(r, &pkt);
    if (rtx) {
        int rc = unwrap_rtx(r, buf, len, &pkt);
        if (rc) {
            r->st.garbage += rc < 0;
            return;
        }
    } else {
        bool red = is_red(r, pkt.pt);
        if ((r->have_ssrc && pkt.ssrc != r->ssrc) || (r->have_pt && pkt.pt != r->pt && !red) ||
            (red && !r->have_pt)) {
            r->st.garbage++; /* another stream, or a payload type this track does not take */
            return;
        }
        r->ssrc = pkt.ssrc;
        if (!red)
            r->pt = pkt.pt;
        r->have_ssrc = r->have_pt = true;
    }
    if (r->first_pkt_us < 0) {
        r->first_pkt_us = now_us;
        okno_recv_stats_init(&r->rs, r->ssrc, r->cfg.video ? 90000 : 48000);
        r->next_rr_us = now_us + OKNO_RECEIVER_RR_INTERVAL_US;
    }
    r->st.packets++;
    r->st.bytes += len;
    r->st.rtx_packets += rtx;
    uint64_t duplicates = r->rs.duplicates;
    okno_recv_stats_on_packet(&r->rs, pkt.seq, pkt.ts, rtx, now_us);
    /* The bitrate received is the media's: a copy of a packet that already arrived (okno probes
     * a link with copies of what it sent, and a retransmission can race its original) carried
     * nothing new, and the link it crossed may not even be the one measured (okno's probes of
     * the other participant's clean downlink). */
    if (r->rs.duplicates == duplicates) {
        r->st.media_bytes += len;
        okno_metrics_on_bytes(&r->m, now_us, pkt.payload_len);
    }
    if (r->cfg.video)
        on_video(r, &pkt, rtx, now_us);
    else
        on_audio(r, &pkt, now_us);
}

static void poll_audio(struct okno_receiver *r, int64_t now_us)
{
    int slots = okno_audio_rx_tick(r->arx, now_us);
    struct okno_audio_rx_stats as = okno_audio_rx_stats(r->arx);
    uint64_t concealed = as.slots_concealed + as.slots_missing;
    if (slots > 0)
        okno_metrics_on_audio(&r->m, now_us, (unsigned)slots,
                              (unsigned)(concealed - r->audio_concealed_prev));
    r->audio_concealed_prev = concealed;
    while (r->next_audio_us <= now_us)
        r->next_audio_us += OKNO_RECEIVER_AUDIO_SLOT_US;
}

static void poll_video(struct okno_receiver *r, int64_t now_us)
{
    if (now_us >= r->next_frame_poll_us) {
        okno__receiver_video_drain(r, now_us);
        r->next_frame_poll_us = now_us + OKNO_RECEIVER_FRAME_POLL_US;
    }
    if (okno_nack_generator_next_wakeup(r->ng) <= now_us) {
        int64_t rtt = r->rtt_us > 0 ? r->rtt_us : OKNO_RECEIVER_DEFAULT_RTT_US;
        size_t n =
            okno_nack_generator_poll(r->ng, now_us, rtt, r->nack_seqs, OKNO_RECEIVER_NACK_BATCH);
        if (n)
            okno__receiver_send_nack(r, r->nack_seqs, n, now_us);
    }
    if (okno__receiver_video_key_needed(r, now_us))
        okno__receiver_send_pli(r, now_us);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t okno_receiver_poll(struct okno_receiver *r, int64_t now_us)
{
    if (r->first_pkt_us < 0)
        return INT64_MAX;
    if (r->cfg.video)
        poll_video(r, now_us);
    else if (now_us >= r->next_audio_us)
        poll_audio(r, now_us);
    if (now_us >= r->next_rr_us) {
        okno__receiver_send_rr(r, now_us);
        while (r->next_rr_us <= now_us)
            r->next_rr_us += OKNO_RECEIVER_RR_INTERVAL_US;
    }
    int64_t next = r->next_rr_us;
    if (r->cfg.video) {
        next = min64(next, r->next_frame_poll_us);
        int64_t nack = okno_nack_generator_next_wakeup(r->ng);
        /* A wake-up already past is a re-NACK still waiting for the RTT: look again in 10 ms
         * rather than spin. */
        next = min64(next, nack > now_us ? nack : now_us + 10000);
        if (okno_vp8depack_keyframe_needed(r->depack) || r->pli_wanted) {
            int64_t pli = r->last_pli_us == INT64_MIN
                              ? now_us + OKNO_RECEIVER_FRAME_POLL_US
                              : r->last_pli_us + okno__receiver_pli_interval(r);
            next = min64(next, pli > now_us ? pli : now_us + OKNO_RECEIVER_FRAME_POLL_US);
        }
    } else {
        next = min64(next, r->next_audio_us);
    }
    return next;
}

void okno_receiver_set_rtt(struct okno_receiver *r, int64_t rtt_us)
{
    r->rtt_us = rtt_us > 0 ? rtt_us : -1;
}

struct okno_stream_metrics *okno_receiver_metrics(struct okno_receiver *r)
{
    return &r->m;
}

void okno_receiver_stats(const struct okno_receiver *r, struct okno_receiver_stats *out)
{
    *out = r->st;
    out->ssrc = r->have_ssrc ? r->ssrc : 0;
    out->rtt_us = r->rtt_us;
    out->transit_ms = out->receive_ms = -1;
    out->audio_delay_ms = out->audio_delay_last_ms = out->audio_target_ms = out->audio_jb_delay_ms =
        -1;
    if (r->timed_frames) {
        out->transit_ms = (double)r->transit_us_sum / 1000.0 / (double)r->timed_frames;
        out->receive_ms = (double)r->receive_us_sum / 1000.0 / (double)r->timed_frames;
    }
    if (r->first_pkt_us >= 0) {
        out->duplicates = r->rs.duplicates;
        int64_t lost = okno_recv_stats_lost(&r->rs);
        out->lost = lost > 0 ? (uint64_t)lost : 0;
        out->jitter_us = (int64_t)okno_recv_stats_jitter(&r->rs) * 1000000 / r->rs.clock_rate;
    }
    if (r->cfg.video) {
        struct okno_nack_stats ns;
        okno_nack_generator_stats(r->ng, &ns);
        out->recovered = ns.recovered;
        struct okno_vp8depack_stats ds = okno_vp8depack_stats(r->depack);
        out->late += ds.assembler.late;
        out->frames_assembled += ds.assembler.frames;
        out->undecodable_frames += ds.skipped_frames;
    } else {
        struct okno_audio_rx_stats as = okno_audio_rx_stats(r->arx);
        out->late = as.late;
        out->audio_fec_slots = as.slots_fec;
        out->audio_delay_ms = as.delay_ms_mean;
        out->audio_delay_last_ms = as.delay_ms;
        out->audio_target_ms = as.target_ms;
        out->audio_jb_delay_ms =
            as.jb_emitted ? (double)as.jb_delay_sum_us / 1000.0 / (double)as.jb_emitted : -1;
        out->audio_inserted_slots = as.slots_inserted;
        out->audio_removed_slots = as.slots_removed;
        out->duplicates = as.duplicates > out->duplicates ? as.duplicates : out->duplicates;
    }
}
