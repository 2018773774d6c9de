#!/usr/bin/env bash
# okno's start and orderly stop: SIGTERM and SIGINT end it with exit 0 within 5 s, plugins are
# initialised at start and destroyed at stop, and a configured plugin that cannot load stops okno
# at start with the reason.
. "$(dirname "$0")/lib.bash"
echo "1..10"

write_conf "$tmp/okno.conf" "[general]\nworkers = 2\n[plugins]\ndir = $plugin_dir\n"

# stop_with SIGNAL: start okno, wait until it runs, send SIGNAL, expect exit 0 within 5 s.
stop_with() {
    local log="$tmp/$1.log"
    start_okno "$log" --config "$tmp/okno.conf"
    if ! wait_for_line "$log" '\[main\] okno .* running' 20; then
        not_ok "okno starts (for $1)" "$log"
        return
    fi
    local t0=$SECONDS
    kill -"$1" "$pid"
    wait_exit "$pid" 5
    if [ "$status" -eq 0 ] && grep -q "$1: stopping" "$log" && grep -q "okno stopped" "$log"; then
        ok "$1 stops okno cleanly with exit 0 within 5 s ($((SECONDS - t0)) s)"
    else
        not_ok "$1 stops okno cleanly with exit 0 within 5 s (status $status)" "$log"
    fi
}

stop_with TERM
stop_with INT

if grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z info  \[worker\] started 2 media workers$' "$tmp/TERM.log"; then
    ok "log lines carry an ISO-8601 millisecond timestamp, level and module"
else
    not_ok "log lines carry an ISO-8601 millisecond timestamp, level and module" "$tmp/TERM.log"
fi

write_conf "$tmp/good.conf" \
    "[plugins]\ndir = $plugin_dir\nload = test_good\n[plugin.test_good]\ngreeting = from the daemon test\n"
log="$tmp/good.log"
start_okno "$log" --config "$tmp/good.conf"
if wait_for_line "$log" '\[main\] okno .* running' 20 &&
    grep -q "\[plugin.test_good\] hello from test_good: from the daemon test" "$log"; then
    ok "a configured plugin is initialised with its own config group"
else
    not_ok "a configured plugin is initialised with its own config group" "$log"
fi
kill -TERM "$pid"
wait_exit "$pid" 5
if [ "$status" -eq 0 ] && grep -q "goodbye from test_good" "$log" && grep -q "unloaded test_good" "$log"; then
    ok "SIGTERM destroys the plugin and exits 0"
else
    not_ok "SIGTERM destroys the plugin and exits 0 (status $status)" "$log"
fi

# cannot_load NAME EXPECTED: okno with plugin NAME configured exits non-zero at start, quoting EXPECTED.
cannot_load() {
    local log="$tmp/$1.log"
    write_conf "$tmp/$1.conf" "[plugins]\ndir = $plugin_dir\nload = test_good, $1\n"
    start_okno "$log" --config "$tmp/$1.conf"
    wait_exit "$pid" 20
    if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -qF -- "$2" "$log" &&
        grep -q "goodbye from test_good" "$log" && ! grep -q "running" "$log"; then
        ok "plugin $1 that cannot load stops okno at start (exit $status) with the reason"
    else
        not_ok "plugin $1 that cannot load stops okno at start with the reason (status $status)" "$log"
    fi
}

cannot_load test_bad_abi "plugin test_bad_abi ($plugin_dir/okno_test_bad_abi.so): ABI version 2, this okno speaks 1"
cannot_load test_missing_symbol "plugin test_missing_symbol ($plugin_dir/okno_test_missing_symbol.so): no okno_plugin_describe symbol"
cannot_load test_failing_init "plugin test_failing_init ($plugin_dir/okno_test_failing_init.so): init failed"
cannot_load test_nowhere "plugin test_nowhere ($plugin_dir/okno_test_nowhere.so): cannot open"

write_conf "$tmp/quiet.conf" "[general]\nworkers = 1\nlog_level = warn\n"
log="$tmp/quiet.log"
start_okno "$log" --config "$tmp/quiet.conf"
wait_for_handler "$pid" 20
kill -TERM "$pid"
wait_exit "$pid" 5
if [ "$status" -eq 0 ] && ! grep -q " info  \[" "$log"; then
    ok "log_level = warn keeps info lines out of the log"
else
    not_ok "log_level = warn keeps info lines out of the log (status $status)" "$log"
fi
