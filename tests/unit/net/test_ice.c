/* Two okno ICE agents talking over loopback sockets, on one GMainContext the test iterates itself.
 * Every wait has a deadline; every test ends by closing its agents and checking none is left alive.
 */
#include "testutil.h"
#include "net/ice.h"
#include "okno/err.h"
#include "run_until.h"

#define MAX_CANDS 32

struct peer {
    struct okno_ice *ice;
    struct peer *trickle_to; /* when set, local candidates go straight to this peer */
    char cands[MAX_CANDS][OKNO_ICE_MAX_CANDIDATE_LEN];
    size_t n_cands;
    int n_cands_done;
    enum okno_ice_state state;
    int n_failed;
    int n_pairs;
    struct okno_ice_pair pair;
    uint8_t rx[256];
    size_t rx_len;
    int n_rx;
    int64_t rx_now_us;
};

static GMainContext *ctx;

static void on_local_candidate(void *owner, const char *candidate)
{
    struct peer *p = owner;
    assert_true(p->n_cands < MAX_CANDS);
    snprintf(p->cands[p->n_cands++], OKNO_ICE_MAX_CANDIDATE_LEN, "%s", candidate);
    if (p->trickle_to) {
        int err = okno_ice_add_remote_candidate(p->trickle_to->ice, candidate);
        if (err != OKNO_E_UNSUPPORTED)
            assert_int_equal(err, 0);
    }
}

static void on_local_candidates_done(void *owner)
{
    struct peer *p = owner;
    p->n_cands_done++;
    if (p->trickle_to)
        assert_int_equal(okno_ice_remote_candidates_done(p->trickle_to->ice), 0);
}

static void on_state(void *owner, enum okno_ice_state state)
{
    struct peer *p = owner;
    p->state = state;
    if (state == OKNO_ICE_FAILED)
        p->n_failed++;
}

static void on_selected_pair(void *owner, const struct okno_ice_pair *pair)
{
    struct peer *p = owner;
    p->pair = *pair;
    p->n_pairs++;
}

static void on_recv(void *owner, const uint8_t *data, size_t len, int64_t now_us)
{
    struct peer *p = owner;
    assert_true(len <= sizeof p->rx);
    memcpy(p->rx, data, len);
    p->rx_len = len;
    p->rx_now_us = now_us;
    p->n_rx++;
}

static const struct okno_ice_listener listener = {
    .on_local_candidate = on_local_candidate,
    .on_local_candidates_done = on_local_candidates_done,
    .on_state = on_state,
    .on_selected_pair = on_selected_pair,
    .on_recv = on_recv,
};

static bool run_until(bool (*cond)(void *arg), void *arg, int seconds)
{
    return okno_test_run_until(ctx, cond, arg, seconds);
}

static bool both_connected(void *arg)
{
    struct peer *p = arg;
    return p[0].state == OKNO_ICE_CONNECTED && p[1].state == OKNO_ICE_CONNECTED &&
           p[0].n_pairs > 0 && p[1].n_pairs > 0;
}

static bool none_alive(void *arg)
{
    (void)arg;
    return okno_ice_live_count() == 0;
}

static int n_closed;

static void on_closed(void *arg)
{
    (void)arg;
    n_closed++;
}

static bool all_closed(void *arg)
{
    return n_closed == *(int *)arg;
}

static int setup(void **state)
{
    (void)state;
    ctx = g_main_context_new();
    n_closed = 0;
    return 0;
}

/* The libuv habit: a test passes only if everything it opened is gone afterwards. */
static int teardown(void **state)
{
    (void)state;
    assert_true(run_until(none_alive, NULL, 5));
    while (g_main_context_iteration(ctx, FALSE))
        ;
    g_main_context_unref(ctx);
    ctx = NULL;
    return 0;
}

static void close_peers(struct peer *p, int n)
{
    int want = n_closed;
    for (int i = 0; i < n; i++) {
        if (p[i].ice) {
            okno_ice_close(p[i].ice, on_closed, NULL);
            p[i].ice = NULL;
            want++;
        }
    }
    assert_true(run_until(all_closed, &want, 5));
}

static void loopback_config(struct okno_ice_config *cfg, bool controlling)
{
    okno_ice_config_init(cfg);
    assert_int_equal(okno_ice_config_add_address(cfg, "127.0.0.1"), 0);
    cfg->controlling = controlling;
}

/* What a test sets in an agent's loopback_config. */
struct agent {
    bool no_udp;
    enum okno_ice_tcp tcp;
    unsigned consent_ms; /* 0: the default */
};

/* p[0] (controlling: the kiosk's part) and p[1] (okno's) on loopback, as client and server say. */
static void create_pair(struct peer *p, struct agent client, struct agent server)
{
    const struct agent *a[2] = {&client, &server};
    for (int i = 0; i < 2; i++) {
        struct okno_ice_config cfg;
        loopback_config(&cfg, i == 0);
        cfg.udp = !a[i]->no_udp;
        cfg.tcp = a[i]->tcp;
        if (a[i]->consent_ms)
            cfg.consent_timeout_ms = a[i]->consent_ms;
        assert_int_equal(okno_ice_create(ctx, &cfg, &listener, &p[i], &p[i].ice), 0);
    }
}

static void exchange_credentials(struct peer *a, struct peer *b)
{
    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    assert_int_equal(okno_ice_local_credentials(a->ice, ufrag, pwd), 0);
    assert_int_equal(okno_ice_set_remote_credentials(b->ice, ufrag, pwd), 0);
    assert_int_equal(okno_ice_local_credentials(b->ice, ufrag, pwd), 0);
    assert_int_equal(okno_ice_set_remote_credentials(a->ice, ufrag, pwd), 0);
}

/* Gives to's candidates to from's agent; those of a transport the other config turns off are
 * refused as unusable, the rest must be taken. */
static void add_all(struct peer *to, const struct peer *from)
{
    int added = 0;
    for (size_t i = 0; i < from->n_cands; i++) {
        int err = okno_ice_add_remote_candidate(to->ice, from->cands[i]);
        if (err != OKNO_E_UNSUPPORTED)
            assert_int_equal(err, 0);
        added += err == 0;
    }
    assert_true(added > 0);
}

/* p[0] trickles to p[1] while gathering; p[1]'s candidates go to p[0] all at once afterwards, as
 * they would inside an SDP answer. */
static void connect_pair(struct peer *p)
{
    exchange_credentials(&p[0], &p[1]);
    p[0].trickle_to = &p[1];
    assert_int_equal(okno_ice_gather(p[0].ice), 0);
    assert_int_equal(okno_ice_gather(p[1].ice), 0);
    assert_int_equal(p[1].n_cands_done, 1);
    assert_true(p[1].n_cands > 0);
    add_all(&p[0], &p[1]);
    assert_int_equal(okno_ice_remote_candidates_done(p[0].ice), 0);
    assert_true(run_until(both_connected, p, 20));
}

static bool got_rx(void *arg)
{
    return ((struct peer *)arg)->n_rx > 0;
}

static void send_and_expect(struct peer *from, struct peer *to, const char *text)
{
    to->n_rx = 0;
    int64_t before = g_get_monotonic_time();
    assert_int_equal(okno_ice_send(from->ice, (const uint8_t *)text, strlen(text)), 0);
    assert_true(run_until(got_rx, to, 5));
    assert_int_equal(to->rx_len, strlen(text));
    assert_memory_equal(to->rx, text, strlen(text));
    assert_true(to->rx_now_us >= before && to->rx_now_us <= g_get_monotonic_time());
}

static void test_ice_connects_over_udp_loopback_and_exchanges_datagrams(void **state)
{
    (void)state;
    struct peer p[2] = {0};
    create_pair(p, (struct agent){.tcp = OKNO_ICE_TCP_OFF},
                (struct agent){.tcp = OKNO_ICE_TCP_PASSIVE});
    assert_int_equal(okno_ice_state(p[1].ice), OKNO_ICE_NEW);
    assert_int_equal(okno_ice_send(p[1].ice, (const uint8_t *)"x", 1), OKNO_E_STATE);

    connect_pair(p);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(p[i].pair.local.addr, "127.0.0.1");
        assert_int_equal(p[i].pair.local.transport, OKNO_ICE_TRANSPORT_UDP);
        assert_int_equal(p[i].pair.local.type, OKNO_ICE_HOST);
        assert_int_equal(p[i].pair.remote.port, p[1 - i].pair.local.port);
    }
    send_and_expect(&p[0], &p[1], "hello from the kiosk");
    send_and_expect(&p[1], &p[0], "hello from okno");
    close_peers(p, 2);
}

static void test_ice_connects_over_tcp_when_client_has_udp_off(void **state)
{
    (void)state;
    struct peer p[2] = {0};
    /* okno's defaults: UDP and passive TCP */
    create_pair(p, (struct agent){.no_udp = true, .tcp = OKNO_ICE_TCP_ACTIVE},
                (struct agent){.tcp = OKNO_ICE_TCP_PASSIVE});

    connect_pair(p);
    for (size_t i = 0; i < p[0].n_cands; i++) {

        assert_non_null(strcasestr(p[0].cands[i], " tcp "));
        assert_non_null(strstr(p[0].cands[i], "tcptype active"));
    }
    assert_int_equal(p[0].pair.local.transport, OKNO_ICE_TRANSPORT_TCP_ACTIVE);
    assert_int_equal(p[1].pair.local.transport, OKNO_ICE_TRANSPORT_TCP_PASSIVE);
    send_and_expect(&p[0], &p[1], "framed by RFC 4571 underneath");
    send_and_expect(&p[1], &p[0], "and back");
    close_peers(p, 2);
}

static void test_ice_rejects_malformed_and_unusable_candidates(void **state)
{
    (void)state;
    struct peer p = {0};
    struct okno_ice_config cfg;
    loopback_config(&cfg, false);
    assert_int_equal(okno_ice_create(ctx, &cfg, &listener, &p, &p.ice), 0);
    static const char *const malformed[] = {
        "",
        "candidate:",
        "candidate:1 1 udp 2122260223 192.0.2.5",                /* no port, no type */
        "candidate:1 1 udp x 192.0.2.5 5000 typ host",           /* priority not a number */
        "candidate:1 1 udp 2122260223 192.0.2.5 99999 typ host", /* port out of range */
        "candidate:1 1 udp 2122260223 192.0.2.5 5000 host",      /* "typ" missing */
        "candidate:1 1 udp 2122260223 192.0.2.5 5000 typ host generation", /* odd extension */
        "candidate:1 1 udp 2122260223 192.0.2.5 5000 typ host\r\nx",       /* embedded line end */
        "a=cand:1 1 udp 2122260223 192.0.2.5 5000 typ host",
        "candidate:1 0 udp 2122260223 192.0.2.5 5000 typ host", /* component 0 */
        NULL,
    };
    for (size_t i = 0; malformed[i]; i++)
        assert_int_equal(okno_ice_add_remote_candidate(p.ice, malformed[i]), OKNO_E_MALFORMED);
    assert_int_equal(okno_ice_add_remote_candidate(p.ice, NULL), OKNO_E_MALFORMED);
    char long_line[OKNO_ICE_MAX_CANDIDATE_LEN + 16];
    memset(long_line, 'a', sizeof long_line - 1);
    long_line[sizeof long_line - 1] = '\0';
    memcpy(long_line, "candidate:", 10);
    assert_int_equal(okno_ice_add_remote_candidate(p.ice, long_line), OKNO_E_MALFORMED);

    static const char *const unusable[] = {
        "candidate:1 1 udp 2122260223 4b1a3c2e-7f7e-4d8c-9c1a-1f2e3d4c5b6a.local 5000 typ host",
        "candidate:1 2 udp 2122260223 192.0.2.5 5001 typ host", /* RTCP: rtcp-mux only */
        "candidate:1 1 tcp 1518280447 192.0.2.5 5000 typ host tcptype passive", /* we are passive */
        "candidate:1 1 sctp 2122260223 192.0.2.5 5000 typ host",
        NULL,
    };
    for (size_t i = 0; unusable[i]; i++)
        assert_int_equal(okno_ice_add_remote_candidate(p.ice, unusable[i]), OKNO_E_UNSUPPORTED);

    /* Browsers' trickled form, with the extensions they add, and the SDP line form both work. */
    assert_int_equal(okno_ice_add_remote_candidate(
                         p.ice,
                         "candidate:842163049 1 udp 1677729535 198.51.100.7 61000 typ srflx "
                         "raddr 10.0.0.2 rport 61000 generation 0 ufrag Xk2f network-cost 999"),
                     0);
    assert_int_equal(
        okno_ice_add_remote_candidate(
            p.ice, "a=candidate:1 1 tcp 1518280447 192.0.2.5 9 typ host tcptype active\r\n"),
        0);

    assert_int_equal(okno_ice_set_remote_credentials(p.ice, "Xk2", "a1b2c3d4e5f6g7h8i9j0k1l2"),
                     OKNO_E_MALFORMED); /* ufrag too short */
    assert_int_equal(okno_ice_set_remote_credentials(p.ice, "Xk2f", "short"), OKNO_E_MALFORMED);
    assert_int_equal(okno_ice_set_remote_credentials(p.ice, "Xk 2f", "a1b2c3d4e5f6g7h8i9j0k1l2"),
                     OKNO_E_MALFORMED);
    assert_int_equal(okno_ice_set_remote_credentials(p.ice, "Nw8q", "a1b2c3d4e5f6g7h8i9j0k1l2"), 0);
    /* A candidate left over from the generation before an ICE restart. */
    assert_int_equal(okno_ice_add_remote_candidate(
                         p.ice, "candidate:9 1 udp 2122260223 192.0.2.9 5000 typ host ufrag Xk2f"),
                     OKNO_E_STATE);
    close_peers(&p, 1);
}

static bool reconnected_on_a_new_pair(void *arg)
{
    struct peer *p = arg;
    return both_connected(p) && p[0].n_pairs > 1 && p[1].n_pairs > 1;
}

static void test_ice_restart_reconnects_with_new_credentials_on_the_same_agent(void **state)
{
    (void)state;
    struct peer p[2] = {0};
    create_pair(p, (struct agent){.tcp = OKNO_ICE_TCP_PASSIVE},
                (struct agent){.tcp = OKNO_ICE_TCP_PASSIVE});
    connect_pair(p);
    send_and_expect(&p[0], &p[1], "before restart");

    char ufrag0[OKNO_ICE_CRED_LEN], pwd0[OKNO_ICE_CRED_LEN];
    char ufrag1[OKNO_ICE_CRED_LEN], pwd1[OKNO_ICE_CRED_LEN];
    assert_int_equal(okno_ice_local_credentials(p[1].ice, ufrag0, pwd0), 0);
    struct okno_ice *same0 = p[0].ice, *same1 = p[1].ice;
    size_t old_cands = p[1].n_cands;

    /* The client restarts (new offer), okno restarts in its answer. Candidates are trickled both
     * ways this time, from the re-announcement okno_ice_restart makes. */
    p[0].trickle_to = NULL;
    p[0].n_cands = p[1].n_cands = 0;
    assert_int_equal(okno_ice_restart(p[0].ice), 0);
    assert_int_equal(okno_ice_restart(p[1].ice), 0);
    assert_int_equal(p[1].n_cands, old_cands);
    assert_int_equal(p[1].n_cands_done, 2);
    assert_int_equal(okno_ice_local_credentials(p[1].ice, ufrag1, pwd1), 0);
    assert_string_not_equal(ufrag0, ufrag1);
    assert_string_not_equal(pwd0, pwd1);
    /* Until the new pair is chosen, media keeps flowing on the old one. */
    send_and_expect(&p[1], &p[0], "during restart");

    exchange_credentials(&p[0], &p[1]);
    add_all(&p[1], &p[0]);
    add_all(&p[0], &p[1]);
    assert_int_equal(okno_ice_remote_candidates_done(p[0].ice), 0);
    assert_int_equal(okno_ice_remote_candidates_done(p[1].ice), 0);
    assert_true(run_until(reconnected_on_a_new_pair, p, 20));
    assert_ptr_equal(p[0].ice, same0);
    assert_ptr_equal(p[1].ice, same1);
    send_and_expect(&p[0], &p[1], "after restart");
    send_and_expect(&p[1], &p[0], "after restart, back");
    close_peers(p, 2);
}

static bool has_failed(void *arg)
{
    return ((struct peer *)arg)->n_failed > 0;
}

/* p[1] (okno) gets a 15 s consent timeout: longer than libnice's own 10 s consent expiry, so a
 * failure before 14 s would be libnice's brittle one coming back (see net/ice.c). */
static void test_ice_reports_failed_when_peer_consent_expires(void **state)
{
    (void)state;
    struct peer p[2] = {0};
    create_pair(p, (struct agent){.tcp = OKNO_ICE_TCP_OFF},
                (struct agent){.tcp = OKNO_ICE_TCP_OFF, .consent_ms = 15000});
    connect_pair(p);
    send_and_expect(&p[0], &p[1], "last words");

    /* The kiosk vanishes without a word: its sockets close, nothing more comes from it. */
    int64_t t0 = g_get_monotonic_time();
    close_peers(p, 1);
    assert_true(run_until(has_failed, &p[1], 25));
    int64_t waited_ms = (g_get_monotonic_time() - t0) / 1000;
    printf("# consent lost after %lld ms (timeout 15000 ms)\n", (long long)waited_ms);
    assert_true(waited_ms >= 14000 && waited_ms < 18000);
    assert_int_equal(p[1].n_failed, 1);
    assert_int_equal(okno_ice_state(p[1].ice), OKNO_ICE_FAILED);
    assert_int_equal(okno_ice_send(p[1].ice, (const uint8_t *)"x", 1), OKNO_E_STATE);
    close_peers(p, 2);
}

/* Every datagram from the peer renews consent, and an idle agent pings so that its peer does not
 * take it for a lost one: with a 4 s timeout a pair stays connected through 3 s of datagrams and 8
 * s of idleness (the pings never reach the owner), and once p[0] vanishes p[1] is lost 4-5 s later.
 */
static void test_ice_datagrams_and_idle_pings_keep_consent(void **state)
{
    (void)state;
    struct peer p[2] = {0};
    create_pair(p, (struct agent){.tcp = OKNO_ICE_TCP_OFF, .consent_ms = 4000},
                (struct agent){.tcp = OKNO_ICE_TCP_OFF, .consent_ms = 4000});
    connect_pair(p);
    for (int i = 0; i < 3; i++) {
        send_and_expect(&p[0], &p[1], "still here");
        run_until(has_failed, &p[1], 1);
    }
    p[0].n_rx = p[1].n_rx = 0;
    run_until(has_failed, &p[1], 8);
    assert_int_equal(p[0].n_failed + p[1].n_failed, 0);
    assert_int_equal(p[0].n_rx + p[1].n_rx, 0);
    assert_int_equal(okno_ice_state(p[0].ice), OKNO_ICE_CONNECTED);
    assert_int_equal(okno_ice_state(p[1].ice), OKNO_ICE_CONNECTED);
    send_and_expect(&p[1], &p[0], "and you?");

    int64_t t0 = g_get_monotonic_time();
    close_peers(p, 1);
    assert_true(run_until(has_failed, &p[1], 10));
    int64_t waited_ms = (g_get_monotonic_time() - t0) / 1000;
    printf("# vanished peer lost after %lld ms (timeout 4000 ms)\n", (long long)waited_ms);
    assert_true(waited_ms >= 1000 && waited_ms < 6000);
    close_peers(p, 2);
}

static bool contains(const struct peer *p, const char *s)
{
    for (size_t i = 0; i < p->n_cands; i++) {
        if (strstr(p->cands[i], s))
            return true;
    }
    return false;
}

static void test_ice_announced_address_replaces_host_address_in_candidates(void **state)
{
    (void)state;
    struct okno_ice_config cfg;
    okno_ice_config_init(&cfg);
    assert_true(okno_ice_config_add_default_addresses(&cfg) >= 1);
    const char *lan = NULL;
    for (size_t i = 0; i < cfg.n_addresses; i++) {
        if (strchr(cfg.addresses[i], '.') && strcmp(cfg.addresses[i], "127.0.0.1") != 0)
            lan = cfg.addresses[i];
    }
    if (!lan)
        skip(); /* a machine with loopback only has nothing to announce over */
    char lan_addr[OKNO_ICE_ADDRSTRLEN + 2];
    snprintf(lan_addr, sizeof lan_addr, " %s ", lan);
    assert_int_equal(okno_ice_config_set_announced(&cfg, "203.0.113.7"), 0);

    struct peer p[2] = {0};
    assert_int_equal(okno_ice_create(ctx, &cfg, &listener, &p[1], &p[1].ice), 0);
    assert_int_equal(okno_ice_gather(p[1].ice), 0);
    assert_int_equal(okno_ice_gather(p[1].ice), OKNO_E_STATE);
    assert_true(contains(&p[1], " 203.0.113.7 "));
    assert_true(contains(&p[1], " 127.0.0.1 ")); /* loopback stays for a browser on this machine */
    assert_false(contains(&p[1], lan_addr));
    assert_false(contains(&p[1], "raddr")); /* nor does the private address hide in raddr */

    /* A client behind the NAT's other side: it sees the announced address, the NAT maps it back to
     * the LAN address (done here by hand), and okno answers from its real socket. */
    struct okno_ice_config ccfg;
    okno_ice_config_init(&ccfg);
    assert_int_equal(okno_ice_config_add_address(&ccfg, lan), 0);
    ccfg.controlling = true;
    ccfg.tcp = OKNO_ICE_TCP_OFF;
    assert_int_equal(okno_ice_create(ctx, &ccfg, &listener, &p[0], &p[0].ice), 0);
    exchange_credentials(&p[0], &p[1]);
    assert_int_equal(okno_ice_gather(p[0].ice), 0);
    add_all(&p[1], &p[0]);
    for (size_t i = 0; i < p[1].n_cands; i++) {
        char *at = strstr(p[1].cands[i], " 203.0.113.7 ");
        if (!at || !strcasestr(p[1].cands[i], " udp "))
            continue;
        char mapped[OKNO_ICE_MAX_CANDIDATE_LEN];
        snprintf(mapped, sizeof mapped, "%.*s%s%s", (int)(at - p[1].cands[i]), p[1].cands[i],
                 lan_addr, at + strlen(" 203.0.113.7 "));
        assert_int_equal(okno_ice_add_remote_candidate(p[0].ice, mapped), 0);
    }
    assert_int_equal(okno_ice_remote_candidates_done(p[0].ice), 0);
    assert_int_equal(okno_ice_remote_candidates_done(p[1].ice), 0);
    assert_true(run_until(both_connected, p, 20));
    assert_string_equal(p[1].pair.local.addr, lan);
    send_and_expect(&p[0], &p[1], "through the NAT");
    close_peers(p, 2);
}

static void test_ice_gathers_only_inside_the_port_range(void **state)
{
    (void)state;
    struct peer p = {0};
    struct okno_ice_config cfg;
    loopback_config(&cfg, false);
    assert_int_equal(okno_ice_config_set_port_range(&cfg, 47100, 47119), 0);
    assert_int_equal(okno_ice_create(ctx, &cfg, &listener, &p, &p.ice), 0);
    assert_int_equal(okno_ice_gather(p.ice), 0);
    assert_int_equal(p.n_cands, 2); /* UDP and passive TCP on 127.0.0.1; never TCP active */
    for (size_t i = 0; i < p.n_cands; i++) {
        unsigned port = 0;
        char addr[64];
        assert_int_equal(sscanf(p.cands[i], "candidate:%*s %*u %*s %*u %63s %u", addr, &port), 2);
        assert_string_equal(addr, "127.0.0.1");
        assert_true(port >= 47100 && port <= 47119);
    }
    assert_false(contains(&p, "tcptype active"));
    close_peers(&p, 1);
}

static void test_ice_create_refuses_config_without_transport(void **state)
{
    (void)state;
    struct okno_ice_config cfg;
    loopback_config(&cfg, false);
    cfg.udp = false;
    cfg.tcp = OKNO_ICE_TCP_OFF;
    struct okno_ice *ice = NULL;
    assert_int_equal(okno_ice_create(ctx, &cfg, &listener, NULL, &ice), OKNO_E_CONFIG);
    assert_null(ice);
    assert_int_equal(okno_ice_live_count(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ice_connects_over_udp_loopback_and_exchanges_datagrams,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_ice_connects_over_tcp_when_client_has_udp_off, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ice_rejects_malformed_and_unusable_candidates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_ice_restart_reconnects_with_new_credentials_on_the_same_agent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ice_reports_failed_when_peer_consent_expires, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ice_datagrams_and_idle_pings_keep_consent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_ice_announced_address_replaces_host_address_in_candidates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ice_gathers_only_inside_the_port_range, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ice_create_refuses_config_without_transport, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
