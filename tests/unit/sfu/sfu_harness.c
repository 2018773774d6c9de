/* The in-process SFU test harness (sfu_harness.h). Failures are cmocka assertions: the harness
 * only runs inside a test. */
#include "sfu_harness.h"

#include "core/log.h"
#include "net/ice.h"
#include "net/srtp.h"
#include "okno/err.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtp.h"

struct sfuh sfuh;

static int n_closed;

void sfuh_on_event(void *ud, const struct okno_sfu_event *ev)
{
    (void)ud;
    if (ev->session >= SFUH_SESSIONS)
        return;
    if (ev->type == OKNO_SFU_EV_OFFER) {
        g_free(sfuh.offer[ev->session]);
        sfuh.offer[ev->session] = g_strdup(ev->sdp);
    } else if (ev->type == OKNO_SFU_EV_ANSWER) {
        g_free(sfuh.answer[ev->session]);
        sfuh.answer[ev->session] = g_strdup(ev->sdp);
    } else if (ev->type == OKNO_SFU_EV_ERROR || (ev->type == OKNO_SFU_EV_CLOSED && !sfuh.leaving)) {
        fail_msg("session %llu: %s %s", (unsigned long long)ev->session,
                 ev->code ? ev->code : "closed", ev->message);
    }
}

void sfuh_start(const char *conf, void (*on_event)(void *ud, const struct okno_sfu_event *ev))
{
    memset(&sfuh, 0, sizeof sfuh);
    g_mutex_lock(&sfuh_est_lock);
    memset(&sfuh_est, 0, sizeof sfuh_est);
    g_mutex_unlock(&sfuh_est_lock);
    n_closed = 0;
    assert_int_equal(okno__config_load_data(okno__config_schema, okno__config_schema_len, "t.conf",
                                            conf, strlen(conf), &sfuh.cfg, NULL),
                     0);
    assert_int_equal(okno_workers_start(1, &sfuh.workers), 0);
    /* The listener must outlive the SFU; one harness per process keeps it here. */
    static struct okno_sfu_listener sl;
    sl.on_event = on_event ? on_event : sfuh_on_event;
    assert_int_equal(okno_sfu_create(sfuh.workers, sfuh.cfg, NULL, NULL, &sl, &sfuh.sfu), 0);
    assert_int_equal(okno_cert_generate("client", &sfuh.cert), 0);
}

static void on_closed(void *arg)
{
    (void)arg;
    n_closed++;
}

static bool all_closed(void *arg)
{
    return n_closed >= GPOINTER_TO_INT(arg);
}

void sfuh_stop(struct sfuh_client **clients, int n)
{
    sfuh.leaving = true;
    for (int i = 0; i < n; i++)
        okno_sfu_leave(sfuh.sfu, (uint64_t)i + 1, 0);
    int closing = 0;
    for (int i = 0; i < n; i++) {
        if (!clients[i]->peer)
            continue;
        okno_peer_close(clients[i]->peer, on_closed, NULL);
        clients[i]->peer = NULL;
        closing++;
    }
    assert_true(sfuh_run_until(all_closed, GINT_TO_POINTER(closing)));
    okno_sfu_destroy(sfuh.sfu);
    okno_workers_stop(sfuh.workers);
    okno_config_free(sfuh.cfg);
    okno_cert_free(sfuh.cert);
    for (int i = 0; i < n; i++) {
        g_ptr_array_free(clients[i]->cands, TRUE);
        clients[i]->cands = NULL;
    }
    for (int i = 0; i < SFUH_SESSIONS; i++) {
        g_free(sfuh.offer[i]);
        g_free(sfuh.answer[i]);
    }
    memset(&sfuh, 0, sizeof sfuh);
    int64_t until = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (okno_ice_live_count() > 0 && g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    assert_int_equal(okno_ice_live_count(), 0);
}

static void on_cand(void *owner, const char *line)
{
    g_ptr_array_add(((struct sfuh_client *)owner)->cands, g_strdup(line));
}

static void on_done(void *owner)
{
    ((struct sfuh_client *)owner)->gathered = true;
}

static void on_connected(void *owner)
{
    struct sfuh_client *c = owner;
    c->connected = true;
    if (c->hooks && c->hooks->on_connected)
        c->hooks->on_connected(c);
}

static void on_failed(void *owner, int err, const char *reason)
{
    (void)owner;
    fail_msg("client transport failed: %s (%d)", reason, err);
}

static void on_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct sfuh_client *c = owner;
    if (c->hooks && c->hooks->on_rtp)
        c->hooks->on_rtp(c, pkt, len, now_us);
}

static void on_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct sfuh_client *c = owner;
    if (c->hooks && c->hooks->on_rtcp)
        c->hooks->on_rtcp(c, pkt, len, now_us);
}

static const struct okno_peer_listener listener = {
    .on_local_candidate = on_cand,
    .on_local_candidates_done = on_done,
    .on_connected = on_connected,
    .on_failed = on_failed,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
};

bool sfuh_run_until(bool (*cond)(void *), void *arg)
{
    int64_t deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!cond(arg) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
    return cond(arg);
}

void sfuh_run_for(int64_t us)
{
    int64_t until = g_get_monotonic_time() + us;
    while (g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
}

bool sfuh_is_true(void *arg)
{
    return *(bool *)arg;
}

bool sfuh_has_offer(void *arg)
{
    return sfuh.offer[GPOINTER_TO_INT(arg)] != NULL;
}

bool sfuh_has_answer(void *arg)
{
    return sfuh.answer[GPOINTER_TO_INT(arg)] != NULL;
}

void sfuh_open(struct sfuh_client *c, bool controlling, const struct sfuh_hooks *hooks)
{
    memset(c, 0, sizeof *c);
    c->hooks = hooks;
    c->cands = g_ptr_array_new_with_free_func(g_free);
    struct okno_ice_config ice;
    okno_ice_config_init(&ice);
    assert_int_equal(okno_ice_config_add_address(&ice, "127.0.0.1"), 0);
    ice.tcp = OKNO_ICE_TCP_OFF;
    ice.controlling = controlling;
    struct okno_peer_config pc = {.ice = &ice, .cert = sfuh.cert};
    assert_int_equal(okno_peer_create(g_main_context_default(), &pc, &listener, c, &c->peer), 0);
    assert_int_equal(okno_peer_gather(c->peer), 0);
    assert_true(sfuh_run_until(sfuh_is_true, &c->gathered));
}

void sfuh_append_transport(GString *s, struct sfuh_client *c, const char *setup)
{
    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    okno_peer_local_credentials(c->peer, ufrag, pwd);
    g_string_append_printf(s,
                           "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:%s\r\na=setup:%s\r\n",
                           ufrag, pwd, okno_cert_fingerprint_sdp(sfuh.cert), setup);
    for (guint i = 0; i < c->cands->len; i++)
        g_string_append_printf(s, "a=%s\r\n", (char *)c->cands->pdata[i]);
    g_string_append(s, "a=end-of-candidates\r\n");
}

void sfuh_take_remote(struct sfuh_client *c, const char *sdp, enum okno_dtls_role role)
{
    char **lines = g_strsplit(sdp, "\r\n", -1);
    const char *ufrag = NULL, *pwd = NULL, *fp = NULL;
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "a=ice-ufrag:") && !ufrag)
            ufrag = *l + 12;
        else if (g_str_has_prefix(*l, "a=ice-pwd:") && !pwd)
            pwd = *l + 10;
        else if (g_str_has_prefix(*l, "a=fingerprint:") && !fp)
            fp = *l + 14;
    }
    assert_non_null(ufrag);
    assert_non_null(pwd);
    assert_non_null(fp);
    struct okno_fingerprint f;
    assert_int_equal(okno_cert_fingerprint_parse(fp, &f), 0);
    assert_int_equal(okno_peer_set_remote(c->peer, ufrag, pwd, &f, role), 0);
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "a=candidate:"))
            okno_peer_add_remote_candidate(c->peer, *l + 2);
    }
    g_strfreev(lines);
}

char *sfuh_answer_offer(struct sfuh_client *c, const char *offer, bool (*drop)(const char *line))
{
    GString *s = g_string_new(NULL);
    char **lines = g_strsplit(offer, "\r\n", -1);
    for (char **l = lines; *l; l++) {
        if (!**l || g_str_has_prefix(*l, "a=ice-") || g_str_has_prefix(*l, "a=fingerprint:") ||
            g_str_has_prefix(*l, "a=setup:") || g_str_has_prefix(*l, "a=candidate:") ||
            g_str_has_prefix(*l, "a=end-of-candidates") || g_str_has_prefix(*l, "a=ssrc") ||
            g_str_has_prefix(*l, "a=msid:") || (drop && drop(*l)))
            continue;
        if (strcmp(*l, "a=sendonly") == 0) {
            g_string_append(s, "a=recvonly\r\n");
            continue;
        }
        g_string_append_printf(s, "%s\r\n", *l);
        if (g_str_has_prefix(*l, "a=mid:"))
            sfuh_append_transport(s, c, "active");
    }
    g_strfreev(lines);
    return g_string_free(s, FALSE);
}

void sfuh_subscribe(struct sfuh_client *c, int session, uint64_t req,
                    bool (*drop)(const char *line), uint32_t *ssrc, uint32_t *rtx_ssrc)
{
    assert_true(sfuh_run_until(sfuh_has_offer, GINT_TO_POINTER(session)));
    char *offer = g_strdup(sfuh.offer[session]);
    const char *g = strstr(offer, "a=ssrc-group:FID ");
    const char *l = strstr(offer, "a=ssrc:");
    unsigned a = 0, b = 0;
    if (g)
        assert_int_equal(sscanf(g, "a=ssrc-group:FID %u %u", &a, &b), 2);
    else if (l) /* no RTX */
        assert_int_equal(sscanf(l, "a=ssrc:%u", &a), 1);
    assert_true(a != 0 || (!ssrc && !rtx_ssrc));
    if (ssrc)
        *ssrc = a;
    if (rtx_ssrc)
        *rtx_ssrc = b;
    sfuh_take_remote(c, offer, OKNO_DTLS_CLIENT);
    char *answer = sfuh_answer_offer(c, offer, drop);
    okno_sfu_answer(sfuh.sfu, (uint64_t)session, req, OKNO_SFU_PC_SUBSCRIBER, answer);
    g_free(answer);
    g_free(offer);
}

GString *sfuh_video_offer_start(struct sfuh_client *c, const char *pts)
{
    GString *offer = g_string_new("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                  "a=group:BUNDLE 0\r\na=msid-semantic: WMS s\r\n");
    g_string_append_printf(offer, "m=video 9 UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\n", pts);
    sfuh_append_transport(offer, c, "actpass");
    g_string_append(offer, "a=mid:0\r\na=sendonly\r\na=msid:s t\r\na=rtcp-mux\r\n");
    return offer;
}

void sfuh_publish_vp8(struct sfuh_client *c, int session, uint32_t ssrc, uint32_t rtx_ssrc,
                      const char *extmap, const char *fb)
{
    GString *offer = g_string_new("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                  "a=group:BUNDLE 0\r\na=msid-semantic: WMS s\r\n"
                                  "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"
                                  "a=rtcp:9 IN IP4 0.0.0.0\r\n");
    sfuh_append_transport(offer, c, "actpass");
    g_string_append(offer, "a=mid:0\r\na=sendonly\r\na=msid:s t\r\na=rtcp-mux\r\na=rtcp-rsize\r\n");
    g_string_append(offer, extmap ? extmap : "");
    g_string_append(offer,
                    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n");
    g_string_append(offer, fb ? fb : "");
    g_string_append_printf(offer,
                           "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=ssrc-group:FID %u %u\r\n"
                           "a=ssrc:%u cname:c\r\na=ssrc:%u cname:c\r\n",
                           ssrc, rtx_ssrc, ssrc, rtx_ssrc);
    okno_sfu_publish(sfuh.sfu, (uint64_t)session, 2, offer->str);
    g_string_free(offer, TRUE);
    assert_true(sfuh_run_until(sfuh_has_answer, GINT_TO_POINTER(session)));
}

FILE *sfuh_log_capture(void)
{
    FILE *log = tmpfile();
    assert_non_null(log);
    okno_log_set_output(log);
    return log;
}

char *sfuh_log_text(FILE *log)
{
    fflush(log);
    long size = ftell(log);
    assert_true(size >= 0);
    char *text = g_malloc0((gsize)size + 1);
    rewind(log);
    assert_int_equal(fread(text, 1, (size_t)size, log), (size_t)size);
    okno_log_set_output(NULL);
    fclose(log);
    fputs(text, stderr);
    return text;
}

size_t sfuh_vp8_packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, bool key)
{
    struct okno_rtp_pkt h = {.pt = 96, .seq = seq, .ts = 9000u * seq, .ssrc = ssrc};
    int n = okno_rtp_write_header(buf, 64, &h);
    assert_int_equal(n, OKNO_RTP_HEADER_LEN);
    const uint8_t key_payload[] = {0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a,
                                   0x40, 0x01, 0xf0, 0x00, 0xaa, 0xbb, 0xcc};
    const uint8_t delta_payload[] = {0x10, 0x51, 0x02, 0x00, 0x11, 0x22, 0x33, 0x44};
    const uint8_t *p = key ? key_payload : delta_payload;
    size_t len = key ? sizeof key_payload : sizeof delta_payload;
    memcpy(buf + n, p, len);
    buf[n + len] = (uint8_t)seq;
    return (size_t)n + len + 1;
}

void sfuh_send_rtp(struct sfuh_client *c, const uint8_t *pkt, size_t len)
{
    _Alignas(8) uint8_t buf[512];
    assert_true(len <= sizeof buf - OKNO_SRTP_MAX_TRAILER);
    memcpy(buf, pkt, len);
    assert_int_equal(okno_peer_send_rtp(c->peer, buf, len, sizeof buf), 0);
}

void sfuh_send_rtcp(struct sfuh_client *c, const struct okno_rtcp_rr *rr, const uint8_t *fb,
                    int fb_len)
{
    _Alignas(8) uint8_t buf[512];
    struct okno_rtcp_rr empty = {.ssrc = 0x5555};
    int n = okno_rtcp_rr_build(rr ? rr : &empty, buf, sizeof buf);
    assert_true(n > 0);
    if (fb_len > 0) {
        assert_true((size_t)n + (size_t)fb_len <= sizeof buf - OKNO_SRTP_MAX_TRAILER);
        memcpy(buf + n, fb, (size_t)fb_len);
        n += fb_len;
    }
    assert_int_equal(okno_peer_send_rtcp(c->peer, buf, (size_t)n, sizeof buf), 0);
}

void sfuh_each_feedback(const uint8_t *pkt, size_t len,
                        void (*fn)(void *ud, const struct okno_rtcp_pkt *rp,
                                   const struct okno_rtcp_fb *fb),
                        void *ud)
{
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt rp;
    okno_rtcp_iter_init(&it, pkt, len);
    while (okno_rtcp_iter_next(&it, &rp) == 1) {
        struct okno_rtcp_fb fb;
        if ((rp.pt == OKNO_RTCP_RTPFB || rp.pt == OKNO_RTCP_PSFB) &&
            okno_rtcp_fb_parse(&rp, &fb) == 0)
            fn(ud, &rp, &fb);
    }
}

/* --- the recording estimator (called on the worker's thread) ---------------------------------- */

GMutex sfuh_est_lock;
struct sfuh_est_record sfuh_est;

static int est_create(void *state, const struct okno_bwe_transport *t, int64_t now_us, void **est)
{
    (void)state;
    (void)now_us;
    g_mutex_lock(&sfuh_est_lock);
    int i = sfuh_est.created++;
    if (i < SFUH_ESTS) {
        g_strlcpy(sfuh_est.participants[i], t->participant, sizeof sfuh_est.participants[i]);
        *est = &sfuh_est.est_remb[i];
    }
    g_mutex_unlock(&sfuh_est_lock);
    return i < SFUH_ESTS ? 0 : OKNO_E_NOMEM;
}

static void est_destroy(void *state, void *est)
{
    (void)state;
    (void)est;
    g_mutex_lock(&sfuh_est_lock);
    sfuh_est.destroyed++;
    g_mutex_unlock(&sfuh_est_lock);
}

static void est_sent(void *est, const struct okno_bwe_sent *p)
{
    (void)est;
    (void)p;
    g_mutex_lock(&sfuh_est_lock);
    sfuh_est.sent++;
    g_mutex_unlock(&sfuh_est_lock);
}

static void est_feedback(void *est, const struct okno_bwe_feedback *fb, int64_t now_us)
{
    (void)est;
    (void)now_us;
    g_mutex_lock(&sfuh_est_lock);
    sfuh_est.feedbacks++;
    for (size_t i = 0; i < fb->n && sfuh_est.n_entries < G_N_ELEMENTS(sfuh_est.entries); i++)
        sfuh_est.entries[sfuh_est.n_entries++] = fb->entries[i];
    g_mutex_unlock(&sfuh_est_lock);
}

static void est_remb(void *est, uint64_t bps, int64_t now_us)
{
    (void)now_us;
    g_mutex_lock(&sfuh_est_lock);
    sfuh_est.remb = bps;
    *(uint64_t *)est = bps;
    g_mutex_unlock(&sfuh_est_lock);
}

static void est_rtt(void *est, int64_t rtt_us, int64_t now_us)
{
    (void)est;
    (void)rtt_us;
    (void)now_us;
}

static void est_loss(void *est, uint8_t fraction, uint32_t packets, int64_t now_us)
{
    (void)est;
    (void)now_us;
    g_mutex_lock(&sfuh_est_lock);
    sfuh_est.fraction = fraction;
    sfuh_est.packets = packets;
    g_mutex_unlock(&sfuh_est_lock);
}

static void est_estimate(void *est, int64_t now_us, struct okno_bwe_estimate *out)
{
    (void)now_us;
    g_mutex_lock(&sfuh_est_lock);
    out->target_bps = (uint32_t) * (const uint64_t *)est;
    out->loss_ratio = sfuh_est.loss_ratio;
    out->queue_delay_us = sfuh_est.queue_delay_us;
    g_mutex_unlock(&sfuh_est_lock);
}

const struct okno_bwe_ops sfuh_est_ops = {
    .size = sizeof(struct okno_bwe_ops),
    .create = est_create,
    .destroy = est_destroy,
    .on_packet_sent = est_sent,
    .on_feedback = est_feedback,
    .on_remb = est_remb,
    .on_rtt = est_rtt,
    .on_loss_report = est_loss,
    .estimate = est_estimate,
};
