/* Text for the error codes of include/okno/err.h. Kept apart from everything else so the wire
 * formats and plugins can name errors without pulling in the rest of the core. */
#include "okno/err.h"

const char *okno_strerror(int err)
{
    switch (err) {
    case OKNO_OK:
        return "success";
#define OKNO__ERR_TEXT(name, code, msg)                                                            \
    case OKNO_E_##name:                                                                            \
        return msg;
        OKNO_ERRNO_MAP(OKNO__ERR_TEXT)
#undef OKNO__ERR_TEXT
    default:
        return "unknown error";
    }
}

const char *okno_err_name(int err)
{
    switch (err) {
    case OKNO_OK:
        return "OKNO_OK";
#define OKNO__ERR_NAME(name, code, msg)                                                            \
    case OKNO_E_##name:                                                                            \
        return "OKNO_E_" #name;
        OKNO_ERRNO_MAP(OKNO__ERR_NAME)
#undef OKNO__ERR_NAME
    default:
        return "OKNO_E_UNKNOWN";
    }
}
