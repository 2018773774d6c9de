/* Fuzz target for what reaches a DTLS endpoint (src/net/dtls) from the network: a hostile peer
 * during the handshake, and a third party on the 5-tuple of an established association.
 *
 * The input is a run of datagrams, each [target][len_hi][len_lo][len bytes] (a short tail is one
 * last datagram). target % 3: 0 the established server, 1 the established client, 2 a server
 * that is waiting for its first ClientHello (fresh for every input). Checked (__builtin_trap
 * otherwise): feed returns 0 or a negative code; nothing without the keys ends an established
 * association (it stays CONNECTED, on_closed is not called); a fresh server stays CONNECTING or
 * FAILED, and failing returns an error and gives a reason; whatever an endpoint answers fits the
 * MTU. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/cert.h"
#include "net/dtls.h"
#include "okno/err.h"

#define MAX_FLIGHT 32

struct end {
    struct okno_dtls *dtls;
    uint8_t flight[MAX_FLIGHT][OKNO_DTLS_MAX_DATAGRAM];
    size_t flight_len[MAX_FLIGHT];
    size_t queued;
    int closed;
};

static struct okno_cert *client_cert, *server_cert;
static struct end client, server, fresh;

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static void on_send(void *user, const uint8_t *data, size_t len)
{
    struct end *e = user;
    check(len > 0 && len <= OKNO_DTLS_MTU);
    if (e->queued == MAX_FLIGHT)
        return; /* a flight lost on the way: the handshake below retransmits, the fuzz ignores */
    memcpy(e->flight[e->queued], data, len);
    e->flight_len[e->queued++] = len;
}

static void on_closed(void *user, int err, const char *reason)
{
    struct end *e = user;
    (void)err;
    check(reason && reason[0]);
    e->closed++;
}

static void make_end(struct end *e, enum okno_dtls_role role, const struct okno_cert *own,
                     const struct okno_cert *peer)
{
    struct okno_dtls_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.role = role;
    cfg.cert = own;
    check(okno_cert_fingerprint(peer, OKNO_FP_SHA256, &cfg.remote_fingerprint) == 0);
    struct okno_dtls_listener l = {on_send, NULL, on_closed, e};
    e->queued = 0;
    e->closed = 0;
    check(okno_dtls_create(&cfg, &l, &e->dtls) == 0);
}

static size_t hand_over(struct end *from, struct end *to)
{
    size_t n = from->queued;
    for (size_t i = 0; i < n; i++)
        (void)okno_dtls_feed(to->dtls, from->flight[i], from->flight_len[i], 0);
    /* feed() may have queued more on `to`, never on `from`: from's queue is ours to clear */
    from->queued = 0;
    return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    check(okno_cert_generate("fuzz-client", &client_cert) == 0);
    check(okno_cert_generate("fuzz-server", &server_cert) == 0);
    make_end(&client, OKNO_DTLS_CLIENT, client_cert, server_cert);
    make_end(&server, OKNO_DTLS_SERVER, server_cert, client_cert);
    check(okno_dtls_start(server.dtls, 0) == 0);
    check(okno_dtls_start(client.dtls, 0) == 0);
    for (int round = 0; round < 20 && (hand_over(&client, &server) + hand_over(&server, &client));
         round++)
        ;
    check(okno_dtls_state(client.dtls) == OKNO_DTLS_CONNECTED);
    check(okno_dtls_state(server.dtls) == OKNO_DTLS_CONNECTED);
    return 0;
}

static void feed(struct end *e, bool established, const uint8_t *d, size_t len)
{
    int err = okno_dtls_feed(e->dtls, d, len, 0);
    enum okno_dtls_state st = okno_dtls_state(e->dtls);
    check(err <= 0);
    e->queued = 0;
    if (established) {
        check(st == OKNO_DTLS_CONNECTED && e->closed == 0);
        check(err == 0 || err == OKNO_E_MALFORMED || err == OKNO_E_TRUNCATED ||
              err == OKNO_E_RANGE);
        return;
    }
    if (st == OKNO_DTLS_FAILED)
        check(err < 0 && okno_dtls_reason(e->dtls)[0] != '\0');
    else
        check(st == OKNO_DTLS_CONNECTING || err == OKNO_E_STATE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_end(&fresh, OKNO_DTLS_SERVER, server_cert, client_cert);
    check(okno_dtls_start(fresh.dtls, 0) == 0);
    while (size > 0) {
        unsigned target = data[0] % 3;
        size_t len = size >= 3 ? (size_t)data[1] << 8 | data[2] : 0;
        size_t head = size >= 3 ? 3 : size;
        data += head;
        size -= head;
        if (len > size || len == 0)
            len = size;
        if (len == 0)
            break;
        if (target == 2)
            feed(&fresh, false, data, len);
        else
            feed(target == 0 ? &server : &client, true, data, len);
        data += len;
        size -= len;
    }
    okno_dtls_free(fresh.dtls);
    fresh.dtls = NULL;
    return 0;
}
