/* The link memory and its learner (link_memory.h). */
#include "sfu/link_memory.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/link_file.h"

/* A start this far below the rate remembered: the remembered rate is what the link carried with a
 * congestion controller's sawtooth around it, and the start probes raise a start that is low. */
#define START_MARGIN_PERMILLE 850u
/* No start under this from memory: a camera that sent less was hardly a measure of its link. */
#define START_FLOOR_BPS 50000u
/* Seconds a learner needs before it says anything, and the window its average weighs most. */
#define LEARN_MIN     5u
#define LEARN_WINDOW  20u
#define LEARN_STEP_US 1000000

struct entry {
    struct okno_link_rates rates;
    int64_t stored_us;
};

struct okno_link_memory {
    GMutex lock;
    GHashTable *entries; /* owned key -> owned struct entry */
    unsigned capacity;
    int64_t keep_us;
    bool dirty; /* stored since the last save */
};

struct okno_link_memory *okno_link_memory_new(unsigned capacity, int64_t keep_us)
{
    struct okno_link_memory *m = g_new0(struct okno_link_memory, 1);
    g_mutex_init(&m->lock);
    m->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->capacity = capacity ? capacity : 1;
    m->keep_us = keep_us;
    return m;
}

void okno_link_memory_free(struct okno_link_memory *m)
{
    if (!m)
        return;
    g_hash_table_destroy(m->entries);
    g_mutex_clear(&m->lock);
    g_free(m);
}

struct okno_link_rates okno_link_memory_recall(struct okno_link_memory *m, const char *key,
                                               int64_t now_us)
{
    struct okno_link_rates r = {0, 0};
    if (!m || !key)
        return r;
    g_mutex_lock(&m->lock);
    const struct entry *e = g_hash_table_lookup(m->entries, key);
    if (e && now_us - e->stored_us <= m->keep_us)
        r = e->rates;
    g_mutex_unlock(&m->lock);
    return r;
}

/* Under the lock: the least recently stored key goes (a scan, but only when a new key arrives at
 * a full memory, i.e. at a leave). */
static void evict_oldest(struct okno_link_memory *m)
{
    GHashTableIter it;
    gpointer k, v, oldest = NULL;
    int64_t oldest_us = INT64_MAX;
    g_hash_table_iter_init(&it, m->entries);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const struct entry *e = v;
        if (e->stored_us < oldest_us) {
            oldest_us = e->stored_us;
            oldest = k;
        }
    }
    if (oldest)
        g_hash_table_remove(m->entries, oldest);
}

/* Under the lock: a new, empty entry for key (not in the memory), room made for it when full. */
static struct entry *insert_entry(struct okno_link_memory *m, const char *key)
{
    if (g_hash_table_size(m->entries) >= m->capacity)
        evict_oldest(m);
    struct entry *e = g_new0(struct entry, 1);
    g_hash_table_insert(m->entries, g_strdup(key), e);
    return e;
}

void okno_link_memory_store(struct okno_link_memory *m, const char *key,
                            struct okno_link_rates seen, int64_t now_us)
{
    if (!m || !key || (seen.up_bps == 0 && seen.down_bps == 0))
        return;
    g_mutex_lock(&m->lock);
    struct entry *e = g_hash_table_lookup(m->entries, key);
    if (e && now_us - e->stored_us > m->keep_us)
        e->rates = (struct okno_link_rates){0, 0}; /* too old to keep a half of */
    if (!e)
        e = insert_entry(m, key);
    if (seen.up_bps)
        e->rates.up_bps = seen.up_bps;
    if (seen.down_bps)
        e->rates.down_bps = seen.down_bps;
    e->stored_us = now_us;
    m->dirty = true;
    g_mutex_unlock(&m->lock);
}

unsigned okno_link_memory_size(struct okno_link_memory *m)
{
    if (!m)
        return 0;
    g_mutex_lock(&m->lock);
    unsigned n = g_hash_table_size(m->entries);
    g_mutex_unlock(&m->lock);
    return n;
}

/* Under the lock: a record read from the file, unless the key is known or the record too old. */
static bool add_loaded(struct okno_link_memory *m, const struct okno_link_record *r, int64_t now_us)
{
    int64_t stored_us = r->stored_s * G_USEC_PER_SEC;
    if (now_us - stored_us > m->keep_us || g_hash_table_contains(m->entries, r->key) ||
        (r->rates.up_bps == 0 && r->rates.down_bps == 0))
        return false;
    struct entry *e = insert_entry(m, r->key);
    e->rates = r->rates;
    e->stored_us = stored_us;
    return true;
}

int okno_link_memory_load(struct okno_link_memory *m, const char *path, int64_t now_us,
                          unsigned *loaded, unsigned *ignored)
{
    *loaded = *ignored = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? OKNO_E_NOTFOUND : OKNO_E_IO;
    char line[OKNO_LINK_LINE_MAX + 2];
    bool long_line = false;
    g_mutex_lock(&m->lock);
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        bool newline = len > 0 && line[len - 1] == '\n';
        /* a last line without its newline is whole too */
        bool whole = newline || (!long_line && feof(f));
        if (long_line || !whole) {
            /* the rest of a line longer than any okno writes: one ignored line in all */
            *ignored += !long_line;
            long_line = !whole;
            continue;
        }
        struct okno_link_record r;
        if (okno_link_file_parse(line, len - newline, &r) == 0 && add_loaded(m, &r, now_us))
            (*loaded)++;
        else
            (*ignored)++;
    }
    g_mutex_unlock(&m->lock);
    int rc = ferror(f) ? OKNO_E_IO : 0;
    fclose(f);
    return rc;
}

int okno_link_memory_save(struct okno_link_memory *m, const char *path, bool force)
{
    GString *text = g_string_new(NULL);
    g_mutex_lock(&m->lock);
    bool due = force || m->dirty;
    m->dirty = false;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, m->entries);
    while (due && g_hash_table_iter_next(&it, &k, &v)) {
        const struct entry *e = v;
        struct okno_link_record r = {.rates = e->rates, .stored_s = e->stored_us / G_USEC_PER_SEC};
        char line[OKNO_LINK_LINE_MAX];
        if (g_strlcpy(r.key, k, sizeof r.key) < sizeof r.key &&
            okno_link_file_format(&r, line, sizeof line) > 0)
            g_string_append(text, line);
    }
    g_mutex_unlock(&m->lock);
    int rc = 0;
    if (due) {
        char *tmp = g_strconcat(path, ".tmp", NULL);
        FILE *f = fopen(tmp, "w");
        bool written = f && fwrite(text->str, 1, text->len, f) == text->len;
        written = f && fclose(f) == 0 && written;
        if (!written || rename(tmp, path) != 0) {
            int saved = errno;
            remove(tmp);
            errno = saved;
            rc = OKNO_E_IO;
            g_mutex_lock(&m->lock);
            m->dirty = true; /* try again at the next save */
            g_mutex_unlock(&m->lock);
        }
        g_free(tmp);
    }
    g_string_free(text, TRUE);
    return rc;
}

uint32_t okno_link_start_bps(uint32_t remembered_bps, uint32_t default_bps)
{
    uint64_t start = (uint64_t)remembered_bps * START_MARGIN_PERMILLE / 1000u;
    if (start < START_FLOOR_BPS)
        start = START_FLOOR_BPS;
    return remembered_bps && start < default_bps ? (uint32_t)start : default_bps;
}

void okno_link_learner_init(struct okno_link_learner *l)
{
    *l = (struct okno_link_learner){.next_us = INT64_MIN, .n = 0, .bps = 0};
}

void okno_link_learner_sample(struct okno_link_learner *l, uint64_t bps, bool link_limited,
                              int64_t now_us)
{
    if (!link_limited || bps == 0 || now_us < l->next_us)
        return;
    l->next_us = now_us + LEARN_STEP_US;
    l->n++;
    /* A plain mean over the first window, then an exponential one of about that length. */
    double w = 1.0 / (l->n < LEARN_WINDOW ? l->n : LEARN_WINDOW);
    l->bps += w * ((double)bps - l->bps);
}

uint32_t okno_link_learner_result(const struct okno_link_learner *l)
{
    if (l->n < LEARN_MIN || l->bps < 1.0)
        return 0;
    return l->bps >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)l->bps;
}
