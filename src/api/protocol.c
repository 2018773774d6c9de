/* The signalling protocol (see protocol.h): validation of client frames and the building of server
 * frames, with jansson. Every check names the field in its message, since the message is what a
 * client developer reads when their frame is refused. Client text is echoed into messages only when
 * it is short printable ASCII, so an error frame never carries what a client could use to inflate
 * or corrupt it. It deliberately knows nothing of sessions, sockets or the SFU beyond the event
 * struct it turns into frames. */
#include "api/protocol.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "okno/err.h"

static const char *const code_names[] = {
#define OKNO__PROTOCOL_CODE_NAME(name, text) text,
    OKNO_PROTOCOL_CODE_MAP(OKNO__PROTOCOL_CODE_NAME)
#undef OKNO__PROTOCOL_CODE_NAME
};

static const char *const type_names[] = {"join",  "publish", "answer",       "candidate",
                                         "leave", "restart", "receive_limit"};

const char *okno_protocol_code_name(enum okno_protocol_code code)
{
    if ((unsigned)code >= sizeof code_names / sizeof code_names[0])
        return "internal";
    return code_names[code];
}

const char *okno_protocol_type_name(enum okno_protocol_type type)
{
    if ((unsigned)type >= sizeof type_names / sizeof type_names[0])
        return "?";
    return type_names[type];
}

/* --- parsing -----------------------------------------------------------------------------------
 */

static void set_error(struct okno_protocol_error *err, enum okno_protocol_code code,
                      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_error(struct okno_protocol_error *err, enum okno_protocol_code code,
                      const char *fmt, ...)
{
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* Records the error and yields OKNO_E_MALFORMED. A macro, not a variadic function, so that static
 * analysis sees every failure path return non-zero. */
#define fail(err, code, ...) (set_error((err), (code), __VA_ARGS__), OKNO_E_MALFORMED)

/* Characters (code points) of valid UTF-8 text, as jansson guarantees its strings are. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static bool is_room_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static bool is_role_char(char c)
{
    return is_room_char(c) && c != '.';
}

/* Display text: no C0 or C1 control characters (U+0080..U+009F are C2 80..C2 9F in UTF-8). */
static bool is_display_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
            return false;
    }
    return true;
}

/* A string member: NULL without error when absent and optional. Strings holding U+0000 are refused
 * because C code would see them cut short (jansson refuses them already unless asked not to). */
static int get_string(json_t *obj, const char *key, const char *field, bool required,
                      const char **out, struct okno_protocol_error *err)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "%s: missing", field);
        return 0;
    }
    const char *s = json_string_value(v); /* NULL for anything but a string */
    if (!s)
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "%s: must be a string", field);
    if (strlen(s) != json_string_length(v))
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "%s: must not contain U+0000", field);
    *out = s;
    return 0;
}

/* A string of 1..max characters, each accepted by ok. */
static int get_word(json_t *obj, const char *key, size_t max, bool (*ok)(char), const char *charset,
                    const char **out, struct okno_protocol_error *err)
{
    int rc = get_string(obj, key, key, true, out, err);
    if (rc != 0)
        return rc;
    size_t len = strlen(*out);
    bool good = len >= 1 && len <= max;
    for (size_t i = 0; good && i < len; i++)
        good = ok((*out)[i]);
    if (!good)
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "%s: must be 1 to %zu characters of %s", key,
                    max, charset);
    return 0;
}

static int parse_id(json_t *root, struct okno_protocol_msg *msg, struct okno_protocol_error *err)
{
    json_t *id = json_object_get(root, "id");
    if (!id)
        return 0;
    if (json_is_string(id)) {
        if (json_string_length(id) > OKNO_PROTOCOL_MAX_ID)
            return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "id: a string id is at most %d bytes",
                        OKNO_PROTOCOL_MAX_ID);
    } else if (!json_is_number(id)) {
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "id: must be a string or a number");
    }
    msg->id = json_incref(id);
    return 0;
}

static int parse_type(json_t *root, struct okno_protocol_msg *msg, struct okno_protocol_error *err)
{
    const char *type;
    int rc = get_string(root, "type", "type", true, &type, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (strcmp(type, type_names[i]) == 0) {
            msg->type = (enum okno_protocol_type)i;
            return 0;
        }
    }
    bool echo = strlen(type) <= 32;
    for (const char *p = type; echo && *p; p++)
        echo = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
    return fail(err, OKNO_PROTOCOL_UNKNOWN_TYPE,
                "type%s%s%s is not one of join, publish, answer, candidate, leave",
                echo ? " \"" : "", echo ? type : "", echo ? "\"" : "");
}

static int parse_join(json_t *root, struct okno_protocol_msg *msg, struct okno_protocol_error *err)
{
    int rc = get_word(root, "room", OKNO_PROTOCOL_MAX_ROOM, is_room_char, "A-Z a-z 0-9 _ . -",
                      &msg->room, err);
    if (rc == 0)
        rc = get_word(root, "role", OKNO_PROTOCOL_MAX_ROLE, is_role_char, "A-Z a-z 0-9 _ -",
                      &msg->role, err);
    if (rc == 0)
        rc = get_string(root, "name", "name", true, &msg->name, err);
    if (rc != 0)
        return rc;
    size_t chars = utf8_chars(msg->name);
    if (chars < 1 || chars > OKNO_PROTOCOL_MAX_NAME || !is_display_text(msg->name))
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST,
                    "name: must be 1 to %d characters of text without control characters",
                    OKNO_PROTOCOL_MAX_NAME);
    if (json_is_null(json_object_get(root, "token")))
        return 0;
    rc = get_string(root, "token", "token", false, &msg->token, err);
    if (rc != 0)
        return rc;
    if (msg->token && strlen(msg->token) > OKNO_PROTOCOL_MAX_TOKEN)
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "token: at most %d bytes",
                    OKNO_PROTOCOL_MAX_TOKEN);
    if (msg->token && !*msg->token)
        msg->token = NULL;
    return 0;
}

static int parse_sdp(json_t *root, struct okno_protocol_msg *msg, struct okno_protocol_error *err)
{
    int rc = get_string(root, "sdp", "sdp", true, &msg->sdp, err);
    if (rc == 0 && !*msg->sdp)
        rc = fail(err, OKNO_PROTOCOL_BAD_REQUEST, "sdp: must not be empty");
    return rc;
}

static int parse_pc(json_t *root, struct okno_protocol_msg *msg, struct okno_protocol_error *err)
{
    const char *pc;
    int rc = get_string(root, "pc", "pc", true, &pc, err);
    if (rc != 0)
        return rc;
    if (strcmp(pc, "publisher") == 0)
        msg->pc = OKNO_SFU_PC_PUBLISHER;
    else if (strcmp(pc, "subscriber") == 0)
        msg->pc = OKNO_SFU_PC_SUBSCRIBER;
    else
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "pc: must be \"publisher\" or \"subscriber\"");
    return 0;
}

static int parse_answer(json_t *root, struct okno_protocol_msg *msg,
                        struct okno_protocol_error *err)
{
    int rc = parse_pc(root, msg, err);
    if (rc == 0 && msg->pc != OKNO_SFU_PC_SUBSCRIBER)
        rc = fail(err, OKNO_PROTOCOL_BAD_REQUEST,
                  "pc: answers are for \"subscriber\" (okno answers the publisher's offers)");
    return rc == 0 ? parse_sdp(root, msg, err) : rc;
}

static int parse_restart(json_t *root, struct okno_protocol_msg *msg,
                         struct okno_protocol_error *err)
{
    int rc = parse_pc(root, msg, err);
    if (rc == 0 && msg->pc != OKNO_SFU_PC_SUBSCRIBER)
        rc =
            fail(err, OKNO_PROTOCOL_BAD_REQUEST,
                 "pc: restart is for \"subscriber\" (the publisher restarts with a publish offer)");
    return rc;
}

static int parse_receive_limit(json_t *root, struct okno_protocol_msg *msg,
                               struct okno_protocol_error *err)
{
    json_t *k = json_object_get(root, "kbps");
    if (!json_is_integer(k) || json_integer_value(k) < 0 || json_integer_value(k) > 1000000)
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST,
                    "kbps: must be an integer from 0 (no limit) to 1000000");
    msg->kbps = (uint32_t)json_integer_value(k);
    return 0;
}

static int parse_candidate(json_t *root, struct okno_protocol_msg *msg,
                           struct okno_protocol_error *err)
{
    int rc = parse_pc(root, msg, err);
    if (rc != 0)
        return rc;
    json_t *c = json_object_get(root, "candidate");
    if (!c)
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "candidate: missing (null ends candidates)");
    if (json_is_null(c))
        return 0;
    if (!json_is_object(c))
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "candidate: must be an object or null");
    rc = get_string(c, "candidate", "candidate.candidate", true, &msg->candidate, err);
    if (rc != 0)
        return rc;
    if (strlen(msg->candidate) > OKNO_PROTOCOL_MAX_CANDIDATE)
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "candidate.candidate: at most %d bytes",
                    OKNO_PROTOCOL_MAX_CANDIDATE);
    if (!json_is_null(json_object_get(c, "sdpMid"))) {
        rc = get_string(c, "sdpMid", "candidate.sdpMid", false, &msg->mid, err);
        if (rc != 0)
            return rc;
        if (msg->mid && strlen(msg->mid) > OKNO_PROTOCOL_MAX_MID)
            return fail(err, OKNO_PROTOCOL_BAD_REQUEST, "candidate.sdpMid: at most %d bytes",
                        OKNO_PROTOCOL_MAX_MID);
    }
    json_t *index = json_object_get(c, "sdpMLineIndex");
    if (index && !json_is_null(index)) {
        if (!json_is_integer(index) || json_integer_value(index) < 0 ||
            json_integer_value(index) > 65535)
            return fail(err, OKNO_PROTOCOL_BAD_REQUEST,
                        "candidate.sdpMLineIndex: must be an integer from 0 to 65535 or null");
        msg->mline_index = (int)json_integer_value(index);
    }
    if (!*msg->candidate) {
        /* An empty candidate is how some browsers say end-of-candidates. */
        msg->candidate = NULL;
        msg->mid = NULL;
        msg->mline_index = -1;
        return 0;
    }
    if (!msg->mid && msg->mline_index < 0)
        return fail(err, OKNO_PROTOCOL_BAD_REQUEST,
                    "candidate: needs sdpMid or sdpMLineIndex to name its media section");
    return 0;
}

int okno_protocol_parse(const char *frame, size_t len, struct okno_protocol_msg *msg,
                        struct okno_protocol_error *err)
{
    memset(msg, 0, sizeof *msg);
    msg->mline_index = -1;
    if (len > OKNO_PROTOCOL_MAX_FRAME)
        return fail(err, OKNO_PROTOCOL_BAD_JSON, "frame of %zu bytes: at most %zu", len,
                    OKNO_PROTOCOL_MAX_FRAME);
    json_error_t jerr;
    msg->root = json_loadb(frame, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!msg->root) {
        set_error(err, OKNO_PROTOCOL_BAD_JSON, "line %d column %d: %s", jerr.line, jerr.column,
                  jerr.text);
        /* jansson quotes the input "near" the error: keep the reply printable ASCII. */
        for (char *p = err->message; *p; p++) {
            if (*p < 0x20 || *p > 0x7e)
                *p = '?';
        }
        return OKNO_E_MALFORMED;
    }
    if (!json_is_object(msg->root))
        return fail(err, OKNO_PROTOCOL_BAD_JSON, "a frame must be a JSON object");
    int rc = parse_id(msg->root, msg, err);
    if (rc == 0)
        rc = parse_type(msg->root, msg, err);
    if (rc != 0)
        return rc;
    switch (msg->type) {
    case OKNO_PROTOCOL_JOIN:
        return parse_join(msg->root, msg, err);
    case OKNO_PROTOCOL_PUBLISH:
        return parse_sdp(msg->root, msg, err);
    case OKNO_PROTOCOL_ANSWER:
        return parse_answer(msg->root, msg, err);
    case OKNO_PROTOCOL_CANDIDATE:
        return parse_candidate(msg->root, msg, err);
    case OKNO_PROTOCOL_LEAVE:
        return 0;
    case OKNO_PROTOCOL_RESTART:
        return parse_restart(msg->root, msg, err);
    case OKNO_PROTOCOL_RECEIVE_LIMIT:
        return parse_receive_limit(msg->root, msg, err);
    }
    return fail(err, OKNO_PROTOCOL_INTERNAL, "type: not handled");
}

void okno_protocol_msg_clear(struct okno_protocol_msg *msg)
{
    json_decref(msg->id);
    json_decref(msg->root);
    memset(msg, 0, sizeof *msg);
    msg->mline_index = -1;
}

/* --- building ----------------------------------------------------------------------------------
 */

/* Sets key to the string s (skipped when s is NULL). Returns false when out of memory or s is not
 * valid UTF-8. */
static bool set_str(json_t *obj, const char *key, const char *s)
{
    if (!s)
        return true;
    return json_object_set_new(obj, key, json_string(s)) == 0;
}

static json_t *frame_new(const char *type, json_t *id)
{
    json_t *obj = json_object();
    if (obj && json_object_set_new(obj, "type", json_string(type)) != 0) {
        json_decref(obj);
        return NULL;
    }
    if (obj && id && json_object_set(obj, "id", id) != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static char *frame_dump(json_t *obj, bool ok)
{
    char *text = ok && obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    return text;
}

/* jansson's *_new setters take the reference even when they fail (or get NULL), so each child is
 * handed to its parent as soon as it exists and only the frame needs freeing on an error. */
static bool add_participants(json_t *obj, const struct okno_sfu_event *ev)
{
    json_t *list = json_array();
    if (json_object_set_new(obj, "participants", list) != 0)
        return false;
    for (size_t i = 0; ev->participants && i < ev->n_participants; i++) {
        const struct okno_sfu_participant_info *p = &ev->participants[i];
        json_t *item = json_object();
        if (json_array_append_new(list, item) != 0)
            return false;
        if (!set_str(item, "participant", p->participant) || !set_str(item, "name", p->name) ||
            !set_str(item, "role", p->role))
            return false;
        json_t *tracks = json_array();
        if (json_object_set_new(item, "tracks", tracks) != 0)
            return false;
        for (size_t t = 0; p->tracks && t < p->n_tracks; t++) {
            json_t *tr = json_object();
            if (json_array_append_new(tracks, tr) != 0 ||
                !set_str(tr, "track", p->tracks[t].track) ||
                !set_str(tr, "kind", p->tracks[t].kind))
                return false;
        }
    }
    return true;
}

static bool add_candidate(json_t *obj, const struct okno_sfu_event *ev)
{
    if (!ev->candidate)
        return json_object_set_new(obj, "candidate", json_null()) == 0;
    json_t *c = json_object();
    if (json_object_set_new(obj, "candidate", c) != 0)
        return false;
    return set_str(c, "candidate", ev->candidate) &&
           json_object_set_new(c, "sdpMid", ev->mid ? json_string(ev->mid) : json_null()) == 0 &&
           json_object_set_new(c, "sdpMLineIndex",
                               ev->mline_index >= 0 ? json_integer(ev->mline_index)
                                                    : json_null()) == 0;
}

static const char *pc_name(enum okno_sfu_pc pc)
{
    return pc == OKNO_SFU_PC_PUBLISHER ? "publisher" : "subscriber";
}

/* {"type":"quality","track":...,"publisher":...,"layer":{"spatial":s,"temporal":t}|null,
 *  "paused":bool,"reason":...,"estimate_kbps":N} */
static char *build_quality(const struct okno_sfu_event *ev, json_t *id)
{
    json_t *f = frame_new("quality", id);
    if (!f)
        return NULL;
    bool ok = set_str(f, "track", ev->track) && set_str(f, "publisher", ev->participant);
    json_t *layer = ev->paused
                        ? json_null()
                        : json_pack("{s:i,s:i}", "spatial", ev->spatial, "temporal", ev->temporal);
    /* Set even after a failure: the object takes the reference either way. */
    ok = json_object_set_new(f, "layer", layer) == 0 && ok;
    ok = ok && json_object_set_new(f, "paused", json_boolean(ev->paused)) == 0 &&
         set_str(f, "reason", ev->reason ? ev->reason : "none") &&
         json_object_set_new(f, "estimate_kbps", json_integer(ev->estimate_kbps)) == 0;
    return frame_dump(f, ok);
}

char *okno_protocol_build_event(const struct okno_sfu_event *ev, json_t *id)
{
    json_t *f;
    bool ok;
    switch (ev->type) {
    case OKNO_SFU_EV_JOINED:
        f = frame_new("joined", id);
        ok = f && set_str(f, "participant", ev->participant) && set_str(f, "room", ev->room) &&
             add_participants(f, ev);
        return frame_dump(f, ok);
    case OKNO_SFU_EV_ANSWER:
        f = frame_new("answer", id);
        return frame_dump(f, f && set_str(f, "sdp", ev->sdp));
    case OKNO_SFU_EV_OFFER:
        f = frame_new("offer", id);
        ok = f && set_str(f, "pc", "subscriber") && set_str(f, "sdp", ev->sdp);
        return frame_dump(f, ok);
    case OKNO_SFU_EV_CANDIDATE:
        f = frame_new("candidate", id);
        return frame_dump(f, f && set_str(f, "pc", pc_name(ev->pc)) && add_candidate(f, ev));
    case OKNO_SFU_EV_ACK:
        return frame_dump(frame_new("ack", id), true);
    case OKNO_SFU_EV_ERROR:
        return okno_protocol_build_error(id, ev->code ? ev->code : "internal", ev->message);
    case OKNO_SFU_EV_PARTICIPANT_JOINED:
        f = frame_new("participant_joined", id);
        ok = f && set_str(f, "participant", ev->participant) && set_str(f, "name", ev->name) &&
             set_str(f, "role", ev->role);
        return frame_dump(f, ok);
    case OKNO_SFU_EV_PARTICIPANT_LEFT:
        f = frame_new("participant_left", id);
        return frame_dump(f, f && set_str(f, "participant", ev->participant));
    case OKNO_SFU_EV_TRACK_PUBLISHED:
        f = frame_new("track_published", id);
        ok = f && set_str(f, "participant", ev->participant) && set_str(f, "track", ev->track) &&
             set_str(f, "kind", ev->kind);
        return frame_dump(f, ok);
    case OKNO_SFU_EV_TRACK_UNPUBLISHED:
        f = frame_new("track_unpublished", id);
        ok = f && set_str(f, "participant", ev->participant) && set_str(f, "track", ev->track);
        return frame_dump(f, ok);
    case OKNO_SFU_EV_QUALITY:
        return build_quality(ev, id);
    case OKNO_SFU_EV_CLOSED:
        return NULL;
    }
    return NULL;
}

char *okno_protocol_build_error(json_t *id, const char *code, const char *message)
{
    json_t *f = frame_new("error", id);
    bool ok = f && set_str(f, "code", code) && set_str(f, "message", message ? message : "");
    return frame_dump(f, ok);
}
