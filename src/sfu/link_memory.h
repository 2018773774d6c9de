/* What okno learned about a client's links on its earlier connections, so that the next ones start
 * where the link is instead of at a browser's 300 kbit/s.
 *
 * Why: a kiosk calls from the same office many times a day. On a 200 kbit/s uplink with an 840 ms
 * round trip a sender starting at 300 kbit/s fills the link's queue for two seconds before its
 * first feedback can slow it, and the audio waits in that queue (edge: 0.5-1 s of concealed audio
 * in the first 5 s of each direction). The second call need not repeat the first one's mistake.
 *
 * A key names a client's network place (the session's address and role, say); the memory keeps,
 * per key, the rate its uplink carried (what okno received from its publisher while the link, not
 * okno's cap, limited it) and its downlink's (okno's estimate while it kept the client from all it
 * wanted). Starts only ever go down from it: a link that got faster is found by the start probes
 * within a second, a slower one would otherwise be found by a full queue.
 *
 * The store is shared by the media workers (a participant recalls on join and stores on leave,
 * never per packet) and takes a lock; the learner is a connection's own. */
#ifndef OKNO_SFU_LINK_MEMORY_H
#define OKNO_SFU_LINK_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

/* Rates of one client's links, bit/s; 0: not known. */
struct okno_link_rates {
    uint32_t up_bps, down_bps;
};

struct okno_link_memory;

/* A memory of at most capacity keys (the least recently stored goes first when full), each
 * forgotten keep_us after it was last stored. Times are the callers': wall-clock time when the
 * memory is kept in a file. */
struct okno_link_memory *okno_link_memory_new(unsigned capacity, int64_t keep_us);
void okno_link_memory_free(struct okno_link_memory *m);

/* What is known about key as of now_us (zeros when nothing, or too old). m and key may be NULL. */
struct okno_link_rates okno_link_memory_recall(struct okno_link_memory *m, const char *key,
                                               int64_t now_us);

/* Stores what a connection of key saw; a zero rate keeps what was known for that direction (a
 * connection that never published says nothing about the uplink). m and key may be NULL. */
void okno_link_memory_store(struct okno_link_memory *m, const char *key,
                            struct okno_link_rates seen, int64_t now_us);

unsigned okno_link_memory_size(struct okno_link_memory *m);

/* Adds the clients of the file at path (sfu/link_file.h's lines; keys already known keep theirs),
 * those stored keep_us or less before now_us (wall-clock time: the file outlives the process).
 * Sets *loaded and *ignored (lines that do not parse, or too old). Returns 0, OKNO_E_NOTFOUND when
 * there is no such file, or OKNO_E_IO (errno kept). */
int okno_link_memory_load(struct okno_link_memory *m, const char *path, int64_t now_us,
                          unsigned *loaded, unsigned *ignored);

/* Writes every client to path (through a temporary file renamed over it, so a crash leaves the
 * old file or the new one) when something was stored since the last save, or always when force.
 * Returns 0 or OKNO_E_IO (errno kept). */
int okno_link_memory_save(struct okno_link_memory *m, const char *path, bool force);

/* The start for a link remembered at remembered_bps when the default start is default_bps: a
 * margin below the remembered rate (50 kbit/s at least), or the default when that is lower or
 * nothing is known. */
uint32_t okno_link_start_bps(uint32_t remembered_bps, uint32_t default_bps);

/* A connection's learner: once a second, a rate and whether the link set it. The result is the
 * mean of those seconds (the last LEARN_WINDOW weigh most), 0 until enough of them. */
struct okno_link_learner {
    int64_t next_us;
    uint32_t n;
    double bps;
};

void okno_link_learner_init(struct okno_link_learner *l);
/* Takes the sample when a second has passed since the last one taken; link_limited false skips
 * it (the content or okno's cap set the rate, not the link). */
void okno_link_learner_sample(struct okno_link_learner *l, uint64_t bps, bool link_limited,
                              int64_t now_us);
uint32_t okno_link_learner_result(const struct okno_link_learner *l);

#endif
