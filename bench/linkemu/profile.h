/* Link profiles: the files in bench/profiles that describe an emulated link for okno-linkemu and
 * okno-bench. A profile is an INI-like text (see bench/README.md, "Link emulator"): [profile]
 * (name, description, duration_s), [up] and [down] (params.h names), [schedule] (timed changes,
 * optionally repeating with period_s) and [outage] (repeating outages). Validation is strict: an
 * unknown group or key, a key given twice, a bad or absurd number, or a combination the model
 * rejects ends the load with a message naming the file, the line, the key and the reason. It is
 * our own small reader rather than GKeyFile because GKeyFile neither reports lines nor rejects
 * duplicate keys. It deliberately does not run anything: the schedule it fills does that. */
#ifndef OKNO_BENCH_PROFILE_H
#define OKNO_BENCH_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "linkemu/schedule.h"

#define OKNO_PROFILE_MAX_BYTES (1 << 20)

struct okno_profile {
    char name[64];
    char description[256];
    int64_t duration_us; /* how long a run lasts unless told otherwise; 0 when not given */
    struct okno_schedule schedule; /* owned: okno_profile_clear frees it */
};

/* Parses len bytes of text; filename only labels messages. Returns 0 with *out filled (clear it
 * when done), OKNO_E_CONFIG with a one-line message "FILE:LINE: [group] key: reason" (or
 * "FILE: reason") in err (errlen bytes, may be 0), or OKNO_E_NOMEM. *out holds nothing to free on
 * error. */
int okno_profile_parse(const char *text, size_t len, const char *filename, struct okno_profile *out,
                       char *err, size_t errlen);

/* Reads and parses the file at path: as okno_profile_parse, plus OKNO_E_IO when it cannot be
 * read or is larger than OKNO_PROFILE_MAX_BYTES (message in err). */
int okno_profile_load(const char *path, struct okno_profile *out, char *err, size_t errlen);

/* Frees what a successful parse or load allocated. */
void okno_profile_clear(struct okno_profile *p);

#endif
