#include "testutil.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linkemu/profile.h"
#include "okno/err.h"

#define S 1000000LL

static void load_named(const char *name, struct okno_profile *p)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/bench/profiles/%s.profile", OKNO_SRCDIR, name);
    int rc = okno_profile_load(path, p, err, sizeof err);
    if (rc < 0)
        fail_msg("%s", err);
    assert_string_equal(p->name, name);
}

static void test_profile_every_shipped_profile_parses(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/bench/profiles", OKNO_SRCDIR);
    GDir *d = g_dir_open(dir, 0, NULL);
    assert_non_null(d);
    int n = 0;
    for (const char *f; (f = g_dir_read_name(d));) {
        if (!g_str_has_suffix(f, ".profile"))
            continue;
        char *path = g_build_filename(dir, f, NULL), err[512];
        struct okno_profile p;
        int rc = okno_profile_load(path, &p, err, sizeof err);
        if (rc < 0)
            fail_msg("%s", err);
        assert_true(p.description[0] != '\0');
        assert_int_equal(okno_schedule_check(&p.schedule, NULL), 0);
        okno_profile_clear(&p);
        g_free(path);
        n++;
    }
    g_dir_close(d);
    assert_true(n >= 7);
    const char *required[] = {"clean",    "rfc8867-5.1",   "edge",       "3g-slow",
                              "lte-edge", "geo-satellite", "random-loss"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        struct okno_profile p;
        load_named(required[i], &p);
        okno_profile_clear(&p);
    }
}

static void test_profile_rfc8867_follows_section_5_1(void **state)
{
    (void)state;
    struct okno_profile p;
    load_named("rfc8867-5.1", &p);
    assert_int_equal(p.duration_us, 100 * S);
    const struct {
        int64_t t;
        uint64_t bps;
    } steps[] = {{0, 1000000},     {39 * S, 1000000}, {40 * S, 2500000},
                 {60 * S, 600000}, {80 * S, 1000000}, {99 * S, 1000000}};
    for (size_t i = 0; i < 6; i++) {
        struct okno_link_params up, down;
        okno_schedule_params_at(&p.schedule, steps[i].t, &up, &down);
        assert_int_equal(down.capacity_bps, steps[i].bps);
        assert_int_equal(up.capacity_bps, steps[i].bps);
        assert_int_equal(down.delay_us, 50000);
        assert_int_equal(down.queue_us, 300000);
        assert_true(down.loss == 0 && down.ge_p == 0);
    }
    okno_profile_clear(&p);
}

static void test_profile_link_types_carry_their_figures(void **state)
{
    (void)state;
    struct okno_profile p;
    const struct okno_link_params *up, *down;

    load_named("edge", &p);
    up = &p.schedule.base[0], down = &p.schedule.base[1];
    assert_int_equal(down->capacity_bps, 240000);
    assert_int_equal(up->capacity_bps, 200000);
    assert_int_equal(up->delay_us + down->delay_us, 840000);
    assert_int_equal(down->jitter_us, 40000);
    assert_true(fabs(okno_link_ge_mean_loss(down) - 0.017) < 0.001);
    assert_true(okno_link_ge_mean_burst(down) > 2);
    okno_profile_clear(&p);

    load_named("3g-slow", &p);
    up = &p.schedule.base[0], down = &p.schedule.base[1];
    assert_int_equal(down->capacity_bps, 780000);
    assert_int_equal(up->capacity_bps, 330000);
    assert_int_equal(up->delay_us + down->delay_us, 200000);
    assert_int_equal(down->jitter_us, 30000);
    assert_true(fabs(down->loss - 0.005) < 1e-12);
    okno_profile_clear(&p);

    load_named("lte-edge", &p);
    assert_int_equal(p.schedule.outage_every_us, 120 * S);
    assert_int_equal(p.schedule.outage_duration_us, 1600000);
    for (int64_t t = 0; t < 240 * S; t += S / 2) {
        struct okno_link_params u, d;
        okno_schedule_params_at(&p.schedule, t, &u, &d);
        assert_true(d.capacity_bps >= 500000 && d.capacity_bps <= 3000000);
        assert_true(u.delay_us + d.delay_us >= 70000 && u.delay_us + d.delay_us <= 150000);
        assert_true(fabs(okno_link_ge_mean_loss(&d) - 0.02) < 0.001);
    }
    okno_profile_clear(&p);

    load_named("geo-satellite", &p);
    up = &p.schedule.base[0], down = &p.schedule.base[1];
    assert_int_equal(down->capacity_bps, 1000000);
    assert_int_equal(up->capacity_bps, 256000);
    assert_int_equal(up->delay_us + down->delay_us, 600000);
    okno_profile_clear(&p);

    load_named("random-loss", &p);
    up = &p.schedule.base[0], down = &p.schedule.base[1];
    assert_int_equal(down->capacity_bps, 5000000);
    assert_int_equal(up->delay_us + down->delay_us, 60000);
    assert_true(fabs(up->loss - 0.03) < 1e-12 && fabs(down->loss - 0.03) < 1e-12);
    okno_profile_clear(&p);

    load_named("clean", &p);
    assert_int_equal(p.schedule.base[1].capacity_bps, 0);
    assert_int_equal(p.schedule.base[1].delay_us, 0);
    okno_profile_clear(&p);
}

static void test_profile_bad_values_fail_with_file_line_key_and_reason(void **state)
{
    (void)state;
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"[up]\ncapacity_kbps = 1000\nbandwidth = 5\n", "t.profile:3: [up] bandwidth: unknown"},
        {"[up]\ndelay_ms = 1O0\n", "t.profile:2: [up] delay_ms: not a number"},
        {"[down]\n\n# c\ndelay_ms = -5\n", "t.profile:4: [down] delay_ms: must not be negative"},
        {"[up]\ncapacity_kbps = 1e12\n", "t.profile:2: [up] capacity_kbps: above the limit"},
        {"[up]\ncapacity_kbps = 0\n", "[up] capacity_kbps: below 8 kbit/s"},
        {"[up]\nloss_pct = 150\n", "t.profile:2: [up] loss_pct: above the limit"},
        {"[up]\nloss_pct = nan\n", "[up] loss_pct: not a number"},
        {"[up]\nloss_pct = inf\n", "[up] loss_pct: not a number"},
        {"[up]\nqueue_bytes = 0x10\n", "[up] queue_bytes: not a number"},
        {"[up]\nqueue_bytes = 10.5\n", "[up] queue_bytes: must be a whole number"},
        {"[up]\ndelay_ms =\n", "t.profile:2: [up] delay_ms: not a number"},
        {"[up]\njitter_dist = gauss\n", "[up] jitter_dist: not a distribution"},
        {"[up]\njitter_reorder = maybe\n", "[up] jitter_reorder: not a boolean"},
        {"[up]\ndelay_ms = 5\ndelay_ms = 6\n", "t.profile:3: [up] delay_ms: given twice"},
        {"[up]\n[down]\n[up]\n", "t.profile:3: [up] given twice (first on line 1)"},
        {"[uplink]\n", "t.profile:1: unknown group [uplink]"},
        {"delay_ms = 5\n", "t.profile:1: delay_ms: key outside any group"},
        {"[up]\ndelay_ms 5\n", "t.profile:2: expected key = value"},
        {"[up\n", "t.profile:1: malformed group header"},
        {"[profile]\nduration_s = 0\n", "[profile] duration_s: must be above 0"},
        {"[profile]\ncolour = red\n", "[profile] colour: unknown key"},
        {"[schedule]\n40x = up.delay_ms=5\n", "t.profile:2: [schedule] 40x: not a time"},
        {"[schedule]\n40s = up.dleay_ms=5\n",
         "[schedule] 40s: unknown link parameter \"dleay_ms\""},
        {"[schedule]\n40s = sideways.delay_ms=5\n", "[schedule] 40s: a change must start with"},
        {"[schedule]\n40s = up.delay_ms=-5\n", "[schedule] 40s: delay_ms: must not be negative"},
        {"[schedule]\n40s = up.delay_ms=5\n40000ms = up.delay_ms=6\n",
         "t.profile:3: [schedule] 40000ms: this time is already given"},
        {"[schedule]\nperiod_s = 30\n40s = up.delay_ms=5\n",
         "t.profile:3: [schedule] change at 40.000 s is not before period_s 30.000"},
        {"[outage]\nevery_s = 10\nduration_ms = 10000\n",
         "t.profile:1: [outage] duration_ms must be shorter than every_s"},
        {"[outage]\nevery_s = 10\n", "[outage] needs every_s and duration_ms"},
        {"[outage]\nevery_s = 10\nduration_ms = 100\ndirection = left\n",
         "t.profile:4: [outage] direction: not up, down or both"},
        {"[up]\nge_p_pct = 1\n", "t.profile:1: [up] ge_p_pct above 0 needs ge_r_pct above 0"},
        {"[up]\nge_p_pct = 1\nge_r_pct = 30\n[schedule]\n\n10s = up.ge_r_pct=0\n",
         "t.profile:6: [schedule] leaves ge_p_pct above 0 with ge_r_pct 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct okno_profile p;
        char err[256];
        int rc = okno_profile_parse(cases[i].text, strlen(cases[i].text), "t.profile", &p, err,
                                    sizeof err);
        if (rc != OKNO_E_CONFIG || !strstr(err, cases[i].message))
            fail_msg("case %zu: rc %d, message \"%s\", wanted \"%s\"", i, rc, err,
                     cases[i].message);
    }
}

static void test_profile_binary_and_huge_lines_are_refused(void **state)
{
    (void)state;
    struct okno_profile p;
    char err[256];
    const char nul[] = "[up]\ndelay_ms = 5\0\n";
    assert_int_equal(okno_profile_parse(nul, sizeof nul - 1, "b", &p, err, sizeof err),
                     OKNO_E_CONFIG);
    assert_non_null(strstr(err, "b:2: NUL byte"));
    char *long_line = g_strnfill(5000, 'x');
    assert_int_equal(okno_profile_parse(long_line, 5000, "b", &p, err, sizeof err), OKNO_E_CONFIG);
    assert_non_null(strstr(err, "b:1: line longer than"));
    g_free(long_line);
    /* a tiny error buffer truncates the message but never overflows */
    char tiny[8];
    assert_int_equal(okno_profile_parse("[x]", 3, "b", &p, tiny, sizeof tiny), OKNO_E_CONFIG);
    assert_string_equal(tiny, "b:1: un");
    assert_int_equal(okno_profile_parse("[x]", 3, "b", &p, NULL, 0), OKNO_E_CONFIG);
}

static void test_profile_accepts_comments_crlf_and_defaults(void **state)
{
    (void)state;
    const char *text = "; a comment\r\n"
                       "[up]   # trailing comment\r\n"
                       "  capacity_kbps = 512   # kbit/s\r\n"
                       "jitter_reorder = yes\r\n"
                       "[schedule]\r\n"
                       "1.5s = both.outage=on, up.loss_pct = 2\r\n"
                       "2500ms = both.outage=off";
    struct okno_profile p;
    char err[256];
    assert_int_equal(
        okno_profile_parse(text, strlen(text), "dir/my-link.profile", &p, err, sizeof err), 0);
    assert_string_equal(p.name, "my-link");
    assert_int_equal(p.duration_us, 0);
    assert_int_equal(p.schedule.base[0].capacity_bps, 512000);
    assert_true(p.schedule.base[0].jitter_reorder);
    assert_int_equal(p.schedule.base[1].capacity_bps, 0);
    struct okno_link_params up, down;
    okno_schedule_params_at(&p.schedule, 2 * S, &up, &down);
    assert_true(up.outage && down.outage);
    assert_true(fabs(up.loss - 0.02) < 1e-12);
    okno_schedule_params_at(&p.schedule, 3 * S, &up, &down);
    assert_false(up.outage || down.outage);
    okno_profile_clear(&p);
}

static void test_profile_missing_file_is_an_io_error(void **state)
{
    (void)state;
    struct okno_profile p;
    char err[256];
    assert_int_equal(okno_profile_load("/nonexistent/x.profile", &p, err, sizeof err), OKNO_E_IO);
    assert_non_null(strstr(err, "/nonexistent/x.profile: cannot open"));
}

/* Runs okno-linkemu with args, under a time limit, and returns its exit status. */
static int run_tool(const char *const *args, size_t nargs, char **err_out)
{
    char tool[512];
    snprintf(tool, sizeof tool, "%s/bench/okno-linkemu", OKNO_BUILDDIR);
    const char *argv[16] = {"timeout", "10", tool};
    assert_true(nargs + 4 <= 16);
    for (size_t i = 0; i < nargs; i++)
        argv[3 + i] = args[i];
    argv[3 + nargs] = NULL;
    int status = 0;
    GError *gerr = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               err_out, &status, &gerr);
    if (!ok)
        fail_msg("spawn: %s", gerr->message);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_profile_tool_exits_with_message_on_bad_profile(void **state)
{
    (void)state;
    char path[] = "/tmp/okno-linkemu-bad-XXXXXX";
    int fd = g_mkstemp(path);
    assert_true(fd >= 0);
    const char bad[] = "[down]\ncapacity_kbps = lots\n";
    assert_int_equal(write(fd, bad, sizeof bad - 1), (ssize_t)(sizeof bad - 1));
    close(fd);
    char *err = NULL;
    const char *args[] = {"--profile", path, "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9"};
    assert_int_equal(run_tool(args, 6, &err), 2);
    char want[128];
    snprintf(want, sizeof want, "%s:2: [down] capacity_kbps: not a number", path);
    if (!strstr(err, want))
        fail_msg("stderr: %s", err);
    g_free(err);
    unlink(path);

    char good[512];
    snprintf(good, sizeof good, "%s/bench/profiles/lte-edge.profile", OKNO_SRCDIR);
    const char *check[] = {"--profile", good, "--check"};
    assert_int_equal(run_tool(check, 3, &err), 0);
    g_free(err);
    const char *outside[] = {"--profile", good, "--listen", "0.0.0.0:0", "--to", "10.0.0.1:9"};
    assert_int_equal(run_tool(outside, 6, &err), 2);
    assert_non_null(strstr(err, "loopback only"));
    g_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profile_every_shipped_profile_parses),
        cmocka_unit_test(test_profile_rfc8867_follows_section_5_1),
        cmocka_unit_test(test_profile_link_types_carry_their_figures),
        cmocka_unit_test(test_profile_bad_values_fail_with_file_line_key_and_reason),
        cmocka_unit_test(test_profile_binary_and_huge_lines_are_refused),
        cmocka_unit_test(test_profile_accepts_comments_crlf_and_defaults),
        cmocka_unit_test(test_profile_missing_file_is_an_io_error),
        cmocka_unit_test(test_profile_tool_exits_with_message_on_bad_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
