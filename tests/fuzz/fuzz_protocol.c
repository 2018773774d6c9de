/* Fuzz target for the signalling protocol (src/api/protocol.c). Every input is parsed as a client
 * frame. A refused frame must come with a code and a message from which an error reply always
 * builds, carrying the id the parser kept. A parsed frame must satisfy the limits of
 * docs/protocol.md, and its fields must survive a trip through the server frame built from them:
 * join -> joined, publish -> answer, answer -> offer, leave -> ack (checked by reading the frame
 * back with jansson), candidate -> candidate (read back with the protocol's own parser). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/protocol.h"
#include "okno/err.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static bool same_string(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Reads a built frame back and returns it (never NULL). */
static json_t *reread(char *text)
{
    CHECK(text != NULL);
    json_error_t jerr;
    json_t *f = json_loads(text, 0, &jerr);
    free(text);
    CHECK(json_is_object(f));
    return f;
}

static void check_member(json_t *f, const char *key, const char *expected)
{
    CHECK(same_string(json_string_value(json_object_get(f, key)), expected));
}

static void check_id(json_t *f, json_t *id)
{
    json_t *got = json_object_get(f, "id");
    CHECK((!got && !id) || (got && id && json_equal(got, id)));
}

static void check_word(const char *s, size_t max, const char *extra)
{
    size_t len = strlen(s);
    CHECK(len >= 1 && len <= max);
    for (const char *p = s; *p; p++) {
        bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || strchr(extra, *p);
        CHECK(ok);
    }
}

static void check_refused(const struct okno_protocol_msg *m, const struct okno_protocol_error *err)
{
    CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
    CHECK(err->message[0] != '\0');
    CHECK(strcmp(okno_protocol_code_name(err->code), "internal") != 0);
    CHECK(!m->id || json_is_string(m->id) || json_is_number(m->id));
    json_t *f =
        reread(okno_protocol_build_error(m->id, okno_protocol_code_name(err->code), err->message));
    check_member(f, "type", "error");
    check_member(f, "code", okno_protocol_code_name(err->code));
    check_member(f, "message", err->message);
    check_id(f, m->id);
    json_decref(f);
}

static void round_trip_join(const struct okno_protocol_msg *m)
{
    check_word(m->room, OKNO_PROTOCOL_MAX_ROOM, "_.-");
    check_word(m->role, OKNO_PROTOCOL_MAX_ROLE, "_-");
    CHECK(m->name && *m->name && strlen(m->name) <= 4 * OKNO_PROTOCOL_MAX_NAME);
    CHECK(!m->token || (*m->token && strlen(m->token) <= OKNO_PROTOCOL_MAX_TOKEN));
    const struct okno_sfu_track_info track = {m->role, "audio"};
    const struct okno_sfu_participant_info other = {m->room, m->name, m->role, &track, 1};
    const struct okno_sfu_event ev = {.type = OKNO_SFU_EV_JOINED,
                                      .participant = m->name,
                                      .room = m->room,
                                      .participants = &other,
                                      .n_participants = 1};
    json_t *f = reread(okno_protocol_build_event(&ev, m->id));
    check_member(f, "type", "joined");
    check_member(f, "participant", m->name);
    check_member(f, "room", m->room);
    check_id(f, m->id);
    json_t *p = json_array_get(json_object_get(f, "participants"), 0);
    check_member(p, "participant", m->room);
    check_member(p, "name", m->name);
    check_member(p, "role", m->role);
    check_member(json_array_get(json_object_get(p, "tracks"), 0), "track", m->role);
    json_decref(f);
}

static void round_trip_sdp(const struct okno_protocol_msg *m, enum okno_sfu_event_type type,
                           const char *frame_type)
{
    CHECK(m->sdp && *m->sdp);
    const struct okno_sfu_event ev = {.type = type, .sdp = m->sdp};
    json_t *f = reread(okno_protocol_build_event(&ev, m->id));
    check_member(f, "type", frame_type);
    check_member(f, "sdp", m->sdp);
    check_id(f, m->id);
    json_decref(f);
}

static void round_trip_candidate(const struct okno_protocol_msg *m)
{
    CHECK(m->pc == OKNO_SFU_PC_PUBLISHER || m->pc == OKNO_SFU_PC_SUBSCRIBER);
    CHECK(m->mline_index >= -1 && m->mline_index <= 65535);
    if (m->candidate) {
        CHECK(*m->candidate && strlen(m->candidate) <= OKNO_PROTOCOL_MAX_CANDIDATE);
        CHECK(m->mid || m->mline_index >= 0);
    } else {
        CHECK(!m->mid && m->mline_index == -1);
    }
    const struct okno_sfu_event ev = {.type = OKNO_SFU_EV_CANDIDATE,
                                      .pc = m->pc,
                                      .candidate = m->candidate,
                                      .mid = m->mid,
                                      .mline_index = m->mline_index};
    char *text = okno_protocol_build_event(&ev, m->id);
    CHECK(text != NULL);
    struct okno_protocol_msg back;
    struct okno_protocol_error err;
    CHECK(okno_protocol_parse(text, strlen(text), &back, &err) == 0);
    CHECK(back.type == OKNO_PROTOCOL_CANDIDATE && back.pc == m->pc);
    CHECK(same_string(back.candidate, m->candidate) && same_string(back.mid, m->mid));
    CHECK(back.mline_index == m->mline_index);
    CHECK((!back.id && !m->id) || (back.id && m->id && json_equal(back.id, m->id)));
    okno_protocol_msg_clear(&back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct okno_protocol_msg m;
    struct okno_protocol_error err;
    int rc = okno_protocol_parse((const char *)data, size, &m, &err);
    if (rc != 0) {
        CHECK(rc == OKNO_E_MALFORMED);
        check_refused(&m, &err);
        okno_protocol_msg_clear(&m);
        return 0;
    }
    CHECK(size <= OKNO_PROTOCOL_MAX_FRAME && json_is_object(m.root));
    CHECK(!m.id || json_is_string(m.id) || json_is_number(m.id));
    switch (m.type) {
    case OKNO_PROTOCOL_JOIN:
        round_trip_join(&m);
        break;
    case OKNO_PROTOCOL_PUBLISH:
        round_trip_sdp(&m, OKNO_SFU_EV_ANSWER, "answer");
        break;
    case OKNO_PROTOCOL_ANSWER:
        CHECK(m.pc == OKNO_SFU_PC_SUBSCRIBER);
        round_trip_sdp(&m, OKNO_SFU_EV_OFFER, "offer");
        break;
    case OKNO_PROTOCOL_CANDIDATE:
        round_trip_candidate(&m);
        break;
    case OKNO_PROTOCOL_RESTART:
        CHECK(m.pc == OKNO_SFU_PC_SUBSCRIBER);
        /* fall through: acked like leave */
    case OKNO_PROTOCOL_LEAVE: {
        const struct okno_sfu_event ev = {.type = OKNO_SFU_EV_ACK};
        json_t *f = reread(okno_protocol_build_event(&ev, m.id));
        check_member(f, "type", "ack");
        check_id(f, m.id);
        json_decref(f);
        break;
    }
    default:
        CHECK(0);
    }
    okno_protocol_msg_clear(&m);
    return 0;
}
