/* The okno daemon: parses options, loads and checks the configuration, then starts the subsystems
 * in the order of the table below and runs the main GMainLoop until SIGINT or SIGTERM, when it
 * stops them in reverse order and exits 0. Adding a subsystem (the HTTP server, next) is one
 * start/stop pair and one row in that table. A configuration problem or a subsystem that cannot
 * start stops okno with exit status 1 before it serves anything; a usage error exits 2. It
 * deliberately holds no logic of its own beyond that order: each subsystem is its module's. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>
#include <glib.h>

#include "api/http.h"
#include "api/session.h"
#include "core/config.h"
#include "core/log.h"
#include "core/plugin_host.h"
#include "core/worker.h"
#include "okno/bwe.h"
#include "okno/rooms.h"
#include "sfu/sfu.h"

#define EXIT_USAGE 2

struct app {
    /* options */
    char *config_path;
    gboolean check_config;
    gboolean version;
    /* owned, set up by the subsystems */
    struct okno_config *cfg;
    struct okno_workers *workers;
    struct okno_plugin_host *plugins;
    struct okno_sfu *sfu;
    struct okno_sessions *sessions;
    struct okno_http *http;
    GMainLoop *loop;
    guint sigint_source;
    guint sigterm_source;
};

/* --- subsystems --------------------------------------------------------------------------------
 */

static int start_workers(struct app *app)
{
    int64_t n = okno_config_int(app->cfg, "general", "workers");
    int rc = okno_workers_start((unsigned)n, &app->workers);
    if (rc != 0) {
        okno_log(OKNO_LOG_ERROR, "main", "cannot start media workers: %s", okno_strerror(rc));
        return rc;
    }
    /* A refusal is logged and okno goes on at normal priority: slower under contention, not
     * broken. */
    int64_t prio = okno_config_int(app->cfg, "general", "realtime_priority");
    if (prio > 0 && okno_workers_set_priority(app->workers, (int)prio) == 0)
        okno_log(OKNO_LOG_INFO, "main", "media workers run at SCHED_RR priority %d", (int)prio);
    return 0;
}

static void stop_workers(struct app *app)
{
    okno_workers_stop(app->workers);
    app->workers = NULL;
}

static void stop_plugins(struct app *app)
{
    okno_plugin_host_free(app->plugins);
    app->plugins = NULL;
}

static int start_plugins(struct app *app)
{
    okno_plugin_host_new(app->cfg, NULL, &app->plugins);
    char *why = NULL;
    int rc = okno_plugin_host_load_configured(app->plugins, &why);
    if (rc != 0) {
        okno_log(OKNO_LOG_ERROR, "main", "%s", why);
        g_free(why);
        stop_plugins(app); /* the plugins loaded before the failure */
    }
    return rc;
}

/* The SFU starts before the signalling sessions and stops after them: events outside that span
 * have no session to go to. */
static void on_sfu_event(void *ud, const struct okno_sfu_event *ev)
{
    struct app *app = ud;
    if (app->sessions)
        okno_sessions_on_sfu_event(app->sessions, ev);
}

/* The loaded plugin of kind "rooms" (its ops may be NULL for a plugin that has none yet). */
static const struct okno_rooms_ops *rooms_policy(struct app *app, void **state)
{
    *state = NULL;
    const struct okno_plugin_descriptor *d =
        okno_plugin_host_find_kind(app->plugins, "rooms", state);
    return d ? d->ops : NULL;
}

static void stop_sfu(struct app *app)
{
    okno_sfu_destroy(app->sfu);
    app->sfu = NULL;
}

static int start_sfu(struct app *app)
{
    const struct okno_sfu_listener listener = {.on_event = on_sfu_event, .ud = app};
    void *policy_state;
    const struct okno_rooms_ops *policy = rooms_policy(app, &policy_state);
    int rc = okno_sfu_create(app->workers, app->cfg, policy, policy_state, &listener, &app->sfu);
    if (rc != 0) {
        okno_log(OKNO_LOG_ERROR, "main", "cannot start the SFU: %s", okno_strerror(rc));
        return rc;
    }
    /* Without a bwe plugin okno forwards as before, with no estimates. The host checked its ops. */
    void *bwe_state = NULL;
    const struct okno_plugin_descriptor *bwe =
        okno_plugin_host_find_kind(app->plugins, OKNO_BWE_KIND, &bwe_state);
    if (bwe)
        rc = okno_sfu_set_bwe(app->sfu, bwe->ops, bwe_state);
    if (rc != 0)
        stop_sfu(app);
    return rc;
}

static int start_sessions(struct app *app)
{
    void *state;
    const struct okno_rooms_ops *rooms = rooms_policy(app, &state);
    return okno_sessions_new(app->sfu, rooms, state, &app->sessions);
}

/* Closes every WebSocket; each session leaves its room first. */
static void stop_sessions(struct app *app)
{
    okno_sessions_free(app->sessions);
    app->sessions = NULL;
}

static int start_http(struct app *app)
{
    return okno_http_start(app->cfg, app->sessions, &app->http);
}

static void stop_http(struct app *app)
{
    okno_http_stop(app->http);
    app->http = NULL;
}

static gboolean on_signal(gpointer user_data, const char *name)
{
    struct app *app = user_data;
    okno_log(OKNO_LOG_INFO, "main", "%s: stopping", name);
    g_main_loop_quit(app->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean on_sigint(gpointer user_data)
{
    return on_signal(user_data, "SIGINT");
}

static gboolean on_sigterm(gpointer user_data)
{
    return on_signal(user_data, "SIGTERM");
}

/* Signals are handled last so that a signal during start-up kills okno the default way: nothing is
 * serving yet, and half-started subsystems are not left waiting for a loop that never runs. */
static int start_signals(struct app *app)
{
    app->sigint_source = g_unix_signal_add(SIGINT, on_sigint, app);
    app->sigterm_source = g_unix_signal_add(SIGTERM, on_sigterm, app);
    return 0;
}

static void stop_signals(struct app *app)
{
    g_source_remove(app->sigint_source);
    g_source_remove(app->sigterm_source);
}

struct subsystem {
    const char *name;
    int (*start)(struct app *app);
    void (*stop)(struct app *app);
};

/* Started top to bottom, stopped bottom to top. A start that fails undoes its own partial work
 * before returning; main then stops only the subsystems above it. */
static const struct subsystem subsystems[] = {
    {"workers", start_workers, stop_workers},
    {"plugins", start_plugins, stop_plugins},
    {"sfu", start_sfu, stop_sfu},
    {"sessions", start_sessions, stop_sessions},
    {"http", start_http, stop_http},
    {"signals", start_signals, stop_signals},
};

static void stop_subsystems(struct app *app, size_t started)
{
    for (size_t i = started; i > 0; i--) {
        if (subsystems[i - 1].stop)
            subsystems[i - 1].stop(app);
    }
}

/* --- options and configuration -----------------------------------------------------------------
 */

/* Returns -1 to go on, or an exit status. */
static int parse_options(struct app *app, int *argc, char ***argv)
{
    const GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &app->config_path,
         "Configuration file (see conf/okno.conf)", "FILE"},
        {"check-config", 0, 0, G_OPTION_ARG_NONE, &app->check_config,
         "Check the configuration and its plugins, print the verdict, exit 0 if it is good", NULL},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &app->version, "Print okno's version and exit",
         NULL},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx = g_option_context_new("- WebRTC SFU for video consultations");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "okno runs until SIGINT or SIGTERM. Exit status: 0 on a clean stop or a good\n"
             "configuration, 1 on a configuration or start-up error, 2 on a usage error.\n");
    GError *err = NULL;
    bool ok = g_option_context_parse(ctx, argc, argv, &err);
    g_option_context_free(ctx);
    if (!ok) {
        fprintf(stderr, "okno: %s (okno --help)\n", err->message);
        g_error_free(err);
        return EXIT_USAGE;
    }
    if (app->version) {
        printf("okno %s\n", PACKAGE_VERSION);
        return EXIT_SUCCESS;
    }
    if (*argc > 1) {
        fprintf(stderr, "okno: unexpected argument '%s' (okno --help)\n", (*argv)[1]);
        return EXIT_USAGE;
    }
    if (!app->config_path) {
        fprintf(stderr, "okno: --config FILE is required (okno --help)\n");
        return EXIT_USAGE;
    }
    return -1;
}

static int load_config(struct app *app)
{
    char *errors = NULL;
    if (okno_config_load(app->config_path, &app->cfg, &errors) != 0) {
        fprintf(stderr, "%s\n%s: configuration refused\n", errors, app->config_path);
        g_free(errors);
        return EXIT_FAILURE;
    }
    /* The enum's allowed list is in okno_log_level order, so the index is the level. */
    okno_log_set_level((enum okno_log_level)okno_config_enum(app->cfg, "general", "log_level"));
    return EXIT_SUCCESS;
}

/* The verdict for --check-config: the file and, without running them, every configured plugin. */
static int check_config(struct app *app)
{
    struct okno_plugin_host *host;
    okno_plugin_host_new(app->cfg, NULL, &host);
    int bad = 0;
    for (const char *const *n = okno_config_strv(app->cfg, "plugins", "load"); *n; n++) {
        char *why = NULL;
        if (okno_plugin_host_check(host, *n, &why) != 0) {
            fprintf(stderr, "%s\n", why);
            g_free(why);
            bad++;
        }
    }
    okno_plugin_host_free(host);
    if (bad) {
        fprintf(stderr, "%s: configuration refused\n", app->config_path);
        return EXIT_FAILURE;
    }
    printf("%s: configuration OK\n", app->config_path);
    return EXIT_SUCCESS;
}

static int run(struct app *app)
{
    app->loop = g_main_loop_new(NULL, FALSE);
    size_t started = 0;
    for (; started < G_N_ELEMENTS(subsystems); started++) {
        if (subsystems[started].start(app) != 0) {
            okno_log(OKNO_LOG_ERROR, "main", "%s did not start; okno stops",
                     subsystems[started].name);
            stop_subsystems(app, started);
            g_main_loop_unref(app->loop);
            return EXIT_FAILURE;
        }
    }
    okno_log(OKNO_LOG_INFO, "main", "okno %s running with %s", PACKAGE_VERSION, app->config_path);
    g_main_loop_run(app->loop);
    stop_subsystems(app, started);
    g_main_loop_unref(app->loop);
    okno_log(OKNO_LOG_INFO, "main", "okno stopped");
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    struct app app = {0};
    okno_log_init();
    int status = parse_options(&app, &argc, &argv);
    if (status < 0) {
        status = load_config(&app);
        if (status == EXIT_SUCCESS)
            status = app.check_config ? check_config(&app) : run(&app);
    }
    okno_config_free(app.cfg);
    g_free(app.config_path);
    return status;
}
