/* The link memory's line format (link_file.h). */
#include "sfu/link_file.h"

#include <stdio.h>
#include <string.h>

#include "okno/err.h"

#define MAX_STORED_S ((int64_t)1 << 40)

int okno_link_key_storable(const char *key)
{
    size_t n = 0;
    for (; key[n]; n++)
        if (key[n] <= ' ' || key[n] > '~' || n + 1 >= OKNO_LINK_KEY_MAX)
            return 0;
    return n > 0;
}

/* A decimal number of at most 20 digits and at most max at *p, up to a space or end; advances *p
 * past it. */
static int number(const char **p, const char *end, uint64_t max, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t digits = 0;
    for (; s < end && *s != ' '; s++, digits++) {
        if (*s < '0' || *s > '9' || digits >= 20)
            return OKNO_E_MALFORMED;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return OKNO_E_MALFORMED;
        v = v * 10 + d;
    }
    if (digits == 0 || s == end)
        return OKNO_E_MALFORMED; /* the key follows: a space must too */
    *p = s + 1;
    *out = v;
    return 0;
}

int okno_link_file_parse(const char *line, size_t len, struct okno_link_record *out)
{
    if (!line || !out)
        return OKNO_E_MALFORMED;
    const char *p = line, *end = line + len;
    uint64_t up, down, stored;
    if (number(&p, end, UINT32_MAX, &up) || number(&p, end, UINT32_MAX, &down) ||
        number(&p, end, (uint64_t)MAX_STORED_S, &stored))
        return OKNO_E_MALFORMED;
    size_t klen = (size_t)(end - p);
    if (klen == 0 || klen >= sizeof out->key)
        return OKNO_E_MALFORMED;
    memcpy(out->key, p, klen);
    out->key[klen] = '\0';
    if (!okno_link_key_storable(out->key))
        return OKNO_E_MALFORMED;
    out->rates = (struct okno_link_rates){(uint32_t)up, (uint32_t)down};
    out->stored_s = (int64_t)stored;
    return 0;
}

int okno_link_file_format(const struct okno_link_record *rec, char *buf, size_t cap)
{
    if (!rec || memchr(rec->key, 0, sizeof rec->key) == NULL || !okno_link_key_storable(rec->key) ||
        rec->stored_s < 0 || rec->stored_s > MAX_STORED_S)
        return OKNO_E_INVAL;
    int n = snprintf(buf, cap, "%u %u %lld %s\n", (unsigned)rec->rates.up_bps,
                     (unsigned)rec->rates.down_bps, (long long)rec->stored_s, rec->key);
    if (n < 0 || (size_t)n >= cap)
        return OKNO_E_NOSPC;
    return n;
}
