/* okno-bench call's SVG plot. Coordinates are computed here and written as plain SVG elements
 * (polyline, rect, text): no scripting, no CSS beyond inline attributes, so any viewer renders it.
 * Only numbers and fixed words are written, except the profile's name and description, which are
 * escaped. */
#include "call/plot.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "okno/err.h"

#define W        1000.0
#define PANEL_H  230.0
#define TOP      64.0
#define GAP      56.0
#define LEFT     70.0
#define RIGHT    70.0
#define N_PANELS 3

/* One panel's frame: data ranges mapped onto its rectangle. */
struct frame {
    double x0, y0, w, h; /* pixels, y0 the top */
    double t_max, y_max, y2_max;
};

static double px(const struct frame *f, double t)
{
    return f->x0 + f->w * (t / f->t_max);
}

static double py(const struct frame *f, double v, double max)
{
    return f->y0 + f->h * (1.0 - (v > max ? max : v) / max);
}

static double get_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

double okno_plot_nice_max(double v, double *step)
{
    if (!(v > 0 && v < 1e300)) { /* also NAN */
        *step = 0.25;
        return 1;
    }
    double p = 1; /* the power of ten at or below v */
    while (p * 10 <= v)
        p *= 10;
    while (p > v)
        p /= 10;
    static const double m[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    static const double ticks[] = {5, 3, 4, 5, 6, 4, 5, 6, 4, 5};
    for (size_t i = 0; i < G_N_ELEMENTS(m); i++)
        if (m[i] * p >= v * (1 - 1e-9)) {
            double max = m[i] * p;
            *step = max / ticks[i];
            return max;
        }
    *step = p * 2;
    return p * 10;
}

static void escape(GString *out, const char *s)
{
    char *e = g_markup_escape_text(s ? s : "", -1);
    g_string_append(out, e);
    g_free(e);
}

static double series_max(const json_t *tl, const char *key)
{
    double m = 0;
    size_t i;
    const json_t *s;
    json_array_foreach(tl, i, s)
    {
        double v = get_num(s, key);
        if (isfinite(v) && v > m)
            m = v;
    }
    return m;
}

/* A polyline of key over the timeline, broken at unknown values; step: hold each value until the
 * next second (capacity), else join the points. second: use the right axis. */
static void series(GString *out, const struct frame *f, const json_t *tl, const char *key,
                   const char *color, const char *dash, bool step, bool second)
{
    double max = second ? f->y2_max : f->y_max;
    bool open = false;
    size_t i, n = json_array_size(tl);
    const json_t *s;
    json_array_foreach(tl, i, s)
    {
        double t = get_num(s, "t"), v = get_num(s, key);
        if (!isfinite(t) || !isfinite(v)) {
            if (open)
                g_string_append(out, "\"/>\n");
            open = false;
            continue;
        }
        if (!open) {
            g_string_append_printf(
                out,
                "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s%s%s "
                "points=\"",
                color, dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
            open = true;
        }
        g_string_append_printf(out, "%.1f,%.1f ", px(f, t), py(f, v, max));
        if (step) {
            double next = i + 1 < n ? get_num(json_array_get(tl, i + 1), "t") : t + 1;
            if (!isfinite(next))
                next = t + 1;
            g_string_append_printf(out, "%.1f,%.1f ", px(f, MIN(next, f->t_max)), py(f, v, max));
        }
    }
    if (open)
        g_string_append(out, "\"/>\n");
}

static void axes(GString *out, const struct frame *f, const char *ylabel, const char *y2label)
{
    g_string_append_printf(out,
                           "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                           "fill=\"none\" stroke=\"#444\"/>\n",
                           f->x0, f->y0, f->w, f->h);
    double step, max = okno_plot_nice_max(f->t_max, &step);
    (void)max;
    for (int k = 0; k * step <= f->t_max + 1e-9; k++) {
        double t = k * step, x = px(f, t);
        g_string_append_printf(out,
                               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
                               "text-anchor=\"middle\">%g</text>\n",
                               x, f->y0, x, f->y0 + f->h, x, f->y0 + f->h + 14, t);
    }
    double ystep;
    okno_plot_nice_max(f->y_max, &ystep);
    for (int k = 0; k * ystep <= f->y_max + 1e-9; k++) {
        double v = k * ystep, y = py(f, v, f->y_max);
        g_string_append_printf(out,
                               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"#eee\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
                               "text-anchor=\"end\">%g</text>\n",
                               f->x0, y, f->x0 + f->w, y, f->x0 - 6, y + 4, v);
    }
    g_string_append_printf(out,
                           "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" font-size=\"12\" "
                           "text-anchor=\"middle\">%s</text>\n",
                           f->x0 - 48, f->y0 + f->h / 2, ylabel);
    if (y2label) {
        okno_plot_nice_max(f->y2_max, &ystep);
        for (int k = 0; k * ystep <= f->y2_max + 1e-9; k++)
            g_string_append_printf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%g</text>\n",
                                   f->x0 + f->w + 6, py(f, k * ystep, f->y2_max) + 4, k * ystep);
        g_string_append_printf(out,
                               "<text transform=\"translate(%.1f,%.1f) rotate(90)\" "
                               "font-size=\"12\" text-anchor=\"middle\">%s</text>\n",
                               f->x0 + f->w + 48, f->y0 + f->h / 2, y2label);
    }
    g_string_append_printf(out,
                           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
                           "text-anchor=\"middle\">time (s)</text>\n",
                           f->x0 + f->w / 2, f->y0 + f->h + 28);
}

struct legend_item {
    const char *color, *dash, *label;
    bool band;
};

static void legend(GString *out, const struct frame *f, const struct legend_item *items, size_t n)
{
    double x = f->x0 + 8, y = f->y0 - 8;
    for (size_t i = 0; i < n; i++) {
        if (items[i].band)
            g_string_append_printf(out,
                                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"9\" "
                                   "fill=\"%s\" fill-opacity=\"0.25\"/>\n",
                                   x, y - 8, items[i].color);
        else
            g_string_append_printf(out,
                                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                                   "stroke=\"%s\" stroke-width=\"2\"%s%s%s/>\n",
                                   x, y - 4, x + 18, y - 4, items[i].color,
                                   items[i].dash ? " stroke-dasharray=\"" : "",
                                   items[i].dash ? items[i].dash : "", items[i].dash ? "\"" : "");
        g_string_append_printf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>\n",
                               x + 22, y, items[i].label);
        x += 34 + 6.2 * (double)strlen(items[i].label);
    }
}

static void bitrate_panel(GString *out, struct frame *f, const json_t *dir, const char *title)
{
    const json_t *tl = json_object_get(dir, "timeline");
    static const char *const keys[] = {"capacity_kbps", "sent_kbps", "recv_kbps", "estimate_kbps"};
    double m = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        m = MAX(m, series_max(tl, keys[i]));
    double step;
    f->y_max = okno_plot_nice_max(m * 1.05, &step);
    /* freeze bands under the lines */
    size_t i;
    const json_t *band;
    json_array_foreach(json_object_get(dir, "freeze_intervals"), i, band)
    {
        double a = json_number_value(json_array_get(band, 0));
        double b = json_number_value(json_array_get(band, 1));
        a = MAX(a, 0.0);
        b = MIN(b, f->t_max);
        if (b > a)
            g_string_append_printf(out,
                                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                   "fill=\"#d62728\" fill-opacity=\"0.25\"/>\n",
                                   px(f, a), f->y0, MAX(px(f, b) - px(f, a), 1.0), f->h);
    }
    axes(out, f, "kbit/s", NULL);
    g_string_append_printf(out,
                           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
                           "font-weight=\"bold\" text-anchor=\"end\">%s</text>\n",
                           f->x0 + f->w, f->y0 - 8, title);
    bool unlimited = series_max(tl, "capacity_kbps") <= 0;
    series(out, f, tl, "capacity_kbps", "#000", "6,3", true, false);
    series(out, f, tl, "sent_kbps", "#1f77b4", NULL, false, false);
    series(out, f, tl, "recv_kbps", "#2ca02c", NULL, false, false);
    series(out, f, tl, "estimate_kbps", "#ff7f0e", "3,2", false, false);
    const struct legend_item items[] = {
        {"#000", "6,3", unlimited ? "capacity (unlimited)" : "capacity", false},
        {"#1f77b4", NULL, "sent", false},
        {"#2ca02c", NULL, "received", false},
        {"#ff7f0e", "3,2", "estimate", false},
        {"#d62728", NULL, "freeze", true},
    };
    legend(out, f, items, G_N_ELEMENTS(items));
}

static void network_panel(GString *out, struct frame *f, const json_t *up, const json_t *down)
{
    const json_t *tu = json_object_get(up, "timeline"), *td = json_object_get(down, "timeline");
    double step;
    f->y_max =
        okno_plot_nice_max(MAX(series_max(tu, "rtt_ms"), series_max(td, "rtt_ms")) * 1.05, &step);
    double l = MAX(series_max(tu, "loss_pct"), series_max(td, "loss_pct"));
    f->y2_max = okno_plot_nice_max(MAX(l * 1.05, 1.0), &step);
    axes(out, f, "RTT (ms)", "loss (%)");
    g_string_append_printf(out,
                           "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" "
                           "font-weight=\"bold\" text-anchor=\"end\">%s</text>\n",
                           f->x0 + f->w, f->y0 - 8, "the kiosk's link");
    series(out, f, tu, "rtt_ms", "#9467bd", NULL, false, false);
    series(out, f, tu, "loss_pct", "#d62728", NULL, false, true);
    series(out, f, td, "loss_pct", "#8c564b", "4,2", false, true);
    const struct legend_item items[] = {
        {"#9467bd", NULL, "RTT", false},
        {"#d62728", NULL, "loss up", false},
        {"#8c564b", "4,2", "loss down", false},
    };
    legend(out, f, items, G_N_ELEMENTS(items));
}

void okno_plot_svg(const json_t *report, GString *out)
{
    const json_t *up = json_object_get(report, "kiosk_to_specialist");
    const json_t *down = json_object_get(report, "specialist_to_kiosk");
    double t_max = MAX(series_max(json_object_get(up, "timeline"), "t"),
                       series_max(json_object_get(down, "timeline"), "t"));
    double d = get_num(report, "duration_s");
    if (isfinite(d) && d > t_max)
        t_max = d;
    if (t_max <= 0)
        t_max = 1;
    double h = TOP + N_PANELS * PANEL_H + (N_PANELS - 1) * GAP + 50;
    g_string_append_printf(out,
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
                           "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                           "font-family=\"sans-serif\">\n<rect width=\"100%%\" height=\"100%%\" "
                           "fill=\"white\"/>\n<text x=\"%.1f\" y=\"24\" font-size=\"16\" "
                           "font-weight=\"bold\">okno-bench call: profile ",
                           W, h, W, h, LEFT);
    escape(out, json_string_value(json_object_get(report, "profile")));
    g_string_append_printf(out, " (%.1f s, target ", isfinite(d) ? d : 0);
    escape(out, json_string_value(json_object_get(report, "target")));
    g_string_append(out, ")</text>\n<text x=\"");
    g_string_append_printf(out, "%.1f\" y=\"42\" font-size=\"12\" fill=\"#555\">", LEFT);
    escape(out, json_string_value(json_object_get(report, "description")));
    g_string_append(out, "</text>\n");
    struct frame f = {.x0 = LEFT, .w = W - LEFT - RIGHT, .h = PANEL_H - 40, .t_max = t_max};
    f.y0 = TOP + 20;
    bitrate_panel(out, &f, up, "kiosk -> specialist (uplink)");
    f.y0 += PANEL_H + GAP;
    bitrate_panel(out, &f, down, "specialist -> kiosk (downlink)");
    f.y0 += PANEL_H + GAP;
    network_panel(out, &f, up, down);
    g_string_append(out, "</svg>\n");
}

int okno_plot_write(const json_t *report, const char *path, char *err, size_t errlen)
{
    GString *svg = g_string_new(NULL);
    okno_plot_svg(report, svg);
    GError *e = NULL;
    bool ok = g_file_set_contents(path, svg->str, (gssize)svg->len, &e);
    g_string_free(svg, TRUE);
    if (!ok) {
        g_snprintf(err, errlen, "cannot write %s: %s", path, e->message);
        g_error_free(e);
        return OKNO_E_IO;
    }
    return 0;
}
