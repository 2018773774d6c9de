/* Room bookkeeping on the worker: joining (ids "p1", "p2", ... unique for the room's life),
 * leaving, dropping a participant whose transport died, routing each published track to everyone
 * the rooms policy lets receive it, and the 20 ms timer that drives NACKs, keyframe requests,
 * receiver reports and each subscriber's layer allocation. It deliberately does not parse SDP or
 * packets. */
#include "sfu/room.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/worker.h"
#include "sfu/participant.h"
#include "sfu/participant_alloc.h"
#include "sfu/participant_link.h"
#include "sfu/participant_pub_fb.h"
#include "sfu/sfu_core.h"
#include "sfu/sub_bwe.h"
#include "sfu/subscription.h"
#include "sfu/track.h"

#define TICK_MS 20

static gboolean on_tick(gpointer data)
{
    struct okno_room *room = data;
    int64_t now_us = g_source_get_time(g_main_current_source());
    for (guint i = 0; i < room->participants->len; i++) {
        struct okno_participant *p = room->participants->pdata[i];
        for (guint t = 0; t < p->tracks->len; t++)
            okno_track_tick(p->tracks->pdata[t], now_us);
        okno__participant_pub_fb_tick(p, now_us);
        if (p->sub_bwe)
            okno_sub_bwe_update(p->sub_bwe, now_us); /* estimates move between feedback too */
        okno__participant_alloc_tick(p, now_us);
        okno__participant_link_tick(p, now_us);
    }
    return G_SOURCE_CONTINUE;
}

struct okno_room *okno_room_new(struct okno_sfu *sfu, const char *name, unsigned worker)
{
    struct okno_room *room = g_new0(struct okno_room, 1);
    room->sfu = sfu;
    room->ctx = okno_workers_context(sfu->workers, worker);
    room->name = g_strdup(name);
    room->participants = g_ptr_array_new();
    room->worker = worker;
    room->next_id = 1;
    g_atomic_int_inc(&sfu->live_rooms);
    return room;
}

static struct okno_participant *find(struct okno_room *room, uint64_t session, guint *index)
{
    for (guint i = 0; i < room->participants->len; i++) {
        struct okno_participant *p = room->participants->pdata[i];
        if (p->session == session) {
            if (index)
                *index = i;
            return p;
        }
    }
    return NULL;
}

static bool may_receive(struct okno_room *room, const struct okno_participant *sub,
                        const struct okno_participant *pub, const char *kind)
{
    const struct okno_sfu *sfu = room->sfu;
    if (!sfu->policy || !sfu->policy->may_receive)
        return true;
    struct okno_rooms_participant s = {room->name, sub->id, sub->name, sub->role};
    struct okno_rooms_participant q = {room->name, pub->id, pub->name, pub->role};
    return sfu->policy->may_receive(sfu->policy_state, &s, &q, kind);
}

static void broadcast(struct okno_room *room, const struct okno_participant *except,
                      struct okno_sfu_event *ev)
{
    for (guint i = 0; i < room->participants->len; i++) {
        struct okno_participant *p = room->participants->pdata[i];
        if (p != except && !p->dropped)
            okno__participant_emit(p, ev);
    }
}

void okno_room_join(struct okno_room *room, uint64_t session, uint64_t req, const char *name,
                    const char *role, const char *link_key)
{
    if (find(room, session, NULL)) {
        okno__sfu_error(room->sfu, session, req, "already_joined", "already in room %s",
                        room->name);
        return;
    }
    if (!room->tick) {
        room->tick = g_timeout_source_new(TICK_MS);
        g_source_set_callback(room->tick, on_tick, room, NULL);
        g_source_attach(room->tick, room->ctx);
    }
    struct okno_participant *p = okno_participant_new(room, session, room->next_id++, name, role);
    okno__participant_link_open(p, link_key, g_get_real_time()); /* the memory may be a file */

    /* The others as they are now, with what they publish. */
    guint n = room->participants->len;
    struct okno_sfu_participant_info *infos = g_new0(struct okno_sfu_participant_info, n + 1);
    size_t n_tracks = 0;
    for (guint i = 0; i < n; i++)
        n_tracks += ((struct okno_participant *)room->participants->pdata[i])->tracks->len;
    struct okno_sfu_track_info *tinfos = g_new0(struct okno_sfu_track_info, n_tracks + 1);
    size_t ti = 0;
    for (guint i = 0; i < n; i++) {
        struct okno_participant *o = room->participants->pdata[i];
        infos[i] = (struct okno_sfu_participant_info){o->id, o->name, o->role, &tinfos[ti], 0};
        for (guint t = 0; t < o->tracks->len; t++) {
            struct okno_track *tr = o->tracks->pdata[t];
            tinfos[ti++] = (struct okno_sfu_track_info){tr->id, okno_track_kind(tr)};
            infos[i].n_tracks++;
        }
    }
    struct okno_sfu_event ev = {
        .type = OKNO_SFU_EV_JOINED,
        .req = req,
        .room = room->name,
        .participant = p->id,
        .participants = infos,
        .n_participants = n,
    };
    okno__participant_emit(p, &ev);
    g_free(tinfos);
    g_free(infos);

    struct okno_sfu_event joined = {
        .type = OKNO_SFU_EV_PARTICIPANT_JOINED,
        .participant = p->id,
        .name = p->name,
        .role = p->role,
    };
    broadcast(room, NULL, &joined);
    g_ptr_array_add(room->participants, p);
    okno__sfu_notify_policy(room->sfu, true, room->name, p->id, p->name, p->role);
    okno_log(OKNO_LOG_INFO, "sfu", "room %s: %s (%s, %s) joined", room->name, p->id, p->name,
             p->role);

    /* Everything already published that the newcomer may receive. */
    for (guint i = 0; i < n; i++) {
        struct okno_participant *o = room->participants->pdata[i];
        for (guint t = 0; t < o->tracks->len; t++) {
            struct okno_track *tr = o->tracks->pdata[t];
            if (may_receive(room, p, o, okno_track_kind(tr)))
                okno_participant_subscribe(p, tr);
        }
    }
    okno_participant_renegotiate(p);
}

/* Takes p out of the room: its tracks leave every subscriber, its subscriptions leave every
 * track, the others hear it left, and the policy too. */
static void remove_participant(struct okno_room *room, struct okno_participant *p, guint index)
{
    p->dropped = true;
    while (p->tracks->len > 0) {
        struct okno_track *t = p->tracks->pdata[p->tracks->len - 1];
        okno__room_track_ended(room, t);
        g_ptr_array_remove_index(p->tracks, p->tracks->len - 1);
        okno_track_free(t);
    }
    g_ptr_array_remove_index(room->participants, index);
    struct okno_sfu_event left = {.type = OKNO_SFU_EV_PARTICIPANT_LEFT, .participant = p->id};
    broadcast(room, p, &left);
    okno__sfu_notify_policy(room->sfu, false, room->name, p->id, p->name, p->role);
    okno_log(OKNO_LOG_INFO, "sfu", "room %s: %s left", room->name, p->id);
    for (guint i = 0; i < room->participants->len; i++)
        okno_participant_renegotiate(room->participants->pdata[i]);
    okno_participant_free(p);
}

void okno_room_leave(struct okno_room *room, uint64_t session, uint64_t req)
{
    guint index;
    struct okno_participant *p = find(room, session, &index);
    if (p)
        remove_participant(room, p, index);
    /* A participant the room dropped already has had its EV_CLOSED: leaving is then a no-op. */
    okno__sfu_ack(room->sfu, session, req);
}

void okno__room_drop(struct okno_room *room, struct okno_participant *p, const char *why)
{
    guint index;
    if (!g_ptr_array_find(room->participants, p, &index))
        return;
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_CLOSED, .message = why};
    okno__participant_emit(p, &ev);
    okno_log(OKNO_LOG_INFO, "sfu", "room %s: %s dropped: %s", room->name, p->id, why);
    remove_participant(room, p, index);
}

void okno_room_free(struct okno_room *room, const char *message)
{
    while (room->participants->len > 0) {
        struct okno_participant *p = room->participants->pdata[room->participants->len - 1];
        if (message) {
            struct okno_sfu_event ev = {.type = OKNO_SFU_EV_CLOSED, .message = message};
            okno__participant_emit(p, &ev);
        }
        remove_participant(room, p, room->participants->len - 1);
    }
    if (room->tick) {
        g_source_destroy(room->tick);
        g_source_unref(room->tick);
    }
    g_ptr_array_free(room->participants, TRUE);
    struct okno_sfu *sfu = room->sfu;
    g_free(room->name);
    g_free(room);
    g_atomic_int_add(&sfu->live_rooms, -1);
    g_main_context_wakeup(sfu->main_ctx);
}

static struct okno_participant *joined(struct okno_room *room, uint64_t session, uint64_t req)
{
    struct okno_participant *p = find(room, session, NULL);
    if (!p)
        okno__sfu_error(room->sfu, session, req, "not_joined", "the connection was dropped");
    return p;
}

void okno_room_publish(struct okno_room *room, uint64_t session, uint64_t req, const char *sdp)
{
    struct okno_participant *p = joined(room, session, req);
    if (p)
        okno_participant_publish(p, req, sdp);
}

void okno_room_answer(struct okno_room *room, uint64_t session, uint64_t req, enum okno_sfu_pc pc,
                      const char *sdp)
{
    struct okno_participant *p = joined(room, session, req);
    if (!p)
        return;
    if (pc != OKNO_SFU_PC_SUBSCRIBER) {
        okno__sfu_error(room->sfu, session, req, "bad_state",
                        "answers are for the subscriber connection");
        return;
    }
    okno_participant_answer(p, req, sdp);
}

void okno_room_candidate(struct okno_room *room, uint64_t session, uint64_t req,
                         enum okno_sfu_pc pc, const char *candidate, const char *mid,
                         int mline_index)
{
    (void)mid; /* bundled: every section shares the one transport */
    (void)mline_index;
    struct okno_participant *p = joined(room, session, req);
    if (p)
        okno_participant_candidate(p, req, pc, candidate);
}

void okno_room_restart(struct okno_room *room, uint64_t session, uint64_t req, enum okno_sfu_pc pc)
{
    struct okno_participant *p = joined(room, session, req);
    if (p)
        okno_participant_restart(p, req, pc);
}

void okno_room_receive_limit(struct okno_room *room, uint64_t session, uint64_t req, uint32_t kbps)
{
    struct okno_participant *p = joined(room, session, req);
    if (!p)
        return;
    if (p->receive_limit_bps != kbps * 1000u)
        okno_log(OKNO_LOG_INFO, "sfu", "%s: receive limit %u kbit/s%s", p->id, kbps,
                 kbps ? "" : " (none)");
    p->receive_limit_bps = kbps * 1000u;
    okno__sfu_ack(room->sfu, session, req);
}

void okno__room_track_published(struct okno_room *room, struct okno_track *track)
{
    struct okno_participant *pub = track->owner;
    struct okno_sfu_event ev = {
        .type = OKNO_SFU_EV_TRACK_PUBLISHED,
        .participant = pub->id,
        .track = track->id,
        .kind = okno_track_kind(track),
    };
    broadcast(room, pub, &ev);
    for (guint i = 0; i < room->participants->len; i++) {
        struct okno_participant *p = room->participants->pdata[i];
        if (p == pub || p->dropped || !may_receive(room, p, pub, okno_track_kind(track)))
            continue;
        okno_participant_subscribe(p, track);
        okno_participant_renegotiate(p);
    }
}

void okno__room_track_ended(struct okno_room *room, struct okno_track *track)
{
    struct okno_participant *pub = track->owner;
    struct okno_sfu_event ev = {
        .type = OKNO_SFU_EV_TRACK_UNPUBLISHED,
        .participant = pub->id,
        .track = track->id,
    };
    broadcast(room, pub, &ev);
    while (track->subs->len > 0) {
        struct okno_subscription *sub = track->subs->pdata[track->subs->len - 1];
        g_ptr_array_remove_index(track->subs, track->subs->len - 1);
        okno_participant_unsubscribe(sub->subscriber, sub);
        if (!pub->dropped)
            okno_participant_renegotiate(sub->subscriber);
    }
}
