/* A test harness that puts the real SFU (sfu.h, on real media workers and real sockets) behind
 * stdin and stdout instead of a WebSocket: each input line is one client message of
 * docs/protocol.md with an extra integer "session" naming the client; each SFU event comes out as
 * one line of the matching server message with that "session". aiortc_room.py drives it when no
 * signalling server is given, so the media path is tested end to end with nothing of src/api.
 *
 * It deliberately checks only what it needs to route a message: validation is src/api's. Usage:
 *   sfu_stdio CONFIG */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>

#include "core/config.h"
#include "core/log.h"
#include "core/worker.h"
#include "okno/err.h"
#include "sfu/sfu.h"

static struct okno_sfu *sfu;
static GMainLoop *loop;
static GString *line_buf;
static guint stdin_source;

static const char *const event_names[] = {
    [OKNO_SFU_EV_JOINED] = "joined",
    [OKNO_SFU_EV_ANSWER] = "answer",
    [OKNO_SFU_EV_OFFER] = "offer",
    [OKNO_SFU_EV_CANDIDATE] = "candidate",
    [OKNO_SFU_EV_ACK] = "ack",
    [OKNO_SFU_EV_ERROR] = "error",
    [OKNO_SFU_EV_PARTICIPANT_JOINED] = "participant_joined",
    [OKNO_SFU_EV_PARTICIPANT_LEFT] = "participant_left",
    [OKNO_SFU_EV_TRACK_PUBLISHED] = "track_published",
    [OKNO_SFU_EV_TRACK_UNPUBLISHED] = "track_unpublished",
    [OKNO_SFU_EV_CLOSED] = "closed",
};

static void set_str(json_t *o, const char *key, const char *value)
{
    if (value)
        json_object_set_new(o, key, json_string(value));
}

static void on_event(void *ud, const struct okno_sfu_event *ev)
{
    (void)ud;
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(event_names[ev->type]));
    json_object_set_new(o, "session", json_integer((json_int_t)ev->session));
    if (ev->req)
        json_object_set_new(o, "id", json_integer((json_int_t)ev->req));
    if (ev->type == OKNO_SFU_EV_OFFER || ev->type == OKNO_SFU_EV_CANDIDATE)
        set_str(o, "pc", ev->pc == OKNO_SFU_PC_PUBLISHER ? "publisher" : "subscriber");
    set_str(o, "room", ev->room);
    set_str(o, "participant", ev->participant);
    set_str(o, "name", ev->name);
    set_str(o, "role", ev->role);
    set_str(o, "track", ev->track);
    set_str(o, "kind", ev->kind);
    set_str(o, "sdp", ev->sdp);
    set_str(o, "code", ev->code);
    set_str(o, "message", ev->message);
    if (ev->type == OKNO_SFU_EV_CANDIDATE) {
        json_t *c = json_null();
        if (ev->candidate)
            c = json_pack("{s:s,s:s,s:i}", "candidate", ev->candidate, "sdpMid",
                          ev->mid ? ev->mid : "0", "sdpMLineIndex", ev->mline_index);
        json_object_set_new(o, "candidate", c);
    }
    if (ev->type == OKNO_SFU_EV_JOINED) {
        json_t *ps = json_array();
        for (size_t i = 0; i < ev->n_participants; i++) {
            const struct okno_sfu_participant_info *p = &ev->participants[i];
            json_t *ts = json_array();
            for (size_t t = 0; t < p->n_tracks; t++)
                json_array_append_new(ts, json_pack("{s:s,s:s}", "track", p->tracks[t].track,
                                                    "kind", p->tracks[t].kind));
            json_array_append_new(ps, json_pack("{s:s,s:s,s:s,s:o}", "participant", p->participant,
                                                "name", p->name, "role", p->role, "tracks", ts));
        }
        json_object_set_new(o, "participants", ps);
    }
    char *text = json_dumps(o, JSON_COMPACT);
    printf("%s\n", text);
    fflush(stdout);
    free(text);
    json_decref(o);
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void handle(const char *text)
{
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    if (!json_is_object(o)) {
        fprintf(stderr, "sfu_stdio: bad line: %s\n", err.text);
        json_decref(o);
        return;
    }
    uint64_t session = (uint64_t)json_integer_value(json_object_get(o, "session"));
    uint64_t req = (uint64_t)json_integer_value(json_object_get(o, "id"));
    const char *type = str(o, "type");
    const char *pcs = str(o, "pc");
    enum okno_sfu_pc pc =
        pcs && strcmp(pcs, "publisher") == 0 ? OKNO_SFU_PC_PUBLISHER : OKNO_SFU_PC_SUBSCRIBER;
    if (!type) {
    } else if (strcmp(type, "join") == 0) {
        okno_sfu_join(sfu, session, req, str(o, "room"), str(o, "name"), str(o, "role"));
    } else if (strcmp(type, "publish") == 0) {
        okno_sfu_publish(sfu, session, req, str(o, "sdp"));
    } else if (strcmp(type, "answer") == 0) {
        okno_sfu_answer(sfu, session, req, pc, str(o, "sdp"));
    } else if (strcmp(type, "candidate") == 0) {
        json_t *c = json_object_get(o, "candidate");
        json_t *idx = json_object_get(c, "sdpMLineIndex");
        okno_sfu_candidate(sfu, session, req, pc, json_is_object(c) ? str(c, "candidate") : NULL,
                           json_is_object(c) ? str(c, "sdpMid") : NULL,
                           json_is_integer(idx) ? (int)json_integer_value(idx) : 0);
    } else if (strcmp(type, "leave") == 0) {
        okno_sfu_leave(sfu, session, req);
    }
    json_decref(o);
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer data)
{
    (void)cond;
    (void)data;
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
        stdin_source = 0;
        g_main_loop_quit(loop);
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(line_buf, buf, n);
    char *nl;
    while ((nl = memchr(line_buf->str, '\n', line_buf->len))) {
        *nl = '\0';
        handle(line_buf->str);
        g_string_erase(line_buf, 0, nl - line_buf->str + 1);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer data)
{
    (void)data;
    g_main_loop_quit(loop);
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: sfu_stdio CONFIG\n");
        return 2;
    }
    okno_log_init();
    struct okno_config *cfg;
    char *errors = NULL;
    if (okno_config_load(argv[1], &cfg, &errors) != 0) {
        fprintf(stderr, "%s\n", errors);
        return 1;
    }
    okno_log_set_level((enum okno_log_level)okno_config_enum(cfg, "general", "log_level"));
    struct okno_workers *workers;
    if (okno_workers_start((unsigned)okno_config_int(cfg, "general", "workers"), &workers) != 0)
        return 1;
    const struct okno_sfu_listener listener = {.on_event = on_event};
    if (okno_sfu_create(workers, cfg, NULL, NULL, &listener, &sfu) != 0)
        return 1;
    loop = g_main_loop_new(NULL, FALSE);
    line_buf = g_string_new(NULL);
    stdin_source = g_unix_fd_add(0, G_IO_IN | G_IO_HUP, on_stdin, NULL);
    guint term = g_unix_signal_add(SIGTERM, on_term, NULL);
    g_main_loop_run(loop);
    if (stdin_source)
        g_source_remove(stdin_source);
    g_source_remove(term);
    okno_sfu_destroy(sfu);
    okno_workers_stop(workers);
    okno_config_free(cfg);
    g_string_free(line_buf, TRUE);
    g_main_loop_unref(loop);
    return 0;
}
