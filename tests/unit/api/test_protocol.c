/* The signalling protocol (src/api/protocol.c): every client message parsed field by field, every
 * way a frame is refused with the code and the field it names, and every server frame built to the
 * exact text of docs/protocol.md. */
#include "testutil.h"

#include <jansson.h>

#include "api/protocol.h"
#include "okno/err.h"

/* Parses a NUL-terminated frame, failing the test unless it parses. */
static void parse_ok(const char *frame, struct okno_protocol_msg *msg)
{
    struct okno_protocol_error err;
    int rc = okno_protocol_parse(frame, strlen(frame), msg, &err);
    if (rc != 0)
        fail_msg("%s: %s: %s", frame, okno_protocol_code_name(err.code), err.message);
}

static void test_protocol_parses_join_with_every_field(void **state)
{
    (void)state;
    struct okno_protocol_msg m;
    parse_ok("{\"type\": \"join\", \"id\": 1, \"room\": \"mfc-42-pensions\", \"role\": \"kiosk\", "
             "\"name\": \"Kiosk 3\", \"token\": \"t0k\"}",
             &m);
    assert_int_equal(m.type, OKNO_PROTOCOL_JOIN);
    assert_true(json_is_integer(m.id));
    assert_int_equal(json_integer_value(m.id), 1);
    assert_string_equal(m.room, "mfc-42-pensions");
    assert_string_equal(m.role, "kiosk");
    assert_string_equal(m.name, "Kiosk 3");
    assert_string_equal(m.token, "t0k");
    assert_null(m.sdp);
    assert_null(m.candidate);
    okno_protocol_msg_clear(&m);
    assert_null(m.root);
    assert_null(m.id);
}

static void test_protocol_join_token_absent_null_or_empty_means_none(void **state)
{
    (void)state;
    const char *frames[] = {
        "{\"type\":\"join\",\"room\":\"r\",\"role\":\"observer\",\"name\":\"O\"}",
        "{\"type\":\"join\",\"room\":\"r\",\"role\":\"observer\",\"name\":\"O\",\"token\":null}",
        "{\"type\":\"join\",\"room\":\"r\",\"role\":\"observer\",\"name\":\"O\",\"token\":\"\"}",
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        struct okno_protocol_msg m;
        parse_ok(frames[i], &m);
        assert_null(m.token);
        assert_null(m.id);
        okno_protocol_msg_clear(&m);
    }
}

static void test_protocol_join_accepts_longest_room_and_multibyte_name(void **state)
{
    (void)state;
    /* 64 room characters; a name of 64 two-byte characters (128 bytes) is 64 characters. */
    char frame[512];
    char room[65], name[129];
    memset(room, 'a', 64);
    room[64] = '\0';
    for (int i = 0; i < 64; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2); /* é */
    name[128] = '\0';
    snprintf(frame, sizeof frame,
             "{\"type\":\"join\",\"room\":\"%s\",\"role\":\"a_b-C\",\"name\":\"%s\"}", room, name);
    struct okno_protocol_msg m;
    parse_ok(frame, &m);
    assert_string_equal(m.room, room);
    assert_string_equal(m.name, name);
    okno_protocol_msg_clear(&m);
}

static void test_protocol_parses_publish_with_string_id(void **state)
{
    (void)state;
    struct okno_protocol_msg m;
    parse_ok("{\"type\":\"publish\",\"id\":\"req-7\",\"sdp\":\"v=0\\r\\n\"}", &m);
    assert_int_equal(m.type, OKNO_PROTOCOL_PUBLISH);
    assert_string_equal(json_string_value(m.id), "req-7");
    assert_string_equal(m.sdp, "v=0\r\n");
    okno_protocol_msg_clear(&m);
}

static void test_protocol_parses_answer_for_subscriber(void **state)
{
    (void)state;
    struct okno_protocol_msg m;
    parse_ok("{\"type\":\"answer\",\"pc\":\"subscriber\",\"sdp\":\"v=0\\r\\n\"}", &m);
    assert_int_equal(m.type, OKNO_PROTOCOL_ANSWER);
    assert_int_equal(m.pc, OKNO_SFU_PC_SUBSCRIBER);
    assert_string_equal(m.sdp, "v=0\r\n");
    assert_null(m.id);
    okno_protocol_msg_clear(&m);
}

static void test_protocol_parses_candidate_object(void **state)
{
    (void)state;
    struct okno_protocol_msg m;
    parse_ok("{\"type\": \"candidate\", \"pc\": \"publisher\", \"candidate\": {\"candidate\": "
             "\"candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host\", \"sdpMid\": \"0\", "
             "\"sdpMLineIndex\": 0, \"usernameFragment\": \"abcd\"}}",
             &m);
    assert_int_equal(m.type, OKNO_PROTOCOL_CANDIDATE);
    assert_int_equal(m.pc, OKNO_SFU_PC_PUBLISHER);
    assert_string_equal(m.candidate, "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host");
    assert_string_equal(m.mid, "0");
    assert_int_equal(m.mline_index, 0);
    okno_protocol_msg_clear(&m);
}

static void test_protocol_candidate_with_only_mid_or_only_index(void **state)
{
    (void)state;
    struct okno_protocol_msg m;
    parse_ok("{\"type\":\"candidate\",\"pc\":\"subscriber\",\"candidate\":{\"candidate\":\"c\","
             "\"sdpMid\":\"audio\",\"sdpMLineIndex\":null}}",
             &m);
    assert_string_equal(m.mid, "audio");
    assert_int_equal(m.mline_index, -1);
    okno_protocol_msg_clear(&m);
    parse_ok("{\"type\":\"candidate\",\"pc\":\"subscriber\",\"candidate\":{\"candidate\":\"c\","
             "\"sdpMLineIndex\":3}}",
             &m);
    assert_null(m.mid);
    assert_int_equal(m.mline_index, 3);
    okno_protocol_msg_clear(&m);
}

static void test_protocol_null_or_empty_candidate_is_end_of_candidates(void **state)
{
    (void)state;
    const char *frames[] = {
        "{\"type\":\"candidate\",\"pc\":\"subscriber\",\"candidate\":null}",
        "{\"type\":\"candidate\",\"pc\":\"subscriber\",\"candidate\":{\"candidate\":\"\","
        "\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}",
        "{\"type\":\"candidate\",\"pc\":\"subscriber\",\"candidate\":{\"candidate\":\"\"}}",
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        struct okno_protocol_msg m;
        parse_ok(frames[i], &m);
        assert_int_equal(m.pc, OKNO_SFU_PC_SUBSCRIBER);
        assert_null(m.candidate);
        assert_null(m.mid);
        assert_int_equal(m.mline_index, -1);
        okno_protocol_msg_clear(&m);
    }
}

static void test_protocol_parses_leave_and_ignores_unknown_fields(void **state)
{
    (void)state;
    struct okno_protocol_msg m;
    parse_ok("{\"type\":\"leave\",\"future\":{\"x\":[1,2]},\"id\":2.5}", &m);
    assert_int_equal(m.type, OKNO_PROTOCOL_LEAVE);
    assert_true(json_is_real(m.id));
    okno_protocol_msg_clear(&m);
    parse_ok("{\"type\":\"leave\"}", &m);
    assert_null(m.id);
    okno_protocol_msg_clear(&m);
}

static void test_protocol_parses_restart_of_the_subscriber_connection(void **state)
{
    (void)state;
    struct okno_protocol_msg m;
    parse_ok("{\"type\":\"restart\",\"id\":7,\"pc\":\"subscriber\"}", &m);
    assert_int_equal(m.type, OKNO_PROTOCOL_RESTART);
    assert_int_equal(m.pc, OKNO_SFU_PC_SUBSCRIBER);
    assert_int_equal(json_integer_value(m.id), 7);
    assert_null(m.sdp);
    assert_string_equal(okno_protocol_type_name(m.type), "restart");
    okno_protocol_msg_clear(&m);
}

static void test_protocol_parses_receive_limit(void **state)
{
    (void)state;
    struct okno_protocol_msg m;
    parse_ok("{\"type\":\"receive_limit\",\"id\":8,\"kbps\":300}", &m);
    assert_int_equal(m.type, OKNO_PROTOCOL_RECEIVE_LIMIT);
    assert_int_equal(m.kbps, 300);
    assert_string_equal(okno_protocol_type_name(m.type), "receive_limit");
    okno_protocol_msg_clear(&m);
    parse_ok("{\"type\":\"receive_limit\",\"kbps\":0}", &m);
    assert_int_equal(m.kbps, 0);
    okno_protocol_msg_clear(&m);
    const char *bad[] = {"{\"type\":\"receive_limit\"}", "{\"type\":\"receive_limit\",\"kbps\":-1}",
                         "{\"type\":\"receive_limit\",\"kbps\":\"300\"}",
                         "{\"type\":\"receive_limit\",\"kbps\":1.5}",
                         "{\"type\":\"receive_limit\",\"kbps\":1000001}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct okno_protocol_error err;
        assert_int_equal(okno_protocol_parse(bad[i], strlen(bad[i]), &m, &err), OKNO_E_MALFORMED);
        assert_int_equal(err.code, OKNO_PROTOCOL_BAD_REQUEST);
        assert_non_null(strstr(err.message, "kbps: must be an integer from 0"));
        okno_protocol_msg_clear(&m);
    }
}

static void test_protocol_refuses_restart_without_subscriber_pc(void **state)
{
    (void)state;
    const char *frames[] = {
        "{\"type\":\"restart\",\"id\":1}",
        "{\"type\":\"restart\",\"id\":1,\"pc\":\"publisher\"}",
        "{\"type\":\"restart\",\"id\":1,\"pc\":3}",
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        struct okno_protocol_msg m;
        struct okno_protocol_error err;
        assert_int_equal(okno_protocol_parse(frames[i], strlen(frames[i]), &m, &err),
                         OKNO_E_MALFORMED);
        assert_int_equal(err.code, OKNO_PROTOCOL_BAD_REQUEST);
        assert_non_null(strstr(err.message, "pc"));
        assert_int_equal(json_integer_value(m.id), 1);
        okno_protocol_msg_clear(&m);
    }
}

/* One refused frame: the code, a piece of the message, and whether the id survives for the reply.
 */
struct refusal {
    const char *frame;
    enum okno_protocol_code code;
    const char *message;
    bool has_id;
};

static const struct refusal refusals[] = {
    /* bad_json */
    {"", OKNO_PROTOCOL_BAD_JSON, "line 1", false},
    {"{\"type\":\"join\"", OKNO_PROTOCOL_BAD_JSON, "line 1", false},
    {"[{\"type\":\"leave\"}]", OKNO_PROTOCOL_BAD_JSON, "must be a JSON object", false},
    {"\"leave\"", OKNO_PROTOCOL_BAD_JSON, "'[' or '{' expected", false},
    {"{\"type\":\"leave\"} {}", OKNO_PROTOCOL_BAD_JSON, "end of file expected", false},
    {"{\"type\":\"leave\",\"type\":\"join\"}", OKNO_PROTOCOL_BAD_JSON, "duplicate", false},
    {"{\"type\":\"leave\",\"x\":\"a\\u0000b\"}", OKNO_PROTOCOL_BAD_JSON, "\\u0000", false},
    {"{\"type\":\"leave\",\"x\":\"\xff\"}", OKNO_PROTOCOL_BAD_JSON,
     "unable to decode byte 0xff near '\"'", false},
    /* id */
    {"{\"type\":\"leave\",\"id\":true}", OKNO_PROTOCOL_BAD_REQUEST, "id: must be a string or a",
     false},
    {"{\"type\":\"leave\",\"id\":null}", OKNO_PROTOCOL_BAD_REQUEST, "id: must be a string or a",
     false},
    {"{\"type\":\"leave\",\"id\":{}}", OKNO_PROTOCOL_BAD_REQUEST, "id: must be a string or a",
     false},
    {"{\"type\":\"leave\",\"id\":\"0123456789012345678901234567890123456789012345678901234567890"
     "12345678901234567890123456789012345678901234567890123456789012345678\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "id: a string id is at most 128 bytes", false},
    /* type */
    {"{\"id\":1}", OKNO_PROTOCOL_BAD_REQUEST, "type: missing", true},
    {"{\"id\":1,\"type\":7}", OKNO_PROTOCOL_BAD_REQUEST, "type: must be a string", true},
    {"{\"id\":1,\"type\":\"kick\"}", OKNO_PROTOCOL_UNKNOWN_TYPE,
     "type \"kick\" is not one of join, publish, answer, candidate, leave", true},
    {"{\"type\":\"x\\\"y\"}", OKNO_PROTOCOL_UNKNOWN_TYPE,
     "type is not one of join, publish, answer, candidate, leave", false},
    {"{\"type\":\"Join\"}", OKNO_PROTOCOL_UNKNOWN_TYPE, "type \"Join\"", false},
    /* join */
    {"{\"type\":\"join\",\"id\":1,\"role\":\"kiosk\",\"name\":\"K\"}", OKNO_PROTOCOL_BAD_REQUEST,
     "room: missing", true},
    {"{\"type\":\"join\",\"room\":\"r\",\"name\":\"K\"}", OKNO_PROTOCOL_BAD_REQUEST,
     "role: missing", false},
    {"{\"type\":\"join\",\"room\":\"r\",\"role\":\"kiosk\"}", OKNO_PROTOCOL_BAD_REQUEST,
     "name: missing", false},
    {"{\"type\":\"join\",\"room\":5,\"role\":\"kiosk\",\"name\":\"K\"}", OKNO_PROTOCOL_BAD_REQUEST,
     "room: must be a string", false},
    {"{\"type\":\"join\",\"room\":\"\",\"role\":\"kiosk\",\"name\":\"K\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "room: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", false},
    {"{\"type\":\"join\",\"room\":\"a/b\",\"role\":\"kiosk\",\"name\":\"K\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "room: must be 1 to 64", false},
    {"{\"type\":\"join\",\"room\":\"caf\xc3\xa9\",\"role\":\"kiosk\",\"name\":\"K\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "room: must be 1 to 64", false},
    {"{\"type\":\"join\",\"room\":"
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "\",\"role\":\"kiosk\",\"name\":\"K\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "room: must be 1 to 64", false},
    {"{\"type\":\"join\",\"room\":\"r\",\"role\":\"kio.sk\",\"name\":\"K\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "role: must be 1 to 32 characters of A-Z a-z 0-9 _ -", false},
    {"{\"type\":\"join\",\"room\":\"r\",\"role\":\"kiosk\",\"name\":\"\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "name: must be 1 to 64 characters", false},
    {"{\"type\":\"join\",\"room\":\"r\",\"role\":\"kiosk\",\"name\":\"a\\nb\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "name: must be 1 to 64 characters", false},
    {"{\"type\":\"join\",\"room\":\"r\",\"role\":\"kiosk\",\"name\":\"a\\u0085b\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "without control characters", false},
    {"{\"type\":\"join\",\"room\":\"r\",\"role\":\"kiosk\",\"name\":[\"K\"]}",
     OKNO_PROTOCOL_BAD_REQUEST, "name: must be a string", false},
    {"{\"type\":\"join\",\"room\":\"r\",\"role\":\"kiosk\",\"name\":\"K\",\"token\":1}",
     OKNO_PROTOCOL_BAD_REQUEST, "token: must be a string", false},
    /* publish */
    {"{\"type\":\"publish\",\"id\":\"p\"}", OKNO_PROTOCOL_BAD_REQUEST, "sdp: missing", true},
    {"{\"type\":\"publish\",\"sdp\":\"\"}", OKNO_PROTOCOL_BAD_REQUEST, "sdp: must not be empty",
     false},
    {"{\"type\":\"publish\",\"sdp\":{}}", OKNO_PROTOCOL_BAD_REQUEST, "sdp: must be a string",
     false},
    /* answer */
    {"{\"type\":\"answer\",\"sdp\":\"v=0\"}", OKNO_PROTOCOL_BAD_REQUEST, "pc: missing", false},
    {"{\"type\":\"answer\",\"pc\":\"publisher\",\"sdp\":\"v=0\"}", OKNO_PROTOCOL_BAD_REQUEST,
     "pc: answers are for \"subscriber\"", false},
    {"{\"type\":\"answer\",\"pc\":\"subscriber\"}", OKNO_PROTOCOL_BAD_REQUEST, "sdp: missing",
     false},
    /* candidate */
    {"{\"type\":\"candidate\",\"pc\":\"both\",\"candidate\":null}", OKNO_PROTOCOL_BAD_REQUEST,
     "pc: must be \"publisher\" or \"subscriber\"", false},
    {"{\"type\":\"candidate\",\"pc\":1,\"candidate\":null}", OKNO_PROTOCOL_BAD_REQUEST,
     "pc: must be a string", false},
    {"{\"type\":\"candidate\",\"id\":9,\"pc\":\"publisher\"}", OKNO_PROTOCOL_BAD_REQUEST,
     "candidate: missing", true},
    {"{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":\"candidate:1\"}",
     OKNO_PROTOCOL_BAD_REQUEST, "candidate: must be an object or null", false},
    {"{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":{\"sdpMid\":\"0\"}}",
     OKNO_PROTOCOL_BAD_REQUEST, "candidate.candidate: missing", false},
    {"{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":{\"candidate\":\"c\"}}",
     OKNO_PROTOCOL_BAD_REQUEST, "candidate: needs sdpMid or sdpMLineIndex", false},
    {"{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":{\"candidate\":\"c\","
     "\"sdpMid\":0}}",
     OKNO_PROTOCOL_BAD_REQUEST, "candidate.sdpMid: must be a string", false},
    {"{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":{\"candidate\":\"c\","
     "\"sdpMLineIndex\":-1}}",
     OKNO_PROTOCOL_BAD_REQUEST, "candidate.sdpMLineIndex: must be an integer from 0 to 65535",
     false},
    {"{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":{\"candidate\":\"c\","
     "\"sdpMLineIndex\":65536}}",
     OKNO_PROTOCOL_BAD_REQUEST, "candidate.sdpMLineIndex", false},
    {"{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":{\"candidate\":\"c\","
     "\"sdpMLineIndex\":\"0\"}}",
     OKNO_PROTOCOL_BAD_REQUEST, "candidate.sdpMLineIndex", false},
};

static void test_protocol_refuses_bad_frames_naming_code_and_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const struct refusal *r = &refusals[i];
        struct okno_protocol_msg m;
        struct okno_protocol_error err;
        memset(&err, 0, sizeof err);
        int rc = okno_protocol_parse(r->frame, strlen(r->frame), &m, &err);
        if (rc != OKNO_E_MALFORMED || err.code != r->code || !strstr(err.message, r->message) ||
            (m.id != NULL) != r->has_id)
            fail_msg("frame %s: rc %d code %s message '%s' id %s; expected %s '%s' id %s", r->frame,
                     rc, okno_protocol_code_name(err.code), err.message, m.id ? "kept" : "none",
                     okno_protocol_code_name(r->code), r->message, r->has_id ? "kept" : "none");
        okno_protocol_msg_clear(&m);
    }
}

static void test_protocol_refuses_long_fields(void **state)
{
    (void)state;
    static char frame[4096], big[2048];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *fmt[] = {
        "{\"type\":\"join\",\"room\":\"r\",\"role\":\"kiosk\",\"name\":\"K\",\"token\":\"%."
        "1025s\"}",
        "{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":{\"candidate\":\"%.1025s\","
        "\"sdpMid\":\"0\"}}",
        "{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":{\"candidate\":\"c\","
        "\"sdpMid\":\"%.65s\"}}",
        "{\"type\":\"join\",\"room\":\"r\",\"role\":\"%.33s\",\"name\":\"K\"}",
        "{\"type\":\"join\",\"room\":\"r\",\"role\":\"kiosk\",\"name\":\"%.65s\"}",
    };
    const char *field[] = {"token: at most 1024 bytes", "candidate.candidate: at most 1024 bytes",
                           "candidate.sdpMid: at most 64 bytes", "role: must be 1 to 32",
                           "name: must be 1 to 64"};
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        snprintf(frame, sizeof frame, fmt[i], big);
        struct okno_protocol_msg m;
        struct okno_protocol_error err;
        assert_int_equal(okno_protocol_parse(frame, strlen(frame), &m, &err), OKNO_E_MALFORMED);
        assert_int_equal(err.code, OKNO_PROTOCOL_BAD_REQUEST);
        if (!strstr(err.message, field[i]))
            fail_msg("%s: message '%s'", field[i], err.message);
        okno_protocol_msg_clear(&m);
    }
}

static void test_protocol_refuses_frame_over_64_kib_before_parsing(void **state)
{
    (void)state;
    /* A valid publish, one byte too long; and the same at exactly the limit. */
    size_t len = OKNO_PROTOCOL_MAX_FRAME + 1;
    char *frame = malloc(len);
    assert_non_null(frame);
    const char *head = "{\"type\":\"publish\",\"sdp\":\"";
    memcpy(frame, head, strlen(head));
    memset(frame + strlen(head), 'v', len - strlen(head) - 2);
    memcpy(frame + len - 2, "\"}", 2);
    struct okno_protocol_msg m;
    struct okno_protocol_error err;
    assert_int_equal(okno_protocol_parse(frame, len, &m, &err), OKNO_E_MALFORMED);
    assert_int_equal(err.code, OKNO_PROTOCOL_BAD_JSON);
    assert_string_equal(err.message, "frame of 65537 bytes: at most 65536");
    assert_null(m.root);
    okno_protocol_msg_clear(&m);
    memmove(frame + len - 3, "\"}", 2);
    assert_int_equal(okno_protocol_parse(frame, len - 1, &m, &err), 0);
    assert_int_equal(strlen(m.sdp), len - 1 - strlen(head) - 2);
    okno_protocol_msg_clear(&m);
    free(frame);
}

static void test_protocol_bad_json_message_quotes_input_as_printable_ascii(void **state)
{
    (void)state;
    const char frame[] = "{\"x\": \xc3\xa9}";
    struct okno_protocol_msg m;
    struct okno_protocol_error err;
    assert_int_equal(okno_protocol_parse(frame, strlen(frame), &m, &err), OKNO_E_MALFORMED);
    assert_int_equal(err.code, OKNO_PROTOCOL_BAD_JSON);
    assert_string_equal(err.message, "line 1 column 7: invalid token near '\?\?'");
    char *reply = okno_protocol_build_error(m.id, "bad_json", err.message);
    assert_non_null(reply);
    free(reply);
    okno_protocol_msg_clear(&m);
}

static void test_protocol_parse_does_not_need_nul_terminated_frame(void **state)
{
    (void)state;
    const char frame[] = "{\"type\":\"leave\"}garbage";
    struct okno_protocol_msg m;
    struct okno_protocol_error err;
    assert_int_equal(okno_protocol_parse(frame, 16, &m, &err), 0);
    assert_int_equal(m.type, OKNO_PROTOCOL_LEAVE);
    okno_protocol_msg_clear(&m);
}

/* --- building ----------------------------------------------------------------------------------
 */

static void assert_frame(char *text, const char *expected)
{
    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
}

static void test_protocol_builds_joined_with_participants_and_tracks(void **state)
{
    (void)state;
    const struct okno_sfu_track_info tracks[] = {{"p3-a0", "audio"}, {"p3-v1", "video"}};
    const struct okno_sfu_participant_info others[] = {
        {"p3", "Specialist", "specialist", tracks, 2},
        {"p4", "Observer", "observer", NULL, 0},
    };
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_JOINED,
                                .req = 1,
                                .participant = "p7",
                                .room = "mfc-42-pensions",
                                .participants = others,
                                .n_participants = 2};
    json_t *id = json_integer(1);
    assert_frame(
        okno_protocol_build_event(&ev, id),
        "{\"type\":\"joined\",\"id\":1,\"participant\":\"p7\",\"room\":\"mfc-42-pensions\","
        "\"participants\":[{\"participant\":\"p3\",\"name\":\"Specialist\",\"role\":"
        "\"specialist\",\"tracks\":[{\"track\":\"p3-a0\",\"kind\":\"audio\"},{\"track\":"
        "\"p3-v1\",\"kind\":\"video\"}]},{\"participant\":\"p4\",\"name\":\"Observer\","
        "\"role\":\"observer\",\"tracks\":[]}]}");
    ev.n_participants = 0;
    assert_frame(
        okno_protocol_build_event(&ev, id),
        "{\"type\":\"joined\",\"id\":1,\"participant\":\"p7\",\"room\":\"mfc-42-pensions\","
        "\"participants\":[]}");
    json_decref(id);
}

static void test_protocol_builds_sdp_frames(void **state)
{
    (void)state;
    json_t *id = json_string("req-2");
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_ANSWER, .req = 2, .sdp = "v=0\r\n"};
    assert_frame(okno_protocol_build_event(&ev, id),
                 "{\"type\":\"answer\",\"id\":\"req-2\",\"sdp\":\"v=0\\r\\n\"}");
    ev = (struct okno_sfu_event){
        .type = OKNO_SFU_EV_OFFER, .pc = OKNO_SFU_PC_SUBSCRIBER, .sdp = "v=0\r\n"};
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"offer\",\"pc\":\"subscriber\",\"sdp\":\"v=0\\r\\n\"}");
    json_decref(id);
}

static void test_protocol_builds_candidates_and_end_of_candidates(void **state)
{
    (void)state;
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_CANDIDATE,
                                .pc = OKNO_SFU_PC_PUBLISHER,
                                .candidate = "candidate:1 1 udp 1 10.0.0.1 9 typ host",
                                .mid = "0",
                                .mline_index = 0};
    assert_frame(
        okno_protocol_build_event(&ev, NULL),
        "{\"type\":\"candidate\",\"pc\":\"publisher\",\"candidate\":{\"candidate\":"
        "\"candidate:1 1 udp 1 10.0.0.1 9 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}}");
    ev.mid = NULL;
    ev.mline_index = -1;
    ev.pc = OKNO_SFU_PC_SUBSCRIBER;
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"candidate\",\"pc\":\"subscriber\",\"candidate\":{\"candidate\":"
                 "\"candidate:1 1 udp 1 10.0.0.1 9 typ host\",\"sdpMid\":null,\"sdpMLineIndex\":"
                 "null}}");
    ev.candidate = NULL;
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"candidate\",\"pc\":\"subscriber\",\"candidate\":null}");
}

static void test_protocol_server_candidate_frame_parses_back_as_client_candidate(void **state)
{
    (void)state;
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_CANDIDATE,
                                .pc = OKNO_SFU_PC_SUBSCRIBER,
                                .candidate = "candidate:2 1 tcp 5 192.0.2.1 443 typ host",
                                .mid = "v",
                                .mline_index = 1};
    char *text = okno_protocol_build_event(&ev, NULL);
    struct okno_protocol_msg m;
    parse_ok(text, &m);
    assert_int_equal(m.type, OKNO_PROTOCOL_CANDIDATE);
    assert_int_equal(m.pc, OKNO_SFU_PC_SUBSCRIBER);
    assert_string_equal(m.candidate, ev.candidate);
    assert_string_equal(m.mid, "v");
    assert_int_equal(m.mline_index, 1);
    okno_protocol_msg_clear(&m);
    free(text);
}

static void test_protocol_builds_room_events_and_ack(void **state)
{
    (void)state;
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_PARTICIPANT_JOINED,
                                .participant = "p9",
                                .name = "Observer",
                                .role = "observer"};
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"participant_joined\",\"participant\":\"p9\",\"name\":\"Observer\","
                 "\"role\":\"observer\"}");
    ev = (struct okno_sfu_event){.type = OKNO_SFU_EV_PARTICIPANT_LEFT, .participant = "p9"};
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"participant_left\",\"participant\":\"p9\"}");
    ev = (struct okno_sfu_event){.type = OKNO_SFU_EV_TRACK_PUBLISHED,
                                 .participant = "p3",
                                 .track = "p3-v1",
                                 .kind = "video"};
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"track_published\",\"participant\":\"p3\",\"track\":\"p3-v1\","
                 "\"kind\":\"video\"}");
    ev = (struct okno_sfu_event){
        .type = OKNO_SFU_EV_TRACK_UNPUBLISHED, .participant = "p3", .track = "p3-v1"};
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"track_unpublished\",\"participant\":\"p3\",\"track\":\"p3-v1\"}");
    ev = (struct okno_sfu_event){.type = OKNO_SFU_EV_QUALITY,
                                 .participant = "p3",
                                 .track = "p3-v1",
                                 .spatial = 0,
                                 .temporal = 1,
                                 .reason = "bandwidth",
                                 .estimate_kbps = 140};
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"quality\",\"track\":\"p3-v1\",\"publisher\":\"p3\",\"layer\":"
                 "{\"spatial\":0,\"temporal\":1},\"paused\":false,\"reason\":\"bandwidth\","
                 "\"estimate_kbps\":140}");
    ev.paused = true;
    ev.reason = "loss";
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"quality\",\"track\":\"p3-v1\",\"publisher\":\"p3\",\"layer\":"
                 "null,\"paused\":true,\"reason\":\"loss\",\"estimate_kbps\":140}");
    json_t *id = json_real(5.5);
    ev = (struct okno_sfu_event){.type = OKNO_SFU_EV_ACK, .req = 5};
    assert_frame(okno_protocol_build_event(&ev, id), "{\"type\":\"ack\",\"id\":5.5}");
    json_decref(id);
    ev = (struct okno_sfu_event){.type = OKNO_SFU_EV_CLOSED, .message = "shutting down"};
    assert_null(okno_protocol_build_event(&ev, NULL));
}

static void test_protocol_builds_errors_with_and_without_id(void **state)
{
    (void)state;
    json_t *id = json_integer(2);
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_ERROR,
                                .req = 2,
                                .code = "bad_sdp",
                                .message = "line 7: m= line has a bad port"};
    assert_frame(okno_protocol_build_event(&ev, id),
                 "{\"type\":\"error\",\"id\":2,\"code\":\"bad_sdp\",\"message\":\"line 7: m= line "
                 "has a bad port\"}");
    ev.code = NULL;
    ev.message = NULL;
    assert_frame(okno_protocol_build_event(&ev, NULL),
                 "{\"type\":\"error\",\"code\":\"internal\",\"message\":\"\"}");
    assert_frame(okno_protocol_build_error(NULL, "not_joined", "join first"),
                 "{\"type\":\"error\",\"code\":\"not_joined\",\"message\":\"join first\"}");
    json_decref(id);
}

static void test_protocol_error_reply_carries_the_id_as_sent(void **state)
{
    (void)state;
    const char *frames[] = {"{\"id\":\"x-\\u00e9\",\"type\":\"publish\"}",
                            "{\"id\":-9007199254740993,\"type\":\"publish\"}"};
    const char *replies[] = {
        "{\"type\":\"error\",\"id\":\"x-\xc3\xa9\",\"code\":\"bad_request\","
        "\"message\":\"sdp: missing\"}",
        "{\"type\":\"error\",\"id\":-9007199254740993,\"code\":\"bad_request\","
        "\"message\":\"sdp: missing\"}"};
    for (size_t i = 0; i < 2; i++) {
        struct okno_protocol_msg m;
        struct okno_protocol_error err;
        assert_int_equal(okno_protocol_parse(frames[i], strlen(frames[i]), &m, &err),
                         OKNO_E_MALFORMED);
        assert_frame(
            okno_protocol_build_error(m.id, okno_protocol_code_name(err.code), err.message),
            replies[i]);
        okno_protocol_msg_clear(&m);
    }
}

static void test_protocol_build_refuses_invalid_utf8_from_the_sfu(void **state)
{
    (void)state;
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_ANSWER, .sdp = "v=0\r\n\xff"};
    assert_null(okno_protocol_build_event(&ev, NULL));
    ev = (struct okno_sfu_event){.type = OKNO_SFU_EV_JOINED, .participant = "p1", .room = "r"};
    const struct okno_sfu_participant_info bad = {"p2", "\xc3", "kiosk", NULL, 0};
    ev.participants = &bad;
    ev.n_participants = 1;
    assert_null(okno_protocol_build_event(&ev, NULL));
}

static void test_protocol_code_and_type_names(void **state)
{
    (void)state;
    assert_string_equal(okno_protocol_code_name(OKNO_PROTOCOL_BAD_JSON), "bad_json");
    assert_string_equal(okno_protocol_code_name(OKNO_PROTOCOL_ALREADY_JOINED), "already_joined");
    assert_string_equal(okno_protocol_code_name(OKNO_PROTOCOL_INTERNAL), "internal");
    assert_string_equal(okno_protocol_code_name((enum okno_protocol_code)99), "internal");
    assert_string_equal(okno_protocol_type_name(OKNO_PROTOCOL_CANDIDATE), "candidate");
    assert_string_equal(okno_protocol_type_name((enum okno_protocol_type)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocol_parses_join_with_every_field),
        cmocka_unit_test(test_protocol_join_token_absent_null_or_empty_means_none),
        cmocka_unit_test(test_protocol_join_accepts_longest_room_and_multibyte_name),
        cmocka_unit_test(test_protocol_parses_publish_with_string_id),
        cmocka_unit_test(test_protocol_parses_answer_for_subscriber),
        cmocka_unit_test(test_protocol_parses_candidate_object),
        cmocka_unit_test(test_protocol_candidate_with_only_mid_or_only_index),
        cmocka_unit_test(test_protocol_null_or_empty_candidate_is_end_of_candidates),
        cmocka_unit_test(test_protocol_parses_leave_and_ignores_unknown_fields),
        cmocka_unit_test(test_protocol_refuses_bad_frames_naming_code_and_field),
        cmocka_unit_test(test_protocol_refuses_long_fields),
        cmocka_unit_test(test_protocol_refuses_frame_over_64_kib_before_parsing),
        cmocka_unit_test(test_protocol_bad_json_message_quotes_input_as_printable_ascii),
        cmocka_unit_test(test_protocol_parse_does_not_need_nul_terminated_frame),
        cmocka_unit_test(test_protocol_builds_joined_with_participants_and_tracks),
        cmocka_unit_test(test_protocol_builds_sdp_frames),
        cmocka_unit_test(test_protocol_builds_candidates_and_end_of_candidates),
        cmocka_unit_test(test_protocol_server_candidate_frame_parses_back_as_client_candidate),
        cmocka_unit_test(test_protocol_builds_room_events_and_ack),
        cmocka_unit_test(test_protocol_builds_errors_with_and_without_id),
        cmocka_unit_test(test_protocol_error_reply_carries_the_id_as_sent),
        cmocka_unit_test(test_protocol_build_refuses_invalid_utf8_from_the_sfu),
        cmocka_unit_test(test_protocol_code_and_type_names),
        cmocka_unit_test(test_protocol_parses_restart_of_the_subscriber_connection),
        cmocka_unit_test(test_protocol_parses_receive_limit),
        cmocka_unit_test(test_protocol_refuses_restart_without_subscriber_pc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
