/* okno-bench-probe: joins a room on a running okno as a native WebRTC client, publishes a synthetic
 * Opus stream (a real Opus packet of 20 ms of silence, encoded once with libopus at start, sent at
 * the real rate of 50 packets a second), receives every track the server offers, and prints each
 * second the packets and bytes received per remote track, then a total line per track at the end.
 *
 * Exit codes: 0 ran for --duration; 2 the server cannot be reached (or is not okno's WebSocket); 3
 * the join was refused; 4 a timeout (no reply, no transport); 1 anything else (bad arguments,
 * protocol error, transport failure). Deliberately not here: real video, congestion control, RTCP
 * reports; bench/media plugs in there. */
#include <glib.h>
#include <opus.h>
#include <stdio.h>
#include <string.h>

#include "client/client_peer.h"
#include "client/client_sdp.h"
#include "client/signal_client.h"
#include "net/cert.h"
#include "okno/err.h"
#include "wire/bytes.h"
#include "wire/rtp.h"

enum { EXIT_ERROR = 1, EXIT_UNREACHABLE = 2, EXIT_REFUSED = 3, EXIT_TIMEOUT = 4 };

#define FRAME_US   20000 /* one Opus packet every 20 ms */
#define OPUS_MAX   256
#define MAX_TRACKS OKNO_SDP_MAX_MEDIA

struct counter {
    uint64_t packets, bytes; /* this second */
    uint64_t total_packets, total_bytes;
};

struct probe {
    /* options */
    char *server, *room, *name, *role, *token, *address;
    int duration_s, timeout_ms;
    /* owned */
    GMainLoop *loop;
    struct okno_cert *cert;
    struct okno_signal_client *sc;
    struct okno_client_peer *pub, *sub;
    GSource *send_timer, *tick_timer, *deadline;
    /* state */
    int exit_code;
    int seconds;
    char participant[OKNO_CLIENT_ID_LEN];
    uint8_t opus[OPUS_MAX];
    int opus_len;
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    int64_t send_start_us, sent;
    struct okno_client_sub_offer offer;
    struct counter counters[MAX_TRACKS];
    uint64_t unknown_ssrc;
};

static void finish(struct probe *p, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void finish(struct probe *p, int code, const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs("okno-bench-probe: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    if (!g_main_loop_is_running(p->loop))
        return;
    p->exit_code = code;
    g_main_loop_quit(p->loop);
}

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
    struct okno_rtp_pkt h = {.pt = OKNO_CLIENT_PT_OPUS,
                             .seq = p->seq++,
                             .ts = p->ts,
                             .ssrc = p->ssrc,
                             .extension = true,
                             .ext_profile = 0xBEDE,
                             .ext = ext,
                             .ext_len = sizeof(ext)};
    uint8_t pkt[12 + 4 + sizeof(ext) + OPUS_MAX];
    p->ts += 960;
    int n = okno_rtp_write_header(pkt, sizeof(pkt), &h);
    if (n < 0)
        return;
    memcpy(pkt + n, p->opus, (size_t)p->opus_len);
    (void)okno_client_peer_send_rtp(p->pub, pkt, (size_t)n + (size_t)p->opus_len);
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

static void pub_on_candidate(void *owner, const char *candidate)
{
    struct probe *p = owner;
    okno_signal_candidate(p->sc, "publisher", candidate);
}

static void pub_on_candidates_done(void *owner)
{
    struct probe *p = owner;
    okno_signal_candidate(p->sc, "publisher", NULL);
}

static void pub_on_connected(void *owner)
{
    struct probe *p = owner;
    fprintf(stderr, "okno-bench-probe: publisher connected, sending Opus (%d bytes a packet)\n",
            p->opus_len);
    if (!p->send_timer) {
        p->send_start_us = g_get_monotonic_time();
        p->send_timer = add_timer(p, FRAME_US / 2000, on_send);
    }
}

static void on_peer_failed(void *owner, int err, const char *reason)
{
    finish(owner, EXIT_ERROR, "transport failed: %s (%s)", reason, okno_strerror(err));
}

static void on_published(void *arg, int err, json_t *reply, const char *message)
{
    struct probe *p = arg;
    if (err < 0) {
        finish(p, err == OKNO_E_TIMEOUT ? EXIT_TIMEOUT : EXIT_ERROR, "publish failed: %s", message);
        return;
    }
    const char *sdp = json_string_value(json_object_get(reply, "sdp"));
    struct okno_client_answer answer;
    int rc = sdp ? okno_client_sdp_parse_answer(sdp, strlen(sdp), &answer) : OKNO_E_MALFORMED;
    if (rc == 0)
        rc = okno_client_peer_apply_remote(p->pub, &answer.remote);
    if (rc < 0)
        finish(p, EXIT_ERROR, "the server's answer is not usable: %s", okno_strerror(rc));
}

static int publish(struct probe *p)
{
    static const struct okno_peer_listener listener = {
        .on_local_candidate = pub_on_candidate,
        .on_local_candidates_done = pub_on_candidates_done,
        .on_connected = pub_on_connected,
        .on_failed = on_peer_failed,
    };
    int rc = okno_client_peer_create(g_main_loop_get_context(p->loop), p->cert, p->address,
                                     &listener, p, &p->pub);
    if (rc < 0)
        return rc;
    p->ssrc = g_random_int();
    p->seq = (uint16_t)g_random_int();
    p->ts = g_random_int();
    struct okno_client_offer o = {.audio = true,
                                  .audio_ssrc = p->ssrc,
                                  .ufrag = okno_client_peer_ufrag(p->pub),
                                  .pwd = okno_client_peer_pwd(p->pub),
                                  .fingerprint = okno_cert_fingerprint_sdp(p->cert),
                                  .cname = p->name,
                                  .stream = p->participant};
    GString *sdp = g_string_new(NULL);
    rc = okno_client_sdp_offer(&o, sdp);
    if (rc == 0)
        rc = okno_signal_publish(p->sc, sdp->str, on_published, p);
    g_string_free(sdp, TRUE);
    return rc < 0 ? rc : okno_client_peer_gather(p->pub);
}

/* ---- subscribing --------------------------------------------------------------------------------
 */

static void sub_on_candidate(void *owner, const char *candidate)
{
    okno_signal_candidate(((struct probe *)owner)->sc, "subscriber", candidate);
}

static void sub_on_candidates_done(void *owner)
{
    okno_signal_candidate(((struct probe *)owner)->sc, "subscriber", NULL);
}

static void sub_on_connected(void *owner)
{
    (void)owner;
    fprintf(stderr, "okno-bench-probe: subscriber connected\n");
}

static void sub_on_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    (void)now_us;
    struct probe *p = owner;
    if (len < 12)
        return;
    uint32_t ssrc = okno_rd32(pkt + 8);
    for (unsigned i = 0; i < p->offer.n_tracks; i++) {
        const struct okno_client_sub_track *t = &p->offer.tracks[i];
        if (t->active && (t->ssrc == ssrc || (t->rtx_ssrc && t->rtx_ssrc == ssrc))) {
            p->counters[i].packets++;
            p->counters[i].bytes += len;
            return;
        }
    }
    p->unknown_ssrc++;
}

static void on_answered(void *arg, int err, json_t *reply, const char *message)
{
    (void)reply;
    if (err < 0)
        finish(arg, err == OKNO_E_TIMEOUT ? EXIT_TIMEOUT : EXIT_ERROR,
               "the server refused our subscriber answer: %s", message);
}

static void on_sub_offer(struct probe *p, const char *sdp)
{
    static const struct okno_peer_listener listener = {
        .on_local_candidate = sub_on_candidate,
        .on_local_candidates_done = sub_on_candidates_done,
        .on_connected = sub_on_connected,
        .on_failed = on_peer_failed,
        .on_rtp = sub_on_rtp,
    };
    struct okno_client_sub_offer *o = g_new(struct okno_client_sub_offer, 1);
    int rc = okno_client_sdp_parse_sub_offer(sdp, strlen(sdp), o);
    bool fresh = !p->sub;
    if (rc == 0 && fresh)
        rc = okno_client_peer_create(g_main_loop_get_context(p->loop), p->cert, p->address,
                                     &listener, p, &p->sub);
    if (rc == 0 && fresh)
        rc = okno_client_peer_apply_remote(p->sub, &o->remote);
    if (rc < 0) {
        g_free(o);
        finish(p, EXIT_ERROR, "cannot take the server's subscriber offer: %s", okno_strerror(rc));
        return;
    }
    /* A renegotiation keeps m= positions, so counters stay with their slot; a slot whose track
     * ended (inactive, no msid any more) keeps its names for the totals. */
    for (unsigned i = 0; i < o->n_tracks; i++) {
        struct okno_client_sub_track *t = &o->tracks[i];
        if (i < p->offer.n_tracks && !t->track[0]) {
            memcpy(t->track, p->offer.tracks[i].track, sizeof(t->track));
            memcpy(t->participant, p->offer.tracks[i].participant, sizeof(t->participant));
        } else if (i >= p->offer.n_tracks || strcmp(t->track, p->offer.tracks[i].track) != 0) {
            memset(&p->counters[i], 0, sizeof(p->counters[i]));
        }
    }
    p->offer = *o;
    g_free(o);
    GString *answer = g_string_new(NULL);
    rc = okno_client_sdp_sub_answer(&p->offer, okno_client_peer_ufrag(p->sub),
                                    okno_client_peer_pwd(p->sub),
                                    okno_cert_fingerprint_sdp(p->cert), answer);
    if (rc == 0)
        rc = okno_signal_answer(p->sc, answer->str, on_answered, p);
    g_string_free(answer, TRUE);
    if (rc == 0 && fresh)
        rc = okno_client_peer_gather(p->sub);
    if (rc < 0)
        finish(p, EXIT_ERROR, "cannot answer the subscriber offer: %s", okno_strerror(rc));
}

/* ---- signalling ---------------------------------------------------------------------------------
 */

static void on_event(void *owner, const char *type, json_t *msg)
{
    struct probe *p = owner;
    if (!strcmp(type, "offer")) {
        const char *sdp = json_string_value(json_object_get(msg, "sdp"));
        if (sdp)
            on_sub_offer(p, sdp);
    } else if (!strcmp(type, "candidate")) {
        const char *pc = json_string_value(json_object_get(msg, "pc"));
        json_t *c = json_object_get(msg, "candidate");
        const char *line =
            json_is_object(c) ? json_string_value(json_object_get(c, "candidate")) : NULL;
        struct okno_client_peer *cp = pc && !strcmp(pc, "subscriber") ? p->sub : p->pub;
        if (cp)
            (void)okno_client_peer_add_candidate(cp, line);
    } else if (!strcmp(type, "error")) {
        const char *code = json_string_value(json_object_get(msg, "code"));
        const char *m = json_string_value(json_object_get(msg, "message"));
        finish(p, EXIT_ERROR, "the server reports a protocol error: %s: %s", code ? code : "?",
               m ? m : "");
    } else if (!strcmp(type, "participant_joined") || !strcmp(type, "participant_left") ||
               !strcmp(type, "track_published") || !strcmp(type, "track_unpublished")) {
        char *text = json_dumps(msg, JSON_COMPACT);
        printf("event %s\n", text ? text : type);
        free(text);
    }
}

static void on_closed(void *owner, int err, const char *reason)
{
    (void)err;
    finish(owner, EXIT_ERROR, "%s", reason);
}

static void on_joined(void *arg, int err, json_t *reply, const char *message)
{
    struct probe *p = arg;
    if (err == OKNO_E_DENIED) {
        finish(p, EXIT_REFUSED, "join refused: %s", message);
        return;
    }
    if (err < 0) {
        finish(p, err == OKNO_E_TIMEOUT ? EXIT_TIMEOUT : EXIT_ERROR, "join failed: %s", message);
        return;
    }
    const char *id = json_string_value(json_object_get(reply, "participant"));
    g_strlcpy(p->participant, id ? id : "probe", sizeof(p->participant));
    printf("joined room %s as %s\n", p->room, p->participant);
    fflush(stdout);
    int rc = publish(p);
    if (rc < 0)
        finish(p, EXIT_ERROR, "cannot publish: %s", okno_strerror(rc));
}

static void on_open(void *arg, int err, json_t *reply, const char *message)
{
    (void)reply;
    struct probe *p = arg;
    if (err < 0) {
        finish(p, err == OKNO_E_TIMEOUT ? EXIT_TIMEOUT : EXIT_UNREACHABLE,
               "cannot reach the server at %s: %s", p->server, message);
        return;
    }
    int rc = okno_signal_join(p->sc, p->room, p->role, p->name, p->token, on_joined, p);
    if (rc < 0)
        finish(p, EXIT_ERROR, "cannot send join: %s", okno_strerror(rc));
}

/* ---- reporting ----------------------------------------------------------------------------------
 */

static gboolean on_tick(gpointer data)
{
    struct probe *p = data;
    p->seconds++;
    for (unsigned i = 0; i < p->offer.n_tracks; i++) {
        const struct okno_client_sub_track *t = &p->offer.tracks[i];
        struct counter *c = &p->counters[i];
        if (!t->active)
            continue;
        printf("t=%d track=%s from=%s kind=%s packets=%" G_GUINT64_FORMAT
               " bytes=%" G_GUINT64_FORMAT "\n",
               p->seconds, t->track, t->participant, t->video ? "video" : "audio", c->packets,
               c->bytes);
        c->total_packets += c->packets;
        c->total_bytes += c->bytes;
        c->packets = c->bytes = 0;
    }
    fflush(stdout);
    if (p->duration_s > 0 && p->seconds >= p->duration_s)
        finish(p, 0, NULL);
    return G_SOURCE_CONTINUE;
}

/* Nothing connected in time: a server that answers but never carries media is a timeout too. */
static gboolean on_deadline(gpointer data)
{
    struct probe *p = data;
    g_source_unref(p->deadline);
    p->deadline = NULL;
    if (!p->pub || !okno_client_peer_connected(p->pub))
        finish(p, EXIT_TIMEOUT, "the publisher transport did not connect in %d ms", p->timeout_ms);
    return G_SOURCE_REMOVE;
}

static void print_totals(const struct probe *p)
{
    for (unsigned i = 0; i < p->offer.n_tracks; i++) {
        const struct okno_client_sub_track *t = &p->offer.tracks[i];
        const struct counter *c = &p->counters[i];
        if (t->track[0] || c->total_packets)
            printf("total track=%s from=%s kind=%s packets=%" G_GUINT64_FORMAT
                   " bytes=%" G_GUINT64_FORMAT " seconds=%d\n",
                   t->track, t->participant, t->video ? "video" : "audio", c->total_packets,
                   c->total_bytes, p->seconds);
    }
    if (p->pub) {
        struct okno_peer_stats s;
        okno_client_peer_stats(p->pub, &s);
        printf("sent packets=%" G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT "\n", s.tx_rtp,
               s.tx_bytes);
    }
    fflush(stdout);
}

static void on_transport_closed(void *arg)
{
    int *left = arg;
    (*left)--;
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
        {"server", 's', 0, G_OPTION_ARG_STRING, &p->server, "okno WebSocket URL", "ws://H:P/ws"},
        {"room", 'r', 0, G_OPTION_ARG_STRING, &p->room, "room to join", "ROOM"},
        {"name", 'n', 0, G_OPTION_ARG_STRING, &p->name, "display name", "NAME"},
        {"role", 0, 0, G_OPTION_ARG_STRING, &p->role, "role (default kiosk)", "ROLE"},
        {"token", 0, 0, G_OPTION_ARG_STRING, &p->token, "join token", "TOKEN"},
        {"address", 0, 0, G_OPTION_ARG_STRING, &p->address, "local host candidate address", "IP"},
        {"duration", 'd', 0, G_OPTION_ARG_INT, &p->duration_s, "seconds to run (0: forever)", "S"},
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
    if (make_silence(&p) < 0 || okno_cert_generate("okno-bench", &p.cert) < 0) {
        fprintf(stderr, "okno-bench-probe: cannot set up Opus or the DTLS certificate\n");
        return EXIT_ERROR;
    }
    GMainContext *ctx = g_main_context_new();
    /* libsoup keeps attaching sources to the thread-default context after the connect call. */
    g_main_context_push_thread_default(ctx);
    p.loop = g_main_loop_new(ctx, FALSE);
    static const struct okno_signal_listener listener = {.on_event = on_event,
                                                         .on_closed = on_closed};
    int rc =
        okno_signal_connect(ctx, p.server, (guint)p.timeout_ms, &listener, &p, on_open, &p, &p.sc);
    if (rc < 0) {
        fprintf(stderr, "okno-bench-probe: bad server URL %s\n", p.server);
        p.exit_code = EXIT_ERROR;
    } else {
        p.tick_timer = add_timer(&p, 1000, on_tick);
        p.deadline = add_timer(&p, (guint)p.timeout_ms * 2, on_deadline);
        g_main_loop_run(p.loop);
        print_totals(&p);
    }
    drop_timer(&p.send_timer);
    drop_timer(&p.tick_timer);
    drop_timer(&p.deadline);
    int left = 0;
    if (p.pub) {
        left++;
        okno_client_peer_close(p.pub, on_transport_closed, &left);
    }
    if (p.sub) {
        left++;
        okno_client_peer_close(p.sub, on_transport_closed, &left);
    }
    okno_signal_close(p.sc);
    /* Let the transports and the socket finish closing (bounded: 2 s). */
    gint64 until = g_get_monotonic_time() + (gint64)2 * G_USEC_PER_SEC;
    GSource *wake = add_timer(&p, 50, on_wake);
    while ((left > 0 || g_main_context_pending(ctx)) && g_get_monotonic_time() < until)
        g_main_context_iteration(ctx, left > 0);
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
    return p.exit_code;
}
