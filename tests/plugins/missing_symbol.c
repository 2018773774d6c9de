/* Test plugin "test_missing_symbol": a shared object that exports a function, but not
 * okno_plugin_describe, as a library put in the plugin directory by mistake would. The host must
 * refuse it by name. */
#include "okno/plugin.h"

OKNO_PLUGIN_EXPORT int okno_test_missing_symbol_answer(void)
{
    return 42;
}
