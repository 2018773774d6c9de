#!/usr/bin/env bash
# ICE restart keeps a participant in the room: two headless Chromium participants through the demo
# page, the first restarts ICE on both its connections (window.okno.client.restartIce()), and both keep
# decoding each other's video with no participant_left (ice_restart.mjs). Here: okno's log must show
# the restart of both connections, and okno must stop cleanly with no sanitizer report.
. "$(dirname "$0")/browser_lib.bash"
driver_checks=8
echo "1..$((driver_checks + 4))"

if [ ! -x "${OKNO_CHROMIUM:-/usr/bin/chromium}" ]; then
    for _ in $(seq $((driver_checks + 4))); do
        skip "ICE restart keeps a Chromium participant in the room" "chromium is not installed"
    done
    exit 0
fi

make_conf "$tmp/okno.conf"
log=$tmp/okno.log
if ! start_okno "$tmp/okno.conf" "$log"; then
    not_ok "okno starts and serves the demo page on 127.0.0.1:$http_port" "$log"
    for _ in $(seq $((driver_checks + 3))); do not_ok "not reached: okno did not start"; done
    exit 0
fi
ok "okno starts and serves the demo page on 127.0.0.1:$http_port"

if need_node_modules; then
    TMPDIR=$tmp run_bounded 100 "$tmp/driver.out" node "$integ/ice_restart.mjs" "$base_url" "ice-restart"
    relay_results "$tmp/driver.out" "$driver_checks"
else
    for _ in $(seq $driver_checks); do
        not_ok "playwright-core is missing: run npm ci --prefix tests/integration --no-audit --no-fund"
    done
fi

if grep -q "ICE restart of the publisher connection" "$log" &&
    grep -q "ICE restart of the subscriber connection" "$log" && ! grep -q " dropped: " "$log"; then
    ok "okno's log shows the ICE restart of both connections and no participant dropped"
else
    not_ok "okno's log shows the ICE restart of both connections and no participant dropped" "$log"
fi

if ! kill -0 "$okno_pid" 2>/dev/null; then
    not_ok "okno still runs after the restart and stops on SIGTERM (it had died)" "$log"
elif stop_okno 10 && [ "$okno_status" -eq 0 ]; then
    ok "okno still runs after the restart and stops on SIGTERM with exit 0"
else
    not_ok "okno still runs after the restart and stops on SIGTERM with exit 0 (status $okno_status)" "$log"
fi
reports=$(sanitizer_reports "$log")
if [ -z "$reports" ]; then
    ok "okno's stderr has no AddressSanitizer/UndefinedBehaviorSanitizer report"
else
    not_ok "okno's stderr has no AddressSanitizer/UndefinedBehaviorSanitizer report"
    echo "$reports" | head -20 | sed 's/^/#   /'
fi
