/* Shared between session.c (signalling, lifetime, the owner's calls) and session_peers.c (the
 * publisher and subscriber transports and their SDP). Everything runs on the session's context. */
#ifndef OKNO_BENCH_CLIENT_SESSION_INTERNAL_H
#define OKNO_BENCH_CLIENT_SESSION_INTERNAL_H

#include <glib.h>
#include <jansson.h>

#include "client/client_peer.h"
#include "client/client_sdp.h"
#include "client/janus_room.h"
#include "client/session.h"
#include "client/signal_client.h"

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
    bool audio_red;            /* offer RED and take it in subscriber offers */
    bool red_send;             /* the server's answer kept RED first: audio goes as RED */
    uint32_t video_start_kbps; /* the answer's x-google-start-bitrate; 0: none */
    bool failed, closed;
    uint32_t audio_ssrc, video_ssrc, rtx_ssrc;
    char participant[OKNO_CLIENT_ID_LEN];
    struct sink sinks[OKNO_SDP_MAX_MEDIA];
};

/* session.c */
/* The session failed (the first time only, and not once closed): the owner's on_failed with the
 * message. */
void okno__bench_session_fail(struct okno_bench_session *s, int err, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Destroys and drops *src, if any. */
void okno__bench_session_drop_source(GSource **src);
/* fn(s) after the session's timeout, on its context; the caller owns the returned source. */
GSource *okno__bench_session_add_timeout(struct okno_bench_session *s, GSourceFunc fn);

/* session_peers.c */
/* Makes the publisher transport and sends its offer; candidates follow as gathered. */
int okno__bench_session_publish(struct okno_bench_session *s);
/* The server's (first or renewed) subscriber offer: answers it, making the subscriber transport
 * on the first. streams: Janus's stream list, which names the tracks (NULL on okno: its msids
 * do). */
void okno__bench_session_on_sub_offer(struct okno_bench_session *s, const char *sdp,
                                      json_t *streams);

#endif
