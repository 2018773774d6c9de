/* okno-bench session: wires signal_client, client_sdp and two client_peers into one participant.
 * It keeps the order a browser keeps (join, then the publisher offer, then local candidates; the
 * subscriber transport is made on the server's first offer) and turns every way of failing into
 * one on_failed call. Not here: media and reporting. */
#include "client/session.h"

#include <string.h>

#include "client/client_peer.h"
#include "client/janus_room.h"
#include "client/signal_client.h"
#include "okno/err.h"
#include "wire/bytes.h"

struct sink {
    okno_bench_rtp_sink fn;
    void *arg;
};

struct okno_bench_session {
    /* borrowed */
    GMainContext *ctx;
    const struct okno_cert *cert;
    /* owned */
    char *server, *room, *role, *name, *token, *address;
    struct okno_signal_client *sc; /* target okno */
    struct okno_janus_room *jr;    /* target Janus (sc is NULL then) */
    struct okno_client_peer *pub, *sub;
    bool rtp_unverified;                 /* okno_bench_session_set_rtp_unverified */
    GSource *deadline, *sub_deadline;    /* until each transport connects */
    struct okno_client_sub_offer *offer; /* the latest subscriber offer */
    /* other */
    struct okno_bench_session_listener listener;
    void *owner;
    okno_client_candidate_filter filter;
    void *filter_arg;
    unsigned timeout_ms;
    bool audio, video, simulcast;
    bool audio_red; /* offer RED and take it in subscriber offers */
    bool red_send;  /* the server's answer kept RED first: audio goes as RED */
    bool failed, closed;
    uint32_t audio_ssrc, video_ssrc, rtx_ssrc;
    char participant[OKNO_CLIENT_ID_LEN];
    struct sink sinks[OKNO_SDP_MAX_MEDIA];
};

static void fail(struct okno_bench_session *s, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void fail(struct okno_bench_session *s, int err, const char *fmt, ...)
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

static void drop_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

static GSource *add_timeout(struct okno_bench_session *s, GSourceFunc fn)
{
    GSource *t = g_timeout_source_new(s->timeout_ms);
    g_source_set_callback(t, fn, s, NULL);
    g_source_attach(t, s->ctx);
    return t;
}

/* The target's signalling: okno's own (signal_client) or a Janus VideoRoom (janus_room), the same
 * requests with the same replies. */
static void sig_candidate(struct okno_bench_session *s, const char *pc, const char *line)
{
    if (s->jr)
        (void)okno_janus_room_candidate(s->jr, pc, line);
    else
        (void)okno_signal_candidate(s->sc, pc, line);
}

/* ---- publisher ----------------------------------------------------------------------------------
 */

/* Our candidate of pc ("publisher" or "subscriber") goes through the owner's filter, and is
 * signalled unless the filter drops it. */
static void local_candidate(struct okno_bench_session *s, const char *pc, const char *candidate)
{
    char line[OKNO_ICE_MAX_CANDIDATE_LEN];
    if (!s->filter)
        g_strlcpy(line, candidate, sizeof(line));
    else if (!s->filter(s->filter_arg, false, candidate, line, sizeof(line)))
        return;
    sig_candidate(s, pc, line);
}

/* RTCP that came on either transport goes to the owner (sub: on the subscriber one). */
static void relay_rtcp(struct okno_bench_session *s, bool sub, uint8_t *pkt, size_t len,
                       int64_t now_us)
{
    if (s->listener.on_rtcp)
        s->listener.on_rtcp(s->owner, sub, pkt, len, now_us);
}

static void pub_on_candidate(void *owner, const char *candidate)
{
    local_candidate(owner, "publisher", candidate);
}

static void pub_on_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    relay_rtcp(owner, false, pkt, len, now_us);
}

static void pub_on_candidates_done(void *owner)
{
    sig_candidate(owner, "publisher", NULL);
}

static void pub_on_connected(void *owner)
{
    struct okno_bench_session *s = owner;
    drop_source(&s->deadline);
    if (s->listener.on_publishing)
        s->listener.on_publishing(s->owner);
}

static void on_pub_failed(void *owner, int err, const char *reason)
{
    fail(owner, err, "publisher transport failed: %s", reason);
}

static void on_sub_failed(void *owner, int err, const char *reason)
{
    fail(owner, err, "subscriber transport failed: %s", reason);
}

static void on_published(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_bench_session *s = arg;
    if (err < 0) {
        fail(s, err, "publish failed: %s", message);
        return;
    }
    const char *sdp = json_string_value(json_object_get(reply, "sdp"));
    struct okno_client_answer answer;
    int rc = sdp ? okno_client_sdp_parse_answer(sdp, strlen(sdp), NULL, &answer) : OKNO_E_MALFORMED;
    if (rc == 0) {
        s->red_send = answer.audio_red;
        rc = okno_client_peer_apply_remote(s->pub, &answer.remote);
    }
    if (rc < 0)
        fail(s, rc, "the server's answer is not usable: %s", okno_strerror(rc));
}

static int publish(struct okno_bench_session *s)
{
    static const struct okno_peer_listener listener = {
        .on_local_candidate = pub_on_candidate,
        .on_local_candidates_done = pub_on_candidates_done,
        .on_connected = pub_on_connected,
        .on_failed = on_pub_failed,
        .on_rtcp = pub_on_rtcp,
    };
    int rc = okno_client_peer_create(s->ctx, s->cert, s->address, &listener, s, &s->pub);
    if (rc < 0)
        return rc;
    okno_client_peer_set_candidate_filter(s->pub, s->filter, s->filter_arg);
    struct okno_client_offer o = {.audio = s->audio,
                                  .video = s->video,
                                  .simulcast = s->simulcast,
                                  .audio_red = s->audio_red,
                                  .audio_ssrc = s->audio_ssrc,
                                  .video_ssrc = s->video_ssrc,
                                  .rtx_ssrc = s->rtx_ssrc,
                                  .ufrag = okno_client_peer_ufrag(s->pub),
                                  .pwd = okno_client_peer_pwd(s->pub),
                                  .fingerprint = okno_cert_fingerprint_sdp(s->cert),
                                  .cname = s->name,
                                  .stream = s->participant};
    GString *sdp = g_string_new(NULL);
    rc = okno_client_sdp_offer(&o, sdp);
    if (rc == 0)
        rc = s->jr ? okno_janus_room_publish(s->jr, sdp->str, on_published, s)
                   : okno_signal_publish(s->sc, sdp->str, on_published, s);
    g_string_free(sdp, TRUE);
    return rc < 0 ? rc : okno_client_peer_gather(s->pub);
}

/* ---- subscriber ---------------------------------------------------------------------------------
 */

static void sub_on_candidate(void *owner, const char *candidate)
{
    local_candidate(owner, "subscriber", candidate);
}

static void sub_on_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    relay_rtcp(owner, true, pkt, len, now_us);
}

static void sub_on_candidates_done(void *owner)
{
    sig_candidate(owner, "subscriber", NULL);
}

static void sub_on_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct okno_bench_session *s = owner;
    if (len < 12 || !s->offer)
        return;
    uint32_t ssrc = okno_rd32(pkt + 8);
    for (unsigned i = 0; i < s->offer->n_tracks; i++) {
        const struct okno_client_sub_track *t = &s->offer->tracks[i];
        if (t->active && (t->ssrc == ssrc || (t->rtx_ssrc && t->rtx_ssrc == ssrc))) {
            if (s->sinks[i].fn)
                s->sinks[i].fn(s->sinks[i].arg, t, pkt, len, now_us);
            return;
        }
    }
}

static void sub_on_connected(void *owner)
{
    struct okno_bench_session *s = owner;
    drop_source(&s->sub_deadline);
}

static gboolean on_sub_deadline(gpointer data)
{
    struct okno_bench_session *s = data;
    g_source_unref(s->sub_deadline);
    s->sub_deadline = NULL;
    fail(s, OKNO_E_TIMEOUT, "the subscriber transport did not connect within %u ms", s->timeout_ms);
    return G_SOURCE_REMOVE;
}

static void on_answered(void *arg, int err, json_t *reply, const char *message)
{
    (void)reply;
    if (err < 0)
        fail(arg, err, "the server refused our subscriber answer: %s", message);
}

/* Slots whose track is new (or whose section was reused) are announced after the answer is out. */
static void announce_tracks(struct okno_bench_session *s, const struct okno_client_sub_offer *old)
{
    for (unsigned i = 0; i < s->offer->n_tracks && !s->closed; i++) {
        const struct okno_client_sub_track *t = &s->offer->tracks[i];
        bool same = old && i < old->n_tracks && old->tracks[i].active &&
                    !strcmp(old->tracks[i].track, t->track);
        if (t->active && !same && s->listener.on_track)
            s->listener.on_track(s->owner, i, t);
    }
}

/* streams: Janus's stream list, which names the tracks (NULL on okno: its msids do). */
static void on_sub_offer(struct okno_bench_session *s, const char *sdp, json_t *streams)
{
    static const struct okno_peer_listener listener = {
        .on_local_candidate = sub_on_candidate,
        .on_local_candidates_done = sub_on_candidates_done,
        .on_connected = sub_on_connected,
        .on_failed = on_sub_failed,
        .on_rtp = sub_on_rtp,
        .on_rtcp = sub_on_rtcp,
    };
    struct okno_client_sub_offer *o = g_new(struct okno_client_sub_offer, 1);
    int rc = okno_client_sdp_parse_sub_offer(sdp, strlen(sdp), NULL, o);
    if (rc == 0 && streams)
        okno_janus_room_label(streams, o);
    for (unsigned i = 0; rc == 0 && !s->audio_red && i < o->n_tracks; i++)
        o->tracks[i].red_pt = -1; /* refused: the answer leaves it out */
    bool fresh = !s->sub;
    if (rc == 0 && fresh)
        rc = okno_client_peer_create(s->ctx, s->cert, s->address, &listener, s, &s->sub);
    if (rc == 0 && fresh) {
        okno_client_peer_set_candidate_filter(s->sub, s->filter, s->filter_arg);
        okno_client_peer_set_rtp_unverified(s->sub, s->rtp_unverified);
        rc = okno_client_peer_apply_remote(s->sub, &o->remote);
    }
    if (rc < 0) {
        g_free(o);
        fail(s, rc, "cannot take the server's subscriber offer: %s", okno_strerror(rc));
        return;
    }
    struct okno_client_sub_offer *old = s->offer;
    s->offer = o;
    GString *answer = g_string_new(NULL);
    rc = okno_client_sdp_sub_answer(o, okno_client_peer_ufrag(s->sub), okno_client_peer_pwd(s->sub),
                                    okno_cert_fingerprint_sdp(s->cert), answer);
    if (rc == 0)
        rc = s->jr ? okno_janus_room_answer(s->jr, answer->str, on_answered, s)
                   : okno_signal_answer(s->sc, answer->str, on_answered, s);
    g_string_free(answer, TRUE);
    if (rc == 0 && fresh) {
        s->sub_deadline = add_timeout(s, on_sub_deadline);
        rc = okno_client_peer_gather(s->sub);
    }
    if (rc < 0)
        fail(s, rc, "cannot answer the subscriber offer: %s", okno_strerror(rc));
    else
        announce_tracks(s, old);
    g_free(old);
}

/* ---- signalling ---------------------------------------------------------------------------------
 */

static void on_event(void *owner, const char *type, json_t *msg)
{
    struct okno_bench_session *s = owner;
    if (!strcmp(type, "offer")) {
        const char *sdp = json_string_value(json_object_get(msg, "sdp"));
        if (sdp)
            on_sub_offer(s, sdp, s->jr ? json_object_get(msg, "streams") : NULL);
        else
            fail(s, OKNO_E_MALFORMED, "the server sent an offer without sdp");
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
        fail(s, OKNO_E_MALFORMED, "the server reports a protocol error: %s: %s", code ? code : "?",
             m ? m : "");
    } else if (s->listener.on_event) {
        s->listener.on_event(s->owner, type, msg);
    }
}

static void on_closed(void *owner, int err, const char *reason)
{
    fail(owner, err, "%s", reason);
}

static gboolean on_deadline(gpointer data)
{
    struct okno_bench_session *s = data;
    g_source_unref(s->deadline);
    s->deadline = NULL;
    fail(s, OKNO_E_TIMEOUT, "the publisher transport did not connect within %u ms", s->timeout_ms);
    return G_SOURCE_REMOVE;
}

static void on_joined(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_bench_session *s = arg;
    if (err < 0) {
        fail(s, err, "join %s: %s", err == OKNO_E_DENIED ? "refused" : "failed", message);
        return;
    }
    const char *id = json_string_value(json_object_get(reply, "participant"));
    g_strlcpy(s->participant, id ? id : "bench", sizeof(s->participant));
    if (s->listener.on_joined)
        s->listener.on_joined(s->owner, s->participant, reply);
    /* A receive-only participant publishes nothing; it subscribes all the same. */
    if (s->closed || s->failed || (!s->audio && !s->video))
        return;
    s->deadline = add_timeout(s, on_deadline);
    int rc = publish(s);
    if (rc < 0)
        fail(s, rc, "cannot publish: %s", okno_strerror(rc));
}

static void on_open(void *arg, int err, json_t *reply, const char *message)
{
    (void)reply;
    struct okno_bench_session *s = arg;
    if (err < 0) {
        fail(s, err == OKNO_E_TIMEOUT ? OKNO_E_TIMEOUT : OKNO_E_IO,
             "cannot reach the server at %s: %s", s->server, message);
        return;
    }
    int rc = s->jr ? okno_janus_room_join(s->jr, s->name, on_joined, s)
                   : okno_signal_join(s->sc, s->room, s->role, s->name, s->token, on_joined, s);
    if (rc < 0)
        fail(s, rc, "cannot send join: %s", okno_strerror(rc));
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
    drop_source(&s->deadline);
    drop_source(&s->sub_deadline);
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
