/* The flood limit of the signalling protocol: a client that earns more than OKNO_FLOOD_MAX_ERRORS
 * error replies within OKNO_FLOOD_WINDOW_US is disconnected (WebSocket close 1008). A ring of the
 * last MAX_ERRORS + 1 error times answers "were there too many within the window?" in constant
 * time and space, with time as an argument so it is tested without clocks. It deliberately does
 * not decide which errors count (the session does) nor close anything. */
#ifndef OKNO_API_FLOOD_H
#define OKNO_API_FLOOD_H

#include <stdbool.h>
#include <stdint.h>

#define OKNO_FLOOD_MAX_ERRORS 20
#define OKNO_FLOOD_WINDOW_US  ((int64_t)10 * 1000000)

struct okno_flood {
    int64_t times[OKNO_FLOOD_MAX_ERRORS + 1]; /* ring, oldest at next once full */
    unsigned next;
    unsigned count;
};

/* Starts with no error counted. */
void okno_flood_init(struct okno_flood *flood);

/* Counts one error at now_us (monotonic, never decreasing). Returns true when this error is the
 * one too many: more than OKNO_FLOOD_MAX_ERRORS within the last OKNO_FLOOD_WINDOW_US, both ends
 * included. Cannot fail; invalidates nothing. */
bool okno_flood_add(struct okno_flood *flood, int64_t now_us);

#endif
