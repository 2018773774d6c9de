/* Error codes shared by the core, the wire formats and plugins.
 *
 * Every function that can fail returns 0 (or a non-negative count) on success and one of these
 * negative codes on failure, libuv style. The numbers are part of the plugin ABI: append, never
 * renumber. */
#ifndef OKNO_ERR_H
#define OKNO_ERR_H

#define OKNO_ERRNO_MAP(XX)                                                                         \
    XX(INVAL, -1, "invalid argument")                                                              \
    XX(TRUNCATED, -2, "input truncated")                                                           \
    XX(MALFORMED, -3, "malformed input")                                                           \
    XX(VERSION, -4, "unsupported version")                                                         \
    XX(NOSPC, -5, "output buffer too small")                                                       \
    XX(NOTFOUND, -6, "not found")                                                                  \
    XX(RANGE, -7, "value out of range")                                                            \
    XX(UNSUPPORTED, -8, "not supported")                                                           \
    XX(NOMEM, -9, "out of memory")                                                                 \
    XX(IO, -10, "input/output error")                                                              \
    XX(CONFIG, -11, "bad configuration")                                                           \
    XX(ABI, -12, "plugin ABI mismatch")                                                            \
    XX(STATE, -13, "operation not valid in this state")                                            \
    XX(EXISTS, -14, "already exists")                                                              \
    XX(AGAIN, -15, "resource temporarily unavailable")                                             \
    XX(TIMEOUT, -16, "timed out")                                                                  \
    XX(DENIED, -17, "not allowed")                                                                 \
    XX(CLOSED, -18, "closed")

enum okno_err {
    OKNO_OK = 0,
#define OKNO__ERR_ENUM(name, code, msg) OKNO_E_##name = (code),
    OKNO_ERRNO_MAP(OKNO__ERR_ENUM)
#undef OKNO__ERR_ENUM
};

/* Human text for an error code ("input truncated"); never NULL, static storage. */
const char *okno_strerror(int err);
/* Symbolic name for an error code ("OKNO_E_TRUNCATED"); never NULL, static storage. */
const char *okno_err_name(int err);

#endif
