/* okno-bench session: wires signal_client, client_sdp and two client_peers into one participant.
 * It keeps the order a browser keeps (join, then the publisher offer, then local candidates; the
 * subscriber transport is made on the server's first offer) and turns every way of failing into
 * one on_failed call. The transports and their SDP are session_peers.c's. Not here: media and
 * reporting. */
#include "client/session.h"

#include <string.h>

#include "client/session_internal.h"
#include "okno/err.h"

void okno__bench_session_fail(struct okno_bench_session *s, int err, const char *fmt, ...)
{
    if (s->failed || s->closed)
        return;
    s->failed = true;
    va_list ap;
    va_start(ap, fmt);
    char *m = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (s->listener.on_failed)
        s->listener.on_failed(s->owner, err, m);
    g_free(m);
}

void okno__bench_session_drop_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

GSource *okno__bench_session_add_timeout(struct okno_bench_session *s, GSourceFunc fn)
{
    GSource *t = g_timeout_source_new(s->timeout_ms);
    g_source_set_callback(t, fn, s, NULL);
    g_source_attach(t, s->ctx);
    return t;
}

/* ---- signalling ---------------------------------------------------------------------------------
 */

static void on_event(void *owner, const char *type, json_t *msg)
{
    struct okno_bench_session *s = owner;
    if (!strcmp(type, "offer")) {
        const char *sdp = json_string_value(json_object_get(msg, "sdp"));
        if (sdp)
            okno__bench_session_on_sub_offer(s, sdp,
                                             s->jr ? json_object_get(msg, "streams") : NULL);
        else
            okno__bench_session_fail(s, OKNO_E_MALFORMED, "the server sent an offer without sdp");
    } else if (!strcmp(type, "candidate")) {
        const char *pc = json_string_value(json_object_get(msg, "pc"));
        json_t *c = json_object_get(msg, "candidate");
        const char *line =
            json_is_object(c) ? json_string_value(json_object_get(c, "candidate")) : NULL;
        struct okno_client_peer *cp = pc && !strcmp(pc, "subscriber") ? s->sub : s->pub;
        if (cp)
            (void)okno_client_peer_add_candidate(cp, line);
    } else if (!strcmp(type, "error")) {
        const char *code = json_string_value(json_object_get(msg, "code"));
        const char *m = json_string_value(json_object_get(msg, "message"));
        okno__bench_session_fail(s, OKNO_E_MALFORMED, "the server reports a protocol error: %s: %s",
                                 code ? code : "?", m ? m : "");
    } else if (s->listener.on_event) {
        s->listener.on_event(s->owner, type, msg);
    }
}

static void on_closed(void *owner, int err, const char *reason)
{
    okno__bench_session_fail(owner, err, "%s", reason);
}

static gboolean on_deadline(gpointer data)
{
    struct okno_bench_session *s = data;
    g_source_unref(s->deadline);
    s->deadline = NULL;
    okno__bench_session_fail(s, OKNO_E_TIMEOUT,
                             "the publisher transport did not connect within %u ms", s->timeout_ms);
    return G_SOURCE_REMOVE;
}

static void on_joined(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_bench_session *s = arg;
    if (err < 0) {
        okno__bench_session_fail(s, err, "join %s: %s", err == OKNO_E_DENIED ? "refused" : "failed",
                                 message);
        return;
    }
    const char *id = json_string_value(json_object_get(reply, "participant"));
    g_strlcpy(s->participant, id ? id : "bench", sizeof(s->participant));
    if (s->listener.on_joined)
        s->listener.on_joined(s->owner, s->participant, reply);
    /* A receive-only participant publishes nothing; it subscribes all the same. */
    if (s->closed || s->failed || (!s->audio && !s->video))
        return;
    s->deadline = okno__bench_session_add_timeout(s, on_deadline);
    int rc = okno__bench_session_publish(s);
    if (rc < 0)
        okno__bench_session_fail(s, rc, "cannot publish: %s", okno_strerror(rc));
}

static void on_open(void *arg, int err, json_t *reply, const char *message)
{
    (void)reply;
    struct okno_bench_session *s = arg;
    if (err < 0) {
        okno__bench_session_fail(s, err == OKNO_E_TIMEOUT ? OKNO_E_TIMEOUT : OKNO_E_IO,
                                 "cannot reach the server at %s: %s", s->server, message);
        return;
    }
    int rc = s->jr ? okno_janus_room_join(s->jr, s->name, on_joined, s)
                   : okno_signal_join(s->sc, s->room, s->role, s->name, s->token, on_joined, s);
    if (rc < 0)
        okno__bench_session_fail(s, rc, "cannot send join: %s", okno_strerror(rc));
}

/* ---- lifetime -----------------------------------------------------------------------------------
 */

static uint32_t nonzero_random(void)
{
    uint32_t v;
    do
        v = g_random_int();
    while (v == 0);
    return v;
}

static gboolean free_session(gpointer data)
{
    struct okno_bench_session *s = data;
    g_free(s->offer);
    g_free(s->server);
    g_free(s->room);
    g_free(s->role);
    g_free(s->name);
    g_free(s->token);
    g_free(s->address);
    g_free(s);
    return G_SOURCE_REMOVE;
}

int okno_bench_session_start(GMainContext *ctx, const struct okno_bench_session_config *cfg,
                             const struct okno_cert *cert,
                             const struct okno_bench_session_listener *listener, void *owner,
                             struct okno_bench_session **out)
{
    bool janus = cfg && cfg->target == OKNO_BENCH_TARGET_JANUS;
    if (!ctx || !cfg || !cert || !listener || !out || !cfg->server ||
        (!janus && (!cfg->room || !cfg->role)) || !cfg->name || cfg->timeout_ms == 0)
        return OKNO_E_INVAL;
    struct okno_bench_session *s = g_new0(struct okno_bench_session, 1);
    s->ctx = ctx;
    s->cert = cert;
    s->server = g_strdup(cfg->server);
    s->room = g_strdup(cfg->room);
    s->role = g_strdup(cfg->role);
    s->name = g_strdup(cfg->name);
    s->token = g_strdup(cfg->token);
    s->address = g_strdup(cfg->address);
    s->listener = *listener;
    s->owner = owner;
    s->filter = cfg->candidate_filter;
    s->filter_arg = cfg->filter_arg;
    s->timeout_ms = cfg->timeout_ms;
    s->audio = cfg->audio;
    s->video = cfg->video;
    s->simulcast = cfg->simulcast;
    s->audio_red = cfg->audio_red;
    s->audio_ssrc = cfg->audio ? nonzero_random() : 0;
    s->video_ssrc = cfg->video ? nonzero_random() : 0;
    s->rtx_ssrc = cfg->video ? nonzero_random() : 0;
    static const struct okno_signal_listener sl = {.on_event = on_event, .on_closed = on_closed};
    static const struct okno_janus_room_listener jl = {.on_event = on_event,
                                                       .on_closed = on_closed};
    int rc = janus ? okno_janus_room_connect(ctx, s->server, cfg->janus_room, s->timeout_ms, &jl, s,
                                             on_open, s, &s->jr)
                   : okno_signal_connect(ctx, s->server, s->timeout_ms, &sl, s, on_open, s, &s->sc);
    if (rc < 0) {
        free_session(s);
        return rc;
    }
    *out = s;
    return 0;
}

bool okno_bench_session_sends_red(const struct okno_bench_session *s)
{
    return s->red_send;
}

uint32_t okno_bench_session_video_start_kbps(const struct okno_bench_session *s)
{
    return s->video_start_kbps;
}

void okno_bench_session_set_rtp_unverified(struct okno_bench_session *s, bool on)
{
    s->rtp_unverified = on;
    if (s->sub)
        okno_client_peer_set_rtp_unverified(s->sub, on);
}

void okno_bench_session_ssrcs(const struct okno_bench_session *s, uint32_t *audio, uint32_t *video,
                              uint32_t *rtx)
{
    *audio = s->audio_ssrc;
    *video = s->video_ssrc;
    *rtx = s->rtx_ssrc;
}

int okno_bench_session_send_rtp(struct okno_bench_session *s, const uint8_t *pkt, size_t len)
{
    return s->pub ? okno_client_peer_send_rtp(s->pub, pkt, len) : OKNO_E_STATE;
}

int okno_bench_session_send_rtcp(struct okno_bench_session *s, const uint8_t *pkt, size_t len)
{
    return s->pub ? okno_client_peer_send_rtcp(s->pub, pkt, len) : OKNO_E_STATE;
}

int okno_bench_session_send_sub_rtcp(struct okno_bench_session *s, const uint8_t *pkt, size_t len)
{
    return s->sub ? okno_client_peer_send_rtcp(s->sub, pkt, len) : OKNO_E_STATE;
}

int okno_bench_session_set_sink(struct okno_bench_session *s, unsigned slot, okno_bench_rtp_sink fn,
                                void *arg)
{
    if (slot >= OKNO_SDP_MAX_MEDIA)
        return OKNO_E_RANGE;
    s->sinks[slot].fn = fn;
    s->sinks[slot].arg = arg;
    return 0;
}

const struct okno_client_sub_offer *
okno_bench_session_subscriptions(const struct okno_bench_session *s)
{
    static const struct okno_client_sub_offer none;
    return s->offer ? s->offer : &none;
}

int okno_bench_session_sub_rx_time(const struct okno_bench_session *s, int64_t *mono_us)
{
    return s->sub ? okno_client_peer_rx_time(s->sub, mono_us) : OKNO_E_STATE;
}

void okno_bench_session_stats(const struct okno_bench_session *s, struct okno_peer_stats *pub,
                              struct okno_peer_stats *sub)
{
    memset(pub, 0, sizeof(*pub));
    memset(sub, 0, sizeof(*sub));
    if (s->pub)
        okno_client_peer_stats(s->pub, pub);
    if (s->sub)
        okno_client_peer_stats(s->sub, sub);
}

struct closing {
    int left;
    void (*on_closed)(void *arg);
    void *arg;
};

static void transport_closed(void *arg)
{
    struct closing *c = arg;
    if (--c->left > 0)
        return;
    if (c->on_closed)
        c->on_closed(c->arg);
    g_free(c);
}

void okno_bench_session_close(struct okno_bench_session *s, void (*on_closed)(void *arg), void *arg)
{
    if (!s || s->closed)
        return;
    s->closed = true;
    okno__bench_session_drop_source(&s->deadline);
    okno__bench_session_drop_source(&s->sub_deadline);
    okno_signal_close(s->sc);
    okno_janus_room_close(s->jr);
    s->jr = NULL;
    struct closing *c = g_new0(struct closing, 1);
    c->on_closed = on_closed;
    c->arg = arg;
    c->left = 1; /* held until both closes are started, so neither can finish it early */
    if (s->pub) {
        c->left++;
        okno_client_peer_close(s->pub, transport_closed, c);
    }
    if (s->sub) {
        c->left++;
        okno_client_peer_close(s->sub, transport_closed, c);
    }
    s->pub = s->sub = NULL;
    s->sc = NULL;
    /* The owner may close from a callback of ours: the memory goes once the loop is back. */
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, free_session, s, NULL);
    g_source_attach(idle, s->ctx);
    g_source_unref(idle);
    transport_closed(c);
}
