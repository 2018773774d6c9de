/* Fuzzes the link memory's file line format (src/sfu/link_file.h): a file okno reads at start,
 * which an operator may edit or a crash may cut. Any bytes parse into a record or an error, never
 * a crash or an overrun; a record that parses formats back into the same line (newline added,
 * leading zeros of its numbers dropped), and that line parses again into the same record. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/link_file.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct okno_link_record r;
    if (okno_link_file_parse((const char *)data, size, &r) != 0)
        return 0;
    CHECK(memchr(r.key, 0, sizeof r.key) != NULL);
    CHECK(okno_link_key_storable(r.key));
    char line[OKNO_LINK_LINE_MAX];
    int n = okno_link_file_format(&r, line, sizeof line);
    /* The same line, but for leading zeros: the one spelling format does not keep. */
    CHECK(n > 0 && (size_t)n <= size + 1 && line[n - 1] == '\n');
    CHECK((size_t)n < size + 1 || memcmp(line, data, size) == 0);
    struct okno_link_record again;
    CHECK(okno_link_file_parse(line, (size_t)n - 1, &again) == 0);
    CHECK(again.rates.up_bps == r.rates.up_bps && again.rates.down_bps == r.rates.down_bps &&
          again.stored_s == r.stored_s && strcmp(again.key, r.key) == 0);
    /* Too small a buffer is an error, never a cut line. */
    CHECK(okno_link_file_format(&r, line, (size_t)n) == OKNO_E_NOSPC);
    return 0;
}
