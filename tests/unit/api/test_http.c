/* The HTTP server's static file rules (src/api/http.c) on a scratch web root: what a URL path
 * names, every way out of the root refused (dot segments, encoded slashes and NULs, hidden files,
 * symlinks leading outside), and content types by extension. */
#include "testutil.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "api/http.h"

struct root {
    char *dir; /* the scratch directory: web/ and secret.txt beside it */
    char *web; /* web_root */
};

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    assert_true(g_file_set_contents(path, text, -1, NULL));
    g_free(path);
}

static int root_setup(void **state)
{
    struct root *r = g_new0(struct root, 1);
    r->dir = g_dir_make_tmp("okno-http-XXXXXX", NULL);
    assert_non_null(r->dir);
    r->web = g_build_filename(r->dir, "web", NULL);
    char *sub = g_build_filename(r->web, "kiosk", NULL);
    assert_int_equal(g_mkdir_with_parents(sub, 0700), 0);
    write_file(r->web, "index.html", "<!doctype html>");
    write_file(r->web, "okno.js", "export class OknoClient {}");
    write_file(r->web, ".env", "SECRET=1");
    write_file(sub, "index.html", "kiosk");
    write_file(r->dir, "secret.txt", "outside");
    char *link = g_build_filename(r->web, "leak.txt", NULL);
    char *target = g_build_filename(r->dir, "secret.txt", NULL);
    assert_int_equal(symlink(target, link), 0);
    char *inner = g_build_filename(r->web, "alias.js", NULL);
    assert_int_equal(symlink("okno.js", inner), 0);
    g_free(inner);
    g_free(link);
    g_free(target);
    g_free(sub);
    *state = r;
    return 0;
}

static int root_teardown(void **state)
{
    struct root *r = *state;
    char *argv[] = {"rm", "-rf", r->dir, NULL};
    assert_true(
        g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL));
    g_free(r->web);
    g_free(r->dir);
    g_free(r);
    return 0;
}

/* Expects path to name web/rel (NULL: refused with status). */
static void expect(const struct root *r, const char *path, const char *rel, unsigned status)
{
    unsigned got_status = 0;
    char *file = okno__http_static_path(r->web, path, &got_status);
    if (rel) {
        char *want = g_build_filename(r->web, rel, NULL);
        char *real_want = realpath(want, NULL);
        if (!file || strcmp(file, real_want) != 0)
            fail_msg("%s: got %s, want %s", path, file ? file : "(refused)", real_want);
        free(real_want);
        g_free(want);
    } else if (file || got_status != status) {
        fail_msg("%s: got %s (%u), want refusal %u", path, file ? file : "(refused)", got_status,
                 status);
    }
    g_free(file);
}

static void test_http_static_path_serves_files_and_directory_index(void **state)
{
    const struct root *r = *state;
    expect(r, "/", "index.html", 0);
    expect(r, "/index.html", "index.html", 0);
    expect(r, "/okno.js", "okno.js", 0);
    expect(r, "/kiosk/", "kiosk/index.html", 0);
    expect(r, "/kiosk/index.html", "kiosk/index.html", 0);
    expect(r, "/%6Fkno.js", "okno.js", 0);
    /* A symlink that stays inside the root is followed. */
    expect(r, "/alias.js", "okno.js", 0);
}

static void test_http_static_path_refuses_everything_outside_the_root(void **state)
{
    const struct root *r = *state;
    expect(r, "/../secret.txt", NULL, 404);
    expect(r, "/kiosk/../../secret.txt", NULL, 404);
    expect(r, "/%2e%2e/secret.txt", NULL, 404);
    expect(r, "/kiosk/%2E%2E/%2E%2E/secret.txt", NULL, 404);
    expect(r, "/..%2fsecret.txt", NULL, 400);
    expect(r, "/okno.js%00.html", NULL, 400);
    expect(r, "/%zz", NULL, 400);
    expect(r, "/..\\secret.txt", NULL, 404);
    expect(r, "/./okno.js", NULL, 404);
    expect(r, "/.env", NULL, 404);
    expect(r, "//okno.js", NULL, 404);
    expect(r, "/leak.txt", NULL, 404);
    expect(r, "okno.js", NULL, 400);
    expect(r, NULL, NULL, 400);
}

static void test_http_static_path_404s_missing_files_and_directories(void **state)
{
    const struct root *r = *state;
    expect(r, "/missing.html", NULL, 404);
    expect(r, "/kiosk", NULL, 404);
    expect(r, "/okno.js/", NULL, 404);
    unsigned status;
    assert_null(okno__http_static_path("/nonexistent-okno-root", "/index.html", &status));
    assert_int_equal(status, 404);
}

static void test_http_content_types_by_extension(void **state)
{
    (void)state;
    assert_string_equal(okno__http_content_type("/w/index.html"), "text/html; charset=utf-8");
    assert_string_equal(okno__http_content_type("/w/okno.js"), "text/javascript; charset=utf-8");
    assert_string_equal(okno__http_content_type("/w/style.css"), "text/css; charset=utf-8");
    assert_string_equal(okno__http_content_type("/w/LOGO.PNG"), "image/png");
    assert_string_equal(okno__http_content_type("/w/icon.svg"), "image/svg+xml");
    assert_string_equal(okno__http_content_type("/w/data.bin"), "application/octet-stream");
    assert_string_equal(okno__http_content_type("/w.d/README"), "application/octet-stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_static_path_serves_files_and_directory_index,
                                        root_setup, root_teardown),
        cmocka_unit_test_setup_teardown(test_http_static_path_refuses_everything_outside_the_root,
                                        root_setup, root_teardown),
        cmocka_unit_test_setup_teardown(test_http_static_path_404s_missing_files_and_directories,
                                        root_setup, root_teardown),
        cmocka_unit_test(test_http_content_types_by_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
