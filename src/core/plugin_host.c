/* The plugin host (see plugin_host.h): GModule loading, descriptor checks, and the host API table
 * each plugin gets. Each loaded plugin has a heap context holding its module, state and its own
 * copy of the API table (the table carries the context pointer back to us), so a plugin may keep
 * the table for its whole life. It deliberately does not sandbox plugins: they run in-process with
 * the daemon's rights, and one that crashes takes okno down. */
#include "core/plugin_host.h"

#include <string.h>

#include <glib.h>
#include <gmodule.h>

#include "core/log.h"
#include "okno/bwe.h"

#define FILE_PREFIX "okno_"

struct okno_plugin_ctx {
    /* borrowed */
    struct okno_plugin_host *host;
    const struct okno_plugin_descriptor *desc; /* the plugin's static storage */
    /* owned */
    char *name;
    char *group; /* "plugin.NAME" */
    char *tag;   /* log module tag, same text as group */
    GModule *module;
    void *state; /* the plugin's */
    struct okno_host_api api;
};

struct okno_plugin_host {
    /* borrowed */
    const struct okno_config *cfg;
    /* owned */
    struct okno_plugin_host_listener listener;
    char *dir;
    GPtrArray *loaded; /* struct okno_plugin_ctx *, in load order */
};

static const char *const known_kinds[] = {"rooms", "bwe", "record"};

/* --- host API ----------------------------------------------------------------------------------
 */

static void api_log(struct okno_plugin_ctx *ctx, enum okno_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    okno_logv(level, ctx->tag, fmt, ap);
    va_end(ap);
}

static const char *api_config_get(struct okno_plugin_ctx *ctx, const char *key)
{
    return key ? okno_config_plugin_value(ctx->host->cfg, ctx->name, key) : NULL;
}

static void config_error(struct okno_plugin_ctx *ctx, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void config_error(struct okno_plugin_ctx *ctx, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reason = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *line = okno_config_describe(ctx->host->cfg, ctx->group, key, reason);
    okno_log(OKNO_LOG_ERROR, "config", "%s", line);
    g_free(line);
    g_free(reason);
}

static int api_config_check_keys(struct okno_plugin_ctx *ctx, const char *const *known)
{
    char **keys = okno_config_plugin_keys(ctx->host->cfg, ctx->name);
    int rc = 0;
    for (char **k = keys; *k; k++) {
        bool found = false;
        for (const char *const *n = known; n && *n && !found; n++)
            found = strcmp(*n, *k) == 0;
        if (!found) {
            config_error(ctx, *k, "unknown key");
            rc = OKNO_E_CONFIG;
        }
    }
    g_strfreev(keys);
    return rc;
}

static int api_config_int(struct okno_plugin_ctx *ctx, const char *key, int64_t def, int64_t min,
                          int64_t max, int64_t *out)
{
    const char *text = api_config_get(ctx, key);
    if (!text) {
        *out = def;
        return 0;
    }
    gint64 v;
    GError *err = NULL;
    if (!g_ascii_string_to_signed(text, 10, min, max, &v, &err)) {
        if (g_error_matches(err, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
            config_error(ctx, key,
                         "must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT ", got %s",
                         (gint64)min, (gint64)max, text);
        else
            config_error(ctx, key, "must be an integer, got '%s'", text);
        g_error_free(err);
        return OKNO_E_CONFIG;
    }
    *out = v;
    return 0;
}

static int api_config_bool(struct okno_plugin_ctx *ctx, const char *key, bool def, bool *out)
{
    const char *text = api_config_get(ctx, key);
    if (!text) {
        *out = def;
        return 0;
    }
    if (!g_ascii_strcasecmp(text, "true") || !g_ascii_strcasecmp(text, "yes") ||
        !strcmp(text, "1")) {
        *out = true;
        return 0;
    }
    if (!g_ascii_strcasecmp(text, "false") || !g_ascii_strcasecmp(text, "no") ||
        !strcmp(text, "0")) {
        *out = false;
        return 0;
    }
    config_error(ctx, key, "must be true or false, got '%s'", text);
    return OKNO_E_CONFIG;
}

static int api_emit_event(struct okno_plugin_ctx *ctx, const char *type, const char *json)
{
    if (!type || !*type)
        return OKNO_E_INVAL;
    okno_log(OKNO_LOG_DEBUG, ctx->tag, "event %s %s", type, json ? json : "");
    if (ctx->host->listener.on_event)
        ctx->host->listener.on_event(ctx->host->listener.user, ctx->name, type, json);
    return 0;
}

/* --- loading -----------------------------------------------------------------------------------
 */

int okno_plugin_host_new(const struct okno_config *cfg,
                         const struct okno_plugin_host_listener *listener,
                         struct okno_plugin_host **out)
{
    struct okno_plugin_host *host = g_new0(struct okno_plugin_host, 1);
    host->cfg = cfg;
    if (listener)
        host->listener = *listener;
    host->dir = okno_config_resolve_path(cfg, okno_config_string(cfg, "plugins", "dir"));
    host->loaded = g_ptr_array_new();
    *out = host;
    return 0;
}

char *okno_plugin_host_file(const struct okno_plugin_host *host, const char *name)
{
    char *base = g_strconcat(FILE_PREFIX, name, "." G_MODULE_SUFFIX, NULL);
    char *file = g_build_filename(host->dir, base, NULL);
    g_free(base);
    return file;
}

static void ctx_free(struct okno_plugin_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->module && !g_module_close(ctx->module))
        okno_log(OKNO_LOG_WARN, "plugin", "closing %s: %s", ctx->name, g_module_error());
    g_free(ctx->tag);
    g_free(ctx->group);
    g_free(ctx->name);
    g_free(ctx);
}

static int refuse(char **why, int rc, const char *name, const char *file, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);

static int refuse(char **why, int rc, const char *name, const char *file, const char *fmt, ...)
{
    if (why) {
        va_list ap;
        va_start(ap, fmt);
        char *reason = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        *why = g_strdup_printf("plugin %s (%s): %s", name, file, reason);
        g_free(reason);
    }
    return rc;
}

static bool known_kind(const char *kind)
{
    for (size_t i = 0; kind && i < G_N_ELEMENTS(known_kinds); i++) {
        if (strcmp(kind, known_kinds[i]) == 0)
            return true;
    }
    return false;
}

/* Opens name's module and checks its descriptor; returns a context with no state yet. */
static int open_plugin(const struct okno_plugin_host *host, const char *name,
                       struct okno_plugin_ctx **out, char **why)
{
    *out = NULL;
    char reason[128];
    if (!name || okno__config_check_name(name, reason, sizeof reason) != 0) {
        if (why)
            *why = g_strdup_printf("plugin name '%s' %s", name ? name : "(null)", reason);
        return OKNO_E_INVAL;
    }
    char *file = okno_plugin_host_file(host, name);
    int rc = 0;
    /* Not lazy: an unresolved symbol refuses the plugin now instead of aborting okno later. Local:
     * plugins' own symbols must not collide with each other's. */
    GModule *module = g_module_open(file, G_MODULE_BIND_LOCAL);
    if (!module) {
        rc = refuse(why, OKNO_E_NOTFOUND, name, file, "cannot open: %s", g_module_error());
        goto out;
    }
    gpointer sym = NULL;
    if (!g_module_symbol(module, OKNO_PLUGIN_DESCRIBE_SYMBOL, &sym) || !sym) {
        rc = refuse(why, OKNO_E_NOTFOUND, name, file, "no %s symbol: not an okno plugin",
                    OKNO_PLUGIN_DESCRIBE_SYMBOL);
        goto out;
    }
    okno_plugin_describe_fn describe;
    /* ISO C has no function/object pointer conversion; dlsym's contract makes this one valid. */
    memcpy(&describe, &sym, sizeof describe);
    const struct okno_plugin_descriptor *d = describe();
    if (!d) {
        rc = refuse(why, OKNO_E_MALFORMED, name, file, "%s returned NULL",
                    OKNO_PLUGIN_DESCRIBE_SYMBOL);
    } else if (d->abi_version != OKNO_PLUGIN_ABI_VERSION) {
        rc = refuse(why, OKNO_E_ABI, name, file, "ABI version %u, this okno speaks %u",
                    d->abi_version, OKNO_PLUGIN_ABI_VERSION);
    } else if (d->size < sizeof(struct okno_plugin_descriptor)) {
        rc = refuse(why, OKNO_E_ABI, name, file, "descriptor of %u bytes, ABI %u needs %zu",
                    d->size, OKNO_PLUGIN_ABI_VERSION, sizeof(struct okno_plugin_descriptor));
    } else if (!d->name || strcmp(d->name, name) != 0) {
        rc = refuse(why, OKNO_E_MALFORMED, name, file, "calls itself '%s', not '%s'",
                    d->name ? d->name : "(null)", name);
    } else if (!known_kind(d->kind)) {
        rc = refuse(why, OKNO_E_MALFORMED, name, file, "unknown kind '%s' (rooms, bwe or record)",
                    d->kind ? d->kind : "(null)");
    } else if (!d->init || !d->destroy || !d->version) {
        rc = refuse(why, OKNO_E_MALFORMED, name, file, "descriptor lacks %s",
                    !d->init      ? "init"
                    : !d->destroy ? "destroy"
                                  : "version");
    } else if (strcmp(d->kind, OKNO_BWE_KIND) == 0 && !okno_bwe_ops_valid(d->ops)) {
        /* The SFU calls these on every packet: a missing one would crash okno mid-call. */
        rc = refuse(why, OKNO_E_MALFORMED, name, file,
                    "a bwe plugin's ops must be a struct okno_bwe_ops of at least %zu bytes with "
                    "every entry but counters",
                    (size_t)OKNO_BWE_OPS_MIN_SIZE);
    }
    if (rc == 0) {
        struct okno_plugin_ctx *ctx = g_new0(struct okno_plugin_ctx, 1);
        ctx->host = (struct okno_plugin_host *)host;
        ctx->desc = d;
        ctx->name = g_strdup(name);
        ctx->group = g_strconcat("plugin.", name, NULL);
        ctx->tag = g_strdup(ctx->group);
        ctx->module = module;
        module = NULL;
        *out = ctx;
    }
out:
    if (module)
        g_module_close(module);
    g_free(file);
    return rc;
}

int okno_plugin_host_check(const struct okno_plugin_host *host, const char *name, char **why)
{
    struct okno_plugin_ctx *ctx;
    int rc = open_plugin(host, name, &ctx, why);
    if (rc == 0)
        ctx_free(ctx);
    return rc;
}

static struct okno_plugin_ctx *find(const struct okno_plugin_host *host, const char *name)
{
    for (guint i = 0; i < host->loaded->len; i++) {
        struct okno_plugin_ctx *ctx = host->loaded->pdata[i];
        if (strcmp(ctx->name, name) == 0)
            return ctx;
    }
    return NULL;
}

int okno_plugin_host_load(struct okno_plugin_host *host, const char *name, char **why)
{
    if (name && find(host, name)) {
        if (why)
            *why = g_strdup_printf("plugin %s: already loaded", name);
        return OKNO_E_EXISTS;
    }
    struct okno_plugin_ctx *ctx = NULL;
    int rc = open_plugin(host, name, &ctx, why);
    if (rc != 0)
        return rc;
    g_assert(ctx != NULL); /* open_plugin sets it whenever it succeeds */
    ctx->api = (struct okno_host_api){
        .size = sizeof(struct okno_host_api),
        .abi_version = OKNO_PLUGIN_ABI_VERSION,
        .ctx = ctx,
        .log = api_log,
        .config_get = api_config_get,
        .config_check_keys = api_config_check_keys,
        .config_int = api_config_int,
        .config_bool = api_config_bool,
        .emit_event = api_emit_event,
    };
    rc = ctx->desc->init(&ctx->api, &ctx->state);
    if (rc != 0) {
        char *file = okno_plugin_host_file(host, name);
        /* A plugin returning a positive value is still a failure; say what it returned. */
        refuse(why, rc < 0 ? rc : OKNO_E_INVAL, name, file, "init failed: %s (%d)",
               okno_strerror(rc), rc);
        g_free(file);
        ctx_free(ctx);
        return rc < 0 ? rc : OKNO_E_INVAL;
    }
    g_ptr_array_add(host->loaded, ctx);
    okno_log(OKNO_LOG_INFO, "plugin", "loaded %s %s (%s)", ctx->name, ctx->desc->version,
             ctx->desc->kind);
    return 0;
}

int okno_plugin_host_load_configured(struct okno_plugin_host *host, char **why)
{
    const char *const *names = okno_config_strv(host->cfg, "plugins", "load");
    char **groups = okno_config_plugin_groups(host->cfg);
    for (char **g = groups; *g; g++) {
        if (!g_strv_contains(names, *g))
            okno_log(OKNO_LOG_WARN, "config",
                     "%s: [plugin.%s] is ignored: %s is not in [plugins] load",
                     okno_config_path(host->cfg), *g, *g);
    }
    g_strfreev(groups);
    for (const char *const *n = names; *n; n++) {
        int rc = okno_plugin_host_load(host, *n, why);
        if (rc != 0)
            return rc;
    }
    return 0;
}

size_t okno_plugin_host_count(const struct okno_plugin_host *host)
{
    return host->loaded->len;
}

const struct okno_plugin_descriptor *okno_plugin_host_find(const struct okno_plugin_host *host,
                                                           const char *name)
{
    const struct okno_plugin_ctx *ctx = name ? find(host, name) : NULL;
    return ctx ? ctx->desc : NULL;
}

const struct okno_plugin_descriptor *okno_plugin_host_find_kind(const struct okno_plugin_host *host,
                                                                const char *kind, void **state)
{
    for (guint i = 0; kind && i < host->loaded->len; i++) {
        const struct okno_plugin_ctx *ctx = host->loaded->pdata[i];
        if (strcmp(ctx->desc->kind, kind) == 0) {
            if (state)
                *state = ctx->state;
            return ctx->desc;
        }
    }
    return NULL;
}

void okno_plugin_host_free(struct okno_plugin_host *host)
{
    if (!host)
        return;
    for (guint i = host->loaded->len; i > 0; i--) {
        struct okno_plugin_ctx *ctx = host->loaded->pdata[i - 1];
        ctx->desc->destroy(ctx->state);
        okno_log(OKNO_LOG_INFO, "plugin", "unloaded %s", ctx->name);
        ctx_free(ctx);
    }
    g_ptr_array_free(host->loaded, TRUE);
    g_free(host->dir);
    g_free(host);
}
