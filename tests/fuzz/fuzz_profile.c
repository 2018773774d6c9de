/* Fuzzes okno-bench's link profile reader (bench/linkemu/profile.h), a hand-written INI parser
 * that engineers feed their own files. Any text must end in a profile or a one-line message,
 * never a crash, a hang or an overrun of the message buffer, whatever its size (0 included). A
 * profile that loads is one the emulator can run: its schedule passes the model's check, its
 * changes are in order within the run (and the period), and walking it from change to change
 * always moves forward. The same text always gives the same answer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "linkemu/profile.h"
#include "okno/err.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#define ERR_CAP   256
#define MAX_STEPS 10000

static void check_profile(const struct okno_profile *p)
{
    CHECK(memchr(p->name, 0, sizeof p->name) != NULL);
    CHECK(memchr(p->description, 0, sizeof p->description) != NULL);
    CHECK(p->duration_us >= 0 && p->duration_us <= OKNO_SCHEDULE_MAX_US);
    const struct okno_schedule *s = &p->schedule;
    const struct okno_schedule_change *bad = NULL;
    CHECK(okno_schedule_check(s, &bad) == 0);
    CHECK(s->n_changes <= OKNO_SCHEDULE_MAX_CHANGES);
    CHECK(s->period_us >= 0 && s->period_us <= OKNO_SCHEDULE_MAX_US);
    for (size_t i = 0; i < s->n_changes; i++) {
        const struct okno_schedule_change *c = &s->changes[i];
        CHECK(c->at_us >= 0 && c->at_us <= OKNO_SCHEDULE_MAX_US);
        CHECK(s->period_us == 0 || c->at_us < s->period_us);
        CHECK(c->dirs != 0 && (c->dirs & ~(unsigned)OKNO_DIR_BOTH) == 0);
        CHECK(i == 0 || s->changes[i - 1].at_us <= c->at_us);
    }
    /* The relay sleeps until the next change: it must come later than now, every time. */
    int64_t t = 0;
    for (int step = 0; step < MAX_STEPS; step++) {
        int64_t next = okno_schedule_next_change(s, t);
        if (next == INT64_MAX || next > OKNO_SCHEDULE_MAX_US)
            break;
        CHECK(next > t);
        struct okno_link_params up, down;
        okno_schedule_params_at(s, next, &up, &down);
        CHECK(okno_link_params_check(&up) == 0 && okno_link_params_check(&down) == 0);
        t = next;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > OKNO_PROFILE_MAX_BYTES)
        return 0;
    const char *text = (const char *)data;
    struct okno_profile p;
    char err[ERR_CAP + 1];
    memset(err, 0x5a, sizeof err);
    int rc = okno_profile_parse(text, size, "fuzz.profile", &p, err, ERR_CAP);
    CHECK(err[ERR_CAP] == 0x5a); /* nothing written past the size given */
    if (rc == 0) {
        check_profile(&p);
        okno_profile_clear(&p);
    } else {
        CHECK(rc == OKNO_E_CONFIG || rc == OKNO_E_NOMEM);
        size_t n = strnlen(err, ERR_CAP);
        CHECK(n > 0 && n < ERR_CAP);
        CHECK(memchr(err, '\n', n) == NULL); /* one line */
    }
    /* A message buffer too small for any message, and none at all. */
    char tiny[9];
    memset(tiny, 0x5a, sizeof tiny);
    struct okno_profile q;
    int rc2 = okno_profile_parse(text, size, "fuzz.profile", &q, tiny, 8);
    CHECK(rc2 == rc && tiny[8] == 0x5a);
    CHECK(rc2 == 0 || memchr(tiny, 0, 8) != NULL);
    if (rc2 == 0)
        okno_profile_clear(&q);
    int rc3 = okno_profile_parse(text, size, "fuzz.profile", &q, NULL, 0);
    CHECK(rc3 == rc);
    if (rc3 == 0)
        okno_profile_clear(&q);
    return 0;
}
