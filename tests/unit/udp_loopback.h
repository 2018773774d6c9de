/* For unit tests that need real datagram sockets: a UDP socket bound to 127.0.0.1 on a free port.
 * Header-only, like testutil.h (include that first). */
#ifndef OKNO_TEST_UDP_LOOPBACK_H
#define OKNO_TEST_UDP_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* A socket (flags as socket(2)'s type flags, e.g. SOCK_NONBLOCK) and its address in *addr; fails
 * the test when the system refuses. */
static inline int okno_test_udp_loopback(int flags, struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM | flags, 0);
    assert_true(fd >= 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
    socklen_t len = sizeof *addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
    return fd;
}

#endif
