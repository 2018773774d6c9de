/* okno-bench load's view of the server process through /proc: which process listens on a TCP port
 * (its listening socket's inode in /proc/PID/net/tcp{,6}, then the process holding that inode in
 * /proc/PID/fd, so a server in another network namespace is found too), and samples of its CPU
 * time (utime + stime from /proc/PID/stat), resident memory and peak (VmRSS, VmHWM) and threads
 * from /proc/PID/status; and the datagrams the kernel dropped for this process's own full UDP
 * receive buffers (the drops column of /proc/self/net/udp{,6}, for the socket inodes in
 * /proc/self/fd), which tell loss the generator caused by reading too late. The parsers are pure
 * so they are tested on text. Deliberately not here: per-thread figures, anything but Linux. */
#ifndef OKNO_BENCH_LOAD_SERVER_PROC_H
#define OKNO_BENCH_LOAD_SERVER_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct okno_proc_sample {
    uint64_t cpu_ticks;      /* utime + stime, in clock ticks */
    uint64_t rss_kb, hwm_kb; /* VmRSS, VmHWM */
    unsigned threads;
    int64_t at_us; /* monotonic time of the sample */
};

/* The pid of the process listening on TCP port (IPv4 or IPv6, any address), or OKNO_E_NOTFOUND. */
int okno_proc_find_listener(uint16_t port);

/* Samples process pid at now_us. Returns 0, OKNO_E_NOTFOUND (gone), OKNO_E_MALFORMED. */
int okno_proc_sample(int pid, int64_t now_us, struct okno_proc_sample *out);

/* CPU used between two samples in percent of one core (100 = one core busy all the time). */
double okno_proc_cpu_pct(const struct okno_proc_sample *a, const struct okno_proc_sample *b);

/* Parsers of the files' text (NUL-terminated). Return 0 or OKNO_E_MALFORMED. */
int okno_proc_parse_stat(const char *text, uint64_t *cpu_ticks);
int okno_proc_parse_status(const char *text, uint64_t *rss_kb, uint64_t *hwm_kb, unsigned *threads);
/* The inode of the socket in state LISTEN on port in a /proc/net/tcp or tcp6 text, or 0. */
uint64_t okno_proc_parse_listen_inode(const char *text, uint16_t port);
/* The sum of the drops column over the sockets of a /proc/net/udp or udp6 text whose inode is in
 * inodes[0..n) (sorted ascending). */
uint64_t okno_proc_parse_udp_drops(const char *text, const uint64_t *inodes, size_t n);

/* Datagrams dropped so far on this process's open UDP sockets (a closed socket's are gone).
 * Returns 0 or OKNO_E_NOTFOUND when /proc cannot be read. Costs a readlink per open descriptor. */
int okno_proc_own_udp_drops(uint64_t *out);

#endif
