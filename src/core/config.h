/* okno's configuration: a GKeyFile checked against one schema table (config_schema.c) that drives
 * validation, defaults, typed getters and the documentation in conf/okno.conf. Every problem is
 * reported as "FILE: [group] key: reason", all of them at once, and a file with any problem is
 * refused whole, so okno never starts half-configured. Unknown groups and keys are errors (a typo
 * must not silently fall back to a default), except groups [plugin.NAME]: their keys belong to the
 * plugin, which checks them through the host API. This module deliberately does not reload at run
 * time and does not know what any key means. */
#ifndef OKNO_CORE_CONFIG_H
#define OKNO_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "okno/err.h"

enum okno_config_type {
    OKNO_CONFIG_INT,         /* decimal int64 in [min, max] */
    OKNO_CONFIG_BOOL,        /* true/false, yes/no, 1/0 */
    OKNO_CONFIG_STRING,      /* any text; check may restrict it */
    OKNO_CONFIG_STRING_LIST, /* comma-separated, items trimmed, empty items dropped, no duplicates
                              */
    OKNO_CONFIG_ENUM,        /* one of allowed, "a|b|c" */
};

/* One row of the schema. */
struct okno_config_key {
    const char *group;
    const char *key;
    enum okno_config_type type;
    /* The default, written as it would be in the file ("0", "info", "" for an empty list). */
    const char *def;
    int64_t min, max;    /* OKNO_CONFIG_INT only */
    const char *allowed; /* OKNO_CONFIG_ENUM only */
    /* Optional extra check of a string or of each list item: returns 0, or non-zero after writing a
     * reason ("must be ...") into why. */
    int (*check)(const char *item, char *why, size_t why_size);
    const char *doc;
};

/* The daemon's schema; subsystems add their keys by adding rows in config_schema.c. */
extern const struct okno_config_key okno__config_schema[];
extern const size_t okno__config_schema_len;

struct okno_config;

/* Reads and validates path against the daemon's schema. Returns 0 and a config in *out (free with
 * okno_config_free), or OKNO_E_CONFIG with *out NULL and, when errors is not NULL, every problem in
 * *errors, one per line without a final newline (g_free it). path is copied. */
int okno_config_load(const char *path, struct okno_config **out, char **errors);

/* As okno_config_load, from text in memory and with a given schema (tests, and later tools). label
 * names the file in messages and anchors relative paths. */
int okno__config_load_data(const struct okno_config_key *schema, size_t schema_len,
                           const char *label, const char *data, size_t len,
                           struct okno_config **out, char **errors);

/* Frees cfg and invalidates every string and list the getters returned. NULL is ignored. */
void okno_config_free(struct okno_config *cfg);

/* The path the config was loaded from, as given. Valid while cfg lives. */
const char *okno_config_path(const struct okno_config *cfg);

/* Typed getters of a validated value (the file's, or the default). Asking for a key the schema does
 * not have, or with the wrong type, is a bug in okno: it logs a GLib critical and returns 0, false,
 * "" or an empty list. Returned strings and lists are the config's, valid until okno_config_free.
 */
int64_t okno_config_int(const struct okno_config *cfg, const char *group, const char *key);
bool okno_config_bool(const struct okno_config *cfg, const char *group, const char *key);
const char *okno_config_string(const struct okno_config *cfg, const char *group, const char *key);
/* NULL-terminated list, never NULL. */
const char *const *okno_config_strv(const struct okno_config *cfg, const char *group,
                                    const char *key);
/* The value's index in the row's allowed list ("error|warn|info|debug": "warn" is 1). */
int okno_config_enum(const struct okno_config *cfg, const char *group, const char *key);

/* A path value made absolute: a relative one is taken from the directory of the config file, so a
 * config and the files it names can move together. Returns a new string (g_free it). */
char *okno_config_resolve_path(const struct okno_config *cfg, const char *value);

/* Groups [plugin.NAME]: the raw value of key in [plugin.NAME], or NULL when absent; valid until
 * okno_config_free. */
const char *okno_config_plugin_value(const struct okno_config *cfg, const char *plugin,
                                     const char *key);
/* The keys of [plugin.NAME], NULL-terminated, possibly empty, never NULL (g_strfreev it). */
char **okno_config_plugin_keys(const struct okno_config *cfg, const char *plugin);
/* The NAMEs of every [plugin.NAME] group in the file, NULL-terminated (g_strfreev it). */
char **okno_config_plugin_groups(const struct okno_config *cfg);

/* "FILE: [group] key: reason" (key may be NULL: "FILE: [group]: reason"). Returns a new string
 * (g_free it). Plugins' config errors use it so every config error reads the same. */
char *okno_config_describe(const struct okno_config *cfg, const char *group, const char *key,
                           const char *reason);

/* The check used for plugin names ([plugins] load, [plugin.NAME]): 1 to 64 of a-z, 0-9 and _. */
int okno__config_check_name(const char *item, char *why, size_t why_size);

#endif
