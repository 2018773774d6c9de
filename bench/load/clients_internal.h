/* Shared between clients.c (control), worker.c (the worker threads), publisher.c and subscriber.c
 * (the sending and the receiving side).
 * Every field of a worker, publisher and subscriber is touched only on its worker's thread, except
 * where marked: the publishers' send times (atomic, read by subscribers on other threads), the
 * ready and failure counters (atomic / under the lock), and the window results, which the
 * controller reads only after a synchronous call into the worker returned. */
#ifndef OKNO_BENCH_LOAD_CLIENTS_INTERNAL_H
#define OKNO_BENCH_LOAD_CLIENTS_INTERNAL_H

#include <gio/gio.h>
#include <glib.h>
#include <stdatomic.h>

#include "load/clients.h"
#include "media/metrics.h"
#include "media/vp8_decoder.h"
#include "media/vp8_depacketizer.h"

struct load_worker;

struct load_pub {
    struct okno_load_clients *c;
    struct load_worker *w;
    struct okno_bench_session *session; /* owned */
    unsigned room;
    bool publishing, ready_counted;
    uint32_t ssrc[2];
    uint16_t seq[2];
    uint32_t ts_base[2];
    uint16_t pic_base;
    int64_t t0;
    uint64_t win_drops; /* its transport's send drops at the window's start */
    uint32_t idx[2];    /* next template of each kind */
    uint64_t iter[2];   /* loop iteration of idx */
    /* Browser-like pacing (cfg.pace_factor): bytes the publisher may still send now (negative:
     * owed), refilled from pace_last_us on; held: a due packet waited for the budget, so its
     * delay is pacing, not the generator's lag. */
    double pace_budget;
    int64_t pace_last_us;
    bool pace_held;
    /* owned; written on the publisher's thread, read by subscribers anywhere */
    _Atomic int64_t *send_us[2];
};

/* A decoding subscriber's video track. */
struct load_decoder {
    struct okno_vp8depack *depack; /* owned */
    struct okno_vp8dec *dec;       /* owned */
    struct okno_freeze freeze;
    uint64_t frames, errors;
    uint64_t win_frames, win_freezes, win_errors; /* at the window's start */
};

struct load_slot {
    struct load_sub *sub;
    struct load_pub *pub; /* borrowed; NULL: not one of ours */
    enum okno_media_kind kind;
    int rtx_pt;
    uint32_t ssrc; /* the track's media SSRC */
    bool started;
    int64_t ext_max; /* highest extended sequence number */
    uint64_t rx;
    int64_t win_base;             /* ext_max at the window's start */
    uint64_t win_rx;              /* rx at the window's start */
    struct load_decoder *decoder; /* owned; video of a decoding subscriber */
};

struct load_sub {
    struct okno_load_clients *c;
    struct load_worker *w;
    struct okno_bench_session *session; /* owned */
    unsigned room;
    bool decode, probe, ready_counted;
    bool count_only; /* RTP comes still protected: only sequence numbers and bytes are read */
    unsigned live_tracks;
    uint64_t win_drops; /* its transport's drops at the window's start */
    int64_t next_remb_us;
    uint32_t remb_ssrc; /* the sender SSRC of its REMBs */
    struct load_slot slots[OKNO_SDP_MAX_MEDIA];
};

struct load_worker {
    struct okno_load_clients *c;
    unsigned index;
    GThread *thread;
    GMainContext *ctx;
    GMainLoop *loop;
    GSource *tick;  /* owned: the publishers' pacing and the baseline probe */
    GSocket *probe; /* owned: receives the previous worker's probe datagrams */
    GSource *probe_src;
    GSocketAddress *probe_to; /* owned: the next worker's probe socket */
    int64_t next_probe_us;
    GPtrArray *pubs, *subs; /* owned */
    unsigned closing;       /* sessions closed and not yet gone */
    bool stopping;          /* the last close quits the loop */
    /* Calls of okno__load_run_on not yet run: a batched worker does not sleep them out; the
     * condition wakes it (under batch_lock) when one comes during its sleep. */
    atomic_uint calls_pending;
    GMutex batch_lock;
    GCond batch_cond;
    /* window */
    bool batched;       /* wakes at most every cfg.batch_us: many datagrams per GLib iteration */
    bool measures_base; /* times the probe datagrams it receives (an unbatched subscribers' worker)
                         */
    bool measuring;
    uint64_t sent, rx_pkts, rx_bytes, matched, unmatched, rx_unverified;
    int64_t send_lag_max_us;
    /* latency and baseline end at the kernel's receive stamp when there is one (net/rx_stamp.h),
     * so the measuring thread's own wake-up is not counted; read_wait is that wake-up (receive
     * callback minus stamp) for the latency probes; stamped counts the samples so timed */
    struct okno_reservoir latency, baseline, read_wait;
    uint64_t stamped;
    int64_t cpu_start_ns, cpu_ns;
};

struct okno_load_clients {
    struct okno_load_clients_config cfg;
    /* cfg.threads for the subscribers, then the publishers' (pub_worker), then the latency
     * probes' when there are any */
    struct load_worker *workers;
    unsigned next_worker, next_decoder_worker;
    unsigned n_workers;
    unsigned pub_worker;
    unsigned pubs_in_room[OKNO_LOAD_MAX_ROOMS];
    unsigned subs_in_room[OKNO_LOAD_MAX_ROOMS];
    unsigned n_clients;
    unsigned next_sub_index;
    int64_t window_started_us;
    int64_t window_cpu_us;        /* the process's user + system CPU at the window's start */
    uint64_t window_socket_drops; /* okno_proc_own_udp_drops at the window's start */
    /* per room, in the order they were added: the subscribers that only count (the ones
     * okno_load_clients_remove_subscribers takes away, newest first); borrowed */
    GPtrArray *counting[OKNO_LOAD_MAX_ROOMS];
    atomic_uint n_ready;
    GMutex lock;              /* guards what follows */
    GHashTable *participants; /* participant id -> struct load_pub (borrowed) */
    int fail_code;
    char *fail_message;
};

/* worker.c */
/* Runs fn(w, arg) on w's thread and returns once it ran. */
void okno__load_run_on(struct load_worker *w, void (*fn)(struct load_worker *, void *), void *arg);
/* The same at the sockets' priority, for a window's boundary: it runs after what the clients'
 * sockets hold. */
void okno__load_run_boundary_on(struct load_worker *w, void (*fn)(struct load_worker *, void *),
                                void *arg);
/* Sets up worker index of c: its loop, pacing tick and probe socket (probe_to is the caller's to
 * set). Returns 0 or an error; okno__load_worker_deinit frees it either way. */
int okno__load_worker_init(struct okno_load_clients *c, struct load_worker *w, unsigned index);
void okno__load_worker_deinit(struct load_worker *w);
/* A client's session on worker (a struct load_worker) is gone: the last one of a stopping worker
 * quits its loop. */
void okno__load_session_closed(void *worker);
/* Starts w's thread (batched per w->batched), which runs its loop until it quits. */
void okno__load_worker_start(struct load_worker *w, const char *name);
/* A window's start and end on w's thread (through okno__load_run_boundary_on); the end adds w's
 * counts to the struct okno_load_window arg. */
void okno__load_worker_window_start(struct load_worker *w, void *arg);
void okno__load_worker_window_end(struct load_worker *w, void *arg);

/* clients.c */
/* Records a client's failure (the first one is kept). */
void okno__load_fail(struct okno_load_clients *c, int err, const char *who, const char *message);
/* A client is up (counted once). */
void okno__load_ready(struct okno_load_clients *c);

/* publisher.c: start on w's thread (returns 0 with *out or the session's start error), send what
 * is due by now, close and free (w->closing counts the session until it is gone). */
int okno__load_pub_start(struct load_worker *w, unsigned room, unsigned index,
                         struct load_pub **out);
void okno__load_pub_pump(struct load_pub *p, int64_t now);
void okno__load_pub_free(struct load_pub *p);
/* Send drops of its publisher transport so far. */
uint64_t okno__load_pub_drops(const struct load_pub *p);

/* subscriber.c */
/* Starts a subscriber on w's thread (which this must run on); serial makes its name unique.
 * count_only: its RTP is not unprotected (okno_bench_session_set_rtp_unverified). Returns 0 with
 * *out, or the session's start error. */
int okno__load_sub_start(struct load_worker *w, unsigned room, bool decode, bool probe,
                         bool count_only, unsigned serial, struct load_sub **out);
/* Closes its session (w->closing counts it until the session is gone) and frees it. */
void okno__load_sub_free(struct load_sub *s);
/* The name a client joins with and the room it joins: "sub-3-17", "load-3". */
void okno__load_room_config(const struct okno_load_clients *c, unsigned room,
                            struct okno_bench_session_config *cfg, char *room_buf, size_t cap);
/* On the worker's tick: a REMB of cfg.remb_kbps once a second, as a browser's receiver sends one,
 * so the server's estimate for this subscriber (and its pacer) does not stay at its start value. */
void okno__load_sub_tick(struct load_sub *s, int64_t now);
void okno__load_sub_window_start(struct load_sub *s);
void okno__load_sub_window_end(struct load_sub *s, struct okno_load_window *out);

#endif
