/* The HTTP server (see http.h). Static files are found by a path check in two layers: the URL's
 * segments are checked as text (no "..", no hidden files, no encoded '/' or NUL), then the file's
 * real path must lie under web_root's real path, so neither a crafted URL nor a symlink inside
 * web_root serves anything outside it. Files are read whole per request: the pages are a few
 * kilobytes and read rarely, and this keeps the server free of file-streaming state. It
 * deliberately has no admin API or metrics yet: those add their own handlers here later. */
#include "api/http.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <libsoup/soup.h>

#include "core/log.h"
#include "okno/err.h"

#define TAG "http"

struct okno_http {
    /* borrowed */
    struct okno_sessions *sessions;
    /* owned */
    SoupServer *server;
    char *web_root;
    /* other */
    uint16_t port;
};

/* --- static files ------------------------------------------------------------------------------
 */

const char *okno__http_content_type(const char *file)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".webp", "image/webp"},
        {".woff2", "font/woff2"},
        {".wasm", "application/wasm"},
    };
    const char *dot = strrchr(file, '.');
    const char *slash = strrchr(file, '/');
    for (size_t i = 0; dot && (!slash || dot > slash) && i < G_N_ELEMENTS(types); i++) {
        if (g_ascii_strcasecmp(dot, types[i][0]) == 0)
            return types[i][1];
    }
    return "application/octet-stream";
}

/* The path relative to the root, checked segment by segment; NULL when a segment is refused. */
static char *relative_path(const char *decoded)
{
    char **segs = g_strsplit(decoded + 1, "/", -1);
    guint n = g_strv_length(segs);
    GString *rel = g_string_new(NULL);
    bool ok = true;
    for (guint i = 0; ok && i < n; i++) {
        const char *seg = segs[i];
        if (!*seg) {
            /* Only a trailing '/' may leave an empty segment: it names the directory's index. */
            ok = i == n - 1;
            continue;
        }
        ok = seg[0] != '.' && !strchr(seg, '\\');
        g_string_append_printf(rel, "%s%s", rel->len ? "/" : "", seg);
    }
    if (ok && (n == 0 || !*segs[n - 1]))
        g_string_append_printf(rel, "%sindex.html", rel->len ? "/" : "");
    g_strfreev(segs);
    if (!ok) {
        g_string_free(rel, TRUE);
        return NULL;
    }
    return g_string_free(rel, FALSE);
}

char *okno__http_static_path(const char *root, const char *path, unsigned *status)
{
    *status = 404;
    if (!path || path[0] != '/') {
        *status = 400;
        return NULL;
    }
    /* NULL for a bad escape, an encoded NUL or an encoded '/'. */
    char *decoded = g_uri_unescape_string(path, "/");
    if (!decoded) {
        *status = 400;
        return NULL;
    }
    char *rel = relative_path(decoded);
    g_free(decoded);
    if (!rel)
        return NULL;
    char *joined = g_build_filename(root, rel, NULL);
    g_free(rel);
    char *real_root = realpath(root, NULL);
    char *real = realpath(joined, NULL);
    g_free(joined);
    char *result = NULL;
    size_t root_len = real_root ? strlen(real_root) : 0;
    struct stat st;
    if (real_root && real && strncmp(real, real_root, root_len) == 0 && real[root_len] == '/' &&
        stat(real, &st) == 0 && S_ISREG(st.st_mode))
        result = g_strdup(real);
    free(real_root);
    free(real);
    return result;
}

static void set_text(SoupServerMessage *msg, guint status, const char *text)
{
    soup_server_message_set_status(msg, status, NULL);
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text,
                                     strlen(text));
}

/* GET and HEAD only (libsoup drops the body of a HEAD reply). */
static bool method_allowed(SoupServerMessage *msg)
{
    const char *method = soup_server_message_get_method(msg);
    if (method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD)
        return true;
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                 "GET, HEAD");
    set_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed\n");
    return false;
}

static void on_static(SoupServer *server, SoupServerMessage *msg, const char *path,
                      GHashTable *query, gpointer user)
{
    (void)server;
    (void)path;
    (void)query;
    struct okno_http *http = user;
    if (!method_allowed(msg))
        return;
    unsigned status;
    const char *url_path = g_uri_get_path(soup_server_message_get_uri(msg));
    char *file = okno__http_static_path(http->web_root, url_path, &status);
    char *data = NULL;
    gsize len = 0;
    if (!file || !g_file_get_contents(file, &data, &len, NULL)) {
        okno_log(OKNO_LOG_DEBUG, TAG, "%s %s: %u", soup_server_message_get_method(msg), url_path,
                 file ? 404 : status);
        set_text(msg, file ? 404 : status, status == 400 ? "bad request\n" : "not found\n");
        g_free(file);
        return;
    }
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(headers, "Cache-Control", "no-cache");
    soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
    soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response(msg, okno__http_content_type(file), SOUP_MEMORY_TAKE, data,
                                     len);
    g_free(file);
}

static void on_healthz(SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer user)
{
    (void)server;
    (void)path;
    (void)query;
    (void)user;
    if (method_allowed(msg))
        set_text(msg, SOUP_STATUS_OK, "ok\n");
}

static void on_websocket(SoupServer *server, SoupServerMessage *msg, const char *path,
                         SoupWebsocketConnection *ws, gpointer user)
{
    (void)server;
    (void)path;
    struct okno_http *http = user;
    okno_sessions_add(http->sessions, ws, soup_server_message_get_remote_host(msg));
}

/* --- life cycle --------------------------------------------------------------------------------
 */

static GInetAddress *resolve(const char *address, GError **err)
{
    GInetAddress *ia = g_inet_address_new_from_string(address);
    if (ia)
        return ia;
    GResolver *resolver = g_resolver_get_default();
    GList *found = g_resolver_lookup_by_name(resolver, address, NULL, err);
    g_object_unref(resolver);
    if (!found)
        return NULL;
    ia = g_object_ref(found->data);
    g_resolver_free_addresses(found);
    return ia;
}

int okno_http_start(const struct okno_config *cfg, struct okno_sessions *sessions,
                    struct okno_http **out)
{
    const char *address = okno_config_string(cfg, "http", "address");
    int64_t port = okno_config_int(cfg, "http", "port");
    GError *err = NULL;
    GInetAddress *ia = resolve(address, &err);
    if (!ia) {
        okno_log(OKNO_LOG_ERROR, TAG, "[http] address %s: %s", address, err->message);
        g_error_free(err);
        return OKNO_E_IO;
    }
    struct okno_http *http = g_new0(struct okno_http, 1);
    http->sessions = sessions;
    http->port = (uint16_t)port;
    http->web_root = okno_config_resolve_path(cfg, okno_config_string(cfg, "http", "web_root"));
    http->server = soup_server_new("server-header", "okno", NULL);
    soup_server_add_handler(http->server, NULL, on_static, http, NULL);
    soup_server_add_handler(http->server, "/healthz", on_healthz, http, NULL);
    soup_server_add_websocket_handler(http->server, "/ws", NULL, NULL, on_websocket, http, NULL);
    GSocketAddress *sa = g_inet_socket_address_new(ia, (guint16)port);
    g_object_unref(ia);
    gboolean ok = soup_server_listen(http->server, sa, 0, &err);
    g_object_unref(sa);
    if (!ok) {
        okno_log(OKNO_LOG_ERROR, TAG, "cannot listen on %s port %d: %s", address, (int)port,
                 err->message);
        g_error_free(err);
        okno_http_stop(http);
        return OKNO_E_IO;
    }
    if (!g_file_test(http->web_root, G_FILE_TEST_IS_DIR))
        okno_log(OKNO_LOG_WARN, TAG, "[http] web_root %s is not a directory: pages will be 404",
                 http->web_root);
    okno_log(OKNO_LOG_INFO, TAG, "listening on %s port %d (signalling at /ws, pages from %s)",
             address, (int)port, http->web_root);
    *out = http;
    return 0;
}

uint16_t okno_http_port(const struct okno_http *http)
{
    return http->port;
}

void okno_http_stop(struct okno_http *http)
{
    if (!http)
        return;
    soup_server_disconnect(http->server);
    g_object_unref(http->server);
    g_free(http->web_root);
    g_free(http);
}
