/* okno-bench's subcommands: each mode is a main of its own (argv[0] is the subcommand's name) that
 * bench/okno-bench.c dispatches to. A mode returns its exit code; the codes are the mode's to
 * document in its --help. Not here: anything shared between modes beyond this table's entries. */
#ifndef OKNO_BENCH_H
#define OKNO_BENCH_H

/* `okno-bench call`: a kiosk and a specialist in one room, the kiosk behind an emulated link. */
int okno_bench_call_main(int argc, char **argv);
/* `okno-bench load`: many clients against one server, its capacity, added latency and memory. */
int okno_bench_load_main(int argc, char **argv);

#endif
