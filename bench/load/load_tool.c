/* okno-bench-load: the load mode on its own, until okno-bench dispatches to it. */
#include "load/load.h"

int main(int argc, char **argv)
{
    return okno_bench_load_main(argc, argv);
}
