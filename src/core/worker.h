/* Media workers: N threads, each running its own GMainContext and GMainLoop. A room is pinned to
 * one worker and everything of that room (peers, NiceAgents, timers) lives on that worker's
 * context, so the media path needs no locks; the main thread talks to a worker only by posting
 * work. Work posted to a worker runs on its thread in the order posted. The one exception to "a
 * room's work is on its worker" is egress: a room's worker may hand finished packets to another
 * worker over a lane (core/lane.h) for that worker to protect and send, so a room's fan-out is not
 * serial on one core; the workers own those lanes and place each connection's egress. This module
 * deliberately knows nothing of rooms beyond a count per worker used to place new ones. */
#ifndef OKNO_CORE_WORKER_H
#define OKNO_CORE_WORKER_H

#include <glib.h>

#include "core/lane.h"
#include "okno/err.h"

/* Slots of each lane between two workers: at 1.5 Mbit/s streams a few tens of milliseconds of a
 * worker's whole output, far more than one pacer step's burst. */
#define OKNO_WORKERS_LANE_SLOTS 2048

struct okno_workers;

typedef void (*okno_worker_fn)(void *data);

/* Starts count workers (0: one per CPU core as g_get_num_processors says, at most 256). Returns 0
 * and the set in *out (stop it with okno_workers_stop), or OKNO_E_RANGE for more than 256 workers,
 * or OKNO_E_NOMEM when a thread cannot be created (those already started are stopped). */
int okno_workers_start(unsigned count, struct okno_workers **out);

unsigned okno_workers_count(const struct okno_workers *workers);

/* Runs fn(data) on worker index's thread, after the work posted to it before. Any thread. Returns
 * 0, OKNO_E_RANGE for a bad index, or OKNO_E_CLOSED once okno_workers_stop has begun (fn will then
 * not run: the caller still owns data). Work accepted before the stop always runs. */
int okno_workers_post(struct okno_workers *workers, unsigned index, okno_worker_fn fn, void *data);

/* The worker's context, for attaching sources (NiceAgent, timers) from that worker's thread. Owned
 * by the workers; valid until okno_workers_stop returns. NULL for a bad index. */
GMainContext *okno_workers_context(struct okno_workers *workers, unsigned index);

/* Index of the worker whose thread is calling, or -1 on any other thread. */
int okno_workers_current(const struct okno_workers *workers);

/* Places a new room: returns the index of the worker with the fewest rooms (lowest index on a tie)
 * and counts the room there. Any thread. */
unsigned okno_workers_place_room(struct okno_workers *workers);
/* Uncounts a room that okno_workers_place_room placed on index (no-op if none is counted there). */
void okno_workers_release_room(struct okno_workers *workers, unsigned index);
/* Rooms counted on index (0 for a bad index). */
unsigned okno_workers_rooms(struct okno_workers *workers, unsigned index);

/* The lane from worker from to worker to, made on first use (any thread; the producer is from's
 * thread, the consumer to's context). Owned by the workers and freed after their threads stopped,
 * so objects retired on it are freed even if to never runs again. from == to is a worker's lane to
 * itself: what a fan-out pushes is handled once the producing source returns, so the sends go out
 * together (net/egress batches a lane's run in one system call). NULL for a bad index, or when the
 * lane cannot be made (no eventfd). */
struct okno_lane *okno_workers_lane(struct okno_workers *workers, unsigned from, unsigned to);

/* Places the egress (protect and send) of a new connection of a room on worker room: room_pct %
 * (0..100) of a worker's connections stay on room itself (spread evenly: every other one at 50),
 * the rest go round-robin over the spread workers after room (fewer when there are not that many
 * others). Why the room's own worker may take a share: a frame's packets reach a room at once, and
 * the time the last subscriber waits is the fan-out's length on the busiest worker; with more
 * workers than the room's worker has work, its core would idle through it. Room itself when spread
 * is 0 or there is one worker. Either way the sends go over a lane (okno_workers_lane, room's own
 * when it stays). Any thread. */
unsigned okno_workers_place_egress(struct okno_workers *workers, unsigned room, unsigned spread,
                                   unsigned room_pct);

/* Puts every worker thread under SCHED_RR at priority (1..99; 0: back to normal scheduling), so a
 * media worker is not made to wait by ordinary processes on a shared host (a recorder, a TURN
 * server, a benchmark's clients); Linux's real-time throttling still leaves others 5 % of each
 * core. Needs CAP_SYS_NICE. Waits until every worker has tried. Any non-worker thread. Returns 0,
 * OKNO_E_RANGE, OKNO_E_DENIED when the system refused (the workers keep their scheduling). */
int okno_workers_set_priority(struct okno_workers *workers, int priority);

/* Orderly stop from the thread that started them (from a worker it logs a GLib critical and does
 * nothing, rather than join its own thread): lets every worker run the
 * work already posted, quits every loop, joins every thread and frees everything. Sources still
 * attached to a worker's context are destroyed with it. Invalidates workers and every context it
 * handed out. NULL is ignored. */
void okno_workers_stop(struct okno_workers *workers);

#endif
