/* The plugin host: loads plugins (shared objects) by name, checks their descriptor, hands each one
 * its host API and its own [plugin.NAME] config group, and destroys them in reverse order at
 * shutdown. Plugin NAME is the file DIR/okno_NAME.so ("okno_" NAME G_MODULE_SUFFIX), where DIR is
 * [plugins] dir made absolute (a relative dir is taken from the config file's directory). A plugin
 * is refused, with a reason naming the file, for a missing file or symbol, a wrong ABI version, a
 * descriptor smaller than ABI 1's, a name that is not the one it was loaded under, an unknown kind,
 * missing callbacks, a bwe plugin whose ops lack an entry (okno/bwe.h), or a failing init. Beyond
 * that check it deliberately does not interpret the kind-specific ops: the subsystems that use a
 * kind fetch the descriptor and cast. Main thread only. */
#ifndef OKNO_CORE_PLUGIN_HOST_H
#define OKNO_CORE_PLUGIN_HOST_H

#include <stddef.h>

#include "core/config.h"
#include "okno/plugin.h"

struct okno_plugin_host;

/* Where plugins' events go (operators' event stream, later); every field may be NULL. */
struct okno_plugin_host_listener {
    /* plugin and type are borrowed for the call; json may be NULL. */
    void (*on_event)(void *user, const char *plugin, const char *type, const char *json);
    void *user;
};

/* Creates a host with no plugin loaded. cfg is borrowed and must outlive the host; listener is
 * copied (NULL: events are only logged at debug level). Returns 0 and *out (free with
 * okno_plugin_host_free). Cannot fail today; returns a code so that it may later. */
int okno_plugin_host_new(const struct okno_config *cfg,
                         const struct okno_plugin_host_listener *listener,
                         struct okno_plugin_host **out);

/* Loads, checks and initialises plugin name. Returns 0, or a negative code with, when why is not
 * NULL, a one-line reason naming the file in *why (g_free it): OKNO_E_INVAL (bad name),
 * OKNO_E_EXISTS (already loaded), OKNO_E_NOTFOUND (file cannot be opened, symbol missing),
 * OKNO_E_ABI (version or size), OKNO_E_MALFORMED (descriptor fields), or init's own code. Nothing
 * of a refused plugin stays loaded. */
int okno_plugin_host_load(struct okno_plugin_host *host, const char *name, char **why);

/* Loads every plugin of [plugins] load in order, stopping at the first that fails (same returns as
 * okno_plugin_host_load; the ones before stay loaded until okno_plugin_host_free). Warns about
 * [plugin.NAME] groups of plugins that are not in the list. */
int okno_plugin_host_load_configured(struct okno_plugin_host *host, char **why);

/* Opens plugin name and checks its descriptor without calling init, then closes it again (for
 * --check-config). Same returns as okno_plugin_host_load, minus init's. */
int okno_plugin_host_check(const struct okno_plugin_host *host, const char *name, char **why);

/* The file plugin name would be loaded from (g_free it). */
char *okno_plugin_host_file(const struct okno_plugin_host *host, const char *name);

size_t okno_plugin_host_count(const struct okno_plugin_host *host);

/* The descriptor of loaded plugin name, or NULL. Valid until okno_plugin_host_free. */
const struct okno_plugin_descriptor *okno_plugin_host_find(const struct okno_plugin_host *host,
                                                           const char *name);

/* The first loaded plugin of kind ("rooms", ...), or NULL when none is; when state is not NULL it
 * gets that plugin's state (the one its init set) for calling its ops. Both stay valid until
 * okno_plugin_host_free. Subsystems that use one plugin of a kind (the signalling layer and the SFU
 * ask for "rooms") find it here and cast desc->ops, which may be NULL. */
const struct okno_plugin_descriptor *okno_plugin_host_find_kind(const struct okno_plugin_host *host,
                                                                const char *kind, void **state);

/* Destroys every plugin (last loaded first), closes the modules and frees host. Invalidates every
 * descriptor and host API table handed out. NULL is ignored. */
void okno_plugin_host_free(struct okno_plugin_host *host);

#endif
