/* Protect + send of one peer, on its owner's worker or on another over a lane (egress.h). */
#include "net/egress.h"

#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "net/send_batch.h"
#include "okno/err.h"

enum { KIND_RTP = 0, KIND_RTCP = 1 };

struct okno_egress {
    /* borrowed */
    struct okno_lane *lane;
    /* owner's thread only */
    bool direct;
    /* The owner reads the two fields above for every packet while the egress worker takes the
     * lock and counts: 64 bytes apart they are never on one cache line, which would bounce between
     * the two cores with every packet. */
    char pad[64];
    /* under lock */
    pthread_mutex_t lock;   /* pthread, not GMutex: ThreadSanitizer sees it */
    struct okno_srtp *srtp; /* owned */
    int fd;                 /* owned; -1: no direct route */
    struct sockaddr_storage dest;
    socklen_t dest_len;
    struct okno_egress_stats stats;
    /* Written under the lock (so a plain store), read without it by the consent tick. */
    _Atomic uint64_t sent;
};

static void flush_thread_batch(void);

static void close_retired_fd(void *fd_plus_one)
{
    close(GPOINTER_TO_INT(fd_plus_one) - 1);
}

struct okno_egress *okno_egress_new(struct okno_lane *lane)
{
    struct okno_egress *e = g_new0(struct okno_egress, 1);
    e->lane = lane;
    if (lane)
        okno_lane_set_flush(lane, flush_thread_batch);
    e->fd = -1;
    pthread_mutex_init(&e->lock, NULL);
    return e;
}

void okno_egress_set_srtp(struct okno_egress *e, struct okno_srtp *srtp)
{
    pthread_mutex_lock(&e->lock);
    okno_srtp_free(e->srtp);
    e->srtp = srtp;
    pthread_mutex_unlock(&e->lock);
}

void okno_egress_set_route(struct okno_egress *e, int fd, const struct sockaddr *dest,
                           socklen_t dest_len)
{
    if (fd >= 0 && (!dest || dest_len == 0 || dest_len > sizeof e->dest)) {
        close(fd);
        fd = -1;
    }
    pthread_mutex_lock(&e->lock);
    int old = e->fd;
    e->fd = fd;
    e->dest_len = fd >= 0 ? dest_len : 0;
    if (fd >= 0)
        memcpy(&e->dest, dest, dest_len);
    pthread_mutex_unlock(&e->lock);
    e->direct = fd >= 0;
    /* A send batched on the egress worker may still name the old descriptor: it is closed after
     * the packets queued before now (whose run is flushed first), so its number cannot have been
     * reused by then. */
    if (old >= 0 && e->lane)
        okno_lane_retire(e->lane, close_retired_fd, GINT_TO_POINTER(old + 1));
    else if (old >= 0)
        close(old);
}

bool okno_egress_direct(const struct okno_egress *e)
{
    return e->direct;
}

struct okno_lane *okno_egress_lane(const struct okno_egress *e)
{
    return e->lane;
}

static int send_direct(struct okno_egress *e, const uint8_t *pkt, size_t n)
{
    ssize_t r;
    do {
        r = sendto(e->fd, pkt, n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&e->dest,
                   e->dest_len);
    } while (r < 0 && errno == EINTR);
    if (r == (ssize_t)n)
        return 0;
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) ? OKNO_E_AGAIN
                                                                                  : OKNO_E_IO;
}

/* Under the lock: a datagram's result. */
static void count(struct okno_egress *e, int rc, size_t n, bool rtcp)
{
    if (rc != 0) {
        e->stats.drop_send++;
        return;
    }
    e->stats.tx_bytes += n;
    atomic_store_explicit(&e->sent, atomic_load_explicit(&e->sent, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    if (rtcp)
        e->stats.tx_rtcp++;
    else
        e->stats.tx_rtp++;
}

/* Under the lock, with a session: protects pkt in place into *n. */
static int protect(struct okno_egress *e, uint8_t *pkt, size_t len, size_t cap, bool rtcp,
                   size_t *n)
{
    *n = len;
    return rtcp ? okno_srtp_protect_rtcp(e->srtp, pkt, n, cap)
                : okno_srtp_protect_rtp(e->srtp, pkt, n, cap);
}

/* Under the lock: protect, then the direct route or ice. */
static int protect_send(struct okno_egress *e, uint8_t *pkt, size_t len, size_t cap, bool rtcp,
                        struct okno_ice *ice)
{
    if (!e->srtp)
        return OKNO_E_STATE; /* nothing tried: not a drop */
    size_t n = 0;
    int rc = protect(e, pkt, len, cap, rtcp, &n);
    if (rc == 0)
        rc = e->fd >= 0 ? send_direct(e, pkt, n) : ice ? okno_ice_send(ice, pkt, n) : OKNO_E_STATE;
    count(e, rc, n, rtcp);
    return rc;
}

int okno_egress_send(struct okno_egress *e, uint8_t *pkt, size_t len, size_t cap, bool rtcp,
                     struct okno_ice *ice)
{
    pthread_mutex_lock(&e->lock);
    int rc = protect_send(e, pkt, len, cap, rtcp, ice);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

/* The egress worker's send batch, one per thread that consumes lanes, made on first use and freed
 * as the thread ends: a context's sources have no per-thread user data to hang it on (as
 * core/poller). */
static GPrivate thread_batch = G_PRIVATE_INIT((GDestroyNotify)okno_send_batch_free);

static struct okno_send_batch *this_thread_batch(void)
{
    struct okno_send_batch *b = g_private_get(&thread_batch);
    if (!b) {
        b = okno_send_batch_new(OKNO_LANE_BATCH, true);
        g_private_set(&thread_batch, b);
    }
    return b;
}

/* The lane's flush: the run of slots it just handled goes out. */
static void flush_thread_batch(void)
{
    struct okno_send_batch *b = g_private_get(&thread_batch);
    if (b)
        okno_send_batch_flush(b);
}

/* A staged datagram was counted as sent (count, at staging); the rare failure takes it back. So
 * the flush touches no egress that sent, of the ~100 whose lines a fan-out's run goes through. */
static void uncount(struct okno_egress *e, int rc, size_t len, bool rtcp)
{
    if (rc == 0)
        return;
    pthread_mutex_lock(&e->lock);
    e->stats.tx_bytes -= len;
    *(rtcp ? &e->stats.tx_rtcp : &e->stats.tx_rtp) -= 1;
    e->stats.drop_send++;
    pthread_mutex_unlock(&e->lock);
}

static void on_rtp_sent(void *obj, int rc, size_t len)
{
    uncount(obj, rc, len, false);
}

static void on_rtcp_sent(void *obj, int rc, size_t len)
{
    uncount(obj, rc, len, true);
}

/* The lane's consumer: the slot leaves room for the trailer and stays valid until the lane's flush,
 * which sends the run in one batch; the descriptor stays open that long too (set_route retires it
 * on the lane). Without a route by now (the pair was lost since the packet was queued) the packet
 * is dropped and counted. */
static void on_lane_packet(void *obj, unsigned kind, uint8_t *data, size_t len, size_t cap)
{
    struct okno_egress *e = obj;
    bool rtcp = kind == KIND_RTCP;
    struct okno_send_batch *b = this_thread_batch();
    pthread_mutex_lock(&e->lock);
    if (!e->srtp) {
        pthread_mutex_unlock(&e->lock);
        return; /* nothing tried: not a drop */
    }
    size_t n = 0;
    int rc = protect(e, data, len, cap, rtcp, &n);
    if (rc == 0 && e->fd >= 0 && b) {
        count(e, 0, n, rtcp);
        /* Staged outside the lock: the fallback reports a failure at once, and uncount locks. */
        int fd = e->fd;
        struct sockaddr_storage dest;
        socklen_t dest_len = e->dest_len;
        memcpy(&dest, &e->dest, dest_len);
        pthread_mutex_unlock(&e->lock);
        okno_send_batch_add(b, fd, data, n, (const struct sockaddr *)&dest, dest_len,
                            rtcp ? on_rtcp_sent : on_rtp_sent, e);
        return;
    }
    if (rc == 0)
        rc = e->fd >= 0 ? send_direct(e, data, n) : OKNO_E_STATE;
    count(e, rc, n, rtcp);
    pthread_mutex_unlock(&e->lock);
}

int okno_egress_queue(struct okno_egress *e, const uint8_t *pkt, size_t len, bool rtcp)
{
    if (len + OKNO_SRTP_MAX_TRAILER > OKNO_LANE_SLOT_BYTES)
        return OKNO_E_NOSPC;
    int rc = okno_lane_push(e->lane, on_lane_packet, e, rtcp ? KIND_RTCP : KIND_RTP, pkt, len);
    if (rc == OKNO_E_AGAIN) {
        pthread_mutex_lock(&e->lock);
        e->stats.drop_queue++;
        pthread_mutex_unlock(&e->lock);
    }
    return rc;
}

uint64_t okno_egress_sent(const struct okno_egress *e)
{
    return atomic_load_explicit(&e->sent, memory_order_relaxed);
}

void okno_egress_stats(struct okno_egress *e, struct okno_egress_stats *out)
{
    pthread_mutex_lock(&e->lock);
    *out = e->stats;
    pthread_mutex_unlock(&e->lock);
}

static void egress_free(void *obj)
{
    struct okno_egress *e = obj;
    okno_srtp_free(e->srtp);
    if (e->fd >= 0)
        close(e->fd);
    pthread_mutex_destroy(&e->lock);
    g_free(e);
}

void okno_egress_release(struct okno_egress *e)
{
    if (!e)
        return;
    if (e->lane)
        okno_lane_retire(e->lane, egress_free, e);
    else
        egress_free(e);
}
