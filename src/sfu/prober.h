/* When and how much a subscriber transport sends to probe its link, as a pure bookkeeping of bytes
 * against time: a probe cluster at the rate the estimator asks for (okno/bwe.h probe_wanted,
 * probe_bps), and padding that fills what is sent up to what the allocator would like to send
 * (the next layer's rate) without exceeding the estimate.
 *
 * A cluster is what the estimator counts as one (plugins/bwe/probe.h): OKNO_PROBER_CLUSTER_US
 * worth of bytes at the rate and at least OKNO_PROBER_CLUSTER_MIN_PKTS packets, every packet that
 * leaves while it runs marked probe, media included. It is released into the pacer step by step
 * (okno_prober_cluster_deficit: what the cluster should have sent by now, one pacer step ahead,
 * less what left and what already waits), so its packets leave spread at the asked rate, not in a
 * burst. Fill padding (okno_prober_fill_deficit) is a leaky budget: the fill rate times the time
 * that passed, less every byte that left; it is never marked probe.
 *
 * It deliberately builds no packet (the participant's pacer glue asks the downtrack for RTX of
 * recent video or padding-only RTX), talks to no estimator and allocates nothing; time is a
 * parameter. */
#ifndef OKNO_SFU_PROBER_H
#define OKNO_SFU_PROBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A cluster: this long at the rate asked for (what the estimator counts a request as served by)
 * and at least this many packets. */
#define OKNO_PROBER_CLUSTER_US       15000
#define OKNO_PROBER_CLUSTER_MIN_PKTS 5
/* A cluster the pacer could not get out in this long is given up (the estimator asks again). */
#define OKNO_PROBER_CLUSTER_MAX_US 100000
/* Padding is released this far ahead of the time it is due: the pacer's step. */
#define OKNO_PROBER_AHEAD_US 5000
/* The fill budget holds at most this much of the fill rate, either way. */
#define OKNO_PROBER_FILL_WINDOW_US 50000

struct okno_prober_counters {
    uint64_t clusters;      /* started */
    uint64_t cluster_pkts;  /* packets sent marked probe, media included */
    uint64_t cluster_bytes; /* their bytes */
    uint64_t padding_pkts;  /* packets the glue made to probe or fill (RTX or padding-only) */
    uint64_t padding_bytes;
    uint64_t given_up; /* clusters that did not get out in OKNO_PROBER_CLUSTER_MAX_US */
};

struct okno_prober {
    /* the cluster running */
    bool active;
    uint32_t bps;
    int64_t start_us;
    uint64_t want_bytes, sent_bytes;
    uint32_t sent_pkts;
    /* fill */
    uint32_t fill_bps;   /* 0: no fill */
    int64_t fill_budget; /* bits x 1e6, like the pacer's budget */
    int64_t fill_last_us;
    bool fill_started;
    struct okno_prober_counters c;
};

/* Nothing running, no fill. */
void okno_prober_init(struct okno_prober *pr);

/* Starts a cluster at bps (> 0) at now_us unless one runs. Returns true when one started. */
bool okno_prober_start(struct okno_prober *pr, uint32_t bps, int64_t now_us);

/* Whether a cluster runs. */
bool okno_prober_active(const struct okno_prober *pr);

/* Bytes to add to the pacer now for the running cluster: what it should have sent by
 * now_us + OKNO_PROBER_AHEAD_US at its rate (at most its size, and enough for its last packets),
 * less what left in it and queued_bytes (what waits in the pacer and will leave in it). 0 when
 * none runs. */
size_t okno_prober_cluster_deficit(const struct okno_prober *pr, uint64_t queued_bytes,
                                   int64_t now_us);

/* A packet of bytes left at now_us. Returns true when it belongs to the running cluster (mark it
 * probe); that cluster ends with the packet that completes it (*done set, else cleared). A cluster
 * older than OKNO_PROBER_CLUSTER_MAX_US is given up first (counted; the packet is then not
 * marked). Every packet counts against the fill budget; padding: the glue made it. */
bool okno_prober_on_sent(struct okno_prober *pr, size_t bytes, bool padding, int64_t now_us,
                         bool *done);

/* Gives up a cluster older than OKNO_PROBER_CLUSTER_MAX_US at now_us (counted). Returns true when
 * one was given up. */
bool okno_prober_expire(struct okno_prober *pr, int64_t now_us);

/* The rate to fill up to with padding (0: none). Changing it restarts the budget. */
void okno_prober_set_fill(struct okno_prober *pr, uint32_t fill_bps, int64_t now_us);

/* Bytes of fill padding due at now_us: the budget after the time since the last call. 0 without a
 * fill rate or while a cluster runs (the cluster's own padding counts). */
size_t okno_prober_fill_deficit(struct okno_prober *pr, int64_t now_us);

#endif
