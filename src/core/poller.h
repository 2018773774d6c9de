/* A poll function for a worker's GMainContext that polls only the descriptors that were ready
 * lately, and every descriptor once every OKNO_POLLER_FULL_US.
 *
 * Why: a media worker's context holds every socket of every ICE agent it runs (several local
 * addresses, UDP and TCP, per connection: ~900 descriptors at 200 streams) but only the selected
 * pairs' sockets and a few wake-up descriptors see traffic; GLib polls them all on every
 * iteration, and at 200 streams that poll (the kernel's sock_poll over every socket, ~350 us for
 * 900 on the test host) was a third of the room worker's CPU. Here an iteration polls only the
 * descriptors found ready in the last OKNO_POLLER_HOT_US, and waits on them at most until the
 * next full poll is due; the full poll (every descriptor, with GLib's timeout) runs when it is
 * due, when no descriptor is hot, or for a small set. So a descriptor that has been quiet for a
 * second (an unselected candidate's socket, a TCP listener, a post to an idle worker) is seen up
 * to OKNO_POLLER_FULL_US late; one with traffic (publishers' media, subscribers' feedback, busy
 * lanes) as before.
 *
 * Deliberately not here: epoll (GLib's descriptor set changes under it, and a closed descriptor's
 * number is reused with no notice), anything about sources or dispatch order. State is
 * per thread: a context's poll function has no user data, and each worker runs its own context.
 * Allocates only when the set grows past what it has seen, never per iteration. */
#ifndef OKNO_CORE_POLLER_H
#define OKNO_CORE_POLLER_H

#include <glib.h>
#include <stdint.h>

/* At most this long between two polls of every descriptor. */
#define OKNO_POLLER_FULL_US 10000
/* A descriptor ready within this long counts as hot. */
#define OKNO_POLLER_HOT_US 1000000
/* Sets smaller than this are always polled whole: too few to gain anything. */
#define OKNO_POLLER_MIN_FDS 64

struct okno_poller;

/* Statistics of one poller, for tests and benchmarks. */
struct okno_poller_stats {
    uint64_t full, partial, partial_hits;
};

struct okno_poller *okno_poller_new(void);
void okno_poller_free(struct okno_poller *p);

/* Polls fds[0..n) like poll(2) with timeout_ms (negative: forever) at now_us (monotonic): returns
 * what poll returns, every revents set (0 for a descriptor not polled this time), errno on -1. */
int okno_poller_poll(struct okno_poller *p, GPollFD *fds, guint n, gint timeout_ms, int64_t now_us);

void okno_poller_stats(const struct okno_poller *p, struct okno_poller_stats *out);

/* A GPollFunc for g_main_context_set_poll_func: okno_poller_poll with the calling thread's poller
 * (made on first use) and the monotonic clock. */
gint okno_poller_gpoll(GPollFD *fds, guint n, gint timeout_ms);

/* Frees the calling thread's poller, if it has one; a worker calls it as its thread ends. */
void okno_poller_thread_done(void);

#endif
