/* The daemon's log: one line per message on stderr (or a stream a test chooses), in the form
 *   2026-11-22T05:46:37.123Z warn  [module] text
 * with a UTC ISO-8601 timestamp to the millisecond. Thread-safe: a line is formatted on the
 * caller's stack and written whole under a lock, so lines from workers never interleave.
 * okno_log_init() also routes GLib's (and so libnice's) messages into the same format. It
 * deliberately does no rotation, syslog or files: the service manager collects stderr. */
#ifndef OKNO_CORE_LOG_H
#define OKNO_CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* The level enum is part of the plugin ABI, so it lives in the public header. */
#include "okno/plugin.h"

/* Installs the GLib log handlers (once per process; later calls do nothing). Safe to skip in tests
 * that only call okno_log(). */
void okno_log_init(void);

/* Messages less severe than level are dropped. Default: OKNO_LOG_INFO. Any thread. */
void okno_log_set_level(enum okno_log_level level);
enum okno_log_level okno_log_get_level(void);
bool okno_log_enabled(enum okno_log_level level);

/* Where lines go; NULL restores stderr. The stream is borrowed: the caller keeps it open until it
 * sets another. For tests. */
void okno_log_set_output(FILE *out);

/* Parses "error", "warn", "info" or "debug". Returns 0, or OKNO_E_INVAL leaving *out alone. */
int okno_log_level_parse(const char *text, enum okno_log_level *out);
/* "error", "warn", "info" or "debug"; "?" for anything else. Static storage. */
const char *okno_log_level_name(enum okno_log_level level);

/* Logs one line tagged with module (a short name like "worker" or "plugin.rooms"). A line longer
 * than about 1 KiB is cut and ends in "...". */
void okno_log(enum okno_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void okno_logv(enum okno_log_level level, const char *module, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
