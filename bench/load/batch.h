/* okno-bench load's batched wake-ups: a counting subscribers' worker polls its sockets at most
 * once every batch_us, so each socket's datagrams are read a few at a time (GLib and libnice pay
 * per dispatched socket: its source blocked and unblocked, an eventfd write, a last recvmsg that
 * finds nothing) and the poll over every client's sockets runs a few hundred times a second, not
 * once a datagram. A due timer or an idle source waits for the batch too (they would otherwise
 * add a wake-up each: every client's consent tick, libnice's timers); only a call the controller
 * is waiting for (okno__load_run_on) is taken at once. Pure: the caller owns the clock and sleeps.
 * Deliberately not here: which workers batch (clients.c: never the latency probes' or the
 * publishers'). */
#ifndef OKNO_BENCH_LOAD_BATCH_H
#define OKNO_BENCH_LOAD_BATCH_H

#include <stdbool.h>
#include <stdint.h>

/* How long to sleep before polling at now_us, the last poll having returned at last_wake_us: out
 * the rest of the batch whatever the loop's timeout, not at all while a call is pending.
 * *timeout_ms (the loop's: -1 none, 0 something is ready) becomes what is left of it after the
 * sleep. */
static inline int64_t okno_load_batch_sleep_us(int64_t now_us, int64_t last_wake_us,
                                               int64_t batch_us, bool call_pending, int *timeout_ms)
{
    int64_t wait = batch_us - (now_us - last_wake_us);
    if (wait <= 0 || call_pending)
        return 0;
    if (wait > batch_us) /* the clock went back: one batch at most */
        wait = batch_us;
    if (*timeout_ms > 0) {
        int64_t left = (int64_t)*timeout_ms - (wait + 999) / 1000;
        *timeout_ms = left > 0 ? (int)left : 0;
    }
    return wait;
}

#endif
