/* The SFU facade on the main thread (sfu.h): which session is in which room, which room lives on
 * which worker, and the posting of every request, with copies of its strings, to that worker.
 * Rooms are created on the first join and freed after the last leave; the main thread's count of
 * sessions per room decides, so a join racing the end of a room can never land in a freed one. It
 * deliberately holds no room state beyond that count: everything else lives on the worker. */
#include "sfu/sfu.h"

#include <errno.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/worker.h"
#include "okno/err.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"

/* Clients whose links okno remembers at most (a few hundred bytes each). */
#define LINK_MEMORY_KEYS 4096
/* How often the link memory's file is written (when something changed). */
#define LINK_MEMORY_SAVE_S 60

struct sfu_room_ref {
    char *name;
    unsigned worker;
    struct okno_room *room; /* the worker's; the main thread only passes it back in posts */
    unsigned sessions;
};

struct sfu_session {
    uint64_t id;
    struct sfu_room_ref *ref;
};

enum job_op {
    JOB_JOIN,
    JOB_LEAVE,
    JOB_PUBLISH,
    JOB_ANSWER,
    JOB_CANDIDATE,
    JOB_RESTART,
    JOB_RECEIVE_LIMIT,
    JOB_FREE
};

struct job {
    enum job_op op;
    struct okno_room *room;
    uint64_t session, req;
    enum okno_sfu_pc pc;
    char *a, *b, *c; /* copies of the request's strings */
    int mline_index;
};

static void run_job(void *data)
{
    struct job *j = data;
    switch (j->op) {
    case JOB_JOIN:
        okno_room_join(j->room, j->session, j->req, j->a, j->b, j->c);
        break;
    case JOB_LEAVE:
        okno_room_leave(j->room, j->session, j->req);
        break;
    case JOB_PUBLISH:
        okno_room_publish(j->room, j->session, j->req, j->a);
        break;
    case JOB_ANSWER:
        okno_room_answer(j->room, j->session, j->req, j->pc, j->a);
        break;
    case JOB_CANDIDATE:
        okno_room_candidate(j->room, j->session, j->req, j->pc, j->a, j->b, j->mline_index);
        break;
    case JOB_RESTART:
        okno_room_restart(j->room, j->session, j->req, j->pc);
        break;
    case JOB_RECEIVE_LIMIT:
        okno_room_receive_limit(j->room, j->session, j->req, (uint32_t)j->mline_index);
        break;
    case JOB_FREE:
        okno_room_free(j->room, j->a);
        break;
    }
    g_free(j->a);
    g_free(j->b);
    g_free(j->c);
    g_free(j);
}

static void post(struct okno_sfu *sfu, struct sfu_room_ref *ref, struct job *j)
{
    j->room = ref->room;
    if (okno_workers_post(sfu->workers, ref->worker, run_job, j) != 0) {
        /* Only during shutdown; the room goes with its worker. */
        okno__sfu_error(sfu, j->session, j->req, "internal", "the media worker is stopping");
        g_free(j->a);
        g_free(j->b);
        g_free(j->c);
        g_free(j);
    }
}

static struct job *job_new(enum job_op op, uint64_t session, uint64_t req)
{
    struct job *j = g_new0(struct job, 1);
    j->op = op;
    j->session = session;
    j->req = req;
    return j;
}

/* --- configuration
 * --------------------------------------------------------------------------------
 */

static int read_config(struct okno_sfu *sfu, const struct okno_config *cfg)
{
    struct okno_ice_config *ice = &sfu->ice;
    okno_ice_config_init(ice);
    for (const char *const *a = okno_config_strv(cfg, "media", "addresses"); *a; a++) {
        int rc = okno_ice_config_add_address(ice, *a);
        if (rc != 0 && rc != OKNO_E_EXISTS) {
            okno_log(OKNO_LOG_ERROR, "sfu", "[media] addresses: %s: %s", *a, okno_strerror(rc));
            return OKNO_E_CONFIG;
        }
    }
    if (ice->n_addresses == 0 && okno_ice_config_add_default_addresses(ice) < 0)
        okno_log(OKNO_LOG_WARN, "sfu", "more host addresses than okno uses; some left out");
    int64_t lo = okno_config_int(cfg, "media", "port_min");
    int64_t hi = okno_config_int(cfg, "media", "port_max");
    if (okno_ice_config_set_port_range(ice, (uint16_t)lo, (uint16_t)hi) != 0) {
        okno_log(OKNO_LOG_ERROR, "sfu", "[media] port_min/port_max: %lld..%lld is not a range",
                 (long long)lo, (long long)hi);
        return OKNO_E_CONFIG;
    }
    ice->tcp = okno_config_bool(cfg, "media", "ice_tcp") ? OKNO_ICE_TCP_PASSIVE : OKNO_ICE_TCP_OFF;
    const char *announced = okno_config_string(cfg, "media", "announced_address");
    if (okno_ice_config_set_announced(ice, announced) != 0) {
        okno_log(OKNO_LOG_ERROR, "sfu", "[media] announced_address: %s is not an IP address",
                 announced);
        return OKNO_E_CONFIG;
    }
    ice->consent_timeout_ms = 1000u * (unsigned)okno_config_int(cfg, "media", "consent_timeout_s");
    sfu->ice_restart_grace_s = (unsigned)okno_config_int(cfg, "media", "ice_restart_grace_s");
    sfu->max_publisher_kbps = (unsigned)okno_config_int(cfg, "media", "max_publisher_kbps");
    sfu->video_budget_ms = (unsigned)okno_config_int(cfg, "media", "video_playout_budget_ms");
    sfu->audio_budget_ms = (unsigned)okno_config_int(cfg, "media", "audio_playout_budget_ms");
    sfu->pacing = okno_config_bool(cfg, "media", "pacing");
    sfu->egress_workers = (unsigned)okno_config_int(cfg, "general", "egress_workers");
    sfu->egress_room_share = (unsigned)okno_config_int(cfg, "general", "egress_room_share");
    sfu->pacer_max_delay_ms = (unsigned)okno_config_int(cfg, "media", "pacer_max_delay_ms");
    const char *cert = okno_config_string(cfg, "media", "certificate");
    const char *key = okno_config_string(cfg, "media", "key");
    if (!*cert != !*key) {
        okno_log(OKNO_LOG_ERROR, "sfu", "[media] certificate and key go together");
        return OKNO_E_CONFIG;
    }
    int rc;
    if (*cert) {
        char *cp = okno_config_resolve_path(cfg, cert);
        char *kp = okno_config_resolve_path(cfg, key);
        rc = okno_cert_load_pem(cp, kp, &sfu->cert);
        if (rc != 0)
            okno_log(OKNO_LOG_ERROR, "sfu", "[media] certificate %s, key %s: %s", cp, kp,
                     okno_strerror(rc));
        g_free(cp);
        g_free(kp);
        return rc == 0 ? 0 : OKNO_E_CONFIG;
    }
    rc = okno_cert_generate("okno", &sfu->cert);
    if (rc != 0)
        okno_log(OKNO_LOG_ERROR, "sfu", "cannot make a DTLS certificate: %s", okno_strerror(rc));
    return rc;
}

static void save_links(struct okno_sfu *sfu, bool force)
{
    if (okno_link_memory_save(sfu->links, sfu->links_file, force) != 0)
        okno_log(OKNO_LOG_WARN, "sfu", "link memory: cannot write %s: %s", sfu->links_file,
                 g_strerror(errno));
}

static gboolean links_save(gpointer data)
{
    save_links(data, false);
    return G_SOURCE_CONTINUE;
}

/* The link memory ([media] link_memory_days), read from its file when it has one. A file that
 * cannot be read costs only the memory, not the start. */
static void links_open(struct okno_sfu *sfu, const struct okno_config *cfg)
{
    int64_t days = okno_config_int(cfg, "media", "link_memory_days");
    if (days <= 0)
        return;
    sfu->links = okno_link_memory_new(LINK_MEMORY_KEYS, days * 86400 * G_USEC_PER_SEC);
    const char *file = okno_config_string(cfg, "media", "link_memory_file");
    if (!*file)
        return;
    sfu->links_file = okno_config_resolve_path(cfg, file);
    unsigned loaded = 0, ignored = 0;
    int rc =
        okno_link_memory_load(sfu->links, sfu->links_file, g_get_real_time(), &loaded, &ignored);
    if (rc == 0)
        okno_log(ignored ? OKNO_LOG_WARN : OKNO_LOG_INFO, "sfu",
                 "link memory: %u client(s) from %s, %u line(s) ignored (malformed or too old)",
                 loaded, sfu->links_file, ignored);
    else if (rc == OKNO_E_NOTFOUND)
        okno_log(OKNO_LOG_INFO, "sfu", "link memory: %s does not exist yet", sfu->links_file);
    else
        okno_log(OKNO_LOG_WARN, "sfu", "link memory: cannot read %s: %s (starting empty)",
                 sfu->links_file, g_strerror(errno));
    sfu->links_save = g_timeout_source_new_seconds(LINK_MEMORY_SAVE_S);
    g_source_set_callback(sfu->links_save, links_save, sfu, NULL);
    g_source_attach(sfu->links_save, sfu->main_ctx);
}

/* --- public
 * ---------------------------------------------------------------------------------------
 */

static void session_free(gpointer data)
{
    g_free(data);
}

static void ref_free(gpointer data)
{
    struct sfu_room_ref *ref = data;
    g_free(ref->name);
    g_free(ref);
}

int okno_sfu_set_bwe(struct okno_sfu *sfu, const struct okno_bwe_ops *ops, void *state)
{
    if (ops && !okno_bwe_ops_valid(ops)) {
        okno_log(OKNO_LOG_ERROR, "sfu", "the bwe plugin's ops lack an entry; estimates are off");
        return OKNO_E_INVAL;
    }
    sfu->bwe = ops;
    sfu->bwe_state = ops ? state : NULL;
    if (ops)
        okno_log(OKNO_LOG_INFO, "sfu", "subscriber connections get bandwidth estimates");
    return 0;
}

int okno_sfu_create(struct okno_workers *workers, const struct okno_config *cfg,
                    const struct okno_rooms_ops *policy, void *policy_state,
                    const struct okno_sfu_listener *listener, struct okno_sfu **out)
{
    if (!workers || !cfg || !listener || !out)
        return OKNO_E_INVAL;
    struct okno_sfu *sfu = g_new0(struct okno_sfu, 1);
    int rc = read_config(sfu, cfg);
    if (rc != 0) {
        g_free(sfu);
        return rc;
    }
    sfu->workers = workers;
    sfu->policy = policy;
    sfu->policy_state = policy_state;
    sfu->listener = *listener;
    sfu->main_ctx = g_main_context_ref_thread_default();
    sfu->sessions = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, session_free);
    sfu->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, ref_free);
    g_mutex_init(&sfu->lock);
    g_queue_init(&sfu->events);
    links_open(sfu, cfg);
    okno_log(OKNO_LOG_INFO, "sfu", "media on %zu address(es), ports %u..%u, ICE-TCP %s",
             sfu->ice.n_addresses, sfu->ice.port_min, sfu->ice.port_max,
             sfu->ice.tcp ? "on" : "off");
    *out = sfu;
    return 0;
}

/* Ends a room from the main thread's side: no session points at it any more. */
static void end_room(struct okno_sfu *sfu, struct sfu_room_ref *ref, const char *message)
{
    struct job *j = job_new(JOB_FREE, 0, 0);
    j->a = g_strdup(message);
    post(sfu, ref, j);
    okno_workers_release_room(sfu->workers, ref->worker);
    g_hash_table_remove(sfu->rooms, ref->name);
}

void okno_sfu_destroy(struct okno_sfu *sfu)
{
    if (!sfu)
        return;
    g_hash_table_remove_all(sfu->sessions);
    GList *refs = g_hash_table_get_values(sfu->rooms);
    for (GList *l = refs; l; l = l->next)
        end_room(sfu, l->data, "the server is shutting down");
    g_list_free(refs);
    /* Rooms close their peers on the workers; libnice lets go of them asynchronously. Events
     * emitted meanwhile are delivered here. */
    for (;;) {
        g_mutex_lock(&sfu->lock);
        bool idle = sfu->event_source == NULL;
        g_mutex_unlock(&sfu->lock);
        if (idle && g_atomic_int_get(&sfu->live_rooms) == 0 &&
            g_atomic_int_get(&sfu->live_peers) == 0)
            break;
        g_main_context_iteration(sfu->main_ctx, TRUE);
    }
    g_hash_table_destroy(sfu->sessions);
    g_hash_table_destroy(sfu->rooms);
    g_mutex_clear(&sfu->lock);
    okno_cert_free(sfu->cert);
    if (sfu->links_save) {
        g_source_destroy(sfu->links_save);
        g_source_unref(sfu->links_save);
        save_links(sfu, true);
    }
    g_free(sfu->links_file);
    okno_link_memory_free(sfu->links);
    g_main_context_unref(sfu->main_ctx);
    g_free(sfu);
}

void okno_sfu_join(struct okno_sfu *sfu, uint64_t session, uint64_t req, const char *room,
                   const char *name, const char *role)
{
    okno_sfu_join_from(sfu, session, req, room, name, role, NULL);
}

void okno_sfu_join_from(struct okno_sfu *sfu, uint64_t session, uint64_t req, const char *room,
                        const char *name, const char *role, const char *link_key)
{
    if (g_hash_table_contains(sfu->sessions, &session)) {
        okno__sfu_error(sfu, session, req, "already_joined", "this connection joined already");
        return;
    }
    if (!room || !*room || !name || !role) {
        okno__sfu_error(sfu, session, req, "bad_request", "room, name and role are required");
        return;
    }
    struct sfu_room_ref *ref = g_hash_table_lookup(sfu->rooms, room);
    if (!ref) {
        ref = g_new0(struct sfu_room_ref, 1);
        ref->name = g_strdup(room);
        ref->worker = okno_workers_place_room(sfu->workers);
        ref->room = okno_room_new(sfu, room, ref->worker);
        g_hash_table_insert(sfu->rooms, ref->name, ref);
    }
    struct sfu_session *s = g_new0(struct sfu_session, 1);
    s->id = session;
    s->ref = ref;
    g_hash_table_insert(sfu->sessions, &s->id, s);
    ref->sessions++;
    struct job *j = job_new(JOB_JOIN, session, req);
    j->a = g_strdup(name);
    j->b = g_strdup(role);
    j->c = g_strdup(link_key);
    post(sfu, ref, j);
}

static struct sfu_room_ref *room_of(struct okno_sfu *sfu, uint64_t session, uint64_t req)
{
    struct sfu_session *s = g_hash_table_lookup(sfu->sessions, &session);
    if (!s)
        okno__sfu_error(sfu, session, req, "not_joined", "join a room first");
    return s ? s->ref : NULL;
}

void okno_sfu_publish(struct okno_sfu *sfu, uint64_t session, uint64_t req, const char *offer_sdp)
{
    struct sfu_room_ref *ref = room_of(sfu, session, req);
    if (!ref)
        return;
    struct job *j = job_new(JOB_PUBLISH, session, req);
    j->a = g_strdup(offer_sdp ? offer_sdp : "");
    post(sfu, ref, j);
}

void okno_sfu_answer(struct okno_sfu *sfu, uint64_t session, uint64_t req, enum okno_sfu_pc pc,
                     const char *answer_sdp)
{
    struct sfu_room_ref *ref = room_of(sfu, session, req);
    if (!ref)
        return;
    struct job *j = job_new(JOB_ANSWER, session, req);
    j->pc = pc;
    j->a = g_strdup(answer_sdp ? answer_sdp : "");
    post(sfu, ref, j);
}

void okno_sfu_candidate(struct okno_sfu *sfu, uint64_t session, uint64_t req, enum okno_sfu_pc pc,
                        const char *candidate, const char *mid, int mline_index)
{
    struct sfu_room_ref *ref = room_of(sfu, session, req);
    if (!ref)
        return;
    struct job *j = job_new(JOB_CANDIDATE, session, req);
    j->pc = pc;
    j->a = g_strdup(candidate);
    j->b = g_strdup(mid);
    j->mline_index = mline_index;
    post(sfu, ref, j);
}

void okno_sfu_restart(struct okno_sfu *sfu, uint64_t session, uint64_t req, enum okno_sfu_pc pc)
{
    struct sfu_room_ref *ref = room_of(sfu, session, req);
    if (!ref)
        return;
    struct job *j = job_new(JOB_RESTART, session, req);
    j->pc = pc;
    post(sfu, ref, j);
}

void okno_sfu_receive_limit(struct okno_sfu *sfu, uint64_t session, uint64_t req, uint32_t kbps)
{
    struct sfu_room_ref *ref = room_of(sfu, session, req);
    if (!ref)
        return;
    struct job *j = job_new(JOB_RECEIVE_LIMIT, session, req);
    j->mline_index = (int)MIN(kbps, 1000000u); /* the job's integer: the limit, kbit/s */
    post(sfu, ref, j);
}

void okno_sfu_leave(struct okno_sfu *sfu, uint64_t session, uint64_t req)
{
    struct sfu_session *s = g_hash_table_lookup(sfu->sessions, &session);
    if (!s) {
        okno__sfu_ack(sfu, session, req);
        return;
    }
    struct sfu_room_ref *ref = s->ref;
    g_hash_table_remove(sfu->sessions, &session);
    post(sfu, ref, job_new(JOB_LEAVE, session, req));
    if (--ref->sessions == 0)
        end_room(sfu, ref, NULL);
}
