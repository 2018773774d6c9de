/* Probing: short clusters of packets (padding or RTX the sender marks as probes) sent faster than
 * the estimate, whose delivered rate says how much the link carries right now, so the estimate
 * can jump instead of creeping up at 8 %/s. Requests: at start 3 x and then 6 x the start rate;
 * again at twice a result that came back at 70 % or more of its rate (exponential search); every
 * 5 s at twice the target while no overuse or drain was seen for 2 s (a link that got faster, where
 * a browser would probe in ALR); at once when media pairs say the link got faster (rise_hint.h);
 * more often while the target is below 66 % of the highest the link carried (the target, at most
 * the acknowledged rate) in the last 30 s (libwebrtc's large drop: the capacity may come back, RFC
 * 8867 5.1, and should be found within a couple of seconds; a cluster costs 15 ms at twice the
 * target): 1 s after the drop, then every 2 s, each after 1 s without overuse instead of 2 s (at a
 * capacity that did not come back each probe is a little queue and often an overuse: probing every
 * second found the rise later in simulation); and at the earlier rate once feedback resumes after
 * an outage cut the estimate. A cluster is a run of probe packets each sent within 20 ms of the
 * previous one; its result is min(send rate, receive rate), or, when the link limited it (then no
 * higher rate is searched), 95 % of what the link delivered over the cluster's arrivals: its
 * packets and the media that went between them (its packets alone read low by the media's share of
 * the link, as okno's pacer interleaves the two), computed once feedback reported all its packets
 * (or 2 s after it), never above the rate the cluster was asked at. Start probes none of whose
 * packets any feedback reported (they reached a receiver not yet recording: most likely, on
 * random-loss, one whose DTLS handshake waited for a lost flight) measured nothing, and they are
 * the only fast way up from the start rate: they are asked again once feedback flows (at most
 * OKNO_GCC_PROBE_START_RETRIES times, while the target is still under their rate), as are start
 * probes the sender could not send within a second (no video yet), instead of leaving the estimate
 * to creep up at 8 %/s until the first periodic probe. Both rates are taken over at least the
 * cluster's intended 15 ms (a few packets leave in one pacer step, and a jitter spike bunches
 * arrivals); a cluster is no measurement when under 80 % of its packets or of the bytes asked for
 * arrived, or when its arrivals span under half its sends (bunched). Probing can be switched off
 * (okno_gcc_probe_set_off, for A/B runs): then nothing is asked, and clusters a sender probes
 * unasked are still judged. It deliberately does not send anything or set the rate (gcc.c applies a
 * result).
 */
#ifndef OKNO_PLUGINS_GCC_PROBE_H
#define OKNO_PLUGINS_GCC_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#define OKNO_GCC_PROBE_CLUSTERS      4
#define OKNO_GCC_PROBE_START_RETRIES 3

struct okno_gcc_cluster {
    uint8_t id;   /* 0: slot free */
    uint32_t bps; /* the rate asked for, 0 when the sender probed unasked */
    bool start;   /* one of the start probes */
    bool evaluated;
    uint32_t sent, sent_bytes, last_sent_bytes;
    int64_t first_send_us, last_send_us;
    uint32_t reported, received;
    uint64_t recv_bytes;
    uint32_t first_recv_bytes;
    int64_t first_arrival_us, last_arrival_us;
    /* bytes of other packets (media) that arrived between its first and last arrival, and those
     * reported since its latest packet (counted once one of its packets arrives after them) */
    uint64_t other_bytes, other_pending;
    /* the arrival before the latest one, the latest packet's bytes and the other bytes before it:
     * a latest packet that a jitter spike held is left out of a link-limited rate */
    int64_t prev_arrival_us;
    uint32_t last_recv_bytes;
    uint64_t other_before_last;
};

struct okno_gcc_probe {
    uint32_t min_bps, start_bps, max_bps;
    /* the request */
    uint32_t want_bps;
    int64_t want_since_us;
    uint32_t want_sent_bytes, want_sent_pkts;
    int64_t last_request_us; /* -1: never */
    int initial;             /* initial requests made: 0, 1 (3 x start), 2 (6 x start) */
    /* No start probe was reported (the receiver was not recording yet) or one could not be sent:
     * they are asked again once feedback flows, at most OKNO_GCC_PROBE_START_RETRIES times. */
    bool start_again;
    bool start_heard; /* feedback reported a packet of a start probe */
    uint8_t start_retries;
    uint32_t recovery_bps;  /* asked once feedback resumes after an outage, 0: none */
    uint32_t acked_bps;     /* the acknowledged rate as of the last feedback, 0: unknown */
    uint32_t high_bps;      /* the highest target lately, at most what was acked; 0: none */
    int64_t high_us;        /* when the target was last at it */
    int64_t drop_period_us; /* the interval of probes while below */
    /* clusters */
    struct okno_gcc_cluster c[OKNO_GCC_PROBE_CLUSTERS];
    uint64_t clusters; /* counted for stats */
    uint8_t next_id;
    uint8_t open_id; /* the cluster probe packets now join, 0: none */
    bool wanted;     /* a request is pending */
    bool want_start; /* the request pending is a start probe */
    bool below;      /* the target is below the high (a large drop) */
    bool off;        /* never ask for a probe */
};

void okno_gcc_probe_init(struct okno_gcc_probe *p, uint32_t min_bps, uint32_t start_bps,
                         uint32_t max_bps);

/* The acknowledged rate as of a feedback (0: unknown): the high a large drop is judged from is
 * at most what the link carried. */
void okno_gcc_probe_set_acked(struct okno_gcc_probe *p, uint32_t acked_bps);

/* off: never ask for a probe (a request pending is dropped); false: ask as described above. */
void okno_gcc_probe_set_off(struct okno_gcc_probe *p, bool off);

/* A packet was sent; returns the cluster id to remember with it (0: not a probe). */
uint8_t okno_gcc_probe_on_sent(struct okno_gcc_probe *p, uint32_t bytes, int64_t send_us,
                               bool probe);

/* Feedback reported a packet of cluster id: first_report the first time it is reported at all,
 * received (with its arrival time) when it arrived. */
void okno_gcc_probe_on_report(struct okno_gcc_probe *p, uint8_t id, bool first_report,
                              bool received, int64_t arrival_us, uint32_t bytes);

/* A packet of no cluster (media) arrived: between a cluster's arrivals it shared the link with
 * them. Feedback reports packets in sending order, which a link keeps. */
void okno_gcc_probe_on_other(struct okno_gcc_probe *p, int64_t arrival_us, uint32_t bytes);

/* How a result came about, for a caller that checks a link-limited one against other evidence. */
struct okno_gcc_probe_seen {
    bool link_limited; /* the result is the link's rate as the cluster's few arrivals showed it */
    bool start;        /* the cluster was a start probe */
    int64_t first_send_us, first_arrival_us, last_arrival_us; /* arrivals: receiver clock */
    /* received after the first arrival (and, link-limited, the media between its arrivals) */
    uint64_t bytes_after_first;
};

/* A cluster that can be judged at now_us: its result in bit/s, 0 when none is ready. Call until
 * it returns 0. *seen (NULL: not wanted) says how the result came about. A link-limited result
 * can still overstate the link: a jitter spike that holds the cluster's first packet bunches the
 * others behind it (gcc.c checks it against the delay the cluster's first packet should have met
 * and against what was acknowledged). */
uint32_t okno_gcc_probe_result(struct okno_gcc_probe *p, int64_t now_us,
                               struct okno_gcc_probe_seen *seen);

/* Decides whether to ask for a probe now. fb_active: transport-cc feedback keeps coming;
 * last_congested_us: the latest overuse or standing-queue drain (standing_queue.h), -1 never. */
void okno_gcc_probe_plan(struct okno_gcc_probe *p, uint32_t target_bps, bool fb_active,
                         int64_t last_congested_us, int64_t now_us);

/* The link looks faster than the target (rise_hint.h): asks for a probe at twice the target now,
 * unless one is asked already, probing is off, the target is at the maximum or a probe was asked
 * within the last second. Returns true when it asked. */
bool okno_gcc_probe_hint(struct okno_gcc_probe *p, uint32_t target_bps, int64_t now_us);

/* The estimate was cut because feedback stopped: once it resumes, probe back to prior_bps. */
void okno_gcc_probe_on_outage(struct okno_gcc_probe *p, uint32_t prior_bps);

#endif
