/* okno-linkemu: runs the link emulator's UDP relay (relay.h) with a profile from bench/profiles,
 * so a client's media to a local okno (or any UDP peer) crosses an emulated bad link.
 *
 *   okno-linkemu --profile FILE --listen 127.0.0.1:PORT --to 127.0.0.1:PORT [--listen .. --to ..]
 *                [--seed N] [--duration S] [--stats] [--check]
 *
 * Each --listen pairs with the --to in the same position. --duration defaults to the profile's
 * duration_s (none: until SIGINT or SIGTERM). --stats prints one line per second per direction;
 * a summary is printed at the end in any case. --check validates the profile, prints what it
 * implies and exits. Exit status: 0 done, 1 the relay could not start, 2 bad usage or profile.
 * It deliberately does nothing but glue: parsing, modelling and relaying live in the library. */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "linkemu/profile.h"
#include "linkemu/relay.h"
#include "okno/err.h"

struct run {
    GMainLoop *loop;
    struct okno_relay *relay;
    struct okno_relay_stats last;
};

static void describe(const char *dir, const struct okno_link_params *p)
{
    if (p->capacity_bps)
        printf("  %-4s %.0f kbit/s, queue %.0f ms", dir, (double)p->capacity_bps / 1e3,
               (double)p->queue_us / 1e3);
    else
        printf("  %-4s unlimited", dir);
    printf(", delay %.1f ms, jitter %.1f ms %s%s, loss %.2f %%", (double)p->delay_us / 1e3,
           (double)p->jitter_us / 1e3, p->jitter_dist ? "uniform" : "normal",
           p->jitter_reorder ? " reordering" : "", p->loss * 100);
    if (p->ge_p > 0)
        printf(", bursty loss %.2f %% in bursts of %.1f packets", okno_link_ge_mean_loss(p) * 100,
               okno_link_ge_mean_burst(p));
    printf("\n");
}

static void print_dir(const char *name, const struct okno_link_stats *now,
                      const struct okno_link_stats *before, double secs)
{
    uint64_t drops[OKNO_LINK_N_VERDICTS];
    for (int v = 0; v < OKNO_LINK_N_VERDICTS; v++)
        drops[v] = now->dropped[v] - before->dropped[v];
    uint64_t qn = now->qdelay_count - before->qdelay_count;
    double qavg = qn ? (double)(now->qdelay_sum_us - before->qdelay_sum_us) / (double)qn / 1e3 : 0;
    printf(" %s in %" PRIu64 " pkt %.0f kbit/s out %" PRIu64 " pkt %.0f kbit/s drop", name,
           now->packets_in - before->packets_in,
           (double)(now->bytes_in - before->bytes_in) * 8 / secs / 1e3,
           now->packets_out - before->packets_out,
           (double)(now->bytes_out - before->bytes_out) * 8 / secs / 1e3);
    for (int v = 1; v < OKNO_LINK_N_VERDICTS; v++)
        if (drops[v])
            printf(" %s=%" PRIu64, okno_link_verdict_name(v), drops[v]);
    printf(" qdelay %.1f ms (max so far %.1f) queued %zu;", qavg, (double)now->qdelay_max_us / 1e3,
           now->queued_packets);
}

static gboolean on_second(gpointer data)
{
    struct run *run = data;
    struct okno_relay_stats s;
    okno_relay_stats(run->relay, &s);
    printf("t=%.1fs", (double)s.elapsed_us / 1e6);
    print_dir("up", &s.up, &run->last.up, 1.0);
    print_dir("down", &s.down, &run->last.down, 1.0);
    printf("\n");
    fflush(stdout);
    run->last = s;
    return G_SOURCE_CONTINUE;
}

static gboolean on_stop(gpointer data)
{
    g_main_loop_quit(((struct run *)data)->loop);
    return G_SOURCE_CONTINUE;
}

static int usage(GOptionContext *oc, const char *msg)
{
    fprintf(stderr, "okno-linkemu: %s\n", msg);
    char *help = g_option_context_get_help(oc, TRUE, NULL);
    fputs(help, stderr);
    g_free(help);
    return 2;
}

static int start(struct run *run, const struct okno_profile *prof, char **listen, char **to,
                 guint64 seed)
{
    struct okno_relay_config cfg = {.schedule = &prof->schedule, .seed = seed};
    int rc = okno_relay_create(NULL, &cfg, okno_clock_now_us(), &run->relay);
    if (rc < 0) {
        fprintf(stderr, "okno-linkemu: cannot start the relay: %s\n", okno_strerror(rc));
        return 1;
    }
    for (int i = 0; listen[i]; i++) {
        struct sockaddr_in l, t;
        if (okno_relay_parse_addr(listen[i], &l) < 0 || okno_relay_parse_addr(to[i], &t) < 0) {
            fprintf(stderr, "okno-linkemu: %s -> %s: want 127.x.x.x:PORT (loopback only)\n",
                    listen[i], to[i]);
            return 2;
        }
        int idx = okno_relay_add_mapping(run->relay, &l, &t);
        if (idx < 0) {
            fprintf(stderr, "okno-linkemu: cannot relay %s -> %s: %s (%s)\n", listen[i], to[i],
                    okno_strerror(idx), g_strerror(errno));
            return 1;
        }
        printf("relaying 127.0.0.1:%d -> %s\n", okno_relay_listen_port(run->relay, idx), to[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    char *profile_path = NULL;
    char **listen = NULL, **to = NULL;
    gint64 seed = 1;
    double duration = -1;
    gboolean stats = FALSE, check = FALSE;
    GOptionEntry entries[] = {
        {"profile", 0, 0, G_OPTION_ARG_FILENAME, &profile_path, "link profile", "FILE"},
        {"listen", 0, 0, G_OPTION_ARG_STRING_ARRAY, &listen, "where clients send", "ADDR:PORT"},
        {"to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &to, "where datagrams go", "ADDR:PORT"},
        {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "PRNG seed [1]", "N"},
        {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &duration, "seconds to run", "S"},
        {"stats", 0, 0, G_OPTION_ARG_NONE, &stats, "print statistics every second", NULL},
        {"check", 0, 0, G_OPTION_ARG_NONE, &check, "validate the profile and exit", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *oc = g_option_context_new("- relay UDP through an emulated link");
    g_option_context_add_main_entries(oc, entries, NULL);
    GError *gerr = NULL;
    int status = 0;
    struct okno_profile prof;
    bool loaded = false;
    struct run run = {0};
    if (!g_option_context_parse(oc, &argc, &argv, &gerr)) {
        status = usage(oc, gerr->message);
        g_clear_error(&gerr);
        goto out;
    }
    if (!profile_path) {
        status = usage(oc, "--profile is required");
        goto out;
    }
    guint nl = listen ? g_strv_length(listen) : 0, nt = to ? g_strv_length(to) : 0;
    if (!check && (nl == 0 || nl != nt)) {
        status = usage(oc, "give --listen and --to in pairs, at least one of each");
        goto out;
    }
    if (duration != -1 && !(duration >= 0 && duration <= 86400)) {
        status = usage(oc, "--duration must be 0 to 86400 seconds");
        goto out;
    }
    char err[512];
    if (okno_profile_load(profile_path, &prof, err, sizeof err) < 0) {
        fprintf(stderr, "okno-linkemu: %s\n", err);
        status = 2;
        goto out;
    }
    loaded = true;
    printf("profile %s: %s\n", prof.name, prof.description);
    describe("up", &prof.schedule.base[0]);
    describe("down", &prof.schedule.base[1]);
    printf("  %zu timed changes%s%s\n", prof.schedule.n_changes,
           prof.schedule.period_us ? ", repeating" : "",
           prof.schedule.outage_every_us ? ", repeating outages" : "");
    if (check)
        goto out;
    if (duration < 0)
        duration = (double)prof.duration_us / 1e6;
    status = start(&run, &prof, listen, to, (guint64)seed);
    if (status)
        goto out;
    fflush(stdout);
    run.loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGINT, on_stop, &run);
    g_unix_signal_add(SIGTERM, on_stop, &run);
    if (duration > 0)
        g_timeout_add((guint)(duration * 1000), on_stop, &run);
    if (stats)
        g_timeout_add(1000, on_second, &run);
    g_main_loop_run(run.loop);
    struct okno_relay_stats s;
    okno_relay_stats(run.relay, &s);
    memset(&run.last, 0, sizeof run.last);
    printf("total after %.1f s:", (double)s.elapsed_us / 1e6);
    print_dir("up", &s.up, &run.last.up, (double)s.elapsed_us / 1e6);
    print_dir("down", &s.down, &run.last.down, (double)s.elapsed_us / 1e6);
    printf(" clients %" PRIu64 " oversize %" PRIu64 " refused %" PRIu64 " send errors %" PRIu64
           "\n",
           s.clients, s.oversize, s.refused, s.send_errors);
out:
    okno_relay_destroy(run.relay);
    if (run.loop)
        g_main_loop_unref(run.loop);
    if (loaded)
        okno_profile_clear(&prof);
    g_option_context_free(oc);
    g_free(profile_path);
    g_strfreev(listen);
    g_strfreev(to);
    return status;
}
