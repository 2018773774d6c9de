/* The line format of the link memory's file ([media] link_memory_file), so that a restart does not
 * make every kiosk's next call a first call. One client a line:
 *
 *   UP DOWN STORED KEY
 *
 * UP and DOWN: bit/s its uplink and downlink carried (0: not known), STORED: when, in seconds since
 * the Unix epoch, KEY: the client's network place (1..OKNO_LINK_KEY_MAX-1 bytes of printable ASCII
 * without spaces, as okno makes them: "address|role"). Fields are separated by single spaces.
 * Pure functions: no I/O, no allocation. */
#ifndef OKNO_SFU_LINK_FILE_H
#define OKNO_SFU_LINK_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "sfu/link_memory.h"

#define OKNO_LINK_KEY_MAX 128
/* The longest line format writes, newline included. */
#define OKNO_LINK_LINE_MAX (3 * 21 + OKNO_LINK_KEY_MAX + 1)

struct okno_link_record {
    char key[OKNO_LINK_KEY_MAX]; /* NUL-terminated */
    struct okno_link_rates rates;
    int64_t stored_s;
};

/* Whether key (NUL-terminated) can go into the file. */
int okno_link_key_storable(const char *key);

/* Parses line[0..len) (no newline) into *out. Returns 0, or OKNO_E_MALFORMED (a field missing,
 * extra, not a number, out of range: rates up to UINT32_MAX, a time from 0 to 2^40 s, or a key
 * that is not storable), *out then unspecified. */
int okno_link_file_parse(const char *line, size_t len, struct okno_link_record *out);

/* Writes rec as a line, newline included, into buf (cap bytes; OKNO_LINK_LINE_MAX is enough) and
 * returns its length; OKNO_E_INVAL when rec's key or time cannot be stored, OKNO_E_NOSPC when
 * buf is too small. */
int okno_link_file_format(const struct okno_link_record *rec, char *buf, size_t cap);

#endif
