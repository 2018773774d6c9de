/* The way SFU events travel from a room's worker to the main thread: a deep copy of the event in
 * one queue under a mutex, drained by one idle source on the main context, so events arrive in the
 * order they were emitted whatever thread emitted them. Also the rooms policy's joined/left
 * notifications, which ride the same queue so that they come after the events before them. It
 * deliberately knows nothing of rooms or JSON: it copies and delivers. */
#include <stdarg.h>
#include <stdio.h>

#include "sfu/sfu_core.h"

/* A queued event and everything it points to. */
struct owned_event {
    struct okno_sfu_event ev;
    GPtrArray *allocs; /* strings and arrays the event points to */
    int policy;        /* 0: an event for the listener; 1 joined, -1 left: for the policy */
};

static const char *copy_str(struct owned_event *oe, const char *s)
{
    if (!s)
        return NULL;
    char *c = g_strdup(s);
    g_ptr_array_add(oe->allocs, c);
    return c;
}

static void copy_participants(struct owned_event *oe, const struct okno_sfu_event *ev)
{
    if (ev->n_participants == 0)
        return;
    struct okno_sfu_participant_info *ps =
        g_new0(struct okno_sfu_participant_info, ev->n_participants);
    g_ptr_array_add(oe->allocs, ps);
    for (size_t i = 0; i < ev->n_participants; i++) {
        const struct okno_sfu_participant_info *src = &ev->participants[i];
        ps[i].participant = copy_str(oe, src->participant);
        ps[i].name = copy_str(oe, src->name);
        ps[i].role = copy_str(oe, src->role);
        ps[i].n_tracks = src->n_tracks;
        if (src->n_tracks) {
            struct okno_sfu_track_info *ts = g_new0(struct okno_sfu_track_info, src->n_tracks);
            g_ptr_array_add(oe->allocs, ts);
            for (size_t t = 0; t < src->n_tracks; t++) {
                ts[t].track = copy_str(oe, src->tracks[t].track);
                ts[t].kind = copy_str(oe, src->tracks[t].kind);
            }
            ps[i].tracks = ts;
        }
    }
    oe->ev.participants = ps;
}

static void owned_event_free(struct owned_event *oe)
{
    g_ptr_array_free(oe->allocs, TRUE);
    g_free(oe);
}

static void deliver(struct okno_sfu *sfu, struct owned_event *oe)
{
    if (oe->policy == 0) {
        if (sfu->listener.on_event)
            sfu->listener.on_event(sfu->listener.ud, &oe->ev);
        return;
    }
    if (!sfu->policy)
        return;
    struct okno_rooms_participant who = {
        .room = oe->ev.room,
        .participant = oe->ev.participant,
        .name = oe->ev.name,
        .role = oe->ev.role,
    };
    if (oe->policy > 0 && OKNO_ROOMS_OPS_HAS(sfu->policy, on_joined) && sfu->policy->on_joined)
        sfu->policy->on_joined(sfu->policy_state, &who);
    else if (oe->policy < 0 && OKNO_ROOMS_OPS_HAS(sfu->policy, on_left) && sfu->policy->on_left)
        sfu->policy->on_left(sfu->policy_state, &who);
}

/* Drains the queue one event at a time, taking the lock only to pop: a listener may call back into
 * the facade (okno_sfu_leave from an EV_CLOSED), which posts more work. */
static gboolean on_events(gpointer data)
{
    struct okno_sfu *sfu = data;
    for (;;) {
        g_mutex_lock(&sfu->lock);
        struct owned_event *oe = g_queue_pop_head(&sfu->events);
        if (!oe) {
            g_source_unref(sfu->event_source);
            sfu->event_source = NULL;
            g_mutex_unlock(&sfu->lock);
            return G_SOURCE_REMOVE;
        }
        g_mutex_unlock(&sfu->lock);
        deliver(sfu, oe);
        owned_event_free(oe);
    }
}

static void enqueue(struct okno_sfu *sfu, struct owned_event *oe)
{
    g_mutex_lock(&sfu->lock);
    g_queue_push_tail(&sfu->events, oe);
    if (!sfu->event_source) {
        sfu->event_source = g_idle_source_new();
        g_source_set_callback(sfu->event_source, on_events, sfu, NULL);
        g_source_attach(sfu->event_source, sfu->main_ctx);
    }
    g_mutex_unlock(&sfu->lock);
}

void okno__sfu_emit(struct okno_sfu *sfu, const struct okno_sfu_event *ev)
{
    struct owned_event *oe = g_new0(struct owned_event, 1);
    oe->allocs = g_ptr_array_new_with_free_func(g_free);
    oe->ev = *ev;
    oe->ev.room = copy_str(oe, ev->room);
    oe->ev.participant = copy_str(oe, ev->participant);
    oe->ev.name = copy_str(oe, ev->name);
    oe->ev.role = copy_str(oe, ev->role);
    oe->ev.track = copy_str(oe, ev->track);
    oe->ev.kind = copy_str(oe, ev->kind);
    oe->ev.sdp = copy_str(oe, ev->sdp);
    oe->ev.candidate = copy_str(oe, ev->candidate);
    oe->ev.mid = copy_str(oe, ev->mid);
    oe->ev.code = copy_str(oe, ev->code);
    oe->ev.message = copy_str(oe, ev->message);
    oe->ev.reason = copy_str(oe, ev->reason);
    oe->ev.participants = NULL;
    copy_participants(oe, ev);
    enqueue(sfu, oe);
}

void okno__sfu_error(struct okno_sfu *sfu, uint64_t session, uint64_t req, const char *code,
                     const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct okno_sfu_event ev = {
        .type = OKNO_SFU_EV_ERROR,
        .session = session,
        .req = req,
        .code = code,
        .message = msg,
    };
    okno__sfu_emit(sfu, &ev);
}

void okno__sfu_ack(struct okno_sfu *sfu, uint64_t session, uint64_t req)
{
    if (req == 0)
        return;
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_ACK, .session = session, .req = req};
    okno__sfu_emit(sfu, &ev);
}

void okno__sfu_notify_policy(struct okno_sfu *sfu, bool joined, const char *room,
                             const char *participant, const char *name, const char *role)
{
    if (!sfu->policy)
        return;
    struct okno_sfu_event ev = {
        .room = room,
        .participant = participant,
        .name = name,
        .role = role,
    };
    struct owned_event *oe = g_new0(struct owned_event, 1);
    oe->allocs = g_ptr_array_new_with_free_func(g_free);
    oe->ev = ev;
    oe->ev.room = copy_str(oe, room);
    oe->ev.participant = copy_str(oe, participant);
    oe->ev.name = copy_str(oe, name);
    oe->ev.role = copy_str(oe, role);
    oe->policy = joined ? 1 : -1;
    enqueue(sfu, oe);
}

void okno__sfu_peer_opened(struct okno_sfu *sfu)
{
    g_atomic_int_inc(&sfu->live_peers);
}

void okno__sfu_peer_closed(void *sfu)
{
    g_atomic_int_add(&((struct okno_sfu *)sfu)->live_peers, -1);
    g_main_context_wakeup(((struct okno_sfu *)sfu)->main_ctx);
}
