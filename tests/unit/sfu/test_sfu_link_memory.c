/* The link memory through an in-process SFU (sfu_harness.h): a kiosk joins from a network place
 * (okno_sfu_join_from), publishes VP8 at about 150 kbit/s for 7 s with nobody watching (okno's cap
 * stays at 300 kbit/s, so its uplink, not okno, set the rate) and leaves. Its next visit from the
 * same place gets a publisher answer whose VP8 fmtp asks its sender to start at 85 % of what came
 * (x-google-start-bitrate); the first visit's answer asked nothing, and neither does the answer of
 * a client from another place, nor of one when the memory is off. Every wait has a deadline. */
#include "sfu_harness.h"

#include <stdio.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/sfu.h"

#define SSRC     0x1001u
#define RTX_SSRC 0x1002u
#define KEY      "10.1.2.3|kiosk"
/* 480-byte packets every 25 ms: 154 kbit/s of RTP. */
#define PKT_LEN    480
#define PKT_GAP_US 25000

static bool left[SFUH_SESSIONS];

static void on_event(void *ud, const struct okno_sfu_event *ev)
{
    /* Gone: the leave acked, or okno dropped it first on the client's close_notify. */
    bool gone = ((ev->type == OKNO_SFU_EV_ACK || ev->type == OKNO_SFU_EV_ERROR) && ev->req == 9) ||
                ev->type == OKNO_SFU_EV_CLOSED;
    if (gone && ev->session < SFUH_SESSIONS)
        left[ev->session] = true;
    sfuh_on_event(ud, ev);
}

static unsigned start_in(const char *answer)
{
    const char *at = strstr(answer, "x-google-start-bitrate=");
    unsigned kbps = 0;
    if (at)
        assert_int_equal(sscanf(at, "x-google-start-bitrate=%u", &kbps), 1);
    return kbps;
}

static void send_video_for(struct sfuh_client *c, int64_t us)
{
    uint8_t pkt[PKT_LEN];
    for (uint16_t seq = 1; (int64_t)seq * PKT_GAP_US <= us; seq++) {
        size_t len = sfuh_vp8_packet(pkt, SSRC, seq, seq == 1);
        memset(pkt + len, 0x5a, sizeof pkt - len); /* the rest of the partition */
        sfuh_send_rtp(c, pkt, sizeof pkt);
        sfuh_run_for(PKT_GAP_US);
    }
}

static struct sfuh_client clients[4];

/* A kiosk from key joins as session (1..4), publishes (for 7 s when send), then leaves; returns
 * the start its answer asked for (0: none). */
static unsigned visit(int session, const char *key, bool send)
{
    struct sfuh_client *a = &clients[session - 1];
    sfuh_open(a, true, NULL);
    okno_sfu_join_from(sfuh.sfu, (uint64_t)session, 1, "link", "Kiosk 3", "kiosk", key);
    sfuh_publish_vp8(a, session, SSRC, RTX_SSRC, NULL, NULL);
    unsigned start = start_in(sfuh.answer[session]);
    if (send) {
        sfuh_take_remote(a, sfuh.answer[session], OKNO_DTLS_CLIENT);
        assert_true(sfuh_run_until(sfuh_is_true, &a->connected));
        send_video_for(a, 7000000);
    }
    /* The client hangs up first, as a page does: okno's close_notify then finds no one. */
    okno_peer_close(a->peer, NULL, NULL);
    a->peer = NULL;
    sfuh.leaving = true; /* okno may drop it on that before the leave: expected */
    okno_sfu_leave(sfuh.sfu, (uint64_t)session, 9);
    assert_true(sfuh_run_until(sfuh_is_true, &left[session]));
    return start;
}

static void stop(int n)
{
    struct sfuh_client *all[4];
    for (int i = 0; i < n; i++)
        all[i] = &clients[i];
    sfuh_stop(all, n);
    memset(clients, 0, sizeof clients);
}

static void test_sfu_link_memory_starts_the_next_visit_below_what_the_uplink_carried(void **state)
{
    (void)state;
    memset(left, 0, sizeof left);
    sfuh_start("[media]\naddresses = 127.0.0.1\nice_tcp = false\n", on_event);
    FILE *log = sfuh_log_capture();
    assert_int_equal(visit(1, KEY, true), 0);
    unsigned start = visit(2, KEY, false);
    /* 85 % of the ~155 kbit/s that came (RTP and its SRTP tag) */
    assert_in_range(start, 120, 145);
    assert_int_equal(visit(3, "10.1.2.4|kiosk", false), 0);
    assert_int_equal(visit(4, NULL, false), 0);
    char *text = sfuh_log_text(log);
    assert_non_null(strstr(text, "kbit/s up, 0 down (remembered)"));
    g_free(text);
    stop(4);
}

static void test_sfu_link_memory_off_asks_no_start(void **state)
{
    (void)state;
    memset(left, 0, sizeof left);
    sfuh_start("[media]\naddresses = 127.0.0.1\nice_tcp = false\nlink_memory_days = 0\n", on_event);
    assert_int_equal(visit(1, KEY, true), 0);
    assert_int_equal(visit(2, KEY, false), 0);
    stop(2);
}

/* [media] link_memory_file: what the first okno learned is in the file when it stops, and the
 * next okno, started on the same file, gives the kiosk its start. */
static void test_sfu_link_memory_outlives_a_restart_in_its_file(void **state)
{
    (void)state;
    char *dir = g_dir_make_tmp("okno-sfu-link-XXXXXX", NULL);
    assert_non_null(dir);
    char *path = g_build_filename(dir, "links", NULL);
    char *conf = g_strdup_printf(
        "[media]\naddresses = 127.0.0.1\nice_tcp = false\nlink_memory_file = %s\n", path);
    memset(left, 0, sizeof left);
    sfuh_start(conf, on_event);
    assert_int_equal(visit(1, KEY, true), 0);
    stop(1);
    char *text = NULL;
    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    assert_non_null(strstr(text, " " KEY "\n"));
    g_free(text);

    memset(left, 0, sizeof left);
    sfuh_start(conf, on_event);
    assert_in_range(visit(1, KEY, false), 120, 145);
    stop(1);
    assert_int_equal(remove(path), 0);
    assert_int_equal(remove(dir), 0);
    g_free(conf);
    g_free(path);
    g_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sfu_link_memory_starts_the_next_visit_below_what_the_uplink_carried),
        cmocka_unit_test(test_sfu_link_memory_off_asks_no_start),
        cmocka_unit_test(test_sfu_link_memory_outlives_a_restart_in_its_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
