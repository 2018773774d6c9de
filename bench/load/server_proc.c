/* The server process through /proc. */
#include "load/server_proc.h"

#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "okno/err.h"

int okno_proc_parse_stat(const char *text, uint64_t *cpu_ticks)
{
    /* The command name is in parentheses and may hold spaces or parentheses: fields count from
     * the last ')'. utime and stime are fields 14 and 15; the state (field 3) follows the ')'. */
    const char *p = strrchr(text, ')');
    if (!p)
        return OKNO_E_MALFORMED;
    p++;
    unsigned long long v[13];
    int n = sscanf(p, " %*c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
                   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]);
    if (n < 12)
        return OKNO_E_MALFORMED;
    /* v[0] is field 4 (ppid): field 14 is v[10], field 15 v[11]. */
    *cpu_ticks = v[10] + v[11];
    return 0;
}

static bool field_kb(const char *text, const char *name, uint64_t *out)
{
    const char *p = strstr(text, name);
    while (p && p != text && p[-1] != '\n')
        p = strstr(p + 1, name);
    if (!p)
        return false;
    char *end;
    unsigned long long v = strtoull(p + strlen(name), &end, 10);
    if (end == p + strlen(name))
        return false;
    *out = v;
    return true;
}

int okno_proc_parse_status(const char *text, uint64_t *rss_kb, uint64_t *hwm_kb, unsigned *threads)
{
    uint64_t t;
    if (!field_kb(text, "VmRSS:", rss_kb) || !field_kb(text, "VmHWM:", hwm_kb) ||
        !field_kb(text, "Threads:", &t))
        return OKNO_E_MALFORMED;
    *threads = (unsigned)t;
    return 0;
}

uint64_t okno_proc_parse_listen_inode(const char *text, uint16_t port)
{
    const char *line = strchr(text, '\n'); /* the header */
    while (line && *++line) {
        char local[64];
        unsigned st;
        unsigned long long inode;
        /* sl: local rem st tx:rx tr:when retr uid timeout inode */
        if (sscanf(line, " %*[^:]: %63s %*s %x %*s %*s %*s %*s %*s %llu", local, &st, &inode) ==
            3) {
            const char *colon = strrchr(local, ':');
            if (colon && st == 0x0A && strtoul(colon + 1, NULL, 16) == port)
                return inode;
        }
        line = strchr(line, '\n');
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t okno_proc_parse_udp_drops(const char *text, const uint64_t *inodes, size_t n)
{
    uint64_t sum = 0;
    const char *line = strchr(text, '\n'); /* the header */
    while (line && *++line) {
        unsigned long long inode, drops;
        /* sl: local rem st tx:rx tr:when retr uid timeout inode ref pointer drops */
        if (sscanf(line, " %*[^:]: %*s %*s %*s %*s %*s %*s %*s %*s %llu %*s %*s %llu", &inode,
                   &drops) == 2) {
            uint64_t key = inode;
            if (n && bsearch(&key, inodes, n, sizeof(*inodes), cmp_u64))
                sum += drops;
        }
        line = strchr(line, '\n');
    }
    return sum;
}

int okno_proc_own_udp_drops(uint64_t *out)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return OKNO_E_NOTFOUND;
    GArray *inodes = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    const struct dirent *e;
    while ((e = readdir(d))) {
        char link[300], target[64];
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        unsigned long long inode;
        if (len > 0) {
            target[len] = 0;
            if (sscanf(target, "socket:[%llu]", &inode) == 1) {
                uint64_t v = inode;
                g_array_append_val(inodes, v);
            }
        }
    }
    closedir(d);
    g_array_sort(inodes, cmp_u64);
    static const char *files[] = {"/proc/self/net/udp", "/proc/self/net/udp6"};
    uint64_t sum = 0;
    int rc = OKNO_E_NOTFOUND;
    for (size_t i = 0; i < 2; i++) {
        char *text = NULL;
        if (!g_file_get_contents(files[i], &text, NULL, NULL))
            continue;
        sum += okno_proc_parse_udp_drops(text, (const uint64_t *)(void *)inodes->data, inodes->len);
        g_free(text);
        rc = 0;
    }
    g_array_free(inodes, TRUE);
    *out = sum;
    return rc;
}

static uint64_t listen_inode_of(const char *dir, uint16_t port)
{
    static const char *files[] = {"net/tcp", "net/tcp6"};
    for (size_t i = 0; i < 2; i++) {
        char path[256], *text = NULL;
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (!g_file_get_contents(path, &text, NULL, NULL))
            continue;
        uint64_t inode = okno_proc_parse_listen_inode(text, port);
        g_free(text);
        if (inode)
            return inode;
    }
    return 0;
}

static bool holds_inode(const char *pid, uint64_t inode)
{
    char path[300], want[64];
    snprintf(path, sizeof(path), "/proc/%s/fd", pid);
    snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)inode);
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool found = false;
    const struct dirent *e;
    while (!found && (e = readdir(d))) {
        char link[600], target[64];
        snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = 0;
            found = !strcmp(target, want);
        }
    }
    closedir(d);
    return found;
}

int okno_proc_find_listener(uint16_t port)
{
    /* A process's own namespace first; then each process's (Janus runs in a netns). */
    uint64_t here = listen_inode_of("/proc/self", port);
    DIR *d = opendir("/proc");
    if (!d)
        return OKNO_E_NOTFOUND;
    int pid = OKNO_E_NOTFOUND;
    const struct dirent *e;
    while (pid < 0 && (e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || v <= 0)
            continue;
        uint64_t inode = here;
        if (!inode) {
            char dir[300];
            snprintf(dir, sizeof(dir), "/proc/%s", e->d_name);
            inode = listen_inode_of(dir, port);
        }
        if (inode && holds_inode(e->d_name, inode))
            pid = (int)v;
    }
    closedir(d);
    return pid;
}

int okno_proc_sample(int pid, int64_t now_us, struct okno_proc_sample *out)
{
    char path[64], *text = NULL;
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return OKNO_E_NOTFOUND;
    int err = okno_proc_parse_stat(text, &out->cpu_ticks);
    g_free(text);
    if (err < 0)
        return err;
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return OKNO_E_NOTFOUND;
    err = okno_proc_parse_status(text, &out->rss_kb, &out->hwm_kb, &out->threads);
    g_free(text);
    out->at_us = now_us;
    return err;
}

double okno_proc_cpu_pct(const struct okno_proc_sample *a, const struct okno_proc_sample *b)
{
    long hz = sysconf(_SC_CLK_TCK);
    int64_t dt = b->at_us - a->at_us;
    if (dt <= 0 || hz <= 0 || b->cpu_ticks < a->cpu_ticks)
        return 0;
    return 100.0 * (double)(b->cpu_ticks - a->cpu_ticks) / (double)hz / ((double)dt / 1e6);
}
