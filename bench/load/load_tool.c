/* okno-bench-load: the load mode on its own, until okno-bench dispatches to it. */
#include <string.h>

#include "load/load.h"

int main(int argc, char **argv)
{
    /* okno-bench-load load ... works as okno-bench load ... does */
    if (argc > 1 && !strcmp(argv[1], "load"))
        return okno_bench_load_main(argc - 1, argv + 1);
    return okno_bench_load_main(argc, argv);
}
