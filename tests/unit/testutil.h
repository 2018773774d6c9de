/* Helpers for the cmocka unit tests: hex fixtures and fixture files.
 * Header-only so each test program stays one .c file. */
#ifndef OKNO_TESTUTIL_H
#define OKNO_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* Decodes hex text into out, skipping white space and anything after a '#' or "//" up to the end of
 * the line, so fixtures can carry one comment per row. Fails the test on odd digits or overflow.
 * Returns the byte count. */
static inline size_t okno_test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
            if (!*p)
                break;
            continue;
        }
        int v;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            v = *p - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(n < cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    assert_int_equal(hi, -1);
    return n;
}

/* Reads tests/<relpath> from the source tree into a NUL-terminated heap buffer (free() it); the
 * length without the NUL goes to *len when len is not NULL. Fails the test if the file cannot be
 * read. */
static inline char *okno_test_read_file(const char *relpath, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/%s", OKNO_SRCDIR, relpath);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(size >= 0);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    buf[size] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)size;
    return buf;
}

#endif
