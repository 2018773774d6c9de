/* Fuzzes okno's configuration reader (core/config.h) against the daemon's own schema: whatever the
 * file holds, okno either gets a configuration every typed getter can read within the schema's
 * bounds, or refuses it with a message naming the file for each problem; never a crash, a hang or
 * a configuration that is half read. The same bytes always give the same answer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "core/config.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#define LABEL "fuzz.conf"

/* Every row read back with its own getter, within its bounds. */
static void check_config(const struct okno_config *cfg)
{
    for (size_t i = 0; i < okno__config_schema_len; i++) {
        const struct okno_config_key *k = &okno__config_schema[i];
        switch (k->type) {
        case OKNO_CONFIG_INT: {
            int64_t v = okno_config_int(cfg, k->group, k->key);
            CHECK(v >= k->min && v <= k->max);
            break;
        }
        case OKNO_CONFIG_BOOL:
            (void)okno_config_bool(cfg, k->group, k->key);
            break;
        case OKNO_CONFIG_STRING:
            CHECK(okno_config_string(cfg, k->group, k->key) != NULL);
            break;
        case OKNO_CONFIG_STRING_LIST: {
            const char *const *list = okno_config_strv(cfg, k->group, k->key);
            CHECK(list != NULL);
            for (size_t a = 0; list[a]; a++) {
                CHECK(list[a][0] != '\0'); /* empty items are dropped */
                for (size_t b = 0; b < a; b++)
                    CHECK(strcmp(list[a], list[b]) != 0); /* duplicates refused */
            }
            break;
        }
        case OKNO_CONFIG_ENUM: {
            int e = okno_config_enum(cfg, k->group, k->key);
            CHECK(e >= 0);
            break;
        }
        }
    }
    /* [plugin.NAME] groups: names as the loader requires them, every key readable. */
    char **groups = okno_config_plugin_groups(cfg);
    CHECK(groups != NULL);
    for (size_t g = 0; groups[g]; g++) {
        char why[128];
        CHECK(okno__config_check_name(groups[g], why, sizeof why) == 0);
        char **keys = okno_config_plugin_keys(cfg, groups[g]);
        CHECK(keys != NULL);
        for (size_t k = 0; keys[k]; k++)
            CHECK(okno_config_plugin_value(cfg, groups[g], keys[k]) != NULL);
        g_strfreev(keys);
    }
    g_strfreev(groups);
}

/* A GLib critical from the reader or a getter is a bug in okno: make it a crash the fuzzer sees. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    return 0;
}

static int load(const uint8_t *data, size_t size, struct okno_config **cfg, char **errors)
{
    return okno__config_load_data(okno__config_schema, okno__config_schema_len, LABEL,
                                  (const char *)data, size, cfg, errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    struct okno_config *cfg = NULL;
    char *errors = NULL;
    int rc = load(data, size, &cfg, &errors);
    if (rc == 0) {
        CHECK(cfg != NULL);
        check_config(cfg);
    } else {
        CHECK(rc == OKNO_E_CONFIG && cfg == NULL);
        CHECK(errors != NULL && errors[0] != '\0');
        /* one problem a line, each naming the file, no control character quoted raw */
        char **lines = g_strsplit(errors, "\n", -1);
        for (size_t i = 0; lines[i]; i++) {
            CHECK(g_str_has_prefix(lines[i], LABEL));
            for (const char *c = lines[i]; *c; c++)
                CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
        }
        g_strfreev(lines);
    }
    struct okno_config *again = NULL;
    char *errors2 = NULL;
    CHECK(load(data, size, &again, &errors2) == rc);
    CHECK((errors == NULL) == (errors2 == NULL));
    CHECK(errors == NULL || strcmp(errors, errors2) == 0);
    okno_config_free(again);
    g_free(errors2);
    /* errors may be NULL: the answer is the same without them. */
    struct okno_config *third = NULL;
    CHECK(load(data, size, &third, NULL) == rc);
    okno_config_free(third);
    okno_config_free(cfg);
    g_free(errors);
    return 0;
}
