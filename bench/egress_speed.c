/* egress_speed: what okno_peer_send_rtp costs the calling worker per 1100-byte RTP packet on a
 * loopback UDP pair, three ways: through libnice (nice_agent_send_messages_nonblocking, as okno
 * sent before), direct (protect + one sendto on okno's copy of the socket) and handed over a lane
 * to another thread that protects and sends (the room worker's cost is then one copy). CPU time of
 * the sending thread (CLOCK_THREAD_CPUTIME_ID) around the sends only; the receiving peer runs on
 * the same thread between bursts and is not counted. Prints figures; judges nothing.
 *
 * usage: bench/egress_speed [packets]   (default 100000 per way) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/lane.h"
#include "net/peer.h"
#include "okno/err.h"

#define LEN   1100
#define BURST 32

struct side {
    struct okno_peer *peer;
    struct side *other;
    int connected;
    unsigned long rx;
};

static GMainContext *ctx, *ectx;
static struct okno_cert *cert;
static int closed;

static void on_cand(void *owner, const char *c)
{
    struct side *s = owner;
    (void)okno_peer_add_remote_candidate(s->other->peer, c);
}

static void on_done(void *owner)
{
    struct side *s = owner;
    (void)okno_peer_remote_candidates_done(s->other->peer);
}

static void on_connected(void *owner)
{
    ((struct side *)owner)->connected = 1;
}

static void on_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    (void)pkt;
    (void)len;
    (void)now_us;
    ((struct side *)owner)->rx++;
}

static const struct okno_peer_listener listener = {
    .on_local_candidate = on_cand,
    .on_local_candidates_done = on_done,
    .on_connected = on_connected,
    .on_rtp = on_rtp,
};

static void on_closed(void *arg)
{
    (void)arg;
    closed++;
}

static int64_t ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Iterates ctx until cond or 10 s. */
static int wait_for(int (*cond)(struct side *s, unsigned long n), struct side *s, unsigned long n)
{
    int64_t deadline = ns(CLOCK_MONOTONIC) + 10000000000LL;
    while (!cond(s, n)) {
        if (ns(CLOCK_MONOTONIC) > deadline)
            return -1;
        g_main_context_iteration(ctx, FALSE);
    }
    return 0;
}

static int connected(struct side *s, unsigned long n)
{
    (void)n;
    return s[0].connected && s[1].connected;
}

static int got(struct side *s, unsigned long n)
{
    return s[0].rx >= n;
}

static int run(const char *name, struct okno_lane *lane, bool via_libnice, unsigned long packets)
{
    struct side s[2];
    memset(s, 0, sizeof s);
    s[0].other = &s[1];
    s[1].other = &s[0];
    for (int i = 0; i < 2; i++) {
        struct okno_ice_config ice;
        okno_ice_config_init(&ice);
        okno_ice_config_add_address(&ice, "127.0.0.1");
        ice.controlling = i == 0;
        struct okno_peer_config cfg = {.ice = &ice, .cert = cert};
        if (i == 1) {
            cfg.egress_lane = lane;
            cfg.via_libnice = via_libnice;
        }
        if (okno_peer_create(ctx, &cfg, &listener, &s[i], &s[i].peer) != 0)
            return 1;
    }
    struct okno_fingerprint fp;
    okno_cert_fingerprint(cert, OKNO_FP_SHA256, &fp);
    for (int i = 0; i < 2; i++) {
        char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
        okno_peer_local_credentials(s[1 - i].peer, ufrag, pwd);
        okno_peer_set_remote(s[i].peer, ufrag, pwd, &fp,
                             i == 0 ? OKNO_DTLS_CLIENT : OKNO_DTLS_SERVER);
    }
    okno_peer_gather(s[0].peer);
    okno_peer_gather(s[1].peer);
    if (wait_for(connected, s, 0) != 0) {
        fprintf(stderr, "egress_speed: %s: no connection\n", name);
        return 1;
    }
    /* The receiver skips its decryption: only the sender's cost is of interest. */
    okno_peer_set_rtp_unverified(s[0].peer, true);
    _Alignas(8) uint8_t buf[LEN + OKNO_SRTP_MAX_TRAILER];
    int64_t cpu = 0, wall = 0;
    unsigned long sent = 0, refused = 0;
    for (uint16_t seq = 0; sent + refused < packets;) {
        int64_t c0 = ns(CLOCK_THREAD_CPUTIME_ID), w0 = ns(CLOCK_MONOTONIC);
        for (int i = 0; i < BURST; i++, seq++) {
            memset(buf, 0, LEN);
            buf[0] = 0x80;
            buf[1] = 96;
            buf[2] = (uint8_t)(seq >> 8);
            buf[3] = (uint8_t)seq;
            buf[11] = 1;
            if (okno_peer_send_rtp(s[1].peer, buf, LEN, sizeof buf) == 0)
                sent++;
            else
                refused++;
        }
        cpu += ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        wall += ns(CLOCK_MONOTONIC) - w0;
        if (wait_for(got, s, sent) != 0)
            break; /* loopback lost some: reported below */
    }
    printf("%-12s %8lu sent %6lu refused %8lu received  %6.2f us CPU/packet on the sending "
           "thread (%.2f us wall)\n",
           name, sent, refused, s[0].rx, (double)cpu / 1000.0 / (double)(sent + refused),
           (double)wall / 1000.0 / (double)(sent + refused));
    int want = closed + 2;
    okno_peer_close(s[0].peer, on_closed, NULL);
    okno_peer_close(s[1].peer, on_closed, NULL);
    int64_t deadline = ns(CLOCK_MONOTONIC) + 5000000000LL;
    while (closed < want && ns(CLOCK_MONOTONIC) < deadline)
        g_main_context_iteration(ctx, FALSE);
    return 0;
}

static gpointer egress_main(gpointer loop)
{
    g_main_context_push_thread_default(ectx);
    g_main_loop_run(loop);
    g_main_context_pop_thread_default(ectx);
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned long packets = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    if (packets == 0) {
        fprintf(stderr, "usage: egress_speed [packets]\n");
        return 2;
    }
    ctx = g_main_context_new();
    ectx = g_main_context_new();
    GMainLoop *eloop = g_main_loop_new(ectx, FALSE);
    GThread *t = g_thread_new("egress", egress_main, eloop);
    if (okno_cert_generate(NULL, &cert) != 0)
        return 1;
    struct okno_lane *lane = NULL;
    okno_lane_new(ctx, ectx, 2048, &lane);
    int rc = run("libnice", NULL, true, packets);
    rc |= run("direct", NULL, false, packets);
    rc |= run("lane", lane, false, packets);
    g_main_loop_quit(eloop);
    g_thread_join(t);
    okno_lane_free(lane);
    g_main_loop_unref(eloop);
    okno_cert_free(cert);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
    g_main_context_unref(ectx);
    return rc;
}
