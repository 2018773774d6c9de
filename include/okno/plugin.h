/* The plugin ABI: what a plugin shared object exports and what the host hands it.
 *
 * A plugin is a shared object exporting one function, okno_plugin_describe(), that returns a
 * descriptor in static storage. The host checks the descriptor's ABI version and size, calls init()
 * with a table of host calls and calls destroy() at shutdown. Both structs carry their own size so
 * that entries can be appended without breaking plugins built against an older header: append only,
 * never reorder or remove, and bump OKNO_PLUGIN_ABI_VERSION only for a change an old plugin cannot
 * survive. This header deliberately includes nothing from src/ and nothing but standard headers and
 * include/okno/: plugins see mechanisms through the host table, never core structs. */
#ifndef OKNO_PLUGIN_H
#define OKNO_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "okno/err.h"

#define OKNO_PLUGIN_ABI_VERSION 1u
/* The name of the one symbol a plugin exports. */
#define OKNO_PLUGIN_DESCRIBE_SYMBOL "okno_plugin_describe"

#if defined(__GNUC__)
#define OKNO_PLUGIN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define OKNO_PLUGIN_EXPORT            __attribute__((visibility("default")))
#else
#define OKNO_PLUGIN_PRINTF(fmt, args)
#define OKNO_PLUGIN_EXPORT
#endif

/* Log levels, shared by the core's log and plugins; lower is more severe. Part of the ABI. */
enum okno_log_level {
    OKNO_LOG_ERROR = 0,
    OKNO_LOG_WARN = 1,
    OKNO_LOG_INFO = 2,
    OKNO_LOG_DEBUG = 3,
};

/* The host's per-plugin context; opaque to plugins, passed back on every host call. */
struct okno_plugin_ctx;

/* Host calls, handed to init(). The table and the context stay valid until destroy() returns, so a
 * plugin may keep the pointer in its state. Calls are made from the main thread only. A plugin that
 * uses an entry appended after ABI 1 checks OKNO_HOST_API_HAS() first. */
struct okno_host_api {
    /* sizeof(struct okno_host_api) as the host was built: entries past it do not exist. */
    uint32_t size;
    uint32_t abi_version;
    struct okno_plugin_ctx *ctx;

    /* Logs in the daemon's format with the module tag "plugin.NAME". */
    void (*log)(struct okno_plugin_ctx *ctx, enum okno_log_level level, const char *fmt, ...)
        OKNO_PLUGIN_PRINTF(3, 4);
    /* The raw value of key in the plugin's own [plugin.NAME] group, or NULL when the key is absent.
     * The string is the host's, valid until destroy() returns. */
    const char *(*config_get)(struct okno_plugin_ctx *ctx, const char *key);
    /* Fails with OKNO_E_CONFIG, after logging file, group, key and reason, when the group holds a
     * key that is not in the NULL-terminated list known; 0 otherwise. */
    int (*config_check_keys)(struct okno_plugin_ctx *ctx, const char *const *known);
    /* Parses key as a decimal integer in [min, max] into *out, or stores def when the key is
     * absent. Returns 0, or OKNO_E_CONFIG after logging file, group, key and reason. */
    int (*config_int)(struct okno_plugin_ctx *ctx, const char *key, int64_t def, int64_t min,
                      int64_t max, int64_t *out);
    /* Parses key as true/false/yes/no/1/0 into *out, or stores def when absent; errors as above. */
    int (*config_bool)(struct okno_plugin_ctx *ctx, const char *key, bool def, bool *out);
    /* Publishes an event (type like "rooms.queue_changed", payload a JSON text or NULL) to the
     * host's listeners (operators' event stream). The host copies what it keeps. Returns 0 or
     * OKNO_E_INVAL for a NULL or empty type. */
    int (*emit_event)(struct okno_plugin_ctx *ctx, const char *type, const char *json);
};

/* True when the host's table has the entry (a plugin built against a newer header may run on an
 * older host). */
#define OKNO_HOST_API_HAS(api, member)                                                             \
    ((api)->size >= offsetof(struct okno_host_api, member) + sizeof((api)->member))

/* What okno_plugin_describe() returns; static storage in the plugin. */
struct okno_plugin_descriptor {
    /* OKNO_PLUGIN_ABI_VERSION as the plugin was built. */
    uint32_t abi_version;
    /* sizeof(struct okno_plugin_descriptor) as the plugin was built. */
    uint32_t size;
    /* Must equal the name the plugin is loaded under ([plugins] load), which also names its
     * [plugin.NAME] config group. */
    const char *name;
    /* "rooms", "bwe" or "record": says what ops points to. */
    const char *kind;
    /* Free text shown in logs and the admin API ("1.2.0"). */
    const char *version;
    /* Sets *state (the plugin's, passed back to destroy) and returns 0, or returns a negative
     * OKNO_E_* code after logging why through api->log; destroy() is then not called. */
    int (*init)(const struct okno_host_api *api, void **state);
    /* Frees everything init allocated; the host api is still valid during the call. */
    void (*destroy)(void *state);
    /* Kind-specific table of operations, defined by later headers (NULL until then). */
    const void *ops;
};

typedef const struct okno_plugin_descriptor *(*okno_plugin_describe_fn)(void);

#endif
