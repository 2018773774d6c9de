/* okno's HTTP server (libsoup-3) on the main loop: the signalling WebSocket at /ws (handed to the
 * sessions of session.h), GET /healthz, and the static web pages of [http] web_root under /
 * (index.html for /, content types by extension, no path leaving web_root, 404 otherwise). It
 * listens on [http] address and port. It deliberately serves no directory listings, no ranges and
 * no caching headers beyond no-cache: the pages are small and change with okno. */
#ifndef OKNO_API_HTTP_H
#define OKNO_API_HTTP_H

#include <stdint.h>

#include "api/session.h"
#include "core/config.h"

struct okno_http;

/* Starts listening with the settings of cfg (borrowed for the call; web_root is resolved against
 * the config file's directory), handing WebSockets to sessions (borrowed; it must outlive the
 * server). Returns 0 and *out, or OKNO_E_IO after logging why (address in use, address that does
 * not resolve). */
int okno_http_start(const struct okno_config *cfg, struct okno_sessions *sessions,
                    struct okno_http **out);

/* The port listened on (the configured one). */
uint16_t okno_http_port(const struct okno_http *http);

/* Stops listening, drops HTTP connections still open and frees http. WebSockets already handed
 * over are the sessions' (close them with okno_sessions_free). NULL is ignored. */
void okno_http_stop(struct okno_http *http);

/* The file under root that URL path names, or NULL (with *status 404, or 400 for a path that is
 * not valid) when it names nothing servable: a segment that is empty, "." or "..", or starts with
 * '.'; a percent-encoded '/' or NUL; a file that is not regular; or anything whose real path
 * leaves root's real path. "/" and paths ending in '/' name index.html. Returns a new string
 * (g_free it). Exposed for tests. */
char *okno__http_static_path(const char *root, const char *path, unsigned *status);

/* The Content-Type for a file name by its extension ("text/html; charset=utf-8");
 * "application/octet-stream" when unknown. Static storage. */
const char *okno__http_content_type(const char *file);

#endif
