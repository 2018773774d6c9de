/* okno-bench-probe: joins a room on a running okno as a native WebRTC client, publishes a synthetic
 * Opus stream (unless --receive-only; a real Opus packet of 20 ms of silence, encoded once with
 * libopus at start, sent at the real rate of 50 packets a second), receives every track the server
 * offers, and prints each second the packets and bytes received per remote track, then a total line
 * per track at the end (with first_ms, the first packet's arrival after the session's start).
 *
 * --target janus drives a Janus VideoRoom instead (--room is then its number; see bench/janus).
 *
 * Exit codes: 0 ran for --duration; 2 the server cannot be reached (or is not okno's WebSocket); 3
 * the join was refused; 4 a timeout (no reply, no transport); 1 anything else (bad arguments,
 * protocol error, transport failure). Deliberately not here: real video, congestion control, RTCP
 * reports; bench/media plugs in there. */
#include <glib.h>
#include <opus.h>
#include <stdio.h>
#include <string.h>

#include "client/session.h"
#include "core/log.h"
#include "okno/err.h"
#include "wire/red.h"
#include "wire/rtp.h"

enum { EXIT_ERROR = 1, EXIT_UNREACHABLE = 2, EXIT_REFUSED = 3, EXIT_TIMEOUT = 4 };

#define FRAME_US 20000 /* one Opus packet every 20 ms */
#define OPUS_MAX 256

struct counter {
    uint64_t packets, bytes; /* this second */
    uint64_t total_packets, total_bytes;
    int64_t first_us; /* arrival of the first packet (0: none yet) */
    char track[OKNO_CLIENT_ID_LEN], participant[OKNO_CLIENT_ID_LEN];
    bool video;
};

struct probe {
    /* options */
    char *server, *room, *name, *role, *token, *address, *target;
    enum okno_bench_target target_kind;
    guint64 janus_room;
    int duration_s, timeout_ms;
    gboolean receive_only, debug, audio_red;
    /* owned */
    GMainLoop *loop;
    struct okno_cert *cert;
    struct okno_bench_session *session;
    GSource *send_timer, *tick_timer;
    /* state */
    int exit_code;
    int seconds;
    uint8_t opus[OPUS_MAX];
    int opus_len;
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    int64_t send_start_us, sent;
    int64_t start_us; /* the session's start */
    struct counter counters[OKNO_SDP_MAX_MEDIA];
};

static GSource *add_timer(struct probe *p, guint ms, GSourceFunc fn)
{
    GSource *t = g_timeout_source_new(ms);
    g_source_set_callback(t, fn, p, NULL);
    g_source_attach(t, g_main_loop_get_context(p->loop));
    return t;
}

static void drop_timer(GSource **t)
{
    if (*t) {
        g_source_destroy(*t);
        g_source_unref(*t);
        *t = NULL;
    }
}

static void finish(struct probe *p, int code)
{
    if (!g_main_loop_is_running(p->loop))
        return;
    p->exit_code = code;
    g_main_loop_quit(p->loop);
}

/* ---- publishing ---------------------------------------------------------------------------------
 */

static int make_silence(struct probe *p)
{
    int err;
    OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    if (!enc)
        return OKNO_E_IO;
    opus_int16 pcm[960] = {0};
    p->opus_len = opus_encode(enc, pcm, 960, p->opus, sizeof(p->opus));
    opus_encoder_destroy(enc);
    return p->opus_len > 0 ? 0 : OKNO_E_IO;
}

static void send_one(struct probe *p)
{
    /* The mid extension (one-byte form, id 1, "0") names the section as browsers do. */
    static const uint8_t ext[4] = {(OKNO_CLIENT_EXT_MID << 4) | 0, '0', 0, 0};
    /* RED (when the server's answer kept it): the same silence once more as the redundant block,
     * 20 ms back, as Chromium would repeat the previous packet. */
    bool red = okno_bench_session_sends_red(p->session);
    struct okno_rtp_pkt h = {.pt = red ? OKNO_CLIENT_PT_RED : OKNO_CLIENT_PT_OPUS,
                             .seq = p->seq++,
                             .ts = p->ts,
                             .ssrc = p->ssrc,
                             .extension = true,
                             .ext_profile = 0xBEDE,
                             .ext = ext,
                             .ext_len = sizeof(ext)};
    uint8_t pkt[12 + 4 + sizeof(ext) + OKNO_RED_HEADER_LEN + 1 + (size_t)2 * OPUS_MAX];
    p->ts += 960;
    int n = okno_rtp_write_header(pkt, sizeof(pkt), &h);
    if (n < 0)
        return;
    const struct okno_red_block block = {
        .pt = OKNO_CLIENT_PT_OPUS, .ts_offset = 960, .data = p->opus, .len = (size_t)p->opus_len};
    const struct okno_red_block primary = {
        .pt = OKNO_CLIENT_PT_OPUS, .data = p->opus, .len = (size_t)p->opus_len};
    int len = red ? okno_red_build(pkt + n, sizeof(pkt) - (size_t)n, &block, p->sent > 0, &primary)
                  : p->opus_len;
    if (len < 0)
        return;
    if (!red)
        memcpy(pkt + n, p->opus, (size_t)p->opus_len);
    (void)okno_bench_session_send_rtp(p->session, pkt, (size_t)n + (size_t)len);
}

/* Sends every packet due since the start, so timer slack does not lower the rate. */
static gboolean on_send(gpointer data)
{
    struct probe *p = data;
    int64_t due = (g_get_monotonic_time() - p->send_start_us) / FRAME_US + 1;
    while (p->sent < due) {
        send_one(p);
        p->sent++;
    }
    return G_SOURCE_CONTINUE;
}

/* ---- session events -----------------------------------------------------------------------------
 */

static void on_joined(void *owner, const char *participant, json_t *joined)
{
    (void)joined;
    struct probe *p = owner;
    printf("joined room %s as %s\n", p->room, participant);
    fflush(stdout);
}

static void on_publishing(void *owner)
{
    struct probe *p = owner;
    fprintf(stderr, "okno-bench-probe: publisher connected, sending Opus (%d bytes a packet)\n",
            p->opus_len);
    uint32_t video, rtx;
    okno_bench_session_ssrcs(p->session, &p->ssrc, &video, &rtx);
    p->seq = (uint16_t)g_random_int();
    p->ts = g_random_int();
    p->send_start_us = g_get_monotonic_time();
    if (!p->send_timer)
        p->send_timer = add_timer(p, FRAME_US / 2000, on_send);
}

static void count_rtp(void *arg, const struct okno_client_sub_track *track, uint8_t *pkt,
                      size_t len, int64_t now_us)
{
    (void)track;
    (void)pkt;
    (void)now_us;
    struct counter *c = arg;
    if (!c->first_us)
        c->first_us = g_get_monotonic_time();
    c->packets++;
    c->bytes += len;
}

static void on_track(void *owner, unsigned slot, const struct okno_client_sub_track *track)
{
    struct probe *p = owner;
    struct counter *c = &p->counters[slot];
    memset(c, 0, sizeof(*c));
    g_strlcpy(c->track, track->track, sizeof(c->track));
    g_strlcpy(c->participant, track->participant, sizeof(c->participant));
    c->video = track->video;
    okno_bench_session_set_sink(p->session, slot, count_rtp, c);
}

static void on_event(void *owner, const char *type, json_t *msg)
{
    (void)owner;
    (void)type;
    char *text = json_dumps(msg, JSON_COMPACT);
    printf("event %s\n", text ? text : type);
    free(text);
}

static void on_failed(void *owner, int err, const char *message)
{
    struct probe *p = owner;
    fprintf(stderr, "okno-bench-probe: %s\n", message);
    finish(p, err == OKNO_E_IO        ? EXIT_UNREACHABLE
              : err == OKNO_E_DENIED  ? EXIT_REFUSED
              : err == OKNO_E_TIMEOUT ? EXIT_TIMEOUT
                                      : EXIT_ERROR);
}

/* ---- reporting ----------------------------------------------------------------------------------
 */

static gboolean on_tick(gpointer data)
{
    struct probe *p = data;
    p->seconds++;
    const struct okno_client_sub_offer *subs = okno_bench_session_subscriptions(p->session);
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++) {
        struct counter *c = &p->counters[i];
        if (!c->track[0] || i >= subs->n_tracks || !subs->tracks[i].active)
            continue;
        printf("t=%d track=%s from=%s kind=%s packets=%" G_GUINT64_FORMAT
               " bytes=%" G_GUINT64_FORMAT "\n",
               p->seconds, c->track, c->participant, c->video ? "video" : "audio", c->packets,
               c->bytes);
        c->total_packets += c->packets;
        c->total_bytes += c->bytes;
        c->packets = c->bytes = 0;
    }
    fflush(stdout);
    if (p->duration_s > 0 && p->seconds >= p->duration_s)
        finish(p, 0);
    return G_SOURCE_CONTINUE;
}

static void print_totals(const struct probe *p)
{
    for (unsigned i = 0; i < OKNO_SDP_MAX_MEDIA; i++) {
        const struct counter *c = &p->counters[i];
        if (c->track[0])
            printf("total track=%s from=%s kind=%s packets=%" G_GUINT64_FORMAT
                   " bytes=%" G_GUINT64_FORMAT " seconds=%d first_ms=%" G_GINT64_FORMAT "\n",
                   c->track, c->participant, c->video ? "video" : "audio", c->total_packets,
                   c->total_bytes, p->seconds,
                   c->first_us ? (c->first_us - p->start_us) / 1000 : (gint64)-1);
    }
    struct okno_peer_stats pub, sub;
    okno_bench_session_stats(p->session, &pub, &sub);
    printf("sent packets=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT "\n", pub.tx_rtp,
           pub.tx_bytes);
    fflush(stdout);
}

static void on_session_closed(void *arg)
{
    *(bool *)arg = true;
}

/* Keeps the closing iterations from blocking for good on a transport that never reports. */
static gboolean on_wake(gpointer data)
{
    (void)data;
    return G_SOURCE_CONTINUE;
}

static int parse_args(struct probe *p, int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_STRING, &p->target, "okno (default) or janus", "okno|janus"},
        {"server", 's', 0, G_OPTION_ARG_STRING, &p->server,
         "okno WebSocket URL, or Janus's (ws://127.0.0.2:8188/)", "ws://H:P/ws"},
        {"room", 'r', 0, G_OPTION_ARG_STRING, &p->room,
         "room to join (Janus: the VideoRoom number, default 1234)", "ROOM"},
        {"name", 'n', 0, G_OPTION_ARG_STRING, &p->name, "display name", "NAME"},
        {"role", 0, 0, G_OPTION_ARG_STRING, &p->role, "role (default kiosk)", "ROLE"},
        {"token", 0, 0, G_OPTION_ARG_STRING, &p->token, "join token", "TOKEN"},
        {"address", 0, 0, G_OPTION_ARG_STRING, &p->address, "local host candidate address", "IP"},
        {"debug", 0, 0, G_OPTION_ARG_NONE, &p->debug,
         "log ICE, DTLS and transport events to stderr", NULL},
        {"receive-only", 0, 0, G_OPTION_ARG_NONE, &p->receive_only, "publish nothing, only receive",
         NULL},
        {"duration", 'd', 0, G_OPTION_ARG_INT, &p->duration_s, "seconds to run (0: forever)", "S"},
        {"audio-red", 0, 0, G_OPTION_ARG_NONE, &p->audio_red,
         "offer RFC 2198 RED before Opus (sent when the server keeps it) and take it when offered",
         NULL},
        {"timeout", 't', 0, G_OPTION_ARG_INT, &p->timeout_ms, "connect/request timeout", "MS"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *oc = g_option_context_new("- okno-bench probe client");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *error = NULL;
    bool ok = g_option_context_parse(oc, &argc, &argv, &error);
    g_option_context_free(oc);
    if (!ok) {
        fprintf(stderr, "okno-bench-probe: %s\n", error->message);
        g_error_free(error);
        return -1;
    }
    if (!p->target || !strcmp(p->target, "okno")) {
        p->target_kind = OKNO_BENCH_TARGET_OKNO;
    } else if (!strcmp(p->target, "janus")) {
        p->target_kind = OKNO_BENCH_TARGET_JANUS;
        if (!p->room)
            p->room = g_strdup("1234");
        char *end = NULL;
        p->janus_room = g_ascii_strtoull(p->room, &end, 10);
        if (!*p->room || *end || p->janus_room == 0) {
            fprintf(stderr, "okno-bench-probe: a Janus room is a number, not '%s'\n", p->room);
            return -1;
        }
    } else {
        fprintf(stderr, "okno-bench-probe: --target is okno or janus, not '%s'\n", p->target);
        return -1;
    }
    if (!p->server || !p->room || !p->name) {
        fprintf(stderr, "okno-bench-probe: --server, --room and --name are required\n");
        return -1;
    }
    if (!p->role)
        p->role = g_strdup("kiosk");
    if (p->timeout_ms <= 0)
        p->timeout_ms = 10000;
    return 0;
}

int main(int argc, char **argv)
{
    struct probe p = {.duration_s = 10};
    if (parse_args(&p, argc, argv) < 0)
        return EXIT_ERROR;
    if (p.debug)
        okno_log_set_level(OKNO_LOG_DEBUG);
    if (make_silence(&p) < 0 || okno_cert_generate("okno-bench", &p.cert) < 0) {
        fprintf(stderr, "okno-bench-probe: cannot set up Opus or the DTLS certificate\n");
        return EXIT_ERROR;
    }
    GMainContext *ctx = g_main_context_new();
    /* libsoup keeps attaching sources to the thread-default context after the connect call. */
    g_main_context_push_thread_default(ctx);
    p.loop = g_main_loop_new(ctx, FALSE);
    static const struct okno_bench_session_listener listener = {.on_joined = on_joined,
                                                                .on_publishing = on_publishing,
                                                                .on_track = on_track,
                                                                .on_event = on_event,
                                                                .on_failed = on_failed};
    struct okno_bench_session_config cfg = {.target = p.target_kind,
                                            .janus_room = p.janus_room,
                                            .server = p.server,
                                            .room = p.room,
                                            .role = p.role,
                                            .name = p.name,
                                            .token = p.token,
                                            .address = p.address,
                                            .timeout_ms = (unsigned)p.timeout_ms,
                                            .audio = !p.receive_only,
                                            .audio_red = p.audio_red};
    p.start_us = g_get_monotonic_time();
    int rc = okno_bench_session_start(ctx, &cfg, p.cert, &listener, &p, &p.session);
    bool closed = false;
    if (rc < 0) {
        fprintf(stderr, "okno-bench-probe: cannot start: %s (bad server URL %s?)\n",
                okno_strerror(rc), p.server);
        p.exit_code = EXIT_ERROR;
        closed = true;
    } else {
        p.tick_timer = add_timer(&p, 1000, on_tick);
        g_main_loop_run(p.loop);
        print_totals(&p);
        drop_timer(&p.send_timer);
        drop_timer(&p.tick_timer);
        okno_bench_session_close(p.session, on_session_closed, &closed);
    }
    /* Let the transports and the socket finish closing (bounded: 2 s). */
    gint64 until = g_get_monotonic_time() + (gint64)2 * G_USEC_PER_SEC;
    GSource *wake = add_timer(&p, 50, on_wake);
    while ((!closed || g_main_context_pending(ctx)) && g_get_monotonic_time() < until)
        g_main_context_iteration(ctx, !closed);
    drop_timer(&wake);
    g_main_loop_unref(p.loop);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    okno_cert_free(p.cert);
    g_free(p.server);
    g_free(p.room);
    g_free(p.name);
    g_free(p.role);
    g_free(p.token);
    g_free(p.address);
    g_free(p.target);
    return p.exit_code;
}
