/* okno-bench in a Janus VideoRoom: the publisher handle, the subscriber handle and the set of feeds
 * to subscribe to. The subscription is a small queue machine: feeds to add and to remove collect
 * while a renegotiation is in flight (a request, Janus's offer, our answer), and the next request
 * takes all of them at once. Janus refuses a whole subscribe when one of its feeds has gone (428);
 * the batch is then retried one feed at a time so the live ones are not lost. */
#include "client/janus_room.h"

#include <stdio.h>
#include <string.h>

#include "okno/err.h"

#define PLUGIN "janus.plugin.videoroom"

enum feed_state {
    FEED_WANTED,     /* announced, not yet asked for */
    FEED_REQUESTED,  /* in the subscribe in flight */
    FEED_SUBSCRIBED, /* part of the subscription */
    FEED_LEAVING,    /* subscribed, then unpublished: to unsubscribe */
};

struct okno_janus_room {
    /* borrowed */
    GMainContext *ctx;
    /* owned */
    struct okno_janus *j;
    GHashTable *feeds;     /* uint64 id (owned key) -> enum feed_state */
    GHashTable *announced; /* uint64 ids told as participant_joined, not yet as left */
    /* other */
    struct okno_janus_room_listener listener;
    void *owner;
    okno_janus_done_fn on_open, join_done, answer_done;
    void *open_arg, *join_arg, *answer_arg;
    char *display;
    uint64_t room, pub, sub, self;
    bool sub_joined;    /* the subscriber handle has joined (later changes are updates) */
    bool busy;          /* a subscription request or our answer to its offer is outstanding */
    bool one_at_a_time; /* after a refused batch */
    bool closed;
};

static void emit(struct okno_janus_room *r, const char *type, json_t *msg)
{
    if (!r->closed && r->listener.on_event)
        r->listener.on_event(r->owner, type, msg);
    json_decref(msg);
}

static void id_string(uint64_t id, char *out, size_t cap)
{
    snprintf(out, cap, "%" G_GUINT64_FORMAT, (guint64)id);
}

/* ---- the subscription --------------------------------------------------------------------------
 */

static void pump(struct okno_janus_room *r);

static void set_state(struct okno_janus_room *r, uint64_t id, enum feed_state st)
{
    uint64_t *key = g_new(uint64_t, 1);
    *key = id;
    g_hash_table_replace(r->feeds, key, GINT_TO_POINTER(st));
}

/* Moves every feed in state from to state to (and lists them in streams when given); limit 0:
 * all. Returns how many moved. */
static unsigned move_feeds(struct okno_janus_room *r, enum feed_state from, enum feed_state to,
                           json_t *streams, unsigned limit)
{
    GHashTableIter it;
    gpointer key, value;
    unsigned n = 0;
    g_hash_table_iter_init(&it, r->feeds);
    while (g_hash_table_iter_next(&it, &key, &value) && (limit == 0 || n < limit)) {
        if ((enum feed_state)GPOINTER_TO_INT(value) != from)
            continue;
        if (streams)
            json_array_append_new(streams,
                                  json_pack("{s:I}", "feed", (json_int_t) * (uint64_t *)key));
        g_hash_table_iter_replace(&it, GINT_TO_POINTER(to));
        n++;
    }
    return n;
}

static unsigned count_feeds(struct okno_janus_room *r, enum feed_state st)
{
    GHashTableIter it;
    gpointer value;
    unsigned n = 0;
    g_hash_table_iter_init(&it, r->feeds);
    while (g_hash_table_iter_next(&it, NULL, &value))
        n += (enum feed_state)GPOINTER_TO_INT(value) == st;
    return n;
}

static void drop_feeds(struct okno_janus_room *r, enum feed_state st)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, r->feeds);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        if ((enum feed_state)GPOINTER_TO_INT(value) == st)
            g_hash_table_iter_remove(&it);
    }
}

static void fail_closed(struct okno_janus_room *r, int err, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static void fail_closed(struct okno_janus_room *r, int err, const char *fmt, ...)
{
    if (r->closed || !r->listener.on_closed)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *m = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    r->listener.on_closed(r->owner, err, m);
    g_free(m);
}

/* Janus's offer for the subscriber PeerConnection, from a reply or an unsolicited event. */
static bool offer_from(struct okno_janus_room *r, json_t *msg)
{
    json_t *jsep = json_object_get(msg, "jsep");
    const char *type = json_string_value(json_object_get(jsep, "type"));
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    if (!type || strcmp(type, "offer") != 0 || !sdp)
        return false;
    json_t *streams =
        json_object_get(json_object_get(json_object_get(msg, "plugindata"), "data"), "streams");
    r->busy = true; /* until our answer is taken */
    json_t *ev = json_pack("{s:s, s:s}", "type", "offer", "sdp", sdp);
    if (ev && json_is_array(streams))
        json_object_set(ev, "streams", streams);
    emit(r, "offer", ev);
    return true;
}

static void on_subscribed(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_janus_room *r = arg;
    if (err == OKNO_E_NOTFOUND) {
        /* A feed of the batch has gone: retry the others singly; a single one is dropped. */
        if (count_feeds(r, FEED_REQUESTED) > 1) {
            move_feeds(r, FEED_REQUESTED, FEED_WANTED, NULL, 0);
            r->one_at_a_time = true;
        } else {
            drop_feeds(r, FEED_REQUESTED);
        }
        r->busy = false;
        pump(r);
        return;
    }
    if (err < 0) {
        fail_closed(r, err, "Janus refused the subscription: %s", message);
        return;
    }
    r->sub_joined = true;
    move_feeds(r, FEED_REQUESTED, FEED_SUBSCRIBED, NULL, 0);
    if (!offer_from(r, reply)) {
        r->busy = false; /* nothing to renegotiate */
        pump(r);
    }
}

static void on_unsubscribed(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_janus_room *r = arg;
    (void)message;
    /* Refused or not, those feeds are gone from Janus's side. */
    drop_feeds(r, FEED_REQUESTED);
    if (err < 0 || !offer_from(r, reply)) {
        r->busy = false;
        pump(r);
    }
}

static void subscribe(struct okno_janus_room *r)
{
    json_t *streams = json_array();
    move_feeds(r, FEED_WANTED, FEED_REQUESTED, streams, r->one_at_a_time ? 1 : 0);
    json_t *body = r->sub_joined
                       ? json_pack("{s:s, s:o}", "request", "subscribe", "streams", streams)
                       : json_pack("{s:s, s:s, s:I, s:o}", "request", "join", "ptype", "subscriber",
                                   "room", (json_int_t)r->room, "streams", streams);
    r->busy = true;
    int rc = okno_janus_message(r->j, r->sub, body, NULL, on_subscribed, r);
    if (rc < 0)
        fail_closed(r, rc, "cannot send the subscription: %s", okno_strerror(rc));
}

static void on_sub_attached(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_janus_room *r = arg;
    if (err < 0) {
        fail_closed(r, err, "cannot attach the subscriber handle: %s", message);
        return;
    }
    r->sub = okno_janus_reply_id(reply);
    r->busy = false;
    pump(r);
}

/* Starts the next change of the subscription when none is outstanding. */
static void pump(struct okno_janus_room *r)
{
    if (r->closed || r->busy)
        return;
    if (count_feeds(r, FEED_LEAVING) > 0 && r->sub_joined) {
        json_t *streams = json_array();
        move_feeds(r, FEED_LEAVING, FEED_REQUESTED, streams, 0);
        r->busy = true;
        int rc = okno_janus_message(
            r->j, r->sub, json_pack("{s:s, s:o}", "request", "unsubscribe", "streams", streams),
            NULL, on_unsubscribed, r);
        if (rc < 0)
            fail_closed(r, rc, "cannot send the unsubscription: %s", okno_strerror(rc));
        return;
    }
    if (count_feeds(r, FEED_WANTED) == 0) {
        r->one_at_a_time = false;
        return;
    }
    if (!r->sub) {
        r->busy = true;
        int rc = okno_janus_attach(r->j, PLUGIN, on_sub_attached, r);
        if (rc < 0)
            fail_closed(r, rc, "cannot attach the subscriber handle: %s", okno_strerror(rc));
        return;
    }
    subscribe(r);
}

/* A "publishers" list (join reply or event): every feed but ours is wanted. */
static void add_publishers(struct okno_janus_room *r, json_t *list)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        json_t *idv = json_object_get(p, "id");
        if (!json_is_integer(idv) || json_integer_value(idv) <= 0)
            continue;
        uint64_t id = (uint64_t)json_integer_value(idv);
        if (id == r->self || g_hash_table_contains(r->feeds, &id))
            continue;
        set_state(r, id, FEED_WANTED);
        uint64_t *key = g_new(uint64_t, 1);
        *key = id;
        g_hash_table_add(r->announced, key);
        char ids[24];
        id_string(id, ids, sizeof(ids));
        const char *display = json_string_value(json_object_get(p, "display"));
        emit(r, "participant_joined",
             json_pack("{s:s, s:s, s:s}", "type", "participant_joined", "participant", ids, "name",
                       display ? display : ""));
    }
}

static void remove_publisher(struct okno_janus_room *r, json_t *idv)
{
    if (!json_is_integer(idv))
        return; /* "ok": about ourselves */
    uint64_t id = (uint64_t)json_integer_value(idv);
    gpointer value;
    if (g_hash_table_lookup_extended(r->feeds, &id, NULL, &value)) {
        enum feed_state st = (enum feed_state)GPOINTER_TO_INT(value);
        if (st == FEED_WANTED)
            g_hash_table_remove(r->feeds, &id);
        else if (st == FEED_SUBSCRIBED)
            set_state(r, id, FEED_LEAVING);
        /* FEED_REQUESTED: the reply settles it; a later event finds it subscribed or gone. */
    }
    /* Janus says "unpublished" and then "leaving": the owner hears of it once. */
    if (!g_hash_table_remove(r->announced, &id))
        return;
    char ids[24];
    id_string(id, ids, sizeof(ids));
    emit(r, "participant_left",
         json_pack("{s:s, s:s}", "type", "participant_left", "participant", ids));
}

/* ---- Janus's asynchronous messages -------------------------------------------------------------
 */

static void on_janus_event(void *owner, uint64_t handle, const char *kind, json_t *msg)
{
    struct okno_janus_room *r = owner;
    const char *pc = handle && handle == r->sub ? "subscriber" : "publisher";
    if (!strcmp(kind, "trickle")) {
        json_t *c = json_object_get(msg, "candidate");
        const char *line = json_string_value(json_object_get(c, "candidate"));
        json_t *ev = json_pack("{s:s, s:s}", "type", "candidate", "pc", pc);
        json_object_set_new(ev, "candidate",
                            line ? json_pack("{s:s}", "candidate", line) : json_null());
        emit(r, "candidate", ev);
    } else if (!strcmp(kind, "event")) {
        json_t *data = json_object_get(json_object_get(msg, "plugindata"), "data");
        if (handle == r->sub) {
            (void)offer_from(r, msg); /* Janus renegotiating on its own */
            return;
        }
        add_publishers(r, json_object_get(data, "publishers"));
        remove_publisher(r, json_object_get(data, "unpublished"));
        remove_publisher(r, json_object_get(data, "leaving"));
        pump(r);
    } else if (!strcmp(kind, "hangup") || !strcmp(kind, "slowlink") || !strcmp(kind, "media")) {
        json_t *ev = json_deep_copy(msg);
        json_object_set_new(ev, "pc", json_string(pc));
        emit(r, kind, ev);
    }
}

static void on_janus_closed(void *owner, int err, const char *reason)
{
    fail_closed(owner, err, "%s", reason);
}

/* ---- requests from the session -----------------------------------------------------------------
 */

static void on_opened(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_janus_room *r = arg;
    r->on_open(r->open_arg, err, reply, message);
}

int okno_janus_room_connect(GMainContext *ctx, const char *url, uint64_t room, guint timeout_ms,
                            const struct okno_janus_room_listener *listener, void *owner,
                            okno_janus_done_fn on_open, void *arg, struct okno_janus_room **out)
{
    if (!ctx || !url || !listener || !on_open || !out)
        return OKNO_E_INVAL;
    struct okno_janus_room *r = g_new0(struct okno_janus_room, 1);
    r->ctx = ctx;
    r->listener = *listener;
    r->owner = owner;
    r->on_open = on_open;
    r->open_arg = arg;
    r->room = room ? room : OKNO_JANUS_DEFAULT_ROOM;
    r->feeds = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    r->announced = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    static const struct okno_janus_listener jl = {.on_event = on_janus_event,
                                                  .on_closed = on_janus_closed};
    int rc = okno_janus_connect(ctx, url, timeout_ms, &jl, r, on_opened, r, &r->j);
    if (rc < 0) {
        g_hash_table_destroy(r->feeds);
        g_hash_table_destroy(r->announced);
        g_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static void on_joined(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_janus_room *r = arg;
    if (err < 0) {
        r->join_done(r->join_arg, err, reply, message);
        return;
    }
    json_t *data = json_object_get(json_object_get(reply, "plugindata"), "data");
    r->self = okno_janus_reply_id(reply);
    char ids[24];
    id_string(r->self, ids, sizeof(ids));
    json_t *publishers = json_object_get(data, "publishers");
    json_t *out = json_pack("{s:s, s:s, s:I}", "type", "joined", "participant", ids, "room",
                            (json_int_t)r->room);
    json_object_set(out, "publishers", json_is_array(publishers) ? publishers : json_array());
    r->join_done(r->join_arg, 0, out, NULL);
    json_decref(out);
    if (!r->closed) {
        add_publishers(r, publishers);
        pump(r);
    }
}

static void on_pub_attached(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_janus_room *r = arg;
    if (err == 0 && !(r->pub = okno_janus_reply_id(reply))) {
        err = OKNO_E_MALFORMED;
        message = "Janus's attach reply has no handle id";
    }
    if (err < 0) {
        r->join_done(r->join_arg, err, reply, message);
        return;
    }
    json_t *body = json_pack("{s:s, s:s, s:I, s:s}", "request", "join", "ptype", "publisher",
                             "room", (json_int_t)r->room, "display", r->display);
    int rc = okno_janus_message(r->j, r->pub, body, NULL, on_joined, r);
    if (rc < 0)
        r->join_done(r->join_arg, rc, NULL, "cannot send join");
}

int okno_janus_room_join(struct okno_janus_room *r, const char *display, okno_janus_done_fn done,
                         void *arg)
{
    if (!r || !display || !done || r->pub)
        return OKNO_E_INVAL;
    g_free(r->display);
    r->display = g_strdup(display);
    r->join_done = done;
    r->join_arg = arg;
    return okno_janus_attach(r->j, PLUGIN, on_pub_attached, r);
}

struct forward {
    okno_janus_done_fn done;
    void *arg;
};

static void on_published(void *arg, int err, json_t *reply, const char *message)
{
    struct forward f = *(struct forward *)arg;
    g_free(arg);
    json_t *jsep = json_object_get(reply, "jsep");
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    if (err == 0 && !sdp) {
        f.done(f.arg, OKNO_E_MALFORMED, reply, "Janus's publish reply carries no answer");
        return;
    }
    if (err < 0) {
        f.done(f.arg, err, reply, message);
        return;
    }
    json_t *out = json_pack("{s:s, s:s}", "type", "answer", "sdp", sdp);
    f.done(f.arg, 0, out, NULL);
    json_decref(out);
}

int okno_janus_room_publish(struct okno_janus_room *r, const char *sdp, okno_janus_done_fn done,
                            void *arg)
{
    if (!r || !sdp || !done || !r->pub)
        return OKNO_E_INVAL;
    struct forward *f = g_new(struct forward, 1);
    f->done = done;
    f->arg = arg;
    /* client_sdp lists simulcast rids low to high (q;h;f); Janus assumes high to low unless told.
     */
    json_t *jsep = json_pack("{s:s, s:s, s:s}", "type", "offer", "sdp", sdp, "rid_order", "lmh");
    int rc = okno_janus_message(r->j, r->pub, json_pack("{s:s}", "request", "publish"), jsep,
                                on_published, f);
    if (rc < 0)
        g_free(f);
    return rc;
}

static void on_started(void *arg, int err, json_t *reply, const char *message)
{
    struct okno_janus_room *r = arg;
    r->busy = false;
    okno_janus_done_fn done = r->answer_done;
    r->answer_done = NULL;
    if (done)
        done(r->answer_arg, err, reply, message);
    if (!r->closed && err == 0)
        pump(r);
}

int okno_janus_room_answer(struct okno_janus_room *r, const char *sdp, okno_janus_done_fn done,
                           void *arg)
{
    if (!r || !sdp || !done || !r->sub)
        return OKNO_E_INVAL;
    r->answer_done = done;
    r->answer_arg = arg;
    return okno_janus_message(r->j, r->sub, json_pack("{s:s}", "request", "start"),
                              json_pack("{s:s, s:s}", "type", "answer", "sdp", sdp), on_started, r);
}

int okno_janus_room_candidate(struct okno_janus_room *r, const char *pc, const char *candidate)
{
    if (!r || !pc)
        return OKNO_E_INVAL;
    uint64_t handle = !strcmp(pc, "subscriber") ? r->sub : r->pub;
    return handle ? okno_janus_trickle(r->j, handle, candidate) : OKNO_E_STATE;
}

void okno_janus_room_label(json_t *streams, struct okno_client_sub_offer *offer)
{
    size_t i;
    json_t *st;
    json_array_foreach(streams, i, st)
    {
        const char *mid = json_string_value(json_object_get(st, "mid"));
        json_t *feed = json_object_get(st, "feed_id");
        const char *feed_mid = json_string_value(json_object_get(st, "feed_mid"));
        if (!mid || !json_is_integer(feed))
            continue;
        for (unsigned t = 0; t < offer->n_tracks; t++) {
            struct okno_client_sub_track *tr = &offer->tracks[t];
            if (strcmp(tr->mid, mid) != 0)
                continue;
            char ids[24];
            id_string((uint64_t)json_integer_value(feed), ids, sizeof(ids));
            g_strlcpy(tr->participant, ids, sizeof(tr->participant));
            snprintf(tr->track, sizeof(tr->track), "%s-%s", ids, feed_mid ? feed_mid : mid);
        }
    }
}

static gboolean free_room(gpointer data)
{
    struct okno_janus_room *r = data;
    g_hash_table_destroy(r->feeds);
    g_hash_table_destroy(r->announced);
    g_free(r->display);
    g_free(r);
    return G_SOURCE_REMOVE;
}

void okno_janus_room_close(struct okno_janus_room *r)
{
    if (!r || r->closed)
        return;
    r->closed = true;
    okno_janus_close(r->j);
    r->j = NULL;
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, free_room, r, NULL);
    g_source_attach(idle, r->ctx);
    g_source_unref(idle);
}
