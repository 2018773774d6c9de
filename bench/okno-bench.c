/* okno-bench: one tool, several modes. The first argument names the mode; the rest is the mode's
 * own command line. This file only dispatches: each mode parses, runs and reports by itself (see
 * okno-bench.h), so modes are added with one table entry and never depend on one another. */
#include <stdio.h>
#include <string.h>

#include "okno-bench.h"

struct mode {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
};

static const struct mode modes[] = {
    {"call", okno_bench_call_main,
     "a kiosk and a specialist in one room, the kiosk's link emulated by a profile"},
    {"load", okno_bench_load_main,
     "many clients against one server: its CPU, memory, added latency; --ramp to its capacity"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: okno-bench MODE [OPTIONS]   (okno-bench MODE --help for a mode's options)\n"
               "modes:\n");
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        fprintf(f, "  %-6s %s\n", modes[i].name, modes[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (!strcmp(argv[1], modes[i].name))
            return modes[i].main(argc - 1, argv + 1);
    fprintf(stderr, "okno-bench: unknown mode '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
