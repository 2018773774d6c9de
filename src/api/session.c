/* Signalling sessions (see session.h). Every request, with or without a client id, gets a request
 * number of its own, so the SFU answers every one with exactly one event and the session always
 * knows when a join has settled; the client's id (or its absence) only decides what the reply
 * looks like. The outgoing queue is what keeps replies in request order: a local error for request
 * 5 waits behind the SFU's answer to request 4. It deliberately holds no room state: the SFU owns
 * participants, and the session only remembers whether it asked to join. */
#include "api/session.h"

#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "api/flood.h"
#include "api/protocol.h"
#include "core/clock.h"
#include "core/log.h"

#define TAG "session"
/* libsoup pings this often; a peer silent (no frame, no pong) for DEAD_AFTER_US is closed. */
#define PING_INTERVAL_S 15
#define DEAD_AFTER_US   (45 * (int64_t)1000000)
/* Frames up to this size reach the parser (which refuses those over 64 KiB with bad_json);
 * libsoup closes the socket with 1009 on anything larger. */
#define MAX_PAYLOAD (2 * OKNO_PROTOCOL_MAX_FRAME)
/* A client with this many frames queued (requests the SFU has not answered, and what waits
 * behind them) is closed: it is not reading, or is flooding with requests. */
#define MAX_QUEUED    256
#define CLOSE_WAIT_MS 2000

enum join_state { IDLE, JOINING, JOINED };

/* One frame on its way to the client, in the order the client must see it. */
struct outgoing {
    uint64_t req; /* the request it answers; 0 when it answers none */
    json_t *id;   /* owned; the client's id, NULL when the request had none */
    char *frame;  /* owned JSON text; NULL while the SFU has not answered req */
    bool silent;  /* answered with nothing to send: an ack no id asked for */
};

struct session {
    /* borrowed */
    struct okno_sessions *set;
    /* owned */
    SoupWebsocketConnection *ws;
    char *peer;
    GQueue out; /* struct outgoing *, oldest first */
    guint liveness_timer;
    /* other */
    uint64_t id;
    uint64_t next_req;
    uint64_t join_req;
    enum join_state state;
    bool closing;
    int64_t last_seen_us;
    struct okno_flood flood;
};

struct okno_sessions {
    /* borrowed */
    struct okno_sfu *sfu;
    const struct okno_rooms_ops *rooms;
    void *rooms_state;
    /* owned */
    GHashTable *by_id; /* &session->id -> struct session * */
    /* other */
    uint64_t next_id;
};

/* --- sending -----------------------------------------------------------------------------------
 */

static void outgoing_free(struct outgoing *o)
{
    json_decref(o->id);
    free(o->frame);
    g_free(o);
}

static void close_session(struct session *s, gushort code, const char *reason)
{
    if (s->closing)
        return;
    s->closing = true;
    okno_log(OKNO_LOG_INFO, TAG, "session %" G_GUINT64_FORMAT " (%s): closing with %u: %s", s->id,
             s->peer, code, reason);
    if (soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(s->ws, code, reason);
}

/* Sends every frame at the head of the queue that is ready. */
static void flush(struct session *s)
{
    for (struct outgoing *o = g_queue_peek_head(&s->out); o && (o->frame || o->silent);
         o = g_queue_peek_head(&s->out)) {
        g_queue_pop_head(&s->out);
        if (o->frame && !s->closing &&
            soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_send_text(s->ws, o->frame);
        outgoing_free(o);
    }
}

/* Queues a frame (NULL: a reply the SFU will give for req). Takes a reference on id. */
static struct outgoing *enqueue(struct session *s, uint64_t req, json_t *id, char *frame)
{
    struct outgoing *o = g_new0(struct outgoing, 1);
    o->req = req;
    o->id = json_incref(id);
    o->frame = frame;
    g_queue_push_tail(&s->out, o);
    if (g_queue_get_length(&s->out) > MAX_QUEUED)
        close_session(s, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too many frames outstanding");
    return o;
}

/* Errors the client earned count toward the flood limit; ours do not. */
static void count_error(struct session *s, const char *code)
{
    if (!code || strcmp(code, "internal") == 0 || strcmp(code, "overloaded") == 0)
        return;
    if (okno_flood_add(&s->flood, okno_clock_now_us()))
        close_session(s, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too many invalid frames");
}

/* The frame for ev, or an internal error in its place so a request still gets its one reply. */
static char *frame_for(const struct session *s, const struct okno_sfu_event *ev, json_t *id)
{
    char *frame = okno_protocol_build_event(ev, id);
    if (!frame) {
        okno_log(OKNO_LOG_WARN, TAG, "session %" G_GUINT64_FORMAT ": cannot encode event %d", s->id,
                 (int)ev->type);
        frame = okno_protocol_build_error(id, "internal", "okno could not encode its reply");
    }
    return frame;
}

static void reply_error(struct session *s, json_t *id, enum okno_protocol_code code,
                        const char *message)
{
    const char *name = okno_protocol_code_name(code);
    enqueue(s, 0, id, okno_protocol_build_error(id, name, message));
    flush(s);
    count_error(s, name);
}

/* --- requests ----------------------------------------------------------------------------------
 */

static void join(struct session *s, const struct okno_protocol_msg *m, uint64_t req)
{
    if (s->state != IDLE) {
        reply_error(s, m->id, OKNO_PROTOCOL_ALREADY_JOINED,
                    s->state == JOINING ? "this connection is joining a room already"
                                        : "this connection has joined a room already");
        return;
    }
    const struct okno_rooms_ops *rooms = s->set->rooms;
    if (rooms && OKNO_ROOMS_OPS_HAS(rooms, authorize_join) && rooms->authorize_join) {
        const struct okno_rooms_participant who = {m->room, NULL, m->name, m->role};
        struct okno_rooms_join_decision decision;
        memset(&decision, 0, sizeof decision);
        int rc = rooms->authorize_join(s->set->rooms_state, &who, m->token, &decision);
        decision.reason[sizeof decision.reason - 1] = '\0';
        if (rc == OKNO_E_DENIED) {
            okno_log(OKNO_LOG_INFO, TAG, "session %" G_GUINT64_FORMAT ": join %s denied: %s", s->id,
                     m->room, decision.reason);
            reply_error(s, m->id, OKNO_PROTOCOL_DENIED,
                        decision.reason[0] ? decision.reason : "the rooms plugin refused");
            return;
        }
        if (rc != 0) {
            okno_log(OKNO_LOG_ERROR, TAG,
                     "session %" G_GUINT64_FORMAT ": the rooms plugin failed on join %s: %s", s->id,
                     m->room, okno_strerror(rc));
            reply_error(s, m->id, OKNO_PROTOCOL_INTERNAL, "the rooms plugin failed");
            return;
        }
    }
    enqueue(s, req, m->id, NULL);
    s->state = JOINING;
    s->join_req = req;
    /* The client's network place for okno's link memory: its address, and its role (a kiosk and
     * a specialist behind one address are different clients, kiosks of one office share a link).
     * Behind a reverse proxy every client has the proxy's address: the role alone then tells. */
    char *link_key = g_strdup_printf("%s|%s", s->peer, m->role);
    okno_sfu_join_from(s->set->sfu, s->id, req, m->room, m->name, m->role, link_key);
    g_free(link_key);
}

static void handle(struct session *s, const struct okno_protocol_msg *m)
{
    uint64_t req = ++s->next_req;
    struct okno_sfu *sfu = s->set->sfu;
    if (m->type == OKNO_PROTOCOL_JOIN) {
        join(s, m, req);
        return;
    }
    if (s->state == IDLE) {
        reply_error(s, m->id, OKNO_PROTOCOL_NOT_JOINED, "join a room first");
        return;
    }
    /* Queued before the call: the SFU may answer at once. */
    enqueue(s, req, m->id, NULL);
    switch (m->type) {
    case OKNO_PROTOCOL_PUBLISH:
        okno_sfu_publish(sfu, s->id, req, m->sdp);
        break;
    case OKNO_PROTOCOL_ANSWER:
        okno_sfu_answer(sfu, s->id, req, m->pc, m->sdp);
        break;
    case OKNO_PROTOCOL_CANDIDATE:
        okno_sfu_candidate(sfu, s->id, req, m->pc, m->candidate, m->mid, m->mline_index);
        break;
    case OKNO_PROTOCOL_RESTART:
        okno_sfu_restart(sfu, s->id, req, m->pc);
        break;
    case OKNO_PROTOCOL_RECEIVE_LIMIT:
        okno_sfu_receive_limit(sfu, s->id, req, m->kbps);
        break;
    case OKNO_PROTOCOL_LEAVE:
        s->state = IDLE;
        okno_sfu_leave(sfu, s->id, req);
        break;
    case OKNO_PROTOCOL_JOIN:
        break;
    }
}

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer user)
{
    (void)ws;
    struct session *s = user;
    s->last_seen_us = okno_clock_now_us();
    if (s->closing)
        return;
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
        reply_error(s, NULL, OKNO_PROTOCOL_BAD_JSON, "frames must be text frames");
        return;
    }
    gsize len;
    const char *data = g_bytes_get_data(message, &len);
    struct okno_protocol_msg m;
    struct okno_protocol_error err;
    if (okno_protocol_parse(data ? data : "", data ? len : 0, &m, &err) != 0)
        reply_error(s, m.id, err.code, err.message);
    else
        handle(s, &m);
    okno_protocol_msg_clear(&m);
}

/* --- SFU events --------------------------------------------------------------------------------
 */

static struct outgoing *find_pending(struct session *s, uint64_t req)
{
    for (GList *l = s->out.head; req && l; l = l->next) {
        struct outgoing *o = l->data;
        if (o->req == req && !o->frame && !o->silent)
            return o;
    }
    return NULL;
}

void okno_sessions_on_sfu_event(void *ud, const struct okno_sfu_event *ev)
{
    struct okno_sessions *set = ud;
    uint64_t key = ev->session;
    struct session *s = g_hash_table_lookup(set->by_id, &key);
    if (!s)
        return; /* the socket closed meanwhile */
    if (ev->type == OKNO_SFU_EV_CLOSED) {
        s->state = IDLE;
        close_session(s, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                      ev->message && strlen(ev->message) <= 120 ? ev->message
                                                                : "the SFU closed the session");
        return;
    }
    struct outgoing *o = find_pending(s, ev->req);
    if (o) {
        if (ev->req == s->join_req && s->state == JOINING) {
            if (ev->type == OKNO_SFU_EV_JOINED)
                s->state = JOINED;
            else if (ev->type == OKNO_SFU_EV_ERROR)
                s->state = IDLE;
        }
        if (ev->type == OKNO_SFU_EV_ACK && !o->id)
            o->silent = true;
        else
            o->frame = frame_for(s, ev, o->id);
    } else if (ev->type != OKNO_SFU_EV_ACK) {
        enqueue(s, 0, NULL, frame_for(s, ev, NULL));
    }
    flush(s);
    if (ev->type == OKNO_SFU_EV_ERROR)
        count_error(s, ev->code);
}

/* --- life cycle --------------------------------------------------------------------------------
 */

static void on_pong(SoupWebsocketConnection *ws, GBytes *message, gpointer user)
{
    (void)ws;
    (void)message;
    struct session *s = user;
    s->last_seen_us = okno_clock_now_us();
}

static gboolean on_liveness(gpointer user)
{
    struct session *s = user;
    if (okno_clock_now_us() - s->last_seen_us > DEAD_AFTER_US)
        close_session(s, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "no answer to pings");
    return G_SOURCE_CONTINUE;
}

static void leave_room(struct session *s)
{
    if (s->state != IDLE)
        okno_sfu_leave(s->set->sfu, s->id, 0);
    s->state = IDLE;
}

static void on_closed(SoupWebsocketConnection *ws, gpointer user)
{
    struct session *s = user;
    okno_log(OKNO_LOG_INFO, TAG, "session %" G_GUINT64_FORMAT " (%s): closed (%u)", s->id, s->peer,
             soup_websocket_connection_get_close_code(ws));
    leave_room(s);
    /* Frees s; GObject keeps ws alive until this signal returns. */
    g_hash_table_remove(s->set->by_id, &s->id);
}

static void session_free(gpointer data)
{
    struct session *s = data;
    g_source_remove(s->liveness_timer);
    g_signal_handlers_disconnect_by_data(s->ws, s);
    g_queue_clear_full(&s->out, (GDestroyNotify)outgoing_free);
    g_object_unref(s->ws);
    g_free(s->peer);
    g_free(s);
}

int okno_sessions_new(struct okno_sfu *sfu, const struct okno_rooms_ops *rooms, void *rooms_state,
                      struct okno_sessions **out)
{
    struct okno_sessions *set = g_new0(struct okno_sessions, 1);
    set->sfu = sfu;
    set->rooms = rooms;
    set->rooms_state = rooms_state;
    set->by_id = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, session_free);
    *out = set;
    return 0;
}

uint64_t okno_sessions_add(struct okno_sessions *set, SoupWebsocketConnection *ws, const char *peer)
{
    struct session *s = g_new0(struct session, 1);
    s->set = set;
    s->ws = g_object_ref(ws);
    s->peer = g_strdup(peer ? peer : "?");
    s->id = ++set->next_id;
    s->last_seen_us = okno_clock_now_us();
    g_queue_init(&s->out);
    okno_flood_init(&s->flood);
    soup_websocket_connection_set_keepalive_interval(ws, PING_INTERVAL_S);
    soup_websocket_connection_set_max_incoming_payload_size(ws, MAX_PAYLOAD);
    g_signal_connect(ws, "message", G_CALLBACK(on_message), s);
    g_signal_connect(ws, "pong", G_CALLBACK(on_pong), s);
    g_signal_connect(ws, "closed", G_CALLBACK(on_closed), s);
    s->liveness_timer = g_timeout_add_seconds(PING_INTERVAL_S, on_liveness, s);
    g_hash_table_insert(set->by_id, &s->id, s);
    okno_log(OKNO_LOG_INFO, TAG, "session %" G_GUINT64_FORMAT " (%s): opened", s->id, s->peer);
    return s->id;
}

size_t okno_sessions_count(const struct okno_sessions *set)
{
    return g_hash_table_size(set->by_id);
}

static gboolean on_close_wait_over(gpointer user)
{
    *(bool *)user = true;
    return G_SOURCE_REMOVE;
}

void okno_sessions_free(struct okno_sessions *set)
{
    if (!set)
        return;
    GList *all = g_hash_table_get_values(set->by_id);
    for (GList *l = all; l; l = l->next) {
        struct session *s = l->data;
        leave_room(s);
        close_session(s, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "okno is stopping");
    }
    g_list_free(all);
    /* The close handshakes need the loop; a peer that never answers is cut at the deadline. */
    bool over = false;
    guint timer = g_timeout_add(CLOSE_WAIT_MS, on_close_wait_over, &over);
    while (g_hash_table_size(set->by_id) > 0 && !over)
        g_main_context_iteration(NULL, TRUE);
    if (!over)
        g_source_remove(timer);
    g_hash_table_destroy(set->by_id);
    g_free(set);
}
