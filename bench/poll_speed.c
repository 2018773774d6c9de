/* One main-loop poll over many UDP sockets of which few are busy, as on a room's worker at ~200
 * streams (~900 descriptors, a few dozen with traffic): GLib's poll of all of them against
 * core/poller's hot-first poll. Each iteration sends one datagram to one of the busy sockets,
 * polls, and reads what was ready. Prints microseconds per iteration; asserts nothing. */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/poller.h"

#define ITER 20000

static int udp_socket(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    socklen_t len = sizeof *addr;
    addr->sin_family = AF_INET;
    addr->sin_port = 0;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)addr, len) != 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static double run(GPollFD *fds, const struct sockaddr_in *addrs, unsigned n, unsigned hot, int tx,
                  struct okno_poller *p)
{
    char buf[1500] = {0};
    gint64 t0 = g_get_monotonic_time();
    for (unsigned i = 0; i < ITER; i++) {
        const struct sockaddr_in *to = &addrs[(i * 7) % hot];
        if (sendto(tx, buf, 200, 0, (const struct sockaddr *)to, sizeof *to) < 0)
            return -1;
        int r = p ? okno_poller_poll(p, fds, n, 0, g_get_monotonic_time()) : g_poll(fds, n, 0);
        for (unsigned k = 0; r > 0 && k < n; k++) {
            if (fds[k].revents & G_IO_IN)
                while (recv(fds[k].fd, buf, sizeof buf, 0) > 0)
                    ;
        }
    }
    return (double)(g_get_monotonic_time() - t0) / ITER;
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 900;
    unsigned hot = argc > 2 ? (unsigned)atoi(argv[2]) : 40;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
        rl.rlim_cur = MIN(rl.rlim_max, (rlim_t)n + 64);
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (n < 1 || hot < 1 || hot > n) {
        fprintf(stderr, "usage: poll_speed [SOCKETS [BUSY]]\n");
        return 1;
    }
    GPollFD *fds = g_new0(GPollFD, n);
    struct sockaddr_in *addrs = g_new0(struct sockaddr_in, n);
    for (unsigned i = 0; i < n; i++) {
        fds[i].fd = udp_socket(&addrs[i]);
        fds[i].events = G_IO_IN | G_IO_ERR | G_IO_HUP;
        if (fds[i].fd < 0) {
            fprintf(stderr, "poll_speed: cannot open socket %u of %u (descriptor limit?)\n", i, n);
            g_free(fds);
            g_free(addrs);
            return 1;
        }
    }
    struct sockaddr_in txa;
    int tx = udp_socket(&txa);
    struct okno_poller *p = okno_poller_new();
    printf("%u UDP sockets, %u busy, %d iterations of send one datagram + poll + read\n", n, hot,
           ITER);
    for (int round = 0; round < 2; round++) {
        double glib = run(fds, addrs, n, hot, tx, NULL);
        double ours = run(fds, addrs, n, hot, tx, p);
        printf("g_poll of every socket   %8.2f us per iteration\n", glib);
        printf("okno_poller (hot first)  %8.2f us per iteration\n", ours);
    }
    struct okno_poller_stats s;
    okno_poller_stats(p, &s);
    printf("poller: %llu full polls, %llu partial (%llu found something)\n",
           (unsigned long long)s.full, (unsigned long long)s.partial,
           (unsigned long long)s.partial_hits);
    okno_poller_free(p);
    for (unsigned i = 0; i < n; i++)
        close(fds[i].fd);
    close(tx);
    g_free(fds);
    g_free(addrs);
    return 0;
}
