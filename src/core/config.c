/* Loading and validating the configuration against a schema (see config.h). Values are parsed once
 * at load into a slot per schema row, so getters cost a short scan and never fail on bad text; the
 * GKeyFile is kept only for the plugins' groups, whose keys only the plugins know. Schemas are
 * small (tens of rows), so lookups are linear on purpose. It deliberately knows no key by name: the
 * rows are in config_schema.c. */
#include "core/config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#define PLUGIN_GROUP_PREFIX "plugin."

struct okno_config_value {
    int64_t i;
    bool b;
    int e;
    char *s;     /* owned; STRING and ENUM */
    char **strv; /* owned; STRING_LIST */
};

struct okno_config {
    /* borrowed */
    const struct okno_config_key *schema;
    size_t schema_len;
    /* owned */
    char *path;
    char *dir; /* directory of path, for relative paths */
    GKeyFile *kf;
    struct okno_config_value *values; /* one per schema row */
    GHashTable *plugin_values;        /* "NAME\nkey" -> trimmed value, both owned */
};

static void add_error(GString *errors, const char *label, const char *group, const char *key,
                      const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* One problem, one line: names and values quoted from the file may hold control characters
 * (a "\n" escape in a value is a newline), which are written as \xHH. */
static void add_error(GString *errors, const char *label, const char *group, const char *key,
                      const char *fmt, ...)
{
    if (errors->len)
        g_string_append_c(errors, '\n');
    GString *line = g_string_new(NULL);
    g_string_append_printf(line, "%s: ", label);
    if (group && key)
        g_string_append_printf(line, "[%s] %s: ", group, key);
    else if (group)
        g_string_append_printf(line, "[%s]: ", group);
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(line, fmt, ap);
    va_end(ap);
    for (gsize i = 0; i < line->len; i++) {
        unsigned char c = (unsigned char)line->str[i];
        if (c < 0x20 || c == 0x7f)
            g_string_append_printf(errors, "\\x%02x", c);
        else
            g_string_append_c(errors, (char)c);
    }
    g_string_free(line, TRUE);
}

static const struct okno_config_key *find_row(const struct okno_config_key *schema, size_t n,
                                              const char *group, const char *key, size_t *index)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(schema[i].group, group) == 0 && (!key || strcmp(schema[i].key, key) == 0)) {
            if (index)
                *index = i;
            return &schema[i];
        }
    }
    return NULL;
}

/* Index of text in "a|b|c", or -1. */
static int enum_index(const char *allowed, const char *text)
{
    int index = 0;
    size_t len = strlen(text);
    for (const char *p = allowed; *p; index++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, text, n) == 0)
            return index;
        if (!bar)
            break;
        p = bar + 1;
    }
    return -1;
}

static bool parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1"};
    static const char *const no[] = {"false", "no", "0"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (g_ascii_strcasecmp(text, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool run_check(const struct okno_config_key *row, const char *item, char *why, size_t size)
{
    if (!row->check)
        return true;
    why[0] = '\0';
    return row->check(item, why, size) == 0;
}

/* Parses text (already trimmed) for row into slot; on a problem, appends it and returns false. */
static bool parse_value(const struct okno_config_key *row, const char *text, bool is_default,
                        struct okno_config_value *slot, GString *errors, const char *label)
{
    const char *origin = is_default ? " (the built-in default)" : "";
    char why[256];
    switch (row->type) {
    case OKNO_CONFIG_INT: {
        gint64 v;
        GError *err = NULL;
        if (!g_ascii_string_to_signed(text, 10, row->min, row->max, &v, &err)) {
            if (g_error_matches(err, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
                add_error(errors, label, row->group, row->key,
                          "must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT ", got %s%s",
                          (gint64)row->min, (gint64)row->max, text, origin);
            else
                add_error(errors, label, row->group, row->key, "must be an integer, got '%s'%s",
                          text, origin);
            g_error_free(err);
            return false;
        }
        slot->i = v;
        return true;
    }
    case OKNO_CONFIG_BOOL:
        if (!parse_bool(text, &slot->b)) {
            add_error(errors, label, row->group, row->key, "must be true or false, got '%s'%s",
                      text, origin);
            return false;
        }
        return true;
    case OKNO_CONFIG_ENUM: {
        int e = enum_index(row->allowed, text);
        if (e < 0) {
            char **choices = g_strsplit(row->allowed, "|", -1);
            char *list = g_strjoinv(", ", choices);
            add_error(errors, label, row->group, row->key, "must be one of %s, got '%s'%s", list,
                      text, origin);
            g_free(list);
            g_strfreev(choices);
            return false;
        }
        slot->e = e;
        slot->s = g_strdup(text);
        return true;
    }
    case OKNO_CONFIG_STRING:
        if (!run_check(row, text, why, sizeof why)) {
            add_error(errors, label, row->group, row->key, "%s, got '%s'%s", why, text, origin);
            return false;
        }
        slot->s = g_strdup(text);
        return true;
    case OKNO_CONFIG_STRING_LIST: {
        GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
        char **parts = g_strsplit(text, ",", -1);
        bool ok = true;
        for (char **p = parts; *p; p++) {
            char *item = g_strstrip(*p);
            if (!*item)
                continue;
            if (!run_check(row, item, why, sizeof why)) {
                add_error(errors, label, row->group, row->key, "%s, got '%s'%s", why, item, origin);
                ok = false;
                continue;
            }
            for (guint j = 0; j < items->len; j++) {
                if (strcmp(items->pdata[j], item) == 0) {
                    add_error(errors, label, row->group, row->key, "'%s' is listed twice", item);
                    ok = false;
                }
            }
            g_ptr_array_add(items, g_strdup(item));
        }
        g_strfreev(parts);
        g_ptr_array_add(items, NULL);
        slot->strv = (char **)g_ptr_array_free(items, FALSE);
        return ok;
    }
    }
    add_error(errors, label, row->group, row->key, "schema row has an unknown type");
    return false;
}

/* The value of a key the file has, as a string (owned), or NULL when it has none. A value GKeyFile
 * cannot read (an unknown escape such as "\q", bytes that are not UTF-8) is an error: taken as
 * absent it would silently become the default, or a plugin key listed without a value. */
static char *read_value(GKeyFile *kf, const char *group, const char *key, GString *errors,
                        const char *label, bool *bad)
{
    GError *err = NULL;
    char *value = g_key_file_get_string(kf, group, key, &err);
    *bad = false;
    /* With an unknown escape GLib returns the raw text and the error both. */
    if (err && !g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) &&
        !g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND)) {
        add_error(errors, label, group, key, "unreadable value: %s", err->message);
        *bad = true;
        g_free(value);
        value = NULL;
    }
    if (err)
        g_error_free(err);
    return value;
}

/* Keeps the values of a [plugin.NAME] group for the plugin. */
static void keep_plugin_group(struct okno_config *cfg, const char *group, GString *errors,
                              const char *label)
{
    const char *name = group + strlen(PLUGIN_GROUP_PREFIX);
    char **keys = g_key_file_get_keys(cfg->kf, group, NULL, NULL);
    for (char **k = keys; k && *k; k++) {
        bool bad;
        char *value = read_value(cfg->kf, group, *k, errors, label, &bad);
        if (value)
            g_hash_table_replace(cfg->plugin_values, g_strconcat(name, "\n", *k, NULL),
                                 g_strstrip(value));
    }
    g_strfreev(keys);
}

/* Flags unknown groups and keys; checks the names of [plugin.NAME] groups. */
static void check_names(struct okno_config *cfg, GString *errors, const char *label)
{
    const struct okno_config_key *schema = cfg->schema;
    size_t n = cfg->schema_len;
    GKeyFile *kf = cfg->kf;
    char **groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        if (g_str_has_prefix(*g, PLUGIN_GROUP_PREFIX)) {
            char why[128];
            if (okno__config_check_name(*g + strlen(PLUGIN_GROUP_PREFIX), why, sizeof why) != 0)
                add_error(errors, label, *g, NULL, "plugin name %s", why);
            else
                keep_plugin_group(cfg, *g, errors, label);
            continue;
        }
        if (!find_row(schema, n, *g, NULL, NULL)) {
            add_error(errors, label, *g, NULL, "unknown group");
            continue;
        }
        char **keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
            if (!find_row(schema, n, *g, *k, NULL))
                add_error(errors, label, *g, *k, "unknown key");
        }
        g_strfreev(keys);
    }
    g_strfreev(groups);
}

static struct okno_config *config_new(const struct okno_config_key *schema, size_t n,
                                      const char *label)
{
    struct okno_config *cfg = g_new0(struct okno_config, 1);
    cfg->schema = schema;
    cfg->schema_len = n;
    cfg->path = g_strdup(label);
    cfg->dir = g_path_get_dirname(label);
    cfg->kf = g_key_file_new();
    cfg->values = g_new0(struct okno_config_value, n ? n : 1);
    cfg->plugin_values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return cfg;
}

static int finish(struct okno_config *cfg, GString *errors, struct okno_config **out,
                  char **errors_out)
{
    if (errors->len == 0) {
        g_string_free(errors, TRUE);
        if (errors_out)
            *errors_out = NULL;
        *out = cfg;
        return 0;
    }
    okno_config_free(cfg);
    *out = NULL;
    if (errors_out)
        *errors_out = g_string_free(errors, FALSE);
    else
        g_string_free(errors, TRUE);
    return OKNO_E_CONFIG;
}

int okno__config_load_data(const struct okno_config_key *schema, size_t schema_len,
                           const char *label, const char *data, size_t len,
                           struct okno_config **out, char **errors_out)
{
    GString *errors = g_string_new(NULL);
    struct okno_config *cfg = config_new(schema, schema_len, label);
    GError *err = NULL;
    if (!g_key_file_load_from_data(cfg->kf, data, len, G_KEY_FILE_NONE, &err)) {
        add_error(errors, label, NULL, NULL, "%s", err->message);
        g_error_free(err);
        return finish(cfg, errors, out, errors_out);
    }
    check_names(cfg, errors, label);
    for (size_t i = 0; i < schema_len; i++) {
        const struct okno_config_key *row = &schema[i];
        bool bad;
        char *raw = read_value(cfg->kf, row->group, row->key, errors, label, &bad);
        if (raw)
            parse_value(row, g_strstrip(raw), false, &cfg->values[i], errors, label);
        else if (!bad)
            parse_value(row, row->def, true, &cfg->values[i], errors, label);
        g_free(raw);
    }
    return finish(cfg, errors, out, errors_out);
}

int okno_config_load(const char *path, struct okno_config **out, char **errors)
{
    /* stdio rather than g_file_get_contents: its errno gives a plain reason to quote. */
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errors)
            *errors = g_strdup_printf("%s: cannot read: %s", path, g_strerror(errno));
        return OKNO_E_CONFIG;
    }
    GString *data = g_string_new(NULL);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        g_string_append_len(data, buf, (gssize)n);
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        if (errors)
            *errors = g_strdup_printf("%s: cannot read: %s", path, g_strerror(saved));
        g_string_free(data, TRUE);
        return OKNO_E_CONFIG;
    }
    int rc = okno__config_load_data(okno__config_schema, okno__config_schema_len, path, data->str,
                                    data->len, out, errors);
    g_string_free(data, TRUE);
    return rc;
}

void okno_config_free(struct okno_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->schema_len; i++) {
        g_free(cfg->values[i].s);
        g_strfreev(cfg->values[i].strv);
    }
    g_free(cfg->values);
    g_hash_table_destroy(cfg->plugin_values);
    g_key_file_free(cfg->kf);
    g_free(cfg->dir);
    g_free(cfg->path);
    g_free(cfg);
}

const char *okno_config_path(const struct okno_config *cfg)
{
    return cfg->path;
}

/* The slot of (group, key) if the schema has it with that type; a GLib critical otherwise. */
static const struct okno_config_value *slot_of(const struct okno_config *cfg, const char *group,
                                               const char *key, enum okno_config_type type)
{
    size_t i;
    const struct okno_config_key *row = find_row(cfg->schema, cfg->schema_len, group, key, &i);
    if (!row || row->type != type) {
        g_critical("config: [%s] %s is not a schema key of that type", group, key);
        return NULL;
    }
    return &cfg->values[i];
}

int64_t okno_config_int(const struct okno_config *cfg, const char *group, const char *key)
{
    const struct okno_config_value *v = slot_of(cfg, group, key, OKNO_CONFIG_INT);
    return v ? v->i : 0;
}

bool okno_config_bool(const struct okno_config *cfg, const char *group, const char *key)
{
    const struct okno_config_value *v = slot_of(cfg, group, key, OKNO_CONFIG_BOOL);
    return v ? v->b : false;
}

const char *okno_config_string(const struct okno_config *cfg, const char *group, const char *key)
{
    const struct okno_config_value *v = slot_of(cfg, group, key, OKNO_CONFIG_STRING);
    return v ? v->s : "";
}

const char *const *okno_config_strv(const struct okno_config *cfg, const char *group,
                                    const char *key)
{
    static const char *const empty[] = {NULL};
    const struct okno_config_value *v = slot_of(cfg, group, key, OKNO_CONFIG_STRING_LIST);
    return v ? (const char *const *)v->strv : empty;
}

int okno_config_enum(const struct okno_config *cfg, const char *group, const char *key)
{
    const struct okno_config_value *v = slot_of(cfg, group, key, OKNO_CONFIG_ENUM);
    return v ? v->e : 0;
}

char *okno_config_resolve_path(const struct okno_config *cfg, const char *value)
{
    if (g_path_is_absolute(value))
        return g_canonicalize_filename(value, NULL);
    char *base = g_canonicalize_filename(cfg->dir, NULL); /* relative to the working directory */
    char *path = g_canonicalize_filename(value, base);
    g_free(base);
    return path;
}

const char *okno_config_plugin_value(const struct okno_config *cfg, const char *plugin,
                                     const char *key)
{
    char *id = g_strconcat(plugin, "\n", key, NULL);
    const char *value = g_hash_table_lookup(cfg->plugin_values, id);
    g_free(id);
    return value;
}

char **okno_config_plugin_keys(const struct okno_config *cfg, const char *plugin)
{
    char *group = g_strconcat(PLUGIN_GROUP_PREFIX, plugin, NULL);
    char **keys = g_key_file_get_keys(cfg->kf, group, NULL, NULL);
    g_free(group);
    return keys ? keys : g_new0(char *, 1);
}

char **okno_config_plugin_groups(const struct okno_config *cfg)
{
    GPtrArray *names = g_ptr_array_new();
    char **groups = g_key_file_get_groups(cfg->kf, NULL);
    for (char **g = groups; *g; g++) {
        if (g_str_has_prefix(*g, PLUGIN_GROUP_PREFIX))
            g_ptr_array_add(names, g_strdup(*g + strlen(PLUGIN_GROUP_PREFIX)));
    }
    g_strfreev(groups);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

char *okno_config_describe(const struct okno_config *cfg, const char *group, const char *key,
                           const char *reason)
{
    if (key)
        return g_strdup_printf("%s: [%s] %s: %s", cfg->path, group, key, reason);
    return g_strdup_printf("%s: [%s]: %s", cfg->path, group, reason);
}
