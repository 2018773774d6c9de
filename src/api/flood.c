/* The flood limit (see flood.h): a ring of error times. Keeping exactly MAX_ERRORS + 1 times is
 * enough because only the oldest of them decides: if it is still within the window, so are all the
 * others. It deliberately has no decay or penalty box: the session closes at the first excess. */
#include "api/flood.h"

#include <string.h>

#define RING (OKNO_FLOOD_MAX_ERRORS + 1)

void okno_flood_init(struct okno_flood *flood)
{
    memset(flood, 0, sizeof *flood);
}

bool okno_flood_add(struct okno_flood *flood, int64_t now_us)
{
    flood->times[flood->next] = now_us;
    flood->next = (flood->next + 1) % RING;
    if (flood->count < RING)
        flood->count++;
    /* Full ring: next is the oldest of the last RING errors. */
    return flood->count == RING && now_us - flood->times[flood->next] <= OKNO_FLOOD_WINDOW_US;
}
