/* A run of datagrams, each on its own socket to its own destination, sent with one system call
 * (io_uring: one SENDMSG entry per datagram, submitted together).
 *
 * Why: the egress worker sends one packet per subscriber connection, and every connection has its
 * own socket (its ICE pair's), so sendmmsg, which batches on one socket, cannot help. A system
 * call is dear on a virtual machine: on the test host a loopback sendto of 1100 bytes costs
 * 3.0 us and the same datagrams submitted 100 at a time 1.3 us each (bench/README.md).
 *
 * Sends use MSG_DONTWAIT, so a full socket fails the datagram (as a non-blocking sendto would)
 * instead of parking it in the kernel: every datagram has its result when okno_send_batch_flush
 * returns. Where io_uring cannot be set up (disabled by sysctl, refused by a seccomp filter) the
 * batch sends each datagram with sendto when it is added: slower, never different. One batch per
 * thread; nothing is allocated after creation. Deliberately not here: protection, routing, counting
 * (the caller's done function hears every result). */
#ifndef OKNO_NET_SEND_BATCH_H
#define OKNO_NET_SEND_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct okno_send_batch;

/* A datagram's result: 0, OKNO_E_AGAIN (the socket was full), OKNO_E_IO (any other failure). */
typedef void (*okno_send_done_fn)(void *obj, int rc, size_t len);

/* A batch of up to capacity datagrams (1..1024); use_uring false: always sendto (tests). NULL when
 * out of memory. */
struct okno_send_batch *okno_send_batch_new(unsigned capacity, bool use_uring);
void okno_send_batch_free(struct okno_send_batch *b);

/* Whether datagrams go through io_uring (false after the fallback). */
bool okno_send_batch_uring(const struct okno_send_batch *b);

/* Queues data[0..len) for fd to dest (copied; data is borrowed and must stay valid, and fd open,
 * until the flush); done(obj, rc, len) hears the result at the flush (at once on the fallback). A
 * full batch is flushed first. */
void okno_send_batch_add(struct okno_send_batch *b, int fd, const uint8_t *data, size_t len,
                         const struct sockaddr *dest, socklen_t dest_len, okno_send_done_fn done,
                         void *obj);

/* Sends what is queued and calls every done function, in the order added. Returns how many. */
unsigned okno_send_batch_flush(struct okno_send_batch *b);

#endif
