/* okno-bench load's pure parts: the media loop's templates, numbering and matching; the /proc
 * readers (on text, and on this process); a step's verdict; the publishers' pacing; the batched
 * workers' sleep; the default candidate address. */
#include "testutil.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load/batch.h"
#include "load/load.h"
#include "load/loopback.h"
#include "load/media_loop.h"
#include "load/pace.h"
#include "load/server_proc.h"
#include "okno/err.h"
#include "wire/rtp.h"
#include "wire/vp8.h"

static struct okno_media_loop *small_loop(void)
{
    struct okno_media_loop_config cfg = {
        .width = 320, .height = 180, .video_kbps = 600, .seconds = 1, .seed = 3};
    struct okno_media_loop *m = NULL;
    assert_int_equal(okno_media_loop_create(&cfg, &m), 0);
    return m;
}

static void test_loop_has_a_second_of_both_kinds_starting_with_a_key_frame(void **state)
{
    (void)state;
    struct okno_media_loop *m = small_loop();
    const struct okno_media_track *v = &m->track[OKNO_MEDIA_VIDEO];
    const struct okno_media_track *a = &m->track[OKNO_MEDIA_AUDIO];
    assert_int_equal(v->n_units, 30);
    assert_int_equal(a->n_units, 50);
    assert_int_equal(a->n_pkts, 50);
    assert_true(v->n_pics >= 25 && v->n_pics <= 30);
    assert_true(v->n_pkts >= v->n_pics);
    /* About the asked bitrate over the loop (rate control: within a wide margin). */
    double kbps = (double)v->bytes * 8 / 1000;
    assert_true(kbps > 300 && kbps < 1200);
    struct okno_vp8_packet vp;
    const struct okno_media_pkt *first = &v->pkts[0];
    assert_int_equal(
        okno_vp8_parse(first->data + first->header_len, first->len - first->header_len, &vp), 0);
    assert_true(okno_vp8_is_keyframe(&vp));
    okno_media_loop_destroy(m);
}

static void test_every_template_is_found_by_its_payload_and_kind(void **state)
{
    (void)state;
    struct okno_media_loop *m = small_loop();
    uint32_t found = 0, total = 0;
    for (int k = 0; k < 2; k++) {
        const struct okno_media_track *t = &m->track[k];
        for (uint32_t i = 0; i < t->n_pkts; i++) {
            const struct okno_media_pkt *p = &t->pkts[i];
            int32_t pos =
                okno_media_loop_find(m, k, p->data + p->header_len, p->len - p->header_len);
            total++;
            if (pos >= 0) {
                assert_int_equal(pos, i);
                found++;
            }
            /* Never taken for the other kind's. */
            assert_int_equal(
                okno_media_loop_find(m, !k, p->data + p->header_len, p->len - p->header_len), -1);
        }
    }
    assert_int_equal(found + m->ambiguous, total);
    assert_true(m->ambiguous <= total / 100);
    uint8_t junk[64] = {1, 2, 3};
    assert_int_equal(okno_media_loop_find(m, OKNO_MEDIA_VIDEO, junk, sizeof(junk)), -1);
    assert_int_equal(okno_media_loop_find(m, OKNO_MEDIA_AUDIO, junk, 0), -1);
    okno_media_loop_destroy(m);
}

static void test_written_packets_carry_the_publishers_numbers_across_loops(void **state)
{
    (void)state;
    struct okno_media_loop *m = small_loop();
    const struct okno_media_track *v = &m->track[OKNO_MEDIA_VIDEO];
    struct okno_media_numbering num = {
        .ssrc = 0x11223344, .seq = 65535, .ts_base = 0xfffff000u, .pic_base = 0x7ffe};
    uint8_t buf[1500];
    /* The last template of loop 0 and the first of loop 1: picture ids and timestamps go on. */
    int len = okno_media_loop_write(m, OKNO_MEDIA_VIDEO, v->n_pkts - 1, 0, &num, buf, sizeof(buf));
    assert_true(len > 0);
    struct okno_rtp_pkt r;
    assert_int_equal(okno_rtp_parse(buf, (size_t)len, &r), 0);
    assert_int_equal(r.ssrc, 0x11223344);
    assert_int_equal(r.seq, 65535);
    assert_int_equal(r.ts, (uint32_t)(0xfffff000u + v->pkts[v->n_pkts - 1].unit * 3000u));
    struct okno_vp8_desc d;
    assert_true(okno_vp8_parse_desc(r.payload, r.payload_len, &d) > 0);
    assert_int_equal(d.picture_id, (0x7ffe + v->n_pics - 1) & 0x7fff);
    /* The payload after the descriptor is the template's. */
    const struct okno_media_pkt *t = &v->pkts[v->n_pkts - 1];
    size_t skip = t->header_len + d.size;
    assert_memory_equal(buf + skip, t->data + skip, t->len - skip);
    num.seq = 0;
    len = okno_media_loop_write(m, OKNO_MEDIA_VIDEO, 0, 1, &num, buf, sizeof(buf));
    assert_int_equal(okno_rtp_parse(buf, (size_t)len, &r), 0);
    assert_int_equal(r.ts, (uint32_t)(0xfffff000u + 30u * 3000u));
    assert_true(okno_vp8_parse_desc(r.payload, r.payload_len, &d) > 0);
    assert_int_equal(d.picture_id, (0x7ffe + v->n_pics) & 0x7fff);
    assert_true(okno_media_loop_find(m, OKNO_MEDIA_VIDEO, r.payload, r.payload_len) >= 0 ||
                m->ambiguous > 0);
    assert_int_equal(okno_media_loop_write(m, OKNO_MEDIA_VIDEO, v->n_pkts, 0, &num, buf, 1500),
                     OKNO_E_RANGE);
    assert_int_equal(okno_media_loop_write(m, OKNO_MEDIA_VIDEO, 0, 0, &num, buf, 10), OKNO_E_NOSPC);
    okno_media_loop_destroy(m);
}

static void test_loop_refuses_bad_settings(void **state)
{
    (void)state;
    struct okno_media_loop *m = NULL;
    struct okno_media_loop_config bad_fps = {.fps = 7};
    assert_int_equal(okno_media_loop_create(&bad_fps, &m), OKNO_E_INVAL);
    struct okno_media_loop_config bad_size = {.width = 10, .height = 10};
    assert_true(okno_media_loop_create(&bad_size, &m) < 0);
    assert_null(m);
}

static void test_proc_parsers_read_stat_status_and_tcp(void **state)
{
    (void)state;
    uint64_t ticks = 0;
    /* A command name with spaces and a parenthesis; utime 1234, stime 66. */
    const char *stat = "4242 (okn o) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 66 0 0 20 0 3 "
                       "0 99 1000 200 18446744073709551615\n";
    assert_int_equal(okno_proc_parse_stat(stat, &ticks), 0);
    assert_int_equal(ticks, 1300);
    assert_int_equal(okno_proc_parse_stat("4242 okno S 1", &ticks), OKNO_E_MALFORMED);
    assert_int_equal(okno_proc_parse_stat("1 (a) S 1 2", &ticks), OKNO_E_MALFORMED);

    uint64_t rss = 0, hwm = 0;
    unsigned threads = 0;
    const char *status = "Name:\tokno\nVmPeak:\t  9000 kB\nVmHWM:\t    5000 kB\nVmRSS:\t    4000 "
                         "kB\nThreads:\t5\n";
    assert_int_equal(okno_proc_parse_status(status, &rss, &hwm, &threads), 0);
    assert_int_equal(rss, 4000);
    assert_int_equal(hwm, 5000);
    assert_int_equal(threads, 5);
    assert_int_equal(okno_proc_parse_status("Name:\tx\nVmRSS:\t1 kB\n", &rss, &hwm, &threads),
                     OKNO_E_MALFORMED);

    const char *tcp =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0 "
        "       0 777 1 0000000000000000 20 4 30 10 -1\n"
        "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0 "
        "       0 4321 1 0000000000000000 100 0 0 10 0\n";
    assert_int_equal(okno_proc_parse_listen_inode(tcp, 8080), 4321);
    assert_int_equal(okno_proc_parse_listen_inode(tcp, 8081), 0);
    assert_int_equal(okno_proc_parse_listen_inode("", 8080), 0);
}

static void test_proc_finds_this_process_listening_and_samples_it(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t sl = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    assert_int_equal(okno_proc_find_listener(ntohs(sa.sin_port)), (int)getpid());
    close(fd);
    assert_int_equal(okno_proc_find_listener(ntohs(sa.sin_port)), OKNO_E_NOTFOUND);

    struct okno_proc_sample a, b;
    assert_int_equal(okno_proc_sample((int)getpid(), 0, &a), 0);
    assert_true(a.rss_kb > 0 && a.hwm_kb >= a.rss_kb && a.threads >= 1);
    b = a;
    b.at_us = 1000000;
    b.cpu_ticks = a.cpu_ticks + (uint64_t)sysconf(_SC_CLK_TCK) / 2;
    assert_true(fabs(okno_proc_cpu_pct(&a, &b) - 50.0) < 1.0);
    assert_true(okno_proc_sample(-5, 0, &a) < 0);
}

/* The drops column of /proc/net/udp, summed over the inodes asked for; and on this process: a
 * socket that is not read while datagrams keep coming drops them, and they are counted. */
static void test_proc_counts_this_processs_udp_socket_drops(void **state)
{
    (void)state;
    const char *udp =
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode ref pointer drops\n"
        "  101: 0100007F:D2B4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0 "
        "       0 5000 2 0000000000000000 7\n"
        "  102: 0100007F:D2B5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0 "
        "       0 6000 2 0000000000000000 30\n"
        "  103: 0100007F:D2B6 00000000:0000 07 00000000:00000000 00:00000000 00000000     0 "
        "       0 7000 2 0000000000000000 500\n";
    const uint64_t mine[] = {5000, 7000};
    assert_int_equal(okno_proc_parse_udp_drops(udp, mine, 2), 507);
    assert_int_equal(okno_proc_parse_udp_drops(udp, mine, 0), 0);
    assert_int_equal(okno_proc_parse_udp_drops("", mine, 2), 0);

    uint64_t before = 0, after = 0;
    assert_int_equal(okno_proc_own_udp_drops(&before), 0);
    int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(rx >= 0 && tx >= 0);
    int small = 4096; /* the kernel doubles it and keeps a floor: a few datagrams fit */
    assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    assert_int_equal(getsockname(rx, (struct sockaddr *)&sa, &sl), 0);
    char buf[1200] = {0};
    for (int i = 0; i < 200; i++)
        (void)sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *)&sa, sizeof(sa));
    assert_int_equal(okno_proc_own_udp_drops(&after), 0);
    print_message("# 200 datagrams to an unread socket: %llu dropped\n",
                  (unsigned long long)(after - before));
    assert_true(after > before + 100);
    close(rx);
    close(tx);
}

static void test_step_verdict_names_the_first_broken_criterion(void **state)
{
    (void)state;
    struct okno_load_criteria crit = {
        .max_loss_pct = 0.5, .max_added_p99_ms = 20, .min_delivered_pct = 99, .max_worker_cpu = 90};
    struct okno_load_step s = {.rooms = 2, .publishers = 2, .subscribers = 5};
    s.win = (struct okno_load_window){.seconds = 10,
                                      .sent_pkts = 1000,
                                      .rx_pkts = 5000,
                                      .rx_bytes = 5000000,
                                      .expected = 5000,
                                      .lost = 0,
                                      .lat_p50 = 1.5,
                                      .lat_p95 = 3,
                                      .lat_p99 = 10.5,
                                      .base_p50 = 0.5,
                                      .worker_cpu_max_pct = 40};
    s.server_known = true;
    s.rss_mb = 30;
    s.idle_rss_mb = 10;
    okno_load_step_judge(&s, &crit);
    assert_true(s.pass);
    assert_int_equal(s.streams, 20);
    assert_true(fabs(s.fwd_pps - 500) < 1e-9);
    assert_true(fabs(s.added_p50 - 1.0) < 1e-9 && fabs(s.added_p99 - 10.0) < 1e-9);
    assert_true(fabs(s.delivered_pct - 100) < 1e-9);
    assert_true(fabs(s.mib_per_stream - 20 / 1.048576 / 20) < 1e-9);
    json_t *j = okno_load_step_json(&s);
    assert_non_null(json_object_get(j, "added_latency_ms"));
    assert_true(json_is_true(json_object_get(j, "pass")));
    json_decref(j);

    s.win.lost = 30; /* 0.6 % */
    okno_load_step_judge(&s, &crit);
    assert_false(s.pass);
    assert_non_null(strstr(s.reason, "loss"));
    s.win.lost = 0;
    s.win.rx_pkts = 4900; /* 98 % of 1000 x 5 */
    okno_load_step_judge(&s, &crit);
    assert_non_null(strstr(s.reason, "delivered"));
    s.win.rx_pkts = 5000;
    s.win.lat_p99 = 21;
    okno_load_step_judge(&s, &crit);
    assert_non_null(strstr(s.reason, "p99"));
    s.win.lat_p99 = NAN;
    okno_load_step_judge(&s, &crit);
    assert_false(s.pass);
    s.win.lat_p99 = 5;
    s.win.worker_cpu_max_pct = 95;
    okno_load_step_judge(&s, &crit);
    assert_true(s.saturated && !s.pass);
    assert_non_null(strstr(s.reason, "generator"));
    s.win.rx_pkts = 0;
    okno_load_step_judge(&s, &crit);
    assert_non_null(strstr(s.reason, "nothing received"));
}

/* A browser's 2.5 x 1.5 Mbit/s in 5 ms steps: a 36 kB key frame of 1200-byte packets leaves over
 * about 77 ms, two packets a step, at the pacing rate; idle time builds no surplus, a debt is
 * paid off first, and a stalled worker's long step is counted as 30 ms at most. */
static void test_pacing_spreads_a_key_frame_at_the_pacing_rate(void **state)
{
    (void)state;
    const double rate = 2.5 * 1500e3 / 8 / 1e6; /* bytes per us */
    double budget = 0;
    int left = 30, steps = 0, most = 0;
    int64_t sent_bytes = 0;
    while (left > 0 && steps < 100) {
        budget = okno_load_pace_refill(budget, 5000, rate);
        steps++;
        int n = 0;
        while (left > 0 && okno_load_pace_may_send(budget)) {
            budget -= 1200;
            sent_bytes += 1200;
            left--;
            n++;
        }
        most = n > most ? n : most;
    }
    assert_int_equal(left, 0);
    double ms = steps * 5.0;
    print_message("# key frame of 30 x 1200 bytes: %d steps of 5 ms, at most %d packets a step, "
                  "%.2f Mbit/s\n",
                  steps, most, (double)sent_bytes * 8 / (ms * 1000));
    assert_in_range(steps, 14, 17);
    assert_in_range(most, 2, 3);
    /* Idle: no surplus carries over, one step's worth at most. */
    budget = 0;
    for (int i = 0; i < 200; i++)
        budget = okno_load_pace_refill(budget, 5000, rate);
    assert_true(budget <= 5000 * rate + 1e-9);
    /* A debt is paid off before anything leaves. */
    budget = okno_load_pace_refill(-3000, 5000, rate);
    assert_false(okno_load_pace_may_send(budget));
    budget = okno_load_pace_refill(budget, 5000, rate);
    assert_true(okno_load_pace_may_send(budget));
    /* A stalled worker: a second counts as 30 ms; no time keeps the budget. */
    budget = okno_load_pace_refill(0, 1000000, rate);
    assert_true(fabs(budget - OKNO_LOAD_PACE_MAX_ELAPSED_US * rate) < 1e-6);
    assert_true(okno_load_pace_refill(-5, 0, rate) == -5);
}

/* A batched worker sleeps out the rest of its batch whatever the loop's timeout (a due timer, 0,
 * waits too; a timer due later keeps what is left of its timeout), not at all once the batch is
 * over or a controller's call is pending; a clock that went back costs one batch at most. */
static void test_batch_sleeps_out_the_batch_timers_included(void **state)
{
    (void)state;
    const int64_t batch = 10000;
    int t = 0; /* something is ready */
    assert_int_equal(okno_load_batch_sleep_us(1003000, 1000000, batch, false, &t), 7000);
    assert_int_equal(t, 0);
    t = -1; /* no timer at all */
    assert_int_equal(okno_load_batch_sleep_us(1003000, 1000000, batch, false, &t), 7000);
    assert_int_equal(t, -1);
    t = 4; /* a timer due in 4 ms waits for the batch, then the poll does not block */
    assert_int_equal(okno_load_batch_sleep_us(1003000, 1000000, batch, false, &t), 7000);
    assert_int_equal(t, 0);
    t = 20; /* one due after the batch keeps the rest: 20 ms less the 6.5 ms slept, rounded up */
    assert_int_equal(okno_load_batch_sleep_us(1003500, 1000000, batch, false, &t), 6500);
    assert_int_equal(t, 13);
    t = 20; /* the batch is over: poll at once with the loop's timeout */
    assert_int_equal(okno_load_batch_sleep_us(1010000, 1000000, batch, false, &t), 0);
    assert_int_equal(t, 20);
    assert_int_equal(okno_load_batch_sleep_us(1250000, 1000000, batch, false, &t), 0);
    t = 0; /* the controller waits for a call: no sleep */
    assert_int_equal(okno_load_batch_sleep_us(1001000, 1000000, batch, true, &t), 0);
    assert_int_equal(t, 0);
    t = -1; /* the last wake-up lies ahead (a clock read on another core): one batch at most */
    assert_int_equal(okno_load_batch_sleep_us(1000000, 1050000, batch, false, &t), batch);
    t = 0; /* batching off */
    assert_int_equal(okno_load_batch_sleep_us(1000000, 999000, 0, false, &t), 0);
}

/* The clients' candidates go on the server's loopback address when the URL names one. */
static void test_default_address_is_the_servers_loopback_literal(void **state)
{
    (void)state;
    char host[64];
    assert_true(okno_load_loopback_host("ws://127.0.0.1:8080/ws", host, sizeof(host)));
    assert_string_equal(host, "127.0.0.1");
    assert_true(okno_load_loopback_host("ws://127.1.2.3:18480/ws", host, sizeof(host)));
    assert_string_equal(host, "127.1.2.3");
    const char *others[] = {"ws://localhost:8080/ws",
                            "ws://192.0.2.2:8080/ws",
                            "ws://[::1]:8080/ws",
                            "wss://128.0.0.1/ws",
                            "not a url",
                            ""};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_false(okno_load_loopback_host(others[i], host, sizeof(host)));
        assert_string_equal(host, "");
    }
    assert_false(okno_load_loopback_host(NULL, host, sizeof(host)));
    assert_false(okno_load_loopback_host("ws://127.0.0.1/ws", host, 9)); /* no room */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_has_a_second_of_both_kinds_starting_with_a_key_frame),
        cmocka_unit_test(test_every_template_is_found_by_its_payload_and_kind),
        cmocka_unit_test(test_written_packets_carry_the_publishers_numbers_across_loops),
        cmocka_unit_test(test_loop_refuses_bad_settings),
        cmocka_unit_test(test_proc_parsers_read_stat_status_and_tcp),
        cmocka_unit_test(test_proc_finds_this_process_listening_and_samples_it),
        cmocka_unit_test(test_proc_counts_this_processs_udp_socket_drops),
        cmocka_unit_test(test_step_verdict_names_the_first_broken_criterion),
        cmocka_unit_test(test_pacing_spreads_a_key_frame_at_the_pacing_rate),
        cmocka_unit_test(test_batch_sleeps_out_the_batch_timers_included),
        cmocka_unit_test(test_default_address_is_the_servers_loopback_literal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
