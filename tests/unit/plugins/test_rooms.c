/* The rooms plugin (plugins/rooms/rooms.c), loaded by the real plugin host from the build's
 * plugins/.libs/: its roles from config, refusals with a reason, everyone receiving everyone else,
 * the join and leave log lines, and config errors that stop it from loading. */
#include "testutil.h"

#include <glib.h>

#include "host_fixture.h"
#include "okno/rooms.h"

#define PLUGIN_DIR OKNO_BUILDDIR "/plugins/.libs"

struct fixture {
    struct okno_test_host h;
    const struct okno_rooms_ops *ops;
    void *state;
};

/* Loads the rooms plugin with [plugin.rooms] group text; returns its rc, the reason in *why. */
static int fixture_load(struct fixture *f, const char *group, char **why)
{
    char *text = g_strconcat("[plugin.rooms]\n", group, NULL);
    okno_test_host_new(&f->h, "rooms.conf", PLUGIN_DIR, text, NULL);
    g_free(text);
    int rc = okno_plugin_host_load(f->h.host, "rooms", why);
    if (rc == 0) {
        const struct okno_plugin_descriptor *d =
            okno_plugin_host_find_kind(f->h.host, "rooms", &f->state);
        assert_non_null(d);
        assert_string_equal(d->name, "rooms");
        f->ops = d->ops;
        assert_non_null(f->ops);
        assert_true(OKNO_ROOMS_OPS_HAS(f->ops, on_left));
    }
    return rc;
}

static char *fixture_log(struct fixture *f)
{
    return okno_test_host_log(&f->h);
}

static void fixture_clear(struct fixture *f)
{
    okno_test_host_free(&f->h);
    memset(f, 0, sizeof *f);
}

static int authorize(struct fixture *f, const char *role, char *reason)
{
    const struct okno_rooms_participant who = {"room-1", NULL, "Kiosk 3", role};
    struct okno_rooms_join_decision d = {{0}};
    int rc = f->ops->authorize_join(f->state, &who, NULL, &d);
    strcpy(reason, d.reason);
    return rc;
}

static void test_rooms_default_roles_admit_kiosk_specialist_observer_only(void **state)
{
    (void)state;
    struct fixture f = {0};
    assert_int_equal(fixture_load(&f, "", NULL), 0);
    char reason[128];
    assert_int_equal(authorize(&f, "kiosk", reason), 0);
    assert_int_equal(authorize(&f, "specialist", reason), 0);
    assert_int_equal(authorize(&f, "observer", reason), 0);
    assert_int_equal(authorize(&f, "operator", reason), OKNO_E_DENIED);
    assert_string_equal(reason, "role 'operator' is not one of kiosk, specialist, observer");
    assert_int_equal(authorize(&f, "Kiosk", reason), OKNO_E_DENIED);
    /* Any room, any name, with or without a token. */
    const struct okno_rooms_participant who = {"another.room", NULL, "Любой", "observer"};
    struct okno_rooms_join_decision d = {{0}};
    assert_int_equal(f.ops->authorize_join(f.state, &who, "some-token", &d), 0);
    char *log = fixture_log(&f);
    assert_non_null(strstr(log, "[plugin.rooms] open rooms; roles: kiosk, specialist, observer"));
    g_free(log);
    fixture_clear(&f);
}

static void test_rooms_configured_roles_replace_the_default(void **state)
{
    (void)state;
    struct fixture f = {0};
    assert_int_equal(fixture_load(&f, "roles = patient , doctor,, nurse-2\n", NULL), 0);
    char reason[128];
    assert_int_equal(authorize(&f, "doctor", reason), 0);
    assert_int_equal(authorize(&f, "nurse-2", reason), 0);
    assert_int_equal(authorize(&f, "kiosk", reason), OKNO_E_DENIED);
    assert_string_equal(reason, "role 'kiosk' is not one of patient, doctor, nurse-2");
    fixture_clear(&f);
}

static void test_rooms_everyone_receives_everyone_but_themselves(void **state)
{
    (void)state;
    struct fixture f = {0};
    assert_int_equal(fixture_load(&f, "", NULL), 0);
    const struct okno_rooms_participant kiosk = {"r", "p1", "Kiosk", "kiosk"};
    const struct okno_rooms_participant doctor = {"r", "p2", "Doctor", "specialist"};
    const struct okno_rooms_participant observer = {"r", "p3", "Obs", "observer"};
    assert_true(f.ops->may_receive(f.state, &kiosk, &doctor, "video"));
    assert_true(f.ops->may_receive(f.state, &doctor, &kiosk, "audio"));
    assert_true(f.ops->may_receive(f.state, &kiosk, &observer, "audio"));
    assert_true(f.ops->may_receive(f.state, &observer, &doctor, "video"));
    assert_false(f.ops->may_receive(f.state, &kiosk, &kiosk, "video"));
    fixture_clear(&f);
}

static void test_rooms_logs_joins_and_leaves(void **state)
{
    (void)state;
    struct fixture f = {0};
    assert_int_equal(fixture_load(&f, "", NULL), 0);
    const struct okno_rooms_participant who = {"mfc-42", "p7", "Kiosk 3", "kiosk"};
    f.ops->on_joined(f.state, &who);
    f.ops->on_left(f.state, &who);
    char *log = fixture_log(&f);
    assert_non_null(strstr(log, "info  [plugin.rooms] p7 joined room mfc-42 as kiosk (Kiosk 3)"));
    assert_non_null(strstr(log, "info  [plugin.rooms] p7 left room mfc-42"));
    g_free(log);
    fixture_clear(&f);
}

static void test_rooms_bad_config_stops_it_loading(void **state)
{
    (void)state;
    const char *groups[] = {
        "roles = ,\n",
        "roles = kiosk, bad role\n",
        "roles = kiosk, kiosk\n",
        "roles = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
        "queue = 3\n",
    };
    const char *logged[] = {
        "roles: must list at least one role",
        "roles: role 'bad role' must be made of A-Z, a-z, 0-9, _ and -",
        "roles: role 'kiosk' is listed twice",
        "roles: a role is at most 32 characters",
        "[plugin.rooms] queue: unknown key",
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        struct fixture f = {0};
        char *why = NULL;
        assert_int_equal(fixture_load(&f, groups[i], &why), OKNO_E_CONFIG);
        assert_non_null(strstr(why, "init failed"));
        char *log = fixture_log(&f);
        if (!strstr(log, logged[i]))
            fail_msg("%s: log lacks '%s':\n%s", groups[i], logged[i], log);
        assert_int_equal(okno_plugin_host_count(f.h.host), 0);
        g_free(log);
        g_free(why);
        fixture_clear(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rooms_default_roles_admit_kiosk_specialist_observer_only),
        cmocka_unit_test(test_rooms_configured_roles_replace_the_default),
        cmocka_unit_test(test_rooms_everyone_receives_everyone_but_themselves),
        cmocka_unit_test(test_rooms_logs_joins_and_leaves),
        cmocka_unit_test(test_rooms_bad_config_stops_it_loading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
