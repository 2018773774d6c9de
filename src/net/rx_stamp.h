/* When the kernel took in the last datagram a UDP socket handed to its reader (Linux's
 * SIOCGSTAMPNS), on the monotonic clock okno's times use.
 *
 * Why: a reader that measures one-way latency (okno-bench's latency subscribers) otherwise counts
 * the wait for its own thread to be scheduled, which on a shared host is the benchmark's noise, not
 * the path's delay. The kernel's stamp is taken as the datagram reaches the socket, before anyone
 * reads it. The same holds for the arrival times a receiver reports in transport-wide feedback:
 * a sender's delay-based estimator reads their spread as queuing on its link, so a receiver whose
 * thread was busy (a server's fan-out, a client's encoder) would report its own load as
 * congestion. Reading the stamp is a syscall per datagram: for a publisher's incoming media (a
 * small share of an SFU's packets, each of which it sends to every subscriber) and for measuring,
 * not for every datagram.
 *
 * Linux turns stamping on for a socket at its first SIOCGSTAMPNS, and when no socket on the host
 * had it on, only once a deferred work item has run: a datagram that arrives before that reads as
 * the time of the call (late, never early). With none received yet the call is refused.
 * Deliberately not here: which socket (net/ice knows the selected pair's), SO_TIMESTAMPNS control
 * messages (libnice reads without them). */
#ifndef OKNO_NET_RX_STAMP_H
#define OKNO_NET_RX_STAMP_H

#include <stdint.h>

/* Reads fd's stamp (the realtime clock, ns) into *real_ns. Returns 0, OKNO_E_AGAIN when nothing was
 * received yet, OKNO_E_IO when fd has no stamps (not a socket). */
int okno_rx_stamp_read(int fd, int64_t *real_ns);

/* The monotonic time (us) of a realtime stamp, given the two clocks read together now. */
int64_t okno_rx_stamp_to_mono(int64_t stamp_real_ns, int64_t now_real_ns, int64_t now_mono_us);

/* okno_rx_stamp_read + okno_rx_stamp_to_mono with both clocks read now. */
int okno_rx_stamp_mono(int fd, int64_t *mono_us);

/* A stamp further than this from the time of the wake that delivers its datagram is not that
 * datagram's (one that came in on another socket than the one stamped). */
#define OKNO_RX_STAMP_MAX_SKEW_US 1000000

/* The arrival time to record for a datagram delivered at now_us, given what reading its stamp
 * returned (rc, and stamp_us when rc is 0): the stamp, or now_us when there was none or it cannot
 * be this datagram's. Pure. */
int64_t okno_rx_stamp_arrival(int rc, int64_t stamp_us, int64_t now_us);

#endif
