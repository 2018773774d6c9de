/* Implementation of the daemon's log (see log.h). A global level and output are the one piece of
 * process-wide state the core keeps: every thread logs, and threading a logger through the media
 * path would cost more than it says. The GLib handlers map GLib's levels onto ours and use the log
 * domain as the module tag; GLib still aborts after a G_LOG_LEVEL_ERROR message, as it always does.
 */
#include "core/log.h"

#include <string.h>
#include <time.h>

#include <glib.h>

#define LINE_MAX_BYTES 1024

static gint log_level = OKNO_LOG_INFO;
static GMutex log_lock;
static FILE *log_out; /* NULL: stderr */

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void okno_log_set_level(enum okno_log_level level)
{
    if (level < OKNO_LOG_ERROR)
        level = OKNO_LOG_ERROR;
    if (level > OKNO_LOG_DEBUG)
        level = OKNO_LOG_DEBUG;
    g_atomic_int_set(&log_level, (gint)level);
}

enum okno_log_level okno_log_get_level(void)
{
    return (enum okno_log_level)g_atomic_int_get(&log_level);
}

bool okno_log_enabled(enum okno_log_level level)
{
    return (gint)level <= g_atomic_int_get(&log_level);
}

void okno_log_set_output(FILE *out)
{
    g_mutex_lock(&log_lock);
    log_out = out;
    g_mutex_unlock(&log_lock);
}

int okno_log_level_parse(const char *text, enum okno_log_level *out)
{
    for (size_t i = 0; text && i < G_N_ELEMENTS(level_names); i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (enum okno_log_level)i;
            return 0;
        }
    }
    return OKNO_E_INVAL;
}

const char *okno_log_level_name(enum okno_log_level level)
{
    if (level < OKNO_LOG_ERROR || level > OKNO_LOG_DEBUG)
        return "?";
    return level_names[level];
}

/* Writes "2026-11-22T05:46:37.123Z" into buf (at least 25 bytes). */
static void format_timestamp(char *buf, size_t size)
{
    gint64 now = g_get_real_time();
    time_t secs = (time_t)(now / G_USEC_PER_SEC);
    int ms = (int)(now % G_USEC_PER_SEC / 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        g_strlcpy(buf, "0000-00-00T00:00:00.000Z", size);
        return;
    }
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    g_snprintf(buf + n, size - n, ".%03dZ", ms);
}

void okno_logv(enum okno_log_level level, const char *module, const char *fmt, va_list ap)
{
    if (!okno_log_enabled(level))
        return;
    char line[LINE_MAX_BYTES];
    char stamp[32];
    format_timestamp(stamp, sizeof stamp);
    int head = g_snprintf(line, sizeof line, "%s %-5s [%s] ", stamp, okno_log_level_name(level),
                          module ? module : "-");
    size_t used = (size_t)head < sizeof line ? (size_t)head : sizeof line - 1;
    int body = g_vsnprintf(line + used, sizeof line - used, fmt, ap);
    if (body < 0)
        body = 0;
    used += (size_t)body;
    if (used >= sizeof line - 1) {
        /* Cut: mark it so a reader knows the line is not whole. */
        used = sizeof line - 5;
        line[used++] = '.';
        line[used++] = '.';
        line[used++] = '.';
    }
    line[used++] = '\n';
    g_mutex_lock(&log_lock);
    FILE *out = log_out ? log_out : stderr;
    fwrite(line, 1, used, out);
    fflush(out);
    g_mutex_unlock(&log_lock);
}

void okno_log(enum okno_log_level level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    okno_logv(level, module, fmt, ap);
    va_end(ap);
}

static enum okno_log_level from_glib(GLogLevelFlags flags)
{
    if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return OKNO_LOG_ERROR;
    if (flags & G_LOG_LEVEL_WARNING)
        return OKNO_LOG_WARN;
    if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return OKNO_LOG_INFO;
    return OKNO_LOG_DEBUG;
}

/* The domain ("GLib", "libnice") becomes the module tag; okno_log drops what the level hides. */
static void glib_handler(const gchar *domain, GLogLevelFlags flags, const gchar *message,
                         gpointer user_data)
{
    (void)user_data;
    okno_log(from_glib(flags), domain ? domain : "glib", "%s", message ? message : "");
}

static GLogWriterOutput glib_writer(GLogLevelFlags flags, const GLogField *fields, gsize n_fields,
                                    gpointer user_data)
{
    (void)user_data;
    const char *domain = NULL;
    const char *message = NULL;
    for (gsize i = 0; i < n_fields; i++) {
        if (fields[i].length != -1)
            continue; /* binary field, not text */
        if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
            domain = fields[i].value;
        else if (strcmp(fields[i].key, "MESSAGE") == 0)
            message = fields[i].value;
    }
    okno_log(from_glib(flags), domain ? domain : "glib", "%s", message ? message : "");
    return G_LOG_WRITER_HANDLED;
}

void okno_log_init(void)
{
    /* GLib allows one writer per process, so tests calling this twice must not set it again. */
    static gsize once;
    if (g_once_init_enter(&once)) {
        g_log_set_default_handler(glib_handler, NULL);
        g_log_set_writer_func(glib_writer, NULL, NULL);
        g_once_init_leave(&once, 1);
    }
}
