/* The SFU facade in process, on two real media workers: the events that join, leave, publish,
 * answer and destroy produce, in order, on the main thread. Media sockets are opened on 127.0.0.1
 * (publishing gathers candidates) but no client connects: transports are tested in test_peer. */
#include "testutil.h"

#include <glib.h>

#include "core/config.h"
#include "core/worker.h"
#include "okno/err.h"
#include "net/ice.h"
#include "sfu/sfu.h"

#define MAX_EVENTS 256

struct rec {
    enum okno_sfu_event_type type;
    uint64_t session, req;
    char *participant, *track, *kind, *sdp, *code, *candidate, *message;
    size_t n_participants;
    char *first_other; /* participants[0].participant of a JOINED */
    size_t first_other_tracks;
};

static struct rec events[MAX_EVENTS];
static size_t n_events;
static struct okno_workers *workers;
static struct okno_config *cfg;
static struct okno_sfu *sfu;

static void on_event(void *ud, const struct okno_sfu_event *ev)
{
    (void)ud;
    assert_true(n_events < MAX_EVENTS);
    struct rec *r = &events[n_events++];
    r->type = ev->type;
    r->session = ev->session;
    r->req = ev->req;
    r->participant = g_strdup(ev->participant);
    r->track = g_strdup(ev->track);
    r->kind = g_strdup(ev->kind);
    r->sdp = g_strdup(ev->sdp);
    r->code = g_strdup(ev->code);
    r->candidate = g_strdup(ev->candidate);
    r->message = g_strdup(ev->message);
    r->n_participants = ev->n_participants;
    if (ev->n_participants) {
        r->first_other = g_strdup(ev->participants[0].participant);
        r->first_other_tracks = ev->participants[0].n_tracks;
    }
}

static void clear_events(void)
{
    for (size_t i = 0; i < n_events; i++) {
        struct rec *r = &events[i];
        g_free(r->participant);
        g_free(r->track);
        g_free(r->kind);
        g_free(r->sdp);
        g_free(r->code);
        g_free(r->candidate);
        g_free(r->message);
        g_free(r->first_other);
    }
    memset(events, 0, sizeof events);
    n_events = 0;
}

/* The first event of type for session at or after *from; NULL after waiting 5 s. */
static const struct rec *wait_for(enum okno_sfu_event_type type, uint64_t session)
{
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    for (;;) {
        for (size_t i = 0; i < n_events; i++) {
            if (events[i].type == type && events[i].session == session)
                return &events[i];
        }
        if (g_get_monotonic_time() > deadline)
            return NULL;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static size_t count(enum okno_sfu_event_type type, uint64_t session)
{
    size_t n = 0;
    for (size_t i = 0; i < n_events; i++)
        n += events[i].type == type && events[i].session == session;
    return n;
}

/* The n-th (from 0) event of type for session; NULL after waiting 5 s. */
static const struct rec *wait_for_nth(enum okno_sfu_event_type type, uint64_t session, size_t n)
{
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    for (;;) {
        size_t seen = 0;
        for (size_t i = 0; i < n_events; i++) {
            if (events[i].type == type && events[i].session == session && seen++ == n)
                return &events[i];
        }
        if (g_get_monotonic_time() > deadline)
            return NULL;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

/* The value of the first "a=ice-ufrag:" line of sdp, copied into out (size 64). */
static void ufrag_of(const char *sdp, char *out)
{
    const char *u = strstr(sdp, "a=ice-ufrag:");
    assert_non_null(u);
    u += strlen("a=ice-ufrag:");
    size_t n = strcspn(u, "\r\n");
    assert_true(n > 0 && n < 64);
    memcpy(out, u, n);
    out[n] = '\0';
}

/* Index of the event r in the log. */
static size_t index_of(const struct rec *r)
{
    return (size_t)(r - events);
}

/* Candidate events for session after index from; *eoc set when one of them is the end. */
static size_t candidates_after(uint64_t session, size_t from, bool *eoc)
{
    size_t n = 0;
    *eoc = false;
    for (size_t i = from + 1; i < n_events; i++) {
        if (events[i].type != OKNO_SFU_EV_CANDIDATE || events[i].session != session)
            continue;
        if (events[i].candidate)
            n++;
        else
            *eoc = true;
    }
    return n;
}

static int setup(void **state)
{
    (void)state;
    static const char conf[] = "[media]\naddresses = 127.0.0.1\nice_tcp = false\n";
    assert_int_equal(okno__config_load_data(okno__config_schema, okno__config_schema_len,
                                            "test.conf", conf, strlen(conf), &cfg, NULL),
                     0);
    assert_int_equal(okno_workers_start(2, &workers), 0);
    static const struct okno_sfu_listener listener = {.on_event = on_event};
    assert_int_equal(okno_sfu_create(workers, cfg, NULL, NULL, &listener, &sfu), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    okno_sfu_destroy(sfu);
    /* Every peer closed and freed: libnice finalizes an agent just after its close completes. */
    int64_t deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (okno_ice_live_count() > 0 && g_get_monotonic_time() < deadline)
        g_usleep(1000);
    assert_int_equal(okno_ice_live_count(), 0);
    assert_int_equal(okno_workers_rooms(workers, 0) + okno_workers_rooms(workers, 1), 0);
    okno_workers_stop(workers);
    okno_config_free(cfg);
    clear_events();
    return 0;
}

static void test_sfu_join_numbers_participants_and_tells_the_others(void **state)
{
    (void)state;
    okno_sfu_join(sfu, 1, 10, "room-a", "Kiosk", "kiosk");
    const struct rec *r = wait_for(OKNO_SFU_EV_JOINED, 1);
    assert_non_null(r);
    assert_int_equal(r->req, 10);
    assert_string_equal(r->participant, "p1");
    assert_int_equal(r->n_participants, 0);

    okno_sfu_join(sfu, 2, 11, "room-a", "Specialist", "specialist");
    r = wait_for(OKNO_SFU_EV_JOINED, 2);
    assert_non_null(r);
    assert_string_equal(r->participant, "p2");
    assert_int_equal(r->n_participants, 1);
    assert_string_equal(r->first_other, "p1");
    r = wait_for(OKNO_SFU_EV_PARTICIPANT_JOINED, 1);
    assert_non_null(r);
    assert_string_equal(r->participant, "p2");
    assert_int_equal(count(OKNO_SFU_EV_PARTICIPANT_JOINED, 2), 0);

    /* Another room starts its own numbering, on the other worker. */
    okno_sfu_join(sfu, 3, 12, "room-b", "Kiosk 2", "kiosk");
    r = wait_for(OKNO_SFU_EV_JOINED, 3);
    assert_non_null(r);
    assert_string_equal(r->participant, "p1");
    assert_int_equal(okno_workers_rooms(workers, 0), 1);
    assert_int_equal(okno_workers_rooms(workers, 1), 1);
}

static void test_sfu_leave_tells_the_others_and_frees_the_empty_room(void **state)
{
    (void)state;
    okno_sfu_join(sfu, 1, 1, "room-a", "A", "kiosk");
    okno_sfu_join(sfu, 2, 2, "room-a", "B", "kiosk");
    assert_non_null(wait_for(OKNO_SFU_EV_JOINED, 2));
    okno_sfu_leave(sfu, 2, 7);
    const struct rec *r = wait_for(OKNO_SFU_EV_ACK, 2);
    assert_non_null(r);
    assert_int_equal(r->req, 7);
    r = wait_for(OKNO_SFU_EV_PARTICIPANT_LEFT, 1);
    assert_non_null(r);
    assert_string_equal(r->participant, "p2");

    okno_sfu_leave(sfu, 1, 0);
    assert_int_equal(okno_workers_rooms(workers, 0) + okno_workers_rooms(workers, 1), 0);
    /* The room is gone: joining it again starts from p1. */
    okno_sfu_join(sfu, 4, 3, "room-a", "C", "kiosk");
    r = wait_for(OKNO_SFU_EV_JOINED, 4);
    assert_non_null(r);
    assert_string_equal(r->participant, "p1");
    assert_int_equal(r->n_participants, 0);
}

static void test_sfu_requests_outside_a_room_are_refused(void **state)
{
    (void)state;
    okno_sfu_publish(sfu, 5, 1, "v=0\r\n");
    const struct rec *r = wait_for(OKNO_SFU_EV_ERROR, 5);
    assert_non_null(r);
    assert_string_equal(r->code, "not_joined");
    okno_sfu_leave(sfu, 6, 2); /* never joined: acknowledged all the same */
    assert_non_null(wait_for(OKNO_SFU_EV_ACK, 6));
    okno_sfu_join(sfu, 7, 3, "r", "A", "kiosk");
    okno_sfu_join(sfu, 7, 4, "r", "A", "kiosk");
    r = wait_for(OKNO_SFU_EV_ERROR, 7);
    assert_non_null(r);
    assert_int_equal(r->req, 4);
    assert_string_equal(r->code, "already_joined");
    okno_sfu_answer(sfu, 7, 5, OKNO_SFU_PC_SUBSCRIBER, "v=0\r\n");
    assert_non_null(wait_for(OKNO_SFU_EV_JOINED, 7));
    r = wait_for(OKNO_SFU_EV_ERROR, 7);
    assert_non_null(r);
}

static void test_sfu_publish_answers_and_offers_the_tracks_to_the_others(void **state)
{
    (void)state;
    char *offer = okno_test_read_file("fixtures/sdp/chromium-av-offer.sdp", NULL);
    okno_sfu_join(sfu, 1, 1, "room", "Kiosk", "kiosk");
    okno_sfu_join(sfu, 2, 2, "room", "Specialist", "specialist");
    assert_non_null(wait_for(OKNO_SFU_EV_JOINED, 2));
    okno_sfu_publish(sfu, 1, 3, "v=0\r\nthis is not SDP\r\n");
    const struct rec *r = wait_for(OKNO_SFU_EV_ERROR, 1);
    assert_non_null(r);
    assert_string_equal(r->code, "bad_sdp");

    okno_sfu_publish(sfu, 1, 4, offer);
    r = wait_for(OKNO_SFU_EV_ANSWER, 1);
    assert_non_null(r);
    assert_int_equal(r->req, 4);
    assert_non_null(strstr(r->sdp, "a=setup:passive\r\n"));
    assert_non_null(strstr(r->sdp, "a=group:BUNDLE 0 1"));
    assert_non_null(strstr(r->sdp, "a=rtpmap:111 opus/48000/2\r\n"));
    assert_non_null(strstr(r->sdp, "a=rtpmap:96 VP8/90000\r\n"));
    assert_non_null(strstr(r->sdp, "a=recvonly\r\n"));
    assert_non_null(wait_for(OKNO_SFU_EV_CANDIDATE, 1));

    r = wait_for(OKNO_SFU_EV_TRACK_PUBLISHED, 2);
    assert_non_null(r);
    assert_string_equal(r->participant, "p1");
    assert_string_equal(r->track, "p1-a0");
    assert_string_equal(r->kind, "audio");
    r = wait_for(OKNO_SFU_EV_OFFER, 2);
    assert_non_null(r);
    assert_non_null(strstr(r->sdp, "a=msid:p1 p1-a0\r\n"));
    /* okno's own SSRC for the subscriber's stream, with the publisher's CNAME; never the
     * publisher's SSRC (3276904902 in the fixture). */
    assert_non_null(strstr(r->sdp, " cname:p1\r\n"));
    assert_null(strstr(r->sdp, "a=ssrc:3276904902 "));
    assert_non_null(strstr(r->sdp, "a=setup:actpass\r\n"));
    assert_int_equal(count(OKNO_SFU_EV_TRACK_PUBLISHED, 1), 0);

    /* A participant joining later is told of the tracks already there, and offered them. */
    okno_sfu_join(sfu, 3, 5, "room", "Observer", "observer");
    r = wait_for(OKNO_SFU_EV_JOINED, 3);
    assert_non_null(r);
    assert_string_equal(r->first_other, "p1");
    assert_int_equal(r->first_other_tracks, 2);
    r = wait_for(OKNO_SFU_EV_OFFER, 3);
    assert_non_null(r);
    /* The publisher's codec and payload types, with RTX in a FID group of okno's own SSRC. */
    assert_non_null(strstr(r->sdp, "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"));
    assert_non_null(strstr(r->sdp, "a=rtpmap:97 rtx/90000\r\n"));
    assert_non_null(strstr(r->sdp, "a=ssrc-group:FID "));

    /* An answer without an outstanding offer on the publisher side is refused. */
    okno_sfu_answer(sfu, 1, 6, OKNO_SFU_PC_SUBSCRIBER, offer);
    r = wait_for(OKNO_SFU_EV_ERROR, 1);
    assert_non_null(r);
    free(offer);
}

static void test_sfu_destroy_closes_every_session(void **state)
{
    (void)state;
    okno_sfu_join(sfu, 1, 1, "x", "A", "kiosk");
    okno_sfu_join(sfu, 2, 2, "y", "B", "kiosk");
    assert_non_null(wait_for(OKNO_SFU_EV_JOINED, 1));
    assert_non_null(wait_for(OKNO_SFU_EV_JOINED, 2));
    okno_sfu_destroy(sfu);
    sfu = NULL;
    assert_int_equal(count(OKNO_SFU_EV_CLOSED, 1), 1);
    assert_int_equal(count(OKNO_SFU_EV_CLOSED, 2), 1);
    static const struct okno_sfu_listener listener = {.on_event = on_event};
    assert_int_equal(okno_sfu_create(workers, cfg, NULL, NULL, &listener, &sfu), 0);
}

static int policy_joined, policy_left;
static GThread *main_thread;

static bool no_observer_media(void *state, const struct okno_rooms_participant *subscriber,
                              const struct okno_rooms_participant *publisher, const char *kind)
{
    (void)state;
    (void)subscriber;
    (void)kind;
    return strcmp(publisher->role, "observer") != 0;
}

static void policy_on_joined(void *state, const struct okno_rooms_participant *who)
{
    (void)state;
    assert_true(g_thread_self() == main_thread);
    assert_string_equal(who->room, "room");
    policy_joined++;
}

static void policy_on_left(void *state, const struct okno_rooms_participant *who)
{
    (void)state;
    assert_true(g_thread_self() == main_thread);
    assert_non_null(who->participant);
    policy_left++;
}

static void test_sfu_policy_decides_who_is_offered_what_and_hears_joins(void **state)
{
    (void)state;
    static const struct okno_rooms_ops ops = {
        .size = sizeof ops,
        .may_receive = no_observer_media,
        .on_joined = policy_on_joined,
        .on_left = policy_on_left,
    };
    static const struct okno_sfu_listener listener = {.on_event = on_event};
    main_thread = g_thread_self();
    policy_joined = policy_left = 0;
    okno_sfu_destroy(sfu);
    assert_int_equal(okno_sfu_create(workers, cfg, &ops, NULL, &listener, &sfu), 0);

    char *offer = okno_test_read_file("fixtures/sdp/chromium-av-offer.sdp", NULL);
    okno_sfu_join(sfu, 1, 1, "room", "Observer", "observer");
    okno_sfu_join(sfu, 2, 2, "room", "Kiosk", "kiosk");
    assert_non_null(wait_for(OKNO_SFU_EV_JOINED, 2));
    okno_sfu_publish(sfu, 1, 3, offer);
    assert_non_null(wait_for(OKNO_SFU_EV_ANSWER, 1));
    /* Everyone hears of the observer's tracks; nobody is offered them. */
    assert_non_null(wait_for(OKNO_SFU_EV_TRACK_PUBLISHED, 2));
    okno_sfu_publish(sfu, 2, 4, offer);
    assert_non_null(wait_for(OKNO_SFU_EV_ANSWER, 2));
    assert_non_null(wait_for(OKNO_SFU_EV_OFFER, 1));
    assert_int_equal(count(OKNO_SFU_EV_OFFER, 2), 0);
    okno_sfu_leave(sfu, 2, 5);
    assert_non_null(wait_for(OKNO_SFU_EV_ACK, 2));
    okno_sfu_leave(sfu, 1, 6);
    assert_non_null(wait_for(OKNO_SFU_EV_ACK, 1));
    assert_int_equal(policy_joined, 2);
    assert_int_equal(policy_left, 2);
    free(offer);
}

static void test_sfu_publish_with_new_ice_credentials_restarts_and_keeps_the_tracks(void **state)
{
    (void)state;
    char *offer = okno_test_read_file("fixtures/sdp/chromium-av-offer.sdp", NULL);
    okno_sfu_join(sfu, 1, 1, "room", "Kiosk", "kiosk");
    okno_sfu_join(sfu, 2, 2, "room", "Specialist", "specialist");
    assert_non_null(wait_for(OKNO_SFU_EV_JOINED, 2));
    okno_sfu_publish(sfu, 1, 3, offer);
    const struct rec *r = wait_for(OKNO_SFU_EV_ANSWER, 1);
    assert_non_null(r);
    char first[64];
    ufrag_of(r->sdp, first);
    assert_non_null(wait_for_nth(OKNO_SFU_EV_TRACK_PUBLISHED, 2, 1));

    /* The same credentials again: a plain renegotiation, same transport. */
    okno_sfu_publish(sfu, 1, 4, offer);
    r = wait_for_nth(OKNO_SFU_EV_ANSWER, 1, 1);
    assert_non_null(r);
    char same[64];
    ufrag_of(r->sdp, same);
    assert_string_equal(same, first);

    /* pc.restartIce(): the offer carries new ones; okno answers with new ones of its own and
     * trickles its candidates again, ending with end-of-candidates. */
    GString *restart = g_string_new(offer);
    g_string_replace(restart, "a=ice-ufrag:PKJp", "a=ice-ufrag:Zq9w", 0);
    g_string_replace(restart, "a=ice-pwd:Dn3cXo6MJ7wkZirBJgPiAYSI",
                     "a=ice-pwd:Yv2kLm8NpQ4rSt6UwX0zAb1c", 0);
    okno_sfu_publish(sfu, 1, 5, restart->str);
    r = wait_for_nth(OKNO_SFU_EV_ANSWER, 1, 2);
    assert_non_null(r);
    assert_int_equal(r->req, 5);
    char second[64];
    ufrag_of(r->sdp, second);
    assert_string_not_equal(second, first);
    size_t answer_at = index_of(r);
    bool eoc = false;
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!eoc && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        candidates_after(1, answer_at, &eoc);
    }
    assert_true(eoc);
    assert_true(candidates_after(1, answer_at, &eoc) > 0);

    /* Tracks and seat stay: nothing unpublished, nobody left, nothing published twice. */
    okno_sfu_leave(sfu, 2, 6);
    assert_non_null(wait_for(OKNO_SFU_EV_ACK, 2));
    assert_int_equal(count(OKNO_SFU_EV_TRACK_PUBLISHED, 2), 2);
    assert_int_equal(count(OKNO_SFU_EV_TRACK_UNPUBLISHED, 2), 0);
    assert_int_equal(count(OKNO_SFU_EV_PARTICIPANT_LEFT, 2), 0);
    assert_int_equal(count(OKNO_SFU_EV_CLOSED, 1), 0);
    assert_int_equal(count(OKNO_SFU_EV_ERROR, 1), 0);
    g_string_free(restart, TRUE);
    free(offer);
}

static void test_sfu_restart_of_the_subscriber_connection_offers_new_credentials(void **state)
{
    (void)state;
    char *offer = okno_test_read_file("fixtures/sdp/chromium-av-offer.sdp", NULL);
    char *answer = okno_test_read_file("fixtures/sdp/chromium-sub-answer.sdp", NULL);
    okno_sfu_join(sfu, 1, 1, "room", "Kiosk", "kiosk");
    assert_non_null(wait_for(OKNO_SFU_EV_JOINED, 1));
    /* Nothing offered to session 1: nothing to restart. */
    okno_sfu_restart(sfu, 1, 3, OKNO_SFU_PC_SUBSCRIBER);
    const struct rec *r = wait_for(OKNO_SFU_EV_ERROR, 1);
    assert_non_null(r);
    assert_int_equal(r->req, 3);
    assert_string_equal(r->code, "bad_state");
    okno_sfu_publish(sfu, 1, 4, offer);
    assert_non_null(wait_for(OKNO_SFU_EV_ANSWER, 1));
    /* Joining after the publication: one offer with both tracks, as the fixture answers. */
    okno_sfu_join(sfu, 2, 2, "room", "Specialist", "specialist");
    r = wait_for(OKNO_SFU_EV_OFFER, 2);
    assert_non_null(r);
    char first[64];
    ufrag_of(r->sdp, first);
    /* The publisher connection restarts through publish, not restart. */
    okno_sfu_restart(sfu, 2, 5, OKNO_SFU_PC_PUBLISHER);
    r = wait_for(OKNO_SFU_EV_ERROR, 2);
    assert_non_null(r);
    assert_int_equal(r->req, 5);
    assert_string_equal(r->code, "bad_request");

    /* Asked while the first offer is outstanding: acknowledged, the new offer waits. */
    okno_sfu_restart(sfu, 2, 6, OKNO_SFU_PC_SUBSCRIBER);
    r = wait_for(OKNO_SFU_EV_ACK, 2);
    assert_non_null(r);
    assert_int_equal(r->req, 6);
    assert_int_equal(count(OKNO_SFU_EV_OFFER, 2), 1);
    okno_sfu_answer(sfu, 2, 7, OKNO_SFU_PC_SUBSCRIBER, answer);
    r = wait_for_nth(OKNO_SFU_EV_ACK, 2, 1);
    assert_non_null(r);
    assert_int_equal(r->req, 7);
    r = wait_for_nth(OKNO_SFU_EV_OFFER, 2, 1);
    assert_non_null(r);
    char second[64];
    ufrag_of(r->sdp, second);
    assert_string_not_equal(second, first);
    /* The same tracks, offered again. */
    assert_non_null(strstr(r->sdp, "a=msid:p1 p1-a0\r\n"));
    assert_non_null(strstr(r->sdp, "a=msid:p1 p1-v1\r\n"));
    size_t offer_at = index_of(r);
    bool eoc = false;
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!eoc && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        candidates_after(2, offer_at, &eoc);
    }
    assert_true(eoc);

    /* The client's answer with its own new credentials is taken. */
    GString *restarted = g_string_new(answer);
    g_string_replace(restarted, "a=ice-ufrag:nyhG", "a=ice-ufrag:W3xy", 0);
    g_string_replace(restarted, "a=ice-pwd:4L8CSHQs4WieedAdoROkBQcu",
                     "a=ice-pwd:Pq7Rs8Tu9Vw0Xy1Za2Bc3De4", 0);
    okno_sfu_answer(sfu, 2, 8, OKNO_SFU_PC_SUBSCRIBER, restarted->str);
    r = wait_for_nth(OKNO_SFU_EV_ACK, 2, 2);
    assert_non_null(r);
    assert_int_equal(r->req, 8);
    assert_int_equal(count(OKNO_SFU_EV_ERROR, 2), 1);
    assert_int_equal(count(OKNO_SFU_EV_PARTICIPANT_LEFT, 1), 0);
    assert_int_equal(count(OKNO_SFU_EV_CLOSED, 2), 0);
    g_string_free(restarted, TRUE);
    free(answer);
    free(offer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sfu_join_numbers_participants_and_tells_the_others,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sfu_leave_tells_the_others_and_frees_the_empty_room,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sfu_requests_outside_a_room_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_sfu_publish_answers_and_offers_the_tracks_to_the_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sfu_destroy_closes_every_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sfu_policy_decides_who_is_offered_what_and_hears_joins,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_sfu_publish_with_new_ice_credentials_restarts_and_keeps_the_tracks, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_sfu_restart_of_the_subscriber_connection_offers_new_credentials, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
