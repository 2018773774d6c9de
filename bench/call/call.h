/* `okno-bench call`: a kiosk and a specialist in one room through the server, the kiosk's link
 * emulated by a profile in both directions (an in-process linkemu relay on a thread of its own; the
 * specialist connects directly). It runs for the duration from the moment both publish, samples
 * both directions once a second, then prints the summary and writes the JSON report and the SVG
 * plot (report.h, plot.h). Every phase is bounded: the session's timeouts bound the join and the
 * transports, the run ends at --duration, SIGINT/SIGTERM end it early and it still reports.
 *
 * Exit codes: 0 the run completed (and reported); 1 another failure (protocol error, transport
 * failure, nothing received in a direction, a file that cannot be written); 2 bad usage or a bad
 * profile (the message names the file, the line and the key); 3 the join was refused; 4 a timeout
 * (no reply, a transport that did not connect, media that did not start); 5 the server cannot be
 * reached.
 *
 * Deliberately not here: media (sender.h, receiver.h), the participant's wiring (participant.h),
 * report and plot formats. */
#ifndef OKNO_BENCH_CALL_CALL_H
#define OKNO_BENCH_CALL_CALL_H

enum {
    OKNO_CALL_EXIT_OK = 0,
    OKNO_CALL_EXIT_ERROR = 1,
    OKNO_CALL_EXIT_USAGE = 2,
    OKNO_CALL_EXIT_REFUSED = 3,
    OKNO_CALL_EXIT_TIMEOUT = 4,
    OKNO_CALL_EXIT_UNREACHABLE = 5,
};

/* The path of a profile named on the command line: an existing file as given, else
 * SRCDIR/bench/profiles/NAME.profile with SRCDIR from $OKNO_SRCDIR or the build's source dir.
 * Returns a new string (g_free). */
char *okno_call_profile_path(const char *name);

#endif
