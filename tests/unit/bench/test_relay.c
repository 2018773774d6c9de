#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "linkemu/relay.h"
#include "linkemu/relay_thread.h"
#include "okno/err.h"

/* The relay over real loopback UDP, the test iterating the relay's GMainContext. A "target" echo
 * socket stands for okno, "client" sockets for a browser; one-way delays are measured directly
 * since both ends share the process's monotonic clock. */

#define N 20

struct msg {
    uint32_t seq;
    uint32_t from; /* which client sent it */
    int64_t client_sent_us, target_sent_us;
};

struct endpoint {
    int fd;
    GSource *src;
    int port;
    /* counted on receipt */
    int received;
    int64_t min_us, max_us, sum_us; /* one-way delays */
    uint32_t seen_from[4];          /* target: messages per client; client: own replies */
    int sources[4];                 /* target: distinct source ports seen */
    int n_sources;
};

static int udp_bound(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void note_delay(struct endpoint *e, int64_t d)
{
    if (!e->received || d < e->min_us)
        e->min_us = d;
    if (!e->received || d > e->max_us)
        e->max_us = d;
    e->sum_us += d;
    e->received++;
}

/* The target: records the up delay and the relay-side source port, echoes with its send time. */
static gboolean on_target(gint fd, GIOCondition cond, gpointer data)
{
    (void)cond;
    struct endpoint *e = data;
    struct msg m;
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    while (recvfrom(fd, &m, sizeof m, 0, (struct sockaddr *)&from, &len) == (ssize_t)sizeof m) {
        int64_t now = okno_clock_now_us();
        note_delay(e, now - m.client_sent_us);
        assert_true(m.from < 4);
        e->seen_from[m.from]++;
        int port = ntohs(from.sin_port), known = 0;
        for (int i = 0; i < e->n_sources; i++)
            known |= e->sources[i] == port;
        if (!known && e->n_sources < 4)
            e->sources[e->n_sources++] = port;
        m.target_sent_us = okno_clock_now_us();
        assert_int_equal(sendto(fd, &m, sizeof m, 0, (struct sockaddr *)&from, len), sizeof m);
        len = sizeof from;
    }
    return G_SOURCE_CONTINUE;
}

/* A client: records the down delay of replies, which must be its own messages. */
struct client {
    struct endpoint e;
    uint32_t id;
};

static gboolean on_client(gint fd, GIOCondition cond, gpointer data)
{
    (void)cond;
    struct client *c = data;
    struct msg m;
    while (recv(fd, &m, sizeof m, 0) == (ssize_t)sizeof m) {
        note_delay(&c->e, okno_clock_now_us() - m.target_sent_us);
        assert_int_equal(m.from, c->id);
    }
    return G_SOURCE_CONTINUE;
}

static void open_endpoint(GMainContext *ctx, struct endpoint *e, GUnixFDSourceFunc fn, void *data)
{
    memset(e, 0, sizeof *e);
    e->fd = udp_bound(&e->port);
    e->src = g_unix_fd_source_new(e->fd, G_IO_IN);
    g_source_set_callback(e->src, G_SOURCE_FUNC(fn), data, NULL);
    g_source_attach(e->src, ctx);
}

static void close_endpoint(struct endpoint *e)
{
    g_source_destroy(e->src);
    g_source_unref(e->src);
    close(e->fd);
}

static void send_to_port(struct client *c, int port, uint32_t seq)
{
    struct msg m = {.seq = seq, .from = c->id, .client_sent_us = okno_clock_now_us()};
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    assert_int_equal(sendto(c->e.fd, &m, sizeof m, 0, (struct sockaddr *)&a, sizeof a), sizeof m);
}

/* Runs ctx's ready sources every 200 us (the relay's timers are in there too) for limit_us. */
static void iterate_for(GMainContext *ctx, int64_t limit_us)
{
    int64_t deadline = okno_clock_now_us() + limit_us;
    while (okno_clock_now_us() < deadline) {
        while (g_main_context_iteration(ctx, FALSE))
            ;
        g_usleep(200);
    }
}

/* The same until done(arg), or for limit_us at most. */
static void iterate_until(GMainContext *ctx, bool (*done)(void *), void *arg, int64_t limit_us)
{
    int64_t deadline = okno_clock_now_us() + limit_us;
    while (!done(arg) && okno_clock_now_us() < deadline) {
        while (g_main_context_iteration(ctx, FALSE))
            ;
        g_usleep(200);
    }
}

static struct okno_relay *start_relay(GMainContext *ctx, const struct okno_schedule *s)
{
    struct okno_relay_config cfg = {.schedule = s, .seed = 7};
    struct okno_relay *r = NULL;
    assert_int_equal(okno_relay_create(ctx, &cfg, okno_clock_now_us(), &r), 0);
    return r;
}

static int add_mapping(struct okno_relay *r, int target_port)
{
    struct sockaddr_in l, t;
    char to[32];
    snprintf(to, sizeof to, "127.0.0.1:%d", target_port);
    assert_int_equal(okno_relay_parse_addr("127.0.0.1:0", &l), 0);
    assert_int_equal(okno_relay_parse_addr(to, &t), 0);
    int idx = okno_relay_add_mapping(r, &l, &t);
    assert_true(idx >= 0);
    int port = okno_relay_listen_port(r, idx);
    assert_true(port > 0);
    return port;
}

struct wait_for {
    struct endpoint *e[3];
    int want;
};

static bool all_received(void *arg)
{
    struct wait_for *w = arg;
    for (int i = 0; i < 3 && w->e[i]; i++)
        if (w->e[i]->received < w->want)
            return false;
    return true;
}

static void test_relay_datagrams_pass_both_ways_with_configured_delay(void **state)
{
    (void)state;
    GMainContext *ctx = g_main_context_new();
    struct okno_schedule s;
    struct okno_link_params up = {.delay_us = 30000}, down = {.delay_us = 20000};
    okno_schedule_init(&s, &up, &down);
    struct endpoint target;
    struct client c = {.id = 0};
    open_endpoint(ctx, &target, on_target, &target);
    open_endpoint(ctx, &c.e, on_client, &c);
    struct okno_relay *r = start_relay(ctx, &s);
    int port = add_mapping(r, target.port);

    for (uint32_t i = 0; i < N; i++) {
        send_to_port(&c, port, i);
        iterate_for(ctx, 5000);
    }
    struct wait_for w = {.e = {&target, &c.e}, .want = N};
    iterate_until(ctx, all_received, &w, 3000000);

    assert_int_equal(target.received, N);
    assert_int_equal(c.e.received, N);
    /* never early; late only by the loop's wake-up latency */
    assert_true(target.min_us >= 30000);
    assert_true(target.sum_us / N < 30000 + 5000);
    assert_true(target.max_us < 30000 + 25000);
    assert_true(c.e.min_us >= 20000);
    assert_true(c.e.sum_us / N < 20000 + 5000);
    assert_true(c.e.max_us < 20000 + 25000);
    assert_int_equal(target.n_sources, 1);
    assert_int_not_equal(target.sources[0], c.e.port); /* the target sees the relay */

    struct okno_relay_stats st;
    okno_relay_stats(r, &st);
    assert_int_equal(st.up.packets_in, N);
    assert_int_equal(st.up.packets_out, N);
    assert_int_equal(st.down.packets_out, N);
    assert_int_equal(st.clients, 1);
    assert_int_equal(st.send_errors, 0);

    okno_relay_destroy(r);
    close_endpoint(&target);
    close_endpoint(&c.e);
    assert_false(g_main_context_pending(ctx));
    g_main_context_unref(ctx);
}

static void test_relay_keeps_a_mapping_per_client_and_per_port(void **state)
{
    (void)state;
    GMainContext *ctx = g_main_context_new();
    struct endpoint ta, tb;
    struct client x = {.id = 1}, y = {.id = 2};
    open_endpoint(ctx, &ta, on_target, &ta);
    open_endpoint(ctx, &tb, on_target, &tb);
    open_endpoint(ctx, &x.e, on_client, &x);
    open_endpoint(ctx, &y.e, on_client, &y);
    struct okno_relay *r = start_relay(ctx, NULL); /* a perfect link */
    int pa = add_mapping(r, ta.port), pb = add_mapping(r, tb.port);
    assert_int_not_equal(pa, pb);

    for (uint32_t i = 0; i < 5; i++) {
        send_to_port(&x, pa, i);
        send_to_port(&y, pa, i);
        send_to_port(&x, pb, i);
    }
    struct wait_for w = {.e = {&x.e, &y.e}, .want = 5};
    iterate_until(ctx, all_received, &w, 3000000);
    w = (struct wait_for){.e = {&x.e}, .want = 10};
    iterate_until(ctx, all_received, &w, 3000000);

    assert_int_equal(ta.received, 10);
    assert_int_equal(ta.seen_from[1], 5);
    assert_int_equal(ta.seen_from[2], 5);
    assert_int_equal(ta.n_sources, 2); /* one upstream socket per client */
    assert_int_equal(tb.received, 5);
    assert_int_equal(tb.n_sources, 1);
    assert_int_equal(x.e.received, 10); /* on_client checked each reply was its own */
    assert_int_equal(y.e.received, 5);
    struct okno_relay_stats st;
    okno_relay_stats(r, &st);
    assert_int_equal(st.clients, 3);

    okno_relay_destroy(r);
    close_endpoint(&ta);
    close_endpoint(&tb);
    close_endpoint(&x.e);
    close_endpoint(&y.e);
    g_main_context_unref(ctx);
}

static void test_relay_refuses_addresses_beyond_loopback(void **state)
{
    (void)state;
    struct sockaddr_in a;
    assert_int_equal(okno_relay_parse_addr("127.0.0.1:5000", &a), 0);
    assert_int_equal(ntohs(a.sin_port), 5000);
    assert_int_equal(okno_relay_parse_addr("127.1.2.3:0", &a), 0);
    assert_int_equal(okno_relay_parse_addr("10.0.0.1:5000", &a), OKNO_E_DENIED);
    assert_int_equal(okno_relay_parse_addr("0.0.0.0:5000", &a), OKNO_E_DENIED);
    assert_int_equal(okno_relay_parse_addr("127.0.0.1:70000", &a), OKNO_E_MALFORMED);
    assert_int_equal(okno_relay_parse_addr("127.0.0.1:", &a), OKNO_E_MALFORMED);
    assert_int_equal(okno_relay_parse_addr("127.0.0.1:-1", &a), OKNO_E_MALFORMED);
    assert_int_equal(okno_relay_parse_addr("localhost:80", &a), OKNO_E_MALFORMED);
    assert_int_equal(okno_relay_parse_addr("5000", &a), OKNO_E_MALFORMED);

    GMainContext *ctx = g_main_context_new();
    struct okno_relay *r = start_relay(ctx, NULL);
    struct sockaddr_in l, t;
    assert_int_equal(okno_relay_parse_addr("127.0.0.1:0", &l), 0);
    t = l;
    t.sin_addr.s_addr = htonl(0x0a000001); /* 10.0.0.1 */
    t.sin_port = htons(9);
    assert_int_equal(okno_relay_add_mapping(r, &l, &t), OKNO_E_DENIED);
    assert_int_equal(okno_relay_add_mapping(r, &l, &l), OKNO_E_INVAL); /* target port 0 */
    okno_relay_destroy(r);
    g_main_context_unref(ctx);
}

/* On a thread of its own the relay sends at the link's times while its owner's thread is busy
 * (okno-bench call's encoders): the test's thread never iterates its context while the datagrams
 * cross the relay, and still sees them all sent; the wakes it timed are counted. */
static void test_relay_thread_sends_while_its_owner_is_busy(void **state)
{
    (void)state;
    GMainContext *ctx = g_main_context_new();
    struct okno_schedule s;
    struct okno_link_params up = {.delay_us = 10000}, down = {.delay_us = 10000};
    okno_schedule_init(&s, &up, &down);
    struct endpoint target;
    struct client c = {.id = 0};
    open_endpoint(ctx, &target, on_target, &target);
    open_endpoint(ctx, &c.e, on_client, &c);
    struct okno_relay_config cfg = {.schedule = &s, .seed = 7};
    struct okno_relay_thread *t = NULL;
    assert_int_equal(okno_relay_thread_start(&cfg, okno_clock_now_us(), 100, &t), OKNO_E_INVAL);
    assert_int_equal(okno_relay_thread_start(&cfg, okno_clock_now_us(), 0, &t), 0);
    assert_false(okno_relay_thread_realtime(t));
    struct okno_relay *r = okno_relay_thread_relay(t);
    int port = add_mapping(r, target.port);

    for (uint32_t i = 0; i < N; i++)
        send_to_port(&c, port, i);
    /* Never iterating ctx, until the relay has sent them all (or 3 s on a loaded host). */
    struct okno_relay_stats st;
    int64_t give_up = okno_clock_now_us() + 3000000;
    for (okno_relay_stats(r, &st); st.up.packets_out < N && okno_clock_now_us() < give_up;
         okno_relay_stats(r, &st))
        g_usleep(1000);
    assert_int_equal(st.up.packets_in, N);
    assert_int_equal(st.up.packets_out, N);
    assert_true(st.wake_late.n >= 1);
    assert_true(st.wake_late_max_us >= 0);

    struct wait_for w = {.e = {&target, &c.e}, .want = N};
    iterate_until(ctx, all_received, &w, 3000000);
    assert_int_equal(target.received, N);
    assert_int_equal(c.e.received, N);
    assert_true(c.e.min_us >= 10000);
    okno_relay_stats(r, &st);
    assert_int_equal(st.down.packets_out, N);

    okno_relay_thread_stop(t);
    close_endpoint(&target);
    close_endpoint(&c.e);
    g_main_context_unref(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay_datagrams_pass_both_ways_with_configured_delay),
        cmocka_unit_test(test_relay_keeps_a_mapping_per_client_and_per_port),
        cmocka_unit_test(test_relay_refuses_addresses_beyond_loopback),
        cmocka_unit_test(test_relay_thread_sends_while_its_owner_is_busy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
