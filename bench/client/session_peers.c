/* okno-bench session's transports (session_internal.h): the publisher's offer and the subscriber
 * answer, the candidates each gathers, and what comes on them (RTP to the tracks' sinks, RTCP to
 * the owner). */
#include <string.h>

#include "client/session_internal.h"
#include "okno/err.h"
#include "wire/bytes.h"

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
    okno__bench_session_drop_source(&s->deadline);
    if (s->listener.on_publishing)
        s->listener.on_publishing(s->owner);
}

static void on_pub_failed(void *owner, int err, const char *reason)
{
    okno__bench_session_fail(owner, err, "publisher transport failed: %s", reason);
}

static void on_sub_failed(void *owner, int err, const char *reason)
{
    okno__bench_session_fail(owner, err, "subscriber transport failed: %s", reason);
}

static void on_published(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_bench_session *s = arg;
    if (err < 0) {
        okno__bench_session_fail(s, err, "publish failed: %s", message);
        return;
    }
    const char *sdp = json_string_value(json_object_get(reply, "sdp"));
    struct okno_client_answer answer;
    int rc = sdp ? okno_client_sdp_parse_answer(sdp, strlen(sdp), NULL, &answer) : OKNO_E_MALFORMED;
    if (rc == 0) {
        s->red_send = answer.audio_red;
        s->video_start_kbps = answer.video_start_kbps;
        rc = okno_client_peer_apply_remote(s->pub, &answer.remote);
    }
    if (rc < 0)
        okno__bench_session_fail(s, rc, "the server's answer is not usable: %s", okno_strerror(rc));
}

int okno__bench_session_publish(struct okno_bench_session *s)
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
    okno__bench_session_drop_source(&s->sub_deadline);
}

static gboolean on_sub_deadline(gpointer data)
{
    struct okno_bench_session *s = data;
    g_source_unref(s->sub_deadline);
    s->sub_deadline = NULL;
    okno__bench_session_fail(
        s, OKNO_E_TIMEOUT, "the subscriber transport did not connect within %u ms", s->timeout_ms);
    return G_SOURCE_REMOVE;
}

static void on_answered(void *arg, int err, json_t *reply, const char *message)
{
    (void)reply;
    if (err < 0)
        okno__bench_session_fail(arg, err, "the server refused our subscriber answer: %s", message);
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
void okno__bench_session_on_sub_offer(struct okno_bench_session *s, const char *sdp,
                                      json_t *streams)
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
        okno__bench_session_fail(s, rc, "cannot take the server's subscriber offer: %s",
                                 okno_strerror(rc));
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
        s->sub_deadline = okno__bench_session_add_timeout(s, on_sub_deadline);
        rc = okno_client_peer_gather(s->sub);
    }
    if (rc < 0)
        okno__bench_session_fail(s, rc, "cannot answer the subscriber offer: %s",
                                 okno_strerror(rc));
    else
        announce_tracks(s, old);
    g_free(old);
}
