/* Datagrams over many sockets in one system call (send_batch.h). */
#include "net/send_batch.h"

#include <errno.h>
#include <glib.h>
#include <liburing.h>
#include <string.h>

#include "okno/err.h"

struct entry {
    struct msghdr msg;
    struct iovec iov;
    struct sockaddr_storage dest;
    okno_send_done_fn done;
    void *obj;
    int fd;
    bool completed;
    int res; /* the completion's: bytes sent or a negative errno */
};

struct okno_send_batch {
    struct io_uring ring;
    bool uring;
    unsigned n, capacity;
    struct entry *entries; /* owned, [capacity] */
};

static int result_of(ssize_t sent, size_t len)
{
    if (sent == (ssize_t)len)
        return 0;
    return sent == -EAGAIN || sent == -EWOULDBLOCK || sent == -ENOBUFS ? OKNO_E_AGAIN : OKNO_E_IO;
}

struct okno_send_batch *okno_send_batch_new(unsigned capacity, bool use_uring)
{
    if (capacity == 0 || capacity > 1024)
        return NULL;
    struct okno_send_batch *b = g_try_new0(struct okno_send_batch, 1);
    if (!b)
        return NULL;
    b->entries = g_try_new0(struct entry, capacity);
    if (!b->entries) {
        g_free(b);
        return NULL;
    }
    b->capacity = capacity;
    b->uring = use_uring && io_uring_queue_init(capacity, &b->ring, 0) == 0;
    return b;
}

void okno_send_batch_free(struct okno_send_batch *b)
{
    if (!b)
        return;
    okno_send_batch_flush(b);
    if (b->uring)
        io_uring_queue_exit(&b->ring);
    g_free(b->entries);
    g_free(b);
}

bool okno_send_batch_uring(const struct okno_send_batch *b)
{
    return b->uring;
}

static ssize_t send_now(const struct entry *e)
{
    ssize_t r;
    do {
        r = sendmsg(e->fd, &e->msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

void okno_send_batch_add(struct okno_send_batch *b, int fd, const uint8_t *data, size_t len,
                         const struct sockaddr *dest, socklen_t dest_len, okno_send_done_fn done,
                         void *obj)
{
    if (b->n == b->capacity)
        okno_send_batch_flush(b);
    struct entry *e = &b->entries[b->n];
    if (dest_len > sizeof e->dest) {
        done(obj, OKNO_E_IO, len);
        return;
    }
    memcpy(&e->dest, dest, dest_len);
    e->iov = (struct iovec){.iov_base = (void *)data, .iov_len = len};
    e->msg = (struct msghdr){
        .msg_name = &e->dest, .msg_namelen = dest_len, .msg_iov = &e->iov, .msg_iovlen = 1};
    e->fd = fd;
    if (!b->uring) {
        done(obj, result_of(send_now(e), len), len);
        return;
    }
    e->done = done;
    e->obj = obj;
    e->completed = false;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
    io_uring_prep_sendmsg(sqe, fd, &e->msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, b->n);
    b->n++;
}

unsigned okno_send_batch_flush(struct okno_send_batch *b)
{
    unsigned n = b->n;
    if (n == 0)
        return 0;
    b->n = 0;
    int rc;
    do {
        rc = io_uring_submit_and_wait(&b->ring, n);
    } while (rc == -EINTR);
    if (rc < 0) {
        /* The entries were not taken: they are sent below one by one, and the ring, which still
         * holds them, is never submitted again. */
        g_warning("send batch: io_uring submit: %s; sending with sendto from now on",
                  g_strerror(-rc));
        b->uring = false;
    }
    /* MSG_DONTWAIT: every entry completed during the submission; the wait is a look. */
    for (unsigned got = 0; rc >= 0 && got < n; got++) {
        struct io_uring_cqe *cqe;
        int w;
        do {
            w = io_uring_wait_cqe(&b->ring, &cqe);
        } while (w == -EINTR);
        if (w < 0)
            break;
        uint64_t i = io_uring_cqe_get_data64(cqe);
        if (i < n) {
            b->entries[i].res = cqe->res;
            b->entries[i].completed = true;
        }
        io_uring_cqe_seen(&b->ring, cqe);
    }
    for (unsigned i = 0; i < n; i++) {
        struct entry *e = &b->entries[i];
        ssize_t res = e->completed ? e->res : rc < 0 ? send_now(e) : -EIO;
        e->done(e->obj, result_of(res, e->iov.iov_len), e->iov.iov_len);
    }
    return n;
}
