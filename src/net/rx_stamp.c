/* Kernel receive stamps of datagram sockets (rx_stamp.h). */
#include "net/rx_stamp.h"

#include <errno.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <time.h>

#include "okno/err.h"

int okno_rx_stamp_read(int fd, int64_t *real_ns)
{
    struct timespec ts;
    if (ioctl(fd, SIOCGSTAMPNS, &ts) < 0)
        return errno == ENOENT ? OKNO_E_AGAIN : OKNO_E_IO;
    *real_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    return 0;
}

int64_t okno_rx_stamp_to_mono(int64_t stamp_real_ns, int64_t now_real_ns, int64_t now_mono_us)
{
    return now_mono_us - (now_real_ns - stamp_real_ns) / 1000;
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t okno_rx_stamp_arrival(int rc, int64_t stamp_us, int64_t now_us)
{
    if (rc != 0 || stamp_us < now_us - OKNO_RX_STAMP_MAX_SKEW_US ||
        stamp_us > now_us + OKNO_RX_STAMP_MAX_SKEW_US)
        return now_us;
    return stamp_us;
}

int okno_rx_stamp_mono(int fd, int64_t *mono_us)
{
    int64_t stamp;
    int rc = okno_rx_stamp_read(fd, &stamp);
    if (rc != 0)
        return rc;
    int64_t real = clock_ns(CLOCK_REALTIME);
    *mono_us = okno_rx_stamp_to_mono(stamp, real, clock_ns(CLOCK_MONOTONIC) / 1000);
    return 0;
}
