/* A relay (relay.h) on a thread of its own. The link's departures are timed by the relay's
 * timerfd, but a timer wake waits for whatever its context's thread is doing: on okno-bench
 * call's one thread (two VP8 encoders and decoders, the clients' DTLS and SRTP) 14 % of the wakes
 * came over 2 ms late and 9 % 4-8 ms late, which read as jitter the profile never asked for and
 * spread probe clusters over twice their time on a 2.5 Mbit/s link (read as 1.4 Mbit/s). Here
 * the relay's context runs alone, at a real-time priority when the process may take one.
 *
 * Deliberately not here: what the relay does (relay.h); its calls are safe from any thread. */
#ifndef OKNO_BENCH_RELAY_THREAD_H
#define OKNO_BENCH_RELAY_THREAD_H

#include <stdbool.h>

#include "linkemu/relay.h"

struct okno_relay_thread;

/* Makes a relay as okno_relay_create does, on a new context that a new thread iterates until
 * okno_relay_thread_stop. The thread asks for SCHED_FIFO at priority rt_priority (1..99; 0: not)
 * and runs at normal priority when that is refused. Returns 0 and *out, or okno_relay_create's
 * errors, or OKNO_E_NOMEM. */
int okno_relay_thread_start(const struct okno_relay_config *cfg, int64_t start_us, int rt_priority,
                            struct okno_relay_thread **out);

/* The relay, owned by the thread: call its functions (not okno_relay_destroy) from any thread. */
struct okno_relay *okno_relay_thread_relay(struct okno_relay_thread *t);

/* Whether the thread got the real-time priority it asked for. */
bool okno_relay_thread_realtime(const struct okno_relay_thread *t);

/* Ends the thread, then destroys the relay (packets in flight are dropped) and frees t. NULL is a
 * no-op. */
void okno_relay_thread_stop(struct okno_relay_thread *t);

#endif
