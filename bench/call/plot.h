/* okno-bench call's plot: an SVG drawn by hand from a report (report.h's JSON), so a saved report
 * can be plotted again and the plot needs no library. Three panels share the time axis: the
 * kiosk's uplink direction (kiosk -> specialist) and its downlink direction (specialist -> kiosk),
 * each with the link's capacity (a step line), the sent and received bitrate and the sender's
 * estimate, the receiver's freezes shaded as bands; then the RTT of the kiosk's link and the loss
 * on it in both directions (RTT on the left axis, loss % on the right). Axes with ticks, a legend
 * per panel, a title naming the profile.
 *
 * Deliberately not here: PNG (convert with rsvg-convert if needed) and any figure the report does
 * not hold. */
#ifndef OKNO_BENCH_CALL_PLOT_H
#define OKNO_BENCH_CALL_PLOT_H

#include <glib.h>
#include <jansson.h>
#include <stddef.h>

/* Appends the SVG document for report to out. Missing or null values leave gaps; a report with
 * no timeline gives empty panels. */
void okno_plot_svg(const json_t *report, GString *out);

/* Writes it to path. Returns 0 or OKNO_E_IO with a message in err. */
int okno_plot_write(const json_t *report, const char *path, char *err, size_t errlen);

/* A "nice" axis maximum (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at or above v,
 * and a tick step dividing it in 3 to 6;
 * v <= 0 or not finite gives 1. */
double okno_plot_nice_max(double v, double *step);

#endif
